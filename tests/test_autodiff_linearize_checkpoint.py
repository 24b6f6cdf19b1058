"""gk.linearize (a recorded linear map, replayed) and gk.checkpoint (rematerialization).

Checked against closed forms and central finite differences (tests/fd.py); the memory
saving of checkpoint is measured with tracemalloc."""

from __future__ import annotations

import tracemalloc

import fd
import numpy as np
import pytest

import gradkit as gk

RNG = np.random.default_rng(2526)


def _mlp(params, x):
    h = np.tanh(x @ params["w1"] + params["b1"])
    return np.exp(-h) @ params["w2"]


def _params():
    return {
        "w1": RNG.normal(size=(3, 5)),
        "b1": RNG.normal(size=5),
        "w2": RNG.normal(size=(5, 2)),
    }


# --- linearize ------------------------------------------------------------------------
def test_linearize_closed_form():
    x = np.array([0.3, -1.2, 2.0])
    out, f_jvp = gk.linearize(lambda x: np.sin(x) * x**2, x)
    np.testing.assert_allclose(out, np.sin(x) * x**2)
    for _ in range(3):
        t = RNG.normal(size=3)
        np.testing.assert_allclose(f_jvp(t), (np.cos(x) * x**2 + 2 * x * np.sin(x)) * t)


def test_linearize_pytrees_match_finite_differences():
    params, x = _params(), RNG.normal(size=(4, 3))
    out, f_jvp = gk.linearize(_mlp, params, x)
    np.testing.assert_allclose(out, _mlp(params, x))
    names = ("w1", "b1", "w2")
    for _ in range(3):
        tp = {k: RNG.normal(size=params[k].shape) for k in names}
        tx = RNG.normal(size=x.shape)
        want = fd.directional(
            lambda w1, b1, w2, x: _mlp({"w1": w1, "b1": b1, "w2": w2}, x),
            (params["w1"], params["b1"], params["w2"], x),
            (tp["w1"], tp["b1"], tp["w2"], tx),
        )
        np.testing.assert_allclose(f_jvp(tp, tx), want, rtol=1e-7, atol=1e-9)


def test_linearize_outputs_a_container_and_a_constant():
    def f(x):
        return {"a": np.sum(x**3), "b": (np.ones(2), np.cumsum(x))}

    x = np.array([1.0, 2.0, 3.0])
    out, f_jvp = gk.linearize(f, x)
    t = np.array([1.0, -1.0, 0.5])
    got = f_jvp(t)
    assert float(got["a"]) == pytest.approx(float(np.sum(3 * x**2 * t)))
    np.testing.assert_array_equal(got["b"][0], np.zeros(2))
    np.testing.assert_allclose(got["b"][1], np.cumsum(t))


def test_linearize_runs_the_function_once_then_replays():
    calls = []

    def f(x):
        calls.append(1)
        return np.tanh(x) @ np.arange(6.0).reshape(3, 2)

    x = RNG.normal(size=3)
    _, f_jvp = gk.linearize(f, x)
    assert len(calls) == 1
    first = f_jvp(np.ones(3))  # the first call is checked against gk.jvp: one more run
    assert len(calls) == 2
    for _ in range(5):
        t = RNG.normal(size=3)
        np.testing.assert_allclose(f_jvp(t), gk.jvp(f, (x,), (t,))[1], rtol=1e-13)
    assert len(calls) == 2 + 5  # the 5 runs are gk.jvp's in this test, none f_jvp's
    np.testing.assert_allclose(first, (1 - np.tanh(x) ** 2) @ np.arange(6.0).reshape(3, 2))


def test_linearize_inside_grad():
    v = np.array([1.0, 2.0])

    def directional(x):
        return gk.linearize(lambda y: np.sum(np.sin(y) ** 2), x)[1](v)

    x = np.array([0.4, -0.7])
    # d/dx of <grad f(x), v> = H v, with f = sum sin^2: H = diag(2 cos(2x))
    np.testing.assert_allclose(gk.grad(directional)(x), 2 * np.cos(2 * x) * v)


