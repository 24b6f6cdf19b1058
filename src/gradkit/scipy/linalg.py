"""``scipy.linalg`` functions, written for gradkit: ``gk.scipy.linalg.expm``...

Values are SciPy's own (each primitive calls the SciPy function); derivatives are the
matrix-calculus closed forms, written with these same primitives so that they are
differentiable again:

- ``solve_triangular``: ``x = op(A)^-1 b``; the cotangent of ``A`` lies in its triangle
  (its diagonal is excluded with ``unit_diagonal=True``), the other triangle is ignored
  as SciPy ignores it;
- ``expm``: the Frechet derivative ``L(A, E) = expm([[A, E], [0, A]])[:n, n:]`` (Higham),
  reverse mode ``L(A^T, G)``; batched over leading axes as SciPy's ``expm``;
- ``solve_sylvester`` (``AX + XB = Q``) and ``sqrtm`` (``X dX + dX X = dA``): a Sylvester
  equation for the derivative; ``sqrtm`` of a matrix whose square root is not real
  raises an error;
- ``cho_factor``: the Cholesky factor's derivative (Murray 2016). SciPy reads one
  triangle of ``a`` (``lower`` or upper) and so does the derivative: the gradient lies in
  that triangle, each off-diagonal entry standing for itself and its mirror image;
  ``cho_solve`` solves with the factor's triangle;
- ``lu_factor``: the packed LU's derivative for a square nonsingular matrix (the pivots
  are constants); ``lu_solve`` applies the pivots and two triangular solves;
- ``solve_banded``: the rules solve with the transposed band.

Needs SciPy (``pip install 'gradkit[scipy]'``).
"""

from __future__ import annotations

import numpy as np

from gradkit.autodiff.primitives import Primitive, peek, value_of
from gradkit.scipy._arrays import arrays
from gradkit.scipy._require import scipy_module

_linalg = scipy_module("scipy.linalg", "gk.scipy.linalg")

__all__ = [
    "solve_triangular", "expm", "solve_sylvester", "sqrtm", "cho_factor", "cho_solve",
    "lu_factor", "lu_solve", "solve_banded",
]  # fmt: skip


def _T(x):
    return np.swapaxes(x, -1, -2)


def _columns(solve, rhs, nb: int, core: int):
    """Apply ``solve`` (for right-hand sides of ``core`` dims) to a tangent with ``nb``
    leading batch axes: the batch becomes extra columns."""
    if nb == 0:
        return solve(rhs)
    shape = np.shape(peek(rhs))
    moved = np.moveaxis(rhs, tuple(range(nb)), tuple(range(-nb, 0)))
    flat = np.reshape(moved, (shape[nb], -1))
    out = np.reshape(solve(flat), shape[nb : nb + core] + shape[:nb])
    return np.moveaxis(out, tuple(range(-nb, 0)), tuple(range(nb)))


# solve_triangular -------------------------------------------------------------------
def _tri(a, b, trans, lower, unit):
    return _linalg.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit)


def _mask(x, lower, unit):
    k = (-1 if lower else 1) if unit else 0
    return np.tril(x, k) if lower else np.triu(x, k)


def _outer(u, v):
    return np.multiply.outer(u, v) if np.ndim(peek(u)) == 1 else u @ _T(v)


def _tri_vjp(i, g, ans, a, b, trans, lower, unit):
    gb = tri_solve(a, g, trans=1 - trans, lower=lower, unit=unit)
    if i == 1:
        return gb
    ga = -_outer(gb, ans)
    return _mask(ga if trans == 0 else _T(ga), lower, unit)


def _tri_jvp(nb, i, t, ans, a, b, trans, lower, unit):
    core = np.ndim(peek(b))
    if i == 0:
        da = _mask(t, lower, unit)
        t = -((da if trans == 0 else _T(da)) @ ans)
    return _columns(lambda r: tri_solve(a, r, trans=trans, lower=lower, unit=unit), t, nb, core)


