"""Figures of deep-learning building blocks: activations with their derivatives, and losses
(with their gradients) against the predicted probability.

The curves come from ``gk.nn``: the closed-form derivative of each activation lives there,
once, and the loss gradients come from automatic differentiation of ``gk.nn``'s losses.
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
    check_interval,
    check_num,
    new_figure,
    style_axes,
)

__all__ = ["plot_activations", "plot_losses", "ACTIVATIONS"]

#: The activations ``plot_activations`` draws by default (names in ``gk.nn``).
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "gelu", "silu")


def _activation(name: str) -> tuple[Callable[..., Any], Callable[..., Any]]:
    import gradkit as gk

    if not isinstance(name, str):
        raise TypeError(f"activation names must be strings like 'relu', got {name!r}")
    function = getattr(gk.nn, name, None)
    derivative = getattr(gk.nn, f"{name}_derivative", None)
    if function is None or derivative is None:
        known = ", ".join(ACTIVATIONS)
        raise FigureInputError(f"unknown activation {name!r}; choose from {known}")
    return function, derivative


def plot_activations(
    names: Sequence[str] = ACTIVATIONS,
    interval: tuple[float, float] = (-5.0, 5.0),
    *,
    num: int = 401,
    ncols: int = 4,
    autodiff_points: int = 9,
) -> Figure:
    """Return one panel per activation, showing the function and its derivative.

    Args:
        names: activation names from ``gk.nn`` (each needs ``<name>_derivative`` there).
        interval: the x range.
        num: points per curve.
        ncols: panels per row.
        autodiff_points: how many points to mark with the derivative computed by
            ``gk.elementwise_grad`` (they sit on the closed-form curve); 0 for none.

    Returns:
        A Figure with ``len(names)`` axes, each with the activation (solid), its
        closed-form derivative (dashed) and the autodiff markers; unused grid cells are
        removed.

    >>> fig = plot_activations(["sigmoid", "relu"], num=11)
    >>> [ax.get_title() for ax in fig.axes]
    ['sigmoid', 'relu']
    """
    if isinstance(names, str):
        names = [names]
    names = list(names)
    if not names:
        raise FigureInputError("names is empty: pass at least one activation, e.g. ['relu']")
    pairs = [_activation(name) for name in names]
    low, high = check_interval(interval)
    xs = np.linspace(low, high, check_num(num, 3))
    ncols = min(check_num(ncols, 1, "ncols"), len(names))
    marks = np.linspace(low, high, check_num(autodiff_points, 0, "autodiff_points"))
    nrows = -(-len(names) // ncols)
    fig, axes = new_figure(nrows, ncols, width=3.6, height=3.0)
    for ax, name, (function, derivative) in zip(axes, names, pairs, strict=False):
        ax.plot(xs, np.asarray(function(xs), dtype=float), color="#1f77b4", linewidth=2, label=name)
        ax.plot(
            xs,
            np.asarray(derivative(xs), dtype=float),
            color="#d62728",
            linestyle="--",
            linewidth=2,
            label="derivative",
        )
        if marks.size:
            import gradkit as gk

            slopes = np.asarray(gk.elementwise_grad(function)(marks), dtype=float)
            ax.plot(marks, slopes, "o", color="black", markersize=3.5, label="autodiff")
        ax.axhline(0.0, color="black", linewidth=0.5)
        ax.axvline(0.0, color="black", linewidth=0.5)
        style_axes(ax, name, "x", "y")
    for ax in axes[len(names) :]:
        fig.delaxes(ax)
    return fig


def _default_losses() -> dict[str, Callable[..., Any]]:
    import gradkit as gk

    return {"MSE": gk.nn.mse_loss, "binary cross-entropy": gk.nn.binary_cross_entropy}


def plot_losses(
    losses: Mapping[str, Callable[..., Any]] | None = None,
    *,
    labels: Sequence[float] = (1.0, 0.0),
    num: int = 99,
    eps: float = 0.01,
) -> Figure:
    """Return losses and their gradients against the predicted probability.

    For a single sample with true label ``y`` and prediction ``p``, the left panel shows
    each loss ``L(y, p)``; the right panel shows ``dL/dp`` (by automatic differentiation),
    where the (binary) cross-entropy's gradient grows without bound as the prediction
    becomes confidently wrong while the squared error's stays bounded.

    Args:
        losses: ``{name: loss(y_true, y_pred)}``; default ``gk.nn.mse_loss`` and
            ``gk.nn.binary_cross_entropy``.
        labels: the true labels to draw (solid for the first, dashed for the second, ...).
        num: points in ``[eps, 1 - eps]``.
        eps: distance from 0 and 1 (cross-entropy is infinite at the ends).

    Returns:
        A Figure with two axes: losses, and their derivatives with respect to ``p``.

    >>> import numpy as np
    >>> sq = lambda y, p: np.mean((y - p) ** 2)
    >>> fig = plot_losses({"squared error": sq}, labels=[1.0], num=5)
    >>> [ax.get_xlabel() for ax in fig.axes]
    ['predicted probability p', 'predicted probability p']
    """
    import gradkit as gk

    losses = _default_losses() if losses is None else dict(losses)
    if not losses:
        raise FigureInputError("losses is empty: pass {name: loss(y_true, y_pred)}")
    for name, loss in losses.items():
        check_callable(loss, f"losses[{name!r}]")
    try:
        labels = [float(y) for y in labels]
    except (TypeError, ValueError):
        raise FigureInputError(
            f"labels must be numbers such as (1.0, 0.0), got {labels!r}"
        ) from None
    if not labels:
        raise FigureInputError("labels is empty: pass true labels such as (1.0, 0.0)")
    if not 0.0 < eps < 0.5:
        raise FigureInputError(f"eps must lie in (0, 0.5), got {eps!r}")
    ps = np.linspace(eps, 1.0 - eps, check_num(num, 3))
    styles = ("-", "--", ":", "-.")
    fig, (ax, ax_grad) = new_figure(1, 2, width=5.5, height=4.2)
    for i, (name, loss) in enumerate(losses.items()):
        color = COLORS[i % len(COLORS)]
        for j, y in enumerate(labels):
            target = np.array([y])
            values = [float(loss(target, np.array([p]))) for p in ps]
            slope = gk.grad(lambda q, target=target, loss=loss: loss(target, q))
            grads = [float(np.asarray(slope(np.array([p]))).reshape(-1)[0]) for p in ps]
            style = styles[j % len(styles)]
            ax.plot(
                ps, values, color=color, linestyle=style, linewidth=2, label=f"{name}, y = {y:g}"
            )
            ax_grad.plot(
                ps,
                grads,
                color=color,
                linestyle=style,
                linewidth=2,
                label=f"d {name} / dp, y = {y:g}",
            )
    style_axes(ax, "Loss against the predicted probability", "predicted probability p", "loss")
    ax_grad.axhline(0.0, color="black", linewidth=0.6)
    ax_grad.set_ylim(-10.0, 10.0)  # cross-entropy's gradient runs to ±1/eps at the ends
    style_axes(ax_grad, "Gradient of the loss", "predicted probability p", "dL/dp")
    return fig
