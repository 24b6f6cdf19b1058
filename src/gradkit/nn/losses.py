"""Loss functions and their closed-form gradients.

Every ``*_loss`` is plain NumPy code the engine differentiates, and every
``*_gradient`` is the closed form of its derivative with respect to the
prediction, equal to ``gk.grad`` of the loss (the tests check this pair by pair).

Argument order: the tutorial's losses take ``(y_true, y_pred)``; the ``*_with_logits``
losses take ``(logits, labels)``, as PyTorch's do, and say so if they look swapped.

Reductions, chosen so that the gradients match the formulas:

- ``mse_loss``, ``huber_loss``, ``binary_cross_entropy*``: mean over all elements.
- ``cross_entropy_loss`` and ``cross_entropy_with_logits``: *sum* over the classes (the
  last axis), *mean* over the samples. For one distribution (a 1-D input) that is the
  tutorial's formula ``L = -sum y log p`` with gradient ``-y / p`` exactly. The
  tutorial's code instead took ``-mean(y * log p)``, which also divides by the number of
  classes, so its loss was k times smaller than its gradient ``-y / p`` says; here the
  loss and ``cross_entropy_gradient`` agree.

Probabilities of exactly 0 or 1 are clipped to ``[epsilon, 1 - epsilon]`` for the log,
*straight through*: the value uses the clipped probability and the gradient is that of
the log at the clipped point (never zeroed by the clip), so ``log 0`` gives a large
finite loss and a gradient that still points the right way. Predictions outside
``[0, 1]`` (logits, say) are refused with a ``ValueError``, as PyTorch's
``binary_cross_entropy`` refuses them; NaN passes, so a diverged model shows.

>>> import numpy as np
>>> float(mse_loss(np.array([1.0, 0.0]), np.array([0.5, 0.5])))
0.25
>>> float(cross_entropy_with_logits(np.array([[0.0, 1000.0]]), np.array([1])))
0.0
"""

from __future__ import annotations

import functools
import math
import sys
from typing import Any

import numpy as np

from gradkit.nn.functional import (
    _TRACED,
    _as_input,
    _note_traced_type,
    log_softmax,
    sigmoid,
    softmax,
    softplus,
    stop_gradient,
)
from gradkit.shared_arrays import readonly_arange, readonly_ones

__all__ = [
    "mse_loss",
    "mse_gradient",
    "cross_entropy_loss",
    "cross_entropy_gradient",
    "binary_cross_entropy",
    "binary_cross_entropy_gradient",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy_with_logits_gradient",
    "cross_entropy_with_logits",
    "cross_entropy_with_logits_gradient",
    "huber_loss",
    "huber_gradient",
    "one_hot",
]


def _size(x: Any) -> int:
    return math.prod(x.shape) if hasattr(x, "shape") else 1


def _check_same_shape(loss: str, y_true: Any, y_pred: Any) -> None:
    true_shape, pred_shape = np.shape(y_true), tuple(y_pred.shape)
    if true_shape != pred_shape:
        raise ValueError(
            f"{loss}: y_true has shape {true_shape} but y_pred has shape {pred_shape}; "
            "they must match (broadcasting (n,) against (n, 1) would silently compare "
            "every target with every prediction). Reshape one of them, e.g. y.reshape(-1, 1)."
        )


def _check_probabilities(loss: str, y_pred: Any) -> None:
    """Refuse predictions outside [0, 1]: logits would be clipped to a loss of about 0.

    NaN passes, so that a diverged model shows as a NaN loss (which ``fit`` reports).
    """
    value = stop_gradient(y_pred)
    if not np.size(value):
        return
    low, high = np.min(value), np.max(value)
    if low < 0.0 or high > 1.0:
        raise ValueError(
            f"{loss}: y_pred must be probabilities in [0, 1], got values from {low} to "
            f"{high}. For raw scores (logits) use {_LOGITS_LOSS[loss]}(logits, labels); "
            "this loss takes (y_true, y_pred) -- were the arguments swapped?"
        )


