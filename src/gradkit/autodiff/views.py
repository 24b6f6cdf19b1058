"""Views of traced arrays: NumPy's aliasing, kept with differentiable operations.

In NumPy, ``row = y[0]``, ``y.T``, ``y.reshape(-1)`` (when no copy is needed),
``np.squeeze``, ``np.expand_dims``, ``np.einsum('ii->i', y)`` and the like share ``y``'s
memory: a write through one of them changes ``y`` and every other view of it. A traced
value's memory is a recorded value that must never change (the derivative rules read
it), so the engine replays the aliasing instead:

- a Tensor made by a view operation remembers its *root* (the Tensor whose memory it
  shares, never itself a view) and the *steps* from the root to it (``index``,
  ``transpose``, ``reshape``, ``diagonal``, ``broadcast``); the root keeps weak
  references to its live views. Whether an operation gives a view is NumPy's own
  answer: its result shares memory with its operand;
- a write into a view ``v`` computes ``v``'s new value, pushes it back to the root
  through the steps (an index step becomes ``index_update`` of the base, a transpose its
  inverse, a reshape the reshape back, a diagonal an update of the diagonal's entries),
  rebinds the root to the new value (as ``y[...] = new`` rebinds a Tensor) and rebinds
  every live view to its steps applied to the new root.

Every step is a primitive with derivative rules, so values and derivatives, in both
modes and at any order, are those of the program NumPy runs. Operations that are not
writes or view creations do no work for this.

>>> import numpy as np
>>> import gradkit as gk
>>> def f(x):
...     y = x * 1.0
...     row = y[0]          # a view of y
...     row[1] = 10.0 * x[0, 0]
...     return np.sum(y**2)
>>> x = np.array([[1.0, 2.0], [3.0, 4.0]])
>>> gk.grad(f)(x)  # y = [[x00, 10 x00], [x10, x11]]: d/dx00 = 2 x00 + 200 x00
array([[202.,   0.],
       [  6.,   8.]])
"""

from __future__ import annotations

import dis
import sys
import weakref
from typing import Any

import numpy as np

from gradkit.autodiff import casts, grad_mode, primitives
from gradkit.autodiff.errors import InPlaceError, TracerConversionError
from gradkit.autodiff.primitives import peek
from gradkit.autodiff.rules import shape

__all__ = [
    "link", "write", "setitem", "is_view", "readonly_error", "into_ndarray_error", "FlatIter",
]  # fmt: skip

_may_share_memory = np.may_share_memory
_ref = weakref.ref
_getitem, _index_update = shape.getitem_p, shape.index_update_p
_transpose, _reshape = shape.transpose_p, shape.reshape_p
_diagonal, _broadcast_to = shape.diagonal_p, shape.broadcast_to_p


class _View:
    """What a view Tensor remembers: its root, the steps from it, whether it is read-only.

    ``root`` is None for a read-only view of a value that has no memory of its own to
    share (a NumPy scalar): it is refused any write and never rebound.
    """

    __slots__ = ("root", "steps", "readonly")

    def __init__(self, root: Any, steps: tuple, readonly: bool) -> None:
        self.root = root
        self.steps = steps
        self.readonly = readonly


def is_view(t: Any) -> bool:
    """Whether the Tensor ``t`` is a view of another one (shares its memory)."""
    return getattr(t, "_base", None) is not None


_BASIC = frozenset((int, slice, type(None), type(Ellipsis)))


def _is_basic(idx: tuple) -> bool:
    """Whether NumPy indexes with ``idx`` by basic indexing (a view, unless it picks one
    element of an array, which gives a scalar): ints, slices, ``...``, ``None``."""
    for k in idx:
        if type(k) not in _BASIC and not isinstance(k, np.integer):
            return False
    return True


def link(base: Any, view: Any, step: tuple, readonly: bool = False) -> Any:
    """Record that ``view`` (a Tensor just computed from ``base`` by ``step``) is a view
    of ``base`` when NumPy's result shares ``base``'s memory, and return it."""
    Tensor = primitives._Tensor
    if type(view) is not Tensor or view is base or type(base) is not Tensor:
        return view
    value = peek(view)
    if type(value) is not np.ndarray or type(peek(base)) is not np.ndarray:
        shares = False
    elif step[0] == "reshape":  # a view or a copy, as the strides allow: NumPy decided
        shares = _may_share_memory(value, peek(base))
    else:  # transposes, diagonals, broadcasts are views; indexing is one when basic
        shares = step[0] != "index" or _is_basic(step[1])
    if not shares:
        if readonly:  # a broadcast scalar: read-only, but tied to nothing
            view._base = _View(None, (), True)
        return view
    rec = getattr(base, "_base", None)
    if rec is None:
        root, steps = base, (step,)
    elif rec.root is None:
        view._base = _View(None, (), True)
        return view
    else:
        root, steps, readonly = rec.root, rec.steps + (step,), readonly or rec.readonly
    view._base = _View(root, steps, readonly)
    live = getattr(root, "_views", None)
    if live is None:
        root._views = live = []
    live.append(_ref(view))
    n = len(live)
    if n >= 16 and not n & (n - 1):  # now and then, forget the views that have died
        live[:] = [r for r in live if r() is not None]
    return view


