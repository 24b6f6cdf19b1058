"""minimize (trajectories, convergence, divergence, errors), the tutorial's race,
minibatch SGD with a seeded generator, and the learning-rate schedules."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gradkit.optim as go
from gradkit.functions import booth, himmelblau, rosenbrock

# ---- the tutorial's two loops, verbatim in substance (the reference for the race) -------


def tutorial_rosenbrock_gradient(x, y):
    dx = -2 * (1 - x) - 400 * x * (y - x**2)
    dy = 200 * (y - x**2)
    return np.array([dx, dy])


def tutorial_gradient_descent(grad_f, initial_point, learning_rate=0.001, max_iter=1000):
    point = np.array(initial_point)
    trajectory = [point.copy()]
    for _ in range(max_iter):
        gradient = grad_f(*point)
        point = point - learning_rate * gradient
        trajectory.append(point.copy())
        if np.linalg.norm(gradient) < 1e-6:
            break
    return np.array(trajectory)


def tutorial_momentum(grad_f, initial_point, learning_rate=0.001, momentum=0.9, max_iter=1000):
    point = np.array(initial_point)
    velocity = np.zeros_like(point)
    trajectory = [point.copy()]
    for _ in range(max_iter):
        gradient = grad_f(*point)
        velocity = momentum * velocity + (1 - momentum) * gradient
        point = point - learning_rate * velocity
        trajectory.append(point.copy())
        if np.linalg.norm(gradient) < 1e-6:
            break
    return np.array(trajectory)


START = [-1.5, -1.5]


def test_gradient_descent_reproduces_the_tutorial_run():
    ref = tutorial_gradient_descent(tutorial_rosenbrock_gradient, START, learning_rate=1e-4)
    res = go.minimize(rosenbrock, START, go.sgd(1e-4), steps=1000, grad=rosenbrock.grad)
    assert res.trajectory.shape == (1001, 2) == ref.shape
    np.testing.assert_array_equal(res.trajectory, ref)


def test_momentum_reproduces_the_tutorial_run():
    ref = tutorial_momentum(tutorial_rosenbrock_gradient, START, learning_rate=1e-4)
    res = go.minimize(rosenbrock, START, go.momentum(1e-4, 0.9), steps=1000, grad=rosenbrock.grad)
    np.testing.assert_array_equal(res.trajectory, ref)


def test_result_fields_are_consistent_with_the_function():
    res = go.minimize(rosenbrock, START, go.adam(0.1), steps=50, grad=rosenbrock.grad)
    np.testing.assert_array_equal(res.trajectory[0], START)
    assert res.trajectory.shape == (51, 2) and res.values.shape == res.grad_norms.shape == (51,)
    for row, value, norm in zip(res.trajectory, res.values, res.grad_norms, strict=True):
        assert value == rosenbrock(row)
        assert norm == pytest.approx(np.linalg.norm(rosenbrock.grad(row)), rel=1e-15)
    assert res.fun == res.values[-1] and np.array_equal(res.x, res.trajectory[-1])
    assert res.n_iter == 50 and not res.converged and not res.diverged
    assert "step limit" in res.message and "MinimizeResult(x=" in repr(res)


def test_converges_when_the_gradient_norm_drops_below_tol():
    res = go.minimize(booth, [0.0, 0.0], go.sgd(0.05), steps=1000, tol=1e-8, grad=booth.grad)
    assert res.converged and res.n_iter < 1000
    assert res.grad_norms[-1] < 1e-8 and np.all(res.grad_norms[:-1] >= 1e-8)
    np.testing.assert_allclose(res.x, [1.0, 3.0], atol=1e-8)
    assert res.trajectory.shape == (res.n_iter + 1, 2)


def test_zero_steps_records_only_the_start():
    res = go.minimize(booth, [2.0, 2.0], go.sgd(0.1), steps=0, grad=booth.grad)
    assert res.n_iter == 0 and res.trajectory.shape == (1, 2) and res.values[0] == booth(2.0, 2.0)


def test_a_scalar_start_minimizes_a_function_of_a_scalar():
    res = go.minimize(
        lambda x: (x - 2.0) ** 2, 0.0, go.sgd(0.25), steps=200, grad=lambda x: 2 * (x - 2.0)
    )
    assert res.x.shape == () and res.x == pytest.approx(2.0)
    assert res.trajectory.shape == (res.n_iter + 1, 1)


def test_divergence_ends_the_run_without_an_exception_or_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = go.minimize(rosenbrock, START, go.sgd(0.01), steps=1000, grad=rosenbrock.grad)
    assert res.diverged and not res.converged
    assert res.diverged_at == res.n_iter == len(res.trajectory) - 1 < 1000
    assert not math.isfinite(res.values[-1]) or not math.isfinite(res.grad_norms[-1])
    assert np.all(np.isfinite(res.values[:-1]))
    assert f"diverged at step {res.diverged_at}" in res.message


def test_callback_sees_each_iterate_and_can_stop_the_run():
    seen = []

    def callback(k, x, value):
        seen.append((k, x, value))
        return k == 5

    res = go.minimize(booth, [0.0, 0.0], go.sgd(0.01), grad=booth.grad, callback=callback)
    assert res.n_iter == 5 and [k for k, _, _ in seen] == list(range(6))
    for k, x, value in seen:
        np.testing.assert_array_equal(x, res.trajectory[k])
        assert value == res.values[k]
    assert "callback" in res.message


@given(st.lists(st.floats(-3, 3), min_size=2, max_size=2), st.floats(1e-3, 0.05))
def test_plain_gd_step_is_x_minus_lr_grad(x0, lr):
    res = go.minimize(himmelblau, x0, go.sgd(lr), steps=3, tol=0.0, grad=himmelblau.grad)
    for k in range(res.n_iter):
        expected = res.trajectory[k] - lr * himmelblau.grad(res.trajectory[k])
        np.testing.assert_allclose(res.trajectory[k + 1], expected, rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(x0=np.zeros((2, 2))), ValueError, r"x0 must be a vector \(1-D\) or a scalar"),
        (dict(x0=[1.0, 2.0, 3.0]), ValueError, "booth takes 2 variables but x0 has 3"),
        (dict(x0=[]), ValueError, "x0 is empty"),
        (dict(x0=[np.nan, 1.0]), ValueError, "x0 must be finite"),
        (dict(x0=["a", "b"]), TypeError, "x0 must be a vector of numbers"),
        (dict(optimizer=0.1), TypeError, "optimizer must be a gradkit optimizer"),
        (dict(steps=-1), ValueError, "steps must be an int >= 0"),
        (dict(tol=-1.0), ValueError, "tol must be a number >= 0"),
        (dict(f=lambda x: x), ValueError, r"f must return a scalar; at x0 it returned shape"),
        (dict(grad=lambda x: np.zeros(3)), ValueError, r"the gradient has shape \(3,\)"),
        (dict(grad="booth"), TypeError, "grad must be a function"),
    ],
)
def test_bad_input_is_explained(kwargs, error, match):
    args = dict(f=booth, x0=[0.0, 0.0], optimizer=go.sgd(0.1), grad=booth.grad)
    args.update(kwargs)
    with pytest.raises(error, match=match):
        go.minimize(args.pop("f"), args.pop("x0"), args.pop("optimizer"), **args)


def test_without_grad_the_engine_differentiates_f():
    import gradkit.autodiff as ad

    if not hasattr(ad, "value_and_grad"):
        pytest.skip("the autodiff engine has not landed yet")
    auto = go.minimize(rosenbrock, START, go.adam(0.1), steps=100)
    closed = go.minimize(rosenbrock, START, go.adam(0.1), steps=100, grad=rosenbrock.grad)
    np.testing.assert_allclose(auto.trajectory, closed.trajectory, rtol=1e-10, atol=1e-12)
    res = go.minimize(lambda x: np.sum((x - np.arange(3.0)) ** 2), np.zeros(3), go.sgd(0.25))
    assert res.converged and np.allclose(res.x, [0.0, 1.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        blown = go.minimize(rosenbrock, START, go.sgd(0.01))
    assert blown.diverged and blown.diverged_at == 5


# ---- the race ----------------------------------------------------------------------------


def test_race_reproduces_the_tutorial_runs_and_tabulates_them():
    result = go.race()
    rows = {row["optimizer"]: row for row in result.rows()}
    assert list(rows) == ["gradient descent", "momentum (tutorial)", "nesterov", "rmsprop", "adam"]
    gd = tutorial_gradient_descent(tutorial_rosenbrock_gradient, START, learning_rate=1e-4)
    mom = tutorial_momentum(tutorial_rosenbrock_gradient, START, learning_rate=1e-4)
    for name, ref in [("gradient descent", gd), ("momentum (tutorial)", mom)]:
        x, y = ref[-1]
        assert rows[name]["final_value"] == (1 - x) ** 2 + 100 * (y - x**2) ** 2
        assert rows[name]["distance"] == pytest.approx(math.hypot(x - 1, y - 1), rel=1e-15)
    for row in rows.values():
        assert row["steps_to_tol"] is None and row["diverged_at"] is None
        x = result.results[row["optimizer"]].x
        assert row["distance"] == pytest.approx(np.linalg.norm(x - 1.0))
    md = result.table().splitlines()
    assert len(md) == 7 and md[1] == "|---|---|---|---|---|"
    assert "| gradient descent | lr=1e-4 (tutorial) | " in md[2] and md[2].endswith("not in 1000 |")
    assert str(result).splitlines()[0].startswith("optimizer")


def test_race_distance_is_to_the_nearest_minimizer_and_steps_to_tol_is_counted():
    racers = [go.Racer("gd", go.sgd(0.01), "lr=0.01")]
    result = go.race(himmelblau, x0=(-1.0, -1.0), steps=2000, tol=1e-6, racers=racers)
    row = result.rows()[0]
    res = result.results["gd"]
    assert res.converged and row["steps_to_tol"] == res.n_iter
    nearest = min(np.linalg.norm(res.x - m) for m in himmelblau.minimum)
    assert row["distance"] == nearest < 1e-6
    assert result.table("text").splitlines()[1].split()[-1] == str(res.n_iter)


def test_race_reports_divergence_and_rejects_duplicate_names():
    Racer = go.Racer
    result = go.race(racers=[Racer("wild", go.sgd(0.01), "lr=0.01")])
    assert "diverged at" in result.table()
    with pytest.raises(ValueError, match="racer names must be distinct"):
        go.race(racers=[Racer("a", go.sgd(0.01), ""), Racer("a", go.adam(0.01), "")])
    with pytest.raises(ValueError, match="fmt must be"):
        result.table("html")


# ---- minibatch SGD -------------------------------------------------------------------------


def linear_data(n=50, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = X @ np.array([1.5, -2.0]) + 0.5 + 0.1 * rng.normal(size=n)
    return X, y


def mse(params, X, y):
    return np.mean((X @ params["w"] + params["b"] - y) ** 2)


def mse_grad(params, X, y):
    r = X @ params["w"] + params["b"] - y
    return {"w": 2 * X.T @ r / len(y), "b": 2 * np.mean(r)}


def reference_minibatch_sgd(X, y, lr, batch_size, epochs, seed):
    """The tutorial's rule, theta <- theta - lr * grad L(theta, B_t), by hand."""
    rng = np.random.default_rng(seed)
    w, b = np.zeros(2), 0.0
    for _ in range(epochs):
        order = rng.permutation(len(y))
        for start in range(0, len(y), batch_size):
            idx = order[start : start + batch_size]
            r = X[idx] @ w + b - y[idx]
            w = w - lr * (2 * X[idx].T @ r / len(idx))
            b = b - lr * (2 * np.mean(r))
    return w, b


