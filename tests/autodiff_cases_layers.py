"""Test cases for the sliding-window primitives (``windows``/``unwindows``, im2col and
col2im) and the layers built on them (convolutions, pooling), and the fused LSTM
recurrence (``gradkit.nn.recurrent_fused``).

See ``tests/autodiff_cases.py`` for the samplers; ``tests/test_autodiff_primitives.py``
runs every case (both modes, second order, finite differences, the batched paths).
"""

from __future__ import annotations

from autodiff_cases import Case, distinct, uniform

from gradkit.autodiff.rules.windows import unwindows_p, windows_p
from gradkit.nn import functional as F
from gradkit.nn.recurrent_fused import lstm_sequence


def _windows(kernel, stride, dilation, pads, pad_value=0.0):
    def f(x):
        return windows_p(
            x, kernel=kernel, stride=stride, dilation=dilation, pads=pads, pad_value=pad_value
        )

    return f


def _unwindows(shape, kernel, stride, dilation, pads):
    def f(cols):
        return unwindows_p(
            cols, shape=shape, kernel=kernel, stride=stride, dilation=dilation, pads=pads
        )

    return f


def _arrays(*shapes):
    """Sampler of several arrays uniform in [-1, 1], one per shape of the spec."""
    return lambda rng, spec: tuple(rng.uniform(-1, 1, size=s) for s in spec)


_2D = ((2, 2), (2, 1), (1, 2), ((1, 0), (2, 1)))  # kernel, stride, dilation, pads

LAYERS = [
    Case(
        "windows 1-d, stride 2, dilation 2, padded",
        _windows((2,), (2,), (2,), ((1, 2),)),
        uniform(-2, 2),
        [(1, 5), (2, 3, 6)],
    ),
    Case(
        "windows 2-d, padding value 2",
        _windows(*_2D, pad_value=2.0),
        uniform(-2, 2),
        [(1, 4, 5), (2, 1, 3, 4)],
    ),  # fmt: skip
    Case(
        "unwindows 2-d (col2im)",
        # cols (C, K1, K2, N, O1, O2) for x (N=2, C=1, 4, 5): O = (2, 6)
        _unwindows((2, 1, 4, 5), *_2D),
        uniform(-2, 2),
        [(1, 2, 2, 2, 2, 6)],
    ),
    Case(
        "conv2d: stride, dilation, padding, groups, bias",
        lambda x, w, b: F.conv2d(x, w, b, stride=(1, 2), padding=1, dilation=(2, 1), groups=2),
        _arrays(),
        [((2, 4, 4, 5), (2, 2, 2, 2), (2,))],
        argnums=(0, 1, 2),
    ),
    Case(
        "conv1d 'same'",
        lambda x, w: F.conv1d(x, w, padding="same"),
        _arrays(),
        [((2, 2, 5), (3, 2, 2)), ((2, 4), (1, 2, 3))],
        argnums=(0, 1),
    ),
    Case(
        "conv_transpose2d, stride 2",
        lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1),
        _arrays(),
        [((1, 2, 2, 3), (2, 1, 3, 2))],
        argnums=(0, 1),
    ),
    Case(
        "max_pool2d, overlapping, padded",
        lambda x: F.max_pool2d(x, 3, stride=2, padding=1),
        distinct(-2, 2),
        [(1, 2, 4, 5)],
    ),  # fmt: skip
    Case(
        "avg_pool1d", lambda x: F.avg_pool1d(x, 2, stride=1, padding=1), uniform(-2, 2), [(2, 2, 4)]
    ),  # fmt: skip
    Case(
        "lstm_sequence (the LSTM recurrence)",
        lstm_sequence,
        _arrays(),
        [((3, 2, 8), (2, 2, 2), (2, 8)), ((1, 1, 4), (2, 1, 1), (1, 4))],
        argnums=(0, 1, 2),
    ),
]
