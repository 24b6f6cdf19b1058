"""Figures of optimization: trajectories on contours, loss curves on a log scale (any number
of optimizers) and a network's training history.

A *run* is a ``gk.optim.minimize`` result (``.trajectory``, ``.values``) or a plain array:
an ``(n, 2)`` array of points for trajectories, a 1-D array of losses for loss curves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from gradkit.viz._common import (
    COLORS,
    FigureInputError,
    check_callable,
    check_num,
    evaluate_grid,
    named_runs,
    new_figure,
    resolve_domain,
    scalar_value,
    style_axes,
)

__all__ = ["plot_trajectories", "plot_loss_curves", "plot_training_history"]


def _trajectory(name: str, run: Any) -> np.ndarray:
    points = getattr(run, "trajectory", run)
    try:
        path = np.asarray(points, dtype=float)
    except (TypeError, ValueError):
        raise FigureInputError(
            f"run {name!r}: the trajectory must be an (n, 2) array of points"
        ) from None
    if path.ndim != 2 or path.shape[1] != 2 or path.shape[0] == 0:
        raise FigureInputError(
            f"run {name!r}: the trajectory must be a non-empty (n, 2) array of points, "
            f"got shape {path.shape}"
        )
    return path


def _values(name: str, run: Any, f: Callable[..., Any] | None = None) -> np.ndarray:
    values = getattr(run, "values", None)
    if values is None:
        if f is not None:
            return np.array([scalar_value(f, p) for p in _trajectory(name, run)])
        values = run
    try:
        curve = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise FigureInputError(f"run {name!r}: the loss values must be numbers") from None
    if curve.ndim != 1 or curve.size == 0:
        raise FigureInputError(
            f"run {name!r}: the loss values must be a non-empty 1-D sequence, "
            f"got shape {curve.shape}"
        )
    return curve


def _label(name: str, run: Any) -> str:
    if getattr(run, "diverged", False):
        return f"{name} (diverged)"
    return name


def _optima(f: Callable[..., Any], minimum: Any) -> np.ndarray | None:
    """The minima to mark, as a (k, 2) array, or None when there are none."""
    given = minimum is not None
    if not given:
        minimum = getattr(f, "minimum", None)
        if minimum is None:
            return None
    try:
        points = np.asarray(minimum, dtype=float)
    except (TypeError, ValueError):
        points = np.full((1, 3), np.nan)  # reported just below
    if points.size == 0 and not given:
        return None  # a function without a minimum (a saddle)
    points = points.reshape(-1, 2) if points.size and points.size % 2 == 0 else points
    if points.ndim != 2 or points.shape[1] != 2 or not np.all(np.isfinite(points)):
        raise FigureInputError(
            f"minimum must be a point (x, y) or a list of points, got {minimum!r}"
        )
    return points


def _draw_loss_curves(
    ax: Any,
    items: list[tuple[str, Any]],
    curves: list[np.ndarray],
    f_min: float | None,
    log_scale: bool,
) -> None:
    # a diverged run's astronomically large losses would only squash the other curves
    shifted = [
        np.where(np.isfinite(c) & (np.abs(c) < 1e100), c - (f_min or 0.0), np.nan) for c in curves
    ]
    finite = np.concatenate([c[np.isfinite(c)] for c in shifted])
    # losses that go negative (no known minimum) cannot live on a log axis: use symlog
    scale = "linear"
    if log_scale:
        scale = "symlog" if f_min is None and finite.size and finite.min() <= 0 else "log"
    for i, ((name, run), curve) in enumerate(zip(items, shifted, strict=True)):
        if scale == "log":
            curve = np.where(curve > 0, curve, np.nan)  # log axes cannot show <= 0
        ax.plot(
            np.arange(curve.size),
            curve,
            color=COLORS[i % len(COLORS)],
            linewidth=1.8,
            label=_label(name, run),
        )
    if scale == "symlog":
        ax.set_yscale(
            "symlog", linthresh=max(1e-3, float(np.min(np.abs(finite[finite != 0]), initial=1.0)))
        )
    elif scale == "log":
        ax.set_yscale("log")
    ylabel = "f(x_k) - f*" if f_min is not None else "f(x_k)"
    suffix = {"log": " (log scale)", "symlog": " (symmetric log scale)", "linear": ""}[scale]
    style_axes(ax, "Loss over iterations" + suffix, "iteration", ylabel)


def plot_trajectories(
    f: Callable[..., Any],
    runs: Any,
    domain: Any = None,
    *,
    minimum: Sequence[float] | None = None,
    num: int = 80,
    levels: int = 25,
    log_scale: bool = True,
) -> Figure:
    """Return optimizer trajectories on the contours of ``f`` and their loss curves.

    Args:
        f: a scalar function of a vector ``p = (x, y)``, e.g. ``gk.functions.rosenbrock``.
        runs: ``{name: run}`` or a list of runs, where a run is a ``gk.optim.minimize``
            result or an ``(n, 2)`` array of points; any number of optimizers. A
            ``gk.optim.race`` result stands for its ``.results``.
        domain: ``((xmin, xmax), (ymin, ymax))``; default ``f.domain`` or [-3, 3]^2.
        minimum: the optimum to mark (a star), or a list of minima; default
            ``f.minimum`` when f has one. With a minimum the loss panel shows
            ``f(x_k) - f*``.
        num: grid points per axis for the contours.
        levels: contour levels (log-spaced when f is positive, as valleys need).
        log_scale: loss curves on a log scale.

    Returns:
        A Figure with two axes: trajectories (start marked by a circle, end by a cross,
        optimum by a star) and loss curves, one colour per optimizer in both.

    >>> import numpy as np
    >>> path = np.array([[2.0, 2.0], [1.0, 1.0], [0.5, 0.5]])
    >>> fig = plot_trajectories(lambda p: p[0]**2 + p[1]**2, {"gd": path},
    ...                         minimum=(0, 0), num=10)
    >>> fig.axes[1].get_yscale()
    'log'
    """
    check_callable(f)
    items = named_runs(runs)
    paths = [_trajectory(name, run) for name, run in items]
    curves = [_values(name, run, f) for name, run in items]
    optima = _optima(f, minimum)
    (x0, x1), (y0, y1) = resolve_domain(f, domain)
    num = check_num(num, 3)
    X, Y = np.meshgrid(np.linspace(x0, x1, num), np.linspace(y0, y1, num))
    Z = evaluate_grid(f, X, Y)

    fig, (ax, ax_loss) = new_figure(1, 2, width=6.0, height=5.0)
    finite = Z[np.isfinite(Z)]
    if finite.size and finite.min() > 0 and finite.max() / finite.min() > 100:
        # narrow valleys (Rosenbrock) only show up with logarithmically spaced levels
        from matplotlib.colors import LogNorm

        ax.contour(
            X,
            Y,
            Z,
            levels=np.geomspace(finite.min(), finite.max(), levels),
            cmap="viridis",
            norm=LogNorm(),
            alpha=0.6,
            linewidths=0.8,
        )
    else:
        ax.contour(X, Y, Z, levels=levels, cmap="viridis", alpha=0.6, linewidths=0.8)
    for i, ((name, run), path) in enumerate(zip(items, paths, strict=True)):
        color = COLORS[i % len(COLORS)]
        ax.plot(path[:, 0], path[:, 1], "-", color=color, linewidth=1.8, label=_label(name, run))
        ax.plot(path[-1, 0], path[-1, 1], "x", color=color, markersize=9, markeredgewidth=2)
    starts = np.unique(np.array([path[0] for path in paths]), axis=0)
    ax.plot(
        starts[:, 0],
        starts[:, 1],
        "o",
        markerfacecolor="white",
        markeredgecolor="black",
        markeredgewidth=2,
        markersize=9,
        label="start",
        linestyle="none",
        zorder=5,
    )
    f_min = None
    if optima is not None:
        f_min = min(scalar_value(f, point) for point in optima)
        label = (
            f"optimum ({optima[0, 0]:g}, {optima[0, 1]:g})"
            if len(optima) == 1
            else f"minima ({len(optima)})"
        )
        ax.plot(
            optima[:, 0],
            optima[:, 1],
            "*",
            color="black",
            markersize=15,
            zorder=5,
            linestyle="none",
            label=label,
        )
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    style_axes(ax, "Optimization trajectories", "x", "y")
    _draw_loss_curves(ax_loss, items, curves, f_min, log_scale)
    return fig


def plot_loss_curves(
    runs: Any, *, f_min: float | None = None, log_scale: bool = True, title: str | None = None
) -> Figure:
    """Return loss curves of any number of optimizer runs.

    Args:
        runs: ``{name: run}`` or a list of runs, where a run is a ``gk.optim.minimize``
            result (its ``.values``) or a 1-D array of losses.
        f_min: the optimal value; when given the curves show ``f(x_k) - f_min``.
        log_scale: a log-scaled y axis (non-positive values are left out).
        title: the title; default "Loss over iterations".

    Returns:
        A Figure with one axes, one line per run.

    >>> fig = plot_loss_curves({"sgd": [4.0, 2.0, 1.0], "adam": [4.0, 1.0, 0.25]})
    >>> len(fig.axes[0].get_lines())
    2
    """
    items = named_runs(runs)
    curves = [_values(name, run) for name, run in items]
    fig, (ax,) = new_figure(width=6.0, height=4.5)
    _draw_loss_curves(ax, items, curves, f_min, log_scale)
    if title:
        ax.set_title(title)
    return fig


_HISTORY_KEYS = ("loss", "val_loss", "accuracy", "val_accuracy")


def _history_dict(history: Any) -> dict[str, np.ndarray]:
    if isinstance(history, Mapping):
        source: Mapping[str, Any] = history
    elif isinstance(getattr(history, "history", None), Mapping):
        source = history.history
    else:
        source = {k: getattr(history, k) for k in _HISTORY_KEYS if hasattr(history, k)}
    series = {}
    for key, values in source.items():
        if values is None:
            continue
        try:
            curve = np.asarray(values, dtype=float)
        except (TypeError, ValueError):
            continue  # non-numeric entries (timings as strings, ...) are not curves
        if curve.ndim == 1 and curve.size:
            series[str(key)] = curve
    if "loss" not in series:
        raise FigureInputError(
            "history must have a non-empty 'loss' series (a mapping like "
            "{'loss': [...], 'val_loss': [...], 'accuracy': [...]}) or the object fit returns"
        )
    return series


def plot_training_history(history: Any, *, log_scale: bool = True) -> Figure:
    """Return a network's training curves: loss per epoch and, if recorded, accuracy.

    Args:
        history: what ``gk.nn.fit`` returns, or a mapping with a ``"loss"`` series and
            optionally ``"val_loss"``, ``"accuracy"``, ``"val_accuracy"``.
        log_scale: the loss on a log scale.

    Returns:
        A Figure with one axes (loss) or two (loss and accuracy).

    >>> fig = plot_training_history({"loss": [1.0, 0.5, 0.2], "accuracy": [0.5, 0.8, 0.9]})
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['loss', 'accuracy']
    """
    series = _history_dict(history)
    accuracy_keys = [k for k in series if "acc" in k]
    loss_keys = [k for k in series if k not in accuracy_keys and "loss" in k]
    fig, axes = new_figure(1, 2 if accuracy_keys else 1, width=5.5, height=4.2)
    for i, key in enumerate(loss_keys):
        curve = series[key]
        epochs = np.arange(1, curve.size + 1)
        shown = np.where(curve > 0, curve, np.nan) if log_scale else curve
        axes[0].plot(
            epochs,
            shown,
            color=COLORS[i],
            linewidth=2,
            linestyle="--" if key.startswith("val") else "-",
            marker="o" if curve.size <= 30 else None,
            markersize=4,
            label=key.replace("_", " "),
        )
    validation = series.get("val_loss")
    if validation is not None and np.any(np.isfinite(validation)):
        # the epoch to keep (early stopping) is where the validation loss is lowest
        best = int(np.nanargmin(validation))
        axes[0].plot(
            [best + 1],
            [validation[best]],
            "*",
            color="black",
            markersize=12,
            zorder=5,
            label=f"best val loss (epoch {best + 1})",
        )
    if log_scale:
        axes[0].set_yscale("log")
    style_axes(axes[0], "Training loss" + (" (log scale)" if log_scale else ""), "epoch", "loss")
    from matplotlib.ticker import MaxNLocator

    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
    if accuracy_keys:
        for i, key in enumerate(accuracy_keys):
            curve = series[key]
            axes[1].plot(
                np.arange(1, curve.size + 1),
                curve,
                color=COLORS[i + 2],
                linewidth=2,
                linestyle="--" if key.startswith("val") else "-",
                marker="o" if curve.size <= 30 else None,
                markersize=4,
                label=key.replace("_", " "),
            )
        # name the curve the final figure belongs to (a dict may list val_accuracy first)
        finals = ", ".join(
            f"{key.replace('_', ' ')} {series[key][-1]:.1%}" for key in accuracy_keys
        )
        style_axes(axes[1], f"Accuracy (final: {finals})", "epoch", "accuracy")
    return fig
