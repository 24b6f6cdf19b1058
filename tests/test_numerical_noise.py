"""The noise of f, measured: error estimates that hold where f comes out of cancellation.

A value computed as the difference of larger terms (``cosh(t) - 1`` near 0) carries
the rounding error of those terms, far more than a few ulps of the value itself. The
error estimates used to assume a few ulps of ``|f|``, and could claim an accuracy the
result did not have. Every case below was reported with an error smaller than its true
error (against the closed form) before the noise was measured.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from gradkit.numerical import derivative, gradient
from gradkit.numerical.noise import measure_noise

# name: (f, n-th derivative in closed form, x, n, method); before: true error / estimate
CANCELLATION = {
    "cosh-1 backward n=2": (lambda t: np.cosh(t) - 1, np.cosh, 1e-3, 2, "backward"),  # 1000
    "cosh-1 central n=2": (lambda t: np.cosh(t) - 1, np.cosh, 1e-2, 2, "central"),  # 1.4
    "cosh-1 forward n=1": (lambda t: np.cosh(t) - 1, np.sinh, 1e-6, 1, "forward"),  # 3.5
    "exp-exp(1) backward n=3": (
        lambda t: np.exp(t) - np.exp(1.0),
        np.exp,
        1.001,
        3,
        "backward",
    ),  # 6.7
    "exp-1-t forward n=3": (lambda t: np.exp(t) - 1 - t, np.exp, 1e-3, 3, "forward"),  # 1.3
    "exp-1-t backward n=3": (lambda t: np.exp(t) - 1 - t, np.exp, 1e-3, 3, "backward"),  # 1.8
    "exp-1-t central n=1": (lambda t: np.exp(t) - 1 - t, np.expm1, 0.1, 1, "central"),  # 1.3
    "1-cos backward n=1": (lambda t: 1 - np.cos(t), np.sin, 1e-3, 1, "backward"),  # 4.0
    "9exp-9 backward n=3": (
        lambda t: 9 * np.exp(t) - 9,
        lambda t: 9 * np.exp(t),
        1e-4,
        3,
        "backward",
    ),  # 4.1
    # log(cosh t) = t**2 / 2 - t**4 / 12 + ...: cosh(t) rounds to ulps of 1 first
    "log cosh forward n=4": (
        lambda t: np.log(np.cosh(t)),
        lambda t: -2.0,
        0.0,
        4,
        "forward",
    ),  # 1.14
    "log cosh backward n=4": (
        lambda t: np.log(np.cosh(t)),
        lambda t: -2.0,
        0.0,
        4,
        "backward",
    ),  # 1.14
}


@pytest.mark.parametrize("name", sorted(CANCELLATION))
def test_error_estimate_bounds_the_true_error_under_cancellation(name):
    f, dn, x, n, method = CANCELLATION[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d, info = derivative(f, x, n=n, method=method, full_output=True)
    assert abs(d - dn(x)) <= info.error


def test_cosh_minus_one_is_no_longer_wrong_in_its_seventh_digit():
    """Before, backward n=2 at 1e-3 returned exactly 1.0 (true 1.0000005) with an error
    of 4.9e-10: the values, multiples of ulp(1), agreed exactly at tiny steps."""
    d, info = derivative(lambda t: np.cosh(t) - 1, 1e-3, n=2, method="backward", full_output=True)
    assert abs(d - np.cosh(1e-3)) <= info.error <= 1e-6


def test_quantized_function_gets_an_error_as_large_as_its_steps():
    """f rounded to 1e-10: before, backward n=2 at 1 returned -0.84096 (true -0.84147)
    with an error of 1.3e-8, and forward n=1 claimed 9e-9 for an error of 9e-8."""
    f = lambda t: np.round(np.sin(t) * 1e10) / 1e10
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d2, info2 = derivative(f, 1.0, n=2, method="backward", full_output=True)
        d1, info1 = derivative(f, 1.0, method="forward", full_output=True)
    assert abs(d2 + np.sin(1.0)) <= info2.error
    assert abs(d1 - np.cos(1.0)) <= info1.error


def test_array_x_and_vector_valued_f_measure_the_noise_of_each_element():
    x = np.array([1e-3, 1e-6, 1e-2, 0.1])
    d, info = derivative(lambda t: np.cosh(t) - 1, x, n=2, full_output=True)
    assert np.all(np.abs(d - np.cosh(x)) <= info.error)
    f = lambda t: np.array([np.cosh(t) - 1, np.exp(t) - 1 - t, np.sin(t)])
    d, info = derivative(f, 1e-3, n=2, method="backward", full_output=True)
    exact = np.array([np.cosh(1e-3), np.exp(1e-3), -np.sin(1e-3)])
    assert np.all(np.abs(d - exact) <= info.error)


def test_gradient_under_cancellation():
    """Before, the partial in x[0] claimed 2.9e-15 for an error of 3.8e-15."""
    f = lambda v: np.exp(v[0]) - 1 - v[0] + np.cosh(v[1]) - 1
    x = np.array([0.1, 2e-3])
    g, info = gradient(f, x, full_output=True)
    assert np.all(np.abs(g - [np.expm1(x[0]), np.sinh(x[1])]) <= info.error)


def test_measured_noise_of_a_quantized_function():
    """(1e8 + t) - 1e8 is t rounded to multiples of q = ulp(1e8) = 2**-26: a uniform
    rounding error, of standard deviation q / sqrt(12), on values of size 1."""
    q = 2.0**-26
    sigma = measure_noise(lambda t: (1e8 + t) - 1e8, np.array(0.7), np.array(2.0**-7))
    assert q / np.sqrt(12) / 4 <= sigma <= 4 * q / np.sqrt(12)


def test_measured_noise_of_a_smooth_function_is_a_fraction_of_an_ulp():
    """exp near 1, correctly rounded: errors within half an ulp of e (2**-52 * 2)."""
    sigma = measure_noise(np.exp, np.array(1.0), np.array(2.0**-7))
    assert sigma <= 0.5 * 2.0**-51


def test_ordinary_results_and_estimates_keep_their_size():
    """Where f is computed accurately the measured noise stays below the ulp model."""
    d, info = derivative(np.exp, 1.0, full_output=True)
    assert abs(d - np.e) <= info.error <= 1e-12
    d, info = derivative(np.log, 2.0, n=2, full_output=True)
    assert abs(d + 0.25) <= info.error <= 1e-8
