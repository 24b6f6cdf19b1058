"""``np.linalg`` on traced values: decompositions, solves, matrix norms, NumPy 2's names.

The decompositions are the primitives of :mod:`gradkit.autodiff.rules.decompositions`
(one packed value each, taken apart here by indexing); ``solve`` and ``pinv`` are
primitives of :mod:`gradkit.autodiff.rules.linalg`; the rest is composed from those and
the engine's other functions. ``np.linalg.norm`` is registered here again (over
``numpy_api``'s vector norms) to add the matrix orders 2, -2, 'nuc', 1, -1, inf, -inf.
Stacks of matrices work wherever NumPy takes them. Conventions for repeated eigenvalues,
eigenvector signs and rank deficiency are in the rules module's docstring and the engine
guide (docs/guide/autodiff.md).

Importing :mod:`gradkit.autodiff.numpy_api` registers everything here.

>>> import numpy as np
>>> import gradkit as gk
>>> a = np.array([[2.0, 1.0], [1.0, 3.0]])
>>> g = gk.grad(lambda a: np.sum(np.linalg.eigvalsh(a)))(a)  # the trace: I
>>> np.allclose(g, np.eye(2))
True
>>> u, s, vh = np.linalg.svd(a)
>>> g = gk.grad(lambda a: np.linalg.norm(a, 2))(a)  # d s_max = u1 v1^T
>>> np.allclose(g, np.outer(u[:, 0], vh[0]))
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradkit.autodiff.errors import NoRuleError
from gradkit.autodiff.numpy_api import (
    UFUNCS,
    _constant,
    _one_axis,
    amax,
    amin,
    implements,
    matmul,
    moveaxis,
    norm_axis,
    reshape,
    sum_,
    swapaxes,
    tensordot,
    trace,
    transpose,
)
from gradkit.autodiff.numpy_api import norm as _vector_norms
from gradkit.autodiff.numpy_extras import cross as _cross
from gradkit.autodiff.numpy_extras import inv
from gradkit.autodiff.primitives import (
    apply_constant,
    ndim_of,
    peek,
    shape_of,
    value_for,
    value_of,
)
from gradkit.autodiff.rules import decompositions as dec
from gradkit.autodiff.rules import linalg

__all__: list[str] = []  # reached through NumPy itself, with NumPy's signatures

_L = np.linalg._linalg  # NumPy's result types (named tuples)


def _matrices(a: Any, name: str, square: bool = True) -> tuple:
    shp = shape_of(a)
    if len(shp) < 2 or (square and shp[-1] != shp[-2]):
        kind = "square matrices" if square else "matrices"
        raise np.linalg.LinAlgError(
            f"np.linalg.{name}: expected (a stack of) {kind}, got shape {shp}"
        )
    return shp[-2:]


def _uplo(uplo: str, name: str) -> str:
    if uplo not in ("L", "U", "l", "u"):
        raise ValueError(f"np.linalg.{name}: UPLO must be 'L' or 'U', got {uplo!r}")
    return uplo.upper()


# decompositions ----------------------------------------------------------------------------
@implements(np.linalg.cholesky)
def cholesky(a, /, *, upper=False):
    _matrices(a, "cholesky")
    return dec.cholesky_p(a, upper=bool(upper))


@implements(np.linalg.eigh)
def eigh(a, UPLO="L"):  # noqa: N803 - NumPy's name
    n = _matrices(a, "eigh")[0]
    uplo = _uplo(UPLO, "eigh")
    # The values from their own primitive, so that the vectors' rules run only when the
    # vectors are used (they refuse a repeated eigenvalue, the values' rules do not).
    v = dec._eigh_parts(dec.eigh_p(a, uplo=uplo), n)[1]
    return _L.EighResult(dec.eigh_values_p(a, uplo=uplo), v)


@implements(np.linalg.eigvalsh)
def eigvalsh(a, UPLO="L"):  # noqa: N803
    _matrices(a, "eigvalsh")
    return dec.eigvalsh_p(a, uplo=_uplo(UPLO, "eigvalsh"))


@implements(np.linalg.eig)
def eig(a):
    n = _matrices(a, "eig")[0]
    v = dec._eigh_parts(dec.eig_p(a), n)[1]
    return _L.EigResult(dec.eig_values_p(a), v)  # the values apart, as eigh's


@implements(np.linalg.eigvals)
def eigvals(a):
    _matrices(a, "eigvals")
    return dec.eigvals_p(a)


def _take_last(x, order, matrix: bool):
    idx = order[..., None, :] if matrix else order
    return np.take_along_axis(x, idx, axis=-1)


def _by_decreasing_magnitude(w: Any) -> Any:
    """The order of ``w``'s entries along the last axis by decreasing ``|w|``."""
    return np.flip(np.argsort(np.abs(w), axis=-1), axis=-1)


