"""gradkit.symbolic.parse: the grammar, the vocabulary, the errors and hostile input.

Expected expressions are built directly with SymPy constructors, independently of the
parser; hostile inputs must be refused with a ParseError (never a RecursionError, a
MemoryError, a hang, or Python code being run).
"""

from __future__ import annotations

import ast
import builtins
import pathlib

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

import gradkit as gk
from gradkit.symbolic import FUNCTIONS, LIMITS, ParseError, parse, relu, sigmoid, softplus

x, y, z, w, b = (sympy.Symbol(n, real=True) for n in "xyzwb")
SRC = pathlib.Path(gk.__file__).parent / "symbolic"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x", x),
        ("42", sympy.Integer(42)),
        ("2.5", sympy.Float("2.5")),
        (".5", sympy.Float("0.5")),
        ("1e-3", sympy.Float("0.001")),
        ("x + y - z", x + y - z),
        ("x - y - z", (x - y) - z),
        ("x / y / z", (x / y) / z),
        ("2 * x ^ 3", 2 * x**3),
        ("x ** 3", x**3),
        ("-x^2", -(x**2)),
        ("(-x)^2", x**2),
        ("2^3^2", sympy.Integer(512)),
        ("x^-1", 1 / x),
        ("2^-x", 2 ** (-x)),
        ("--x", x),
        ("+x", x),
        ("2x", 2 * x),
        ("2x^2", 2 * x**2),
        ("1/2x", x / 2),
        ("2 sin(x)", 2 * sympy.sin(x)),
        ("2sin(x)", 2 * sympy.sin(x)),
        ("x y", x * y),
        ("(x+1)(x-1)", (x + 1) * (x - 1)),
        ("x (x + 1)", x * (x + 1)),
        ("sin(x)cos(x)", sympy.sin(x) * sympy.cos(x)),
        ("2 pi x", 2 * sympy.pi * x),
        ("e^x", sympy.exp(x)),
        ("e", sympy.E),
        ("pi", sympy.pi),
        ("log(x, 2)", sympy.log(x) / sympy.log(2)),
        ("log(8, 2)", sympy.Integer(3)),
        ("ln(x)", sympy.log(x)),
        ("sqrt(x)", x ** sympy.Rational(1, 2)),
        ("abs(x)", sympy.Abs(x)),
        ("sigmoid(w x + b)", sigmoid(w * x + b)),
        ("relu(x) + softplus(x)", relu(x) + softplus(x)),
        ("x\u22121", x - 1),
        ("2\u00b7x", 2 * x),
        ("  x\t+\n1 ", x + 1),
        ("x_1 + alpha", sympy.Symbol("x_1", real=True) + sympy.Symbol("alpha", real=True)),
    ],
)
def test_parse_builds_the_expected_expression(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_name_parses_to_its_sympy_function(name):
    closed = {
        "sin": sympy.sin,
        "cos": sympy.cos,
        "tan": sympy.tan,
        "sec": sympy.sec,
        "csc": sympy.csc,
        "cot": sympy.cot,
        "asin": sympy.asin,
        "arcsin": sympy.asin,
        "acos": sympy.acos,
        "arccos": sympy.acos,
        "atan": sympy.atan,
        "arctan": sympy.atan,
        "sinh": sympy.sinh,
        "cosh": sympy.cosh,
        "tanh": sympy.tanh,
        "asinh": sympy.asinh,
        "arcsinh": sympy.asinh,
        "acosh": sympy.acosh,
        "arccosh": sympy.acosh,
        "atanh": sympy.atanh,
        "arctanh": sympy.atanh,
        "exp": sympy.exp,
        "log": sympy.log,
        "ln": sympy.log,
        "sqrt": sympy.sqrt,
        "abs": sympy.Abs,
        "sigmoid": sigmoid,
        "relu": relu,
        "softplus": softplus,
        "sign": sympy.sign,
        "Abs": sympy.Abs,
        "Heaviside": sympy.Heaviside,
    }
    assert parse(f"{name}(x + 1)") == closed[name](x + 1)


def test_variables_are_real_symbols_and_shared():
    expr = parse("x + x y")
    assert expr == x + x * y
    assert all(s.is_real for s in expr.free_symbols)


@pytest.mark.parametrize(
    ("text", "position", "meaning"),
    [
        ("E^x", 0, "write e for Euler's number"),
        ("x + E", 4, "write e for Euler's number"),
        ("I x", 0, "imaginary unit"),
        ("oo * x", 0, "infinity"),
        ("x - zoo", 4, "complex infinity"),
        ("nan + x", 0, "not a number"),
        ("inf x", 0, "infinity"),
        ("infinity", 0, "infinity"),
    ],
)
def test_names_that_print_like_sympy_constants_are_refused(text, position, meaning):
    """E was a variable that printed exactly like Euler's number: derive("E^x") showed
    E^x*log(E), which reads as e^x*1; I, oo, zoo and nan printed like SymPy's constants."""
    error = _error(text)
    assert error.position == position
    assert "not read as a variable" in error.reason
    assert meaning in error.reason
    assert "choose another name" in error.reason


@pytest.mark.parametrize("name", ["S", "N", "O", "Q", "beta", "gamma", "E0", "I_", "i"])
def test_other_names_that_sympy_uses_are_plain_real_variables(name):
    symbol = sympy.Symbol(name, real=True)
    assert parse(f"{name}^2 + x") == symbol**2 + x
    assert parse("e") == sympy.E  # Euler's number is e


def test_a_python_keyword_says_what_to_write_instead():
    error = _error("lambda x^2")
    assert "Python keyword" in error.reason
    assert "write lambda_ or another name" in error.reason
    assert parse("lambda_ x") == sympy.Symbol("lambda_", real=True) * x


@pytest.mark.parametrize(
    ("text", "position", "phrase"),
    [
        ("log(-1)", 0, "log needs a positive argument"),
        ("x ln(-2)", 2, "ln needs a positive argument"),
        ("sqrt(-1) x", 0, "sqrt needs a nonnegative argument"),
        ("x + asin(2)", 4, "asin needs an argument in [-1, 1]"),
        ("acos(-1.5)", 0, "acos needs an argument in [-1, 1]"),
        ("acosh(0) + x", 0, "acosh needs an argument of at least 1"),
        ("atanh(2)", 0, "atanh needs an argument in (-1, 1)"),
        ("(-8)^(1/3)", 4, "write -(8^(1/3))"),
        ("x (-1)**pi", 6, "not a whole number"),
    ],
)
def test_constants_that_are_not_real_are_refused(text, position, phrase):
    """log(-1) parsed to I*pi and asin(2) to a complex number, printed as results."""
    error = _error(text)
    assert error.position == position
    assert "not a real number" in error.reason
    assert phrase in error.reason


def test_real_constants_are_still_accepted():
    assert parse("asin(1)") == sympy.pi / 2
    assert parse("acosh(1)") == 0
    assert parse("(-8)^2") == 64
    assert parse("-(8^(1/3))") == -2
    assert parse("(-2)^(-3)") == sympy.Rational(-1, 8)
    assert parse("log(2)") == sympy.log(2)


def _error(text):
    with pytest.raises(ParseError) as info:
        parse(text)
    return info.value


@pytest.mark.parametrize(
    ("text", "position", "phrase"),
    [
        ("x + * 2", 4, "expected a number, a name or '('"),
        ("x +", 3, "found the end of the input"),
        ("(x + 1", 6, "to close the '(' at position 0"),
        ("x + 1)", 5, "unexpected ')'"),
        ("sin", 3, "expected '(' after the function name 'sin'"),
        ("sin + x", 4, "or an argument as in sin x, but found '+'"),
        ("sin()", 4, "expected a number"),
        ("sin(x, y)", 0, "sin() takes 1 argument(s), got 2"),
        ("log(x, y, z)", 0, "log() takes 1 or 2 argument(s), got 3"),
        ("foo(x)", 0, "'foo' is not a known function"),
        ("x(x + 1)", 0, "write x*(...)"),
        ("2 3", 2, "expected an operator before the number '3'"),
        ("x.real", 1, "unexpected character '.'"),
        ("x @ y", 2, "unexpected character '@'"),
        ("'abc'", 0, "unexpected character"),
        ("x = 1", 2, "unexpected character '='"),
        ("[x for x in y]", 0, "unexpected character '['"),
        ("lambda x: x", 8, "unexpected character ':'"),
        ("lambda", 0, "Python keyword"),
        ("x if y else z", 2, "Python keyword"),
        ("_x", 0, "unexpected character '_'"),
        ("__import__('os')", 0, "unexpected character '_'"),
        ("1/0", 1, "division by zero"),
        ("x/(1 - 1)", 1, "division by zero"),
        ("0^-1", 1, "division by zero"),
        ("log(0)", 0, "undefined"),
        ("log(x, 1)", 0, "log base must be positive and not 1"),
        ("", 0, "empty formula"),
        ("   ", 0, "empty formula"),
    ],
)
def test_errors_name_the_position_and_what_was_expected(text, position, phrase):
    error = _error(text)
    assert isinstance(error, ValueError)
    assert error.position == position
    assert phrase in error.reason
    lines = str(error).splitlines()
    assert lines[1] == "  " + text
    assert lines[2] == "  " + " " * position + "^"


def test_parse_refuses_non_strings():
    with pytest.raises(TypeError, match="expects a string"):
        parse(sympy.Symbol("x"))


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("9**9**9**9", "number too large"),
        ("9^9^9^9^9^9^9^9", "number too large"),
        ("x**(10**10**10)", "number too large"),
        ("10**(10**10)", "number too large"),
        ("2^(2^(2^(2^(2^2))))", "number too large"),
        ("x^(10^10)", "exponent"),
        ("x^1001", "exponent"),
        ("x^(1/1001)", "exponent"),
        ("x^1e300", "exponent"),
        ("(10 x)^1000", "more than 100 digits"),
        ("(sqrt(2) x)^999", "more than 100 digits"),
        ("10^99 * 10^99 * 10^99", "more than 100 digits"),
        ("1" * 101, "number too long"),
        ("1e999999999", "too large"),
        ("x" * 100_000, "input too long"),
        ("a" * 41, "name too long"),
        ("(" * 900 + "x" + ")" * 900, "nested too deeply"),
        ("-" * 1500 + "x", "nested too deeply"),
        ("x^" * 500 + "x", "nested too deeply"),
        ("sin(" * 300 + "x" + ")" * 300, "nested too deeply"),
        ("x+" * 999 + "x" + "$", "unexpected character '$'"),
        # Constants beyond 1e300: SymPy would evaluate sin(exp(10^99)) with 10^99 bits of pi.
        ("sin(exp(991e9))", "exceed 1e+300"),
        ("1/sin(exp(10^99))", "exceed 1e+300"),
        ("abs(sin(exp(10^99)))", "exceed 1e+300"),
        ("sin(2^(exp(100)))", "exceed 1e+300"),
        ("exp(700)", "exceed 1e+300"),
        ("x * 1e300 * 1e300", "exceed 1e+300"),
        ("1e301", "too large"),
    ],
    ids=lambda value: value[:24] if isinstance(value, str) else None,
)
def test_hostile_input_is_refused_with_a_clear_error(text, phrase):
    error = _error(text)
    assert phrase in error.reason
    assert len(str(error)) < 600  # the caret picture shows a window, not the whole input


