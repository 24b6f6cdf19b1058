"""Matrix decompositions: cholesky, eigh, eigvalsh, eig, eigvals, svd, svdvals and qr.

Each primitive works on stacks of matrices (any leading axes, as NumPy). A decomposition
with several outputs is one primitive whose value *packs* them along the last axis
(``_pack``); the NumPy-level wrappers in :mod:`gradkit.autodiff.numpy_linalg` take them
apart by indexing, whose rules route each output's cotangent back into the packed one.

The rules are the standard matrix-calculus results (Giles, "An extended collection of
matrix derivative results for forward and reverse mode algorithmic differentiation",
2008; Townsend, "Differentiating the singular value decomposition", 2016), written with
NumPy calls on possibly traced values so that they differentiate again.

Conventions (see the README's "Supported NumPy functions" notes):

- ``eigh``, ``eigvalsh`` and ``cholesky`` read one triangle of their input, as NumPy
  does; their derivative is that of NumPy's function: the lower-triangle entry ``(i, j)``
  carries the sum of the symmetric gradient's ``(i, j)`` and ``(j, i)`` entries, the
  other triangle gets zero. A matrix built symmetric (``B @ B.T``, ``(X + X.T) / 2``)
  gets the same gradient as under JAX, which symmetrizes instead.
- Repeated eigenvalues (singular values): the terms ``1 / (w_j - w_i)`` of a tied pair,
  ``|w_j - w_i| <= 100 n eps max|w|``, are taken as 0. That is exact for every function
  that does not depend on which basis of the tied eigenspace is returned (projectors,
  sums over the tie, the matrix itself); for one that does, no derivative exists and
  this is the one of the basis NumPy returned held fixed within the tie.
- Zero singular values (rank deficiency) make ``1 / s`` in the SVD rule 0 below
  ``max(m, n) eps s_max`` (NumPy's rank threshold): the null-space part of ``U`` or ``V``
  has no derivative.
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


def _t(x):
    return np.swapaxes(x, -1, -2)


def _complex(x) -> bool:
    return np.iscomplexobj(peek(x))


def _h(x):
    """The conjugate transpose of a stack of matrices (the transpose for real ones)."""
    return np.conj(_t(x)) if _complex(x) else _t(x)


def _conj(x):
    return np.conj(x) if _complex(x) else x


def _re(x):
    return np.real(x) if _complex(x) else x


def _hermitian_rule(rule):
    """A reverse rule written for the Hermitian pairing ``Re sum(conj(c) v)`` of the
    matrix-calculus literature, as a rule for the engine's (JAX's) bilinear pairing
    ``Re sum(c v)``: conjugate the cotangent on the way in and the result on the way out
    (nothing to do for real values)."""

    def vjp(g, ans, *args, **kw):
        return _conj(rule(_conj(g), ans, *args, **kw))

    vjp.__name__ = rule.__name__
    return vjp


def _diagonal(x):
    return np.diagonal(x, 0, -2, -1)


def _diag_embed(v):
    """A stack of diagonal matrices from a stack of vectors."""
    return v[..., :, None] * np.eye(shape_of(v)[-1], dtype=np.result_type(peek(v)))


def _pack(parts, cores):
    """Flatten each part's ``cores`` trailing axes and join them along the last axis."""
    flat = []
    for p, c in zip(parts, cores):
        shp = shape_of(p)
        lead, core = shp[: len(shp) - c], shp[len(shp) - c :]
        flat.append(np.reshape(p, lead + (int(np.prod(core)),)))
    return np.concatenate(flat, axis=-1)


def _unpack(packed, core_shapes):
    """The parts :func:`_pack` joined, given each one's trailing shape."""
    lead = shape_of(packed)[:-1]
    out, start = [], 0
    for core in core_shapes:
        size = int(np.prod(core))
        out.append(np.reshape(packed[..., start : start + size], lead + tuple(core)))
        start += size
    return out


def _inverse_gaps(x):
    """``F[..., i, j] = 1 / (x_j - x_i)`` off the diagonal, 0 on it and for tied pairs
    (``|x_j - x_i| <= 100 n eps max|x|``); both ``where`` branches stay finite."""
    n = shape_of(x)[-1]
    d = x[..., None, :] - x[..., :, None]
    eps = np.finfo(np.result_type(peek(x))).eps
    scale = np.max(np.abs(x), axis=-1, keepdims=True)[..., None]
    apart = np.abs(d) > (100.0 * max(n, 1) * eps) * scale
    return np.where(apart, 1.0 / np.where(apart, d, 1.0), 0.0)


