"""Safe parsing of math text into SymPy expressions.

The text is never handed to Python: a small tokenizer and a recursive-descent parser
read it, and SymPy objects are built by calling SymPy's constructors
(``sympy.Symbol``, ``sympy.Integer``, ``sympy.sin``, ...). Nothing here calls
``eval``, ``exec``, ``sympify`` or ``parse_expr``.

Grammar (lowest precedence first)::

    expr    := term (("+" | "-") term)*
    term    := unary (("*" | "/") unary | unary-starting-with-a-name-"("-or-"√")*
    unary   := ("+" | "-" | "√") unary | power
    power   := primary (("^" | "**" | superscript) unary)?     (right associative)
    primary := number | name | call | "(" expr ")" | "|" expr "|"
    call    := function superscript? ("(" expr ("," expr)? ")" | unary name*)

A name directly followed by ``(`` must be a known function (``foo(x)`` is an error,
so a typo never turns silently into a product); with a space, ``x (x + 1)`` is a product.
A function of one argument may go without parentheses, as in a textbook: ``sin x``,
``ln x + 1`` (that is ``ln(x) + 1``), ``sin 2x`` (``sin(2x)``), ``sin x cos x``, and
``sin²x`` is ``sin(x)^2``.

So ``-x^2`` is ``-(x^2)``, ``2^3^2`` is ``2^9``, ``2x^2`` is ``2*(x^2)``,
``1/2x`` is ``(1/2)*x`` (implicit multiplication binds like ``*``), ``√x²`` is
``sqrt(x^2)`` and ``√2 x`` is ``sqrt(2)*x``. The tokenizer
(:mod:`gradkit.symbolic.tokenizer`) reads ``x²``, ``x⁻¹``, ``π``, ``√``, Greek
variables (``θ``) and refuses digits other than 0-9.

Every cost is bounded before SymPy sees it: the input length, name length, nesting
depth, the digits of every integer (typed or computed), and the exponents of numeric
and symbolic powers. Input beyond a limit raises :class:`ParseError` at once.

>>> parse("2x^2 + 3 sin(x)")
2*x**2 + 3*sin(x)
>>> parse("log(x, 2)")
log(x)/log(2)
>>> parse("√(x+1) + π θ² + sin x")
pi*θ**2 + sqrt(x + 1) + sin(x)
>>> parse("x.__class__")
Traceback (most recent call last):
...
gradkit.symbolic.tokenizer.ParseError: unexpected character '.'; expected a number, a name, ...
  x.__class__
   ^
"""

from __future__ import annotations

import keyword
import math
from collections.abc import Callable
from typing import Any

import sympy

from gradkit.symbolic.functions import relu, sigmoid, softplus
from gradkit.symbolic.tokenizer import LIMITS, ParseError, Token, tokenize

__all__ = ["ParseError", "parse", "FUNCTIONS", "CONSTANTS", "RESERVED", "LIMITS"]

#: Function names the parser knows, with their SymPy constructor and accepted arities.
FUNCTIONS: dict[str, tuple[Callable[..., Any], tuple[int, ...]]] = {
    "sin": (sympy.sin, (1,)),
    "cos": (sympy.cos, (1,)),
    "tan": (sympy.tan, (1,)),
    "sec": (sympy.sec, (1,)),
    "csc": (sympy.csc, (1,)),
    "cot": (sympy.cot, (1,)),
    "asin": (sympy.asin, (1,)),
    "arcsin": (sympy.asin, (1,)),
    "acos": (sympy.acos, (1,)),
    "arccos": (sympy.acos, (1,)),
    "atan": (sympy.atan, (1,)),
    "arctan": (sympy.atan, (1,)),
    "sinh": (sympy.sinh, (1,)),
    "cosh": (sympy.cosh, (1,)),
    "tanh": (sympy.tanh, (1,)),
    "asinh": (sympy.asinh, (1,)),
    "arcsinh": (sympy.asinh, (1,)),
    "acosh": (sympy.acosh, (1,)),
    "arccosh": (sympy.acosh, (1,)),
    "atanh": (sympy.atanh, (1,)),
    "arctanh": (sympy.atanh, (1,)),
    "exp": (sympy.exp, (1,)),
    "log": (sympy.log, (1, 2)),
    "ln": (sympy.log, (1,)),
    "sqrt": (sympy.sqrt, (1,)),
    "abs": (sympy.Abs, (1,)),
    "sigmoid": (sigmoid, (1,)),
    "relu": (relu, (1,)),
    "softplus": (softplus, (1,)),
    # the steps in the derivatives of abs and relu, so that a result reads back in
    "sign": (sympy.sign, (1,)),
    "Abs": (sympy.Abs, (1,)),  # as results print abs
    "Heaviside": (sympy.Heaviside, (1, 2)),
}

