"""The derivative rules as data: one small entry per rule and per function.

:data:`RULES` names every rule a derivation step can cite, with its title and its
general statement (as text and as LaTeX). :data:`FUNCTION_RULES` maps each SymPy
function class to the rule family it belongs to, the derivative of its outer
function ``f'(u)`` and a short note a student can read. The step builder in
``derivation.py`` only looks things up here; adding a function is adding one entry.

>>> RULES["product"].title
'Product rule'
>>> import sympy
>>> u = sympy.Symbol("u")
>>> FUNCTION_RULES[sympy.sin].derivative(u)
cos(u)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sympy

from gradkit.symbolic.functions import relu, sigmoid, softplus

__all__ = ["Rule", "FunctionRule", "RULES", "FUNCTION_RULES"]


@dataclass(frozen=True)
class Rule:
    """A named derivative rule: its key, title and general statement."""

    name: str
    title: str
    text: str
    latex: str


@dataclass(frozen=True)
class FunctionRule:
    """How to differentiate one function ``f(u)``: ``f'(u)`` and the family it belongs to."""

    rule: str
    derivative: Callable[[Any], Any]
    note: str


_RULE_LIST = [
    Rule("constant", "Constant rule", "d/dx c = 0", r"\frac{d}{dx} c = 0"),
    Rule("identity", "Identity rule", "d/dx x = 1", r"\frac{d}{dx} x = 1"),
    Rule("constant multiple", "Constant multiple rule", "(c f)' = c f'", r"(c f)' = c f'"),
    Rule("sum", "Sum / difference rule", "(f ± g)' = f' ± g'", r"(f \pm g)' = f' \pm g'"),
    Rule("power", "Power rule", "d/dx x^n = n x^(n-1)", r"\frac{d}{dx} x^n = n x^{n-1}"),
    Rule("product", "Product rule", "(f g)' = f' g + f g'", r"(f g)' = f' g + f g'"),
    Rule(
        "quotient",
        "Quotient rule",
        "(f/g)' = (f' g - f g') / g^2",
        r"\left(\frac{f}{g}\right)' = \frac{f' g - f g'}{g^2}",
    ),
    Rule(
        "chain",
        "Chain rule",
        "d/dx f(u) = f'(u) du/dx",
        r"\frac{d}{dx} f(u) = f'(u) \frac{du}{dx}",
    ),
    Rule(
        "exponential",
        "Exponential rule",
        "d/dx e^x = e^x,  d/dx a^x = a^x ln(a)",
        r"\frac{d}{dx} e^x = e^x,\ \frac{d}{dx} a^x = a^x \ln a",
    ),
    Rule(
        "logarithm",
        "Logarithm rule",
        "d/dx ln(x) = 1/x,  d/dx log_b(x) = 1/(x ln(b))",
        r"\frac{d}{dx} \ln x = \frac{1}{x},\ \frac{d}{dx} \log_b x = \frac{1}{x \ln b}",
    ),
    Rule(
        "trigonometric",
        "Trigonometric rule",
        "sin' = cos, cos' = -sin, tan' = sec^2, ...",
        r"\sin' = \cos,\ \cos' = -\sin,\ \tan' = \sec^2,\ \ldots",
    ),
    Rule(
        "inverse trigonometric",
        "Inverse trigonometric rule",
        "asin' = 1/sqrt(1-x^2), acos' = -1/sqrt(1-x^2), atan' = 1/(1+x^2)",
        r"\arcsin' x = \frac{1}{\sqrt{1-x^2}},\ \arctan' x = \frac{1}{1+x^2},\ \ldots",
    ),
    Rule(
        "hyperbolic",
        "Hyperbolic rule",
        "sinh' = cosh, cosh' = sinh, tanh' = 1 - tanh^2",
        r"\sinh' = \cosh,\ \cosh' = \sinh,\ \tanh' = 1 - \tanh^2",
    ),
    Rule(
        "abs",
        "Absolute value rule",
        "d/dx |x| = sign(x)  (x != 0)",
        r"\frac{d}{dx} |x| = \operatorname{sign}(x)\ (x \neq 0)",
    ),
    Rule(
        "sigmoid",
        "Sigmoid rule",
        "sigmoid' = sigmoid (1 - sigmoid)",
        r"\sigma'(x) = \sigma(x) (1 - \sigma(x))",
    ),
    Rule(
        "relu",
        "ReLU rule",
        "relu'(x) = 1 if x > 0 else 0  (relu'(0) = 0)",
        r"\operatorname{relu}'(x) = H(x),\ \operatorname{relu}'(0) = 0",
    ),
    Rule(
        "softplus",
        "Softplus rule",
        "softplus' = sigmoid",
        r"\operatorname{softplus}'(x) = \sigma(x)",
    ),
    Rule(
        "step",
        "Step rule",
        "d/dx sign(x) = d/dx H(x) = 0  (x != 0)",
        r"\frac{d}{dx} \operatorname{sign}(x) = \frac{d}{dx} H(x) = 0\ (x \neq 0)",
    ),
    Rule(
        "logarithmic differentiation",
        "Logarithmic differentiation",
        "y = f^g: ln y = g ln f, so y' = f^g (g ln f)'",
        r"y = f^g:\ \ln y = g \ln f,\ y' = f^g (g \ln f)'",
    ),
    Rule(
        "simplify",
        "Simplify",
        "rewrite the result in a shorter equal form",
        r"\text{rewrite in a shorter equal form}",
    ),
    Rule(
        "sympy",
        "SymPy's rule",
        "a function outside gradkit's named rules; SymPy differentiates it",
        r"\text{differentiated by SymPy}",
    ),
]

