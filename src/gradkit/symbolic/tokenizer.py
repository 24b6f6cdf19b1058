"""Reading math text into tokens: ASCII formulas and the notation students write.

Besides ``x^2``, ``sqrt(x)`` and ``pi``, the tokenizer reads the notation of a
textbook or the tour: superscript exponents (``x²``, ``x⁻¹``, ``(x+1)³``), ``π``,
``√``, Greek variables (``θ``, ``α1``), and the signs ``−``, ``·``, ``×``, ``÷``.
Digits must be ASCII: ``١٠`` or ``１`` would read as numbers the user may not have meant
(Python's ``float`` and regular expressions accept them), so they are refused by name.

>>> [token.text for token in tokenize("2θ x²")]
['2', 'θ', 'x', '^', '2', '']
>>> tokenize("1٠5")
Traceback (most recent call last):
...
gradkit.symbolic.tokenizer.ParseError: '٠' (ARABIC-INDIC DIGIT ZERO) is not an ASCII digit; ...
  1٠5
   ^
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

__all__ = ["ParseError", "Token", "tokenize", "LIMITS", "GREEK", "SUPERSCRIPTS"]

#: The hard limits on what the parser accepts; each exists so that a hostile
#: input is refused in microseconds instead of running SymPy for hours.
LIMITS = {
    "max_length": 2000,  # characters of input
    "max_name_length": 40,  # characters in one variable name
    "max_depth": 60,  # nested parentheses / signs / exponents
    "max_digits": 100,  # decimal digits of any integer, typed or computed
    "max_exponent": 1000,  # |numerator| and |denominator| of a symbolic power's exponent
    "max_float_exponent": 300,  # |e| in a literal like 1e300
    "max_magnitude": 1e300,  # size of any constant, typed or computed
    "max_variables": 20,  # variables of a gradient or Hessian (n derivatives, n^2)
    "max_factors": 100,  # factors of one product to differentiate (n terms of n factors)
}

_NUMBER = re.compile(r"([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
#: The Greek letters read as variables (π is the constant); the basic letters only, as
#: Python would fold look-alikes such as ϑ into θ when the name becomes a parameter.
GREEK = frozenset(
    chr(c) for c in [*range(0x391, 0x3AA), *range(0x3B1, 0x3CA)] if chr(c) not in "\u03a2π"
)
_GREEK_NAME = re.compile(r"[^\W\d_][0-9]*(?:_[A-Za-z0-9_]*)?")
_OPERATORS = ("**", "+", "-", "*", "/", "^", "(", ")", ",", "√", "|")
# Unicode signs pasted from documents, read as their ASCII meaning.
_ALIASES = {"\u2212": "-", "\u00b7": "*", "\u00d7": "*", "\u22c5": "*", "\u00f7": "/"}
#: Superscript characters and the ASCII they stand for: ``x²`` is ``x^2``.
SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+", strict=True))
_DIGITS = frozenset("0123456789")


class ParseError(ValueError):
    """Raised when text is not a formula :func:`~gradkit.symbolic.parse` accepts.

    Attributes: ``position`` (0-based index into the text), ``text`` (the input) and
    ``reason`` (the message without the caret picture). ``str(error)`` shows the text
    with a caret under the position.

    >>> from gradkit.symbolic import parse
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


class Token(NamedTuple):
    """One token: ``kind`` is "number", "name", "op" or "end"; ``superscript`` marks the
    ``^`` and exponent read from superscript characters (``sin²x`` needs to know)."""

    kind: str
    text: str
    position: int
    spaced: bool = False  # whitespace comes right before it
    superscript: bool = False


def _check_digits(text: str, start: int, end: int) -> None:
    """Refuse any digit other than 0-9 in ``text[start:end]``, naming it."""
    for i in range(start, end):
        char = text[i]
        if char not in _DIGITS and unicodedata.category(char) == "Nd":
            raise ParseError(
                f"{char!r} ({unicodedata.name(char, 'a digit')}) is not an ASCII digit; "
                "write numbers with the digits 0-9",
                i,
                text,
            )


def _superscript(text: str, i: int, spaced: bool) -> tuple[list[Token], int]:
    """The tokens ``^`` and a number for the superscript run starting at ``text[i]``."""
    end = i
    while end < len(text) and text[end] in SUPERSCRIPTS:
        end += 1
    ascii_run = "".join(SUPERSCRIPTS[c] for c in text[i:end])
    if not re.fullmatch(r"[-+]?[0-9]+", ascii_run):
        raise ParseError(
            f"superscript {text[i:end]!r} is not a whole number; write x^(...) for other exponents",
            i,
            text,
        )
    if len(ascii_run.lstrip("+-")) > LIMITS["max_digits"]:
        raise ParseError(f"number too long (more than {LIMITS['max_digits']} digits)", i, text)
    tokens = [
        Token("op", "^", i, spaced, superscript=True),
        Token("number", ascii_run, i, False, superscript=True),
    ]
    return tokens, end


def tokenize(text: str) -> list[Token]:
    """Return the tokens of ``text``, ending with an "end" token; ParseError on bad input.

    >>> [token.text for token in tokenize("√x·π")]
    ['√', 'x', '*', 'π', '']
    """
    tokens: list[Token] = []
    i, n = 0, len(text)
    spaced = False
    depth = 0
    while i < n:
        char = _ALIASES.get(text[i], text[i])
        if char.isspace():
            i += 1
            spaced = True
            continue
        if char in SUPERSCRIPTS:
            run, i = _superscript(text, i, spaced)
            tokens.extend(run)
            spaced = False
            continue
        # ASCII digits only: str.isdigit() also takes '²' and '٠', which no number reads
        if char in _DIGITS or (char == "." and i + 1 < n and text[i + 1] in _DIGITS):
            match = _NUMBER.match(text, i)
            assert match is not None  # a digit or ".digit" always matches
            _check_digits(text, match.end(), min(n, match.end() + 1))
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
            tokens.append(Token("number", match.group(0), i, spaced))
            i = match.end()
            spaced = False
            continue
        _check_digits(text, i, i + 1)
        if (char.isalpha() and char.isascii()) or char in GREEK or char == "π":
            match = (_NAME if char.isascii() else _GREEK_NAME).match(text, i)
            assert match is not None
            name = "π" if char == "π" else match.group(0)
            _check_digits(text, match.end(), min(n, match.end() + 1))
            if len(name) > LIMITS["max_name_length"]:
                raise ParseError(
                    f"name too long ({len(name)} characters; the limit is "
                    f"{LIMITS['max_name_length']})",
                    i,
                    text,
                )
            tokens.append(Token("name", name, i, spaced))
            i += len(name)
            spaced = False
            continue
        operator = "**" if text.startswith("**", i) else char
        if operator in _OPERATORS:
            # Refuse deep nesting here already: no need to read the rest of the input.
            depth += {"(": 1, ")": -1, "|": 1}.get(operator, 0)
            if depth > LIMITS["max_depth"]:
                raise ParseError(
                    f"expression nested too deeply (the limit is {LIMITS['max_depth']})", i, text
                )
            tokens.append(Token("op", operator, i, spaced))
            i += len(operator)
            spaced = False
            continue
        raise ParseError(
            f"unexpected character {text[i]!r}; expected a number, a name, an operator "
            "(+ - * / ^ **) or a parenthesis",
            i,
            text,
        )
    tokens.append(Token("end", "", n))
    return tokens
