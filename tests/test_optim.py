"""Each named optimizer against an independent, scalar-by-scalar implementation of the
update formula torch.optim documents, over 60 steps, with default and non-default
settings; plus the building blocks, containers and errors."""

import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gradkit.optim as go

STEPS = 60
C = [1.0, 3.0, 0.5, 2.0, 0.2, 5.0, 1.5, 0.7, 4.0]
T = [0.5, -1.0, 2.0, 0.3, -0.7, 1.2, 0.0, -2.0, 0.8]
X0 = [1.0, -0.5, 0.3, 2.0, -1.5, 0.8, -0.2, 1.1, 0.4]


def grad_scalar(i, x):
    """d/dx_i of sum_i C_i (x_i - T_i)**2 + 0.1 sin(3 x_i): a smooth, non-quadratic loss."""
    return 2.0 * C[i] * (x - T[i]) + 0.3 * math.cos(3.0 * x)


def to_tree(flat):
    flat = np.asarray(flat, dtype=float)
    return {"w": flat[3:].reshape(2, 3), "b": flat[:3].copy()}


def from_tree(tree):
    return np.concatenate([tree["b"], tree["w"].ravel()])


def run_gradkit(opt, steps=STEPS, x0=X0):
    """Run a gradkit optimizer on a dict of arrays; return the flat iterates (steps x 9)."""
    params = to_tree(x0)
    state = opt.init(params)
    rows = []
    for _ in range(steps):
        flat = from_tree(params)
        grads = to_tree([grad_scalar(i, v) for i, v in enumerate(flat)])
        updates, state = opt.update(grads, state, params)
        params = go.apply_updates(params, updates)
        rows.append(from_tree(params))
    return np.array(rows)


def lr_of(lr, t):
    return lr(t - 1) if callable(lr) else lr


# ---- reference implementations: torch.optim's documented algorithms, one scalar at a time


def ref_sgd(lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0, steps=STEPS):
    p, b, rows = list(X0), [0.0] * len(X0), []
    for t in range(1, steps + 1):
        for i in range(len(p)):
            g = grad_scalar(i, p[i])
            if weight_decay:
                g = g + weight_decay * p[i]
            if momentum:
                b[i] = momentum * b[i] + (1 - dampening) * g if t > 1 else g
                g = g + momentum * b[i] if nesterov else b[i]
            p[i] = p[i] - lr_of(lr, t) * g
        rows.append(list(p))
    return np.array(rows)


def ref_adam(lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, decoupled=False):
    b1, b2 = betas
    n = len(X0)
    p, m, v, vmax, rows = list(X0), [0.0] * n, [0.0] * n, [0.0] * n, []
    for t in range(1, STEPS + 1):
        for i in range(n):
            g = grad_scalar(i, p[i])
            if decoupled:
                p[i] = p[i] - lr_of(lr, t) * weight_decay * p[i]
            elif weight_decay:
                g = g + weight_decay * p[i]
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            mhat = m[i] / (1 - b1**t)
            if amsgrad:
                vmax[i] = max(vmax[i], v[i])
                vhat = vmax[i] / (1 - b2**t)
            else:
                vhat = v[i] / (1 - b2**t)
            p[i] = p[i] - lr_of(lr, t) * mhat / (math.sqrt(vhat) + eps)
        rows.append(list(p))
    return np.array(rows)


def ref_nadam(
    lr,
    betas=(0.9, 0.999),
    eps=1e-8,
    weight_decay=0.0,
    momentum_decay=4e-3,
    decoupled_weight_decay=False,
):
    b1, b2 = betas
    n = len(X0)
    p, m, v, rows = list(X0), [0.0] * n, [0.0] * n, []
    mus = [None]  # mus[t] = mu_t
    for t in range(1, STEPS + 2):
        mus.append(b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay)))
    for t in range(1, STEPS + 1):
        prod_t = math.prod(mus[1 : t + 1])
        prod_next = math.prod(mus[1 : t + 2])
        for i in range(n):
            g = grad_scalar(i, p[i])
            if weight_decay and decoupled_weight_decay:
                p[i] = p[i] - lr_of(lr, t) * weight_decay * p[i]
            elif weight_decay:
                g = g + weight_decay * p[i]
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            mhat = mus[t + 1] * m[i] / (1 - prod_next) + (1 - mus[t]) * g / (1 - prod_t)
            vhat = v[i] / (1 - b2**t)
            p[i] = p[i] - lr_of(lr, t) * mhat / (math.sqrt(vhat) + eps)
        rows.append(list(p))
    return np.array(rows)


