"""Sliding windows (im2col) and their transpose (col2im): the engine's convolution pair.

``windows(x, kernel, stride, dilation, pads, pad_value)`` takes ``x`` laid out
``(*lead, C, *S)`` (``d = len(kernel)`` spatial axes last, channels before them, any
number of leading axes), pads the spatial axes by ``pads`` (``(before, after)`` per axis,
with ``pad_value``) and returns every window, laid out ``(C, *K, *lead, *O)``:

    windows(x)[c, k1.., n.., o1..] = padded(x)[n.., c, o1 * s1 + k1 * d1, ...]

That layout makes a convolution one matrix product ``W (C_out, C K) @ cols (C K, N O)``
with no copy: the rows of ``cols`` are the weight's own ``(C_in, *K)`` order and the
long axis is the output positions, the shape BLAS multiplies fastest. The windows are
copied out one kernel offset at a time (each a strided slice, so ``prod(K)`` NumPy
copies, not a Python loop over positions).

``unwindows(cols, shape, ...)`` is the transpose: it adds every window back where it was
taken from (overlapping windows accumulate) and drops the padding, giving an array of
``shape``. Both maps are linear in their array argument (``windows`` is affine when the
padding value is not zero; its derivative pads with zeros), so each one's reverse rule is
the other and each one's forward rule is itself applied to the tangent: derivatives of
every order follow.

>>> import numpy as np
>>> x = np.arange(4.0).reshape(1, 1, 4)            # (N, C, L)
>>> windows_p(x, kernel=(2,), stride=(1,), dilation=(1,), pads=((0, 0),))[0, :, 0]
array([[0., 1., 2.],
       [1., 2., 3.]])
>>> unwindows_p(np.ones((1, 2, 1, 3)), shape=(1, 1, 4), kernel=(2,), stride=(1,),
...             dilation=(1,), pads=((0, 0),))  # how many windows cover each position
array([[[1., 2., 2., 1.]]])
"""

from __future__ import annotations

import numpy as np

from gradkit.autodiff.primitives import Primitive, shape_of
from gradkit.autodiff.rules.shape import _traced

__all__ = ["windows_p", "unwindows_p", "window_sizes"]


