"""gradkit.numerical.derivative: closed forms, accuracy, cost, honesty, errors."""

from __future__ import annotations

import math
import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gradkit as gk
from gradkit.numerical import (
    NumericalDerivativeError,
    NumericalDerivativeWarning,
    derivative,
)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# Ordinary smooth cases: O(1) points and length scales.  (f, f', x)
ORDINARY = {
    "exp": (np.exp, np.exp, 1.0),
    "sin": (np.sin, np.cos, 0.7),
    "log": (np.log, lambda x: 1 / x, 2.0),
    "sqrt": (np.sqrt, lambda x: 0.5 / np.sqrt(x), 3.0),
    "atan": (np.arctan, lambda x: 1 / (1 + x * x), 0.5),
    "tanh": (np.tanh, lambda x: 1 / np.cosh(x) ** 2, 0.3),
    "sigmoid": (_sigmoid, lambda x: _sigmoid(x) * (1 - _sigmoid(x)), 1.5),
    "runge": (lambda x: 1 / (1 + x * x), lambda x: -2 * x / (1 + x * x) ** 2, 0.8),
    "exp_sin": (lambda x: np.exp(np.sin(x)), lambda x: np.cos(x) * np.exp(np.sin(x)), 2.0),
    "softplus": (lambda x: np.log1p(np.exp(x)), _sigmoid, -1.0),
    "exp_tiny_x": (np.exp, np.exp, 1e-8),
}

# Badly scaled: huge/tiny values, long/short length scales, narrow features.
BADLY_SCALED = {
    "huge_values": (lambda x: 1e200 * np.exp(x), lambda x: 1e200 * np.exp(x), 1.0),
    "tiny_values": (lambda x: 1e-200 * np.sin(x), lambda x: 1e-200 * np.cos(x), 0.5),
    "large_x": (np.exp, np.exp, 30.0),
    "long_scale": (lambda x: np.sin(x / 1e6), lambda x: np.cos(x / 1e6) / 1e6, 7e5),
    "log_near_0": (np.log, lambda x: 1 / x, 1e-6),
    "near_pole": (lambda x: 1 / x, lambda x: -1 / x**2, 1e-4),
    "short_scale": (lambda x: np.sin(1e3 * x), lambda x: 1e3 * np.cos(1e3 * x), 1.7e-3),
    "narrow_gaussian": (
        lambda x: np.exp(-(((x - 1) / 1e-2) ** 2)),
        lambda x: -2 * (x - 1) / 1e-4 * np.exp(-(((x - 1) / 1e-2) ** 2)),
        1.005,
    ),
}


class Counted:
    """Wrap f and count its calls independently of gradkit's own count."""

    def __init__(self, f):
        self.f, self.calls = f, 0

    def __call__(self, x):
        self.calls += 1
        return self.f(x)


@pytest.mark.parametrize("name", sorted(ORDINARY))
def test_ordinary_cases_are_near_machine_precision_in_ten_evaluations(name):
    f, df, x = ORDINARY[name]
    counted = Counted(f)
    d = derivative(counted, x)
    true = df(x)
    assert abs(d - true) <= 1e-13 * abs(true)
    assert counted.calls <= 10  # the design's target: <= 1e-13 in <= 10 evaluations
    counted = Counted(f)
    d_full, info = derivative(counted, x, full_output=True)
    assert d_full == d  # an ordinary f: the measured noise changes nothing
    # and 4 values that measure the noise of f, and f(x), which checks that the steps
    # resolve f at x (odd central stencils never use it)
    assert counted.calls <= 15
    assert info.n_evals == counted.calls
    assert info.error >= abs(d - true)


@pytest.mark.parametrize("name", sorted(BADLY_SCALED))
def test_badly_scaled_cases_within_sixteen_evaluations(name):
    f, df, x = BADLY_SCALED[name]
    counted = Counted(f)
    assert abs(derivative(counted, x) - df(x)) <= 1e-13 * abs(df(x))
    assert counted.calls <= 16
    counted = Counted(f)
    d, info = derivative(counted, x, full_output=True)
    true = df(x)
    assert abs(d - true) <= 1e-13 * abs(true)
    # 4 more measure the noise near the steps used, and 4 more at the first step, where a
    # part of f that hides its noise from the narrow probe of a small step shows it
    assert counted.calls <= 25  # and f(x)
    assert info.error >= abs(d - true)


