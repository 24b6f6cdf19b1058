"""Linear algebra primitives: matmul and einsum. dot, tensordot, outer, inner and the
norms are built from these and the other primitives in ``numpy_api``.
"""

from __future__ import annotations

import numpy as np

from gradkit.autodiff.errors import NoRuleError
from gradkit.autodiff.forward import insert_axes_after_batch
from gradkit.autodiff.primitives import SEQUENCES, Operand, Primitive, ndim_of, peek, shape_of


def _swap(a):
    return a.swapaxes(-1, -2)


def _matmul(a, b):
    try:
        return a @ b
    except ValueError:
        # NumPy's gufunc message names signatures; say what is wrong in array terms.
        sa, sb = np.shape(a), np.shape(b)
        if not sa or not sb:
            raise ValueError(
                f"matmul: operands must have at least one dimension, got shapes {sa} and {sb}; "
                "use * to multiply by a scalar"
            ) from None
        raise ValueError(
            f"matmul: shapes {sa} and {sb} do not align: the last axis of the first "
            f"({sa[-1]}) must equal the {'only' if len(sb) == 1 else 'second-to-last'} axis "
            f"of the second ({sb[0] if len(sb) == 1 else sb[-2]})"
        ) from None


def _matmul_vjp_a(g, ans, a, b, *_):  # *_: linear's bias, which plays no part
    if type(b) in SEQUENCES:  # a constant written as nested lists (np.dot passes it on)
        b = np.asarray(b)
    if a.ndim == 2 and b.ndim == 2:  # the commonest case, first
        return g @ b.T
    if ndim_of(b) == 1:
        if ndim_of(a) == 1:
            return g * b
        return g[..., None] * b
    if ndim_of(a) == 1:
        return np.matmul(g[..., None, :], _swap(b))[..., 0, :]
    return np.matmul(g, _swap(b))


def _matmul_vjp_b(g, ans, a, b, *_):
    if type(a) in SEQUENCES:
        a = np.asarray(a)
    if a.ndim == 2 and b.ndim == 2:
        return a.T @ g
    if ndim_of(a) == 1:
        if ndim_of(b) == 1:
            return g * a
        return a[..., None] * g[..., None, :]
    if ndim_of(b) == 1:
        return np.matmul(g[..., None, :], a)[..., 0, :]
    return np.matmul(_swap(a), g)


def _pad_batch(t, nb: int, ndim_self: int, ndim_other: int):
    """Give a batched matrix tangent as many stacking axes as the other operand has."""
    if nb == 0 or ndim_self < 2:
        return t
    return insert_axes_after_batch(t, nb, ndim_other - ndim_self)


def _vector_batch(t, nb: int, other_ndim: int, as_row: bool):
    """A batched 1-d tangent as a stack of rows (or columns) that broadcasts against the
    other operand's stacking axes, so matmul keeps the batch axes in front."""
    shape = shape_of(t)
    core = (1, shape[-1]) if as_row else (shape[-1], 1)
    return np.reshape(t, shape[:nb] + (1,) * max(other_ndim - 2, 0) + core)


