"""Normalization layers and ``Embedding`` (functional forms in
:mod:`gradkit.nn.normalization`).

``BatchNorm1d/2d`` keep torch's buffers ``running_mean``, ``running_var`` and
``num_batches_tracked``: updated by calls in training mode, used in evaluation mode.

>>> import numpy as np
>>> bn = BatchNorm1d(2)
>>> bn
BatchNorm1d(2, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
>>> _ = bn(np.array([[0.0, 1.0], [2.0, 3.0]]))
>>> bn.buffers()["running_mean"]
array([0.1, 0.2])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradkit.autodiff import stop_gradient
from gradkit.nn import normalization
from gradkit.nn.init import RNGLike, make_rng
from gradkit.nn.layers import Module, Params, _check_size, _lookup

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm", "Embedding"]


class _BatchNorm(Module):
    input_ndims: tuple[int, ...] = (2, 3)

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
    ) -> None:
        super().__init__()
        self.num_features = _check_size("num_features", num_features)
        self.eps, self.momentum = float(eps), float(momentum)
        self.affine, self.track_running_stats = bool(affine), bool(track_running_stats)
        self.running_mean = np.zeros(self.num_features)
        self.running_var = np.ones(self.num_features)
        self.num_batches_tracked = np.zeros((), dtype=np.int64)
        self._params = self.init_params()

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        if not self.affine:
            return {}
        return {"weight": (self.num_features,), "bias": (self.num_features,)}

    def init_params(self, rng: RNGLike = None) -> Params:
        if not self.affine:
            return {}
        return {"weight": np.ones(self.num_features), "bias": np.zeros(self.num_features)}

    def buffers(self) -> dict[str, np.ndarray]:
        if not self.track_running_stats:
            return {}
        return {
            "running_mean": self.running_mean,
            "running_var": self.running_var,
            "num_batches_tracked": self.num_batches_tracked,
        }

    def forward(self, params: Params, x: Any) -> Any:
        shape = tuple(np.shape(x))
        if len(shape) not in self.input_ndims or shape[1] != self.num_features:
            raise ValueError(
                f"{self!r} expects inputs of {' or '.join(f'{n}' for n in self.input_ndims)} "
                f"axes with {self.num_features} channels on axis 1, got shape {shape}"
            )
        weight = _lookup(params, "weight", self) if self.affine else None
        bias = _lookup(params, "bias", self) if self.affine else None
        track = self.track_running_stats
        if self.training and track:
            self.num_batches_tracked += 1
        return normalization.batch_norm(
            x,
            self.running_mean if track else None,
            self.running_var if track else None,
            weight,
            bias,
            training=self.training or not track,
            momentum=self.momentum,
            eps=self.eps,
        )

    def config(self) -> dict[str, Any]:
        return {
            "num_features": self.num_features,
            "eps": self.eps,
            "momentum": self.momentum,
            "affine": self.affine,
            "track_running_stats": self.track_running_stats,
        }

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.num_features}, eps={self.eps:g}, "
            f"momentum={self.momentum:g}, affine={self.affine}, "
            f"{'bias=True, ' if self.affine else ''}"
            f"track_running_stats={self.track_running_stats})"
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalization of ``(N, C)`` or ``(N, C, L)``, as ``torch.nn.BatchNorm1d``.

    >>> BatchNorm1d(3).eval()(np.ones((2, 3)))                # running stats: 0 and 1
    array([[0.999995, 0.999995, 0.999995],
           [0.999995, 0.999995, 0.999995]])
    """


class BatchNorm2d(_BatchNorm):
    """Batch normalization of ``(N, C, H, W)``, as ``torch.nn.BatchNorm2d``.

    >>> BatchNorm2d(4).num_parameters()
    8
    """

    input_ndims = (4,)


class LayerNorm(Module):
    """Layer normalization over the trailing ``normalized_shape``, as ``torch.nn.LayerNorm``.

    >>> LayerNorm(4)
    LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=True)
    """

    def __init__(
        self, normalized_shape: Any, eps: float = 1e-5, elementwise_affine: bool = True
    ) -> None:
        super().__init__()
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(_check_size("normalized_shape", n) for n in normalized_shape)
        self.eps, self.elementwise_affine = float(eps), bool(elementwise_affine)
        self._params = self.init_params()

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        if not self.elementwise_affine:
            return {}
        return {"weight": self.normalized_shape, "bias": self.normalized_shape}

    def init_params(self, rng: RNGLike = None) -> Params:
        if not self.elementwise_affine:
            return {}
        return {"weight": np.ones(self.normalized_shape), "bias": np.zeros(self.normalized_shape)}

    def forward(self, params: Params, x: Any) -> Any:
        affine = self.elementwise_affine
        return normalization.layer_norm(
            x,
            self.normalized_shape,
            _lookup(params, "weight", self) if affine else None,
            _lookup(params, "bias", self) if affine else None,
            self.eps,
        )

    def config(self) -> dict[str, Any]:
        return {
            "normalized_shape": list(self.normalized_shape),
            "eps": self.eps,
            "elementwise_affine": self.elementwise_affine,
        }

    def __repr__(self) -> str:
        return (
            f"LayerNorm({self.normalized_shape}, eps={self.eps:g}, "
            f"elementwise_affine={self.elementwise_affine}"
            + (", bias=True)" if self.elementwise_affine else ")")
        )


