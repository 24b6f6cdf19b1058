"""Batching rules for indexing and the writes: getitem, scatter_add, index_update, add_at.

An index that is the same for every example is applied after a full slice over the batch
axis (``x[:, idx]``), with the batch axis put back in front where NumPy moves the indexed
axes forward (the helpers of :mod:`gradkit.autodiff.rules.shape` that the forward rules
use for their batched tangents). An index that differs between examples (``logp[y]`` with
a label per example) becomes an advanced index whose first entry is ``arange(batch)``,
shaped to broadcast against the others, so each example reads its own positions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradkit.autodiff.batch_trace import BatchedIndex
from gradkit.autodiff.errors import NoRuleError
from gradkit.autodiff.forward import insert_axes_after_batch
from gradkit.autodiff.primitives import apply_constant, ndim_of, shape_of
from gradkit.autodiff.rules import scatter
from gradkit.autodiff.rules import shape as shape_rules
from gradkit.autodiff.rules.shape import _batch_after_moved, _batch_first, _batch_index

__all__ = ["batched_index"]

_ADVANCED = (np.ndarray, list, BatchedIndex)


def _is_advanced(k) -> bool:
    return (
        isinstance(k, _ADVANCED)
        or (isinstance(k, (int, np.integer)) and not isinstance(k, bool))
        or (hasattr(k, "shape") and not isinstance(k, (slice, type(None))))
    )


def _refuse(why: str) -> NoRuleError:
    return NoRuleError(
        f"gk.vmap: getitem with an index that differs between examples and {why} is not "
        "supported; index with integer arrays (one per axis, before any slice), or use "
        "np.take_along_axis / a one-hot product"
    )


def batched_index(idx: tuple, size: int) -> tuple:
    """For an index with entries that differ between examples (:class:`BatchedIndex`):
    ``(new_idx, k, m)`` where ``x_batched[new_idx]`` holds, for each example, that
    example's ``x[idx]`` laid out as ``(batch, advanced axes (k of them), m axes of the
    slices before them, the rest)``; :func:`_to_example_layout` moves the advanced axes
    behind the ``m`` ones when one example's result has them there."""
    if any(k is Ellipsis for k in idx):
        raise _refuse("an ellipsis")
    where = [j for j, k in enumerate(idx) if _is_advanced(k)]
    ranks = []
    for j in where:
        k = idx[j]
        if isinstance(k, BatchedIndex):
            if np.result_type(k.value).kind == "b":
                raise _refuse("a boolean mask")
            ranks.append(ndim_of(k.value) - 1)
        else:
            if (np.asarray(k) if isinstance(k, list) else k).dtype.kind == "b":
                raise _refuse("a boolean mask")
            ranks.append(ndim_of(k))
    k_adv = max(ranks)
    new = [np.arange(size).reshape((size,) + (1,) * k_adv)]
    for e in idx:
        if isinstance(e, BatchedIndex):
            v = e.value
            e = insert_axes_after_batch(v, 1, k_adv - (ndim_of(v) - 1))
        new.append(e)
    adjacent = where[-1] - where[0] + 1 == len(where)
    m = where[0] if adjacent else 0  # slices and new axes before the advanced block
    return tuple(new), k_adv, m


def _to_example_layout(r, k: int, m: int):
    if not m:
        return r
    return np.moveaxis(r, tuple(range(1, 1 + k)), tuple(range(1 + m, 1 + m + k)))


def _to_batched_layout(v, k: int, m: int):
    if not m:
        return v
    return np.moveaxis(v, tuple(range(1 + m, 1 + m + k)), tuple(range(1, 1 + k)))


def _has_batched(idx: tuple) -> bool:
    return any(isinstance(k, BatchedIndex) for k in idx)


def _plain(idx: tuple) -> tuple:
    return idx if isinstance(idx, tuple) else (idx,)


def _size_of(batched: tuple, args: tuple, idx: tuple) -> int:
    for b, a in zip(batched, args):
        if b:
            return shape_of(a)[0]
    return next(shape_of(k.value)[0] for k in idx if isinstance(k, BatchedIndex))


def _full(x, b: bool, size: int):
    return x if b else np.broadcast_to(x, (size,) + tuple(shape_of(x)))


def _getitem(batched, x, idx):
    idx = _plain(idx)
    if not _has_batched(idx):
        return _batch_first(x[_batch_index(idx, 1)], 1, idx)
    size = _size_of(batched, (x,), idx)
    new, k, m = batched_index(idx, size)
    return _to_example_layout(shape_rules.getitem_p(_full(x, batched[0], size), idx=new), k, m)


def _scatter_add(batched, g, idx, shape):
    idx = _plain(idx)
    size = _size_of(batched, (g,), idx)
    g = _full(g, batched[0], size)
    full_shape = (size,) + tuple(shape)
    if not _has_batched(idx):
        return shape_rules.scatter_add_p(
            _batch_after_moved(g, 1, idx), idx=_batch_index(idx, 1), shape=full_shape
        )
    new, k, m = batched_index(idx, size)
    return shape_rules.scatter_add_p(_to_batched_layout(g, k, m), idx=new, shape=full_shape)


def _write(prim):
    """index_update and add_at: ``x`` with ``v`` written (added) at ``idx``."""

    def rule(batched, x, v, idx):
        idx = _plain(idx)
        size = _size_of(batched, (x, v), idx)
        x = _full(x, batched[0], size)
        v = _full(v, batched[1], size)
        # The rank of one example's x[idx], read off a zero-stride view.
        target = np.broadcast_to(np.False_, shape_of(x)[1:])
        if not _has_batched(idx):
            target_ndim = target[idx].ndim
            v = insert_axes_after_batch(v, 1, target_ndim - (ndim_of(v) - 1))
            return prim(x, _batch_after_moved(v, 1, idx), idx=_batch_index(idx, 1))
        new, k, m = batched_index(idx, size)
        target_ndim = ndim_of(np.broadcast_to(np.False_, (size,) + shape_of(target))[new]) - 1
        v = insert_axes_after_batch(v, 1, target_ndim - (ndim_of(v) - 1))
        return prim(x, _to_batched_layout(v, k, m), idx=new)

    return rule


def last_writes_rule(batched: tuple, *arrays: Any, spec: tuple, shape: tuple) -> Any:
    """:func:`~gradkit.autodiff.rules.shape.last_writes_of` for a batch: which entries of
    each example's ``x[idx] = v`` survive its repeated indices."""
    it = iter(zip(arrays, batched))
    idx = []
    for k in spec:
        if k is None:
            a, b = next(it)
            idx.append(BatchedIndex(a) if b else a)
        else:
            idx.append(k[0])
    idx = tuple(idx)
    size = _size_of(batched, arrays, idx)
    new, k, m = batched_index(idx, size)
    traced = tuple(e for e in new if not isinstance(e, (slice, type(None), int, np.integer)))
    new_spec = tuple(None if any(e is t for t in traced) else (e,) for e in new)
    mask = apply_constant(
        shape_rules.last_writes_of, traced, {"spec": new_spec, "shape": (size,) + tuple(shape)}
    )
    return _to_example_layout(mask, k, m)


shape_rules.getitem_p.batch = _getitem
shape_rules.scatter_add_p.batch = _scatter_add
shape_rules.index_update_p.batch = _write(shape_rules.index_update_p)
scatter.add_at_p.batch = _write(scatter.add_at_p)