def _refuse_tied(x, coupling, who: str) -> None:
    """Raise if ``x`` has a tied pair ``x_i == x_j`` and ``coupling[..., i, j]`` is not 0
    (``coupling=None``: at any tie). The vectors of a repeated eigenvalue (singular
    value) have no derivative; forward mode refuses a tangent that splits the tie
    (``coupling`` is its ``V^T dA V``), reverse mode any use of the vectors, since a zero
    cotangent there may be a product with a zero eigenvalue, not an absence. (Not
    checked under gk.jit, which cannot read values: there the tied pairs' terms are 0.)"""
    try:
        x = value_of(x)
        coupling = None if coupling is None else value_of(coupling)
    except JitError:
        return
    n = x.shape[-1]
    eps = np.finfo(np.result_type(x)).eps
    gaps = np.abs(x[..., None, :] - x[..., :, None])
    tied = gaps <= 100.0 * n * eps * np.max(np.abs(x), axis=-1, keepdims=True)[..., None]
    tied &= ~np.eye(n, dtype=bool)
    if not tied.any():
        return
    if coupling is None:
        coupled = True
    else:
        size = np.abs(coupling)
        coupled = np.any(tied & (size > np.sqrt(eps) * max(float(np.max(size)), 1e-300)))
    if coupled:
        raise np.linalg.LinAlgError(
            f"{who}: the matrix has a repeated {'singular value' if 'svd' in who else 'eigenvalue'}"
            ", and the derivative asked for depends on the vectors that belong to it, which "
            "are not unique and have no derivative there. Differentiate a function of the "
            "values alone (np.linalg.eigvalsh / svdvals), or move off the tie (e.g. add a "
            "tiny distinct diagonal); see the README's linear-algebra notes"
        )


def _refuse_null(s, columns, rows: int, cols: int, who: str) -> None:
    """Raise if a non-square matrix has a zero singular value and that value's column of
    ``columns`` is not 0 (``None``: in any case): the singular vectors of its null space
    are not unique and have no derivative (not checked under jit)."""
    try:
        s = value_of(s)
        columns = None if columns is None else value_of(columns)
    except JitError:
        return
    eps = np.finfo(np.result_type(s)).eps
    small = s <= max(rows, cols) * eps * np.max(s, axis=-1, keepdims=True)
    if not small.any():
        return
    if columns is None:
        coupled = True
    else:
        size = np.max(np.abs(columns), axis=-2)
        coupled = np.any(small & (size > np.sqrt(eps) * max(float(np.max(size)), 1e-300)))
    if coupled:
        raise np.linalg.LinAlgError(
            f"{who}: the matrix is rank deficient and the derivative asked for depends on "
            "the singular vectors of its zero singular values, which are not unique and "
            "have no derivative there. Use full_matrices=False with functions of the "
            "leading vectors only, or np.linalg.pinv / lstsq, whose rules hold at fixed rank"
        )


def _inverse_values(s, rows: int, cols: int):
    """``1 / s`` for singular values above NumPy's rank threshold, 0 below it."""
    eps = np.finfo(np.result_type(peek(s))).eps
    big = s > (max(rows, cols) * eps) * np.max(s, axis=-1, keepdims=True)
    return np.where(big, 1.0 / np.where(big, s, 1.0), 0.0)


def _from_triangle(t, uplo: str):
    """The symmetric (Hermitian) matrix LAPACK reads from one triangle of ``t``: the
    strict triangle, its (conjugate) transpose and the real part of the diagonal."""
    part = np.triu(t, 1) if uplo.upper() == "U" else np.tril(t, -1)
    return part + _h(part) + _diag_embed(_re(_diagonal(t)))


def _onto_triangle(g, uplo: str):
    """The adjoint of :func:`_from_triangle` for the Hermitian pairing: a gradient with
    respect to the symmetric (Hermitian) matrix, on the triangle the input was read from."""
    if uplo.upper() == "U":
        off = np.triu(g, 1) + np.triu(_h(g), 1)
    else:
        off = np.tril(g, -1) + np.tril(_h(g), -1)
    return off + _diag_embed(_re(_diagonal(g)))


# cholesky ------------------------------------------------------------------------------
def _phi(x):
    """The strict lower triangle plus half the (real) diagonal: ``L^-1 dL`` from
    ``L^-1 dA L^-H`` (and its own adjoint)."""
    return np.tril(x, -1) + 0.5 * _diag_embed(_re(_diagonal(x)))


def _cholesky_jvp(nb, i, t, ans, a):
    inner = np.linalg.solve(ans, _h(np.linalg.solve(ans, _from_triangle(t, "L"))))
    return np.matmul(ans, _phi(inner))


def _cholesky_vjp(g, ans, a):
    m = _phi(np.matmul(_h(ans), g))
    z = np.linalg.solve(_h(ans), m)  # L^-H Phi
    return _onto_triangle(_h(np.linalg.solve(_h(ans), _h(z))), "L")  # ... L^-1


