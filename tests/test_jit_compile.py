"""gk.jit(backend="numba") (issue 30, point 1): runs of steps compiled with numba.

The compiled program must give gk.grad's answers to the bound docs/jit.md states:
elementwise results within ULPS units in the last place (numba's exp, tanh, sin... are
the C library's, NumPy's are its own SIMD loops), results of sums and products within
SUM_EPS * eps of the output's largest magnitude (another order of additions). Programs
are kept small: every new program costs a numba compile.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import gradkit as gk
from gradkit.autodiff import jit_compile

numba = pytest.importorskip("numba", reason="gradkit[jit] (numba) is not installed")

ULPS = 4
SUM_EPS = 64


def _within(got, want, elementwise: bool) -> None:
    for g, w in zip(gk.tree.tree_leaves(got), gk.tree.tree_leaves(want)):
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape and g.dtype == w.dtype
        if elementwise:
            np.testing.assert_array_max_ulp(g, w, maxulp=ULPS)
        else:
            bound = SUM_EPS * np.finfo(float).eps * max(1.0, float(np.max(np.abs(w))))
            assert float(np.max(np.abs(g - w), initial=0.0)) <= bound


def test_elementwise_chain_is_compiled_and_within_ulps():
    def f(x, y):
        return np.tanh(x * 1.5 + 0.25) * np.exp(-y) + np.sin(x) / (1.0 + y * y)

    rng = np.random.default_rng(0)
    x, y = rng.uniform(-2, 2, 50), rng.uniform(-2, 2, 50)
    jf = gk.jit(f, backend="numba")
    for _ in range(3):  # records, checked first replay, replay
        x, y = rng.uniform(-2, 2, 50), rng.uniform(-2, 2, 50)
        _within(jf(x, y), f(x, y), elementwise=True)
    info = jf.report(x, y)
    assert info["backend"] == "numba" and info["compiled_steps"] == info["steps"]
    assert info["segments"] == 1 and info["compile_seconds"] > 0.0


def test_network_gradient_matches_grad_and_finite_differences():
    import fd

    def loss(p, X, y):
        W1, b1, W2 = p
        h = np.tanh(X @ W1 + b1)
        return np.mean((h @ W2 - y) ** 2)

    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(20, 3)), rng.normal(size=(20, 1))
    p = [rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(4, 1))]
    g = gk.grad(loss)
    jg = gk.jit(g, backend="numba")
    for _ in range(3):
        _within(jg(p, X, y), g(p, X, y), elementwise=False)
    assert jg.report(p, X, y)["backend"] == "numba"
    want = fd.gradient(lambda w: loss([w, p[1], p[2]], X, y), (p[0],))
    np.testing.assert_allclose(jg(p, X, y)[0], want, rtol=1e-6, atol=1e-8)


def test_unsupported_steps_are_replayed_between_compiled_runs():
    def f(x):
        s = np.sort(x)  # not compiled: replayed by NumPy
        return np.cumsum(np.exp(s) * 2.0 + 1.0) * np.sin(x)

    x = np.linspace(-1.0, 1.0, 7)
    jf = gk.jit(f, backend="numba")
    for k in range(3):
        xk = x + 0.1 * k
        _within(jf(xk), f(xk), elementwise=False)
    info = jf.report(x)
    assert info["backend"] == "numba" and 0 < info["compiled_steps"] < info["steps"]
    assert "s0(" in jf.source(x)


def test_program_without_compilable_run_is_the_plain_replay():
    jf = gk.jit(lambda x: np.cumsum(x), backend="numba")
    x = np.arange(4.0)
    np.testing.assert_array_equal(jf(x), np.cumsum(x))
    assert jf.report(x) == {
        "backend": "replay",
        "steps": 1,
        "compiled_steps": 0,
        "segments": 0,
        "compile_seconds": 0.0,
    }


def test_bad_backend_is_refused_by_name():
    with pytest.raises(ValueError, match="backend must be one of 'replay', 'numba', 'auto'"):
        gk.jit(np.sin, backend="fast")


def test_numba_backend_without_numba_says_what_to_install(monkeypatch):
    monkeypatch.setattr(jit_compile, "available", lambda: False)
    with pytest.raises(ImportError, match=r"pip install gradkit\[jit\]"):
        gk.jit(np.sin, backend="numba")
    jf = gk.jit(np.sin, backend="auto")  # falls back to the plain replay
    x = np.linspace(0, 1, 3)
    jf(x)
    assert jf.report(x)["backend"] == "replay"


@settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(p=__import__("fidelity_programs").chain_programs(("elementwise", "reductions", "linalg")))
def test_fidelity_corpus_under_numba(p):
    f = p.function()
    weights = p.consts["W"]
    n = len(p.shapes)

    def loss(*xs):
        return np.sum(f(*xs) * weights)

    grad = gk.grad(loss, argnums=tuple(range(n)) if n > 1 else 0)
    jg = gk.jit(grad, backend="numba")
    with np.errstate(all="ignore"):
        for seed in (1, 2, 3):
            xs = p.inputs(seed)
            _within(jg(*xs), grad(*xs), elementwise=False)
