"""gk.jit's numba backend: runs of a recording's steps compiled into native code.

A recorded :class:`~gradkit.autodiff.jit_program.Program` is a list of steps
``(function, arguments, keywords, output slot)``. This module finds the steps numba can
run (:func:`compilable`: float64 ufuncs from :data:`UFUNCS`, ``np.add.reduce``,
``np.matmul`` of 1-D and 2-D operands, ``transpose``, basic indexing with constant ints
and slices), groups each maximal run of them into one segment (:func:`segments`), and
writes each segment as the source of one function compiled with ``numba.njit``
(:func:`compile_segment`). Inside a segment numba fuses the elementwise steps into
loops (its array-expression rewrite) and calls BLAS for the products; the steps between
segments stay the plain replay's NumPy calls. So every program runs: what numba cannot
run is replayed as before.

Results differ from NumPy's in the last bits where numba computes differently:
transcendental functions (``exp``, ``tanh``, ``sin``...) come from the C math library
instead of NumPy's SIMD loops (each within a few ulps of the true value, so the two
differ by at most a few ulps), and sums are added in another order (NumPy adds pairwise,
numba left to right: the difference is bounded by ``n * eps * sum(|x|)`` for ``n``
terms). ``docs/jit.md`` states the bound the tests check.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import threading
import time
import warnings
from typing import Any

import numpy as np

from gradkit.autodiff.jit_slot import Slot

__all__ = ["available", "compilable", "segments", "compiled_runs", "Segment", "UFUNCS"]

#: ufuncs (by name) a segment may hold: numba supports them on float64 arrays.
UFUNCS = frozenset(
    "add subtract multiply true_divide divide negative positive power square sqrt "
    "reciprocal exp expm1 exp2 log log1p log2 log10 sin cos tan arcsin arccos arctan "
    "sinh cosh tanh arcsinh arccosh arctanh absolute fabs maximum minimum fmax fmin "
    "logaddexp logaddexp2 arctan2 hypot sign".split()
)

#: A segment is compiled only if it holds at least this many steps (a lone call gains
#: nothing from leaving NumPy).
MIN_STEPS = 2

#: A longer run is cut into segments of this many steps: numba's compile time grows
#: faster than linearly with a function's length, and a call costs about a microsecond.
MAX_STEPS = 48

_F64 = np.dtype(np.float64)
_lock = threading.Lock()
_compiled: dict = {}  # segment source -> numba dispatcher, shared by all recordings


def available() -> bool:
    """Whether numba can be imported (the ``gradkit[jit]`` extra).

    >>> isinstance(available(), bool)
    True
    """
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def _is_f64_array(slot: Any, arrays: dict) -> bool:
    info = arrays.get(slot)
    return info is not None and info[1] == _F64 and len(info[0]) >= 1


def _const_ok(a: Any) -> bool:
    if type(a) in (float, int) and not isinstance(a, bool):
        return bool(np.isfinite(a))
    if type(a) is np.float64:
        return bool(np.isfinite(a))
    return type(a) is np.ndarray and a.dtype == _F64 and a.ndim >= 1


def compilable(step: tuple, arrays: dict, scalars: set) -> bool:
    """Whether numba can run one recorded step ``(fn, spec, kw, out)``: every array it
    reads and writes is a float64 array of one or more dimensions (or a float64 scalar
    made by a compiled full sum, listed in ``scalars``), and the function is one this
    module translates. A full sum's output is added to ``scalars``."""
    fn, spec, kw, out = step
    for a in spec:
        if type(a) is Slot:
            if not (_is_f64_array(a, arrays) or a in scalars):
                return False
    if fn is np.matmul:
        if kw or len(spec) != 2 or not all(type(a) is Slot for a in spec):
            return False
        dims = [len(arrays[a][0]) for a in spec]
        return dims != [1, 1] and max(dims) <= 2 and _is_f64_array(out, arrays)
    if type(fn) is np.ufunc:
        if kw or fn.__name__ not in UFUNCS or fn.nout != 1 or len(spec) != fn.nin:
            return False
        if not _is_f64_array(out, arrays):
            return False
        return all(type(a) is Slot or _const_ok(a) for a in spec)
    owner = getattr(fn, "__self__", None)
    if owner is np.add and getattr(fn, "__name__", "") == "reduce":
        return _reduce_ok(spec, kw, out, arrays, scalars)
    if fn is np.ndarray.transpose:
        return (
            not kw
            and len(spec) == 2
            and type(spec[0]) is Slot
            and type(spec[1]) is tuple
            and _is_f64_array(out, arrays)
        )
    if getattr(fn, "__name__", "") == "_getitem" and fn.__module__.endswith("rules.shape"):
        idx = kw.get("idx")
        parts = idx if type(idx) is tuple else (idx,)
        return (
            set(kw) == {"idx"}
            and len(spec) == 1
            and type(spec[0]) is Slot
            and _is_f64_array(out, arrays)
            and all(_basic_index(p) for p in parts)
        )
    return False


