"""Building blocks of the optimizers: weight decay, momentum, learning rate, clipping.

Each function returns a :class:`~gradkit.optim.base.GradientTransformation`. The
formulas are the ones ``torch.optim`` documents; the named optimizers in
:mod:`gradkit.optim.named` are short chains of these blocks and of the adaptive ones in
:mod:`gradkit.optim.adaptive` (Adam's moments and its relatives).

>>> import numpy as np
>>> from gradkit.optim.base import chain
>>> opt = chain(trace(0.9), scale_by_learning_rate(0.1))
>>> state = opt.init(np.zeros(1))
>>> for _ in range(2):
...     updates, state = opt.update(np.ones(1), state)
>>> updates                      # buffer: 1, then 0.9 * 1 + 1 = 1.9
array([-0.19])
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from gradkit.optim.base import (
    EmptyState,
    GradientTransformation,
    ScalarOrSchedule,
    add_scaled,
    as_float_array,
    blend,
    check_lr,
    check_number,
    check_state,
    lr_at,
    zeros_like_tree,
)
from gradkit.tree import tree_leaves, tree_map

__all__ = [
    "add_decayed_weights",
    "trace",
    "ema",
    "scale_by_learning_rate",
    "clip_by_global_norm",
    "clip",
    "TraceState",
    "EmaState",
    "CountState",
]


def _need_params(params: Any, who: str) -> None:
    if params is None:
        raise ValueError(f"{who} needs the parameters: call update(grads, state, params)")


def _f(x: Any) -> np.ndarray:
    return as_float_array(x)


class CountState(NamedTuple):
    """How many updates a transform has made (0 before the first)."""

    count: int


class TraceState(NamedTuple):
    """The momentum buffer (``None`` before the first update) and the update count."""

    buffer: Any
    count: int


class EmaState(NamedTuple):
    """The exponential moving average of the gradients (starts at zero)."""

    average: Any


def add_decayed_weights(weight_decay: float) -> GradientTransformation:
    """Return the transform ``g -> g + weight_decay * params`` (L2 penalty on the gradient).

    Placed before a scaling transform it is PyTorch's coupled ``weight_decay``; placed
    after ``scale_by_adam`` and before ``scale_by_learning_rate`` it is AdamW's
    decoupled decay ``p <- p - lr * weight_decay * p``.

    Args:
        weight_decay: the coefficient lambda >= 0.

    >>> t = add_decayed_weights(0.1)
    >>> t.update(np.array([1.0]), t.init(None), np.array([10.0]))[0]
    array([2.])
    """
    weight_decay = check_number("weight_decay", weight_decay, low=0.0)

    def update(grads: Any, state: EmptyState, params: Any = None) -> tuple[Any, EmptyState]:
        if weight_decay == 0.0:
            return grads, state
        _need_params(params, "add_decayed_weights")
        return tree_map(lambda g, p: _f(g) + weight_decay * _f(p), grads, params), state

    return GradientTransformation(lambda params: EmptyState(), update)


def trace(
    momentum: float, dampening: float = 0.0, nesterov: bool = False
) -> GradientTransformation:
    """Return PyTorch's SGD momentum: the buffer ``b`` and, with Nesterov, the look-ahead.

    On the first update ``b = g`` (the gradient, *not* dampened); afterwards
    ``b = momentum * b + (1 - dampening) * g``. The output is ``b``, or
    ``g + momentum * b`` with ``nesterov=True``.

    Args:
        momentum: the momentum factor mu >= 0.
        dampening: tau in [0, 1]; the weight of the new gradient is ``1 - tau``.
        nesterov: use Nesterov momentum (needs ``momentum > 0`` and ``dampening == 0``).

    >>> t = trace(0.5, dampening=0.5)
    >>> s = t.init(np.zeros(1))
    >>> u1, s = t.update(np.ones(1), s)      # first step: the gradient itself
    >>> u2, s = t.update(np.ones(1), s)      # 0.5 * 1 + 0.5 * 1
    >>> u1, u2
    (array([1.]), array([1.]))
    """
    momentum = check_number("momentum", momentum, low=0.0)
    dampening = check_number("dampening", dampening, low=0.0, high=1.0)
    if nesterov and (momentum == 0.0 or dampening != 0.0):
        raise ValueError(
            "Nesterov momentum needs momentum > 0 and dampening = 0 (as in torch.optim.SGD); "
            f"got momentum={momentum}, dampening={dampening}"
        )

    def init(params: Any) -> TraceState:
        return TraceState(buffer=None, count=0)

    def update(grads: Any, state: TraceState, params: Any = None) -> tuple[Any, TraceState]:
        if state.buffer is None:
            buffer = tree_map(lambda g: _f(g).copy(), grads)
        else:
            check_state(state.buffer, grads, "trace")
            buffer = tree_map(
                lambda b, g: add_scaled(momentum * b, 1.0 - dampening, g), state.buffer, grads
            )
        if nesterov:
            out = tree_map(lambda g, b: _f(g) + momentum * b, grads, buffer)
        else:
            out = buffer
        return out, TraceState(buffer=buffer, count=state.count + 1)

    return GradientTransformation(init, update)


def ema(decay: float) -> GradientTransformation:
    """Return the exponential moving average ``v = decay * v + (1 - decay) * g``, ``v0 = 0``.

    This is the tutorial's momentum velocity (no bias correction, zero start).

    Args:
        decay: beta in [0, 1).

    >>> t = ema(0.9)
    >>> t.update(np.array([10.0]), t.init(np.zeros(1)))[0]
    array([1.])
    """
    decay = check_number("decay", decay, low=0.0, high=1.0, high_open=True)

    def update(grads: Any, state: EmaState, params: Any = None) -> tuple[Any, EmaState]:
        check_state(state.average, grads, "ema")
        average = tree_map(lambda v, g: blend(decay, v, g), state.average, grads)
        return average, EmaState(average)

    return GradientTransformation(lambda params: EmaState(zeros_like_tree(params)), update)


def scale_by_learning_rate(lr: ScalarOrSchedule) -> GradientTransformation:
    """Return the transform ``u -> -lr_t * u``: the step downhill.

    Args:
        lr: a positive number, or a schedule ``step -> lr`` called with the number of
            updates made so far (0 for the first update).

    >>> t = scale_by_learning_rate(lambda step: 0.5 ** step)
    >>> first, state = t.update(np.ones(1), t.init(None))
    >>> second, state = t.update(np.ones(1), state)
    >>> first, second
    (array([-1.]), array([-0.5]))
    """
    lr = check_lr(lr)

    def update(grads: Any, state: CountState, params: Any = None) -> tuple[Any, CountState]:
        step = lr_at(lr, state.count)
        return tree_map(lambda g: -step * _f(g), grads), CountState(state.count + 1)

    return GradientTransformation(lambda params: CountState(0), update)


def clip_by_global_norm(max_norm: float) -> GradientTransformation:
    """Return the transform that rescales all leaves together to a global norm <= max_norm.

    As ``torch.nn.utils.clip_grad_norm_``: the factor is
    ``min(1, max_norm / (total_norm + 1e-6))`` where ``total_norm`` is the 2-norm of
    all entries of all leaves.

    Args:
        max_norm: the largest allowed global norm (> 0).

    >>> t = clip_by_global_norm(1.0)
    >>> clipped, _ = t.update((np.array([3.0]), np.array([4.0])), t.init(None))
    >>> [round(float(c[0]), 6) for c in clipped]      # the norm 5 becomes 1
    [0.6, 0.8]
    """
    max_norm = check_number("max_norm", max_norm, low=0.0, low_open=True)

    def update(grads: Any, state: EmptyState, params: Any = None) -> tuple[Any, EmptyState]:
        total = math.sqrt(sum(float(np.sum(_f(g) ** 2)) for g in tree_leaves(grads)))
        factor = max_norm / (total + 1e-6)
        if factor > 1.0:  # so a NaN norm gives a NaN factor, as in clip_grad_norm_
            factor = 1.0
        return tree_map(lambda g: factor * _f(g), grads), state

    return GradientTransformation(lambda params: EmptyState(), update)


def clip(max_delta: float) -> GradientTransformation:
    """Return the transform that clips every entry to ``[-max_delta, max_delta]``.

    As ``torch.nn.utils.clip_grad_value_``.

    Args:
        max_delta: the largest allowed absolute value (> 0).

    >>> clip(1.0).update(np.array([-3.0, 0.5, 2.0]), None)[0]
    array([-1. ,  0.5,  1. ])
    """
    max_delta = check_number("max_delta", max_delta, low=0.0, low_open=True)

    def update(grads: Any, state: EmptyState, params: Any = None) -> tuple[Any, EmptyState]:
        return tree_map(lambda g: np.clip(_f(g), -max_delta, max_delta), grads), state

    return GradientTransformation(lambda params: EmptyState(), update)