def ref_adamax(lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    b1, b2 = betas
    n = len(X0)
    p, m, u, rows = list(X0), [0.0] * n, [0.0] * n, []
    for t in range(1, STEPS + 1):
        for i in range(n):
            g = grad_scalar(i, p[i]) + weight_decay * p[i]
            m[i] = b1 * m[i] + (1 - b1) * g
            u[i] = max(b2 * u[i], abs(g) + eps)
            p[i] = p[i] - lr_of(lr, t) * m[i] / ((1 - b1**t) * u[i])
        rows.append(list(p))
    return np.array(rows)


def ref_rmsprop(lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    n = len(X0)
    p, v, ga, b, rows = list(X0), [0.0] * n, [0.0] * n, [0.0] * n, []
    for t in range(1, STEPS + 1):
        for i in range(n):
            g = grad_scalar(i, p[i]) + weight_decay * p[i]
            v[i] = alpha * v[i] + (1 - alpha) * g * g
            vt = v[i]
            if centered:
                ga[i] = alpha * ga[i] + (1 - alpha) * g
                vt = vt - ga[i] ** 2
            if momentum > 0:
                b[i] = momentum * b[i] + g / (math.sqrt(vt) + eps)
                p[i] = p[i] - lr_of(lr, t) * b[i]
            else:
                p[i] = p[i] - lr_of(lr, t) * g / (math.sqrt(vt) + eps)
        rows.append(list(p))
    return np.array(rows)


def ref_adagrad(lr, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
    n = len(X0)
    p, s, rows = list(X0), [initial_accumulator_value] * n, []
    for t in range(1, STEPS + 1):
        clr = lr_of(lr, t) / (1 + (t - 1) * lr_decay)
        for i in range(n):
            g = grad_scalar(i, p[i]) + weight_decay * p[i]
            s[i] = s[i] + g * g
            p[i] = p[i] - clr * g / (math.sqrt(s[i]) + eps)
        rows.append(list(p))
    return np.array(rows)


def ref_adadelta(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    n = len(X0)
    p, v, u, rows = list(X0), [0.0] * n, [0.0] * n, []
    for t in range(1, STEPS + 1):
        for i in range(n):
            g = grad_scalar(i, p[i]) + weight_decay * p[i]
            v[i] = rho * v[i] + (1 - rho) * g * g
            dx = math.sqrt(u[i] + eps) / math.sqrt(v[i] + eps) * g
            u[i] = rho * u[i] + (1 - rho) * dx * dx
            p[i] = p[i] - lr_of(lr, t) * dx
        rows.append(list(p))
    return np.array(rows)


def close(ours, ref):
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-14)


def close_any_settings(ours, ref):
    # Random hyperparameters can make a run oscillate (b1=0.25, b2=0.5, lr=0.09 does), and an
    # oscillation amplifies the last-bit difference between a*(b/c) and (a*b)/c: still
    # rounding, but 1e-12 after 50 steps instead of 1e-15.
    np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-10)


# ---- the named optimizers, default and non-default settings ---------------------------

SGD_CASES = [
    dict(lr=0.01),
    dict(lr=0.01, momentum=0.9),
    dict(lr=0.01, momentum=0.9, dampening=0.3, weight_decay=0.05),
    dict(lr=0.02, momentum=0.8, nesterov=True, weight_decay=0.1),
]


@pytest.mark.parametrize("kw", SGD_CASES)
def test_sgd_matches_documented_formula(kw):
    close(run_gradkit(go.sgd(**kw)), ref_sgd(**kw))


@pytest.mark.parametrize(
    "kw",
    [
        dict(lr=0.01),
        dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
        dict(lr=0.05, amsgrad=True, weight_decay=0.05),
    ],
)
def test_adam_matches_documented_formula(kw):
    close(run_gradkit(go.adam(**kw)), ref_adam(**kw))


@pytest.mark.parametrize(
    "kw",
    [dict(lr=0.01), dict(lr=0.02, betas=(0.85, 0.995), weight_decay=0.3, amsgrad=True)],
)
def test_adamw_matches_documented_formula(kw):
    ref = ref_adam(**{**dict(weight_decay=1e-2), **kw}, decoupled=True)
    close(run_gradkit(go.adamw(**kw)), ref)


def test_amsgrad_changes_the_run():
    # the comparison above would pass vacuously if v never decreased on this problem
    kw = dict(lr=0.05, weight_decay=0.05)
    assert np.max(np.abs(ref_adam(**kw, amsgrad=True) - ref_adam(**kw))) > 1e-5


@pytest.mark.parametrize(
    "kw",
    [
        dict(lr=0.01),
        dict(lr=0.02, betas=(0.8, 0.99), weight_decay=0.1, momentum_decay=0.01),
        dict(lr=0.02, weight_decay=0.2, decoupled_weight_decay=True),
    ],
)
def test_nadam_matches_documented_formula(kw):
    close(run_gradkit(go.nadam(**kw)), ref_nadam(**kw))


@pytest.mark.parametrize(
    "kw", [dict(lr=0.01), dict(lr=0.02, betas=(0.7, 0.9), eps=1e-4, weight_decay=0.1)]
)
def test_adamax_matches_documented_formula(kw):
    close(run_gradkit(go.adamax(**kw)), ref_adamax(**kw))


@pytest.mark.parametrize(
    "kw",
    [
        dict(lr=0.01),
        dict(lr=0.01, centered=True),
        dict(lr=0.005, momentum=0.7),
        dict(lr=0.005, alpha=0.9, eps=1e-6, weight_decay=0.1, momentum=0.5, centered=True),
    ],
)
def test_rmsprop_matches_documented_formula(kw):
    close(run_gradkit(go.rmsprop(**kw)), ref_rmsprop(**kw))


@pytest.mark.parametrize(
    "kw",
    [
        dict(lr=0.1),
        dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.5, eps=1e-8),
    ],
)
def test_adagrad_matches_documented_formula(kw):
    close(run_gradkit(go.adagrad(**kw)), ref_adagrad(**kw))


@pytest.mark.parametrize("kw", [dict(), dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1)])
def test_adadelta_matches_documented_formula(kw):
    close(run_gradkit(go.adadelta(**kw)), ref_adadelta(**kw))


