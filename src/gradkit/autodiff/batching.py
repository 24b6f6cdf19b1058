"""gk.vmap: a function of one example, applied to a whole batch by batching rules.

Inside ``vmap`` every mapped value is a Tensor of a :class:`BatchTrace` whose value
carries the batch as its leading axis; its ``shape`` is one example's. Each primitive
applied to such values is handed to its *batching rule* (``Primitive.batch``, data beside
the VJP and JVP rules, see :mod:`gradkit.autodiff.rules.batch_rules`), which computes the
whole batch with one NumPy call on the stacked values: no loop over the examples. Rules
are written with differentiable NumPy operations, so ``vmap`` composes with every other
transform in any order, and with :func:`~gradkit.jit`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from gradkit.autodiff import primitives
from gradkit.autodiff.batch_trace import BatchTrace
from gradkit.autodiff.primitives import ndim_of, shape_of
from gradkit.autodiff.sequences import pack_output
from gradkit.autodiff.trace import next_level, opened
from gradkit.tree import _REGISTERED, tree_flatten, tree_unflatten

__all__ = ["vmap"]


# --- in_axes and out_axes ------------------------------------------------------------------
def _children(spec: Any, treedef: Any, where: str) -> list:
    """The entries of the container ``spec`` that line up with ``treedef``'s children."""
    kind = treedef.kind
    if type(spec) is not kind:
        raise ValueError(
            f"gk.vmap: {where} is a {type(spec).__name__} of axes but the value is "
            f"{treedef!r}; give one int or None for it, or a container of the value's shape"
        )
    if kind is dict or isinstance(spec, dict):
        keys = tuple(sorted(spec)) if kind is dict else tuple(spec)
        if keys != tuple(treedef.keys):
            raise ValueError(
                f"gk.vmap: {where} has keys {list(keys)} but the value has {list(treedef.keys)}"
            )
        return [spec[k] for k in keys]
    if kind in _REGISTERED:
        children = list(_REGISTERED[kind][0](spec)[0])
    else:
        children = list(spec)
    if len(children) != len(treedef.children):
        raise ValueError(
            f"gk.vmap: {where} has {len(children)} entries but the value has "
            f"{len(treedef.children)}"
        )
    return children


def _broadcast_axes(spec: Any, treedef: Any, where: str) -> list:
    """One axis (int or None) per leaf of ``treedef``: ``spec`` is a prefix of its tree."""
    if spec is None or (isinstance(spec, (int, np.integer)) and not isinstance(spec, bool)):
        return [spec] * treedef.num_leaves
    if treedef.kind is None:
        raise ValueError(
            f"gk.vmap: {where} is {spec!r}, but an axis must be an int or None "
            "(a container of axes only for a container argument)"
        )
    out: list = []
    for k, (s, child) in enumerate(zip(_children(spec, treedef, where), treedef.children)):
        out.extend(_broadcast_axes(s, child, f"{where}[{k}]"))
    return out


def _check_axes_spec(spec: Any, name: str) -> None:
    leaves, _ = tree_flatten(spec)
    for leaf in leaves:
        if not (isinstance(leaf, (int, np.integer)) and not isinstance(leaf, bool)):
            raise TypeError(
                f"gk.vmap: {name} holds {leaf!r}; every entry must be an int (an axis, "
                "negative counts from the end) or None (not mapped)"
            )


def _normalize(axis: int, ndim: int, where: str) -> int:
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"gk.vmap: {where} is mapped along axis {axis}, but it has only {ndim} "
            f"axis(es){' (it is a scalar)' if ndim == 0 else ''}; use an axis from "
            f"{-ndim} to {ndim - 1}, or None not to map it"
            if ndim
            else f"gk.vmap: {where} is mapped along axis {axis}, but it is a scalar (rank 0); "
            "pass None in in_axes for it, or give it a batch axis"
        )
    return axis % ndim


def _as_leaf(x: Any) -> Any:
    if type(x) is primitives._Tensor:
        return x._value if x._trace is None else x  # a constant Tensor: its array
    return x if isinstance(x, np.ndarray) else np.asarray(x)


