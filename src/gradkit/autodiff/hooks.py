"""Gradient hooks on hand-made Tensors: ``t.register_hook(fn)`` and ``t.retain_grad()``.

A hook belongs to the recorded operation that made the Tensor (its graph node), as in
PyTorch: ``backward()`` calls it with the gradient of the Tensor once that gradient is
complete (every use of the Tensor has contributed), before passing it on to the
operation's inputs (or, for a leaf, before adding it to ``.grad``). A hook that returns
something replaces the gradient with it; one that returns None leaves it as it was.
Hooks run in the order they were registered; ``retain_grad`` stores the gradient after
all of them, as PyTorch's does.

Cost: nothing until the first hook is registered; after that, the backward pass of
hand-made Tensors looks each node up for hooks (one attribute read per node).
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from gradkit.autodiff.primitives import peek

__all__ = ["RemovableHandle", "node_of", "add_hook", "retain", "run_hooks", "ANY"]

#: True once any hook has been registered: until then backward() looks for none.
ANY = [False]
_ids = itertools.count()


class _Hooks:
    """What one node holds: its hooks by id, and the Tensor that retains its gradient."""

    __slots__ = ("fns", "retained", "__weakref__")

    def __init__(self) -> None:
        self.fns: dict[int, Callable[[Any], Any]] = {}
        self.retained: Any = None  # a weak reference to the Tensor (retain_grad)


class RemovableHandle:
    """What ``register_hook`` returns: ``handle.remove()`` unregisters the hook.

    Also a context manager: the hook is removed when the ``with`` block ends.
    """

    __slots__ = ("_hooks", "id")

    def __init__(self, hooks: _Hooks, hook_id: int) -> None:
        self._hooks: weakref.ref[_Hooks] = weakref.ref(hooks)
        self.id: int = hook_id

    def remove(self) -> None:
        """Unregister the hook (removing it twice does nothing)."""
        hooks = self._hooks()
        if hooks is not None:
            hooks.fns.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


def _hooks_of(node: Any) -> _Hooks:
    hooks = getattr(node, "hooks", None)
    if hooks is None:
        node.hooks = hooks = _Hooks()
        ANY[0] = True
    return hooks


def node_of(t: Any, what: str) -> Any:
    """The graph node of the Tensor ``t`` that hooks attach to, or a clear error for a
    Tensor that no ``backward()`` reaches (``what``: the method called)."""
    tr = t._trace
    if tr is None:
        raise RuntimeError(
            f"{what}(): this Tensor does not require grad, so no gradient will reach "
            "it; create it with gk.Tensor(data, requires_grad=True) (or call "
            ".requires_grad_() on a leaf) first"
        )
    if tr.name != "Tensor":
        raise RuntimeError(
            f"{what}() was called on a value traced by gk.{tr.name}; hooks "
            "belong to hand-made Tensors and backward(). Inside a transform, change a "
            "gradient with gk.custom_vjp instead"
        )
    return t._node


def add_hook(node: Any, fn: Callable[[Any], Any]) -> RemovableHandle:
    """Register ``fn`` on ``node`` (see the module's docstring)."""
    if not callable(fn):
        raise TypeError(
            f"register_hook takes a function of the gradient, got {fn!r} "
            f"({type(fn).__name__}); e.g. t.register_hook(lambda g: g * 0.5)"
        )
    hooks = _hooks_of(node)
    hook_id = next(_ids)
    hooks.fns[hook_id] = fn
    return RemovableHandle(hooks, hook_id)


def retain(node: Any, tensor: Any) -> None:
    """Make ``backward()`` store ``node``'s gradient in ``tensor.grad`` (accumulating);
    nothing for a leaf, which keeps its gradient anyway."""
    if node.prim is not None:
        _hooks_of(node).retained = weakref.ref(tensor)


def run_hooks(hooks: _Hooks, g: Any, node: Any) -> Any:
    """Apply ``hooks`` to the gradient ``g`` of ``node``; return the gradient to use."""
    for fn in list(hooks.fns.values()):
        r = fn(g)
        if r is not None:
            g = _checked(r, g, fn)
    if hooks.retained is not None:
        t = hooks.retained()
        if t is not None:
            old = getattr(t, "_grad", None)
            t._grad = g if old is None else old + g
    return g


def _checked(r: Any, g: Any, fn: Callable[[Any], Any]) -> Any:
    """Refuse a hook's replacement gradient that the backward pass would misuse."""
    code = getattr(fn, "__code__", None)
    name = getattr(fn, "__qualname__", repr(fn))
    where = f" ({code.co_filename}:{code.co_firstlineno})" if code is not None else ""
    who = f"the gradient hook {name}{where}"
    value, like = peek(r), peek(g)
    if not hasattr(value, "shape"):
        try:
            value = np.asarray(value)
        except Exception:  # noqa: BLE001 - any unconvertible object gets the same message
            value = None
        if value is None or value.dtype.kind not in "biufc":
            raise TypeError(
                f"{who} returned {type(r).__name__}; a hook returns the gradient to use "
                "(an array of the tensor's shape) or None to keep it"
            )
        r = value
    if np.shape(value) != np.shape(like):
        raise ValueError(
            f"{who} returned a gradient of shape {np.shape(value)}, but the tensor it is "
            f"registered on has shape {np.shape(like)}; return an array of that shape "
            "(broadcasting it would give a wrong gradient)"
        )
    if np.iscomplexobj(value) and not np.iscomplexobj(like):
        raise TypeError(
            f"{who} returned a complex gradient for a real tensor; return its real part "
            "(np.real(g)) if that is what you mean"
        )
    if type(r) is np.ndarray and r.dtype != like.dtype:
        r = r.astype(like.dtype)  # float64 arithmetic on a float32 gradient: keep float32
    return r
