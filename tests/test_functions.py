"""Test functions: closed-form gradients and Hessians against finite differences (and the
autodiff engine once it is there), minimizers, broadcasting, the tutorial's formulas."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gradkit.functions as fn

TWO_D = [
    fn.rosenbrock,
    fn.beale,
    fn.himmelblau,
    fn.booth,
    fn.ill_conditioned_quadratic,
    fn.saddle,
    fn.rastrigin,
]


def five_point(f, x, h=1e-3):
    """Fourth-order central differences of f (scalar- or vector-valued) at x, per coordinate."""
    cols = []
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h
        cols.append((-f(x + 2 * e) + 8 * f(x + e) - 8 * f(x - e) + f(x - 2 * e)) / (12 * h))
    return np.array(cols)


def point_in(box):
    (x0, x1), (y0, y1) = box
    return st.tuples(st.floats(x0, x1), st.floats(y0, y1)).map(lambda p: np.array(p))


@pytest.mark.parametrize("f", TWO_D, ids=lambda f: f.name)
@given(data=st.data())
def test_closed_form_gradient_matches_finite_differences(f, data):
    x = data.draw(point_in(f.domain))
    numeric = five_point(f, x)
    np.testing.assert_allclose(f.grad(x), numeric, rtol=1e-6, atol=1e-6 * (1 + abs(f(x))))


@pytest.mark.parametrize("f", TWO_D, ids=lambda f: f.name)
@given(data=st.data())
def test_closed_form_hessian_matches_differences_of_the_gradient(f, data):
    x = data.draw(point_in(f.domain))
    h = f.hessian(x)
    np.testing.assert_allclose(h, h.T, rtol=0, atol=0)
    numeric = five_point(f.grad, x)  # row i = d grad / d x_i
    scale = 1 + np.max(np.abs(h))
    np.testing.assert_allclose(h, numeric, rtol=1e-6, atol=1e-7 * scale)


@given(n=st.integers(2, 7), data=st.data())
def test_nd_rosenbrock_closed_forms(n, data):
    x = np.array(data.draw(st.lists(st.floats(-2, 2), min_size=n, max_size=n)))
    np.testing.assert_allclose(
        fn.rosenbrock.grad(x), five_point(fn.rosenbrock, x), rtol=1e-6, atol=1e-5
    )
    h = fn.rosenbrock.hessian(x)
    np.testing.assert_allclose(h, five_point(fn.rosenbrock.grad, x), rtol=1e-6, atol=1e-5)
    assert np.all(np.triu(h, 2) == 0) and np.all(np.tril(h, -2) == 0)  # tridiagonal


def test_nd_rosenbrock_is_the_textbook_sum():
    x = np.array([0.3, -1.2, 0.7, 2.0, -0.4])
    expected = sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(4))
    assert fn.rosenbrock(x) == pytest.approx(expected, rel=1e-15)
    assert fn.rosenbrock(*x) == pytest.approx(expected, rel=1e-15)


@given(n=st.integers(1, 5), data=st.data())
def test_nd_rastrigin_closed_forms(n, data):
    x = np.array(data.draw(st.lists(st.floats(-5.12, 5.12), min_size=n, max_size=n)))
    assert fn.rastrigin(x) == pytest.approx(
        10 * n + sum(v * v - 10 * np.cos(2 * np.pi * v) for v in x), rel=1e-12, abs=1e-12
    )
    np.testing.assert_allclose(
        fn.rastrigin.grad(x), five_point(fn.rastrigin, x, h=1e-4), rtol=1e-6, atol=1e-5
    )
    np.testing.assert_allclose(
        fn.rastrigin.hessian(x), five_point(fn.rastrigin.grad, x, h=1e-4), rtol=1e-6, atol=1e-4
    )


@pytest.mark.parametrize("f", [f for f in TWO_D if f.minimum], ids=lambda f: f.name)
def test_minimizers_are_strict_local_minima_with_the_stated_value(f):
    for m in f.minimum:
        assert f(m) == pytest.approx(f.min_value, abs=1e-20)
        np.testing.assert_allclose(f.grad(m), 0.0, atol=1e-12)
        assert np.all(np.linalg.eigvalsh(f.hessian(m)) > 0)


def test_himmelblau_has_four_distinct_minima_each_a_root_of_both_residuals():
    minima = fn.himmelblau.minimum
    assert len(minima) == 4
    assert min(np.linalg.norm(a - b) for i, a in enumerate(minima) for b in minima[i + 1 :]) > 1
    for x, y in minima:
        assert abs(x * x + y - 11) < 1e-13 and abs(x + y * y - 7) < 1e-13


def test_known_minimizers_of_the_classics():
    np.testing.assert_array_equal(fn.beale.minimum[0], [3.0, 0.5])
    np.testing.assert_array_equal(fn.booth.minimum[0], [1.0, 3.0])
    np.testing.assert_array_equal(fn.rosenbrock.minimizers(4)[0], np.ones(4))
    np.testing.assert_array_equal(fn.rastrigin.minimizers(3)[0], np.zeros(3))


def test_saddle_has_no_minimum_and_an_indefinite_hessian_at_the_origin():
    assert fn.saddle.minimum == [] and fn.saddle.min_value is None
    np.testing.assert_array_equal(fn.saddle.grad(0.0, 0.0), [0.0, 0.0])
    eig = np.linalg.eigvalsh(fn.saddle.hessian(0.0, 0.0))
    assert eig.min() < 0 < eig.max()
    assert fn.saddle(0.0, -3.0) == -9.0


def test_ill_conditioned_quadratic_condition_number():
    eig = np.linalg.eigvalsh(fn.ill_conditioned_quadratic.hessian(np.array([0.3, -0.2])))
    assert eig.max() / eig.min() == pytest.approx(100.0)


def test_rosenbrock_is_the_tutorials_function_and_gradient():
    X, Y = np.meshgrid(np.linspace(-2, 2, 30), np.linspace(-2, 2, 20))
    np.testing.assert_array_equal(fn.rosenbrock(X, Y), (1 - X) ** 2 + 100 * (Y - X**2) ** 2)
    for x, y in [(-1.5, -1.5), (0.3, 0.7), (1.0, 1.0)]:
        tutorial = np.array([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])
        np.testing.assert_array_equal(fn.rosenbrock.grad(x, y), tutorial)


@pytest.mark.parametrize("f", TWO_D, ids=lambda f: f.name)
def test_values_gradients_and_hessians_broadcast_over_meshgrids(f):
    (x0, x1), (y0, y1) = f.domain
    X, Y = np.meshgrid(np.linspace(x0, x1, 4), np.linspace(y0, y1, 3))
    Z = f(X, Y)
    assert Z.shape == X.shape
    np.testing.assert_array_equal(Z, f(np.stack([X, Y])))
    G, H = f.grad(X, Y), f.hessian(X, Y)
    assert G.shape == (2, 3, 4) and H.shape == (2, 2, 3, 4)
    for i in range(3):
        for j in range(4):
            p = np.array([X[i, j], Y[i, j]])
            assert Z[i, j] == pytest.approx(f(p), rel=1e-14, abs=1e-14)
            np.testing.assert_allclose(G[:, i, j], f.grad(p), rtol=1e-14, atol=1e-14)
            np.testing.assert_allclose(H[:, :, i, j], f.hessian(p), rtol=1e-14, atol=1e-14)


def test_grid_covers_the_domain():
    X, Y, Z = fn.himmelblau.grid(7)
    assert X.shape == (7, 7) and X.min() == -5 and Y.max() == 5
    np.testing.assert_array_equal(Z, fn.himmelblau(X, Y))


@pytest.mark.parametrize(
    "num, error, match",
    [
        (1, ValueError, r"num must lie in \[2, 5000\]"),  # a contour needs two points a side
        (-3, ValueError, r"num must lie in \[2, 5000\].*got -3"),
        (10**6, ValueError, r"num\*\*2 points in all"),  # was NumPy's MemoryError (7 TiB)
        (2.5, TypeError, "num must be a whole number of points; got 2.5"),
        (True, TypeError, "whole number"),
    ],
)
def test_grid_refuses_a_bad_number_of_points(num, error, match):
    with pytest.raises(error, match=match):
        fn.rosenbrock.grid(num)


def test_scalar_inputs_give_python_floats_and_lists_are_accepted():
    assert isinstance(fn.booth(1.0, 3.0), float)
    assert fn.booth([1.0, 3.0]) == 0.0


def test_integer_inputs_are_computed_in_floating_point():
    big = 10**6
    expected = (1.0 - big) ** 2 + 100.0 * (0.0 - float(big) ** 2) ** 2
    assert fn.rosenbrock(np.array([big, 0])) == expected
    assert fn.rosenbrock(big, 0) == expected
    assert isinstance(fn.booth(1, 3), float)


def test_catalog_and_lookup():
    assert set(fn.ALL) == {f.name for f in TWO_D}
    assert fn.get("beale") is fn.beale
    with pytest.raises(ValueError, match="no test function named 'nope'; choose one of rosen"):
        fn.get("nope")


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: fn.booth(np.ones(3)), ValueError, "booth takes 2 variables, got 3"),
        (lambda: fn.booth(1.0, 2.0, 3.0), ValueError, "booth takes 2 variables, got 3"),
        (lambda: fn.rosenbrock(np.ones(1)), ValueError, "at least 2 variables, got 1"),
        (lambda: fn.rosenbrock(1.0), ValueError, "got the scalar 1.0"),
        (lambda: fn.beale(), TypeError, "needs a vector x or the coordinates"),
        (lambda: fn.beale.grad(["a", "b"]), TypeError, "expected numbers"),
        (lambda: fn.rastrigin.minimizers(0), ValueError, "at least 1 variables"),
        (lambda: fn.booth.minimizers(3), ValueError, "booth takes 2 variables, got 3"),
    ],
)
def test_bad_input_is_explained(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---- against the autodiff engine (skipped until it lands) -------------------------------


def engine():
    import gradkit.autodiff as ad

    if not hasattr(ad, "grad") or not hasattr(ad, "hessian"):
        pytest.skip("the autodiff engine (gk.grad, gk.hessian) has not landed yet")
    return ad


@pytest.mark.parametrize("f", TWO_D, ids=lambda f: f.name)
def test_closed_forms_equal_autodiff(f):
    ad = engine()
    rng = np.random.default_rng(1)
    (x0, x1), (y0, y1) = f.domain
    for _ in range(5):
        x = np.array([rng.uniform(x0, x1), rng.uniform(y0, y1)])
        np.testing.assert_allclose(ad.grad(f)(x), f.grad(x), rtol=1e-12, atol=1e-10)
        np.testing.assert_allclose(ad.hessian(f)(x), f.hessian(x), rtol=1e-12, atol=1e-9)


def test_nd_closed_forms_equal_autodiff():
    ad = engine()
    x = np.linspace(-1.2, 1.7, 6)
    for f in (fn.rosenbrock, fn.rastrigin):
        np.testing.assert_allclose(ad.grad(f)(x), f.grad(x), rtol=1e-12, atol=1e-10)
        np.testing.assert_allclose(ad.hessian(f)(x), f.hessian(x), rtol=1e-12, atol=1e-9)


def test_two_argument_form_differentiates_per_coordinate():
    ad = engine()
    dx, dy = ad.grad(fn.rosenbrock, argnums=(0, 1))(-1.5, -1.5)
    np.testing.assert_allclose([dx, dy], fn.rosenbrock.grad(-1.5, -1.5), rtol=1e-14)


def test_coordinates_as_lists_huge_values_and_complex_input():
    """Lists as separate coordinates raised a raw TypeError ('list' and 'int'); 1e200
    raised Python's OverflowError (the vector form gave inf); complex input returned a
    complex value silently."""
    np.testing.assert_array_equal(
        fn.rosenbrock([1.0, 2.0], [3.0, 4.0]), [400.0, 1.0]
    )  # (1-a)^2 + 100 (b-a^2)^2 at (1,3), (2,4)
    np.testing.assert_array_equal(fn.booth([1.0, 2.0], [3.0, 4.0]), [0.0, 18.0])
    with pytest.warns(RuntimeWarning, match="overflow"):
        assert fn.rosenbrock(1e200, 1.0) == np.inf
    with pytest.raises(TypeError, match="real numbers"):
        fn.booth(np.array([1 + 1j, 2.0]))