tri_solve = Primitive("scipy.linalg.solve_triangular", _tri, register=False)
tri_solve.vjp_any = _tri_vjp
tri_solve.jvp = _tri_jvp

_TRANS = {0: 0, "N": 0, 1: 1, "T": 1, 2: 1, "C": 1}


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                     check_finite=True):  # fmt: skip
    """Solve ``op(a) x = b`` for triangular ``a``, as ``scipy.linalg.solve_triangular``.

    ``trans`` is 0/'N' (``a``), 1/'T' or 2/'C' (``a``'s transpose; the values are real).
    Differentiable in ``a`` (its triangle) and ``b``.

    >>> import numpy as np
    >>> import gradkit as gk
    >>> a = np.array([[2.0, 0.0], [1.0, 1.0]])
    >>> gk.scipy.linalg.solve_triangular(a, np.array([2.0, 3.0]), lower=True)
    array([1., 2.])
    """
    a, b = arrays(a, b)
    if trans not in _TRANS:
        raise ValueError(f"solve_triangular: trans must be 0, 1, 2, 'N', 'T' or 'C', got {trans!r}")
    if np.ndim(peek(a)) != 2:
        raise ValueError("solve_triangular: a must be a 2-d square matrix")
    return tri_solve(a, b, trans=_TRANS[trans], lower=bool(lower), unit=bool(unit_diagonal))


# expm -------------------------------------------------------------------------------
def _frechet(a, e):
    """``L(a, e)``: the derivative of expm at ``a`` in the direction ``e``."""
    a = np.broadcast_to(a, np.shape(peek(e)))
    n = np.shape(peek(a))[-1]
    zeros = np.zeros(np.shape(peek(a)))
    block = np.concatenate(
        [np.concatenate([a, e], axis=-1), np.concatenate([zeros, a], axis=-1)], axis=-2
    )
    return expm_p(block)[..., :n, n:]


expm_p = Primitive("scipy.linalg.expm", _linalg.expm, register=False)
expm_p.vjps = (lambda g, ans, a: _frechet(_T(a), g),)
expm_p.jvp = lambda nb, i, t, ans, a: _frechet(a, t)


def expm(A):
    """The matrix exponential, as ``scipy.linalg.expm`` (batched over leading axes).

    >>> import numpy as np
    >>> import gradkit as gk
    >>> gk.scipy.linalg.expm(np.array([[0.0, 1.0], [0.0, 0.0]]))
    array([[1., 1.],
           [0., 1.]])
    >>> gk.grad(lambda a: gk.scipy.linalg.expm(a)[0, 0])(np.zeros((2, 2)))
    array([[1., 0.],
           [0., 0.]])
    """
    A = arrays(A)
    shape = np.shape(peek(A))
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ValueError(f"expm: expected a square matrix (or a stack of them), got {shape}")
    return expm_p(A)


# solve_sylvester and sqrtm ------------------------------------------------------------
def _sylvester_vjp(i, g, ans, a, b, q):
    lam = sylvester_p(_T(a), _T(b), g)
    return -(lam @ _T(ans)) if i == 0 else -(_T(ans) @ lam) if i == 1 else lam


def _sylvester_jvp(nb, i, t, ans, a, b, q):
    rhs = -(t @ ans) if i == 0 else -(ans @ t) if i == 1 else t
    return _sylvester_batched(a, b, rhs, nb)


def _sylvester_batched(a, b, rhs, nb):
    if nb == 0:
        return sylvester_p(a, b, rhs)
    return np.stack([_sylvester_batched(a, b, r, nb - 1) for r in rhs])


sylvester_p = Primitive("scipy.linalg.solve_sylvester", _linalg.solve_sylvester, register=False)
sylvester_p.vjp_any = _sylvester_vjp
sylvester_p.jvp = _sylvester_jvp


