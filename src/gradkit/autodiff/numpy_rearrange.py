"""NumPy functions that only move entries around, on traced values.

``np.rot90``, ``np.fliplr``, ``np.block``, ``np.insert``, ``np.meshgrid``,
``sliding_window_view`` and the like never compute with the values: each output entry is
a copy of some input entry. So NumPy itself is run on *index* arrays standing in for the
inputs (``arange(size).reshape(shape)``, offset per input), and its answer says which
input entry each output entry copies; the values are gathered by those indices. The
derivative is indexing's: exact, with an entry copied twice (a sliding window) receiving
both cotangents. NumPy's own argument handling (axes, ``obj`` forms, broadcasting of
``values``) is used as is, so the shapes are NumPy's.

>>> import numpy as np
>>> import gradkit as gk
>>> gk.grad(lambda x: np.sum(np.rot90(x)[0] * np.array([1.0, 10.0])))(np.eye(2))
array([[ 0.,  1.],
       [ 0., 10.]])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradkit.autodiff.numpy_api import (
    concatenate,
    diagonal,
    implements,
    ravel,
)
from gradkit.autodiff.numpy_extras import take_along_axis
from gradkit.autodiff.primitives import apply_constant, ndim_of, peek, shape_of, value_of
from gradkit.autodiff.rules import shape

__all__: list[str] = []  # reached through NumPy itself, with NumPy's signatures


def _rearranged(values: list, move: Any, dtype: Any = None) -> Any:
    """``move(*index_arrays)`` on the values: ``move`` is a NumPy function that only moves
    entries, run on index arrays standing in for ``values``; its result (an array, or a
    list/tuple of arrays) is mapped back to values by gathering."""
    index_arrays = []
    offset = 0
    for v in values:
        shp = np.shape(peek(v))
        size = int(np.prod(shp))
        index_arrays.append(np.arange(offset, offset + size, dtype=np.intp).reshape(shp))
        offset += size
    where = move(*index_arrays)
    flat = concatenate([ravel(v) for v in values], axis=0) if len(values) > 1 else ravel(values[0])
    if dtype is None:
        dtype = np.result_type(*[peek(v) for v in values])

    def gather(idx: Any) -> Any:
        if isinstance(idx, (list, tuple)):
            return type(idx)(gather(i) for i in idx)
        out = shape.getitem_p(flat, idx=(np.asarray(idx, dtype=np.intp),))
        return out if np.result_type(peek(out)) == dtype else shape.astype_p(out, dtype=dtype)

    return gather(where)


@implements(np.rot90)
def rot90(m, k=1, axes=(0, 1)):
    return _rearranged([m], lambda i: np.rot90(i, k, axes))


@implements(np.fliplr)
def fliplr(m):
    return _rearranged([m], np.fliplr)


@implements(np.flipud)
def flipud(m):
    return _rearranged([m], np.flipud)


def _splitter(np_split: Any) -> Any:
    def split(ary, indices_or_sections):
        return _rearranged([ary], lambda i: np_split(i, value_of(indices_or_sections)))

    split.__name__ = np_split.__name__
    return split


for _np_split in (np.hsplit, np.vsplit, np.dsplit):
    implements(_np_split)(_splitter(_np_split))


@implements(np.rollaxis)
def rollaxis(a, axis, start=0):
    return _rearranged([a], lambda i: np.rollaxis(i, axis, start))


@implements(np.block)
def block(arrays):
    leaves: list = []

    def collect(x):
        if type(x) is list:
            return [collect(e) for e in x]
        leaves.append(x)
        return len(leaves) - 1

    structure = collect(arrays)

    def move(*index_arrays):
        def fill(s):
            return [fill(e) for e in s] if type(s) is list else index_arrays[s]

        return np.block(fill(structure))

    return _rearranged(leaves, move)


@implements(np.insert)
def insert(arr, obj, values, axis=None):
    """``values`` inserted before ``obj`` (cast to ``arr``'s dtype, as NumPy does)."""
    obj = value_of(obj)
    dtype = np.result_type(peek(arr))
    return _rearranged([arr, values], lambda a, v: np.insert(a, obj, v, axis=axis), dtype)


@implements(np.delete)
def delete(arr, obj, axis=None):
    obj = value_of(obj)
    return _rearranged([arr], lambda a: np.delete(a, obj, axis=axis))


@implements(np.meshgrid)
def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    grids = _rearranged(list(xi), lambda *i: np.meshgrid(*i, sparse=sparse, indexing=indexing))
    return tuple(grids)


@implements(np.lib.stride_tricks.sliding_window_view)
def sliding_window_view(x, window_shape, axis=None, *, subok=False, writeable=False):
    """Windows of ``x``; an entry in several windows gets the sum of their cotangents."""
    windows = np.lib.stride_tricks.sliding_window_view
    return _rearranged([x], lambda i: windows(i, window_shape, axis))


@implements(np.partition)
def partition(a, kth, axis=-1, kind="introselect", order=None):
    """NumPy's partition, its order read off ``np.argpartition`` of the values."""
    if order is not None:
        raise TypeError("partition: order= is not supported on traced values")
    if axis is None:
        a, axis = ravel(a), 0
    kw = {"kth": value_of(kth), "axis": axis, "kind": kind}
    idx = apply_constant(np.argpartition, (a,), kw)  # recorded, not read, under gk.jit
    return take_along_axis(a, idx, axis)


@implements(np.diag)
def diag(v, k=0):
    """The k-th diagonal of a matrix, or the matrix with ``v`` on its k-th diagonal."""
    k = int(k)
    nd = ndim_of(v)
    if nd == 2:
        return diagonal(v, k)
    if nd != 1:
        raise ValueError("diag: input must be 1-d or 2-d")
    n = shape_of(v)[0] + abs(k)
    rows = np.arange(n - abs(k)) + max(-k, 0)
    cols = np.arange(n - abs(k)) + max(k, 0)
    zeros = np.zeros((n, n), dtype=np.result_type(peek(v)))
    return shape.index_update_p(zeros, v, idx=(rows, cols))


@implements(np.diagflat)
def diagflat(v, k=0):
    return diag(ravel(v), k)
