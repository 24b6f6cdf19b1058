"""More of NumPy on traced values, each written once from the engine's primitives.

Signal and calculus (``convolve``, ``correlate``, ``interp``, ``polyval``, ``trapezoid``,
``gradient``), statistics (``cov``, ``corrcoef``), construction (``linspace`` with
traced endpoints, ``select``, ``piecewise``), special functions (``sinc``, ``i0``),
``nan_to_num``, NumPy 2's ``cumulative_sum``/``cumulative_prod`` and ``einsum``'s
interleaved form. Where NumPy's formula is short it is followed step by step, so the
values are NumPy's; derivatives follow from the pieces. Order statistics and running
reductions live in :mod:`gradkit.autodiff.numpy_order`.

>>> import numpy as np
>>> import gradkit as gk
>>> float(gk.grad(lambda x: np.trapezoid(x**2, dx=0.5))(np.array([1.0, 2.0, 3.0]))[1])
2.0
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from gradkit.autodiff import arraytypes, primitives
from gradkit.autodiff.errors import NoRuleError
from gradkit.autodiff.numpy_api import (
    _one_axis,
    astype,
    concatenate,
    cumsum,
    implements,
    mean,
    moveaxis,
    norm_axis,
    reshape,
    sum_,
    where,
)
from gradkit.autodiff.numpy_api import einsum as _einsum
from gradkit.autodiff.numpy_extras import average, cumprod, diff, pad
from gradkit.autodiff.numpy_rearrange import diag
from gradkit.autodiff.primitives import ndim_of, peek, shape_of, value_for, value_of
from gradkit.autodiff.rules import shape

__all__: list[str] = []  # reached through NumPy itself, with NumPy's signatures


def _dtype(*xs: Any) -> np.dtype:
    return np.result_type(*[np.asarray(x) if type(x) in (list, tuple) else peek(x) for x in xs])


def _array(x: Any) -> Any:
    """A plain list or tuple as the array NumPy reads it as (traced ones arrive packed)."""
    return np.asarray(x) if type(x) in (list, tuple) else x


# --- signal and calculus --------------------------------------------------------------------
@implements(np.convolve)
def convolve(a, v, mode="full"):
    """Discrete linear convolution of two 1-d sequences, as a sum over sliding windows."""
    if ndim_of(a) != 1 or ndim_of(v) != 1:
        raise ValueError("convolve: a and v must be 1-d")
    if shape_of(v)[0] > shape_of(a)[0]:
        a, v = v, a
    n, m = shape_of(a)[0], shape_of(v)[0]
    if m == 0:
        raise ValueError("v cannot be empty")
    padded = pad(a, (m - 1, m - 1))
    length = n + m - 1
    windows = padded[np.arange(length)[:, None] + np.arange(m)[None, :]]
    full = windows @ v[::-1]
    if mode == "full":
        return full
    if mode == "same":
        start = (m - 1) // 2
        return full[start : start + n]
    if mode == "valid":
        return full[m - 1 : n]
    raise ValueError(f"convolve: mode must be 'full', 'same' or 'valid', got {mode!r}")


@implements(np.correlate)
def correlate(a, v, mode="valid"):
    """Cross-correlation of two real 1-d sequences: ``convolve(a, v[::-1])`` (NumPy's
    result, with its order when ``v`` is the longer one)."""
    if ndim_of(a) != 1 or ndim_of(v) != 1:
        raise ValueError("correlate: a and v must be 1-d")
    if shape_of(v)[0] > shape_of(a)[0]:
        out = convolve(v, a[::-1], mode)
        return out[::-1]
    return convolve(a, v[::-1], mode)


@implements(np.interp)
def interp(x, xp, fp, left=None, right=None, period=None):
    """Linear interpolation, NumPy's formula ``slope * (x - xp[j]) + fp[j]``; the
    derivative in ``x`` is the slope of the piece (0 outside ``[xp[0], xp[-1]]``)."""
    if period is not None:
        raise NoRuleError(
            "np.interp with period= has no derivative rule in gradkit; reduce x with np.mod "
            "first, or wrap your own version with @gk.primitive and give its derivative "
            "with gk.defvjp"
        )
    x, xp, fp = _array(x), _array(xp), _array(fp)
    # The comparisons and the search are NumPy calls on the traced values (constants to
    # grad, recorded steps to jit), never reads of their values.
    n = shape_of(xp)[0]
    lo = fp[0] if left is None else left
    hi = fp[n - 1] if right is None else right
    if n == 1:
        return where(x < xp[0], lo, where(x > xp[0], hi, fp[0]))
    j = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, n - 2)
    x0, f0 = _pick(xp, j), _pick(fp, j)
    slope = (_pick(fp, j + 1) - f0) / (_pick(xp, j + 1) - x0)
    y = slope * (x - x0) + f0
    y = where(x == xp[n - 1], fp[n - 1], y)
    return where(x < xp[0], lo, where(x > xp[n - 1], hi, y))


def _pick(a: Any, j: Any) -> Any:
    """``a[j]``, also for an index ``j`` that gk.jit recorded (a plain array's ``[]``
    cannot take a traced index; the getitem primitive can)."""
    return shape.getitem_p(a, idx=(j,))


@implements(np.polyval)
def polyval(p, x):
    """Horner's scheme, as NumPy computes it: ``y = y * x + p[k]``."""
    p, x = _array(p), _array(x)
    y = np.zeros(shape_of(x), dtype=_dtype(x, p, 0.0))
    for k in range(shape_of(p)[0]):
        y = y * x + p[k]
    return y


