"""More NumPy functions on traced values, each composed from the engine's primitives.

Sorting, gathering and rearranging become indexing with an index array computed from the
plain values (``np.sort`` is ``take_along_axis`` with ``np.argsort``; ``np.roll``,
``np.tile``, ``np.repeat`` and the non-constant ``np.pad`` modes are ``take`` with the
index array NumPy itself produces), so their derivatives are indexing's: exact, with
repeated positions accumulating. The linear-algebra functions use the ``inv``, ``det``
and ``slogdet`` primitives of :mod:`gradkit.autodiff.rules.linalg`.

Importing :mod:`gradkit.autodiff.numpy_api` registers everything here.

>>> import numpy as np
>>> import gradkit as gk
>>> gk.grad(lambda x: np.sum(np.sort(x)[-2:]))(np.array([3.0, 1.0, 2.0]))  # top-2 sum
array([1., 0., 1.])
>>> gk.grad(lambda a: np.linalg.det(a))(np.array([[2.0, 1.0], [1.0, 3.0]]))  # det A A^-T
array([[ 3., -1.],
       [-1.,  2.]])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradkit.autodiff import primitives
from gradkit.autodiff.arraytypes import is_duck
from gradkit.autodiff.errors import NoRuleError
from gradkit.autodiff.numpy_api import (
    _one_axis,
    amax,
    amin,
    as_operands,
    astype,
    atleast_2d,
    concatenate,
    implements,
    matmul,
    mean,
    moveaxis,
    prod,
    ravel,
    reshape,
    sum_,
    where,
)
from gradkit.autodiff.primitives import (
    apply_constant,
    ndim_of,
    peek,
    shape_of,
    strip,
    value_of,
)
from gradkit.autodiff.rules import complex_parts, linalg, shape

# Nothing here is imported by users: these functions are reached through NumPy itself
# (np.sort(t) on a traced t) and keep NumPy's signatures, documented by NumPy.
__all__: list[str] = []


# gathering ---------------------------------------------------------------------------------
@implements(np.take)
def take(a, indices, axis=None, out=None, mode="raise"):
    """``a`` at ``indices`` along ``axis`` (of the flattened ``a`` by default)."""
    if out is not None or mode != "raise":
        raise TypeError("take: out= and mode= are not supported on traced values")
    indices = np.asarray(value_of(indices))
    if axis is None:
        return ravel(a)[indices]
    ax = _one_axis(axis, ndim_of(a), "take")
    return a[(slice(None),) * ax + (indices,)]


@implements(np.take_along_axis)
def take_along_axis(arr, indices, axis=-1):
    """``arr`` at ``indices`` matched along ``axis``, as NumPy's ``take_along_axis``."""
    indices = strip(indices)  # recorded, not read, under gk.jit (np.argsort's result)
    if type(indices) is not primitives._Tensor:
        indices = np.asarray(indices)
    if axis is None:
        arr, axis = ravel(arr), 0
    nd = ndim_of(arr)
    ax = _one_axis(axis, nd, "take_along_axis")
    shp = shape_of(arr)
    grid = [
        np.arange(shp[k]).reshape((1,) * k + (shp[k],) + (1,) * (nd - k - 1)) for k in range(nd)
    ]
    grid[ax] = indices
    return arr[tuple(grid)]


@implements(np.sort)
def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    """Sorted copy; the gradient follows each value to its sorted position."""
    if order is not None:
        raise TypeError("sort: order= is not supported on traced values")
    if axis is None:
        a, axis = ravel(a), 0
    idx = apply_constant(np.argsort, (a,), {"axis": axis, "kind": kind, "stable": stable})
    return take_along_axis(a, idx, axis)


@implements(np.repeat)
def repeat(a, repeats, axis=None):
    if axis is None:
        a, axis = ravel(a), 0
    ax = _one_axis(axis, ndim_of(a), "repeat")
    idx = np.repeat(np.arange(shape_of(a)[ax]), value_of(repeats))
    return take(a, idx, ax)


@implements(np.tile)
def tile(A, reps):  # noqa: N803 - NumPy's name
    reps = (int(reps),) if np.ndim(reps) == 0 else tuple(int(r) for r in reps)
    d = max(len(reps), ndim_of(A))
    A = reshape(A, (1,) * (d - ndim_of(A)) + shape_of(A))
    reps = (1,) * (d - len(reps)) + reps
    for k, r in enumerate(reps):
        if r != 1:
            A = take(A, np.tile(np.arange(shape_of(A)[k]), r), k)
    return A