#: Names that mean a constant rather than a variable.
CONSTANTS: dict[str, Any] = {"pi": sympy.pi, "π": sympy.pi, "e": sympy.E}

#: Names refused as variables, with what they mean elsewhere and what to write instead.
#: SymPy prints its constants this way (Euler's number as ``E``, the imaginary unit as
#: ``I``, infinity as ``oo``), so a variable of such a name would print exactly like
#: the constant, and a reader (or a user coming from SymPy) would take one for the other.
RESERVED: dict[str, str] = {
    "E": "Euler's number in SymPy; write e for Euler's number (e^x, exp(x))",
    "I": "the imaginary unit in SymPy; gradkit's formulas are real",
    "oo": "infinity in SymPy; formulas hold finite real numbers only",
    "zoo": "complex infinity in SymPy; formulas hold finite real numbers only",
    "nan": "'not a number' in SymPy; formulas hold finite real numbers only",
    "inf": "infinity in NumPy; formulas hold finite real numbers only",
    "infinity": "infinity; formulas hold finite real numbers only",
}


class _Parser:
    """Recursive descent over the token list; depth-counted so it never overflows."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0
        self.symbols: dict[str, sympy.Symbol] = {}

    # -- token helpers -------------------------------------------------------------
    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at(self, *operators: str) -> bool:
        token = self.current
        return token.kind == "op" and token.text in operators

    def error(self, reason: str, token: Token | None = None) -> ParseError:
        token = token or self.current
        return ParseError(reason, token.position, self.text)

    def found(self, token: Token) -> str:
        return "the end of the input" if token.kind == "end" else repr(token.text)

    def expect(self, operator: str, context: str) -> Token:
        if not self.at(operator):
            found = self.found(self.current)
            raise self.error(f"expected {operator!r} {context} but found {found}")
        return self.advance()

    # -- grammar -------------------------------------------------------------------
    def parse(self) -> Any:
        result = self.expr()
        token = self.current
        if token.kind != "end":
            if token.kind == "number":
                reason = f"expected an operator before the number {token.text!r}"
            else:
                reason = f"unexpected {token.text!r}; expected an operator or the end of the input"
            raise self.error(reason)
        return result

    def expr(self) -> Any:
        # Operands are collected and combined once: SymPy's Add(*terms) is linear, while
        # adding one term at a time re-flattens the sum at every step (quadratic).
        first = self.current
        terms = [self.term()]
        while self.at("+", "-"):
            operator = self.advance()
            term = self.term()
            terms.append(term if operator.text == "+" else self.checked(-term, operator))
        if len(terms) == 1:
            return terms[0]
        return self.checked(sympy.Add(*terms), first)

    def term(self) -> Any:
        first = self.current
        factors = [self.unary()]
        while True:
            token = self.current
            if self.at("*", "/"):
                self.advance()
                right = self.unary()
                if token.text == "/":
                    if right.is_zero:
                        raise self.error("division by zero", token)
                    right = self.checked(1 / right, token)
                factors.append(right)
            elif token.kind == "name" or self.at("(", "√"):
                # Implicit multiplication: 2x, 2 sin(x), x y, (x+1)(x-1), 2√x.
                factors.append(self.unary())
            else:
                break
        if len(factors) == 1:
            return factors[0]
        return self.checked(sympy.Mul(*factors), first)

    def unary(self) -> Any:
        self.depth += 1
        if self.depth > LIMITS["max_depth"]:
            raise self.error(f"expression nested too deeply (the limit is {LIMITS['max_depth']})")
        try:
            if self.at("-"):
                token = self.advance()
                return self.checked(-self.unary(), token)
            if self.at("+"):
                self.advance()
                return self.unary()
            if self.at("√"):
                token = self.advance()
                return self.checked(sympy.sqrt(self.unary()), token)
            return self.power()
        finally:
            self.depth -= 1

    def power(self) -> Any:
        base = self.primary()
        if self.at("^", "**"):
            token = self.advance()
            exponent = self.unary()
            return self.checked(_safe_power(base, exponent, token, self.text), token)
        return base

    def primary(self) -> Any:
        token = self.current
        if token.kind == "number":
            self.advance()
            return _number(token.text)
        if token.kind == "name":
            self.advance()
            return self.name(token)
        if self.at("("):
            self.advance()
            inner = self.expr()
            self.expect(")", f"to close the '(' at position {token.position}")
            return inner
        if self.at("|"):  # |u| is abs(u)
            self.advance()
            inner = self.expr()
            self.expect("|", f"to close the '|' at position {token.position}")
            return self.checked(sympy.Abs(inner), token)
        raise self.error(f"expected a number, a name or '(' but found {self.found(token)}")

    def name(self, token: Token) -> Any:
        name = token.text
        if name in FUNCTIONS:
            return self.call(token)
        if self.at("(") and not self.current.spaced:
            raise self.error(
                f"{name!r} is not a known function (known: {', '.join(sorted(FUNCTIONS))}); "
                f"to multiply, write {name}*(...) or {name} (...)",
                token,
            )
        if keyword.iskeyword(name) or keyword.issoftkeyword(name):
            raise self.error(
                f"{name!r} is a Python keyword, which gradkit does not take as a variable "
                f"name (variables become Python parameter names in lambdify and the CLI); "
                f"write {name}_ or another name instead",
                token,
            )
        if name in RESERVED:
            raise self.error(
                f"{name!r} is not read as a variable: it is {RESERVED[name]}; for a variable, "
                f"choose another name such as {name}0 or {name}_",
                token,
            )
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name not in self.symbols:
            self.symbols[name] = sympy.Symbol(name, real=True)
        return self.symbols[name]

    def call(self, token: Token) -> Any:
        constructor, arities = FUNCTIONS[token.text]
        power = None
        if self.at("^") and self.current.superscript:  # sin²x is sin(x)^2
            self.advance()
            written = self.text[token.position : self.current.position + len(self.current.text)]
            power = _number(self.advance().text)
            if power.is_negative:
                raise self.error(
                    f"{written.strip()} is ambiguous (an inverse function or a "
                    f"reciprocal?); write a{token.text}(x) or 1/{token.text}(x)",
                    token,
                )
        if self.at("("):
            self.advance()
            arguments = [self.expr()]
            while self.at(","):
                self.advance()
                arguments.append(self.expr())
            self.expect(")", f"to close the call of {token.text!r}")
        else:
            arguments = [self.bare_argument(token)]
        if len(arguments) not in arities:
            wanted = " or ".join(str(a) for a in arities)
            raise self.error(
                f"{token.text}() takes {wanted} argument(s), got {len(arguments)}", token
            )
        if token.text == "log" and len(arguments) == 2:
            base = arguments[1]
            if base.is_number and (base.is_zero or base == 1 or base.is_negative):
                raise self.error(f"log base must be positive and not 1, got {base}", token)
        value = self.checked(constructor(*arguments), token)
        if power is not None:
            value = self.checked(_safe_power(value, power, token, self.text), token)
        return value

    def bare_argument(self, token: Token) -> Any:
        """The argument of ``sin x`` or ``ln 2x``: a signed power and the names after it."""
        if self.current.kind == "end" or (self.current.kind == "op" and not self.at("-", "√")):
            raise self.error(
                f"expected '(' after the function name {token.text!r}, or an argument as in "
                f"{token.text} x, but found {self.found(self.current)}"
            )
        factors = [self.unary()]
        while self.current.kind == "name" and self.current.text not in FUNCTIONS:
            factors.append(self.power())
        if len(factors) == 1:
            return factors[0]
        return self.checked(sympy.Mul(*factors), token)

    def checked(self, value: Any, token: Token) -> Any:
        """Refuse results SymPy made infinite or too large, pointing at the operator."""
        if value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            raise self.error("the expression is undefined here (division by zero?)", token)
        limit = LIMITS["max_digits"]
        for atom in value.atoms(sympy.Rational):
            if max(abs(atom.p), atom.q) >= 10**limit:
                raise self.error(f"a number here would have more than {limit} digits", token)
        # Every constant stays below 1e300 in size. A function of such a number evaluates
        # in microseconds; sin(exp(10^99)), which SymPy evaluates while checking signs,
        # would need 10^99 bits of pi and never finish.
        bound = LIMITS["max_magnitude"]
        for atom in value.atoms(sympy.Float):
            if not abs(atom) <= bound:
                raise self.error(f"a number here would exceed {bound:.0e}", token)
        if value.is_number and not value.is_Rational:
            number = _complex_value(value)
            if abs(number) > bound:
                raise self.error(f"the value here would exceed {bound:.0e}", token)
            if value.has(sympy.I) or abs(number.imag) > 1e-12 * max(1.0, abs(number.real)):
                raise self.error(_not_real(token), token)
        return value


_DOMAINS = {
    "log": "log needs a positive argument",
    "ln": "ln needs a positive argument",
    "sqrt": "sqrt needs a nonnegative argument",
    "asin": "asin needs an argument in [-1, 1]",
    "arcsin": "arcsin needs an argument in [-1, 1]",
    "acos": "acos needs an argument in [-1, 1]",
    "arccos": "arccos needs an argument in [-1, 1]",
    "acosh": "acosh needs an argument of at least 1",
    "arccosh": "arccosh needs an argument of at least 1",
    "atanh": "atanh needs an argument in (-1, 1)",
    "arctanh": "arctanh needs an argument in (-1, 1)",
    "^": "a negative number to a power that is not a whole number is complex; for the "
    "real cube root of -8 write -(8^(1/3))",
}


def _not_real(token: Token) -> str:
    """Why a constant built at ``token`` is not real, in words."""
    why = _DOMAINS.get("^" if token.text == "**" else token.text, "")
    return "the value here is not a real number (gradkit's formulas are real" + (
        f": {why})" if why else ")"
    )


def _complex_value(value: Any) -> complex:
    """The value of a constant whose parts are all bounded (so evalf is quick)."""
    try:
        return complex(value.evalf(15))
    except (TypeError, ValueError, OverflowError):
        return 0j  # not a plain number (e.g. an unevaluated function of one)


def _number(text: str) -> Any:
    if any(c in text for c in ".eE"):
        return sympy.Float(text)
    return sympy.Integer(int(text))


def _digits(number: Any) -> float:
    """log10 of the size of a Rational's numerator or denominator, whichever is larger."""
    if number.is_Float:
        return 0.0  # Floats carry their own exponent; their size is never a problem
    return math.log10(max(abs(number.p), number.q, 1))


