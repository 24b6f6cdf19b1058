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
from gradkit.autodiff.errors import InPlaceError
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
    - ``tensor``: for a leaf, the Tensor whose ``.grad`` ``backward()`` fills;
    - ``saved``: on a trace that guards its saved values by fingerprint (see
      :class:`ReverseTrace`), ``((argnum, fingerprint), ...)`` of the constant arrays
      its rules will read (argnum None: a leaf's own value). Set only there;
    - ``hooks``: gradient hooks of hand-made Tensors (autodiff/hooks.py), set only there;
    - ``site``: the user's line that recorded it, set only under gk.detect_anomaly().
    """

    __slots__ = ("prim", "args", "kw", "parents", "ans", "seq", "tensor", "saved", "hooks", "site")


class ReverseTrace(Trace):
    """A trace that records a graph for the backward pass.

    A transform's trace keeps a tape, its operations in creation order, which is a ready
    reverse topological order for the backward pass. The long-lived trace of
    hand-made Tensors keeps none (it would never be freed) and sorts instead.

    Saved values are guarded: a plain array an operation's rules will read (``c`` in
    ``w * c``) must not change before the backward pass, or the gradient would use the
    new values. Plain arrays carry no version counter, so ``guard`` says how:

    - ``"fingerprint"`` (hand-made Tensors, whose ``backward()`` comes whenever the user
      calls it): a copy of the bytes of each saved constant array and of each leaf's
      value, compared by the backward pass, which raises InPlaceError naming the
      operation (plain arrays carry no version counter: this costs a copy per saved
      array, see :func:`fingerprint`);
    - ``"lock"`` (``gk.grad``, whose backward pass follows the function at once): a
      saved array of at most ``SMALL`` bytes is copied as bytes and compared once the
      function has returned (:meth:`verify`: InPlaceError naming the operation); a larger
      writeable one, and its base, is made read-only until :meth:`unlock`, so a write
      inside the function raises NumPy's "assignment destination is read-only" where it
      is made, at no cost per byte (flipping the flag twice costs about 2 us, a copy and
      a comparison of 8 KB about as much);
    - None: no guard.

    Operations whose rules read only their arguments' shapes (``add``, ``sum``,
    ``reshape``...) save nothing, as PyTorch's do not.
    """

    __slots__ = ("tape", "guard", "locked", "prints")

    def __init__(self, level: int, name: str, tape: bool = True, guard: str | None = None) -> None:
        super().__init__(level, name)
        self.tape = [] if tape else None
        self.guard = guard if tape else "fingerprint"
        self.locked: list = []
        self.prints: list = []  # (array, its bytes, primitive, argnum) under "lock"

    def _save(self, prim: Any, node: Node, vals: Any, parents: Any) -> None:
        """Guard the constant arrays among ``vals`` that ``prim``'s rules will read."""
        if prim.name in SHAPE_ONLY:
            return
        traced = [i for i, _ in parents]
        saved = []
        for i, v in enumerate(vals):
            if type(v) is not np.ndarray or i in traced:
                continue
            if self.guard == "fingerprint":
                saved.append((i, fingerprint(v)))
            else:
                self._hold(prim, v, i)
        if saved:
            node.saved = tuple(saved)

    def _hold(self, prim: Any, a: np.ndarray, i: int) -> None:
        """Guard ``a`` (argument ``i`` of ``prim``) until the backward pass: see above."""
        if a.nbytes <= SMALL:
            self.prints.append((a, a.tobytes(), prim, i))
            return
        flags = a.flags
        if flags.writeable:
            flags.writeable = False
            self.locked.append(a)
        base = a.base  # the array that owns the memory, when a is a view
        if type(base) is np.ndarray and base.flags.writeable:
            base.flags.writeable = False
            self.locked.append(base)

    def verify(self) -> None:
        """Raise InPlaceError if a small saved array changed since its operation ran."""
        for a, before, prim, i in self.prints:
            if a.tobytes() != before:
                raise InPlaceError(
                    f"gk.{self.name}: the array of shape {a.shape} passed as argument {i} of "
                    f"{prim.name} was modified in place after the operation used it; its "
                    "derivative would use the new values. Modify a copy (c = c.copy())."
                )

    def unlock(self) -> None:
        """Make the arrays :meth:`_save` made read-only writeable again (bases first)."""
        self.prints = []
        locked, self.locked = self.locked, []
        for arr in reversed(locked):
            try:
                arr.flags.writeable = True
            except ValueError:  # pragma: no cover - its base was made read-only meanwhile
                pass

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
                if type(value) is np.ndarray:  # a hand-made leaf: its value is guarded too
                    node.saved = ((None, fingerprint(value)),)
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
        t = self._record(prim, vals, ((pos, a._node),), prim.impl(*vals))
        if type(const) is np.ndarray and self.guard is not None and prim.name not in SHAPE_ONLY:
            if self.guard == "fingerprint":
                t._node.saved = ((1 - pos, fingerprint(const)),)
            elif const.nbytes <= SMALL:  # _hold's commonest case, without its call
                self.prints.append((const, const.tobytes(), prim, 1 - pos))
            else:
                self._hold(prim, const, 1 - pos)
        return t

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
        t = self._record(prim, vals, parents, ans, kw)
        if self.guard is not None and len(parents) < len(vals):
            self._save(prim, t._node, vals, parents)
        return t


