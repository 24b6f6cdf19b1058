"""A gk.jit recording turned into one generated Python function (see replay.py).

The recorder (:class:`~gradkit.autodiff.replay.JitTrace`) numbers every value it sees
(a :class:`Slot`) and keeps ``(function, arguments, keywords, output slot)`` steps;
:class:`Program` drops the steps the outputs do not need, frees each array after its
last use, lets a ufunc write into an operand array nothing needs any more, and writes
the rest as the body of one Python function.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradkit.autodiff.jit_compile import compiled_runs
from gradkit.autodiff.jit_slot import Slot
from gradkit.tree import tree_unflatten

__all__ = ["Slot", "Program", "HAND_OVER"]


class Program:
    """A recording, ready to replay: the steps the outputs need, freed after last use,
    with a ufunc's result written into an operand array nothing needs any more.

    The steps become the body of one generated Python function (``v7 = f3(v6, v0)``,
    ``del v0``), so a replay costs each NumPy call and nearly nothing else, as
    ``collections.namedtuple`` and ``dataclasses`` generate their methods. The
    generated text holds only slot numbers: the functions and constants it calls are
    passed in by name (``f3``, ``c3_1``), never written out as text.
    """

    __slots__ = (
        "run",
        "treedef",
        "checked",
        "size",
        "kept",
        "reused",
        "source",
        "handovers",
        "names",
        "backend",
        "segments",
        "compiled_steps",
    )

    def __init__(
        self, tr: Any, n_inputs: int, outputs: list, treedef: Any, backend: str = "replay"
    ) -> None:
        needed = {o for o in outputs if type(o) is Slot}
        kept = []
        for fn, spec, kw, out in reversed(tr.steps):  # dead-code elimination
            if out in needed:
                kept.append((fn, spec, kw, out))
                needed.update(a for a in spec if type(a) is Slot)
        kept.reverse()
        last_use: dict = {}
        for k, (_, spec, _, _) in enumerate(kept):
            for a in spec:
                if type(a) is Slot:
                    last_use[a] = k
        returned = {o for o in outputs if type(o) is Slot}
        frees: list = [[] for _ in kept]
        for slot, k in last_use.items():
            if slot not in returned:
                frees[k].append(int(slot))
        made_new = {out for fn, spec, kw, out in kept if _makes_new_array(fn, spec, kw)}
        into = _reuse(kept, last_use, returned, n_inputs, tr.arrays, made_new)
        self.reused = len(into)
        names: dict = {"_fresh": _fresh, "_writeable": _writeable}
        lines = ["def replay(" + "".join(f"v{i}, " for i in range(n_inputs)) + "):"]
        starts = {}
        if backend == "numba":  # runs of steps numba compiles (jit_compile.py)
            starts = compiled_runs(kept, tr.arrays, last_use, returned, frees, names)
        self.segments = [run[2] for run in starts.values()]
        self.compiled_steps = sum(run[1] - run[0] for run in starts.values())
        self.backend = "numba" if self.segments else "replay"
        skip_to = 0
        for k, (fn, spec, kw, out) in enumerate(kept):
            if k < skip_to:
                continue
            if k in starts:
                skip_to, lines_k = starts[k][1], starts[k][3]
                lines += lines_k
                continue
            names[f"f{k}"] = fn
            args = []
            for j, a in enumerate(spec):
                if type(a) is Slot:
                    args.append(f"v{int(a)}")
                else:
                    names[f"c{k}_{j}"] = a
                    args.append(f"c{k}_{j}")
            if kw:
                names[f"k{k}"] = kw
                args.append(f"**k{k}")
            if k in into:
                args.append(f"out=v{int(into[k])}")
            lines.append(f"    v{int(out)} = f{k}({', '.join(args)})")
            if frees[k]:
                lines.append("    del " + ", ".join(f"v{s}" for s in sorted(frees[k])))
        self.handovers = _handovers(outputs, n_inputs, made_new)
        results = []
        for j, (o, how) in enumerate(zip(outputs, self.handovers)):
            if how == "fresh":
                names[f"out{j}"] = o
                results.append(f"_fresh(out{j})")
            else:
                results.append(_RETURN[how].format(int(o)))
        lines.append(f"    return [{', '.join(results)}]")
        self.source = "\n".join(lines)
        exec(compile(self.source, "<gk.jit replay>", "exec"), names)  # noqa: S102 - see above
        self.run = names["replay"]
        self.names = names  # what the text's names stand for (jit_source.py reads them)
        self.treedef = treedef
        self.checked = False
        self.size = len(tr.steps)
        self.kept = len(kept)

    @property
    def compile_seconds(self) -> float:
        """Seconds numba spent compiling this program's segments (0.0 for a replay)."""
        return sum(seg.compile_seconds for seg in self.segments)

    def __call__(self, inputs: list) -> Any:
        return tree_unflatten(self.treedef, self.run(*inputs))


