"""``gk.checkpoint``: rematerialization, trading compute for memory in reverse mode.

Under a reverse-mode transform, a checkpointed function is recorded as one node that
keeps only its inputs and its output: the function runs on plain values (its
intermediates are freed as soon as it returns), and the backward pass runs it again,
this time recorded, to get its VJP. A chain of ``n`` layers checkpointed every ``k``
keeps about ``n / k + k`` layers' activations alive instead of ``n``, for one more
forward pass. Outside reverse mode (plain calls, ``gk.jvp``, ``gk.jit`` itself) the
function simply runs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from gradkit.autodiff.custom import custom_vjp
from gradkit.autodiff.custom_node import _positional, _top_trace
from gradkit.autodiff.primitives import peek
from gradkit.autodiff.reverse import ReverseTrace
from gradkit.autodiff.transforms import vjp
from gradkit.tree import tree_flatten, tree_unflatten

__all__ = ["checkpoint"]


def checkpoint(fun: Callable) -> Callable:
    """Return ``fun`` rematerialized: reverse mode recomputes its intermediates.

    The returned function computes what ``fun`` does. Under ``gk.grad`` (or any
    reverse-mode transform) it keeps only its inputs and output for the backward pass
    and re-runs ``fun`` there to differentiate it, so memory that ``fun``'s
    intermediate arrays would hold through the whole backward pass is freed at once;
    the cost is one more forward pass of ``fun``. Gradients are the same as without it.
    ``fun`` must be a pure function of its arguments (arrays, numbers, containers of
    them): it runs twice.

    >>> import numpy as np
    >>> import gradkit as gk
    >>> calls = []
    >>> def block(x):
    ...     calls.append(1)
    ...     return np.tanh(np.tanh(x) * 2.0)
    >>> g = gk.grad(lambda x: np.sum(gk.checkpoint(block)(x)))(np.array([0.1, 0.2]))
    >>> len(calls)  # once forward, once again in the backward pass
    2
    >>> bool(np.allclose(g, gk.grad(lambda x: np.sum(block(x)))(np.array([0.1, 0.2]))))
    True
    """
    if not callable(fun):
        raise TypeError(f"checkpoint takes a function, got {type(fun).__name__}: {fun!r}")
    name = getattr(fun, "__name__", "checkpointed function")

    def fwd(*args: Any) -> tuple:
        return fun(*args), args  # residuals: the inputs alone

    def bwd(args: tuple, g: Any) -> tuple:
        leaves_per_arg = [tree_flatten(a) for a in args]
        flat = [leaf for leaves, _ in leaves_per_arg for leaf in leaves]
        floats = [j for j, leaf in enumerate(flat) if np.result_type(peek(leaf)).kind in "fc"]

        def rerun(*float_leaves: Any) -> Any:
            new = list(flat)
            for j, v in zip(floats, float_leaves):
                new[j] = v
            return fun(*_rebuild(new, leaves_per_arg))

        _, pull = vjp(rerun, *[flat[j] for j in floats])
        cts = [0.0] * len(flat)  # an int or bool input is no traced value: no cotangent used
        for j, c in zip(floats, pull(g)):
            cts[j] = c
        return tuple(_rebuild(cts, leaves_per_arg))

    rule = custom_vjp(fun)
    rule.name = name
    rule.defvjp(fwd, bwd)

    @functools.wraps(fun)
    def checkpointed(*args: Any, **kwargs: Any) -> Any:
        args = _positional(fun, args, kwargs, f"checkpoint({name})")
        if isinstance(_top_trace(tree_flatten(args)[0]), ReverseTrace):
            return rule(*args)
        return fun(*args)

    return checkpointed


def _rebuild(flat: list, leaves_per_arg: list) -> list:
    """The arguments' containers filled with ``flat``'s leaves in order."""
    out, start = [], 0
    for leaves, treedef in leaves_per_arg:
        out.append(tree_unflatten(treedef, flat[start : start + len(leaves)]))
        start += len(leaves)
    return out
