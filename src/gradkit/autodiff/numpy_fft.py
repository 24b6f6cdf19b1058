"""``np.fft`` on traced values: every transform, with NumPy's ``n=``, ``s=``, ``axis=``,
``axes=`` and ``norm=``, built from the primitives of :mod:`gradkit.autodiff.rules.fft`.

The argument handling follows NumPy's ``numpy/fft/_pocketfft.py``. ``n``/``s`` crop or
zero-pad each transformed axis at its end. ``fftn`` transforms all of ``axes`` at once
unless an axis is repeated, in which case it loops as NumPy does. ``rfftn`` applies
``rfft`` along the last of ``axes`` and then ``fft`` along the others; ``irfftn`` does the
reverse. ``hfft`` is ``irfft`` of the conjugate with the norm's direction swapped, and
``ihfft`` is the conjugate of ``rfft``, as in NumPy. ``fftshift``/``ifftshift`` are two
slices joined; ``fftfreq``/``rfftfreq`` are not array functions and need nothing here:
they run on a traced sample spacing ``d`` through ordinary arithmetic.

Importing :mod:`gradkit.autodiff.numpy_api` registers everything here.

>>> import numpy as np
>>> import gradkit as gk
>>> x = np.array([1.0, 2.0, 0.0, -1.0])
>>> def energy(x):  # Parseval: sum |fft(x)|^2 = n sum x^2
...     return np.sum(np.abs(np.fft.fft(x)) ** 2)
>>> gk.grad(energy)(x)  # 2 n x
array([ 8., 16.,  0., -8.])
"""

from __future__ import annotations

import operator
import warnings
from typing import Any

import numpy as np

from gradkit.autodiff.numpy_api import _no, _one_axis, concatenate, implements
from gradkit.autodiff.primitives import ndim_of, shape_of
from gradkit.autodiff.rules.fft import NORMS, SWAP, c2c_p, c2r_p, is_complex, r2c_p, resize_p

# Reached through NumPy itself (np.fft.fft(t) on a traced t), with NumPy's signatures.
__all__: list[str] = []


def _norm(norm: Any, name: str) -> str:
    if norm is None:
        return "backward"
    if norm not in NORMS:
        raise ValueError(
            f'np.fft.{name}: invalid norm value {norm!r}; should be None, "backward", '
            '"ortho" or "forward"'
        )
    return norm


def _length(n: Any, name: str) -> int:
    try:
        n = operator.index(n)
    except TypeError:
        msg = f"np.fft.{name}: the number of points must be an integer, got {n!r}"
        raise TypeError(msg) from None
    if n < 1:
        raise ValueError(f"np.fft.{name}: invalid number of FFT data points ({n}) specified; "
                         "give n >= 1")  # fmt: skip
    return n


def _resized(a, sizes: dict):
    """``a`` cropped or zero-padded to ``sizes[axis]`` along each axis named."""
    shape = tuple(sizes.get(k, m) for k, m in enumerate(shape_of(a)))
    return a if shape == shape_of(a) else resize_p(a, shape=shape)


def _real_input(a, name: str) -> None:
    if is_complex(a):
        raise TypeError(
            f"np.fft.{name} takes real input (NumPy refuses complex input too); use "
            "np.fft.fft for complex signals, or pass np.real(a)"
        )


def _check(a, out, name: str) -> None:
    _no(f"np.fft.{name}", out=out)
    if ndim_of(a) == 0:
        raise ValueError(f"np.fft.{name}: needs an array of at least one dimension, got a scalar")


# one axis ---------------------------------------------------------------------------------
def _c2c_1d(a, n, axis, norm, out, inverse: bool, name: str):
    _check(a, out, name)
    axis = _one_axis(axis, ndim_of(a), f"np.fft.{name}")
    n = shape_of(a)[axis] if n is None else _length(n, name)
    return c2c_p(_resized(a, {axis: n}), axes=(axis,), inverse=inverse, norm=_norm(norm, name))


@implements(np.fft.fft)
def fft(a, n=None, axis=-1, norm=None, out=None):
    return _c2c_1d(a, n, axis, norm, out, False, "fft")


@implements(np.fft.ifft)
def ifft(a, n=None, axis=-1, norm=None, out=None):
    return _c2c_1d(a, n, axis, norm, out, True, "ifft")


@implements(np.fft.rfft)
def rfft(a, n=None, axis=-1, norm=None, out=None):
    _check(a, out, "rfft")
    _real_input(a, "rfft")
    axis = _one_axis(axis, ndim_of(a), "np.fft.rfft")
    n = shape_of(a)[axis] if n is None else _length(n, "rfft")
    return r2c_p(_resized(a, {axis: n}), axis=axis, norm=_norm(norm, "rfft"))


