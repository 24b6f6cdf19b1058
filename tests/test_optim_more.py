"""RAdam, Rprop, ASGD, Adafactor, Lion, LAMB; the torch-style schedules; parameter groups,
gradient accumulation and the parameter EMA.

Independent answers: the papers' algorithms written out here step by step (Lion, LAMB),
hand-computed values, and torch.optim / torch.optim.lr_scheduler over 60 steps where torch
is installed (skipped otherwise).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import gradkit as gk

RNG = np.random.default_rng(11)
A = RNG.standard_normal((4, 3))


def _loss(p):
    return np.sum((np.tanh(A @ p["w"]) + p["b"]) ** 2)


def _run(opt, steps=60):
    params = {"w": RNG.standard_normal((3, 2)), "b": RNG.standard_normal(2)}
    start = {k: v.copy() for k, v in params.items()}
    state = opt.init(params)
    trajectory = []
    for _ in range(steps):
        g = gk.grad(_loss)(params)
        updates, state = opt.update(g, state, params)
        params = gk.optim.apply_updates(params, updates)
        trajectory.append({k: v.copy() for k, v in params.items()})
    return start, trajectory


def _reference(start, steps, step_fn):
    """Run a per-leaf reference algorithm ``step_fn(t, g, p, buf) -> (p, buf)``."""
    params = {k: v.copy() for k, v in start.items()}
    bufs = {k: None for k in params}
    out = []
    for t in range(1, steps + 1):
        g = gk.grad(_loss)(params)
        for k in params:
            params[k], bufs[k] = step_fn(t, g[k], params[k], bufs[k])
        out.append({k: v.copy() for k, v in params.items()})
    return out


def test_lion_follows_the_paper():
    b1, b2, lr, wd = 0.9, 0.99, 0.01, 0.1

    def step(t, g, p, m):
        m = np.zeros_like(p) if m is None else m
        c = b1 * m + (1 - b1) * g
        p = p - lr * (np.sign(c) + wd * p)
        return p, b2 * m + (1 - b2) * g

    start, got = _run(gk.optim.lion(lr, weight_decay=wd))
    for ours, ref in zip(got, _reference(start, 60, step)):
        for k in ours:
            np.testing.assert_allclose(ours[k], ref[k], rtol=1e-13, atol=1e-15)


def test_lamb_follows_the_paper():
    b1, b2, lr, wd, eps = 0.9, 0.999, 0.01, 0.01, 1e-6

    def step(t, g, p, buf):
        m, v = buf if buf is not None else (np.zeros_like(p), np.zeros_like(p))
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        r = (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps) + wd * p
        ratio = np.linalg.norm(p) / np.linalg.norm(r)
        return p - lr * ratio * r, (m, v)

    start, got = _run(gk.optim.lamb(lr, weight_decay=wd))
    for ours, ref in zip(got, _reference(start, 60, step)):
        for k in ours:
            np.testing.assert_allclose(ours[k], ref[k], rtol=1e-12, atol=1e-15)


def test_rprop_grows_and_shrinks_its_steps():
    opt = gk.optim.rprop(0.1, etas=(0.5, 2.0))
    state = opt.init(np.zeros(1))
    steps = []
    for g in (1.0, 1.0, -1.0, -1.0):
        u, state = opt.update(np.array([g]), state, np.zeros(1))
        steps.append(float(u[0]))
    # same sign: 0.1, then doubled; a flip halves the size and skips the step; then moves
    assert steps == pytest.approx([-0.1, -0.2, 0.0, 0.1])


def test_schedules_closed_forms():
    s = gk.optim.one_cycle(1.0, total_steps=10, anneal_strategy="linear")
    assert s(0) == pytest.approx(1 / 25) and s(2) == pytest.approx(1.0)
    assert s(9) == pytest.approx(1 / 25 / 1e4)
    assert gk.optim.polynomial(2.0, total_iters=4, power=0.5)(1) == pytest.approx(
        2 * math.sqrt(0.75)
    )
    r = gk.optim.cosine_with_restarts(1.0, T_0=2, T_mult=2)
    # periods [0, 2), [2, 6), [6, 14): step 4 is halfway through the second
    assert [r(k) for k in (0, 2, 4, 6)] == pytest.approx([1.0, 1.0, 0.5, 1.0])
    plateau = gk.optim.reduce_on_plateau(1.0, mode="max", patience=0, factor=0.5)
    assert [plateau.step(v) for v in (1.0, 2.0, 1.5, 1.5)] == pytest.approx([1.0, 1.0, 0.5, 0.25])
    assert plateau(123) == 0.25
    with pytest.raises(ValueError, match="past total_steps"):
        s(10)
    with pytest.raises(ValueError, match="need 1 milestones"):
        gk.optim.sequential([s, s], [])


def test_parameter_groups_freeze_and_scale():
    params = {"body": np.ones(2), "head": np.ones(3)}
    grads = {"body": np.full(2, 2.0), "head": np.full(3, 2.0)}
    opt = gk.optim.partition(
        {"frozen": gk.optim.frozen(), "train": gk.optim.adam(0.1)},
        lambda p: {"body": "frozen", "head": "train"},
    )
    updates, _ = opt.update(grads, opt.init(params), params)
    np.testing.assert_array_equal(updates["body"], 0.0)
    np.testing.assert_allclose(updates["head"], -0.1)  # Adam's first step: lr * sign(g)
    with pytest.raises(ValueError, match="label 'x' has no optimizer"):
        gk.optim.partition({"a": gk.optim.sgd(0.1)}, {"body": "x", "head": "a"}).init(params)


def test_accumulation_equals_one_step_on_the_mean_gradient():
    gs = [RNG.standard_normal(3) for _ in range(4)]
    acc = gk.optim.accumulate(gk.optim.adam(0.1), every=4)
    state = acc.init(np.zeros(3))
    for g in gs:
        u, state = acc.update(g, state, np.zeros(3))
    plain = gk.optim.adam(0.1)
    expected, _ = plain.update(np.mean(gs, axis=0), plain.init(np.zeros(3)), np.zeros(3))
    np.testing.assert_allclose(u, expected, rtol=1e-15)


def test_parameter_ema_is_the_weighted_average():
    ema = gk.optim.ParameterEMA(0.9)
    values = [np.array([1.0]), np.array([2.0]), np.array([4.0])]
    for v in values:
        avg = ema.update(v)
    expected = 0.9 * (0.9 * 1.0 + 0.1 * 2.0) + 0.1 * 4.0
    np.testing.assert_allclose(avg, [expected])


@pytest.mark.parametrize(
    "name,ours,theirs,kwargs",
    [
        (
            "RAdam",
            lambda: gk.optim.radam(0.01, weight_decay=0.1),
            "RAdam",
            dict(lr=0.01, weight_decay=0.1),
        ),
        (
            "RAdam decoupled",
            lambda: gk.optim.radam(0.01, weight_decay=0.1, decoupled_weight_decay=True),
            "RAdam",
            dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True),
        ),
        ("Rprop", lambda: gk.optim.rprop(0.01), "Rprop", dict(lr=0.01)),
        (
            "ASGD",
            lambda: gk.optim.asgd(0.05, lambd=0.01, t0=10, weight_decay=0.1),
            "ASGD",
            dict(lr=0.05, lambd=0.01, t0=10, weight_decay=0.1),
        ),
        (
            "Adafactor",
            lambda: gk.optim.adafactor(0.05, weight_decay=0.1, d=1.5),
            "Adafactor",
            dict(lr=0.05, weight_decay=0.1, d=1.5),
        ),
    ],
)
def test_optimizers_match_torch_over_60_steps(name, ours, theirs, kwargs):
    torch = pytest.importorskip("torch")
    if not hasattr(torch.optim, theirs):
        pytest.skip(f"this torch has no {theirs}")
    torch.set_default_dtype(torch.float64)
    start, got = _run(ours())
    tw = torch.tensor(start["w"], requires_grad=True)
    tb = torch.tensor(start["b"], requires_grad=True)
    opt = getattr(torch.optim, theirs)([tw, tb], **kwargs)
    a = torch.tensor(A)
    for ours_step in got:
        opt.zero_grad()
        ((torch.tanh(a @ tw) + tb) ** 2).sum().backward()
        opt.step()
        np.testing.assert_allclose(ours_step["w"], tw.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ours_step["b"], tb.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_schedules_match_torch():
    torch = pytest.importorskip("torch")
    sched = torch.optim.lr_scheduler

    def lrs(make, n, base, metrics=None):
        p = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([p], lr=base)
        s = make(opt)
        out = []
        for k in range(n):
            out.append(opt.param_groups[0]["lr"])
            opt.step()
            s.step() if metrics is None else s.step(metrics[k])
        return out

    cases = [
        (
            gk.optim.one_cycle(0.5, 50),
            lambda o: sched.OneCycleLR(o, 0.5, total_steps=50, cycle_momentum=False),
            50,
            0.5,
        ),
        (
            gk.optim.one_cycle(0.5, 50, 0.25, "linear", three_phase=True),
            lambda o: sched.OneCycleLR(
                o,
                0.5,
                total_steps=50,
                pct_start=0.25,
                anneal_strategy="linear",
                three_phase=True,
                cycle_momentum=False,
            ),
            50,
            0.5,
        ),
        (
            gk.optim.linear_warmup(0.2, 7, 0.1, 0.9),
            lambda o: sched.LinearLR(o, 0.1, 0.9, 7),
            12,
            0.2,
        ),
        (gk.optim.polynomial(0.2, 7, 1.7), lambda o: sched.PolynomialLR(o, 7, 1.7), 12, 0.2),
        (
            gk.optim.cosine_with_restarts(0.2, 3, 2, 0.01),
            lambda o: sched.CosineAnnealingWarmRestarts(o, 3, 2, 0.01),
            30,
            0.2,
        ),
    ]
    for ours, make, n, base in cases:
        np.testing.assert_allclose(
            [ours(k) for k in range(n)], lrs(make, n, base), rtol=1e-12, atol=1e-15
        )
    metrics = list(np.r_[np.linspace(5, 1, 10), np.ones(15), np.linspace(1, 0.5, 5), np.ones(20)])
    plateau = gk.optim.reduce_on_plateau(0.2, patience=3, cooldown=2, factor=0.5, min_lr=0.01)
    ours = [0.2] + [plateau.step(v) for v in metrics[:-1]]
    theirs = lrs(
        lambda o: sched.ReduceLROnPlateau(o, patience=3, cooldown=2, factor=0.5, min_lr=0.01),
        len(metrics),
        0.2,
        metrics,
    )
    np.testing.assert_allclose(ours, theirs)


def test_lbfgs_solves_a_quadratic_and_refuses_what_it_lacks():
    h = np.array([[3.0, 1.0], [1.0, 2.0]])
    b = np.array([1.0, -1.0])
    res = gk.optim.minimize(
        lambda x: 0.5 * x @ h @ x - b @ x,
        np.zeros(2),
        gk.optim.lbfgs(lr=1.0, tolerance_grad=1e-13, tolerance_change=1e-16),
        steps=3,
        tol=1e-12,
    )
    np.testing.assert_allclose(res.x, np.linalg.solve(h, b), atol=1e-8)  # H x = b
    with pytest.raises(ValueError, match="None or 'strong_wolfe'"):
        gk.optim.lbfgs(line_search_fn="backtracking")
    opt = gk.optim.lbfgs()
    with pytest.raises(ValueError, match="gk.optim.minimize"):
        opt.update(np.ones(2), opt.init(np.zeros(2)), np.zeros(2))


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"lr": 0.5, "max_iter": 7, "history_size": 3},
        {"line_search_fn": "strong_wolfe"},
        {"line_search_fn": "strong_wolfe", "lr": 0.5, "max_iter": 7, "history_size": 3},
    ],
)
def test_lbfgs_steps_equal_torch(kwargs):
    torch = pytest.importorskip("torch")
    torch.set_default_dtype(torch.float64)
    x0 = np.array([-1.2, 1.0, 0.5, -0.3])

    def rosen(x, xp=np):
        return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()

    res = gk.optim.minimize(rosen, x0, gk.optim.lbfgs(**kwargs), steps=5, tol=0)
    tx = torch.tensor(x0, requires_grad=True)
    opt = torch.optim.LBFGS([tx], **kwargs)

    def closure():
        opt.zero_grad()
        loss = rosen(tx)
        loss.backward()
        return loss

    for k in range(5):
        opt.step(closure)
        np.testing.assert_allclose(
            res.trajectory[k + 1], tx.detach().numpy(), rtol=1e-10, atol=1e-12
        )


def test_the_fair_race_rates_are_the_tuned_ones():
    # Re-derive FAIR_RATES: each optimizer's best rate of LR_GRID on the tutorial's race.
    from gradkit.optim.race import FAIR_RATES, tuned_racers

    tuned = {r.name: r.settings.split()[0] for r in tuned_racers()}
    assert tuned == {name: f"lr={lr:.0e}".replace("e-0", "e-") for name, lr in FAIR_RATES.items()}
    fair = gk.optim.race(racers=gk.optim.fair_racers())
    values = {row["optimizer"]: row["final_value"] for row in fair.rows()}
    # tuned, the tutorial's momentum and PyTorch's (rate / 10) are the same method
    assert values["momentum (tutorial)"] == pytest.approx(values["momentum (PyTorch)"], rel=1e-9)
