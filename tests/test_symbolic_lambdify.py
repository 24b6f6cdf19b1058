"""gradkit.symbolic.lambdify: values, errors, and one function with three derivatives.

For every exercise of the battery the symbolic derivative (``derive``), the automatic
derivative (``gk.grad`` of the lambdified function) and the numerical derivative
(``gk.numerical.derivative``) must agree at random points of the function's domain.
"""

from __future__ import annotations

import builtins
import warnings
import zlib

import numpy as np
import pytest
import sympy
from symbolic_battery import BATTERY

import gradkit as gk
from gradkit.symbolic import LambdifyError, derive, hessian, lambdify, parse, relu


def _names(expr, var):
    return sorted({s.name for s in expr.free_symbols} | {var})


def _near_a_kink(df, point, index, h=1e-3):
    """True when the derivative jumps within h of the point (relu, abs: no finite
    difference can straddle such a point and agree with the one-sided value)."""
    moved = [list(point), list(point)]
    moved[0][index] -= h
    moved[1][index] += h
    with np.errstate(all="ignore"):
        left, mid, right = df(*moved[0]), df(*point), df(*moved[1])
    scale = 1.0 + abs(mid)
    return not (abs(left - mid) < 0.1 * scale and abs(right - mid) < 0.1 * scale)


def _domain_points(f, df, count, size, index, rng):
    """Random points where f and its derivative are finite and moderate, away from 0
    and away from kinks."""
    points = []
    for _ in range(200):
        point = [float(v) for v in rng.uniform(0.1, 2.5, size)]
        with np.errstate(all="ignore"):
            value, slope = f(*point), df(*point)
        if (
            np.isfinite(value)
            and np.isfinite(slope)
            and abs(slope) < 1e4
            and point[index] > 0.12
            and not _near_a_kink(df, point, index)
        ):
            points.append(point)
        if len(points) == count:
            break
    return points


