"""Learning-rate schedules: functions ``step -> lr`` usable wherever a learning rate goes.

``step`` is the number of updates already made (0 for the first update), which is
PyTorch's ``last_epoch`` when ``scheduler.step()`` is called once after every
``optimizer.step()``; the step and exponential schedules match ``StepLR`` and
``ExponentialLR``, the cosine one ``CosineAnnealingLR`` up to ``T_max``.

>>> import gradkit as gk
>>> opt = gk.optim.adam(lr=step_schedule(0.1, step_size=10, gamma=0.5))
>>> [step_schedule(0.1, 10, 0.5)(k) for k in (0, 9, 10, 25)]
[0.1, 0.1, 0.05, 0.025]
"""

from __future__ import annotations

import math

import numpy as np

from gradkit.optim.base import Schedule, check_number

__all__ = [
    "constant_schedule",
    "step_schedule",
    "exponential_schedule",
    "cosine_schedule",
    "warmup_cosine_schedule",
]


def _check_step_count(name: str, value: object, minimum: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int; got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}")
    return int(value)


def _check_step(step: object) -> int:
    if isinstance(step, (bool, np.bool_)):
        raise TypeError(f"a schedule takes a step count (int); got the bool {step!r}")
    if not isinstance(step, int):
        try:
            as_int = int(step)  # numpy integers
        except (TypeError, ValueError, OverflowError):  # OverflowError: inf
            raise TypeError(f"a schedule takes a step count (int); got {step!r}") from None
        if as_int != step:
            raise TypeError(f"a schedule takes a whole step count; got {step!r}")
        step = as_int
    if step < 0:
        raise ValueError(f"a schedule's step count must be >= 0; got {step}")
    return step


def _scaled(lr: float, gamma: float, k: int, name: str, step: object) -> float:
    """``lr * gamma ** k``, or a clear error where it overflows (gamma > 1, k large)."""
    try:
        return lr * gamma**k
    except OverflowError:
        raise ValueError(
            f"{name}: lr * gamma**k overflows at step {step} (gamma = {gamma}); a learning "
            "rate that grows without bound is never meant: use gamma <= 1"
        ) from None


def constant_schedule(lr: float) -> Schedule:
    """Return the schedule that is ``lr`` at every step.

    Args:
        lr: the learning rate (> 0).

    >>> constant_schedule(0.1)(1000)
    0.1
    """
    lr = check_number("lr", lr, low=0.0, low_open=True)

    def schedule(step: int) -> float:
        _check_step(step)
        return lr

    return schedule


def step_schedule(lr: float, step_size: int, gamma: float = 0.1) -> Schedule:
    """Return ``lr * gamma ** (step // step_size)`` (PyTorch's ``StepLR``).

    Args:
        lr: the initial learning rate (> 0).
        step_size: how many steps between two decays (>= 1).
        gamma: the factor applied at each decay (> 0).

    >>> step_schedule(1.0, step_size=2, gamma=0.5)(5)
    0.25
    """
    lr = check_number("lr", lr, low=0.0, low_open=True)
    step_size = _check_step_count("step_size", step_size, 1)
    gamma = check_number("gamma", gamma, low=0.0, low_open=True)

    def schedule(step: int) -> float:
        return _scaled(lr, gamma, _check_step(step) // step_size, "step_schedule", step)

    return schedule


def exponential_schedule(lr: float, gamma: float) -> Schedule:
    """Return ``lr * gamma ** step`` (PyTorch's ``ExponentialLR``).

    Args:
        lr: the initial learning rate (> 0).
        gamma: the factor applied every step (> 0).

    >>> exponential_schedule(1.0, 0.5)(3)
    0.125
    """
    lr = check_number("lr", lr, low=0.0, low_open=True)
    gamma = check_number("gamma", gamma, low=0.0, low_open=True)

    def schedule(step: int) -> float:
        return _scaled(lr, gamma, _check_step(step), "exponential_schedule", step)

    return schedule


def cosine_schedule(lr: float, T_max: int, eta_min: float = 0.0) -> Schedule:  # noqa: N803
    """Return cosine annealing from ``lr`` to ``eta_min`` over ``T_max`` steps.

    ``eta_min + (lr - eta_min) * (1 + cos(pi * step / T_max)) / 2`` for
    ``step <= T_max`` (PyTorch's ``CosineAnnealingLR``), then ``eta_min`` (it does not
    climb back up).

    Args:
        lr: the initial learning rate (> 0).
        T_max: the number of steps of the decay (>= 1).
        eta_min: the final learning rate (>= 0).

    >>> cosine_schedule(1.0, T_max=4)(2)
    0.5
    >>> cosine_schedule(1.0, T_max=4, eta_min=0.1)(10)
    0.1
    """
    lr = check_number("lr", lr, low=0.0, low_open=True)
    T_max = _check_step_count("T_max", T_max, 1)  # noqa: N806
    eta_min = check_number("eta_min", eta_min, low=0.0)

    def schedule(step: int) -> float:
        step = min(_check_step(step), T_max)
        return eta_min + (lr - eta_min) * (1.0 + math.cos(math.pi * step / T_max)) / 2.0

    return schedule


def warmup_cosine_schedule(
    peak_lr: float,
    warmup_steps: int,
    total_steps: int,
    init_lr: float = 0.0,
    end_lr: float = 0.0,
) -> Schedule:
    """Return a linear warmup from ``init_lr`` to ``peak_lr``, then cosine decay to ``end_lr``.

    For ``step < warmup_steps`` the rate is
    ``init_lr + (peak_lr - init_lr) * step / warmup_steps``; from ``warmup_steps`` to
    ``total_steps`` it is the cosine decay of :func:`cosine_schedule` over the
    remaining ``total_steps - warmup_steps`` steps; after that, ``end_lr``.

    Args:
        peak_lr: the rate reached at the end of the warmup (> 0).
        warmup_steps: the length of the linear warmup (>= 0).
        total_steps: warmup plus decay (> warmup_steps).
        init_lr: the rate at step 0 (>= 0).
        end_lr: the rate at and after ``total_steps`` (>= 0).

    >>> s = warmup_cosine_schedule(1.0, warmup_steps=2, total_steps=6)
    >>> [round(s(k), 3) for k in range(7)]
    [0.0, 0.5, 1.0, 0.854, 0.5, 0.146, 0.0]
    """
    peak_lr = check_number("peak_lr", peak_lr, low=0.0, low_open=True)
    warmup_steps = _check_step_count("warmup_steps", warmup_steps, 0)
    total_steps = _check_step_count("total_steps", total_steps, warmup_steps + 1)
    init_lr = check_number("init_lr", init_lr, low=0.0)
    end_lr = check_number("end_lr", end_lr, low=0.0)
    decay_steps = total_steps - warmup_steps

    def schedule(step: int) -> float:
        step = _check_step(step)
        if step < warmup_steps:
            return init_lr + (peak_lr - init_lr) * step / warmup_steps
        into = min(step - warmup_steps, decay_steps)
        return end_lr + (peak_lr - end_lr) * (1.0 + math.cos(math.pi * into / decay_steps)) / 2.0

    return schedule
