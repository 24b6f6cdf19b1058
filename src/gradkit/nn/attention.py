"""Attention as plain NumPy that the engine differentiates.

>>> import numpy as np
>>> q = k = v = np.eye(2)[None]                     # (batch, length, features)
>>> scaled_dot_product_attention(q, k, v).round(3)
array([[[0.67, 0.33],
        [0.33, 0.67]]])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradkit.nn.functional import linear, softmax

__all__ = ["scaled_dot_product_attention", "multi_head_attention"]


def _mask_as_bias(mask: Any, dtype: Any) -> Any:
    """A boolean mask (True = may attend, as torch's SDPA) or an additive float mask."""
    mask = np.asarray(mask)
    if mask.dtype == bool:
        return np.where(mask, 0.0, -np.inf).astype(dtype)
    return mask


def scaled_dot_product_attention(
    query: Any,
    key: Any,
    value: Any,
    attn_mask: Any = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    rng: Any = None,
) -> Any:
    """``softmax(q k^T * scale + mask) v``, as ``torch.nn.functional.scaled_dot_product_attention``.

    Args:
        query: ``(..., L, E)``; key: ``(..., S, E)``; value: ``(..., S, Ev)``.
        attn_mask: boolean (True where attention is allowed) or a float added to the
            scores, broadcastable to ``(..., L, S)``.
        dropout_p: probability of dropping an attention weight (needs ``rng``).
        is_causal: position ``i`` attends to ``j <= i`` only (no ``attn_mask`` then).
        scale: defaults to ``1 / sqrt(E)``.

    A query whose every key is masked out gets NaN, as in torch.

    >>> q = np.ones((1, 3, 2)); v = np.arange(3.0).reshape(1, 3, 1)
    >>> scaled_dot_product_attention(q, q, v, is_causal=True).ravel()
    array([0. , 0.5, 1. ])
    """
    e = np.shape(query)[-1]
    scale = 1.0 / np.sqrt(e) if scale is None else scale
    scores = np.matmul(query, np.swapaxes(key, -1, -2)) * scale
    if is_causal:
        if attn_mask is not None:
            raise ValueError("scaled_dot_product_attention: give attn_mask or is_causal, not both")
        length, source = np.shape(scores)[-2:]
        attn_mask = np.tril(np.ones((length, source), dtype=bool))
    if attn_mask is not None:
        scores = scores + _mask_as_bias(attn_mask, np.result_type(scores))
    weights = softmax(scores, axis=-1)
    if dropout_p > 0.0:
        if rng is None:
            raise ValueError("scaled_dot_product_attention: dropout_p > 0 needs rng")
        keep = rng.random(np.shape(weights)) >= dropout_p
        weights = weights * (keep / (1.0 - dropout_p))
    return np.matmul(weights, value)


def multi_head_attention(
    query: Any,
    key: Any,
    value: Any,
    num_heads: int,
    in_proj_weight: Any,
    in_proj_bias: Any,
    out_proj_weight: Any,
    out_proj_bias: Any,
    key_padding_mask: Any = None,
    attn_mask: Any = None,
    is_causal: bool = False,
    need_weights: bool = True,
    average_attn_weights: bool = True,
    dropout_p: float = 0.0,
    rng: Any = None,
) -> tuple[Any, Any]:
    """Multi-head attention on batch-first inputs, with torch's parameter layout.

    ``query`` is ``(N, L, E)``, ``key``/``value`` ``(N, S, E)``; ``in_proj_weight`` is
    ``(3E, E)`` (torch's layout: rows for q, k, v), ``out_proj_weight`` ``(E, E)``.
    ``key_padding_mask`` ``(N, S)`` is True where a key is padding (torch's meaning);
    a boolean ``attn_mask`` ``(L, S)`` is True where attention is *not* allowed, as in
    ``torch.nn.MultiheadAttention``. Returns ``(output, weights)``; weights are averaged
    over heads unless ``average_attn_weights=False``, and None if not ``need_weights``.

    >>> e = 4; w = np.vstack([np.eye(e)] * 3)
    >>> out, weights = multi_head_attention(np.ones((1, 2, e)), np.ones((1, 2, e)),
    ...     np.ones((1, 2, e)), 2, w, np.zeros(3 * e), np.eye(e), np.zeros(e))
    >>> out.shape, weights.shape
    ((1, 2, 4), (1, 2, 2))
    """
    n, length, e = np.shape(query)
    source = np.shape(key)[1]
    if e % num_heads:
        raise ValueError(
            f"multi_head_attention: embed_dim {e} is not divisible by num_heads {num_heads}"
        )
    d = e // num_heads
    w_q, w_k, w_v = in_proj_weight[:e], in_proj_weight[e : 2 * e], in_proj_weight[2 * e :]
    b_q = b_k = b_v = None
    if in_proj_bias is not None:
        b_q, b_k, b_v = in_proj_bias[:e], in_proj_bias[e : 2 * e], in_proj_bias[2 * e :]

    def heads(x, w, b, size):
        return np.swapaxes(np.reshape(linear(x, w.T, b), (n, size, num_heads, d)), 1, 2)

    q, k, v = (
        heads(query, w_q, b_q, length),
        heads(key, w_k, b_k, source),
        heads(value, w_v, b_v, source),
    )
    scores = np.matmul(q, np.swapaxes(k, -1, -2)) / np.sqrt(d)  # (N, heads, L, S)
    bias = np.zeros((length, source))
    if is_causal and attn_mask is None:
        attn_mask = ~np.tril(np.ones((length, source), dtype=bool))
    if attn_mask is not None:
        mask = np.asarray(attn_mask)
        bias = bias + (np.where(mask, -np.inf, 0.0) if mask.dtype == bool else mask)
    if key_padding_mask is not None:
        pad = np.asarray(key_padding_mask)
        pad = np.where(pad, -np.inf, 0.0) if pad.dtype == bool else pad
        bias = bias + np.reshape(pad, (n, 1, 1, source))
    weights = softmax(scores + bias, axis=-1)
    dropped = weights
    if dropout_p > 0.0:
        if rng is None:
            raise ValueError("multi_head_attention: dropout_p > 0 needs rng")
        dropped = weights * ((rng.random(np.shape(weights)) >= dropout_p) / (1.0 - dropout_p))
    out = np.reshape(np.swapaxes(np.matmul(dropped, v), 1, 2), (n, length, e))
    out = linear(out, out_proj_weight.T, out_proj_bias)
    if not need_weights:
        return out, None
    return out, (np.mean(weights, axis=1) if average_attn_weights else weights)
