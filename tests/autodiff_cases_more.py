"""Test cases for the rest of NumPy (gradkit.autodiff.numpy_more / numpy_rearrange) and
for arrays built from sequences of traced values (gradkit.autodiff.sequences).

See ``tests/autodiff_cases.py`` for the samplers; ``tests/test_autodiff_primitives.py``
runs every case (both modes, second order, finite differences, the batched paths).
"""

from __future__ import annotations

import numpy as np
from autodiff_cases import Case, distinct, pair, uniform

_WEIGHTS = np.array([0.3, -1.2, 2.0, 0.7, -0.4, 1.1, 0.9, -2.1, 0.5, 1.6, -0.8, 0.2])


def _w(shape):
    """Fixed, uneven weights of a shape: a reduction of a rearranged array then checks
    where every entry went."""
    n = int(np.prod(shape))
    return np.resize(_WEIGHTS, n).reshape(shape)


def _weighted(fn):
    def weighted(*args):
        out = fn(*args)
        return out * _w(np.shape(out))

    return weighted


def _apart(lo, hi, avoid, gap=0.08):
    """Uniform in [lo, hi], at least ``gap`` away from each point of ``avoid`` (kinks)."""

    def make(rng, shape):
        x = rng.uniform(lo, hi, size=shape)
        for p in avoid:
            near = np.abs(x - p) < gap
            x = np.where(near, p + np.where(x >= p, gap, -gap), x)
        return (x,)

    return make


SIGNAL = [
    Case("convolve", lambda a, v: np.convolve(a, v), pair(uniform(-1, 1), uniform(-1, 1)),
         [((5,), (3,)), ((2,), (4,)), ((1,), (1,))], (0, 1)),
    Case("convolve(same)", lambda a, v: np.convolve(a, v, "same"),
         pair(uniform(-1, 1), uniform(-1, 1)), [((5,), (2,)), ((3,), (4,))], (0, 1)),
    Case("convolve(valid)", lambda a, v: np.convolve(a, v, mode="valid"),
         pair(uniform(-1, 1), uniform(-1, 1)), [((5,), (3,)), ((2,), (4,))], (0, 1)),
    Case("correlate", lambda a, v: np.correlate(a, v), pair(uniform(-1, 1), uniform(-1, 1)),
         [((5,), (3,)), ((3,), (3,))], (0, 1)),
    Case("correlate(full)", lambda a, v: np.correlate(a, v, "full"),
         pair(uniform(-1, 1), uniform(-1, 1)), [((4,), (2,)), ((2,), (5,))], (0, 1)),
    Case("correlate(same)", lambda a, v: np.correlate(a, v, "same"),
         pair(uniform(-1, 1), uniform(-1, 1)), [((4,), (2,)), ((2,), (5,))], (0, 1)),
    Case("interp(x)", lambda x: np.interp(x, [-1.0, 0.0, 0.5, 1.5], [2.0, -1.0, 0.5, 1.0]),
         _apart(-1.6, 2.0, (-1.0, 0.0, 0.5, 1.5)), [(), (4,), (2, 3)]),
    Case("interp(fp)", lambda fp: np.interp([-2.0, 0.1, 0.7, 1.0, 3.0], [0.0, 0.5, 1.0], fp),
         uniform(-1, 1), [(3,)]),
    Case("interp(xp, fp)",
         lambda xp, fp: np.interp(np.array([0.2, 1.1, 1.9]), np.cumsum(xp), fp),
         pair(uniform(0.4, 0.8), uniform(-1, 1)), [((3,), (3,))], (0, 1)),
    Case("polyval", lambda p, x: np.polyval(p, x), pair(uniform(-1, 1), uniform(-1.5, 1.5)),
         [((3,), ()), ((4,), (3,)), ((1,), (2, 2))], (0, 1)),
    Case("trapezoid(dx)", lambda y: np.trapezoid(y**2, dx=0.25), uniform(-1, 1),
         [(4,), (2, 3)]),
    Case("trapezoid(x)", lambda y, x: np.trapezoid(y, x=np.cumsum(x), axis=0),
         pair(uniform(-1, 1), uniform(0.2, 1)), [((3,), (3,)), ((4, 2), (4,))], (0, 1)),
    Case("trapezoid(2-d x)", lambda y, x: np.trapezoid(y, x=x),
         pair(uniform(-1, 1), uniform(-1, 1)), [((2, 3), (2, 3))], (0, 1)),
    Case("gradient", lambda f: np.gradient(f**2), uniform(-1, 1), [(3,), (5,)]),
    Case("gradient(2-d, edge_order=2)", lambda f: np.stack(np.gradient(f, 0.5, edge_order=2)),
         uniform(-1, 1), [(3, 4)]),
    Case("gradient(coordinates)", lambda f, x: np.gradient(f, np.cumsum(x)),
         pair(uniform(-1, 1), uniform(0.3, 1)), [((4,), (4,))], (0, 1)),
    Case("gradient(coordinates, edge_order=2)",
         lambda f, x: np.gradient(f, np.cumsum(x), axis=-1, edge_order=2),
         pair(uniform(-1, 1), uniform(0.3, 1)), [((2, 4), (4,))], (0, 1)),
]  # fmt: skip

