"""Custom derivative rules for whole functions: :class:`custom_vjp` and :class:`custom_jvp`.

Unlike :func:`~gradkit.primitive`, whose rules see only the inputs and the output, a
``custom_vjp`` function's forward rule saves *residuals* for its backward rule, and a
``custom_jvp`` rule computes the output and its tangent together (JAX's spelling and
semantics). Both take pytree arguments and outputs.

How they meet the engine: a call with values of a transform's trace is recorded on the
innermost such trace (the "top" one) as a single node, computed from the arguments with
that trace's boxes taken off. The forward rule runs on those lowered values, so any
enclosing transform differentiates through it (and through the backward rule, which runs
on its values in the backward pass): second derivatives work whenever the rules are
written with NumPy calls.

- ``custom_vjp`` under reverse mode: the node's backward rule is ``bwd(residuals, g)``.
  Under forward mode it is an error, as in JAX (give a ``custom_jvp`` instead).
- ``custom_jvp`` under forward mode: the rule pushes the tangents. Under reverse mode
  the rule is *transposed*: it is run once on tangents recorded by a private reverse
  trace, and the backward pass walks that recording. That is exact when the rule is
  linear in the tangents (as a JVP is); every backward pass checks
  ``<g, L t0> == <L^T g, t0>`` at the recorded tangent ``t0`` and refuses a rule that is not.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from gradkit.autodiff.custom_node import (
    _Call,
    _check_cotangent,
    _check_nondiff,
    _check_own_output,
    _lower,
    _make_primitive,
    _pack,
    _positional,
    _record,
    _split,
    _top_trace,
    batched_call,
)
from gradkit.autodiff.forward import ForwardTrace
from gradkit.autodiff.primitives import peek, shape_of
from gradkit.autodiff.reverse import ReverseTrace, backward_pass
from gradkit.autodiff.tensor import Tensor
from gradkit.autodiff.trace import next_level, opened
from gradkit.tree import tree_flatten, tree_unflatten

__all__ = ["custom_vjp", "custom_jvp"]


# --- custom_vjp ------------------------------------------------------------------------
class custom_vjp:  # noqa: N801 - JAX's name
    """A function with its own reverse-mode rule, which may save residuals.

    Decorate a function, then give its rule with ``f.defvjp(fwd, bwd)``:
    ``fwd(*args) -> (out, residuals)`` computes the output and whatever the backward
    rule needs; ``bwd(residuals, g) -> tuple`` returns one cotangent per argument
    (``None`` for zero), each with its argument's structure, shape and dtype. With
    ``nondiff_argnums``, those arguments are passed to ``fwd`` in place and to ``bwd``
    first (``bwd(*nondiff_args, residuals, g)``) and get no cotangent. Called outside a
    reverse-mode transform, the function itself runs. Forward mode (``gk.jvp``,
    ``gk.jacfwd``) of a ``custom_vjp`` function is an error, as in JAX: use
    :class:`custom_jvp`, which serves both modes.

    >>> import numpy as np
    >>> import gradkit as gk
    >>> @gk.custom_vjp
    ... def clip_gradient(x):
    ...     return x
    >>> def fwd(x):
    ...     return x, None
    >>> def bwd(res, g):
    ...     return (np.clip(g, -1.0, 1.0),)
    >>> clip_gradient.defvjp(fwd, bwd)
    >>> float(gk.grad(lambda x: 5.0 * clip_gradient(x))(2.0))  # 5 clipped to 1
    1.0
    """

    def __init__(self, fun: Callable, nondiff_argnums: Sequence[int] = ()) -> None:
        if not callable(fun):
            raise TypeError(f"custom_vjp takes a function, got {fun!r}")
        self.fun = fun
        self.nondiff_argnums = tuple(sorted(int(k) for k in nondiff_argnums))
        self.fwd: Callable | None = None
        self.bwd: Callable | None = None
        self.name = getattr(fun, "__name__", "custom_vjp function")
        self._prim = _make_primitive(self.name)
        functools.update_wrapper(self, fun)

    def defvjp(self, fwd: Callable, bwd: Callable) -> None:
        """Give the rule: ``fwd(*args) -> (out, residuals)``, ``bwd(residuals, g)``."""
        if not (callable(fwd) and callable(bwd)):
            raise TypeError(f"{self.name}.defvjp(fwd, bwd) takes two functions")
        self.fwd, self.bwd = fwd, bwd

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        args = _positional(self.fun, args, kwargs, self.name)
        top = _top_trace(tree_flatten(args)[0])
        if top is None or top.jit:  # nothing to differentiate here: the function itself
            return self.fun(*args)
        if top.batched:
            return batched_call(self.fun, args, top, self.name)
        if self.fwd is None:
            raise TypeError(
                f"{self.name} is a custom_vjp function without a rule: call "
                f"{self.name}.defvjp(fwd, bwd) before differentiating it"
            )
        if isinstance(top, ForwardTrace):
            raise TypeError(
                f"{self.name} is a custom_vjp function, which has no forward-mode rule, so "
                f"gk.{top.name} cannot differentiate it. Define it with gk.custom_jvp "
                "instead (its rule serves both modes), or use a reverse-mode transform"
            )
        if not isinstance(top, ReverseTrace):  # pragma: no cover - a new kind of trace
            raise TypeError(f"{self.name}: custom_vjp cannot run under gk.{top.name}")
        return self._reverse(args, top)

    def _reverse(self, args: tuple, top: ReverseTrace) -> Any:
        name = self.name
        _check_nondiff(args, self.nondiff_argnums, top, name)
        diff, nondiff_vals = _split(args, self.nondiff_argnums)
        lowered = list(args)
        arg_defs, vals, parents = [], [], []
        for k in diff:
            leaves, treedef = tree_flatten(args[k])
            arg_defs.append(treedef)
            for leaf in leaves:
                if type(leaf) is Tensor and leaf._trace is top:
                    parents.append((len(vals), leaf._node))
                vals.append(_lower(leaf, top))
            lowered[k] = tree_unflatten(treedef, vals[len(vals) - len(leaves) :])
        result = self.fwd(*lowered)
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            raise TypeError(
                f"{name}: the fwd rule returned {type(result).__name__}; it must return a "
                "pair (output, residuals)"
            )
        out, residuals = result
        out_leaves, out_def = tree_flatten(out)
        _check_own_output(out_leaves, top, name, "fwd rule's output")
        _check_own_output(tree_flatten(residuals)[0], top, name, "fwd rule's residuals")
        packed, unpack = _pack(out_leaves)
        bwd, nd = self.bwd, self.nondiff_argnums
        traced = {i for i, _ in parents}

        def backward(g: Any) -> list:
            g_tree = tree_unflatten(out_def, unpack(g))
            cts = bwd(*nondiff_vals, residuals, g_tree)
            if not isinstance(cts, (tuple, list)):
                raise TypeError(
                    f"{name}: the bwd rule returned {type(cts).__name__}; it must return a "
                    f"tuple with one cotangent per differentiated argument ({len(diff)})"
                )
            if len(cts) != len(diff):
                raise TypeError(
                    f"{name}: the bwd rule returned {len(cts)} cotangent(s) for {len(diff)} "
                    "differentiated argument(s)"
                    + (f" (nondiff_argnums={nd} get none)" if nd else "")
                    + "; return one per argument (None for zero)"
                )
            flat: list = []
            for k, ct, treedef in zip(diff, cts, arg_defs):
                n = treedef.num_leaves
                if ct is None:
                    flat.extend([None] * n)
                    continue
                ct_leaves, ct_def = tree_flatten(ct)
                if ct_def != treedef:
                    raise TypeError(
                        f"{name}: the bwd rule returned a cotangent of structure {ct_def!r} "
                        f"for argument {k}, whose structure is {treedef!r}"
                    )
                flat.extend(ct_leaves)
            return [  # only traced leaves get a cotangent (an int argument needs none)
                _check_cotangent(flat[i], vals[i], name, _argnum(i, diff, arg_defs), "bwd rule")
                if i in traced
                else None
                for i in range(len(flat))
            ]

        y = _record(top, self._prim, vals, parents, packed, {"call": _Call(backward, len(parents))})
        return tree_unflatten(out_def, unpack(y))


def _argnum(i: int, diff: list, arg_defs: list) -> int:
    """The argument number of flat leaf ``i``."""
    for k, treedef in zip(diff, arg_defs):
        n = treedef.num_leaves
        if i < n:
            return k
        i -= n
    return diff[-1]  # pragma: no cover


# --- custom_jvp ------------------------------------------------------------------------
class custom_jvp:  # noqa: N801 - JAX's name
    """A function with its own forward-mode rule, which reverse mode transposes.

    Decorate a function, then give its rule with ``f.defjvp(rule)``:
    ``rule(primals, tangents) -> (out, tangent_out)``, where ``primals`` and
    ``tangents`` are tuples with one entry per argument. With ``nondiff_argnums``, those
    arguments are passed to the rule first (``rule(*nondiff_args, primals, tangents)``)
    and left out of ``primals`` and ``tangents``. Forward mode (``gk.jvp``, ``gk.jacfwd``)
    calls the rule; reverse mode (``gk.grad``) transposes it, which needs
    ``tangent_out`` to be linear in ``tangents`` (it is checked). Write the rule with
    NumPy calls and higher derivatives work too.

    >>> import numpy as np
    >>> import gradkit as gk
    >>> @gk.custom_jvp
    ... def log1pexp(x):
    ...     return np.logaddexp(0.0, x)
    >>> @log1pexp.defjvp
    ... def log1pexp_jvp(primals, tangents):
    ...     (x,), (t,) = primals, tangents
    ...     return log1pexp(x), t * 0.5 * (1 + np.tanh(x / 2))  # t * sigmoid(x)
    >>> float(gk.grad(log1pexp)(1000.0)), float(gk.jvp(log1pexp, (0.0,), (1.0,))[1])
    (1.0, 0.5)
    """

    def __init__(self, fun: Callable, nondiff_argnums: Sequence[int] = ()) -> None:
        if not callable(fun):
            raise TypeError(f"custom_jvp takes a function, got {fun!r}")
        self.fun = fun
        self.nondiff_argnums = tuple(sorted(int(k) for k in nondiff_argnums))
        self.rule: Callable | None = None
        self.name = getattr(fun, "__name__", "custom_jvp function")
        self._prim = _make_primitive(self.name)
        functools.update_wrapper(self, fun)

    def defjvp(self, rule: Callable) -> Callable:
        """Give the rule ``rule(primals, tangents) -> (out, tangent_out)``; returns it, so
        ``@f.defjvp`` works as a decorator."""
        if not callable(rule):
            raise TypeError(f"{self.name}.defjvp takes a function, got {rule!r}")
        self.rule = rule
        return rule

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        args = _positional(self.fun, args, kwargs, self.name)
        top = _top_trace(tree_flatten(args)[0])
        if top is None or top.jit:
            return self.fun(*args)
        if top.batched:
            return batched_call(self.fun, args, top, self.name)
        if self.rule is None:
            raise TypeError(
                f"{self.name} is a custom_jvp function without a rule: call "
                f"{self.name}.defjvp(rule) before differentiating it"
            )
        _check_nondiff(args, self.nondiff_argnums, top, self.name)
        if isinstance(top, ForwardTrace):
            return self._forward(args, top)
        if isinstance(top, ReverseTrace):
            return self._transposed(args, top)
        raise TypeError(  # pragma: no cover - a new kind of trace
            f"{self.name}: custom_jvp cannot run under gk.{top.name}"
        )

    def _run_rule(self, args: tuple, diff: list, primals: list, tangents: list) -> tuple:
        """Call the rule and check its answer: (out leaves, tangent leaves, out treedef)."""
        nondiff_vals = [args[k] for k in self.nondiff_argnums]
        result = self.rule(*nondiff_vals, tuple(primals), tuple(tangents))
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            raise TypeError(
                f"{self.name}: the jvp rule returned {type(result).__name__}; it must return a "
                "pair (output, tangent_out)"
            )
        out_leaves, out_def = tree_flatten(result[0])
        t_leaves, t_def = tree_flatten(result[1])
        if t_def != out_def:
            raise TypeError(
                f"{self.name}: the jvp rule returned a tangent of structure {t_def!r} for an "
                f"output of structure {out_def!r}; they must match"
            )
        for o, t in zip(out_leaves, t_leaves):
            if shape_of(peek(t)) != shape_of(peek(o)):
                raise ValueError(
                    f"{self.name}: the jvp rule returned a tangent of shape "
                    f"{shape_of(peek(t))} for an output of shape {shape_of(peek(o))}"
                )
        return out_leaves, t_leaves, out_def

    def _split_args(self, args: tuple, top: Any) -> tuple:
        diff, _ = _split(args, self.nondiff_argnums)
        primals, defs, flat = [], [], []
        for k in diff:
            leaves, treedef = tree_flatten(args[k])
            defs.append(treedef)
            flat.append(leaves)
            primals.append(tree_unflatten(treedef, [_lower(x, top) for x in leaves]))
        return diff, primals, defs, flat

    def _forward(self, args: tuple, top: ForwardTrace) -> Any:
        diff, primals, defs, flat = self._split_args(args, top)

        def tangents_at(k: int | None) -> list:
            ts = []
            for treedef, leaves in zip(defs, flat):
                tl = []
                for x in leaves:
                    if type(x) is Tensor and x._trace is top:
                        tl.append(x._node if k is None else x._node[k])
                    else:
                        v = peek(_lower(x, top))
                        tl.append(np.zeros(shape_of(v), np.result_type(v, np.float64)))
                ts.append(tree_unflatten(treedef, tl))
            return ts

        if not top.nb:
            out_leaves, t_leaves, out_def = self._run_rule(args, diff, primals, tangents_at(None))
        else:  # a batch of directions: the rule knows one at a time, so gk.vmap batches it
            out_leaves, t_leaves, out_def = self._batched_rule(args, diff, primals, top, defs, flat)
        _check_own_output(out_leaves, top, self.name, "jvp rule's output")
        boxed = []
        for o, t in zip(out_leaves, t_leaves):
            dtype = np.result_type(peek(o))
            tdtype = np.result_type(peek(t))
            if tdtype != dtype:
                if tdtype.kind == "c" and dtype.kind != "c":
                    t = np.real(t)
                t = t.astype(dtype) if type(t) is Tensor else np.asarray(t, dtype=dtype)
            boxed.append(Tensor._new(o, top, t))
        return tree_unflatten(out_def, boxed)

    def _batched_rule(self, args, diff, primals, top, defs, flat) -> tuple:
        """The rule applied to every direction of a batched forward trace (``top.nb``
        leading axes on its tangents) by :func:`~gradkit.vmap`, not a loop over them."""
        from gradkit.autodiff.batching import vmap

        tangents, axes = [], []
        for treedef, leaves in zip(defs, flat):
            ts, ax = [], []
            for x in leaves:
                if type(x) is Tensor and x._trace is top:
                    ts.append(x._node)
                    ax.append(0)
                else:
                    v = peek(_lower(x, top))
                    ts.append(np.zeros(shape_of(v), np.result_type(v, np.float64)))
                    ax.append(None)
            tangents.append(tree_unflatten(treedef, ts))
            axes.append(tree_unflatten(treedef, ax))
        held: dict = {}

        def one(*tangents: Any) -> Any:
            out_leaves, t_leaves, out_def = self._run_rule(args, diff, primals, list(tangents))
            held["out"] = out_leaves, out_def
            return t_leaves

        t_leaves = vmap(one, in_axes=tuple(axes), axis_size=top.batch[0])(*tangents)
        out_leaves, out_def = held["out"]
        for o in out_leaves:
            while type(o) is Tensor:
                if o._trace is not None and o._trace.batched:
                    raise TypeError(
                        f"{self.name}: the jvp rule's output (its first item) depends on the "
                        "tangents; it must be the function's value at the primals alone"
                    )
                o = o._value
        return out_leaves, t_leaves, out_def

    def _transposed(self, args: tuple, top: ReverseTrace) -> Any:
        name = self.name
        diff, primals, defs, flat = self._split_args(args, top)
        # Record the rule's tangent computation on a private reverse trace, at fixed
        # pseudo-random tangents t0 (so the linearity check below can see a nonlinearity).
        lin = ReverseTrace(next_level(), f"{name} (transposed jvp)")
        rng = np.random.default_rng(0)
        vals, parents, t_nodes, t0s = [], [], [], []
        with opened(lin):
            tangents = []
            for treedef, leaves in zip(defs, flat):
                tl = []
                for x in leaves:
                    v = _lower(x, top)
                    pv = peek(v)
                    t0 = np.asarray(rng.uniform(0.5, 1.5, shape_of(pv)), np.result_type(pv))
                    if type(x) is Tensor and x._trace is top:
                        parents.append((len(vals), x._node))
                        box = lin.leaf(t0)
                        t_nodes.append(box._node)
                        t0s.append(t0)
                        tl.append(box)
                    else:
                        t_nodes.append(None)
                        t0s.append(None)
                        tl.append(np.zeros_like(t0))
                    vals.append(v)
                tangents.append(tree_unflatten(treedef, tl))
            out_leaves, t_leaves, out_def = self._run_rule(args, diff, primals, tangents)
        _check_own_output(out_leaves, top, name, "jvp rule's output")
        packed, unpack = _pack([_lower_inner(o, lin) for o in out_leaves])
        t_vals = [peek(t) for t in t_leaves]

        def backward(g: Any) -> list:
            gs = [np.asarray(x) if type(x) is not Tensor else x for x in unpack(g)]
            roots = [
                (t._node, gk)
                for t, gk in zip(t_leaves, gs)
                if type(t) is Tensor and t._trace is lin
            ]
            grads = backward_pass(roots, tape=lin.tape) if roots else {}
            cts = [
                _check_cotangent(grads.get(node), vals[i], name, i, "transposed jvp rule")
                if node is not None
                else None
                for i, node in enumerate(t_nodes)
            ]
            _check_linear(name, gs, t_vals, cts, t0s)
            return cts

        y = _record(top, self._prim, vals, parents, packed, {"call": _Call(backward, len(parents))})
        return tree_unflatten(out_def, unpack(y))


def _lower_inner(x: Any, lin: Any) -> Any:
    """An output leaf must not depend on the tangents."""
    if type(x) is Tensor and x._trace is lin:
        raise TypeError(
            "a custom_jvp rule returned an output that depends on the tangents; the output "
            "is f(primals) alone"
        )
    return x


def _check_linear(name: str, gs: list, t_vals: list, cts: list, t0s: list) -> None:
    """Refuse a rule whose tangent output is not linear in the tangents: for a linear map
    ``L`` recorded at ``t0``, ``<g, L t0> == <L^T g, t0>``."""
    lhs = sum(float(np.real(np.vdot(peek(g), tv))) for g, tv in zip(gs, t_vals))
    rhs = sum(float(np.real(np.vdot(peek(c), t0))) for c, t0 in zip(cts, t0s) if c is not None)
    scale = sum(float(np.sum(np.abs(peek(g)) * np.abs(tv))) for g, tv in zip(gs, t_vals))
    if not np.isfinite(lhs) or not np.isfinite(rhs):
        return  # an overflow elsewhere; not a question of linearity
    if abs(lhs - rhs) > 1e-6 * max(scale, abs(rhs), 1e-300):
        raise TypeError(
            f"{name}: gk.grad differentiates a custom_jvp function by transposing its jvp "
            "rule, which needs tangent_out to be linear in the tangents, and this rule's is "
            "not (e.g. it adds a constant or squares a tangent). Fix the rule, or give the "
            "reverse-mode rule directly with gk.custom_vjp"
        )
