"""Casts between dtypes, and NumPy's ``dtype=`` arguments, on traced values.

A cast to another floating-point or complex dtype is differentiable: the derivative of
a cast from complex to real is the real part, and its cotangent comes back as a complex
number with no imaginary part. A cast to an integer or boolean dtype gives a piecewise
constant result, so its derivative is zero: it is computed on plain values and its result
is a constant, as for ``np.floor``. ``dtype=`` in a reduction or a ufunc casts the inputs
first, as NumPy does (``np.sum(x, dtype=int)`` sums the truncated values), so the value
is NumPy's and an integer ``dtype`` gives a constant.

>>> import numpy as np
>>> import gradkit as gk
>>> gk.grad(lambda x: np.sum(x.astype(int) * x))(np.array([1.5, -2.5]))  # trunc(x)
array([ 1., -2.])
>>> gk.grad(lambda x: np.sum(x, dtype=int) + np.sum(x))(np.array([1.5, 2.5]))
array([1., 1.])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gradkit.autodiff.primitives import apply_constant, peek
from gradkit.autodiff.rules import shape

__all__ = ["astype", "is_differentiable_dtype", "reduce_in_dtype", "ufunc_in_dtype"]


def is_differentiable_dtype(dtype: Any) -> bool:
    """Whether values of ``dtype`` carry a derivative (floating-point and complex)."""
    return np.dtype(dtype).kind in "fc"


def _cast(x: Any, dtype: Any) -> Any:
    return np.asarray(x).astype(dtype)


def astype(a: Any, dtype: Any) -> Any:
    """Cast ``a`` to ``dtype``.

    To a float or complex dtype the cast is differentiable (the cotangent is cast back
    to ``a``'s dtype; from complex to real, the derivative is the real part). To an
    integer or boolean dtype the result is piecewise constant: a constant, derivative 0.
    """
    dtype = np.dtype(dtype)
    if np.result_type(peek(a)) == dtype:
        return a
    if not is_differentiable_dtype(dtype):
        return apply_constant(_cast, (a,), {"dtype": dtype})
    return shape.astype_p(a, dtype=dtype)


def reduce_in_dtype(np_fn: Callable, reduce: Callable, a: Any, dtype: Any, kw: dict) -> Any:
    """``np_fn(a, dtype=dtype, **kw)`` (``np.sum``, ``np.prod``, ``np.mean``...) as NumPy
    computes it: the entries cast to ``dtype`` first. ``reduce(a, **kw)`` is gradkit's
    differentiable version, used for a float or complex ``dtype``."""
    if not is_differentiable_dtype(dtype):
        return apply_constant(np_fn, (a,), {**kw, "dtype": np.dtype(dtype)})
    return reduce(astype(a, dtype), **kw)


def ufunc_in_dtype(ufunc: Any, fn: Callable, inputs: tuple, dtype: Any, casting: str) -> Any:
    """``ufunc(*inputs, dtype=dtype, casting=casting)``: the inputs cast to ``dtype``
    first, as NumPy does; ``fn`` is gradkit's differentiable version of the ufunc. An
    integer or boolean ``dtype`` gives a constant."""
    dtype = np.dtype(dtype)
    if not is_differentiable_dtype(dtype):
        return apply_constant(ufunc, inputs, {"dtype": dtype, "casting": casting})
    # NumPy's own casting check, on empty arrays of the inputs' dtypes: its error if any
    ufunc(*[_empty_like(x) for x in inputs], dtype=dtype, casting=casting)
    return fn(*[astype(x, dtype) if not _python_number(x) else x for x in inputs])


def _python_number(x: Any) -> bool:
    return type(x) in (int, float, complex, bool)


def _empty_like(x: Any) -> Any:
    if _python_number(x):
        return x  # weakly typed, as NumPy treats it
    return np.empty((0,), dtype=np.result_type(peek(x)))
