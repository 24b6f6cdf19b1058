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
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
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
    rng = draw_or_rng if isinstance(draw_or_rng, np.random.Generator) else np.random.default_rng(
        draw_or_rng
    )
    return rng.uniform(-1.5, 1.5, size=shape)
