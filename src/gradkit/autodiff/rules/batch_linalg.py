"""Batching rules for linear algebra and the FFT.

NumPy's linear algebra works on stacks of matrices, so a batch of examples is one more
stacking axis: the decompositions, ``inv``, ``det``, ``solve`` and friends take the batch
as it is. ``matmul`` needs care only where an operand is a vector (NumPy does not stack
vectors), ``einsum`` gets one more letter, and the FFTs shift their axes.
"""

from __future__ import annotations

import numpy as np

from gradkit.autodiff.forward import insert_axes_after_batch
from gradkit.autodiff.primitives import REGISTRY, ndim_of, shape_of
from gradkit.autodiff.rules import complex_parts, decompositions, fft, linalg
from gradkit.autodiff.rules.linalg import _swap, expand_ellipsis, parse_subscripts

__all__ = ["STACKED"]

_FAMILIES = (complex_parts, decompositions)  # the modules that register STACKED

#: Primitives of one stack of matrices (``a`` of shape ``(..., m, n)``) whose result keeps
#: the stacking axes in front: a batch is one more stacking axis.
STACKED = (
    "cholesky", "det", "inv", "logabsdet", "logdet", "pinv", "eig", "eig_values", "eigvals",
    "eigh", "eigh_values", "eigvalsh", "svd", "svd_values", "svdvals", "qr",
)  # fmt: skip


def _stacked(prim):
    def rule(batched, a, *rest, **kw):
        return prim(a, *rest, **kw)

    return rule


for _name in STACKED:
    REGISTRY[_name].batch = _stacked(REGISTRY[_name])


def _lift(x, b: bool, nd: int):
    return insert_axes_after_batch(x, 1, nd - (ndim_of(x) - 1)) if b else x


def _matmul(batched, a, b):
    ba, bb = batched
    na, nb = ndim_of(a) - ba, ndim_of(b) - bb
    # Against one plain matrix the whole batch is one matrix product (NumPy multiplies a
    # stack of matrices one by one): a batch of rows x W, or of vectors W x v.
    if ba and not bb and nb == 2:
        if na == 1:
            return linalg.matmul_p(a, b)  # (batch, k) @ (k, m)
        shape = shape_of(a)
        flat = linalg.matmul_p(np.reshape(a, (-1, shape[-1])), b)
        return np.reshape(flat, shape[:-1] + (shape_of(b)[-1],))
    if bb and not ba and na == 2 and nb == 1:
        return linalg.matmul_p(b, _swap(a))  # (batch, k) @ (k, n): each row is a @ v
    if na >= 2 and nb >= 2:
        nd = max(na, nb)
        return linalg.matmul_p(_lift(a, ba, nd), _lift(b, bb, nd))
    if na == 1 and nb == 1:  # a dot product per example
        if ba and bb:
            return linalg.matmul_p(a[:, None, :], b[:, :, None])[:, 0, 0]
        return linalg.matmul_p(a, b) if ba else linalg.matmul_p(b, a)
    size = shape_of(a if ba else b)[0]
    if na == 1:  # a vector times a stack of matrices
        if not ba:
            return linalg.matmul_p(a, b)
        row = np.reshape(a, (size,) + (1,) * (nb - 1) + shape_of(a)[1:])
        return linalg.matmul_p(row, _lift(b, bb, nb))[..., 0, :]
    if not bb:
        return linalg.matmul_p(a, b)
    column = np.reshape(b, (size,) + (1,) * (na - 2) + shape_of(b)[1:] + (1,))
    return linalg.matmul_p(_lift(a, ba, na), column)[..., 0]


def _einsum(batched, *ops, subscripts):
    ndims = [ndim_of(op) - b for op, b in zip(ops, batched)]
    ins, out = parse_subscripts(expand_ellipsis(subscripts, ndims), len(ops))
    free = next(c for c in linalg._LETTERS if c not in subscripts and c not in "".join(ins) + out)
    ins = [free + s if b else s for s, b in zip(ins, batched)]
    return linalg.einsum_p(*ops, subscripts=",".join(ins) + "->" + free + out)


def _solve(batched, a, b):
    # b is a stack of matrices here (the NumPy-level wrapper makes a vector a column)
    nd = max(ndim_of(a) - batched[0], ndim_of(b) - batched[1])
    return linalg.solve_p(_lift(a, batched[0], nd), _lift(b, batched[1], nd))


linalg.matmul_p.batch = _matmul
linalg.einsum_p.batch = _einsum
linalg.solve_p.batch = _solve


# --- FFT ------------------------------------------------------------------------------------
def _shift(axis: int, nd: int) -> int:
    return int(axis) % nd + 1


def _c2c(batched, x, axes, inverse, norm):
    nd = ndim_of(x) - 1
    return fft.c2c_p(x, axes=tuple(_shift(a, nd) for a in axes), inverse=inverse, norm=norm)


def _r2c(batched, x, axis, norm):
    return fft.r2c_p(x, axis=_shift(axis, ndim_of(x) - 1), norm=norm)


def _c2r(batched, y, axis, n, norm):
    return fft.c2r_p(y, axis=_shift(axis, ndim_of(y) - 1), n=n, norm=norm)


def _resize(batched, x, shape):
    return fft.resize_p(x, shape=(shape_of(x)[0],) + tuple(shape))


fft.c2c_p.batch = _c2c
fft.r2c_p.batch = _r2c
fft.c2r_p.batch = _c2r
fft.resize_p.batch = _resize
