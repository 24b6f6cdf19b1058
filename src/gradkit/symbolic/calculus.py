"""Many variables: the gradient, the Hessian and the directional derivative, symbolically.

Every entry is a :func:`~gradkit.symbolic.derive` result, so each partial derivative
has its named steps (``derive(expr, "y")`` shows them) and the same simplification.

>>> gradient("x^2 y + y^3")
Matrix([
[       2*x*y],
[x**2 + 3*y**2]])
>>> hessian("x^2 y + y^3")
Matrix([
[2*y, 2*x],
[2*x, 6*y]])
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import sympy

from gradkit.symbolic.deadline import with_time_limit
from gradkit.symbolic.derivation import derive
from gradkit.symbolic.inputs import as_expression, as_variables
from gradkit.symbolic.tokenizer import LIMITS

__all__ = ["gradient", "hessian", "directional_derivative"]


@with_time_limit("the gradient")
def gradient(expr: Any, vars: Any = None) -> Any:
    """Return the gradient as a column ``sympy.Matrix`` of partial derivatives.

    Args:
        expr: a formula (parsed safely) or a SymPy expression.
        vars: the variables in order (``"x y"``, ``["x", "y"]`` or symbols); ``None``
            means every free symbol, sorted by name.

    Returns:
        ``Matrix([df/dx1, ..., df/dxn])``.

    >>> gradient("x y", ["y", "x"])
    Matrix([
    [x],
    [y]])
    """
    expression = as_expression(expr)
    variables = _bounded(as_variables(expression, vars))
    return sympy.Matrix([derive(expression, v).result for v in variables])


def _bounded(variables: list[Any]) -> list[Any]:
    """``variables``, or a ValueError when there are more than ``LIMITS["max_variables"]``."""
    limit = LIMITS["max_variables"]
    if len(variables) > limit:
        raise ValueError(
            f"{len(variables)} variables: gradkit.symbolic computes gradients and Hessians "
            f"of at most {limit} variables (a Hessian has n^2 entries); for more, use "
            "gk.grad on NumPy code"
        )
    return variables


@with_time_limit("the Hessian")
def hessian(expr: Any, vars: Any = None) -> Any:
    """Return the Hessian, the ``sympy.Matrix`` of second partial derivatives.

    Each entry differentiates the simplified first partial derivative again, so the
    matrix is computed, not assumed, to be symmetric.

    Args:
        expr: a formula (parsed safely) or a SymPy expression.
        vars: the variables in order; ``None`` means every free symbol, sorted by name.

    Returns:
        ``Matrix`` with entry ``(i, j)`` equal to ``d^2 f / dx_i dx_j``.

    >>> hessian("sin(x) y", "x y")
    Matrix([
    [-y*sin(x), cos(x)],
    [   cos(x),      0]])
    """
    expression = as_expression(expr)
    variables = _bounded(as_variables(expression, vars))
    first = [derive(expression, v).result for v in variables]
    return sympy.Matrix([[derive(d, v).result for v in variables] for d in first])


@with_time_limit("the directional derivative")
def directional_derivative(expr: Any, vars: Any, point: Any, direction: Any) -> Any:
    """Return the rate of change of ``expr`` at ``point`` along ``direction``.

    As in the tutorial, the direction is normalized first: the result is
    ``grad f(point) . u / |u|``, the slope per unit of distance travelled. (For the
    unnormalized ``grad f . u``, scale the result by ``|u|``.)

    Args:
        expr: a formula (parsed safely) or a SymPy expression.
        vars: the variables, in the order of ``point`` and ``direction``.
        point: the coordinates (a sequence, or a mapping from variable name to value);
            ``None`` returns the directional derivative as an expression.
        direction: a nonzero vector with one component per variable.

    Returns:
        An exact SymPy value (or expression when ``point`` is ``None``).

    Raises:
        ValueError: wrong lengths, a zero direction, or a point missing a variable.

    >>> directional_derivative("x^2 + y^2", "x y", [1, 2], [3, 4])
    22/5
    >>> directional_derivative("x y", "x y", None, [1, 1])
    sqrt(2)*(x + y)/2
    """
    expression = as_expression(expr)
    variables = as_variables(expression, vars)
    u = _vector(direction, len(variables), "direction")
    norm = sympy.sqrt(sum(c**2 for c in u))
    if norm == 0:
        raise ValueError("the direction must be a nonzero vector (it is normalized to length 1)")
    grad = gradient(expression, variables)
    value = sum(g * c for g, c in zip(grad, u)) / norm
    if point is None:
        return sympy.simplify(value)
    return sympy.simplify(value.subs(_point(point, variables), simultaneous=True))


def _vector(values: Any, size: int, what: str) -> list[Any]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        try:
            values = list(values)
        except TypeError:
            raise TypeError(f"{what} must be a sequence of {size} numbers") from None
    if len(values) != size:
        raise ValueError(f"{what} has {len(values)} components but there are {size} variables")
    return [_number(v, what) for v in values]


def _number(value: Any, what: str) -> Any:
    if isinstance(value, sympy.Basic):
        return value
    if isinstance(value, bool) or not hasattr(value, "__float__"):
        raise TypeError(f"{what} must hold numbers, got {value!r}")
    if isinstance(value, numbers.Integral):
        return sympy.Integer(int(value))
    return sympy.Float(float(value))


def _point(point: Any, variables: list[Any]) -> dict[Any, Any]:
    if isinstance(point, Mapping):
        by_name = {str(k): v for k, v in point.items()}
        missing = [v.name for v in variables if v.name not in by_name]
        if missing:
            raise ValueError(f"the point gives no value for {', '.join(missing)}")
        return {v: _number(by_name[v.name], "point") for v in variables}
    return dict(zip(variables, _vector(point, len(variables), "point")))
