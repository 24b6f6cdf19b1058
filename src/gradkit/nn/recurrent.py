"""Recurrent cells as plain NumPy that the engine differentiates: RNN, LSTM and GRU.

Weights use torch's layout and gate order, so a torch ``state_dict`` loads as it is:
``w_ih`` is ``(gates * hidden, input)``, ``w_hh`` is ``(gates * hidden, hidden)``; the
LSTM's gates are (input, forget, cell, output), the GRU's (reset, update, new).

>>> import numpy as np
>>> h = rnn_cell(np.ones((1, 2)), np.zeros((1, 3)), np.ones((3, 2)), np.ones((3, 3)))
>>> h.round(4)
array([[0.964, 0.964, 0.964]])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradkit.nn.functional import linear, sigmoid
from gradkit.nn.recurrent_fused import lstm_sequence

__all__ = ["rnn_cell", "lstm_cell", "gru_cell", "run_layer"]


def _gates(x: Any, h: Any, w_ih: Any, w_hh: Any, b_ih: Any, b_hh: Any) -> tuple[Any, Any]:
    return linear(x, w_ih.T, b_ih), linear(h, w_hh.T, b_hh)


def _rnn_step(a: Any, h: Any, w_hh_t: Any, b_hh: Any, nonlinearity: str) -> Any:
    """The next ``h`` from the input's share ``a`` of the pre-activation."""
    z = a + linear(h, w_hh_t, b_hh)
    if nonlinearity == "tanh":
        return np.tanh(z)
    if nonlinearity == "relu":
        return np.maximum(z, 0.0)
    raise ValueError(f"rnn_cell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")


def _gru_step(a: Any, h: Any, w_hh_t: Any, b_hh: Any) -> Any:
    """The next ``h`` from the input's share ``a`` of the gates (``b_hn`` stays inside r)."""
    b = linear(h, w_hh_t, b_hh)
    a_r, a_z, a_n = np.split(a, 3, axis=-1)
    b_r, b_z, b_n = np.split(b, 3, axis=-1)
    r, z = sigmoid(a_r + b_r), sigmoid(a_z + b_z)
    n = np.tanh(a_n + r * b_n)
    return (1.0 - z) * n + z * h


def rnn_cell(
    x: Any,
    h: Any,
    w_ih: Any,
    w_hh: Any,
    b_ih: Any = None,
    b_hh: Any = None,
    nonlinearity: str = "tanh",
) -> Any:
    """One step of an Elman RNN: ``act(x W_ih^T + b_ih + h W_hh^T + b_hh)``.

    >>> rnn_cell(np.ones((1, 1)), np.ones((1, 1)), -np.ones((1, 1)), np.ones((1, 1)),
    ...          nonlinearity="relu")
    array([[0.]])
    """
    return _rnn_step(linear(x, w_ih.T, b_ih), h, w_hh.T, b_hh, nonlinearity)


def lstm_cell(
    x: Any, state: tuple[Any, Any], w_ih: Any, w_hh: Any, b_ih: Any = None, b_hh: Any = None
) -> tuple[Any, Any]:
    """One LSTM step; ``state`` is ``(h, c)``, the result the new ``(h, c)``.

    >>> h, c = lstm_cell(np.zeros((1, 1)), (np.zeros((1, 1)), np.ones((1, 1))),
    ...                  np.zeros((4, 1)), np.zeros((4, 1)))
    >>> float(c[0, 0]), round(float(h[0, 0]), 4)          # c = 0.5 * 1, h = 0.5 tanh(0.5)
    (0.5, 0.2311)
    """
    h, c = state
    a, b = _gates(x, h, w_ih, w_hh, b_ih, b_hh)
    i, f, g, o = np.split(a + b, 4, axis=-1)
    c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    return sigmoid(o) * np.tanh(c), c


def gru_cell(x: Any, h: Any, w_ih: Any, w_hh: Any, b_ih: Any = None, b_hh: Any = None) -> Any:
    """One GRU step, torch's form: ``n = tanh(x W_in + b_in + r * (h W_hn + b_hn))``,
    ``h' = (1 - z) * n + z * h``.

    >>> gru_cell(np.zeros((1, 1)), np.ones((1, 1)), np.zeros((3, 1)), np.zeros((3, 1)))
    array([[0.5]])
    """
    return _gru_step(linear(x, w_ih.T, b_ih), h, w_hh.T, b_hh)


def run_layer(
    mode: str,
    xs: Any,
    state: Any,
    weights: tuple,
    reverse: bool = False,
    nonlinearity: str = "tanh",
) -> tuple[Any, Any]:
    """Run one direction of one layer over time-major ``xs`` ``(L, N, input)``.

    Returns the outputs ``(L, N, hidden)`` (in time order) and the final state (``h``,
    or ``(h, c)`` for ``mode='LSTM'``). The sequence is stacked once at the end.

    >>> out, h = run_layer("RNN", np.ones((3, 1, 1)), np.zeros((1, 1)),
    ...                    (np.ones((1, 1)), np.zeros((1, 1)), None, None))
    >>> out.shape, round(float(h[0, 0]), 4)
    ((3, 1, 1), 0.7616)
    """
    if mode == "LSTM":
        return _run_lstm(xs, state, weights, reverse)
    w_ih, w_hh, b_ih, b_hh = weights
    w_ih_t, w_hh_t = w_ih.T, w_hh.T
    steps = range(np.shape(xs)[0])
    outputs = []
    for t in reversed(steps) if reverse else steps:
        a = linear(xs[t], w_ih_t, b_ih)
        if mode == "GRU":
            state = _gru_step(a, state, w_hh_t, b_hh)
        else:
            state = _rnn_step(a, state, w_hh_t, b_hh, nonlinearity)
        outputs.append(state)
    if reverse:
        outputs.reverse()
    return np.stack(outputs), state


def _run_lstm(xs: Any, state: tuple, weights: tuple, reverse: bool) -> tuple[Any, Any]:
    """An LSTM layer: the input's share of every step's gates in one matrix product (as
    torch computes it), then the recurrence as one recorded operation."""
    w_ih, w_hh, b_ih, b_hh = weights
    length, batch = np.shape(xs)[0], tuple(np.shape(xs)[1:-1])
    if len(batch) != 1:
        raise ValueError(f"run_layer: LSTM inputs must be (L, N, input), got {np.shape(xs)}")
    bias = b_ih if b_hh is None else (b_hh if b_ih is None else b_ih + b_hh)
    flat = linear(np.reshape(xs, (-1, np.shape(xs)[-1])), w_ih.T, bias)
    proj = np.reshape(flat, (length,) + batch + (np.shape(flat)[-1],))
    hidden = np.shape(w_hh)[-1]
    trajectory = lstm_sequence(proj[::-1] if reverse else proj, np.stack(state), w_hh.T)
    hs, last = trajectory[:, :, :hidden], trajectory[-1]
    return (hs[::-1] if reverse else hs), (last[:, :hidden], last[:, hidden : 2 * hidden])
