"""The error bound of gradkit.numerical is a promise: cases where it was broken, and a
property test over a wide family of smooth functions, points and scales.

The exact derivatives come from forward-mode dual numbers in mpmath at 50 digits
(tests/smooth_family.py), independent of gradkit.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from gradkit.numerical import NumericalDerivativeWarning, derivative


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
