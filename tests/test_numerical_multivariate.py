"""gradkit.numerical: partial, gradient, jacobian, hessian, directional_derivative."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gradkit as gk
from gradkit.numerical import (
    NumericalDerivativeError,
    directional_derivative,
    gradient,
    hessian,
    jacobian,
    partial,
)


def paraboloid(x, y):  # the tutorial's f(x, y)
    return x**2 + y**2


def rosenbrock(v):
    return (1 - v[0]) ** 2 + 100 * (v[1] - v[0] ** 2) ** 2


def rosenbrock_grad(v):
    x, y = v
    return np.array([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])


def rosenbrock_hessian(v):
    x, y = v
    return np.array([[2 - 400 * y + 1200 * x**2, -400 * x], [-400 * x, 200.0]])


def test_tutorial_partials_of_f_x_y():
    assert partial(paraboloid, (1.0, 2.0), 0) == pytest.approx(2.0, rel=1e-14)
    assert partial(paraboloid, (1.0, 2.0), 1) == pytest.approx(4.0, rel=1e-14)


def test_tutorial_gradient_and_directional_derivatives():
    np.testing.assert_allclose(gradient(paraboloid, (1.0, 1.0)), [2.0, 2.0], rtol=1e-14)
    expected = {(1, 0): 2.0, (0, 1): 2.0, (1, 1): 4 / np.sqrt(2), (1, -1): 0.0}
    for u, dd in expected.items():
        assert directional_derivative(paraboloid, (1.0, 1.0), u) == pytest.approx(
            dd, rel=1e-13, abs=1e-13
        )


def test_directional_derivative_normalizes_u():
    a = directional_derivative(rosenbrock, np.array([0.5, 0.7]), np.array([3.0, 4.0]))
    b = directional_derivative(rosenbrock, np.array([0.5, 0.7]), np.array([0.6, 0.8]))
    assert a == pytest.approx(b, rel=1e-12)
    assert a == pytest.approx(rosenbrock_grad([0.5, 0.7]) @ [0.6, 0.8], rel=1e-12)


def test_gradient_and_hessian_of_rosenbrock_against_closed_forms():
    x = np.array([-1.2, 1.0])
    g, ginfo = gradient(rosenbrock, x, full_output=True)
    np.testing.assert_allclose(g, rosenbrock_grad(x), rtol=1e-12)
    assert np.all(ginfo.error >= np.abs(g - rosenbrock_grad(x)))
    assert ginfo.n_evals <= 22  # each partial checks f(x) too (full_output)
    H, hinfo = hessian(rosenbrock, x, full_output=True)
    np.testing.assert_allclose(H, rosenbrock_hessian(x), rtol=1e-9)
    assert np.array_equal(H, H.T)
    assert hinfo.error.shape == (2, 2)


def test_coordinates_of_very_different_scales_are_each_accurate():
    # f depends on each coordinate on its own scale: 1e4 and 1e-3
    f = lambda v: np.sqrt(v[0]) + np.log(v[1]) + v[0] * v[1]
    x = np.array([1e4, 1e-3])
    expected = np.array([0.5 / np.sqrt(x[0]) + x[1], 1 / x[1] + x[0]])
    np.testing.assert_allclose(gradient(f, x), expected, rtol=1e-12)
    np.testing.assert_allclose(partial(f, x, 1), expected[1], rtol=1e-12)
    H = hessian(f, x)
    expected_h = np.array([[-0.25 * x[0] ** -1.5, 1.0], [1.0, -1 / x[1] ** 2]])
    np.testing.assert_allclose(H, expected_h, rtol=1e-8)


def test_jacobian_of_polar_coordinates():
    polar = lambda v: np.array([v[0] * np.cos(v[1]), v[0] * np.sin(v[1])])
    r, th = 2.0, 0.7
    J, info = jacobian(polar, np.array([r, th]), full_output=True)
    expected = np.array([[np.cos(th), -r * np.sin(th)], [np.sin(th), r * np.cos(th)]])
    np.testing.assert_allclose(J, expected, rtol=1e-12)
    assert info.error.shape == (2, 2)


def test_jacobian_shapes_follow_output_then_input():
    f = lambda m: np.array([m.sum(), (m**2).sum(), m[0, 1]])
    x = np.arange(6.0).reshape(2, 3)
    J = jacobian(f, x)
    assert J.shape == (3, 2, 3)
    np.testing.assert_allclose(J[1], 2 * x, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(J[2], np.eye(6)[1].reshape(2, 3), atol=1e-12)


def test_gradient_keeps_the_shape_of_x():
    x = np.array([[0.1, 0.2], [0.3, 0.4]])
    g = gradient(lambda m: np.sum(np.sin(m)), x)
    assert g.shape == (2, 2)
    np.testing.assert_allclose(g, np.cos(x), rtol=1e-12)
    assert partial(lambda m: np.sum(np.sin(m)), x, (1, 0)) == pytest.approx(np.cos(0.3))


def test_complex_step_gradient():
    x = np.array([0.3, -0.4, 1.2])
    f = lambda v: np.exp(v[0]) * np.sin(v[1]) + v[2] ** 3
    expected = [np.exp(0.3) * np.sin(-0.4), np.exp(0.3) * np.cos(-0.4), 3 * 1.2**2]
    g, info = gradient(f, x, method="complex", full_output=True)
    np.testing.assert_allclose(g, expected, rtol=4e-16)
    assert info.n_evals == 3


def test_unpack_can_be_forced():
    # a lambda with *args cannot be inspected for its arity: say how to call it
    f = lambda *v: v[0] * v[1]
    np.testing.assert_allclose(gradient(f, (2.0, 3.0), unpack=True), [3.0, 2.0], rtol=1e-14)
    g = lambda v, scale=1.0: scale * v[0] * v[1]  # one required argument: vector style
    np.testing.assert_allclose(gradient(g, [2.0, 3.0]), [3.0, 2.0], rtol=1e-14)


@st.composite
def quadratics(draw):
    n = draw(st.integers(1, 4))
    entries = st.floats(-5, 5, allow_nan=False)
    a = np.array(draw(st.lists(entries, min_size=n * n, max_size=n * n))).reshape(n, n)
    b = np.array(draw(st.lists(entries, min_size=n, max_size=n)))
    x = np.array(draw(st.lists(st.floats(-3, 3), min_size=n, max_size=n)))
    return a, b, x


@given(quadratics())
def test_quadratic_forms(q):
    a, b, x = q
    sym = 0.5 * (a + a.T)
    scale = np.abs(a).sum() * max(1.0, np.abs(x).max()) ** 2 + np.abs(b).sum() + 1.0
    # The rounding model takes the noise of f to be a few ulps of |f|.  The offset keeps
    # |f| as large as its terms: without it, f(x) = 0 from 9 - 9 has noise of ulp(9)
    # (a documented limitation, found by hypothesis).
    f = lambda v: 0.5 * v @ a @ v + b @ v + 10 * scale
    np.testing.assert_allclose(gradient(f, x), sym @ x + b, atol=1e-12 * scale)
    np.testing.assert_allclose(hessian(f, x), sym, atol=1e-8 * scale)


# --- bad input ---------------------------------------------------------------------


def test_non_scalar_f_is_an_error_where_a_scalar_is_needed():
    vec = lambda v: v * 2
    for fn in (gradient, hessian):
        with pytest.raises(NumericalDerivativeError, match="scalar"):
            fn(vec, np.array([1.0, 2.0]))
    with pytest.raises(NumericalDerivativeError, match="jacobian"):
        partial(vec, np.array([1.0, 2.0]), 0)
    with pytest.raises(NumericalDerivativeError, match="scalar"):
        directional_derivative(vec, np.array([1.0, 2.0]), [1.0, 0.0])


def test_nan_near_x_names_the_coordinate():
    f = lambda v: np.log(v[0]) + np.sqrt(v[1])
    with pytest.raises(NumericalDerivativeError, match=r"x\[1\].*edge.*forward"):
        gradient(f, np.array([1.0, 0.0]))
    with pytest.raises(NumericalDerivativeError, match="outside"):
        gradient(f, np.array([1.0, -1.0]))
    with pytest.raises(NumericalDerivativeError, match="domain"):
        hessian(f, np.array([1.0, -1.0]))


def test_bad_index_direction_arity_and_method():
    with pytest.raises(NumericalDerivativeError, match="index"):
        partial(rosenbrock, np.array([1.0, 2.0]), 2)
    with pytest.raises(NumericalDerivativeError, match="nonzero"):
        directional_derivative(rosenbrock, np.array([1.0, 2.0]), [0.0, 0.0])
    with pytest.raises(NumericalDerivativeError, match="components"):
        directional_derivative(rosenbrock, np.array([1.0, 2.0]), [1.0, 0.0, 0.0])
    with pytest.raises(NumericalDerivativeError, match="takes 2 arguments"):
        gradient(paraboloid, (1.0, 2.0, 3.0))
    with pytest.raises(NumericalDerivativeError, match="unknown method"):
        gradient(rosenbrock, np.array([1.0, 2.0]), method="symmetric")
    with pytest.raises(NumericalDerivativeError, match="callable"):
        gradient(None, np.array([1.0, 2.0]))
    with pytest.raises(NumericalDerivativeError, match="string"):
        gradient(rosenbrock, "1, 2")


def test_mixed_partials_are_not_fooled_by_steps_that_saturate_f():
    """tanh(x y) at (1000, 0.002): steps scaled to 1 for y saturate tanh at all four
    corners, the four-point differences were exactly 0 at every level, and the mixed
    partial came back 0.0 with an error of 3e-17. Closed form: d2/dxdy tanh(xy) =
    sech^2(xy) (1 - 2 xy tanh(xy))."""
    x, y = 1000.0, 0.002
    H, info = hessian(lambda a, b: np.tanh(a * b), (x, y), full_output=True)
    u = x * y
    exact = (1 - np.tanh(u) ** 2) * (1 - 2 * u * np.tanh(u))
    assert abs(H[0, 1] - exact) <= info.error[0, 1] <= 1e-6
    assert H[0, 1] == H[1, 0]


def test_complex_step_that_drops_the_imaginary_part_is_refused_not_zero():
    """With the whole point complex, np.abs of the perturbed coordinate returns a complex
    number with no imaginary part: the gradient of x * |y| came back [3, 0] (true
    [3, -2]). A true zero partial is still 0."""
    with pytest.raises(NumericalDerivativeError, match="drops the imaginary"):
        gradient(lambda v: v[0] * np.abs(v[1]), np.array([2.0, -3.0]), method="complex")
    g = gradient(lambda v: v[0] ** 2 + 0 * v[1], np.array([2.0, -3.0]), method="complex")
    np.testing.assert_array_equal(g, [4.0, 0.0])


def test_hessian_of_an_f_that_raises_outside_its_domain_and_of_an_empty_point():
    """math.log raises where np.log gives NaN: a corner of the first mixed step crossed
    0 and the hessian died with "math domain error" at a valid point (gradient coped).
    An empty point raised NumPy's zero-size reduction error."""
    import math

    H = hessian(lambda x, y: math.log(x) * y, (1e-3, 2.0))
    x, y = 1e-3, 2.0
    np.testing.assert_allclose(H, [[-y / x**2, 1 / x], [1 / x, 0.0]], rtol=1e-6, atol=1e-6)
    assert hessian(lambda v: np.sum(v**2), np.array([])).shape == (0, 0)


