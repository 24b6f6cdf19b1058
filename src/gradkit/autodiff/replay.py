"""gk.jit: record a function's NumPy calls once, then replay them without the engine.

The first call with a given structure of arguments runs the function with its float
arrays boxed on a :class:`JitTrace`, which records every primitive applied to them (and
every operation derived from them: ``gk.grad``'s backward pass included, since its rules
run on the boxed values). Later calls with arguments of the same shapes and dtypes
replay the recorded calls on the new arrays, in order, with no boxes, no graph and no
Python of the user's: what is left is the NumPy work. Only what the outputs need is
replayed (the loss value of ``jit(grad(loss))`` is never computed), and each
intermediate array is let go after its last use.

What jit cannot see it refuses: reading a traced value (``float(x)``, ``if x > 0``,
``np.asarray(x)``) raises :class:`~gradkit.autodiff.errors.JitError` while recording,
and the first replay for each recording is checked against an ordinary call.
"""

from __future__ import annotations

import collections
import functools
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from gradkit.autodiff import primitives, sequences
from gradkit.autodiff.errors import JitError
from gradkit.autodiff.primitives import Operand
from gradkit.autodiff.trace import Trace, next_level, running
from gradkit.tree import tree_flatten, tree_unflatten

__all__ = ["jit", "JitTrace"]

#: Recordings kept per jitted function (least recently used dropped first).
CACHE_SIZE = 64
#: After this many recordings of one function, warn once: its static inputs keep changing.
WARN_AFTER = 8

_TRACED_KINDS = frozenset("fc")  # float and complex arrays are inputs; the rest is static


class JitTrace(Trace):
    """The trace of one recording: each of its values is a numbered slot.

    ``steps`` holds ``(function, arguments, keywords, output slot)``, where an argument
    is a :class:`_Slot` or a constant, and the function is a primitive's ``impl`` or a
    call of its ``lower`` form. ``arrays`` holds the shape and dtype of each slot that
    holds an array (what the replay needs to know to write into it).
    """

    __slots__ = ("steps", "slots", "arrays")
    jit = True

    def __init__(self, level: int) -> None:
        super().__init__(level, "jit")
        self.steps: list = []
        self.slots = 0
        self.arrays: dict = {}

    def _slot(self, value: Any) -> _Slot:
        out = _Slot(self.slots)
        self.slots += 1
        if type(value) is np.ndarray:
            self.arrays[out] = (value.shape, value.dtype)
        return out

    def box(self, value: Any) -> Any:
        """A new input slot holding ``value``."""
        t = primitives._Tensor._new(value, self, _Slot(self.slots))
        self.slots += 1
        return t

    def process(self, prim: Any, args: Any, kw: dict) -> Any:
        Tensor = primitives._Tensor
        if not self.active:
            raise self.leaked_error(prim)
        vals = []
        spec = []
        for a in args:
            if type(a) is Tensor:
                tr = a._trace
                if tr is self:
                    spec.append(a._node)
                    vals.append(a._value)
                    continue
                if tr is None:
                    a = a._value
                elif tr.level > self.level:  # an inner transform's value: it records first
                    return primitives.bind(prim, args, kw)
                else:
                    raise JitError(
                        f"gk.jit: {prim.name} was applied to a value traced by an enclosing "
                        f"gk.{tr.name}, which the jitted function reads from outside (a "
                        "closure or a global). Pass it to the jitted function as an argument."
                    )
            spec.append(a)
            vals.append(a)
        for v in kw.values():
            if type(v) is Tensor:
                primitives.value_of(v)  # raises: a keyword's value is fixed in the recording
        ans = prim.impl(*vals, **kw) if kw else prim.impl(*vals)
        out = None
        if prim.lower is not None:
            form = prim.lower(*vals, **kw)
            if form:
                out = self._record_form(form, vals, spec, ans)
        if out is None:
            out = self._slot(ans)
            self.steps.append((prim.impl, tuple(spec), kw, out))
        return primitives._Tensor._new(ans, self, out)

    def _record_form(self, form: list, vals: list, spec: list, ans: Any) -> _Slot | None:
        """Record a primitive's ``lower`` form in place of its impl, if the form computes
        the very same result (bit for bit) as the impl just did; return its result's
        slot, or None (then the impl is recorded)."""
        values = list(vals)
        for fn, args in form:
            values.append(fn(*[values[a] if type(a) is Operand else a for a in args]))
        if not _identical(values[-1], ans):
            return None
        refs = list(spec)
        for (fn, args), value in zip(form, values[len(vals) :]):
            out = self._slot(value)
            spec_j = tuple(refs[a] if type(a) is Operand else a for a in args)
            self.steps.append((fn, spec_j, {}, out))
            refs.append(out)
        return out

    def escape_error(self) -> JitError:
        """The error for code that reads the value of one of this trace's arrays."""
        return JitError(
            "gk.jit: the value of a traced array was read (float(), bool(), an `if` on an "
            "array, np.asarray, or an operation whose derivative depends on the values, "
            "such as np.max or np.sort). A recording replays every later call with the same "
            "result, so it would silently be wrong. Call the function without gk.jit, or "
            "pass the value that decides it through static_argnums."
        )


