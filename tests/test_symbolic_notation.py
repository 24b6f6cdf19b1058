"""Student notation in the parser: superscripts, π, √, Greek variables, functions
without parentheses; non-ASCII digits and constants as variables are refused by name.
Each case is compared with the ASCII formula written out independently."""

import pytest
import sympy

from gradkit.symbolic import ParseError, derive, parse

x = sympy.Symbol("x", real=True)


@pytest.mark.parametrize(
    ("student", "ascii_text"),
    [
        ("x²", "x^2"),
        ("x³ + x¹⁰", "x^3 + x^10"),
        ("x⁻¹", "x^(-1)"),
        ("x⁻²", "1/x^2"),
        ("(x+1)²", "(x+1)^2"),
        ("2x²", "2*(x^2)"),
        ("x²y", "x^2*y"),
        ("π", "pi"),
        ("π x", "pi*x"),
        ("2π", "2*pi"),
        ("πx", "pi*x"),
        ("√x", "sqrt(x)"),
        ("√(x+1)", "sqrt(x+1)"),
        ("√x²", "sqrt(x^2)"),
        ("√2 x", "sqrt(2)*x"),
        ("2√x", "2*sqrt(x)"),
        ("sin x", "sin(x)"),
        ("ln x", "log(x)"),
        ("ln x + 1", "log(x) + 1"),
        ("sin 2x", "sin(2*x)"),
        ("sin x cos x", "sin(x)*cos(x)"),
        ("sin x²", "sin(x^2)"),
        ("sin -x", "sin(-x)"),
        ("sin²x", "sin(x)^2"),
        ("cos² x + sin² x", "cos(x)^2 + sin(x)^2"),
        ("e^x", "exp(x)"),
        ("e^sin x", "exp(sin(x))"),
        ("2x", "2*x"),
        ("x · y", "x*y"),
        ("x × y ÷ 2", "x*y/2"),
        ("x − 1", "x - 1"),
    ],
)
def test_student_notation_reads_as_the_ascii_formula(student, ascii_text):
    assert parse(student) == parse(ascii_text)


def test_greek_letters_are_variables_that_can_be_differentiated():
    expr = parse("θ² + α1 θ")
    theta, alpha1 = sorted(expr.free_symbols, key=lambda s: s.name != "θ")
    assert theta.name == "θ" and alpha1.name == "α1"
    assert derive(expr, "θ").result == 2 * theta + alpha1
    assert parse("θ_max").name == "θ_max"
    assert parse("xθ") == x * sympy.Symbol("θ", real=True)


@pytest.mark.parametrize(
    ("text", "position", "phrase"),
    [
        ("1٠5", 1, "ARABIC-INDIC DIGIT ZERO) is not an ASCII digit"),
        ("x + ٣", 4, "ARABIC-INDIC DIGIT THREE) is not an ASCII digit"),
        ("x١", 1, "not an ASCII digit"),
        ("１ + x", 0, "FULLWIDTH DIGIT ONE"),
        ("2.٥", 2, "not an ASCII digit"),
        ("x⁻", 1, "superscript '⁻' is not a whole number"),
        ("sin⁻¹x", 0, "is ambiguous"),
        ("sin", 3, "or an argument as in sin x"),
        ("10^100 * x", 2, "about 101 digits (the limit is 100"),
        ("10^50 * 10^50 x", 0, "more than 100 digits"),
    ],
)
def test_unreadable_notation_is_refused_with_its_position(text, position, phrase):
    with pytest.raises(ParseError) as info:
        parse(text)
    assert info.value.position == position
    assert phrase in info.value.reason


def test_the_largest_integers_below_the_digit_limit_are_accepted():
    assert parse("10^99 x") == sympy.Integer(10) ** 99 * x
    assert parse("1e100 x") == sympy.Float("1e100") * x


@pytest.mark.parametrize("name", ["pi", "π", "e", "E"])
def test_differentiating_with_respect_to_a_constant_is_refused(name):
    with pytest.raises(ValueError, match="not a variable"):
        derive("x + pi + e", name)