@implements(np.roll)
def roll(a, shift, axis=None):
    if axis is None:  # the flat array, rolled by all the shifts together (as NumPy)
        total = int(np.sum(value_of(shift)))
        return reshape(roll(ravel(a), total, 0), shape_of(a))
    shifts = np.broadcast_to(value_of(shift), np.shape(axis)).ravel()
    axes = np.atleast_1d(axis)
    for s, ax in zip(shifts, axes):
        ax = _one_axis(ax, ndim_of(a), "roll")
        n = shape_of(a)[ax]
        a = take(a, (np.arange(n) - int(s)) % n, ax)
    return a


@implements(np.pad)
def pad(array, pad_width, mode="constant", **kwargs):
    """Pad with a constant (default 0) or by the ``edge``/``wrap``/``reflect``/``symmetric``
    rules; the gradient of the padding flows back to the entries it copies."""
    nd = ndim_of(array)
    widths = np.broadcast_to(np.asarray(value_of(pad_width), dtype=int), (nd, 2))
    if mode == "constant":
        c = value_of(kwargs.pop("constant_values", 0))
        if kwargs or np.ndim(c) != 0:
            raise TypeError("pad: only a scalar constant_values is supported on traced values")
        shp = shape_of(array)
        new_shape = tuple(int(n + lo + hi) for n, (lo, hi) in zip(shp, widths))
        idx = tuple(slice(int(lo), int(lo) + n) for n, (lo, _) in zip(shp, widths))
        dtype = np.result_type(peek(array), 0.0)  # 0.0 is weak: float32 stays
        return shape.index_update_p(np.full(new_shape, c, dtype=dtype), array, idx=idx)
    if mode not in ("edge", "wrap", "reflect", "symmetric"):
        raise NoRuleError(
            f"np.pad with mode={mode!r} has no derivative rule in gradkit; use 'constant', "
            "'edge', 'wrap', 'reflect' or 'symmetric'"
        )
    odd = kwargs.get("reflect_type", "even") == "odd" and mode in ("reflect", "symmetric")
    for k in range(nd):
        lo, hi = (int(w) for w in widths[k])
        if not (lo or hi):
            continue
        n = shape_of(array)[k]
        if odd:
            # odd reflection computes 2 * edge - mirror image: not a copy of entries but a
            # linear map, found by padding the identity the same way (one row per output)
            dtype = np.result_type(peek(array), 0.0)
            rows = np.pad(np.eye(n, dtype=dtype), ((lo, hi), (0, 0)), mode=mode, **kwargs)
            array = np.moveaxis(np.tensordot(rows, array, axes=([1], [k])), 0, k)
        else:
            array = take(array, np.pad(np.arange(n), (lo, hi), mode=mode, **kwargs), k)
    return array


# splitting and differences ------------------------------------------------------------------
@implements(np.array_split)
def array_split(ary, indices_or_sections, axis=0):
    ax = _one_axis(axis, ndim_of(ary), "array_split")
    groups = np.array_split(np.arange(shape_of(ary)[ax]), value_of(indices_or_sections))
    pre = (slice(None),) * ax
    return [ary[pre + (slice(int(g[0]), int(g[0]) + len(g)) if len(g) else slice(0, 0),)]
            for g in groups]  # fmt: skip


@implements(np.split)
def split(ary, indices_or_sections, axis=0):
    sections = value_of(indices_or_sections)
    if np.ndim(sections) == 0:
        n = shape_of(ary)[_one_axis(axis, ndim_of(ary), "split")]
        if n % int(sections):
            raise ValueError("array split does not result in an equal division")
    return array_split(ary, sections, axis)


@implements(np.diff)
def diff(a, n=1, axis=-1, prepend=np._NoValue, append=np._NoValue):
    if int(n) < 0:
        raise ValueError(f"diff: order must be non-negative but got {n!r}")
    ax = _one_axis(axis, ndim_of(a), "diff")
    parts = []
    for extra in (prepend, a, append):
        if extra is a:
            parts.append(a)
        elif extra is not np._NoValue:
            shp = list(shape_of(a))
            shp[ax] = 1
            parts.append(extra if ndim_of(extra) else np.broadcast_to(extra, shp))
    if len(parts) > 1:
        a = concatenate(parts, axis=ax)
    pre = (slice(None),) * ax
    for _ in range(int(n)):
        a = a[pre + (slice(1, None),)] - a[pre + (slice(None, -1),)]
    return a