def _trapezoid(y, x=None, dx=1.0, axis=-1):
    """The composite trapezoidal rule along ``axis``, step by step as NumPy."""
    nd = ndim_of(y)
    axis = _one_axis(axis, nd, "trapezoid")
    if x is None:
        d = dx
    elif ndim_of(x) == 1:
        d = diff(x)
        d = reshape(d, tuple(shape_of(d)[0] if k == axis else 1 for k in range(nd)))
    else:
        d = diff(x, axis=axis)
    upper = tuple(slice(1, None) if k == axis else slice(None) for k in range(nd))
    lower = tuple(slice(None, -1) if k == axis else slice(None) for k in range(nd))
    return sum_(d * (y[upper] + y[lower]) / 2.0, axis=axis)


for _name in ("trapezoid", "trapz"):  # trapz: removed in NumPy 2.4
    # NumPy 2.0-2.3's trapz is a plain wrapper that calls trapezoid (which dispatches),
    # so it is registered only where it dispatches itself
    if hasattr(getattr(np, _name, None), "_implementation"):
        implements(getattr(np, _name))(_trapezoid)


@implements(np.gradient)
def gradient(f, *varargs, axis=None, edge_order=1):
    """Central differences inside, one-sided ones of order ``edge_order`` at the ends;
    spacings as NumPy takes them (scalars or coordinate arrays)."""
    nd = ndim_of(f)
    axes = tuple(range(nd)) if axis is None else norm_axis(axis, nd, "gradient")
    if axis is not None and not isinstance(axis, (int, np.integer)):
        axes = tuple(_one_axis(a, nd, "gradient") for a in axis)
    if len(varargs) == 0:
        spacings = [1.0] * len(axes)
    elif len(varargs) == 1 and np.ndim(peek(varargs[0])) == 0:
        spacings = [varargs[0]] * len(axes)
    elif len(varargs) == len(axes):
        spacings = list(varargs)
    else:
        raise TypeError("gradient: invalid number of arguments")
    if edge_order not in (1, 2):
        raise ValueError("gradient: 'edge_order' greater than 2 not supported")
    outs = [_gradient_1(f, h, ax, edge_order) for h, ax in zip(spacings, axes)]
    return outs[0] if len(axes) == 1 else tuple(outs)