class _Slot(int):
    """The number of a recorded value (an int subclass, to tell it from constants)."""

    __slots__ = ()


def _identical(a: Any, b: Any) -> bool:
    """Whether two NumPy results are the same, bit for bit (type, shape, dtype, bytes)."""
    if type(a) is not type(b) or not isinstance(a, (np.ndarray, np.generic)):
        return False
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


class _Program:
    """A recording, ready to replay: the steps the outputs need, freed after last use,
    with a ufunc's result written into an operand array nothing needs any more.

    The steps become the body of one generated Python function (``v7 = f3(v6, v0)``,
    ``del v0``), so a replay costs each NumPy call and nearly nothing else, as
    ``collections.namedtuple`` and ``dataclasses`` generate their methods. The
    generated text holds only slot numbers: the functions and constants it calls are
    passed in by name (``f3``, ``c3_1``), never written out as text.
    """

    __slots__ = ("run", "treedef", "checked", "size", "kept", "reused", "source", "handovers")

    def __init__(self, tr: JitTrace, n_inputs: int, outputs: list, treedef: Any) -> None:
        needed = {o for o in outputs if type(o) is _Slot}
        kept = []
        for fn, spec, kw, out in reversed(tr.steps):  # dead-code elimination
            if out in needed:
                kept.append((fn, spec, kw, out))
                needed.update(a for a in spec if type(a) is _Slot)
        kept.reverse()
        last_use: dict = {}
        for k, (_, spec, _, _) in enumerate(kept):
            for a in spec:
                if type(a) is _Slot:
                    last_use[a] = k
        returned = {o for o in outputs if type(o) is _Slot}
        frees: list = [[] for _ in kept]
        for slot, k in last_use.items():
            if slot not in returned:
                frees[k].append(int(slot))
        made_new = {out for fn, spec, kw, out in kept if _makes_new_array(fn, spec, kw)}
        into = _reuse(kept, last_use, returned, n_inputs, tr.arrays, made_new)
        self.reused = len(into)
        names: dict = {"_fresh": _fresh, "_writeable": _writeable}
        lines = ["def replay(" + "".join(f"v{i}, " for i in range(n_inputs)) + "):"]
        for k, (fn, spec, kw, out) in enumerate(kept):
            names[f"f{k}"] = fn
            args = []
            for j, a in enumerate(spec):
                if type(a) is _Slot:
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
        self.treedef = treedef
        self.checked = False
        self.size = len(tr.steps)
        self.kept = len(kept)

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
            if type(a) is _Slot:
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
            if type(a) is not _Slot or a not in made_new or arrays.get(a) != shape:
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
        if type(o) is _Slot:
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
_HAND_OVER = {
    "copy": lambda v: v.copy(),
    "own": lambda v: v,
    "writeable": _writeable,
    "fresh": _fresh,
}


def _static_key(leaf: Any, where: str) -> Any:
    if isinstance(leaf, np.ndarray):
        return ("a", leaf.shape, leaf.dtype.str, leaf.tobytes())
    try:
        hash(leaf)
    except TypeError:
        raise TypeError(
            f"gk.jit: {where} is a {type(leaf).__name__}, which jit can neither trace (only "
            "float and complex arrays and numbers are traced) nor use as a static value "
            "(it is not hashable). Pass an array, or a hashable value."
        ) from None
    return ("v", type(leaf), leaf)


