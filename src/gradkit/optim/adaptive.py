"""The adaptive building blocks: per-coordinate step sizes from running gradient moments.

Adam, Adamax, NAdam, RMSprop, Adagrad and Adadelta, each as the direction it feeds to
:func:`~gradkit.optim.transforms.scale_by_learning_rate`, with the formulas
``torch.optim`` documents. Step counts ``t`` start at 1 on the first update.

>>> import numpy as np
>>> t = scale_by_rms(alpha=0.0, eps=0.0)
>>> t.update(np.array([-3.0, 0.5]), t.init(np.zeros(2)))[0]     # g / |g|
array([-1.,  1.])
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from gradkit.optim.base import (
    GradientTransformation,
    as_float_array,
    blend,
    check_number,
    check_state,
    zeros_like_tree,
)
from gradkit.tree import tree_map

_f = as_float_array

__all__ = [
    "scale_by_adam",
    "scale_by_adamax",
    "scale_by_nadam",
    "scale_by_rms",
    "scale_by_adagrad",
    "scale_by_adadelta",
    "AdamState",
    "AdamaxState",
    "NadamState",
    "RmsState",
    "AdagradState",
    "AdadeltaState",
]


def _blend_square(decay: float, old: Any, g: Any) -> Any:
    """``decay * old + (1 - decay) * g**2`` in a fresh array."""
    sq = np.square(_f(g))
    sq *= 1.0 - decay
    out = decay * old
    out += sq
    return out


def _normalize(m: Any, c1: float, v: Any, c2: float, eps: float) -> Any:
    """``(m / c1) / (sqrt(v / c2) + eps)`` with two allocations."""
    den = np.sqrt(v / c2)
    den += eps
    out = m / c1
    out /= den
    return out


class AdamState(NamedTuple):
    """Adam's moments ``m``, ``v``, AMSGrad's running max of ``v`` (or None), and ``t``."""

    count: int
    mu: Any
    nu: Any
    nu_max: Any


class AdamaxState(NamedTuple):
    """Adamax's first moment ``m``, infinity norm ``u`` and update count."""

    count: int
    mu: Any
    inf_norm: Any


class NadamState(NamedTuple):
    """NAdam's moments, the running product of the momentum coefficients, and ``t``."""

    count: int
    mu_product: float
    mu: Any
    nu: Any


class RmsState(NamedTuple):
    """RMSprop's running mean of squared gradients and (centered) of gradients."""

    square_avg: Any
    grad_avg: Any


class AdagradState(NamedTuple):
    """Adagrad's running sum of squared gradients."""

    sum_of_squares: Any


class AdadeltaState(NamedTuple):
    """Adadelta's running means of squared gradients and of squared steps."""

    square_avg: Any
    acc_delta: Any


def _betas(betas: Any) -> tuple[float, float]:
    try:
        b1, b2 = betas
    except (TypeError, ValueError):
        raise TypeError(f"betas must be a pair (beta1, beta2); got {betas!r}") from None
    return (
        check_number("betas[0]", b1, low=0.0, high=1.0, high_open=True),
        check_number("betas[1]", b2, low=0.0, high=1.0, high_open=True),
    )


def scale_by_adam(
    betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, amsgrad: bool = False
) -> GradientTransformation:
    """Return Adam's direction ``m_hat / (sqrt(v_hat) + eps)`` (before the learning rate).

    ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g**2``, ``m_hat = m / (1 - b1**t)``,
    ``v_hat = v / (1 - b2**t)``. With ``amsgrad`` the running maximum of the raw ``v``
    is kept and bias-corrected instead of ``v`` (what torch.optim.Adam computes).

    Args:
        betas: (beta1, beta2), each in [0, 1).
        eps: added to the denominator after the square root.
        amsgrad: use the AMSGrad variant.

    >>> t = scale_by_adam()
    >>> np.round(t.update(np.array([3.0]), t.init(np.zeros(1)))[0], 6)   # first step: sign(g)
    array([1.])
    """
    b1, b2 = _betas(betas)
    eps = check_number("eps", eps, low=0.0)

    def init(params: Any) -> AdamState:
        zeros = zeros_like_tree(params)
        return AdamState(0, zeros, zeros, zeros if amsgrad else None)

    def update(grads: Any, state: AdamState, params: Any = None) -> tuple[Any, AdamState]:
        check_state(state.mu, grads, "scale_by_adam")
        t = state.count + 1
        mu = tree_map(lambda m, g: blend(b1, m, g), state.mu, grads)
        nu = tree_map(lambda v, g: _blend_square(b2, v, g), state.nu, grads)
        nu_max = tree_map(np.maximum, state.nu_max, nu) if amsgrad else None
        c1 = 1.0 - b1**t
        c2 = 1.0 - b2**t
        second = nu_max if amsgrad else nu
        out = tree_map(lambda m, v: _normalize(m, c1, v, c2, eps), mu, second)
        return out, AdamState(t, mu, nu, nu_max)

    return GradientTransformation(init, update)