# --- vmap ----------------------------------------------------------------------------------
def vmap(
    fun: Callable, in_axes: Any = 0, out_axes: Any = 0, axis_size: int | None = None
) -> Callable:
    """Vectorize ``fun`` over a batch axis of its inputs (JAX's ``vmap``).

    ``vmap(fun)(xs)`` is ``np.stack([fun(x) for x in xs])``, computed with one batched
    NumPy call per operation (each primitive's batching rule) instead of a loop.

    Args:
        fun: a function of arrays (and pytrees of arrays) written with NumPy.
        in_axes: which axis of each positional argument is mapped: an int (negative
            counts from the end) or None (not mapped: the same value for every example)
            for all arguments, or a tuple with one entry per argument, each an int, None
            or a container of them shaped like that argument (a prefix of its tree).
            Keyword arguments are mapped along axis 0.
        out_axes: where the batch axis goes in each output, as ``in_axes`` (a prefix of
            the output's tree). None: the output does not depend on the mapped inputs.
        axis_size: the batch size, needed only when no input is mapped.

    Returns:
        The batched function.

    Composes with every transform in any order (``vmap(grad(f))`` gives per-example
    gradients, ``grad(vmap(f))``, ``jacfwd(vmap(f))``, ``vmap(vmap(f))``) and with
    :func:`~gradkit.jit`.

    >>> import numpy as np
    >>> import gradkit as gk
    >>> gk.vmap(lambda x, w: np.sum(x * w))(np.ones((3, 2)), np.array([[1.0, 2.0]] * 3))
    array([3., 3., 3.])
    >>> loss = lambda w, x, y: (np.tanh(x @ w) - y) ** 2
    >>> X, Y, w = np.array([[1.0, 0.0], [0.0, 2.0]]), np.array([0.5, -1.0]), np.zeros(2)
    >>> gk.vmap(gk.grad(loss), in_axes=(None, 0, 0))(w, X, Y)  # per-example gradients
    array([[-1.,  0.],
           [ 0.,  4.]])
    >>> gk.vmap(np.outer, in_axes=(0, None), out_axes=1)(np.eye(2), np.ones(3)).shape
    (2, 2, 3)
    """
    if not callable(fun):
        raise TypeError(f"gk.vmap takes a function, got {type(fun).__name__}: {fun!r}")
    _check_axes_spec(in_axes, "in_axes")
    _check_axes_spec(out_axes, "out_axes")
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)
    if axis_size is not None and (
        not isinstance(axis_size, (int, np.integer)) or isinstance(axis_size, bool) or axis_size < 0
    ):
        raise ValueError(f"gk.vmap: axis_size must be a non-negative int, got {axis_size!r}")

    @functools.wraps(fun)
    def vmapped(*args: Any, **kwargs: Any) -> Any:
        if isinstance(in_axes, tuple):
            if len(in_axes) != len(args):
                raise ValueError(
                    f"gk.vmap: in_axes has {len(in_axes)} entries but the function was called "
                    f"with {len(args)} positional argument(s); give one entry per argument "
                    "(None for those not mapped)"
                )
            arg_axes = in_axes
        else:
            arg_axes = (in_axes,) * len(args)
        trees = list(args) + list(kwargs.values())
        specs = list(arg_axes) + [0] * len(kwargs)
        names = [f"argument {k}" for k in range(len(args))] + [f"keyword {k!r}" for k in kwargs]
        flat = []  # per argument: (leaves, treedef, axes)
        sizes = []  # (where, axis, size)
        for tree, spec, name in zip(trees, specs, names):
            leaves, treedef = tree_flatten(tree)
            axes = _broadcast_axes(spec, treedef, f"in_axes for {name}")
            leaves = list(leaves)
            for j, ax in enumerate(axes):
                if ax is None:
                    continue
                leaves[j] = leaf = _as_leaf(leaves[j])
                where = name if treedef.kind is None else f"{name} (leaf {j})"
                axes[j] = ax = _normalize(int(ax), ndim_of(leaf), where)
                sizes.append((where, ax, shape_of(leaf)[ax]))
            flat.append((leaves, treedef, axes))
        size = _batch_size(sizes, axis_size)
        tr = BatchTrace(next_level(), size)
        with opened(tr):
            boxed = []
            for leaves, treedef, axes in flat:
                new = [
                    leaf if ax is None else tr.box(leaf if ax == 0 else np.moveaxis(leaf, ax, 0))
                    for leaf, ax in zip(leaves, axes)
                ]
                boxed.append(tree_unflatten(treedef, new))
            out = fun(*boxed[: len(args)], **dict(zip(kwargs, boxed[len(args) :])))
            if type(out) is not primitives._Tensor:  # np.array([...]) of traced values
                out = pack_output(out)
            return _outputs(out, out_axes, tr)

    return vmapped