def _forward(step: tuple, b: Any) -> Any:
    kind = step[0]
    if kind == "index":
        return _getitem(b, idx=step[1])
    if kind == "transpose":
        return _transpose(b, axes=step[1])
    if kind == "reshape":
        return _reshape(b, shape=step[2])
    if kind == "diagonal":
        offset, axis1, axis2 = step[1]
        return _diagonal(b, offset=offset, axis1=axis1, axis2=axis2)
    return _broadcast_to(b, shape=step[1])


def _backward(step: tuple, b: Any, new: Any) -> Any:
    """The base ``b`` after its view ``step(b)`` has been given the value ``new``."""
    kind = step[0]
    if kind == "index":
        return _index_update(b, new, idx=step[1])
    if kind == "transpose":
        return _transpose(new, axes=tuple(int(k) for k in np.argsort(step[1])))
    if kind == "reshape":
        return _reshape(new, shape=step[1])
    offset, axis1, axis2 = step[1]  # diagonal: write its entries, in place of the old ones
    nd = len(peek(b).shape)
    order = [k for k in range(nd) if k not in (axis1, axis2)] + [axis1, axis2]
    rows, cols = shape.diagonal_positions(peek(b).shape, offset, axis1, axis2)
    moved = _index_update(_transpose(b, axes=tuple(order)), new, idx=(Ellipsis, rows, cols))
    return _transpose(moved, axes=tuple(int(k) for k in np.argsort(order)))


def _rebind(t: Any, new: Any) -> None:
    if type(new) is not primitives._Tensor:
        new = primitives._Tensor._const(new)
    t._value, t._trace, t._node = new._value, new._trace, new._node


def readonly_error(t: Any) -> ValueError:
    """NumPy's error for a write into a read-only view, with what to do instead."""
    return ValueError(
        f"assignment destination is read-only: this value of shape {t.shape} is a read-only "
        "view (np.broadcast_to, np.diagonal, or a view of one), as in NumPy. Write into a "
        "copy (v = v.copy()), or into the array it views."
    )


def _check_leaf(root: Any) -> None:
    node = root._node
    tr = root._trace
    if node is not None and tr is not None and tr.name == "Tensor" and node.prim is None:
        if grad_mode.stops(tr):  # gk.no_grad: an update of the leaf (an optimizer step)
            return
        raise InPlaceError(
            f"a view of a leaf Tensor of shape {root.shape} that requires grad is being "
            "written in place (PyTorch refuses this too); the leaf's gradient would lose "
            "track of its old values. Write into a copy, e.g. y = x * 1.0, or into "
            "x.detach()."
        )


def write(t: Any, new: Any) -> Any:
    """Give the Tensor ``t`` the value ``new`` (of its shape and dtype) as NumPy's
    ``t[...] = new`` would: its root and every live view of the root see it."""
    rec = getattr(t, "_base", None)
    if rec is None:
        t._check_writable("y = np.where(mask, v, x)")
        root = t
    else:
        if rec.readonly:
            raise readonly_error(t)
        root = rec.root
        _check_leaf(root)
        steps = rec.steps
        bases = [root]
        for step in steps[:-1]:
            bases.append(_forward(step, bases[-1]))
        for step, b in zip(reversed(steps), reversed(bases)):
            new = _backward(step, b, new)
    old = peek(root)
    if type(old) is np.ndarray and getattr(peek(new), "strides", None) != old.strides:
        # NumPy writes into the array's own memory, keeping its layout (which decides
        # whether a later reshape is a view): keep it too, by a copy laid out like it.
        new = _index_update(root, new, idx=(Ellipsis,))
    leaf = root._trace, root._node
    _rebind(root, new)
    if leaf[0] is not None and leaf[0].name == "Tensor" and leaf[1].prim is None:
        _releaf(root, *leaf)  # written under gk.no_grad: still a leaf, with the new value
    _refresh(root)
    return t


def _releaf(t: Any, tr: Any, old: Any) -> None:
    """Make ``t`` (just given a new value) a leaf of ``tr`` again, keeping its hooks: the
    graphs recorded before keep the old value and node."""
    node = tr.leaf(peek(t))._node
    node.tensor = t
    hooks = getattr(old, "hooks", None)
    if hooks is not None:
        node.hooks = hooks
    t._trace, t._node = tr, node