cholesky_p = Primitive("cholesky", np.linalg.cholesky)
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
    _refuse_tied(w, p, "eigh")
    return _pack([_re(_diagonal(p)), np.matmul(v, _inverse_gaps(_re(w)) * p)], [1, 2])


def _eigh_vjp(g, ans, a, uplo):
    n = shape_of(a)[-1]
    w, v = _eigh_parts(ans, n)
    gw, gv = _eigh_parts(g, n)
    _refuse_tied(w, None, "eigh")
    x = np.matmul(_h(v), gv)
    inner = _diag_embed(_re(gw)) + _inverse_gaps(_re(w)) * x
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


# eig and eigvals (JAX's convention for complex values: no conjugation) ---------------------
def _eig(a):
    w, v = np.linalg.eig(a)
    return _pack([w, v], [1, 2])


def _eig_jvp(nb, i, t, ans, a):
    n = shape_of(a)[-1]
    w, v = _eigh_parts(ans, n)
    p = np.linalg.solve(v, np.matmul(t, v))  # V^-1 dA V
    _refuse_tied(w, p, "eig")
    dv = np.matmul(v, _inverse_gaps(w) * p)
    # keep each eigenvector at unit norm, as NumPy returns them
    dv = dv - v * np.real(np.sum(np.conj(v) * dv, axis=-2, keepdims=True))
    return _pack([_diagonal(p), dv], [1, 2])


def _eig_vjp(g, ans, a):
    n = shape_of(a)[-1]
    w, v = _eigh_parts(ans, n)
    gw, gv = _eigh_parts(g, n)
    gv = gv - np.conj(v) * np.real(np.sum(gv * v, axis=-2, keepdims=True))
    _refuse_tied(w, None, "eig")
    x = np.matmul(_t(v), gv)
    inner = _diag_embed(gw) + _inverse_gaps(w) * x
    r = np.linalg.solve(_t(v), np.matmul(inner, _t(v)))  # V^-T inner V^T
    return r if np.iscomplexobj(peek(a)) else np.real(r)


eig_p = Primitive("eig", _eig)
eig_p.vjps = (_eig_vjp,)
eig_p.jvp = _eig_jvp


def _eig_matched(a, ans):
    """``eig``'s vectors in the order of ``eigvals``' values ``ans`` (LAPACK may order
    them differently with and without vectors): each value's nearest, one to one."""
    w, v = np.linalg.eig(a)
    order = np.argmin(np.abs(ans[..., :, None] - w[..., None, :]), axis=-1)
    plain = value_of(order)
    if np.any(np.diff(np.sort(plain, axis=-1), axis=-1) == 0):  # ties: pick greedily
        dist = np.abs(value_of(ans)[..., :, None] - value_of(w)[..., None, :])
        plain = np.empty(dist.shape[:-1], dtype=int)
        for idx in np.ndindex(dist.shape[:-2]):
            free = list(range(dist.shape[-1]))
            for i in range(dist.shape[-1]):
                j = min(free, key=lambda j: dist[idx + (i, j)])
                free.remove(j)
                plain[idx + (i,)] = j
        order = plain
    return np.take_along_axis(v, order[..., None, :], axis=-1)


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
    f = _inverse_gaps(s * s)
    ps = p * s[..., None, :]  # dP S
    sp = s[..., :, None] * p  # S dP
    _refuse_tied(s * s, np.abs(ps + _h(ps)) + np.abs(sp + _h(sp)), "svd")
    du = np.matmul(u1, f * (ps + _h(ps)))
    dv = np.matmul(v1, f * (sp + _h(sp)))
    sinv = _inverse_values(s, m, n)[..., None, :]
    if _complex(p):  # the phase each pair (u_i, v_i) shares turns with u_i alone
        du = du + u1 * (1j * np.imag(_diagonal(p)))[..., None, :] * sinv
    if m > k:  # (I - U U^H) dA V S^-1
        tv = np.matmul(t, v1)
        outside = tv - np.matmul(u1, np.matmul(_h(u1), tv))
        _refuse_null(s, outside, m, n, "svd")
        du = du + outside * sinv
    if n > k:  # (I - V V^H) dA^H U S^-1
        tu = np.matmul(_h(t), u1)
        outside = tu - np.matmul(v1, np.matmul(_h(v1), tu))
        _refuse_null(s, outside, m, n, "svd")
        dv = dv + outside * sinv
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
    if m != n:
        _refuse_null(s, None, m, n, "svd")
    _refuse_tied(s * s, None, "svd")
    f = _inverse_gaps(s * s)
    ju = np.matmul(_h(u1), gu1)
    jv = np.matmul(_h(v1), gv1)
    sinv = _inverse_values(s, m, n)[..., None, :]
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
