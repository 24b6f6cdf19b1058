"""Figures of one-variable calculus: a function, its derivative and a tangent line; numerical
against analytical derivatives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from gradkit.viz._common import (
    FigureInputError,
    check_callable,
    check_interval,
    check_num,
    new_figure,
    quiet,
    style_axes,
    vectorized,
)

__all__ = [
    "plot_derivative",
    "plot_numerical_vs_analytical",
    "derivative_values",
    "robust_limits",
    "break_at_poles",
]


def robust_limits(*curves: np.ndarray, margin: float = 0.08) -> tuple[float, float]:
    """Return y-limits that show the curves' shape even when they have poles.

    The limits span the finite values, but no further than one interquantile range
    (5% to 95%) beyond those quantiles: a bounded curve is shown whole, while the
    spikes of ``tan`` or ``1/x`` near a pole leave the view instead of flattening the
    rest of the curve.

    Args:
        curves: arrays of y values (NaN and infinities are ignored).
        margin: the fraction of the range added above and below.

    >>> robust_limits(np.array([0.0, 1.0, 4.0, 9.0]))
    (-0.72, 9.72)
    >>> low, high = robust_limits(np.tan(np.linspace(-3, 3, 201)))
    >>> bool(-40 < low < -5 and 5 < high < 40)
    True
    """
    values = np.concatenate([np.ravel(np.asarray(c, dtype=float)) for c in curves])
    values = values[np.isfinite(values)]
    if values.size == 0:
        return 0.0, 0.0
    q_low, q_high = np.quantile(values, [0.05, 0.95])
    spread = q_high - q_low
    low = max(float(values.min()), q_low - spread)
    high = min(float(values.max()), q_high + spread)
    if high <= low:  # a constant: a unit band around it
        return low - 1.0, high + 1.0
    pad = margin * (high - low)
    return low - pad, high + pad


def break_at_poles(
    xs: np.ndarray,
    ys: np.ndarray,
    low: float,
    high: float,
    slopes: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(xs, ys)`` with a NaN point between samples where the curve cannot be
    continuous (a pole of ``tan`` or ``1/x``), so that no vertical line joins the branches.

    Two neighbours are cut apart when they leap across the view (from above it to below
    it, or back), when they change sign by more than half the view's height, or, given
    the ``slopes`` (the derivative at the samples), when the curve rises between them
    although it falls at both (or the reverse): tan jumps from +52 to -52 at π/2 while
    its derivative is positive on both sides.

    Args:
        xs: the sample points.
        ys: the values there.
        low: the bottom of the view.
        high: the top of the view.
        slopes: the derivative at ``xs``, if known.

    >>> xs, ys = break_at_poles(np.arange(4.0), np.array([1.0, 50.0, -50.0, -1.0]), -10, 10)
    >>> xs, ys
    (array([0. , 1. , 1.5, 2. , 3. ]), array([  1.,  50.,  nan, -50.,  -1.]))
    """
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    before, after = ys[:-1], ys[1:]
    rise = after - before
    with np.errstate(invalid="ignore"):
        leap = ((before > high) & (after < low)) | ((before < low) & (after > high))
        leap |= (np.sign(before) * np.sign(after) < 0) & (np.abs(rise) > 0.5 * (high - low))
        if slopes is not None:
            slopes = np.asarray(slopes, dtype=float)
            against = (np.sign(slopes[:-1]) == np.sign(slopes[1:])) & (
                np.sign(rise) == -np.sign(slopes[:-1])
            )
            leap |= against & (np.abs(rise) > 0.2 * (high - low))
    cuts = np.flatnonzero(leap) + 1
    if not cuts.size:
        return xs, ys
    middles = (xs[cuts - 1] + xs[cuts]) / 2
    return np.insert(xs, cuts, middles), np.insert(ys, cuts, np.nan)