ORDER = [
    Case("median", lambda x: np.median(x), distinct(-2, 2), [(5,), (4,), (2, 3)]),
    Case("median(axis, keepdims)", lambda x: np.median(x, axis=0, keepdims=True),
         distinct(-2, 2), [(3, 2), (4, 3)]),
    Case("quantile", lambda x: np.quantile(x, 0.3), distinct(-2, 2), [(5,), (2, 3)]),
    Case("quantile(q, axis)", lambda x: np.quantile(x, [0.1, 0.5, 1.0], axis=-1),
         distinct(-2, 2), [(4,), (2, 5)]),
    Case("quantile(traced q)", lambda x, q: np.quantile(x, q),  # kinks where q (n-1) is whole
         pair(distinct(-2, 2), _apart(0.05, 0.95, (0.2, 0.25, 0.4, 0.5, 0.6, 0.75, 0.8), 0.02)),
         [((5,), ()), ((6,), (2,))], (0, 1)),
    Case("quantile(method)", lambda x: np.quantile(x, [0.3, 0.6], method="midpoint") +
         np.quantile(x, 0.45, method="nearest") + np.quantile(x, 0.7, method="lower") +
         np.quantile(x, 0.7, method="higher"), distinct(-2, 2), [(5,)]),
    Case("percentile", lambda x: np.percentile(x, [25, 80], axis=(0, 1), keepdims=True),
         distinct(-2, 2), [(2, 3)]),
    Case("partition", _weighted(lambda x: np.partition(x, 1)), distinct(-2, 2),
         [(4,), (2, 5)]),
    Case("maximum.accumulate", lambda x: np.maximum.accumulate(x), distinct(-2, 2),
         [(5,), (3, 2)]),
    Case("minimum.accumulate(axis=1)", lambda x: np.minimum.accumulate(x, axis=1),
         distinct(-2, 2), [(2, 4)]),
    Case("add.accumulate", lambda x: np.add.accumulate(x**2), uniform(-1, 1), [(4,), (3, 2)]),
    Case("multiply.accumulate", lambda x: np.multiply.accumulate(x, axis=-1), uniform(-1, 1),
         [(4,), (2, 3)]),
    Case("logaddexp.reduce", lambda x: np.logaddexp.reduce(x), uniform(-3, 3),
         [(4,), (3, 2)]),
    Case("logaddexp2.reduce(axis=None)", lambda x: np.logaddexp2.reduce(x, axis=None),
         uniform(-3, 3), [(2, 3)]),
]  # fmt: skip


def _nans(x):
    """``x`` with NaN at every third entry (never a whole row of the shapes below): the
    inputs stay finite, as check_grads needs, and the NaN entries are constants."""
    mask = (np.arange(int(np.prod(np.shape(x)))) % 3 == 1).reshape(np.shape(x))
    return np.where(mask, np.nan, x)


