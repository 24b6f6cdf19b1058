"""The error bound of gradkit.numerical is a promise: cases where it was broken, and a
property test over a wide family of smooth functions, points and scales.

The exact derivatives come from forward-mode dual numbers in mpmath at 50 digits
(tests/smooth_family.py), independent of gradkit.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

mpmath = pytest.importorskip("mpmath")  # the exact derivatives of the property test

from hypothesis import HealthCheck, given, settings  # noqa: E402
from smooth_family import cases, is_tame  # noqa: E402

from gradkit.numerical import (  # noqa: E402
    NumericalDerivativeError,
    NumericalDerivativeWarning,
    derivative,
)


def test_a_small_derivative_next_to_a_large_value_is_right_or_warned():
    """x**5 + 1.125 x**2 + 4 at 1.19e-7: the steps of |x|'s scale drowned the derivative
    (2.7e-7) in the rounding of 4, and it came back 11% wrong inside an error bar that
    held 0, so with no warning. The search without the jump now wins: 1e-7 relative."""
    f = lambda t: t**5 + 1.125 * t**2 + 4  # noqa: E731
    for x in (1.19e-7, 1e-7, 3e-8, 1e-6):
        exact = 5 * x**4 + 2.25 * x
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            d, info = derivative(f, x, full_output=True)
            d_default = derivative(f, x)
        warned = any(issubclass(w.category, NumericalDerivativeWarning) for w in caught)
        assert abs(d - exact) <= info.error
        for value in (d, d_default):
            assert abs(value - exact) <= 1e-6 * abs(exact) or warned
        assert abs(d - exact) <= 1e-5 * abs(exact)


@pytest.mark.parametrize("t", [136.8, 50.0, 400.0])
def test_a_cancelling_f_quantized_over_the_probe_gets_an_honest_bound(t):
    """1 - cosh(1 / (t**2 + 1)) changes by less than one unit of cosh over the probe of
    its noise, whose values all came out equal: the noise was taken as ulps of |f|
    (1e-9), not of cosh (1), and the bound was 2.4e-16 for a true error of 4.1e-16. The
    probe now widens until it sees the staircase; closed form sinh(u) 2t / (t^2 + 1)^2."""
    f = lambda v: 1 - np.cosh(1 / (v**2 + 1))  # noqa: E731
    u = 1 / (t**2 + 1)
    exact = np.sinh(u) * 2 * t / (t**2 + 1) ** 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        d, info = derivative(f, t, full_output=True)
    assert abs(d - exact) <= info.error
    assert abs(d - exact) <= 1e-6 * abs(exact) or caught


def test_a_function_that_rounds_to_zero_all_over_the_stencil_gets_an_honest_bound():
    """1 - cos(1 / (1 + (cosh(3x) - 1)**2)) at x = 4 (found by the 10,000-case run): cos
    of 1.5e-10 rounds to 1, so f is exactly 0 at every point tried, and the bound was
    ulps of 0 (8e-323) for a true error of 1.4e-19. A value of exactly 0 all over a
    stencil is now taken to be accurate to a few ulps of 1, the size of the terms that
    cancelled. The exact derivative is -sin(v) 2 u v**2 3 sinh(3x)."""
    f = lambda t: 1 - np.cos(1 / (1 + (np.cosh(3 * t) - 1) ** 2))  # noqa: E731
    x = mpmath.mpf(4)
    u = mpmath.cosh(3 * x) - 1
    v = 1 / (1 + u**2)
    exact = -mpmath.sin(v) * 2 * u * v**2 * 3 * mpmath.sinh(3 * x)
    d, info = derivative(f, 4.0, full_output=True)
    assert abs(mpmath.mpf(d) - exact) <= info.error <= 1e-13
    # an f that is truly 0 near x keeps a small bound and no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d, info = derivative(lambda t: np.maximum(t, 0.0), -1.0, full_output=True)
    assert d == 0 and info.error <= 1e-13


# --- the property: over a wide family of smooth functions, the bound holds -------------

# derandomized under the suite's default profile (CI); GRADKIT_BOUNDS_EXAMPLES=10000 runs
# the large search (about 15 minutes on one core)
_EXAMPLES = int(os.environ.get("GRADKIT_BOUNDS_EXAMPLES", "40"))
_TINY = float(np.finfo(float).smallest_subnormal)


@settings(
    max_examples=_EXAMPLES,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(cases())
def test_the_reported_error_bounds_the_true_error(case):
    """derivative(f, x, full_output=True) either refuses (NumericalDerivativeError) or
    reports an error no smaller than its true error, against the exact derivative of
    the same expression (mpmath dual numbers, 50 digits); and the plain call stays
    within its budget of 16 evaluations."""
    if not is_tame(case):
        return
    exact = case.exact()
    if abs(exact) < _TINY:  # below float64's range: 0 is its correctly rounded value
        exact = mpmath.mpf(0)
    counted = []

    def f(t):
        counted.append(1)
        return case.f(t)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NumericalDerivativeWarning)
        try:
            derivative(f, case.x)
            d, info = derivative(case.f, case.x, full_output=True)
        except NumericalDerivativeError:
            return  # an honest refusal
    assert len(counted) <= 16, str(case)
    true_error = abs(mpmath.mpf(d) - exact)
    assert info.error >= true_error, (str(case), d, float(exact), info.error)


def test_a_hessian_beside_a_coordinate_of_one_ulp():
    """x[3] = -2.2e-16 beside x[1] = -0.5 (found by hypothesis under its 6.100 release):
    the mixed entry (1, 3) was confirmed at x[3]'s scale with steps of 1e-22, pure
    rounding of f = 560, and that search, which never converged, replaced the converged
    one: 'do not converge'. The closed form is the symmetric part of a."""
    from gradkit.numerical import hessian

    a = np.array([[4.0, 5, 5, 0], [0, 0, 0, 0], [0, 0, 0, -5], [0, 0, 0, 0]])
    x = np.array([0.0, -0.5, 0.0, -np.finfo(float).eps])
    H = hessian(lambda v: 0.5 * v @ a @ v + 560.0, x)
    np.testing.assert_allclose(H, 0.5 * (a + a.T), atol=1e-8 * 560)
