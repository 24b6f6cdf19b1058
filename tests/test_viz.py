"""Tests for gradkit.viz: every figure renders headless with the promised axes and artists,
its curves equal the closed forms they stand for, the same inputs give the same PNG bytes,
and bad input raises a clear error. Grids are tiny so the file runs in seconds.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from collections import namedtuple
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch
from matplotlib.quiver import Quiver
from matplotlib.text import Annotation

import gradkit as gk
from gradkit.viz import FigureInputError, GraphvizError
from gradkit.viz.graph import format_value
from gradkit.viz.graph_drawing import layered_layout

matplotlib.use("Agg")

Node = namedtuple("Node", "index op label value grad parents kind")
Graph = namedtuple("Graph", "nodes output")


def bowl(p):
    return p[0] ** 2 + p[1] ** 2


def lines_by_label(ax):
    return {line.get_label(): line for line in ax.get_lines()}


def quivers(ax):
    return [c for c in ax.collections if isinstance(c, Quiver)]


def png_bytes(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=40)
    return buffer.getvalue()


def hand_graph():
    """out = x*y + x**2 at x=2, y=3: d/dx = y + 2x = 7, d/dy = x = 2."""
    return Graph(
        [
            Node(0, "input", "x", 2.0, 7.0, (), "input"),
            Node(1, "input", "y", 3.0, 2.0, (), "input"),
            Node(2, "constant", "2", 2.0, None, (), "constant"),
            Node(3, "multiply", "multiply", 6.0, 1.0, (0, 1), "op"),
            Node(4, "power", "power", 4.0, 1.0, (0, 2), "op"),
            Node(5, "add", "add", 10.0, 1.0, (3, 4), "output"),
        ],
        5,
    )


# ---------------------------------------------------------------- one variable


def test_plot_derivative_draws_function_derivative_and_tangent():
    fig = gk.viz.plot_derivative(lambda x: x**2, (-2, 2), at=1.0, num=41, label="x²")
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    assert ax.get_title() == "Function and its derivative: f(x) = x²"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x", "y")
    assert ax.get_legend() is not None
    lines = lines_by_label(ax)
    xs = lines["f(x)"].get_xdata()
    np.testing.assert_allclose(lines["f(x)"].get_ydata(), xs**2)
    np.testing.assert_allclose(lines["f'(x)"].get_ydata(), 2 * xs)
    np.testing.assert_allclose(lines["tangent at x = 1"].get_ydata(), 1 + 2 * (xs - 1))
    assert any("slope f'(1) = 2" in t.get_text() for t in ax.texts)


@settings(max_examples=10)  # each example builds a whole figure
@given(a=st.floats(-2, 2), c=st.floats(-3, 3))
def test_tangent_line_matches_closed_form(a, c):
    f = lambda x: x**3 + c * x
    fig = gk.viz.plot_derivative(f, (-2, 2), at=a, num=9)
    line = lines_by_label(fig.axes[0])[f"tangent at x = {a:g}"]
    xs = line.get_xdata()
    expected = a**3 + c * a + (3 * a**2 + c) * (xs - a)
    np.testing.assert_allclose(line.get_ydata(), expected, rtol=1e-10, atol=1e-10)


def test_plot_derivative_uses_a_given_derivative_and_skips_tangent_without_at():
    fig = gk.viz.plot_derivative(np.sin, (0, 3), derivative=lambda x: np.full_like(x, 7.0), num=5)
    lines = lines_by_label(fig.axes[0])
    np.testing.assert_allclose(lines["f'(x)"].get_ydata(), 7.0)
    assert not any(label.startswith("tangent") for label in lines)


def test_plot_derivative_handles_scalar_only_functions():
    f = lambda x: x * x if x > 0 else -x  # a Python branch: fails on whole arrays
    fig = gk.viz.plot_derivative(f, (-1, 1), num=6)
    lines = lines_by_label(fig.axes[0])
    xs = lines["f(x)"].get_xdata()
    np.testing.assert_allclose(lines["f(x)"].get_ydata(), np.where(xs > 0, xs**2, -xs))
    np.testing.assert_allclose(lines["f'(x)"].get_ydata(), np.where(xs > 0, 2 * xs, -1.0))


def test_infinite_values_become_gaps_not_warnings_or_crashes():
    fig = gk.viz.plot_derivative(np.log, (0, 2), at=1.0, num=5)
    ax = fig.axes[0]
    lines = lines_by_label(ax)
    assert lines["f(x)"].get_ydata()[0] == -np.inf
    np.testing.assert_allclose(lines["f'(x)"].get_ydata()[1:], [2.0, 1.0, 2 / 3, 0.5])
    low, high = ax.get_ylim()
    assert np.isfinite(low) and np.isfinite(high)


def test_a_function_mixing_points_is_evaluated_one_point_at_a_time():
    f = lambda x: x - np.mean(x) + x**2  # on one number: x**2; on an array: not pointwise
    lines = lines_by_label(gk.viz.plot_derivative(f, (-1, 2), num=7).axes[0])
    xs = lines["f(x)"].get_xdata()
    np.testing.assert_allclose(lines["f(x)"].get_ydata(), xs**2, atol=1e-12)
    np.testing.assert_allclose(lines["f'(x)"].get_ydata(), 2 * xs, atol=1e-12)


def test_plot_numerical_vs_analytical_overlays_and_log_error():
    fig = gk.viz.plot_numerical_vs_analytical(np.sin, (0, 3), num=21)
    ax, ax_err = fig.axes
    lines = lines_by_label(ax)
    xs = lines["numerical (central)"].get_xdata()
    np.testing.assert_allclose(lines["analytical (autodiff)"].get_ydata(), np.cos(xs), atol=1e-15)
    np.testing.assert_allclose(lines["numerical (central)"].get_ydata(), np.cos(xs), atol=1e-6)
    assert ax_err.get_yscale() == "log"
    err = ax_err.get_lines()[0].get_ydata()
    assert np.nanmax(err) < 1e-6
    assert ax_err.get_ylabel() == "absolute error"


def test_forward_difference_error_is_first_order():
    # forward difference of x**2 errs by exactly h
    fig = gk.viz.plot_numerical_vs_analytical(
        lambda x: x**2, (-1, 1), method="forward", step=1e-3, derivative=lambda x: 2 * x, num=11
    )
    err = fig.axes[1].get_lines()[0].get_ydata()
    np.testing.assert_allclose(err, 1e-3, rtol=1e-6)


# ---------------------------------------------------------------- two variables


def test_plot_surface_is_3d_with_a_marked_point():
    fig = gk.viz.plot_surface(bowl, num=8, point=(1, 1))
    (ax,) = fig.axes
    assert ax.name == "3d"
    assert ax.get_zlabel() == "f(x, y)"
    assert len(ax.collections) == 2  # the surface and the marked point


def test_contour_gradients_arrows_equal_the_gradient():
    fig = gk.viz.plot_contour_gradients(bowl, ((-2, 2), (-1, 1)), num=9, arrows=3)
    ax = fig.axes[0]
    (q,) = quivers(ax)
    assert q.N == 9
    np.testing.assert_allclose(q.U, 2 * q.X)
    np.testing.assert_allclose(q.V, 2 * q.Y)
    # arrows lie strictly inside the domain
    assert np.all(np.abs(q.X) < 2) and np.all(np.abs(q.Y) < 1)
    assert ax.get_title() == "Contours with gradient vectors"


def test_contours_of_a_non_vectorised_function():
    f = lambda p: float(p[0]) ** 2 + 3.0 * float(p[1]) if np.ndim(p[0]) == 0 else 1 / 0
    from gradkit.viz._common import evaluate_grid

    X, Y = np.meshgrid(np.linspace(0, 1, 3), np.linspace(0, 1, 3))
    np.testing.assert_allclose(evaluate_grid(f, X, Y), X**2 + 3 * Y)


def test_matrix_code_falls_back_to_one_point_at_a_time():
    A = np.array([[2.0, 1.0], [0.0, 3.0]])
    quadratic = lambda p: p @ A @ p  # matmul: does not broadcast over a grid
    fig = gk.viz.plot_contour_gradients(quadratic, num=5, arrows=2)
    (q,) = quivers(fig.axes[0])
    np.testing.assert_allclose(np.c_[q.U, q.V], np.c_[q.X, q.Y] @ (A + A.T).T)
    fig = gk.viz.plot_partial_slice(quadratic, (1.0, 2.0), axis="y", num=5)
    slice_line, partial_line = fig.axes[0].get_lines()[:2]
    t = slice_line.get_xdata()
    np.testing.assert_allclose(slice_line.get_ydata(), 2 + t + 3 * t**2)
    np.testing.assert_allclose(partial_line.get_ydata(), 1 + 6 * t)


def test_grid_evaluation_rejects_a_function_mixing_points():
    from gradkit.viz._common import evaluate_grid

    mixing = lambda p: p[0] + np.mean(p[1])  # broadcasts, but mixes points: not trusted
    X, Y = np.meshgrid(np.linspace(0, 1, 3), np.linspace(0, 2, 3))
    np.testing.assert_allclose(evaluate_grid(mixing, X, Y), X + Y)


@pytest.mark.parametrize("axis, name", [(0, "x"), ("y", "y")])
def test_partial_slice_equals_closed_forms(axis, name):
    f = lambda p: p[0] ** 2 * p[1] + p[1] ** 3
    fig = gk.viz.plot_partial_slice(f, (1.0, 2.0), axis=axis, num=11)
    ax = fig.axes[0]
    lines = ax.get_lines()
    t = lines[0].get_xdata()
    if name == "x":  # y fixed at 2
        np.testing.assert_allclose(lines[0].get_ydata(), 2 * t**2 + 8)
        np.testing.assert_allclose(lines[1].get_ydata(), 4 * t)
        assert ax.get_title() == "Partial derivative ∂f/∂x at y = 2"
    else:  # x fixed at 1
        np.testing.assert_allclose(lines[0].get_ydata(), t + t**3)
        np.testing.assert_allclose(lines[1].get_ydata(), 1 + 3 * t**2)
        assert ax.get_title() == "Partial derivative ∂f/∂y at x = 1"
    assert ax.get_xlabel() == name


def test_partial_derivatives_three_panels():
    fig = gk.viz.plot_partial_derivatives(bowl, (1, 1), num=6, arrows=2)
    assert len(fig.axes) == 3
    assert fig.axes[0].name == "3d"
    assert [ax.get_title() for ax in fig.axes] == [
        "Surface of f(x, y)",
        "Contours with gradient vectors",
        "Partial derivative ∂f/∂x at y = 1",
    ]
    assert len(quivers(fig.axes[1])) == 1


def test_gradient_field_marks_the_point_and_its_gradient():
    fig = gk.viz.plot_gradient_field(bowl, (1.0, -0.5), ((-2, 2), (-2, 2)), density=4, num=8)
    ax = fig.axes[0]
    field, at_point = quivers(ax)
    assert field.N == 16
    np.testing.assert_allclose(field.U, 2 * field.X)
    # the point's arrow points along grad f = (2, -1), 20 % of the box long
    np.testing.assert_allclose(
        [at_point.U[0], at_point.V[0]], 0.8 * np.array([2.0, -1.0]) / np.sqrt(5)
    )
    assert "point (1, -0.5)" in lines_by_label(ax)
    assert "∇f(1, -0.5) = (2, -1)" in ax.get_legend_handles_labels()[1]
    assert ax.get_aspect() == 1.0


def test_gradient_field_uses_the_function_domain():
    f = gk.functions.himmelblau
    fig = gk.viz.plot_gradient_field(f, density=3, num=6)
    (x0, x1), (y0, y1) = f.domain
    assert fig.axes[0].get_xlim()[0] <= x0 + 1e-9 and fig.axes[0].get_xlim()[1] >= x1 - 1e-9
    (field,) = quivers(fig.axes[0])
    expected = np.array([f.grad(np.array([x, y])) for x, y in zip(field.X, field.Y, strict=True)])
    np.testing.assert_allclose(np.c_[field.U, field.V], expected, rtol=1e-10)


def test_directional_derivatives_values_and_cosine():
    fig = gk.viz.plot_directional_derivatives(bowl, (1.0, 1.0), num=8)
    ax, ax_angle = fig.axes
    # grad = (2, 2); the tutorial's directions (1,0), (0,1), (1,1), (1,-1)
    expected = [2.0, 2.0, 2 * np.sqrt(2), 0.0]
    labels = [t.get_text() for t in ax.texts]
    assert labels == [f"{v:.3g}" for v in expected]
    lines = lines_by_label(ax_angle)
    np.testing.assert_allclose(lines["chosen directions"].get_ydata(), expected, atol=1e-12)
    np.testing.assert_allclose(lines["chosen directions"].get_xdata(), [0, 90, 45, 315])
    theta = np.deg2rad(lines["∇f · (cos θ, sin θ)"].get_xdata())
    np.testing.assert_allclose(
        lines["∇f · (cos θ, sin θ)"].get_ydata(), 2 * np.cos(theta) + 2 * np.sin(theta), atol=1e-12
    )
    star = lines["steepest ascent (∇f)"]
    np.testing.assert_allclose([star.get_xdata()[0], star.get_ydata()[0]], [45.0, 2 * np.sqrt(2)])
    assert len(quivers(ax)) == 2  # the directions and the gradient


@settings(max_examples=10)  # each example builds a whole figure
@given(
    a=st.floats(-5, 5),
    b=st.floats(-5, 5),
    angle=st.floats(0, 2 * np.pi, exclude_max=True),
    scale=st.floats(0.1, 10),
)
def test_directional_derivative_of_a_plane(a, b, angle, scale):
    u = scale * np.array([np.cos(angle), np.sin(angle)])
    fig = gk.viz.plot_directional_derivatives(lambda p: a * p[0] + b * p[1], (0, 0), [u], num=4)
    line = lines_by_label(fig.axes[1])["chosen directions"]
    np.testing.assert_allclose(line.get_ydata(), [a * np.cos(angle) + b * np.sin(angle)], atol=1e-9)
    shown = np.deg2rad(line.get_xdata()[0])  # compared on the circle: 0 and 360 agree
    np.testing.assert_allclose(
        [np.cos(shown), np.sin(shown)], [np.cos(angle), np.sin(angle)], atol=1e-9
    )


def test_directional_derivatives_custom_directions_are_normalised():
    f = lambda p: 3 * p[0] - 4 * p[1]
    fig = gk.viz.plot_directional_derivatives(f, (0, 0), [(10, 0), (0, -0.5), (3, -4)], num=6)
    values = lines_by_label(fig.axes[1])["chosen directions"].get_ydata()
    np.testing.assert_allclose(values, [3.0, 4.0, 5.0])


# ---------------------------------------------------------------- optimization


def test_trajectories_of_minimize_results_and_arrays():
    f = gk.functions.rosenbrock
    x0 = np.array([-1.5, 1.5])
    runs = {
        "gd": gk.optim.minimize(f, x0, gk.optim.sgd(1e-3), steps=30),
        "adam": gk.optim.minimize(f, x0, gk.optim.adam(0.05), steps=30),
        "manual": np.array([[-1.5, 1.5], [0.0, 0.0], [1.0, 1.0]]),
    }
    fig = gk.viz.plot_trajectories(f, runs, num=12)
    ax, ax_loss = fig.axes
    assert ax.get_title() == "Optimization trajectories"
    assert ax_loss.get_yscale() == "log"
    assert ax_loss.get_ylabel() == "f(x_k) - f*"
    lines = lines_by_label(ax)
    np.testing.assert_allclose(lines["gd"].get_xydata(), runs["gd"].trajectory)
    assert "start" in lines and "optimum (1, 1)" in lines
    loss = lines_by_label(ax_loss)
    np.testing.assert_allclose(loss["adam"].get_ydata(), runs["adam"].values)
    manual = loss["manual"].get_ydata()  # values computed from f along the path
    np.testing.assert_allclose(manual[:2], [100 * (1.5 - 2.25) ** 2 + 2.5**2, 1.0])
    assert np.isnan(manual[2])  # exactly at the optimum: no place on a log axis
    assert len(ax_loss.get_lines()) == 3


def test_trajectories_of_a_race():
    race = gk.optim.race(gk.functions.booth, x0=(0.0, 0.0), steps=15)
    fig = gk.viz.plot_trajectories(gk.functions.booth, race, num=6)
    lines = lines_by_label(fig.axes[1])
    assert set(race.results) <= set(lines)
    for name, result in race.results.items():
        np.testing.assert_allclose(
            lines[name].get_ydata(), np.where(result.values > 0, result.values, np.nan)
        )


def test_trajectories_linear_scale_without_a_minimum():
    path = np.array([[2.0, 0.0], [1.0, 0.0], [-0.5, 0.0]])
    fig = gk.viz.plot_trajectories(lambda p: p[0] - 10, [path], num=6, log_scale=False)
    ax_loss = fig.axes[1]
    assert ax_loss.get_yscale() == "linear"
    assert ax_loss.get_ylabel() == "f(x_k)"
    np.testing.assert_allclose(lines_by_label(ax_loss)["run 1"].get_ydata(), [-8, -9, -10.5])


def test_trajectories_mark_every_minimum_and_flag_divergence():
    f = gk.functions.himmelblau
    x0 = np.array([0.5, 0.5])
    runs = {
        "fast": gk.optim.minimize(f, x0, gk.optim.sgd(0.2), steps=20),
        "adam": gk.optim.minimize(f, x0, gk.optim.adam(0.1), steps=20),
    }
    assert runs["fast"].diverged
    fig = gk.viz.plot_trajectories(f, runs, num=8)
    lines = lines_by_label(fig.axes[0])
    np.testing.assert_allclose(lines["minima (4)"].get_xydata(), np.array(f.minimum))
    assert "fast (diverged)" in lines_by_label(fig.axes[1])


def test_trajectories_on_a_saddle_use_a_symmetric_log_scale():
    f = gk.functions.saddle  # no minimum: f goes negative
    path = np.array([[0.1, 0.1], [0.1, 0.5], [0.1, 1.5]])
    fig = gk.viz.plot_trajectories(f, {"walk": path}, num=6)
    ax_loss = fig.axes[1]
    assert ax_loss.get_yscale() == "symlog"
    np.testing.assert_allclose(ax_loss.get_lines()[0].get_ydata(), [f(p) for p in path])


def test_loss_curves_many_runs_with_f_min():
    runs = [[3.0, 2.0, 1.5], [3.0, 1.25, 1.0, 1.0]]
    fig = gk.viz.plot_loss_curves(runs, f_min=1.0, title="race")
    ax = fig.axes[0]
    assert ax.get_title() == "race" and ax.get_yscale() == "log"
    first, second = ax.get_lines()
    np.testing.assert_allclose(first.get_ydata(), [2.0, 1.0, 0.5])
    np.testing.assert_allclose(second.get_ydata(), [2.0, 0.25, np.nan, np.nan])


def test_training_history_from_mapping_and_object():
    history = {
        "loss": [0.9, 0.4, 0.2],
        "val_loss": [1.0, 0.5, 0.3],
        "accuracy": [0.5, 0.75, 0.9],
        "epoch_time": ["1s", "1s", "1s"],
    }
    fig = gk.viz.plot_training_history(history)
    loss_ax, acc_ax = fig.axes
    assert loss_ax.get_yscale() == "log"
    assert acc_ax.get_title() == "Accuracy (final: accuracy 90.0%)"
    lines = lines_by_label(loss_ax)
    np.testing.assert_allclose(lines["val loss"].get_ydata(), [1.0, 0.5, 0.3])
    np.testing.assert_allclose(lines["loss"].get_xdata(), [1, 2, 3])
    np.testing.assert_allclose(lines["best val loss (epoch 3)"].get_xydata(), [[3, 0.3]])

    class History:
        loss = [2.0, 1.0]

    fig = gk.viz.plot_training_history(History(), log_scale=False)
    assert len(fig.axes) == 1 and fig.axes[0].get_yscale() == "linear"


def test_training_history_of_fit():
    X, y = gk.nn.datasets.tutorial_data(n_samples=40)
    model = gk.nn.Sequential(
        gk.nn.Linear(2, 4), gk.nn.Sigmoid(), gk.nn.Linear(4, 1), gk.nn.Sigmoid()
    )
    history = gk.nn.fit(
        model, X, y, loss="mse", optimizer=gk.optim.sgd(0.5), epochs=3, verbose=False
    )
    fig = gk.viz.plot_training_history(history)
    loss_ax, acc_ax = fig.axes  # fit records accuracy; empty validation series are left out
    assert [line.get_label() for line in loss_ax.get_lines()] == ["loss"]
    np.testing.assert_allclose(loss_ax.get_lines()[0].get_ydata(), history.loss)
    np.testing.assert_allclose(acc_ax.get_lines()[0].get_ydata(), history.accuracy)


# ---------------------------------------------------------------- deep learning


def test_activations_and_their_closed_form_derivatives():
    names = ["sigmoid", "relu", "tanh", "softplus", "silu"]
    fig = gk.viz.plot_activations(names, (-4, 4), num=17, ncols=3)
    assert [ax.get_title() for ax in fig.axes] == names  # the sixth grid cell is removed
    x = fig.axes[0].get_lines()[0].get_xdata()
    s = 1 / (1 + np.exp(-x))
    closed = {
        "sigmoid": (s, s * (1 - s)),
        "relu": (np.maximum(x, 0), (x > 0).astype(float)),
        "tanh": (np.tanh(x), 1 - np.tanh(x) ** 2),
        "softplus": (np.log1p(np.exp(x)), s),
        "silu": (x * s, s * (1 + x * (1 - s))),
    }
    for ax, name in zip(fig.axes, names, strict=True):
        lines = lines_by_label(ax)
        function, derivative = lines[name], lines["derivative"]
        np.testing.assert_allclose(function.get_ydata(), closed[name][0], atol=1e-12)
        np.testing.assert_allclose(derivative.get_ydata(), closed[name][1], atol=1e-12)
        marks = lines["autodiff"]  # the engine's derivative, at 9 points
        np.testing.assert_allclose(marks.get_xdata(), np.linspace(-4, 4, 9))
        m = marks.get_xdata()
        sm = 1 / (1 + np.exp(-m))
        expected = {
            "sigmoid": sm * (1 - sm),
            "relu": (m > 0).astype(float),
            "tanh": 1 - np.tanh(m) ** 2,
            "softplus": sm,
            "silu": sm * (1 + m * (1 - sm)),
        }[name]
        np.testing.assert_allclose(marks.get_ydata(), expected, atol=1e-12)
    fig = gk.viz.plot_activations(["relu"], num=5, autodiff_points=0)
    assert "autodiff" not in lines_by_label(fig.axes[0])


def test_losses_against_predicted_probability():
    fig = gk.viz.plot_losses(num=9)
    ax, ax_grad = fig.axes
    lines = lines_by_label(ax)
    p = lines["MSE, y = 1"].get_xdata()
    np.testing.assert_allclose(lines["MSE, y = 1"].get_ydata(), (1 - p) ** 2)
    np.testing.assert_allclose(lines["binary cross-entropy, y = 1"].get_ydata(), -np.log(p))
    np.testing.assert_allclose(lines["binary cross-entropy, y = 0"].get_ydata(), -np.log(1 - p))
    grads = lines_by_label(ax_grad)
    np.testing.assert_allclose(grads["d MSE / dp, y = 1"].get_ydata(), -2 * (1 - p))
    np.testing.assert_allclose(grads["d binary cross-entropy / dp, y = 1"].get_ydata(), -1 / p)
    assert ax_grad.get_ylim() == (-10.0, 10.0)


# ---------------------------------------------------------------- numerics


def test_step_error_v_curve_follows_the_orders():
    steps = np.geomspace(1e-4, 1e-1, 4)
    fig = gk.viz.plot_step_error(lambda x: x**3, 1.0, derivative=lambda x: 3 * x**2, steps=steps)
    ax = fig.axes[0]
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
    lines = lines_by_label(ax)
    # forward: ((1+h)^3 - 1)/h - 3 = 3h + h^2; central: h^2
    np.testing.assert_allclose(lines["forward"].get_ydata(), 3 * steps + steps**2, rtol=1e-6)
    np.testing.assert_allclose(lines["central"].get_ydata(), steps**2, rtol=1e-6, atol=1e-11)
    assert {"slope 1 (O(h^1))", "slope 2 (O(h^2))"} <= set(lines)


def test_step_error_best_step_sits_in_the_v():
    fig = gk.viz.plot_step_error(np.sin, 1.0, methods="forward")
    best = [
        line for line in fig.axes[0].get_lines() if line.get_label().startswith("best forward")
    ][0]
    assert 1e-10 <= best.get_xdata()[0] <= 1e-6  # near sqrt(machine epsilon)
    assert best.get_ydata()[0] < 1e-6


def test_step_error_marks_the_tutorial_step_and_the_predicted_best():
    result = gk.numerical.step_error(np.sin, np.cos, 1.0, methods=("forward", "central"))
    fig = gk.viz.plot_step_error(result)  # a step_error result is drawn as it is
    lines = lines_by_label(fig.axes[0])
    tutorial = [line for label, line in lines.items() if label.startswith("tutorial")][0]
    expected = abs((np.sin(1 + 1e-7) - np.sin(1.0)) / 1e-7 - np.cos(1.0))
    np.testing.assert_allclose(tutorial.get_ydata(), [expected], rtol=1e-6)
    predicted = [line for label, line in lines.items() if label.startswith("predicted best")]
    assert len(predicted) == 2
    # balancing truncation and rounding puts the forward best step near sqrt(eps) = 1.5e-8
    h_forward = predicted[0].get_xdata()[0]
    assert 1e-9 < h_forward < 1e-7


# ---------------------------------------------------------------- computational graph


def test_graph_to_dot_structure():
    dot = gk.viz.graph_to_dot(hand_graph())
    lines = dot.strip().splitlines()
    assert lines[0] == 'digraph "computation" {' and lines[-1] == "}"
    assert "rankdir=LR;" in dot
    node_lines = [line for line in lines if "[label=" in line]
    edge_lines = [line for line in lines if "->" in line]
    assert len(node_lines) == 6
    assert sorted(edge_lines) == sorted(
        ["  n0 -> n3;", "  n1 -> n3;", "  n0 -> n4;", "  n2 -> n4;", "  n3 -> n5;", "  n4 -> n5;"]
    )
    assert '  n0 [label="x\\nvalue = 2\\ngrad = 7", fillcolor="#cfe2f3"];' in lines
    assert '  n2 [label="2\\nvalue = 2", fillcolor="#eeeeee"];' in lines
    assert "penwidth=2" in node_lines[5]


def test_graph_to_dot_of_a_traced_function():
    from gradkit.autodiff.graph import trace_graph

    graph = trace_graph(lambda x, y: np.sin(x) * y, 0.5, 2.0)
    dot = gk.viz.graph_to_dot(graph, rankdir="TB")
    assert "rankdir=TB;" in dot
    # d out / d x = cos(0.5) * 2, d out / d y = sin(0.5)
    assert f"grad = {2 * np.cos(0.5):.4g}" in dot
    assert f"grad = {np.sin(0.5):.4g}" in dot
    assert dot.count("->") == sum(len(n.parents) for n in graph.nodes)


def test_graph_to_dot_escapes_labels():
    graph = Graph(
        [
            Node(0, "input", 'a "quoted"\\ name\nline', 1.0, 1.0, (), "input"),
            Node(1, "neg", "neg", -1.0, 1.0, (0,), "output"),
        ],
        1,
    )
    dot = gk.viz.graph_to_dot(graph, name='my "graph"')
    assert 'label="a \\"quoted\\"\\\\ name\\nline\\nvalue = 1\\ngrad = 1"' in dot
    assert dot.startswith('digraph "my \\"graph\\"" {')
    assert dot.count("\n") == len(dot.splitlines())  # no raw newline inside a label


def test_format_value_is_compact():
    assert format_value(None) is None
    assert format_value(np.float64(1 / 3)) == "0.3333"
    assert format_value(-0.0) == "0"
    assert format_value(np.array([[2.0]])) == "2"
    assert format_value(np.array([1.0, -2.0, 3.5])) == "[1, -2, 3.5]"
    assert format_value(np.zeros((2, 5))) == "2x5 in [0, 0]"


@pytest.mark.parametrize(
    "graph, error, match",
    [
        (object(), TypeError, "nodes"),
        (Graph([], None), FigureInputError, "no nodes"),
        (Graph([Node(0, "input", "x", 1, 1, (3,), "input")], 0), FigureInputError, "parent"),
        (
            Graph([Node(0, "a", "", 1, 1, (1,), "op"), Node(1, "b", "", 1, 1, (0,), "op")], 1),
            FigureInputError,
            "cycle",
        ),
        (Graph([namedtuple("Bare", "index op")(0, "x")], 0), TypeError, "lacks"),
        (
            Graph([Node(0, "a", "", 1, 1, (), "input"), Node(0, "b", "", 1, 1, (), "op")], 0),
            FigureInputError,
            "share",
        ),
    ],
)
def test_graph_errors(graph, error, match):
    with pytest.raises(error, match=match):
        gk.viz.graph_to_dot(graph)


def test_layered_layout_longest_path_and_constants_beside_their_consumer():
    layout = layered_layout(hand_graph())
    layers = {index: layer for index, (layer, _) in layout.items()}
    assert layers == {0: 0, 1: 0, 2: 0, 3: 1, 4: 1, 5: 2}
    chain = Graph(
        [Node(0, "input", "x", 1, 1, (), "input")]
        + [Node(i, "sin", "sin", 1, 1, (i - 1,), "op") for i in range(1, 4)]
        + [
            Node(4, "constant", "3", 3, None, (), "constant"),
            Node(5, "add", "add", 1, 1, (3, 4), "output"),
        ],
        5,
    )
    layers = {index: layer for index, (layer, _) in layered_layout(chain).items()}
    assert layers == {0: 0, 1: 1, 2: 2, 3: 3, 4: 3, 5: 4}


@st.composite
def random_dags(draw):
    n = draw(st.integers(1, 12))
    nodes = []
    for i in range(n):
        parents = draw(st.lists(st.integers(0, i - 1), max_size=3)) if i else []
        kind = "input" if not parents else ("output" if i == n - 1 else "op")
        nodes.append(Node(i, "op", f"n{i}", float(i), 1.0, tuple(parents), kind))
    return Graph(nodes, n - 1)


@given(graph=random_dags())
def test_layout_puts_every_node_right_of_its_parents(graph):
    layout = layered_layout(graph)
    assert set(layout) == {node.index for node in graph.nodes}
    for node in graph.nodes:
        for parent in node.parents:
            assert layout[parent][0] < layout[node.index][0]
    slots = [(layer, pos) for layer, pos in layout.values()]
    assert len(set(slots)) == len(slots)  # no two boxes on top of each other
    assert gk.viz.graph_to_dot(graph).count("->") == sum(len(n.parents) for n in graph.nodes)


def test_plot_graph_boxes_and_arrows():
    graph = hand_graph()
    fig = gk.viz.plot_graph(graph)
    ax = fig.axes[0]
    boxes = [t for t in ax.texts if not isinstance(t, Annotation)]
    arrows = [t for t in ax.texts if isinstance(t, Annotation)]
    assert len(boxes) == 6 and len(arrows) == 6
    assert all(isinstance(t.get_bbox_patch(), FancyBboxPatch) for t in boxes)
    assert boxes[0].get_text() == "x\nvalue = 2\ngrad = 7"
    assert boxes[0].get_position()[0] == 0 and boxes[5].get_position()[0] == 2
    assert not ax.axison
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "input",
        "constant",
        "op",
        "output",
    ]


def test_render_graph_dot_and_matplotlib(tmp_path):
    graph = hand_graph()
    dot_path = gk.viz.render_graph(graph, tmp_path / "g.dot")
    assert dot_path.read_text() == gk.viz.graph_to_dot(graph)
    png = gk.viz.render_graph(graph, tmp_path / "sub" / "g.png", engine="matplotlib")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = gk.viz.render_graph(graph, tmp_path / "g.svg", engine="matplotlib")
    assert b"<svg" in svg.read_bytes()[:400]
    with pytest.raises(FigureInputError, match="format"):
        gk.viz.render_graph(graph, tmp_path / "g.txt")
    with pytest.raises(FigureInputError, match="engine"):
        gk.viz.render_graph(graph, tmp_path / "g.png", engine="cairo")


def _fake_dot(tmp_path: Path, body: str) -> str:
    script = tmp_path / "dot"
    script.write_text(f"#!{sys.executable}\nimport sys\n{body}\n")
    script.chmod(0o755)
    return str(script)


def test_render_graph_runs_graphviz_without_a_shell(tmp_path, monkeypatch):
    # a stand-in for `dot`: records its arguments and copies stdin to the -o file
    fake = _fake_dot(
        tmp_path,
        "args = sys.argv[1:]\n"
        "data = sys.stdin.read()\n"
        "open(args[args.index('-o') + 1], 'w').write(repr(args) + data)",
    )
    monkeypatch.setattr("shutil.which", lambda name: fake if name == "dot" else None)
    out = gk.viz.render_graph(hand_graph(), tmp_path / "g.svg")
    text = out.read_text()
    assert text.startswith("['-Tsvg', '-o', ")
    assert text.endswith(gk.viz.graph_to_dot(hand_graph()))


def test_render_graph_reports_graphviz_failure_and_absence(tmp_path, monkeypatch):
    fake = _fake_dot(tmp_path, "sys.stderr.write('syntax error in line 1'); sys.exit(1)")
    monkeypatch.setattr("shutil.which", lambda name: fake)
    with pytest.raises(GraphvizError, match="syntax error in line 1"):
        gk.viz.render_graph(hand_graph(), tmp_path / "g.png")
    monkeypatch.setattr("shutil.which", lambda name: None)
    with pytest.raises(GraphvizError, match="not installed"):
        gk.viz.render_graph(hand_graph(), tmp_path / "g.png", engine="graphviz")
    # auto falls back to the matplotlib drawing
    out = gk.viz.render_graph(hand_graph(), tmp_path / "g.png")
    assert out.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_render_graph_with_the_real_graphviz(tmp_path):
    out = gk.viz.render_graph(hand_graph(), tmp_path / "g.svg", engine="graphviz")
    text = out.read_text()
    assert "<svg" in text and "value = 10" in text


# ---------------------------------------------------------------- determinism, saving

FIGURES = {
    "derivative": lambda: gk.viz.plot_derivative(np.tanh, (-2, 2), at=0.5, num=11),
    "numerical": lambda: gk.viz.plot_numerical_vs_analytical(np.exp, (0, 1), num=11),
    "surface": lambda: gk.viz.plot_surface(bowl, num=6),
    "contour": lambda: gk.viz.plot_contour_gradients(bowl, num=6, arrows=2),
    "slice": lambda: gk.viz.plot_partial_slice(bowl, (1, 1), num=6),
    "partials": lambda: gk.viz.plot_partial_derivatives(bowl, num=6, arrows=2),
    "field": lambda: gk.viz.plot_gradient_field(bowl, (1, 1), density=3, num=6),
    "directions": lambda: gk.viz.plot_directional_derivatives(bowl, (1, 1), num=6),
    "trajectories": lambda: gk.viz.plot_trajectories(
        bowl, {"a": [[1, 1], [0.5, 0.5]], "b": [[1, 1], [0.1, 0.4]]}, minimum=(0, 0), num=6
    ),
    "loss curves": lambda: gk.viz.plot_loss_curves({"a": [1, 0.5]}),
    "history": lambda: gk.viz.plot_training_history({"loss": [1, 0.5]}),
    "activations": lambda: gk.viz.plot_activations(["relu", "gelu"], num=11),
    "losses": lambda: gk.viz.plot_losses(num=5),
    "step error": lambda: gk.viz.plot_step_error(np.sin, steps=[1e-8, 1e-4, 1e-2]),
    "graph": lambda: gk.viz.plot_graph(hand_graph()),
}


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_same_inputs_same_picture(name):
    import matplotlib.pyplot as plt

    first, second = FIGURES[name](), FIGURES[name]()
    assert isinstance(first, Figure)
    assert png_bytes(first) == png_bytes(second)
    assert plt.get_fignums() == []  # nothing leaked into pyplot's global state


_MPL_VERSION = tuple(int(p) for p in matplotlib.__version__.split(".")[:2])


def test_save_chooses_the_format_and_is_reproducible(tmp_path):
    fig = FIGURES["derivative"]()
    for suffix, magic in [(".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")]:
        a = gk.viz.save(fig, tmp_path / f"a{suffix}", dpi=30)
        b = gk.viz.save(fig, tmp_path / "deeper" / f"b{suffix}", dpi=30)
        assert a.read_bytes().startswith(magic)
        if suffix == ".svg" and _MPL_VERSION < (3, 11):
            continue  # byte-identical SVG needs matplotlib >= 3.11 (Python 3.11+)
        assert a.read_bytes() == b.read_bytes()
    with pytest.raises(FigureInputError, match="format"):
        gk.viz.save(fig, tmp_path / "a.bmpx")
    with pytest.raises(FigureInputError, match="dpi"):
        gk.viz.save(fig, tmp_path / "a.png", dpi=0)
    with pytest.raises(TypeError, match="Figure"):
        gk.viz.save("not a figure", tmp_path / "a.png")


def test_importing_gradkit_and_viz_does_not_load_matplotlib():
    code = (
        "import sys, gradkit, gradkit.viz; gradkit.viz.graph_to_dot;"
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_viz_exports():
    assert set(gk.viz.__all__) <= set(dir(gk.viz))
    for name in gk.viz.__all__:
        assert getattr(gk.viz, name) is not None
    with pytest.raises(AttributeError):
        gk.viz.no_such_figure  # noqa: B018


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: gk.viz.plot_derivative(3.0), TypeError, "callable"),
        (lambda: gk.viz.plot_derivative(np.sin, (2, 1)), FigureInputError, "low < high"),
        (lambda: gk.viz.plot_derivative(np.sin, "ab"), FigureInputError, "pair of numbers"),
        (lambda: gk.viz.plot_derivative(np.sin, num=1), FigureInputError, "num"),
        (lambda: gk.viz.plot_derivative(np.sin, at=float("nan")), FigureInputError, "finite"),
        (lambda: gk.viz.plot_derivative(np.sin, derivative="cos"), TypeError, "derivative"),
        (lambda: gk.viz.plot_derivative(lambda x: np.ones(3)), FigureInputError, "scalar"),
        (
            lambda: gk.viz.plot_derivative(lambda x: __import__("math").sin(x)),
            FigureInputError,
            "derivative of f",
        ),
        (lambda: gk.viz.plot_surface(bowl, domain=(1, 2, 3)), FigureInputError, "domain"),
        (lambda: gk.viz.plot_surface(bowl, point=(1, 2, 3)), FigureInputError, "point"),
        (lambda: gk.viz.plot_partial_slice(bowl, (0, 0), axis=2), FigureInputError, "axis"),
        (lambda: gk.viz.plot_contour_gradients(bowl, arrows=0), FigureInputError, "arrows"),
        (
            lambda: gk.viz.plot_directional_derivatives(bowl, (0, 0), [(0, 0)]),
            FigureInputError,
            "non-zero",
        ),
        (
            lambda: gk.viz.plot_directional_derivatives(bowl, (0, 0), []),
            FigureInputError,
            "non-empty",
        ),
        (lambda: gk.viz.plot_trajectories(bowl, {}), FigureInputError, "empty"),
        (lambda: gk.viz.plot_trajectories(bowl, []), FigureInputError, "empty"),
        (lambda: gk.viz.plot_trajectories(bowl, 5), TypeError, "mapping"),
        (lambda: gk.viz.plot_trajectories(bowl, {"a": [1.0, 2.0]}), FigureInputError, "(n, 2)"),
        (
            lambda: gk.viz.plot_trajectories(bowl, {"a": [[1.0, 2.0]]}, minimum=(1, 2, 3)),
            FigureInputError,
            "minimum",
        ),
        (lambda: gk.viz.plot_loss_curves({"a": []}), FigureInputError, "non-empty"),
        (lambda: gk.viz.plot_training_history({"accuracy": [1.0]}), FigureInputError, "loss"),
        (lambda: gk.viz.plot_activations(["swish2"]), FigureInputError, "unknown activation"),
        (lambda: gk.viz.plot_activations([]), FigureInputError, "empty"),
        (lambda: gk.viz.plot_losses({"bad": 1}), TypeError, "callable"),
        (lambda: gk.viz.plot_losses(eps=0.7), FigureInputError, "eps"),
        (lambda: gk.viz.plot_step_error(np.sin, steps=[1e-3, -1.0]), FigureInputError, "steps"),
        (lambda: gk.viz.plot_step_error(np.sin, methods=[]), FigureInputError, "methods"),
        (
            lambda: gk.viz.plot_step_error(np.sin, methods=["sideways"]),
            FigureInputError,
            "unknown methods",
        ),
    ],
)
def test_bad_input_raises_a_clear_error(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ----------------------------------------------------------------- seventh session
def test_one_infinite_gradient_does_not_shrink_every_arrow_to_nothing():
    """cbrt has an infinite slope at x = 0, on the grid of 7 arrows: quiver's scale
    became inf and all 49 arrows had length 0. The finite ones keep their lengths:
    longest finite |grad| / (0.9 spacing)."""
    fig = gk.viz.plot_contour_gradients(lambda p: np.cbrt(p[0]) + p[1], arrows=7)
    (quiver,) = [c for c in fig.axes[0].collections if isinstance(c, Quiver)]
    assert np.isfinite(quiver.scale) and quiver.scale > 0
    U, V = np.asarray(quiver.U), np.asarray(quiver.V)
    lengths = np.hypot(U, V)
    assert np.all(lengths[np.isfinite(lengths)] > 0)


def test_the_derivative_is_not_drawn_where_f_has_no_value():
    """log on (-2, 2): f is NaN for x < 0 but its rule 1/x drew f' there, and a tangent
    at x = -1 was drawn and labelled slope -1."""
    fig = gk.viz.plot_derivative(np.log, (-2.0, 2.0))
    f_line, df_line = fig.axes[0].get_lines()[:2]
    xs, dys = df_line.get_xdata(), df_line.get_ydata()
    assert not np.any(np.isfinite(dys[xs < 0]))
    np.testing.assert_allclose(dys[xs > 0.05], 1 / xs[xs > 0.05], rtol=1e-12)  # closed form
    with pytest.raises(FigureInputError, match="no finite value at at=-1"):
        gk.viz.plot_derivative(np.log, (-2.0, 2.0), at=-1.0)
    with pytest.raises(FigureInputError, match="anywhere on the interval"):
        gk.viz.plot_derivative(np.log, (-3.0, -1.0))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: gk.viz.plot_derivative(np.sin, (-1e308, 1e308)), "too wide"),
        (lambda: gk.viz.plot_derivative(np.sin, at="a"), "at must be a number"),
        (lambda: gk.viz.plot_losses(labels=["a"]), "labels must be numbers"),
    ],
)
def test_bad_figure_input_is_a_figure_input_error(call, message):
    """Each raised NumPy's overflow warnings and drew one point, or a bare ValueError."""
    with pytest.raises(FigureInputError, match=message):
        call()