def _hermitian_svd(a, compute_uv: bool):
    """NumPy's ``svd(hermitian=True)``: from eigh, by decreasing |eigenvalue|."""
    if not compute_uv:
        return np.flip(np.sort(np.abs(eigvalsh(a)), axis=-1), axis=-1)
    w, u = eigh(a)
    order = apply_constant(_by_decreasing_magnitude, (w,), {})  # recorded under gk.jit
    sign = np.sign(w)  # a constant to differentiation, recorded under gk.jit
    s, u = _take_last(np.abs(w), order, False), _take_last(u, order, True)
    vh = swapaxes(u * np.take_along_axis(sign, order, axis=-1)[..., None, :], -1, -2)
    return _L.SVDResult(u, s, vh)


@implements(np.linalg.svd)
def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    _matrices(a, "svd", square=bool(hermitian))
    if hermitian:
        return _hermitian_svd(a, compute_uv)
    if not compute_uv:
        return dec.svdvals_p(a)
    full = bool(full_matrices)
    u, _, vh = dec._svd_parts(dec.svd_p(a, full_matrices=full), a, full)
    return _L.SVDResult(u, dec.svd_values_p(a), vh)  # values apart, as eigh's


@implements(np.linalg.svdvals)
def svdvals(x, /):
    _matrices(x, "svdvals", square=False)
    return dec.svdvals_p(x)


@implements(np.linalg.qr)
def qr(a, mode="reduced"):
    _matrices(a, "qr", square=False)
    if mode not in ("reduced", "complete", "r"):
        raise NoRuleError(
            f"np.linalg.qr with mode={mode!r} has no derivative rule in gradkit (its "
            "Householder output is not a function to differentiate); use 'reduced', "
            "'complete' or 'r'"
        )
    complete = mode == "complete"
    q, r = dec._qr_parts(dec.qr_p(a, complete=complete), a, complete)
    return r if mode == "r" else _L.QRResult(q, r)


# solving -----------------------------------------------------------------------------------
@implements(np.linalg.solve)
def solve(a, b):
    """``x`` with ``a @ x = b``: NumPy 2's rule, ``b`` is a vector only when 1-d."""
    _matrices(a, "solve")
    if ndim_of(b) == 1:
        return linalg.solve_p(a, reshape(b, (-1, 1)))[..., 0]
    return linalg.solve_p(a, b)


@implements(np.linalg.pinv)
def pinv(a, rcond=None, hermitian=False, *, rtol=np._NoValue):
    _matrices(a, "pinv", square=False)
    if hermitian:  # NumPy reads the lower triangle (through eigh)
        _matrices(a, "pinv")
        a = dec._from_triangle(a, "L")
    kw = {"rcond": rcond, "hermitian": bool(hermitian)}
    if rtol is not np._NoValue:
        kw["rtol"] = rtol
    return linalg.pinv_p(a, **kw)


@implements(np.linalg.lstsq)
def lstsq(a, b, rcond=None):
    """The least-squares solution ``pinv(a) @ b`` (minimum norm at rank deficiency), its
    residuals, rank and singular values, as ``np.linalg.lstsq`` returns them."""
    m, n = _matrices(a, "lstsq", square=False)
    if ndim_of(a) != 2 or ndim_of(b) not in (1, 2):
        raise np.linalg.LinAlgError("np.linalg.lstsq: a must be 2-d and b 1-d or 2-d")
    eps = np.finfo(np.result_type(peek(a), 0.0)).eps
    cut = eps * max(m, n) if rcond is None else (eps if rcond < 0 else rcond)
    x = matmul(linalg.pinv_p(a, rcond=cut, hermitian=False), b)
    why = "np.linalg.lstsq's rank decides the form of its results (no residuals below full rank)"
    av = value_for(a, why)
    rank = np.linalg.matrix_rank(
        av, tol=cut * np.max(np.linalg.svd(av, compute_uv=False), initial=0.0)
    )
    if rank == n and m > n:
        r = matmul(a, x) - b
        if np.iscomplexobj(peek(r)):  # |r|^2, real, as NumPy's residuals
            r = np.abs(r)
        resid = sum_(r * r, axis=0)
        resid = reshape(resid, (1,)) if ndim_of(b) == 1 else resid
    else:
        resid = np.zeros((0,), dtype=np.result_type(peek(a), peek(b)))
    return x, resid, np.int32(rank), dec.svdvals_p(a)


