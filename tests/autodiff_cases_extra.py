"""Test cases for the engine: the composed NumPy functions of ``numpy_extras`` and
functions of traced values mixed with constants.

See ``tests/autodiff_cases.py`` for the samplers; ``tests/test_autodiff_primitives.py``
runs every case.
"""

from __future__ import annotations

import numpy as np
from autodiff_cases import (
    BROADCAST_PAIRS,
    ELEMENTWISE_SHAPES,
    Case,
    away_from_zero,
    distinct,
    pair,
    remainder_args,
    uniform,
    with_zeros,
)


def well_conditioned(rng, shape):
    """Square matrices 1.5 I + 0.3 noise, some with a negative determinant."""
    n = shape[-1]
    a = 1.5 * np.eye(n) + 0.3 * rng.standard_normal(shape)
    flip = np.where(rng.random(shape[:-2] + (1, 1)) < 0.5, -1.0, 1.0)
    return (a * np.concatenate([flip, np.ones(shape[:-2] + (n - 1, 1))], axis=-2),)


def _split_mix(x):
    first, second = np.split(x, 2)
    return first * second**2


def _array_split_mix(x):
    parts = np.array_split(x, 3, axis=-1)
    return np.concatenate([parts[0] * 2.0, parts[1] ** 2, parts[2] * parts[0][..., :1]], axis=-1)


