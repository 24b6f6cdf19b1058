"""Reductions: sum, mean, max, min, prod and cumsum over normalized axes.

Axes reach these rules normalized (``None`` or a sorted tuple of non-negative ints), so
each rule is a few lines. ``max``/``min`` split the gradient evenly among tied maxima.
``prod`` stays correct when the input holds zeros.
"""

from __future__ import annotations

import numpy as np

from gradkit.autodiff import arraytypes
from gradkit.autodiff.arraytypes import is_duck
from gradkit.autodiff.primitives import Operand, Primitive, ndim_of, peek, shape_of, strip


def _shift(axis, nb: int, ndim: int):
    """The same axes on a tangent that carries ``nb`` leading batch axes."""
    if axis is None:
        return tuple(range(nb, nb + ndim))
    return tuple(a + nb for a in axis)


def _keep_shape(shape: tuple, axis) -> tuple:
    if axis is None:
        return (1,) * len(shape)
    return tuple(1 if k in axis else n for k, n in enumerate(shape))


def expand(g, shape: tuple, axis, keepdims: bool, like=None):
    """Broadcast a reduced ``g`` back to the input's ``shape`` (lazily, as a Dask array,
    when the input ``like`` is one: never a full-size NumPy array beside it)."""
    if not keepdims:
        g = g.reshape(_keep_shape(shape, axis))
    if like is not None and arraytypes.seen and arraytypes.is_duck(peek(like)):
        return arraytypes.broadcast_like(g, peek(like))  # chunked as the input is
    if type(g) is np.ndarray:
        # np.broadcast_to costs microseconds in Python; a filled array costs one copy.
        out = np.empty(shape, dtype=g.dtype)
        out[...] = g
        return out
    return np.broadcast_to(g, shape)


def _count(shape: tuple, axis) -> int:
    n = 1
    for a in range(len(shape)) if axis is None else axis:
        n *= shape[a]
    return n


# The ufuncs' reduce methods: NumPy's sum/mean/max wrappers cost microseconds each. A
# duck array (Dask's) has no ufunc.reduce, but its own np.sum/np.max/np.prod.
_add_reduce = np.add.reduce
_ndarray = np.ndarray


def _sum(x, axis, keepdims):
    if type(x) is not _ndarray and is_duck(x):
        return np.sum(x, axis=axis, keepdims=keepdims)
    return _add_reduce(x, axis=axis, keepdims=keepdims)


def _mean(x, axis, keepdims):
    return _sum(x, axis, keepdims) / _count(shape_of(x), axis)


def _max(x, axis, keepdims):
    if type(x) is not _ndarray and is_duck(x):
        return np.max(x, axis=axis, keepdims=keepdims)
    return np.maximum.reduce(x, axis=axis, keepdims=keepdims)


def _min(x, axis, keepdims):
    if type(x) is not _ndarray and is_duck(x):
        return np.min(x, axis=axis, keepdims=keepdims)
    return np.minimum.reduce(x, axis=axis, keepdims=keepdims)


def _prod(x, axis, keepdims):
    if type(x) is not _ndarray and is_duck(x):
        return np.prod(x, axis=axis, keepdims=keepdims)
    return np.multiply.reduce(x, axis=axis, keepdims=keepdims)


sum_p = Primitive("sum", _sum)
sum_p.vjps = (lambda g, ans, x, axis, keepdims: expand(g, shape_of(x), axis, keepdims, x),)
sum_p.jvp = lambda nb, i, t, ans, x, axis, keepdims: np.sum(
    t, axis=_shift(axis, nb, ndim_of(x)), keepdims=keepdims
)
# positionally: reduce(array, axis, dtype, out, keepdims)
sum_p.lower = lambda x, axis, keepdims: [(_add_reduce, (Operand(0), axis, None, None, keepdims))]