def jit(fun: Callable, static_argnums: int | tuple[int, ...] = ()) -> Callable:
    """Return ``fun`` recorded once per shape of its inputs and replayed without the engine.

    The float and complex arrays (and Python floats) among the arguments, nested in
    tuples, lists and dicts, are the traced inputs; everything else (integer arrays such
    as class labels, Python ints, strings, the arguments named in ``static_argnums``) is
    part of the recording, compared by value: a new value records again. The replay runs
    the NumPy calls the recording made and nothing else, which makes a training step
    ``jit(grad(loss))`` cost little more than the same step written by hand.

    As with JAX's jit, the function must compute its outputs from its arguments with
    NumPy operations: Python decisions on traced values raise
    :class:`~gradkit.autodiff.errors.JitError`; arrays read from outside (closures,
    globals), randomness and side effects are those of the recording. The first replay
    of each recording is checked against an ordinary call, and a difference raises.

    Args:
        fun: the function to record.
        static_argnums: positions of arguments that are never traced (compared by value).

    >>> import numpy as np
    >>> import gradkit as gk
    >>> step = gk.jit(gk.grad(lambda w, x: np.sum(np.tanh(x @ w) ** 2)))
    >>> x = np.array([[1.0, 2.0], [0.5, -1.0]])
    >>> g1 = step(np.array([0.1, 0.2]), x)  # records
    >>> g2 = step(np.array([0.3, -0.1]), x)  # replays (checked once against fun)
    >>> np.allclose(g2, gk.grad(lambda w, x: np.sum(np.tanh(x @ w) ** 2))(np.array([0.3, -0.1]), x))
    True
    """
    if not callable(fun):
        raise TypeError(f"gk.jit takes a function, got {type(fun).__name__}: {fun!r}")
    statics = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in statics):
        raise TypeError(f"gk.jit: static_argnums must be ints, got {static_argnums!r}")
    cache: collections.OrderedDict = collections.OrderedDict()
    recordings = [0]
    last: list = [None, None]  # the last call's key and program: a loop's calls match it

    @functools.wraps(fun)
    def jitted(*args: Any, **kwargs: Any) -> Any:
        static_pos = _static_positions(statics, len(args)) if statics else ()
        if static_pos:
            dynamic = [a if k not in static_pos else None for k, a in enumerate(args)]
        else:
            dynamic = args
        leaves, treedef = tree_flatten((dynamic, kwargs) if kwargs else dynamic)
        Tensor = primitives._Tensor
        key = [treedef]
        inputs = []
        for n, leaf in enumerate(leaves):
            kind = type(leaf)
            if kind is np.ndarray:
                dtype = leaf.dtype
                if dtype.kind in _TRACED_KINDS:
                    key.append(leaf.shape)
                    key.append(dtype)
                    inputs.append(leaf)
                    continue
            elif kind is Tensor:
                # Called on traced values (inside grad, or inside another jit): run it as
                # is, so that the enclosing transform records it.
                return fun(*args, **kwargs)
            elif _traced(leaf):  # a Python float or a NumPy scalar
                leaf = np.asarray(leaf)
                key.append(leaf.shape)
                key.append(leaf.dtype)
                inputs.append(leaf)
                continue
            key.append(_static_key(leaf, f"argument leaf {n}"))
        for i in static_pos:
            if type(args[i]) is Tensor:
                return fun(*args, **kwargs)
            key.append((i, _static_key(args[i], f"static argument {i}")))
        key = tuple(key)
        if key == last[0]:  # compared, not hashed: cheaper, and no reordering to do
            program = last[1]
        else:
            program = cache.get(key)
        if program is None:
            program, out = _record(fun, args, kwargs, static_pos, leaves, treedef)
            recordings[0] += 1
            if recordings[0] == WARN_AFTER + 1:
                warnings.warn(
                    f"gk.jit has recorded {getattr(fun, '__name__', 'the function')} "
                    f"{recordings[0]} times: its static inputs (integer arrays, Python "
                    "numbers, shapes) keep changing, so each call records again. Pass "
                    "changing integer data as floats (one-hot labels), or drop gk.jit.",
                    RuntimeWarning,
                    stacklevel=2,
                )
            cache[key] = program
            if len(cache) > CACHE_SIZE:
                cache.popitem(last=False)
            last[0], last[1] = key, program
            return out
        if program is not last[1]:
            cache.move_to_end(key)
            last[0], last[1] = key, program
        result = program(inputs)
        if not program.checked:
            try:
                _check_replay(fun(*args, **kwargs), result, fun)
            except JitError:
                del cache[key]
                last[0] = last[1] = None
                raise
            program.checked = True
        return result

    jitted.recordings = recordings  # type: ignore[attr-defined]  # for tests: [count]
    return jitted


