"""The named optimizers: short chains of the building blocks, PyTorch's formulas.

Each function takes the arguments of the ``torch.optim`` class of the same name (with
the same defaults) and returns a :class:`~gradkit.optim.base.GradientTransformation`.
Run for run, ``update`` reproduces PyTorch's ``step()`` to rounding: the tests check
50+ steps against the documented formulas and against ``torch.optim`` itself. ``lr``
may be a number or a schedule ``step -> lr`` (see :mod:`gradkit.optim.schedules`).

>>> import numpy as np
>>> from gradkit.optim.base import apply_updates
>>> opt = sgd(0.1, momentum=0.9)
>>> params = np.array([1.0])
>>> state = opt.init(params)
>>> for _ in range(3):
...     updates, state = opt.update(2 * params, state, params)   # f = x**2
...     params = apply_updates(params, updates)
>>> params
array([0.062])
"""

from __future__ import annotations

import numpy as np  # noqa: F401  (the doctests use it)

from gradkit.optim.adaptive import (
    scale_by_adadelta,
    scale_by_adagrad,
    scale_by_adam,
    scale_by_adamax,
    scale_by_nadam,
    scale_by_rms,
)
from gradkit.optim.base import (
    GradientTransformation,
    ScalarOrSchedule,
    chain,
    check_lr,
    check_number,
    lr_at,
)
from gradkit.optim.transforms import (
    add_decayed_weights,
    ema,
    scale_by_learning_rate,
    trace,
)

__all__ = [
    "sgd",
    "momentum",
    "adam",
    "adamw",
    "nadam",
    "adamax",
    "rmsprop",
    "adagrad",
    "adadelta",
]


def sgd(
    lr: ScalarOrSchedule,
    momentum: float = 0.0,
    dampening: float = 0.0,
    nesterov: bool = False,
    weight_decay: float = 0.0,
) -> GradientTransformation:
    """Return stochastic gradient descent as ``torch.optim.SGD`` documents it.

    ``g <- g + weight_decay * p``; with momentum, the buffer is ``b = g`` on the first
    step and ``b = momentum * b + (1 - dampening) * g`` after; the step is
    ``p <- p - lr * b`` (or ``p - lr * (g + momentum * b)`` with Nesterov).
    With ``momentum=0`` it is the tutorial's plain gradient descent.

    Args:
        lr: the learning rate (> 0) or a schedule.
        momentum: the momentum factor (>= 0).
        dampening: dampening for momentum, in [0, 1].
        nesterov: Nesterov momentum (needs momentum > 0 and dampening 0).
        weight_decay: L2 penalty added to the gradient (>= 0).

    >>> opt = sgd(0.5)
    >>> opt.update(np.array([2.0]), opt.init(np.zeros(1)), np.zeros(1))[0]
    array([-1.])
    """
    lr = check_lr(lr)
    parts = [add_decayed_weights(weight_decay)]
    if check_number("momentum", momentum, low=0.0) > 0.0 or nesterov:
        parts.append(trace(momentum, dampening, nesterov))
    else:
        check_number("dampening", dampening, low=0.0, high=1.0)
    parts.append(scale_by_learning_rate(lr))
    return chain(*parts)


def momentum(lr: ScalarOrSchedule, beta: float = 0.9) -> GradientTransformation:
    """Return the tutorial's momentum: ``v = beta v + (1 - beta) g``, ``p <- p - lr v``, ``v0 = 0``.

    In PyTorch's terms this is exactly ``sgd(lr * (1 - beta), momentum=beta)`` (no
    dampening), first step included: dividing the tutorial's ``v`` by ``1 - beta``
    gives ``b = beta b + g`` with ``b1 = g1``, PyTorch's undamped buffer.

    It is *not* ``sgd(lr, momentum=beta, dampening=beta)``: that buffer starts at the
    undamped ``g1`` instead of ``(1 - beta) g1``, so its buffer exceeds the tutorial's
    ``v`` by ``beta**t * g1`` at step ``t`` — a first-step kick that then fades.

    Args:
        lr: the learning rate (> 0) or a schedule.
        beta: the momentum coefficient in [0, 1).

    >>> opt = momentum(1.0, beta=0.9)
    >>> opt.update(np.array([10.0]), opt.init(np.zeros(1)))[0]     # -(1 - 0.9) * 10
    array([-1.])
    """
    lr = check_lr(lr)
    return chain(ema(beta), scale_by_learning_rate(lr))