@given(
    lr=st.floats(1e-4, 0.05),
    momentum=st.floats(0.0, 0.99),
    dampening=st.floats(0.0, 1.0),
    weight_decay=st.floats(0.0, 0.5),
)
def test_sgd_any_settings(lr, momentum, dampening, weight_decay):
    kw = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay)
    close_any_settings(run_gradkit(go.sgd(**kw)), ref_sgd(**kw))


@given(
    lr=st.floats(1e-4, 0.1),
    b1=st.floats(0.0, 0.99),
    b2=st.floats(0.5, 0.9999),
    eps=st.floats(1e-10, 1e-3),
    amsgrad=st.booleans(),
)
def test_adam_any_settings(lr, b1, b2, eps, amsgrad):
    kw = dict(lr=lr, betas=(b1, b2), eps=eps, amsgrad=amsgrad)
    close_any_settings(run_gradkit(go.adam(**kw)), ref_adam(**kw))


# ---- schedules inside optimizers --------------------------------------------------------


def test_sgd_with_step_schedule_matches_formula():
    def lr(step):
        return 0.02 * 0.5 ** (step // 7)

    close(
        run_gradkit(go.sgd(go.step_schedule(0.02, 7, 0.5), momentum=0.9)), ref_sgd(lr, momentum=0.9)
    )


def test_adamw_with_warmup_cosine_uses_the_scheduled_lr_for_the_decay_too():
    sched = go.warmup_cosine_schedule(0.05, warmup_steps=10, total_steps=50, init_lr=0.001)
    ours = run_gradkit(go.adamw(sched, weight_decay=0.2))
    close(ours, ref_adam(sched, weight_decay=0.2, decoupled=True))


def test_adagrad_lr_decay_composes_with_a_schedule():
    sched = go.exponential_schedule(0.1, 0.97)
    close(run_gradkit(go.adagrad(sched, lr_decay=0.05)), ref_adagrad(sched, lr_decay=0.05))


def test_a_schedule_returning_a_negative_lr_is_reported():
    opt = go.sgd(lambda step: 0.1 - 0.05 * step)
    with pytest.raises(ValueError, match="schedule returned -0.05.* at step 3"):
        run_gradkit(opt, steps=5)


# ---- the tutorial's momentum, in PyTorch's terms ----------------------------------------


def tutorial_momentum(lr, beta, steps):
    """The tutorial's loop: v = beta v + (1 - beta) g, p = p - lr v, v0 = 0."""
    p, v, rows = np.array(X0), np.zeros(len(X0)), []
    for _ in range(steps):
        g = np.array([grad_scalar(i, x) for i, x in enumerate(p)])
        v = beta * v + (1 - beta) * g
        p = p - lr * v
        rows.append(p.copy())
    return np.array(rows)


def test_momentum_is_the_tutorials_rule():
    np.testing.assert_array_equal(
        run_gradkit(go.momentum(0.01, 0.9)), tutorial_momentum(0.01, 0.9, STEPS)
    )


def test_momentum_equals_sgd_with_lr_times_one_minus_beta_from_the_first_step():
    beta, lr = 0.9, 0.01
    ours = run_gradkit(go.momentum(lr, beta))
    torch_form = run_gradkit(go.sgd(lr * (1 - beta), momentum=beta))
    close(ours, torch_form)


def test_sgd_with_dampening_beta_differs_by_a_fading_first_step_kick():
    # with a fixed gradient sequence the buffers can be compared directly:
    # torch's (dampening=beta) buffer - tutorial's v = beta**t * g_1
    beta = 0.8
    rng = np.random.default_rng(0)
    grads = rng.normal(size=(30, 3))
    damp = go.sgd(1.0, momentum=beta, dampening=beta)
    tut = go.momentum(1.0, beta)
    s1, s2 = damp.init(np.zeros(3)), tut.init(np.zeros(3))
    for t, g in enumerate(grads, start=1):
        u1, s1 = damp.update(g, s1, np.zeros(3))
        u2, s2 = tut.update(g, s2, np.zeros(3))
        np.testing.assert_allclose(-u1 - (-u2), beta**t * grads[0], rtol=1e-9, atol=1e-15)


# ---- building blocks, containers, purity ------------------------------------------------


def test_chain_of_blocks_equals_the_named_optimizer():
    built = go.chain(
        go.add_decayed_weights(0.1),
        go.scale_by_adam((0.8, 0.99), 1e-6),
        go.scale_by_learning_rate(0.02),
    )
    close(run_gradkit(built), run_gradkit(go.adam(0.02, (0.8, 0.99), 1e-6, weight_decay=0.1)))


def test_update_is_pure_and_replayable():
    opt = go.adam(0.1)
    params = {"a": np.array([1.0, 2.0]), "b": [np.array(3.0)]}
    grads = {"a": np.array([0.5, -0.5]), "b": [np.array(1.0)]}
    state0 = opt.init(params)
    u1, s1 = opt.update(grads, state0, params)
    u2, s2 = opt.update(grads, state0, params)  # the same state again: the same answer
    np.testing.assert_array_equal(u1["a"], u2["a"])
    np.testing.assert_array_equal(params["a"], [1.0, 2.0])
    np.testing.assert_array_equal(grads["a"], [0.5, -0.5])
    assert s1[1].count == 1 and state0[1].count == 0
    new = go.apply_updates(params, u1)
    assert isinstance(new["b"], list) and new["b"][0].shape == ()


def test_apply_updates_keeps_float32_and_promotes_ints():
    out = go.apply_updates((np.ones(2, np.float32), 1), (np.full(2, 0.5), 0.25))
    assert out[0].dtype == np.float32 and out[1].dtype == np.float64 and out[1] == 1.25


def test_clip_by_global_norm_is_torchs_rule():
    g = (np.array([3.0, 0.0]), np.array([[4.0]]))
    t = go.clip_by_global_norm(2.0)
    out, _ = t.update(g, t.init(None))
    factor = 2.0 / (5.0 + 1e-6)
    np.testing.assert_allclose(out[0], [3.0 * factor, 0.0])
    np.testing.assert_allclose(out[1], [[4.0 * factor]])
    small, _ = t.update((np.array([0.1]),), t.init(None))  # under the norm: untouched
    np.testing.assert_array_equal(small[0], [0.1])


def test_clip_by_value():
    out, _ = go.clip(0.5).update({"g": np.array([-2.0, 0.2, 0.7])}, None)
    np.testing.assert_array_equal(out["g"], [-0.5, 0.2, 0.5])


def test_clipping_then_sgd_in_a_chain():
    opt = go.chain(go.clip(1.0), go.sgd(0.1))
    state = opt.init(np.zeros(2))
    updates, _ = opt.update(np.array([10.0, -0.5]), state, np.zeros(2))
    np.testing.assert_allclose(updates, [-0.1, 0.05])


def test_trace_with_nesterov_first_steps_by_hand():
    t = go.trace(0.5, nesterov=True)
    s = t.init(None)
    u1, s = t.update(np.array([2.0]), s)  # b = 2, out = 2 + 0.5 * 2
    u2, s = t.update(np.array([1.0]), s)  # b = 0.5 * 2 + 1 = 2, out = 1 + 0.5 * 2
    np.testing.assert_array_equal([u1[0], u2[0]], [3.0, 2.0])


# ---- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: go.sgd(0.0), "lr must be > 0"),
        (lambda: go.adam(-1e-3), "lr must be > 0"),
        (lambda: go.sgd(float("nan")), "lr must be a finite number > 0; got nan"),
        (lambda: go.adam(float("inf")), "lr must be a finite number > 0; got inf"),
        (lambda: go.rmsprop(lr=0), "lr must be > 0"),
        (lambda: go.sgd(0.1, momentum=-0.1), r"momentum must lie in \[0.0, inf\)"),
        (lambda: go.sgd(0.1, momentum=0.9, nesterov=True, dampening=0.1), "Nesterov"),
        (lambda: go.sgd(0.1, nesterov=True), "Nesterov"),
        (lambda: go.adam(betas=(1.0, 0.999)), r"betas\[0\] must lie in \[0.0, 1.0\)"),
        (lambda: go.adam(weight_decay=-1), "weight_decay"),
        (lambda: go.adagrad(lr_decay=-0.1), "lr_decay"),
        (lambda: go.adadelta(rho=1.5), "rho"),
        (lambda: go.clip_by_global_norm(0.0), "max_norm"),
        (lambda: go.momentum(0.1, beta=1.0), "decay"),
    ],
)
def test_bad_hyperparameters_raise_value_errors(build, match):
    with pytest.raises(ValueError, match=match):
        build()


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: go.sgd("0.1"), "lr must be a positive number or a schedule"),
        (lambda: go.adam(betas=0.9), "betas must be a pair"),
        (lambda: go.chain(go.sgd(0.1), "adam"), "argument 1 is str"),
    ],
)
def test_wrong_types_raise_type_errors(build, match):
    with pytest.raises(TypeError, match=match):
        build()


