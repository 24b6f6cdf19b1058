"""Batching rules for gk.vmap: each primitive applied to a whole batch in one call.

A rule is ``rule(batched, *args, **kw)``: ``batched[i]`` tells whether ``args[i]`` carries
the batch as its leading axis (the others are the same for every example); it returns the
batched result, batch axis first. Rules come from structure where they can:

- elementwise primitives broadcast, a batched argument's batch axis in front and size-one
  axes after it so that it lines up with the other arguments as one example would;
- reductions, scans, reshapes, transposes, diagonals, concatenations and FFTs shift their
  axis arguments past the batch axis;
- linear algebra has stacked-matrix semantics already: a stack of matrices is a batch;
- indexing and the writes put the batch axis in front of the index (or, for an index
  that itself differs between examples, index the batch axis with ``arange``).

Rules are written with differentiable NumPy calls, so vmap composes with the other
transforms. A primitive missing here is refused by name (see ``BATCH_REFUSED``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradkit.autodiff.batch_trace import UNBATCHABLE
from gradkit.autodiff.errors import NoRuleError
from gradkit.autodiff.forward import insert_axes_after_batch
from gradkit.autodiff.primitives import REGISTRY, apply_constant, ndim_of, shape_of
from gradkit.autodiff.rules import pack, reductions
from gradkit.autodiff.rules import shape as shape_mod

__all__ = ["elementwise_rule", "constant_rule", "BATCH_REFUSED"]

#: Registered primitives vmap refuses, with the reason (none today; the coverage test
#: checks that every registered primitive has a rule or an entry here).
BATCH_REFUSED: dict[str, str] = {}
UNBATCHABLE.update(BATCH_REFUSED)


# --- helpers --------------------------------------------------------------------------------
def _size(batched: tuple, args: tuple) -> int:
    for b, a in zip(batched, args):
        if b:
            return shape_of(a)[0]
    raise AssertionError("a batching rule was called with no batched argument")


def _ndim(x, b: bool) -> int:
    """One example's rank."""
    return ndim_of(x) - b


def _lift(x, b: bool, nd: int):
    """A batched ``x`` with size-one axes after the batch axis up to ``nd`` example axes,
    so it broadcasts against the others as one example does; an unbatched one as it is."""
    return insert_axes_after_batch(x, 1, nd - (ndim_of(x) - 1)) if b else x


def _full(x, b: bool, size: int):
    """``x`` with a batch axis: an unbatched value repeated (a broadcast, no copy)."""
    return x if b else np.broadcast_to(x, (size,) + tuple(shape_of(x)))


def _axis(a: int, nd: int) -> int:
    """Example axis ``a`` (negative counts from the end) as an axis of the batch."""
    return int(a) % nd + 1 if nd else int(a) + 1


def _axes(axis, nd: int):
    """An ``axis`` argument of a reduction (None, an int or a tuple) for the batch."""
    if axis is None:
        return tuple(range(1, nd + 1))
    if isinstance(axis, (tuple, list)):
        return tuple(_axis(a, nd) for a in axis)
    return _axis(axis, nd)


# --- elementwise ----------------------------------------------------------------------------
def elementwise_rule(prim: Any, batched: tuple, *args: Any, **kw: Any) -> Any:
    """Any elementwise primitive: broadcast with the batch axis in front."""
    nd = max(_ndim(a, b) for a, b in zip(args, batched))
    return prim(*[_lift(a, b, nd) for a, b in zip(args, batched)], **kw)


# --- functions whose derivative is zero (comparisons, argmax, floor, ...) -------------------
_AXIS_DEFAULTS = {"argsort": -1, "sort": -1, "argpartition": -1}  # the others': None
#: Functions along an ``axis`` keyword (NumPy's positional axis: the second argument).
_AXIS_FUNCTIONS = {
    "argmax", "argmin", "argsort", "sort", "any", "all", "count_nonzero", "_finite_max",
    "sum", "prod", "mean", "cumsum", "cumprod", "max", "min", "amax", "amin",
}  # fmt: skip
_AXIS_KEYWORD_ONLY = {"argpartition", "_setters"}  # their second argument is not the axis
_ELEMENTWISE_FUNCTIONS = {"isclose", "around", "round", "iscomplex", "isreal", "angle", "_cast"}
#: Functions of stacks of matrices or vectors (along the last axes) that keep the stack.
_STACKED_FUNCTIONS = {
    "matrix_rank", "_tie_check", "_null_check", "_slogdet_sign", "_by_decreasing_magnitude",
}  # fmt: skip


def _batched_searchsorted(a, v, side="left"):
    """``np.searchsorted`` of each example's ``v`` in its own sorted row of ``a``
    (``a``: (batch, n); ``v``: (batch, ...)): the count of entries before each value."""
    rows = a.reshape((a.shape[0],) + (1,) * (v.ndim - 1) + (a.shape[1],))
    before = rows < v[..., None] if side == "left" else rows <= v[..., None]
    return np.sum(before, axis=-1)


