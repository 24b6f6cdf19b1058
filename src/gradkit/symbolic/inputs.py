"""Turning what users pass (text, SymPy objects, numbers, variable names) into SymPy.

Shared by ``derive``, ``gradient``, ``hessian``, ``directional_derivative`` and
``lambdify`` so that every entry point accepts the same things and refuses the same
things with the same messages.

>>> as_variables(parse("x y + z"), None)
[x, y, z]
>>> as_variables(parse("x y"), "y, x")
[y, x]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import sympy

from gradkit.symbolic.parser import CONSTANTS, RESERVED, parse
from gradkit.symbolic.tokenizer import GREEK

__all__ = ["as_expression", "as_variable", "as_variables"]

_NAME = re.compile(r"(?:[A-Za-z][A-Za-z0-9_]*|[" + "".join(sorted(GREEK)) + r"][0-9_A-Za-z]*)\Z")


def as_expression(expr_or_text: Any) -> Any:
    """Return a SymPy expression: text is parsed safely, numbers are wrapped.

    >>> as_expression("2x")
    2*x
    """
    if isinstance(expr_or_text, str):
        return parse(expr_or_text)
    if isinstance(expr_or_text, sympy.Basic):
        return _one_symbol_per_name(expr_or_text)
    if isinstance(expr_or_text, bool):
        raise TypeError("expected a formula (str) or a SymPy expression, got bool")
    if isinstance(expr_or_text, int):
        return sympy.Integer(expr_or_text)
    if isinstance(expr_or_text, float):
        return sympy.Float(expr_or_text)
    raise TypeError(
        f"expected a formula (str) or a SymPy expression, got {type(expr_or_text).__name__}"
    )


def _one_symbol_per_name(expr: Any) -> Any:
    """``expr`` with each name standing for one symbol.

    ``parse("x^2") + sympy.sin(sympy.Symbol("x"))`` holds two symbols named x, the real
    one ``parse`` made and a plain one; differentiated by name, one of them would be held
    constant and the derivative silently wrong. A plain ``Symbol("x")`` means the real
    ``x`` (see :func:`as_variable`), so every symbol of a shared name becomes the real
    one, or the first by SymPy's order when none is real.
    """
    symbols: set[Any] = getattr(expr, "free_symbols", set())
    by_name: dict[str, list] = {}
    for symbol in symbols:
        by_name.setdefault(symbol.name, []).append(symbol)
    swaps = {}
    for group in by_name.values():
        if len(group) > 1:
            group.sort(key=sympy.default_sort_key)
            keep = next((sym for sym in group if sym.is_real), group[0])
            swaps.update({sym: keep for sym in group if sym is not keep})
    return expr.xreplace(swaps) if swaps else expr


def as_variable(expr: Any, var: Any) -> Any:
    """Return the symbol of ``expr`` named ``var`` (a new real symbol if it has none).

    ``var`` may be a name or a ``sympy.Symbol``; a symbol that is not in ``expr`` is
    matched by name, so ``sympy.Symbol("x")`` finds the real ``x`` that ``parse`` made.

    >>> as_variable(parse("x + y"), "y")
    y
    >>> as_variable(parse("x + y"), sympy.Symbol("x")).is_real
    True
    """
    if isinstance(var, sympy.Symbol):
        if var in expr.free_symbols:
            return var
        # A plain Symbol("x") means the real x that parse() created.
        var = var.name
    if not isinstance(var, str):
        raise TypeError(f"a variable must be a name or a sympy.Symbol, got {type(var).__name__}")
    if var in CONSTANTS or var in RESERVED:
        meaning = (
            ("Euler's number e = 2.71828..." if var == "e" else "the constant π = 3.14159...")
            if var in CONSTANTS
            else RESERVED[var]
        )
        raise ValueError(
            f"cannot differentiate with respect to {var!r}, which is not a variable "
            f"({meaning}); choose one of the formula's variables"
        )
    if not _NAME.match(var):
        raise ValueError(f"a variable must be a name such as 'x' or 'w1', got {var!r}")
    for symbol in expr.free_symbols:
        if symbol.name == var:
            return symbol
    return sympy.Symbol(var, real=True)


def as_variables(expr: Any, variables: Any) -> list[Any]:
    """Return the list of symbols for ``variables``.

    ``None`` means every free symbol of ``expr``, sorted by name; a string is split on
    commas and spaces (``"x, y"`` or ``"x y"``); otherwise a sequence of names or symbols.
    """
    if variables is None:
        return sorted(expr.free_symbols, key=lambda s: s.name)
    if isinstance(variables, str):
        variables = [name for name in re.split(r"[\s,]+", variables) if name]
    if isinstance(variables, sympy.Symbol):
        variables = [variables]
    if not isinstance(variables, Sequence):
        raise TypeError(
            f"variables must be names, a list of names or symbols, got {type(variables).__name__}"
        )
    symbols = [as_variable(expr, v) for v in variables]
    if len(set(symbols)) != len(symbols):
        raise ValueError(f"variables must be distinct, got {[str(s) for s in symbols]}")
    if not symbols:
        raise ValueError("expected at least one variable")
    return symbols