_LOGITS_LOSS = {
    "cross_entropy_loss": "cross_entropy_with_logits",
    "cross_entropy_gradient": "cross_entropy_with_logits",
    "binary_cross_entropy": "binary_cross_entropy_with_logits",
    "binary_cross_entropy_gradient": "binary_cross_entropy_with_logits",
}


def _clip_straight_through(p: Any, low: float, high: float) -> Any:
    """``p`` with the value of ``clip(p, low, high)`` and the gradient of ``p``."""
    value = stop_gradient(p)
    return p + (np.clip(value, low, high) - value)


def _samples(x: Any) -> int:
    """The number of distributions in ``x``: all elements over the size of the last axis."""
    shape = tuple(x.shape)
    return max(1, _size(x) // shape[-1]) if shape else 1


def _per_sample(x: Any) -> float:
    """``1 / n`` for the mean over the ``n`` distributions in ``x``, and NaN for an empty
    batch: the mean of nothing, as NumPy's mean and PyTorch's losses give it."""
    shape = tuple(x.shape)
    if shape and _size(x) == 0:
        return math.nan
    return 1.0 / _samples(x)


# ----------------------------------------------------------------------------- regression


def mse_loss(y_true: Any, y_pred: Any) -> Any:
    """Return the mean squared error ``mean((y_true - y_pred)**2)`` over all elements.

    Args:
        y_true: targets.
        y_pred: predictions, the same shape as ``y_true``.

    >>> float(mse_loss(np.array([1.0, 2.0]), np.array([1.0, 4.0])))
    2.0
    """
    y_true, y_pred = _as_input(y_true), _as_input(y_pred)
    _check_same_shape("mse_loss", y_true, y_pred)
    diff = y_pred - y_true
    return np.mean(diff * diff)


def mse_gradient(y_true: Any, y_pred: Any) -> np.ndarray:
    """Return ``d mse_loss / d y_pred = 2 (y_pred - y_true) / y_pred.size``.

    The tutorial divides by ``len(y_true)``; that equals ``size`` for its ``(n, 1)``
    targets, and ``size`` is right for every shape.

    Args:
        y_true: targets.
        y_pred: predictions, the same shape as ``y_true``.

    >>> mse_gradient(np.array([1.0, 2.0]), np.array([1.0, 4.0]))
    array([0., 2.])
    """
    y_true, y_pred = _as_input(y_true), _as_input(y_pred)
    _check_same_shape("mse_gradient", y_true, y_pred)
    return 2.0 * (y_pred - y_true) / _size(y_pred)


def _check_delta(loss: str, delta: Any) -> float:
    """``delta`` as a float, if it is one positive real number."""
    try:
        ok = not isinstance(delta, (bool, np.bool_, str)) and np.ndim(delta) == 0
        value = float(delta) if ok else math.nan
    except (TypeError, ValueError):
        value = math.nan
    if not value > 0:
        raise ValueError(f"{loss}: delta must be a positive number, got {delta!r}")
    return value


def huber_loss(y_true: Any, y_pred: Any, delta: float = 1.0) -> Any:
    """Return the Huber loss, mean over all elements.

    Quadratic ``0.5 r**2`` for residuals ``|r| <= delta`` and linear
    ``delta * (|r| - 0.5 delta)`` beyond, so outliers pull with a bounded force.

    Args:
        y_true: targets.
        y_pred: predictions, the same shape as ``y_true``.
        delta: where the quadratic part turns linear (> 0).

    >>> float(huber_loss(np.array([0.0, 0.0]), np.array([0.5, 3.0])))
    1.3125
    """
    delta = _check_delta("huber_loss", delta)
    y_true, y_pred = _as_input(y_true), _as_input(y_pred)
    _check_same_shape("huber_loss", y_true, y_pred)
    residual = y_pred - y_true
    small = np.abs(stop_gradient(residual)) <= delta
    quadratic = 0.5 * residual * residual
    linear = delta * (np.abs(residual) - 0.5 * delta)
    return np.mean(np.where(small, quadratic, linear))


def huber_gradient(y_true: Any, y_pred: Any, delta: float = 1.0) -> np.ndarray:
    """Return ``d huber_loss / d y_pred``: the residual, clipped to ``[-delta, delta]``, / size.

    Args:
        y_true: targets.
        y_pred: predictions, the same shape as ``y_true``.
        delta: where the quadratic part turns linear.

    >>> huber_gradient(np.array([0.0, 0.0]), np.array([0.5, 3.0]))
    array([0.25, 0.5 ])
    """
    delta = _check_delta("huber_gradient", delta)
    y_true, y_pred = _as_input(y_true), _as_input(y_pred)
    _check_same_shape("huber_gradient", y_true, y_pred)
    return np.clip(y_pred - y_true, -delta, delta) / _size(y_pred)


# ----------------------------------------------------------------------------- probabilities


def cross_entropy_loss(y_true: Any, y_pred: Any, epsilon: float = 1e-15) -> Any:
    """Return ``-sum(y_true * log(y_pred))`` over classes, averaged over samples.

    Classes are on the last axis; a 1-D input is one distribution. Probabilities
    below ``epsilon`` are clipped (straight through) so ``log 0`` stays finite.

    Args:
        y_true: target distributions (one-hot rows, or any probabilities).
        y_pred: predicted probabilities in [0, 1] (others are refused), the same shape.
        epsilon: the smallest probability taken by the log.

    >>> float(cross_entropy_loss(np.array([[0.0, 1.0]]), np.array([[0.5, 0.5]])))  # log 2
    0.6931471805599453
    >>> float(cross_entropy_loss(np.array([1.0, 0.0]), np.array([0.0, 1.0])))  # -log 1e-15
    34.538776394910684
    """
    y_true, y_pred = _as_input(y_true), _as_input(y_pred)
    _check_same_shape("cross_entropy_loss", y_true, y_pred)
    _check_probabilities("cross_entropy_loss", y_pred)
    safe = _clip_straight_through(y_pred, epsilon, 1.0)
    return -np.sum(y_true * np.log(safe)) * _per_sample(y_pred)


def cross_entropy_gradient(y_true: Any, y_pred: Any, epsilon: float = 1e-15) -> np.ndarray:
    """Return ``d cross_entropy_loss / d y_pred = -y_true / y_pred / n_samples``.

    For a single distribution (1-D input) this is the tutorial's ``-y / p`` exactly.

    Args:
        y_true: target distributions.
        y_pred: predicted probabilities in [0, 1] (others are refused), the same shape.
        epsilon: the smallest probability, as in the loss.

    >>> cross_entropy_gradient(np.array([0.0, 1.0]), np.array([0.5, 0.5]))
    array([-0., -2.])
    """
    y_true, y_pred = _as_input(y_true), _as_input(y_pred)
    _check_same_shape("cross_entropy_gradient", y_true, y_pred)
    _check_probabilities("cross_entropy_gradient", y_pred)
    safe = np.clip(y_pred, epsilon, 1.0)
    return -y_true / safe / _samples(y_pred)


def binary_cross_entropy(y_true: Any, y_pred: Any, epsilon: float = 1e-15) -> Any:
    """Return ``-mean(y log p + (1 - y) log(1 - p))`` over all elements.

    ``p`` is clipped (straight through) to ``[epsilon, 1 - epsilon]`` so a confident
    wrong prediction gives a large finite loss, never ``inf`` or NaN.

    Args:
        y_true: targets in [0, 1].
        y_pred: predicted probabilities in [0, 1] (others are refused), the same shape.
        epsilon: how far from 0 and 1 the log is taken.

    >>> float(binary_cross_entropy(np.array([1.0, 0.0]), np.array([0.5, 0.5])))  # log 2
    0.6931471805599453
    """
    y_true, y_pred = _as_input(y_true), _as_input(y_pred)
    _check_same_shape("binary_cross_entropy", y_true, y_pred)
    _check_probabilities("binary_cross_entropy", y_pred)
    safe = _clip_straight_through(y_pred, epsilon, 1.0 - epsilon)
    return -np.mean(y_true * np.log(safe) + (1.0 - y_true) * np.log(1.0 - safe))


def binary_cross_entropy_gradient(y_true: Any, y_pred: Any, epsilon: float = 1e-15) -> np.ndarray:
    """Return ``d binary_cross_entropy / d y_pred = (-y / p + (1 - y) / (1 - p)) / size``.

    Args:
        y_true: targets in [0, 1].
        y_pred: predicted probabilities in [0, 1] (others are refused), the same shape.
        epsilon: as in the loss.

    >>> binary_cross_entropy_gradient(np.array([1.0, 0.0]), np.array([0.5, 0.5]))
    array([-1.,  1.])
    """
    y_true, y_pred = _as_input(y_true), _as_input(y_pred)
    _check_same_shape("binary_cross_entropy_gradient", y_true, y_pred)
    _check_probabilities("binary_cross_entropy_gradient", y_pred)
    safe = np.clip(y_pred, epsilon, 1.0 - epsilon)
    return (-y_true / safe + (1.0 - y_true) / (1.0 - safe)) / _size(y_pred)


# ----------------------------------------------------------------------------- logits


def _check_binary_labels(labels: Any, logits: Any) -> Any:
    labels = _as_input(labels)
    _check_same_shape_labels(labels, logits)
    if isinstance(labels, np.ndarray) and labels.size and not _within_unit_interval(labels):
        raise ValueError(
            "binary_cross_entropy_with_logits: labels must lie in [0, 1] (got values from "
            f"{np.min(labels)} to {np.max(labels)}); the *_with_logits losses take "
            "(logits, labels) — were the arguments swapped?"
        )
    return labels


def _within_unit_interval(labels: np.ndarray) -> bool:
    """Every label in [0, 1], in one pass: ``max |y - 1/2| <= 1/2`` (NaN fails it too)."""
    distance = np.subtract(labels, 0.5, dtype=np.float64)  # an array even for 0-d labels
    if not distance.ndim:
        distance = distance.reshape(1)
    np.abs(distance, out=distance)
    return bool(np.maximum.reduce(distance, axis=None) <= 0.5)


def _check_same_shape_labels(labels: Any, logits: Any) -> None:
    if np.shape(labels) != tuple(logits.shape):
        raise ValueError(
            f"binary_cross_entropy_with_logits: logits have shape {tuple(logits.shape)} "
            f"but labels have shape {np.shape(labels)}; they must match."
        )


def binary_cross_entropy_with_logits(logits: Any, labels: Any) -> Any:
    """Return binary cross-entropy of ``sigmoid(logits)``, computed stably from the logits.

    ``mean(y softplus(-z) + (1 - y) softplus(z))`` equals
    ``binary_cross_entropy(y, sigmoid(z))`` (``-log sigmoid(z) = softplus(-z)``) but never
    takes the log of a rounded probability, and for 0/1 labels never subtracts nearly
    equal numbers, so it keeps full relative precision even for ``|z| = 1000``.

    Args:
        logits: raw scores ``z``.
        labels: targets in [0, 1], the same shape.

    >>> float(binary_cross_entropy_with_logits(np.array([0.0]), np.array([1.0])))  # log 2
    0.6931471805599453
    >>> float(binary_cross_entropy_with_logits(np.array([-1000.0]), np.array([1.0])))
    1000.0
    """
    logits = _as_input(logits)
    labels = _check_binary_labels(labels, logits)
    if type(labels) is np.ndarray and (
        type(logits) in _TRACED or not isinstance(logits, (np.ndarray, np.generic))
    ):
        # Traced logits, constant labels: one recorded operation with the closed-form slope.
        return _binary_cross_entropy_primitive()(logits, labels)
    return _binary_cross_entropy_values(logits, labels)


def _binary_cross_entropy_values(logits: Any, labels: Any) -> Any:
    return np.mean(labels * softplus(-logits) + (1.0 - labels) * softplus(logits))


def _binary_cross_entropy_slope(logits: Any, labels: Any, scale: float = 1.0) -> Any:
    """``scale (sigmoid(z) - y) / size``, written with NumPy calls to differentiate again
    (empty for an empty batch)."""
    return (sigmoid(logits) - labels) * (scale / max(_size(logits), 1))


@functools.lru_cache(maxsize=1)
def _binary_cross_entropy_primitive() -> Any:
    return _loss_primitive(
        _binary_cross_entropy_values,
        _binary_cross_entropy_slope,
        "binary_cross_entropy_with_logits",
    )


def binary_cross_entropy_with_logits_gradient(logits: Any, labels: Any) -> np.ndarray:
    """Return ``d binary_cross_entropy_with_logits / d logits = (sigmoid(z) - y) / size``.

    Args:
        logits: raw scores ``z``.
        labels: targets in [0, 1], the same shape.

    >>> binary_cross_entropy_with_logits_gradient(np.array([0.0, 0.0]), np.array([1.0, 0.0]))
    array([-0.25,  0.25])
    """
    logits = _as_input(logits)
    labels = _check_binary_labels(labels, logits)
    return (sigmoid(logits) - labels) / _size(logits)


def one_hot(labels: Any, num_classes: int) -> np.ndarray:
    """Return a float array with a 1 in column ``labels[i]`` of row ``i``, shape ``(..., k)``.

    Args:
        labels: integer class indices in ``[0, num_classes)`` (integral floats accepted).
        num_classes: the number of classes ``k``.

    >>> one_hot(np.array([2, 0]), 3)
    array([[0., 0., 1.],
           [1., 0., 0.]])
    """
    num_classes = _check_num_classes(num_classes)
    labels = np.asarray(labels)
    if labels.dtype.kind == "f":
        if not np.all(np.isfinite(labels)) or np.any(labels != np.round(labels)):
            raise ValueError(
                "class labels must be whole numbers; got non-integral values such as "
                f"{labels[labels != np.round(labels)].ravel()[:3]}"
            )
        labels = labels.astype(np.int64)
    if labels.dtype.kind not in "iub":
        raise TypeError(f"class labels must be integers, got dtype {labels.dtype}")
    if labels.dtype.kind == "b":
        labels = labels.astype(np.int64)  # class 1 and 0: a bool array would index as a mask
    _check_class_indices(labels, num_classes)
    return np.eye(num_classes)[labels]


def _check_num_classes(num_classes: Any) -> int:
    if (
        isinstance(num_classes, (bool, np.bool_))
        or not isinstance(num_classes, (int, np.integer))
        or num_classes < 0
    ):
        raise ValueError(f"one_hot: num_classes must be a whole number >= 0, got {num_classes!r}")
    return int(num_classes)


def _target_distribution(logits: Any, labels: Any) -> np.ndarray:
    """Labels as rows of probabilities with the logits' shape (one-hot for class indices)."""
    logits_shape = tuple(logits.shape)
    if not logits_shape:
        raise ValueError("cross_entropy_with_logits: logits must have a class axis, got a scalar")
    engine = sys.modules.get("gradkit.autodiff.tensor")  # loaded if labels can be a Tensor
    if engine is not None and type(labels) is engine.Tensor and labels._trace is None:
        labels = labels._value  # a constant Tensor (requires_grad=False): its array
    if not isinstance(labels, (np.ndarray, np.generic, list, tuple, int, float)):
        # traced soft labels: the gradient is being taken with respect to the targets
        if tuple(labels.shape) == logits_shape:
            return labels
        raise ValueError(
            f"cross_entropy_with_logits: differentiable labels must be probability rows "
            f"of the logits' shape {logits_shape}; got {tuple(labels.shape)}"
        )
    labels = np.asarray(labels)
    if labels.shape == logits_shape[:-1]:
        return one_hot(labels, logits_shape[-1])
    if labels.shape == logits_shape:
        if labels.dtype.kind not in "fiub":
            raise TypeError(f"cross_entropy_with_logits: labels have dtype {labels.dtype}")
        if labels.size and np.min(labels) < 0:
            raise ValueError(
                "cross_entropy_with_logits: one-hot/probability labels must be >= 0; the "
                "loss takes (logits, labels) — were the arguments swapped?"
            )
        return labels.astype(float)
    raise ValueError(
        f"cross_entropy_with_logits: logits have shape {logits_shape}, so labels must be "
        f"class indices of shape {logits_shape[:-1]} or one-hot rows of shape "
        f"{logits_shape}; got {labels.shape}"
    )


def cross_entropy_with_logits(logits: Any, labels: Any) -> Any:
    """Return softmax cross-entropy from raw scores: ``-sum(y * log_softmax(z))`` / n.

    Summed over the classes (last axis) and averaged over samples, as PyTorch's
    ``cross_entropy``. Stable for any finite logits.

    Args:
        logits: raw scores, shape ``(n, k)`` (or ``(k,)`` for one sample).
        labels: class indices of shape ``(n,)`` (ints, or whole-number floats), or
            one-hot / probability rows of shape ``(n, k)``.

    >>> z = np.array([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    >>> float(cross_entropy_with_logits(z, np.array([0, 2])))  # (log(e^2+2) - 2 + log 3) / 2
    0.669078527444997
    """
    logits = _as_input(logits)
    if (
        type(labels) is np.ndarray
        and labels.ndim == 1
        and labels.dtype.kind in "iu"
        and (type(logits) in _TRACED or not isinstance(logits, (np.ndarray, np.generic)))
    ):
        shape = logits.shape
        if len(shape) == 2 and shape[0] == labels.shape[0]:
            # Traced logits, integer class indices: one operation, never one-hot rows (the
            # operation checks the labels itself).
            return _cross_entropy_index_primitive()(logits, labels)
    targets = _target_distribution(logits, labels)
    if isinstance(logits, np.ndarray) or not isinstance(targets, np.ndarray):
        return _cross_entropy_values(logits, targets)
    # Traced logits, constant targets: one recorded operation (as PyTorch fuses it), whose
    # derivative is the closed form below instead of a dozen recorded steps.
    return _cross_entropy_primitive()(logits, targets)


def _exp_parts(z: Any) -> tuple[np.ndarray, np.ndarray, Any] | None:
    """``(z - m, exp(z - m), row sums of exp(z - m))`` along the last axis (the sums keep
    it, with length 1), ``m`` each row's largest logit, for a plain float array; None for
    anything else (the general NumPy path then handles it). Through the ufuncs' own
    reduce and, in float64, a BLAS product for the row sums (np.max/np.sum cost
    microseconds each in Python).

    A row sum is finite exactly when the row's maximum is: it is at least 1 (the
    largest term is exp(0)) and NaN for a NaN, +inf or all -inf row. Callers check that
    through the sums or the loss, once, instead of checking every maximum.
    """
    if type(z) is not np.ndarray or z.dtype.kind != "f" or not z.ndim or not z.size:
        return None
    shifted = z - np.maximum.reduce(z, axis=-1, keepdims=True)
    e = np.exp(shifted)
    if z.dtype == _F64:
        # each row sum is >= 1: its largest term is 1. A column of ones keeps the axis.
        sums = e @ readonly_ones((z.shape[-1], 1), _F64)
    else:
        sums = np.add.reduce(e, axis=-1, keepdims=True)
    return shifted, e, sums


def _finite_exp_parts(z: Any) -> tuple[np.ndarray, np.ndarray, Any] | None:
    """:func:`_exp_parts` when every row's maximum is finite, else None."""
    parts = _exp_parts(z)
    return parts if parts is not None and np.isfinite(parts[2]).all() else None


_F64 = np.dtype(np.float64)


class _SoftmaxMemo:
    """The exponentials of the last traced forward pass, kept for its backward pass.

    A fused cross-entropy's backward pass needs ``softmax(z)``, which its forward pass
    already computed; the forward leaves ``(z, y, exp(z - m), row sums)`` here and the
    backward takes them when it is handed the *same* logits and the *same* labels or
    targets (checked by identity; the entry holds both, so no other array can take their
    ids). The labels matter: what the forward derived from them (the labels' positions)
    is kept too, and a second loss on the same logits with other labels must not hand its
    own to the first. Anything else, such as two graphs interleaved, finds no entry and
    recomputes: the memo changes the speed, never the result. One entry, given up when
    taken, so nothing large stays alive.
    """

    __slots__ = ("entry",)

    def __init__(self) -> None:
        self.entry: tuple | None = None

    def keep(self, z: np.ndarray, y: Any, parts: tuple, extra: Any = None) -> None:
        """Keep the parts of a forward pass on logits ``z`` and labels or targets ``y``
        whose row sums are all finite (and ``extra``, anything else derived from the
        same call)."""
        self.entry = (z, y, parts[1], parts[2], extra)

    def take(self, z: Any, y: Any) -> tuple[np.ndarray, np.ndarray, Any] | None:
        """``(exp(z - m), row sums, extra)`` for these logits and labels, yours to
        overwrite (extra is None when they were recomputed); or None."""
        entry = self.entry
        if entry is None or entry[0] is not z or entry[1] is not y:
            parts = _finite_exp_parts(z)
            return None if parts is None else (parts[1], parts[2], None)
        self.entry = None
        return entry[2], entry[3], entry[4]


_MEMO = _SoftmaxMemo()


def _cross_entropy_values(logits: Any, targets: Any, keep: bool = False) -> Any:
    """The loss; with ``keep``, as a traced operation, leaving its exponentials for the
    backward pass in the memo."""
    if type(targets) is np.ndarray:
        parts = _finite_exp_parts(logits)
        if parts is not None:
            if keep:
                _MEMO.keep(logits, targets, parts)
            shifted, e, sums = parts
            logp = shifted - np.log(sums)
            return np.add.reduce(_weighted(targets, logp).ravel()) * -_per_sample(logits)
    weighted = _weighted(targets, log_softmax(logits, axis=-1))
    return np.sum(weighted) * -_per_sample(logits)


def _weighted(targets: Any, logp: Any) -> Any:
    """``targets * logp`` with 0 where a target is 0: a class of probability 0 adds
    nothing even when its logit is -inf (0 * -inf would be NaN)."""
    if isinstance(logp, np.ndarray) and np.isfinite(logp).all():
        return targets * logp
    with np.errstate(invalid="ignore"):  # the 0 * -inf products are the ones dropped
        product = targets * logp
    return np.where(np.asarray(stop_gradient(targets)) != 0, product, 0.0)


def _cross_entropy_slope(logits: Any, targets: Any, scale: float = 1.0) -> Any:
    """``scale`` times d loss / d logits, written with NumPy calls so that it
    differentiates again."""
    n = _samples(logits)
    if type(targets) is np.ndarray:
        parts = _MEMO.take(logits, targets)
        if parts is not None:
            e, sums, _ = parts
            mass = np.add.reduce(targets, axis=-1, keepdims=True)
            e *= mass / sums
            e -= targets
            e *= scale / n
            return e
    mass = np.sum(targets, axis=-1, keepdims=True)
    return (softmax(logits, axis=-1) * mass - targets) * (scale / n)


def _check_class_indices(labels: np.ndarray, k: int) -> None:
    if not labels.size:
        return
    # One pass: seen as unsigned, a negative label is huge, so the largest one is >= k.
    kind = labels.dtype.kind
    widest = labels.view(_UNSIGNED[labels.dtype.itemsize]) if kind == "i" else labels
    if np.maximum.reduce(widest, axis=None) >= k:
        low, high = np.minimum.reduce(labels, axis=None), np.maximum.reduce(labels, axis=None)
        raise ValueError(
            f"class labels must lie in [0, {k}) for {k} classes; got values from {low} to {high}"
        )


_UNSIGNED = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


def _label_positions(labels: np.ndarray, k: int) -> np.ndarray:
    """Where each row's label sits in the flattened ``(n, k)`` logits, checking in the
    same C call that every label lies in ``[0, k)``."""
    n = labels.shape[0]
    try:
        return np.ravel_multi_index((readonly_arange(n), labels), (n, k))
    except ValueError:
        pass  # NumPy's "invalid entry in coordinates array": the check says which labels
    _check_class_indices(labels, k)
    return readonly_arange(n, k) + labels


def _cross_entropy_index_values(logits: Any, labels: np.ndarray) -> Any:
    """Mean over rows of ``logsumexp(z) - z[label]``, for integer class indices."""
    if not labels.shape[0] and logits.dtype.kind == "f":
        return logits.dtype.type(math.nan)  # the mean of no samples
    parts = _exp_parts(logits)
    if parts is not None:
        shifted, e, sums = parts
        rows, k = logits.shape
        at = _label_positions(labels, k)
        picked = shifted.take(at)  # z[label] - m per row: a flat take, not a 2-d fancy index
        picked -= np.log(sums).reshape(rows)  # log_softmax(z)[label]
        if picked.dtype == _F64:
            total = picked @ readonly_ones((rows,), _F64)  # BLAS, cheaper than a reduce
        else:
            total = np.add.reduce(picked)
        loss = total * (-1.0 / rows)
        if math.isfinite(loss):  # so every row's maximum was finite
            _MEMO.keep(logits, labels, parts, at)  # this runs as a traced operation only
            return loss
    return _cross_entropy_values(logits, one_hot(labels, logits.shape[-1]))


def _cross_entropy_index_slope(logits: Any, labels: np.ndarray, scale: float = 1.0) -> Any:
    """``scale (softmax(z) - one_hot(labels)) / n``, differentiable again for traced z."""
    parts = _MEMO.take(logits, labels)
    if parts is not None:
        e, sums, at = parts
        if at is None:
            at = _label_positions(labels, logits.shape[1])
        c = scale / (labels.shape[0] or 1)
        e *= np.divide(c, sums, out=sums)  # c softmax(z), through n divisions, not n k
        e.put(at, e.take(at) - c)  # minus c at each label (flat positions, any layout)
        return e
    return _cross_entropy_slope(logits, one_hot(labels, logits.shape[-1]), scale)


def _loss_primitive(values: Any, slope: Any, name: str = "cross_entropy_with_logits") -> Any:
    """A primitive ``values(z, y)`` -> scalar whose derivative in z is
    ``slope(z, y, scale=1.0)`` (y is a constant: labels or target rows)."""
    from gradkit.autodiff import primitive

    prim = primitive(values)
    prim.name = name

    def vjp(g: Any, ans: Any, z: Any, y: Any) -> Any:
        if type(g) is np.ndarray and not g.ndim and g.dtype.kind == "f":
            return slope(z, y, float(g))  # a plain scalar cotangent: one pass fewer
        return g * slope(z, y)

    prim.vjps = (vjp,)

    def jvp(nb: int, i: int, t: Any, ans: Any, z: Any, y: Any) -> Any:
        axes = tuple(range(nb, nb + len(np.shape(z))))  # t has nb batch axes in front
        return np.sum(slope(z, y) * t, axis=axes)

    prim.jvp = jvp
    _note_traced_type()
    return prim


@functools.lru_cache(maxsize=1)
def _cross_entropy_index_primitive() -> Any:
    return _loss_primitive(_cross_entropy_index_values, _cross_entropy_index_slope)


@functools.lru_cache(maxsize=1)
def _cross_entropy_primitive() -> Any:
    return _loss_primitive(
        functools.partial(_cross_entropy_values, keep=True), _cross_entropy_slope
    )


def cross_entropy_with_logits_gradient(logits: Any, labels: Any) -> np.ndarray:
    """Return ``d cross_entropy_with_logits / d logits = (softmax(z) sum(y) - y) / n``.

    For one-hot labels (rows summing to 1) that is the familiar ``(softmax(z) - y) / n``.

    Args:
        logits: raw scores, shape ``(n, k)``.
        labels: class indices ``(n,)`` or rows ``(n, k)``.

    >>> cross_entropy_with_logits_gradient(np.array([[0.0, 0.0]]), np.array([1]))
    array([[ 0.5, -0.5]])
    """
    logits = _as_input(logits)
    targets = _target_distribution(logits, labels)
    mass = np.sum(targets, axis=-1, keepdims=True)
    return (softmax(logits, axis=-1) * mass - targets) / _samples(logits)
