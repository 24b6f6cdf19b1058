"""The noise level of ``f``, measured from a few values of ``f`` close together.

Rounding makes every computed ``f(x)`` wrong by a little, and the finite differences
divide that error by ``h**n``. A value computed well is wrong by about one unit in the
last place of ``|f|``; a value that comes out of the cancellation of larger terms
(``exp(x) - 1 - x`` near 0, ``g(x) - g(x0)``, ``cosh(x) - 1``) is wrong by units in the
last place of those terms, which ``f``'s value does not show.

Values taken close together show it (as in Moré and Wild's ECnoise, "Estimating
computational noise", SIAM J. Sci. Comput. 33, 2011): over a span far below ``f``'s
length scale the smooth part of ``f`` is a straight line to within far less than the
noise, so what a straight line fitted to them leaves over is the noise. The points are
unevenly spaced: at even spacing the rounding errors of a smooth ``f`` are themselves
nearly linear (they step by a fixed fraction of a unit) and would hide.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["NOISE_OFFSETS", "distinct_values", "noise_from_values", "measure_noise", "probe"]

# offsets of the probe around its centre, in units of its spacing: uneven, with the
# centre (a point the differences already used) among them, and irrational: with
# offsets of few bits (k / 64) the terms of a polynomial-like f (cosh t - 1 near 0)
# land exactly on the floating-point grid and show no noise, while its values at the
# steps of the differences have the full rounding error of the terms
NOISE_OFFSETS = (-1.7071, -0.7236, 0.0, 1.2361, 2.4142)
# spacing of the probe, relative to the step of the differences: the quadratic part
# of f over the probe, (2.4 * 2**-26 * h / L)**2 f, is far below rounding when the
# step h is below f's length scale L, as the step search makes it
_SPACING = 2.0**-26
# where f is quantized more coarsely than it varies over the probe (its values repeat),
# the probe is widened by this factor (by default up to twice: the widest probe spans
# 2**-8 of the step, over which f is still a line to far below its quantum, since f
# varies by less than one quantum over the narrower probe)
_WIDEN = 2.0**8
_WIDENINGS = 2


def noise_from_values(t: np.ndarray, values: np.ndarray, degree: int = 1) -> np.ndarray:
    """The standard deviation of the scatter of ``values`` about a line in ``t``.

    Both arguments have the probe points along axis 0; one estimate per column.
    Columns with non-finite values or coinciding points give 0. With ``degree=2``,
    about a parabola instead (one degree of freedom fewer): where the probe is wide
    enough for ``f`` to curve over it, the line leaves the curvature over as well, the
    parabola mostly noise, so the two estimates disagree.

    >>> t = np.array(NOISE_OFFSETS) * 2.0**-40
    >>> wobble = np.array([1, -1, 1, -1, 1]) * 1e-10
    >>> round(float(noise_from_values(t, 2.0 + 3.0 * t + wobble)), 11)
    1.3e-10
    >>> v = np.exp(1.0 + t) - np.e          # values of 1e-12 or less, with the noise of e
    >>> bool(np.max(np.abs(v)) < 1e-11 and noise_from_values(t, v) > 1e-17)
    True
    >>> bent = 1.0 + 1e20 * t**2            # a curve, no noise to speak of
    >>> bool(noise_from_values(t, bent, degree=2) < 1e-3 * noise_from_values(t, bent))
    True
    """
    if degree != 1:
        return _noise_about_polynomial(
            np.asarray(t, dtype=float), np.asarray(values, dtype=float), degree
        )
    t = np.asarray(t, dtype=float)
    v = np.asarray(values, dtype=float)
    t = np.broadcast_to(t.reshape(t.shape + (1,) * (v.ndim - t.ndim)), v.shape)
    with np.errstate(all="ignore"):
        tc = t - t.mean(axis=0)
        vc = v - v.mean(axis=0)
        slope = (tc * vc).sum(axis=0) / (tc * tc).sum(axis=0)
        resid = vc - slope * tc
        sigma = np.sqrt((resid * resid).sum(axis=0) / (v.shape[0] - 2))
    return np.where(np.isfinite(sigma), sigma, 0.0)


def measure_noise(
    evaluate: Callable[[np.ndarray], np.ndarray],
    center: np.ndarray,
    step: np.ndarray,
    varies: Any = True,
    degree: int = 1,
    widenings: int = _WIDENINGS,
) -> np.ndarray:
    """The noise level of ``f`` at ``center``, from 5 values of ``f`` over ``6e-8 * step``.

    Where ``f``'s values repeat among them (``f`` is quantized: ``(1e8 + g) - 1e8``,
    or comes out of cancellation and varies by less than one unit of the cancelled
    terms over the probe: ``1 - cosh(1 / (t**2 + 1))`` at 137), the probe is widened
    256 times, up to ``widenings`` times: it must see the steps of the staircase.
    Values that ``varies`` says are constant (a component of ``f`` that does not
    depend on this variable) do not count.

    Args:
        evaluate: returns ``f`` at an array of points shaped like ``center`` (or one
            value per output, for a scalar ``center``).
        center: where to measure: a point the differences use (it costs nothing more
            when ``evaluate`` caches it).
        step: the step of the differences; the probe spans ``4.1 * 2**-26`` of it.
        varies: where ``f`` is known to vary over ``step`` (shaped like the values).
        degree: the scatter is taken about a line (1) or a parabola (2), see
            :func:`noise_from_values`.
        widenings: how many times the probe may be widened (4 evaluations each).

    Returns:
        The estimated standard deviation of the noise in each value of ``f``.

    >>> import numpy as np
    >>> f = lambda t: np.exp(t) - 1 - t                 # f(1e-3) ~ 5e-7, noise ~ 1e-16
    >>> sigma = measure_noise(f, np.array(1e-3), np.array(1e-3))
    >>> bool(1e-18 < sigma < 1e-15)                     # ulps of 1, not of 5e-7
    True
    """
    return noise_from_values(*probe(evaluate, center, step, varies, widenings), degree)


def probe(
    evaluate: Callable[[np.ndarray], np.ndarray],
    center: np.ndarray,
    step: np.ndarray,
    varies: Any = True,
    widenings: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """The offsets from ``center`` and the values of ``f`` that :func:`measure_noise`
    fits (arguments as there), for a caller that fits them more than one way.

    >>> import numpy as np
    >>> t, values = probe(np.exp, np.array(0.0), np.array(1.0))
    >>> t.shape, values.shape
    ((5,), (5,))
    """
    center = np.asarray(center, dtype=float)
    delta = _SPACING * np.asarray(step, dtype=float)
    for _ in range(widenings + 1):
        points = [center + o * delta for o in NOISE_OFFSETS]
        values = np.array([evaluate(p) for p in points])
        if np.all((distinct_values(values) >= len(NOISE_OFFSETS) - 1) | ~np.asarray(varies)):
            break
        delta = delta * _WIDEN
    return np.array([p - center for p in points]), values


def _noise_about_polynomial(t: np.ndarray, v: np.ndarray, degree: int) -> np.ndarray:
    """:func:`noise_from_values` about a polynomial of ``degree``, column by column."""
    t = np.broadcast_to(t.reshape(t.shape + (1,) * (v.ndim - t.ndim)), v.shape)
    t2 = t.reshape(t.shape[0], -1)
    v2 = v.reshape(v.shape[0], -1)
    sigma = np.zeros(v2.shape[1])
    dof = v.shape[0] - degree - 1
    with np.errstate(all="ignore"):
        for k in range(v2.shape[1]):
            tk = t2[:, k] - t2[:, k].mean()
            span = np.max(np.abs(tk))
            if not (dof > 0 and np.all(np.isfinite(v2[:, k])) and span > 0):
                continue
            basis = np.vander(tk / span, degree + 1)
            vk = v2[:, k] - v2[:, k].mean()
            coef = np.linalg.lstsq(basis, vk, rcond=None)[0]
            resid = vk - basis @ coef
            sigma[k] = np.sqrt(np.sum(resid * resid) / dof)
    sigma = np.where(np.isfinite(sigma), sigma, 0.0)
    return sigma.reshape(v.shape[1:])


def distinct_values(values: np.ndarray) -> np.ndarray:
    """How many different values each column holds.

    >>> distinct_values(np.array([[1.0, 2.0], [1.0, 3.0], [1.0, 2.0]])).tolist()
    [1, 2]
    """
    ordered = np.sort(values, axis=0)
    return 1 + np.sum(ordered[1:] != ordered[:-1], axis=0)