def _gradient_1(f, h, ax, edge_order):
    n = shape_of(f)[ax]
    if n < edge_order + 1:
        raise ValueError(
            "Shape of array too small to calculate a numerical gradient, at least "
            "(edge_order + 1) elements are required."
        )

    def at(s):
        return f[(slice(None),) * ax + (s,)]

    def along(c):  # a 1-d coefficient array lined up with axis ax
        return reshape(c, (-1,) + (1,) * (ndim_of(f) - ax - 1)) if ndim_of(c) else c

    if np.ndim(peek(h)) == 1:
        if shape_of(h)[0] != n:
            raise ValueError(
                "when 1d, distances must match the length of the corresponding dimension"
            )
        d = diff(h)
    else:
        d = None
    if d is None:  # uniform spacing h
        inner = (at(slice(2, None)) - at(slice(None, -2))) / (2.0 * h)
        if edge_order == 1:
            first = (at(slice(1, 2)) - at(slice(0, 1))) / h
            last = (at(slice(-1, None)) - at(slice(-2, -1))) / h
        else:
            first = (
                (-1.5 / h) * at(slice(0, 1))
                + (2.0 / h) * at(slice(1, 2))
                + (-0.5 / h) * at(slice(2, 3))
            )
            last = (
                (0.5 / h) * at(slice(-3, -2))
                + (-2.0 / h) * at(slice(-2, -1))
                + (1.5 / h) * at(slice(-1, None))
            )
    else:
        d1, d2 = d[:-1], d[1:]
        a = along(-d2 / (d1 * (d1 + d2)))
        b = along((d2 - d1) / (d1 * d2))
        c = along(d1 / (d2 * (d1 + d2)))
        inner = a * at(slice(None, -2)) + b * at(slice(1, -1)) + c * at(slice(2, None))
        if edge_order == 1:
            first = (at(slice(1, 2)) - at(slice(0, 1))) / d[0]
            last = (at(slice(-1, None)) - at(slice(-2, -1))) / d[-1]
        else:
            e1, e2 = d[0], d[1]
            first = (
                (-(2.0 * e1 + e2) / (e1 * (e1 + e2))) * at(slice(0, 1))
                + ((e1 + e2) / (e1 * e2)) * at(slice(1, 2))
                + (-e1 / (e2 * (e1 + e2))) * at(slice(2, 3))
            )
            e1, e2 = d[-2], d[-1]
            last = (
                (e2 / (e1 * (e1 + e2))) * at(slice(-3, -2))
                + (-(e2 + e1) / (e1 * e2)) * at(slice(-2, -1))
                + ((2.0 * e2 + e1) / (e2 * (e1 + e2))) * at(slice(-1, None))
            )
    return concatenate([first, inner, last], axis=ax)


# --- statistics ----------------------------------------------------------------------------
@implements(np.cov)
def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, *,
        dtype=None):  # fmt: skip
    """Covariance matrix, NumPy's computation step by step (weights are constants)."""
    X = m if ndim_of(m) >= 2 else reshape(m, (1,) + shape_of(m))
    if dtype is not None:
        X = astype(X, dtype)
    if not rowvar and shape_of(X)[0] != 1:
        X = X.T
    if y is not None:
        Y = y if ndim_of(y) >= 2 else reshape(y, (1,) + shape_of(y))
        if not rowvar and shape_of(Y)[0] != 1:
            Y = Y.T
        X = concatenate([X, Y], axis=0)
    if ddof is None:
        ddof = 0 if bias else 1
    w = None
    if fweights is not None:
        w = np.asarray(value_of(fweights), dtype=float)
    if aweights is not None:
        aw = np.asarray(value_of(aweights), dtype=float)
        w = aw if w is None else w * aw
    if w is None:
        avg = mean(X, axis=1)
        fact = shape_of(X)[1] - ddof
    else:
        avg, w_sum = average(X, axis=1, weights=w, returned=True)
        w_sum = value_of(w_sum)[0]
        if ddof == 0:
            fact = w_sum
        elif aweights is None:
            fact = w_sum - ddof
        else:
            fact = w_sum - ddof * np.sum(w * aw) / w_sum
    if fact <= 0:
        fact = 0.0
    X = X - reshape(avg, (-1, 1))
    X_T = X.T if w is None else (X * w).T
    c = (X @ X_T) * np.true_divide(1, fact)
    return reshape(c, tuple(n for n in shape_of(c) if n != 1))


