"""SymPy expression -> plain NumPy function, built from closures (no code generation).

``sympy.lambdify`` writes Python source and runs it with ``exec``. gradkit walks the
expression tree instead and nests small closures that call NumPy (``np.sin``,
``np.exp``, ``np.log``, ``np.sqrt``, ``np.abs``, ``**``, ...). Nothing is executed
from text, and the function is ordinary NumPy code, so ``gk.grad`` differentiates it:
inside the engine the arguments are traced values that take part in those same calls.
The deep-learning functions call ``gradkit.nn.functional`` (``sigmoid``, ``relu``,
``softplus``), the stable implementations the rest of gradkit uses.

>>> import numpy as np
>>> f = lambdify("x^2 sin(y)", ["x", "y"])
>>> float(f(3.0, np.pi / 2))
9.0
>>> f(np.array([1.0, 2.0]), 0.0)
array([0., 0.])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import sympy

from gradkit.symbolic.functions import relu, sigmoid, softplus
from gradkit.symbolic.inputs import as_expression, as_variables

__all__ = ["LambdifyError", "lambdify"]

_MAX_DEPTH = 200

Node = Callable[[tuple[Any, ...]], Any]


class LambdifyError(ValueError):
    """Raised when an expression has no NumPy counterpart (or a variable is missing)."""


def _functional(name: str) -> Callable[[Any], Any]:
    # Imported on first call: gradkit.nn loads only when an activation is evaluated.
    def call(x: Any) -> Any:
        from gradkit.nn import functional

        return getattr(functional, name)(x)

    call.__name__ = name
    return call


def _heaviside(x: Any, at_zero: float) -> Any:
    # at_zero + 0 x: NaN stays NaN (x > 0 and x < 0 are both False there, as at 0)
    return np.where(x > 0, 1.0, np.where(x < 0, 0.0, at_zero + 0.0 * x))


#: The NumPy function for each SymPy function of one argument.
NUMPY_FUNCTIONS: dict[Any, Callable[[Any], Any]] = {
    sympy.sin: np.sin,
    sympy.cos: np.cos,
    sympy.tan: np.tan,
    sympy.sec: lambda x: 1.0 / np.cos(x),
    sympy.csc: lambda x: 1.0 / np.sin(x),
    sympy.cot: lambda x: np.cos(x) / np.sin(x),
    sympy.asin: np.arcsin,
    sympy.acos: np.arccos,
    sympy.atan: np.arctan,
    sympy.acot: lambda x: np.arctan(1.0 / (x + 0.0)),  # -0.0 + 0.0 is +0.0: acot(0) = pi/2
    sympy.sinh: np.sinh,
    sympy.cosh: np.cosh,
    sympy.tanh: np.tanh,
    sympy.asinh: np.arcsinh,
    sympy.acosh: np.arccosh,
    sympy.atanh: np.arctanh,
    sympy.exp: np.exp,
    sympy.log: np.log,
    sympy.Abs: np.abs,
    sympy.sign: np.sign,
    sigmoid: _functional("sigmoid"),
    relu: _functional("relu"),
    softplus: _functional("softplus"),
}


class _Compiler:
    def __init__(self, variables: list[Any]) -> None:
        self.index = {symbol: i for i, symbol in enumerate(variables)}
        self.depth = 0

    def compile(self, expr: Any) -> Node:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise LambdifyError(f"expression nested too deeply (more than {_MAX_DEPTH} levels)")
        try:
            return self._compile(expr)
        finally:
            self.depth -= 1

    def _compile(self, expr: Any) -> Node:
        if expr.is_Symbol:
            i = self.index[expr]
            return lambda a: a[i]
        if not expr.free_symbols:
            return self.constant(expr)
        if expr.is_Add:
            return _fold([self.compile(t) for t in expr.args], lambda s, t: s + t)
        if expr.is_Mul:
            return self.product(expr)
        if expr.is_Pow:
            return self.power(expr.base, expr.exp)
        if expr.func is sympy.Heaviside:
            x = self.compile(expr.args[0])
            at_zero = _real_constant(expr.args[1], expr) if len(expr.args) > 1 else 0.5
            return lambda a: _heaviside(x(a), at_zero)
        if expr.func in NUMPY_FUNCTIONS and len(expr.args) == 1:
            function, x = NUMPY_FUNCTIONS[expr.func], self.compile(expr.args[0])
            return lambda a: function(x(a))
        raise LambdifyError(
            f"no NumPy counterpart for {expr.func.__name__} in {expr}; gradkit.symbolic.lambdify "
            f"knows {', '.join(sorted(f.__name__ for f in NUMPY_FUNCTIONS))}, Heaviside, "
            "powers and arithmetic"
        )

    def constant(self, expr: Any) -> Node:
        real = _real_constant(expr, expr)
        return lambda a: real

    def product(self, expr: Any) -> Node:
        # Dividing by x (rather than multiplying by x**-1) keeps 1/x exact and cheap.
        numerator, denominator = [], []
        for factor in expr.args:
            if factor.is_Pow and factor.exp.is_Number and factor.exp.is_negative:
                denominator.append(self.power(factor.base, -factor.exp))
            else:
                numerator.append(self.compile(factor))
        top = _fold(numerator, lambda p, q: p * q) if numerator else (lambda a: 1.0)
        if not denominator:
            return top
        bottom = _fold(denominator, lambda p, q: p * q)
        return lambda a: top(a) / bottom(a)

    def power(self, base: Any, exponent: Any) -> Node:
        b = self.compile(base)
        if exponent.free_symbols:
            e = self.compile(exponent)
            if base.is_number and base.is_positive:
                log_base = float(sympy.log(base).evalf())
                return lambda a: np.exp(e(a) * log_base)
            return lambda a: b(a) ** e(a)
        if exponent == sympy.S.Half:
            return lambda a: np.sqrt(b(a))
        if exponent == -sympy.S.Half:
            return lambda a: 1.0 / np.sqrt(b(a))
        if exponent.is_Integer:
            n = int(exponent)
            if n < 0:
                return lambda a: 1.0 / b(a) ** (-n)
            return lambda a: b(a) ** n
        p = _real_constant(exponent, sympy.Pow(base, exponent, evaluate=False))
        return lambda a: b(a) ** p


def _real_constant(value: Any, where: Any) -> float:
    """``value`` (a SymPy number) as a float, or a LambdifyError naming ``where``."""
    context = "" if value == where else f" in {where}"
    try:
        number = complex(sympy.N(value))
    except (TypeError, ValueError):  # a symbol, or relu(I): no complex value at all
        if value.free_symbols:
            raise LambdifyError(f"{value}{context} must be a number") from None
        number = complex(np.nan)
    if number.imag != 0 or not np.isfinite(number.real):
        raise LambdifyError(f"the constant {value}{context} is not a finite real number")
    return number.real


def _fold(nodes: list[Node], combine: Callable[[Any, Any], Any]) -> Node:
    first, rest = nodes[0], nodes[1:]

    def folded(a: tuple[Any, ...]) -> Any:
        total = first(a)
        for node in rest:
            total = combine(total, node(a))
        return total

    return folded


def _as_numpy(value: Any) -> Any:
    """Numbers, lists and integer arrays as float64 (``x**40`` of an int64 array would
    wrap around silently); float arrays and traced values as they are."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return np.float64(value)
    if isinstance(value, (list, tuple)):
        return np.asarray(value, dtype=float)
    if isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind in "iub":
        return np.asarray(value, dtype=np.float64)[()]
    return value


