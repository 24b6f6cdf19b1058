"""Test cases for the engine: shapes, indexing, in-place writes and linear algebra.

See ``tests/autodiff_cases.py`` for the samplers; ``tests/test_autodiff_primitives.py``
runs every case.
"""

from __future__ import annotations

import numpy as np
from autodiff_cases import Case, away_from_zero, pair, uniform


def _first_positive(rng, shape):
    (x,) = away_from_zero()(rng, shape)
    x.reshape(-1)[0] = abs(x.reshape(-1)[0])
    return (x,)


SHAPE_OPS = [
    Case(
        "reshape", lambda x: np.reshape(x, (-1, 2)) * 1.5, uniform(-2, 2), [(4,), (2, 3), (3, 2, 2)]
    ),
    Case(".reshape(*shape)", lambda x: x.reshape(2, -1) ** 2, uniform(-2, 2), [(4,), (2, 3)]),
    Case("ravel", lambda x: np.ravel(x) ** 2, uniform(-2, 2), [(2, 3), (2, 1, 2)]),
    Case(".flatten", lambda x: x.flatten() ** 2, uniform(-2, 2), [(2, 3)]),
    Case("transpose", lambda x: np.transpose(x) ** 2, uniform(-2, 2), [(3,), (2, 3), (2, 3, 2)]),
    Case("transpose(axes)", lambda x: np.transpose(x, (1, 2, 0)) ** 2, uniform(-2, 2), [(2, 3, 2)]),
    Case(".T", lambda x: x.T**2, uniform(-2, 2), [(2, 3)]),
    Case("swapaxes", lambda x: np.swapaxes(x, 0, -1) ** 2, uniform(-2, 2), [(2, 3), (2, 3, 2)]),
    Case("moveaxis", lambda x: np.moveaxis(x, 0, -1) ** 2, uniform(-2, 2), [(2, 3, 4)]),
    Case("expand_dims", lambda x: np.expand_dims(x, 1) ** 2, uniform(-2, 2), [(3,), (2, 3)]),
    Case("squeeze", lambda x: np.squeeze(x) ** 2, uniform(-2, 2), [(2, 1, 3), (1, 3)]),
    Case("squeeze(axis)", lambda x: np.squeeze(x, axis=0) ** 2, uniform(-2, 2), [(1, 3)]),
    Case(
        "broadcast_to",
        lambda x: np.broadcast_to(x, (2, 3)) ** 2,
        uniform(-2, 2),
        [(3,), (2, 1), ()],
    ),
    Case("atleast_1d", lambda x: np.atleast_1d(x) ** 2, uniform(-2, 2), [(), (3,)]),
    Case("atleast_2d", lambda x: np.atleast_2d(x) ** 2, uniform(-2, 2), [(), (3,), (2, 3)]),
    Case(
        "concatenate",
        lambda x, y: np.concatenate([x, y, x * y]),
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((3,), (3,)), ((2,), (2,))],
        (0, 1),
    ),
    Case(
        "concatenate axis=1",
        lambda x, y: np.concatenate([x, y], axis=1) ** 2,
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((2, 3), (2, 1))],
        (0, 1),
    ),
    Case(
        "concatenate axis=None",
        lambda x, y: np.concatenate([x, y], axis=None) ** 2,
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((2, 3), (4,))],
        (0, 1),
    ),
    Case(
        "stack",
        lambda x, y: np.stack([x, y * x]),
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((3,), (3,)), ((2, 3), (2, 3))],
        (0, 1),
    ),
    Case(
        "stack axis=-1",
        lambda x, y: np.stack([x, y], axis=-1) ** 2,
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((2, 3), (2, 3))],
        (0, 1),
    ),
    Case(
        "hstack",
        lambda x, y: np.hstack([x, y]) ** 2,
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((3,), (2,)), ((2, 3), (2, 1))],
        (0, 1),
    ),
    Case(
        "vstack",
        lambda x, y: np.vstack([x, y]) ** 2,
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((3,), (3,)), ((2, 3), (1, 3))],
        (0, 1),
    ),
    Case(
        "flip",
        lambda x: np.flip(x) * np.arange(x.size).reshape(x.shape),
        uniform(-2, 2),
        [(4,), (2, 3)],
    ),
    Case("flip(axis=1)", lambda x: np.flip(x, axis=1) ** 2, uniform(-2, 2), [(2, 3)]),
    Case("diagonal", lambda x: np.diagonal(x) ** 2, uniform(-2, 2), [(3, 3), (2, 4), (4, 2)]),
    Case("diagonal(offset=-1)", lambda x: np.diagonal(x, offset=-1) ** 2, uniform(-2, 2), [(3, 3)]),
    # indexing
    Case("x[1]", lambda x: x[1] ** 2, uniform(-2, 2), [(3,), (2, 3)]),
    Case("x[-1, 1:]", lambda x: x[-1, 1:] ** 2, uniform(-2, 2), [(2, 3)]),
    Case("x[::-2]", lambda x: x[::-2] ** 2, uniform(-2, 2), [(5,), (4, 2)]),
    Case("x[..., None, 0]", lambda x: x[..., None, 0] ** 2, uniform(-2, 2), [(2, 3), (2, 2, 3)]),
    Case("x[[0, 0, 2]] (repeats)", lambda x: x[[0, 0, 2]] ** 2, uniform(-2, 2), [(3,), (3, 2)]),
    Case(
        "x[int array 2-d]",
        lambda x: x[np.array([[1, 1], [0, 2]])] ** 3,
        uniform(-2, 2),
        [(3,), (4, 2)],
    ),
    Case("x[:, [2, 0, 2]]", lambda x: x[:, [2, 0, 2]] ** 2, uniform(-2, 2), [(2, 3)]),
    Case("x[rows, cols]", lambda x: x[[0, 1, 1], [2, 0, 2]] ** 2, uniform(-2, 2), [(2, 3)]),
    # The first entry is positive, so the mask selects something (see the empty-output test).
    Case("x[bool mask]", lambda x: x[x > 0] ** 2, _first_positive, [(4,), (2, 3)]),
    Case(
        "x[fixed mask]",
        lambda x: x[np.array([True, False, True])] ** 2,
        uniform(-2, 2),
        [(3,), (3, 2)],
    ),
    Case("iterate rows", lambda x: sum(row**2 for row in x), uniform(-2, 2), [(3,), (3, 2)]),
    # an in-place write into a traced (non-leaf) value: index_update
    Case("y[1] = x[0]**2", lambda x: _set_row(x), uniform(-2, 2), [(3,), (3, 2)]),
    Case("y[mask] = x", lambda x: _set_mask(x), uniform(-2, 2), [(4,)]),
    Case(
        "y[[0, 2, 0]] = v (repeats)",
        lambda x, v: _set_repeated(x, v),
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((3,), (3,)), ((3, 2), (3, 2)), ((3, 2), (2,))],
        (0, 1),
    ),
    Case(
        "y[[1, 1]] = scalar v",
        lambda x, v: _set_repeated_scalar(x, v),
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((3,), ()), ((2, 3), (3,))],
        (0, 1),
    ),
]


