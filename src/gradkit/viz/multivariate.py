"""Figures of functions of two variables: surface, contours with gradient arrows, a
partial-derivative slice, the gradient field and directional derivatives.

Every function takes ``f`` as a scalar function of one vector ``p = (x, y)`` written with
NumPy (the convention of ``gk.functions``); gradients come from ``gk.grad``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from gradkit.viz._common import (
    FigureInputError,
    NotebookFigure,
    as_point,
    check_callable,
    check_num,
    evaluate_grid,
    fit_ylim,
    gradient_at,
    gradient_grid,
    new_figure,
    resolve_domain,
    scalar_value,
    style_axes,
)

__all__ = [
    "plot_surface",
    "plot_contour_gradients",
    "plot_partial_slice",
    "plot_partial_derivatives",
    "plot_gradient_field",
    "plot_directional_derivatives",
]

_AXIS_NAMES = ("x", "y")


def _mesh(f: Callable[..., Any], domain: Any, num: int) -> tuple[np.ndarray, ...]:
    check_callable(f)
    (x0, x1), (y0, y1) = resolve_domain(f, domain)
    num = check_num(num, 3)
    X, Y = np.meshgrid(np.linspace(x0, x1, num), np.linspace(y0, y1, num))
    return X, Y, evaluate_grid(f, X, Y)


def _draw_surface(ax: Any, X: np.ndarray, Y: np.ndarray, Z: np.ndarray, title: str) -> None:
    ax.plot_surface(X, Y, Z, cmap="viridis", alpha=0.85, linewidth=0, antialiased=True)
    ax.set_title(title)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_zlabel("f(x, y)")


def _draw_contours(
    ax: Any,
    X: np.ndarray,
    Y: np.ndarray,
    Z: np.ndarray,
    levels: int,
    labels: bool = True,
    alpha: float = 0.8,
) -> None:
    contours = ax.contour(X, Y, Z, levels=levels, cmap="viridis", alpha=alpha, linewidths=1.0)
    if labels:
        ax.clabel(contours, inline=True, fontsize=7, fmt="%.3g")


def _arrow_scale(U: np.ndarray, V: np.ndarray, spacing: float) -> float:
    # quiver's `scale` in data units: the longest arrow spans 90 % of the grid spacing
    # the longest finite arrow: one infinite gradient (cbrt at 0) would make all of them 0
    lengths = np.hypot(U, V)
    finite = lengths[np.isfinite(lengths)]
    longest = float(finite.max()) if finite.size else 0.0
    return longest / (0.9 * spacing) if longest > 0 else 1.0


def _draw_gradient_arrows(
    ax: Any, f: Callable[..., Any], domain: Any, count: int, color: str = "#d62728"
) -> Any:
    (x0, x1), (y0, y1) = domain
    # arrows sit strictly inside the box so none is clipped at the border
    xs = np.linspace(x0, x1, count + 2)[1:-1]
    ys = np.linspace(y0, y1, count + 2)[1:-1]
    AX, AY = np.meshgrid(xs, ys)
    U, V = gradient_grid(f, AX, AY)
    spacing = min((x1 - x0), (y1 - y0)) / (count + 1)
    return ax.quiver(
        AX,
        AY,
        U,
        V,
        color=color,
        angles="xy",
        scale_units="xy",
        scale=_arrow_scale(U, V, spacing),
        width=0.005,
        label="∇f",
    )


def plot_surface(
    f: Callable[..., Any],
    domain: Any = None,
    *,
    num: int = 50,
    point: Sequence[float] | None = None,
    title: str | None = None,
) -> Figure:
    """Return a 3-D surface plot of ``f`` over ``domain``.

    Args:
        f: a scalar function of a vector ``p = (x, y)``.
        domain: ``((xmin, xmax), (ymin, ymax))``; default ``f.domain`` or [-3, 3]^2.
        num: grid points per axis.
        point: an optional point ``(x, y)`` marked on the surface.
        title: the title; default "Surface of f(x, y)".

    Returns:
        A Figure with one 3-D axes.

    >>> fig = plot_surface(lambda p: p[0]**2 + p[1]**2, num=10)
    >>> fig.axes[0].name
    '3d'
    """
    X, Y, Z = _mesh(f, domain, num)
    fig = NotebookFigure(figsize=(6.5, 5.0), layout="constrained")
    ax = fig.add_subplot(1, 1, 1, projection="3d")
    _draw_surface(ax, X, Y, Z, title or "Surface of f(x, y)")
    if point is not None:
        p = as_point(point)
        ax.scatter(
            [p[0]],
            [p[1]],
            [scalar_value(f, p)],
            color="red",
            s=40,
            depthshade=False,
            label=f"({p[0]:g}, {p[1]:g})",
        )
        ax.legend(fontsize="small")
    return fig


def plot_contour_gradients(
    f: Callable[..., Any], domain: Any = None, *, num: int = 50, arrows: int = 7, levels: int = 12
) -> Figure:
    """Return a contour plot of ``f`` with gradient arrows on a regular grid.

    The arrows are scaled together (the longest finite one spans 0.9 of a grid spacing),
    so their lengths compare; they cross the contour lines at right angles wherever the
    axes are equally scaled.

    Args:
        f: a scalar function of a vector ``p = (x, y)``.
        domain: ``((xmin, xmax), (ymin, ymax))``; default ``f.domain`` or [-3, 3]^2.
        num: grid points per axis for the contours.
        arrows: arrows per axis.
        levels: number of contour levels.

    Returns:
        A Figure with one axes holding a contour set and one quiver.

    >>> fig = plot_contour_gradients(lambda p: p[0]**2 + p[1]**2, num=10, arrows=3)
    >>> fig.axes[0].get_title()
    'Contours with gradient vectors'
    """
    X, Y, Z = _mesh(f, domain, num)
    fig, (ax,) = new_figure(width=5.5, height=5.0)
    _draw_contours(ax, X, Y, Z, levels)
    _draw_gradient_arrows(ax, f, resolve_domain(f, domain), check_num(arrows, 1, "arrows"))
    ax.set_aspect("equal", adjustable="box")
    style_axes(ax, "Contours with gradient vectors", "x", "y")
    return fig


def _draw_slice(
    ax: Any, f: Callable[..., Any], p: np.ndarray, axis: int, domain: Any, num: int
) -> None:
    (x0, x1), (y0, y1) = domain
    low, high = ((x0, x1), (y0, y1))[axis]
    ts = np.linspace(low, high, num)
    other = 1 - axis
    name, fixed = _AXIS_NAMES[axis], _AXIS_NAMES[other]
    fixed_values = np.full_like(ts, p[other])
    X, Y = (ts, fixed_values) if axis == 0 else (fixed_values, ts)
    values = evaluate_grid(f, X, Y)
    slopes = gradient_grid(f, X, Y)[axis]
    a = p[axis]
    fa = scalar_value(f, p)
    slope = float(gradient_at(f, p)[axis])
    ax.plot(ts, values, color="#1f77b4", linewidth=2, label=f"f with {fixed} = {p[other]:g}")
    ax.plot(
        ts,
        slopes,
        color="#d62728",
        linestyle="--",
        linewidth=2,
        label=f"∂f/∂{name} with {fixed} = {p[other]:g}",
    )
    ax.plot(
        ts,
        fa + slope * (ts - a),
        color="#2ca02c",
        linestyle=":",
        linewidth=2,
        label=f"tangent, slope {slope:.4g}",
    )
    ax.plot([a], [fa], "o", color="#2ca02c", markersize=7)
    fit_ylim(ax, values, slopes)
    style_axes(ax, f"Partial derivative ∂f/∂{name} at {fixed} = {p[other]:g}", name, "value")


def _check_axis(axis: Any) -> int:
    if axis in (0, "x"):
        return 0
    if axis in (1, "y"):
        return 1
    raise FigureInputError(f"axis must be 0 / 'x' or 1 / 'y', got {axis!r}")


def plot_partial_slice(
    f: Callable[..., Any],
    point: Sequence[float],
    *,
    axis: int | str = 0,
    domain: Any = None,
    num: int = 101,
) -> Figure:
    """Return the slice of ``f`` through ``point`` along one axis, with its partial derivative.

    Args:
        f: a scalar function of a vector ``p = (x, y)``.
        point: the point ``(x, y)``; the other coordinate stays fixed at its value.
        axis: 0 or "x" to vary x, 1 or "y" to vary y.
        domain: ``((xmin, xmax), (ymin, ymax))``; default ``f.domain`` or [-3, 3]^2.
        num: points along the slice.

    Returns:
        A Figure with one axes: the slice (solid), the partial derivative along it
        (dashed) and the tangent at the point (dotted).

    >>> fig = plot_partial_slice(lambda p: p[0]**2 + p[1]**2, (1.0, 1.0), num=11)
    >>> fig.axes[0].get_title()
    'Partial derivative ∂f/∂x at y = 1'
    """
    check_callable(f)
    p = as_point(point)
    fig, (ax,) = new_figure(width=6.0, height=4.5)
    _draw_slice(ax, f, p, _check_axis(axis), resolve_domain(f, domain), check_num(num, 3))
    return fig


def plot_partial_derivatives(
    f: Callable[..., Any],
    point: Sequence[float] = (1.0, 1.0),
    domain: Any = None,
    *,
    num: int = 40,
    arrows: int = 6,
    axis: int | str = 0,
) -> Figure:
    """Return the tutorial's three-panel picture: surface, contours with gradient arrows, and
    a partial-derivative slice through ``point``.

    Args:
        f: a scalar function of a vector ``p = (x, y)``.
        point: the point ``(x, y)`` marked on every panel and sliced through.
        domain: ``((xmin, xmax), (ymin, ymax))``; default ``f.domain`` or [-3, 3]^2.
        num: grid points per axis.
        arrows: gradient arrows per axis.
        axis: which partial derivative the third panel shows (0 / "x" or 1 / "y").

    Returns:
        A Figure with three axes (the first is 3-D).

    >>> fig = plot_partial_derivatives(lambda p: p[0]**2 + p[1]**2, num=8, arrows=3)
    >>> len(fig.axes)
    3
    """
    X, Y, Z = _mesh(f, domain, num)
    p = as_point(point)
    box = resolve_domain(f, domain)
    fig = NotebookFigure(figsize=(16.0, 4.8), layout="constrained")
    ax3d = fig.add_subplot(1, 3, 1, projection="3d")
    _draw_surface(ax3d, X, Y, Z, "Surface of f(x, y)")
    ax3d.scatter([p[0]], [p[1]], [scalar_value(f, p)], color="red", s=30, depthshade=False)
    ax = fig.add_subplot(1, 3, 2)
    _draw_contours(ax, X, Y, Z, 10)
    _draw_gradient_arrows(ax, f, box, check_num(arrows, 1, "arrows"))
    ax.plot([p[0]], [p[1]], "o", color="black", markersize=6, label=f"({p[0]:g}, {p[1]:g})")
    ax.set_aspect("equal", adjustable="box")
    style_axes(ax, "Contours with gradient vectors", "x", "y")
    _draw_slice(fig.add_subplot(1, 3, 3), f, p, _check_axis(axis), box, max(3, 2 * num))
    return fig


def plot_gradient_field(
    f: Callable[..., Any],
    point: Sequence[float] | None = None,
    domain: Any = None,
    *,
    density: int = 15,
    num: int = 60,
) -> Figure:
    """Return the gradient field of ``f`` (arrows over contours), with ``point`` marked.

    Args:
        f: a scalar function of a vector ``p = (x, y)``.
        point: an optional point ``(x, y)``; it is marked and the direction of its
            gradient drawn as a long red arrow, labelled with the gradient's value.
        domain: ``((xmin, xmax), (ymin, ymax))``; default ``f.domain`` or [-3, 3]^2.
        density: arrows per axis.
        num: grid points per axis for the contours.

    Returns:
        A Figure with one axes: contours, one quiver for the field and, with ``point``,
        a second quiver (one arrow) for the gradient there.

    >>> fig = plot_gradient_field(lambda p: p[0]**2 + p[1]**2, (1, 1), density=4, num=10)
    >>> fig.axes[0].get_title()
    'Gradient field'
    """
    X, Y, Z = _mesh(f, domain, num)
    box = resolve_domain(f, domain)
    fig, (ax,) = new_figure(width=6.0, height=5.5)
    _draw_contours(ax, X, Y, Z, 10, labels=False, alpha=0.6)
    _draw_gradient_arrows(ax, f, box, check_num(density, 2, "density"), color="#555555")
    if point is not None:
        p = as_point(point)
        g = gradient_at(f, p)
        norm = float(np.hypot(*g))
        ax.plot(
            [p[0]],
            [p[1]],
            "o",
            color="#d62728",
            markersize=7,
            zorder=4,
            label=f"point ({p[0]:g}, {p[1]:g})",
        )
        if norm > 0:
            # drawn longer than the field's arrows so it stands out; its value is labelled
            length = 0.2 * min(box[0][1] - box[0][0], box[1][1] - box[1][0])
            ax.quiver(
                [p[0]],
                [p[1]],
                [g[0] / norm * length],
                [g[1] / norm * length],
                color="#d62728",
                angles="xy",
                scale_units="xy",
                scale=1.0,
                width=0.012,
                zorder=5,
                label=f"∇f({p[0]:g}, {p[1]:g}) = ({g[0]:.3g}, {g[1]:.3g})",
            )
    ax.set_aspect("equal", adjustable="box")
    style_axes(ax, "Gradient field", "x", "y")
    return fig


_SEED_DIRECTIONS = ((1.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, -1.0))


def _unit_directions(directions: Any) -> np.ndarray:
    try:
        U = np.asarray(directions, dtype=float)
    except (TypeError, ValueError):
        U = np.empty((0,))
    if U.ndim != 2 or U.shape[1] != 2 or U.shape[0] == 0:
        raise FigureInputError(
            "directions must be a non-empty list of 2-vectors such as [(1, 0), (1, 1)], "
            f"got {directions!r}"
        )
    norms = np.linalg.norm(U, axis=1)
    if not np.all(np.isfinite(norms)) or np.any(norms == 0):
        raise FigureInputError("every direction must be a finite, non-zero vector")
    return U / norms[:, None]


def plot_directional_derivatives(
    f: Callable[..., Any],
    point: Sequence[float] = (1.0, 1.0),
    directions: Any = None,
    domain: Any = None,
    *,
    num: int = 60,
) -> Figure:
    """Return the directional derivatives of ``f`` at ``point`` in several directions.

    Left: unit arrows from ``point`` over the contours, each labelled with
    ``D_u f = ∇f · u`` (computed with ``gk.directional_derivative``), and the gradient
    direction in bold. Right: ``D_u f`` against the angle of ``u``, a cosine
    ``|∇f| cos(θ - θ_∇f)`` whose maximum |∇f| lies in the gradient's direction.

    Args:
        f: a scalar function of a vector ``p = (x, y)``.
        point: the point ``(x, y)``.
        directions: non-zero 2-vectors (normalised here); default the tutorial's
            (1, 0), (0, 1), (1, 1), (1, -1).
        domain: ``((xmin, xmax), (ymin, ymax))``; default a box of half-width 2 around
            ``point`` (or ``f.domain``).
        num: grid points per axis for the contours.

    Returns:
        A Figure with two axes.

    >>> fig = plot_directional_derivatives(lambda p: p[0]**2 + p[1]**2, (1, 1), num=10)
    >>> [ax.get_xlabel() for ax in fig.axes]
    ['x', 'angle of u (degrees)']
    """
    import gradkit as gk

    check_callable(f)
    p = as_point(point)
    U = _unit_directions(_SEED_DIRECTIONS if directions is None else directions)
    if domain is None and getattr(f, "domain", None) is None:
        domain = ((p[0] - 2.0, p[0] + 2.0), (p[1] - 2.0, p[1] + 2.0))
    X, Y, Z = _mesh(f, domain, num)
    g = gradient_at(f, p)
    values = np.array([float(gk.directional_derivative(f, p, u)) for u in U])
    (x0, x1), (y0, y1) = resolve_domain(f, domain)
    length = 0.25 * min(x1 - x0, y1 - y0)

    fig, (ax, ax_angle) = new_figure(1, 2, width=5.8, height=5.0)
    _draw_contours(ax, X, Y, Z, 12, labels=False, alpha=0.55)
    ax.quiver(
        np.full(len(U), p[0]),
        np.full(len(U), p[1]),
        U[:, 0] * length,
        U[:, 1] * length,
        color="#1f77b4",
        angles="xy",
        scale_units="xy",
        scale=1.0,
        width=0.008,
        label="unit directions u",
    )
    for u, value in zip(U, values, strict=True):
        tip = p + 1.12 * length * u
        ax.annotate(
            f"{value:.3g}",
            tip,
            ha="center",
            va="center",
            fontsize="small",
            color="#1f77b4",
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8},
        )
    norm = float(np.hypot(*g))
    if norm > 0:
        ax.quiver(
            [p[0]],
            [p[1]],
            [g[0] / norm * length],
            [g[1] / norm * length],
            color="#d62728",
            angles="xy",
            scale_units="xy",
            scale=1.0,
            width=0.012,
            label=f"∇f direction, D = |∇f| = {norm:.3g}",
        )
    ax.plot([p[0]], [p[1]], "ko", markersize=6, label=f"point ({p[0]:g}, {p[1]:g})")
    ax.set_aspect("equal", adjustable="box")
    style_axes(ax, "Directional derivatives D_u f = ∇f · u", "x", "y")

    theta = np.linspace(0.0, 360.0, 361)
    rad = np.deg2rad(theta)
    ax_angle.plot(
        theta,
        g[0] * np.cos(rad) + g[1] * np.sin(rad),
        color="#7f7f7f",
        linewidth=1.5,
        label="∇f · (cos θ, sin θ)",
    )
    angles = np.rad2deg(np.arctan2(U[:, 1], U[:, 0])) % 360.0
    ax_angle.plot(angles, values, "o", color="#1f77b4", markersize=8, label="chosen directions")
    if norm > 0:
        ax_angle.plot(
            [np.rad2deg(np.arctan2(g[1], g[0])) % 360.0],
            [norm],
            "*",
            color="#d62728",
            markersize=14,
            label="steepest ascent (∇f)",
        )
    ax_angle.axhline(0.0, color="black", linewidth=0.6)
    ax_angle.set_xticks(np.arange(0, 361, 45))
    style_axes(ax_angle, "D_u f against the direction", "angle of u (degrees)", "D_u f")
    return fig
