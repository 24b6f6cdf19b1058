"""Safe parsing of math text into SymPy expressions.

The text is never handed to Python: a small tokenizer and a recursive-descent parser
read it, and SymPy objects are built by calling SymPy's constructors
(``sympy.Symbol``, ``sympy.Integer``, ``sympy.sin``, ...). Nothing here calls
``eval``, ``exec``, ``sympify`` or ``parse_expr``.

Grammar (lowest precedence first)::

    expr    := term (("+" | "-") term)*
    term    := unary (("*" | "/") unary | unary-starting-with-a-name-or-"(")*
    unary   := ("+" | "-") unary | power
    power   := primary (("^" | "**") unary)?          (right associative)
    primary := number | name | function "(" expr ("," expr)? ")" | "(" expr ")"

A name directly followed by ``(`` must be a known function (``foo(x)`` is an error,
so a typo never turns silently into a product); with a space, ``x (x + 1)`` is a product.

so ``-x^2`` is ``-(x^2)``, ``2^3^2`` is ``2^9``, ``2x^2`` is ``2*(x^2)`` and
``1/2x`` is ``(1/2)*x`` (implicit multiplication binds like ``*``).

Every cost is bounded before SymPy sees it: the input length, name length, nesting
depth, the digits of every integer (typed or computed), and the exponents of numeric
and symbolic powers. Input beyond a limit raises :class:`ParseError` at once.

>>> parse("2x^2 + 3 sin(x)")
2*x**2 + 3*sin(x)
>>> parse("log(x, 2)")
log(x)/log(2)
>>> parse("x.__class__")
Traceback (most recent call last):
...
gradkit.symbolic.parser.ParseError: unexpected character '.'; expected a number, a name, ...
  x.__class__
   ^
"""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Callable
from typing import Any, NamedTuple

import sympy

from gradkit.symbolic.functions import relu, sigmoid, softplus

__all__ = ["ParseError", "parse", "FUNCTIONS", "CONSTANTS", "RESERVED", "LIMITS"]

#: The hard limits on what :func:`parse` accepts; each exists so that a hostile
#: input is refused in microseconds instead of running SymPy for hours.
LIMITS = {
    "max_length": 2000,  # characters of input
    "max_name_length": 40,  # characters in one variable name
    "max_depth": 60,  # nested parentheses / signs / exponents
    "max_digits": 100,  # decimal digits of any integer, typed or computed
    "max_exponent": 1000,  # |numerator| and |denominator| of a symbolic power's exponent
    "max_float_exponent": 300,  # |e| in a literal like 1e300
    "max_magnitude": 1e300,  # size of any constant, typed or computed
}


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
CONSTANTS: dict[str, Any] = {"pi": sympy.pi, "e": sympy.E}

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

_NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_OPERATORS = ("**", "+", "-", "*", "/", "^", "(", ")", ",")
# Unicode signs pasted from documents, read as their ASCII meaning.
_ALIASES = {"\u2212": "-", "\u00b7": "*", "\u00d7": "*", "\u22c5": "*"}


class ParseError(ValueError):
    """Raised when text is not a formula :func:`parse` accepts.

    Attributes: ``position`` (0-based index into the text), ``text`` (the input) and
    ``reason`` (the message without the caret picture). ``str(error)`` shows the text
    with a caret under the position.

    >>> try:
    ...     parse("x + * 2")
    ... except ParseError as error:
    ...     print(error.position, error.reason)
    4 expected a number, a name or '(' but found '*'
    """

    def __init__(self, reason: str, position: int, text: str) -> None:
        self.reason = reason
        self.position = position
        self.text = text
        super().__init__(self._render())

    def _render(self) -> str:
        # A window of the text keeps the caret picture readable for long inputs.
        start = max(0, self.position - 40)
        snippet = self.text[start : self.position + 40]
        prefix = "..." if start > 0 else ""
        suffix = "..." if self.position + 40 < len(self.text) else ""
        caret = " " * (len(prefix) + self.position - start) + "^"
        return f"{self.reason} at position {self.position}\n  {prefix}{snippet}{suffix}\n  {caret}"


_DIGITS = frozenset("0123456789")


