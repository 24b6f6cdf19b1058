"""Shape and indexing primitives: reshape, transpose, broadcast, index, scatter, concatenate.

These are linear maps, so each forward rule applies the same map to the tangent (with the
batch axes, if any, kept in front) and each reverse rule applies its transpose.
Indexing's transpose is ``scatter_add``, which adds into zeros so repeated integer
indices accumulate, as they must.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradkit.autodiff import primitives
from gradkit.autodiff.forward import insert_axes_after_batch
from gradkit.autodiff.primitives import Operand, Primitive, ndim_of, peek, shape_of


def _batch_index(idx: tuple, nb: int) -> tuple:
    return (slice(None),) * nb + idx


def _moved_to_front(idx: tuple) -> int:
    """How many axes NumPy puts in front of all others when it indexes with ``idx``.

    Advanced indices (integer or boolean arrays, and integers beside them) that are
    separated by a slice, an ellipsis or a new axis have their broadcast axes moved to
    the front of the result, ahead of any batch axes a tangent carries; adjacent ones
    stay in place. Returns that broadcast rank, or 0 when nothing moves.
    """
    arrays = [k for k in idx if isinstance(k, (np.ndarray, list))]
    if not arrays:
        return 0
    where = [
        j
        for j, k in enumerate(idx)
        if isinstance(k, (np.ndarray, list, int, np.integer)) and not isinstance(k, bool)
    ]
    if where[-1] - where[0] + 1 == len(where):
        return 0  # adjacent: the result's axes stay where the indices are
    ranks = [1 if np.asarray(k).dtype == bool else np.ndim(k) for k in arrays]
    return max(ranks)


def _batch_first(r, nb: int, idx: tuple):
    """``r = t[_batch_index(idx, nb)]`` with its ``nb`` batch axes back in front."""
    k = _moved_to_front(idx) if nb else 0
    return np.moveaxis(r, tuple(range(k, k + nb)), tuple(range(nb))) if k else r


def _batch_after_moved(v, nb: int, idx: tuple):
    """A value with ``nb`` batch axes in front, laid out for ``a[_batch_index(idx, nb)] =
    v``: where NumPy moves the indexed axes to the front, the batch axes follow them."""
    k = _moved_to_front(idx) if nb else 0
    return np.moveaxis(v, tuple(range(nb)), tuple(range(k, k + nb))) if k else v


# reshape -----------------------------------------------------------------------------
def _reshape(x, shape):
    return np.reshape(x, shape)


reshape_p = Primitive("reshape", _reshape)
reshape_p.vjps = (lambda g, ans, x, shape: g.reshape(shape_of(x)),)
reshape_p.jvp = lambda nb, i, t, ans, x, shape: np.reshape(t, shape_of(t)[:nb] + shape_of(ans))
reshape_p.lower = lambda x, shape: (
    [(np.ndarray.reshape, (Operand(0), shape))] if type(x) is np.ndarray else None
)


# transpose ---------------------------------------------------------------------------
def _transpose(x, axes):
    return np.transpose(x, axes)


transpose_p = Primitive("transpose", _transpose)
transpose_p.vjps = (lambda g, ans, x, axes: g.transpose(tuple(np.argsort(axes))),)
transpose_p.jvp = lambda nb, i, t, ans, x, axes: np.transpose(
    t, tuple(range(nb)) + tuple(a + nb for a in axes)
)
transpose_p.lower = lambda x, axes: (
    [(np.ndarray.transpose, (Operand(0), axes))] if type(x) is np.ndarray else None
)


# broadcast_to ------------------------------------------------------------------------
def _broadcast_to(x, shape):
    return np.broadcast_to(x, shape)


def _unbroadcast(g, shape):
    from gradkit.autodiff.reverse import unbroadcast

    return unbroadcast(g, shape)


def _broadcast_jvp(nb, i, t, ans, x, shape):
    batch = shape_of(t)[:nb]
    t = insert_axes_after_batch(t, nb, len(shape) - (ndim_of(t) - nb))
    return np.broadcast_to(t, batch + tuple(shape))


broadcast_to_p = Primitive("broadcast_to", _broadcast_to)
broadcast_to_p.vjps = (lambda g, ans, x, shape: _unbroadcast(g, shape_of(x)),)
broadcast_to_p.jvp = _broadcast_jvp


# indexing ----------------------------------------------------------------------------
def _getitem(x, idx):
    return x[idx]


def _is_basic(idx: tuple) -> bool:
    """True when no index can repeat a position (no integer arrays or lists, plain or
    traced by gk.jit or gk.vmap)."""
    Tensor = primitives._Tensor
    for k in idx:
        if isinstance(k, (np.ndarray, list)) and np.asarray(k).dtype != bool:
            return False
        if type(k) is Tensor and k.dtype != bool:
            return False
    return True


def _traced(*xs) -> bool:
    """True when a value is itself traced (an outer transform's value under a nested one).

    A primitive's ``impl`` receives the values under its own trace's boxes; in nested
    transforms those are the outer transforms' Tensors. Implementations that build a
    plain array and write into it must instead re-apply the primitive, which records it
    on the outer trace.
    """
    Tensor = primitives._Tensor
    return any(type(x) is Tensor for x in xs)


def _scatter_add(g, idx, shape):
    if _traced(g):
        return scatter_add_p(g, idx=idx, shape=shape)
    out = np.zeros(shape, dtype=np.result_type(g))
    if _is_basic(idx):
        out[idx] = g
    else:
        np.add.at(out, idx, g)
    return out


getitem_p = Primitive("getitem", _getitem)
getitem_p.vjps = (lambda g, ans, x, idx: scatter_add_p(g, idx=idx, shape=shape_of(x)),)
getitem_p.jvp = lambda nb, i, t, ans, x, idx: _batch_first(t[_batch_index(idx, nb)], nb, idx)

scatter_add_p = Primitive("scatter_add", _scatter_add)
scatter_add_p.vjps = (lambda g, ans, x, idx, shape: g[idx],)
scatter_add_p.jvp = lambda nb, i, t, ans, x, idx, shape: scatter_add_p(
    _batch_after_moved(t, nb, idx), idx=_batch_index(idx, nb), shape=shape_of(t)[:nb] + tuple(shape)
)


def _index_update(x, v, idx):
    if _traced(x, v):
        return index_update_p(x, v, idx=idx)
    out = np.array(x, copy=True, dtype=np.result_type(x, v))
    out[idx] = v
    return out


def _index_update_jvp(nb, i, t, ans, x, v, idx):
    bidx = _batch_index(idx, nb)
    if i == 0:
        return index_update_p(t, 0.0, idx=bidx)
    zeros = np.zeros(shape_of(t)[:nb] + shape_of(ans), dtype=np.result_type(t))
    if nb:
        # The rank of ans[idx], read off a zero-stride view instead of a new array.
        target_ndim = np.broadcast_to(np.False_, shape_of(ans))[idx].ndim
        t = _batch_after_moved(insert_axes_after_batch(t, nb, target_ndim - ndim_of(v)), nb, idx)
    return index_update_p(zeros, t, idx=bidx)


def _last_writes(idx: tuple, shape: tuple) -> np.ndarray:
    """Which entries of ``x[idx] = v`` survive: with repeated integer indices NumPy keeps
    the last write to each position, so only those receive a cotangent."""
    Tensor = primitives._Tensor
    if any(type(k) is Tensor for k in idx):  # an index traced by gk.jit or gk.vmap
        arrays = tuple(k for k in idx if type(k) is Tensor)
        spec = tuple(None if type(k) is Tensor else (k,) for k in idx)
        return primitives.apply_constant(last_writes_of, arrays, {"spec": spec, "shape": shape})
    slot = np.full(shape, -1, dtype=np.intp)
    target = slot[idx].shape
    order = np.arange(int(np.prod(target)), dtype=np.intp).reshape(target)
    slot[idx] = order
    return slot[idx] == order


def last_writes_of(*arrays: Any, spec: tuple, shape: tuple) -> Any:
    """:func:`_last_writes` of the index whose entries are ``spec``'s, with its traced
    arrays (the ``None`` entries) given as ``arrays``: a function gk.jit records and
    gk.vmap batches (autodiff/rules/batch_index.py)."""
    it = iter(arrays)
    return _last_writes(tuple(next(it) if k is None else k[0] for k in spec), shape)


def _index_update_vjp_v(g, ans, x, v, idx):
    r = g[idx]
    if not _is_basic(idx):
        r = np.where(_last_writes(idx, shape_of(x)), r, 0.0)
    return _unbroadcast(r, shape_of(v))


index_update_p = Primitive("index_update", _index_update)
index_update_p.vjps = (
    lambda g, ans, x, v, idx: index_update_p(g, 0.0, idx=idx),
    _index_update_vjp_v,
)
index_update_p.jvp = _index_update_jvp


# concatenate -------------------------------------------------------------------------
def _concatenate(*xs, axis):
    return np.concatenate(xs, axis=axis)


def _concatenate_vjp(i, g, ans, *xs, axis):
    start = sum(shape_of(x)[axis] for x in xs[:i])
    stop = start + shape_of(xs[i])[axis]
    return g[(slice(None),) * axis + (slice(start, stop),)]


def _concatenate_jvp(nb, i, t, ans, *xs, axis):
    batch = shape_of(t)[:nb]
    dtype = np.result_type(t)
    parts = [t if j == i else np.zeros(batch + shape_of(x), dtype) for j, x in enumerate(xs)]
    return concatenate_p(*parts, axis=axis + nb)


concatenate_p = Primitive("concatenate", _concatenate)
concatenate_p.vjp_any = _concatenate_vjp
concatenate_p.jvp = _concatenate_jvp


# dtype casts -------------------------------------------------------------------------
def _astype(x, dtype):
    if _traced(x):
        return astype_p(x, dtype=dtype)
    return np.asarray(x).astype(dtype)


def _cast_derivative(t, dtype):
    """A tangent or cotangent in ``dtype``; a complex one cast to a real dtype keeps its
    real part (the derivative of a complex-to-real cast), without NumPy's warning."""
    if dtype.kind != "c" and np.result_type(peek(t)).kind == "c":
        t = np.real(t)
    return astype_p(t, dtype=dtype)


astype_p = Primitive("astype", _astype)
astype_p.vjps = (lambda g, ans, x, dtype: _cast_derivative(g, np.result_type(peek(x))),)
astype_p.jvp = lambda nb, i, t, ans, x, dtype: _cast_derivative(t, dtype)


# diagonal ----------------------------------------------------------------------------
# np.diagonal is a view (read-only in NumPy), so it is a primitive of its own rather than
# indexing with index arrays, which would be a copy.
def _diagonal(x, offset, axis1, axis2):
    return np.diagonal(x, offset, axis1, axis2)


def diagonal_positions(shape: tuple, offset: int, axis1: int, axis2: int) -> tuple:
    """The row and column numbers of ``np.diagonal``'s entries along ``axis1``/``axis2``."""
    n1, n2 = shape[axis1], shape[axis2]
    n = max(0, min(n1, n2 - offset) if offset >= 0 else min(n1 + offset, n2))
    return np.arange(n) + max(-offset, 0), np.arange(n) + max(offset, 0)


def _diagonal_scatter(g, shape, offset, axis1, axis2):
    """Zeros of ``shape`` with ``g`` on the diagonal: the transpose of ``np.diagonal``."""
    if _traced(g):
        return diagonal_scatter_p(g, shape=shape, offset=offset, axis1=axis1, axis2=axis2)
    out = np.zeros(shape, dtype=np.result_type(g))
    rows, cols = diagonal_positions(shape, offset, axis1, axis2)
    np.moveaxis(out, (axis1, axis2), (-2, -1))[..., rows, cols] = g
    return out


diagonal_p = Primitive("diagonal", _diagonal)
diagonal_p.vjps = (
    lambda g, ans, x, offset, axis1, axis2: diagonal_scatter_p(
        g, shape=shape_of(x), offset=offset, axis1=axis1, axis2=axis2
    ),
)
diagonal_p.jvp = lambda nb, i, t, ans, x, offset, axis1, axis2: diagonal_p(
    t, offset=offset, axis1=axis1 + nb, axis2=axis2 + nb
)

diagonal_scatter_p = Primitive("diagonal_scatter", _diagonal_scatter)
diagonal_scatter_p.vjps = (
    lambda g, ans, x, shape, offset, axis1, axis2: diagonal_p(
        g, offset=offset, axis1=axis1, axis2=axis2
    ),
)
diagonal_scatter_p.jvp = lambda nb, i, t, ans, x, shape, offset, axis1, axis2: diagonal_scatter_p(
    t, shape=shape_of(t)[:nb] + tuple(shape), offset=offset, axis1=axis1 + nb, axis2=axis2 + nb
)