#: Every rule a step can cite, by key.
RULES: dict[str, Rule] = {rule.name: rule for rule in _RULE_LIST}

#: The outer derivative f'(u) of each function f the step builder knows.
FUNCTION_RULES: dict[Any, FunctionRule] = {
    sympy.exp: FunctionRule("exponential", sympy.exp, "e^u is its own derivative"),
    sympy.log: FunctionRule(
        "logarithm", lambda u: 1 / u, "the derivative of ln(u) (SymPy writes log(u)) is 1/u"
    ),
    sympy.sin: FunctionRule("trigonometric", sympy.cos, "the derivative of sine is cosine"),
    sympy.cos: FunctionRule(
        "trigonometric", lambda u: -sympy.sin(u), "the derivative of cosine is minus sine"
    ),
    sympy.tan: FunctionRule(
        "trigonometric", lambda u: sympy.sec(u) ** 2, "the derivative of tan is sec squared"
    ),
    sympy.sec: FunctionRule(
        "trigonometric", lambda u: sympy.sec(u) * sympy.tan(u), "the derivative of sec is sec tan"
    ),
    sympy.csc: FunctionRule(
        "trigonometric",
        lambda u: -sympy.csc(u) * sympy.cot(u),
        "the derivative of csc is -csc cot",
    ),
    sympy.cot: FunctionRule(
        "trigonometric", lambda u: -(sympy.csc(u) ** 2), "the derivative of cot is -csc squared"
    ),
    sympy.asin: FunctionRule(
        "inverse trigonometric",
        lambda u: 1 / sympy.sqrt(1 - u**2),
        "the derivative of arcsin(u) is 1/sqrt(1 - u^2)",
    ),
    sympy.acos: FunctionRule(
        "inverse trigonometric",
        lambda u: -1 / sympy.sqrt(1 - u**2),
        "the derivative of arccos(u) is -1/sqrt(1 - u^2)",
    ),
    sympy.atan: FunctionRule(
        "inverse trigonometric",
        lambda u: 1 / (1 + u**2),
        "the derivative of arctan(u) is 1/(1 + u^2)",
    ),
    sympy.acot: FunctionRule(
        "inverse trigonometric",
        lambda u: -1 / (1 + u**2),
        "the derivative of arccot(u) is -1/(1 + u^2)",
    ),
    sympy.sinh: FunctionRule("hyperbolic", sympy.cosh, "the derivative of sinh is cosh"),
    sympy.cosh: FunctionRule("hyperbolic", sympy.sinh, "the derivative of cosh is sinh"),
    sympy.tanh: FunctionRule(
        "hyperbolic", lambda u: 1 - sympy.tanh(u) ** 2, "the derivative of tanh is 1 - tanh^2"
    ),
    sympy.asinh: FunctionRule(
        "hyperbolic",
        lambda u: 1 / sympy.sqrt(u**2 + 1),
        "the derivative of arsinh(u) is 1/sqrt(u^2 + 1)",
    ),
    sympy.acosh: FunctionRule(
        "hyperbolic",
        lambda u: 1 / sympy.sqrt(u**2 - 1),
        "the derivative of arcosh(u) is 1/sqrt(u^2 - 1) (u > 1)",
    ),
    sympy.atanh: FunctionRule(
        "hyperbolic",
        lambda u: 1 / (1 - u**2),
        "the derivative of artanh(u) is 1/(1 - u^2)",
    ),
    sympy.Abs: FunctionRule(
        "abs", sympy.sign, "for real u != 0, |u|' = sign(u) = u/|u|; it does not exist at 0"
    ),
    sigmoid: FunctionRule(
        "sigmoid",
        lambda u: sigmoid(u) * (1 - sigmoid(u)),
        "the derivative of the sigmoid is sigmoid(u) (1 - sigmoid(u))",
    ),
    relu: FunctionRule(
        "relu",
        lambda u: sympy.Heaviside(u, 0),
        "relu'(u) is 1 for u > 0 and 0 for u < 0 (a step, Heaviside(u)); at u = 0 gradkit "
        "uses 0, as PyTorch does",
    ),
    softplus: FunctionRule(
        "softplus", sigmoid, "the derivative of softplus(u) = ln(1 + e^u) is sigmoid(u)"
    ),
    sympy.sign: FunctionRule(
        "step",
        lambda u: sympy.S.Zero,
        "sign(u) is constant on each side of 0, so its derivative is 0 for u != 0; at u = 0 "
        "it jumps and has none (gradkit, like PyTorch, uses 0)",
    ),
    sympy.Heaviside: FunctionRule(
        "step",
        lambda u: sympy.S.Zero,
        "the step H(u) is constant on each side of 0, so its derivative is 0 for u != 0; at "
        "u = 0 it jumps and has none (gradkit, like PyTorch, uses 0)",
    ),
}
