"""NumPy's writes on traced arrays: ``out=`` and ``where=``, ``ufunc.at``, ``np.copyto``,
``np.put``, ``np.place``, ``np.fill_diagonal``, ``np.put_along_axis``.

Each computes the destination's new value with differentiable operations and hands it to
:func:`gradkit.autodiff.views.write`, so the destination's root and every view of it see
the write, as in NumPy. The destination must be a traced array (a Tensor): a plain NumPy
array cannot hold a derivative, and writing a traced value into one is refused with an
error that says so. ``np.zeros_like(x)`` (and ``ones_like``, ``empty_like``,
``full_like``) of a traced ``x`` is a Tensor for that reason: the usual way to make an
array to fill.

Importing :mod:`gradkit.autodiff.numpy_api` registers everything here.

>>> import numpy as np
>>> import gradkit as gk
>>> def f(x):
...     out = np.zeros_like(x)
...     np.add.at(out, [0, 0, 2], x)   # out[0] gets x0 + x1, out[2] gets x2
...     return np.sum(out**2)
>>> gk.grad(f)(np.array([1.0, 2.0, 3.0]))
array([6., 6., 6.])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradkit.autodiff import casts, primitives, views
from gradkit.autodiff.errors import InPlaceError, NoRuleError
from gradkit.autodiff.numpy_api import _one_axis, implements
from gradkit.autodiff.numpy_api import where as _where
from gradkit.autodiff.primitives import peek, shape_of, value_of
from gradkit.autodiff.rules import scatter, shape

__all__: list[str] = []  # reached through NumPy itself, with NumPy's signatures


def _traced(x: Any) -> bool:
    return type(x) is primitives._Tensor and x._trace is not None


def _tensor(x: Any) -> bool:
    return type(x) is primitives._Tensor


def _refuse_plain(dst: Any, values: tuple) -> None:
    """Writing traced values into a plain array: refused, naming what to do."""
    for v in values:
        if _traced(v):
            raise views.into_ndarray_error(v)


# arrays to fill ----------------------------------------------------------------------
def _like(fn: Any) -> Any:
    def like(prototype, *args, **kwargs):
        r = fn(peek(prototype), *args, **kwargs)
        if _tensor(prototype) and r.dtype.kind in "fc":
            return primitives._Tensor._const(r)  # a traced value may be written into it
        return r

    like.__name__ = fn.__name__
    return like


for _f in (np.zeros_like, np.ones_like, np.empty_like):
    implements(_f)(_like(_f))


@implements(np.full_like)
def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None):
    fill = peek(fill_value) if _traced(fill_value) else value_of(fill_value)
    r = np.full_like(peek(a), fill, dtype, order, subok, shape)
    if r.dtype.kind not in "fc":
        return np.full_like(peek(a), value_of(fill_value), dtype, order, subok, shape)
    out = primitives._Tensor._const(r)
    if _traced(fill_value):
        out[...] = fill_value  # its derivative flows into every entry
    return out


# out= and where= -----------------------------------------------------------------------
def _store(out: Any, value: Any, who: str) -> Any:
    """``out[...] = value`` for a ufunc's ``out=``, with NumPy's checks; returns ``out``."""
    if not _tensor(out):
        if _traced(value):
            raise InPlaceError(
                f"{who} with out= (or an augmented assignment like `a += t` on a NumPy array "
                "a) would write a traced value into a plain array and drop its gradient. "
                "Write `a = a + t` instead, or make `a` a traced array (a = np.zeros_like(x) "
                "is one when x is traced)."
            )
        np.copyto(out, value_of(value))
        return out
    vshape, oshape = shape_of(value), shape_of(out)
    if np.broadcast_shapes(vshape, oshape) != oshape:
        raise ValueError(
            f"{who}: non-broadcastable output operand with shape {oshape} doesn't match the "
            f"broadcast shape {vshape}"
        )
    src, dst = np.result_type(peek(value)), np.result_type(peek(out))
    if not np.can_cast(src, dst, "same_kind"):
        raise TypeError(
            f"{who}: cannot cast the output from {src} to {dst} with casting rule 'same_kind'"
        )
    out._check_writable("y = f(x) instead of f(x, out=y)")
    views.setitem(out, (Ellipsis,), value)
    return out


def store_result(out: Any, value: Any, who: str) -> Any:
    """A reduction's ``out=`` (``np.sum(x, axis=0, out=o)``): ``out[...] = value``, where
    ``out`` has the result's shape, as NumPy requires; returns ``out``, as NumPy does.
    A traced result goes into a traced ``out`` (``np.zeros_like(x)`` of a traced ``x``
    is one), never into a plain array, which would drop its gradient (InPlaceError).

    >>> import numpy as np
    >>> import gradkit as gk
    >>> def f(x):
    ...     o = np.zeros_like(x[0])
    ...     np.sum(x * x, axis=0, out=o)
    ...     return np.sum(o)
    >>> gk.grad(f)(np.array([[1.0, 2.0], [3.0, 4.0]]))
    array([[2., 4.],
           [6., 8.]])
    """
    if isinstance(out, tuple) and len(out) == 1:
        out = out[0]
    if not _tensor(out) and _traced(value):
        raise InPlaceError(
            f"{who}(..., out=...) would write a traced result into a plain NumPy array, "
            f"which cannot hold its derivative; assign the result instead: y = {who}(...), "
            "or pass a traced out (np.zeros_like(x) is one when x is traced)"
        )
    if shape_of(out) != shape_of(value):
        raise ValueError(
            f"{who}: the output array out= has shape {shape_of(out)}, but the result has shape "
            f"{shape_of(value)}; pass an array of the result's shape (keepdims= decides it)"
        )
    return _store(out, value, who)


def apply_ufunc_writing(ufunc: Any, method: str, inputs: tuple, kwargs: dict) -> Any:
    """A ufunc call that writes: ``out=`` (and ``where=``), or ``ufunc.at``."""
    from gradkit.autodiff import numpy_api

    name = f"np.{ufunc.__name__}"
    if method == "at":
        return _at(ufunc, *inputs, **kwargs)
    kwargs = dict(kwargs)
    out = kwargs.pop("out", None)
    mask = kwargs.pop("where", True)
    if isinstance(out, tuple):
        if len(out) != 1:
            raise NoRuleError(f"{name} with {len(out)} outputs has no derivative rule in gradkit")
        out = out[0]
    masked = not (mask is True or (np.ndim(peek(mask)) == 0 and bool(value_of(mask))))
    if masked and method != "__call__":
        raise TypeError(f"{name}.{method}: where= is not supported on traced values")
    if masked and out is None:
        raise TypeError(
            f"{name}(..., where=mask) without out= leaves the entries where mask is False "
            f"uninitialized (NumPy warns about it); pass the array to keep there: "
            f"{name}(..., where=mask, out=y), e.g. y = np.zeros_like(x)."
        )
    if out is not None and all(not _tensor(a) for a in inputs):
        # Only out is a Tensor: plain inputs, a plain result written into it.
        result = getattr(ufunc, method)(*inputs, **kwargs)
    else:
        result = numpy_api.apply_ufunc(ufunc, method, inputs, kwargs)
    if out is None:
        return result
    if masked:
        old = out if _tensor(out) else np.array(out)
        cond = value_of(mask) if not _tensor(mask) else mask
        result = _where(cond, result, old)
    return _store(out, result, name)


# ufunc.at ------------------------------------------------------------------------------
def _index_tuple(indices: Any) -> tuple:
    if not isinstance(indices, tuple):
        indices = (indices,)
    return tuple(np.asarray(value_of(k)) if isinstance(k, list) or _tensor(k) else k
                 for k in indices)  # fmt: skip


def _occurrence(flat: np.ndarray) -> np.ndarray:
    """For each entry, how many earlier entries name the same position (0 for the first)."""
    n = flat.size
    order = np.argsort(flat, kind="stable")
    s = flat[order]
    first = np.ones(n, dtype=bool)
    first[1:] = s[1:] != s[:-1]
    run_start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    rank = np.empty(n, dtype=np.intp)
    rank[order] = np.arange(n) - run_start
    return rank


def _at(ufunc: Any, a: Any, indices: Any, b: Any = None) -> None:
    name = f"np.{ufunc.__name__}.at"
    if not _tensor(a):
        _refuse_plain(a, (b,))
        args = (value_of(indices),) if b is None else (value_of(indices), value_of(b))
        ufunc.at(a, *args)
        return None
    a._check_writable(f"y = x.copy(); {name}(y, ...)")
    idx = _index_tuple(indices)
    dtype = np.result_type(peek(a))
    if b is not None and type(b) in primitives.SEQUENCES:
        b = np.asarray(b)
    if b is not None and ufunc in (np.add, np.subtract):
        if np.result_type(peek(b)) != dtype:
            b = casts.astype(b, dtype)
        if ufunc is np.subtract:
            b = -b  # a - b rounds as a + (-b)
        views.write(a, scatter.add_at_p(a, b, idx=idx))
        return None
    # Rounds that each name a position at most once, in NumPy's order: the k-th write
    # to every position happens in round k, so each position sees its values in turn.
    a_shape = shape_of(a)
    size = int(np.prod(a_shape))
    positions = np.asarray(np.arange(size).reshape(a_shape)[idx])
    flat = positions.reshape(-1)
    if flat.size == 0:
        return None
    rank = _occurrence(flat)
    values = a if len(a_shape) == 1 else shape.reshape_p(a, shape=(size,))
    if b is not None:
        b_flat = shape.reshape_p(shape.broadcast_to_p(b, shape=positions.shape), shape=(flat.size,))
    for r in range(int(rank.max()) + 1):
        picked = np.flatnonzero(rank == r)
        where_to = (flat[picked],)
        old = shape.getitem_p(values, idx=where_to)
        new = ufunc(old) if b is None else ufunc(old, shape.getitem_p(b_flat, idx=(picked,)))
        if np.result_type(peek(new)) != dtype:
            new = casts.astype(new, dtype)
        values = shape.index_update_p(values, new, idx=where_to)
    views.write(a, values if len(a_shape) == 1 else shape.reshape_p(values, shape=a_shape))
    return None


# functions that write ------------------------------------------------------------------
def _write_flat(a: Any, positions: np.ndarray, v: Any, name: str) -> None:
    """``a.flat[positions] = v`` with ``v`` repeated to fill them, as np.put does."""
    a._check_writable(f"y = x.copy(); {name}(y, ...)")
    n = positions.size
    if n == 0:
        return
    v_size = int(np.prod(shape_of(v)))
    if v_size == 0:
        raise ValueError(f"{name}: cannot insert from an empty array")
    v_flat = shape.reshape_p(v, shape=(v_size,))
    if v_size != n:
        v_flat = shape.getitem_p(v_flat, idx=(np.arange(n) % v_size,))
    dtype = np.result_type(peek(a))
    if np.result_type(peek(v_flat)) != dtype:
        v_flat = casts.astype(v_flat, dtype)
    a_shape = shape_of(a)
    size = int(np.prod(a_shape))
    values = shape.reshape_p(a, shape=(size,))
    values = shape.index_update_p(values, v_flat, idx=(positions,))
    views.write(a, shape.reshape_p(values, shape=a_shape))


def _plain_or(fn: Any, dst: Any, values: tuple, *args: Any, **kwargs: Any) -> bool:
    """Run ``fn`` on plain values when ``dst`` is a plain array; True if it did."""
    if _tensor(dst):
        return False
    _refuse_plain(dst, values)
    fn(dst, *[value_of(v) for v in args], **kwargs)
    return True


@implements(np.copyto)
def copyto(dst, src, casting="same_kind", where=True):
    if _plain_or(np.copyto, dst, (src,), src, casting=casting, where=value_of(where)):
        return
    if type(src) in primitives.SEQUENCES:
        src = np.asarray(src)
    s, d = np.result_type(peek(src)), np.result_type(peek(dst))
    if not np.can_cast(s, d, casting):
        raise TypeError(f"np.copyto: cannot cast from {s} to {d} with casting={casting!r}")
    dst._check_writable("y = np.where(mask, src, x)")
    cond = where if _tensor(where) else np.asarray(where)
    if not (np.ndim(peek(cond)) == 0 and bool(value_of(cond))):
        src = _where(cond, src, dst)
    views.setitem(dst, (Ellipsis,), src)


@implements(np.put)
def put(a, ind, v, mode="raise"):
    if _plain_or(np.put, a, (v,), ind, v, mode=mode):
        return
    size = int(np.prod(shape_of(a)))
    ind = np.asarray(value_of(ind), dtype=np.intp).reshape(-1)
    if mode == "wrap":
        ind = ind % size
    elif mode == "clip":
        ind = np.clip(ind, 0, size - 1)
    elif ind.size and (ind.min() < -size or ind.max() >= size):
        bad = ind[(ind < -size) | (ind >= size)][0]
        raise IndexError(f"index {bad} is out of bounds for axis 0 with size {size}")
    _write_flat(a, ind % max(size, 1), v, "np.put")


@implements(np.place)
def place(arr, mask, vals):
    if _plain_or(np.place, arr, (vals,), mask, vals):
        return
    positions = np.flatnonzero(np.asarray(value_of(mask)))
    if type(vals) in primitives.SEQUENCES:
        vals = np.asarray(vals)
    _write_flat(arr, positions, vals, "np.place")


@implements(np.fill_diagonal)
def fill_diagonal(a, val, wrap=False):
    if _plain_or(np.fill_diagonal, a, (val,), val, wrap=wrap):
        return
    s = shape_of(a)
    if len(s) < 2:
        raise ValueError("np.fill_diagonal: array must be at least 2-d")
    end = None
    if len(s) == 2:
        step = s[1] + 1
        if not wrap:
            end = s[1] * s[1]
    else:
        if len(set(s)) != 1:
            raise ValueError("np.fill_diagonal: all dimensions of input must be of equal length")
        step = 1 + int(np.cumprod(s[:-1]).sum())
    positions = np.arange(int(np.prod(s)))[:end:step]  # NumPy's a.flat[:end:step] = val
    if type(val) in primitives.SEQUENCES:
        val = np.asarray(val)
    _write_flat(a, positions, val, "np.fill_diagonal")


@implements(np.put_along_axis)
def put_along_axis(arr, indices, values, axis):
    if _plain_or(np.put_along_axis, arr, (values,), indices, values, axis):
        return
    indices = np.asarray(value_of(indices))
    if type(values) in primitives.SEQUENCES:
        values = np.asarray(values)
    s = shape_of(arr)
    if axis is None:  # the flattened array, values broadcast against the indices
        if indices.ndim != 1:
            raise ValueError("np.put_along_axis: with axis=None, indices must be 1-d")
        size = int(np.prod(s))
        values = shape.broadcast_to_p(values, shape=indices.shape)
        _write_flat(arr, indices % max(size, 1), values, "np.put_along_axis")
        return
    nd = len(s)
    ax = _one_axis(axis, nd, "put_along_axis")
    if indices.ndim != nd:
        raise ValueError(
            "np.put_along_axis: indices and arr must have the same number of dimensions"
        )
    grid = [np.arange(s[k]).reshape((1,) * k + (s[k],) + (1,) * (nd - k - 1)) for k in range(nd)]
    grid[ax] = indices
    arr._check_writable("y = x.copy(); np.put_along_axis(y, ...)")
    views.setitem(arr, tuple(grid), values)