def test_step_error_at_a_step_that_is_not_positive_is_an_error():
    from gradkit.numerical import step_error

    curves = step_error(np.sin, np.cos, 1.0)
    for bad in (0.0, -1.0, np.nan, np.inf):  # 0 and -1 returned the smallest step's error
        with pytest.raises(NumericalDerivativeError, match="positive finite"):
            curves.error_at("forward", bad)
    assert curves.error_at("forward", 1e-8) < 1e-6


def test_relative_error_is_set_for_whole_results_and_a_bool_index_is_refused():
    """info.relative_error was None for gradient, jacobian, hessian and
    directional_derivative; partial(..., i=True) differentiated along x[1]."""
    x = np.array([1.0, 2.0])
    for value, info in (
        gradient(lambda v: np.sum(v**2), x, full_output=True),
        jacobian(lambda v: v**2, x, full_output=True),
        hessian(lambda v: np.sum(v**3), x, full_output=True),
        directional_derivative(lambda v: np.sum(v**2), x, np.array([1.0, 0.0]), full_output=True),
    ):
        with np.errstate(divide="ignore"):
            np.testing.assert_array_equal(
                info.relative_error, np.asarray(info.error) / np.abs(value)
            )
    with pytest.raises(NumericalDerivativeError, match="bool"):
        partial(lambda v: np.sum(v**2), x, i=True)


def test_each_output_of_a_jacobian_gets_its_own_step():
    """One step search shared by all outputs: the large derivative of 7 t^2 / 3 drove the
    steps down to where 1 - cosh(1/(t^2 + 1)) is rounding noise, and its entry came back
    with relative error 3.5e-4 under an error bar of 6.5e-22. The closed form of its
    derivative: -sinh(u) du/dt with u = 1/(t^2 + 1), du/dt = -2t/(t^2 + 1)^2."""
    t = 136.8
    f = lambda v: np.array([1 - np.cosh(1 / (v[0] ** 2 + 1)), 7 * v[0] ** 2 / 3])  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gk.numerical.NumericalDerivativeWarning)
        J, info = jacobian(f, np.array([t]), full_output=True)
    u = 1 / (t**2 + 1)
    exact = np.array([np.sinh(u) * 2 * t / (t**2 + 1) ** 2, 14 * t / 3])
    assert np.all(np.abs(J[:, 0] - exact) <= info.error[:, 0])
    np.testing.assert_allclose(J[:, 0], exact, rtol=1e-6)
