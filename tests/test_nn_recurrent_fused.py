"""The fused LSTM recurrence (gradkit.nn.recurrent_fused) against the LSTM equations
step by step, and its one-sweep cache. Derivatives against finite differences (both
modes, second order) are in tests/autodiff_cases_layers.py; torch parity of the LSTM
layer in tests/test_nn_deep_layers.py."""

from __future__ import annotations

import numpy as np
import pytest

import gradkit as gk
from gradkit.nn import recurrent_fused
from gradkit.nn.recurrent_fused import lstm_sequence


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _equations(proj, state, w_hh_t):
    """The LSTM written out, one step at a time: [h, c, i, f, g, o] per step."""
    h, c = state
    rows = []
    for z in proj:
        z = z + h @ w_hh_t
        i, f, g, o = np.split(z, 4, axis=-1)
        i, f, g, o = _sigmoid(i), _sigmoid(f), np.tanh(g), _sigmoid(o)
        c = f * c + i * g
        h = o * np.tanh(c)
        rows.append(np.concatenate([h, c, i, f, g, o], axis=-1))
    return np.stack(rows)


def _inputs(seed=0, length=5, batch=3, hidden=4):
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal((length, batch, 4 * hidden)),
        rng.standard_normal((2, batch, hidden)),
        rng.standard_normal((hidden, 4 * hidden)) / 2,
    )


def test_trajectory_equals_the_lstm_equations():
    proj, state, w = _inputs()
    np.testing.assert_allclose(lstm_sequence(proj, state, w), _equations(proj, state, w),
                               rtol=1e-14, atol=1e-15)  # fmt: skip


def test_gradients_equal_those_of_the_equations_for_two_cotangents():
    # The engine differentiates _equations op by op: an independent path to the same
    # gradients. Two cotangents through one vjp: the sweep cache must not mix them up.
    proj, state, w = _inputs(1)
    rng = np.random.default_rng(2)
    _, fused = gk.vjp(lstm_sequence, proj, state, w)
    _, plain = gk.vjp(_equations, proj, state, w)
    for _ in range(2):
        cot = rng.standard_normal((5, 3, 24))
        for got, want in zip(fused(cot), plain(cot)):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_the_sweep_cache_is_empty_after_the_backward_pass():
    proj, state, w = _inputs(3)
    gk.grad(lambda p, w: np.sum(lstm_sequence(p, state, w) ** 2), argnums=(0, 1))(proj, w)
    assert recurrent_fused._SWEEPS == {}


def test_reverse_direction_runs_the_equations_backwards():
    # a bidirectional layer's reverse direction runs the fused recurrence on the flipped
    # sequence: its outputs equal the equations run backwards
    lstm = gk.nn.LSTM(3, 4, bidirectional=True, rng=0)
    x = np.random.default_rng(4).standard_normal((6, 2, 3))
    out, (h, c) = lstm(x)
    p = lstm.params
    proj = x @ p["weight_ih_l0_reverse"].T + p["bias_ih_l0_reverse"] + p["bias_hh_l0_reverse"]
    traj = _equations(proj[::-1], np.zeros((2, 2, 4)), p["weight_hh_l0_reverse"].T)
    np.testing.assert_allclose(out[:, :, 4:], traj[::-1, :, :4], rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(c[1], traj[-1, :, 4:8], rtol=1e-13, atol=1e-14)


def test_bad_shapes_get_a_clear_error():
    proj, state, w = _inputs()
    with pytest.raises(ValueError, match=r"expected proj \(L, N, 4H\), state \(2, N, H\)"):
        lstm_sequence(proj, state[:, :2], w)
    with pytest.raises(ValueError, match="got shapes"):
        lstm_sequence(proj[0], state, w)


def test_under_jit_the_sweep_is_one_recorded_operation_with_the_same_gradients():
    proj, state, w = _inputs(5)

    def loss(p, w):
        return np.sum(np.sin(lstm_sequence(p, state, w)))

    grad = gk.grad(loss, argnums=(0, 1))
    jitted = gk.jit(grad)
    for seed in (6, 7):  # the second call replays the recording on new values
        p = np.random.default_rng(seed).standard_normal(proj.shape)
        for got, want in zip(jitted(p, w), grad(p, w)):
            np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-14)