@implements(np.linalg.tensorinv)
def tensorinv(a, ind=2):
    shp = shape_of(a)
    if ind <= 0:
        raise ValueError("np.linalg.tensorinv: ind must be a positive integer")
    rows, cols = int(np.prod(shp[:ind])), int(np.prod(shp[ind:]))
    if rows != cols:
        raise np.linalg.LinAlgError("np.linalg.tensorinv: the first ind axes must hold as "
                                    "many entries as the others")  # fmt: skip
    return reshape(inv(reshape(a, (rows, cols))), shp[ind:] + shp[:ind])


@implements(np.linalg.tensorsolve)
def tensorsolve(a, b, axes=None):
    nd = ndim_of(a)
    if axes is not None:
        order = [k for k in range(nd) if k not in [x % nd for x in axes]]
        a = transpose(a, order + [x % nd for x in axes])
    out_shape = shape_of(a)[ndim_of(b) :]
    size = int(np.prod(out_shape))
    x = solve(reshape(a, (-1, size)), reshape(b, (-1,)))
    return reshape(x, out_shape)


@implements(np.linalg.multi_dot)
def multi_dot(arrays, *, out=None):
    """The product of the arrays, the first and last of which may be vectors."""
    if out is not None:
        raise TypeError("np.linalg.multi_dot: out= is not supported on traced values")
    arrays = list(arrays)
    if len(arrays) < 2:
        raise ValueError("np.linalg.multi_dot: expecting at least two arrays")
    first, last = ndim_of(arrays[0]) == 1, ndim_of(arrays[-1]) == 1
    if first:
        arrays[0] = reshape(arrays[0], (1, -1))
    if last:
        arrays[-1] = reshape(arrays[-1], (-1, 1))
    for x in arrays:
        if ndim_of(x) != 2:
            raise ValueError("np.linalg.multi_dot: the inner arrays must be 2-d")
    result = arrays[0]
    for x in arrays[1:]:
        result = matmul(result, x)
    if first and last:
        return result[0, 0]
    return result[0] if first else result[:, 0] if last else result


implements(np.linalg.matrix_rank)(_constant(np.linalg.matrix_rank))


# norms -------------------------------------------------------------------------------------
def _matrix_norm(x, ord, rows: int, cols: int):
    """A matrix norm over axes ``rows`` and ``cols`` (non-negative, distinct)."""
    if ord in (2, -2, "nuc"):
        s = dec.svdvals_p(moveaxis(x, (rows, cols), (-2, -1)))
        if ord == "nuc":
            return sum_(s, axis=-1)
        return s[..., 0] if ord == 2 else s[..., -1]
    if ord in (1, -1):  # the largest (smallest) column sum
        sums, ax = sum_(np.abs(x), axis=rows), cols - (cols > rows)
    elif ord in (np.inf, -np.inf):  # row sums
        sums, ax = sum_(np.abs(x), axis=cols), rows - (rows > cols)
    else:
        raise ValueError(f"np.linalg.norm: invalid norm order {ord!r} for matrices")
    return amax(sums, axis=ax) if ord > 0 else amin(sums, axis=ax)


@implements(np.linalg.norm)
def norm(x, ord=None, axis=None, keepdims=False):
    """NumPy's norm: vector norms (from ``numpy_api``) and every matrix norm."""
    nd = ndim_of(x)
    axes = None if axis is None else (axis,) if np.ndim(axis) == 0 else tuple(axis)
    matrix = (nd == 2 and axes is None) or (axes is not None and len(axes) == 2)
    if matrix and ord not in (None, "fro"):
        rows, cols = (0, 1) if axes is None else (_one_axis(a, nd, "norm") for a in axes)
        if rows == cols:
            raise ValueError("np.linalg.norm: duplicate axes given")
        r = _matrix_norm(x, ord, rows, cols)
        if keepdims:
            shp = list(shape_of(x))
            shp[rows] = shp[cols] = 1
            r = reshape(r, tuple(shp))
        return r
    vector = nd == 1 if axes is None else len(axes) == 1
    if vector and ord == "nuc":
        raise ValueError("np.linalg.norm: invalid norm order 'nuc' for vectors")
    if vector and ord is not None and not isinstance(ord, str) and ord <= 0:
        ax = norm_axis(axes, nd, "norm")
        a = np.abs(x)
        if ord == -np.inf:
            return amin(a, axis=ax, keepdims=keepdims)
        if ord == 0:  # the count of nonzero entries: piecewise constant
            return np.sum(value_of(a) != 0, axis=ax, keepdims=keepdims).astype(float)
        return sum_(a**ord, axis=ax, keepdims=keepdims) ** (1.0 / ord)
    return _vector_norms(x, ord=ord, axis=axis, keepdims=keepdims)


