"""Activations and their closed-form derivatives, against textbook formulas and finite
differences (the engine's derivatives are checked in test_nn_autodiff.py)."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gradkit.nn as nn
from gradkit.nn import functional as F

RAISE = {"over": "raise", "invalid": "raise", "divide": "raise"}  # underflow to 0 is exact
moderate = st.floats(-30, 30, allow_nan=False)
moderate_arrays = st.lists(moderate, min_size=1, max_size=8).map(np.array)


def central_difference(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


def scalar(f):
    return lambda x: float(f(np.array(x)))


# ----------------------------------------------------------------------------- values


@given(moderate)
def test_sigmoid_matches_the_textbook_formula(x):
    assert float(nn.sigmoid(x)) == pytest.approx(1 / (1 + math.exp(-x)), rel=1e-14)


def test_sigmoid_saturates_without_overflow_and_keeps_tiny_values():
    with np.errstate(**RAISE):
        out = nn.sigmoid(np.array([-1000.0, -40.0, 40.0, 1000.0]))
    assert out[0] == 0.0 and out[3] == 1.0
    assert out[1] == pytest.approx(math.exp(-40), rel=1e-12)  # not rounded to 0
    assert out[2] == 1.0 - math.exp(-40) or out[2] == 1.0


def test_every_activation_is_finite_and_silent_at_plus_minus_1000():
    x = np.array([-1000.0, -1.0, 0.0, 1.0, 1000.0])
    functions = [
        nn.sigmoid,
        nn.relu,
        nn.tanh,
        nn.leaky_relu,
        nn.elu,
        nn.softplus,
        nn.gelu,
        nn.silu,
        nn.softmax,
        nn.log_softmax,
        nn.logsumexp,
    ]
    derivatives = [
        nn.sigmoid_derivative,
        nn.relu_derivative,
        nn.tanh_derivative,
        nn.leaky_relu_derivative,
        nn.elu_derivative,
        nn.softplus_derivative,
        nn.gelu_derivative,
        nn.silu_derivative,
        nn.softmax_jacobian,
        nn.normal_cdf,
    ]
    with np.errstate(**RAISE):
        for fn in functions + derivatives:
            assert np.all(np.isfinite(fn(x))), fn.__name__


def test_relu_family_on_known_points():
    x = np.array([-2.0, 0.0, 3.0])
    assert nn.relu(x).tolist() == [0.0, 0.0, 3.0]
    assert nn.leaky_relu(x, 0.1).tolist() == pytest.approx([-0.2, 0.0, 3.0])
    assert nn.elu(x).tolist() == pytest.approx([math.exp(-2) - 1, 0.0, 3.0])
    assert nn.elu(x, alpha=2.0)[0] == pytest.approx(2 * (math.exp(-2) - 1))


@given(moderate)
def test_softplus_tanh_silu_gelu_match_formulas(x):
    assert float(nn.softplus(x)) == pytest.approx(math.log1p(math.exp(x)), rel=1e-12)
    assert float(nn.tanh(x)) == pytest.approx(math.tanh(x))
    assert float(nn.silu(x)) == pytest.approx(x / (1 + math.exp(-x)), rel=1e-12, abs=1e-300)
    # 0.5 (1 + tanh u) = 1 / (1 + exp(-2u)), without the cancellation in the left tail
    u = math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)
    # (for 2u < -700, 1 / (1 + exp(-2u)) is exp(2u) to double precision)
    gelu = x / (1 + math.exp(-2 * u)) if u > -350 else x * math.exp(2 * u)
    assert float(nn.gelu(x)) == pytest.approx(gelu, rel=1e-12, abs=1e-300)
    if abs(x) < 3:  # where the textbook form does not cancel
        textbook = 0.5 * x * (1 + math.tanh(u))
        assert float(nn.gelu(x)) == pytest.approx(textbook, rel=1e-12, abs=1e-15)


def test_gelu_tanh_form_is_close_to_the_exact_gelu():
    xs = np.linspace(-6, 6, 121)
    exact = np.array([0.5 * x * (1 + math.erf(x / math.sqrt(2))) for x in xs])
    assert np.max(np.abs(nn.gelu(xs) - exact)) < 5e-4
    np.testing.assert_allclose(nn.gelu(xs, approximate=False), exact, atol=1e-15)
    # in the left tail 1 + erf cancels; erfc does not, and gelu keeps that precision
    tail = np.array([0.5 * x * math.erfc(-x / math.sqrt(2)) for x in xs])
    np.testing.assert_allclose(nn.gelu(xs, approximate=False), tail, rtol=1e-13)


def test_normal_cdf_is_exact_in_both_tails():
    x = np.array([-30.0, -10.0, 0.0, 2.0, 10.0])
    expected = [0.5 * math.erfc(-v / math.sqrt(2)) for v in x]
    # erfc(t) has condition number ~2 t^2: one rounding of x / sqrt 2 costs ~1e-13 at -30
    np.testing.assert_allclose(nn.normal_cdf(x), expected, rtol=1e-12)
    assert nn.normal_cdf(np.array([-10.0]))[0] == pytest.approx(7.619853024160527e-24)
    assert float(nn.gelu(-10.0, approximate=False)) == pytest.approx(-7.619853024160527e-23)


@given(moderate_arrays)
def test_softmax_is_a_distribution_and_shift_invariant(x):
    s = nn.softmax(x)
    assert s.sum() == pytest.approx(1.0)
    assert np.all(s >= 0)
    np.testing.assert_allclose(nn.softmax(x + 500.0), s, rtol=1e-12, atol=1e-300)
    expected = np.exp(x) / np.exp(x).sum()
    np.testing.assert_allclose(s, expected, rtol=1e-12, atol=1e-300)


def test_softmax_of_logits_1000_apart_is_exact():
    with np.errstate(**RAISE):
        s = nn.softmax(np.array([[0.0, 1000.0], [1000.0, 1000.0]]))
        ls = nn.log_softmax(np.array([0.0, 1000.0]))
    np.testing.assert_array_equal(s, [[0.0, 1.0], [0.5, 0.5]])
    np.testing.assert_array_equal(ls, [-1000.0, 0.0])


def test_softmax_axis():
    x = np.array([[0.0, 0.0], [math.log(3.0), 0.0]])
    np.testing.assert_allclose(nn.softmax(x, axis=0), [[0.25, 0.5], [0.75, 0.5]])


@given(moderate_arrays)
def test_logsumexp_and_log_softmax_match_direct_formulas(x):
    direct = math.log(sum(math.exp(v) for v in x))
    assert float(nn.logsumexp(x)) == pytest.approx(direct, rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(nn.log_softmax(x), x - direct, rtol=1e-12, atol=1e-10)


def test_logsumexp_axis_keepdims_and_infinities():
    x = np.array([[1000.0, 1000.0], [-np.inf, -np.inf], [-np.inf, 2.0]])
    with np.errstate(**RAISE):
        out = nn.logsumexp(x, axis=1)
    assert out[0] == pytest.approx(1000 + math.log(2))
    assert out[1] == -np.inf
    assert out[2] == 2.0
    assert nn.logsumexp(x[:1], axis=1, keepdims=True).shape == (1, 1)
    assert np.shape(nn.logsumexp(np.ones((2, 3)))) == ()


def test_lists_and_python_numbers_are_accepted():
    assert nn.relu([-1, 2]).tolist() == [0.0, 2.0]
    assert float(nn.sigmoid(0)) == 0.5


# ----------------------------------------------------------------------------- derivatives

PAIRS = [
    (F.sigmoid, F.sigmoid_derivative),
    (F.tanh, F.tanh_derivative),
    (F.softplus, F.softplus_derivative),
    (F.gelu, F.gelu_derivative),
    (lambda x: F.gelu(x, approximate=False), lambda x: F.gelu_derivative(x, approximate=False)),
    (F.silu, F.silu_derivative),
    (F.relu, F.relu_derivative),
    (F.leaky_relu, F.leaky_relu_derivative),
    (F.elu, F.elu_derivative),
]


@pytest.mark.parametrize("fn, derivative", PAIRS, ids=[p[1].__name__ for p in PAIRS])
@given(x=st.floats(-8, 8).filter(lambda v: abs(v) > 1e-3))
def test_closed_form_derivative_matches_finite_differences(fn, derivative, x):
    numeric = central_difference(scalar(fn), x)
    assert float(derivative(np.array(x))) == pytest.approx(numeric, rel=1e-6, abs=1e-8)


def test_derivatives_at_the_kink_follow_the_tutorial():
    assert float(nn.relu_derivative(0.0)) == 0.0
    assert float(nn.leaky_relu_derivative(0.0, 0.2)) == 0.2
    assert float(nn.elu_derivative(0.0, alpha=2.0)) == 2.0


@given(moderate)
def test_sigmoid_derivative_takes_the_input_and_from_output_takes_the_activation(x):
    s = 1 / (1 + math.exp(-x))
    assert float(nn.sigmoid_derivative(x)) == pytest.approx(s * (1 - s), rel=1e-12)
    assert float(nn.sigmoid_derivative_from_output(s)) == pytest.approx(s * (1 - s))


def test_softmax_jacobian_matches_finite_differences():
    x = np.array([[0.3, -1.2, 2.0], [0.0, 0.0, 0.0]])
    jac = nn.softmax_jacobian(x)
    assert jac.shape == (2, 3, 3)
    for row in range(2):
        for j in range(3):
            e = np.zeros(3)
            e[j] = 1e-6
            column = (nn.softmax(x[row] + e) - nn.softmax(x[row] - e)) / 2e-6
            np.testing.assert_allclose(jac[row, :, j], column, atol=1e-8)


def test_stop_gradient_passes_plain_arrays_through():
    a = np.array([1.0, 2.0])
    assert F.stop_gradient(a) is a


def test_elu_is_exact_near_zero() -> None:
    # alpha (exp(x) - 1) through expm1: exp(-1e-8) - 1 lost about 8 digits.
    x = np.array([-1e-8, -1e-12, -0.5])
    np.testing.assert_allclose(F.elu(x), [math.expm1(v) for v in x], rtol=1e-15)
    np.testing.assert_allclose(F.elu(x, alpha=2.0), [2 * math.expm1(v) for v in x], rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.bool_])
def test_integer_and_boolean_arrays_are_computed_in_float64(dtype) -> None:
    # uint8 logits wrapped around in x - max (softmax gave NaN); int8 and bool went
    # through float16 (tanh(1) came out as 0.7617); bool failed in NumPy's subtract.
    x = np.array([1, 0, 1], dtype=dtype)
    exact = np.exp([1.0, 0.0, 1.0]) / (2 * math.e + 1)
    assert np.allclose(nn.softmax(x), exact, rtol=1e-15, atol=0)
    assert np.allclose(nn.log_softmax(x), np.log(exact), rtol=1e-15, atol=0)
    assert float(nn.logsumexp(x)) == pytest.approx(math.log(2 * math.e + 1), rel=1e-15)
    assert nn.tanh(x).tolist() == [math.tanh(1.0), 0.0, math.tanh(1.0)]
    assert nn.tanh_derivative(x)[0] == pytest.approx(1 - math.tanh(1.0) ** 2, rel=1e-15)
    for fn in (nn.softmax, nn.log_softmax, nn.tanh, nn.softplus, nn.elu, nn.gelu):
        assert np.asarray(fn(x)).dtype == np.float64, fn.__name__
    wide = np.array([0, 255], dtype=np.uint8)
    assert nn.softmax(wide)[1] == pytest.approx(1.0 / (1.0 + math.exp(-255.0)), rel=1e-15)


def test_gelu_refuses_pytorchs_string_spelling_of_approximate() -> None:
    # approximate="none" is PyTorch's exact GELU; a non-empty string is truthy, so it used
    # to give the tanh form silently (0.84119 instead of Phi(1) = 0.84134).
    x = np.array([1.0])
    for fn in (nn.gelu, nn.gelu_derivative, lambda x, approximate: nn.GELU(approximate)(x)):
        for spelling in ("none", "tanh", None, 1):
            with pytest.raises(TypeError, match="approximate=False"):
                fn(x, approximate=spelling)
    assert nn.gelu(x, approximate=np.bool_(False))[0] == pytest.approx(
        0.5 * math.erfc(-1.0 / math.sqrt(2.0)), rel=1e-15
    )


def test_softmax_family_over_an_empty_axis_is_empty_or_minus_inf() -> None:
    # A NumPy "zero-size array to reduction operation maximum" error before; PyTorch gives
    # an empty softmax and logsumexp = log 0 = -inf, the log of an empty sum.
    empty = np.zeros((0, 3))
    assert nn.softmax(empty, axis=0).shape == (0, 3)
    assert nn.log_softmax(empty, axis=0).shape == (0, 3)
    assert nn.logsumexp(empty, axis=0).tolist() == [-math.inf] * 3
    assert float(nn.logsumexp(np.zeros(0))) == -math.inf
    assert nn.logsumexp(empty, axis=1).shape == (0,)
