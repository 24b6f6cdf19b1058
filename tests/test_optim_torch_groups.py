"""Parameter groups, gradient accumulation, the parameter EMA and ``sequential`` against
torch over 60 steps (issue 26, point 4), where torch is installed (skipped otherwise):
per-group rates and a frozen group as torch's ``param_groups``, accumulation as torch's
summed-gradient loop, the EMA as ``torch.optim.swa_utils`` computes it, ``sequential``
as ``SequentialLR``."""

from __future__ import annotations

import numpy as np
import pytest

import gradkit as gk

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(26)
A = RNG.standard_normal((4, 3))


def _loss(p, xp=np):
    return ((xp.tanh(A @ p["w"]) + p["b"]) ** 2).sum() + (p["v"] ** 2).sum()


@pytest.fixture(autouse=True)
def _float64():
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


def _start():
    rng = np.random.default_rng(3)
    return {
        "w": rng.standard_normal((3, 2)),
        "b": rng.standard_normal(2),
        "v": rng.standard_normal(2),
    }


def _torch_params(start):
    return {k: torch.tensor(v, requires_grad=True) for k, v in start.items()}


def _torch_loss(tp):
    a = torch.tensor(A)
    return ((torch.tanh(a @ tp["w"]) + tp["b"]) ** 2).sum() + (tp["v"] ** 2).sum()


def test_parameter_groups_with_their_own_rates_and_a_frozen_group_equal_torchs():
    start = _start()
    labels = {"w": "slow", "b": "fast", "v": "frozen"}
    opt = gk.optim.partition(
        {"slow": gk.optim.adam(0.01), "fast": gk.optim.adam(0.1), "frozen": gk.optim.frozen()},
        labels,
    )
    params, state = dict(start), opt.init(start)
    tp = _torch_params(start)
    tp["v"].requires_grad_(False)
    topt = torch.optim.Adam([{"params": [tp["w"]], "lr": 0.01}, {"params": [tp["b"]]}], lr=0.1)
    for _ in range(60):
        updates, state = opt.update(gk.grad(_loss)(params), state, params)
        params = gk.optim.apply_updates(params, updates)
        topt.zero_grad()
        _torch_loss(tp).backward()
        topt.step()
        for k in params:
            np.testing.assert_allclose(params[k], tp[k].detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(params["v"], start["v"])


def test_accumulation_equals_torchs_summed_gradients_loop():
    # torch accumulates by calling backward on loss / every for `every` batches, then steps
    every, batches = 3, [RNG.standard_normal(2) for _ in range(60)]
    start = _start()
    opt = gk.optim.accumulate(gk.optim.sgd(0.05, momentum=0.9), every=every)
    params, state = dict(start), opt.init(start)
    tp = _torch_params(start)
    topt = torch.optim.SGD(tp.values(), lr=0.05, momentum=0.9)
    for k, shift in enumerate(batches):

        def loss(p, xp=np, shift=shift):
            return _loss(p, xp) + (p["b"] * shift).sum()

        updates, state = opt.update(gk.grad(loss)(params), state, params)
        params = gk.optim.apply_updates(params, updates)
        ((_torch_loss(tp) + (tp["b"] * torch.tensor(shift)).sum()) / every).backward()
        if (k + 1) % every == 0:
            topt.step()
            topt.zero_grad()
            for name in params:
                np.testing.assert_allclose(params[name], tp[name].detach().numpy(),
                                           rtol=1e-10, atol=1e-12)  # fmt: skip


def test_parameter_ema_equals_torchs_averaged_model():
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

    decay, start = 0.9, _start()
    module = torch.nn.ParameterDict(
        {k: torch.nn.Parameter(torch.tensor(v)) for k, v in start.items()}
    )
    averaged = AveragedModel(module, multi_avg_fn=get_ema_multi_avg_fn(decay))
    ema = gk.optim.ParameterEMA(decay)
    params, opt = dict(start), gk.optim.sgd(0.05)
    state = opt.init(params)
    for _ in range(60):
        updates, state = opt.update(gk.grad(_loss)(params), state, params)
        params = gk.optim.apply_updates(params, updates)
        with torch.no_grad():
            for k in params:
                module[k].copy_(torch.tensor(params[k]))
        averaged.update_parameters(module)
        ours = ema.update(params)
    for k in params:
        np.testing.assert_allclose(ours[k], averaged.module[k].detach().numpy(), rtol=1e-12)


def test_sequential_equals_sequential_lr():
    sched = torch.optim.lr_scheduler
    ours = gk.optim.sequential(
        [gk.optim.linear_warmup(0.2, 5, 0.1, 1.0), gk.optim.polynomial(0.2, 10, 2.0),
         gk.optim.cosine_with_restarts(0.2, 4, 2, 0.01)],
        [5, 20],
    )  # fmt: skip
    p = torch.nn.Parameter(torch.zeros(1))
    topt = torch.optim.SGD([p], lr=0.2)
    theirs = sched.SequentialLR(
        topt,
        [sched.LinearLR(topt, 0.1, 1.0, 5), sched.PolynomialLR(topt, 10, 2.0),
         sched.CosineAnnealingWarmRestarts(topt, 4, 2, 0.01)],
        milestones=[5, 20],
    )  # fmt: skip
    rates = []
    for _ in range(60):
        rates.append(topt.param_groups[0]["lr"])
        topt.step()
        theirs.step()
    np.testing.assert_allclose([ours(k) for k in range(60)], rates, rtol=1e-12, atol=1e-15)