def test_weight_decay_without_params_says_what_to_pass():
    opt = go.sgd(0.1, weight_decay=0.1)
    with pytest.raises(ValueError, match=r"update\(grads, state, params\)"):
        opt.update(np.ones(2), opt.init(np.zeros(2)))


def test_mismatched_structures_are_reported():
    opt = go.adam(0.1)
    state = opt.init({"a": np.zeros(2)})
    with pytest.raises(ValueError, match="structures differ"):
        opt.update({"b": np.zeros(2)}, state, {"b": np.zeros(2)})
    with pytest.raises(ValueError, match="grads and params have different structures"):
        opt.update({"b": np.zeros(2)}, state, {"a": np.zeros(2)})
    with pytest.raises(ValueError, match=r"leaf 0 has shape \(1,\) in grads but \(2,\) in params"):
        opt.update({"a": np.zeros(1)}, state, {"a": np.zeros(2)})
    with pytest.raises(ValueError, match=r"leaf 1 has shape \(3,\) in updates but \(\) in"):
        go.apply_updates([np.zeros(2), 1.0], [np.zeros(2), np.zeros(3)])
    with pytest.raises(ValueError, match="state has 1 parts"):
        opt.update(np.zeros(2), (state[0],), np.zeros(2))


def test_schedules_refuse_bools_and_inf_and_name_an_overflow_but_take_numpy_ints():
    """True was taken as step 1; inf and an overflowing gamma**k raised Python's raw
    OverflowError; cosine_schedule refused T_max=np.int64(10) although steps may be
    NumPy integers."""
    with pytest.raises(TypeError, match="bool"):
        go.cosine_schedule(0.1, 10)(True)
    with pytest.raises(TypeError, match="step count"):
        go.cosine_schedule(0.1, 10)(float("inf"))
    with pytest.raises(ValueError, match="overflows at step 1000000"):
        go.exponential_schedule(0.1, 1.5)(10**6)
    with pytest.raises(ValueError, match="overflows at step 5000"):
        go.step_schedule(0.1, 1, 2.0)(5000)
    s = go.cosine_schedule(0.1, np.int64(10))
    assert s(np.int64(5)) == pytest.approx(0.05)  # 0.1 (1 + cos(pi/2)) / 2
    assert go.exponential_schedule(0.1, 0.5)(2000) == 0.0  # underflow is fine