def test_limits_are_exact_boundaries():
    name = "a" * LIMITS["max_name_length"]
    assert parse(name) == sympy.Symbol(name, real=True)
    assert parse("9" * LIMITS["max_digits"]) == sympy.Integer(int("9" * LIMITS["max_digits"]))
    depth = LIMITS["max_depth"] - 1
    assert parse("(" * depth + "x" + ")" * depth) == x
    assert "nested too deeply" in _error("(" * (depth + 1) + "x" + ")" * (depth + 1)).reason
    assert parse(f"x^{LIMITS['max_exponent']}") == x ** LIMITS["max_exponent"]
    assert parse("2^332") == sympy.Integer(2) ** 332  # 100 digits
    assert "number too large" in _error("2^333").reason  # 101 digits
    assert parse("exp(690)") == sympy.exp(690)  # about 1e299
    assert parse("1e300") == sympy.Float("1e300")


def test_long_but_legal_input_parses():
    text = " + ".join(f"x^{k}" for k in range(1, 300))[: LIMITS["max_length"] - 10]
    text = text[: text.rfind(" +")]
    expected = sympy.Add(*(x**k for k in range(1, text.count("+") + 2)))
    assert parse(text) == expected


def test_parse_never_calls_eval_or_exec(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("eval/exec called on user text")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    assert parse("x^2 sin(x) + log(x, 2) / sqrt(x) - sigmoid(x)") is not None
    with pytest.raises(ParseError):
        parse("__import__('os').system('echo hacked')")


def test_no_module_of_gradkit_symbolic_can_evaluate_text():
    """A static check: the package's source never names an evaluator of strings."""
    banned_names = {
        "eval",
        "exec",
        "compile",
        "sympify",
        "parse_expr",
        "lambdify",
        "S",
        "__import__",
    }
    banned_attributes = {"eval", "exec", "sympify", "parse_expr", "lambdify"}
    for path in sorted(SRC.glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Name) and func.id in banned_names:
                    pytest.fail(f"{path.name}:{node.lineno} calls {func.id}()")
                if isinstance(func, ast.Attribute) and func.attr in banned_attributes:
                    pytest.fail(f"{path.name}:{node.lineno} calls .{func.attr}()")
            if isinstance(node, ast.ImportFrom) and node.module and "parsing" in node.module:
                pytest.fail(f"{path.name} imports {node.module}")


@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40))
def test_any_text_parses_or_raises_parse_error(text):
    try:
        result = parse(text)
    except ParseError as error:
        assert 0 <= error.position <= len(text)
    else:
        assert isinstance(result, sympy.Basic)