class _Token(NamedTuple):
    kind: str  # "number", "name", "op" or "end"
    text: str
    position: int
    spaced: bool = False  # whitespace comes right before it


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    spaced = False
    depth = 0
    while i < n:
        char = _ALIASES.get(text[i], text[i])
        if char.isspace():
            i += 1
            spaced = True
            continue
        # ASCII digits only: str.isdigit() also takes '²', which no number pattern reads
        if char in _DIGITS or (char == "." and i + 1 < n and text[i + 1] in _DIGITS):
            match = _NUMBER.match(text, i)
            assert match is not None  # a digit or ".digit" always matches
            mantissa, exponent = match.group(1), match.group(2)
            if sum(c.isdigit() for c in mantissa) > LIMITS["max_digits"]:
                raise ParseError(
                    f"number too long (more than {LIMITS['max_digits']} digits)", i, text
                )
            if exponent and abs(int(exponent[1:])) > LIMITS["max_float_exponent"]:
                raise ParseError(
                    f"exponent of {match.group(0)!r} too large "
                    f"(the limit is {LIMITS['max_float_exponent']})",
                    i,
                    text,
                )
            tokens.append(_Token("number", match.group(0), i, spaced))
            i = match.end()
            spaced = False
            continue
        if char.isalpha() and char.isascii():
            match = _NAME.match(text, i)
            assert match is not None
            name = match.group(0)
            if len(name) > LIMITS["max_name_length"]:
                raise ParseError(
                    f"name too long ({len(name)} characters; the limit is "
                    f"{LIMITS['max_name_length']})",
                    i,
                    text,
                )
            tokens.append(_Token("name", name, i, spaced))
            i = match.end()
            spaced = False
            continue
        operator = "**" if text.startswith("**", i) else char
        if operator in _OPERATORS:
            # Refuse deep nesting here already: no need to read the rest of the input.
            depth += {"(": 1, ")": -1}.get(operator, 0)
            if depth > LIMITS["max_depth"]:
                raise ParseError(
                    f"expression nested too deeply (the limit is {LIMITS['max_depth']})", i, text
                )
            tokens.append(_Token("op", operator, i, spaced))
            i += len(operator)
            spaced = False
            continue
        raise ParseError(
            f"unexpected character {text[i]!r}; expected a number, a name, an operator "
            "(+ - * / ^ **) or a parenthesis",
            i,
            text,
        )
    tokens.append(_Token("end", "", n))
    return tokens


class _Parser:
    """Recursive descent over the token list; depth-counted so it never overflows."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0
        self.depth = 0
        self.symbols: dict[str, sympy.Symbol] = {}

    # -- token helpers -------------------------------------------------------------
    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at(self, *operators: str) -> bool:
        token = self.current
        return token.kind == "op" and token.text in operators

    def error(self, reason: str, token: _Token | None = None) -> ParseError:
        token = token or self.current
        return ParseError(reason, token.position, self.text)

    def found(self, token: _Token) -> str:
        return "the end of the input" if token.kind == "end" else repr(token.text)

    def expect(self, operator: str, context: str) -> _Token:
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
            elif token.kind == "name" or self.at("("):
                # Implicit multiplication: 2x, 2 sin(x), x y, (x+1)(x-1).
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
        raise self.error(f"expected a number, a name or '(' but found {self.found(token)}")

    def name(self, token: _Token) -> Any:
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

    def call(self, token: _Token) -> Any:
        constructor, arities = FUNCTIONS[token.text]
        self.expect("(", f"after the function name {token.text!r}")
        arguments = [self.expr()]
        while self.at(","):
            self.advance()
            arguments.append(self.expr())
        self.expect(")", f"to close the call of {token.text!r}")
        if len(arguments) not in arities:
            wanted = " or ".join(str(a) for a in arities)
            raise self.error(
                f"{token.text}() takes {wanted} argument(s), got {len(arguments)}", token
            )
        if token.text == "log" and len(arguments) == 2:
            base = arguments[1]
            if base.is_number and (base.is_zero or base == 1 or base.is_negative):
                raise self.error(f"log base must be positive and not 1, got {base}", token)
        return self.checked(constructor(*arguments), token)

    def checked(self, value: Any, token: _Token) -> Any:
        """Refuse results SymPy made infinite or too large, pointing at the operator."""
        if value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            raise self.error("the expression is undefined here (division by zero?)", token)
        limit = LIMITS["max_digits"]
        for atom in value.atoms(sympy.Rational):
            if max(abs(atom.p), atom.q).bit_length() > limit * 3.33:
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


def _not_real(token: _Token) -> str:
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


def _safe_power(base: Any, exponent: Any, token: _Token, text: str) -> Any:
    """Build ``base ** exponent`` only when the numbers it creates stay small."""
    limit = LIMITS["max_digits"]
    if base.is_Number and exponent.is_Number:
        if base.is_zero and exponent.is_negative:
            raise ParseError("division by zero (0 to a negative power)", token.position, text)
        if abs(base) != 1 and not base.is_zero:
            size = max(_digits(base), abs(math.log10(abs(float(base)))) if base.is_Float else 0)
            estimate = float(abs(exponent)) * max(size, 1e-3)
            if estimate > limit:
                raise ParseError(
                    f"number too large: {base}^{_short(exponent)} would have about "
                    f"{_short_float(estimate)} digits (the limit is {limit})",
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
    gradkit.symbolic.parser.ParseError: number too large: 9^387420489 would have about ...
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