def _basic_index(p: Any) -> bool:
    if type(p) is int:
        return True
    if type(p) is slice:
        return all(v is None or type(v) is int for v in (p.start, p.stop, p.step))
    return False


def _reduce_ok(spec: tuple, kw: dict, out: Any, arrays: dict, scalars: set) -> bool:
    if kw or not 2 <= len(spec) <= 5 or type(spec[0]) is not Slot:
        return False
    if not _is_f64_array(spec[0], arrays):
        return False
    axis = spec[1]
    dtype = spec[2] if len(spec) > 2 else None
    into = spec[3] if len(spec) > 3 else None
    if dtype is not None or into is not None:
        return False
    ndim = len(arrays[spec[0]][0])
    axes = _axes(axis, ndim)
    if axes is None:
        return False
    keepdims = spec[4] if len(spec) > 4 else False
    if type(keepdims) is not bool:
        return False
    if len(axes) == ndim and not keepdims:
        if out in arrays:  # a 0-d array, not a scalar: left to NumPy
            return False
        scalars.add(out)
        return True
    return _is_f64_array(out, arrays)


def _axes(axis: Any, ndim: int) -> tuple | None:
    if axis is None:
        return tuple(range(ndim))
    parts = axis if type(axis) is tuple else (axis,)
    if not all(type(a) is int for a in parts):
        return None
    got = tuple(sorted({a % ndim for a in parts})) if ndim else ()
    return got if len(got) == len(parts) else None


def segments(kept: list, arrays: dict) -> list[tuple[int, int]]:
    """The maximal runs ``(start, stop)`` of consecutive compilable steps, cut into
    pieces of at most :data:`MAX_STEPS` and kept if of at least :data:`MIN_STEPS`
    steps, in order."""
    scalars: set = set()
    runs = []
    start = None
    for k, step in enumerate(kept):
        if compilable(step, arrays, scalars):
            if start is None:
                start = k
        elif start is not None:
            runs.append((start, k))
            start = None
    if start is not None:
        runs.append((start, len(kept)))
    pieces = []
    for a, b in runs:  # numba's compile time grows faster than a function's length
        pieces += [(k, min(k + MAX_STEPS, b)) for k in range(a, b, MAX_STEPS)]
    return [(a, b) for a, b in pieces if b - a >= MIN_STEPS]


def _expr(fn: Any, args: list, spec: tuple, out: Any, kw: dict, arrays: dict) -> str:
    """One step as a numba-compatible expression of its argument texts."""
    if fn is np.matmul:
        return f"np.dot({args[0]}, {args[1]})"
    if type(fn) is np.ufunc:
        name = "true_divide" if fn.__name__ == "divide" else fn.__name__
        return f"np.{name}({', '.join(args)})"
    if fn is np.ndarray.transpose:
        return f"{args[0]}.transpose({spec[1]!r})"
    if getattr(fn, "__self__", None) is np.add:  # np.add.reduce
        ndim = len(arrays[spec[0]][0])
        axes = _axes(spec[1], ndim)
        keepdims = spec[4] if len(spec) > 4 else False
        if len(axes) == ndim:
            total = f"np.sum({args[0]})"
            if not keepdims:
                return total
            return f"np.full({arrays[out][0]!r}, {total})"
        text = args[0]
        for a in reversed(axes):  # the highest axis first: the lower ones keep their number
            text = f"np.sum({text}, axis={a})"
        if keepdims:
            text = f"{text}.reshape({arrays[out][0]!r})"
        return text
    idx = kw["idx"]  # _getitem with ints and slices
    parts = idx if type(idx) is tuple else (idx,)
    return f"{args[0]}[{', '.join(_index_text(p) for p in parts)}]"


def _index_text(p: Any) -> str:
    if type(p) is int:
        return repr(p)
    return ":".join("" if v is None else repr(v) for v in (p.start, p.stop, p.step))


def segment_source(
    kept: list, start: int, stop: int, needed_after: set, arrays: dict
) -> tuple[str, list, list, list]:
    """The source of one segment's function ``seg(...)``: ``(source, input slots,
    constants passed as arguments, output slots)``. Its inputs are the slots it reads
    that steps before it made (or the program's inputs), its outputs the slots it makes
    that are read later or returned (``needed_after``)."""
    made: set = set()
    inputs: list = []
    consts: list = []
    body: list = []
    for k in range(start, stop):
        fn, spec, kw, out = kept[k]
        args = []
        for a in spec:
            if type(a) is Slot:
                if a not in made and a not in inputs:
                    inputs.append(a)
                args.append(f"v{int(a)}")
            elif type(a) is np.ndarray:
                consts.append(a)
                args.append(f"c{len(consts) - 1}")
            elif type(a) is np.float64:
                args.append(repr(float(a)))
            else:
                args.append(repr(float(a)) if type(a) in (float, int) else repr(a))
        body.append(f"    v{int(out)} = {_expr(fn, args, spec, out, kw, arrays)}")
        made.add(out)
    outputs = [s for s in sorted(made) if s in needed_after]
    params = [f"v{int(s)}" for s in inputs] + [f"c{j}" for j in range(len(consts))]
    ret = ", ".join(f"v{int(s)}" for s in outputs)
    lines = [f"def seg({', '.join(params)}):", *body, f"    return ({ret},)"]
    return "\n".join(lines), inputs, consts, outputs