NANS = [
    Case("nanmax", lambda x: np.nanmax(_nans(x), axis=-1), distinct(-2, 2), [(4,), (2, 3)]),
    Case("nanmin", lambda x: np.nanmin(_nans(x)), distinct(-2, 2), [(4,), (2, 3)]),
    Case("nanprod", lambda x: np.nanprod(_nans(x), axis=0), distinct(-2, 2), [(4,), (3, 2)]),
    Case("nancumsum", lambda x: np.nancumsum(_nans(x), axis=-1), distinct(-2, 2), [(4,), (2, 3)]),
    Case("nancumprod", lambda x: np.nancumprod(_nans(x)), distinct(-2, 2), [(4,), (2, 3)]),
    Case("nanvar", lambda x: np.nanvar(_nans(x), axis=-1, ddof=1), distinct(-2, 2), [(5,), (2, 4)]),
    Case("nanstd", lambda x: np.nanstd(_nans(x), keepdims=True), distinct(-2, 2), [(5,), (2, 4)]),
    Case("nanmedian", lambda x: np.nanmedian(_nans(x), axis=-1), distinct(-2, 2), [(5,), (2, 4)]),
    Case("nanquantile", lambda x: np.nanquantile(_nans(x), [0.3, 0.9], axis=-1),
         distinct(-2, 2), [(5,), (2, 5)]),
    Case("nanpercentile", lambda x: np.nanpercentile(_nans(x), 40, keepdims=True),
         distinct(-2, 2), [(5,), (2, 4)]),
]  # fmt: skip

STATISTICS = [
    Case("cov", lambda x: np.cov(x), uniform(-1, 1), [(2, 4), (5,), (3, 3)]),
    Case("cov(y, rowvar=False, bias)", lambda x, y: np.cov(x, y, rowvar=False, bias=True),
         pair(uniform(-1, 1), uniform(-1, 1)), [((4, 2), (4,))], (0, 1)),
    Case("cov(weights)", lambda x: np.cov(x, fweights=[1, 2, 1, 3], aweights=[0.5, 1, 2, 1]),
         uniform(-1, 1), [(2, 4)]),
    Case("corrcoef", lambda x: np.corrcoef(x), uniform(-1, 1), [(3, 5), (2, 4)]),
    Case("corrcoef(x, y)", lambda x, y: np.corrcoef(x, y),
         pair(uniform(-1, 1), uniform(-1, 1)), [((4,), (4,))], (0, 1)),
]  # fmt: skip

CONSTRUCTION = [
    Case("linspace", lambda a, b: np.linspace(a, b, 5), pair(uniform(-1, 1), uniform(1, 2)),
         [((), ()), ((2,), (2,)), ((2,), ())], (0, 1)),
    Case("linspace(endpoint=False, axis=-1)",
         lambda a, b: np.linspace(a, b, 4, endpoint=False, axis=-1),
         pair(uniform(-1, 1), uniform(1, 2)), [((3,), (3,))], (0, 1)),
    Case("linspace(retstep)", lambda a: np.linspace(a, 3.0, 3, retstep=True)[1] * a,
         uniform(-1, 1), [()]),
    Case("meshgrid", lambda x, y: np.stack(np.meshgrid(x, y**2)),
         pair(uniform(-1, 1), uniform(-1, 1)), [((3,), (2,))], (0, 1)),
    Case("meshgrid(ij, sparse)", lambda x, y: sum(np.meshgrid(x, y, indexing="ij", sparse=True)),
         pair(uniform(-1, 1), uniform(-1, 1)), [((3,), (2,))], (0, 1)),
    Case("select", lambda x: np.select([x < -0.5, x > 0.5], [x**2, np.sin(x)], default=-x),
         _apart(-2, 2, (-0.5, 0.5)), [(4,), (2, 3)]),
    Case("piecewise", lambda x: np.piecewise(x, [x < 0, x > 1], [lambda t: t**2, 2.0,
                                                                   lambda t: np.exp(t)]),
         _apart(-2, 2, (0.0, 1.0)), [(5,), (2, 3)]),
    Case("sinc", np.sinc, _apart(-2, 2, (0.0,)), [(), (4,), (2, 3)]),
    Case("i0", np.i0, _apart(-12, 12, (0.0, 8.0, -8.0)), [(), (6,), (2, 3)]),
    Case("nan_to_num", lambda x: np.nan_to_num(x**2), uniform(-2, 2), [(3,), (2, 2)]),
    Case("cumulative_sum", lambda x: np.cumulative_sum(x, axis=-1, include_initial=True),
         uniform(-1, 1), [(4,), (2, 3)]),
    Case("cumulative_prod", lambda x: np.cumulative_prod(x**2 + 0.5), uniform(-1, 1), [(4,)]),
    Case("einsum(interleaved)", lambda a, b: np.einsum(a, [0, 1], b, [1, 2], [0, 2]),
         pair(uniform(-1, 1), uniform(-1, 1)), [((2, 3), (3, 2))], (0, 1)),
    Case("einsum(interleaved, ...)", lambda a, b: np.einsum(a, [Ellipsis, 0], b, [0]),
         pair(uniform(-1, 1), uniform(-1, 1)), [((2, 3), (3,))], (0, 1)),
]  # fmt: skip

