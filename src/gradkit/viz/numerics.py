"""The finite-difference step-error figure: the "V" where truncation error (falling with the
step h) meets rounding error (rising as h shrinks).

The numbers come from ``gk.numerical.step_error``; this module only draws them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from gradkit.viz._common import COLORS, FigureInputError, check_callable, new_figure, style_axes

__all__ = ["plot_step_error"]

# The order of accuracy of each method: error ~ h**order until rounding takes over.
_ORDERS = {"forward": 1, "backward": 1, "central": 2}


def _exact_derivative(
    f: Callable[..., Any], x: float, derivative: Callable[..., Any] | None
) -> float:
    if derivative is not None:
        return float(check_callable(derivative, "derivative")(x))
    import gradkit as gk

    return float(gk.grad(f)(x))


def _measure(
    f: Any,
    x: float,
    derivative: Callable[..., Any] | None,
    methods: Sequence[str],
    steps: Sequence[float] | None,
) -> Any:
    import gradkit as gk

    check_callable(f)
    if isinstance(methods, str):
        methods = [methods]
    if not methods:
        raise FigureInputError("methods is empty: pass e.g. ('forward', 'central')")
    if steps is not None:
        hs = np.asarray(steps, dtype=float)
        if hs.ndim != 1 or hs.size < 2 or np.any(~np.isfinite(hs)) or np.any(hs <= 0):
            raise FigureInputError("steps must be at least two positive, finite numbers")
    try:
        return gk.numerical.step_error(
            f,
            _exact_derivative(f, float(x), derivative),
            float(x),
            steps=steps,
            methods=tuple(methods),
        )
    except gk.numerical.NumericalDerivativeError as error:
        raise FigureInputError(str(error)) from error


def plot_step_error(
    f: Any,
    x: float = 1.0,
    *,
    derivative: Callable[..., Any] | None = None,
    methods: Sequence[str] = ("forward", "central"),
    steps: Sequence[float] | None = None,
) -> Figure:
    """Return the error of finite-difference derivatives against the step size (log-log).

    Each method's error first falls like ``h**order`` (truncation), then rises like
    ``eps/h`` (rounding). The figure stars the best measured step of each method, draws
    the best step predicted by balancing the two errors as a vertical dashed line, marks
    the tutorial's forward difference at ``h = 1e-7``, and adds dotted reference slopes.

    Args:
        f: a scalar function of one variable, or a ``gk.numerical.step_error`` result
            (then the other arguments are ignored).
        x: where to differentiate.
        derivative: the exact derivative (a callable); default automatic differentiation.
        methods: plain finite-difference methods ("forward", "backward", "central",
            "complex").
        steps: the steps h; default ``gk.numerical.step_error``'s 10^-16 ... 10^0.

    Returns:
        A Figure with one log-log axes: one line per method.

    >>> import numpy as np
    >>> fig = plot_step_error(np.sin, 1.0, derivative=np.cos, steps=np.geomspace(1e-12, 0.1, 6))
    >>> fig.axes[0].get_xscale(), fig.axes[0].get_yscale()
    ('log', 'log')
    """
    if hasattr(f, "errors") and hasattr(f, "steps"):
        result = f
    else:
        result = _measure(f, x, derivative, methods, steps)
    hs = np.asarray(result.steps, dtype=float)
    fig, (ax,) = new_figure(width=6.5, height=4.8)
    measured = []
    for i, (method, errors) in enumerate(result.errors.items()):
        errors = np.asarray(errors, dtype=float)
        shown = np.where(errors > 0, errors, np.nan)  # an exact hit has no log value
        measured.append(shown[np.isfinite(shown)])
        color = COLORS[i % len(COLORS)]
        ax.plot(hs, shown, "o-", color=color, markersize=3, linewidth=1.6, label=method)
        best_error = result.best_error.get(method, 0.0)
        if best_error > 0:
            best_step = result.best_step[method]
            ax.plot(
                [best_step],
                [best_error],
                "*",
                color=color,
                markersize=14,
                markeredgecolor="black",
                zorder=5,
                label=f"best {method}: h = {best_step:.0e}, error {best_error:.1e}",
            )
        predicted = getattr(result, "predicted_best_step", {}).get(method)
        if predicted is not None and np.isfinite(predicted) and predicted > 0:
            ax.axvline(
                predicted,
                color=color,
                linestyle="--",
                linewidth=1,
                alpha=0.7,
                label=f"predicted best {method} h = {predicted:.0e}",
            )
    tutorial_error = float(getattr(result, "tutorial_error", np.nan))
    if np.isfinite(tutorial_error) and tutorial_error > 0:
        ax.plot(
            [1e-7],
            [tutorial_error],
            "D",
            color="black",
            markersize=7,
            zorder=5,
            label=f"tutorial's forward h = 1e-7: error {tutorial_error:.1e}",
        )
    for order in sorted({_ORDERS[m] for m in result.errors if m in _ORDERS}):
        ax.plot(
            hs,
            0.5 * (hs / hs[-1]) ** order,
            ":",
            color="#7f7f7f",
            linewidth=1,
            label=f"slope {order} (O(h^{order}))",
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    all_errors = np.concatenate(measured) if measured else np.empty(0)
    if all_errors.size:
        # the reference slopes span many decades: keep the view on the measured errors
        ax.set_ylim(all_errors.min() / 10.0, all_errors.max() * 10.0)
    style_axes(ax, f"Finite-difference error at x = {result.x:g}", "step h", "|numerical - exact|")
    ax.legend(fontsize="x-small", loc="upper center")
    return fig