EXTRAS = [
    Case("deg2rad", np.deg2rad, uniform(-90, 90), ELEMENTWISE_SHAPES),
    Case("radians", np.radians, uniform(-90, 90), ELEMENTWISE_SHAPES),
    Case("rad2deg", np.rad2deg, uniform(-2, 2), ELEMENTWISE_SHAPES),
    Case("degrees", np.degrees, uniform(-2, 2), ELEMENTWISE_SHAPES),
    Case(
        "logaddexp2", np.logaddexp2, pair(uniform(-3, 3), uniform(-3, 3)), BROADCAST_PAIRS, (0, 1)
    ),
    Case("fmod", np.fmod, remainder_args, [((), ()), ((3,), (3,)), ((2, 3), (3,))], (0, 1)),
    Case("sort", np.sort, distinct(-2, 2), [(4,), (2, 3)]),
    Case(
        "sort(axis=0)",
        lambda x: np.sort(x, axis=0) * np.arange(1.0, 1 + x.shape[0])[:, None],
        distinct(-2, 2),
        [(3, 2)],
    ),
    Case("sort(axis=None)", lambda x: np.sort(x, axis=None) ** 2, distinct(-2, 2), [(2, 3)]),
    Case("take", lambda x: np.take(x, [2, 0, 2]) ** 2, uniform(-2, 2), [(3,), (2, 3)]),
    Case("take(axis=1)", lambda x: np.take(x, [1, 1, 0], axis=1) ** 2, uniform(-2, 2), [(2, 3)]),
    Case(
        "take_along_axis",
        lambda x: np.take_along_axis(x, np.array([[0, 0], [2, 1]]), axis=1) ** 2,
        uniform(-2, 2),
        [(2, 3)],
    ),
    Case("repeat", lambda x: np.repeat(x, 2) ** 2, uniform(-2, 2), [(3,), (2, 2)]),
    Case(
        "repeat(array, axis=0)",
        lambda x: np.repeat(x, [1, 3], axis=0) ** 2,
        uniform(-2, 2),
        [(2,), (2, 3)],
    ),
    Case("tile", lambda x: np.tile(x, 2) ** 2, uniform(-2, 2), [(3,), (2, 2)]),
    Case("tile((2, 1, 2))", lambda x: np.tile(x, (2, 1, 2)) ** 3, uniform(-2, 2), [(3,), (2, 2)]),
    Case(
        "roll",
        lambda x: np.roll(x, 1) * np.arange(x.size).reshape(x.shape),
        uniform(-2, 2),
        [(4,), (2, 3)],
    ),
    Case("roll(axis)", lambda x: np.roll(x, (1, -1), axis=(0, 1)) ** 2, uniform(-2, 2), [(2, 3)]),
    Case(
        "pad constant",
        lambda x: np.pad(x, 1, constant_values=1.5) ** 2,
        uniform(-2, 2),
        [(3,), (2, 3)],
    ),
    Case("pad widths", lambda x: np.pad(x, ((0, 1), (2, 0))) ** 2, uniform(-2, 2), [(2, 3)]),
    Case("pad edge", lambda x: np.pad(x, 2, mode="edge") ** 2, uniform(-2, 2), [(3,), (2, 3)]),
    Case("pad wrap", lambda x: np.pad(x, (1, 2), mode="wrap") ** 2, uniform(-2, 2), [(3,)]),
    Case(
        "pad reflect", lambda x: np.pad(x, 2, mode="reflect") ** 2, uniform(-2, 2), [(3,), (3, 4)]
    ),
    Case("pad symmetric", lambda x: np.pad(x, 1, mode="symmetric") ** 2, uniform(-2, 2), [(3,)]),
    Case("split", _split_mix, uniform(-2, 2), [(4,), (2, 3)]),
    Case("array_split", _array_split_mix, uniform(-2, 2), [(4,), (2, 5)]),
    Case("diff", np.diff, uniform(-2, 2), [(4,), (2, 3)]),
    Case(
        "diff(n=2, axis=0)", lambda x: np.diff(x, n=2, axis=0) ** 2, uniform(-2, 2), [(4,), (4, 2)]
    ),
    Case(
        "diff prepend/append",
        lambda x: np.diff(x, prepend=0.5, append=x[:1]) ** 2,
        uniform(-2, 2),
        [(3,)],
    ),
    Case("triu", np.triu, uniform(-2, 2), [(3, 3), (2, 3, 4), (3,)]),
    Case("tril(k=-1)", lambda x: np.tril(x, k=-1) ** 2, uniform(-2, 2), [(3, 3), (2, 4)]),
    Case("triu(k=1)", lambda x: np.triu(x, 1) ** 2, uniform(-2, 2), [(3, 4)]),
    Case("cumprod", np.cumprod, away_from_zero(0.5, 1.5), [(4,), (2, 3)]),
    Case("cumprod(axis=0)", lambda x: np.cumprod(x, axis=0), away_from_zero(0.5, 1.5), [(3, 2)]),
    Case("cumprod with zeros", np.cumprod, with_zeros(1), [(4,), (2, 3)]),
    Case("average", np.average, uniform(-2, 2), [(4,), (2, 3)]),
    Case(
        "average(weights)",
        lambda x, w: np.average(x, weights=w),
        pair(uniform(-2, 2), uniform(0.5, 2)),
        [((3,), (3,)), ((2, 3), (2, 3))],
        (0, 1),
    ),
    Case(
        "average(axis, 1-d weights)",
        lambda x, w: np.average(x, axis=1, weights=w),
        pair(uniform(-2, 2), uniform(0.5, 2)),
        [((2, 3), (3,))],
        (0, 1),
    ),
    Case(
        "average(returned)",
        lambda x, w: np.stack(np.average(x, axis=0, weights=w, returned=True)),
        pair(uniform(-2, 2), uniform(0.5, 2)),
        [((2, 3), (2, 3))],
        (0, 1),
    ),
    Case("ptp", np.ptp, distinct(-2, 2), [(4,), (2, 3)]),
    Case("ptp(axis=0)", lambda x: np.ptp(x, axis=0), distinct(-2, 2), [(3, 2)]),
    Case("atleast_3d", lambda x: np.atleast_3d(x) ** 2, uniform(-2, 2), [(), (3,), (2, 3)]),
    Case(
        "column_stack",
        lambda x, y: np.column_stack([x, y]) ** 2,
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((3,), (3,)), ((3,), (3, 2))],
        (0, 1),
    ),
    Case(
        "dstack",
        lambda x, y: np.dstack([x, y]) ** 2,
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((3,), (3,)), ((2, 3), (2, 3))],
        (0, 1),
    ),
    Case(
        "append",
        lambda x, y: np.append(x, y) ** 2,
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((3,), (2,)), ((2, 2), (3,))],
        (0, 1),
    ),
    Case(
        "append(axis=0)",
        lambda x, y: np.append(x, y, axis=0) ** 2,
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((2, 3), (1, 3))],
        (0, 1),
    ),
    Case("linalg.inv", np.linalg.inv, well_conditioned, [(1, 1), (3, 3), (2, 2, 2)]),
    Case("linalg.det", np.linalg.det, well_conditioned, [(1, 1), (3, 3), (2, 2, 2)]),
    Case(
        "linalg.slogdet", lambda a: np.linalg.slogdet(a)[1], well_conditioned, [(3, 3), (2, 2, 2)]
    ),
    Case(
        "slogdet sign * exp",
        lambda a: np.linalg.slogdet(a)[0] * np.exp(np.linalg.slogdet(a)[1]),
        well_conditioned,
        [(3, 3)],
    ),
    Case(
        "linalg.solve",
        lambda a, b: np.linalg.solve(a, b),
        lambda rng, spec: well_conditioned(rng, spec[0]) + (rng.uniform(-2, 2, size=spec[1]),),
        [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 2, 2), (2, 2, 1))],
        (0, 1),
    ),
    Case(
        "matrix_power 3",
        lambda a: np.linalg.matrix_power(a, 3),
        well_conditioned,
        [(2, 2), (2, 3, 3)],
    ),
    Case("matrix_power -2", lambda a: np.linalg.matrix_power(a, -2), well_conditioned, [(3, 3)]),
    Case("matrix_power 0", lambda a: np.linalg.matrix_power(a, 0) * a, well_conditioned, [(2, 2)]),
    Case("conjugate", np.conjugate, uniform(-2, 2), ELEMENTWISE_SHAPES),
    Case("real + imag", lambda x: np.real(x) ** 2 + np.imag(x), uniform(-2, 2), ELEMENTWISE_SHAPES),
    Case("nansum", lambda x: np.nansum(x, axis=0), uniform(-2, 2), [(3,), (2, 3)]),
    Case(
        "nanmean", lambda x: np.nanmean(x, axis=-1, keepdims=True), uniform(-2, 2), [(3,), (2, 3)]
    ),
    Case(
        "cross",
        np.cross,
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((3,), (3,)), ((2, 3), (3,))],
        (0, 1),
    ),
    Case(
        "kron",
        np.kron,
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((2,), (3,)), ((2, 2), (2, 3))],
        (0, 1),
    ),
]


