"""``gk.linearize``: evaluate a function once and keep its JVP as a recorded linear map.

One forward-mode pass runs with tangents that are themselves boxed by a private reverse
trace: every operation the JVP rules apply to the tangents is recorded, with the primal
values it needs baked in. That record *is* the linear map ``t -> J t`` at the primals.
Each later ``f_jvp(t)`` replays only those tangent operations, never ``fun``'s Python
or its primal computation (JAX's ``linearize`` does the same with its jaxpr).

The record is made at one tangent; a JVP rule that took a Python decision on tangent
*values* (none of gradkit's do) would be frozen by it. So the first call of ``f_jvp``
also computes a plain :func:`~gradkit.jvp` and compares: a mismatch raises instead of
returning a wrong answer. That first call costs one forward pass more; every later one
costs the tangent operations alone, about what a ``jvp`` costs minus the primal work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gradkit.autodiff.forward import ForwardTrace
from gradkit.autodiff.primitives import bind, peek, shape_of
from gradkit.autodiff.reverse import ReverseTrace
from gradkit.autodiff.sequences import pack_output
from gradkit.autodiff.tensor import Tensor
from gradkit.autodiff.trace import next_level, opened
from gradkit.autodiff.transforms import _input, _own_output, _tangent, jvp
from gradkit.tree import tree_flatten, tree_unflatten

__all__ = ["linearize"]


def linearize(fun: Callable, *primals: Any) -> tuple:
    """Evaluate ``fun(*primals)`` and return ``(out, f_jvp)``.

    ``f_jvp(*tangents)`` (one tangent per primal, each with its primal's structure,
    shapes and dtypes) returns the JVP of ``fun`` at ``primals`` along ``tangents``,
    with the structure of ``out``: what ``gk.jvp(fun, primals, tangents)[1]`` returns,
    without running ``fun`` again. Use it to push many tangents through one point
    (Newton-Krylov, Gauss-Newton products, Jacobian columns on demand).

    >>> import numpy as np
    >>> import gradkit as gk
    >>> out, f_jvp = gk.linearize(lambda x: np.sin(x) * x, np.array([0.0, np.pi]))
    >>> f_jvp(np.array([1.0, 1.0])).round(6)  # (cos(x) x + sin(x)) * t
    array([ 0.      , -3.141593])
    >>> f_jvp(np.array([2.0, 0.0])).round(6)
    array([0., 0.])
    """
    if not callable(fun):
        raise TypeError(f"linearize takes a function first, got {type(fun).__name__}")
    lin = ReverseTrace(next_level(), "linearize (tangents)")
    fw = ForwardTrace(next_level(), "linearize")
    rng = np.random.default_rng(0)
    defs, tangent_nodes = [], []
    with opened(lin), opened(fw):
        args = []
        for k, p in enumerate(primals):
            leaves, treedef = tree_flatten(p)
            defs.append(treedef)
            boxed = []
            for leaf in leaves:
                x = _input(leaf, "linearize", k)
                pv = peek(x)
                t0 = np.asarray(rng.uniform(0.5, 1.5, shape_of(pv)), np.result_type(pv))
                t = lin.leaf(t0)
                tangent_nodes.append(t._node)
                boxed.append(fw.box(x, t))
            args.append(tree_unflatten(treedef, boxed))
        out = fun(*args)
        if type(out) is not Tensor:
            out = pack_output(out)
    out_leaves, out_def = tree_flatten(_own_output(out, fw))
    primal_out, linear_out = [], []
    for o in out_leaves:
        if type(o) is Tensor and o._trace is fw:
            primal_out.append(o._value)
            linear_out.append(o._node)  # a Tensor of lin's, or a constant tangent
        else:
            primal_out.append(o)
            v = peek(o)
            linear_out.append(np.zeros(shape_of(v), dtype=np.result_type(v, np.float64)))
    program = _program(lin.tape, linear_out, lin)
    checked = [False]

    def f_jvp(*tangents: Any) -> Any:
        if len(tangents) != len(primals):
            raise TypeError(
                f"f_jvp takes one tangent per primal: {len(primals)} primal(s), "
                f"{len(tangents)} tangent(s) given"
            )
        flat = []
        for k, (t, treedef, p) in enumerate(zip(tangents, defs, primals)):
            t_leaves, t_def = tree_flatten(t)
            if t_def != treedef:
                raise ValueError(
                    f"f_jvp: tangent {k} has structure {t_def!r} but its primal has {treedef!r}"
                )
            flat.extend(_tangent(tl, pl, k) for tl, pl in zip(t_leaves, tree_flatten(p)[0]))
        result = tree_unflatten(out_def, _replay(program, tangent_nodes, flat, linear_out, lin))
        if not checked[0]:
            _check_first(fun, primals, tangents, result)
            checked[0] = True
        return result

    return tree_unflatten(out_def, primal_out), f_jvp


def _program(tape: list, outputs: list, lin: Any) -> list:
    """The recorded nodes the outputs depend on, in the order they ran."""
    needed = {o._node for o in outputs if type(o) is Tensor and o._trace is lin}
    for node in reversed(tape):
        if node in needed:
            needed.update(parent for _, parent in node.parents)
    return [node for node in tape if node in needed]


def _replay(program: list, inputs: list, values: list, outputs: list, lin: Any) -> list:
    env = dict(zip(inputs, values))
    for node in program:
        args = list(node.args)
        for i, parent in node.parents:
            args[i] = env[parent]
        env[node] = bind(node.prim, args, node.kw)  # records on enclosing transforms, if any
    return [env[o._node] if type(o) is Tensor and o._trace is lin else o for o in outputs]


def _check_first(fun: Callable, primals: tuple, tangents: tuple, result: Any) -> None:
    want = jvp(fun, tuple(primals), tuple(tangents))[1]
    for got, ref in zip(tree_flatten(result)[0], tree_flatten(want)[0]):
        g, r = np.asarray(peek(got)), np.asarray(peek(ref))
        if g.shape != r.shape or not np.allclose(g, r, rtol=1e-9, atol=1e-12, equal_nan=True):
            name = getattr(fun, "__name__", "the function")
            raise ValueError(
                f"gk.linearize: replaying the linear map recorded for {name} disagrees with "
                "gk.jvp at the same tangent: a derivative rule took a decision on tangent "
                "values. Use gk.jvp for this function"
            )