@quiet
def derivative_values(
    f: Callable[..., Any], xs: np.ndarray, derivative: Callable[..., Any] | None = None
) -> np.ndarray:
    """Return f'(xs): from ``derivative`` if given, else by automatic differentiation.

    Args:
        f: a scalar function of one variable written with NumPy.
        xs: the points, a 1-D array.
        derivative: an optional closed-form derivative; when None, gradkit's
            ``elementwise_grad`` differentiates ``f``.

    >>> import numpy as np
    >>> derivative_values(lambda x: x**2, np.array([1.0, 2.0])).tolist()
    [2.0, 4.0]
    """
    xs = np.asarray(xs, dtype=float)
    if derivative is not None:
        return vectorized(check_callable(derivative, "derivative"), xs, "derivative")
    import gradkit as gk

    df = gk.grad(f)
    try:
        values = np.broadcast_to(np.asarray(gk.elementwise_grad(f)(xs), dtype=float), xs.shape)
        # one pass is right only when f treats the points independently: check two
        if all(
            np.isclose(values[i], float(df(float(xs[i]))), rtol=1e-9, atol=1e-12, equal_nan=True)
            for i in (0, xs.size // 2)
        ):
            return values.copy()
    except Exception:  # f may not broadcast over arrays: differentiate point by point
        pass
    return vectorized(lambda x: df(float(x)), xs, "the derivative of f")


def _finite_number(value: Any, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise FigureInputError(f"{name} must be a number, got {value!r}") from None
    if not np.isfinite(number):
        raise FigureInputError(f"{name} must be a finite number, got {value!r}")
    return number


def _sample(f: Callable[..., Any], interval: Any, num: int) -> tuple[np.ndarray, np.ndarray]:
    check_callable(f)
    low, high = check_interval(interval)
    xs = np.linspace(low, high, check_num(num, 3))
    return xs, vectorized(f, xs)


def plot_derivative(
    f: Callable[..., Any],
    interval: tuple[float, float] = (-3.0, 3.0),
    *,
    at: float | None = None,
    derivative: Callable[..., Any] | None = None,
    label: str | None = None,
    num: int = 201,
) -> Figure:
    """Return a figure of ``f`` and its derivative, with the tangent line at ``at``.

    Args:
        f: a scalar function of one variable written with NumPy.
        interval: the x range ``(low, high)``.
        at: where to draw the tangent line ``y = f(a) + f'(a)(x - a)``; None for no tangent.
        derivative: an optional closed-form derivative; by default gradkit differentiates f.
        label: the expression shown in the legend, e.g. ``"x²"``.
        num: how many points to sample.

    Returns:
        A Figure with one axes: the function (solid), the derivative (dashed) and, when
        ``at`` is given, the tangent (dotted) and the point of tangency.

    >>> fig = plot_derivative(lambda x: x**2, (-2, 2), at=1.0, num=21)
    >>> [line.get_label() for line in fig.axes[0].get_lines()][:2]
    ['f(x)', "f'(x)"]
    """
    a = None if at is None else _finite_number(at, "at")
    xs, ys = _sample(f, interval, num)
    if not np.any(np.isfinite(ys)):
        raise FigureInputError(
            "f has no finite value anywhere on the interval; choose one inside its domain"
        )
    # where f has no value it has no derivative either (a rule such as log's 1/x would
    # draw one on x < 0 regardless)
    dys = np.where(np.isfinite(ys), derivative_values(f, xs, derivative), np.nan)
    low, high = robust_limits(ys, dys)
    fig, (ax,) = new_figure(width=6.5, height=4.5)
    ax.plot(
        *break_at_poles(xs, ys, low, high, slopes=dys),
        color="#1f77b4",
        linewidth=2,
        label="f(x)",
    )
    ax.plot(
        *break_at_poles(xs, dys, low, high),
        color="#d62728",
        linestyle="--",
        linewidth=2,
        label="f'(x)",
    )
    if a is not None:
        fa = float(vectorized(f, np.array([a]))[0])
        if not np.isfinite(fa):
            raise FigureInputError(f"f has no finite value at at={a:g}: no tangent there")
        slope = float(derivative_values(f, np.array([a]), derivative)[0])
        ax.plot(
            xs,
            fa + slope * (xs - a),
            color="#2ca02c",
            linestyle=":",
            linewidth=2,
            label=f"tangent at x = {a:g}",
        )
        ax.plot([a], [fa], "o", color="#2ca02c", markersize=8)
        ax.annotate(
            f"slope f'({a:g}) = {slope:.4g}",
            (a, fa),
            textcoords="offset points",
            xytext=(10, -18),
            fontsize="small",
        )
    # the tangent may run far off the function's range, and a pole (tan, 1/x) would set
    # the range to its largest sample and flatten everything else
    if high > low:
        ax.set_ylim(low, high)
    ax.axhline(0.0, color="black", linewidth=0.6)
    title = "Function and its derivative"
    if label:
        title += f": f(x) = {label}"
    style_axes(ax, title, "x", "y")
    return fig


def plot_numerical_vs_analytical(
    f: Callable[..., Any],
    interval: tuple[float, float] = (-3.0, 3.0),
    *,
    derivative: Callable[..., Any] | None = None,
    method: str = "central",
    step: float | None = None,
    label: str | None = None,
    num: int = 201,
) -> Figure:
    """Return a figure comparing the finite-difference derivative with the exact one.

    Args:
        f: a scalar function of one variable written with NumPy.
        interval: the x range ``(low, high)``.
        derivative: the closed-form derivative; by default automatic differentiation
            gives the exact values.
        method: the finite-difference method passed to ``gk.numerical.derivative``
            ("forward", "backward", "central", ...).
        step: the finite-difference step; None lets gradkit choose.
        label: the expression shown in the title, e.g. ``"sin(x)"``.
        num: how many points to sample.

    Returns:
        A Figure with two axes: both derivatives overlaid, and their absolute difference
        on a log scale.

    >>> import numpy as np
    >>> fig = plot_numerical_vs_analytical(np.sin, (0, 3), derivative=np.cos, num=11)
    >>> fig.axes[1].get_yscale()
    'log'
    """
    xs, _ = _sample(f, interval, num)
    import gradkit as gk

    exact = derivative_values(f, xs, derivative)
    numeric = vectorized(
        lambda x: gk.numerical.derivative(f, x, method=method, step=step),
        xs,
        "the numerical derivative",
    )
    exact_name = "closed form" if derivative is not None else "autodiff"
    fig, (ax, ax_err) = new_figure(1, 2, width=5.5, height=4.2)
    ax.plot(xs, numeric, color="#2ca02c", linewidth=3, alpha=0.6, label=f"numerical ({method})")
    ax.plot(
        xs,
        exact,
        color="#d62728",
        linestyle="--",
        linewidth=1.8,
        label=f"analytical ({exact_name})",
    )
    suffix = f" of f(x) = {label}" if label else ""
    style_axes(ax, "Numerical vs analytical derivative" + suffix, "x", "f'(x)")
    error = np.abs(numeric - exact)
    # exact agreement (error 0) has no place on a log axis: leave a gap there
    ax_err.plot(
        xs,
        np.where(error > 0, error, np.nan),
        color="#9467bd",
        linewidth=1.5,
        label="|numerical - analytical|",
    )
    ax_err.set_yscale("log")
    style_axes(ax_err, f"Absolute error (max {np.max(error):.2g})", "x", "absolute error")
    return fig
