"""Element: one traced value as an entry of the object arrays NumPy builds from it.

When NumPy builds an array from traced values (``np.array([x, y])``, ``np.asarray(t)``),
each entry of the object array it makes is an :class:`Element`, and NumPy's object loops
compute with Elements: every operator, ufunc (``__array_ufunc__``) and method named
after a ufunc (``e.sin()``, which NumPy's loops call) applies to the traced value inside,
and a 0-d result is wrapped again. An Element has no ``dtype``, as a Python number has
none, so NumPy's own code finishes ``np.mean([x, x + 2])`` with ``total / n`` (as for
Python numbers) instead of ``np.float64(total)``, which no traced value survives.

>>> import numpy as np
>>> import gradkit as gk
>>> gk.grad(lambda x: np.mean([x, x**2]))(np.array([1.0, 3.0]))  # (1 + 2 x) / 4
array([0.75, 1.75])
"""

from __future__ import annotations

import operator
from typing import Any

from gradkit.autodiff import primitives

__all__ = ["Element", "wrap", "unwrap"]


class Element:
    """One 0-d traced value standing in an object array (made by :func:`wrap`)."""

    __slots__ = ("value",)
    __array_priority__ = 1000.0

    def __init__(self, value: Any) -> None:
        self.value = value

    shape = ()
    ndim = 0

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if kwargs.get("out") is not None:
            raise TypeError(
                f"np.{ufunc.__name__}(..., out=...) would write a traced value into an "
                "array and drop its gradient; assign the result instead"
            )
        kwargs.pop("out", None)
        return wrap(getattr(ufunc, method)(*[unwrap(x) for x in inputs], **kwargs))

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        return func(*_unwrap_tree(args), **_unwrap_tree(kwargs))

    def __float__(self) -> float:
        return float(self.value)

    def __int__(self) -> int:
        return int(self.value)

    def __bool__(self) -> bool:
        return bool(self.value)

    def __repr__(self) -> str:
        return f"Element({self.value!r})"

    def conjugate(self) -> Any:  # NumPy's object loop of np.conjugate (and np.var) calls it
        return wrap(self.value.conjugate()) if hasattr(self.value, "conjugate") else self


def _binary(op: Any) -> tuple:
    def forward(self, other):
        return wrap(op(self.value, unwrap(other)))

    def reflected(self, other):
        return wrap(op(unwrap(other), self.value))

    return forward, reflected


for _name, _op in (
    ("add", operator.add), ("sub", operator.sub), ("mul", operator.mul),
    ("truediv", operator.truediv), ("floordiv", operator.floordiv), ("mod", operator.mod),
    ("pow", operator.pow), ("matmul", operator.matmul),
):  # fmt: skip
    _f, _r = _binary(_op)
    setattr(Element, f"__{_name}__", _f)
    setattr(Element, f"__r{_name}__", _r)

for _name, _op in (
    ("lt", operator.lt), ("le", operator.le), ("gt", operator.gt), ("ge", operator.ge),
    ("eq", operator.eq), ("ne", operator.ne),
):  # fmt: skip
    setattr(Element, f"__{_name}__", _binary(_op)[0])
Element.__hash__ = object.__hash__  # type: ignore[assignment]

for _name, _op in (("neg", operator.neg), ("pos", operator.pos), ("abs", operator.abs)):
    setattr(Element, f"__{_name}__", (lambda op: lambda self: wrap(op(self.value)))(_op))


def wrap(r: Any) -> Any:
    """A 0-d traced result as an Element; anything else as it is."""
    if type(r) is primitives._Tensor and not r.shape:
        return Element(r)
    return r


def unwrap(x: Any) -> Any:
    """The traced value inside an Element; anything else as it is."""
    return x.value if type(x) is Element else x


def _unwrap_tree(x: Any) -> Any:
    tp = type(x)
    if tp is Element:
        return x.value
    if tp is list or tp is tuple:
        return tp(_unwrap_tree(e) for e in x)
    if tp is dict:
        return {k: _unwrap_tree(v) for k, v in x.items()}
    return x


def add_ufunc_methods(ufuncs: Any) -> None:
    """Give Element a method for each of ``ufuncs`` (``e.sin()``, ``e.arctan2(u)``): NumPy's
    object loops call an entry's method of the ufunc's name."""
    for ufunc in ufuncs:
        name = ufunc.__name__
        if hasattr(Element, name):
            continue
        if ufunc.nin == 1:

            def method(self, _u=ufunc):
                return _u(self)

        else:

            def method(self, other, _u=ufunc):
                return _u(self, other)

        method.__name__ = name
        setattr(Element, name, method)
