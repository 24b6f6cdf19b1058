"""gradkit's optimizers and schedules against torch.optim itself (skipped without torch).

Both run the same float64 problem from the same start: torch computes its gradient with
autograd and steps with ``torch.optim``; gradkit uses the closed-form gradient and its
own transforms. The iterates must agree to rounding over 60 steps.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import gradkit.optim as go  # noqa: E402

STEPS = 60
C = np.array([1.0, 3.0, 0.5, 2.0, 0.2, 5.0, 1.5, 0.7, 4.0])
T = np.array([0.5, -1.0, 2.0, 0.3, -0.7, 1.2, 0.0, -2.0, 0.8])
X0 = np.array([1.0, -0.5, 0.3, 2.0, -1.5, 0.8, -0.2, 1.1, 0.4])


@pytest.fixture(autouse=True)
def float64_scalars():
    # torch keeps optimizer scalars (step, NAdam's mu_product) in the default dtype's
    # precision: float32 unless the default is float64. Compare at full precision.
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


def torch_loss(w, b):
    x = torch.cat([b, w.reshape(-1)])
    c, t = torch.from_numpy(C), torch.from_numpy(T)
    return torch.sum(c * (x - t) ** 2 + 0.1 * torch.sin(3.0 * x))


def numpy_grad(x):
    return 2.0 * C * (x - T) + 0.3 * np.cos(3.0 * x)


def run_torch(cls, kwargs, scheduler=None):
    w = torch.tensor(X0[3:].reshape(2, 3), dtype=torch.float64, requires_grad=True)
    b = torch.tensor(X0[:3], dtype=torch.float64, requires_grad=True)
    opt = cls([w, b], **kwargs)
    sched = scheduler(opt) if scheduler else None
    rows = []
    for _ in range(STEPS):
        opt.zero_grad()
        torch_loss(w, b).backward()
        opt.step()
        if sched is not None:
            sched.step()
        rows.append(np.concatenate([b.detach().numpy(), w.detach().numpy().ravel()]))
    return np.array(rows)


def run_gradkit(opt):
    params = {"w": X0[3:].reshape(2, 3), "b": X0[:3].copy()}
    state = opt.init(params)
    rows = []
    for _ in range(STEPS):
        x = np.concatenate([params["b"], params["w"].ravel()])
        g = numpy_grad(x)
        grads = {"w": g[3:].reshape(2, 3), "b": g[:3]}
        updates, state = opt.update(grads, state, params)
        params = go.apply_updates(params, updates)
        rows.append(np.concatenate([params["b"], params["w"].ravel()]))
    return np.array(rows)


CASES = [
    ("SGD", go.sgd, dict(lr=0.01)),
    ("SGD", go.sgd, dict(lr=0.01, momentum=0.9)),
    ("SGD", go.sgd, dict(lr=0.01, momentum=0.9, dampening=0.3, weight_decay=0.05)),
    ("SGD", go.sgd, dict(lr=0.02, momentum=0.8, nesterov=True, weight_decay=0.1)),
    ("Adam", go.adam, dict(lr=0.01)),
    ("Adam", go.adam, dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("Adam", go.adam, dict(lr=0.05, amsgrad=True, weight_decay=0.05)),
    ("AdamW", go.adamw, dict(lr=0.01)),
    ("AdamW", go.adamw, dict(lr=0.02, betas=(0.85, 0.995), weight_decay=0.3, amsgrad=True)),
    ("NAdam", go.nadam, dict(lr=0.01)),
    ("NAdam", go.nadam, dict(lr=0.02, betas=(0.8, 0.99), weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", go.nadam, dict(lr=0.02, weight_decay=0.2, decoupled_weight_decay=True)),
    ("Adamax", go.adamax, dict(lr=0.01)),
    ("Adamax", go.adamax, dict(lr=0.02, betas=(0.7, 0.9), eps=1e-4, weight_decay=0.1)),
    ("RMSprop", go.rmsprop, dict(lr=0.01)),
    ("RMSprop", go.rmsprop, dict(lr=0.01, centered=True)),
    ("RMSprop", go.rmsprop, dict(lr=0.005, momentum=0.7)),
    (
        "RMSprop",
        go.rmsprop,
        dict(lr=0.005, alpha=0.9, eps=1e-6, weight_decay=0.1, momentum=0.5, centered=True),
    ),
    ("Adagrad", go.adagrad, dict(lr=0.1)),
    (
        "Adagrad",
        go.adagrad,
        dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.5, eps=1e-8),
    ),
    ("Adadelta", go.adadelta, dict()),
    ("Adadelta", go.adadelta, dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1)),
]


@pytest.mark.parametrize("name, ours, kwargs", CASES)
def test_matches_torch_optim(name, ours, kwargs):
    expected = run_torch(getattr(torch.optim, name), kwargs)
    np.testing.assert_allclose(run_gradkit(ours(**kwargs)), expected, rtol=1e-12, atol=1e-13)


def test_tutorial_momentum_is_torch_sgd_with_scaled_lr():
    expected = run_torch(torch.optim.SGD, dict(lr=0.01 * (1 - 0.9), momentum=0.9))
    np.testing.assert_allclose(
        run_gradkit(go.momentum(0.01, 0.9)), expected, rtol=1e-12, atol=1e-13
    )


@pytest.mark.parametrize(
    "ours, scheduler",
    [
        (
            go.step_schedule(0.02, step_size=7, gamma=0.5),
            lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=7, gamma=0.5),
        ),
        (
            go.exponential_schedule(0.02, gamma=0.97),
            lambda opt: torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.97),
        ),
        (
            go.cosine_schedule(0.02, T_max=STEPS, eta_min=0.001),
            lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=STEPS, eta_min=0.001),
        ),
    ],
)
def test_schedules_match_torch_lr_schedulers(ours, scheduler):
    expected = run_torch(torch.optim.SGD, dict(lr=0.02, momentum=0.9), scheduler)
    np.testing.assert_allclose(
        run_gradkit(go.sgd(ours, momentum=0.9)), expected, rtol=1e-12, atol=1e-13
    )


def test_adam_with_a_schedule_matches_torch():
    expected = run_torch(
        torch.optim.Adam, dict(lr=0.05), lambda opt: torch.optim.lr_scheduler.StepLR(opt, 10, 0.3)
    )
    ours = go.adam(go.step_schedule(0.05, 10, 0.3))
    np.testing.assert_allclose(run_gradkit(ours), expected, rtol=1e-12, atol=1e-13)


def test_clipping_matches_torch_utils():
    rng = np.random.default_rng(3)
    grads = [rng.normal(size=(3, 4)) * 5, rng.normal(size=4)]
    tensors = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for t, g in zip(tensors, grads, strict=True):
        t.grad = torch.from_numpy(g.copy())
    torch.nn.utils.clip_grad_norm_(tensors, max_norm=1.5)
    ours, _ = go.clip_by_global_norm(1.5).update(grads, None)
    for t, o in zip(tensors, ours, strict=True):
        np.testing.assert_allclose(o, t.grad.numpy(), rtol=1e-14)
    for t, g in zip(tensors, grads, strict=True):
        t.grad = torch.from_numpy(g.copy())
    torch.nn.utils.clip_grad_value_(tensors, clip_value=0.7)
    ours, _ = go.clip(0.7).update(grads, None)
    for t, o in zip(tensors, ours, strict=True):
        np.testing.assert_array_equal(o, t.grad.numpy())
