"""Order statistics and running reductions on traced values.

``np.median``, ``np.quantile`` and ``np.percentile`` sort, then interpolate as NumPy does
(its virtual index and its ``lerp``), so the gradient goes to the order statistics they
interpolate (and to ``q`` itself, for the linear method). The ``nan`` versions drop the
NaN entries of each slice first (an all-NaN slice gives NaN, as in NumPy). The ufunc
methods ``maximum/minimum.accumulate`` gather the entry that set each running extremum
(the latest one at a tie); ``add``/``multiply.accumulate`` are ``cumsum``/``cumprod``;
``logaddexp(2).reduce`` is a log-sum-exp shifted by the maximum.

>>> import numpy as np
>>> import gradkit as gk
>>> gk.grad(lambda x: np.median(x))(np.array([3.0, 1.0, 2.0, 5.0]))
array([0.5, 0. , 0.5, 0. ])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradkit.autodiff import arraytypes
from gradkit.autodiff.errors import NoRuleError
from gradkit.autodiff.numpy_api import (
    UFUNC_METHODS,
    _one_axis,
    amax,
    astype,
    cumsum,
    implements,
    mean,
    moveaxis,
    norm_axis,
    reshape,
    sum_,
    where,
)
from gradkit.autodiff.numpy_extras import cumprod, sort, take_along_axis
from gradkit.autodiff.numpy_more import _array, _dtype
from gradkit.autodiff.primitives import (
    apply_constant,
    ndim_of,
    peek,
    shape_of,
    strip,
    value_for,
    value_of,
)

__all__: list[str] = []  # reached through NumPy itself, with NumPy's signatures


# --- order statistics ----------------------------------------------------------------------
def _to_last(a, axis):
    """``a`` with the reduced axes moved to the end and merged into one; and the
    reduced axes (sorted) so that keepdims can put them back."""
    nd = ndim_of(a)
    if axis is None:
        return reshape(a, (-1,)), tuple(range(nd))
    axes = norm_axis(axis, nd, "quantile")
    moved = moveaxis(a, axes, tuple(range(nd - len(axes), nd)))
    return reshape(moved, shape_of(moved)[: nd - len(axes)] + (-1,)), axes


def _keep(r, axes, nd, keepdims, lead=0):
    if not keepdims:
        return r
    s = list(shape_of(r))
    for ax in axes:
        s.insert(lead + ax, 1)
    return reshape(r, tuple(s))


@implements(np.median)
def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """The middle of the sorted values (the mean of the two middles for an even count)."""
    if out is not None:
        raise TypeError("median: out= is not supported on traced values")
    flat, axes = _to_last(a, axis)
    s = sort(flat, axis=-1)
    n = shape_of(s)[-1]
    if n % 2:
        r = s[..., n // 2]
    else:
        r = mean(s[..., n // 2 - 1 : n // 2 + 1], axis=-1)
    return _keep(r, axes, ndim_of(a), keepdims)


def _quantile(a, q, axis, method, keepdims, name):
    if method not in ("linear", "lower", "higher", "nearest", "midpoint"):
        raise NoRuleError(
            f"np.{name} with method={method!r} has no derivative rule in gradkit; use "
            "'linear' (the default), 'lower', 'higher', 'nearest' or 'midpoint'"
        )
    q = _array(q)
    qv = np.asarray(
        value_for(
            q,
            f"np.{name} with a traced q (which entries it picks depends on q's values, "
            "and q must be checked to lie in [0, 1]); pass q as a constant",
        )
    )
    if np.any((qv < 0) | (qv > 1)):
        raise ValueError(f"{name}: quantiles must be in the range [0, 1]")
    flat, axes = _to_last(a, axis)
    s = sort(flat, axis=-1)
    n = shape_of(s)[-1]
    # NumPy's virtual index n q + (1 - q) - 1 (alpha = beta = 1), its floor and gamma
    virtual = n * q + (1 + q * (1 - 1 - 1)) - 1
    vv = np.asarray(n * qv + (1 + qv * (1 - 1 - 1)) - 1)
    below = np.floor(vv).astype(np.intp)
    gamma = virtual - below
    if method == "lower":
        pick = below
    elif method == "higher":
        pick = np.ceil(vv).astype(np.intp)
    elif method == "nearest":
        pick = np.around(vv).astype(np.intp)
    else:
        pick = None
    lead = np.ndim(qv)

    def take(idx):
        idx = np.clip(idx, 0, n - 1)
        r = s[..., idx.reshape(-1)]  # (batch..., q...) -> q's axes in front
        r = reshape(r, shape_of(s)[:-1] + np.shape(idx))
        return moveaxis(r, tuple(range(ndim_of(r) - lead, ndim_of(r))), tuple(range(lead)))

    if pick is not None:
        r = take(pick)
    else:
        lo, hi = take(below), take(below + 1)
        t = (
            0.5
            if method == "midpoint"
            else reshape(gamma, np.shape(qv) + (1,) * (ndim_of(lo) - lead))
        )
        d = hi - lo  # NumPy's _lerp: from the nearer end, so t = 1 gives hi exactly
        r = where(t >= 0.5, hi - d * (1 - t), lo + d * t)
    q_plain = value_of(q)  # a Python float stays weak, as in NumPy's own promotion
    dtype = np.result_type(np.quantile(np.zeros(1, _dtype(a)), q_plain, method=method))
    r = astype(r, dtype) if np.result_type(peek(r)) != dtype else r
    return _keep(r, axes, ndim_of(a), keepdims, lead)


@implements(np.quantile)
def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
             keepdims=False, *, weights=None):  # fmt: skip
    if out is not None or weights is not None:
        raise TypeError("quantile: out= and weights= are not supported on traced values")
    return _quantile(a, q, axis, method, keepdims, "quantile")


def _hundredths(q):
    """``q / 100``; a Python number stays one (NumPy promotes it weakly, as a float)."""
    return q / 100 if type(q) in (int, float) else np.true_divide(_array(q), 100)


@implements(np.percentile)
def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
               keepdims=False, *, weights=None):  # fmt: skip
    if out is not None or weights is not None:
        raise TypeError("percentile: out= and weights= are not supported on traced values")
    return _quantile(a, _hundredths(q), axis, method, keepdims, "percentile")


# --- ufunc methods ---------------------------------------------------------------------------
def _setters(v: Any, ufunc: Any, axis: int) -> Any:
    """For each entry of ``ufunc.accumulate(v, axis)`` (a running max or min), the index
    along ``axis`` of the entry that set it (the latest one at a tie)."""
    run = ufunc.accumulate(v, axis=axis)
    positions = np.arange(v.shape[axis]).reshape((-1,) + (1,) * (v.ndim - axis - 1))
    return np.maximum.accumulate(np.where(v == run, positions, 0), axis=axis)


def _accumulate_extremum(ufunc: Any) -> Any:
    def accumulate(a, axis=0, dtype=None, out=None):
        """Running maximum/minimum; each entry's gradient goes to the entry that set it
        (the latest one at a tie)."""
        if out is not None:
            raise TypeError("accumulate: out= is not supported on traced values")
        ax = _one_axis(axis, ndim_of(a), f"{ufunc.__name__}.accumulate")
        # which entry set each running value: recorded, not read, under gk.jit
        setter = apply_constant(_setters, (a,), {"ufunc": ufunc, "axis": ax})
        r = take_along_axis(a, setter, ax)
        return r if dtype is None else astype(r, dtype)

    return accumulate


def _sum_accumulate(a, axis=0, dtype=None, out=None):
    if out is not None:
        raise TypeError("add.accumulate: out= is not supported on traced values")
    return cumsum(a, axis=axis, dtype=dtype)


def _prod_accumulate(a, axis=0, dtype=None, out=None):
    if out is not None:
        raise TypeError("multiply.accumulate: out= is not supported on traced values")
    return cumprod(a, axis=axis, dtype=dtype)


def _log_add_reduce(base: float) -> Any:
    def reduce(a, axis=0, dtype=None, out=None, keepdims=False, **kw):
        """log(sum(exp(a))) (base e or 2) along ``axis``, shifted by the maximum."""
        if out is not None or kw:
            raise TypeError("logaddexp.reduce: out= and initial=/where= are not supported")
        if axis is None:
            a, axis = reshape(a, (-1,)), 0
        m = strip(amax(a, axis=axis, keepdims=True))  # a constant shift: no derivative
        m = where(np.isfinite(m), m, 0.0)
        if base == 2.0:
            s = np.log2(sum_(np.exp2(a - m), axis=axis, keepdims=True)) + m
        else:
            s = np.log(sum_(np.exp(a - m), axis=axis, keepdims=True)) + m
        ax = _one_axis(axis, ndim_of(a), "logaddexp.reduce")
        r = s if keepdims else reshape(s, shape_of(s)[:ax] + shape_of(s)[ax + 1 :])
        return r if dtype is None else astype(r, dtype)

    return reduce


UFUNC_METHODS[(np.maximum, "accumulate")] = _accumulate_extremum(np.maximum)
UFUNC_METHODS[(np.minimum, "accumulate")] = _accumulate_extremum(np.minimum)
UFUNC_METHODS[(np.add, "accumulate")] = _sum_accumulate
UFUNC_METHODS[(np.multiply, "accumulate")] = _prod_accumulate
UFUNC_METHODS[(np.logaddexp, "reduce")] = _log_add_reduce(np.e)
UFUNC_METHODS[(np.logaddexp2, "reduce")] = _log_add_reduce(2.0)


# --- ignoring NaNs ----------------------------------------------------------------------------
def _nan_extremum(name: str, fill: float, reduce: Any) -> None:
    def extremum(a, axis=None, out=None, keepdims=False, initial=np._NoValue, where=np._NoValue):
        if out is not None or initial is not np._NoValue or where is not np._NoValue:
            raise TypeError(f"{name}: out=, initial= and where= are not supported on traced values")
        nan = np.isnan(a)
        r = reduce(np.where(nan, fill, a), axis=axis, keepdims=keepdims)
        return np.where(np.all(nan, axis=axis, keepdims=keepdims), np.nan, r)

    extremum.__name__ = name
    implements(getattr(np, name))(extremum)


_nan_extremum("nanmax", -np.inf, np.max)
_nan_extremum("nanmin", np.inf, np.min)


@implements(np.nanprod)
def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """Product with NaN entries counted as 1 (they get no gradient)."""
    if out is not None or initial is not None or where is not None:
        raise TypeError("nanprod: out=, initial= and where= are not supported on traced values")
    return np.prod(np.where(np.isnan(a), 1.0, a), axis=axis, dtype=dtype, keepdims=keepdims)


@implements(np.nancumsum)
def nancumsum(a, axis=None, dtype=None, out=None):
    if out is not None:
        raise TypeError("nancumsum: out= is not supported on traced values")
    return cumsum(np.where(np.isnan(a), 0.0, a), axis=axis, dtype=dtype)


@implements(np.nancumprod)
def nancumprod(a, axis=None, dtype=None, out=None):
    if out is not None:
        raise TypeError("nancumprod: out= is not supported on traced values")
    return cumprod(np.where(np.isnan(a), 1.0, a), axis=axis, dtype=dtype)


@implements(np.nanvar)
def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None,
           mean=None, correction=None):  # fmt: skip
    """Variance of the entries that are not NaN, NumPy's computation."""
    if out is not None or where is not None or mean is not None or correction is not None:
        raise TypeError("nanvar: out=, where=, mean= and correction= are not supported")
    if dtype is not None:
        a = astype(a, dtype)
    mask = np.isnan(a)
    arr = np.where(mask, 0.0, a)
    cnt = np.sum(np.logical_not(mask), axis=axis, keepdims=True, dtype=_dtype(a))
    avg = np.sum(arr, axis=axis, keepdims=True) / cnt
    centered = np.where(mask, 0.0, arr - avg)
    var = np.sum(centered * centered, axis=axis, keepdims=keepdims)
    dof = cnt if keepdims else reshape(cnt, shape_of(var))
    return var / (dof - ddof)


