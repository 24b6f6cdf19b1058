"""Formulas in Unicode, as a textbook prints them: ``x²``, ``2x``, ``x·sin(x)``, ``√x``, ``π``.

The command line and :meth:`~gradkit.symbolic.Derivation.to_text` use this printer, so
what a student reads is the notation :func:`~gradkit.symbolic.parse` accepts back:
every formula printed here parses to the same expression.

>>> from gradkit.symbolic import parse
>>> expr_unicode(parse("x^2 sin(x) + sqrt(x + 1) / 2 + e^(-x^2/2) + pi"))
'x²·sin(x) + √(x + 1)/2 + π + e^(-x²/2)'
>>> prose_unicode("n u^(n-1); sqrt(u) = u^(1/2); x^2")
'n uⁿ⁻¹; √u = u^(1/2); x²'
"""

from __future__ import annotations

import re
from typing import Any

import sympy
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter

__all__ = ["expr_unicode", "prose_unicode", "superscript"]

_SUPERSCRIPT = str.maketrans("0123456789-+n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺ⁿ")
# "2·x" -> "2x": an integer coefficient (not part of a name, an exponent or a decimal)
# written against the letter, root or parenthesis that follows it.
_JUXTAPOSE = re.compile(r"(?<![\w.^√⁰¹²³⁴⁵⁶⁷⁸⁹])(\d+)·(?=[^\W\d_]|[(√])")
# Larger expressions print without sorting their terms: SymPy's canonical order costs
# seconds on a derivative of a few thousand operations, and only its order differs.
_SORT_LIMIT = 300


def superscript(text: str) -> str:
    """Return digits and signs in superscript: ``superscript("-12")`` is ``'⁻¹²'``.

    >>> "x" + superscript("10")
    'x¹⁰'
    """
    return text.translate(_SUPERSCRIPT)


class _UnicodePrinter(StrPrinter):
    def _print_Exp1(self, expr: Any) -> str:
        return "e"

    def _print_Pi(self, expr: Any) -> str:
        return "π"

    def _print_log(self, expr: Any) -> str:
        return "ln(" + ", ".join(self._print(arg) for arg in expr.args) + ")"

    def _print_Abs(self, expr: Any) -> str:
        return "|" + self._print(expr.args[0]) + "|"

    def _print_exp(self, expr: Any) -> str:
        if expr.args[0].is_Integer and expr.args[0] > 1:
            return "e" + superscript(str(expr.args[0]))
        return "e^" + self._grouped(expr.args[0])

    def _grouped(self, expr: Any) -> str:
        """``expr`` as an exponent or root argument: bare when it is one symbol or number."""
        text = self._print(expr)
        simple = expr.is_Symbol or (expr.is_Integer and expr >= 0) or expr in (sympy.pi, sympy.E)
        return text if simple else f"({text})"

    def _print_Pow(self, expr: Any, rational: bool = False) -> str:
        base, exponent = expr.base, expr.exp
        if exponent.is_Rational and exponent.is_negative:
            return "1/" + self.parenthesize(base**-exponent, PRECEDENCE["Mul"], strict=True)
        if exponent == sympy.S.Half:
            return "√" + self._grouped(base)
        shown_base = self.parenthesize(base, PRECEDENCE["Pow"], strict=True)
        if base.is_Rational and not base.is_Integer or base.is_Float or base.is_negative:
            shown_base = f"({self._print(base)})"
        if exponent.is_Integer:
            return shown_base + superscript(str(exponent))
        return f"{shown_base}^{self._grouped(exponent)}"


def expr_unicode(expr: Any) -> str:
    """Return a SymPy expression as one line of Unicode mathematics.

    Powers are superscripts (``x²``) or ``x^(1/3)``; products use ``·``, with a number
    written against what it multiplies (``2x``); ``sqrt`` is ``√``, ``log`` is ``ln``,
    ``exp(u)`` is ``e^u``, ``pi`` is ``π`` and ``Abs`` is ``|u|``.

    Args:
        expr: a SymPy expression (from :func:`~gradkit.symbolic.parse` or ``derive``).

    >>> import sympy
    >>> x = sympy.Symbol("x")
    >>> expr_unicode(3 * x**2 / (x + 1) - x ** sympy.Rational(1, 3) - 1 / sympy.sqrt(x))
    '-x^(1/3) + 3x²/(x + 1) - 1/√x'
    """
    order = None if sympy.count_ops(expr) <= _SORT_LIMIT else "none"
    text = _UnicodePrinter({"order": order}).doprint(expr).replace("*", "·")
    return _JUXTAPOSE.sub(r"\1", text)


_PROSE = (
    (re.compile(r"\^\(n-1\)"), "ⁿ⁻¹"),
    (re.compile(r"\^(-?\d+)\b"), lambda m: superscript(m.group(1))),
    (re.compile(r"sqrt\((\w)\)"), r"√\1"),
    (re.compile(r"sqrt\("), "√("),
)


def prose_unicode(text: str) -> str:
    """Return a rule's sentence with its ASCII formulas in Unicode (``u^2`` as ``u²``).

    >>> prose_unicode("1/(2 sqrt(u)) and e^u")
    '1/(2 √u) and e^u'
    """
    for pattern, replacement in _PROSE:
        text = pattern.sub(replacement, text)
    return text