def _refresh(root: Any) -> None:
    """Rebind every live view of ``root`` to its steps applied to the root's value."""
    live = getattr(root, "_views", None)
    if not live:
        return
    kept = []
    for ref in live:
        view = ref()
        if view is None:
            continue
        kept.append(ref)
        v = root
        for step in view._base.steps:
            v = _forward(step, v)
        _rebind(view, v)
    live[:] = kept


def setitem(t: Any, idx: tuple, v: Any) -> None:
    """``t[idx] = v`` with NumPy's semantics: ``v`` is cast to ``t``'s dtype, and a view's
    root and the root's other views see the write."""
    rec = getattr(t, "_base", None)
    if rec is not None and rec.readonly:
        raise readonly_error(t)
    dtype = peek(t).dtype
    vv = peek(v)
    if isinstance(vv, (np.ndarray, np.generic)) and vv.dtype != dtype:
        v = casts.astype(v, dtype)  # NumPy casts what it writes to the array's dtype
    write(t, _index_update(t, v, idx=idx))


def storing_into_an_array(depth: int = 2) -> bool:
    """Whether the frame ``depth`` levels up runs an item assignment (``a[i] = t``):
    NumPy asks a value to convert itself (``float(t)``, ``np.asarray(t)``) when it is
    written into a plain array, and the error should then say so."""
    try:
        frame = sys._getframe(depth)
        return frame.f_code.co_code[frame.f_lasti] == _STORE_SUBSCR
    except Exception:  # pragma: no cover - an interpreter without frames
        return False


_STORE_SUBSCR = dis.opmap.get("STORE_SUBSCR", -1)


def into_ndarray_error(t: Any) -> TracerConversionError:
    """The error for writing a traced value into a plain NumPy array."""
    return TracerConversionError(
        f"a traced value of shape {t.shape} is being written into a plain NumPy array "
        "(a[i] = t, np.copyto, out=...): a NumPy array cannot hold a derivative, so the "
        "result would have no gradient. Make the destination a traced array instead: "
        "a = np.zeros_like(x) (traced when x is) and then a[i] = t, or build the result "
        "with np.where / np.stack / np.concatenate."
    )


class FlatIter:
    """``t.flat`` of a traced ``t``: NumPy's flat iterator over its entries in C order.

    Reading (``t.flat[i]``, ``t.flat[1:4]``, ``t.flat[[0, 2]]``, iteration) gives a copy,
    as NumPy's does; writing (``t.flat[i] = v``, ``t.flat = v``) writes into ``t`` and so
    into its root and every view of it, in value and derivative. NumPy repeats a value
    too short for the entries it writes (``a.flat[:4] = [1, 2]``); gradkit refuses that
    case by name rather than guess.

    >>> import numpy as np
    >>> import gradkit as gk
    >>> def f(x):
    ...     y = x.T * 1.0
    ...     y.flat[1] = 3.0 * y.flat[0]
    ...     return np.sum(y * y)
    >>> gk.grad(f)(np.array([[1.0, 2.0], [0.5, 4.0]]))  # y.flat[1] is y[0, 1] = x[1, 0]
    array([[20.,  4.],
           [ 0.,  8.]])
    """

    __slots__ = ("base",)

    def __init__(self, base: Any) -> None:
        self.base = base

    def _entries(self) -> Any:
        return _reshape(self.base, shape=(-1,))  # C order, whatever the layout

    def __len__(self) -> int:
        return int(np.prod(self.base.shape))

    def __iter__(self) -> Any:
        entries = self._entries()
        for k in range(len(self)):
            yield entries[k]

    def __getitem__(self, idx: Any) -> Any:
        return np.copy(self._entries()[idx])

    def __setitem__(self, idx: Any, v: Any) -> None:
        entries = self._entries()
        plain_idx = tuple(peek(k) for k in idx) if isinstance(idx, tuple) else peek(idx)
        target = np.shape(np.empty(len(self))[plain_idx])
        got = np.shape(peek(v))
        if not primitives.broadcasts_to(got, target):
            raise ValueError(
                f"t.flat[...] = v with v of shape {got} for {target} entries: NumPy repeats a "
                "shorter v to fill them, which gradkit does not do; pass a value of the "
                "entries' shape (np.resize(v, n) repeats it)"
            )
        dtype = peek(self.base).dtype
        if isinstance(peek(v), (np.ndarray, np.generic)) and peek(v).dtype != dtype:
            v = casts.astype(v, dtype)  # NumPy casts what it writes to the array's dtype
        new = _index_update(entries, v, idx=idx if isinstance(idx, tuple) else (idx,))
        write(self.base, _reshape(new, shape=self.base.shape))