class GroupNorm(Module):
    """Group normalization, as ``torch.nn.GroupNorm``.

    >>> GroupNorm(2, 4)
    GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)
    """

    def __init__(
        self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True
    ) -> None:
        super().__init__()
        self.num_groups = _check_size("num_groups", num_groups)
        self.num_channels = _check_size("num_channels", num_channels)
        if self.num_channels % self.num_groups:
            raise ValueError(
                f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups "
                f"({num_groups})"
            )
        self.eps, self.affine = float(eps), bool(affine)
        self._params = self.init_params()

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        return {"weight": (self.num_channels,), "bias": (self.num_channels,)} if self.affine else {}

    def init_params(self, rng: RNGLike = None) -> Params:
        if not self.affine:
            return {}
        return {"weight": np.ones(self.num_channels), "bias": np.zeros(self.num_channels)}

    def forward(self, params: Params, x: Any) -> Any:
        return normalization.group_norm(
            x,
            self.num_groups,
            _lookup(params, "weight", self) if self.affine else None,
            _lookup(params, "bias", self) if self.affine else None,
            self.eps,
        )

    def config(self) -> dict[str, Any]:
        return {
            "num_groups": self.num_groups,
            "num_channels": self.num_channels,
            "eps": self.eps,
            "affine": self.affine,
        }

    def __repr__(self) -> str:
        bias = ", bias=True" if self.affine else ""
        head = f"GroupNorm({self.num_groups}, {self.num_channels}, eps={self.eps:g}"
        return f"{head}, affine={self.affine}{bias})"


class Embedding(Module):
    """A lookup table ``weight[indices]``, as ``torch.nn.Embedding``.

    Args:
        num_embeddings: rows of the table (the number of distinct indices).
        embedding_dim: the size of each embedding vector.
        padding_idx: this row starts at zero and gets no gradient (as in torch).
        rng: seed or generator; the table starts ``N(0, 1)`` as in torch.

    >>> emb = Embedding(10, 3, rng=0)
    >>> emb(np.array([[1, 2], [3, 1]])).shape
    (2, 2, 3)
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        rng: RNGLike = None,
    ) -> None:
        super().__init__()
        self.num_embeddings = _check_size("num_embeddings", num_embeddings)
        self.embedding_dim = _check_size("embedding_dim", embedding_dim)
        if padding_idx is not None:
            if not -self.num_embeddings <= padding_idx < self.num_embeddings:
                raise ValueError(f"Embedding: padding_idx {padding_idx} is out of range")
            padding_idx %= self.num_embeddings
        self.padding_idx = padding_idx
        self._params = self.init_params(rng)

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        return {"weight": (self.num_embeddings, self.embedding_dim)}

    def init_params(self, rng: RNGLike = None) -> Params:
        weight = make_rng(rng).standard_normal((self.num_embeddings, self.embedding_dim))
        if self.padding_idx is not None:
            weight[self.padding_idx] = 0.0
        return {"weight": weight}

    def forward(self, params: Params, x: Any) -> Any:
        indices = np.asarray(x)
        if indices.dtype.kind not in "iu":
            if indices.dtype.kind == "f" and np.all(indices == np.round(indices)):
                indices = indices.astype(np.int64)
            else:
                raise TypeError(f"Embedding expects integer indices, got dtype {indices.dtype}")
        if indices.size and (indices.min() < 0 or indices.max() >= self.num_embeddings):
            raise IndexError(
                f"Embedding: indices must lie in [0, {self.num_embeddings}), got values from "
                f"{indices.min()} to {indices.max()}"
            )
        weight = _lookup(params, "weight", self)
        if self.padding_idx is not None:  # the same values, no gradient into that row
            keep = np.ones((self.num_embeddings, 1))
            keep[self.padding_idx] = 0.0
            weight = weight * keep + stop_gradient(weight) * (1.0 - keep)
        return weight[indices]

    def config(self) -> dict[str, Any]:
        return {
            "num_embeddings": self.num_embeddings,
            "embedding_dim": self.embedding_dim,
            "padding_idx": self.padding_idx,
        }

    def __repr__(self) -> str:
        pad = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"Embedding({self.num_embeddings}, {self.embedding_dim}{pad})"
