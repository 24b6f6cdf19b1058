"""gradkit.symbolic gradient, hessian and directional_derivative against closed forms."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from gradkit.symbolic import directional_derivative, gradient, hessian, parse

x, y, z = (sympy.Symbol(n, real=True) for n in "xyz")


def test_gradient_closed_form():
    g = gradient("x^2 y + sin(z)", "x y z")
    assert g.shape == (3, 1)
    assert list(g) == [2 * x * y, x**2, sympy.cos(z)]


def test_gradient_default_variables_are_sorted_by_name():
    assert list(gradient("b a^2")) == [
        2 * sympy.Symbol("a", real=True) * sympy.Symbol("b", real=True),
        sympy.Symbol("a", real=True) ** 2,
    ]


def test_gradient_order_follows_vars():
    assert list(gradient("x y^2", ["y", "x"])) == [2 * x * y, y**2]
    assert list(gradient("x y^2", [y, x])) == [2 * x * y, y**2]


def test_hessian_closed_form_and_symmetry():
    h = hessian("x^3 y^2 + exp(x y)", "x y")
    e = sympy.exp(x * y)
    expected = sympy.Matrix(
        [
            [6 * x * y**2 + y**2 * e, 6 * x**2 * y + e + x * y * e],
            [6 * x**2 * y + e + x * y * e, 2 * x**3 + x**2 * e],
        ]
    )
    assert (h - expected).applyfunc(sympy.simplify) == sympy.zeros(2, 2)
    assert sympy.simplify(h[0, 1] - h[1, 0]) == 0


def test_hessian_matches_sympy_hessian_for_rosenbrock():
    text = "(1 - x)^2 + 100 (y - x^2)^2"
    expected = sympy.hessian(parse(text), (x, y))
    assert (hessian(text, "x y") - expected).applyfunc(sympy.expand) == sympy.zeros(2, 2)


def test_directional_derivative_normalizes_the_direction():
    # grad(x^2 + y^2) at (1, 2) is (2, 4); u = (3, 4)/5; (6 + 16)/5 = 22/5.
    assert directional_derivative("x^2 + y^2", "x y", [1, 2], [3, 4]) == sympy.Rational(22, 5)
    # Scaling the direction does not change the answer.
    assert directional_derivative("x^2 + y^2", "x y", [1, 2], [30, 40]) == sympy.Rational(22, 5)


def test_directional_derivative_at_a_mapping_point_and_symbolically():
    value = directional_derivative("x y", "x y", {"x": 2, "y": 3}, [1, 1])
    assert value == 5 * sympy.sqrt(2) / 2
    expression = directional_derivative("x y", "x y", None, [1, 1])
    assert sympy.simplify(expression - (x + y) / sympy.sqrt(2)) == 0


def test_directional_derivative_accepts_numpy_and_floats():
    value = directional_derivative("sin(x) + y", "x y", np.array([0.0, 1.0]), np.array([1, 0]))
    assert float(value) == pytest.approx(1.0)
    assert float(directional_derivative("x^2", "x", [1.5], [-2.0])) == pytest.approx(-3.0)


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        (("x y", "x y", [1, 2], [0, 0]), ValueError, "nonzero"),
        (("x y", "x y", [1, 2], [1, 0, 0]), ValueError, "3 components but there are 2"),
        (("x y", "x y", [1], [1, 0]), ValueError, "1 components but there are 2"),
        (("x y", "x y", {"x": 1}, [1, 0]), ValueError, "no value for y"),
        (("x y", "x y", [1, 2], ["a", 0]), TypeError, "numbers"),
        (("x y", "x y", [1, 2], 5), TypeError, "sequence"),
    ],
)
def test_directional_derivative_errors(args, error, match):
    with pytest.raises(error, match=match):
        directional_derivative(*args)


@pytest.mark.parametrize(
    ("vars", "error", "match"),
    [
        (["x", "x"], ValueError, "distinct"),
        ([], ValueError, "at least one"),
        (3, TypeError, "variables must be"),
        (["x", "1y"], ValueError, "a variable must be a name"),
    ],
)
def test_variable_errors(vars, error, match):
    with pytest.raises(error, match=match):
        gradient("x y", vars)
