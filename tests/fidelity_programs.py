"""Small random NumPy programs for the fidelity tests (tests/test_fidelity.py).

A program is real NumPy source: a function of one or two float arrays, one assignment
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
from typing import Any

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

FAMILIES = (
    "elementwise", "reductions", "indexing", "linalg", "kinks", "out", "writes",
    "complex", "sequences",
)  # fmt: skip

#: The input shapes a program may take.
SHAPES = ((), (3,), (4,), (2, 3), (3, 2), (2, 1), (1, 3), (2, 2, 2))
#: How far from a kink (in value) the generation input must stay.
KINK_MARGIN = 1e-2


@dataclasses.dataclass
class Program:
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
        return name

    def add(self, expr: str, family: str, setup: tuple = ()) -> None:
        """Run the line(s) on the generation input; keep them if all is finite."""
        name = f"v{len(self.values)}"
        lines = [*setup, f"{name} = {expr}"]
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


def _draw_line(b: _Builder) -> None:  # noqa: C901 - one branch per family, read in order
    draw = b.draw
    family = draw(st.sampled_from(sorted(b.families)))
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
        fn = draw(st.sampled_from(["np.sin({a}, out={o})", "np.multiply({a}, 2.0, out={o})",
                                   "np.add({a}, {a}, out={o})", "np.tanh({a}, out={o})"]))
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
            "np.append([1.0, 2.0], {x})",
        ]))  # fmt: skip
        b.add(fn.format(x=x), family)


@st.composite
def programs(draw: Any, families: tuple = FAMILIES, max_lines: int = 6) -> Program:
    """A hypothesis strategy for :class:`Program` (lines of the given families)."""
    n_inputs = draw(st.integers(1, 2))
    shapes = tuple(draw(st.sampled_from(SHAPES)) for _ in range(n_inputs))
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
    return Program(source, consts, shapes, frozenset(b.used))


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


def _grads_tuple(g: Any, n: int) -> tuple:
    return tuple(g) if n > 1 else (g,)


def check_values_and_gradients(p: Program, seed: int = 0) -> None:
    """Values under gk.grad, gk.jvp, gk.vjp and eager Tensors equal NumPy's (1 ulp);
    the gradient and a directional derivative equal central finite differences."""
    import fd  # tests/fd.py: plain NumPy, independent of gradkit

    import gradkit as gk

    f = p.function()
    weights = p.consts["W"]
    n = len(p.shapes)
    argnums = tuple(range(n)) if n > 1 else 0

    def loss(*xs):
        return np.sum(f(*xs) * weights)

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


def check_jit(p: Program, seeds: tuple = (1, 2, 3)) -> None:
    """gk.jit(f) and gk.jit(gk.grad(loss)) give the answers of f and gk.grad(loss) on
    several inputs (recorded on the first, replayed on the others): the gradient bit
    for bit, the value to 1 ulp of NumPy's (as every transform's value)."""
    import gradkit as gk

    f = p.function()
    weights = p.consts["W"]
    n = len(p.shapes)
    argnums = tuple(range(n)) if n > 1 else 0

    def loss(*xs):
        return np.sum(f(*xs) * weights)

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
                if not same_to_ulps(got_g[k], want_g[k], 0):
                    raise Mismatch("jit gradient",
                                   f"seed {seed}, argument {k}: jit {got_g[k]!r}, without "
                                   f"{want_g[k]!r}")  # fmt: skip


def main(argv: list | None = None) -> None:
    """``python tests/fidelity_programs.py [N] [family ...]``: a differential fuzz of N
    programs (3000 by default); prints each kind of failure with its count and a short
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
    @given(programs(families))
    def run(p: Program) -> None:
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
    print(f"{total[0]} programs")
    for kind, items in sorted(found.items()):
        print(f"== {kind}: {len(items)}")
        for p, msg in sorted(items, key=lambda i: len(i[0].source))[:4]:
            print(p, "->", msg[:300], "\n")


if __name__ == "__main__":
    import os
    import sys

    sys.path.insert(0, os.path.dirname(__file__))
    main()
