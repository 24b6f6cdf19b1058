"""Reverse mode: record operations as a graph of nodes, then walk it backwards.

The walk is iterative. Nodes are numbered as they are created, so every node's consumers
carry higher numbers than the node itself: popping nodes from a heap in decreasing order
visits each one after all of its consumers, with no recursion and no separate
topological sort.
"""

from __future__ import annotations

import itertools
import sys
import sysconfig
from typing import Any

import numpy as np

from gradkit.autodiff import primitives
from gradkit.autodiff.primitives import shape_of
from gradkit.autodiff.trace import Trace
from gradkit.shared_arrays import readonly_ones

__all__ = ["Node", "ReverseTrace", "backward_pass", "unbroadcast", "EXACT_REFCOUNTS"]

_seq = itertools.count()
_NO_KW: dict = {}
_add_reduce = np.add.reduce  # reaches Tensor.__array_ufunc__ for traced cotangents
_new_object = object.__new__
_refcount = sys.getrefcount

#: Whether a reference count proves that nothing else refers to an array. It does on the
#: interpreters checked here; Python 3.14 may borrow references and report smaller counts,
#: and free-threaded builds count differently, so there nothing relies on it: the backward
#: pass never hands a rule a cotangent to overwrite (Primitive.vjp_in_place), and grad's
#: exit compares every gradient with the others.
EXACT_REFCOUNTS = sys.version_info < (3, 14) and not sysconfig.get_config_var("Py_GIL_DISABLED")


class Node:
    """One recorded operation: its primitive, its inputs and which of them are traced.

    Made with ``Node()`` and its fields set one by one (:meth:`ReverseTrace._record`):
    a class with no ``__init__`` is created twice as fast as through ``object.__new__``,
    and a node is made for every operation and every input.

    - ``prim``: the primitive, or None for an input (a leaf);
    - ``args``, ``kw``: the values it was applied to;
    - ``parents``: ``[(argnum, parent node)]`` for the traced arguments;
    - ``ans``: its output value;
    - ``seq``: its creation number (set only where the trace keeps no tape);
    - ``tensor``: for a leaf, the Tensor whose ``.grad`` ``backward()`` fills.
    """

    __slots__ = ("prim", "args", "kw", "parents", "ans", "seq", "tensor")


class ReverseTrace(Trace):
    """A trace that records a graph for the backward pass.

    A transform's trace keeps a tape, its operations in creation order, which is a ready
    reverse topological order for the backward pass. The long-lived trace of
    hand-made Tensors keeps none (it would never be freed) and sorts instead.
    """

    __slots__ = ("tape",)

    def __init__(self, level: int, name: str, tape: bool = True) -> None:
        super().__init__(level, name)
        self.tape = [] if tape else None

    def leaf(self, value: Any) -> Any:
        """Box ``value`` as an input of this trace (leaves are never on the tape)."""
        return self.leaves((value,))[0]

    def leaves(self, values: Any, nodes: list | None = None) -> list:
        """:meth:`leaf` for each of ``values``, in one call; their nodes are appended to
        ``nodes`` if it is given."""
        Tensor = primitives._Tensor
        boxes = []
        sort = self.tape is None  # leaves are sorted with the rest when there is no tape
        for value in values:
            node = Node()
            node.prim = None
            node.args = ()
            node.kw = _NO_KW
            node.parents = ()
            node.ans = value
            if sort:
                node.seq = next(_seq)
            node.tensor = None
            t = _new_object(Tensor)
            t._value = value
            t._trace = self
            t._node = node
            boxes.append(t)
            if nodes is not None:
                nodes.append(node)
        return boxes

    def _record(self, prim: Any, vals: Any, parents: Any, ans: Any, kw: dict = _NO_KW) -> Any:
        node = Node()  # runs once per operation
        node.prim = prim
        node.args = vals
        node.kw = kw
        node.parents = parents
        node.ans = ans
        node.tensor = None
        tape = self.tape
        if tape is None:
            node.seq = next(_seq)
        else:
            tape.append(node)  # the tape's order replaces the sequence number
        t = _new_object(primitives._Tensor)
        t._value = ans
        t._trace = self
        t._node = node
        return t

    def unary(self, prim: Any, a: Any) -> Any:
        v = a._value
        if not self.active or type(v) is primitives._Tensor:
            return self.process(prim, (a,), _NO_KW)
        return self._record(prim, (v,), ((0, a._node),), prim.impl(v))

    def with_constant(self, prim: Any, a: Any, const: Any, pos: int) -> Any:
        v = a._value
        if not self.active or type(v) is primitives._Tensor:
            return self.process(prim, (a, const) if pos == 0 else (const, a), _NO_KW)
        vals = (v, const) if pos == 0 else (const, v)
        return self._record(prim, vals, ((pos, a._node),), prim.impl(*vals))

    def binary(self, prim: Any, a: Any, b: Any) -> Any:
        va = a._value
        vb = b._value
        Tensor = primitives._Tensor
        if not self.active or type(va) is Tensor or type(vb) is Tensor:
            return self.process(prim, (a, b), _NO_KW)
        return self._record(prim, (va, vb), ((0, a._node), (1, b._node)), prim.impl(va, vb))

    def process(self, prim: Any, args: Any, kw: dict) -> Any:
        Tensor = primitives._Tensor
        if not self.active:
            raise self.leaked_error(prim)
        vals = []
        parents = []
        lower = False
        i = 0
        for a in args:
            if type(a) is Tensor:
                tr = a._trace
                if tr is self:
                    parents.append((i, a._node))
                    a = a._value
                    if type(a) is Tensor:  # traced by an outer transform too
                        lower = True
                elif tr is None:
                    a = a._value
                elif tr.level > self.level:  # an inner transform's value: it records first
                    return primitives.bind(prim, args, kw)
                else:
                    lower = True
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
        return self._record(prim, vals, parents, ans, kw)