def start():
    return {"w": np.zeros(2), "b": 0.0}


def test_minibatch_sgd_is_the_tutorials_rule_with_seeded_batches():
    X, y = linear_data()
    res = go.minibatch_sgd(
        mse, start(), (X, y), 0.05, batch_size=8, epochs=5, seed=3, grad=mse_grad
    )
    w, b = reference_minibatch_sgd(X, y, 0.05, 8, 5, seed=3)
    np.testing.assert_allclose(res.params["w"], w, rtol=1e-14)
    assert res.params["b"] == pytest.approx(b, rel=1e-14)
    assert res.n_steps == 5 * 7 and res.trajectory.shape == (36, 3)
    assert res.epoch_losses.shape == (6,) and res.batch_losses.shape == (35,)


def test_same_seed_same_run_different_seed_different_run():
    X, y = linear_data()
    kw = dict(batch_size=5, epochs=3, grad=mse_grad)
    a = go.minibatch_sgd(mse, start(), (X, y), 0.05, seed=11, **kw)
    b = go.minibatch_sgd(mse, start(), (X, y), 0.05, seed=11, **kw)
    c = go.minibatch_sgd(mse, start(), (X, y), 0.05, seed=12, **kw)
    np.testing.assert_array_equal(a.trajectory, b.trajectory)
    np.testing.assert_array_equal(a.batch_losses, b.batch_losses)
    assert not np.array_equal(a.trajectory, c.trajectory)