def _cube(z):
    return np.einsum("i,j,k->ijk", z, z, z)


# Functions applied to a mix of traced values and constants, in both argument positions.
MIXED = [
    Case(
        "concatenate with constants",
        lambda z: np.concatenate([z, np.ones(2), z**2]) ** 2,
        uniform(-2, 2),
        [(3,)],
    ),
    Case("stack with a constant", lambda z: np.stack([np.ones(3), z]) ** 2, uniform(-2, 2), [(3,)]),
    Case(
        "einsum with a constant",
        lambda z: np.einsum("i,ij->j", z, np.arange(6.0).reshape(3, 2)),
        uniform(-2, 2),
        [(3,)],
    ),
    Case(
        "where with a constant branch",
        lambda z: np.where(z > 0, np.ones(3), z**2),
        away_from_zero(),
        [(3,)],
    ),
    Case("x[list of bools]", lambda z: z[[True, False, True]] ** 2, uniform(-2, 2), [(3,)]),
    Case("x[np.int64]", lambda z: z[np.int64(1)] ** 2 * z, uniform(-2, 2), [(3,)]),
    Case(
        "norm over axis tuple",
        lambda z: np.linalg.norm(np.outer(z, z), axis=(0, 1)) * z,
        away_from_zero(),
        [(3,)],
    ),
    Case(
        "clip a constant between traced bounds",
        lambda z: np.clip(np.full(3, 0.5), z - 1, z + 1) * z,
        uniform(-0.3, 1.3),
        [(3,)],
    ),
    Case("tensordot axes=0", lambda z: np.tensordot(z, z, axes=0), uniform(-2, 2), [(3,)]),
    Case("constant @ x", lambda z: np.ones((2, 3)) @ z, uniform(-2, 2), [(3,)]),
    Case("x ** int array", lambda z: z ** np.array([1, 2, 3]), uniform(-2, 2), [(3,)]),
    Case(
        "diagonal(axis1=1, axis2=2)",
        lambda z: np.diagonal(_cube(z), axis1=1, axis2=2),
        uniform(-2, 2),
        [(3,)],
    ),
    Case(
        "trace(axis1=0, axis2=2)",
        lambda z: np.trace(_cube(z), axis1=0, axis2=2),
        uniform(-2, 2),
        [(3,)],
    ),
    Case(
        "moveaxis((0, 1), (2, 0))",
        lambda z: np.moveaxis(_cube(z), (0, 1), (2, 0)),
        uniform(-2, 2),
        [(3,)],
    ),
    Case("expand_dims((0, 2))", lambda z: np.expand_dims(z, (0, 2)) ** 2, uniform(-2, 2), [(3,)]),
    Case(
        "var(axis=1, ddof=1, keepdims)",
        lambda z: np.var(np.outer(z, z), axis=1, ddof=1, keepdims=True),
        uniform(-2, 2),
        [(3,)],
    ),
    Case("-sort(-x)", lambda z: -np.sort(-z), distinct(-2, 2), [(4,)]),
]
