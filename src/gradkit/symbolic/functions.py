"""The deep-learning functions as SymPy functions: ``sigmoid``, ``relu`` and ``softplus``.

SymPy has no activation functions, and writing them out (``1/(1 + exp(-x))``) would
lose the name a student recognises. Each class here is a ``sympy.Function`` that knows
its derivative (``fdiff``), its value at numbers, how to rewrite itself in elementary
functions (``rewrite(sympy.exp)``), how to evaluate numerically and how to print.

Convention: ``relu'(x) = Heaviside(x, 0)``, so ``relu'(0) = 0``, the value PyTorch
and gradkit's engine use (the derivative does not exist at 0; 0 is the usual choice).

>>> import sympy
>>> x = sympy.Symbol("x", real=True)
>>> sympy.diff(sigmoid(x), x)
(1 - sigmoid(x))*sigmoid(x)
>>> sympy.diff(relu(x), x)
Heaviside(x, 0)
>>> sympy.diff(softplus(x), x)
sigmoid(x)
>>> relu(-3), relu(2), sigmoid(0), softplus(0)
(0, 2, 1/2, log(2))
"""

from __future__ import annotations

from typing import Any

import sympy

__all__ = ["sigmoid", "relu", "softplus"]


def _latex_call(name: str, printer: Any, arg: Any, exp: str | None) -> str:
    # SymPy passes exp= when printing f(x)**n as f^n(x), as it does for sin^2(x).
    power = f"^{{{exp}}}" if exp else ""
    return rf"{name}{power}\left({printer._print(arg)}\right)"


class sigmoid(sympy.Function):  # noqa: N801 - lower case like sympy.sin
    """The logistic sigmoid ``1 / (1 + exp(-x))``; its derivative is ``s(x) (1 - s(x))``."""

    nargs = 1

    @classmethod
    def eval(cls, arg: Any) -> Any:
        if arg.is_zero:
            return sympy.S.Half
        return None

    def fdiff(self, argindex: int = 1) -> Any:
        if argindex != 1:
            raise sympy.ArgumentIndexError(self, argindex)
        return self * (1 - self)

    def _eval_rewrite_as_exp(self, arg: Any, **kwargs: Any) -> Any:
        return 1 / (1 + sympy.exp(-arg))

    def _eval_evalf(self, prec: int) -> Any:
        return self.rewrite(sympy.exp)._eval_evalf(prec)

    def _eval_is_real(self) -> Any:
        return self.args[0].is_real

    def _eval_is_positive(self) -> Any:
        return self.args[0].is_real

    def _latex(self, printer: Any, exp: str | None = None) -> str:
        return _latex_call(r"\sigma", printer, self.args[0], exp)


class relu(sympy.Function):  # noqa: N801
    """The rectifier ``max(0, x)``; its derivative is ``Heaviside(x, 0)`` (0 at x = 0)."""

    nargs = 1

    @classmethod
    def eval(cls, arg: Any) -> Any:
        if arg.is_nonnegative:
            return arg
        if arg.is_negative:
            return sympy.S.Zero
        return None

    def fdiff(self, argindex: int = 1) -> Any:
        if argindex != 1:
            raise sympy.ArgumentIndexError(self, argindex)
        return sympy.Heaviside(self.args[0], 0)

    def _eval_rewrite_as_Max(self, arg: Any, **kwargs: Any) -> Any:
        return sympy.Max(0, arg)

    _eval_rewrite_as_exp = _eval_rewrite_as_Max

    def _eval_evalf(self, prec: int) -> Any:
        return sympy.Max(0, self.args[0])._eval_evalf(prec)

    def _eval_is_real(self) -> Any:
        return self.args[0].is_real

    def _eval_is_nonnegative(self) -> Any:
        return self.args[0].is_real

    def _latex(self, printer: Any, exp: str | None = None) -> str:
        return _latex_call(r"\operatorname{relu}", printer, self.args[0], exp)


class softplus(sympy.Function):  # noqa: N801
    """The smooth rectifier ``log(1 + exp(x))``; its derivative is ``sigmoid(x)``."""

    nargs = 1

    @classmethod
    def eval(cls, arg: Any) -> Any:
        if arg.is_zero:
            return sympy.log(2)
        return None

    def fdiff(self, argindex: int = 1) -> Any:
        if argindex != 1:
            raise sympy.ArgumentIndexError(self, argindex)
        return sigmoid(self.args[0])

    def _eval_rewrite_as_exp(self, arg: Any, **kwargs: Any) -> Any:
        return sympy.log(1 + sympy.exp(arg))

    def _eval_evalf(self, prec: int) -> Any:
        return self.rewrite(sympy.exp)._eval_evalf(prec)

    def _eval_is_real(self) -> Any:
        return self.args[0].is_real

    def _eval_is_positive(self) -> Any:
        return self.args[0].is_real

    def _latex(self, printer: Any, exp: str | None = None) -> str:
        return _latex_call(r"\operatorname{softplus}", printer, self.args[0], exp)
