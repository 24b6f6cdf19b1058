"""Test cases for ``np.linalg``: decompositions, solves, matrix norms, NumPy 2's names.

Samplers build matrices with well-separated spectra (eigenvalues or singular values at
least 0.5 apart), so finite differences stay far from the ties where eigenvectors are
not differentiable. Functions of eigenvectors and singular vectors are made invariant
under each vector's sign (``v * v[..., :1, :]``), the one thing NumPy leaves free.
``tests/test_autodiff_primitives.py`` runs every case in both modes, to second order.
"""

from __future__ import annotations

import numpy as np
from autodiff_cases import Case, distinct, pair, uniform
from autodiff_cases_extra import well_conditioned


def _orthogonal(rng, shape):
    q, r = np.linalg.qr(rng.standard_normal(shape))
    return q * np.sign(np.diagonal(r, 0, -2, -1))[..., None, :]


def _spaced(rng, lead, k, lo=0.5):
    """``k`` values per stack entry, ascending, at least 0.5 apart, from ``lo`` up."""
    gaps = rng.uniform(0.5, 1.0, size=lead + (k,))
    return lo + np.cumsum(gaps, axis=-1)


def symmetric(rng, shape):
    """Symmetric matrices Q diag(w) Q^T with eigenvalues of both signs, 0.5 apart."""
    n = shape[-1]
    q = _orthogonal(rng, shape)
    w = _spaced(rng, shape[:-2], n, lo=-0.3 * n)
    return (np.matmul(q * w[..., None, :], np.swapaxes(q, -1, -2)),)


def spd(rng, shape):
    """Symmetric positive definite matrices with well-spread eigenvalues."""
    n = shape[-1]
    q = _orthogonal(rng, shape)
    w = _spaced(rng, shape[:-2], n, lo=0.5)
    return (np.matmul(q * w[..., None, :], np.swapaxes(q, -1, -2)),)


def spaced_singular(rng, shape):
    """Matrices U diag(s) V^T with singular values 0.5 apart (all >= 1)."""
    m, n = shape[-2:]
    k = min(m, n)
    u = _orthogonal(rng, shape[:-2] + (m, k))
    v = _orthogonal(rng, shape[:-2] + (n, k))
    s = _spaced(rng, shape[:-2], k, lo=1.0)[..., ::-1]
    return (np.matmul(u * s[..., None, :], np.swapaxes(v, -1, -2)),)


def real_spectrum(rng, shape):
    """Non-symmetric matrices V diag(w) V^-1 with real eigenvalues 0.5 apart; V near the
    identity keeps the eigenvectors well conditioned, so that the finite-difference
    oracle of second derivatives stays accurate to the tests' tolerance."""
    n = shape[-1]
    v = np.eye(n) + 0.2 * rng.standard_normal(shape)
    w = _spaced(rng, shape[:-2], n, lo=-0.3 * n)
    return (np.matmul(v * w[..., None, :], np.linalg.inv(v)),)


def distinct_sums(rng, shape):
    """Matrices whose absolute row sums and column sums are all distinct (no ties)."""
    m, n = shape[-2:]
    mag = rng.uniform(0.3, 0.5, size=shape) + 1.3 * rng.permutation(m)[:, None]
    mag = mag + 0.7 * rng.permutation(n)[None, :]
    return (np.where(rng.random(size=shape) < 0.3, -mag, mag),)


def _signless(v, axis=-2):
    """Each vector (a column for axis=-2, a row for -1) times its first entry."""
    first = v[..., :1, :] if axis == -2 else v[..., :, :1]
    return v * first


def _by_value(w, v):
    """Sign-free eigenvectors in the order of their eigenvalues (eig does not sort)."""
    return np.take_along_axis(_signless(v), np.argsort(w)[..., None, :], axis=-1)


def _full_rank(rng, spec):
    return spaced_singular(rng, spec)


def _solve_args(rng, spec):
    return well_conditioned(rng, spec[0]) + (rng.uniform(-2, 2, size=spec[1]),)