def test_minibatch_sgd_reaches_the_least_squares_solution():
    X, y = linear_data(200)
    res = go.minibatch_sgd(
        mse,
        start(),
        (X, y),
        go.sgd(0.05, momentum=0.5),
        batch_size=20,
        epochs=60,
        seed=0,
        grad=mse_grad,
    )
    A = np.hstack([X, np.ones((200, 1))])
    exact = np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(np.append(res.params["w"], res.params["b"]), exact, atol=0.02)
    assert res.epoch_losses[-1] < res.epoch_losses[0] / 10


def test_seed_none_keeps_the_data_order():
    X, y = linear_data(10)
    res = go.minibatch_sgd(
        mse,
        start(),
        (X, y),
        0.1,
        batch_size=10,
        epochs=1,
        seed=None,
        grad=mse_grad,
        record_trajectory=False,
    )
    g = mse_grad(start(), X, y)
    np.testing.assert_allclose(res.params["w"], -0.1 * g["w"], rtol=1e-15)
    assert res.trajectory is None


def test_minibatch_sgd_with_the_engine():
    import gradkit.autodiff as ad

    if not hasattr(ad, "grad"):
        pytest.skip("the autodiff engine has not landed yet")
    X, y = linear_data()
    auto = go.minibatch_sgd(mse, start(), (X, y), 0.05, batch_size=8, epochs=2, seed=1)
    closed = go.minibatch_sgd(
        mse, start(), (X, y), 0.05, batch_size=8, epochs=2, seed=1, grad=mse_grad
    )
    np.testing.assert_allclose(auto.trajectory, closed.trajectory, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(data=np.zeros((4, 2))), TypeError, "data must be a non-empty tuple"),
        (dict(data=(np.zeros((4, 2)), np.zeros(5))), ValueError, "same number of examples"),
        (dict(data=(np.zeros((0, 2)), np.zeros(0))), ValueError, "no examples"),
        (dict(batch_size=0), ValueError, "batch_size must be an int >= 1"),
        (dict(epochs=1.5), ValueError, "epochs must be an int >= 1"),
        (dict(optimizer=-0.1), ValueError, "lr must be > 0"),
        (dict(grad=3), TypeError, "grad must be a function"),
    ],
)
def test_minibatch_bad_input_is_explained(kwargs, error, match):
    X, y = linear_data(10)
    args = dict(data=(X, y), optimizer=0.1, grad=mse_grad)
    args.update(kwargs)
    with pytest.raises(error, match=match):
        go.minibatch_sgd(mse, start(), args.pop("data"), args.pop("optimizer"), **args)