# triangles and products --------------------------------------------------------------------
def _triangle(m, k: int, upper: bool):
    if ndim_of(m) == 1:
        n = shape_of(m)[0]
        m = np.broadcast_to(m, (n, n))
    rows, cols = shape_of(m)[-2:]
    mask = np.tri(rows, cols, k - 1 if upper else k, dtype=bool)
    return where(~mask if upper else mask, m, 0.0)


@implements(np.triu)
def triu(m, k=0):
    return _triangle(m, int(k), upper=True)


@implements(np.tril)
def tril(m, k=0):
    return _triangle(m, int(k), upper=False)


@implements(np.cumprod)
def cumprod(a, axis=None, dtype=None, out=None):
    """Cumulative product, exact where entries are zero (each output is a ``prod``)."""
    if out is not None:
        raise TypeError("cumprod: out= is not supported on traced values")
    if dtype is not None:
        a = astype(a, dtype)
    if axis is None:
        a, axis = ravel(a), 0
    ax = _one_axis(axis, ndim_of(a), "cumprod")
    moved = moveaxis(a, ax, -1)
    n = shape_of(moved)[-1]
    below = np.tri(n, dtype=bool)  # below[i, j]: entry j takes part in output i
    grid = where(below, reshape(moved, shape_of(moved)[:-1] + (1, n)), 1.0)
    return moveaxis(prod(grid, axis=-1), -1, ax)


@implements(np.average)
def average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    if weights is None:
        avg = mean(a, axis=axis, keepdims=keepdims)
        count = int(np.prod(shape_of(a))) / max(int(np.prod(shape_of(avg))), 1)
        total = np.full(shape_of(avg), count)
        return (avg, total) if returned else avg
    w = weights
    if shape_of(w) != shape_of(a):
        if axis is None or ndim_of(w) != 1:
            raise TypeError("average: weights must have a's shape, or be 1-d along an int axis")
        ax = _one_axis(axis, ndim_of(a), "average")
        w = reshape(w, (1,) * ax + (shape_of(w)[0],) + (1,) * (ndim_of(a) - ax - 1))
        w = np.broadcast_to(w, shape_of(a))
    total = sum_(w, axis=axis, keepdims=keepdims)
    # Checked on the values at hand (under gk.jit: when recording; a replay whose
    # weights sum to zero divides by zero with NumPy's warning, as a / 0 does).
    if not is_duck(peek(total)) and np.any(np.asarray(peek(total)) == 0):  # Dask: lazy
        raise ZeroDivisionError("average: weights sum to zero, can't be normalized")
    avg = sum_(a * w, axis=axis, keepdims=keepdims) / total
    return (avg, total) if returned else avg


@implements(np.ptp)
def ptp(a, axis=None, out=None, keepdims=False):
    if out is not None:
        raise TypeError("ptp: out= is not supported on traced values")
    return amax(a, axis=axis, keepdims=keepdims) - amin(a, axis=axis, keepdims=keepdims)


@implements(np.nansum)
def nansum(a, axis=None, dtype=None, out=None, keepdims=False):
    """Sum ignoring NaNs: NaN entries count as 0 and get a zero gradient."""
    if out is not None:
        raise TypeError("nansum: out= is not supported on traced values")
    # dtype= casts the entries first, as NumPy does (an integer dtype gives a constant)
    nan = np.isnan(a)  # recorded, not read, under gk.jit
    return sum_(where(nan, 0.0, a), axis=axis, dtype=dtype, keepdims=keepdims)


@implements(np.nanmean)
def nanmean(a, axis=None, dtype=None, out=None, keepdims=False):
    """Mean of the entries that are not NaN (NaN entries get a zero gradient)."""
    if out is not None:
        raise TypeError("nanmean: out= is not supported on traced values")
    present = np.logical_not(np.isnan(a))  # recorded, not read, under gk.jit
    total = sum_(where(present, a, 0.0), axis=axis, keepdims=keepdims)
    count = np.sum(present, axis=axis, keepdims=keepdims, dtype=np.result_type(peek(a)))
    r = total / count
    return r if dtype is None else r.astype(dtype)


