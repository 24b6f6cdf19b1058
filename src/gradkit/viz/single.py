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
    fit_ylim,
    new_figure,
    quiet,
    style_axes,
    vectorized,
)

__all__ = ["plot_derivative", "plot_numerical_vs_analytical", "derivative_values"]


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
    fig, (ax,) = new_figure(width=6.5, height=4.5)
    ax.plot(xs, ys, color="#1f77b4", linewidth=2, label="f(x)")
    ax.plot(xs, dys, color="#d62728", linestyle="--", linewidth=2, label="f'(x)")
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
        fit_ylim(ax, ys, dys)  # the tangent may run far off the function's range
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
