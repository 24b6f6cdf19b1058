"""Reverse mode: record operations as a graph of nodes, then walk it backwards.

The walk is iterative. Nodes are numbered as they are created, so every node's consumers
carry higher numbers than the node itself: popping nodes from a heap in decreasing order
visits each one after all of its consumers, with no recursion and no separate
topological sort.
"""

from __future__ import annotations

import itertools
from heapq import heappop, heappush
from typing import Any

import numpy as np

from gradkit.autodiff import primitives
from gradkit.autodiff.errors import LeakedTracerError
from gradkit.autodiff.primitives import shape_of
from gradkit.autodiff.trace import Trace

__all__ = ["Node", "ReverseTrace", "backward_pass", "unbroadcast"]

_seq = itertools.count()
_new_tensor = object.__new__


class Node:
    """One recorded operation: its primitive, its inputs and which of them are traced."""

    __slots__ = ("prim", "args", "kw", "parents", "ans", "seq", "tensor")

    def __init__(self, prim: Any, args: Any, kw: dict, parents: list, ans: Any) -> None:
        self.prim = prim
        self.args = args
        self.kw = kw
        self.parents = parents  # [(argnum, parent node)]
        self.ans = ans
        self.seq = next(_seq)
        self.tensor = None  # the leaf Tensor whose .grad backward() fills, for leaves only


class ReverseTrace(Trace):
    """A trace that records a graph for the backward pass."""

    __slots__ = ()

    def leaf(self, value: Any) -> Any:
        """Box ``value`` as an input of this trace."""
        node = Node(None, (), {}, [], value)
        return primitives._Tensor._new(value, self, node)

    def process(self, prim: Any, args: Any, kw: dict) -> Any:
        Tensor = primitives._Tensor
        if not self.active:
            raise LeakedTracerError(
                f"{prim.name} was applied to a value traced by a {self.name} that has already "
                "returned. Return values out of the transformed function instead of keeping "
                "them in outer variables."
            )
        vals = []
        parents = []
        lower = False
        i = 0
        for a in args:
            if type(a) is Tensor:
                tr = a._trace
                if tr is self:
                    vals.append(a._value)
                    parents.append((i, a._node))
                elif tr is None:
                    vals.append(a._value)
                else:
                    vals.append(a)
                    lower = True
            else:
                vals.append(a)
            i += 1
        if lower:
            ans = primitives.bind(prim, vals, kw)
        elif kw:
            ans = prim.impl(*vals, **kw)
        else:
            ans = prim.impl(*vals)
        rules = prim._vjps
        if not rules.complete or i > len(rules):
            for i, _ in parents:
                prim.vjp_rule(i)  # fail here, at the call site, if a rule is missing
        t = _new_tensor(Tensor)
        t._value = ans
        t._trace = self
        t._node = Node(prim, vals, kw, parents, ans)
        return t


def unbroadcast(r: Any, shape: tuple) -> Any:
    """Sum ``r`` over the axes that broadcasting added, so it has ``shape``."""
    rshape = shape_of(r)
    if rshape == shape:
        return r
    lead = len(rshape) - len(shape)
    if lead < 0:
        return np.broadcast_to(r, shape)
    axes = tuple(range(lead)) + tuple(
        k + lead for k, n in enumerate(shape) if n == 1 and rshape[k + lead] != 1
    )
    if axes:
        r = np.sum(r, axis=axes)
    if shape_of(r) != shape:
        r = np.reshape(r, shape)
    return r


def backward_pass(roots: list, keep_all: bool = False) -> dict:
    """Propagate cotangents from ``roots``, a list of ``(node, cotangent)``, backwards.

    Returns a dict from node to cotangent: for the leaves reached, or for every node
    reached when ``keep_all`` is true.
    """
    grads: dict = {}
    heap: list = []
    for node, g in roots:
        if node in grads:
            grads[node] = grads[node] + g
        else:
            grads[node] = g
            heappush(heap, (-node.seq, node))
    result = {}
    while heap:
        node = heappop(heap)[1]
        g = grads.pop(node)
        if keep_all or node.prim is None:
            result[node] = g
            if node.prim is None:
                continue
        rules = node.prim._vjps
        args = node.args
        ans = node.ans
        kw = node.kw
        for i, parent in node.parents:
            if kw:
                r = rules[i](g, ans, *args, **kw)
            else:
                r = rules[i](g, ans, *args)
            shape = args[i].shape
            try:
                same = r.shape == shape
            except AttributeError:
                same = shape_of(r) == shape
            if not same:
                r = unbroadcast(r, shape)
            if parent in grads:
                grads[parent] = grads[parent] + r
            else:
                grads[parent] = r
                heappush(heap, (-parent.seq, parent))
    return result
