"""Matrix decompositions: cholesky, eigh, eigvalsh, eig, eigvals, svd, svdvals and qr.

Each primitive works on stacks of matrices (any leading axes, as NumPy). A decomposition
with several outputs is one primitive whose value *packs* them along the last axis
(``_pack``); the NumPy-level wrappers in :mod:`gradkit.autodiff.numpy_linalg` take them
apart by indexing, whose rules route each output's cotangent back into the packed one.

The rules are the standard matrix-calculus results (Giles, "An extended collection of
matrix derivative results for forward and reverse mode algorithmic differentiation",
2008; Townsend, "Differentiating the singular value decomposition", 2016), written with
NumPy calls on possibly traced values so that they differentiate again.

Conventions (see the "Supported NumPy functions" notes of docs/guide/autodiff.md):

- ``eigh``, ``eigvalsh`` and ``cholesky`` read one triangle of their input, as NumPy
  does; their derivative is that of NumPy's function: the lower-triangle entry ``(i, j)``
  carries the sum of the symmetric gradient's ``(i, j)`` and ``(j, i)`` entries, the
  other triangle gets zero. A matrix built symmetric (``B @ B.T``, ``(X + X.T) / 2``)
  gets the same gradient as under JAX, which symmetrizes instead.
- Repeated eigenvalues (singular values), ``|w_j - w_i| <= 100 n eps max|w|``: the
  values keep their rules (``eigvalsh``, ``svdvals`` and eig's values are primitives of
  their own, so the NumPy wrappers take the values from them). The vectors of a tie are
  not unique: their reverse rule raises ``LinAlgError`` whenever it runs at a tie (a
  zero cotangent there may be a product with a zero eigenvalue, not an absence), their
  forward rule when the tangent splits the tie. A zero singular value of a non-square
  matrix likewise (below NumPy's rank threshold ``max(m, n) eps s_max``). The checks
  are operations on the values, so gk.jit records them and runs them on every call.
- Eigenvector signs (phases) are NumPy's. The tangent of each eigenvector is orthogonal
  to it (unit norm, no rotation of sign or phase), so functions invariant under
  ``v -> -v`` (``v v^T``, ``abs(v)``, ``v[k] / v[j]``) have gradients that match finite
  differences; a function of one vector's sign has no derivative to give.
- ``full_matrices=True`` with a non-square input (and ``qr`` ``mode='complete'``): the
  extra columns are one arbitrary basis of a complement; their tangent is the one that
  turns them least (``U2^T dU2 = 0``), which is exact for functions of their span.
"""

from __future__ import annotations

import numpy as np

from gradkit.autodiff.errors import JitError
from gradkit.autodiff.primitives import Primitive, peek, shape_of, value_of
from gradkit.autodiff.rules.matrix_calculus import (
    _complex,
    _diag_embed,
    _diagonal,
    _from_triangle,
    _h,
    _hermitian_rule,
    _inverse_gaps,
    _inverse_values,
    _onto_triangle,
    _pack,
    _re,
    _refuse_null,
    _refuse_tied,
    _t,
    _unpack,
)


# cholesky ------------------------------------------------------------------------------
def _phi(x):
    """The strict lower triangle plus half the (real) diagonal: ``L^-1 dL`` from
    ``L^-1 dA L^-H`` (and its own adjoint)."""
    return np.tril(x, -1) + 0.5 * _diag_embed(_re(_diagonal(x)))


def _cholesky(a, upper):
    return np.linalg.cholesky(a, upper=upper)


def _cholesky_jvp(nb, i, t, ans, a, upper):
    low = _h(ans) if upper else ans  # upper=True: U = L^H, read from the upper triangle
    inner = np.linalg.solve(low, _h(np.linalg.solve(low, _from_triangle(t, "UL"[not upper]))))
    d = np.matmul(low, _phi(inner))
    return _h(d) if upper else d


def _cholesky_vjp(g, ans, a, upper):
    low, g = (_h(ans), _h(g)) if upper else (ans, g)
    m = _phi(np.matmul(_h(low), g))
    z = np.linalg.solve(_h(low), m)  # L^-H Phi
    return _onto_triangle(_h(np.linalg.solve(_h(low), _h(z))), "UL"[not upper])  # ... L^-1


