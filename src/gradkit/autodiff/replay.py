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
``np.asarray(x)``) or writing into an input raises
:class:`~gradkit.autodiff.errors.JitError` while recording, and the first replay for
each recording is checked against an ordinary call. Objects among the arguments are read
through their attributes (:mod:`~gradkit.autodiff.jit_inputs`), so a changed object never
replays a stale recording. The replayed program itself is built by
:mod:`~gradkit.autodiff.jit_program`. A jitted function may be called from several
threads at once: the cache is locked, the replays share nothing mutable.
"""

from __future__ import annotations

import collections
import functools
import threading
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from gradkit.autodiff import arraytypes, primitives, sequences
from gradkit.autodiff.errors import JitError
from gradkit.autodiff.jit_inputs import (
    CallThrough,
    check_unwritten,
    read_object,
    reads_inside,
    rebuild,
    snapshot,
    static_key,
    write_error,
)
from gradkit.autodiff.jit_program import HAND_OVER, Program, Slot
from gradkit.autodiff.jit_source import readable_source
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
    is a :class:`Slot` or a constant, and the function is a primitive's ``impl`` or a
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

    def _slot(self, value: Any) -> Slot:
        out = Slot(self.slots)
        self.slots += 1
        if type(value) is np.ndarray:
            self.arrays[out] = (value.shape, value.dtype)
        return out

    def box(self, value: Any) -> Any:
        """A new input slot holding ``value``."""
        t = primitives._Tensor._new(value, self, Slot(self.slots))
        if type(value) is np.ndarray:
            self.arrays[Slot(self.slots)] = (value.shape, value.dtype)
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
        if kw:
            kw_call = self._traced_keywords(prim, kw, vals, spec)
            if kw_call is not None:  # an index computed from traced values (argsort)
                kw = kw_call.values
                ans = prim.impl(*vals[: kw_call.n_positional], **kw)
                out = self._slot(ans)
                self.steps.append((kw_call, tuple(spec), {}, out))
                return primitives._Tensor._new(ans, self, out)
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

    def _traced_keywords(self, prim: Any, kw: dict, vals: list, spec: list) -> Any:
        """For keywords that hold this trace's values (directly or in a tuple, as an
        index does): a :class:`_KeywordCall` that takes them as operands after the
        positional ones (appended to ``vals`` and ``spec``), else None."""
        Tensor = primitives._Tensor
        template: dict = {}
        values: dict = {}
        found = False
        n_positional = len(vals)
        for name, v in kw.items():
            parts = v if type(v) is tuple else (v,)
            shape: list = []
            real: list = []
            for e in parts:
                if type(e) is Tensor:
                    if e._trace is not self:
                        e = primitives.value_of(e)  # raises for another jit's value
                    else:
                        if name == "idx" and getattr(e._value, "dtype", None) == np.bool_:
                            raise JitError(
                                "gk.jit can't replay indexing with a boolean mask computed "
                                "from traced values (x[x > 0]): the result's shape depends "
                                "on the values. Use np.where(mask, x, 0) (same shape), or "
                                "call the function without gk.jit."
                            )
                        found = True
                        shape.append(len(spec))
                        spec.append(e._node)
                        vals.append(e._value)
                        real.append(e._value)
                        continue
                shape.append(_Const(e))
                real.append(e)
            template[name] = (type(v) is tuple, tuple(shape))
            values[name] = tuple(real) if type(v) is tuple else real[0]
        if not found:
            return None
        call = _KeywordCall(prim.impl, template, n_positional)
        call.values = values
        return call

    def _record_form(self, form: list, vals: list, spec: list, ans: Any) -> Slot | None:
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


class _Const:
    """A constant part of a keyword in a :class:`_KeywordCall`'s template."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class _KeywordCall:
    """A primitive's impl called with keywords some of whose parts are recorded values
    (an index computed from traced values, such as ``x[np.argsort(x)]``): the replay
    passes those as trailing positional operands, and this rebuilds the keywords."""

    __slots__ = ("impl", "template", "n_positional", "values", "__name__")

    def __init__(self, impl: Callable, template: dict, n_positional: int) -> None:
        self.impl = impl
        self.template = template
        self.n_positional = n_positional
        self.__name__ = getattr(impl, "__name__", "primitive")

    def __call__(self, *operands: Any) -> Any:
        kw = {}
        for name, (is_tuple, parts) in self.template.items():
            got = tuple(p.value if type(p) is _Const else operands[p] for p in parts)
            kw[name] = got if is_tuple else got[0]
        return self.impl(*operands[: self.n_positional], **kw)