def _makes_new_array(fn: Any, spec: tuple, kw: dict) -> bool:
    """Whether ``fn(*spec, **kw)`` returns memory of its own (never an argument's): a
    ufunc, or a ufunc's reduce, given no ``out`` (by keyword or position)."""
    if "out" in kw:
        return False
    if type(fn) is np.ufunc:
        return len(spec) <= fn.nin
    if type(getattr(fn, "__self__", None)) is np.ufunc and fn.__name__ == "reduce":
        return len(spec) < 4 or spec[3] is None  # reduce(array, axis, dtype, out, ...)
    return False


def _reuse(
    kept: list, last_use: dict, returned: set, n_inputs: int, arrays: dict, made_new: set
) -> dict:
    """For each step (by number) that can write its result into an operand's array, the
    operand's slot.

    A ufunc step may write into an operand array the replay made itself (a new array of
    an earlier ufunc or reduction), of the result's shape and dtype, when nothing reads
    that memory afterwards: not the operand, not any value that may be a view of it
    (any result of a step that is not known to return new memory counts as a view of
    all its operands: a transpose, a reshape, a primitive's Python impl), and not the
    caller (inputs and outputs are never written).
    """
    group: dict = {}  # union-find: slots that may share memory end up in one group

    def find(s: Any) -> Any:
        while group.get(s, s) != s:
            s = group[s]
        return s

    for _, spec, _, out in kept:
        if out in made_new:
            continue
        for a in spec:
            if type(a) is Slot:
                group[find(a)] = find(out)
    end: dict = {}  # the last step at which some member of the group is read
    pinned = {find(s) for s in returned}  # groups holding the caller's memory: outputs,
    for s, k in last_use.items():
        r = find(s)
        end[r] = max(end.get(r, -1), k)
        if s < n_inputs:  # and inputs
            pinned.add(r)
    into = {}
    for k, (fn, spec, kw, out) in enumerate(kept):
        if kw or type(fn) is not np.ufunc or fn.nout != 1 or len(spec) != fn.nin:
            continue
        shape = arrays.get(out)  # (shape, dtype); None for a NumPy scalar
        if shape is None:
            continue
        for a in spec:
            if type(a) is not Slot or a not in made_new or arrays.get(a) != shape:
                continue
            r = find(a)
            if r not in pinned and end[r] == k:
                into[k] = a
                break
    return into


def _writeable(value: Any) -> Any:
    """A replayed output as ordinary calls return it: writeable (not a broadcast view)."""
    if type(value) is np.ndarray and not value.flags.writeable:
        return value.copy()
    return value


def _handovers(outputs: list, n_inputs: int, made_new: set) -> list[str]:
    """How each output reaches the caller as its own writeable array: ``"copy"`` (an
    input's array, or a value returned a second time), ``"own"`` (new memory of a ufunc
    or reduction, handed over as it is), ``"writeable"`` (copied only if read-only: a
    broadcast view) or ``"fresh"`` (a recorded constant, copied)."""
    seen: set = set()
    how = []
    for o in outputs:
        if type(o) is Slot:
            if o < n_inputs or o in seen:
                how.append("copy")
            else:
                how.append("own" if o in made_new else "writeable")
            seen.add(o)
        else:
            how.append("fresh")
    return how


def _fresh(value: Any) -> Any:
    """A recorded constant output, copied so that the caller may write into it."""
    return value.copy() if isinstance(value, np.ndarray) else value


#: Each way of handing an output over, as the generated replay writes it and as a function.
_RETURN = {"copy": "v{}.copy()", "own": "v{}", "writeable": "_writeable(v{})"}
HAND_OVER = {
    "copy": lambda v: v.copy(),
    "own": lambda v: v,
    "writeable": _writeable,
    "fresh": _fresh,
}