@implements(np.linalg.cond)
def cond(x, p=None):
    """The condition number: ``s_max / s_min`` for ``p`` None or 2, else
    ``norm(x, p) * norm(inv(x), p)``."""
    _matrices(x, "cond", square=p not in (None, 2, -2))
    if p in (None, 2, -2):
        s = dec.svdvals_p(x)
        return s[..., 0] / s[..., -1] if p != -2 else s[..., -1] / s[..., 0]
    return norm(x, p, axis=(-2, -1)) * norm(inv(x), p, axis=(-2, -1))


# NumPy 2's array-API names -------------------------------------------------------------------
@implements(np.linalg.vector_norm)
def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    nd = ndim_of(x)
    axes = tuple(range(nd)) if axis is None else norm_axis(axis, nd, "vector_norm")
    moved = moveaxis(x, axes, tuple(range(nd - len(axes), nd)))
    flat = reshape(moved, shape_of(moved)[: nd - len(axes)] + (-1,))
    r = norm(flat, ord=ord, axis=-1)
    if keepdims:
        r = reshape(r, tuple(1 if k in axes else n for k, n in enumerate(shape_of(x))))
    return r


@implements(np.linalg.matrix_norm)
def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    return norm(x, ord=ord, axis=(-2, -1), keepdims=keepdims)


def _vecdot(x1, x2, axis=-1):
    return sum_(np.conj(x1) * x2, axis=axis)


@implements(np.linalg.vecdot)
def linalg_vecdot(x1, x2, /, *, axis=-1):
    return _vecdot(x1, x2, axis)


@implements(np.linalg.matrix_transpose, np.matrix_transpose)
def matrix_transpose(x, /):
    if ndim_of(x) < 2:
        raise ValueError(f"matrix_transpose: needs at least 2 dimensions, got {ndim_of(x)}")
    return swapaxes(x, -1, -2)


@implements(np.linalg.outer)
def linalg_outer(x1, x2, /):
    if ndim_of(x1) != 1 or ndim_of(x2) != 1:
        raise ValueError("np.linalg.outer: both inputs must be 1-d")
    return reshape(x1, (-1, 1)) * reshape(x2, (1, -1))


@implements(np.linalg.cross)
def linalg_cross(x1, x2, /, *, axis=-1):
    return _cross(x1, x2, axis=axis)


@implements(np.linalg.diagonal)
def linalg_diagonal(x, /, *, offset=0):
    return np.diagonal(x, offset, -2, -1)


@implements(np.linalg.trace)
def linalg_trace(x, /, *, offset=0, dtype=None):
    return trace(x, offset, -2, -1, dtype)


@implements(np.linalg.matmul)
def linalg_matmul(x1, x2, /):
    return matmul(x1, x2)


@implements(np.linalg.tensordot)
def linalg_tensordot(x1, x2, /, *, axes=2):
    return tensordot(x1, x2, axes)


def _matvec(x1, x2):
    return matmul(x1, x2[..., None])[..., 0]


def _vecmat(x1, x2):
    return matmul(np.conj(x1)[..., None, :], x2)[..., 0, :]


def gufuncs() -> dict:
    """NumPy 2's linear-algebra gufuncs (``np.vecdot``, ``np.matvec``, ``np.vecmat``),
    which reach ``__array_ufunc__``, by the function computing each."""
    table = {}
    for name, fn in (("vecdot", _vecdot), ("matvec", _matvec), ("vecmat", _vecmat)):
        uf = getattr(np, name, None)
        if isinstance(uf, np.ufunc):
            table[uf] = fn
    return table


UFUNCS.update(gufuncs())