def _identical(a: Any, b: Any) -> bool:
    """Whether two NumPy results are the same, bit for bit (type, shape, dtype, bytes)."""
    if type(a) is not type(b) or not isinstance(a, (np.ndarray, np.generic)):
        return False
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


#: The values of gk.jit's ``backend`` argument.
BACKENDS = ("replay", "numba", "auto")


def jit(
    fun: Callable, static_argnums: int | tuple[int, ...] = (), backend: str = "replay"
) -> Callable:
    """Return ``fun`` recorded once per shape of its inputs and replayed without the engine.

    The float and complex arrays (and Python floats) among the arguments, nested in
    tuples, lists and dicts, are the traced inputs; everything else (integer arrays such
    as class labels, Python ints, strings, the arguments named in ``static_argnums``) is
    part of the recording, compared by value: a new value records again. An object (a
    ``gk.nn`` model, a dataclass, any instance of a Python class) is read through its
    attributes: its float and complex arrays are traced, the rest is compared, so
    replacing a model's parameters replays and changing its settings records again
    (:mod:`~gradkit.autodiff.jit_inputs`). Writing into an input raises JitError. The replay runs
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
        backend: ``"replay"`` (the default: the recorded NumPy calls, bit for bit the
            engine's results), ``"numba"`` (runs of steps numba supports compiled into
            native code with elementwise steps fused, the rest replayed; needs the
            ``gradkit[jit]`` extra; results within a few ulps, see ``docs/jit.md``) or
            ``"auto"`` (numba when it is installed, else the replay). ``step.report(*args)``
            tells which backend a recording uses and how long it took to compile.

    >>> import numpy as np
    >>> import gradkit as gk
    >>> step = gk.jit(gk.grad(lambda w, x: np.sum(np.tanh(x @ w) ** 2)))
    >>> x = np.array([[1.0, 2.0], [0.5, -1.0]])
    >>> g1 = step(np.array([0.1, 0.2]), x)  # records
    >>> g2 = step(np.array([0.3, -0.1]), x)  # replays (checked once against fun)
    >>> np.allclose(g2, gk.grad(lambda w, x: np.sum(np.tanh(x @ w) ** 2))(np.array([0.3, -0.1]), x))
    True

    ``step.source(*args)`` shows the program a call with those arguments replays, as
    Python/NumPy source (:mod:`~gradkit.autodiff.jit_source`):

    >>> print(step.source(np.array([0.3, -0.1]), x).splitlines()[0])
    # gk.jit recording of <lambda>(float64[2], float64[2, 2])
    """
    if not callable(fun):
        raise TypeError(f"gk.jit takes a function, got {type(fun).__name__}: {fun!r}")
    backend = _resolve_backend(backend)
    statics = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in statics):
        raise TypeError(f"gk.jit: static_argnums must be ints, got {static_argnums!r}")
    cache: collections.OrderedDict = collections.OrderedDict()
    lock = threading.Lock()  # guards the cache and the count; replays run unlocked
    recordings = [0]
    last: list = [None]  # (key, program) of the last call, one object: a loop's calls match it

    @functools.wraps(fun)
    def jitted(*args: Any, **kwargs: Any) -> Any:
        try:
            call = _read_call(args, kwargs, statics)
        except CallThrough:
            # Called on traced values (inside grad, or inside another jit): run it as is,
            # so that the enclosing transform records it.
            return fun(*args, **kwargs)
        key, inputs = call[0], call[1]
        hit = last[0]  # read once: another thread may replace it meanwhile
        if hit is not None and key == hit[0]:  # compared, not hashed: cheaper
            program = hit[1]
        else:
            with lock:
                program = cache.get(key)
                if program is not None:
                    cache.move_to_end(key)
            if program is not None:
                last[0] = (key, program)
        if program is None:
            program, out = _record(fun, args, kwargs, call, backend)
            count = store(key, program)
            last[0] = (key, program)
            if count == WARN_AFTER + 1:
                warnings.warn(
                    f"gk.jit has recorded {getattr(fun, '__name__', 'the function')} "
                    f"{count} times: its static inputs (integer arrays, Python "
                    "numbers, shapes, the settings of objects it is passed) keep changing, "
                    "so each call records again. Pass changing integer data as floats "
                    "(one-hot labels), or drop gk.jit.",
                    RuntimeWarning,
                    stacklevel=2,
                )
            return out
        result = program(inputs)
        if not program.checked:
            try:
                _check_replay(fun(*args, **kwargs), result, fun)
            except JitError:
                with lock:
                    cache.pop(key, None)
                last[0] = None
                raise
            program.checked = True
        return result

    def store(key: Any, program: Any) -> int:
        """Keep a new recording (the least recently used goes past CACHE_SIZE); the
        number of recordings made so far."""
        with lock:
            recordings[0] += 1
            cache[key] = program
            if len(cache) > CACHE_SIZE:
                cache.popitem(last=False)
            return recordings[0]

    def recording(args: tuple, kwargs: dict, who: str) -> tuple:
        """``(program, inputs)`` for a call of ``source``/``report``, recording the call
        if no recording of its shapes exists yet (kept for the calls that follow)."""
        try:
            call = _read_call(args, kwargs, statics)
        except CallThrough:
            raise TypeError(
                f"gk.jit(f).{who} takes the arrays f would be called with; it was given "
                "values traced by another transform. Call it outside the transform."
            ) from None
        key, inputs = call[0], call[1]
        with lock:
            program = cache.get(key)
        if program is None:
            program, _ = _record(fun, args, kwargs, call, backend)
            store(key, program)
        return program, inputs

    def source(*args: Any, **kwargs: Any) -> str:
        """The program ``jitted(*args, **kwargs)`` replays, as readable Python/NumPy source.

        Records the call if no recording of its shapes exists yet (and keeps it for the
        calls that follow). Functions appear by their import path and small constants
        as literals; values without a name are listed in the header. See
        :mod:`~gradkit.autodiff.jit_source`.
        """
        program, inputs = recording(args, kwargs, "source")
        shapes = ", ".join(f"{np.asarray(v).dtype}{list(np.shape(v))}" for v in inputs)
        title = f"gk.jit recording of {getattr(fun, '__name__', 'the function')}({shapes})"
        return readable_source(program, title)

    def report(*args: Any, **kwargs: Any) -> dict:
        """How the recording for these arguments runs: ``backend`` (``"numba"`` if
        some of its steps are compiled, else ``"replay"``), ``steps`` (kept),
        ``compiled_steps``, ``segments`` and ``compile_seconds`` (0.0 until the first
        replay compiles). Records the call if no recording of its shapes exists yet."""
        program, _ = recording(args, kwargs, "report")
        return {
            "backend": program.backend,
            "steps": program.kept,
            "compiled_steps": program.compiled_steps,
            "segments": len(program.segments),
            "compile_seconds": program.compile_seconds,
        }

    jitted.recordings = recordings  # type: ignore[attr-defined]  # for tests: [count]
    jitted.source = source  # type: ignore[attr-defined]
    jitted.report = report  # type: ignore[attr-defined]
    return jitted