@pytest.mark.parametrize(
    "make",
    [
        lambda: go.sgd(0.1, momentum=0.9),
        lambda: go.adam(0.1),
        lambda: go.adamw(0.1),
        lambda: go.nadam(0.1),
        lambda: go.adamax(0.1),
        lambda: go.rmsprop(0.1),
        lambda: go.adagrad(0.1),
        lambda: go.adadelta(),
    ],
    ids=["sgd-momentum", "adam", "adamw", "nadam", "adamax", "rmsprop", "adagrad", "adadelta"],
)
@pytest.mark.parametrize("old, new", [((), (3,)), ((1,), (3,)), ((3,), (1,))])
def test_a_state_built_for_other_shapes_is_refused_not_broadcast(make, old, new):
    """A scalar's moments were copied into every entry of a 3-vector (PyTorch raises)."""
    opt = make()
    state = opt.init(np.ones(old))
    _, state = opt.update(np.full(old, 10.0), state, np.ones(old))
    want = re.escape(f"state was built for other parameters: leaf 0 has shape {old}")
    with pytest.raises(ValueError, match=want):
        opt.update(np.ones(new), state, np.ones(new))


def test_clipping_a_nan_gradient_by_the_global_norm_makes_every_entry_nan():
    """min(1.0, nan) is 1.0 in Python, so a NaN norm skipped the clipping and the finite
    entries kept their norm of 4.1 above max_norm 1 (torch's clip_grad_norm_ gives NaN)."""
    t = go.clip_by_global_norm(1.0)
    out, _ = t.update([np.array([np.nan, 1.0]), np.array([4.0])], t.init(None))
    assert all(np.isnan(leaf).all() for leaf in out)
    finite, _ = t.update([np.array([3.0]), np.array([4.0])], t.init(None))
    np.testing.assert_allclose(np.concatenate(finite), [0.6, 0.8], rtol=1e-6)


def test_complex_parameters_are_refused_instead_of_losing_their_imaginary_part():
    opt = go.sgd(0.1)
    p = np.array([1.0 + 1.0j])
    with pytest.raises(TypeError, match="must be real numbers"):
        opt.update(np.array([2.0 + 4.0j]), opt.init(p), p)
    with pytest.raises(TypeError, match="must be real numbers"):
        go.adam(0.1).init(p)
