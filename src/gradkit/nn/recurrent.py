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

__all__ = ["rnn_cell", "lstm_cell", "gru_cell", "run_layer"]


def _gates(x: Any, h: Any, w_ih: Any, w_hh: Any, b_ih: Any, b_hh: Any) -> tuple[Any, Any]:
    return linear(x, w_ih.T, b_ih), linear(h, w_hh.T, b_hh)


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
    a, b = _gates(x, h, w_ih, w_hh, b_ih, b_hh)
    if nonlinearity == "tanh":
        return np.tanh(a + b)
    if nonlinearity == "relu":
        return np.maximum(a + b, 0.0)
    raise ValueError(f"rnn_cell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")


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
    a, b = _gates(x, h, w_ih, w_hh, b_ih, b_hh)
    a_r, a_z, a_n = np.split(a, 3, axis=-1)
    b_r, b_z, b_n = np.split(b, 3, axis=-1)
    r, z = sigmoid(a_r + b_r), sigmoid(a_z + b_z)
    n = np.tanh(a_n + r * b_n)
    return (1.0 - z) * n + z * h


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
    steps = range(np.shape(xs)[0])
    outputs = []
    for t in reversed(steps) if reverse else steps:
        if mode == "LSTM":
            state = lstm_cell(xs[t], state, *weights)
            outputs.append(state[0])
        elif mode == "GRU":
            state = gru_cell(xs[t], state, *weights)
            outputs.append(state)
        else:
            state = rnn_cell(xs[t], state, *weights, nonlinearity=nonlinearity)
            outputs.append(state)
    if reverse:
        outputs.reverse()
    return np.stack(outputs), state