def test_polynomials_of_low_degree_need_fewer_evaluations():
    counted = Counted(lambda x: x**3 - 2 * x)
    d = derivative(counted, 1.5)
    assert d == pytest.approx(3 * 1.5**2 - 2, rel=1e-15)
    assert counted.calls < 10


def test_zero_derivative_is_found_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert abs(derivative(np.cos, 0.0)) < 1e-14
        assert abs(derivative(lambda x: x**2 + x**3, 0.0)) < 1e-14


def test_array_x_gives_the_elementwise_derivative():
    x = np.linspace(-3.0, 3.0, 13)
    d, info = derivative(np.sin, x, full_output=True)
    assert d.shape == x.shape
    np.testing.assert_allclose(d, np.cos(x), rtol=1e-12, atol=1e-15)
    assert info.error.shape == x.shape
    assert np.all(info.error >= np.abs(d - np.cos(x)))


def test_array_x_with_elements_of_very_different_scales():
    x = np.array([1e-6, 1.0, 1e6])
    np.testing.assert_allclose(derivative(np.log, x), 1 / x, rtol=1e-12)


def test_scalar_x_with_vector_valued_f_differentiates_each_component():
    d = derivative(lambda t: np.array([np.sin(t), t**3]), 0.5)
    np.testing.assert_allclose(d, [np.cos(0.5), 0.75], rtol=1e-13)


@pytest.mark.parametrize("method", ["forward", "backward"])
def test_one_sided_methods(method):
    d, info = derivative(np.exp, 1.0, method=method, full_output=True)
    assert abs(d - math.e) <= 1e-11 * math.e
    assert info.error >= abs(d - math.e)


def test_one_sided_method_at_the_edge_of_the_domain():
    # defined for x >= 0 only, smooth there: the central difference cannot work at 0
    def f(x):
        return np.where(x >= 0, x + x**2, np.nan)

    with pytest.raises(NumericalDerivativeError, match="forward"):
        derivative(f, 0.0)
    assert derivative(f, 0.0, method="forward") == pytest.approx(1.0, rel=1e-10)


def test_complex_step_is_exact_to_machine_precision_in_one_evaluation():
    for f, df, x in [ORDINARY[k] for k in ("exp", "sin", "log", "atan", "sigmoid")]:
        counted = Counted(f)
        d, info = derivative(counted, x, method="complex", full_output=True)
        assert abs(d - df(x)) <= 2 * np.finfo(float).eps * abs(df(x))
        assert counted.calls == 1 and info.n_evals == 1


def test_complex_step_on_arrays():
    x = np.array([0.1, 1.0, 5.0])
    np.testing.assert_allclose(derivative(np.exp, x, method="complex"), np.exp(x), rtol=3e-16)


@pytest.mark.parametrize(
    "n, f, dn, x, rtol",
    [
        (2, np.exp, np.exp, 1.0, 1e-11),
        (2, np.sin, lambda x: -np.sin(x), 0.7, 1e-11),
        (2, np.log, lambda x: -1 / x**2, 2.0, 1e-11),
        (3, np.exp, np.exp, 1.0, 1e-8),
        (3, np.sin, lambda x: -np.cos(x), 0.7, 1e-8),
        (3, np.log, lambda x: 2 / x**3, 2.0, 1e-8),
        (4, np.exp, np.exp, 1.0, 1e-6),
        (4, np.sin, np.sin, 0.7, 1e-6),
        (4, np.log, lambda x: -6 / x**4, 2.0, 1e-5),
    ],
)
def test_higher_orders_against_closed_forms(n, f, dn, x, rtol):
    d, info = derivative(f, x, n=n, full_output=True)
    assert abs(d - dn(x)) <= rtol * abs(dn(x))
    assert info.error >= abs(d - dn(x))


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_orders_of_a_polynomial_are_exact(n):
    coeffs = np.array([0.5, -1.0, 2.0, 3.0, -4.0, 1.0])  # degree 5
    x = 0.8
    expected = np.polyval(np.polyder(coeffs, n), x)
    assert derivative(lambda t: np.polyval(coeffs, t), x, n=n) == pytest.approx(
        expected, rel=10.0 ** (-13 + 2 * (n - 1))
    )