def _resolve_backend(backend: Any) -> str:
    """gk.jit's ``backend`` argument as the backend its recordings use."""
    if backend not in BACKENDS:
        raise ValueError(
            f"gk.jit: backend must be one of {', '.join(map(repr, BACKENDS))}, got {backend!r}"
        )
    if backend == "replay":
        return backend
    from gradkit.autodiff import jit_compile

    if jit_compile.available():
        return "numba"
    if backend == "auto":
        return "replay"
    raise ImportError(
        "gk.jit(backend='numba') needs numba, which is not installed. Install the "
        "extra with `pip install gradkit[jit]` (or `pip install numba`), or use "
        "backend='auto' to fall back to the plain replay when numba is absent."
    )


def _read_call(args: tuple, kwargs: dict, statics: tuple) -> tuple:
    """Read a call's arguments: ``(key, inputs, objects, leaves, treedef, static_pos)``.

    ``key`` is what a recording fixes (structure, shapes and dtypes, static values),
    ``inputs`` the traced arrays in order, ``objects`` ``{leaf number: (recipe, inputs
    read so far)}`` for the leaves read through their attributes (see
    :mod:`~gradkit.autodiff.jit_inputs`). Raises CallThrough for traced arguments.
    """
    static_pos = _static_positions(statics, len(args)) if statics else ()
    if static_pos:
        dynamic = [a if k not in static_pos else None for k, a in enumerate(args)]
    else:
        dynamic = args
    leaves, treedef = tree_flatten((dynamic, kwargs) if kwargs else dynamic)
    Tensor = primitives._Tensor
    key: list = [treedef]
    inputs: list = []
    objects = None
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
            raise CallThrough
        elif _traced(leaf):  # a Python float or a NumPy scalar
            leaf = np.asarray(leaf)
            key.append(leaf.shape)
            key.append(leaf.dtype)
            inputs.append(leaf)
            continue
        elif reads_inside(leaf):
            if objects is None:
                objects = {}
            recipe = read_object(leaf, inputs, key, True, f"argument leaf {n}")
            objects[n] = (recipe, len(inputs))
            continue
        key.append(static_key(leaf, f"argument leaf {n}"))
    for i in static_pos:
        a = args[i]
        if type(a) is Tensor:
            raise CallThrough
        key.append(i)
        if reads_inside(a):  # compared through its attributes, arrays by their bytes
            read_object(a, [], key, False, f"static argument {i}")
        else:
            key.append(static_key(a, f"static argument {i}"))
    return tuple(key), inputs, objects, leaves, treedef, static_pos


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
    traced = isinstance(leaf, (np.ndarray, np.generic)) and leaf.dtype.kind in _TRACED_KINDS
    if not traced and arraytypes.is_duck(leaf):  # jit replays NumPy calls on NumPy arrays
        raise arraytypes.unsupported_operation_error("gk.jit", arraytypes.type_name(type(leaf)))
    return traced


