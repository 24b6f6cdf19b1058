"""Symbolic derivatives with every step named, from text that is parsed safely.

``parse`` reads math text without ever running it as Python; ``derive`` differentiates
and records which rule applies at each step; ``gradient``, ``hessian`` and
``directional_derivative`` handle many variables; ``lambdify`` turns an expression into
a plain NumPy function that gradkit's engine can differentiate. SymPy is imported here
only, never by ``import gradkit``.

>>> import gradkit as gk
>>> d = gk.symbolic.derive("x^2 sin(x)")
>>> d.result
x*(x*cos(x) + 2*sin(x))
>>> d.rules
['product', 'power', 'trigonometric', 'simplify']
"""

from gradkit.symbolic import _requires  # noqa: F401  (first: names the extra if SymPy is missing)
from gradkit.symbolic.calculus import directional_derivative, gradient, hessian
from gradkit.symbolic.deadline import SymbolicTimeout, time_limit
from gradkit.symbolic.derivation import Derivation, DerivativeError, Math, Step, derive
from gradkit.symbolic.functions import relu, sigmoid, softplus
from gradkit.symbolic.lambdify import LambdifyError, lambdify
from gradkit.symbolic.parser import CONSTANTS, FUNCTIONS, LIMITS, RESERVED, ParseError, parse
from gradkit.symbolic.rules import FUNCTION_RULES, RULES

__all__ = [
    "parse",
    "ParseError",
    "derive",
    "Derivation",
    "DerivativeError",
    "Step",
    "Math",
    "gradient",
    "hessian",
    "directional_derivative",
    "lambdify",
    "LambdifyError",
    "sigmoid",
    "relu",
    "softplus",
    "RULES",
    "FUNCTION_RULES",
    "FUNCTIONS",
    "CONSTANTS",
    "RESERVED",
    "LIMITS",
    "SymbolicTimeout",
    "time_limit",
]
