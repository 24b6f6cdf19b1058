"""``Tensor.backward()``: the backward pass of hand-made Tensors, PyTorch's way.

The walk is :func:`~gradkit.autodiff.reverse.backward_pass`'s, with what PyTorch's
``backward`` adds:

- **hooks** (:mod:`~gradkit.autodiff.hooks`): each node's gradient, once complete, goes
  through its hooks before it is passed on;
- **a freed graph**: without ``retain_graph`` each operation lets go of the values it
  saved as soon as its rules have run (the memory of the forward pass is returned
  during the backward pass); a second ``backward()`` that reaches a freed operation
  raises a RuntimeError saying so, instead of using values that are gone;
- **create_graph**: the derivative rules run on the recorded values boxed again as
  Tensors of the same trace, tied to the nodes that made them, so the backward pass is
  itself recorded and ``x.grad`` is a Tensor that requires grad: ``x.grad.backward()``,
  or any function of it, gives second derivatives;
- **anomaly checks** (:mod:`~gradkit.autodiff.anomaly`): under ``detect_anomaly`` each
  rule's result is checked for NaN and inf. ``backward_pass`` hands its walks here while
  some thread checks, so the transforms' backward passes are checked too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradkit.autodiff import anomaly, grad_mode, hooks, primitives, reverse
from gradkit.autodiff.primitives import value_of
from gradkit.autodiff.reverse import (
    EXACT_REFCOUNTS,
    _is_complex,
    _reachable,
    real_part,
    unbroadcast,
    verify_saved,
)

__all__ = ["backward", "walk", "freed_error"]

_F64 = np.dtype(np.float64)
_refcount = __import__("sys").getrefcount


def freed_error(node: Any) -> RuntimeError:
    """The error for a backward pass that reaches an operation already walked and freed."""
    return RuntimeError(
        f"backward(): this backward pass goes through the operation {node.prim.name}, whose "
        "saved values were freed by an earlier backward() through it (as PyTorch frees "
        "them, to return the forward pass's memory). Pass retain_graph=True to the first "
        "backward() if you need to walk the graph again, or recompute the forward pass."
    )


def backward(t: Any, gradient: Any, retain_graph: bool | None, create_graph: bool) -> None:
    """``t.backward(...)``: check the arguments, walk, add the gradients into the leaves'
    ``.grad`` (see :meth:`gradkit.Tensor.backward`)."""
    Tensor = primitives._Tensor
    if retain_graph is None:
        retain_graph = create_graph
    if t._trace is None:
        raise RuntimeError(
            "backward(): this Tensor does not require grad; create its inputs with "
            "gk.Tensor(data, requires_grad=True)"
        )
    if t._trace.name != "Tensor":
        raise RuntimeError(
            f"backward() was called on a value traced by gk.{t._trace.name}; inside a "
            "transform, return the value and let the transform differentiate it"
        )
    if gradient is None:
        if t.shape != ():
            raise RuntimeError(
                f"backward(): the output has shape {t.shape}; only a scalar output has "
                "an implicit gradient. Reduce it (e.g. .sum()) or pass gradient=..."
            )
        if value_of(t).dtype.kind == "c":
            raise RuntimeError(
                "backward(): the output is complex, and only a real scalar output has an "
                "implicit gradient. Call backward() on a real number computed from it "
                "(np.real, np.abs, ...), or pass gradient=..."
            )
        gradient = np.ones((), dtype=value_of(t).dtype)
    elif np.shape(gradient) != t.shape:
        raise ValueError(
            f"backward(): gradient has shape {np.shape(gradient)} but the output has "
            f"shape {t.shape}"
        )
    elif np.iscomplexobj(gradient) and value_of(t).dtype.kind != "c":
        raise TypeError(
            "backward(): a complex gradient was given for a real output; its imaginary "
            "part would be ignored. Pass a real one (np.real(gradient))"
        )
    tr = t._trace
    boxes = tr if create_graph else None
    found = walk([(t._node, gradient)], release=not retain_graph, boxes=boxes)
    for node, g in found.items():
        leaf = node.tensor
        if leaf is None:
            continue
        if type(g) is not Tensor:
            g = np.array(np.broadcast_to(g, leaf.shape), dtype=value_of(leaf).dtype)
        leaf._grad = g if leaf._grad is None else leaf._grad + g


def walk(
    roots: list,
    keep_all: bool = False,
    tape: list | None = None,
    release: bool = False,
    check_saved: bool = False,
    boxes: Any = None,
) -> dict:
    """:func:`~gradkit.autodiff.reverse.backward_pass` (same arguments and result), with
    hooks, the check for freed operations and, in this thread under detect_anomaly, the
    check of every rule's result. ``boxes``: the trace whose Tensors the rules get (the
    values each node recorded, tied to the nodes that made them), for ``create_graph``.
    """
    grads: dict = {}
    for node, g in roots:
        grads[node] = grads[node] + g if node in grads else g
    order = reversed(tape) if tape is not None else _reachable(roots)
    result = {}
    pop = grads.pop
    guarded = tape is None or check_saved
    hooked = hooks.ANY[0]
    check = anomaly.check_backward if grad_mode.anomaly_check() is not None else None
    for node in order:
        g = pop(node, None)
        if g is None:
            continue
        if hooked:
            node_hooks = getattr(node, "hooks", None)
            if node_hooks is not None:
                g = hooks.run_hooks(node_hooks, g, node)
        prim = node.prim
        args = node.args
        if prim is not None and args is None:
            raise freed_error(node)
        if guarded and getattr(node, "saved", None) is not None:
            verify_saved(node)
        if prim is None or keep_all:
            result[node] = g
            if prim is None:
                continue
        ans = node.ans
        kw = node.kw
        parents = node.parents
        if boxes is not None:
            args, ans = _boxed(node, boxes)
        in_place = (  # may the one rule write into g? (see reverse.backward_pass)
            boxes is None
            and check is None
            and prim.vjp_in_place is not None
            and EXACT_REFCOUNTS
            and not kw
            and type(g) is np.ndarray
            and _refcount(g) == 2
            and g.base is None
            and g.flags.writeable
            and len(parents) == 1
            and g.shape == args[0].shape
        )
        rules = prim._vjps
        for i, parent in parents:
            if in_place:
                r = prim.vjp_in_place(g, ans, *args)
            elif kw:
                r = rules[i](g, ans, *args, **kw)
            else:
                r = rules[i](g, ans, *args)
            try:
                if r.shape != args[i].shape:
                    r = unbroadcast(r, args[i].shape)
            except AttributeError:  # a Python number: unbroadcast broadcasts it
                r = unbroadcast(r, args[i].shape)
            if r.dtype is not _F64 and r.dtype.kind == "c" and not _is_complex(args[i]):
                r = real_part(r)
            if check is not None:
                check(node, i, r, g)
            if parent in grads:
                grads[parent] = grads[parent] + r
            else:
                grads[parent] = r
        r = None
        if release:
            node.args = node.ans = None
    result.update(grads)
    return result


def _boxed(node: Any, tr: Any) -> tuple:
    """``node``'s recorded arguments and output as Tensors of ``tr`` tied to the nodes
    that made them, so that its rules are recorded (create_graph)."""
    new = primitives._Tensor._new
    args = list(node.args)
    for i, parent in node.parents:
        args[i] = new(args[i], tr, parent)
    return tuple(args), new(node.ans, tr, node)


def _checked_backward_pass(
    roots: list,
    keep_all: bool = False,
    tape: list | None = None,
    release: bool = False,
    check_saved: bool = False,
) -> dict:
    return walk(roots, keep_all, tape, release, check_saved)


reverse.CHECKED_WALK[0] = _checked_backward_pass
