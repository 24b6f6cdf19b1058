"""One custom-rule call recorded as one node: the plumbing shared by
:mod:`~gradkit.autodiff.custom` (custom_vjp, custom_jvp) and
:mod:`~gradkit.autodiff.checkpoint`.

A call with values of a transform's trace is recorded on the innermost such trace as a
single node whose inputs are the arguments' leaves with that trace's boxes taken off;
its backward rule (one per call, held by a :class:`_Call` passed as the node's keyword
``call``) returns one cotangent per leaf, computed once per cotangent of the output.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from gradkit.autodiff.grad_mode import stops
from gradkit.autodiff.primitives import Primitive, peek, shape_of
from gradkit.autodiff.tensor import Tensor
from gradkit.tree import tree_flatten


# --- shared plumbing -------------------------------------------------------------------
def _positional(fun: Callable, args: tuple, kwargs: dict, who: str) -> tuple:
    """``args`` with ``kwargs`` moved to their positions (the rules take positions)."""
    if not kwargs:
        return args
    try:
        bound = inspect.signature(fun).bind(*args, **kwargs)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{who}: {err}") from None
    if bound.kwargs:
        raise TypeError(
            f"{who}: keyword-only arguments {sorted(bound.kwargs)} cannot be differentiated "
            "by a custom rule; make them positional"
        )
    return tuple(bound.args)


def _top_trace(leaves: list) -> Any:
    """The innermost (highest-level) open trace among ``leaves``, or None."""
    top = None
    for x in leaves:
        if type(x) is Tensor:
            tr = x._trace
            if tr is None or not tr.active or stops(tr):  # closed, or under gk.no_grad
                continue
            if top is None or tr.level > top.level:
                top = tr
    return top


def _lower(x: Any, top: Any) -> Any:
    """``x`` without ``top``'s box (and without a constant Tensor's)."""
    if type(x) is Tensor and (x._trace is top or x._trace is None):
        return x._value
    return x


def _split(args: tuple, nondiff: tuple) -> tuple[list, list]:
    """The positions of the differentiated arguments and the non-differentiated values."""
    diff = [k for k in range(len(args)) if k not in nondiff]
    return diff, [args[k] for k in nondiff]


def _check_nondiff(args: tuple, nondiff: tuple, top: Any, name: str) -> None:
    for k in nondiff:
        for leaf in tree_flatten(args[k])[0]:
            if type(leaf) is Tensor and leaf._trace is top:
                raise TypeError(
                    f"{name}: argument {k} is in nondiff_argnums but is traced by gk."
                    f"{top.name}; its derivative would be silently dropped. Remove it from "
                    "nondiff_argnums, or do not differentiate with respect to it"
                )


def _check_own_output(leaves: list, top: Any, name: str, what: str) -> None:
    for leaf in leaves:
        if type(leaf) is Tensor and leaf._trace is not None and leaf._trace.level >= top.level:
            raise TypeError(
                f"{name}: its {what} holds a value traced by gk.{top.name} that was not passed "
                "as an argument (a closure over a traced value?). Pass every traced value as "
                "an argument of the custom function"
            )


def _pack(out_leaves: list) -> tuple[Any, Callable]:
    """One array holding every output leaf, and the function that splits it again."""
    if len(out_leaves) == 1:
        leaf = out_leaves[0]
        return (leaf if type(leaf) in (Tensor, np.ndarray) else np.asarray(leaf)), lambda y: [y]
    shapes = [shape_of(peek(o)) for o in out_leaves]
    dtypes = [np.result_type(peek(o)) for o in out_leaves]
    sizes = [int(np.prod(s)) for s in shapes]
    packed = np.concatenate([np.ravel(o) for o in out_leaves]) if out_leaves else np.zeros(0)

    def unpack(y: Any) -> list:
        parts, start = [], 0
        for shape, dtype, n in zip(shapes, dtypes, sizes):
            part = np.reshape(y[start : start + n], shape)
            parts.append(part if np.result_type(peek(part)) == dtype else part.astype(dtype))
            start += n
        return parts

    return packed, unpack


def _record(top: Any, prim: Primitive, vals: list, parents: list, ans: Any, kw: dict) -> Any:
    """Record one node with output ``ans`` on the reverse trace ``top``."""
    return top._record(prim, tuple(vals), tuple(parents), ans, kw)


def _check_cotangent(ct: Any, like: Any, name: str, argnum: int, what: str) -> Any:
    """``ct`` as an array of ``like``'s shape and dtype, or a clear error."""
    lv = peek(like)
    shape, dtype = shape_of(lv), np.result_type(lv)
    if ct is None:
        return np.zeros(shape, dtype=dtype)
    if isinstance(ct, (int, float, complex)) and not isinstance(ct, bool):
        ct = np.asarray(ct, dtype=np.result_type(dtype, type(ct)))
    cv = peek(ct)
    try:
        ct_dtype = np.result_type(cv)
    except TypeError:
        ct_dtype = np.dtype(object)
    if ct_dtype.kind not in "fc":
        raise TypeError(
            f"{name}: the {what} returned {type(cv).__name__} of dtype {ct_dtype} as the "
            f"cotangent of argument {argnum}; return a floating-point array (or None for zero)"
        )
    if shape_of(cv) != shape:
        raise ValueError(
            f"{name}: the {what} returned a cotangent of shape {shape_of(cv)} for argument "
            f"{argnum}, whose shape is {shape}; they must match"
        )
    if ct_dtype != dtype:
        if ct_dtype.kind == dtype.kind == "f" and np.ndim(cv) == 0 and type(cv) is not np.ndarray:
            return np.asarray(ct, dtype=dtype)  # a Python or NumPy scalar: cast
        raise TypeError(
            f"{name}: the {what} returned a cotangent of dtype {ct_dtype} for argument "
            f"{argnum}, whose dtype is {dtype}; cast it with .astype({dtype.name!r})"
        )
    return ct if type(ct) is Tensor else np.asarray(ct)


class _Call:
    """What one recorded call needs in the backward pass (passed to the rule as ``kw``)."""

    __slots__ = ("backward", "ntraced", "served", "last_g", "last_cts")

    def __init__(self, backward: Callable, ntraced: int) -> None:
        self.backward = backward  # g -> one cotangent per argument leaf
        self.ntraced = ntraced  # how many leaves the backward pass asks about
        self.served = 0
        self.last_g: Any = None
        self.last_cts: Any = None

    def cotangent(self, i: int, g: Any) -> Any:
        # The backward pass asks for each traced leaf in turn with the same g: run the
        # user's rule once, and forget its answer once every leaf has had its share (a
        # later backward pass, even with the same array g, runs the rule again).
        if self.served == 0 or self.last_g is not g:
            self.last_cts = self.backward(g)
            self.last_g = g
            self.served = 0
        ct = self.last_cts[i]
        self.served += 1
        if self.served >= self.ntraced:
            self.served, self.last_g, self.last_cts = 0, None, None
        return ct


def _custom_rule(i: int, g: Any, ans: Any, *args: Any, call: _Call) -> Any:
    return call.cotangent(i, g)


def _make_primitive(name: str) -> Primitive:
    prim = Primitive(name, _no_impl, register=False)
    prim.vjp_any = _custom_rule
    return prim


def _no_impl(*args: Any, **kw: Any) -> Any:  # pragma: no cover - never bound
    raise RuntimeError("a custom rule's node is recorded directly, never applied")