def _set_repeated(x, v):
    y = x * 1.0
    y[[0, 2, 0]] = v * 2.0  # position 0 is written twice: the last write wins
    return y * x


def _set_repeated_scalar(x, v):
    y = x * 1.0
    y[[1, 1]] = v
    return y * x


def _set_row(x):
    y = x * 2.0
    y[1] = x[0] ** 2
    return y * x


def _set_mask(x):
    y = x * 1.0
    y[np.array([True, False, True, False])] = np.sin(x[:2])
    return y**2


LINALG = [
    Case(
        "matmul 2d@2d",
        np.matmul,
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((2, 3), (3, 4)), ((1, 3), (3, 1))],
        (0, 1),
    ),
    Case(
        "@ 1d@1d", lambda a, b: a @ b, pair(uniform(-2, 2), uniform(-2, 2)), [((3,), (3,))], (0, 1)
    ),
    Case(
        "@ 2d@1d",
        lambda a, b: a @ b,
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((2, 3), (3,))],
        (0, 1),
    ),
    Case(
        "@ 1d@2d",
        lambda a, b: a @ b,
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((3,), (3, 2))],
        (0, 1),
    ),
    Case(
        "@ batched",
        lambda a, b: a @ b,
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((2, 2, 3), (3, 2)), ((3, 2), (2, 2, 3)), ((2, 1, 2, 3), (2, 3, 2))],
        (0, 1),
    ),
    Case(
        "@ batched with 1d",
        lambda a, b: a @ b,
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((2, 2, 3), (3,)), ((3,), (2, 3, 2))],
        (0, 1),
    ),
    Case(
        "dot",
        np.dot,
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((3,), (3,)), ((2, 3), (3,)), ((2, 3), (3, 2)), ((2, 2, 3), (2, 3, 2)), ((), (3,))],
        (0, 1),
    ),
    Case(
        ".dot",
        lambda a, b: a.dot(b),
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((2, 3), (3,))],
        (0, 1),
    ),
    Case(
        "vdot",
        np.vdot,
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((3,), (3,)), ((2, 2), (4,))],
        (0, 1),
    ),
    Case(
        "inner",
        np.inner,
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((3,), (3,)), ((2, 3), (4, 3)), ((), (3,))],
        (0, 1),
    ),
    Case(
        "outer",
        np.outer,
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((3,), (2,)), ((2, 2), (3,))],
        (0, 1),
    ),
    Case(
        "np.multiply.outer",
        np.multiply.outer,
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((3,), (2,))],
        (0, 1),
    ),
    Case(
        "tensordot axes=1",
        lambda a, b: np.tensordot(a, b, axes=1),
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((2, 3), (3, 2)), ((2, 2, 3), (3,))],
        (0, 1),
    ),
    Case(
        "tensordot axes=2",
        lambda a, b: np.tensordot(a, b),
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((2, 2, 3), (2, 3, 2))],
        (0, 1),
    ),
    Case(
        "tensordot axes pairs",
        lambda a, b: np.tensordot(a, b, axes=([0, 2], [2, 0])),
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((2, 3, 4), (4, 2, 2))],
        (0, 1),
    ),
    Case(
        "einsum ij,jk->ik",
        lambda a, b: np.einsum("ij,jk->ik", a, b),
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((2, 3), (3, 2))],
        (0, 1),
    ),
    Case(
        "einsum ij,ij->",
        lambda a, b: np.einsum("ij,ij->", a, b),
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((2, 3), (2, 3))],
        (0, 1),
    ),
    Case(
        "einsum implicit",
        lambda a, b: np.einsum("ij,jk", a, b),
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((2, 3), (3, 2))],
        (0, 1),
    ),
    Case(
        "einsum bij,bjk->bik",
        lambda a, b: np.einsum("bij,bjk->bik", a, b),
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((2, 2, 3), (2, 3, 2))],
        (0, 1),
    ),
    Case(
        "einsum i,j->ij",
        lambda a, b: np.einsum("i,j->ij", a, b),
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((3,), (2,))],
        (0, 1),
    ),
    Case("einsum ij->j", lambda a: np.einsum("ij->j", a) ** 2, uniform(-2, 2), [(2, 3)]),
    Case(
        "einsum ij,k->ik (sum out j)",
        lambda a, b: np.einsum("ij,k->ik", a, b),
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((2, 3), (2,))],
        (0, 1),
    ),
    Case("einsum ii-> (trace)", lambda a: np.einsum("ii->", a), uniform(-2, 2), [(3, 3)]),
    Case("einsum ii->i (diagonal)", lambda a: np.einsum("ii->i", a) ** 2, uniform(-2, 2), [(3, 3)]),
    Case(
        "einsum ijij->ij", lambda a: np.einsum("ijij->ij", a) ** 2, uniform(-2, 2), [(2, 3, 2, 3)]
    ),
    Case(
        "einsum ii,i->i",
        lambda a, b: np.einsum("ii,i->i", a, b),
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((3, 3), (3,))],
        (0, 1),
    ),
    Case(
        "einsum ...ij,...jk->...ik",
        lambda a, b: np.einsum("...ij,...jk->...ik", a, b),
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((2, 3, 2), (2, 3)), ((1, 2, 2), (3, 2, 2)), ((2, 3), (3, 2))],
        (0, 1),
    ),
    Case(
        "einsum i... (implicit)",
        lambda a: np.einsum("i...", a) ** 2,
        uniform(-2, 2),
        [(2, 3), (3,)],
    ),
    Case(
        "einsum ij...,j",
        lambda a, b: np.einsum("ij...,j", a, b),
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((2, 3, 4), (3,)), ((2, 3), (3,))],
        (0, 1),
    ),
    Case(
        "einsum three operands",
        lambda a, b, c: np.einsum("i,ij,j->", a, b, c),
        lambda rng, spec: tuple(rng.uniform(-2, 2, size=s) for s in spec),
        [((2,), (2, 3), (3,))],
        (0, 1, 2),
    ),
]