@implements(np.corrcoef)
def corrcoef(x, y=None, rowvar=True, *, dtype=None):
    c = cov(x, y, rowvar, dtype=dtype)
    if ndim_of(c) == 0:
        return c / c
    stddev = np.sqrt(diag(c))
    c = c / reshape(stddev, (-1, 1))
    c = c / reshape(stddev, (1, -1))
    return np.clip(c, -1, 1)


# --- construction ---------------------------------------------------------------------------
@implements(np.linspace)
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *,
             device=None):  # fmt: skip
    """``num`` points from ``start`` to ``stop``, NumPy's arithmetic with traced ends."""
    num = operator.index(num)
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    div = (num - 1) if endpoint else num
    dt = _dtype(start, stop, 0.0)
    delta = stop - start
    extra = (1,) * ndim_of(delta)
    y = np.arange(0, num, dtype=dt).reshape((-1,) + extra)
    if div > 0:
        step = delta / div
        if np.any(arraytypes.concrete(peek(step), "np.linspace of arrays") == 0):
            y = (y / div) * delta
        else:
            y = y * step
    else:
        step = np.nan
        y = y * delta
    y = y + start
    if endpoint and num > 1:
        y = shape.index_update_p(y, stop, idx=(-1, Ellipsis))
    if axis != 0:
        y = moveaxis(y, 0, axis)
    if dtype is not None:
        y = astype(y, dtype)
    return (y, step) if retstep else y


@implements(np.select)
def select(condlist, choicelist, default=0):
    """The choice of the first true condition, entry by entry (conditions are constants)."""
    if len(condlist) != len(choicelist):
        raise ValueError("list of cases must be same length as list of conditions")
    if len(condlist) == 0:
        raise ValueError("select with an empty condition list is not possible")
    conds = [np.asarray(c) if type(c) in (list, tuple) else c for c in condlist]
    dtype = _dtype(*choicelist, default)
    result = default
    for cond, choice in zip(conds[::-1], list(choicelist)[::-1]):
        result = where(cond, choice, result)
    shp = np.broadcast_shapes(*[np.shape(peek(c)) for c in (*conds, *choicelist, default)])
    result = np.broadcast_to(result, shp) if shape_of(result) != shp else result
    return astype(result, dtype) if _dtype(result) != dtype else result


@implements(np.piecewise)
def piecewise(x, condlist, funclist, *args, **kw):
    """``funclist[k]`` applied to ``x`` where ``condlist[k]`` holds, as NumPy does (each
    function sees only its entries); the rest is 0."""
    nd = ndim_of(x)
    n2 = len(funclist)
    if np.isscalar(condlist) or (
        not isinstance(condlist[0], (list, np.ndarray))
        and type(condlist[0]) is not primitives._Tensor
        and nd != 0
    ):
        condlist = [condlist]
    why = (
        "np.piecewise calls each function on the entries its condition selects, so "
        "the shapes depend on the values"
    )
    conds = np.asarray(
        [arraytypes.concrete(value_for(c, why), "np.piecewise", bool) for c in condlist],
        dtype=bool,
    )
    n = len(conds)
    if n == n2 - 1:
        conds = np.concatenate([conds, ~np.any(conds, axis=0, keepdims=True)], axis=0)
        n += 1
    elif n != n2:
        raise ValueError(f"with {n} condition(s), either {n} or {n + 1} functions are expected")
    y = np.zeros(shape_of(x), dtype=_dtype(x))
    for cond, func in zip(conds, funclist):
        cond = np.broadcast_to(cond, shape_of(x)) if nd else cond
        if not callable(func):
            y = shape.index_update_p(y, func, idx=(cond,))
        else:
            vals = x[cond]
            if np.size(peek(vals)) > 0:
                y = shape.index_update_p(y, func(vals, *args, **kw), idx=(cond,))
    return y