def _numerical_derivative(f, x0):
    """gk.numerical.derivative; where it refuses, a plain five-point stencil.

    A function that is constant up to rounding (``cosh^2 - sinh^2``) has no convergent
    difference quotient, and gk.numerical says so rather than guess; the stencil's
    answer is then noise of order 1e-13, which the comparison tolerates.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a constant f has an infinite relative error estimate
        try:
            return float(gk.numerical.derivative(f, x0))
        except gk.numerical.NumericalDerivativeError:
            h = 1e-3
            return float((f(x0 - 2 * h) - 8 * f(x0 - h) + 8 * f(x0 + h) - f(x0 + 2 * h)) / (12 * h))


@pytest.mark.parametrize(("formula", "var"), BATTERY, ids=[f"{f}|{v}" for f, v in BATTERY])
def test_symbolic_automatic_and_numerical_derivatives_agree(formula, var):
    expr = parse(formula)
    d = derive(expr, var)
    names = _names(expr, var)
    index = names.index(var)
    f, df = lambdify(expr, names), lambdify(d.result, names)
    rng = np.random.default_rng(zlib.crc32(formula.encode()))  # hash() varies per process
    points = _domain_points(f, df, 3, len(names), index, rng)
    assert points, f"no point of the domain found for {formula}"
    for point in points:
        symbolic = float(df(*point))
        automatic = float(gk.grad(f, argnums=index)(*point))

        def along(t, point=point):
            return f(*point[:index], t, *point[index + 1 :])

        numerical = _numerical_derivative(along, point[index])
        assert automatic == pytest.approx(symbolic, rel=1e-8, abs=1e-10), (formula, point)
        assert numerical == pytest.approx(symbolic, rel=1e-5, abs=1e-7), (formula, point)


@pytest.mark.parametrize(("formula", "var"), BATTERY[::3])
def test_values_match_sympy_evaluation(formula, var):
    expr = parse(formula)
    names = _names(expr, var)
    f = lambdify(expr, names)
    rng = np.random.default_rng(7)
    checked = 0
    for _ in range(20):
        point = [float(v) for v in rng.uniform(0.2, 2.0, len(names))]
        expected = complex(
            expr.evalf(subs={sympy.Symbol(n, real=True): v for n, v in zip(names, point)})
        )
        with np.errstate(all="ignore"):
            value = float(f(*point))
        if expected.imag != 0:  # outside the real domain NumPy gives nan, SymPy a complex
            assert np.isnan(value)
            continue
        assert value == pytest.approx(expected.real, rel=1e-12, abs=1e-12)
        checked += 1
    assert checked > 0


def test_works_elementwise_on_arrays():
    f = lambdify("x^2 + sin(y)", "x y")
    xs = np.array([0.0, 1.0, 2.0])
    np.testing.assert_allclose(f(xs, 0.0), xs**2)
    np.testing.assert_allclose(f(xs, xs), xs**2 + np.sin(xs))


def test_constant_expression_keeps_the_input_shape_and_has_zero_gradient():
    f = lambdify("pi^2", "x")
    np.testing.assert_allclose(f(np.zeros(3)), np.full(3, np.pi**2))
    assert float(gk.grad(f)(1.0)) == 0.0


def test_activations_use_gradkits_nn_functions_and_relu_prime_of_zero_is_zero():
    f = lambdify("relu(x) + sigmoid(x) + softplus(x)", "x")
    assert float(f(0.0)) == pytest.approx(0.5 + np.log(2.0))
    relu_f = lambdify(relu(sympy.Symbol("x", real=True)), "x")
    assert float(gk.grad(relu_f)(0.0)) == 0.0
    assert float(gk.grad(relu_f)(2.0)) == 1.0
    heaviside = lambdify(derive("relu(x)").result, "x")
    np.testing.assert_array_equal(heaviside(np.array([-1.0, 0.0, 1.0])), [0.0, 0.0, 1.0])


def test_engine_hessian_of_lambdified_function_matches_symbolic_hessian():
    text = "x^2 y + sin(x) y^3"
    f = lambdify(text, "x y")
    point = np.array([0.7, -1.3])
    engine = gk.hessian(lambda v: f(v[0], v[1]))(point)
    symbolic = hessian(text, "x y").subs(
        {sympy.Symbol("x", real=True): 0.7, sympy.Symbol("y", real=True): -1.3}
    )
    np.testing.assert_allclose(engine, np.array(symbolic, dtype=float), rtol=1e-12)


def test_lambdify_never_evaluates_text(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("eval/exec called")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    f = lambdify("x^x + log(x, 2) / sqrt(x) - sigmoid(x) + 2^x", "x")
    assert np.isfinite(f(1.5))


def test_attributes_record_expression_and_variables():
    f = lambdify("x y", ["y", "x"])
    assert f.vars == (sympy.Symbol("y", real=True), sympy.Symbol("x", real=True))
    assert f.expr == parse("x y")
    assert "NumPy function of (y, x)" in f.__doc__


@pytest.mark.parametrize(
    ("expr", "vars", "error", "match"),
    [
        (sympy.gamma(sympy.Symbol("x")), "x", LambdifyError, "no NumPy counterpart for gamma"),
        ("x y", "x", LambdifyError, "uses y, which is not among vars"),
        (sympy.Symbol("x") + sympy.asin(2), "x", LambdifyError, "not a finite real number"),
        ("x + asin(2)", "x", ValueError, "asin needs an argument in"),  # parse refuses it
        ("x +", "x", ValueError, "expected a number"),
        (3j, "x", TypeError, "expected a formula"),
    ],
)
def test_errors(expr, vars, error, match):
    with pytest.raises(error, match=match):
        lambdify(expr, vars)


def test_wrong_number_of_arguments():
    with pytest.raises(TypeError, match=r"expected 2 argument\(s\) \(x, y\), got 1"):
        lambdify("x y", "x y")(1.0)


def test_integer_inputs_are_computed_as_floats_not_wrapped_around():
    """An int64 array reached NumPy's integer power and product and wrapped around:
    x**40 at 3 gave -6289078614652622815. Exact values from Python's integers."""
    np.testing.assert_allclose(lambdify("x^40")(np.array([3])), [float(3**40)], rtol=1e-15)
    assert lambdify("x^3")(np.int64(3_000_000)) == pytest.approx(float(3_000_000**3))
    np.testing.assert_allclose(
        lambdify("x y")(np.array([2**40]), np.array([2**40])), [float(2**80)], rtol=1e-15
    )
    assert lambdify("x + y")(np.int8(100), np.int8(100)) == 200.0
    np.testing.assert_allclose(lambdify("x^-2")(np.array([2**32])), [2.0**-64], rtol=1e-15)


def test_heaviside_of_nan_is_nan_and_acot_of_minus_zero_is_sympys():
    x = sympy.Symbol("x")
    got = lambdify(sympy.Heaviside(x), [x])(np.array([np.nan, -1.0, 0.0, 2.0]))
    np.testing.assert_array_equal(got, [np.nan, 0.0, 0.5, 1.0])  # it gave 0.5 at NaN
    with np.errstate(divide="ignore"):
        assert lambdify(sympy.acot(x), [x])(-0.0) == float(sympy.acot(0))  # pi/2, not -pi/2
    assert lambdify(sympy.acot(x), [x])(-1.0) == pytest.approx(float(sympy.acot(-1)))


def test_a_constant_is_itself_at_an_infinite_input():
    """2 at x = inf was 2 + 0 * inf = NaN."""
    f = lambdify("2", "x")
    assert f(np.inf) == 2.0
    np.testing.assert_array_equal(f(np.array([1.0, -np.inf, np.inf])), [2.0, 2.0, 2.0])


@pytest.mark.parametrize(
    "build",
    [
        lambda: lambdify(sympy.Symbol("x") ** sympy.sqrt(-1)),
        lambda: lambdify(relu(sympy.sqrt(-1)) * sympy.Symbol("x")),
        lambda: lambdify(sympy.Heaviside(sympy.Symbol("x"), sympy.Symbol("h")), "x h"),
    ],
)
def test_complex_or_symbolic_constants_are_a_lambdify_error(build):
    """They raised TypeError or SymPy's ValueError from float()/complex()."""
    with pytest.raises(LambdifyError, match="number"):
        build()