def _matmul_jvp(nb, i, t, ans, a, b):
    # A batch of vectors against one matrix is one matrix product (batch, n) @ (n, m),
    # not a stack of vector-matrix products (NumPy runs those one by one): the Hessian's
    # many directions go through here
    if nb and i == 0 and ndim_of(b) == 2 and ndim_of(a) <= 2:
        if ndim_of(a) == 1:
            return np.matmul(t, b)
        rows = np.matmul(np.reshape(t, (-1, shape_of(t)[-1])), b)  # every batch's rows
        return np.reshape(rows, shape_of(t)[:-1] + shape_of(b)[-1:])
    if nb and i == 1 and ndim_of(a) == 2 and ndim_of(b) <= 2:
        if ndim_of(b) == 1:
            return np.matmul(t, np.swapaxes(a, -1, -2))
        # a @ t[k] for every batch k: (n, batch*m) columns side by side, one product
        lead, (n, m) = shape_of(t)[:-2], shape_of(t)[-2:]
        cols = np.reshape(np.moveaxis(t, -2, 0), (n, -1))
        out = np.reshape(np.matmul(a, cols), (shape_of(a)[0],) + lead + (m,))
        return np.moveaxis(out, 0, -2)
    if i == 0:
        if nb and ndim_of(a) == 1 and ndim_of(b) > 1:
            return np.matmul(_vector_batch(t, nb, ndim_of(b), True), b)[..., 0, :]
        return np.matmul(_pad_batch(t, nb, ndim_of(a), ndim_of(b)), b)
    if nb and ndim_of(b) == 1:
        if ndim_of(a) == 1:
            return np.matmul(t, a)
        return np.matmul(a, _vector_batch(t, nb, ndim_of(a), False))[..., 0]
    return np.matmul(a, _pad_batch(t, nb, ndim_of(b), ndim_of(a)))


matmul_p = Primitive("matmul", _matmul)
matmul_p.vjps = (_matmul_vjp_a, _matmul_vjp_b)
matmul_p.jvp = _matmul_jvp
# Two arrays' ``@`` is np.matmul: the wrapper only rewords NumPy's shape errors.
matmul_p.lower = lambda a, b: (
    [(np.matmul, (Operand(0), Operand(1)))]
    if type(a) is np.ndarray and type(b) is np.ndarray
    else None
)


# einsum ------------------------------------------------------------------------------
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def expand_ellipsis(subscripts: str, ndims: list[int]) -> str:
    """Write each ``...`` out with unused letters, lined up from the right as NumPy
    broadcasts them; in implicit mode the output is those letters, then the letters used
    once, sorted. Subscripts without ``...`` are returned unchanged."""
    spec = subscripts.replace(" ", "")
    if "..." not in spec:
        return spec
    lhs, arrow, out = spec.partition("->")
    ins = lhs.split(",")
    if len(ins) != len(ndims):
        raise ValueError(
            f"einsum: subscripts {subscripts!r} name {len(ins)} operands but {len(ndims)} "
            "were given"
        )
    widths = [nd - (len(sub) - 3) if "..." in sub else 0 for sub, nd in zip(ins, ndims)]
    if min(widths) < 0:
        raise ValueError(f"einsum: {subscripts!r} names more axes than an operand has")
    free = [c for c in _LETTERS if c not in spec]
    n = max(widths)
    ell = "".join(free[:n])
    ins = [sub.replace("...", ell[n - k :] if k else "") for sub, k in zip(ins, widths)]
    if arrow:
        out = out.replace("...", ell)
    else:
        letters = "".join(ins)
        once = (c for c in set(letters) if letters.count(c) == 1 and c not in ell)
        out = ell + "".join(sorted(once))
    return ",".join(ins) + "->" + out


def parse_subscripts(subscripts: str, n_operands: int) -> tuple[list[str], str]:
    """Split einsum subscripts into per-operand letters and explicit output letters."""
    spec = subscripts.replace(" ", "")
    if "." in spec:
        raise NoRuleError(
            "einsum: subscripts with '...' are not differentiable in gradkit; "
            f"write the axes out with letters instead of {subscripts!r}"
        )
    if "->" in spec:
        lhs, out = spec.split("->")
    else:
        lhs = spec
        letters = lhs.replace(",", "")
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    ins = lhs.split(",")
    if len(ins) != n_operands:
        raise ValueError(
            f"einsum: subscripts {subscripts!r} name {len(ins)} operands "
            f"but {n_operands} were given"
        )
    return ins, out


def _einsum(*ops, subscripts):
    return np.einsum(subscripts, *ops)