mean_p = Primitive("mean", _mean)
mean_p.vjps = (  # divide the reduced cotangent, then expand: n times fewer divisions
    lambda g, ans, x, axis, keepdims: expand(
        g / _count(shape_of(x), axis), shape_of(x), axis, keepdims, x
    ),
)
mean_p.jvp = lambda nb, i, t, ans, x, axis, keepdims: np.mean(
    t, axis=_shift(axis, nb, ndim_of(x)), keepdims=keepdims
)
mean_p.lower = lambda x, axis, keepdims: [  # the sum's form, then the division
    *sum_p.lower(x, axis, keepdims),
    (np.true_divide, (Operand(1), _count(shape_of(x), axis))),
]


def _extreme_weights(ans, x, axis, keepdims):
    """Weights that share the gradient evenly among the entries equal to the extreme."""
    xv = strip(x)  # constants to differentiation; recorded (not read) under gk.jit
    hit = xv == expand(strip(ans), shape_of(xv), axis, keepdims)
    w = hit / np.sum(hit, axis=axis, keepdims=True)
    dtype = peek(xv).dtype
    return w if peek(w).dtype == dtype else w.astype(dtype)


def _extreme_vjp(g, ans, x, axis, keepdims):
    return expand(g, shape_of(x), axis, keepdims, x) * _extreme_weights(ans, x, axis, keepdims)


def _extreme_jvp(nb, i, t, ans, x, axis, keepdims):
    w = _extreme_weights(ans, x, axis, keepdims)
    return np.sum(t * w, axis=_shift(axis, nb, ndim_of(x)), keepdims=keepdims)


max_p = Primitive("max", _max)
max_p.vjps = (_extreme_vjp,)
max_p.jvp = _extreme_jvp
min_p = Primitive("min", _min)
min_p.vjps = (_extreme_vjp,)
min_p.jvp = _extreme_jvp


def _prod_others(ans, x, axis, keepdims):
    """For each entry, the product of the other entries in its reduction group."""
    shape = shape_of(x)
    nonzero = strip(x) != 0  # recorded, not read, under gk.jit: no Python decision on it
    if type(nonzero) is np.ndarray and nonzero.all():
        return expand(ans, shape, axis, keepdims) / x
    # With zeros, ans / x is 0/0 there: the products of the others, formed explicitly,
    # where x is 0 (elsewhere ans / x, as without zeros, so jit's answer is the same).
    axes = tuple(range(len(shape))) if axis is None else axis
    keep = tuple(k for k in range(len(shape)) if k not in axes)
    order = keep + axes
    moved = np.transpose(x, order)
    kept_shape = tuple(shape[k] for k in keep)
    n = _count(shape, axes)
    flat = np.reshape(moved, kept_shape + (n,))
    eye = np.eye(n, dtype=bool)
    others = np.prod(np.where(eye, 1.0, np.expand_dims(flat, -2)), axis=-1)
    others = np.reshape(others, tuple(shape[k] for k in order))
    others = np.transpose(others, tuple(np.argsort(order)))
    quotient = expand(ans, shape, axis, keepdims) / np.where(nonzero, x, 1.0)
    return np.where(nonzero, quotient, others)


prod_p = Primitive("prod", _prod)
prod_p.vjps = (
    lambda g, ans, x, axis, keepdims: (
        expand(g, shape_of(x), axis, keepdims, x) * _prod_others(ans, x, axis, keepdims)
    ),
)
prod_p.jvp = lambda nb, i, t, ans, x, axis, keepdims: np.sum(
    t * _prod_others(ans, x, axis, keepdims),
    axis=_shift(axis, nb, ndim_of(x)),
    keepdims=keepdims,
)


def _flip(a, axis: int):
    return a[(slice(None),) * axis + (slice(None, None, -1),)]


def _cumsum(x, axis):
    return np.cumsum(x, axis=axis)


cumsum_p = Primitive("cumsum", _cumsum)
cumsum_p.vjps = (lambda g, ans, x, axis: _flip(np.cumsum(_flip(g, axis), axis=axis), axis),)
cumsum_p.jvp = lambda nb, i, t, ans, x, axis: np.cumsum(t, axis=axis + nb)