def _batch_size(sizes: list, axis_size: int | None) -> int:
    found = {s for _, _, s in sizes}
    if len(found) > 1 or (found and axis_size is not None and axis_size not in found):
        lines = "; ".join(f"{w} has size {s} along axis {a}" for w, a, s in sizes)
        extra = f"; axis_size={axis_size}" if axis_size is not None else ""
        raise ValueError(
            f"gk.vmap: the mapped axes have different sizes: {lines}{extra}. Every mapped "
            "axis must have the batch's size (use None in in_axes for an argument that is "
            "the same for every example)"
        )
    if found:
        return found.pop()
    if axis_size is None:
        raise ValueError(
            "gk.vmap: no argument is mapped (every in_axes entry is None), so the batch size "
            "is unknown; pass axis_size=..., or map an argument"
        )
    return int(axis_size)


def _outputs(out: Any, out_axes: Any, tr: BatchTrace) -> Any:
    """The function's outputs with the batch axis moved to ``out_axes``."""
    Tensor = primitives._Tensor
    leaves, treedef = tree_flatten(out)
    axes = _broadcast_axes(out_axes, treedef, "out_axes")
    result = []
    for j, (leaf, ax) in enumerate(zip(leaves, axes)):
        while type(leaf) is Tensor and leaf._trace is not None and leaf._trace.level > tr.level:
            leaf = leaf._value  # a Tensor made with requires_grad inside: its value
        mine = type(leaf) is Tensor and leaf._trace is tr
        where = "the output" if treedef.kind is None else f"output leaf {j}"
        if ax is None:
            if mine:
                raise ValueError(
                    f"gk.vmap: out_axes is None for {where}, but it differs between examples "
                    f"(shape {shape_of(leaf)} per example); give it an axis to stack along"
                )
            result.append(leaf)
            continue
        if mine:
            v = leaf._value
        else:
            leaf = _as_leaf(leaf)
            v = np.broadcast_to(leaf, (tr.size,) + tuple(shape_of(leaf)))
            if type(v) is np.ndarray:
                v = np.array(v)  # a writable array of its own, as a stacked result is
        ax = _normalize(int(ax), ndim_of(v), f"out_axes for {where}")
        result.append(v if ax == 0 else np.moveaxis(v, 0, ax))
    return tree_unflatten(treedef, result)


def batched_rows(tr: Any, out: Any, out_shape: tuple, m: int, nodes: list) -> list:
    """Every row of the Jacobian of ``out`` (a value of the reverse trace ``tr``) with
    respect to the leaves ``nodes`` (per argument, its leaves' nodes), from one backward
    pass whose cotangent is the batch of the ``m`` basis vectors: ``vmap`` of the VJP.
    Returns, per argument and leaf, an array of shape ``(m,) + leaf shape``."""
    from gradkit.autodiff.reverse import backward_pass

    Tensor = primitives._Tensor
    dtype = np.result_type(primitives.peek(out))
    basis = np.eye(m, dtype=dtype).reshape((m,) + tuple(out_shape))
    bt = BatchTrace(next_level(), m)
    with opened(bt):
        grads = backward_pass([(out._node, bt.box(basis))], tape=tr.tape)
        rows = []
        for leaf_nodes in nodes:
            per_leaf = []
            for node in leaf_nodes:
                like = primitives.peek(node.ans)
                g = grads.get(node)
                shape = (m,) + tuple(shape_of(like))
                if g is None:
                    per_leaf.append(np.zeros(shape, dtype=np.result_type(like)))
                    continue
                if type(g) is Tensor and g._trace is bt:
                    g = g._value
                    if shape_of(g) != shape:  # a cotangent NumPy broadcast: its full shape
                        g = np.broadcast_to(g, shape)
                else:  # the same for every row
                    g = np.broadcast_to(g, shape)
                want = np.result_type(like)
                have = np.result_type(primitives.peek(g))
                if have.kind == "c" and want.kind != "c":
                    g = np.real(g)  # a real input's share of a complex cotangent
                if type(g) is Tensor:  # traced by an enclosing transform
                    per_leaf.append(
                        g if np.result_type(primitives.peek(g)) == want else g.astype(want)
                    )
                else:
                    per_leaf.append(np.array(g, dtype=want))  # writeable, its own memory
            rows.append(per_leaf)
    return rows