def _lstsq_args(rng, spec):
    return spaced_singular(rng, spec[0]) + (rng.uniform(-2, 2, size=spec[1]),)


SQUARE = [(3, 3), (2, 3, 3)]
RECT = [(3, 3), (4, 2), (2, 4), (2, 3, 2)]

LINALG_DECOMPOSITIONS = [
    Case("linalg.cholesky", np.linalg.cholesky, spd, [(1, 1), (3, 3), (2, 3, 3)]),
    Case("cholesky(upper)", lambda a: np.linalg.cholesky(a, upper=True), spd, SQUARE),
    Case("linalg.eigvalsh", np.linalg.eigvalsh, symmetric, [(1, 1), (3, 3), (2, 3, 3)]),
    Case("eigvalsh('U')", lambda a: np.linalg.eigvalsh(a, "U"), symmetric, SQUARE),
    Case("eigh values", lambda a: np.linalg.eigh(a)[0], symmetric, SQUARE),
    Case("eigh vectors", lambda a: _signless(np.linalg.eigh(a)[1]), symmetric, SQUARE),
    Case("eigh('U') vectors", lambda a: _signless(np.linalg.eigh(a, "U")[1]), symmetric, SQUARE),
    Case(
        "eig values (real)", lambda a: np.sort(np.real(np.linalg.eig(a)[0])), real_spectrum, SQUARE
    ),
    Case(
        "eig vectors (real)",
        lambda a: _by_value(*(np.real(r) for r in np.linalg.eig(a))),
        real_spectrum,
        SQUARE,
    ),
    Case(
        "linalg.eigvals (real)",
        lambda a: np.sort(np.real(np.linalg.eigvals(a))),
        real_spectrum,
        SQUARE,
    ),
    Case("linalg.svdvals", np.linalg.svdvals, spaced_singular, RECT),
    Case(
        "svd(compute_uv=False)", lambda a: np.linalg.svd(a, compute_uv=False), spaced_singular, RECT
    ),
    Case("svd s", lambda a: np.linalg.svd(a)[1], spaced_singular, RECT),
    Case(
        "svd u",
        lambda a: _signless(np.linalg.svd(a, full_matrices=False)[0]),
        spaced_singular,
        RECT,
    ),
    Case("svd vh", lambda a: _signless(np.linalg.svd(a, False)[2], -1), spaced_singular, RECT),
    Case(
        "svd u s vh rebuilt",
        lambda a: (lambda u, s, vh: (u * s[..., None, :]) @ vh)(*np.linalg.svd(a, False)),
        spaced_singular,
        RECT,
    ),
    Case(
        "svd full u projector",
        lambda a: (lambda u: u[..., :, 2:] @ np.swapaxes(u[..., :, 2:], -1, -2))(
            np.linalg.svd(a)[0]
        ),
        spaced_singular,
        [(4, 2), (2, 4, 2)],
    ),
    Case(
        "svd full vh projector",
        lambda a: (lambda vh: np.swapaxes(vh[..., 2:, :], -1, -2) @ vh[..., 2:, :])(
            np.linalg.svd(a)[2]
        ),
        spaced_singular,
        [(2, 4)],
    ),
    Case(
        "svd(hermitian)",
        lambda a: (lambda u, s, vh: _signless(u) * s[..., None, :] + vh)(
            *np.linalg.svd(a, hermitian=True)
        ),
        symmetric,
        [(3, 3)],
    ),
    Case("svd(hermitian) s", lambda a: np.linalg.svd(a, False, False, True), symmetric, SQUARE),
    Case("linalg.qr", lambda a: np.linalg.qr(a)[0], _full_rank, RECT),
    Case("qr r", lambda a: np.linalg.qr(a)[1], _full_rank, RECT),
    Case("qr(mode='r')", lambda a: np.linalg.qr(a, mode="r"), _full_rank, [(4, 2), (2, 4)]),
    Case(
        "qr(mode='complete')",
        lambda a: (lambda q, r: q[..., :, :2] + r[..., :2, :].sum())(*np.linalg.qr(a, "complete")),
        _full_rank,
        [(4, 2), (2, 3, 2)],
    ),
    Case(
        "qr complete projector",
        lambda a: (lambda q: q[..., :, 2:] @ np.swapaxes(q[..., :, 2:], -1, -2))(
            np.linalg.qr(a, "complete")[0]
        ),
        _full_rank,
        [(4, 2)],
    ),
]