def test_fixed_step_is_the_textbook_formula():
    x, h = 1.0, 1e-7
    tutorial = (np.sin(x + h) - np.sin(x)) / h
    assert derivative(np.sin, x, method="forward", step=h) == tutorial
    central = (np.sin(x + h) - np.sin(x - h)) / (2 * h)
    assert derivative(np.sin, x, step=h) == pytest.approx(central, rel=1e-15)


def test_fixed_step_reports_a_truncation_estimate():
    d, info = derivative(np.exp, 1.0, method="forward", step=1e-3, full_output=True)
    true_error = abs(d - math.e)
    assert info.error >= 0.5 * true_error  # the first-order estimate is close
    assert info.error <= 2.0 * true_error


@st.composite
def polynomials(draw):
    degree = draw(st.integers(0, 7))
    coeffs = draw(
        st.lists(st.floats(-10, 10, allow_nan=False), min_size=degree + 1, max_size=degree + 1)
    )
    return np.array(coeffs)


@given(polynomials(), st.floats(-2.0, 2.0))
def test_random_polynomials(coeffs, x):
    d, info = derivative(lambda t: np.polyval(coeffs, t), x, full_output=True)
    exact = np.polyval(np.polyder(coeffs), x)
    # scale of the terms: the achievable accuracy is relative to it, not to |f'|
    r = max(abs(x), 1.0)  # the steps are about this large
    scale = np.polyval(np.abs(np.polyder(coeffs)), r) + np.polyval(np.abs(coeffs), r)
    assert abs(d - exact) <= 1e-12 * scale
    assert info.error >= abs(d - exact) or abs(d - exact) <= 1e-15 * scale


_OUTER = {
    "sin": (np.sin, np.cos),
    "exp": (np.exp, np.exp),
    "tanh": (np.tanh, lambda u: 1 / np.cosh(u) ** 2),
    "atan": (np.arctan, lambda u: 1 / (1 + u * u)),
}


@given(
    st.sampled_from(sorted(_OUTER)),
    st.sampled_from(sorted(_OUTER)),
    st.floats(0.2, 3.0),
    st.floats(-1.0, 1.0),
    st.floats(-1.5, 1.5),
)
def test_random_compositions_follow_the_chain_rule(outer, inner, a, b, x):
    g, dg = _OUTER[outer]
    h, dh = _OUTER[inner]
    f = lambda t: g(a * h(t) + b)
    exact = dg(a * h(x) + b) * a * dh(x)
    d, info = derivative(f, x, full_output=True)
    # rounding in f limits the accuracy to about eps * |f| / (step ~ 1e-2)
    scale = abs(exact) + abs(f(x))
    assert abs(d - exact) <= 1e-12 * scale
    assert info.error >= abs(d - exact) or abs(d - exact) <= 1e-14 * scale


def test_reported_error_bounds_the_true_error_on_the_battery():
    honest = 0
    cases = list(ORDINARY.values()) + list(BADLY_SCALED.values())
    for f, df, x in cases:
        d, info = derivative(f, x, full_output=True)
        honest += info.error >= abs(d - df(x))
    assert honest >= 0.95 * len(cases)


# One-sided differences of higher order, against closed forms: (f, d^n f, x) for n = 1..4.
_ONE_SIDED = {
    "sin": (np.sin, [np.cos, lambda t: -np.sin(t), lambda t: -np.cos(t), np.sin]),
    "exp": (np.exp, [np.exp] * 4),
    "atan": (
        np.arctan,
        [
            lambda t: 1 / (1 + t * t),
            lambda t: -2 * t / (1 + t * t) ** 2,
            lambda t: (6 * t * t - 2) / (1 + t * t) ** 3,
            lambda t: 24 * t * (1 - t * t) / (1 + t * t) ** 4,
        ],
    ),
}