# ---- schedules -----------------------------------------------------------------------------


def test_schedule_values_against_closed_forms():
    assert [go.constant_schedule(0.3)(k) for k in (0, 99)] == [0.3, 0.3]
    step = go.step_schedule(0.1, step_size=3, gamma=0.5)
    assert [step(k) for k in range(7)] == [0.1] * 3 + [0.05] * 3 + [0.025]
    expo = go.exponential_schedule(2.0, 0.9)
    assert expo(5) == pytest.approx(2.0 * 0.9**5, rel=1e-15)
    cos = go.cosine_schedule(1.0, T_max=10, eta_min=0.2)
    for k in range(11):
        assert cos(k) == pytest.approx(0.2 + 0.8 * (1 + math.cos(math.pi * k / 10)) / 2)
    assert cos(25) == 0.2


@given(st.integers(0, 300))
def test_warmup_cosine_piecewise(k):
    s = go.warmup_cosine_schedule(1.0, warmup_steps=20, total_steps=120, init_lr=0.1, end_lr=0.01)
    if k < 20:
        expected = 0.1 + 0.9 * k / 20
    elif k <= 120:
        expected = 0.01 + 0.99 * (1 + math.cos(math.pi * (k - 20) / 100)) / 2
    else:
        expected = 0.01
    assert s(k) == pytest.approx(expected, rel=1e-14)
    assert 0.01 <= s(k) <= 1.0


@pytest.mark.parametrize(
    "build, error, match",
    [
        (lambda: go.step_schedule(0.1, step_size=0), ValueError, "step_size must be >= 1"),
        (lambda: go.step_schedule(0.1, step_size=2.5), TypeError, "step_size must be an int"),
        (lambda: go.cosine_schedule(0.1, T_max=0), ValueError, "T_max must be >= 1"),
        (lambda: go.exponential_schedule(0.0, 0.9), ValueError, r"lr must lie in \(0.0, inf\)"),
        (lambda: go.warmup_cosine_schedule(1.0, 10, 10), ValueError, "total_steps must be >= 11"),
        (lambda: go.constant_schedule(0.1)(-1), ValueError, "step count must be >= 0"),
        (lambda: go.constant_schedule(0.1)(1.5), TypeError, "whole step count"),
    ],
)
def test_schedule_errors(build, error, match):
    with pytest.raises(error, match=match):
        build()