def solve_sylvester(a, b, q):
    """The ``x`` with ``a x + x b = q``, as ``scipy.linalg.solve_sylvester``.

    >>> import numpy as np
    >>> import gradkit as gk
    >>> gk.scipy.linalg.solve_sylvester(np.eye(2), np.eye(2), 4 * np.eye(2))
    array([[2., 0.],
           [0., 2.]])
    """
    return sylvester_p(*arrays(a, b, q))


def _sqrtm(a):
    x = _linalg.sqrtm(a)
    if np.iscomplexobj(x):
        if np.allclose(x.imag, 0.0, atol=1e-12 * max(1.0, np.abs(x).max())):
            return x.real
        raise ValueError(
            "gk.scipy.linalg.sqrtm: this matrix has no real square root (it has negative "
            "real eigenvalues); gradkit differentiates real square roots only"
        )
    return x


sqrtm_p = Primitive("scipy.linalg.sqrtm", _sqrtm, register=False)
sqrtm_p.vjps = (lambda g, ans, a: sylvester_p(_T(ans), _T(ans), g),)
sqrtm_p.jvp = lambda nb, i, t, ans, a: _sylvester_batched(ans, ans, t, nb)


def sqrtm(A, disp=True, blocksize=64):
    """The principal square root of a matrix, as ``scipy.linalg.sqrtm`` (real roots).

    >>> import numpy as np
    >>> import gradkit as gk
    >>> gk.scipy.linalg.sqrtm(np.array([[4.0, 0.0], [0.0, 9.0]]))
    array([[2., 0.],
           [0., 3.]])
    """
    return sqrtm_p(arrays(A))


# Cholesky -----------------------------------------------------------------------------
def _phi(x):
    return np.tril(x) - 0.5 * np.eye(np.shape(peek(x))[-1]) * x


def _from_lower(x):
    """The symmetric matrix SciPy's Cholesky reads from ``x``'s lower triangle."""
    return np.tril(x) + _T(np.tril(x, -1))


def _chol_vjp(g, ans, a):
    p = _phi(_T(ans) @ g)
    inner = tri_solve(ans, _T(p), trans=1, lower=True, unit=False)  # L^-T P^T
    s = tri_solve(ans, _T(inner), trans=1, lower=True, unit=False)  # L^-T P L^-1
    sym = 0.5 * (s + _T(s))
    return 2.0 * np.tril(sym) - np.eye(np.shape(peek(sym))[-1]) * sym  # onto the triangle


def _chol_jvp(nb, i, t, ans, a):
    def left(r):  # L^-1 r
        return tri_solve(ans, r, trans=0, lower=True, unit=False)

    x = _columns(left, _from_lower(t), nb, 2)
    x = _T(_columns(left, _T(x), nb, 2))  # L^-1 dA L^-T
    return ans @ _phi(x)


def _cholesky(a):
    return _linalg.cholesky(a, lower=True)


chol_p = Primitive("scipy.linalg.cholesky", _cholesky, register=False)
chol_p.vjps = (_chol_vjp,)
chol_p.jvp = _chol_jvp


def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    """The Cholesky factor of a symmetric positive definite ``a``, as
    ``scipy.linalg.cho_factor``: ``(c, lower)``, the factor in ``c``'s ``lower`` (or
    upper) triangle and, as in SciPy, ``a``'s entries in the other one.

    >>> import numpy as np
    >>> import gradkit as gk
    >>> c, low = gk.scipy.linalg.cho_factor(np.array([[4.0, 2.0], [2.0, 5.0]]))
    >>> np.triu(c)
    array([[2., 1.],
           [0., 2.]])
    """
    a = arrays(a)
    if lower:
        return chol_p(a) + np.triu(a, 1), True
    return _T(chol_p(_T(a))) + np.tril(a, -1), False  # SciPy reads the upper triangle