def lambdify(expr: Any, vars: Any = None) -> Callable[..., Any]:
    """Return a plain NumPy function computing ``expr`` from the given variables.

    The function is built by walking the SymPy tree into nested closures: no ``exec``,
    no ``eval``, no ``sympy.lambdify``. It works elementwise on arrays and, because it
    only calls NumPy functions and Python operators on its arguments, ``gk.grad``,
    ``gk.hessian`` and the other transforms differentiate it.

    Args:
        expr: a formula (parsed safely) or a SymPy expression.
        vars: the argument order: ``"x y"``, ``["x", "y"]`` or symbols; ``None`` means
            every free symbol, sorted by name.

    Returns:
        ``f(*values)``, with ``.expr`` and ``.vars`` attributes for reference.

    Raises:
        LambdifyError: a function with no NumPy counterpart, a complex constant, or a
            free symbol missing from ``vars``.

    >>> import gradkit as gk
    >>> f = lambdify("x^3 + 2x")
    >>> float(f(2.0))
    12.0
    """
    expression = as_expression(expr)
    variables = as_variables(expression, vars)
    missing = expression.free_symbols - set(variables)
    if missing:
        names = ", ".join(sorted(s.name for s in missing))
        raise LambdifyError(f"the expression uses {names}, which is not among vars; add it")
    node = _Compiler(variables).compile(expression)
    constant = not expression.free_symbols
    count = len(variables)

    def function(*values: Any) -> Any:
        if len(values) != count:
            raise TypeError(
                f"expected {count} argument(s) ({', '.join(map(str, variables))}), "
                f"got {len(values)}"
            )
        # NumPy scalars, not Python floats: (-8.0) ** (1/3) must be nan, not complex.
        values = tuple(_as_numpy(v) for v in values)
        result = node(values)
        # A constant still has the shape of the input (and a zero derivative).
        if constant and values:
            first = values[0]
            if isinstance(first, (np.ndarray, np.generic)):  # 0 * inf would be NaN
                return result + np.zeros(np.shape(first))[()]
            return result + 0.0 * first  # a traced value: keep the (zero) derivative
        return result

    function.expr = expression  # type: ignore[attr-defined]
    function.vars = tuple(variables)  # type: ignore[attr-defined]
    function.__name__ = "lambdified"
    function.__doc__ = f"NumPy function of ({', '.join(map(str, variables))}): {expression}"
    return function
