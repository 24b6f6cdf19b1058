"""Convolution and pooling as plain NumPy that the engine differentiates.

Inputs are laid out channels-first, as in PyTorch: ``(N, C, L)`` for 1-d and
``(N, C, H, W)`` for 2-d (a missing batch axis is allowed, as torch allows). Weights use
torch's layout too: ``(out_channels, in_channels / groups, *kernel)`` for a convolution,
``(in_channels, out_channels / groups, *kernel)`` for a transposed one, so a torch
``state_dict`` loads without conversion.

Each function gathers the input's windows as one recorded operation (im2col, the
engine's ``windows`` primitive, whose reverse rule adds the windows back: col2im) and
contracts them with the kernel in one matrix product laid out as BLAS runs fastest
(``W (C_out, C_in K) @ cols (C_in K, N O)``); pooling reduces over the window axes.

>>> import numpy as np
>>> x = np.arange(5.0).reshape(1, 1, 5)
>>> conv1d(x, np.array([[[1.0, -1.0]]]))           # x[i] - x[i + 1]
array([[[-1., -1., -1., -1.]]])
>>> max_pool2d(np.arange(16.0).reshape(1, 1, 4, 4), 2)
array([[[[ 5.,  7.],
         [13., 15.]]]])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "conv1d", "conv2d", "conv_transpose2d", "max_pool1d", "max_pool2d",
    "avg_pool1d", "avg_pool2d", "adaptive_avg_pool2d", "as_tuple",
]  # fmt: skip


def as_tuple(value: Any, n: int, name: str, minimum: int = 1) -> tuple[int, ...]:
    """``value`` (an int or a sequence of ``n`` ints) as an ``n``-tuple, checked.

    >>> as_tuple(3, 2, "kernel_size"), as_tuple((1, 2), 2, "stride")
    ((3, 3), (1, 2))
    """
    items = tuple(value) if isinstance(value, Sequence) else (value,) * n
    if len(items) != n or not all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= minimum for v in items
    ):
        raise ValueError(
            f"{name} must be an integer >= {minimum} or a sequence of {n} of them, got {value!r}"
        )
    return tuple(int(v) for v in items)


def _with_batch(x: Any, spatial: int, name: str) -> tuple[Any, bool]:
    """``x`` with a batch axis, and whether one was added (unbatched input)."""
    ndim = len(np.shape(x))
    if ndim == spatial + 1:
        return x[None], True
    if ndim != spatial + 2:
        raise ValueError(
            f"{name}: expected an input of shape (N, C, {'L' if spatial == 1 else 'H, W'}) "
            f"or (C, {'L' if spatial == 1 else 'H, W'}), got shape {np.shape(x)}"
        )
    return x, False


def _padding(
    padding: Any, kernel: tuple, dilation: tuple, stride: tuple, name: str
) -> tuple[tuple[int, int], ...]:
    """(before, after) padding for each spatial axis; ``'same'`` as torch pads it."""
    n = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * n
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"{name}: padding='same' needs stride 1 (as in torch)")
            total = [d * (k - 1) for k, d in zip(kernel, dilation)]
            return tuple((t // 2, t - t // 2) for t in total)
        raise ValueError(
            f"{name}: padding must be an int, a tuple, 'same' or 'valid', got {padding!r}"
        )
    return tuple((p, p) for p in as_tuple(padding, n, "padding", minimum=0))


def _out_size(size: int, kernel: int, stride: int, dilation: int, name: str) -> int:
    out = (size - dilation * (kernel - 1) - 1) // stride + 1
    if out < 1:
        raise ValueError(
            f"{name}: the (padded) input size {size} is smaller than the kernel's extent "
            f"{dilation * (kernel - 1) + 1}"
        )
    return out


def _windows(
    x: Any,
    kernel: tuple,
    stride: tuple,
    dilation: tuple,
    pads: tuple,
    name: str,
    pad_value: float = 0.0,
) -> Any:
    """Every window of ``x`` ``(N, C, *S)``, laid out ``(C, *K, N, *O)`` (im2col): one
    recorded operation whose transpose adds the windows back (see
    :mod:`gradkit.autodiff.rules.windows`)."""
    from gradkit.autodiff.rules.windows import windows_p  # the engine loads on first use

    for i, (k, s, d, (a, b)) in enumerate(zip(kernel, stride, dilation, pads)):
        _out_size(x.shape[2 + i] + a + b, k, s, d, name)
    return windows_p(
        x, kernel=kernel, stride=stride, dilation=dilation, pads=pads, pad_value=pad_value
    )


def _pad(x: Any, pads: tuple, value: float = 0.0) -> Any:
    if not any(p for pair in pads for p in pair):
        return x
    return np.pad(x, ((0, 0), (0, 0)) + tuple(pads), constant_values=value)


def _conv(x, weight, bias, stride, padding, dilation, groups, spatial, name):
    x, unbatched = _with_batch(x, spatial, name)
    w_shape = np.shape(weight)
    if len(w_shape) != spatial + 2:
        raise ValueError(f"{name}: weight must have {spatial + 2} axes, got shape {w_shape}")
    groups = as_tuple(groups, 1, "groups")[0]
    c_in, c_out = x.shape[1], w_shape[0]
    if c_in % groups or c_out % groups or w_shape[1] * groups != c_in:
        raise ValueError(
            f"{name}: input has {c_in} channels and weight shape {w_shape} with groups={groups}; "
            "need in_channels = weight.shape[1] * groups and out_channels divisible by groups"
        )
    kernel = tuple(w_shape[2:])
    stride = as_tuple(stride, spatial, "stride")
    dilation = as_tuple(dilation, spatial, "dilation")
    pads = _padding(padding, kernel, dilation, stride, name)
    cols = _windows(x, kernel, stride, dilation, pads, name)  # (C_in, *K, N, *O)
    n, out_sizes = x.shape[0], tuple(cols.shape[2 + spatial :])
    rows = n * int(np.prod(out_sizes))
    depth = (c_in // groups) * int(np.prod(kernel))  # one group's C_in * K
    # (C_out, C_in/G * K) @ (C_in * K, N * O): the weight's own layout, no copies.
    if groups == 1:
        out = np.reshape(weight, (c_out, depth)) @ np.reshape(cols, (depth, rows))
    else:
        out = np.matmul(
            np.reshape(weight, (groups, c_out // groups, depth)),
            np.reshape(cols, (groups, depth, rows)),
        )
    out = np.moveaxis(np.reshape(out, (c_out, n) + out_sizes), 0, 1)
    if bias is not None:
        out = out + np.reshape(bias, (c_out,) + (1,) * spatial)
    return out[0] if unbatched else out


def conv1d(
    x: Any,
    weight: Any,
    bias: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Any:
    """1-d cross-correlation, as ``torch.nn.functional.conv1d``.

    Args:
        x: input ``(N, C_in, L)`` or ``(C_in, L)``.
        weight: ``(C_out, C_in / groups, K)``.
        bias: ``(C_out,)`` or None.
        stride, dilation: ints (or 1-tuples).
        padding: an int, ``'same'`` (stride 1) or ``'valid'``; zeros are padded.
        groups: split channels into this many independent convolutions.

    >>> conv1d(np.ones((1, 2, 4)), np.ones((3, 2, 2)), padding="same").shape
    (1, 3, 4)
    """
    return _conv(x, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(
    x: Any,
    weight: Any,
    bias: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Any:
    """2-d cross-correlation, as ``torch.nn.functional.conv2d``.

    Args:
        x: input ``(N, C_in, H, W)`` or ``(C_in, H, W)``.
        weight: ``(C_out, C_in / groups, KH, KW)``.
        bias: ``(C_out,)`` or None.
        stride, dilation: an int or a pair.
        padding: an int, a pair, ``'same'`` (stride 1) or ``'valid'``; zeros are padded.
        groups: split channels into this many independent convolutions.

    >>> x = np.zeros((1, 1, 3, 3)); x[0, 0, 1, 1] = 1.0
    >>> conv2d(x, np.arange(9.0).reshape(1, 1, 3, 3), padding=1)[0, 0]   # the flipped kernel
    array([[8., 7., 6.],
           [5., 4., 3.],
           [2., 1., 0.]])
    """
    return _conv(x, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def _dilate(x: Any, stride: tuple) -> Any:
    """Insert ``stride - 1`` zeros between neighbours on both spatial axes."""
    n, c, h, w = x.shape
    sh, sw = stride
    if sh == sw == 1:
        return x
    x = np.pad(x[:, :, :, None, :, None], ((0, 0),) * 3 + ((0, sh - 1), (0, 0), (0, sw - 1)))
    x = x.reshape(n, c, h * sh, w * sw)
    return x[:, :, : (h - 1) * sh + 1, : (w - 1) * sw + 1]


def conv_transpose2d(
    x: Any,
    weight: Any,
    bias: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Any:
    """The transposed 2-d convolution, as ``torch.nn.functional.conv_transpose2d``.

    It is the derivative of :func:`conv2d` with respect to its input: the input is spread
    out by ``stride``, padded by ``dilation * (k - 1) - padding`` and correlated with the
    flipped kernel. ``weight`` has shape ``(C_in, C_out / groups, KH, KW)``.

    >>> conv_transpose2d(np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2)), stride=2)[0, 0]
    array([[1., 1., 1., 1.],
           [1., 1., 1., 1.],
           [1., 1., 1., 1.],
           [1., 1., 1., 1.]])
    """
    x, unbatched = _with_batch(x, 2, "conv_transpose2d")
    w_shape = np.shape(weight)
    if len(w_shape) != 4:
        raise ValueError(f"conv_transpose2d: weight must have 4 axes, got shape {w_shape}")
    groups = as_tuple(groups, 1, "groups")[0]
    c_in = x.shape[1]
    if w_shape[0] != c_in or c_in % groups:
        raise ValueError(
            f"conv_transpose2d: input has {c_in} channels but weight has shape {w_shape} "
            f"(needs weight.shape[0] = in_channels, divisible by groups={groups})"
        )
    stride = as_tuple(stride, 2, "stride")
    dilation = as_tuple(dilation, 2, "dilation")
    pad = as_tuple(padding, 2, "padding", minimum=0)
    out_pad = as_tuple(output_padding, 2, "output_padding", minimum=0)
    if any(op >= max(s, d) for op, s, d in zip(out_pad, stride, dilation)):
        raise ValueError("conv_transpose2d: output_padding must be smaller than stride or dilation")
    kernel = w_shape[2:]
    c_out = w_shape[1] * groups
    # The equivalent forward convolution's kernel: flipped, in/out swapped per group.
    w = weight.reshape((groups, c_in // groups, w_shape[1]) + tuple(kernel))
    w = np.flip(np.swapaxes(w, 1, 2), axis=(-2, -1)).reshape(
        (c_out, c_in // groups) + tuple(kernel)
    )
    edge = [d * (k - 1) - p for k, d, p in zip(kernel, dilation, pad)]
    x = _dilate(x, stride)
    crop = [max(-e, 0) for e in edge]
    pads = tuple((max(e, 0), max(e, 0) + op) for e, op in zip(edge, out_pad))
    x = _pad(x, pads)
    if any(crop):
        x = x[:, :, crop[0] : x.shape[2] - crop[0], crop[1] : x.shape[3] - crop[1]]
    out = conv2d(x, w, bias, 1, 0, dilation, groups)
    return out[0] if unbatched else out


def _pool(x, kernel_size, stride, padding, dilation, spatial, name, pad_value, reduce):
    """``reduce`` (np.max, np.mean) over each window of ``x``, padded with ``pad_value``."""
    x, unbatched = _with_batch(x, spatial, name)
    kernel = as_tuple(kernel_size, spatial, "kernel_size")
    stride = kernel if stride is None else as_tuple(stride, spatial, "stride")
    dilation = as_tuple(dilation, spatial, "dilation")
    pad = as_tuple(padding, spatial, "padding", minimum=0)
    if any(2 * p > k for p, k in zip(pad, kernel)):
        raise ValueError(f"{name}: padding must be at most half the kernel size (as in torch)")
    cols = _windows(x, kernel, stride, dilation, tuple((p, p) for p in pad), name, pad_value)
    out = np.moveaxis(reduce(cols, axis=tuple(range(1, 1 + spatial))), 0, 1)
    return out[0] if unbatched else out


def max_pool1d(
    x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1
) -> Any:
    """Maximum over sliding windows, as ``torch.nn.functional.max_pool1d``.

    Ties within a window share the gradient evenly (torch gives it to one of them).

    >>> max_pool1d(np.array([[[1.0, 3.0, 2.0, 0.0]]]), 2)
    array([[[3., 2.]]])
    """
    return _pool(x, kernel_size, stride, padding, dilation, 1, "max_pool1d", -np.inf, np.max)


def max_pool2d(
    x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1
) -> Any:
    """Maximum over sliding windows, as ``torch.nn.functional.max_pool2d``.

    ``stride`` defaults to ``kernel_size``; padding is with ``-inf``. Ties within a window
    share the gradient evenly.

    >>> max_pool2d(np.eye(4)[None, None], 2, stride=1).shape
    (1, 1, 3, 3)
    """
    return _pool(x, kernel_size, stride, padding, dilation, 2, "max_pool2d", -np.inf, np.max)


def avg_pool1d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Any:
    """Mean over sliding windows (zero padding counted), as ``torch`` ``avg_pool1d``.

    >>> avg_pool1d(np.array([[[1.0, 3.0, 2.0, 0.0]]]), 2)
    array([[[2., 1.]]])
    """
    return _pool(x, kernel_size, stride, padding, 1, 1, "avg_pool1d", 0.0, np.mean)


def avg_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Any:
    """Mean over sliding windows (zero padding counted), as ``torch`` ``avg_pool2d``.

    >>> avg_pool2d(np.arange(16.0).reshape(1, 1, 4, 4), 2)
    array([[[[ 2.5,  4.5],
             [10.5, 12.5]]]])
    """
    return _pool(x, kernel_size, stride, padding, 1, 2, "avg_pool2d", 0.0, np.mean)


def _adaptive_matrix(size: int, out: int) -> np.ndarray:
    """Averaging matrix (out, size): row i averages [floor(i*size/out), ceil((i+1)*size/out))."""
    m = np.zeros((out, size))
    for i in range(out):
        start, stop = (i * size) // out, -((-(i + 1) * size) // out)
        m[i, start:stop] = 1.0 / (stop - start)
    return m


def adaptive_avg_pool2d(x: Any, output_size: Any) -> Any:
    """Average pooling to a fixed output size, as ``torch`` ``adaptive_avg_pool2d``.

    Window ``i`` along an axis of size ``S`` covers ``[floor(i S / O), ceil((i+1) S / O))``.
    ``None`` in ``output_size`` keeps that axis's size.

    >>> adaptive_avg_pool2d(np.arange(16.0).reshape(1, 1, 4, 4), 1)
    array([[[[7.5]]]])
    """
    x, unbatched = _with_batch(x, 2, "adaptive_avg_pool2d")
    if not isinstance(output_size, Sequence):
        output_size = (output_size, output_size)
    size = tuple(x.shape[2 + i] if o is None else o for i, o in enumerate(output_size))
    oh, ow = as_tuple(size, 2, "output_size")
    out = np.einsum(
        "nchw,ph,qw->ncpq", x, _adaptive_matrix(x.shape[2], oh), _adaptive_matrix(x.shape[3], ow)
    )
    return out[0] if unbatched else out