def _factor_digits(base: Any) -> float:
    """Digits of the numbers SymPy multiplies out when ``base`` is raised to a power."""
    total = 0.0
    for factor in sympy.Mul.make_args(base):
        if factor.is_Rational:
            total += _digits(factor)
        elif factor.is_Pow and factor.base.is_Rational and factor.exp.is_Rational:
            total += _digits(factor.base) * float(abs(factor.exp))
    return total


def _safe_power(base: Any, exponent: Any, token: Token, text: str) -> Any:
    """Build ``base ** exponent`` only when the numbers it creates stay small."""
    limit = LIMITS["max_digits"]
    if base.is_Number and exponent.is_Number:
        if base.is_zero and exponent.is_negative:
            raise ParseError("division by zero (0 to a negative power)", token.position, text)
        if abs(base) != 1 and not base.is_zero:
            size = max(_digits(base), abs(math.log10(abs(float(base)))) if base.is_Float else 0)
            estimate = float(abs(exponent)) * max(size, 1e-3)
            if base.is_Rational:  # an exact b^n has floor(n log10 b) + 1 digits
                estimate = math.floor(estimate) + 1
            if estimate > limit:
                raise ParseError(
                    f"number too large: {base}^{_short(exponent)} would have about "
                    f"{_short_float(estimate)} digits (the limit is {limit}; a decimal such "
                    "as 1e100 has no such limit)",
                    token.position,
                    text,
                )
        return base**exponent
    if exponent.is_Number and not exponent.is_Float:
        bound = LIMITS["max_exponent"]
        if abs(exponent.p) > bound or exponent.q > bound:
            raise ParseError(
                f"exponent {_short(exponent)} too large (numerator and denominator are "
                f"limited to {bound})",
                token.position,
                text,
            )
        # SymPy distributes powers over numeric factors: (10x)^n computes 10^n.
        if _factor_digits(base) * float(abs(exponent)) > limit:
            raise ParseError(
                f"power would create a number with more than {limit} digits",
                token.position,
                text,
            )
    if exponent.is_Float and abs(exponent) > LIMITS["max_exponent"]:
        raise ParseError(
            f"exponent {exponent} too large (the limit is {LIMITS['max_exponent']})",
            token.position,
            text,
        )
    return base**exponent


