"""More named optimizers: RAdam, Rprop, ASGD and Adafactor as ``torch.optim`` computes
them; Lion and LAMB (which torch lacks) as their papers and optax define them.

Each returns a :class:`~gradkit.optim.base.GradientTransformation` whose ``update``
needs ``params`` (they read the parameters). The formulas are written per leaf; the
tests check 60 steps against torch where it has the optimizer, and against the papers'
algorithms written out in the tests otherwise.

>>> import numpy as np
>>> from gradkit.optim.base import apply_updates
>>> opt = lion(0.1)
>>> params = np.array([1.0, -2.0])
>>> updates, state = opt.update(2 * params, opt.init(params), params)
>>> updates                                     # -lr * sign(...)
array([-0.1,  0.1])
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from gradkit.optim.base import (
    GradientTransformation,
    ScalarOrSchedule,
    as_float_array,
    check_lr,
    check_number,
    lr_at,
)
from gradkit.tree import tree_flatten, tree_unflatten

__all__ = ["radam", "rprop", "asgd", "adafactor", "lion", "lamb"]


class LeafState(NamedTuple):
    """A step count and, per leaf, a tuple of arrays (the optimizer's own buffers)."""

    count: int
    leaves: Any


def _needs(params: Any, name: str) -> None:
    if params is None:
        raise ValueError(f"{name}.update needs params: call update(grads, state, params)")


def _per_leaf(name: str, init_leaf: Any, step_leaf: Any) -> GradientTransformation:
    """A transform from ``init_leaf(p) -> buffers`` and
    ``step_leaf(t, lr_t, g, p, buffers) -> (update, buffers)``; ``lr`` is passed in."""

    def init(params: Any) -> LeafState:
        leaves, _ = tree_flatten(params)
        return LeafState(0, tuple(init_leaf(as_float_array(p)) for p in leaves))

    def update(grads: Any, state: LeafState, params: Any = None) -> tuple[Any, LeafState]:
        _needs(params, name)
        g_leaves, treedef = tree_flatten(grads)
        p_leaves, _ = tree_flatten(params)
        if len(g_leaves) != len(state.leaves):
            raise ValueError(f"{name}: the state does not match these gradients; call init(params)")
        t = state.count + 1
        outs, buffers = [], []
        for g, p, buf in zip(g_leaves, p_leaves, state.leaves, strict=True):
            u, buf = step_leaf(t, as_float_array(g), as_float_array(p), buf)
            outs.append(u)
            buffers.append(buf)
        return tree_unflatten(treedef, outs), LeafState(t, tuple(buffers))

    return GradientTransformation(init, update)


def _betas(betas: Any, name: str) -> tuple[float, float]:
    b1, b2 = betas
    return (
        check_number(f"{name} beta1", b1, low=0.0, high=1.0, high_open=True),
        check_number(f"{name} beta2", b2, low=0.0, high=1.0, high_open=True),
    )


def radam(
    lr: ScalarOrSchedule = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    decoupled_weight_decay: bool = False,
) -> GradientTransformation:
    """RAdam, as ``torch.optim.RAdam``: Adam whose adaptive step is switched on, with the
    variance rectification ``r_t``, once the length of the approximated SMA ``rho_t > 5``.

    >>> opt = radam(0.1)
    >>> opt.update(np.array([2.0]), opt.init(np.zeros(1)), np.zeros(1))[0]  # un-rectified
    array([-0.2])
    """
    lr = check_lr(lr)
    b1, b2 = _betas(betas, "radam")
    rho_inf = 2.0 / (1.0 - b2) - 1.0

    def step(t, g, p, buf):
        m, v = buf
        lr_t = lr_at(lr, t - 1)
        decay = 0.0
        if weight_decay:
            if decoupled_weight_decay:
                decay = -lr_t * weight_decay * p
            else:
                g = g + weight_decay * p
        m = b1 * m + (1.0 - b1) * g
        v = b2 * v + (1.0 - b2) * g * g
        m_hat = m / (1.0 - b1**t)
        rho_t = rho_inf - 2.0 * t * b2**t / (1.0 - b2**t)
        if rho_t > 5.0:
            adaptive = math.sqrt(1.0 - b2**t) / (np.sqrt(v) + eps)
            r = math.sqrt(
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            )
            u = -lr_t * m_hat * adaptive * r
        else:
            u = -lr_t * m_hat
        return u + decay, (m, v)

    return _per_leaf("radam", lambda p: (np.zeros_like(p), np.zeros_like(p)), step)


def rprop(
    lr: ScalarOrSchedule = 1e-2,
    etas: tuple[float, float] = (0.5, 1.2),
    step_sizes: tuple[float, float] = (1e-6, 50.0),
) -> GradientTransformation:
    """Rprop, as ``torch.optim.Rprop``: per-element step sizes grow by ``etas[1]`` while the
    gradient keeps its sign and shrink by ``etas[0]`` when it flips (that step is skipped).

    >>> opt = rprop(0.1)
    >>> state = opt.init(np.zeros(1))
    >>> u1, state = opt.update(np.array([3.0]), state, np.zeros(1))
    >>> u2, state = opt.update(np.array([1.0]), state, np.zeros(1))
    >>> u1, u2
    (array([-0.1]), array([-0.12]))
    """
    lr = check_lr(lr)
    minus, plus = etas
    lo, hi = step_sizes
    if not 0.0 < minus < 1.0 < plus:
        raise ValueError(f"rprop: etas must satisfy 0 < etaminus < 1 < etaplus, got {etas}")

    def init(p):
        return (np.zeros_like(p), None)

    def step(t, g, p, buf):
        prev, size = buf
        if size is None:
            size = np.full_like(p, lr_at(lr, 0))
        sign = np.sign(g * prev)
        factor = np.where(sign > 0, plus, np.where(sign < 0, minus, 1.0))
        size = np.clip(size * factor, lo, hi)
        g = np.where(sign < 0, 0.0, g)
        return -np.sign(g) * size, (g, size)

    return _per_leaf("rprop", init, step)


def asgd(
    lr: float = 1e-2,
    lambd: float = 1e-4,
    alpha: float = 0.75,
    t0: float = 1e6,
    weight_decay: float = 0.0,
) -> GradientTransformation:
    """Averaged SGD, as ``torch.optim.ASGD``: ``p <- p (1 - lambd eta) - eta g`` with
    ``eta_t = lr / (1 + lambd lr t)^alpha``; the running average of the iterates (from
    step ``t0`` on) is kept in the state as each leaf's ``ax``.

    >>> opt = asgd(0.1, lambd=0.0)
    >>> opt.update(np.array([1.0]), opt.init(np.zeros(1)), np.zeros(1))[0]
    array([-0.1])
    """
    lr = check_number("lr", lr, low=0.0, low_open=True)

    def step(t, g, p, buf):
        eta, mu, ax = buf
        if weight_decay:
            g = g + weight_decay * p
        new_p = p * (1.0 - lambd * eta) - eta * g
        ax = ax + (new_p - ax) * mu if mu != 1.0 else new_p.copy()
        eta = lr / (1.0 + lambd * lr * t) ** alpha
        mu = 1.0 / max(1.0, t - t0)
        return new_p - p, (eta, mu, ax)

    return _per_leaf("asgd", lambda p: (lr, 1.0, np.zeros_like(p)), step)


def adafactor(
    lr: float = 1e-2,
    beta2_decay: float = -0.8,
    eps: tuple[float | None, float] = (None, 1e-3),
    d: float = 1.0,
    weight_decay: float = 0.0,
) -> GradientTransformation:
    """Adafactor, as ``torch.optim.Adafactor``: second moments of a matrix kept as a row
    and a column factor, relative step ``min(lr, 1/sqrt(t))`` scaled by the parameter's
    RMS, update clipping by ``d``.

    >>> opt = adafactor()
    >>> u, _ = opt.update(np.ones((2, 2)), opt.init(np.ones((2, 2))), np.ones((2, 2)))
    >>> np.round(u, 6)
    array([[-0.01, -0.01],
           [-0.01, -0.01]])
    """
    eps1, eps2 = eps

    def init(p):
        if p.ndim >= 2:
            return (np.zeros(p.shape[:-1]), np.zeros(p.shape[:-2] + p.shape[-1:]))
        return (np.zeros_like(p), None)

    def step(t, g, p, buf):
        e1 = np.finfo(p.dtype).eps if eps1 is None else eps1
        beta2 = 1.0 - t**beta2_decay
        rho = min(lr, 1.0 / math.sqrt(t))
        alpha = max(eps2, float(np.sqrt(np.mean(p * p)))) * rho
        new_p = p * (1.0 - lr * weight_decay) if weight_decay else p
        if p.ndim >= 2:
            row, col = buf
            row = beta2 * row + (1.0 - beta2) * np.mean(g * g, axis=-1)
            col = beta2 * col + (1.0 - beta2) * np.mean(g * g, axis=-2)
            row_mean = np.mean(row, axis=-1, keepdims=True)
            var = (row / row_mean)[..., :, None] * col[..., None, :]
            buf = (row, col)
        else:
            var = beta2 * buf[0] + (1.0 - beta2) * g * g
            buf = (var, None)
        u = g / np.sqrt(np.maximum(var, e1 * e1))
        u = u / max(1.0, float(np.sqrt(np.mean(u * u))) / d)
        return new_p - alpha * u - p, buf

    return _per_leaf("adafactor", init, step)


def lion(
    lr: ScalarOrSchedule = 1e-4, betas: tuple[float, float] = (0.9, 0.99), weight_decay: float = 0.0
) -> GradientTransformation:
    """Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"):
    ``p <- p - lr (sign(b1 m + (1 - b1) g) + wd p)``, then ``m <- b2 m + (1 - b2) g``.

    >>> lion(0.1).update(np.array([-3.0]), lion(0.1).init(np.zeros(1)), np.zeros(1))[0]
    array([0.1])
    """
    lr = check_lr(lr)
    b1, b2 = _betas(betas, "lion")

    def step(t, g, p, buf):
        (m,) = buf
        u = -lr_at(lr, t - 1) * (np.sign(b1 * m + (1.0 - b1) * g) + weight_decay * p)
        return u, (b2 * m + (1.0 - b2) * g,)

    return _per_leaf("lion", lambda p: (np.zeros_like(p),), step)


def lamb(
    lr: ScalarOrSchedule = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-6,
    weight_decay: float = 0.0,
) -> GradientTransformation:
    """LAMB (You et al. 2020, "Large Batch Optimization for Deep Learning"): Adam's
    bias-corrected direction plus decoupled decay, ``r = m_hat / (sqrt(v_hat) + eps) + wd p``,
    scaled per leaf by the trust ratio ``||p|| / ||r||`` (1 where either norm is 0).

    >>> opt = lamb(0.1)
    >>> np.round(opt.update(np.array([3.0, 4.0]), opt.init(np.array([3.0, 4.0])),
    ...                     np.array([3.0, 4.0]))[0], 6)      # ||p|| = 5, ||r|| = sqrt(2)
    array([-0.353553, -0.353553])
    """
    lr = check_lr(lr)
    b1, b2 = _betas(betas, "lamb")

    def step(t, g, p, buf):
        m, v = buf
        m = b1 * m + (1.0 - b1) * g
        v = b2 * v + (1.0 - b2) * g * g
        r = (m / (1.0 - b1**t)) / (np.sqrt(v / (1.0 - b2**t)) + eps) + weight_decay * p
        p_norm, r_norm = float(np.linalg.norm(p)), float(np.linalg.norm(r))
        trust = p_norm / r_norm if p_norm > 0 and r_norm > 0 else 1.0
        return -lr_at(lr, t - 1) * trust * r, (m, v)

    return _per_leaf("lamb", lambda p: (np.zeros_like(p), np.zeros_like(p)), step)
