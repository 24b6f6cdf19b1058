"""Random small NumPy programs of views and writes: a corpus for fidelity tests.

A :class:`Program` is plain Python source, a function ``f(x)`` that copies its input
(``s0 = x * 1.0``), makes views of views (basic indexing, ``.T``, ``transpose``,
``swapaxes``, ``moveaxis``, ``reshape``, ``ravel``, ``squeeze``, ``expand_dims``,
``diagonal``, ``einsum('...ii->...i')``, ``broadcast_to``), copies (advanced indexing,
``copy``), and writes through them (item and slice assignment, augmented assignment,
a ufunc's ``out=`` and ``where=``, ``np.add.at`` and friends, ``np.copyto``, ``np.put``,
``np.place``, ``np.fill_diagonal``, ``np.put_along_axis``) with values computed from
``x``. It returns every array it named, so a test sees what NumPy's aliasing did to each.
Every generated program runs without error on NumPy arrays (steps NumPy refuses, such as
writing into a read-only view, are dropped while generating).

:func:`programs` is a hypothesis strategy of programs; :func:`inputs` draws an input for
one. The tests run a program on NumPy arrays (the oracle) and under gradkit's transforms;
another corpus may add kinds of steps by appending to ``VIEWS`` and ``WRITES``: each is
``maker(draw, name, value, probe_x) -> line of source or None``.

The second corpus, :func:`chain_programs` (tests/test_fidelity.py), is of chains of
ufuncs, reductions, indexing, products, kinks, ``out=``, complex round trips and arrays
built from sequences, with :func:`check_values_and_gradients` and :func:`check_jit`.
A :class:`ChainProgram` is real NumPy source: a function of one or two float arrays, one assignment
per line, ending in ``return v<k>``. It is generated with hypothesis (so a failure
shrinks to a short program) by drawing, line after line, an operation of some family
on the values computed so far. Each line is run on a concrete input as it is drawn, so
every program is valid NumPy and its values are finite; operations with a kink
(``np.maximum``, ``np.max``, ``np.sort``) are drawn only where the kink is far from the
generation input, so finite differences there are meaningful.

Families: ``elementwise`` (ufuncs of one and two operands, constants and broadcasting),
``reductions``, ``indexing`` (basic and fancy indexing, shape functions, joins),
``linalg`` (products), ``kinks`` (max, maximum, sort, where), ``out`` (a ufunc writing
into a fresh array with ``out=``), ``writes`` (item, slice and augmented assignment into
a copy and through a view), ``complex`` (real -> complex -> real round trips) and
``sequences`` (arrays built from lists of computed values).

Run as a script for a larger differential fuzz (see :func:`main`).
"""

from __future__ import annotations

import dataclasses
import re
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

SHAPES = [(6,), (3, 4), (4, 4), (2, 3, 4), (2, 3, 3), (1, 4, 2)]


@dataclass
class Program:
    """Source of ``def f(x)`` returning a list of arrays, and the input shape it takes."""

    shape: tuple
    lines: list
    slots: int  # how many arrays it names: s0 ... s{slots - 1}

    @property
    def source(self) -> str:
        names = ", ".join(f"s{k}" for k in range(self.slots))
        body = "".join(f"    {line}\n" for line in self.lines)
        return f"def f(x):\n    s0 = x * 1.0\n{body}    return [{names}]\n"

    def function(self):
        """The program as a Python function of ``x``."""
        space = {"np": np}
        exec(compile(self.source, "<fidelity program>", "exec"), space)  # noqa: S102 - test code
        return space["f"]

    def loss(self, weights: list):
        """The scalar ``sum_k sum(w_k * s_k)`` of the program's arrays, as a function of x."""
        f = self.function()

        def loss(x):
            return sum(np.sum(w * s) for w, s in zip(weights, f(x)))

        return loss

    def __repr__(self) -> str:
        return f"Program(shape={self.shape})\n{self.source}"


# --- pieces of source ---------------------------------------------------------------------
def _xk(draw, probe_x) -> str:
    """A traced scalar: one entry of the input, through a view of it."""
    k = draw(st.integers(0, probe_x.size - 1))
    return f"x.reshape(-1)[{k}]"