cholesky_p = Primitive("cholesky", _cholesky)
cholesky_p.vjps = (_hermitian_rule(_cholesky_vjp),)
cholesky_p.jvp = _cholesky_jvp


# eigh and eigvalsh ---------------------------------------------------------------------
def _eigh(a, uplo):
    w, v = np.linalg.eigh(a, UPLO=uplo)
    return _pack([w, v], [1, 2])


def _eigh_parts(packed, n):
    return _unpack(packed, [(n,), (n, n)])


def _eigh_jvp(nb, i, t, ans, a, uplo):
    n = shape_of(a)[-1]
    w, v = _eigh_parts(ans, n)
    p = np.matmul(_h(v), np.matmul(_from_triangle(t, uplo), v))
    f = _inverse_gaps(_re(w)) * _refuse_tied(_re(w), p, "eigh")
    return _pack([_re(_diagonal(p)), np.matmul(v, f * p)], [1, 2])


def _eigh_vjp(g, ans, a, uplo):
    n = shape_of(a)[-1]
    w, v = _eigh_parts(ans, n)
    gw, gv = _eigh_parts(g, n)
    f = _inverse_gaps(_re(w)) * _refuse_tied(_re(w), None, "eigh")
    inner = _diag_embed(_re(gw)) + f * np.matmul(_h(v), gv)
    return _onto_triangle(np.matmul(v, np.matmul(inner, _h(v))), uplo)


eigh_p = Primitive("eigh", _eigh)
eigh_p.vjps = (_hermitian_rule(_eigh_vjp),)
eigh_p.jvp = _eigh_jvp


def _eigvalsh_jvp(nb, i, t, ans, a, uplo):
    v = np.linalg.eigh(a, UPLO=uplo)[1]
    return _re(_diagonal(np.matmul(_h(v), np.matmul(_from_triangle(t, uplo), v))))


def _eigvalsh_vjp(g, ans, a, uplo):
    v = np.linalg.eigh(a, UPLO=uplo)[1]
    return _onto_triangle(np.matmul(v * _re(g)[..., None, :], _h(v)), uplo)


eigvalsh_p = Primitive("eigvalsh", lambda a, uplo: np.linalg.eigvalsh(a, UPLO=uplo))
eigvalsh_p.vjps = (_hermitian_rule(_eigvalsh_vjp),)
eigvalsh_p.jvp = _eigvalsh_jvp

# eigh's values computed as eigh computes them (bit for bit NumPy's eigh()[0]), apart
# from the vectors so that the vectors' rules run only when the vectors are used
eigh_values_p = Primitive("eigh_values", lambda a, uplo: np.linalg.eigh(a, UPLO=uplo)[0])
eigh_values_p.vjps = eigvalsh_p.vjps
eigh_values_p.jvp = _eigvalsh_jvp


# eig and eigvals (JAX's convention for complex values: no conjugation) ---------------------
def _eig(a):
    w, v = np.linalg.eig(a)
    return _pack([w, v], [1, 2])


def _eig_jvp(nb, i, t, ans, a):
    n = shape_of(a)[-1]
    w, v = _eigh_parts(ans, n)
    p = np.linalg.solve(v, np.matmul(t, v))  # V^-1 dA V
    dv = np.matmul(v, _inverse_gaps(w) * _refuse_tied(w, p, "eig") * p)
    # keep each eigenvector at unit norm, as NumPy returns them
    dv = dv - v * np.real(np.sum(np.conj(v) * dv, axis=-2, keepdims=True))
    return _pack([_diagonal(p), dv], [1, 2])


def _eig_vjp(g, ans, a):
    n = shape_of(a)[-1]
    w, v = _eigh_parts(ans, n)
    gw, gv = _eigh_parts(g, n)
    gv = gv - np.conj(v) * np.real(np.sum(gv * v, axis=-2, keepdims=True))
    f = _inverse_gaps(w) * _refuse_tied(w, None, "eig")
    inner = _diag_embed(gw) + f * np.matmul(_t(v), gv)
    r = np.linalg.solve(_t(v), np.matmul(inner, _t(v)))  # V^-T inner V^T
    return r if np.iscomplexobj(peek(a)) else np.real(r)