def window_sizes(sizes: tuple, kernel: tuple, stride: tuple, dilation: tuple, pads: tuple) -> tuple:
    """The number of windows along each spatial axis (0 where the kernel does not fit).

    >>> window_sizes((5, 6), (3, 3), (1, 2), (1, 1), ((1, 1), (0, 0)))
    (5, 2)
    """
    return tuple(
        max((n + a + b - d * (k - 1) - 1) // s + 1, 0)
        for n, k, s, d, (a, b) in zip(sizes, kernel, stride, dilation, pads)
    )


def _offsets(kernel: tuple, stride: tuple, dilation: tuple, out_sizes: tuple):
    """Each kernel offset with the strided slices of the padded input it reads."""
    for offset in np.ndindex(*kernel):
        yield (
            offset,
            tuple(
                slice(k * d, k * d + s * (o - 1) + 1, s)
                for k, s, d, o in zip(offset, stride, dilation, out_sizes)
            ),
        )


def _channels_first(shape: tuple, d: int) -> tuple:
    """``(C, *lead, *S)`` from ``(*lead, C, *S)``."""
    return (shape[-d - 1],) + shape[: -d - 1] + shape[-d:]


def _interior(pads: tuple, sizes: tuple) -> tuple:
    return (Ellipsis,) + tuple(slice(a, a + n) for (a, _), n in zip(pads, sizes))


def _windows(x, kernel, stride, dilation, pads, pad_value=0.0):
    if _traced(x):  # an outer transform's value under a nested one: it records this
        return windows_p(
            x, kernel=kernel, stride=stride, dilation=dilation, pads=pads, pad_value=pad_value
        )
    x = np.asarray(x)
    d = len(kernel)
    sizes = x.shape[-d:]
    out_sizes = window_sizes(sizes, kernel, stride, dilation, pads)
    source = np.moveaxis(x, -d - 1, 0)  # a view: (C, *lead, *S)
    dtype = x.dtype
    if any(a or b for a, b in pads):
        if dtype.kind in "biu" and not (np.isfinite(pad_value) and float(pad_value).is_integer()):
            dtype = np.result_type(dtype, np.float64)  # -inf does not fit in an integer
        padded = tuple(n + a + b for n, (a, b) in zip(sizes, pads))
        buffer = np.full(source.shape[:-d] + padded, pad_value, dtype=dtype)
        buffer[_interior(pads, sizes)] = source
        source = buffer
    c, lead = x.shape[-d - 1], x.shape[: -d - 1]
    out = np.empty((c,) + tuple(kernel) + lead + out_sizes, dtype=dtype)
    for offset, where in _offsets(kernel, stride, dilation, out_sizes):
        out[(slice(None),) + offset] = source[(Ellipsis,) + where]
    return out


def _unwindows(cols, shape, kernel, stride, dilation, pads):
    if _traced(cols):
        return unwindows_p(
            cols, shape=shape, kernel=kernel, stride=stride, dilation=dilation, pads=pads
        )
    d = len(kernel)
    sizes = tuple(shape[-d:])
    out_sizes = window_sizes(sizes, kernel, stride, dilation, pads)
    padded = tuple(n + a + b for n, (a, b) in zip(sizes, pads))
    first = _channels_first(tuple(shape), d)
    expected = first[:1] + tuple(kernel) + first[1:-d] + out_sizes
    if shape_of(cols) != expected:
        raise ValueError(
            f"unwindows: the windows of an array of shape {tuple(shape)} have shape "
            f"{expected} (C, *kernel, *leading, *windows), got {shape_of(cols)}"
        )
    buffer = np.zeros(first[:-d] + padded, dtype=np.result_type(cols))
    for offset, where in _offsets(kernel, stride, dilation, out_sizes):
        buffer[(Ellipsis,) + where] += cols[(slice(None),) + offset]
    if any(a or b for a, b in pads):
        buffer = buffer[_interior(pads, sizes)]
    return np.moveaxis(buffer, 0, -d - 1)


def _windows_jvp(nb, i, t, ans, x, kernel, stride, dilation, pads, pad_value=0.0):
    # The tangent's batch axes lead its own leading axes, so they come out after the
    # kernel axes; move them back in front.
    d = len(kernel)
    r = windows_p(t, kernel=kernel, stride=stride, dilation=dilation, pads=pads, pad_value=0.0)
    if not nb:
        return r
    return np.moveaxis(r, tuple(range(1 + d, 1 + d + nb)), tuple(range(nb)))


def _unwindows_jvp(nb, i, t, ans, cols, shape, kernel, stride, dilation, pads):
    d = len(kernel)
    if nb:
        t = np.moveaxis(t, tuple(range(nb)), tuple(range(1 + d, 1 + d + nb)))
    batch = shape_of(t)[1 + d : 1 + d + nb]
    return unwindows_p(
        t, shape=batch + tuple(shape), kernel=kernel, stride=stride, dilation=dilation, pads=pads
    )


windows_p = Primitive("windows", _windows)
unwindows_p = Primitive("unwindows", _unwindows)
windows_p.vjps = (
    lambda g, ans, x, kernel, stride, dilation, pads, pad_value=0.0: unwindows_p(
        g, shape=shape_of(x), kernel=kernel, stride=stride, dilation=dilation, pads=pads
    ),
)
windows_p.jvp = _windows_jvp
unwindows_p.vjps = (
    lambda g, ans, cols, shape, kernel, stride, dilation, pads: windows_p(
        g, kernel=kernel, stride=stride, dilation=dilation, pads=pads, pad_value=0.0
    ),
)
unwindows_p.jvp = _unwindows_jvp