def adam(
    lr: ScalarOrSchedule = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    amsgrad: bool = False,
) -> GradientTransformation:
    """Return Adam as ``torch.optim.Adam`` documents it (L2 weight decay on the gradient).

    ``p <- p - lr * m_hat / (sqrt(v_hat) + eps)`` with the bias-corrected moments of
    :func:`~gradkit.optim.transforms.scale_by_adam`; ``amsgrad`` keeps the running max
    of the second moment.

    Args:
        lr: the learning rate (> 0) or a schedule.
        betas: (beta1, beta2) in [0, 1).
        eps: added to the denominator.
        weight_decay: L2 penalty added to the gradient (>= 0); for the decoupled
            decay use :func:`adamw`.
        amsgrad: use the AMSGrad variant.

    >>> opt = adam(0.1)
    >>> np.round(opt.update(np.array([5.0]), opt.init(np.zeros(1)), np.zeros(1))[0], 6)
    array([-0.1])
    """
    lr = check_lr(lr)
    return chain(
        add_decayed_weights(weight_decay),
        scale_by_adam(betas, eps, amsgrad),
        scale_by_learning_rate(lr),
    )


def adamw(
    lr: ScalarOrSchedule = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 1e-2,
    amsgrad: bool = False,
) -> GradientTransformation:
    """Return AdamW as ``torch.optim.AdamW`` documents it: decoupled weight decay.

    ``p <- p - lr * weight_decay * p`` and then the Adam step of the raw gradient;
    both use the same (possibly scheduled) ``lr``.

    Args:
        lr: the learning rate (> 0) or a schedule.
        betas: (beta1, beta2) in [0, 1).
        eps: added to the denominator.
        weight_decay: the decoupled decay coefficient (>= 0, default 1e-2).
        amsgrad: use the AMSGrad variant.

    >>> opt = adamw(0.1, weight_decay=0.5)
    >>> np.round(opt.update(np.array([1.0]), opt.init(np.ones(1)), np.ones(1))[0], 6)
    array([-0.15])
    """
    lr = check_lr(lr)
    return chain(
        scale_by_adam(betas, eps, amsgrad),
        add_decayed_weights(weight_decay),
        scale_by_learning_rate(lr),
    )


def nadam(
    lr: ScalarOrSchedule = 2e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum_decay: float = 4e-3,
    decoupled_weight_decay: bool = False,
) -> GradientTransformation:
    """Return NAdam as ``torch.optim.NAdam`` documents it (Nesterov-accelerated Adam).

    The momentum coefficient follows ``mu_t = beta1 (1 - 0.5 * 0.96**(t * momentum_decay))``;
    see :func:`~gradkit.optim.transforms.scale_by_nadam` for the full formula.

    Args:
        lr: the learning rate (> 0) or a schedule.
        betas: (beta1, beta2) in [0, 1).
        eps: added to the denominator.
        weight_decay: weight decay (>= 0): added to the gradient, or with
            ``decoupled_weight_decay`` applied as ``p <- p - lr * weight_decay * p``.
        momentum_decay: psi (>= 0), PyTorch's default 4e-3.
        decoupled_weight_decay: decay the weights AdamW-style.

    >>> opt = nadam(0.1)
    >>> np.round(opt.update(np.array([3.0]), opt.init(np.zeros(1)), np.zeros(1))[0], 4)
    array([-0.1])
    """
    lr = check_lr(lr)
    if decoupled_weight_decay:
        parts = [scale_by_nadam(betas, eps, momentum_decay), add_decayed_weights(weight_decay)]
    else:
        parts = [add_decayed_weights(weight_decay), scale_by_nadam(betas, eps, momentum_decay)]
    return chain(*parts, scale_by_learning_rate(lr))


def adamax(
    lr: ScalarOrSchedule = 2e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
) -> GradientTransformation:
    """Return Adamax as ``torch.optim.Adamax`` documents it (Adam with the infinity norm).

    ``u = max(beta2 u, |g| + eps)``, ``p <- p - lr * m / ((1 - beta1**t) u)``.

    Args:
        lr: the learning rate (> 0) or a schedule.
        betas: (beta1, beta2) in [0, 1).
        eps: added to ``|g|`` inside the maximum.
        weight_decay: L2 penalty added to the gradient (>= 0).

    >>> opt = adamax(0.1)
    >>> np.round(opt.update(np.array([-2.0]), opt.init(np.zeros(1)), np.zeros(1))[0], 6)
    array([0.1])
    """
    lr = check_lr(lr)
    return chain(
        add_decayed_weights(weight_decay),
        scale_by_adamax(betas, eps),
        scale_by_learning_rate(lr),
    )


