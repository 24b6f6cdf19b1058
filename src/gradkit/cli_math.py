"""Exact evaluation for the command line: values at a point, stated honestly.

A value is computed from the exact point (``--at pi/2`` stays π/2, a float stays its
own binary value) under a deadline. What comes back is one of: a float; a real number
beyond the float range, stated with its size (``e^x`` at ``x = 1e308``); or, for a
derivative that has no value where the function has one, a sentence saying why
(``√x`` at 0: the derivative is +∞, a vertical tangent). Work that cannot finish in
seconds (``cos(e^(e^x))`` at 30 needs π to trillions of digits) stops with a
:class:`~gradkit.cli.CliError`.

>>> import sympy
>>> x = sympy.Symbol("x", real=True)
>>> evaluate(sympy.exp(x), {"x": sympy.Integer(10**6)}).text
'3.03322e+434294 (beyond the range of a float, about 1.8e308)'
>>> print(singular_derivative(1 / (2 * sympy.sqrt(x)), x, {"x": sympy.Integer(0)}))
the derivative is +∞ at x = 0, from the right (a vertical tangent); for x < 0 the ...
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import mpmath
import sympy

from gradkit.cli import CliError
from gradkit.symbolic.deadline import SymbolicTimeout, time_limit
from gradkit.symbolic.unicode import expr_unicode

__all__ = ["Value", "evaluate", "singular_derivative", "EVALUATION_SECONDS", "show_point"]

#: Seconds one evaluation may take before the command stops with an error.
EVALUATION_SECONDS = 5.0

# Failures of mpmath on numbers beyond its range (e^(e^(1e300)) has an exponent with
# 10^299 digits): a RecursionError in its series, decimal.InvalidOperation when
# printing, OverflowError or MemoryError elsewhere.
_TOO_LARGE: tuple[type[BaseException], ...] = (
    RecursionError,
    OverflowError,
    MemoryError,
    ArithmeticError,
)


@dataclass(frozen=True)
class Value:
    """A real value: ``number`` (a float, ±inf when beyond the float range) and ``text``."""

    number: float
    text: str


def _fmt(value: float) -> str:
    return f"{float(value):.12g}"


def show_point(point: dict[str, Any]) -> str:
    """``x = π/2, y = 1`` for the exact point (numbers as the user would write them).

    >>> show_point({"x": sympy.pi / 2, "y": sympy.Rational(0.5)})
    'x = π/2, y = 0.5'
    """
    parts = []
    for name, value in point.items():
        shown = _fmt(float(value)) if value.is_Rational else expr_unicode(value)
        parts.append(f"{name} = {shown}")
    return ", ".join(parts)


def _number(expr: Any, point: dict[str, Any], what: str) -> Any:
    """The SymPy number of ``expr`` at ``point`` (evalf under the deadline)."""
    substitutions = {symbol: point[symbol.name] for symbol in expr.free_symbols}
    where = show_point({name: point[name] for name in sorted(point)})
    try:
        with time_limit(EVALUATION_SECONDS, f"evaluating {what} at {where}"):
            # xreplace: a structural swap, much faster than subs on large formulas
            exact = expr.xreplace(substitutions)
            _check_periodic_arguments(exact, what, where)
            return exact.evalf()
    except SymbolicTimeout as error:
        raise CliError(
            f"{error}: the formula or its numbers are too large to evaluate; try a smaller "
            "value or a shorter formula"
        ) from None
    except _TOO_LARGE:
        return None  # beyond mpmath: the caller tries the logarithm


_PERIODIC = (sympy.sin, sympy.cos, sympy.tan, sympy.sec, sympy.csc, sympy.cot)
#: The largest argument of sin, cos, tan, ... evaluated (as the parser's constants).
MAX_PERIODIC_ARGUMENT = 1e300


def _check_periodic_arguments(expr: Any, what: str, where: str) -> None:
    """Refuse sin, cos, ... of a number beyond 1e300: reducing it modulo 2π needs π to as
    many digits as the number has (sin(e^(e^30)): trillions), which never finishes."""
    for atom in expr.atoms(*_PERIODIC):
        argument = None
        try:
            argument = atom.args[0].evalf(15)
            size = abs(complex(argument))
        except (TypeError, ValueError, *_TOO_LARGE):  # type: ignore[misc]
            size = math.inf
        if size > MAX_PERIODIC_ARGUMENT:
            if size == math.inf and getattr(argument, "is_Float", False):
                shown = "about " + _magnitude(_log10(mpmath.mpf(argument._mpf_)))  # type: ignore[union-attr]
            else:
                shown = "beyond 1e300" if size == math.inf else f"about {size:.3g}"
            name = atom.func.__name__
            raise CliError(
                f"{what} at {where} needs {name} of a number {shown}; gradkit evaluates "
                f"{name} of numbers up to 1e300 (beyond, reducing by 2π needs more digits "
                "of π than can be computed)"
            )


def _log_size(expr: Any, point: dict[str, Any], what: str) -> tuple[Any, int] | None:
    """(ln|value| as an mpmath number, sign) of a value too large for mpmath itself,
    from ``log(expr)`` expanded (``ln(e^(e^x))`` is ``e^x``), or None."""
    logarithm = sympy.expand_log(sympy.log(expr), force=True)
    value = _number(logarithm, point, what)
    if value is None or not value.is_number:
        return None
    real, imaginary = value.as_real_imag()
    if not (real.is_Float and imaginary.is_Number):
        return None
    sign = 1 if abs(imaginary) < 1e-9 else -1 if abs(abs(imaginary) - sympy.pi) < 1e-9 else 0
    return (mpmath.mpf(real._mpf_), sign) if sign else None


def _magnitude(log10_value: Any, precise: bool = True) -> str:
    """A positive number given by its log10, written short even when that is huge.

    With ``precise`` False the log is known to about 15 digits only, so beyond 10^(10^6)
    no mantissa is shown (its digits would be noise).

    >>> _magnitude(mpmath.mpf(400.5))
    '3.16228e+400'
    >>> _magnitude(mpmath.mpf(10) ** 299 * 4)
    '10^(4.0e+299)'
    """
    with mpmath.workdps(40 + len(str(int(abs(log10_value)))) if abs(log10_value) < 1e15 else 40):
        if abs(log10_value) < (1e15 if precise else 1e6):
            exponent = int(mpmath.floor(log10_value))
            mantissa = mpmath.power(10, log10_value - exponent)
            return f"{mpmath.nstr(mantissa, 6)}e{exponent:+d}"
        sign = "-" if log10_value < 0 else ""
        inner = mpmath.log10(abs(log10_value))
        if inner < 1e15:
            return f"10^({sign}{mpmath.nstr(abs(log10_value), 6, min_fixed=1, max_fixed=1)})"
        return f"10^({sign}10^({mpmath.nstr(inner, 6)}))"


def _log10(number: Any) -> Any:
    """log10 of a huge or tiny mpmath number, at the precision its exponent needs."""
    with mpmath.workdps(30 + len(str(abs(int(number.exp))))):
        return mpmath.log10(abs(number))


def _beyond(log10_value: Any, sign: int, precise: bool = True) -> Value:
    """The Value of a real number outside the float range, given its log10 and sign."""
    shown = ("-" if sign < 0 else "") + _magnitude(log10_value, precise)
    if log10_value > 0:
        return Value(sign * math.inf, f"{shown} (beyond the range of a float, about 1.8e308)")
    return Value(sign * 0.0, f"{shown} (below the range of a float, which rounds it to 0)")


def evaluate(expr: Any, point: dict[str, Any], what: str = "the expression") -> Value:
    """The real value of ``expr`` at the exact ``point``; CliError when it has none.

    Args:
        expr: a SymPy expression whose variables all have values in ``point``.
        point: variable name -> exact SymPy number.
        what: names the expression in messages ("the derivative", ...).
    """
    where = ", ".join(f"{name}={_fmt(float(v))}" for name, v in point.items())
    number = _number(expr, point, what)
    if number is None:
        size = _log_size(expr, point, what)
        if size is None:
            raise CliError(
                f"{what} at {where} is beyond what can be computed (its size passes "
                "10^(10^300)); try a smaller value"
            )
        log_value, sign = size
        return _beyond(log_value / mpmath.log(10), sign, precise=False)
    try:
        value = complex(number)
    except (TypeError, ValueError, ArithmeticError):  # zoo, nan, 1/0: no number to show
        raise CliError(f"{what} has no finite real value at {where}") from None
    if number.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo) or math.isnan(value.real):
        raise CliError(f"{what} has no finite real value at {where}")
    if abs(value.imag) > 1e-12 * max(1.0, abs(value.real)):
        raise CliError(f"{what} has no finite real value at {where}")
    real = sympy.re(number)
    if not math.isfinite(value.real) or (value.real == 0 and real != 0 and real.is_Float):
        # a real number beyond the float range, or so small that a float rounds it to 0
        big = mpmath.mpf(real._mpf_)
        return _beyond(_log10(big), 1 if big > 0 else -1)
    return Value(value.real, _fmt(value.real))


def _limit(expr: Any, var: Any, at: Any, direction: str) -> Any:
    try:
        with time_limit(EVALUATION_SECONDS, "the limit"):
            return sympy.limit(expr, var, at, direction)
    except (SymbolicTimeout, NotImplementedError, ValueError, TypeError, *_TOO_LARGE):  # type: ignore[misc]
        return None


def _side(value: Any) -> str | None:
    if value is None:
        return None
    if value == sympy.oo:
        return "+∞"
    if value == -sympy.oo:
        return "-∞"
    if value.is_real and value.is_finite:
        return _fmt(float(value))
    return None  # complex or undefined: the function is not real on that side


def singular_derivative(derivative: Any, var: Any, point: dict[str, Any]) -> str:
    """Say what the derivative does at a point where its formula has no value.

    Called when the function has a real value at ``point`` but ``derivative`` does not.
    The one-sided limits of the derivative tell a vertical tangent (both +∞, or one side
    where the function is not real), a cusp (+∞ and -∞) or a jump in the slope.

    Args:
        derivative: the derivative's formula.
        var: the variable of differentiation (a SymPy symbol).
        point: variable name -> exact SymPy number.
    """
    others = {s: point[s.name] for s in derivative.free_symbols if s != var}
    at = point[var.name]
    formula = derivative.subs(others, simultaneous=True)
    right, left = (_side(_limit(formula, var, at, side)) for side in ("+", "-"))
    where = f"{var} = {show_point({var.name: at}).split(' = ', 1)[1]}"
    if right is not None and right == left:
        if right in ("+∞", "-∞"):
            return f"the derivative is {right} at {where} (a vertical tangent)"
        return (
            f"the derivative's formula has no value at {where}, but it tends to {right} "
            "from both sides"
        )
    if (right is None) != (left is None):
        side, value = ("right", right) if right is not None else ("left", left)
        other = "<" if side == "right" else ">"
        kind = " (a vertical tangent)" if value in ("+∞", "-∞") else ""
        return (
            f"the derivative is {value} at {where}, from the {side}{kind}; for "
            f"{var} {other} {where.split(' = ', 1)[1]} the function has no real value"
        )
    if right is not None and left is not None:
        kind = "a cusp" if {right, left} == {"+∞", "-∞"} else "a corner"
        return (
            f"the derivative does not exist at {where} ({kind}): it tends to {right} from "
            f"the right and {left} from the left"
        )
    return f"the derivative does not exist at {where}: its formula has no real value there"