def _static_positions(statics: tuple, nargs: int) -> tuple:
    for i in statics:
        if not -nargs <= i < nargs:
            raise ValueError(
                f"gk.jit: static_argnums names argument {i}, but the call passed {nargs} "
                "positional arguments"
            )
    return tuple(sorted({i % nargs for i in statics}))


def _traced(leaf: Any) -> bool:
    """Whether jit traces this argument leaf (see :func:`jit`)."""
    if type(leaf) is float or type(leaf) is complex:
        return True
    if isinstance(leaf, np.ndarray) and type(leaf) is not np.ndarray:
        sequences.check_input(leaf, "jit", 0)  # np.matrix, np.ma: refused by name
    return isinstance(leaf, (np.ndarray, np.generic)) and leaf.dtype.kind in _TRACED_KINDS


def _record(fun, args, kwargs, static_pos, leaves, treedef) -> tuple:
    tr = JitTrace(next_level())
    stack = running()
    stack.append(tr)
    try:
        boxed = [tr.box(np.asarray(leaf)) if _traced(leaf) else leaf for leaf in leaves]
        n_inputs = tr.slots  # the boxes are its first slots
        if kwargs:
            dynamic, kw = tree_unflatten(treedef, boxed)
        else:
            dynamic, kw = tree_unflatten(treedef, boxed), {}
        call_args = [args[k] if k in static_pos else a for k, a in enumerate(dynamic)]
        out = sequences.pack_output(fun(*call_args, **kw))  # object arrays: one array
    finally:
        stack.pop()
        tr.active = False
    _refuse_written_inputs(fun, boxed, tr)
    out_leaves, out_def = tree_flatten(out)
    Tensor = primitives._Tensor
    outputs = []
    values = []
    for leaf in out_leaves:
        if type(leaf) is Tensor:
            if leaf._trace is tr:
                outputs.append(leaf._node)
                values.append(leaf._value)
                continue
            if leaf._trace is not None:
                raise JitError(
                    f"gk.jit: the function returned a value traced by gk.{leaf._trace.name}, "
                    "which belongs to a transform inside it. Return plain results."
                )
            leaf = leaf._value
        outputs.append(leaf)
        values.append(leaf)
    program = _Program(tr, n_inputs, outputs, out_def)
    # this call's results, handed over as a replay's are
    values = [_HAND_OVER[how](v) for how, v in zip(program.handovers, values)]
    return program, tree_unflatten(out_def, values)


def _refuse_written_inputs(fun: Callable, boxed: list, tr: JitTrace) -> None:
    """A function that writes into its own argument (``x[0] = 0``, ``x += 1``, or through
    a view of ``x``) changes the caller's array when called, which a replay cannot do:
    jit refuses it rather than silently leave the array as it was (JAX's inputs are
    immutable too). Inside gk.grad and the other transforms such writes are fine: they
    change the function's own copy."""
    Tensor = primitives._Tensor
    for k, box in enumerate(leaf for leaf in boxed if type(leaf) is Tensor):
        if box._trace is not tr or box._node != k:
            name = getattr(fun, "__name__", "the function")
            raise JitError(
                f"gk.jit: {name} writes into its traced argument (input {k}) in place "
                "(x[i] = ..., x += ..., np.copyto, out=, or through a view of x). Called "
                "without jit that changes your array; a replay cannot. Write into a copy "
                "(x = x.copy()) and return it, or call the function without gk.jit."
            )


def _check_replay(expected: Any, got: Any, fun: Callable) -> None:
    """The first replay must agree with an ordinary call (to rounding of sum orders)."""
    e_leaves, e_def = tree_flatten(expected)
    g_leaves, g_def = tree_flatten(got)
    name = getattr(fun, "__name__", "the function")
    if e_def != g_def:
        raise JitError(f"gk.jit: the replay of {name} returned a different structure")
    for k, (e, g) in enumerate(zip(e_leaves, g_leaves)):
        e = np.asarray(primitives.peek(e))
        g = np.asarray(g)
        scale = float(np.max(np.abs(e), initial=0.0)) if e.dtype.kind in "fciu" else 0.0
        same = e.shape == g.shape and (
            np.allclose(g, e, rtol=1e-9, atol=1e-12 * scale, equal_nan=True)
            if e.dtype.kind in "fc"
            else np.array_equal(g, e)
        )
        if not same:
            raise JitError(
                f"gk.jit: replaying the recording of {name} gave a different output {k} "
                "than calling it. The function depends on something the recording "
                "fixed: randomness, an array read from outside that changed, or a "
                "Python decision jit did not see. Call it without gk.jit."
            )