def _einsum_vjp(i, g, ans, *ops, subscripts):
    ins, out = parse_subscripts(subscripts, len(ops))
    mine = ins[i]
    if len(set(mine)) != len(mine):
        raise NoRuleError(
            f"einsum: operand {i} repeats an index in {mine!r} (a diagonal); its gradient is "
            "not supported. Take the diagonal with np.diagonal first."
        )
    others = [s for j, s in enumerate(ins) if j != i]
    available = set(out).union(*others)
    target = "".join(c for c in mine if c in available)
    expr = ",".join([out, *others]) + "->" + target
    r = np.einsum(expr, g, *[op for j, op in enumerate(ops) if j != i])
    if target != mine:
        shape = shape_of(ops[i])
        r = np.reshape(r, tuple(n if c in available else 1 for c, n in zip(mine, shape)))
        r = np.broadcast_to(r, shape)
    return r


_LETTERS = "ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkjihgfedcba"


def _einsum_jvp(nb, i, t, ans, *ops, subscripts):
    ins, out = parse_subscripts(subscripts, len(ops))
    if nb:
        used = set(subscripts)
        free = next(c for c in _LETTERS if c not in used)
        ins = [free + s if j == i else s for j, s in enumerate(ins)]
        out = free + out
    operands = [t if j == i else op for j, op in enumerate(ops)]
    return np.einsum(",".join(ins) + "->" + out, *operands)


einsum_p = Primitive("einsum", _einsum)
einsum_p.vjp_any = _einsum_vjp
einsum_p.jvp = _einsum_jvp


# inverse and determinant -------------------------------------------------------------------
# Written with matmul/swapaxes on the (possibly traced) answer and inverse, so the rules
# differentiate again. They need invertible matrices, as the functions themselves do.
def _inv(a):
    return np.linalg.inv(a)


def _inv_jvp(nb, i, t, ans, a):
    return -np.matmul(ans, np.matmul(t, ans))


inv_p = Primitive("inv", _inv)
inv_p.vjps = (lambda g, ans, a: -np.matmul(_swap(ans), np.matmul(g, _swap(ans))),)
inv_p.jvp = _inv_jvp


def _trailing(x):
    """Give a stack of scalars two trailing axes, to scale a stack of matrices."""
    return np.reshape(x, np.shape(x) + (1, 1))


def _det(a):
    return np.linalg.det(a)


def _inverse_for_slogdet(a):
    """``inv(a)`` for the rules of slogdet, with an error that says what failed."""
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        raise np.linalg.LinAlgError(
            "slogdet: gradkit's derivative of slogdet needs an invertible matrix (it is "
            "written with inv(a)); at a singular one, where slogdet is -inf, it is not "
            "available"
        ) from None