#: Under gk.grad, saved arrays of at most this many bytes are compared, larger ones locked.
SMALL = 8192
#: Primitives whose rules read only their arguments' shapes: they save no constant.
SHAPE_ONLY = frozenset((
    "add", "subtract", "negative", "positive", "broadcast_to", "concatenate", "cumsum",
    "deg2rad", "rad2deg", "getitem", "index_update", "reshape", "transpose", "sum", "mean",
    "astype", "scatter_add",
))  # fmt: skip


def fingerprint(a: np.ndarray) -> bytes:
    """An array's bytes, copied: any write into the array makes them differ. A copy runs
    at memory speed, 5-10 times faster than a CRC-32 of the same bytes (measured by
    benchmarks/saved_guard.py), and cannot collide."""
    return a.tobytes()


def verify_saved(node: Node) -> None:
    """Raise InPlaceError if an array ``node`` saved changed since it was recorded."""
    for i, before in node.saved:
        value = node.ans if i is None else node.args[i]
        if fingerprint(value) == before:
            continue
        if i is None:
            raise InPlaceError(
                f"backward(): the value of a leaf Tensor of shape {value.shape} was written "
                "in place after operations used it; the gradient would be taken at the new "
                "values. Write into a copy (t.detach().numpy()), or call backward() first."
            )
        raise InPlaceError(
            f"backward(): the array of shape {value.shape} passed as argument {i} of "
            f"{node.prim.name} was modified in place after the operation was recorded and "
            "before backward(); the gradient would use the new values. Modify a copy "
            "(c = c.copy()) or call backward() first."
        )


#: Threads running under gk.detect_anomaly(), and the backward pass that checks each
#: rule's result (autodiff/eager_backward.py's, which sets it): backward_pass hands its
#: walks to it while any thread checks.
ANOMALY = [0]
CHECKED_WALK: list = [None]


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
    roots: list,
    keep_all: bool = False,
    tape: list | None = None,
    release: bool = False,
    check_saved: bool = False,
) -> dict:
    """Propagate cotangents from ``roots``, a list of ``(node, cotangent)``, backwards.

    ``tape`` is the trace's record of its operations in creation order, if it keeps one;
    otherwise the reachable part of the graph is found first. Returns a dict from node
    to cotangent: for the leaves reached, or for every node reached when ``keep_all``.
    With ``release`` (for a graph walked once) each node lets go of its saved values as
    soon as its rules have run, as PyTorch frees saved tensors: an intermediate array is
    freed as soon as the last rule that reads it is done, so the backward pass reuses
    memory that is still in the cache instead of holding the whole forward pass.
    With ``check_saved`` (and always without a tape) each node's fingerprinted arrays
    are checked first (:func:`verify_saved`).
    """
    if ANOMALY[0]:  # some thread runs under gk.detect_anomaly(): the checking walk
        return CHECKED_WALK[0](roots, keep_all, tape, release, check_saved)
    grads: dict = {}
    for node, g in roots:
        grads[node] = grads[node] + g if node in grads else g
    order = reversed(tape) if tape is not None else _reachable(roots)
    result = {}
    pop = grads.pop
    # the trace of hand-made Tensors, and vjp's, fingerprint the arrays their rules read
    guarded = tape is None or check_saved
    for node in order:
        g = pop(node, None)
        if g is None:
            continue
        if guarded and getattr(node, "saved", None) is not None:
            verify_saved(node)
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