class Segment:
    """A compiled segment: called with its input arrays and constants, it returns its
    outputs as a tuple. Its first call compiles (timed in ``compile_seconds``); a
    segment of the same source compiled before in this process is reused."""

    __slots__ = ("source", "dispatcher", "compile_seconds", "__weakref__")

    def __init__(self, source: str) -> None:
        self.source = source
        self.dispatcher = None
        self.compile_seconds = 0.0

    def __call__(self, *args: Any) -> tuple:
        if self.dispatcher is None:
            self._compile(args)
        return self.dispatcher(*args)

    def _compile(self, args: tuple) -> None:
        import numba
        from numba.core.errors import NumbaPerformanceWarning

        t0 = time.perf_counter()
        with _lock:
            dispatcher = _compiled.get(self.source)
            if dispatcher is None:
                dispatcher = _from_disk(self.source)
                if dispatcher is None:
                    names: dict = {"np": np}
                    exec(compile(self.source, "<gk.jit numba segment>", "exec"), names)  # noqa: S102
                    dispatcher = numba.njit(nogil=True)(names["seg"])
                _compiled[self.source] = dispatcher
            with warnings.catch_warnings():
                # np.dot on a transpose: numba copies it, as NumPy's matmul does
                warnings.simplefilter("ignore", NumbaPerformanceWarning)
                dispatcher.compile(tuple(numba.typeof(a) for a in args))
        self.compile_seconds += time.perf_counter() - t0
        self.dispatcher = dispatcher


def cache_dir() -> str | None:
    """Where compiled segments are kept between processes: ``$GRADKIT_JIT_CACHE``
    (``""`` turns the disk cache off), else ``~/.cache/gradkit/jit``."""
    path = os.environ.get("GRADKIT_JIT_CACHE")
    if path is None:
        path = os.path.join(os.path.expanduser("~"), ".cache", "gradkit", "jit")
    return path or None


def _from_disk(source: str) -> Any:
    """The segment as a function of a module written to :func:`cache_dir`, compiled
    with numba's own cache (a later process loads the machine code instead of
    compiling); None when the folder cannot be written."""
    folder = cache_dir()
    if folder is None:
        return None
    name = "gk_seg_" + hashlib.sha256(source.encode()).hexdigest()[:24]
    path = os.path.join(folder, name + ".py")
    text = "import numba\nimport numpy as np\n\n\n@numba.njit(cache=True, nogil=True)\n"
    text += source + "\n"
    try:
        os.makedirs(folder, exist_ok=True)
        if not os.path.exists(path):  # written once: numba's cache is keyed by its mtime
            tmp = f"{path}.{os.getpid()}.tmp"
            with open(tmp, "w") as fh:
                fh.write(text)
            os.replace(tmp, path)
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        sys.modules[name] = module  # numba's cache finds the function through it
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    except OSError:
        return None
    return module.seg


def compiled_runs(
    kept: list, arrays: dict, last_use: dict, returned: set, frees: list, names: dict
) -> dict:
    """The compiled segments of a program's steps, for the generated replay:
    ``{first step: (first step, stop, Segment, replay lines)}``. The lines call the
    segment (its function and constants are added to ``names``), turn a scalar result
    into a NumPy float64 as NumPy's own sum returns it, and free what the segment read
    last."""
    runs = {}
    for j, (start, stop) in enumerate(segments(kept, arrays)):
        after = {s for s, k in last_use.items() if k >= stop} | returned
        source, inputs, consts, outputs = segment_source(kept, start, stop, after, arrays)
        seg = Segment(source)
        names[f"s{j}"] = _first_call(seg, names, f"s{j}")
        names["_f64"] = np.float64
        for i, c in enumerate(consts):
            names[f"s{j}c{i}"] = c
        made = {kept[k][3] for k in range(start, stop)}
        args = [f"v{int(s)}" for s in inputs] + [f"s{j}c{i}" for i in range(len(consts))]
        lines = [f"    {''.join(f'v{int(s)}, ' for s in outputs)}= s{j}({', '.join(args)})"]
        lines += [f"    v{int(s)} = _f64(v{int(s)})" for s in outputs if s not in arrays]
        freed = sorted(s for k in range(start, stop) for s in frees[k] if s not in made)
        if freed:
            lines.append("    del " + ", ".join(f"v{s}" for s in freed))
        runs[start] = (start, stop, seg, lines)
    return runs


def _first_call(seg: Segment, names: dict, name: str) -> Any:
    """The segment's first call: compile, then put the compiled function itself in the
    replay's names (later calls go straight to numba)."""

    def first(*args: Any) -> tuple:
        seg._compile(args)
        names[name] = seg.dispatcher
        return seg.dispatcher(*args)

    return first
