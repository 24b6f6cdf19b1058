"""Recurrent layers ``RNN``, ``LSTM`` and ``GRU``, with torch's arguments, parameter
names and layouts (cells in :mod:`gradkit.nn.recurrent`).

Inputs are ``(L, N, input_size)``, or ``(N, L, input_size)`` with ``batch_first=True``,
or ``(L, input_size)`` unbatched. ``layer(x)`` returns ``(output, h_n)`` (``LSTM``:
``(output, (h_n, c_n))``), as torch; pass ``h0`` (``LSTM``: ``(h0, c0)``) to start from
a state. Initial weights are ``U(-1/sqrt(hidden), 1/sqrt(hidden))``, as torch's.

>>> import numpy as np
>>> lstm = LSTM(3, 5, num_layers=2, batch_first=True, rng=0)
>>> lstm
LSTM(3, 5, num_layers=2, batch_first=True)
>>> out, (h, c) = lstm(np.zeros((4, 7, 3)))
>>> out.shape, h.shape, c.shape
((4, 7, 5), (2, 4, 5), (2, 4, 5))
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from gradkit.nn import recurrent
from gradkit.nn.init import RNGLike, make_rng
from gradkit.nn.layers import Module, Params, _check_size, _lookup

__all__ = ["RNN", "LSTM", "GRU"]


class _RNNBase(Module):
    mode = "RNN"
    gates = 1

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        rng: RNGLike = None,
    ) -> None:
        super().__init__()
        self.input_size = _check_size("input_size", input_size)
        self.hidden_size = _check_size("hidden_size", hidden_size)
        self.num_layers = _check_size("num_layers", num_layers)
        self.bias, self.batch_first = bool(bias), bool(batch_first)
        self.bidirectional = bool(bidirectional)
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"{type(self).__name__}: dropout must be in [0, 1), got {dropout!r}")
        self.dropout = float(dropout)
        self._rng = make_rng(rng)
        self._params = self.init_params(self._rng)

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    def _names(self, layer: int, direction: int) -> list[str]:
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        names = [f"weight_ih{suffix}", f"weight_hh{suffix}"]
        if self.bias:
            names += [f"bias_ih{suffix}", f"bias_hh{suffix}"]
        return names

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        rows, shapes = self.gates * self.hidden_size, {}
        for layer in range(self.num_layers):
            inputs = self.input_size if layer == 0 else self.hidden_size * self.directions
            for direction in range(self.directions):
                names = self._names(layer, direction)
                shapes[names[0]] = (rows, inputs)
                shapes[names[1]] = (rows, self.hidden_size)
                if self.bias:
                    shapes[names[2]] = shapes[names[3]] = (rows,)
        return shapes

    def init_params(self, rng: RNGLike = None) -> Params:
        generator = make_rng(rng)
        bound = 1.0 / math.sqrt(self.hidden_size)
        return {
            name: generator.uniform(-bound, bound, size=shape)
            for name, shape in self.param_shapes().items()
        }

    def _initial(self, state: Any, batch: tuple) -> Any:
        count = self.num_layers * self.directions
        shape = (count,) + batch + (self.hidden_size,)
        if state is None:
            return np.zeros(shape)
        if tuple(np.shape(state)) != shape:
            raise ValueError(
                f"{type(self).__name__}: the initial state must have shape {shape}, got "
                f"{np.shape(state)}"
            )
        return state

    def forward(self, params: Params, x: Any, hx: Any = None) -> Any:
        shape = tuple(np.shape(x))
        if len(shape) not in (2, 3) or shape[-1] != self.input_size:
            raise ValueError(
                f"{self!r} expects inputs (L, N, {self.input_size}) (batch_first: (N, L, "
                f"{self.input_size})) or (L, {self.input_size}); got shape {shape}"
            )
        unbatched = len(shape) == 2
        if unbatched:
            x = x[:, None]
        elif self.batch_first:
            x = np.swapaxes(x, 0, 1)
        batch = (x.shape[1],)
        if self.mode == "LSTM":
            h0, c0 = (None, None) if hx is None else hx
            if unbatched and hx is not None:
                h0, c0 = h0[:, None], c0[:, None]
            h0, c0 = self._initial(h0, batch), self._initial(c0, batch)
        else:
            h0 = self._initial(None if hx is None else (hx[:, None] if unbatched else hx), batch)
        finals_h, finals_c = [], []
        for layer in range(self.num_layers):
            outs = []
            for direction in range(self.directions):
                k = layer * self.directions + direction
                weights = tuple(
                    _lookup(params, name, self) for name in self._names(layer, direction)
                )
                if not self.bias:
                    weights += (None, None)
                state = (h0[k], c0[k]) if self.mode == "LSTM" else h0[k]
                out, state = recurrent.run_layer(
                    self.mode,
                    x,
                    state,
                    weights,
                    bool(direction),
                    getattr(self, "nonlinearity", "tanh"),
                )
                outs.append(out)
                if self.mode == "LSTM":
                    finals_h.append(state[0])
                    finals_c.append(state[1])
                else:
                    finals_h.append(state)
            x = outs[0] if len(outs) == 1 else np.concatenate(outs, axis=-1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                keep = self._rng.random(tuple(np.shape(x))) >= self.dropout
                x = x * (keep / (1.0 - self.dropout))
        h_n = np.stack(finals_h)
        c_n = np.stack(finals_c) if self.mode == "LSTM" else None
        if unbatched:
            x, h_n = x[:, 0], h_n[:, 0]
            c_n = c_n[:, 0] if c_n is not None else None
        elif self.batch_first:
            x = np.swapaxes(x, 0, 1)
        return (x, (h_n, c_n)) if self.mode == "LSTM" else (x, h_n)

    def config(self) -> dict[str, Any]:
        return {
            "input_size": self.input_size,
            "hidden_size": self.hidden_size,
            "num_layers": self.num_layers,
            "bias": self.bias,
            "batch_first": self.batch_first,
            "dropout": self.dropout,
            "bidirectional": self.bidirectional,
        }

    def __repr__(self) -> str:
        parts = [f"{self.input_size}, {self.hidden_size}"]
        defaults = {
            "num_layers": 1,
            "bias": True,
            "batch_first": False,
            "dropout": 0.0,
            "bidirectional": False,
        }
        for key, default in defaults.items():
            if getattr(self, key) != default:
                parts.append(f"{key}={getattr(self, key)}")
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            parts.append(f"nonlinearity={self.nonlinearity!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


class RNN(_RNNBase):
    """An Elman RNN, as ``torch.nn.RNN`` (``nonlinearity`` ``'tanh'`` or ``'relu'``).

    >>> out, h = RNN(2, 4, rng=0)(np.ones((5, 3, 2)))
    >>> out.shape, h.shape
    ((5, 3, 4), (1, 3, 4))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        rng: RNGLike = None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(
            input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, rng
        )

    def config(self) -> dict[str, Any]:
        return {**super().config(), "nonlinearity": self.nonlinearity}


class LSTM(_RNNBase):
    """A long short-term memory layer, as ``torch.nn.LSTM`` (gates i, f, g, o).

    >>> LSTM(2, 3).num_parameters()                  # 4 * (3*2 + 3*3 + 3 + 3)
    84
    """

    mode, gates = "LSTM", 4


class GRU(_RNNBase):
    """A gated recurrent unit layer, as ``torch.nn.GRU`` (gates r, z, n).

    >>> out, h = GRU(2, 3, bidirectional=True, rng=0)(np.ones((4, 2)))   # unbatched
    >>> out.shape, h.shape
    ((4, 6), (2, 3))
    """

    mode, gates = "GRU", 3