LINALG_SOLVES = [
    Case(
        "solve (own rule)",
        np.linalg.solve,
        _solve_args,
        [((3, 3), (3,)), ((2, 3, 3), (3,)), ((2, 3, 3), (3, 2)), ((3, 3), (2, 3, 1))],
        (0, 1),
    ),
    Case("linalg.pinv", np.linalg.pinv, _full_rank, RECT),
    Case("pinv(hermitian)", lambda a: np.linalg.pinv(a, hermitian=True), spd, [(3, 3)]),
    Case(
        "lstsq x",
        lambda a, b: np.linalg.lstsq(a, b)[0],
        _lstsq_args,
        [((4, 2), (4,)), ((4, 2), (4, 3)), ((2, 3), (2,))],
        (0, 1),
    ),
    Case(
        "lstsq residuals and s",
        lambda a, b: np.concatenate([np.linalg.lstsq(a, b)[1], np.linalg.lstsq(a, b)[3]]),
        _lstsq_args,
        [((4, 2), (4,)), ((4, 2), (4, 3))],
        (0, 1),
    ),
    Case(
        "linalg.tensorinv",
        lambda a: np.linalg.tensorinv(a.reshape(3, 2, 6), ind=2),
        lambda rng, s: well_conditioned(rng, s),
        [(6, 6)],
    ),
    Case(
        "linalg.tensorsolve",
        lambda a, b: np.linalg.tensorsolve(a.reshape(2, 3, 6), b.reshape(2, 3)),
        lambda rng, spec: well_conditioned(rng, (6, 6)) + (rng.uniform(-2, 2, size=6),),
        [None],
        (0, 1),
    ),
    Case(
        "linalg.multi_dot",
        lambda a, b, c: np.linalg.multi_dot([a, b, c]),
        lambda rng, spec: tuple(rng.uniform(-2, 2, size=s) for s in spec),
        [((3,), (3, 2), (2, 4)), ((2, 3), (3, 2), (2,)), ((3,), (3, 2), (2,))],
        (0, 1, 2),
    ),
    Case("linalg.cond", np.linalg.cond, spaced_singular, [(3, 3), (4, 2), (2, 3, 3)]),
    Case("cond(p=-2)", lambda a: np.linalg.cond(a, -2), spaced_singular, [(3, 3)]),
    Case("cond(p='fro')", lambda a: np.linalg.cond(a, "fro"), well_conditioned, [(3, 3)]),
]


def _norm_case(ord, sampler, specs):
    return Case(f"norm ord={ord}", lambda x: np.linalg.norm(x, ord), sampler, specs)