eig_p = Primitive("eig", _eig)
eig_p.vjps = (_eig_vjp,)
eig_p.jvp = _eig_jvp


def _eig_matched(a, ans):
    """``eig``'s vectors in the order of ``eigvals``' values ``ans`` (LAPACK may order
    them differently with and without vectors): each value's nearest, one to one."""
    w, v = np.linalg.eig(a)
    n = shape_of(a)[-1]
    order = np.argmin(np.abs(ans[..., :, None] - w[..., None, :]), axis=-1)
    try:
        plain = value_of(order)
    except JitError:  # gk.jit cannot read values: nearest values it is
        plain = None
    if plain is not None and np.any(np.diff(np.sort(plain, axis=-1), axis=-1) == 0):
        dist = np.abs(value_of(ans)[..., :, None] - value_of(w)[..., None, :])
        order = np.empty(dist.shape[:-1], dtype=int)  # ties: pick greedily
        for idx in np.ndindex(dist.shape[:-2]):
            free = list(range(n))
            for i in range(n):
                j = min(free, key=lambda j: dist[idx + (i, j)])
                free.remove(j)
                order[idx + (i,)] = j
    # a permutation matrix (comparisons, which gk.jit records) picks the columns
    picks = order[..., None, :] == np.arange(n)[:, None]
    one = np.ones((), dtype=np.result_type(peek(v)))
    return np.matmul(v, np.where(picks, one, 0 * one))


def _eig_order_vectors(a, ans):
    return np.linalg.eig(a)[1]  # eig's own order: the values came from eig


def _eigvals_rules(vectors):
    def jvp(nb, i, t, ans, a):
        v = vectors(a, ans)
        return _diagonal(np.linalg.solve(v, np.matmul(t, v)))

    def vjp(g, ans, a):
        v = vectors(a, ans)
        r = np.linalg.solve(_t(v), g[..., :, None] * _t(v))  # V^-T diag(g) V^T
        return r if _complex(a) else np.real(r)

    return (vjp,), jvp


eigvals_p = Primitive("eigvals", np.linalg.eigvals)
eigvals_p.vjps, eigvals_p.jvp = _eigvals_rules(_eig_matched)

# eig's values, in eig's order (LAPACK may order eigvals' differently): apart from the
# vectors, so that the vectors' rules run only when the vectors are used.
eig_values_p = Primitive("eig_values", lambda a: np.linalg.eig(a)[0])
eig_values_p.vjps, eig_values_p.jvp = _eigvals_rules(_eig_order_vectors)


# svd and svdvals ------------------------------------------------------------------------
def _svd(a, full_matrices):
    u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
    return _pack([u, s, vh], [2, 1, 2])


def _svd_parts(packed, a, full_matrices):
    m, n = shape_of(a)[-2:]
    k = min(m, n)
    um, vn = (m, n) if full_matrices else (k, k)
    return _unpack(packed, [(m, um), (k,), (vn, n)])


