"""Python's arithmetic operators on traced scalars, computed as NumPy computes them.

NumPy has two arithmetics. An operator between two NumPy *scalars* (``a * b`` where ``a``
and ``b`` are ``np.complex128`` values, as ``np.exp(1j * x)`` of a 0-d ``x`` returns)
runs NumPy's scalar math, plain C; the same operation on arrays, and every explicit ufunc
call (``np.multiply(a, b)``), runs the ufunc's loop, which may use SIMD and fused
multiply-adds. The two round differently: a complex product differs in about 4 of 10
random cases by an ulp or two, ``abs`` of a complex scalar and ``x ** y`` of two
float64 scalars in some (measured on an AVX-512 machine with NumPy 2.4). Which one runs
depends on the machine and the NumPy build.

So that a traced program gives NumPy's own bits, a Tensor's operator whose operands are
both scalars (not arrays) applies the :class:`OperatorForm` of its primitive: the same
derivative rules, computed by Python's operator, which for NumPy scalars *is* NumPy's
scalar math. The backward pass of ``gk.grad`` runs the rules on plain values, whose
operators take the same path, and ``gk.jit`` records the operator: so ``gk.jit(gk.grad)``
replays the very operations ``gk.grad`` ran, bit for bit. With an array among the
operands NumPy's operator calls the ufunc itself, so the ordinary primitive (and, under
``gk.jit``, its ufunc with every replay optimization) is used.

>>> import numpy as np
>>> import gradkit as gk
>>> a, b = np.complex128(0.3 + 1.1j), np.complex128(-0.7 + 0.4j)
>>> f = lambda x: np.real((a * x) * b)  # x 0-d: a * x is a NumPy scalar
>>> bool(gk.grad(f)(np.array(0.9)) == np.real(a * b))  # NumPy's scalar product, bit for bit
True
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from gradkit.autodiff.primitives import Operand, Primitive

__all__ = ["OperatorForm", "FORMS"]

_ndarray = np.ndarray


class OperatorForm(Primitive):
    """Primitive ``base`` computed by Python's operator ``op``: one name, the same rules.

    Everything but ``impl`` and ``lower`` is read from ``base`` on each use, so a rule
    given to ``base`` later (``gk.defvjp``, a test's monkeypatch) is this form's too.
    Under ``gk.jit`` an application with an array among its operands is recorded as
    ``ufunc`` (the call NumPy's operator makes then), so the replay may reuse memory.
    """

    def __init__(self, base: Primitive, op: Callable, ufunc: Any) -> None:
        # Primitive.__init__ is not called: this form registers nothing and owns no rules.
        self.__dict__.update(
            base=base,
            name=base.name,
            impl=_numpy_result(op),
            elementwise=base.elementwise,
            __name__=getattr(op, "__name__", base.name),
            __doc__=f"{base.name} as Python's operator computes it (see operator_forms.py)",
        )
        form = [(ufunc, tuple(Operand(i) for i in range(ufunc.nin)))]

        def lower(*args: Any) -> Any:
            for a in args:
                if type(a) is _ndarray:
                    return form  # an array among them: NumPy's operator calls the ufunc
            return None  # scalars: the operator itself is recorded

        self.__dict__["lower"] = lower

    # The rules are base's, read at each use (properties: no copy to fall out of date).
    @property
    def _vjps(self) -> Any:  # type: ignore[override]
        return self.base._vjps

    @property
    def _vjp_any(self) -> Any:  # type: ignore[override]
        return self.base._vjp_any

    @property
    def jvp(self) -> Any:  # type: ignore[override]
        """The forward-mode rule: ``base``'s."""
        return self.base.jvp

    @property
    def user_jvps(self) -> tuple:  # type: ignore[override]
        """User-given forward-mode rules: ``base``'s."""
        return self.base.user_jvps

    @property
    def vjp_in_place(self) -> Any:  # type: ignore[override]
        """The in-place reverse-mode rule: ``base``'s."""
        return self.base.vjp_in_place

    def __getattr__(self, name: str) -> Any:  # anything else a primitive may carry
        if name == "base":
            raise AttributeError(name)
        return getattr(self.base, name)

    def __repr__(self) -> str:
        return f"<gradkit primitive {self.name} (operator form)>"


_AS_NUMPY = {float: np.float64, complex: np.complex128}


def _numpy_result(op: Callable) -> Callable:
    """``op``, with a Python number it returns held as NumPy's scalar of the same bits.

    Python's own number comes out of ``1j * x`` with ``x`` a float64 scalar (Python's
    complex computes it: np.float64 subclasses float); the engine needs a value with a
    shape and a dtype, and NumPy's scalar math on the complex128 afterwards uses the
    same formulas as Python's complex arithmetic."""

    def impl(*args: Any) -> Any:
        r = op(*args)
        to = _AS_NUMPY.get(type(r))
        return r if to is None else to(r)

    # a module-level name (scalar_mul, ...), which gk.jit(f).source(...) can import
    impl.__name__ = impl.__qualname__ = f"scalar_{op.__name__}"
    impl.__module__ = __name__
    globals()[impl.__name__] = impl
    return impl


def _forms() -> dict:
    from gradkit.autodiff.rules import elementwise

    P = elementwise.P
    table = (
        ("add", operator.add, np.add),
        ("subtract", operator.sub, np.subtract),
        ("multiply", operator.mul, np.multiply),
        ("true_divide", operator.truediv, np.true_divide),
        ("power", operator.pow, np.power),
        ("remainder", operator.mod, np.remainder),
        ("absolute", operator.abs, np.absolute),
    )
    return {P[name]: OperatorForm(P[name], op, ufunc) for name, op, ufunc in table}


#: For each arithmetic primitive, its operator form.
FORMS: dict = _forms()