def scale_by_adamax(
    betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8
) -> GradientTransformation:
    """Return Adamax's direction ``m / ((1 - b1**t) u)`` with ``u = max(b2 u, |g| + eps)``.

    Args:
        betas: (beta1, beta2), each in [0, 1).
        eps: added to ``|g|`` inside the maximum, as torch.optim.Adamax does.

    >>> t = scale_by_adamax()
    >>> np.round(t.update(np.array([-2.0]), t.init(np.zeros(1)))[0], 6)
    array([-1.])
    """
    b1, b2 = _betas(betas)
    eps = check_number("eps", eps, low=0.0)

    def init(params: Any) -> AdamaxState:
        zeros = zeros_like_tree(params)
        return AdamaxState(0, zeros, zeros)

    def update(grads: Any, state: AdamaxState, params: Any = None) -> tuple[Any, AdamaxState]:
        check_state(state.mu, grads, "scale_by_adamax")
        t = state.count + 1
        mu = tree_map(lambda m, g: blend(b1, m, g), state.mu, grads)
        inf_norm = tree_map(
            lambda u, g: np.maximum(b2 * u, np.abs(_f(g)) + eps), state.inf_norm, grads
        )
        c1 = 1.0 - b1**t
        out = tree_map(lambda m, u: m / (c1 * u), mu, inf_norm)
        return out, AdamaxState(t, mu, inf_norm)

    return GradientTransformation(init, update)


def scale_by_nadam(
    betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, momentum_decay: float = 4e-3
) -> GradientTransformation:
    """Return NAdam's direction, with PyTorch's momentum schedule ``mu_t``.

    ``mu_t = b1 (1 - 0.5 * 0.96**(t psi))`` with ``psi = momentum_decay``;
    ``m_hat = mu_{t+1} m / (1 - prod_{i<=t+1} mu_i) + (1 - mu_t) g / (1 - prod_{i<=t} mu_i)``;
    ``v_hat = v / (1 - b2**t)``; the direction is ``m_hat / (sqrt(v_hat) + eps)``.

    Args:
        betas: (beta1, beta2), each in [0, 1).
        eps: added to the denominator after the square root.
        momentum_decay: psi >= 0 (PyTorch's default 4e-3).

    >>> t = scale_by_nadam()
    >>> float(np.round(t.update(np.array([1.0]), t.init(np.zeros(1)))[0][0], 4))
    1.0
    """
    b1, b2 = _betas(betas)
    eps = check_number("eps", eps, low=0.0)
    psi = check_number("momentum_decay", momentum_decay, low=0.0)

    def init(params: Any) -> NadamState:
        zeros = zeros_like_tree(params)
        return NadamState(0, 1.0, zeros, zeros)

    def update(grads: Any, state: NadamState, params: Any = None) -> tuple[Any, NadamState]:
        check_state(state.mu, grads, "scale_by_nadam")
        t = state.count + 1
        mu_t = b1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        mu_product = state.mu_product * mu_t
        mu = tree_map(lambda m, g: blend(b1, m, g), state.mu, grads)
        nu = tree_map(lambda v, g: _blend_square(b2, v, g), state.nu, grads)
        c2 = 1.0 - b2**t
        w_m = mu_next / (1.0 - mu_product * mu_next)
        w_g = (1.0 - mu_t) / (1.0 - mu_product)
        out = tree_map(
            lambda m, v, g: (w_m * m + w_g * _f(g)) / (np.sqrt(v / c2) + eps), mu, nu, grads
        )
        return out, NadamState(t, mu_product, mu, nu)

    return GradientTransformation(init, update)