def rmsprop(
    lr: ScalarOrSchedule = 1e-2,
    alpha: float = 0.99,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum: float = 0.0,
    centered: bool = False,
) -> GradientTransformation:
    """Return RMSprop as ``torch.optim.RMSprop`` documents it.

    ``v = alpha v + (1 - alpha) g**2``; the direction ``g / (sqrt(v) + eps)`` (centered:
    ``sqrt(v - a**2)`` with ``a`` the running mean of ``g``) goes through a momentum
    buffer ``b = momentum b + direction`` when ``momentum > 0``; ``p <- p - lr * b``.

    Args:
        lr: the learning rate (> 0) or a schedule.
        alpha: the smoothing constant in [0, 1).
        eps: added to the denominator.
        weight_decay: L2 penalty added to the gradient (>= 0).
        momentum: momentum factor (>= 0).
        centered: normalize by the estimated variance of the gradient.

    >>> opt = rmsprop(0.01, alpha=0.0, eps=0.0)
    >>> opt.update(np.array([-3.0]), opt.init(np.zeros(1)), np.zeros(1))[0]
    array([0.01])
    """
    lr = check_lr(lr)
    parts = [add_decayed_weights(weight_decay), scale_by_rms(alpha, eps, centered)]
    if check_number("momentum", momentum, low=0.0) > 0.0:
        # PyTorch's RMSprop buffer starts at zero, so b1 = direction: the same as trace's b1.
        parts.append(trace(momentum))
    parts.append(scale_by_learning_rate(lr))
    return chain(*parts)


def adagrad(
    lr: ScalarOrSchedule = 1e-2,
    lr_decay: float = 0.0,
    weight_decay: float = 0.0,
    initial_accumulator_value: float = 0.0,
    eps: float = 1e-10,
) -> GradientTransformation:
    """Return Adagrad as ``torch.optim.Adagrad`` documents it.

    ``clr = lr / (1 + (t - 1) * lr_decay)``, ``s = s + g**2``,
    ``p <- p - clr * g / (sqrt(s) + eps)``.

    Args:
        lr: the learning rate (> 0) or a schedule.
        lr_decay: the learning-rate decay (>= 0).
        weight_decay: L2 penalty added to the gradient (>= 0).
        initial_accumulator_value: the starting sum of squares (>= 0).
        eps: added to the denominator.

    >>> opt = adagrad(0.5, eps=0.0)
    >>> opt.update(np.array([4.0]), opt.init(np.zeros(1)), np.zeros(1))[0]
    array([-0.5])
    """
    base = check_lr(lr)
    decay = check_number("lr_decay", lr_decay, low=0.0)

    def decayed(count: int) -> float:  # count = t - 1, the updates made so far
        return lr_at(base, count) / (1.0 + count * decay)

    return chain(
        add_decayed_weights(weight_decay),
        scale_by_adagrad(initial_accumulator_value, eps),
        scale_by_learning_rate(decayed if decay > 0.0 else base),
    )


def adadelta(
    lr: ScalarOrSchedule = 1.0,
    rho: float = 0.9,
    eps: float = 1e-6,
    weight_decay: float = 0.0,
) -> GradientTransformation:
    """Return Adadelta as ``torch.optim.Adadelta`` documents it.

    ``v = rho v + (1 - rho) g**2``, ``dx = sqrt(u + eps) / sqrt(v + eps) * g``,
    ``u = rho u + (1 - rho) dx**2``, ``p <- p - lr * dx``.

    Args:
        lr: the coefficient scaling ``dx`` (> 0, default 1.0) or a schedule.
        rho: the smoothing constant in [0, 1].
        eps: added inside the square roots.
        weight_decay: L2 penalty added to the gradient (>= 0).

    >>> opt = adadelta(rho=0.0, eps=1.0)
    >>> np.round(opt.update(np.array([1.0]), opt.init(np.zeros(1)), np.zeros(1))[0], 6)
    array([-0.707107])
    """
    lr = check_lr(lr)
    return chain(
        add_decayed_weights(weight_decay),
        scale_by_adadelta(rho, eps),
        scale_by_learning_rate(lr),
    )