def test_graph_keeps_operand_order_array_constants_and_a_zero_gradient():
    """Constants were appended after the traced operands (3 - x/y read as x/y - 3, 2**x
    as x**2), constants of more than one element were dropped, and an input the output
    ignores had grad None."""
    from gradkit.autodiff.graph import trace_graph

    g = trace_graph(lambda x, y: 3.0 - x / y, 2.0, 4.0)
    sub = g.nodes[g.output]
    assert sub.op == "subtract"
    first, second = (g.nodes[i] for i in sub.parents)
    assert (first.kind, first.label, second.op) == ("constant", "3", "true_divide")
    g = trace_graph(lambda x: 2**x, 3.0)
    base, exponent = (g.nodes[i] for i in g.nodes[g.output].parents)
    assert base.kind == "constant" and exponent.kind == "input"
    assert float(g.nodes[0].grad) == pytest.approx(8 * np.log(2))  # d/dx 2^x = 2^x ln 2
    g = trace_graph(lambda x: np.sum(x * np.array([1.0, 2.0, 3.0])), np.ones(3))
    mul = next(n for n in g.nodes if n.op == "multiply")
    assert [g.nodes[i].kind for i in mul.parents] == ["input", "constant"]
    g = trace_graph(lambda x, y: x * 2.0, 1.0, 5.0)
    assert g.inputs[1].grad == 0.0


def test_training_history_title_names_each_final_accuracy():
    """The title took the first accuracy key's last value: with val_accuracy listed first
    it read "final 60.0%" beside a training accuracy of 90%."""
    fig = gk.viz.plot_training_history(
        {"loss": [1.0, 0.5], "val_accuracy": [0.5, 0.6], "accuracy": [0.7, 0.9]}
    )
    title = fig.axes[1].get_title()
    assert "val accuracy 60.0%" in title and ", accuracy 90.0%" in title
