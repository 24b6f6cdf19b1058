"""Test cases for the engine: functions, samplers that keep inputs in their domain, shapes.

Each :class:`Case` is a plain NumPy function with a sampler drawing its arguments away
from poles, branch cuts, kinks and ties by a margin much larger than the finite-difference
steps, and the shapes to draw (pairs of shapes for two-argument functions, broadcasting
included). ``tests/test_autodiff_primitives.py`` runs every case in both modes.
This module holds the samplers and the elementwise and reduction cases.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Case:
    """A function under test, how to draw its arguments, and the shapes to draw."""

    name: str
    fn: Callable
    make: Callable  # (rng, spec) -> tuple of float arrays
    specs: list = field(default_factory=lambda: [()])
    argnums: tuple = (0,)

    def __repr__(self) -> str:
        return self.name


def uniform(lo: float, hi: float) -> Callable:
    """Sampler of one array with entries uniform in [lo, hi]."""
    return lambda rng, shape: (rng.uniform(lo, hi, size=shape),)


def away_from_zero(lo: float = 0.3, hi: float = 2.0) -> Callable:
    """Sampler of one array with |entries| in [lo, hi] and random signs."""

    def make(rng, shape):
        mag = rng.uniform(lo, hi, size=shape)
        return (np.where(rng.random(size=shape) < 0.5, -mag, mag),)

    return make


def distinct(lo: float, hi: float) -> Callable:
    """Sampler of one array whose entries are at least (hi - lo) / (2 n) apart (no ties)."""

    def make(rng, shape):
        n = int(np.prod(shape))
        step = (hi - lo) / max(n, 1)
        grid = lo + step * (rng.permutation(n) + rng.uniform(0.25, 0.75, size=n))
        return (grid.reshape(shape),)

    return make


def pair(make_x: Callable, make_y: Callable) -> Callable:
    """Sampler of two arrays whose shapes come from a pair spec."""

    def make(rng, spec):
        sx, sy = spec
        return make_x(rng, sx) + make_y(rng, sy)

    return make


def separated(lo: float, hi: float, gap: float = 0.15) -> Callable:
    """Two arrays in [lo, hi] whose broadcast entries differ by at least ``gap`` (no ties)."""

    def make(rng, spec):
        sx, sy = spec
        x = rng.uniform(lo, hi, size=sx)
        y = rng.uniform(lo, hi, size=sy)
        bx, by = np.broadcast_arrays(x, y)
        if np.any(np.abs(bx - by) < gap):
            # Push x away from y where they are close; x's entries may be shared by
            # broadcasting, so shift the whole x by a safe offset instead.
            diffs = np.sort(np.concatenate([[lo - hi - 1, hi - lo + 1], (by - bx).ravel()]))
            widths = np.diff(diffs)
            k = int(np.argmax(widths))
            shift = (diffs[k] + diffs[k + 1]) / 2
            x = x + shift
        return x, y

    return make


ELEMENTWISE_SHAPES = [(), (3,), (2, 3), (2, 1, 3)]
BROADCAST_PAIRS = [
    ((), ()),
    ((3,), (3,)),
    ((2, 3), (3,)),
    ((2, 1), (1, 3)),
    ((), (2, 3)),
    ((2, 3), ()),
]

UNARY = [
    Case("negative", np.negative, uniform(-2, 2)),
    Case("unary minus", lambda x: -x, uniform(-2, 2)),
    Case("positive", np.positive, uniform(-2, 2)),
    Case("exp", np.exp, uniform(-2, 2)),
    Case("exp2", np.exp2, uniform(-2, 2)),
    Case("expm1", np.expm1, uniform(-2, 2)),
    Case("log", np.log, uniform(0.3, 3)),
    Case("log2", np.log2, uniform(0.3, 3)),
    Case("log10", np.log10, uniform(0.3, 3)),
    Case("log1p", np.log1p, uniform(-0.6, 2)),
    Case("sqrt", np.sqrt, uniform(0.3, 3)),
    Case("cbrt", np.cbrt, away_from_zero(0.3, 3)),
    Case("square", np.square, uniform(-2, 2)),
    Case("reciprocal", np.reciprocal, away_from_zero(0.4, 2)),
    Case("absolute", np.absolute, away_from_zero()),
    Case("abs()", abs, away_from_zero()),
    Case("fabs", np.fabs, away_from_zero()),
    Case("sin", np.sin, uniform(-3, 3)),
    Case("cos", np.cos, uniform(-3, 3)),
    Case("tan", np.tan, uniform(-1.2, 1.2)),
    Case("arcsin", np.arcsin, uniform(-0.8, 0.8)),
    Case("arccos", np.arccos, uniform(-0.8, 0.8)),
    Case("arctan", np.arctan, uniform(-3, 3)),
    Case("sinh", np.sinh, uniform(-2, 2)),
    Case("cosh", np.cosh, uniform(-2, 2)),
    Case("tanh", np.tanh, uniform(-2, 2)),
    Case("arcsinh", np.arcsinh, uniform(-2, 2)),
    Case("arccosh", np.arccosh, uniform(1.3, 3)),
    Case("arctanh", np.arctanh, uniform(-0.8, 0.8)),
    Case("x ** 3", lambda x: x**3, uniform(-2, 2)),
    Case("x ** 2.5", lambda x: x**2.5, uniform(0.3, 2)),
    Case("x ** -1", lambda x: x**-1, away_from_zero(0.4, 2)),
    Case("2.0 ** x", lambda x: 2.0**x, uniform(-2, 2)),
    Case("x / 3", lambda x: x / 3.0, uniform(-2, 2)),
    Case("3 / x", lambda x: 3.0 / x, away_from_zero(0.4, 2)),
    Case("1 - x", lambda x: 1.0 - x, uniform(-2, 2)),
    Case("np.copy", lambda x: np.copy(x) * x, uniform(-2, 2)),
    Case("astype float32->64", lambda x: x.astype(np.float64) ** 2, uniform(-2, 2)),
    Case("clip scalar bounds", lambda x: np.clip(x, -1.0, 1.0), away_from_zero(0.1, 0.9)),
    Case("clip outside", lambda x: np.clip(x, -0.5, 0.5) * x, uniform(0.6, 2)),
    Case("clip one-sided", lambda x: np.clip(x, None, 0.0) + x, uniform(-2, -0.1)),
    Case("where x>0", lambda x: np.where(x > 0, x**2, -x), away_from_zero()),
    Case("where const branch", lambda x: np.where(x > 0, 1.0, np.sin(x)), away_from_zero()),
    Case("maximum(x, 0) (relu)", lambda x: np.maximum(x, 0.0), away_from_zero()),
    Case("minimum(x, 1)", lambda x: np.minimum(x, 1.0), uniform(-2, 0.8)),
]
for _c in UNARY:
    _c.specs = ELEMENTWISE_SHAPES

BINARY = [
    Case("add", np.add, pair(uniform(-2, 2), uniform(-2, 2))),
    Case("+", lambda x, y: x + y, pair(uniform(-2, 2), uniform(-2, 2))),
    Case("subtract", np.subtract, pair(uniform(-2, 2), uniform(-2, 2))),
    Case("-", lambda x, y: x - y, pair(uniform(-2, 2), uniform(-2, 2))),
    Case("multiply", np.multiply, pair(uniform(-2, 2), uniform(-2, 2))),
    Case("*", lambda x, y: x * y, pair(uniform(-2, 2), uniform(-2, 2))),
    Case("true_divide", np.true_divide, pair(uniform(-2, 2), away_from_zero(0.5, 2))),
    Case("/", lambda x, y: x / y, pair(uniform(-2, 2), away_from_zero(0.5, 2))),
    Case("power", np.power, pair(uniform(0.3, 2), uniform(-2, 2))),
    Case("**", lambda x, y: x**y, pair(uniform(0.3, 2), uniform(-2, 2))),
    Case("float_power", np.float_power, pair(uniform(0.3, 2), uniform(-2, 2))),
    Case("maximum", np.maximum, separated(-2, 2)),
    Case("minimum", np.minimum, separated(-2, 2)),
    Case("fmax", np.fmax, separated(-2, 2)),
    Case("fmin", np.fmin, separated(-2, 2)),
    Case("logaddexp", np.logaddexp, pair(uniform(-3, 3), uniform(-3, 3))),
    Case("arctan2", np.arctan2, pair(uniform(-2, 2), uniform(0.5, 2))),
    Case("hypot", np.hypot, pair(away_from_zero(0.3, 2), away_from_zero(0.3, 2))),
    Case(
        "where(c, x, y)",
        lambda x, y: np.where(x > 0, x * y, y**2),
        pair(away_from_zero(), uniform(-2, 2)),
    ),
    Case(
        "clip array bounds",
        lambda x, lo: np.clip(x, lo, lo + 1.0),
        pair(uniform(0.1, 0.9), uniform(-0.1, 0.1)),
    ),
    Case(
        "clip below lo",
        lambda x, lo: np.clip(x, lo, 5.0),
        pair(uniform(-2, -1), uniform(-0.5, 0.5)),
    ),
    Case(
        "clip above hi", lambda x, hi: np.clip(x, -5.0, hi), pair(uniform(1, 2), uniform(-0.5, 0.5))
    ),
]


def remainder_args(rng, spec):
    # x = (k + frac) * y with frac in [0.2, 0.8]: away from remainder's jumps.
    sx, sy = spec
    y = rng.uniform(1.0, 2.0, size=sy)
    frac = rng.uniform(0.2, 0.8, size=sx)
    k = rng.integers(-2, 3, size=sx)
    return (k + frac) * np.broadcast_to(y, sx), y


BINARY.append(Case("remainder", np.remainder, remainder_args))
for _c in BINARY:
    _c.specs = BROADCAST_PAIRS
    _c.argnums = (0, 1)
# remainder's x must line up with y: keep to specs where x is at least as large as y.
BINARY[-1].specs = [((), ()), ((3,), (3,)), ((2, 3), (3,)), ((2, 3), ())]

REDUCTION_SHAPES = [(4,), (2, 3), (2, 3, 2)]


def with_zeros(n: int) -> Callable:
    """Sampler for prod: entries in [0.5, 1.5] with random signs, ``n`` of them set to 0."""

    def make(rng, shape):
        (x,) = away_from_zero(0.5, 1.5)(rng, shape)
        flat = x.reshape(-1)
        flat[rng.choice(flat.size, size=min(n, flat.size), replace=False)] = 0.0
        return (flat.reshape(shape),)

    return make


def reduction_cases() -> list:
    cases = []
    reducers = [
        ("sum", np.sum, uniform(-2, 2)),
        ("mean", np.mean, uniform(-2, 2)),
        ("prod", np.prod, away_from_zero(0.5, 1.5)),
        ("max", np.max, distinct(-2, 2)),
        ("min", np.min, distinct(-2, 2)),
        ("amax", np.amax, distinct(-2, 2)),
        ("amin", np.amin, distinct(-2, 2)),
        ("var", np.var, uniform(-2, 2)),
        ("std", np.std, distinct(-2, 2)),
    ]
    for name, red, make in reducers:
        for axis in (None, 0, -1, (0, -1)):
            for keepdims in (False, True):
                cases.append(
                    Case(
                        f"{name}(axis={axis}, keepdims={keepdims})",
                        lambda x, red=red, axis=axis, keepdims=keepdims: red(
                            x, axis=axis, keepdims=keepdims
                        ),
                        make,
                        REDUCTION_SHAPES if axis != (0, -1) else REDUCTION_SHAPES[1:],
                    )
                )
    cases += [
        Case("var(ddof=1)", lambda x: np.var(x, axis=0, ddof=1), uniform(-2, 2), REDUCTION_SHAPES),
        Case("std(ddof=1)", lambda x: np.std(x, ddof=1), distinct(-2, 2), REDUCTION_SHAPES),
        Case("cumsum", np.cumsum, uniform(-2, 2), REDUCTION_SHAPES),
        Case("cumsum(axis=-1)", lambda x: np.cumsum(x, axis=-1), uniform(-2, 2), REDUCTION_SHAPES),
        Case("cumsum(axis=0)", lambda x: np.cumsum(x, axis=0), uniform(-2, 2), REDUCTION_SHAPES),
        Case("prod with one zero", np.prod, with_zeros(1), REDUCTION_SHAPES),
        Case("prod with two zeros", np.prod, with_zeros(2), REDUCTION_SHAPES),
        Case(
            "prod(axis=0) with zeros", lambda x: np.prod(x, axis=0), with_zeros(2), REDUCTION_SHAPES
        ),
        Case(".sum(axis=0)", lambda x: x.sum(axis=0), uniform(-2, 2), REDUCTION_SHAPES),
        Case(".mean()", lambda x: x.mean(), uniform(-2, 2), REDUCTION_SHAPES),
        Case(".max(axis=-1)", lambda x: x.max(axis=-1), distinct(-2, 2), REDUCTION_SHAPES),
        Case(
            ".min(keepdims)",
            lambda x: x.min(axis=0, keepdims=True),
            distinct(-2, 2),
            REDUCTION_SHAPES,
        ),
        Case(".prod(axis=0)", lambda x: x.prod(axis=0), away_from_zero(0.5, 1.5), REDUCTION_SHAPES),
        Case("np.add.reduce", lambda x: np.add.reduce(x, axis=0), uniform(-2, 2), REDUCTION_SHAPES),
        Case("norm", np.linalg.norm, away_from_zero(0.3, 2), [(4,), (2, 3)]),
        Case("norm ord=1", lambda x: np.linalg.norm(x, ord=1), away_from_zero(0.3, 2), [(4,)]),
        Case("norm ord=inf", lambda x: np.linalg.norm(x, ord=np.inf), distinct(0.3, 2), [(4,)]),
        Case("norm ord=3", lambda x: np.linalg.norm(x, ord=3), away_from_zero(0.3, 2), [(4,)]),
        Case("norm fro", lambda x: np.linalg.norm(x, ord="fro"), uniform(0.3, 2), [(2, 3)]),
        Case("norm axis=1", lambda x: np.linalg.norm(x, axis=1), away_from_zero(0.3, 2), [(2, 3)]),
        Case(
            "norm axis=0 keepdims",
            lambda x: np.linalg.norm(x, axis=0, keepdims=True),
            away_from_zero(0.3, 2),
            [(2, 3)],
        ),
        Case("trace", np.trace, uniform(-2, 2), [(3, 3), (2, 4)]),
        Case("trace(offset=1)", lambda x: np.trace(x, offset=1), uniform(-2, 2), [(3, 3), (3, 4)]),
    ]
    return cases


REDUCTIONS = reduction_cases()