def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    """Solve ``a x = b`` from ``cho_factor(a)``, as ``scipy.linalg.cho_solve``.

    >>> import numpy as np
    >>> import gradkit as gk
    >>> a = np.array([[4.0, 2.0], [2.0, 5.0]])
    >>> gk.scipy.linalg.cho_solve(gk.scipy.linalg.cho_factor(a), a @ np.array([1.0, -1.0]))
    array([ 1., -1.])
    """
    c, lower = c_and_lower
    c, b = arrays(c, b)
    if lower:
        y = tri_solve(c, b, trans=0, lower=True, unit=False)
        return tri_solve(c, y, trans=1, lower=True, unit=False)
    y = tri_solve(c, b, trans=1, lower=False, unit=False)
    return tri_solve(c, y, trans=0, lower=False, unit=False)


# LU -----------------------------------------------------------------------------------
def _lu(a):
    return _linalg.lu_factor(a)[0]


def _unit_lower(lu):
    return np.tril(lu, -1) + np.eye(np.shape(peek(lu))[-1])


def _lu_vjp(g, ans, a, perm):
    l_, u = _unit_lower(ans), np.triu(ans)
    m = np.tril(_T(l_) @ np.tril(g, -1), -1) + np.triu(np.triu(g) @ _T(u))
    x = _T(tri_solve(ans, _T(m), trans=0, lower=False, unit=False))  # M U^-T
    x = tri_solve(ans, x, trans=1, lower=True, unit=True)  # L^-T M U^-T
    return x[np.argsort(perm)]


def _lu_jvp(nb, i, t, ans, a, perm):
    def left(r):
        return tri_solve(ans, r, trans=0, lower=True, unit=True)

    def right(r):  # r U^-1, through (U^-T r^T)^T
        return tri_solve(ans, r, trans=1, lower=False, unit=False)

    f = _columns(left, t[..., perm, :], nb, 2)
    f = _T(_columns(right, _T(f), nb, 2))
    return _unit_lower(ans) @ np.tril(f, -1) + np.triu(f) @ np.triu(ans)


lu_p = Primitive("scipy.linalg.lu_factor", lambda a, perm: _lu(a), register=False)
lu_p.vjps = (_lu_vjp, None)
lu_p.jvp = _lu_jvp


def _permutation(piv) -> np.ndarray:
    perm = np.arange(len(piv))
    for i, p in enumerate(piv):
        perm[i], perm[p] = perm[p], perm[i]
    return perm


def lu_factor(a, overwrite_a=False, check_finite=True):
    """The pivoted LU decomposition of a square matrix, as ``scipy.linalg.lu_factor``:
    ``(lu, piv)``. Differentiable in ``a`` (the pivots are integers).

    >>> import numpy as np
    >>> import gradkit as gk
    >>> lu, piv = gk.scipy.linalg.lu_factor(np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> piv
    array([1, 1], dtype=int32)
    """
    a = arrays(a)
    shape = np.shape(peek(a))
    if len(shape) != 2 or shape[0] != shape[1]:
        raise ValueError(f"gk.scipy.linalg.lu_factor: expected a square matrix, got {shape}")
    piv = _linalg.lu_factor(value_of(a))[1]
    return lu_p(a, _permutation(piv)), piv


