"""Lion and LAMB, which torch.optim lacks, against optax's (issue 26, point 4): the same
iterates to 1e-10 over 60 steps on a two-leaf problem, in float64. Skipped where optax
(and JAX) are not installed."""

from __future__ import annotations

import numpy as np
import pytest

import gradkit as gk

optax = pytest.importorskip("optax")
jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy


def _loss_grad(p):  # a Rosenbrock-like valley and a quadratic, gradients by hand
    a, b = p["a"], p["b"]
    ga = np.array([-2 * (1 - a[0]) - 400 * a[0] * (a[1] - a[0] ** 2), 200 * (a[1] - a[0] ** 2)])
    gb = 2.0 * np.array([[1.0, 2.0], [3.0, 4.0]]) * b
    return {"a": ga, "b": gb}


def _run(ours, theirs, steps: int = 60):
    p = {"a": np.array([-1.2, 1.0]), "b": np.array([[0.5, -0.3], [0.2, 0.9]])}
    q = {k: jnp.asarray(v) for k, v in p.items()}
    state, their_state = ours.init(p), theirs.init(q)
    for _ in range(steps):
        updates, state = ours.update(_loss_grad(p), state, p)
        p = gk.optim.apply_updates(p, updates)
        g = {
            k: jnp.asarray(v)
            for k, v in _loss_grad({k: np.asarray(v) for k, v in q.items()}).items()
        }
        their_updates, their_state = theirs.update(g, their_state, q)
        q = optax.apply_updates(q, their_updates)
        for k in p:
            np.testing.assert_allclose(p[k], np.asarray(q[k]), rtol=1e-10, atol=1e-12)
    return p


@pytest.mark.parametrize("wd", [0.0, 0.01])
def test_lion_equals_optax(wd) -> None:
    _run(
        gk.optim.lion(1e-3, betas=(0.9, 0.99), weight_decay=wd),
        optax.lion(1e-3, b1=0.9, b2=0.99, weight_decay=wd),
    )


@pytest.mark.parametrize("wd", [0.0, 0.01])
def test_lamb_equals_optax(wd) -> None:
    _run(
        gk.optim.lamb(1e-2, betas=(0.9, 0.999), eps=1e-6, weight_decay=wd),
        optax.lamb(1e-2, b1=0.9, b2=0.999, eps=1e-6, weight_decay=wd),
    )
