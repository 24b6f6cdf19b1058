"""``MultiheadAttention`` and ``TransformerEncoderLayer``, with torch's arguments,
parameter names and layouts (functional forms in :mod:`gradkit.nn.attention`).

>>> import numpy as np
>>> layer = TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True,
...                                 rng=0)
>>> layer(np.zeros((3, 5, 8))).shape
(3, 5, 8)
>>> sorted(layer.params)[:3]
['linear1.bias', 'linear1.weight', 'linear2.bias']
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from gradkit.nn import attention
from gradkit.nn.activation_layers import Dropout
from gradkit.nn.containers import Container
from gradkit.nn.functional import gelu, relu
from gradkit.nn.init import RNGLike, make_rng
from gradkit.nn.layers import Linear, Module, Params, _check_size, _lookup
from gradkit.nn.norm_layers import LayerNorm

__all__ = ["MultiheadAttention", "TransformerEncoderLayer"]


class MultiheadAttention(Module):
    """Multi-head attention, as ``torch.nn.MultiheadAttention``.

    Parameters (torch's names and layouts): ``in_proj_weight`` ``(3E, E)``,
    ``in_proj_bias`` ``(3E,)``, ``out_proj.weight`` ``(E, E)``, ``out_proj.bias``.
    ``layer(query, key=None, value=None, key_padding_mask=None, need_weights=True,
    attn_mask=None, average_attn_weights=True, is_causal=False)`` returns
    ``(output, weights)``; ``key``/``value`` default to ``query`` (self-attention).
    Masks have torch's meaning: True marks what may *not* be attended.

    >>> mha = MultiheadAttention(4, 2, batch_first=True, rng=0)
    >>> out, w = mha(np.ones((1, 3, 4)))
    >>> out.shape, w.shape
    ((1, 3, 4), (1, 3, 3))
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        batch_first: bool = False,
        rng: RNGLike = None,
    ) -> None:
        super().__init__()
        self.embed_dim = _check_size("embed_dim", embed_dim)
        self.num_heads = _check_size("num_heads", num_heads)
        if self.embed_dim % self.num_heads:
            raise ValueError(
                f"MultiheadAttention: embed_dim ({embed_dim}) must be divisible by num_heads "
                f"({num_heads})"
            )
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"MultiheadAttention: dropout must be in [0, 1), got {dropout!r}")
        self.dropout, self.bias, self.batch_first = float(dropout), bool(bias), bool(batch_first)
        self._rng = make_rng(rng)
        self._params = self.init_params(self._rng)

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        e = self.embed_dim
        shapes = {"in_proj_weight": (3 * e, e), "out_proj.weight": (e, e)}
        if self.bias:
            shapes.update({"in_proj_bias": (3 * e,), "out_proj.bias": (e,)})
        return shapes

    def init_params(self, rng: RNGLike = None) -> Params:
        generator, e = make_rng(rng), self.embed_dim
        limit = math.sqrt(6.0 / (4 * e))  # xavier_uniform on (3E, E), as torch
        params = {
            "in_proj_weight": generator.uniform(-limit, limit, (3 * e, e)),
            "out_proj.weight": generator.uniform(-1 / math.sqrt(e), 1 / math.sqrt(e), (e, e)),
        }
        if self.bias:
            params.update({"in_proj_bias": np.zeros(3 * e), "out_proj.bias": np.zeros(e)})
        return params

    def forward(
        self,
        params: Params,
        query: Any,
        key: Any = None,
        value: Any = None,
        key_padding_mask: Any = None,
        need_weights: bool = True,
        attn_mask: Any = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Any, Any]:
        key = query if key is None else key
        value = key if value is None else value
        unbatched = len(np.shape(query)) == 2
        if unbatched:
            query, key, value = query[None], key[None], value[None]
            if key_padding_mask is not None:
                key_padding_mask = np.asarray(key_padding_mask)[None]
        elif not self.batch_first:
            query, key, value = (np.swapaxes(t, 0, 1) for t in (query, key, value))
        if np.shape(query)[-1] != self.embed_dim:
            raise ValueError(
                f"{self!r} expects {self.embed_dim} features, got shape {np.shape(query)}"
            )
        bias = self.bias
        out, weights = attention.multi_head_attention(
            query,
            key,
            value,
            self.num_heads,
            _lookup(params, "in_proj_weight", self),
            _lookup(params, "in_proj_bias", self) if bias else None,
            _lookup(params, "out_proj.weight", self),
            _lookup(params, "out_proj.bias", self) if bias else None,
            key_padding_mask=key_padding_mask,
            attn_mask=attn_mask,
            is_causal=is_causal,
            need_weights=need_weights,
            average_attn_weights=average_attn_weights,
            dropout_p=self.dropout if self.training else 0.0,
            rng=self._rng,
        )
        if unbatched:
            return out[0], None if weights is None else weights[0]
        if not self.batch_first:
            out = np.swapaxes(out, 0, 1)
        return out, weights

    def config(self) -> dict[str, Any]:
        return {
            "embed_dim": self.embed_dim,
            "num_heads": self.num_heads,
            "dropout": self.dropout,
            "bias": self.bias,
            "batch_first": self.batch_first,
        }

    def __repr__(self) -> str:
        return f"MultiheadAttention({self.embed_dim}, num_heads={self.num_heads})"


