"""Textbook differentiation exercises for gradkit.symbolic, grouped by the rule they drill.

Each entry is ``(formula, variable)``. The tests check ``derive(formula, variable).result``
against ``sympy.diff`` (an independent computation), the rendering of every step, and,
for the expressions the engine supports, the agreement of the symbolic, automatic and
numerical derivatives of ``lambdify``.
"""

BASICS = [
    "7", "pi", "e^2", "x", "-x", "3x", "x/5", "2 pi x", "a x + b",
    "x^2", "x^3", "x^10", "5x^4", "-2x^7", "x^2/2", "3x^2 - 4x + 7", "x^3 + x^2 + x + 1",
    "4x^5 - 3x^3 + 2x - 9", "(x + 1)^2", "(2x - 3)^3", "x^100", "0.5 x^2", "1.5x^3 - 2.25x",
]

POWERS = [
    "1/x", "1/x^2", "x^-3", "2/x^4", "-3/x", "sqrt(x)", "x^(1/3)", "x^(3/2)", "x^(2/3)",
    "1/sqrt(x)", "x^(-1/2)", "3 sqrt(x) - 2/x", "x^(5/4) + x^(-5/4)", "sqrt(x^3)",
    "x^pi", "x^e", "x^1.5", "(x^2 + 1)^10", "(1 - x)^(-2)", "sqrt(1 - x^2)",
    "sqrt(x^2 + 4x + 5)", "(3x^2 - 2)^(3/2)", "1/(x^2 + 1)", "1/(2x + 1)^3",
    "(x^3 - x)^(1/3)", "sqrt(sqrt(x))", "x sqrt(x)", "x^2 sqrt(x)", "(sqrt(x) + 1)^2",
]

PRODUCTS = [
    "x sin(x)", "x^2 sin(x)", "x cos(x)", "x e^x", "x^2 e^x", "x ln(x)", "x^2 ln(x)",
    "sin(x) cos(x)", "e^x sin(x)", "e^x cos(x)", "(x + 1)(x - 1)", "(x^2 + 1)(x^3 - 2)",
    "x sin(x) cos(x)", "x e^x sin(x)", "sqrt(x) ln(x)", "x^3 tan(x)", "e^x ln(x)",
    "(2x + 1)(3x - 2)(x + 4)", "x atan(x)", "x asin(x)", "sinh(x) cosh(x)", "x^2 e^(-x)",
    "(x^2 - 1) sqrt(x + 1)", "ln(x) sin(x)", "x sec(x)",
]

QUOTIENTS = [
    "sin(x)/x", "x/(x + 1)", "(x^2 + 1)/(x - 1)", "(x - 1)/(x + 1)", "e^x/x", "x/e^x",
    "ln(x)/x", "x/ln(x)", "cos(x)/(1 + sin(x))", "(x^2 - 3x)/(x^2 + 2)", "sin(x)/cos(x)",
    "(1 + x)/(1 - x)", "x^2/(x^3 + 1)", "(2x + 3)/(x^2 - 4)", "sqrt(x)/(x + 1)",
    "e^x/(1 + e^x)", "1/(x (x + 1))", "x/(x^2 + 1)^2", "(x sin(x))/(1 + x^2)",
    "tan(x)/x^2", "(e^x - e^(-x))/(e^x + e^(-x))", "(3 - x^2)/(3 + x^2)", "ln(x)/x^2",
]

CHAIN = [
    "sin(2x)", "cos(3x)", "sin(x^2)", "cos(x^2 + 1)", "sin(x)^2", "cos(x)^3", "tan(5x)",
    "e^(2x)", "e^(-x)", "e^(x^2)", "exp(-x^2/2)", "exp(sin(x))", "ln(2x)", "ln(x^2 + 1)",
    "ln(sin(x))", "ln(cos(x))", "sin(cos(x))", "cos(sin(x))", "sin(cos(tan(x)))",
    "sqrt(sin(x))", "(sin(x) + cos(x))^2", "e^(sin(x)^2)", "ln(ln(x))", "sin(e^x)",
    "exp(exp(x))", "(1 + e^(-x))^(-1)", "sin(sqrt(x))", "sqrt(1 + sqrt(x))",
    "ln(x + sqrt(x^2 + 1))", "cos(2x)^2 sin(3x)", "tan(x^3 - 1)", "e^(3x) sin(4x)",
    "sin(pi x)", "cos(x/2)", "ln(1 - 2x)", "(x^2 + x)^(1/2)",
]