def _svd_jvp(nb, i, t, ans, a, full_matrices):
    m, n = shape_of(a)[-2:]
    k = min(m, n)
    u, s, vh = _svd_parts(ans, a, full_matrices)
    s = _re(s)
    u1, v1 = u[..., :, :k], _h(vh[..., :k, :])
    p = np.matmul(_h(u1), np.matmul(t, v1))  # U^H dA V
    ps = p * s[..., None, :]  # dP S
    sp = s[..., :, None] * p  # S dP
    coupling = np.abs(ps + _h(ps)) + np.abs(sp + _h(sp))
    f = _inverse_gaps(s * s) * _refuse_tied(s * s, coupling, "svd")
    du = np.matmul(u1, f * (ps + _h(ps)))
    dv = np.matmul(v1, f * (sp + _h(sp)))
    sinv = _inverse_values(s, m, n)[..., None, :]
    if _complex(p):  # the phase each pair (u_i, v_i) shares turns with u_i alone
        du = du + u1 * (1j * np.imag(_diagonal(p)))[..., None, :] * sinv
    if m > k:  # (I - U U^H) dA V S^-1
        tv = np.matmul(t, v1)
        outside = tv - np.matmul(u1, np.matmul(_h(u1), tv))
        du = du + outside * sinv * _refuse_null(s, outside, m, n, "svd")
    if n > k:  # (I - V V^H) dA^H U S^-1
        tu = np.matmul(_h(t), u1)
        outside = tu - np.matmul(v1, np.matmul(_h(v1), tu))
        dv = dv + outside * sinv * _refuse_null(s, outside, m, n, "svd")
    if full_matrices and m > k:  # the extra columns turn least: U2^H dU2 = 0
        u2 = u[..., :, k:]
        du = np.concatenate([du, -np.matmul(u1, np.matmul(_h(du), u2))], axis=-1)
    if full_matrices and n > k:
        v2 = _h(vh[..., k:, :])
        dv = np.concatenate([dv, -np.matmul(v1, np.matmul(_h(dv), v2))], axis=-1)
    return _pack([du, _re(_diagonal(p)), _h(dv)], [2, 1, 2])


def _svd_vjp(g, ans, a, full_matrices):
    m, n = shape_of(a)[-2:]
    k = min(m, n)
    u, s, vh = _svd_parts(ans, a, full_matrices)
    gu, gs, gvh = _svd_parts(g, a, full_matrices)
    s = _re(s)
    u1, vh1 = u[..., :, :k], vh[..., :k, :]
    v1, gv = _h(vh1), _h(gvh)
    gu1, gv1 = gu[..., :, :k], gv[..., :, :k]
    if full_matrices and m > k:  # adjoint of dU2 = -U1 dU1^H U2
        u2 = u[..., :, k:]
        gu1 = gu1 - np.matmul(u2, np.matmul(_h(gu[..., :, k:]), u1))
    if full_matrices and n > k:
        v2 = _h(vh[..., k:, :])
        gv1 = gv1 - np.matmul(v2, np.matmul(_h(gv[..., :, k:]), v1))
    f = _inverse_gaps(s * s) * _refuse_tied(s * s, None, "svd")
    ju = np.matmul(_h(u1), gu1)
    jv = np.matmul(_h(v1), gv1)
    sinv = _inverse_values(s, m, n)[..., None, :]
    if m != n:
        sinv = sinv * _refuse_null(s, None, m, n, "svd")
    inner = (
        f * (ju - _h(ju)) * s[..., None, :]
        + _diag_embed(_re(gs))
        + s[..., :, None] * (f * (jv - _h(jv)))
    )
    if _complex(ju):  # adjoint of the phase term of the forward rule
        inner = inner + _diag_embed(1j * np.imag(_diagonal(ju))) * sinv
    r = np.matmul(u1, np.matmul(inner, vh1))
    if m > k:  # (I - U U^H) Ubar S^-1 V^H
        r = r + np.matmul((gu1 - np.matmul(u1, ju)) * sinv, vh1)
    if n > k:  # U S^-1 Vbar^H (I - V V^H)
        r = r + np.matmul(u1 * sinv, _h(gv1 - np.matmul(v1, jv)))
    return r


svd_p = Primitive("svd", _svd)
svd_p.vjps = (_hermitian_rule(_svd_vjp),)
svd_p.jvp = _svd_jvp


def _svdvals_jvp(nb, i, t, ans, a):
    u, _, vh = np.linalg.svd(a, full_matrices=False)
    return _re(_diagonal(np.matmul(_h(u), np.matmul(t, _h(vh)))))


def _svdvals_vjp(g, ans, a):
    u, _, vh = np.linalg.svd(a, full_matrices=False)
    return np.matmul(u * _re(g)[..., None, :], vh)


svdvals_p = Primitive("svdvals", lambda a: np.linalg.svd(a, compute_uv=False))
svdvals_p.vjps = (_hermitian_rule(_svdvals_vjp),)
svdvals_p.jvp = _svdvals_jvp