@implements(np.nanstd)
def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None,
           mean=None, correction=None):  # fmt: skip
    return np.sqrt(nanvar(a, axis, dtype, out, ddof, keepdims, where=where, mean=mean,
                          correction=correction))  # fmt: skip


def _per_slice(a, axis, keepdims, lead_shape, statistic):
    """``statistic`` of each slice's entries that are not NaN (reduced over ``axis``)."""
    flat, axes = _to_last(a, axis)
    batch = shape_of(flat)[:-1]
    rows = reshape(flat, (-1, shape_of(flat)[-1]))
    why = "each slice keeps the entries that are not NaN, so the shapes depend on the values"
    keep = ~np.isnan(arraytypes.concrete(value_for(rows, why), "np.nanmedian/np.nanquantile"))
    parts = []
    for b in range(shape_of(rows)[0]):
        vals = rows[b][keep[b]]
        if shape_of(vals)[0] == 0:
            parts.append(np.full(lead_shape, np.nan))
        else:
            parts.append(statistic(vals))
    r = reshape(np.stack(parts, axis=-1), lead_shape + batch)
    return _keep(r, axes, ndim_of(a), keepdims, len(lead_shape))


@implements(np.nanmedian)
def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    if out is not None:
        raise TypeError("nanmedian: out= is not supported on traced values")
    return _per_slice(a, axis, keepdims, (), median)


@implements(np.nanquantile)
def nanquantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                keepdims=False, *, weights=None):  # fmt: skip
    if out is not None or weights is not None:
        raise TypeError("nanquantile: out= and weights= are not supported on traced values")
    q = _array(q)
    return _per_slice(a, axis, keepdims, np.shape(value_of(q)),
                      lambda v: _quantile(v, q, None, method, False, "nanquantile"))  # fmt: skip


@implements(np.nanpercentile)
def nanpercentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                  keepdims=False, *, weights=None):  # fmt: skip
    if out is not None or weights is not None:
        raise TypeError("nanpercentile: out= and weights= are not supported on traced values")
    q = _hundredths(q)
    return _per_slice(a, axis, keepdims, np.shape(value_of(q)),
                      lambda v: _quantile(v, q, None, method, False, "nanpercentile"))  # fmt: skip