def _record(fun: Callable, args: tuple, kwargs: dict, call: tuple, backend: str) -> tuple:
    key, inputs, objects, leaves, treedef, static_pos = call
    name = getattr(fun, "__name__", "the function")
    tr = JitTrace(next_level())
    stack = running()
    stack.append(tr)
    try:
        boxes = [tr.box(a) for a in inputs]  # the boxes are its first slots
        n_inputs = tr.slots
        made: list = []  # the copies of objects handed to the function
        call_leaves = []
        numbers: set = set()  # inputs passed as Python or NumPy numbers (immutable)
        k = 0  # the next input of a leaf traced itself
        for n, leaf in enumerate(leaves):
            if objects is not None and n in objects:
                recipe, k = objects[n]
                call_leaves.append(rebuild(recipe, boxes, made))
            elif _traced(leaf):
                if type(leaf) is not np.ndarray:  # a number: `x += 1` only renames it
                    numbers.add(k)
                call_leaves.append(boxes[k])
                k += 1
            else:
                call_leaves.append(leaf)
        if kwargs:
            dynamic, kw = tree_unflatten(treedef, call_leaves)
        else:
            dynamic, kw = tree_unflatten(treedef, call_leaves), {}
        call_args = [args[k] if k in static_pos else a for k, a in enumerate(dynamic)]
        handed = snapshot((dynamic, kw), made)
        out = sequences.pack_output(fun(*call_args, **kw))  # object arrays: one array
    finally:
        stack.pop()
        tr.active = False
    _check_unwritten(boxes, numbers, handed, args, kwargs, key, static_pos, name)
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
    program = Program(tr, n_inputs, outputs, out_def, backend)
    # this call's results, handed over as a replay's are
    values = [HAND_OVER[how](v) for how, v in zip(program.handovers, values)]
    return program, tree_unflatten(out_def, values)


def _check_unwritten(
    boxes: list,
    numbers: set,
    handed: list,
    args: tuple,
    kwargs: dict,
    key: tuple,
    static_pos: tuple,
    name: str,
) -> None:
    """Refuse a recording whose function wrote into its inputs: a replay would not
    repeat the write (see :mod:`~gradkit.autodiff.jit_inputs`). A number passed in is
    immutable: ``x += 1`` on it renames, as in Python, and is no write."""
    for j, box in enumerate(boxes):
        # the box was written into (x[0] = ..., x += ..., out=x)
        if box._node != j and j not in numbers:
            raise write_error(
                name,
                f"its traced argument (input {j}) in place (x[i] = ..., "
                "x += ..., np.copyto, out=, or through a view of x)",
            )
    check_unwritten(handed, name)
    try:
        again = _read_call(args, kwargs, static_pos)[0]
    except CallThrough:  # pragma: no cover - the arguments were read before the call
        return
    if again != key:
        before = next((k for k, a in zip(key, again) if k != a), None)
        what = "a value"
        if type(before) is tuple and before and before[0] == "a":
            what = f"an array of {np.dtype(before[2])} and shape {before[1]}"
        elif type(before) is tuple and before and before[0] == "v":
            what = f"a {before[1].__name__}"
        raise write_error(name, f"{what} it was passed (in place, or as an attribute of an "
                          "object it was passed)")  # fmt: skip


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