def _short(number: Any) -> str:
    text = str(number)
    return text if len(text) <= 30 else text[:12] + "..." + f"({len(text)} digits)"


def _short_float(value: float) -> str:
    return f"{value:,.0f}" if value < 1e15 else f"{value:.2e}"


def parse(text: str) -> Any:
    """Return the SymPy expression for math text, never evaluating the text as Python.

    Args:
        text: a formula such as ``"x^2 sin(x)"``, ``"2x + 3y"``, ``"log(x, 2)"`` or
            ``"sigmoid(w x + b)"``. Variables are names (letters, digits, ``_``); they
            become real SymPy symbols. ``pi`` and ``e`` are the constants.

    Returns:
        A SymPy expression built from SymPy constructors (SymPy's usual automatic
        simplifications apply, e.g. ``x*x`` becomes ``x**2``).

    Raises:
        ParseError: (a ``ValueError``) for anything else, with ``.position`` and what
            was expected, or when a limit in :data:`LIMITS` is exceeded.
        TypeError: when ``text`` is not a string.

    >>> parse("(x+1)(x-1)")
    (x - 1)*(x + 1)
    >>> parse("e^(-x^2/2) / sqrt(2 pi)")
    sqrt(2)*exp(-x**2/2)/(2*sqrt(pi))
    >>> parse("9**9**9**9")
    Traceback (most recent call last):
    ...
    gradkit.symbolic.tokenizer.ParseError: number too large: 9^387420489 would have about ...
    """
    if not isinstance(text, str):
        raise TypeError(f"parse() expects a string, got {type(text).__name__}")
    limit = LIMITS["max_length"]
    if len(text) > limit:
        raise ParseError(
            f"input too long ({len(text)} characters; the limit is {limit})", int(limit), text
        )
    if not text.strip():
        raise ParseError("empty formula; expected an expression such as x^2", 0, text)
    return _Parser(text).parse()
