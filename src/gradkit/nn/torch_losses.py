"""Losses with torch's names, signatures and options (``gk.nn.functional.cross_entropy``...).

Argument order is torch's: ``(input, target)``; ``reduction`` is ``'mean'``, ``'sum'`` or
``'none'``. Each is plain NumPy that the engine differentiates. (``gk.nn.mse_loss`` and
the other tutorial losses keep the tutorial's ``(y_true, y_pred)`` order.)

>>> import numpy as np
>>> logits = np.array([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
>>> round(float(cross_entropy(logits, np.array([0, 1]))), 6)
0.360645
>>> round(float(cross_entropy(logits, np.array([0, 1]), label_smoothing=0.1)), 6)
0.477312
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradkit.nn.functional import log_softmax, softplus

__all__ = [
    "cross_entropy", "nll_loss", "binary_cross_entropy_with_logits", "mse_loss", "l1_loss",
    "smooth_l1_loss", "huber_loss", "kl_div", "cosine_embedding_loss",
    "margin_ranking_loss", "triplet_margin_loss",
]  # fmt: skip

_REDUCTIONS = ("mean", "sum", "none")


def _reduce(loss: Any, reduction: str, name: str) -> Any:
    if reduction == "mean":
        return np.mean(loss)
    if reduction == "sum":
        return np.sum(loss)
    if reduction == "none":
        return loss
    raise ValueError(f"{name}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _class_axis_last(x: Any) -> Any:
    """(N, C, d1, ...) -> (N, d1, ..., C): torch keeps classes on axis 1."""
    return np.moveaxis(x, 1, -1) if len(np.shape(x)) > 2 else x


def _check_targets(target: Any, logits_shape: tuple, name: str) -> np.ndarray:
    target = np.asarray(target)
    want = (logits_shape[0],) + tuple(logits_shape[2:]) if len(logits_shape) > 1 else ()
    if target.dtype.kind not in "iu" or target.shape != want:
        raise ValueError(
            f"{name}: class-index targets must be integers of shape {want} for input of shape "
            f"{logits_shape}; got {target.dtype} of shape {target.shape}"
        )
    return target


def nll_loss(
    input: Any, target: Any, weight: Any = None, ignore_index: int = -100, reduction: str = "mean"
) -> Any:
    """Negative log-likelihood of class indices given log-probabilities, as torch's.

    ``input`` is ``(N, C)`` or ``(N, C, d1, ...)``; ``target`` holds class indices
    (``ignore_index`` entries count for nothing). ``'mean'`` divides by the summed
    weights of the counted targets, as torch does.

    >>> logp = np.log(np.array([[0.5, 0.5], [0.25, 0.75]]))
    >>> round(float(nll_loss(logp, np.array([0, 1]))), 6)       # -(log .5 + log .75) / 2
    0.490415
    """
    shape = tuple(np.shape(input))
    target = _check_targets(target, shape, "nll_loss")
    logp = _class_axis_last(input)
    classes = shape[1] if len(shape) > 1 else shape[0]
    keep = target != ignore_index
    safe = np.where(keep, target, 0)
    if np.any((safe < 0) | (safe >= classes)):
        raise IndexError(f"nll_loss: targets must lie in [0, {classes}) or be ignore_index")
    w = np.ones(classes) if weight is None else weight
    w_t = np.where(keep, np.take(w, safe), 0.0)
    picked = np.take_along_axis(logp, safe[..., None], axis=-1)[..., 0]
    loss = -w_t * picked
    if reduction == "mean":
        return np.sum(loss) / np.sum(w_t)
    return _reduce(loss, reduction, "nll_loss")


def cross_entropy(
    input: Any,
    target: Any,
    weight: Any = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Any:
    """Softmax cross-entropy from logits, as ``torch.nn.functional.cross_entropy``.

    ``target`` is class indices (``(N,)`` or ``(N, d1, ...)``) or class probabilities
    (the input's shape). ``label_smoothing`` mixes the target with the uniform
    distribution: ``(1 - eps) * nll + eps * mean_c(-w_c log p_c)``.

    >>> round(float(cross_entropy(np.zeros((2, 4)), np.array([1, 3]))), 6)    # log 4
    1.386294
    """
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    shape = tuple(np.shape(input))
    logp = log_softmax(input, axis=1 if len(shape) > 1 else 0)
    classes = shape[1] if len(shape) > 1 else shape[0]
    target_arr = np.asarray(target)
    if target_arr.dtype.kind == "f":  # probabilities
        if target_arr.shape != shape:
            want = (shape[0],) + shape[2:]
            raise ValueError(
                f"cross_entropy: targets must be class indices (integers of shape {want}) or "
                f"probabilities of the input's shape {shape}; got {target_arr.dtype} of shape "
                f"{target_arr.shape}"
            )
        t = target_arr * (1.0 - label_smoothing) + label_smoothing / classes
        w = 1.0 if weight is None else np.reshape(weight, (classes,) + (1,) * (len(shape) - 2))
        loss = -np.sum(w * t * logp, axis=1 if len(shape) > 1 else 0)
        return _reduce(loss, reduction, "cross_entropy")
    nll = nll_loss(logp, target, weight, ignore_index, reduction)
    if label_smoothing == 0.0:
        return nll
    target_arr = _check_targets(target_arr, shape, "cross_entropy")
    keep = target_arr != ignore_index
    w = np.ones(classes) if weight is None else weight
    smooth = -np.sum(_class_axis_last(logp) * w, axis=-1) * keep
    if reduction == "mean":
        w_t = np.where(keep, np.take(w, np.where(keep, target_arr, 0)), 0.0)
        smooth = np.sum(smooth) / np.sum(w_t)
    else:
        smooth = _reduce(smooth, reduction, "cross_entropy")
    return (1.0 - label_smoothing) * nll + label_smoothing / classes * smooth


def binary_cross_entropy_with_logits(
    input: Any, target: Any, weight: Any = None, reduction: str = "mean", pos_weight: Any = None
) -> Any:
    """``-w [p y log s(z) + (1 - y) log(1 - s(z))]`` from logits, as torch's, stably.

    ``pos_weight`` ``p`` weighs the positive term (broadcast along the last axis).

    >>> round(float(binary_cross_entropy_with_logits(np.zeros(2), np.array([1.0, 0.0]),
    ...                                              pos_weight=np.array(3.0))), 6)
    1.386294
    """
    target = np.asarray(target, dtype=float)
    if target.shape != tuple(np.shape(input)):
        raise ValueError(
            f"binary_cross_entropy_with_logits: target shape {target.shape} differs from the "
            f"input's {np.shape(input)}"
        )
    positive = softplus(-input) * target
    if pos_weight is not None:
        positive = positive * pos_weight
    loss = positive + (1.0 - target) * softplus(input)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "binary_cross_entropy_with_logits")


def _pair(input: Any, target: Any, name: str) -> Any:
    if tuple(np.shape(input)) != tuple(np.shape(target)):
        raise ValueError(
            f"{name}: input shape {np.shape(input)} and target shape {np.shape(target)} differ"
        )
    return input - target


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Any:
    """Squared error, as ``torch.nn.functional.mse_loss``.

    >>> float(mse_loss(np.array([1.0, 3.0]), np.array([0.0, 0.0])))
    5.0
    """
    return _reduce(_pair(input, target, "mse_loss") ** 2, reduction, "mse_loss")


def l1_loss(input: Any, target: Any, reduction: str = "mean") -> Any:
    """Absolute error, as ``torch.nn.functional.l1_loss``.

    >>> float(l1_loss(np.array([1.0, -3.0]), np.zeros(2)))
    2.0
    """
    return _reduce(np.abs(_pair(input, target, "l1_loss")), reduction, "l1_loss")


def smooth_l1_loss(input: Any, target: Any, reduction: str = "mean", beta: float = 1.0) -> Any:
    """``0.5 d^2 / beta`` for ``|d| < beta``, else ``|d| - 0.5 beta``, as torch's.

    >>> smooth_l1_loss(np.array([0.5, 3.0]), np.zeros(2), reduction="none")
    array([0.125, 2.5  ])
    """
    d = np.abs(_pair(input, target, "smooth_l1_loss"))
    if beta == 0.0:
        return _reduce(d, reduction, "smooth_l1_loss")
    small = d < beta
    loss = np.where(small, 0.5 * np.where(small, d, 0.0) ** 2 / beta, d - 0.5 * beta)
    return _reduce(loss, reduction, "smooth_l1_loss")


def huber_loss(input: Any, target: Any, reduction: str = "mean", delta: float = 1.0) -> Any:
    """``delta * smooth_l1_loss(beta=delta)``, as ``torch.nn.functional.huber_loss``.

    >>> huber_loss(np.array([0.5, 3.0]), np.zeros(2), reduction="none", delta=2.0)
    array([0.125, 4.   ])
    """
    return delta * smooth_l1_loss(input, target, reduction, beta=delta)


def kl_div(input: Any, target: Any, reduction: str = "mean", log_target: bool = False) -> Any:
    """``target * (log target - input)`` with ``input`` log-probabilities, as torch's
    (``reduction='batchmean'`` divides the sum by the batch size; 0 log 0 is 0).

    >>> p = np.array([[0.5, 0.5]]); q = np.log(np.array([[0.25, 0.75]]))
    >>> round(float(kl_div(q, p, reduction="batchmean")), 6)
    0.143841
    """
    if log_target:
        loss = np.exp(target) * (target - input)
    else:
        target = np.asarray(target) if not hasattr(target, "_trace") else target
        positive = target > 0
        safe = np.where(positive, target, 1.0)
        loss = np.where(positive, target * (np.log(safe) - input), 0.0)
    if reduction == "batchmean":
        return np.sum(loss) / np.shape(input)[0]
    return _reduce(loss, reduction, "kl_div")


def _check_signs(y: Any, name: str) -> np.ndarray:
    y = np.asarray(y)
    if not np.all(np.isin(y, (-1, 1))):
        raise ValueError(f"{name}: targets must be 1 or -1")
    return y


def cosine_embedding_loss(
    input1: Any,
    input2: Any,
    target: Any,
    margin: float = 0.0,
    reduction: str = "mean",
    eps: float = 1e-12,
) -> Any:
    """``1 - cos`` for ``y = 1``, ``max(0, cos - margin)`` for ``y = -1``, as torch's.

    >>> float(cosine_embedding_loss(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]),
    ...                             np.array([1])))
    1.0
    """
    y = _check_signs(target, "cosine_embedding_loss")
    dot = np.sum(input1 * input2, axis=-1)
    norms = np.sqrt((np.sum(input1**2, axis=-1) + eps) * (np.sum(input2**2, axis=-1) + eps))
    cos = dot / norms
    loss = np.where(y == 1, 1.0 - cos, np.maximum(cos - margin, 0.0))
    return _reduce(loss, reduction, "cosine_embedding_loss")


def margin_ranking_loss(
    input1: Any, input2: Any, target: Any, margin: float = 0.0, reduction: str = "mean"
) -> Any:
    """``max(0, -y (x1 - x2) + margin)``, as ``torch.nn.functional.margin_ranking_loss``.

    >>> float(margin_ranking_loss(np.array([1.0]), np.array([2.0]), np.array([1]), 0.5))
    1.5
    """
    y = _check_signs(target, "margin_ranking_loss")
    return _reduce(
        np.maximum(-y * (input1 - input2) + margin, 0.0), reduction, "margin_ranking_loss"
    )


def _distance(a: Any, b: Any, p: float, eps: float) -> Any:
    return np.sum(np.abs(a - b + eps) ** p, axis=-1) ** (1.0 / p)


def triplet_margin_loss(
    anchor: Any,
    positive: Any,
    negative: Any,
    margin: float = 1.0,
    p: float = 2.0,
    eps: float = 1e-6,
    swap: bool = False,
    reduction: str = "mean",
) -> Any:
    """``max(d(a, p) - d(a, n) + margin, 0)`` with torch's pairwise distance
    ``||a - b + eps||_p`` (``swap`` uses ``min(d(a, n), d(p, n))``).

    >>> a = np.zeros((1, 2)); pos = np.array([[3.0, 4.0]]); neg = np.array([[0.0, 1.0]])
    >>> round(float(triplet_margin_loss(a, pos, neg, eps=0.0)), 6)
    5.0
    """
    d_pos = _distance(anchor, positive, p, eps)
    d_neg = _distance(anchor, negative, p, eps)
    if swap:
        d_neg = np.minimum(d_neg, _distance(positive, negative, p, eps))
    return _reduce(np.maximum(d_pos - d_neg + margin, 0.0), reduction, "triplet_margin_loss")
