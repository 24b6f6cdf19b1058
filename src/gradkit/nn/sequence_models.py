"""Sequence classifiers: an LSTM and a small transformer encoder that read a sequence of
feature vectors ``(N, L, features)`` and return class logits ``(N, classes)``.

They are what ``gradkit train digits --model lstm|transformer`` trains, reading each 8x8
digit as a sequence of its 8 rows (:func:`rows_as_sequence`), and models to start from
for any sequence task.

>>> import numpy as np
>>> model = LSTMClassifier(8, 16, 10, rng=0)
>>> model(np.zeros((5, 8, 8))).shape
(5, 10)
>>> TransformerClassifier(8, 10, length=8, d_model=16, rng=0)(np.zeros((5, 8, 8))).shape
(5, 10)
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np

from gradkit.nn.attention_layers import TransformerEncoderLayer
from gradkit.nn.containers import Container, ModuleList
from gradkit.nn.init import RNGLike, make_rng
from gradkit.nn.layers import Linear, Params
from gradkit.nn.norm_layers import Embedding
from gradkit.nn.recurrent_layers import LSTM

__all__ = ["LSTMClassifier", "TransformerClassifier", "rows_as_sequence", "sequence_classifier"]


def rows_as_sequence(images: Any, width: int) -> np.ndarray:
    """Flattened images ``(N, H * width)`` as sequences of their rows ``(N, H, width)``.

    >>> rows_as_sequence(np.arange(8.0).reshape(2, 4), 2)[1]
    array([[4., 5.],
           [6., 7.]])
    """
    images = np.asarray(images, dtype=float)
    if images.ndim != 2 or images.shape[1] % width:
        raise ValueError(
            f"rows_as_sequence: expected flattened images (N, H * {width}), got shape "
            f"{images.shape}"
        )
    return images.reshape(len(images), -1, width)


def _seeds(rng: RNGLike, count: int) -> list[int]:
    return [int(u * 2**31) for u in make_rng(rng).random(count)]


class LSTMClassifier(Container):
    """An LSTM over the sequence, then a linear layer on its last hidden state.

    Args:
        features: the size of each sequence element.
        hidden: the LSTM's hidden size.
        classes: the number of logits.
        num_layers: stacked LSTM layers.
        rng: a seed or generator for the initial weights.

    >>> LSTMClassifier(8, 16, 10, rng=0).num_parameters()   # 4*16*(8+16+2) + 16*10 + 10
    1834
    """

    def __init__(
        self, features: int, hidden: int, classes: int, num_layers: int = 1, rng: RNGLike = None
    ) -> None:
        super().__init__()
        seeds = _seeds(rng, 2)
        self.add_module("lstm", LSTM(features, hidden, num_layers, batch_first=True, rng=seeds[0]))
        self.add_module("head", Linear(hidden, classes, rng=seeds[1]))

    def forward(self, params: Params, x: Any) -> Any:
        _, (h, _) = self.run(params, "lstm", x)
        return self.run(params, "head", h[-1])


class TransformerClassifier(Container):
    """A linear embedding of each element plus a learned position embedding, a stack of
    transformer encoder layers (pre-norm), the mean over positions, a linear read-out.

    Args:
        features: the size of each sequence element.
        classes: the number of logits.
        length: the longest sequence (the number of learned positions).
        d_model: the width of the encoder.
        nhead: attention heads (must divide ``d_model``).
        num_layers: encoder layers.
        dim_feedforward: the width of each layer's feed-forward block.
        rng: a seed or generator for the initial weights.

    >>> model = TransformerClassifier(8, 10, length=8, d_model=16, num_layers=2, rng=0)
    >>> sorted(model.params)[:3]
    ['embed.bias', 'embed.weight', 'head.bias']
    """

    def __init__(
        self,
        features: int,
        classes: int,
        length: int,
        d_model: int = 32,
        nhead: int = 4,
        num_layers: int = 2,
        dim_feedforward: int = 64,
        rng: RNGLike = None,
    ) -> None:
        super().__init__()
        seeds = _seeds(rng, num_layers + 3)
        self.length = length
        self.add_module("embed", Linear(features, d_model, rng=seeds[0]))
        self.add_module("positions", Embedding(length, d_model, rng=seeds[1]))
        layers = [
            TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout=0.0,
                                    batch_first=True, norm_first=True, rng=seed)
            for seed in seeds[2:-1]
        ]  # fmt: skip
        self.add_module("layers", ModuleList(layers))
        self.add_module("head", Linear(d_model, classes, rng=seeds[-1]))

    def forward(self, params: Params, x: Any) -> Any:
        steps = np.shape(x)[-2]
        if steps > self.length:
            raise ValueError(
                f"{type(self).__name__}: sequences of length {steps} are longer than the "
                f"{self.length} positions it learned"
            )
        h = self.run(params, "embed", x) + self.run(params, "positions", np.arange(steps))
        layers = cast(ModuleList, self._modules["layers"])
        layer_params = self.sub(params, "layers")
        for i in range(len(layers)):
            h = layers.run(layer_params, str(i), h)
        return self.run(params, "head", np.mean(h, axis=-2))


def sequence_classifier(
    kind: str, features: int, classes: int, length: int, hidden: int = 32, rng: RNGLike = None
) -> Container:
    """An :class:`LSTMClassifier` (``kind="lstm"``) or a two-layer
    :class:`TransformerClassifier` (``kind="transformer"``, width ``hidden``, 4 heads).

    >>> sequence_classifier("lstm", 8, 10, length=8, hidden=16, rng=0).num_parameters()
    1834
    """
    if kind == "lstm":
        return LSTMClassifier(features, hidden, classes, rng=rng)
    if kind == "transformer":
        if hidden % 4:
            raise ValueError(
                f"sequence_classifier: the transformer's width {hidden} must be a multiple "
                "of its 4 attention heads"
            )
        return TransformerClassifier(
            features, classes, length, d_model=hidden, dim_feedforward=2 * hidden, rng=rng
        )
    raise ValueError(f"sequence_classifier: kind must be 'lstm' or 'transformer', got {kind!r}")