def unbroadcast(r: Any, shape: tuple) -> Any:
    """Sum ``r`` over the axes that broadcasting added, so it has ``shape``."""
    rshape = shape_of(r)
    if rshape == shape:
        return r
    lead = len(rshape) - len(shape)
    if lead < 0:
        return np.broadcast_to(r, shape)
    if lead == 1 and rshape[1:] == shape:  # the bias of a batch: the commonest case
        if len(rshape) == 2 and type(r) is np.ndarray and r.dtype == _F64:
            # BLAS sums the rows 2-3x faster than add.reduce
            return readonly_ones((rshape[0],), _F64) @ r
        return _add_reduce(r, 0)
    axes = tuple(range(lead)) + tuple(
        k + lead for k, n in enumerate(shape) if n == 1 and rshape[k + lead] != 1
    )
    if axes:
        r = _add_reduce(r, axes)
    if shape_of(r) != shape:
        r = r.reshape(shape)
    return r


_F64 = np.dtype(np.float64)


def real_part(r: Any) -> Any:
    """The cotangent of a real value from the complex cotangent ``r`` that reached it.

    Cotangents pair with tangents by ``Re(sum(c * v))``; for a real tangent ``v`` only
    ``Re(c)`` matters, and a real input takes it as its own (as JAX does). A new array,
    not a strided view into ``r``.
    """
    if type(r) is np.ndarray:
        return r.real.copy()
    return np.real(r)


def _is_complex(value: Any) -> bool:
    return np.result_type(primitives.peek(value)).kind == "c"

def _reachable(roots: list) -> list:
    """Nodes reachable from ``roots``, consumers before producers (decreasing seq)."""
    seen = set()
    stack = [node for node, _ in roots]
    found = []
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        found.append(node)
        stack.extend(parent for _, parent in node.parents)
    found.sort(key=_by_seq, reverse=True)
    return found


def _by_seq(node: Node) -> int:
    return node.seq


def backward_pass(
    roots: list, keep_all: bool = False, tape: list | None = None, release: bool = False
) -> dict:
    """Propagate cotangents from ``roots``, a list of ``(node, cotangent)``, backwards.

    ``tape`` is the trace's record of its operations in creation order, if it keeps one;
    otherwise the reachable part of the graph is found first. Returns a dict from node
    to cotangent: for the leaves reached, or for every node reached when ``keep_all``.
    With ``release`` (for a graph walked once) each node lets go of its saved values as
    soon as its rules have run, as PyTorch frees saved tensors: an intermediate array is
    freed as soon as the last rule that reads it is done, so the backward pass reuses
    memory that is still in the cache instead of holding the whole forward pass.
    """
    grads: dict = {}
    for node, g in roots:
        grads[node] = grads[node] + g if node in grads else g
    order = reversed(tape) if tape is not None else _reachable(roots)
    result = {}
    pop = grads.pop
    for node in order:
        g = pop(node, None)
        if g is None:
            continue
        prim = node.prim
        if prim is None or keep_all:
            result[node] = g
            if prim is None:
                continue
        rules = prim._vjps
        args = node.args
        ans = node.ans
        kw = node.kw
        parents = node.parents
        in_place = (  # may the one rule write into g?
            prim.vjp_in_place is not None
            and EXACT_REFCOUNTS
            and not kw  # vjp_in_place(g, ans, x) takes no keywords
            and type(g) is np.ndarray
            and _refcount(g) == 2  # held by `g` alone (and by this call): nobody sees it
            and g.base is None
            and g.flags.writeable
            and len(parents) == 1
            and g.shape == args[0].shape
        )
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
                r = real_part(r)  # a real input met a complex value: Re of its cotangent
            if parent in grads:
                grads[parent] = grads[parent] + r
            else:
                grads[parent] = r
        r = None  # so that `grads` alone holds it (see in_place above)
        if release:
            node.args = node.ans = None
    result.update(grads)  # what is left are the leaves (never on a tape)
    return result
