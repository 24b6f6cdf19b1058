"""Test cases for the engine: writes (ufunc.at, out=, where=, copyto, put, place,
fill_diagonal, put_along_axis, arrays to fill) and the views they write through.

Each case writes into a copy of its input (``y = x.copy()``) or into an array made with
``np.zeros_like``, so NumPy itself runs it unchanged as the reference.
See ``tests/autodiff_cases.py`` for the samplers; ``tests/test_autodiff_primitives.py``
runs every case.
"""

from __future__ import annotations

import numpy as np
from autodiff_cases import Case, away_from_zero, pair, uniform

_PICKS = [0, 2, 0, -1]  # position 0 twice: ufunc.at accumulates there


def _at(ufunc, picks=_PICKS):
    def f(x, v):
        y = x.copy()
        ufunc.at(y, picks, v)
        return y

    return f


def _distinct_pair(rng, spec):
    """Two arrays whose entries are all at least 0.1 apart (no ties for maximum.at)."""
    sx, sv = spec
    nx, nv = int(np.prod(sx)), int(np.prod(sv))
    grid = -2.0 + 0.25 * (rng.permutation(nx + nv) + rng.uniform(0.3, 0.7, size=nx + nv))
    return grid[:nx].reshape(sx), grid[nx:].reshape(sv)


def _unary_at(x):
    y = x.copy()
    np.negative.at(y, [1, 1, 0])
    return y * x


def _out_into_a_view(x):
    y = x * 1.0
    np.multiply(y[1:], x[:-1], out=y[1:])  # out= a view: y changes
    return y


def _out_where(x):
    y = x * 2.0
    np.exp(x, out=y, where=x > 0)
    return y


def _copyto(x, v):
    y = np.zeros_like(x)
    np.copyto(y, v**2)
    np.copyto(y, x * 3.0, where=np.arange(x.shape[-1]) % 2 == 0)
    return y


def _put(x, v):
    y = x.copy()
    np.put(y, [0, -1, 0], v)  # v cycled; position 0 twice: the last write stays
    return y * x


def _place(x, v):
    y = x.copy()
    np.place(y, np.arange(x.size).reshape(x.shape) % 3 == 1, v)
    return y * x


def _fill_diagonal(x, v):
    y = x.copy()
    np.fill_diagonal(y, v)
    return y * x


def _put_along_axis(x, v):
    y = x.copy()
    np.put_along_axis(y, np.array([[1], [0], [1]]), v, axis=1)
    return y * x


def _filled(x):
    z = np.zeros_like(x)
    z[1:] = x[:-1] ** 2
    o = np.ones_like(x)
    o[0] *= x[0]
    e = np.empty_like(x)
    e[...] = x * o
    return z + o * e + np.full_like(x, np.sum(x))


SCATTER = [
    Case("np.add.at", _at(np.add), pair(uniform(-2, 2), uniform(-2, 2)),
         [((4,), (4,)), ((4, 2), (4, 2)), ((4, 2), (2,)), ((3,), ())], (0, 1)),
    Case("np.subtract.at", _at(np.subtract), pair(uniform(-2, 2), uniform(-2, 2)),
         [((4,), (4,)), ((4, 3), (4, 3))], (0, 1)),
    Case("np.multiply.at", _at(np.multiply), pair(uniform(-2, 2), away_from_zero(0.5, 1.5)),
         [((4,), (4,)), ((4, 2), (4, 2)), ((3,), ())], (0, 1)),
    Case("np.divide.at", _at(np.divide), pair(uniform(-2, 2), away_from_zero(0.5, 1.5)),
         [((4,), (4,))], (0, 1)),
    Case("np.maximum.at", _at(np.maximum), _distinct_pair, [((4,), (4,)), ((4, 2), (4, 2))],
         (0, 1)),
    Case("np.minimum.at", _at(np.minimum), _distinct_pair, [((4,), (4,))], (0, 1)),
    Case("np.add.at with a tuple index", _at(np.add, ([0, 1, 0], [2, 0, 2])),
         pair(uniform(-2, 2), uniform(-2, 2)), [((2, 3), (3,)), ((2, 3), ())], (0, 1)),
    Case("np.negative.at", _unary_at, uniform(-2, 2), [(3,), (2, 2)]),
    Case("ufunc out= a view", _out_into_a_view, uniform(-2, 2), [(4,), (3, 2)]),
    Case("ufunc out= where=", _out_where, away_from_zero(0.2, 1.5), [(4,), (2, 3)]),
    Case("np.copyto", _copyto, pair(uniform(-2, 2), uniform(-2, 2)),
         [((2, 4), (2, 4)), ((3,), ())], (0, 1)),
    Case("np.put", _put, pair(uniform(-2, 2), uniform(-2, 2)), [((5,), (2,)), ((2, 3), (3,))],
         (0, 1)),
    Case("np.place", _place, pair(uniform(-2, 2), uniform(-2, 2)), [((6,), (2,)), ((2, 4), (3,))],
         (0, 1)),
    Case("np.fill_diagonal", _fill_diagonal, pair(uniform(-2, 2), uniform(-2, 2)),
         [((3, 3), (3,)), ((4, 3), ()), ((2, 2, 2), (1,))], (0, 1)),
    Case("np.put_along_axis", _put_along_axis, pair(uniform(-2, 2), uniform(-2, 2)),
         [((3, 2), (3, 1)), ((3, 2), ())], (0, 1)),
    Case("zeros_like/ones_like/empty_like/full_like filled", _filled, uniform(-2, 2),
         [(3,), (3, 2)]),
    Case("np.diagonal (a view)", lambda x: np.diagonal(x, 1) ** 2, uniform(-2, 2),
         [(3, 4), (2, 3, 3)]),
    Case(".diagonal()", lambda x: x.diagonal(-1, 0, 1) * 3.0, uniform(-2, 2), [(3, 3)]),
    Case("einsum ii->i written", lambda x: _einsum_written(x), uniform(-2, 2), [(3, 3)]),
    Case("einsum ij->ji", lambda x: np.einsum("ij->ji", x) ** 2, uniform(-2, 2), [(2, 3)]),
]  # fmt: skip


def _einsum_written(x):
    y = x * 1.0
    d = np.einsum("ii->i", y)  # a writeable view in NumPy
    d *= x[0]
    return y