def test_linearize_errors():
    _, f_jvp = gk.linearize(lambda x, y: x * y, np.ones(2), np.ones(2))
    with pytest.raises(TypeError, match=r"one tangent per primal: 2 primal\(s\), 1"):
        f_jvp(np.ones(2))
    with pytest.raises(ValueError, match="tangent 1 has shape"):
        f_jvp(np.ones(2), np.ones(3))
    with pytest.raises(ValueError, match="tangent 0 has structure"):
        f_jvp([np.ones(2)], np.ones(2))
    with pytest.raises(TypeError, match="argument 0 has dtype int64"):
        gk.linearize(np.sin, np.arange(3))


# --- checkpoint -----------------------------------------------------------------------
def test_checkpoint_recomputes_in_the_backward_pass():
    calls = []

    def block(x, w):
        calls.append(1)
        return np.tanh(x @ w) * 2.0

    x, w = RNG.normal(size=(4, 3)), RNG.normal(size=(3, 3))
    loss = lambda x, w: np.sum(gk.checkpoint(block)(x, w) ** 2)  # noqa: E731
    gx, gw = gk.grad(loss, argnums=(0, 1))(x, w)
    assert len(calls) == 2  # forward, then again in the backward pass
    ref = lambda x, w: np.sum((np.tanh(x @ w) * 2.0) ** 2)  # noqa: E731
    np.testing.assert_allclose(gx, fd.gradient(ref, (x, w), 0), rtol=1e-7)
    np.testing.assert_allclose(gw, fd.gradient(ref, (x, w), 1), rtol=1e-7)
    calls.clear()
    value = float(gk.checkpoint(block)(x, w).sum())
    assert value == pytest.approx(float((np.tanh(x @ w) * 2).sum()))
    assert len(calls) == 1  # outside reverse mode it simply runs
    _, t = gk.jvp(lambda x: gk.checkpoint(block)(x, w), (x,), (np.ones_like(x),))
    want = fd.directional(lambda x: block(x, w), (x,), (np.ones_like(x),))
    np.testing.assert_allclose(t, want, rtol=1e-7)


def test_checkpoint_second_order_and_int_arguments():
    def block(x, power):
        return np.sin(x) ** power

    f = lambda x: np.sum(gk.checkpoint(block)(x, 2))  # noqa: E731
    x = np.array([0.3, 1.1])
    np.testing.assert_allclose(gk.grad(f)(x), np.sin(2 * x))
    np.testing.assert_allclose(gk.hessian(f)(x), np.diag(2 * np.cos(2 * x)))
    # grad of grad: the backward pass's rerun is itself differentiated
    np.testing.assert_allclose(gk.elementwise_grad(gk.grad(f))(x), 2 * np.cos(2 * x))


def _chain(h, ws):
    for w in ws:
        h = np.tanh(h @ w)
    return h


def test_checkpoint_memory_of_a_100_layer_mlp():
    ws = [RNG.normal(scale=1 / 8, size=(64, 64)) for _ in range(100)]
    x = RNG.normal(size=(256, 64))

    def plain(x):
        return np.sum(_chain(x, ws) ** 2)

    def every_ten(x):
        h = x
        for k in range(0, 100, 10):
            h = gk.checkpoint(_chain)(h, ws[k : k + 10])
        return np.sum(h**2)

    peaks, grads = [], []
    for loss in (plain, every_ten):
        tracemalloc.start()
        try:
            grads.append(gk.grad(loss)(x))
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12, atol=1e-15)
    print(f"grad's peak memory: plain {peaks[0] / 1e6:.1f} MB, checkpointed {peaks[1] / 1e6:.1f}")
    assert peaks[1] <= peaks[0] / 3, peaks  # activations: 100 layers' kept vs ~20


def test_checkpoint_refuses_a_non_function():
    with pytest.raises(TypeError, match="checkpoint takes a function"):
        gk.checkpoint(3.0)
