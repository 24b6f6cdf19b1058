"""Richardson extrapolation with an adaptive step search and honest error estimates.

The plain difference ``D(h)`` of a stencil has the error series
``D(h) = f^(n)(x) + a1 t + a2 t**2 + ...`` with ``t = h**p`` (``p = 2`` for central
stencils).  Given ``D`` at several steps, Neville's scheme evaluates at ``t = 0`` the
polynomial through them, cancelling the first terms of the series.  Each entry of
the table comes with two error terms:

* truncation: the change from the neighbouring lower-order entries (it is about the
  error of those entries, so it over-estimates the error of the entry itself), and from
  the entry of the same order one step finer (coarse entries can agree by coincidence);
* rounding: the noise of ``f`` (a few units in the last place of ``|f|``, or more where
  it was measured to be more) carried through the stencil weights and the
  extrapolation weights, bounded term by term.

The step search (:func:`adaptive_difference`) starts from a step proportional to
the scale of ``x``, shrinks it quickly while ``D`` is not yet in its asymptotic
regime (successive values disagree, or ``f`` returns NaN/inf: a narrow feature or
the edge of the domain), then halves it a few times and extrapolates.  On ordinary
smooth functions this takes 5 central differences (10 evaluations for ``n = 1``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Level", "Extrapolation", "extrapolate", "adaptive_difference", "confirm_at_scale"]

# an aimed step keeps the rounding noise of a difference below this fraction of it
_NOISE_TARGET = 5e-7

LevelFunction = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]


@dataclass
class Level:
    """One plain difference at one step (per element): value, noise bound, validity."""

    step: np.ndarray
    value: np.ndarray
    noise: np.ndarray
    magnitude: np.ndarray
    valid: np.ndarray


@dataclass
class Extrapolation:
    """The best entry of a Richardson table, element by element."""

    estimate: np.ndarray
    error: np.ndarray
    truncation: np.ndarray
    rounding: np.ndarray
    step: np.ndarray
    usable: np.ndarray = field(default_factory=lambda: np.array(True))


def extrapolate(
    levels: list[Level], power: int, start: np.ndarray, safety: float = 1.0
) -> Extrapolation:
    """Return the entry of the Richardson table with the smallest estimated error.

    Args:
        levels: plain differences, in the order the steps were tried.
        power: the error series is in ``t = h**power``.
        start: per element, the first level that may be used (earlier ones were
            taken before the differences reached their asymptotic regime).
        safety: factor applied to the truncation estimate.

    Returns:
        An :class:`Extrapolation`; ``error = safety * truncation + rounding``.
        Elements with fewer than two usable levels get ``error = inf``.

    >>> h = 2.0 ** -np.arange(4)
    >>> lv = [Level(np.array(s), np.array(1 + s * s), np.array(0.0), np.array(1.0),
    ...       np.array(True)) for s in h]
    >>> float(extrapolate(lv, 2, np.array(0)).estimate)
    1.0
    """
    shape = np.broadcast_shapes(*(lv.value.shape for lv in levels))
    start_v = np.broadcast_to(start, shape)
    table: list[list[tuple]] = []  # per row k: (value, rounding, usable, truncation) by column
    prev_p: list[np.ndarray] = []
    prev_r: list[np.ndarray] = []
    prev_ok: list[np.ndarray] = []
    with np.errstate(all="ignore"):
        for k, level in enumerate(levels):
            t_k = np.broadcast_to(level.step, shape) ** power
            ok0 = np.broadcast_to(level.valid, shape) & (k >= start_v)
            p = [np.where(ok0, level.value, 0.0)]
            r = [np.broadcast_to(level.noise, shape)]
            ok = [ok0]
            for j in range(1, k + 1):
                t_kj = np.broadcast_to(levels[k - j].step, shape) ** power
                a = t_k / (t_kj - t_k)
                p.append(p[j - 1] + (p[j - 1] - prev_p[j - 1]) * a)
                r.append(np.abs(1 + a) * r[j - 1] + np.abs(a) * prev_r[j - 1])
                ok.append(ok[j - 1] & prev_ok[j - 1] & np.isfinite(a))
            row = []
            for j in range(k + 1):
                if j == 0:
                    if k == 0:
                        row.append((p[0], r[0], np.zeros(shape, dtype=bool), None))
                        continue
                    trunc = np.abs(p[0] - prev_p[0])
                    usable = ok[0] & prev_ok[0]
                else:
                    trunc = np.maximum(np.abs(p[j] - p[j - 1]), np.abs(p[j] - prev_p[j - 1]))
                    usable = ok[j]
                row.append((p[j], r[j], usable, trunc))
            # An entry must also agree with the entries below it (same order, finer
            # steps): entries computed from steps outside the asymptotic regime can
            # agree with their coarser neighbours by coincidence. The next one down is
            # compared as a neighbour; further ones, beyond their own rounding bound.
            for above_k, above in enumerate(table):
                nearest = above_k == k - 1
                for j, (pa, ra, ua, ta) in enumerate(above):
                    if ta is None:
                        continue
                    gap = np.abs(p[j] - pa) if nearest else np.abs(p[j] - pa) - r[j]
                    above[j] = (pa, ra, ua, np.where(ua & ok[j], np.maximum(ta, gap), ta))
            table.append(row)
            prev_p, prev_r, prev_ok = p, r, ok
        best = np.full(shape, np.nan, dtype=np.result_type(*(lv.value for lv in levels)))
        best_err = np.full(shape, np.inf)
        best_trunc = np.full(shape, np.inf)
        best_noise = np.full(shape, np.inf)
        best_step = np.full(shape, np.nan)
        for level, row in zip(levels, table):
            for value, noise, usable, trunc in row:
                if trunc is None:
                    continue
                err = safety * trunc + noise
                better = usable & (err < best_err)
                best = np.where(better, value, best)
                best_err = np.where(better, err, best_err)
                best_trunc = np.where(better, trunc, best_trunc)
                best_noise = np.where(better, noise, best_noise)
                best_step = np.where(better, np.broadcast_to(level.step, shape), best_step)
    return Extrapolation(best, best_err, best_trunc, best_noise, best_step, np.isfinite(best_err))


@dataclass
class AdaptiveResult:
    """What :func:`adaptive_difference` found, element by element."""

    estimate: np.ndarray
    error: np.ndarray
    truncation: np.ndarray
    rounding: np.ndarray
    step: np.ndarray
    converged: np.ndarray
    any_valid: np.ndarray
    levels: list[Level]


def _reducer(shape_s: tuple[int, ...], shape_v: tuple[int, ...]) -> Callable:
    if shape_s == shape_v:
        return lambda m: m
    return lambda m: np.all(m)


def adaptive_difference(
    level_fn: LevelFunction,
    s0: np.ndarray,
    s_fallback: np.ndarray,
    power: int,
    *,
    max_levels: int = 8,
    window: int = 5,
    tau: float = 0.02,
    jump: float = 8.0,
    ideal: float = 5e-4,
    safety: float = 2.0,
    order: int = 1,
    affordable: Callable[[], bool] | None = None,
) -> AdaptiveResult:
    """Search for a good step, then extrapolate; return the best estimate per element.

    Args:
        level_fn: ``level_fn(h) -> (value, noise, magnitude)``: the plain difference at
            step ``h`` (one step per element of ``x``), a bound on its rounding noise,
            and ``sum |w_i f_i| / h**n`` (the scale a non-converged difference has).
        s0: first step per element.
        s_fallback: a smaller step to jump to first when the search must shrink
            (the scale ``|x|`` when ``|x|`` is small), or ``inf`` for none.
        power: the error series is in ``h**power``.
        max_levels: most plain differences computed in all.
        window: most levels used by the extrapolation once converged.
        tau: two successive differences "agree" when they differ by less than this
            fraction (the step is then small enough for extrapolation to work).
        jump: factor by which the step shrinks while the differences disagree.
        ideal: once two differences agree, the next step is chosen so that halving
            it would change the difference by about this fraction.
        safety: factor applied to the truncation estimate.
        order: the noise of a difference grows like ``h**-order`` (the derivative
            order): an aimed step stays where the noise is below ``_NOISE_TARGET``
            of the difference.
        affordable: called before each level after the first; the search stops
            (with what it has) when it returns False: a budget of evaluations.

    Returns:
        An :class:`AdaptiveResult` (estimate, error, step, convergence flags, levels).
    """
    s_next = np.array(s0, dtype=float, copy=True)
    shape_s = s_next.shape
    fallback = np.broadcast_to(np.asarray(s_fallback, dtype=float), shape_s).copy()
    phase = np.zeros(shape_s, dtype=int)  # 0: searching, 1: extrapolating, 2: done
    start = np.full(shape_s, max_levels, dtype=int)
    n_prev = np.zeros(shape_s, dtype=int)  # valid levels seen while searching
    prev_idx = np.zeros(shape_s, dtype=int)
    levels: list[Level] = []
    # (value, noise, t) of the last two valid levels while searching
    prev: Any = None
    prev2: Any = None
    best_err_prev = None
    stalls = np.zeros(shape_s, dtype=int)
    reduce = None

    jumped = np.zeros(shape_s, dtype=bool)  # the next step is the fallback scale

    def shrink(s: np.ndarray) -> np.ndarray:
        use_fb = np.isfinite(s) & (fallback < s / 4)
        out = np.where(use_fb, fallback, s / jump)
        fallback[use_fb] = np.inf
        jumped[use_fb] = True
        return out

    for _ in range(max_levels):
        if levels and affordable is not None and not affordable():
            break
        s = s_next.copy()
        was_jump = jumped.copy()
        jumped[...] = False
        value, noise, magnitude = level_fn(s)
        shape_v = np.shape(value)
        t = np.broadcast_to(s, shape_v) ** power
        if reduce is None:
            reduce = _reducer(shape_s, shape_v)
            zero = np.zeros(shape_v, dtype=np.result_type(value))
            prev = prev2 = (zero, np.zeros(shape_v), np.ones(shape_v))
        with np.errstate(all="ignore"):
            finite = np.isfinite(value) & np.isfinite(noise)
        valid_s = reduce(finite) & (phase < 2)
        levels.append(Level(s, value, noise, magnitude, np.broadcast_to(valid_s, shape_v) & finite))

        searching = phase == 0
        bad = searching & ~valid_s
        s_next = np.where(bad, shrink(np.where(bad, s, np.inf)), s_next)
        good = searching & valid_s
        with np.errstate(all="ignore"):
            # the jump to the fallback scale |x| gave a step so small that rounding swamps
            # the difference: drop that level and step down from the last one instead
            biggest = 0.1 * np.maximum(np.abs(value), np.abs(prev[0]))
            swamped = reduce((noise > biggest) & (prev[1] <= biggest) & (value != prev[0]))
        swamped = good & (n_prev >= 1) & swamped & was_jump
        if np.any(swamped):
            levels[-1].valid = levels[-1].valid & ~np.broadcast_to(swamped, shape_v)
            last_step = _first(prev[2], shape_s) ** (1.0 / power)
            s_next = np.where(swamped, last_step / jump, s_next)
            good = good & ~swamped
            if not np.any(levels[-1].valid):
                levels.pop()  # useless to every element: keep the table contiguous
                continue
        k = len(levels) - 1
        with np.errstate(all="ignore"):
            # two levels agree: the step is small enough for the series to converge
            within_tau = reduce(
                np.abs(value - prev[0]) <= tau * np.abs(value) + 3.0 * (noise + prev[1])
            )
            # or three levels follow one term of the series (e.g. a zero derivative)
            series = _follows_series(prev2, prev, value, t, reduce)
        # prefer the three-level test: its window starts one level earlier
        agree3 = good & (n_prev >= 2) & series
        agree2 = good & (n_prev >= 1) & within_tau & ~agree3
        agree = agree2 | agree3
        disagree = good & (n_prev >= 1) & ~agree
        start = np.where(agree2, prev_idx, start)
        start = np.where(agree3, _second_last(levels, k, agree3), start)
        phase = np.where(agree, 1, phase)
        # the first level after agreement must follow the series too, else search on,
        verify = (phase == 1) & ~agree & valid_s & (k - start >= 2) & (k - start <= 3)
        with np.errstate(all="ignore"):
            at_noise = reduce(np.abs(prev[0] - value) <= 3.0 * (noise + prev[1]))
        # so must every later one: a level that breaks the series by more than `tau` (not
        # the noise of a small step) shows that the agreement was a coincidence of steps
        # too large
        late = (phase == 1) & ~agree & valid_s & (k - start > 3) & (n_prev >= 2) & ~within_tau
        relapse = (verify | late) & ~series & ~at_noise
        phase = np.where(relapse, 0, phase)
        start = np.where(relapse, max_levels, start)
        n_prev = np.where(relapse, 1, n_prev)
        s_next = np.where(good & ~disagree, s / 2, s_next)
        # once converging, aim the next steps where the error series has fallen to
        # `ideal` (relative); steps already that small just keep halving
        with np.errstate(all="ignore"):
            kappa = _curvature(prev, value, t, shape_s)
            t_star = ideal / (kappa * (1 - 2.0**-power))
            s_star = np.where(np.isfinite(t_star) & (t_star > 0), t_star ** (1 / power), s)
            # ... but not where the noise of f would exceed _NOISE_TARGET of the difference
            # (f noisy, or much larger than its variation): extrapolation removes
            # truncation, never noise
            rel_noise = _worst(noise / np.abs(value), shape_s)
            s_quiet = s * (rel_noise / _NOISE_TARGET) ** (1.0 / order)
            s_star = np.where(np.isfinite(s_quiet) & (s_quiet > s_star), s_quiet, s_star)
        aimed = np.clip(2.0 ** np.floor(np.log2(np.maximum(s_star, 1e-300))), s / 8, s / 2)
        s_next = np.where(agree, aimed, s_next)
        with np.errstate(all="ignore"):
            # nearly equal, or both dominated by one error term c*t (a zero derivative)
            close = reduce(
                (np.abs(value - prev[0]) <= 0.5 * np.abs(value))
                | (np.abs(prev[0] - value * prev[2] / t) <= 0.25 * np.abs(prev[0]))
            )
        # nearly agreeing: step down moderately and let the three-level test decide
        s_next = np.where(disagree & close, aimed, s_next)
        moving = (disagree & ~close) | relapse
        s_next = np.where(moving, shrink(np.where(moving, s, np.inf)), s_next)
        n_prev = n_prev + good
        track = np.broadcast_to((phase < 2) & valid_s, shape_v)
        prev2 = tuple(np.where(track, a, b) for a, b in zip(prev, prev2))
        prev = tuple(np.where(track, a, b) for a, b in zip((value, noise, t), prev))
        prev_idx = np.where((phase < 2) & valid_s, k, prev_idx)

        fine = (phase == 1) & ~agree
        phase = np.where(fine & ~valid_s, 2, phase)
        s_next = np.where(fine & valid_s, s / 2, s_next)
        if np.any(phase == 1):
            ex = extrapolate(levels, power, start, safety)
            err_s = _worst(ex.error, shape_s)
            trunc_s = _worst(ex.truncation, shape_s)
            noise_s = _worst(ex.rounding, shape_s)
            size = k - start + 1
            if best_err_prev is not None:
                stalls = np.where(err_s >= best_err_prev, stalls + 1, 0)
            best_err_prev = err_s
            done = (phase == 1) & (
                (size >= window)
                | ((size >= 3) & (safety * trunc_s <= noise_s))
                | ((size >= 4) & (stalls >= 2))
            )
            phase = np.where(done, 2, phase)
        if np.all(phase == 2):
            break

    converged = phase > 0
    start = np.where(converged, start, 0)
    ex = extrapolate(levels, power, start, safety)
    any_valid = _any_level_valid(levels, np.shape(ex.estimate))
    conv_v = np.broadcast_to(converged, np.shape(ex.estimate))
    return AdaptiveResult(
        ex.estimate, ex.error, ex.truncation, ex.rounding, ex.step, conv_v, any_valid, levels
    )


def confirm_at_scale(
    level_fn: LevelFunction,
    result: AdaptiveResult,
    scale_step: np.ndarray,
    check: np.ndarray,
    power: int,
    affordable: Callable[[], bool] | None = None,
) -> AdaptiveResult:
    """Confirm ``result`` with two differences at ``scale_step`` where ``check`` holds.

    A search that converged at steps much larger than a scale of the point (``|x|``)
    may have converged on something other than ``f`` near the point: the other branch
    of a kink the steps straddle, or the flat tails of a function its steps saturate.
    The differences at ``scale_step`` and half of it, one Richardson step apart, must
    agree with the result within both error estimates; where they do not, the search
    runs again from ``scale_step`` and its result replaces the first.
    """
    if not np.any(check):
        return result
    # one step per element of the point (the result's steps are per output element);
    # the elements not checked repeat their last step, and their values are not used
    h = np.where(check, scale_step, result.levels[-1].step)
    d1, n1, _ = level_fn(h)
    d2, n2, _ = level_fn(h / 2)
    r = 2.0**power
    with np.errstate(all="ignore"):
        local = (r * d2 - d1) / (r - 1)
        local_err = 2.0 * np.abs(d2 - d1) / (r - 1) + 3.0 * (n1 + n2)
        gap = np.abs(result.estimate - local)
        wrong = np.broadcast_to(check, np.shape(gap)) & ~(gap <= result.error + local_err)
    if not np.any(wrong):
        return result
    again = adaptive_difference(
        level_fn, h, np.full(np.shape(h), np.inf), power, affordable=affordable
    )
    # the search from the small scale replaces the first where it converged, or where
    # neither did (x[3] = -2.2e-16 beside x[1] = -0.5 in a Hessian: steps of 1e-22 are
    # rounding alone, and replaced a converged mixed entry by a search that never did)
    settled = np.asarray(again.converged) | ~np.asarray(result.converged)
    use = wrong & np.broadcast_to(np.asarray(again.any_valid) & settled, np.shape(wrong))

    def pick(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.where(use, a, b)

    return AdaptiveResult(
        pick(again.estimate, result.estimate),
        pick(again.error, np.maximum(result.error, gap)),
        pick(again.truncation, result.truncation),
        pick(again.rounding, result.rounding),
        pick(again.step, result.step),
        pick(again.converged, result.converged),
        result.any_valid,
        result.levels + again.levels,
    )


def _follows_series(
    older: tuple, old: tuple, value: np.ndarray, t: np.ndarray, reduce: Callable
) -> np.ndarray:
    """Whether three differences change as one term ``c t**m`` of the series predicts.

    Usually ``m = 1`` (the leading error term); ``m = 2`` or ``3`` when the first
    terms vanish at ``x`` (e.g. ``x**5`` at 0).  Within a factor of 2.
    """
    (d0, _, t0), (d1, _, t1) = older, old
    with np.errstate(all="ignore"):
        observed = (d0 - d1) / (d1 - value)
        ok = (d0 == d1) & (d1 == value)
        for m in (1, 2, 3):
            predicted = (t0**m - t1**m) / (t1**m - t**m)
            q = observed / predicted
            ok = ok | ((q >= 0.5) & (q <= 2.0))
        return reduce(ok)


def _curvature(prev: tuple, value: np.ndarray, t: np.ndarray, shape_s: tuple) -> np.ndarray:
    """Relative change of the difference per unit of t = h**p, between two levels."""
    rel = np.abs(prev[0] - value) / np.abs(value) / np.abs(prev[2] - t)
    if np.shape(rel) == shape_s:
        return rel
    return np.max(rel) if np.size(rel) else np.array(0.0)


def _second_last(levels: list[Level], k: int, mask: np.ndarray) -> np.ndarray:
    """Index of the second-to-last valid level before level k, per element."""
    shape = np.shape(mask)
    found = np.zeros(shape, dtype=int)
    out = np.zeros(shape, dtype=int)
    for i in range(k - 1, -1, -1):
        valid = np.broadcast_to(np.all(levels[i].valid) if shape == () else levels[i].valid, shape)
        found = found + valid
        out = np.where(valid & (found == 2), i, out)
    return out


def _first(a: np.ndarray, shape_s: tuple[int, ...]) -> np.ndarray:
    """``a`` (shaped like the values) reduced to one entry per step."""
    if np.shape(a) == shape_s:
        return a
    return np.asarray(a).ravel()[0] if np.size(a) else np.array(1.0)


def _worst(a: np.ndarray, shape_s: tuple[int, ...]) -> np.ndarray:
    if np.shape(a) == shape_s:
        return a
    return np.max(a) if np.size(a) else np.array(0.0)


def _any_level_valid(levels: list[Level], shape: tuple[int, ...]) -> np.ndarray:
    out = np.zeros(shape, dtype=bool)
    for level in levels:
        out |= np.broadcast_to(level.valid, shape)
    return out