def lu_solve(lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    """Solve ``a x = b`` (``trans=1``: ``a^T x = b``) from ``lu_factor(a)``, as
    ``scipy.linalg.lu_solve``.

    >>> import numpy as np
    >>> import gradkit as gk
    >>> a = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> gk.scipy.linalg.lu_solve(gk.scipy.linalg.lu_factor(a), a @ np.array([1.0, 2.0]))
    array([1., 2.])
    """
    lu, piv = lu_and_piv
    lu, b = arrays(lu, b)
    perm = _permutation(piv)
    if _TRANS.get(trans) is None:
        raise ValueError(f"lu_solve: trans must be 0, 1 or 2, got {trans!r}")
    if _TRANS[trans] == 0:
        y = tri_solve(lu, b[perm], trans=0, lower=True, unit=True)
        return tri_solve(lu, y, trans=0, lower=False, unit=False)
    z = tri_solve(lu, b, trans=1, lower=False, unit=False)
    w = tri_solve(lu, z, trans=1, lower=True, unit=True)
    return w[np.argsort(perm)]


# solve_banded -------------------------------------------------------------------------
def _banded(ab, b, l, u):  # noqa: E741
    return _linalg.solve_banded((l, u), ab, b)


def _shift(x, start, n, axis):
    """``x``, padded with zeros along ``axis``, taken from ``start`` for ``n`` entries:
    entry ``j`` of the result is ``x[j + start]`` (0 outside ``x``)."""
    size = np.shape(peek(x))[axis]
    pad = [(0, 0)] * np.ndim(peek(x))
    pad[axis] = (max(-start, 0), max(start + n - size, 0))
    padded = np.pad(x, pad) if any(pad[axis]) else x
    index = [slice(None)] * len(pad)
    index[axis] = slice(max(start, 0), max(start, 0) + n)
    return padded[tuple(index)]


def _band_transpose(ab, l, u):  # noqa: E741
    """The band storage of ``A^T`` (``u`` sub-, ``l`` superdiagonals) from ``A``'s."""
    n = np.shape(peek(ab))[-1]
    return np.stack([_shift(ab[l + u - k], k - l, n, -1) for k in range(l + u + 1)])


def _banded_vjp(i, g, ans, ab, b, l, u):  # noqa: E741
    lam = banded_p(_band_transpose(ab, l, u), g, u, l)
    if i == 1:
        return lam
    n = np.shape(peek(ab))[-1]
    rows = []
    for r in range(l + u + 1):  # entry (r, j) of ab is A[j + r - u, j]
        term = -_shift(lam, r - u, n, 0) * ans
        rows.append(term if np.ndim(peek(ans)) == 1 else np.sum(term, axis=-1))
    return np.stack(rows)


def _banded_jvp(nb, i, t, ans, ab, b, l, u):  # noqa: E741
    core = np.ndim(peek(b))
    if i == 0:  # -dA x, from the band of dA
        n = np.shape(peek(ab))[-1]
        x = ans
        product = 0.0
        for r in range(l + u + 1):
            row = t[..., r, :]
            y = row * x if core == 1 else row[..., None] * x
            product = product + _shift(y, u - r, n, nb)
        t = -product
    return _columns(lambda rhs: banded_p(ab, rhs, l, u), t, nb, core)


banded_p = Primitive("scipy.linalg.solve_banded", _banded, register=False)
banded_p.vjp_any = _banded_vjp
banded_p.jvp = _banded_jvp


def solve_banded(l_and_u, ab, b, overwrite_ab=False, overwrite_b=False, check_finite=True):
    """Solve ``a x = b`` for a banded ``a`` in band storage, as
    ``scipy.linalg.solve_banded`` (``ab[u + i - j, j] == a[i, j]``).

    Differentiable in ``ab`` (the entries of the band) and ``b``.

    >>> import numpy as np
    >>> import gradkit as gk
    >>> ab = np.array([[0.0, 1.0, 1.0], [2.0, 2.0, 2.0], [1.0, 1.0, 0.0]])  # tridiagonal
    >>> gk.scipy.linalg.solve_banded((1, 1), ab, np.array([3.0, 4.0, 3.0]))
    array([1., 1., 1.])
    """
    l, u = (int(k) for k in l_and_u)  # noqa: E741
    ab, b = arrays(ab, b)
    if np.shape(peek(ab))[0] != l + u + 1:
        raise ValueError(
            f"solve_banded: ab has {np.shape(peek(ab))[0]} rows, but (l, u) = ({l}, {u}) needs "
            f"l + u + 1 = {l + u + 1}"
        )
    return banded_p(ab, b, l, u)