EXPONENTIAL_LOG = [
    "e^x", "exp(x)", "2^x", "10^x", "3^(2x)", "2^(x^2)", "5^(-x)", "pi^x", "e^(x + 1)",
    "ln(x)", "log(x)", "log(x, 2)", "log(x, 10)", "log(x^2 + 1, 10)", "log(3x, 2)",
    "ln(x^3)", "ln(sqrt(x))", "ln(e^x + 1)", "x^2 * 2^x", "log(x, 5) + ln(x)", "ln(abs(x))",
    "e^x - e^(-x)", "(e^x + e^(-x))/2", "x e^(-x^2)", "ln(1 + x^2)",
]

TRIG = [
    "sin(x)", "cos(x)", "tan(x)", "sec(x)", "csc(x)", "cot(x)", "sec(2x)", "csc(x^2)",
    "cot(3x)", "tan(x)^2", "sec(x)^2", "sin(x) + cos(x)", "sin(x) - cos(x)",
    "3 sin(x) - 2 cos(x)", "sin(x) tan(x)", "sec(x) tan(x)", "csc(x) cot(x)",
    "1/sin(x)", "1/cos(x)", "sin(x)^2 + cos(x)^2", "cos(x)^2 - sin(x)^2", "sin(3x + 1)",
    "tan(sqrt(x))", "sec(x) csc(x)",
]

INVERSE_TRIG = [
    "asin(x)", "acos(x)", "atan(x)", "arcsin(x)", "arccos(x)", "arctan(x)", "asin(2x)",
    "acos(x^2)", "atan(x^2)", "arctan(1/x)", "asin(sqrt(x))", "atan(e^x)", "x^2 atan(x)",
    "acos(x/2)", "atan(2x + 1)", "asin(x)^2",
]

HYPERBOLIC = [
    "sinh(x)", "cosh(x)", "tanh(x)", "sinh(2x)", "cosh(x^2)", "tanh(3x)", "tanh(x)^2",
    "x sinh(x)", "cosh(x)^2 - sinh(x)^2", "ln(cosh(x))", "asinh(x)", "acosh(x)",
    "atanh(x)", "tanh(sin(x))",
]

ABS_AND_ACTIVATIONS = [
    "abs(x)", "abs(2x - 1)", "abs(x)^3", "x abs(x)", "abs(sin(x))",
    "sigmoid(x)", "sigmoid(2x)", "sigmoid(x^2)", "x sigmoid(x)", "ln(sigmoid(x))",
    "sigmoid(x)^2", "relu(x)", "relu(3x - 1)", "relu(x)^2", "softplus(x)", "softplus(2x)",
    "softplus(-x)", "tanh(softplus(x))", "x tanh(softplus(x))", "sigmoid(softplus(x))",
    "relu(x) + softplus(x)", "(sigmoid(x) - 1)^2",
]

LOGARITHMIC_DIFFERENTIATION = [
    "x^x", "x^(2x)", "x^sin(x)", "sin(x)^x", "x^(1/x)", "(1 + 1/x)^x", "x^ln(x)",
    "(x^2 + 1)^x", "cos(x)^sin(x)", "x^(x^2)", "(ln(x))^x", "x^(e^x)",
]

# (formula, variable): the other symbols are constants.
PARTIAL = [
    ("x y", "x"), ("x y", "y"), ("x^2 y + y^3", "x"), ("x^2 y + y^3", "y"),
    ("sin(x y)", "x"), ("sin(x y)", "y"), ("e^(x y)", "y"), ("x^2 + y^2 + z^2", "z"),
    ("ln(x^2 + y^2)", "x"), ("x/y", "y"), ("x^y", "y"), ("x^y", "x"),
    ("sigmoid(w x + b)", "w"), ("sigmoid(w x + b)", "b"), ("(w x + b - t)^2", "w"),
    ("sqrt(x^2 + y^2)", "y"), ("atan(y/x)", "x"), ("a sin(k x - w t)", "t"),
    ("x y z", "z"), ("e^(-(x^2 + y^2))", "x"),
]

SINGLE = (BASICS + POWERS + PRODUCTS + QUOTIENTS + CHAIN + EXPONENTIAL_LOG + TRIG
          + INVERSE_TRIG + HYPERBOLIC + ABS_AND_ACTIVATIONS + LOGARITHMIC_DIFFERENTIATION)

#: Every exercise as (formula, variable).
BATTERY = [(formula, "x") for formula in SINGLE] + PARTIAL