@pytest.mark.parametrize("method", ["forward", "backward"])
@pytest.mark.parametrize("n", [1, 2, 3, 4])
@pytest.mark.parametrize("name", sorted(_ONE_SIDED))
def test_one_sided_error_estimates_bound_the_true_error(name, n, method):
    """The estimate of every entry of the Richardson table is checked against the finer
    entry below it too: before, backward n=4 of sin at 0.3 chose an entry whose coarse
    neighbours agreed by coincidence, and claimed 3.7e-5 for a true error of 8.1e-4."""
    f, derivs = _ONE_SIDED[name]
    for x in (-1.3, -0.4, 0.3, 0.7, 1.1, 2.5):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            d, info = derivative(f, x, n=n, method=method, full_output=True)
        true_error = abs(d - derivs[n - 1](x))
        assert info.error >= true_error or caught, (x, d, info.error, true_error)


@pytest.mark.parametrize(
    "p, n, method, x",
    [
        (3, 2, "backward", 1e-8),
        (3, 2, "forward", -1e-8),
        (3, 2, "backward", 3e-6),
        (5, 4, "backward", 1e-8),
        (5, 4, "forward", -2e-4),
        (5, 4, "backward", 3e-6),
    ],
)
def test_one_sided_steps_across_a_kink_at_zero_are_caught(p, n, method, x):
    """|t|**p is not smooth at 0. One-sided steps much wider than |x| put the stencil on
    the other branch, whose differences agree perfectly and extrapolated (before) to the
    other branch's derivative, the wrong sign, with an error estimate of 1e-17. Checked
    at the point's own scale, the search now starts again there."""
    exact = math.prod(p - k for k in range(n)) * abs(x) ** (p - n) * np.sign(x) ** n
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        d, info = derivative(lambda t: np.abs(t) ** p, x, n=n, method=method, full_output=True)
    assert info.error >= abs(d - exact) or caught
    assert np.sign(d) == np.sign(exact)


def test_a_later_level_that_breaks_the_series_restarts_the_search():
    """|t|**5 at 0.01, n=4, backward: the first steps (0.25 to 0.016) straddle 0 and agree
    by coincidence; the finer ones break that series. The search used to stop there and
    return 0.97 +- 0.47 (true 1.2); it now searches on and finds 1.2 to 1e-6."""
    d, info = derivative(lambda t: np.abs(t) ** 5, 0.01, n=4, method="backward", full_output=True)
    assert abs(d - 1.2) <= info.error <= 1e-3  # closed form: 120 |x|


def test_a_length_scale_far_below_the_steps_is_refused_not_returned():
    """cos at 1e8: the steps start at 8e6 and cos varies on a scale of 1. The forward
    differences returned -3e-7 (the derivative is -sin(1e8) = -0.93) with an error
    estimate of 5e-8. They are now refused, as the central ones already were."""
    for method in ("forward", "central"):
        with pytest.raises(NumericalDerivativeError, match="do not converge"):
            derivative(np.cos, 1e8, method=method)


def test_one_sided_steps_across_zero_stay_accurate_where_f_is_smooth():
    d, info = derivative(np.exp, 1e-3, n=2, method="forward", full_output=True)
    assert abs(d - np.exp(1e-3)) <= info.error <= 1e-6


def test_info_fields():
    d, info = derivative(np.sin, 1.0, full_output=True)
    assert info.method == "central" and info.n == 1 and info.converged
    assert 0 < info.step < 1
    assert info.relative_error == pytest.approx(info.error / abs(d))
    # and 4 values that measure the noise, and f(x)
    assert len(info.steps) * 2 + 5 == info.n_evals


