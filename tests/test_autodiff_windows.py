"""The sliding-window primitives against their definition, written out position by
position; their derivatives are checked with every primitive in
``tests/test_autodiff_primitives.py`` (cases in ``tests/autodiff_cases_windows.py``)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import gradkit as gk
from gradkit.autodiff.rules.windows import unwindows_p, windows_p

SETTINGS = [  # x shape (*lead, C, *S), kernel, stride, dilation, pads
    ((2, 3, 7), (3,), (2,), (1,), ((1, 2),)),
    ((3, 6), (2,), (1,), (3,), ((0, 0),)),
    ((2, 2, 5, 6), (2, 3), (1, 2), (2, 1), ((1, 0), (2, 2))),
    ((2, 1, 2, 4, 4), (3, 3), (3, 1), (1, 1), ((1, 1), (0, 0))),
]


def _definition(x, kernel, stride, dilation, pads, pad_value):
    """Each window entry read from the padded input, one position at a time."""
    d = len(kernel)
    padded = np.pad(x, ((0, 0),) * (x.ndim - d) + tuple(pads), constant_values=pad_value)
    sizes = [
        (n - dl * (k - 1) - 1) // s + 1
        for n, k, s, dl in zip(padded.shape[-d:], kernel, stride, dilation)
    ]
    lead, c = x.shape[: -d - 1], x.shape[-d - 1]
    out = np.empty((c,) + tuple(kernel) + lead + tuple(sizes))
    for ch, k, n, o in itertools.product(
        range(c), np.ndindex(*kernel), np.ndindex(*lead), np.ndindex(*sizes)
    ):
        pos = tuple(oi * s + ki * dl for oi, ki, s, dl in zip(o, k, stride, dilation))
        out[(ch,) + k + n + o] = padded[n + (ch,) + pos]
    return out


@pytest.mark.parametrize("shape, kernel, stride, dilation, pads", SETTINGS)
def test_windows_equal_their_definition_and_unwindows_is_the_transpose(
    shape, kernel, stride, dilation, pads
):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    kw = dict(kernel=kernel, stride=stride, dilation=dilation, pads=pads)
    for pad_value in (0.0, -np.inf):
        np.testing.assert_array_equal(
            windows_p(x, pad_value=pad_value, **kw),
            _definition(x, kernel, stride, dilation, pads, pad_value),
        )
    cols = rng.standard_normal(np.shape(windows_p(x, **kw)))
    back = unwindows_p(cols, shape=shape, **kw)
    assert back.shape == shape
    # <windows(x), cols> = <x, unwindows(cols)> for every x: the adjoint, entry by entry
    basis = np.eye(x.size).reshape((x.size,) + shape)
    adjoint = [np.sum(_definition(e, kernel, stride, dilation, pads, 0.0) * cols) for e in basis]
    np.testing.assert_allclose(back.ravel(), adjoint, rtol=1e-13, atol=1e-13)


def test_unwindows_counts_the_windows_covering_each_position():
    # kernel 3, stride 1 over a length 5 row: positions are covered 1, 2, 3, 2, 1 times
    kw = dict(kernel=(3,), stride=(1,), dilation=(1,), pads=((0, 0),))
    cover = unwindows_p(np.ones((1, 3, 1, 3)), shape=(1, 1, 5), **kw)
    np.testing.assert_array_equal(cover, [[[1.0, 2.0, 3.0, 2.0, 1.0]]])


def test_max_pool_gradient_goes_to_the_maximum_not_to_the_padding():
    # padding is -inf, never the maximum: each window's gradient lands on its largest entry
    x = np.array([[[3.0, 1.0, 2.0, 5.0]]])
    g = gk.grad(lambda x: np.sum(gk.nn.functional.max_pool1d(x, 2, padding=1)))(x)
    np.testing.assert_array_equal(g, [[[1.0, 0.0, 1.0, 1.0]]])


def test_unwindows_refuses_windows_of_another_shape():
    kw = dict(kernel=(2,), stride=(1,), dilation=(1,), pads=((0, 0),))
    with pytest.raises(ValueError, match=r"have shape \(1, 2, 1, 3\).*got \(1, 2, 1, 4\)"):
        unwindows_p(np.ones((1, 2, 1, 4)), shape=(1, 1, 4), **kw)


def test_integer_inputs_padded_with_minus_infinity_become_floats():
    # -inf cannot be stored in an integer array: the windows are float64, never garbage
    x = np.arange(16).reshape(1, 1, 4, 4)
    got = gk.nn.functional.max_pool2d(x, 2, padding=1)
    np.testing.assert_array_equal(got, gk.nn.functional.max_pool2d(x.astype(float), 2, padding=1))
    np.testing.assert_array_equal(
        got[0, 0], [[0.0, 2.0, 3.0], [8.0, 10.0, 11.0], [12.0, 14.0, 15.0]]
    )
    assert gk.nn.functional.max_pool2d(x, 2).dtype == x.dtype  # no padding: stays integer
