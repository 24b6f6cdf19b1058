"""A line search for the strong Wolfe conditions (Nocedal & Wright, algorithms 3.5/3.6).

Along a descent direction ``d`` from ``x`` (slope ``g0 . d < 0``), a step ``t`` satisfies
the strong Wolfe conditions when

    f(x + t d) <= f(x) + c1 t (g0 . d)            (sufficient decrease)
    |g(x + t d) . d| <= c2 |g0 . d|               (curvature)

:func:`strong_wolfe` first *brackets* such a step, growing ``t`` by cubic extrapolation
until the value stops decreasing or the slope turns non-negative (algorithm 3.5), then
*zooms* into the bracket by safeguarded cubic interpolation (algorithm 3.6). Its choices
(the extrapolation bounds ``[t + 0.01 (t - t_prev), 10 t]``, the cubic through both ends'
values and slopes, a trial pushed to 10% of the bracket from an end it keeps hugging) are
those of ``torch.optim.LBFGS``'s ``line_search_fn="strong_wolfe"`` (itself from
minFunc), so :func:`gradkit.optim.lbfgs` takes the same steps as torch.

>>> import numpy as np
>>> f = lambda x: (float(x @ x), 2 * x)              # f = |x|^2
>>> x, d = np.array([1.0, 2.0]), np.array([-1.0, -2.0])
>>> value, grad, t, evals = strong_wolfe(lambda t: f(x + t * d), 1.0, d, *f(x))
>>> t, value, evals                                 # the exact minimizer along d
(1.0, 0.0, 1)
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

__all__ = ["strong_wolfe", "cubic_minimizer"]


def cubic_minimizer(
    t1: float,
    f1: float,
    s1: float,
    t2: float,
    f2: float,
    s2: float,
    bounds: tuple[float, float] | None = None,
) -> float:
    """The minimizer of the cubic through ``(t1, f1)`` and ``(t2, f2)`` with slopes ``s1``,
    ``s2``, clipped to ``bounds`` (default: between ``t1`` and ``t2``); the middle of the
    bounds when that cubic has no minimum.

    >>> cubic_minimizer(0.0, 1.0, -2.0, 2.0, 1.0, 2.0)   # (t - 1)^2: minimum at 1
    1.0
    """
    low, high = bounds if bounds is not None else (min(t1, t2), max(t1, t2))
    # N&W eq. 3.59: with d1 = s1 + s2 - 3 (f1 - f2) / (t1 - t2), d2 = sign(t2 - t1) sqrt(d1^2
    # - s1 s2), the minimizer is t2 - (t2 - t1) (s2 + d2 - d1) / (s2 - s1 + 2 d2); written
    # from the left end so that d2 >= 0.
    d1 = s1 + s2 - 3.0 * (f1 - f2) / (t1 - t2)
    square = d1 * d1 - s1 * s2
    if square < 0:
        return (low + high) / 2.0
    d2 = math.sqrt(square)
    if t1 <= t2:
        t = t2 - (t2 - t1) * ((s2 + d2 - d1) / (s2 - s1 + 2.0 * d2))
    else:
        t = t1 - (t1 - t2) * ((s1 + d2 - d1) / (s1 - s2 + 2.0 * d2))
    return min(max(t, low), high)


class _Point:
    """A trial step: its length, value, gradient and slope along ``d``."""

    __slots__ = ("t", "f", "g", "slope")

    def __init__(self, t: float, f: float, g: np.ndarray, slope: float) -> None:
        self.t, self.f, self.g, self.slope = t, f, g, slope


def strong_wolfe(
    evaluate: Callable[[float], tuple[float, np.ndarray]],
    t: float,
    d: np.ndarray,
    f0: float,
    g0: np.ndarray,
    slope0: float | None = None,
    c1: float = 1e-4,
    c2: float = 0.9,
    tolerance_change: float = 1e-9,
    max_ls: int = 25,
) -> tuple[float, np.ndarray, float, int]:
    """Search along ``d`` for a step satisfying the strong Wolfe conditions.

    Args:
        evaluate: ``t -> (f(x + t d), grad f(x + t d))`` (the gradient a flat vector).
        t: the first trial step (> 0).
        d: the direction, a flat vector; ``g0 . d`` must be negative.
        f0, g0: the value and gradient at ``t = 0``.
        slope0: ``g0 . d`` (computed if not given).
        c1, c2: the sufficient-decrease and curvature constants, ``0 < c1 < c2 < 1``.
        tolerance_change: stop zooming once the bracket moves ``x`` by less than this.
        max_ls: the most evaluations.

    Returns:
        ``(f, g, t, evaluations)`` at the step taken: one satisfying both conditions
        when the search succeeds; otherwise (evaluations or bracket exhausted) the
        lowest point found.

    >>> import numpy as np
    >>> evaluate = lambda t: ((t - 3.0) ** 2, np.array([2 * (t - 3.0)]))   # along d = 1
    >>> f, g, t, n = strong_wolfe(evaluate, 1.0, np.ones(1), 9.0, np.array([-6.0]))
    >>> abs(g[0]) <= 0.9 * 6.0 and f <= 9.0 - 1e-4 * t * 6.0
    True
    """
    if not 0.0 < c1 < c2 < 1.0:
        raise ValueError(f"strong_wolfe needs 0 < c1 < c2 < 1; got c1={c1}, c2={c2}")
    slope0 = float(np.dot(g0, d)) if slope0 is None else float(slope0)
    if not slope0 < 0:
        raise ValueError(
            f"strong_wolfe: d is not a descent direction (g0 . d = {slope0} >= 0); "
            "search along a direction with a negative slope, such as -g0"
        )
    d_norm = float(np.max(np.abs(d)))
    start = _Point(0.0, float(f0), np.asarray(g0), slope0)

    def trial(step: float) -> _Point:
        f, g = evaluate(step)
        g = np.asarray(g, dtype=float)
        return _Point(step, float(f), g, float(np.dot(g, d)))

    def decreases(p: _Point) -> bool:
        return p.f <= start.f + c1 * p.t * slope0

    def curved(p: _Point) -> bool:
        return abs(p.slope) <= -c2 * slope0

    # Bracketing (algorithm 3.5): extrapolate until the value rises or the slope turns.
    prev, new = start, trial(t)
    evals, iters = 1, 0
    bracket: list[_Point] | None = None
    while iters < max_ls:
        if not decreases(new) or (iters > 1 and new.f >= prev.f):
            bracket = [prev, new]
            break
        if curved(new):
            return new.f, new.g, new.t, evals
        if new.slope >= 0:
            bracket = [prev, new]
            break
        step = cubic_minimizer(prev.t, prev.f, prev.slope, new.t, new.f, new.slope,
                               bounds=(new.t + 0.01 * (new.t - prev.t), new.t * 10.0))  # fmt: skip
        prev, new = new, trial(step)
        evals += 1
        iters += 1
    if bracket is None:  # out of evaluations while still extrapolating
        best = start if start.f <= new.f else new
        return best.f, best.g, best.t, evals

    # Zoom (algorithm 3.6): shrink the bracket around a Wolfe point; `low` is its end with
    # the lower value, which always satisfies sufficient decrease.
    low = 0 if bracket[0].f <= bracket[1].f else 1
    hugging = False  # whether the last trial already fell too near an end
    while iters < max_ls:
        lo_t, hi_t = sorted((bracket[0].t, bracket[1].t))
        if (hi_t - lo_t) * d_norm < tolerance_change:
            break
        a, b = bracket
        step = cubic_minimizer(a.t, a.f, a.slope, b.t, b.f, b.slope)
        margin = 0.1 * (hi_t - lo_t)
        if min(hi_t - step, step - lo_t) < margin:
            # Too near an end: accept it once, but if the last one was too, or the step
            # is at an end, move it 10% of the bracket inside.
            if hugging or step >= hi_t or step <= lo_t:
                step = hi_t - margin if abs(step - hi_t) < abs(step - lo_t) else lo_t + margin
                hugging = False
            else:
                hugging = True
        else:
            hugging = False
        new = trial(step)
        evals += 1
        iters += 1
        high = 1 - low
        if not decreases(new) or new.f >= bracket[low].f:
            bracket[high] = new  # too high: the new upper end
            low = 0 if bracket[0].f <= bracket[1].f else 1
            continue
        if curved(new):
            bracket[low] = new
            break
        if new.slope * (bracket[high].t - bracket[low].t) >= 0:
            bracket[high] = bracket[low]  # the minimum lies between new and the old low
        bracket[low] = new
    best = bracket[low]
    return best.f, best.g, best.t, evals