# --- bad input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"method": "centered"}, "unknown method"),
        ({"n": 0}, "order n"),
        ({"n": 5}, "order n"),
        ({"n": 1.5}, "order n"),
        ({"n": True}, "order n"),
        ({"method": "complex", "n": 2}, "first derivatives only"),
        ({"step": -1e-3}, "positive"),
        ({"step": "big"}, "step must be"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(NumericalDerivativeError, match=match):
        derivative(np.sin, 1.0, **kwargs)


@pytest.mark.parametrize("x", [np.nan, np.inf, "one", 1 + 2j])
def test_bad_points(x):
    with pytest.raises(NumericalDerivativeError, match="x must be"):
        derivative(np.sin, x)


def test_f_not_callable():
    with pytest.raises(NumericalDerivativeError, match="callable"):
        derivative(3.0, 1.0)


def test_f_returning_non_numbers():
    with pytest.raises(NumericalDerivativeError, match="numbers"):
        derivative(lambda x: "text", 1.0)
    with pytest.raises(NumericalDerivativeError, match="numbers"):
        derivative(lambda x: object(), 1.0)
    with pytest.raises(NumericalDerivativeError, match="not a number or array"):
        derivative(lambda x: [1.0, [2.0, 3.0]], 1.0)


def test_f_not_elementwise_for_array_x():
    with pytest.raises(NumericalDerivativeError, match="elementwise"):
        derivative(np.sum, np.array([1.0, 2.0]))


def test_log_at_zero_is_an_error_naming_the_domain():
    with pytest.raises(NumericalDerivativeError, match="domain"):
        derivative(np.log, 0.0)


def test_log_below_zero_says_x_is_outside_the_domain():
    with pytest.raises(NumericalDerivativeError, match="outside"):
        derivative(np.log, -1.0)


def test_scalar_math_functions_work_and_their_domain_errors_are_reported():
    assert derivative(math.log, 1e-3) == pytest.approx(1e3, rel=1e-12)
    with pytest.raises(NumericalDerivativeError, match="math domain error"):
        derivative(math.log, 0.0)


def test_nan_in_one_element_names_that_element():
    with pytest.raises(NumericalDerivativeError, match=r"x\[1\]"):
        derivative(np.log, np.array([1.0, -1.0, 2.0]))


def test_pole_at_x_is_an_error():
    with pytest.raises(NumericalDerivativeError, match="differentiable"):
        derivative(lambda x: 1 / x, 0.0)


def test_jump_at_x_is_an_error():
    with pytest.raises(NumericalDerivativeError, match="differentiable"):
        derivative(lambda x: np.where(x > 0, 1.0, 0.0) + x, 0.0)


def test_fixed_step_into_nan_is_an_error():
    with pytest.raises(NumericalDerivativeError, match="nan or inf"):
        derivative(np.log, 1e-3, step=1e-2)


def test_noisy_function_warns():
    rng = np.random.default_rng(0)
    noisy = lambda x: np.sin(x) + 1e-7 * rng.standard_normal()
    with pytest.warns(NumericalDerivativeWarning, match="relative error"):
        d, info = derivative(noisy, 1.0, full_output=True)
    # the noise is far above the rounding model; the estimate still has its size
    assert 0.1 * abs(d - np.cos(1.0)) <= info.error


def test_complex_step_rejects_functions_without_complex_support():
    with pytest.raises(NumericalDerivativeError, match="complex input"):
        derivative(math.sin, 1.0, method="complex")
    with pytest.raises(NumericalDerivativeError, match="imaginary part"):
        derivative(lambda x: np.real(np.sin(x)), 1.0, method="complex")


def test_errors_are_value_errors():
    assert issubclass(NumericalDerivativeError, ValueError)
    assert issubclass(NumericalDerivativeWarning, UserWarning)


def test_numerical_does_not_import_the_autodiff_engine():
    code = "import sys, gradkit.numerical; print('gradkit.autodiff' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_public_names():
    for name in (
        "derivative",
        "step_error",
        "partial",
        "gradient",
        "jacobian",
        "hessian",
        "directional_derivative",
    ):
        assert callable(getattr(gk.numerical, name))


@pytest.mark.parametrize("method", ["forward", "backward"])
def test_point_scale_check_with_a_vector_valued_f_and_array_x(method):
    """The check at |x|'s scale passed the result's steps (one per output) as the steps
    (one per element of x): a vector-valued f near 0 crashed with NumPy's "setting an
    array element with a sequence", and numerical.jacobian with it."""
    d = derivative(lambda t: np.array([np.sin(t), t]), 0.001, method=method)
    np.testing.assert_allclose(d, [np.cos(0.001), 1.0], rtol=1e-9)
    J = gk.numerical.jacobian(
        lambda v: np.array([np.sin(v[0]), v[0]]), np.array([0.001]), method=method
    )
    np.testing.assert_allclose(J, [[np.cos(0.001)], [1.0]], rtol=1e-9)
    x = np.array([1e-8, -1e-8, 0.5])
    d, info = derivative(lambda t: np.abs(t) ** 3, x, n=2, method=method, full_output=True)
    assert np.all(np.abs(d - 6 * np.abs(x)) <= info.error)  # closed form 6|x|