def scale_by_rms(
    alpha: float = 0.99, eps: float = 1e-8, centered: bool = False
) -> GradientTransformation:
    """Return RMSprop's direction ``g / (sqrt(v) + eps)``, ``v = alpha v + (1 - alpha) g**2``.

    With ``centered`` the running mean ``a`` of ``g`` is tracked too and the
    denominator is ``sqrt(v - a**2) + eps`` (an estimate of the gradient's variance).

    Args:
        alpha: the smoothing constant in [0, 1).
        eps: added to the denominator after the square root.
        centered: normalize by the variance instead of the second moment.

    >>> t = scale_by_rms(alpha=0.75, eps=0.0)
    >>> t.update(np.array([2.0]), t.init(np.zeros(1)))[0]    # 2 / sqrt(0.25 * 4)
    array([2.])
    """
    alpha = check_number("alpha", alpha, low=0.0, high=1.0, high_open=True)
    eps = check_number("eps", eps, low=0.0)

    def init(params: Any) -> RmsState:
        zeros = zeros_like_tree(params)
        return RmsState(zeros, zeros if centered else None)

    def update(grads: Any, state: RmsState, params: Any = None) -> tuple[Any, RmsState]:
        check_state(state.square_avg, grads, "scale_by_rms")
        square_avg = tree_map(lambda v, g: _blend_square(alpha, v, g), state.square_avg, grads)
        if centered:
            grad_avg = tree_map(lambda a, g: blend(alpha, a, g), state.grad_avg, grads)
            out = tree_map(
                lambda g, v, a: _f(g) / (np.sqrt(v - a * a) + eps), grads, square_avg, grad_avg
            )
        else:
            grad_avg = None
            out = tree_map(lambda g, v: _f(g) / (np.sqrt(v) + eps), grads, square_avg)
        return out, RmsState(square_avg, grad_avg)

    return GradientTransformation(init, update)


def scale_by_adagrad(
    initial_accumulator_value: float = 0.0, eps: float = 1e-10
) -> GradientTransformation:
    """Return Adagrad's direction ``g / (sqrt(s) + eps)`` with ``s = s + g**2``.

    Args:
        initial_accumulator_value: the starting value of ``s`` (>= 0).
        eps: added to the denominator after the square root.

    >>> t = scale_by_adagrad(eps=0.0)
    >>> t.update(np.array([-4.0]), t.init(np.zeros(1)))[0]
    array([-1.])
    """
    start = check_number("initial_accumulator_value", initial_accumulator_value, low=0.0)
    eps = check_number("eps", eps, low=0.0)

    def init(params: Any) -> AdagradState:
        return AdagradState(tree_map(lambda p: np.full_like(_f(p), start), params))

    def update(grads: Any, state: AdagradState, params: Any = None) -> tuple[Any, AdagradState]:
        check_state(state.sum_of_squares, grads, "scale_by_adagrad")
        total = tree_map(lambda s, g: s + _f(g) ** 2, state.sum_of_squares, grads)
        out = tree_map(lambda g, s: _f(g) / (np.sqrt(s) + eps), grads, total)
        return out, AdagradState(total)

    return GradientTransformation(init, update)


def scale_by_adadelta(rho: float = 0.9, eps: float = 1e-6) -> GradientTransformation:
    """Return Adadelta's step ``dx = sqrt(u + eps) / sqrt(v + eps) * g``.

    ``v = rho v + (1 - rho) g**2`` before the step, ``u = rho u + (1 - rho) dx**2``
    after it (PyTorch's order; ``lr`` scales ``dx`` afterwards).

    Args:
        rho: the smoothing constant in [0, 1].
        eps: added inside both square roots.

    >>> t = scale_by_adadelta(rho=0.0, eps=1.0)
    >>> t.update(np.array([0.0]), t.init(np.zeros(1)))[0]
    array([0.])
    """
    rho = check_number("rho", rho, low=0.0, high=1.0)
    eps = check_number("eps", eps, low=0.0)

    def init(params: Any) -> AdadeltaState:
        zeros = zeros_like_tree(params)
        return AdadeltaState(zeros, zeros)

    def update(grads: Any, state: AdadeltaState, params: Any = None) -> tuple[Any, AdadeltaState]:
        check_state(state.square_avg, grads, "scale_by_adadelta")
        square_avg = tree_map(lambda v, g: _blend_square(rho, v, g), state.square_avg, grads)
        delta = tree_map(
            lambda g, v, u: np.sqrt(u + eps) / np.sqrt(v + eps) * _f(g),
            grads,
            square_avg,
            state.acc_delta,
        )
        acc_delta = tree_map(lambda u, d: rho * u + (1.0 - rho) * d * d, state.acc_delta, delta)
        return delta, AdadeltaState(square_avg, acc_delta)

    return GradientTransformation(init, update)
