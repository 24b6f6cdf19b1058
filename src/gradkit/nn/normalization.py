"""Normalization as plain NumPy that the engine differentiates: batch, layer and group.

Each follows torch's formulas: ``(x - mean) / sqrt(var + eps) * weight + bias`` with the
biased variance; batch normalization's running variance is updated with the unbiased one.

>>> import numpy as np
>>> out = layer_norm(np.array([[1.0, 2.0, 3.0]]), (3,))
>>> np.round(out, 4)
array([[-1.2247,  0.    ,  1.2247]])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradkit.autodiff import stop_gradient

__all__ = ["batch_norm", "layer_norm", "group_norm"]


def _affine(y: Any, weight: Any, bias: Any, shape: tuple) -> Any:
    if weight is not None:
        y = y * np.reshape(weight, shape)
    if bias is not None:
        y = y + np.reshape(bias, shape)
    return y


def batch_norm(
    x: Any,
    running_mean: Any = None,
    running_var: Any = None,
    weight: Any = None,
    bias: Any = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Any:
    """Batch normalization over the batch (and spatial) axes, as torch's ``batch_norm``.

    ``x`` is ``(N, C)``, ``(N, C, L)`` or ``(N, C, H, W)``. In training mode (or with no
    running statistics) it uses the batch's statistics and, when ``running_mean`` and
    ``running_var`` are NumPy arrays, updates them in place as torch does:
    ``running = (1 - momentum) * running + momentum * batch`` (unbiased variance). The
    update carries no gradient. In evaluation mode it uses the running statistics.

    >>> x = np.array([[1.0], [3.0]])
    >>> mean, var = np.zeros(1), np.ones(1)
    >>> batch_norm(x, mean, var, training=True).ravel().round(4)
    array([-1.,  1.])
    >>> mean, var                                   # 0.9 * old + 0.1 * (2, unbiased 2)
    (array([0.2]), array([1.1]))
    """
    shape = np.shape(x)
    if len(shape) < 2:
        raise ValueError(f"batch_norm: expected an input of shape (N, C, ...), got {shape}")
    axes = (0,) + tuple(range(2, len(shape)))
    channel = (1, shape[1]) + (1,) * (len(shape) - 2)
    if training or running_mean is None or running_var is None:
        count = int(np.prod([shape[a] for a in axes]))
        if training and count <= 1:
            raise ValueError(
                f"batch_norm: expected more than 1 value per channel when training, got input "
                f"of shape {shape}"
            )
        mean = np.mean(x, axis=axes, keepdims=True)
        var = np.mean((x - mean) ** 2, axis=axes, keepdims=True)
        if (
            training
            and isinstance(running_mean, np.ndarray)
            and isinstance(running_var, np.ndarray)
        ):
            batch_mean = np.asarray(stop_gradient(mean)).reshape(-1)
            batch_var = np.asarray(stop_gradient(var)).reshape(-1) * count / (count - 1)
            running_mean *= 1.0 - momentum
            running_mean += momentum * batch_mean
            running_var *= 1.0 - momentum
            running_var += momentum * batch_var
    else:
        mean = np.reshape(running_mean, channel)
        var = np.reshape(running_var, channel)
    return _affine((x - mean) / np.sqrt(var + eps), weight, bias, channel)


def layer_norm(
    x: Any, normalized_shape: Any, weight: Any = None, bias: Any = None, eps: float = 1e-5
) -> Any:
    """Normalize over the last ``len(normalized_shape)`` axes, as torch's ``layer_norm``.

    >>> layer_norm(np.ones((2, 3)), 3)
    array([[0., 0., 0.],
           [0., 0., 0.]])
    """
    if isinstance(normalized_shape, (int, np.integer)):
        normalized_shape = (int(normalized_shape),)
    normalized_shape = tuple(normalized_shape)
    shape = np.shape(x)
    k = len(normalized_shape)
    if k == 0 or tuple(shape[len(shape) - k :]) != normalized_shape:
        raise ValueError(
            f"layer_norm: normalized_shape {normalized_shape} must match the last axes of the "
            f"input, whose shape is {shape}"
        )
    axes = tuple(range(len(shape) - k, len(shape)))
    mean = np.mean(x, axis=axes, keepdims=True)
    var = np.mean((x - mean) ** 2, axis=axes, keepdims=True)
    return _affine((x - mean) / np.sqrt(var + eps), weight, bias, normalized_shape)


def group_norm(
    x: Any, num_groups: int, weight: Any = None, bias: Any = None, eps: float = 1e-5
) -> Any:
    """Normalize each group of channels of each sample, as torch's ``group_norm``.

    >>> group_norm(np.arange(8.0).reshape(1, 4, 2), 2).round(4)[0, :, 0]
    array([-1.3416,  0.4472, -1.3416,  0.4472])
    """
    shape = np.shape(x)
    if len(shape) < 2 or shape[1] % num_groups:
        raise ValueError(
            f"group_norm: the input's channels (axis 1 of shape {shape}) must divide into "
            f"num_groups={num_groups}"
        )
    grouped = np.reshape(x, (shape[0], num_groups, -1))
    mean = np.mean(grouped, axis=-1, keepdims=True)
    var = np.mean((grouped - mean) ** 2, axis=-1, keepdims=True)
    y = np.reshape((grouped - mean) / np.sqrt(var + eps), shape)
    return _affine(y, weight, bias, (1, shape[1]) + (1,) * (len(shape) - 2))
