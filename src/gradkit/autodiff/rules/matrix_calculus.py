"""Matrix-calculus helpers shared by the decomposition rules: (conjugate) transposes,
the packing of several outputs into one value, the ``1 / (x_j - x_i)`` matrices of the
eigen and singular-value rules, the triangle LAPACK reads, and the checks that refuse
the vectors of a repeated eigenvalue or singular value.

Everything here takes plain or traced arrays and is written with NumPy calls, so the
rules built from it differentiate again.
"""

from __future__ import annotations

import numpy as np

from gradkit.autodiff.primitives import apply_constant, peek, shape_of


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


def _refuse_tied(x, coupling, who: str):
    """Raise if ``x`` has a tied pair ``x_i == x_j`` and ``coupling[..., i, j]`` is not 0
    (``coupling=None``: at any tie); else return a scalar 1 for the caller to multiply
    into its result. The vectors of a repeated eigenvalue (singular value) have no
    derivative; forward mode refuses a tangent that splits the tie (``coupling`` is its
    ``V^H dA V``), reverse mode any use of the vectors, since a zero cotangent there may
    be a product with a zero eigenvalue, not an absence. The check is an operation on
    the values (``apply_constant``): gk.jit records it and runs it again on every call,
    and the product keeps it in the recording."""
    args = (x,) if coupling is None else (x, coupling)
    return apply_constant(_tie_check, args, {"who": who})


def _tie_check(x, coupling=None, who=""):
    n = x.shape[-1]
    eps = np.finfo(x.dtype).eps
    gaps = np.abs(x[..., None, :] - x[..., :, None])
    tied = gaps <= 100.0 * n * eps * np.max(np.abs(x), axis=-1, keepdims=True)[..., None]
    tied &= ~np.eye(n, dtype=bool)
    if tied.any():
        if coupling is None:
            coupled = True
        else:
            size = np.abs(coupling)
            coupled = np.any(tied & (size > np.sqrt(eps) * max(float(np.max(size)), 1e-300)))
        if coupled:
            kind = "singular value" if "svd" in who else "eigenvalue"
            raise np.linalg.LinAlgError(
                f"{who}: the matrix has a repeated {kind}, and the derivative asked for "
                "depends on the vectors that belong to it, which are not unique and have no "
                "derivative there. Differentiate a function of the values alone "
                "(np.linalg.eigvalsh / svdvals), or move off the tie (e.g. add a tiny "
                "distinct diagonal); see the linear-algebra notes in docs/guide/autodiff.md"
            )
    return np.ones((), dtype=np.finfo(x.dtype).dtype)


def _refuse_null(s, columns, rows: int, cols: int, who: str):
    """Raise if a non-square matrix has a zero singular value and that value's column of
    ``columns`` is not 0 (``None``: in any case): the singular vectors of its null space
    are not unique and have no derivative. Else a scalar 1, as :func:`_refuse_tied`."""
    args = (s,) if columns is None else (s, columns)
    return apply_constant(_null_check, args, {"rows": rows, "cols": cols, "who": who})


def _null_check(s, columns=None, rows=0, cols=0, who=""):
    eps = np.finfo(s.dtype).eps
    small = s <= max(rows, cols) * eps * np.max(s, axis=-1, keepdims=True)
    if small.any():
        if columns is None:
            coupled = True
        else:
            size = np.max(np.abs(columns), axis=-2)
            coupled = np.any(small & (size > np.sqrt(eps) * max(float(np.max(size)), 1e-300)))
        if coupled:
            raise np.linalg.LinAlgError(
                f"{who}: the matrix is rank deficient and the derivative asked for depends "
                "on the singular vectors of its zero singular values, which are not unique "
                "and have no derivative there. Use full_matrices=False with functions of "
                "the leading vectors only, or np.linalg.pinv / lstsq, whose rules hold at "
                "fixed rank"
            )
    return np.ones((), dtype=s.dtype)


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