REARRANGE = [
    Case("rot90", _weighted(np.rot90), uniform(-1, 1), [(2, 3), (2, 3, 2)]),
    Case("rot90(k, axes)", _weighted(lambda x: np.rot90(x, 3, axes=(1, 0))), uniform(-1, 1),
         [(2, 3)]),
    Case("fliplr", _weighted(np.fliplr), uniform(-1, 1), [(2, 3)]),
    Case("flipud", _weighted(np.flipud), uniform(-1, 1), [(3,), (2, 3)]),
    Case("hsplit", lambda x: np.hsplit(x, 2)[1] * 3.0, uniform(-1, 1), [(4,), (2, 4)]),
    Case("vsplit", lambda x: np.vsplit(x, [1])[1] ** 2, uniform(-1, 1), [(3, 2)]),
    Case("dsplit", lambda x: np.dsplit(x, 2)[0] ** 2, uniform(-1, 1), [(2, 1, 4)]),
    Case("rollaxis", _weighted(lambda x: np.rollaxis(x, 2, 1)), uniform(-1, 1), [(2, 3, 2)]),
    Case("block", lambda a, b: np.block([[a, b], [b**2, 1.0 + a]]),
         pair(uniform(-1, 1), uniform(-1, 1)), [((2, 2), (2, 2)), ((1, 1), (1, 1))], (0, 1)),
    Case("insert", lambda a, v: np.insert(a, 1, v, axis=0),
         pair(uniform(-1, 1), uniform(-1, 1)), [((3, 2), (2,)), ((2,), ())], (0, 1)),
    Case("insert(several, flat)", _weighted(lambda a: np.insert(a, [0, 2, 2], 5.0)),
         uniform(-1, 1), [(3,), (2, 2)]),
    Case("delete", _weighted(lambda a: np.delete(a, [0, 2], axis=-1)), uniform(-1, 1),
         [(3,), (2, 4)]),
    Case("sliding_window_view",
         lambda x: np.lib.stride_tricks.sliding_window_view(x, 3, axis=-1)
         @ np.array([1.0, -2.0, 0.5]),
         uniform(-1, 1), [(5,), (2, 4)]),
    Case("sliding_window_view(2-d)",
         _weighted(lambda x: np.lib.stride_tricks.sliding_window_view(x, (2, 2))),
         uniform(-1, 1), [(3, 3)]),
    Case("diag", _weighted(lambda v: np.diag(v, 1)), uniform(-1, 1), [(3,)]),
    Case("diag(matrix)", lambda m: np.diag(m, -1) ** 2, uniform(-1, 1), [(3, 3), (3, 2)]),
    Case("diagflat", _weighted(np.diagflat), uniform(-1, 1), [(2, 2), (3,)]),
]  # fmt: skip

SEQUENCES = [
    Case("np.array of a list", lambda x: np.array([x[0] * x[1], np.sin(x[2]), 2.0]),
         uniform(-1, 1), [(3,), (4,)]),
    Case("np.array of arrays", lambda x: np.array([x, x**2, np.sin(x)]),
         uniform(-1, 1), [(2,), (2, 2)]),
    Case("list beside a tensor", lambda x: x * [x[-1], 2.0], uniform(-1, 1), [(2,)]),
    Case("np.r_", lambda x: np.r_[x, x[:1] ** 2], uniform(-1, 1), [(3,)]),
]  # fmt: skip

MORE = SIGNAL + ORDER + NANS + STATISTICS + CONSTRUCTION + REARRANGE + SEQUENCES
if not hasattr(np, "cumulative_sum"):  # NumPy 2.1 added cumulative_sum and cumulative_prod
    MORE = [c for c in MORE if not c.name.startswith("cumulative_")]
