"""The strong Wolfe line search (gradkit.optim.line_search) and L-BFGS with it, against
SciPy's optimizers and line search (where SciPy is installed) and against the Wolfe
conditions themselves; torch's iterates are compared in tests/test_optim_more.py
(test_lbfgs_steps_equal_torch)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import gradkit as gk
from gradkit.optim.line_search import cubic_minimizer, strong_wolfe

C1, C2 = 1e-4, 0.9


def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def _logistic_problem(seed=0, n=200, features=5, lam=0.1):
    """An L2-regularized logistic regression on random data, and its gradient by hand."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, features))
    truth = rng.standard_normal(features)
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-X @ truth)), 1.0, -1.0)

    def loss(w):
        return np.mean(np.logaddexp(0.0, -y * (X @ w))) + 0.5 * lam * np.sum(w * w)

    def grad(w):  # by hand, for SciPy: d/dw log(1 + e^{-m}) = -sigmoid(-m) y x
        margin = y * (X @ w)
        return -(X.T @ (y / (1.0 + np.exp(margin)))) / n + lam * w

    return loss, grad, features


def _wolfe(f, g, x, d, t):
    """Whether step t along d from x satisfies both strong Wolfe conditions."""
    slope0 = g(x) @ d
    sufficient = f(x + t * d) <= f(x) + C1 * t * slope0
    curvature = abs(g(x + t * d) @ d) <= C2 * abs(slope0)
    return bool(sufficient), bool(curvature)


def test_cubic_minimizer_is_exact_on_a_cubic_and_bounded():
    # p(t) = t^3 - 3t: minimum at t = 1 (p' = 3t^2 - 3), through t = 0 and t = 2
    p, dp = (lambda t: t**3 - 3 * t), (lambda t: 3 * t**2 - 3)
    assert cubic_minimizer(0.0, p(0), dp(0), 2.0, p(2), dp(2)) == pytest.approx(1.0, abs=1e-14)
    assert cubic_minimizer(2.0, p(2), dp(2), 0.0, p(0), dp(0)) == pytest.approx(1.0, abs=1e-14)
    assert cubic_minimizer(0.0, p(0), dp(0), 2.0, p(2), dp(2), bounds=(1.5, 3.0)) == 1.5


@pytest.mark.parametrize("seed", range(8))
def test_line_search_steps_satisfy_strong_wolfe_like_scipys(seed):
    rng = np.random.default_rng(seed)
    g = gk.grad(rosen)
    x = rng.uniform(-1.5, 1.5, size=4)
    d = -g(x) * rng.uniform(0.01, 1.0, size=4)  # a descent direction, badly scaled
    f0, g0 = rosen(x), g(x)
    value, grad, t, evals = strong_wolfe(lambda s: (rosen(x + s * d), g(x + s * d)), 1.0, d, f0, g0)
    assert _wolfe(rosen, g, x, d, t) == (True, True)
    assert value == pytest.approx(rosen(x + t * d), rel=1e-14)
    np.testing.assert_allclose(grad, g(x + t * d), rtol=1e-14)
    if importlib.util.find_spec("scipy") is not None:
        # SciPy's own strong Wolfe search also finds an acceptable step from the same start
        from scipy.optimize import line_search

        t_scipy = line_search(rosen, g, x, d, g0, f0, c1=C1, c2=C2)[0]
        assert t_scipy is not None and _wolfe(rosen, g, x, d, t_scipy) == (True, True)


def test_lbfgs_accepts_only_strong_wolfe_steps():
    # max_iter=1: each update is one direction and one line search; its state keeps the
    # direction d and the accepted step t
    g = gk.grad(rosen)
    x = np.array([-1.2, 1.0, -0.5, 0.8])
    opt = gk.optim.lbfgs(line_search_fn="strong_wolfe", max_iter=1, tolerance_change=0.0)
    state = opt.init(x)
    checked = 0
    while np.max(np.abs(g(x))) > 1e-6:
        update, state = opt.update(None, state, x, gk.value_and_grad(rosen))
        assert _wolfe(rosen, g, x, state["d"], state["t"]) == (True, True)
        # the update may be formed as (x + t d) - x: its entries carry an absolute error of
        # an ulp of |x| (1.1e-16 on NumPy 2.0 for an entry of 1e-8), whatever their size
        ulp_x = 4 * np.finfo(float).eps * np.max(np.abs(x))
        np.testing.assert_allclose(update, state["t"] * state["d"], rtol=1e-12, atol=ulp_x)
        x = x + update
        checked += 1
        assert checked < 200
    assert checked > 20  # Rosenbrock's valley takes many steps: the check saw them all


@pytest.mark.parametrize("n", [2, 6])
def test_lbfgs_with_strong_wolfe_minimizes_rosenbrock_as_scipy_does(n):
    scipy_optimize = pytest.importorskip("scipy.optimize")
    x0 = np.tile([-1.2, 1.0], n // 2)
    opt = gk.optim.lbfgs(
        line_search_fn="strong_wolfe", tolerance_grad=1e-11, tolerance_change=0.0, max_iter=500
    )
    res = gk.optim.minimize(rosen, x0, opt, steps=5, tol=1e-9)
    assert res.converged
    ref = scipy_optimize.minimize(scipy_optimize.rosen, x0, jac=scipy_optimize.rosen_der,
                                  method="BFGS", options={"gtol": 1e-11})  # fmt: skip
    np.testing.assert_allclose(res.x, ref.x, rtol=0, atol=1e-8)
    np.testing.assert_allclose(res.x, np.ones(n), rtol=0, atol=1e-8)  # the known minimizer
    assert scipy_optimize.rosen(res.x) < 1e-16


def test_lbfgs_with_strong_wolfe_fits_a_logistic_regression_as_scipy_does():
    scipy_optimize = pytest.importorskip("scipy.optimize")
    lam = 0.1
    loss, grad, features = _logistic_problem(lam=lam)
    opt = gk.optim.lbfgs(line_search_fn="strong_wolfe", tolerance_grad=1e-12, tolerance_change=0)
    res = gk.optim.minimize(loss, np.zeros(features), opt, steps=3, tol=1e-12)
    ref = scipy_optimize.minimize(loss, np.zeros(features), jac=grad, method="L-BFGS-B",
                                  options={"gtol": 1e-12, "ftol": 0})  # fmt: skip
    # Near the minimum the values differ by less than their rounding, so a search on
    # values stops at a gradient of ~sqrt(eps) (SciPy's, on slopes too, goes further).
    # The loss is lam-strongly convex: |x - x*| <= |grad f(x)| / lam bounds each answer.
    g_ours, g_ref = np.linalg.norm(grad(res.x)), np.linalg.norm(grad(ref.x))
    assert g_ours < 1e-8
    assert np.linalg.norm(res.x - ref.x) <= (g_ours + g_ref) / lam
    assert loss(res.x) == pytest.approx(ref.fun, rel=1e-15)


def test_bad_arguments_get_clear_errors():
    evaluate = lambda t: (t * t, np.array([2 * t]))  # noqa: E731
    with pytest.raises(ValueError, match="not a descent direction"):
        strong_wolfe(evaluate, 1.0, np.ones(1), 1.0, np.array([2.0]))
    with pytest.raises(ValueError, match="0 < c1 < c2 < 1"):
        strong_wolfe(evaluate, 1.0, -np.ones(1), 1.0, np.array([2.0]), c1=0.9, c2=0.1)
    with pytest.raises(ValueError, match="None or 'strong_wolfe'"):
        gk.optim.lbfgs(line_search_fn="wolfe")