# --- special functions and cleanup ---------------------------------------------------------
@implements(np.sinc)
def sinc(x):
    """``sin(pi x) / (pi x)``, NumPy's computation (1 at 0, where its derivative is 0)."""
    x = np.pi * x
    kind = _dtype(x).kind
    eps = np.finfo(_dtype(x)).eps if kind == "f" else 1e-20
    y = where(x != 0, x, eps)
    return np.sin(y) / y


try:  # NumPy's own Chebyshev expansion of i0, on traced values (NumPy 2; 1.x below)
    from numpy.lib import _function_base_impl as _fb
except ImportError:  # pragma: no cover - NumPy 1.x
    from numpy.lib import function_base as _fb  # type: ignore[no-redef]

if hasattr(_fb, "_i0_1") and hasattr(_fb, "_i0_2"):

    @implements(np.i0)
    def i0(x):
        """The modified Bessel function of order 0, NumPy's series; ``i0' = i1``."""
        x = np.abs(x)
        # NumPy applies each series to its entries (np.piecewise); both series applied
        # to all entries, each fed a harmless value where the other one is chosen, give
        # the same numbers elementwise with shapes that do not depend on the values
        small = x <= 8.0  # a constant to differentiation, recorded under gk.jit
        near = _fb._i0_1(where(small, x, 0.0))
        far = _fb._i0_2(where(small, 9.0, x))
        return where(small, near, far)


@implements(np.nan_to_num)
def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """NaN and infinities replaced (their entries get no gradient)."""
    if _dtype(x).kind != "f":
        return x
    info = np.finfo(_dtype(x))
    hi = info.max if posinf is None else posinf
    lo = info.min if neginf is None else neginf
    return where(np.isnan(x), nan, where(x == np.inf, hi, where(x == -np.inf, lo, x)))


# --- NumPy 2 names ------------------------------------------------------------------------
def _cumulative(np_name: str, running: Any, first: float) -> None:
    if not hasattr(np, np_name):
        return

    def cumulative(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
        if out is not None:
            raise TypeError(f"{np_name}: out= is not supported on traced values")
        nd = ndim_of(x)
        if axis is None:
            if nd > 1:
                raise ValueError(
                    f"{np_name}: axis must be specified for arrays of more than one dimension"
                )
            axis = 0
        if nd == 0:
            raise ValueError(f"{np_name}: 0-d arrays are not supported")
        ax = _one_axis(axis, nd, np_name)
        r = running(x, axis=ax, dtype=dtype)
        if include_initial:
            s = list(shape_of(r))
            s[ax] = 1
            r = concatenate([np.full(s, first, dtype=_dtype(r)), r], axis=ax)
        return r

    cumulative.__name__ = np_name
    implements(getattr(np, np_name))(cumulative)


_cumulative("cumulative_sum", cumsum, 0.0)
_cumulative("cumulative_prod", cumprod, 1.0)


# --- einsum's interleaved form ----------------------------------------------------------------
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _sublist(sub: Any) -> str:
    return "".join("..." if k is Ellipsis else _LETTERS[operator.index(k)] for k in sub)


@implements(np.einsum)
def einsum(*operands, out=None, optimize=False, **kwargs):
    """``np.einsum``, in both forms: ``('ij,jk', a, b)`` and the interleaved
    ``(a, [0, 1], b, [1, 2], [0, 2])``, which is rewritten as the first."""
    if operands and not isinstance(operands[0], str):
        output = operands[-1] if len(operands) % 2 else None
        pairs = operands[: len(operands) - len(operands) % 2]
        arrays, subs = pairs[0::2], pairs[1::2]
        spec = ",".join(_sublist(sub) for sub in subs)
        if output is not None:
            spec += "->" + _sublist(output)
        operands = (spec, *arrays)
    return _einsum(*operands, out=out, optimize=optimize, **kwargs)