LINALG_NORMS = [
    _norm_case(2, spaced_singular, [(3, 3), (4, 2)]),
    _norm_case(-2, spaced_singular, [(3, 3), (2, 4)]),
    _norm_case("nuc", spaced_singular, [(3, 3), (4, 2)]),
    _norm_case(1, distinct_sums, [(3, 4)]),
    _norm_case(-1, distinct_sums, [(3, 4)]),
    _norm_case(np.inf, distinct_sums, [(3, 4)]),
    _norm_case(-np.inf, distinct_sums, [(3, 4)]),
    Case(
        "norm ord=2 axis=(2, 0) keepdims",
        lambda x: np.linalg.norm(np.moveaxis(x, 0, 2), 2, axis=(1, 0), keepdims=True),
        spaced_singular,
        [(2, 4, 3)],
    ),
    Case(
        "norm ord=inf axis=(-1, 0)",
        lambda x: np.linalg.norm(np.moveaxis(x, 1, 0), np.inf, axis=(-1, 0)),
        distinct_sums,
        [(3, 4)],
    ),
    Case("norm vector ord=-inf", lambda x: np.linalg.norm(x, -np.inf), distinct(0.3, 2), [(4,)]),
    Case("norm vector ord=-1", lambda x: np.linalg.norm(x, -1), uniform(0.5, 2), [(4,)]),
    Case("linalg.vector_norm", np.linalg.vector_norm, uniform(0.5, 2), [(4,), (2, 3)]),
    Case(
        "vector_norm axis, ord=3",
        lambda x: np.linalg.vector_norm(x, axis=(0, 2), ord=3, keepdims=True),
        uniform(0.5, 2),
        [(2, 3, 2)],
    ),
    Case("linalg.matrix_norm", np.linalg.matrix_norm, uniform(0.5, 2), [(2, 3), (2, 2, 3)]),
    Case(
        "matrix_norm nuc",
        lambda x: np.linalg.matrix_norm(x, ord="nuc"),
        spaced_singular,
        [(2, 3, 2)],
    ),
]

VEC_PAIRS = [((3,), (3,)), ((2, 3), (3,)), ((2, 1, 3), (4, 3))]

LINALG_NUMPY2 = [
    Case(
        "linalg.vecdot",
        lambda x, y: np.linalg.vecdot(x, y),
        pair(uniform(-2, 2), uniform(-2, 2)),
        VEC_PAIRS,
        (0, 1),
    ),
    Case(
        "vecdot axis=0",
        lambda x, y: np.linalg.vecdot(x, y, axis=0),
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((3, 2), (3, 2))],
        (0, 1),
    ),
    Case(
        "linalg.matrix_transpose",
        lambda x: np.linalg.matrix_transpose(x) ** 2,
        uniform(-2, 2),
        [(2, 3), (2, 2, 3)],
    ),
    Case("matrix_transpose", lambda x: np.matrix_transpose(x) ** 2, uniform(-2, 2), [(2, 3)]),
    Case(
        "linalg.outer",
        np.linalg.outer,
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((3,), (2,))],
        (0, 1),
    ),
    Case(
        "linalg.cross",
        np.linalg.cross,
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((3,), (3,)), ((2, 3), (3,))],
        (0, 1),
    ),
    Case(
        "linalg.diagonal",
        lambda x: np.linalg.diagonal(x, offset=1) ** 2,
        uniform(-2, 2),
        [(3, 4), (2, 3, 3)],
    ),
    Case("linalg.trace", lambda x: np.linalg.trace(x) ** 2, uniform(-2, 2), [(3, 3), (2, 3, 4)]),
    Case(
        "linalg.matmul",
        np.linalg.matmul,
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((2, 3), (3, 2)), ((2, 2, 3), (3, 1))],
        (0, 1),
    ),
    Case(
        "linalg.tensordot",
        lambda x, y: np.linalg.tensordot(x, y, axes=1),
        pair(uniform(-2, 2), uniform(-2, 2)),
        [((2, 3), (3, 2))],
        (0, 1),
    ),
]
for _name in ("vecdot", "matvec", "vecmat"):
    _uf = getattr(np, _name, None)
    if isinstance(_uf, np.ufunc):  # NumPy >= 2.2: gufuncs
        specs = {
            "vecdot": VEC_PAIRS,
            "matvec": [((2, 3), (3,)), ((2, 2, 3), (2, 3))],
            "vecmat": [((2,), (2, 3)), ((2, 2), (2, 2, 3))],
        }[_name]
        LINALG_NUMPY2.append(Case(_name, _uf, pair(uniform(-2, 2), uniform(-2, 2)), specs, (0, 1)))

LINALG_CASES = LINALG_DECOMPOSITIONS + LINALG_SOLVES + LINALG_NORMS + LINALG_NUMPY2