# svd's values as svd computes them with its vectors (NumPy's svd()[1] bit for bit)
svd_values_p = Primitive("svd_values", lambda a: np.linalg.svd(a, full_matrices=False)[1])
svd_values_p.vjps = svdvals_p.vjps
svd_values_p.jvp = _svdvals_jvp


# qr ------------------------------------------------------------------------------------
def _qr(a, complete):
    q, r = np.linalg.qr(a, mode="complete" if complete else "reduced")
    return _pack([q, r], [2, 2])


def _qr_parts(packed, a, complete):
    m, n = shape_of(a)[-2:]
    k = min(m, n)
    return _unpack(packed, [(m, m if complete else k), (m if complete else k, n)])


def _right_inverse(x, r):
    """``x R^-1`` for an invertible upper-triangular ``R`` (full column rank)."""
    return _t(np.linalg.solve(_t(r), _t(x)))


def _qr_tall_jvp(q, r, t):
    """Tangents of Q and R for ``m >= n`` (reduced): ``Q^H dQ`` skew-Hermitian, ``dR R^-1``
    upper triangular with a real diagonal (LAPACK's R has one)."""
    x = np.matmul(_h(q), _right_inverse(t, r))
    low = np.tril(x, -1)
    upper = x - low + _h(low)  # X - Omega, Omega = L(X) - L(X)^H (+ i Im diag X)
    if _complex(x):
        upper = upper - _diag_embed(1j * np.imag(_diagonal(x)))
    return _right_inverse(t, r) - np.matmul(q, upper), np.matmul(upper, r)


def _qr_tall_vjp(q, r, gq, gr):
    m = np.matmul(r, _h(gr)) - np.matmul(_h(gq), q)
    low = np.tril(m, -1)
    copied = low + _h(low) + _diag_embed(_re(_diagonal(m)))
    return _right_inverse(gq + np.matmul(q, copied), _h(r))  # (...) R^-H


def _qr_jvp(nb, i, t, ans, a, complete):
    m, n = shape_of(a)[-2:]
    k = min(m, n)
    q, r = _qr_parts(ans, a, complete)
    q1, r1 = q[..., :, :k], r[..., :k, :k]
    dq, dr = _qr_tall_jvp(q1, r1, t[..., :, :k])
    if n > k:  # wide: R2 = Q^H Y
        dr2 = np.matmul(_h(dq), a[..., :, k:]) + np.matmul(_h(q1), t[..., :, k:])
        dr = np.concatenate([dr, dr2], axis=-1)
    if complete and m > k:  # Q2 turns least; R's extra rows stay zero
        dq = np.concatenate([dq, -np.matmul(q1, np.matmul(_h(dq), q[..., :, k:]))], axis=-1)
        zeros = np.zeros(shape_of(dr)[:-2] + (m - k, n), dtype=np.result_type(peek(dr)))
        dr = np.concatenate([dr, zeros], axis=-2)
    return _pack([dq, dr], [2, 2])


def _qr_vjp(g, ans, a, complete):
    m, n = shape_of(a)[-2:]
    k = min(m, n)
    q, r = _qr_parts(ans, a, complete)
    gq, gr = _qr_parts(g, a, complete)
    q1, gq1 = q[..., :, :k], gq[..., :, :k]
    if complete and m > k:  # adjoint of dQ2 = -Q1 dQ1^H Q2
        q2 = q[..., :, k:]
        gq1 = gq1 - np.matmul(q2, np.matmul(_h(gq[..., :, k:]), q1))
    if n > k:  # wide: A = [X | Y], R2 = Q^H Y
        y, gr2 = a[..., :, k:], gr[..., :k, k:]
        gx = _qr_tall_vjp(q1, r[..., :k, :k], gq1 + np.matmul(y, _h(gr2)), gr[..., :k, :k])
        return np.concatenate([gx, np.matmul(q1, gr2)], axis=-1)
    return _qr_tall_vjp(q1, r[..., :k, :k], gq1, gr[..., :k, :k])


qr_p = Primitive("qr", _qr)
qr_p.vjps = (_hermitian_rule(_qr_vjp),)
qr_p.jvp = _qr_jvp