def _cofactors(a):
    """The cofactor matrix of each matrix in ``a``, the derivative of its determinant,
    for a plain real array of square matrices, singular or not.

    With ``a = U diag(s) V^T`` (SVD), the cofactors are ``det(U) det(V) U diag(p) V^T``
    where ``p_i`` is the product of every singular value but ``s_i``, formed from prefix
    and suffix products so that a zero singular value is never divided by. At rank
    ``n - 1`` they are the one nonzero term; at rank ``n - 2`` or less, all zero.
    """
    u, s, vt = np.linalg.svd(a)
    ones = np.ones(s.shape[:-1] + (1,), dtype=s.dtype)
    before = np.cumprod(np.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, s[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    sign = np.linalg.det(u) * np.linalg.det(vt)
    return _trailing(sign) * np.matmul(u * (before * after)[..., None, :], vt)


def _det_slope(a, ans):
    """``d det(a) / d a``: ``det(a) inv(a)^T``, or the cofactors where ``a`` is singular
    (the adjugate's transpose, as JAX gives); differentiable again where invertible."""
    try:
        return _trailing(ans) * _swap(np.linalg.inv(a))
    except np.linalg.LinAlgError:
        if type(a) is not np.ndarray:  # traced: a second derivative
            raise np.linalg.LinAlgError(
                "det: gradkit's derivatives of det beyond the first need an invertible "
                "matrix (they are written with inv(a)); at a singular one only the first, "
                "the cofactor matrix, is available"
            ) from None
        if a.dtype.kind != "f":
            raise np.linalg.LinAlgError(
                f"det: the derivative of det at a singular matrix of dtype {a.dtype} is not "
                "available (it is computed for real floats)"
            ) from None
        return _cofactors(a)


det_p = Primitive("det", _det)
det_p.vjps = (lambda g, ans, a: _trailing(g) * _det_slope(a, ans),)
det_p.jvp = lambda nb, i, t, ans, a: np.sum(_det_slope(a, ans) * t, axis=(-2, -1))


def _logabsdet(a):
    return np.linalg.slogdet(a)[1]


logabsdet_p = Primitive("logabsdet", _logabsdet)
logabsdet_p.vjps = (lambda g, ans, a: _trailing(g) * _swap(_inverse_for_slogdet(a)),)
logabsdet_p.jvp = lambda nb, i, t, ans, a: np.sum(_swap(_inverse_for_slogdet(a)) * t, axis=(-2, -1))


# solve and pinv ----------------------------------------------------------------------------
# solve's own rules: x = a^-1 b, so b's cotangent is solve(a^T, g) and a's is -that x^T;
# the tangent is solve(a, db - da x). ``b`` is a stack of matrices here (the NumPy-level
# wrapper makes a vector a column), so every solve below is a matrix solve.
def _solve(a, b):
    return np.linalg.solve(a, b)


def _solve_vjp_a(g, ans, a, b):
    return -np.matmul(np.linalg.solve(_swap(a), g), _swap(ans))


def _solve_vjp_b(g, ans, a, b):
    return np.linalg.solve(_swap(a), g)


def _solve_jvp(nb, i, t, ans, a, b):
    t = insert_axes_after_batch(t, nb, ndim_of(ans) - ndim_of(b if i else a))
    return np.linalg.solve(a, t if i else -np.matmul(t, ans))


solve_p = Primitive("solve", _solve)
solve_p.vjps = (_solve_vjp_a, _solve_vjp_b)
solve_p.jvp = _solve_jvp


# pinv (Golub and Pereyra): with P = pinv(A),
#   dP = -P dA P + P P^T dA^T (I - A P) + (I - P A) dA^T P^T P,
# the derivative along perturbations that keep the rank (NumPy's rcond cut-off decides it).
def _pinv(a, **kw):
    return np.linalg.pinv(a, **kw)


def _eye_minus(x):
    return np.eye(shape_of(x)[-1], dtype=np.result_type(peek(x))) - x


def _adjoint(x):
    """The conjugate transpose (the transpose of real matrices)."""
    return np.conj(_swap(x)) if np.iscomplexobj(peek(x)) else _swap(x)


def _conj(x):
    return np.conj(x) if np.iscomplexobj(peek(x)) else x


def _pinv_jvp(nb, i, t, ans, a, **kw):
    p, th = ans, _adjoint(t)
    return (
        -np.matmul(p, np.matmul(t, p))
        + np.matmul(np.matmul(p, _adjoint(p)), np.matmul(th, _eye_minus(np.matmul(a, p))))
        + np.matmul(_eye_minus(np.matmul(p, a)), np.matmul(th, np.matmul(_adjoint(p), p)))
    )


def _pinv_vjp(g, ans, a, **kw):
    # The adjoint for the Hermitian pairing Re sum(conj(c) v), taken with conj(g) and
    # conjugated back: the engine pairs cotangents and tangents by Re sum(c v).
    p, g = ans, _conj(g)
    ph, gh = _adjoint(p), _adjoint(g)
    r = (
        -np.matmul(ph, np.matmul(g, ph))
        + np.matmul(_eye_minus(np.matmul(a, p)), np.matmul(gh, np.matmul(p, ph)))
        + np.matmul(np.matmul(ph, p), np.matmul(gh, _eye_minus(np.matmul(p, a))))
    )
    return _conj(r)


pinv_p = Primitive("pinv", _pinv)
pinv_p.vjps = (_pinv_vjp,)
pinv_p.jvp = _pinv_jvp