@implements(np.fft.irfft)
def irfft(a, n=None, axis=-1, norm=None, out=None):
    _check(a, out, "irfft")
    axis = _one_axis(axis, ndim_of(a), "np.fft.irfft")
    n = 2 * (shape_of(a)[axis] - 1) if n is None else n
    n = _length(n, "irfft")
    half = _resized(a, {axis: n // 2 + 1})
    return c2r_p(half, axis=axis, n=n, norm=_norm(norm, "irfft"))


@implements(np.fft.hfft)
def hfft(a, n=None, axis=-1, norm=None, out=None):
    _check(a, out, "hfft")
    norm = _norm(norm, "hfft")
    if n is None:
        n = 2 * (shape_of(a)[_one_axis(axis, ndim_of(a), "np.fft.hfft")] - 1)
    return irfft(np.conjugate(a), n, axis, norm=SWAP[norm])


@implements(np.fft.ihfft)
def ihfft(a, n=None, axis=-1, norm=None, out=None):
    _check(a, out, "ihfft")
    _real_input(a, "ihfft")
    return np.conjugate(rfft(a, n, axis, norm=SWAP[_norm(norm, "ihfft")]))


# several axes -----------------------------------------------------------------------------
def _cook(a, s, axes, name: str, invreal: bool = False) -> tuple[list, list]:
    """NumPy's ``_cook_nd_args``: the lengths and (non-negative) axes to transform."""
    nd = ndim_of(a)
    shape = shape_of(a)
    if axes is not None:
        axes = [_one_axis(ax, nd, f"np.fft.{name}") for ax in axes]
    if s is None:
        axes = list(range(nd)) if axes is None else axes
        s = [shape[ax] for ax in axes]
        if invreal and axes:
            s[-1] = 2 * (shape[axes[-1]] - 1)
        return s, axes
    s = list(s)
    if axes is None:
        warnings.warn(
            f"np.fft.{name}: `axes` should not be `None` if `s` is not `None` (deprecated in "
            "NumPy 2.0); pass axes too",
            DeprecationWarning,
            stacklevel=4,
        )
        if len(s) > nd:
            raise ValueError(f"np.fft.{name}: s={s} has more entries than the input has "
                             f"axes ({nd})")  # fmt: skip
        axes = list(range(nd - len(s), nd))
    if len(s) != len(axes):
        raise ValueError(f"np.fft.{name}: shape and axes have different lengths "
                         f"(s={s}, axes={axes})")  # fmt: skip
    if None in s:
        warnings.warn(
            f"np.fft.{name}: None in `s` is deprecated in NumPy 2.0; pass -1 for an axis's "
            "own length",
            DeprecationWarning,
            stacklevel=4,
        )
    return [shape[ax] if k == -1 else k for k, ax in zip(s, axes)], axes


def _c2c_nd(a, s: list, axes: list, inverse: bool, norm: str, name: str):
    """The DFT over ``axes`` with ``a`` resized to ``s`` there (NumPy's order)."""
    if not axes:
        return a
    if len(set(axes)) < len(axes):  # an axis transformed twice: one at a time, as NumPy
        for n, ax in zip(reversed(s), reversed(axes)):
            a = _c2c_1d(a, n, ax, norm, None, inverse, name)
        return a
    sizes = {ax: _length(n, name) for ax, n in zip(axes, s) if n is not None}
    return c2c_p(_resized(a, sizes), axes=tuple(axes), inverse=inverse, norm=norm)


@implements(np.fft.fftn)
def fftn(a, s=None, axes=None, norm=None, out=None):
    _no("np.fft.fftn", out=out)
    s, axes = _cook(a, s, axes, "fftn")
    return _c2c_nd(a, s, axes, False, _norm(norm, "fftn"), "fftn")


@implements(np.fft.ifftn)
def ifftn(a, s=None, axes=None, norm=None, out=None):
    _no("np.fft.ifftn", out=out)
    s, axes = _cook(a, s, axes, "ifftn")
    return _c2c_nd(a, s, axes, True, _norm(norm, "ifftn"), "ifftn")


@implements(np.fft.rfftn)
def rfftn(a, s=None, axes=None, norm=None, out=None):
    _no("np.fft.rfftn", out=out)
    s, axes = _cook(a, s, axes, "rfftn")
    norm = _norm(norm, "rfftn")
    if not axes:
        raise ValueError("np.fft.rfftn: needs at least one axis to transform")
    a = rfft(a, s[-1], axes[-1], norm)
    return _c2c_nd(a, s[:-1], axes[:-1], False, norm, "rfftn")


@implements(np.fft.irfftn)
def irfftn(a, s=None, axes=None, norm=None, out=None):
    _no("np.fft.irfftn", out=out)
    s, axes = _cook(a, s, axes, "irfftn", invreal=True)
    norm = _norm(norm, "irfftn")
    if not axes:
        raise ValueError("np.fft.irfftn: needs at least one axis to transform")
    a = _c2c_nd(a, s[:-1], axes[:-1], True, norm, "irfftn")
    return irfft(a, s[-1], axes[-1], norm)


@implements(np.fft.fft2)
def fft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    return fftn(a, s, axes, norm, out)


@implements(np.fft.ifft2)
def ifft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    return ifftn(a, s, axes, norm, out)


@implements(np.fft.rfft2)
def rfft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    return rfftn(a, s, axes, norm, out)


@implements(np.fft.irfft2)
def irfft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    return irfftn(a, s, axes, norm, out)


# shifts -----------------------------------------------------------------------------------
def _shift(x, axes, inverse: bool, name: str):
    nd = ndim_of(x)
    if axes is None:
        axes = range(nd)
    elif isinstance(axes, (int, np.integer)):
        axes = (axes,)
    for ax in axes:
        ax = _one_axis(ax, nd, f"np.fft.{name}")
        n = shape_of(x)[ax]
        k = (n - n // 2) if inverse else n // 2  # how many move from the end to the front
        if n > 1 and k % n:
            pre = (slice(None),) * ax
            x = concatenate([x[pre + (slice(n - k, None),)], x[pre + (slice(0, n - k),)]], ax)
    return x


@implements(np.fft.fftshift)
def fftshift(x, axes=None):
    return _shift(x, axes, False, "fftshift")


@implements(np.fft.ifftshift)
def ifftshift(x, axes=None):
    return _shift(x, axes, True, "ifftshift")
