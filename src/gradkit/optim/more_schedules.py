"""More learning-rate schedules, as ``torch.optim.lr_scheduler`` computes them.

A schedule is a function ``step -> lr`` (step 0 is the first update), passed as ``lr``
to any optimizer. :class:`reduce_on_plateau` is the one with state: it reads a metric
you report with ``.step(value)`` and is itself a schedule (it returns its current rate).

>>> s = one_cycle(1.0, total_steps=10)
>>> [round(s(k), 4) for k in (0, 2, 9)]
[0.04, 1.0, 0.0]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from gradkit.optim.base import check_number

__all__ = [
    "one_cycle", "linear_warmup", "polynomial", "cosine_with_restarts", "sequential",
    "reduce_on_plateau",
]  # fmt: skip

Schedule = Callable[[int], float]


def _step(step: object) -> int:
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise ValueError(f"a schedule takes the step number (an int >= 0), got {step!r}")
    return step


def _count(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return value


def _cos(start: float, end: float, pct: float) -> float:
    return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1.0)


def _lin(start: float, end: float, pct: float) -> float:
    return (end - start) * pct + start


def one_cycle(
    max_lr: float,
    total_steps: int,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    three_phase: bool = False,
) -> Schedule:
    """The 1cycle policy, as ``torch.optim.lr_scheduler.OneCycleLR`` (learning rate only):
    from ``max_lr / div_factor`` up to ``max_lr`` over ``pct_start`` of the steps, then down
    to ``max_lr / div_factor / final_div_factor``.

    >>> s = one_cycle(0.1, total_steps=100, anneal_strategy="linear")
    >>> round(s(29), 6), round(s(99), 9)
    (0.1, 4e-07)
    """
    max_lr = check_number("max_lr", max_lr, low=0.0, low_open=True)
    total_steps = _count("total_steps", total_steps, 1)
    if anneal_strategy not in ("cos", "linear"):
        raise ValueError(
            f"one_cycle: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}"
        )
    anneal = _cos if anneal_strategy == "cos" else _lin
    initial = max_lr / div_factor
    minimum = initial / final_div_factor
    if three_phase:
        phases = [
            (pct_start * total_steps - 1, initial, max_lr),
            (2 * pct_start * total_steps - 2, max_lr, initial),
            (total_steps - 1, initial, minimum),
        ]
    else:
        phases = [
            (pct_start * total_steps - 1, initial, max_lr),
            (total_steps - 1, max_lr, minimum),
        ]

    def schedule(step: int) -> float:
        step = _step(step)
        if step >= total_steps:
            raise ValueError(f"one_cycle: step {step} is past total_steps={total_steps}")
        start = 0.0
        for i, (end, lo, hi) in enumerate(phases):
            if step <= end or i == len(phases) - 1:
                return anneal(lo, hi, (step - start) / (end - start))
            start = end
        raise AssertionError("unreachable")

    return schedule


def linear_warmup(
    lr: float, total_iters: int = 5, start_factor: float = 1.0 / 3, end_factor: float = 1.0
) -> Schedule:
    """``lr`` times a factor going linearly from ``start_factor`` to ``end_factor`` over
    ``total_iters`` steps, then constant: ``torch.optim.lr_scheduler.LinearLR``.

    >>> [round(linear_warmup(0.3, total_iters=3)(k), 3) for k in range(5)]
    [0.1, 0.167, 0.233, 0.3, 0.3]
    """
    lr = check_number("lr", lr, low=0.0, low_open=True)
    total_iters = _count("total_iters", total_iters, 1)

    def schedule(step: int) -> float:
        k = min(_step(step), total_iters)
        return lr * (start_factor + (end_factor - start_factor) * k / total_iters)

    return schedule


def polynomial(lr: float, total_iters: int = 5, power: float = 1.0) -> Schedule:
    """``lr (1 - min(step, total_iters) / total_iters) ** power``: ``PolynomialLR``.

    >>> [polynomial(1.0, total_iters=4, power=2.0)(k) for k in range(6)]
    [1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0]
    """
    lr = check_number("lr", lr, low=0.0, low_open=True)
    total_iters = _count("total_iters", total_iters, 1)

    def schedule(step: int) -> float:
        return lr * (1.0 - min(_step(step), total_iters) / total_iters) ** power

    return schedule


def cosine_with_restarts(
    lr: float,
    T_0: int,
    T_mult: int = 1,  # noqa: N803
    eta_min: float = 0.0,
) -> Schedule:
    """Cosine annealing restarted after ``T_0``, ``T_0 T_mult``, ... steps:
    ``CosineAnnealingWarmRestarts``.

    >>> s = cosine_with_restarts(1.0, T_0=2)
    >>> [s(k) for k in range(5)]
    [1.0, 0.5, 1.0, 0.5, 1.0]
    """
    lr = check_number("lr", lr, low=0.0, low_open=True)
    T_0 = _count("T_0", T_0, 1)  # noqa: N806
    T_mult = _count("T_mult", T_mult, 1)  # noqa: N806

    def schedule(step: int) -> float:
        t, period = _step(step), T_0
        while t >= period:
            t -= period
            period *= T_mult
        return eta_min + (lr - eta_min) * (1.0 + math.cos(math.pi * t / period)) / 2.0

    return schedule


def sequential(schedules: Sequence[Schedule], milestones: Sequence[int]) -> Schedule:
    """Schedule ``i`` from ``milestones[i - 1]`` on, restarted at its own step 0 there:
    ``SequentialLR``.

    >>> s = sequential([linear_warmup(1.0, 2, 0.5), polynomial(1.0, 2)], [2])
    >>> [s(k) for k in range(5)]
    [0.5, 0.75, 1.0, 0.5, 0.0]
    """
    if len(milestones) != len(schedules) - 1:
        raise ValueError(
            f"sequential: {len(schedules)} schedules need {len(schedules) - 1} milestones, "
            f"got {len(milestones)}"
        )
    if list(milestones) != sorted(milestones) or any(m < 1 for m in milestones):
        raise ValueError(
            f"sequential: milestones must be increasing positive ints, got {milestones}"
        )

    def schedule(step: int) -> float:
        step = _step(step)
        start = 0
        for sched, milestone in zip(schedules, list(milestones) + [math.inf]):
            if step < milestone:
                return sched(step - start)
            start = milestone
        raise AssertionError("unreachable")

    return schedule


class reduce_on_plateau:  # noqa: N801 - a schedule, named like the others
    """Divide the rate by ``1/factor`` when a reported metric stops improving:
    ``ReduceLROnPlateau``. Report the metric with ``.step(value)``; call the object
    (as optimizers call a schedule) for the current rate.

    >>> s = reduce_on_plateau(1.0, patience=1)
    >>> [s.step(v) for v in (3.0, 2.0, 2.0, 2.0, 2.0)]
    [1.0, 1.0, 1.0, 0.1, 0.1]
    """

    def __init__(
        self,
        lr: float,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float = 0.0,
        eps: float = 1e-8,
    ) -> None:
        if mode not in ("min", "max") or threshold_mode not in ("rel", "abs"):
            raise ValueError(
                "reduce_on_plateau: mode is 'min' or 'max', threshold_mode 'rel' or 'abs'"
            )
        if not 0.0 < factor < 1.0:
            raise ValueError(f"reduce_on_plateau: factor must be in (0, 1), got {factor}")
        self.lr = check_number("lr", lr, low=0.0, low_open=True)
        self.mode, self.factor, self.patience = mode, factor, _count("patience", patience, 0)
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.min_lr, self.eps = cooldown, min_lr, eps
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0

    def _better(self, value: float) -> bool:
        if self.mode == "min":
            bound = (
                self.best * (1 - self.threshold)
                if self.threshold_mode == "rel"
                else self.best - self.threshold
            )
            return value < bound
        bound = (
            self.best * (1 + self.threshold)
            if self.threshold_mode == "rel"
            else self.best + self.threshold
        )
        return value > bound

    def step(self, metric: float) -> float:
        """Report the metric of the epoch just finished; return the rate to use next."""
        value = float(metric)
        if self._better(value):
            self.best, self.num_bad_epochs = value, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            new = max(self.lr * self.factor, self.min_lr)
            if self.lr - new > self.eps:
                self.lr = new
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        return self.lr

    def __call__(self, step: int) -> float:
        return self.lr