class TransformerEncoderLayer(Container):
    """Self-attention then a feed-forward block, each with a residual connection and
    layer normalization, as ``torch.nn.TransformerEncoderLayer`` (``norm_first`` too).

    ``layer(src, src_mask=None, src_key_padding_mask=None, is_causal=False)``. Its
    ``linear1``/``linear2`` are gradkit ``Linear`` layers (weights ``(in, out)``);
    ``load_torch_state_dict`` converts torch's ``(out, in)``.

    >>> TransformerEncoderLayer(4, 2, dim_feedforward=8).num_parameters()   # as torch counts
    172
    """

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str = "relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        rng: RNGLike = None,
    ) -> None:
        super().__init__()
        if activation not in ("relu", "gelu"):
            raise ValueError(
                f"TransformerEncoderLayer: activation must be 'relu' or 'gelu', got {activation!r}"
            )
        generator = make_rng(rng)
        self.d_model, self.nhead = d_model, nhead
        self.dim_feedforward = _check_size("dim_feedforward", dim_feedforward)
        self.dropout, self.activation = float(dropout), activation
        self.layer_norm_eps, self.batch_first = float(layer_norm_eps), bool(batch_first)
        self.norm_first, self.bias = bool(norm_first), bool(bias)
        self.add_module(
            "self_attn", MultiheadAttention(d_model, nhead, dropout, bias, True, generator)
        )
        self.add_module("linear1", Linear(d_model, dim_feedforward, bias, rng=generator))
        self.add_module("dropout", Dropout(dropout, generator))
        self.add_module("linear2", Linear(dim_feedforward, d_model, bias, rng=generator))
        self.add_module("norm1", LayerNorm(d_model, layer_norm_eps))
        self.add_module("norm2", LayerNorm(d_model, layer_norm_eps))
        self.add_module("dropout1", Dropout(dropout, generator))
        self.add_module("dropout2", Dropout(dropout, generator))

    def _block(self, params: Params, x: Any, mask: Any, padding: Any, causal: bool) -> Any:
        out, _ = self.run(
            params,
            "self_attn",
            x,
            attn_mask=mask,
            key_padding_mask=padding,
            need_weights=False,
            is_causal=causal,
        )
        return self.run(params, "dropout1", out)

    def _feed_forward(self, params: Params, x: Any) -> Any:
        act = relu if self.activation == "relu" else (lambda v: gelu(v, approximate=False))
        h = self.run(params, "dropout", act(self.run(params, "linear1", x)))
        return self.run(params, "dropout2", self.run(params, "linear2", h))

    def forward(
        self,
        params: Params,
        src: Any,
        src_mask: Any = None,
        src_key_padding_mask: Any = None,
        is_causal: bool = False,
    ) -> Any:
        x = src
        swap = len(np.shape(x)) == 3 and not self.batch_first
        if swap:
            x = np.swapaxes(x, 0, 1)
        args = (src_mask, src_key_padding_mask, is_causal)
        if self.norm_first:
            x = x + self._block(params, self.run(params, "norm1", x), *args)
            x = x + self._feed_forward(params, self.run(params, "norm2", x))
        else:
            x = self.run(params, "norm1", x + self._block(params, x, *args))
            x = self.run(params, "norm2", x + self._feed_forward(params, x))
        return np.swapaxes(x, 0, 1) if swap else x

    def config(self) -> dict[str, Any]:
        return {
            "d_model": self.d_model,
            "nhead": self.nhead,
            "dim_feedforward": self.dim_feedforward,
            "dropout": self.dropout,
            "activation": self.activation,
            "layer_norm_eps": self.layer_norm_eps,
            "batch_first": self.batch_first,
            "norm_first": self.norm_first,
            "bias": self.bias,
        }