def constant_rule(fn: Any, batched: tuple, *args: Any, **kw: Any) -> Any:
    """A zero-derivative function (recorded by ``apply_constant``), batched by its kind."""
    name = getattr(fn, "__name__", "")
    if isinstance(fn, np.ufunc) or name in _ELEMENTWISE_FUNCTIONS:
        nd = max(_ndim(a, b) for a, b in zip(args, batched))
        return apply_constant(fn, tuple(_lift(a, b, nd) for a, b in zip(args, batched)), kw)
    along_axis = name in _AXIS_FUNCTIONS or name in _AXIS_KEYWORD_ONLY
    if along_axis and batched[0] and not any(batched[1:]):
        x, rest = args[0], list(args[1:])
        if rest and "axis" not in kw and name in _AXIS_FUNCTIONS:
            kw = {**kw, "axis": rest.pop(0)}  # np.argmax(x, 1)
        axis = kw.get("axis", _AXIS_DEFAULTS.get(name))
        nd = _ndim(x, True)
        if axis is None:
            flat = apply_constant(
                fn, (np.reshape(x, (shape_of(x)[0], -1)), *rest), {**kw, "axis": 1}
            )
            if kw.get("keepdims"):
                flat = np.reshape(flat, (shape_of(x)[0],) + (1,) * nd)
            return flat
        return apply_constant(fn, (x, *rest), {**kw, "axis": _axes(axis, nd)})
    if name == "last_writes_of":
        from gradkit.autodiff.rules.batch_index import last_writes_rule

        return last_writes_rule(batched, *args, **kw)
    if name in _STACKED_FUNCTIONS:
        out = apply_constant(fn, args, kw)
        return out if ndim_of(out) else np.broadcast_to(out, (_size(batched, args),))
    if name == "searchsorted" and "sorter" not in kw and len(args) == 2:
        if not batched[0]:
            return apply_constant(fn, args, kw)  # the values to place are elementwise
        size = _size(batched, args)
        v = _full(args[1], batched[1], size)
        return apply_constant(_batched_searchsorted, (args[0], v), kw)
    raise NoRuleError(
        f"gk.vmap: {name or fn!r} cannot be batched (its result's shape may depend on the "
        "values, or it reads the whole array at once); call it outside vmap"
    )


# --- reductions, scans ----------------------------------------------------------------------
def _reduction(prim):
    def rule(batched, x, axis=None, keepdims=False):
        return prim(x, axis=_axes(axis, _ndim(x, True)), keepdims=keepdims)

    return rule


for _name in ("sum", "mean", "max", "min", "prod"):
    REGISTRY[_name].batch = _reduction(REGISTRY[_name])


def _cumsum(batched, x, axis=None):
    if axis is None:
        return reductions.cumsum_p(np.reshape(x, (shape_of(x)[0], -1)), axis=1)
    return reductions.cumsum_p(x, axis=_axis(axis, _ndim(x, True)))


reductions.cumsum_p.batch = _cumsum


# --- shapes ---------------------------------------------------------------------------------
def _reshape(batched, x, shape):
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return shape_mod.reshape_p(x, shape=(shape_of(x)[0],) + shape)


def _transpose(batched, x, axes=None):
    nd = _ndim(x, True)
    order = range(nd - 1, -1, -1) if axes is None else axes
    return shape_mod.transpose_p(x, axes=(0,) + tuple(_axis(a, nd) for a in order))


def _broadcast_to(batched, x, shape):
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return shape_mod.broadcast_to_p(_lift(x, True, len(shape)), shape=(shape_of(x)[0],) + shape)


def _diagonal(batched, x, offset=0, axis1=0, axis2=1):
    nd = _ndim(x, True)
    return shape_mod.diagonal_p(x, offset=offset, axis1=_axis(axis1, nd), axis2=_axis(axis2, nd))


def _diagonal_scatter(batched, g, shape, offset, axis1, axis2):
    nd = len(shape)
    return shape_mod.diagonal_scatter_p(
        g,
        shape=(shape_of(g)[0],) + tuple(shape),
        offset=offset,
        axis1=_axis(axis1, nd),
        axis2=_axis(axis2, nd),
    )


def _concatenate(batched, *xs, axis):
    size = _size(batched, xs)
    nd = _ndim(xs[0], batched[0])
    parts = [_full(x, b, size) for x, b in zip(xs, batched)]
    return shape_mod.concatenate_p(*parts, axis=_axis(axis, nd))


def _astype(batched, x, dtype):
    return shape_mod.astype_p(x, dtype=dtype)


def _pack(batched, *xs, shape, dtype):
    size = _size(batched, xs)
    parts = [
        _full(np.asarray(x) if not hasattr(x, "shape") else x, b, size) for x, b in zip(xs, batched)
    ]
    stacked = np.stack([np.reshape(p, (size,)) for p in parts], axis=1)
    out = np.reshape(stacked, (size,) + tuple(shape))
    return out if np.result_type(out) == dtype else shape_mod.astype_p(out, dtype=dtype)


shape_mod.reshape_p.batch = _reshape
shape_mod.transpose_p.batch = _transpose
shape_mod.broadcast_to_p.batch = _broadcast_to
shape_mod.diagonal_p.batch = _diagonal
shape_mod.diagonal_scatter_p.batch = _diagonal_scatter
shape_mod.concatenate_p.batch = _concatenate
shape_mod.astype_p.batch = _astype
pack.pack_p.batch = _pack