@implements(np.cross)
def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product of 3-vectors along the last axis (vectors broadcast)."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = as_operands((a, b))
    a, b = moveaxis(a, axisa, -1), moveaxis(b, axisb, -1)
    if shape_of(a)[-1] != 3 or shape_of(b)[-1] != 3:
        raise NoRuleError("np.cross on traced values supports 3-vectors only")
    a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    c = np.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=-1)
    return moveaxis(c, -1, axisc)


# joining -------------------------------------------------------------------------------------
@implements(np.atleast_3d)
def atleast_3d(*arys):
    out = []
    for a in arys:
        nd = ndim_of(a)
        if nd == 0:
            a = reshape(a, (1, 1, 1))
        elif nd == 1:
            a = reshape(a, (1,) + shape_of(a) + (1,))
        elif nd == 2:
            a = reshape(a, shape_of(a) + (1,))
        out.append(a)
    return out[0] if len(out) == 1 else out


@implements(np.column_stack)
def column_stack(tup):
    cols = [reshape(a, (-1, 1)) if ndim_of(a) < 2 else atleast_2d(a) for a in tup]
    return concatenate(cols, axis=1)


@implements(np.dstack)
def dstack(tup):
    return concatenate([atleast_3d(a) for a in tup], axis=2)


@implements(np.append)
def append(arr, values, axis=None):
    if axis is None:
        return concatenate([ravel(arr), ravel(values)], axis=0)
    return concatenate([arr, values], axis=axis)


# linear algebra ------------------------------------------------------------------------------
def _square(a: Any, name: str) -> None:
    shp = shape_of(a)
    if len(shp) < 2 or shp[-1] != shp[-2]:
        raise np.linalg.LinAlgError(
            f"np.linalg.{name}: expected (a stack of) square matrices, got shape {shp}"
        )


@implements(np.linalg.inv)
def inv(a):
    _square(a, "inv")
    return linalg.inv_p(a)


@implements(np.linalg.det)
def det(a):
    _square(a, "det")
    return linalg.det_p(a)


def _slogdet_sign(a: Any) -> Any:
    """The sign NumPy's slogdet gives (a constant to differentiation)."""
    return np.linalg.slogdet(a)[0]


@implements(np.linalg.slogdet)
def slogdet(a):
    """``(sign, log|det a|)``; a real sign is piecewise constant, so it is a plain array;
    a complex one, ``exp(i arg det a)``, moves with ``a``."""
    _square(a, "slogdet")
    sign = apply_constant(_slogdet_sign, (a,), {})  # recorded, not read, under gk.jit
    if complex_parts.is_complex(a):  # NumPy's value, and the derivative of arg det a
        phase = np.imag(complex_parts.logdet_p(a))
        sign = sign * np.exp(1j * (phase - strip(phase)))
    return sign, linalg.logabsdet_p(a)


@implements(np.kron)
def kron(a, b):
    a2, b2 = atleast_2d(a), atleast_2d(b)
    if ndim_of(a2) != 2 or ndim_of(b2) != 2:
        raise NoRuleError("np.kron on traced values supports 1-d and 2-d inputs only")
    (p, q), (r, s) = shape_of(a2), shape_of(b2)
    out = reshape(reshape(a2, (p, 1, q, 1)) * reshape(b2, (1, r, 1, s)), (p * r, q * s))
    if ndim_of(a) < 2 and ndim_of(b) < 2:  # NumPy's shape: () for two 0-d values
        return reshape(out, () if ndim_of(a) == ndim_of(b) == 0 else (-1,))
    return out


@implements(np.linalg.matrix_power)
def matrix_power(a, n):
    """``a`` multiplied by itself ``n`` times (``n < 0``: powers of the inverse)."""
    _square(a, "matrix_power")
    n = int(n)
    if n == 0:
        eye = np.eye(shape_of(a)[-1], dtype=np.result_type(peek(a)))
        return np.broadcast_to(eye, shape_of(a)).copy()
    if n < 0:
        a, n = inv(a), -n
    result = None
    power = a
    while n:  # repeated squaring: log2(n) products
        if n & 1:
            result = power if result is None else matmul(result, power)
        n >>= 1
        if n:
            power = matmul(power, power)
    return result