def _basic_index(draw, shape: tuple) -> str | None:
    """A basic index (ints, slices, Ellipsis, None) for an array of ``shape``, as source."""
    if not shape:
        return draw(st.sampled_from(["...", "()", "None"]))
    parts = []
    for n in shape:
        kind = draw(st.sampled_from(["int", "slice", "slice", "full"]))
        if kind == "int":
            parts.append(str(draw(st.integers(-n, n - 1))))
        elif kind == "full":
            parts.append(":")
        else:
            step = draw(st.sampled_from([1, 1, 2, -1, -2]))
            start = draw(st.integers(-n, n - 1))
            stop = draw(st.sampled_from([None, *range(-n, n + 1)]))
            parts.append(f"{start}:{'' if stop is None else stop}:{step}")
    if len(parts) > 1 and draw(st.booleans()):
        cut = draw(st.integers(0, len(parts) - 1))
        parts = parts[:cut] + ["..."]  # the rest implied
    if draw(st.integers(0, 5)) == 0:
        parts.insert(draw(st.integers(0, len(parts))), "None")
    return ", ".join(parts)


def _view(draw, name: str, value, probe_x) -> str | None:
    shape = np.shape(value)
    if np.size(value) == 0:
        return None
    nd = len(shape)
    choices = ["index", "index", "T", "reshape", "ravel", "expand_dims", "copy", "fancy"]
    if nd >= 2:
        choices += ["transpose", "swapaxes", "moveaxis", "diagonal"]
        if shape[-1] == shape[-2]:
            choices += ["einsum", "einsum"]
    if 1 in shape:
        choices.append("squeeze")
    if nd >= 1:
        choices.append("broadcast_to")
    kind = draw(st.sampled_from(choices))
    if kind == "index":
        return f"{name}[{_basic_index(draw, shape)}]"
    if kind == "T":
        return f"{name}.T"
    if kind == "transpose":
        perm = draw(st.permutations(range(nd)))
        return f"np.transpose({name}, {tuple(perm)})"
    if kind == "swapaxes":
        a, b = draw(st.integers(0, nd - 1)), draw(st.integers(-nd, -1))
        return f"np.swapaxes({name}, {a}, {b})"
    if kind == "moveaxis":
        a, b = draw(st.integers(0, nd - 1)), draw(st.integers(0, nd - 1))
        return f"np.moveaxis({name}, {a}, {b})"
    if kind == "reshape":
        size = int(np.prod(shape))
        divisors = [d for d in range(1, size + 1) if size % d == 0]
        d = draw(st.sampled_from(divisors))
        new = draw(st.sampled_from([(d, -1), (-1, d), (d, size // d, 1), (size,)]))
        return f"{name}.reshape({new})"
    if kind == "ravel":
        return draw(st.sampled_from([f"{name}.ravel()", f"np.ravel({name})"]))
    if kind == "expand_dims":
        return f"np.expand_dims({name}, {draw(st.integers(-nd - 1, nd))})"
    if kind == "squeeze":
        return f"np.squeeze({name})"
    if kind == "diagonal":
        offset = draw(st.integers(-1, 1))
        return f"np.diagonal({name}, {offset}, {nd - 2}, {nd - 1})"  # read-only
    if kind == "einsum":
        return f"np.einsum('...ii->...i', {name})"  # a writeable view
    if kind == "broadcast_to":
        return f"np.broadcast_to({name}, (2,) + {name}.shape)"  # read-only
    if kind == "copy":
        return f"{name}.copy()"
    if nd == 0 or shape[0] == 0:
        return None
    picks = draw(st.lists(st.integers(-shape[0], shape[0] - 1), min_size=1, max_size=4))
    return f"{name}[{picks}]"  # advanced indexing: a copy


def _mask(draw, shape: tuple) -> str:
    bits = draw(st.lists(st.booleans(), min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
    return f"np.array({[bool(b) for b in bits]}).reshape({shape})"


def _write(draw, name: str, value, probe_x) -> str | None:
    shape = np.shape(value)
    if np.size(value) == 0:
        return None
    nd = len(shape)
    xk = _xk(draw, probe_x)
    c = draw(st.sampled_from([0.5, -1.25, 2.0, 0.75]))
    if nd == 0 or not isinstance(value, np.ndarray):
        # a NumPy scalar (x[0, 0]) or a 0-d view: augmented assignment only
        op = draw(st.sampled_from(["+=", "-=", "*="]))
        return f"{name} {op} {xk} * {c}"
    kinds = ["set", "set", "set_const", "iadd_idx", "imul_idx", "inplace", "inplace", "out",
             "out_where", "add_at", "multiply_at", "copyto", "copyto_where", "fancy_set",
             "fancy_iadd", "mask_set", "put", "place"]  # fmt: skip
    if nd == 2:
        kinds.append("fill_diagonal")
    kinds.append("put_along_axis")
    kind = draw(st.sampled_from(kinds))
    idx = _basic_index(draw, shape)
    if kind == "set":
        return f"{name}[{idx}] = np.cos({name}[{idx}]) * {xk}"
    if kind == "set_const":
        return f"{name}[{idx}] = {c}"
    if kind == "iadd_idx":
        return f"{name}[{idx}] += {xk} * {c}"
    if kind == "imul_idx":
        return f"{name}[{idx}] *= 1.0 + 0.5 * np.tanh({xk})"
    if kind == "inplace":
        op = draw(st.sampled_from(["+=", "-=", "*=", "/="]))
        rhs = {"+=": f"np.sin({name}) * {c}", "-=": f"{xk} * {c}",
               "*=": f"np.cos({xk})", "/=": f"1.5 + {xk} ** 2"}[op]  # fmt: skip
        return f"{name} {op} {rhs}"
    if kind == "out":
        fn = draw(st.sampled_from([f"np.sin({name}, out={name})",
                                   f"np.multiply({name}, {xk}, out={name})",
                                   f"np.add({xk}, {c}, out={name})"]))  # fmt: skip
        return fn
    if kind == "out_where":
        return f"np.add({name}, {xk}, out={name}, where={_mask(draw, shape)})"
    if kind in ("add_at", "multiply_at"):
        picks = draw(st.lists(st.integers(-shape[0], shape[0] - 1), min_size=1, max_size=5))
        ufunc = draw(st.sampled_from(["add", "subtract"])) if kind == "add_at" else "multiply"
        val = f"{xk} * {c}" if kind == "add_at" else f"1.0 + 0.25 * np.sin({xk})"
        return f"np.{ufunc}.at({name}, {picks}, {val})"
    if kind == "copyto":
        return f"np.copyto({name}, np.tanh({name}) * {xk})"
    if kind == "copyto_where":
        return f"np.copyto({name}, {xk}, where={_mask(draw, shape)})"
    if kind in ("fancy_set", "fancy_iadd"):
        picks = draw(st.lists(st.integers(-shape[0], shape[0] - 1), min_size=1, max_size=4))
        op = "=" if kind == "fancy_set" else "+="  # repeated indices: the last write wins
        return f"{name}[{picks}] {op} {xk} * {c}"
    if kind == "mask_set":
        return f"{name}[{_mask(draw, shape)}] = {xk}"
    size = int(np.prod(shape))
    if kind == "put":
        picks = draw(st.lists(st.integers(-size, size - 1), min_size=1, max_size=4))
        return f"np.put({name}, {picks}, np.stack([{xk}, {xk} * {c}]))"
    if kind == "place":
        return f"np.place({name}, {_mask(draw, shape)}, np.stack([{xk}, {xk} * {c}]))"
    if kind == "fill_diagonal":
        return f"np.fill_diagonal({name}, {xk} * {c})"
    axis = draw(st.integers(0, nd - 1))
    ishape = list(shape)
    ishape[axis] = 1
    picks = draw(st.lists(st.integers(0, shape[axis] - 1), min_size=int(np.prod(ishape)),
                          max_size=int(np.prod(ishape))))  # fmt: skip
    return f"np.put_along_axis({name}, np.array({picks}).reshape({tuple(ishape)}), {xk}, {axis})"


VIEWS = [_view]
WRITES = [_write]


def _run(shape: tuple, lines: list, names: int, x: np.ndarray) -> list:
    return Program(shape, lines, names).function()(x)


@st.composite
def programs(draw, max_steps: int = 7, shapes: list = SHAPES) -> Program:
    """A strategy of :class:`Program`: up to ``max_steps`` views and writes."""
    shape = draw(st.sampled_from(shapes))
    probe = np.linspace(0.1, 0.9, int(np.prod(shape))).reshape(shape)
    lines: list = []
    names = 1
    for _ in range(draw(st.integers(1, max_steps))):
        values = _run(shape, lines, names, probe)
        k = draw(st.integers(0, len(values) - 1))
        name, value = f"s{k}", values[k]
        if draw(st.integers(0, 4)) < 2:
            expr = draw(st.sampled_from(VIEWS))(draw, name, value, probe)
            line = None if expr is None else f"s{names} = {expr}"
        else:
            line = draw(st.sampled_from(WRITES))(draw, name, value, probe)
        if line is None:
            continue
        new = names + line.startswith(f"s{names} = ")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                _run(shape, lines + [line], new, probe)
        except Exception:  # NumPy refuses it (a read-only view, a bad shape): skip
            continue
        lines.append(line)
        names = new
    return Program(shape, lines, names)


def inputs(draw_or_rng, shape: tuple) -> np.ndarray:
    """An input for a program: entries of moderate size (no overflow in a few products)."""
    rng = (
        draw_or_rng
        if isinstance(draw_or_rng, np.random.Generator)
        else np.random.default_rng(draw_or_rng)
    )
    return rng.uniform(-1.5, 1.5, size=shape)


# ======================================================================================
# The chain corpus (tests/test_fidelity.py)
FAMILIES = (
    "elementwise", "reductions", "indexing", "linalg", "kinks", "out", "writes",
    "complex", "sequences", "object arrays",
)  # fmt: skip

#: The input shapes a program may take.
CHAIN_SHAPES = ((), (3,), (4,), (2, 3), (3, 2), (2, 1), (1, 3), (2, 2, 2))
#: How far from a kink (in value) the generation input must stay.
KINK_MARGIN = 1e-2


@dataclasses.dataclass
class ChainProgram:
    """A generated NumPy program: its source, its constants and its input shapes."""

    source: str
    consts: dict
    shapes: tuple
    families: frozenset

    def function(self) -> Any:
        """The program as a Python function of its inputs (NumPy's names bound)."""
        names = {"np": np, **self.consts}
        exec(compile(self.source, "<fidelity program>", "exec"), names)  # noqa: S102
        return names["program"]

    def inputs(self, seed: int) -> list:
        """Random inputs of the program's shapes, in [-1.5, 1.5]."""
        rng = np.random.default_rng(seed)
        return [rng.uniform(-1.5, 1.5, s) for s in self.shapes]

    def __repr__(self) -> str:
        consts = "".join(f"\n{k} = {v!r}" for k, v in self.consts.items())
        return f"{consts}\n{self.source}"


# --- drawing one line -------------------------------------------------------------------
_UNARY = (
    "np.sin({a})", "np.cos({a})", "np.tanh({a})", "np.arctan({a})", "np.exp(0.5 * {a})",
    "np.square({a})", "-{a}", "{a} ** 3", "np.sqrt({a} * {a} + 1.0)", "np.log1p({a} * {a})",
    "1.0 / (1.0 + {a} * {a})", "np.expm1(0.3 * {a})", "np.sinh(0.5 * {a})", "{a} * 2.5",
    "0.75 - {a}", "np.power(1.0 + {a} * {a}, 1.5)", "np.cbrt(2.0 + np.sin({a}))",
    "np.logaddexp({a}, 0.5)", "np.exp2({a} * 0.5)", "np.log(2.0 + np.cos({a}))",
)  # fmt: skip
_BINARY = (
    "{a} + {b}", "{a} - {b}", "{a} * {b}", "{a} / (1.5 + np.sin({b}))",
    "np.hypot({a}, 1.0 + {b} * {b})", "np.add({a}, {b})", "np.multiply({b}, {a})",
    "{a} * np.tanh({b})", "np.logaddexp({a}, {b})",
)  # fmt: skip


def _broadcastable(s: tuple, t: tuple) -> bool:
    try:
        np.broadcast_shapes(s, t)
        return True
    except ValueError:
        return False


class _Builder:
    """The program drawn so far: its lines, the values at the generation input."""

    def __init__(self, draw: Any, shapes: tuple, families: frozenset) -> None:
        self.draw = draw
        self.lines: list[str] = []
        self.consts: dict = {}
        self.families = families
        self.used: set = set()
        rng = np.random.default_rng(draw(st.integers(0, 2**16)))
        self.rng = rng
        self.values = [rng.uniform(-1.5, 1.5, s) for s in shapes]
        self.names = [f"x{k}" for k in range(len(shapes))]
        self.env: dict = {"np": np, **dict(zip(self.names, self.values))}
        # the same program on hand-made Tensors: which values are object arrays there
        import gradkit as gk

        tensors = [gk.Tensor(v, requires_grad=True) for v in self.values]
        self.tensor_env: dict = {"np": np, **dict(zip(self.names, tensors))}

    def pick(self, pred: Any = None) -> int:
        choices = [k for k, v in enumerate(self.values) if pred is None or pred(v)]
        assume(choices)
        return self.draw(st.sampled_from(choices))

    def const(self, shape: tuple, kind: str = "float") -> str:
        name = f"C{len(self.consts)}"
        if kind == "bool":
            value = self.rng.random(shape) < 0.6
            if value.size:
                value.flat[0] = True
        elif kind == "index":
            value = self.rng.integers(0, shape[1], shape[0])
        else:
            value = np.round(self.rng.uniform(-2.0, 2.0, shape), 3)
        self.consts[name] = value
        self.env[name] = value
        self.tensor_env[name] = value
        return name

    def add(self, expr: str, family: str, setup: tuple = ()) -> None:
        """Run the line(s) on the generation input; keep them if all is finite.

        A line that reads a value gradkit holds as an object array (an array built from
        a list of traced values, before gradkit met it) is of the family "object
        arrays", whatever drew it: NumPy computes it with its object loops."""
        name = f"v{len(self.values)}"
        lines = [*setup, f"{name} = {expr}"]
        used = set(re.findall(r"\b[xv]\d+\b", "\n".join(lines)))
        if any(_is_object(self.tensor_env.get(u)) for u in used):
            if "object arrays" not in self.families:
                return  # drawn for another family: left out
            family = "object arrays"
        env = dict(self.env)
        try:
            with np.errstate(all="raise"):
                for line in lines:
                    exec(line, env)  # noqa: S102 - the generator's own NumPy lines
        except (FloatingPointError, ValueError, IndexError, TypeError):
            assume(False)
        value = env[name]
        assume(isinstance(value, np.ndarray | np.floating | float))
        value = np.asarray(value)
        assume(value.dtype.kind == "f" and np.all(np.isfinite(value)))
        assume(value.size and np.max(np.abs(value)) < 1e4)
        self.lines.extend(lines)
        self.env = env
        self.values.append(value)
        self.names.append(name)
        self.used.add(family)
        tensor_env = dict(self.tensor_env)
        try:
            with np.errstate(all="ignore"):
                for line in lines:
                    exec(line, tensor_env)  # noqa: S102 - the same lines, on Tensors
            self.tensor_env = tensor_env
        except Exception:  # noqa: S110 - gradkit fails where NumPy did not: the checks say so
            pass


def _is_object(value: Any) -> bool:
    return isinstance(value, np.ndarray) and value.dtype == object


def _draw_line(b: _Builder) -> None:  # noqa: C901 - one branch per family, read in order
    draw = b.draw
    family = draw(st.sampled_from(sorted(b.families)))
    if family == "object arrays":  # a line of another family, reading an object array
        family = draw(st.sampled_from([f for f in FAMILIES if f != "object arrays"]))
    if family == "elementwise":
        a = b.pick()
        if draw(st.booleans()):
            b.add(draw(st.sampled_from(_UNARY)).format(a=b.names[a]), family)
            return
        sa = b.values[a].shape
        others = [k for k, v in enumerate(b.values) if _broadcastable(sa, v.shape)]
        if draw(st.booleans()) or len(others) < 2:
            shape = draw(st.sampled_from([sa, sa[-1:], ()]))
            other = b.const(shape) if shape else repr(float(np.round(b.rng.uniform(-2, 2), 3)))
        else:
            other = b.names[draw(st.sampled_from(others))]
        if draw(st.booleans()):
            a_name, other = other, b.names[a]
        else:
            a_name = b.names[a]
        b.add(draw(st.sampled_from(_BINARY)).format(a=a_name, b=other), family)
    elif family == "reductions":
        a = b.pick(lambda v: v.ndim > 0)
        nd = b.values[a].ndim
        fn = draw(st.sampled_from(["sum", "mean", "prod", "var", "std", "cumsum", "cumprod",
                                   "nansum", "average", "ptp_free_norm"]))  # fmt: skip
        axis = draw(st.sampled_from([None, *range(-nd, nd)]))
        keep = draw(st.booleans())
        x = b.names[a]
        if fn in ("cumsum", "cumprod"):
            b.add(f"np.{fn}({x}, axis={axis})", family)
        elif fn == "ptp_free_norm":
            b.add(f"np.linalg.norm({x} + 2.0)", family)
        elif fn == "average":
            b.add(f"np.average({x}, axis={axis})", family)
        elif fn == "std":
            b.add(f"np.std({x} + np.arange({b.values[a].size}).reshape({b.values[a].shape}), "
                  f"axis={axis}, keepdims={keep})", family)  # fmt: skip
        else:
            b.add(f"np.{fn}({x}, axis={axis}, keepdims={keep})", family)
    elif family == "indexing":
        a = b.pick(lambda v: v.ndim > 0)
        v, x = b.values[a], b.names[a]
        n = v.shape[0]
        options = [f"{x}[1:]", f"{x}[::-1]", f"{x}[..., 0]", f"{x}[None]", f"{x}.T",
                   f"{x}.reshape(-1)", f"np.transpose({x})", f"np.expand_dims({x}, -1)",
                   f"{x}[-1]", f"np.flip({x}, 0)", f"np.roll({x}, 1, axis=0)",
                   f"np.concatenate([{x}, {x} * 2.0])", f"np.stack([{x}, np.sin({x})])",
                   f"np.tile({x}, 2)", f"np.repeat({x}, 2, axis=0)", f"{x}.ravel()",
                   f"np.squeeze({x}[None])", f"np.swapaxes({x}[None], 0, -1)",
                   f"np.broadcast_to({x}, (2,) + {x}.shape)", f"np.diff({x}, axis=0)",
                   f"np.pad({x}, 1)", f"np.take({x}, [0, -1], axis=0)"]  # fmt: skip
        if n > 1:
            options.append(f"{x}[[0, 0, {n - 1}]]")  # repeated fancy index: scatter-add
        choice = draw(st.sampled_from(options))
        if draw(st.integers(0, 5)) == 0:
            mask = b.const(v.shape, "bool")
            choice = f"{x}[{mask}]"
        elif draw(st.integers(0, 5)) == 0:
            mask = b.const(v.shape, "bool")
            choice = f"np.where({mask}, {x}, np.cos({x}))"
        b.add(choice, family)
    elif family == "linalg":
        a = b.pick(lambda v: v.ndim in (1, 2))
        v, x = b.values[a], b.names[a]
        k = v.shape[-1]
        others = [j for j, w in enumerate(b.values) if w.ndim in (1, 2) and w.shape[0] == k]
        if others and draw(st.booleans()):
            other = b.names[draw(st.sampled_from(others))]
        else:
            other = b.const((k, draw(st.integers(1, 3))))
        op = draw(st.sampled_from(["{a} @ {b}", "np.dot({a}, {b})", "np.matmul({a}, {b})"]))
        b.add(op.format(a=x, b=other), family)
        if draw(st.booleans()) and v.ndim == 1:
            b.add(f"np.outer({x}, {x})", family)
    elif family == "kinks":
        a = b.pick(lambda v: v.ndim > 0)
        v, x = b.values[a], b.names[a]
        fn = draw(st.sampled_from(["max", "min", "maximum", "sort", "where", "clip"]))
        flat = np.sort(v.reshape(-1))
        if fn in ("max", "min", "sort"):
            assume(flat.size < 2 or np.min(np.diff(flat)) > KINK_MARGIN)
            axis = draw(st.sampled_from([None, 0]))
            b.add(f"np.{fn}({x}, axis={axis})" if fn != "sort" else f"np.sort({x}, axis=0)",
                  family)  # fmt: skip
        elif fn == "maximum":
            assume(np.min(np.abs(v - 0.2)) > KINK_MARGIN)
            b.add(f"np.maximum({x}, 0.2)", family)
        elif fn == "clip":
            assume(np.min(np.abs(v - 0.5)) > KINK_MARGIN and np.min(np.abs(v + 0.5)) > KINK_MARGIN)
            b.add(f"np.clip({x}, -0.5, 0.5)", family)
        else:
            assume(np.min(np.abs(v)) > KINK_MARGIN)
            b.add(f"np.where({x} > 0, np.sin({x}), {x} * {x})", family)
    elif family == "out":
        a = b.pick()
        x = b.names[a]
        name = f"v{len(b.values)}"
        fn = draw(
            st.sampled_from(
                [
                    "np.sin({a}, out={o})",
                    "np.multiply({a}, 2.0, out={o})",
                    "np.add({a}, {a}, out={o})",
                    "np.tanh({a}, out={o})",
                ]
            )
        )
        b.add(fn.format(a=x, o=f"{name}_out"), family, (f"{name}_out = np.empty_like({x})",))
    elif family == "writes":
        a = b.pick(lambda v: v.ndim > 0 and v.shape[0] > 1)
        x = b.names[a]
        name = f"v{len(b.values)}"
        write = draw(st.sampled_from([
            "{n}[0] = np.sin({x}[1])", "{n}[1:] *= 3.0", "{n}[0] += {x}[-1]",
            "{n}.T[0] = 0.5", "{n}.reshape(-1)[0] = 10.0", "{n}[::-1][0] -= {x}[0]",
            "row = {n}[0]\n{n}[1] = row * 2.0",
        ]))  # fmt: skip
        setup = (f"{name} = {x}.copy()", *write.format(n=name, x=x).split("\n"))
        b.add(name, family, setup)
    elif family == "complex":
        a = b.pick()
        x = b.names[a]
        fn = draw(st.sampled_from([
            "np.abs({x} * (1 + 2j))", "np.real(np.exp(1j * {x}))", "np.imag(np.exp(1j * {x}))",
            "np.abs(np.exp((0.5 + 1j) * {x}))", "np.real({x} * (2 - 1j) * np.conj({x} + 1j))",
            "np.angle(1.5 + 1j * {x})",
        ]))  # fmt: skip
        b.add(fn.format(x=x), family)
    elif family == "sequences":
        a = b.pick()
        x = b.names[a]
        fn = draw(st.sampled_from([
            "np.array([np.sum({x}), np.sum(np.sin({x}))])", "np.mean([{x}, {x} + 2.0], axis=0)",
            "np.linalg.norm([np.sum({x}), 3.0])", "np.asarray([{x}, {x} * {x}])",
            "np.append([1.0, 2.0], {x})", "np.r_[{x}.ravel(), 0.5, {x}.ravel() * 2.0]",
            "np.c_[{x}.ravel(), {x}.ravel() ** 2]",
            "np.mean([np.sum({x}), np.sum({x} * {x}), 1.5])",
            "np.array([[np.sum({x}), 1.0], (2.0, np.prod(np.cos({x})))])",
        ]))  # fmt: skip
        b.add(fn.format(x=x), family)


@st.composite
def chain_programs(draw: Any, families: tuple = FAMILIES, max_lines: int = 6) -> ChainProgram:
    """A hypothesis strategy for :class:`ChainProgram` (lines of the given families)."""
    n_inputs = draw(st.integers(1, 2))
    shapes = tuple(draw(st.sampled_from(CHAIN_SHAPES)) for _ in range(n_inputs))
    b = _Builder(draw, shapes, frozenset(families))
    for _ in range(draw(st.integers(1, max_lines))):
        _draw_line(b)
    # the result depends on an input (a chain may have wandered off to a constant)
    last = b.names[-1]
    params = ", ".join(f"x{k}" for k in range(n_inputs))
    body = "\n".join("    " + line for line in b.lines)
    source = f"def program({params}):\n{body}\n    return {last}\n"
    weights = np.round(np.random.default_rng(len(b.lines)).uniform(0.5, 1.5, b.values[-1].shape), 3)
    consts = dict(b.consts, W=weights)
    return ChainProgram(source, consts, shapes, frozenset(b.used))


# --- the checks -------------------------------------------------------------------------
class Mismatch(AssertionError):
    """A program whose answer under a transform differs from the oracle's."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind


def same_to_ulps(got: Any, want: Any, ulps: int = 1) -> bool:
    """Whether two results have one shape and agree to ``ulps`` units in the last place
    (NaNs where both are NaN)."""
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape:
        return False
    both_nan = np.isnan(got) & np.isnan(want)
    with np.errstate(all="ignore"):
        gap = np.abs(got - want)
        room = ulps * np.spacing(np.maximum(np.abs(got), np.abs(want)))
    return bool(np.all(both_nan | (got == want) | (gap <= room)))


def _gathered(y: Any) -> Any:
    """The program's result as one array: an object array of traced values (what NumPy
    returns for ``np.array([...])`` of them) is gathered by ``gk.Tensor``, as a
    transform gathers its output. The weighted sum of the losses is the test's own
    instrument: it must not add NumPy's object loops (see "object arrays") to the
    program it measures."""
    if isinstance(y, np.ndarray) and y.dtype == object:
        import gradkit as gk

        return gk.Tensor(y)
    return y


def _grads_tuple(g: Any, n: int) -> tuple:
    return tuple(g) if n > 1 else (g,)


def check_values_and_gradients(p: ChainProgram, seed: int = 0) -> None:
    """Values under gk.grad, gk.jvp, gk.vjp and eager Tensors equal NumPy's (1 ulp);
    the gradient and a directional derivative equal central finite differences."""
    import fd  # tests/fd.py: plain NumPy, independent of gradkit

    import gradkit as gk

    f = p.function()
    weights = p.consts["W"]
    n = len(p.shapes)
    argnums = tuple(range(n)) if n > 1 else 0

    def loss(*xs):
        return np.sum(_gathered(f(*xs)) * weights)

    xs = p.inputs(seed)
    with np.errstate(all="ignore"):
        want = np.asarray(f(*[x.copy() for x in xs]))
        want_loss = loss(*[x.copy() for x in xs])
        val, grads = gk.value_and_grad(loss, argnums=argnums)(*xs)
        if not same_to_ulps(val, want_loss):
            raise Mismatch("value", f"value_and_grad gave {val!r}, NumPy {want_loss!r}")
        grads = _grads_tuple(grads, n)
        dirs = tuple(np.random.default_rng(seed + 99).uniform(-1, 1, s) for s in p.shapes)
        out, tangent = gk.jvp(f, tuple(xs), dirs)
        if not same_to_ulps(out, want):
            raise Mismatch("value", f"jvp's primal {out!r}, NumPy {want!r}")
        out, _ = gk.vjp(f, *xs)
        if not same_to_ulps(out, want):
            raise Mismatch("value", f"vjp's primal {out!r}, NumPy {want!r}")
        ts = [gk.Tensor(x, requires_grad=True) for x in xs]
        y = f(*ts)
        y = _gathered(y)  # np.array([...]) of Tensors is an ndarray (NumPy's rule)
        if not same_to_ulps(gk.Tensor(y).numpy() if isinstance(y, gk.Tensor) else y, want):
            raise Mismatch("value", f"eager Tensors gave {y!r}, NumPy {want!r}")
        if isinstance(y, gk.Tensor) and y.requires_grad:
            np.sum(y * weights).backward()
            for k, t in enumerate(ts):
                eager = t.grad if t.grad is not None else np.zeros(p.shapes[k])
                if not same_to_ulps(eager, grads[k], 4):
                    raise Mismatch("gradient", f"eager backward {eager!r}, gk.grad {grads[k]!r}")
        for k in range(n):
            num = fd.gradient(loss, tuple(xs), k)
            scale = max(1.0, float(np.max(np.abs(num), initial=0.0)))
            if not np.allclose(grads[k], num, rtol=1e-6, atol=1e-7 * scale):
                raise Mismatch("gradient", f"argument {k}: gk.grad {grads[k]!r}, FD {num!r}")
        num = fd.directional(f, tuple(xs), dirs)
        scale = max(1.0, float(np.max(np.abs(num), initial=0.0)))
        if not np.allclose(tangent, num, rtol=1e-6, atol=1e-7 * scale):
            raise Mismatch("gradient", f"jvp's tangent {tangent!r}, FD {num!r}")


def check_jit(p: ChainProgram, seeds: tuple = (1, 2, 3)) -> None:
    """gk.jit(f) and gk.jit(gk.grad(loss)) give the answers of f and gk.grad(loss) on
    several inputs (recorded on the first, replayed on the others): the gradient bit
    for bit, the value to 1 ulp of NumPy's (as every transform's value)."""
    import gradkit as gk

    f = p.function()
    weights = p.consts["W"]
    n = len(p.shapes)
    argnums = tuple(range(n)) if n > 1 else 0

    def loss(*xs):
        return np.sum(_gathered(f(*xs)) * weights)

    grad = gk.grad(loss, argnums=argnums)
    jf, jg = gk.jit(f), gk.jit(grad)
    with np.errstate(all="ignore"):
        for seed in seeds:
            xs = p.inputs(seed)
            want, want_g = f(*[x.copy() for x in xs]), _grads_tuple(grad(*xs), n)
            try:
                got, got_g = jf(*xs), _grads_tuple(jg(*xs), n)
            except Exception as err:
                raise Mismatch("jit crash", f"{type(err).__name__}: {err}") from err
            if not same_to_ulps(got, want, 1):
                raise Mismatch("jit value", f"seed {seed}: jit {got!r}, without {want!r}")
            for k in range(n):
                # bit for bit on NumPy >= 2.1; NumPy 2.0 (the floors job) runs some ufuncs
                # that write into an operand (jit's buffer reuse, out=) through another
                # loop, 1 ulp apart: the bar, "1 ulp where an order differs"
                if not same_to_ulps(got_g[k], want_g[k], 1):
                    raise Mismatch("jit gradient",
                                   f"seed {seed}, argument {k}: jit {got_g[k]!r}, without "
                                   f"{want_g[k]!r}")  # fmt: skip


def main(argv: list | None = None) -> None:
    """``python tests/fidelity_programs.py [N] [family ...]``: a differential fuzz of N
    chain_programs (3000 by default); prints each kind of failure with its count and a short
    example of each."""
    import collections
    import sys

    from hypothesis import HealthCheck, given, settings

    args = sys.argv[1:] if argv is None else argv
    count = int(args[0]) if args else 3000
    families = tuple(args[1:]) or FAMILIES
    found: dict = collections.defaultdict(list)
    total = [0]

    @settings(max_examples=count, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(chain_programs(families))
    def run(p: ChainProgram) -> None:
        total[0] += 1
        for check in (check_values_and_gradients, check_jit):
            try:
                check(p)
            except Mismatch as err:
                found[err.kind].append((p, str(err)))
                return
            except Exception as err:
                kind = "error" if check is check_values_and_gradients else "jit crash"
                found[kind].append((p, f"{type(err).__name__}: {err}"))
                return

    run()
    print(f"{total[0]} chain_programs")
    for kind, items in sorted(found.items()):
        print(f"== {kind}: {len(items)}")
        for p, msg in sorted(items, key=lambda i: len(i[0].source))[:4]:
            print(p, "->", msg[:300], "\n")


if __name__ == "__main__":
    import os
    import sys

    sys.path.insert(0, os.path.dirname(__file__))
    main()