_LEAVES = [("x", x), ("y", y), ("2", sympy.Integer(2)), ("3", sympy.Integer(3)), ("pi", sympy.pi)]
_UNARY = [
    ("sin", sympy.sin),
    ("exp", sympy.exp),
    ("tanh", sympy.tanh),
    ("atan", sympy.atan),
    ("sigmoid", sigmoid),
    ("abs", sympy.Abs),
]


@st.composite
def expressions(draw, depth=3):
    """(text, expression) pairs built side by side: the text for the parser, the
    expression by SymPy constructors."""
    if depth == 0 or draw(st.booleans()):
        return draw(st.sampled_from(_LEAVES))
    kind = draw(st.sampled_from(["+", "-", "*", "/", "^", "call", "neg", "implicit"]))
    a_text, a = draw(expressions(depth - 1))
    if kind == "call":
        name, fn = draw(st.sampled_from(_UNARY))
        return f"{name}({a_text})", fn(a)
    if kind == "neg":
        return f"-({a_text})", -a
    if kind == "^":
        n = draw(st.integers(1, 4))
        return f"({a_text})^{n}", a**n
    b_text, b_ = draw(expressions(depth - 1))
    if kind == "/":
        if b_ == 0:
            return f"({a_text})", a
        return f"({a_text}) / ({b_text})", a / b_
    if kind == "implicit":
        return f"({a_text})({b_text})", a * b_
    op = {"+": lambda p, q: p + q, "-": lambda p, q: p - q, "*": lambda p, q: p * q}[kind]
    return f"({a_text}) {kind} ({b_text})", op(a, b_)


@given(expressions())
def test_parse_agrees_with_direct_construction(pair):
    text, expected = pair
    assert parse(text) == expected


def test_import_gradkit_does_not_import_sympy():
    import subprocess
    import sys

    code = (
        "import sys, gradkit; assert 'sympy' not in sys.modules; "
        "gradkit.symbolic; assert 'sympy' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
