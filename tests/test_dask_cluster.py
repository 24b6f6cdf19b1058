"""Generalized linear models fitted on a real Dask cluster with gradients from gk.grad
(issue 29, point 3).

A ``dask.distributed.LocalCluster`` with two worker processes of one thread each and a
memory limit of ``LIMIT`` bytes per worker; the data are drawn lazily by
``dask.array.random`` chunk by chunk on the workers, so no process ever holds them whole.

- On the full data set, larger than one worker's memory limit, the logistic and the
  Poisson regression's gradients (gk.value_and_grad of the plain NumPy loss) are
  computed by the cluster while each worker's memory is sampled: it stays under the
  limit; the gradient equals the closed form computed by hand-written Dask code; a few
  L-BFGS iterations (scipy.optimize, jac from gk.grad) lower the loss.
- On a subset that fits in memory (the first rows of the same lazy data), each model is
  fitted on the cluster by scipy's L-BFGS and by gk.optim, and again on the same rows
  pulled into memory with NumPy: the coefficients agree to 1e-8.

The full-size passes dominate the time (about 2-4 s each on an idle 2-core machine, six
times that under a load of 12); ``-m "not dask_cluster"`` deselects this file and
GRADKIT_DASK_FULL=0 skips only the full-size passes (a machine with < 1.5 GB free).
"""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest

da = pytest.importorskip("dask.array", reason="Dask is not installed (pip install gradkit[dask])")
distributed = pytest.importorskip(
    "distributed", reason="dask.distributed is not installed (pip install gradkit[dask])"
)
optimize = pytest.importorskip("scipy.optimize", reason="SciPy is not installed")
import dask  # noqa: E402

import gradkit as gk  # noqa: E402

pytestmark = [
    pytest.mark.dask_cluster,  # deselect with -m "not dask_cluster"
    pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::ResourceWarning"),
]

LIMIT = 300 * 2**20  # bytes per worker
N_FEATURES = 8
CHUNK_ROWS = 100_000
FULL_ROWS = 5_000_000  # 320 MB of float64 features: more than one worker's limit
SUBSET_ROWS = 200_000  # 12.8 MB: fits anywhere
BETA = np.linspace(-0.5, 0.5, N_FEATURES)


# --- the models: plain NumPy, as a user writes them ----------------------------------------
def logistic_loss(w, X, y):
    z = X @ w
    return np.mean(np.logaddexp(0.0, z) - y * z)


def poisson_loss(w, X, y):
    z = X @ w
    return np.mean(np.exp(z) - y * z)


def _hand_gradient(model, w, X, y):
    """The closed-form gradients, written by hand in Dask (what dask-glm carries)."""
    z = X @ w
    mu = 1.0 / (1.0 + np.exp(-z)) if model == "logistic" else np.exp(z)
    return X.T @ (mu - y) / X.shape[0]


LOSSES = {"logistic": logistic_loss, "poisson": poisson_loss}


def make_data(model, rows, seed=7):
    """Features and responses drawn lazily, chunk by chunk, from ``seed``."""
    rng = da.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, size=(rows, N_FEATURES), chunks=(CHUNK_ROWS, N_FEATURES))
    z = X @ BETA
    if model == "logistic":
        y = (rng.random(rows, chunks=CHUNK_ROWS) < 1.0 / (1.0 + np.exp(-z))).astype(float)
    else:  # Poisson by inversion of its CDF, kept chunked: rate exp(z) <= e^2
        u = rng.random(rows, chunks=CHUNK_ROWS)
        y = da.map_blocks(_poisson_quantile, u, np.exp(z), dtype=float)
    return X, y


def _poisson_quantile(u, lam):
    k = np.zeros_like(u)
    p = np.exp(-lam)
    cdf = p.copy()
    for j in range(1, 40):
        more = u > cdf
        k += more
        p = p * lam / j
        cdf += p
    return k


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        memory_limit=LIMIT,
        dashboard_address=":0",  # a free port (None is 8787 on older releases)
        silence_logs=40,
    )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


class _MemorySampler:
    """The largest resident memory of any worker, sampled every 0.1 s."""

    def __init__(self, client):
        self.client, self.peak, self._stop = client, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            rss = self.client.run(_rss)
            self.peak = max(self.peak, *rss.values())
            self._stop.wait(0.1)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def _rss():
    import psutil

    return psutil.Process().memory_info().rss


def _lbfgs(fun_and_grad, x0, maxiter):
    return optimize.minimize(
        fun_and_grad, x0, jac=True, method="L-BFGS-B", options={"maxiter": maxiter, "gtol": 1e-10}
    )


# --- the full data set: larger than a worker's memory ----------------------------------------
@pytest.mark.skipif(os.environ.get("GRADKIT_DASK_FULL") == "0", reason="GRADKIT_DASK_FULL=0")
@pytest.mark.parametrize("model", ["logistic", "poisson"])
def test_gradients_of_data_larger_than_a_worker(client, model) -> None:
    X, y = make_data(model, FULL_ROWS)
    assert X.nbytes > LIMIT  # the point: no worker could hold the data
    loss = LOSSES[model]
    w0 = np.zeros(N_FEATURES)
    with _MemorySampler(client) as memory:
        value, g = gk.value_and_grad(loss)(w0, X, y)  # lazy: a graph, no data yet
        hand = _hand_gradient(model, w0, X, y)
        start = time.perf_counter()
        value, g, hand = dask.compute(value, g, hand)  # one pass over the data
        seconds = time.perf_counter() - start
    assert memory.peak < LIMIT, f"a worker reached {memory.peak / 2**20:.0f} MiB"
    np.testing.assert_allclose(g, hand, rtol=1e-10, atol=1e-14)
    if model == "logistic":
        np.testing.assert_allclose(value, np.log(2.0), rtol=1e-12)  # loss at w = 0
    assert seconds < 120
    assert all(w["memory_limit"] == LIMIT for w in client.scheduler_info()["workers"].values())


@pytest.mark.skipif(os.environ.get("GRADKIT_DASK_FULL") == "0", reason="GRADKIT_DASK_FULL=0")
def test_lbfgs_steps_on_data_larger_than_a_worker(client) -> None:
    X, y = make_data("logistic", FULL_ROWS)
    vg = gk.value_and_grad(logistic_loss)

    def fun_and_grad(w):
        return dask.compute(*vg(w, X, y))  # value and gradient: one pass

    with _MemorySampler(client) as memory:
        res = _lbfgs(fun_and_grad, np.zeros(N_FEATURES), maxiter=2)
    assert memory.peak < LIMIT, f"a worker reached {memory.peak / 2**20:.0f} MiB"
    assert res.fun < np.log(2.0) - 1e-3  # it learned something
    # toward the coefficients the data were drawn with
    assert np.corrcoef(res.x, BETA)[0, 1] > 0.95


# --- a subset that fits: the same fit in NumPy ------------------------------------------------
def _fit_lbfgs(loss, X, y, lazy):
    vg = gk.value_and_grad(loss)

    def fun_and_grad(w):
        value, g = vg(w, X, y)
        return dask.compute(value, g) if lazy else (value, g)

    return _lbfgs(fun_and_grad, np.zeros(N_FEATURES), maxiter=50).x


def _fit_gk_optim(loss, X, y, lazy, steps=15):
    vg = gk.value_and_grad(loss)
    opt = gk.optim.adam(0.05)
    w = np.zeros(N_FEATURES)
    state = opt.init(w)
    for _ in range(steps):
        value, g = vg(w, X, y)
        if lazy:
            value, g = dask.compute(value, g)
        updates, state = opt.update(g, state, w)
        w = gk.optim.apply_updates(w, updates)
    return w


@pytest.mark.parametrize("fit", [_fit_lbfgs, _fit_gk_optim], ids=["scipy-lbfgs", "gk.optim.adam"])
@pytest.mark.parametrize("model", ["logistic", "poisson"])
def test_the_cluster_fit_equals_the_numpy_fit_on_a_subset(client, model, fit) -> None:
    X, y = make_data(model, FULL_ROWS)
    Xs, ys = X[:SUBSET_ROWS], y[:SUBSET_ROWS]  # the same rows, still lazy
    Xs, ys = Xs.persist(), ys.persist()  # held by the workers between iterations
    X_np, y_np = dask.compute(Xs, ys)  # and in this process's memory
    assert isinstance(X_np, np.ndarray)
    loss = LOSSES[model]
    on_cluster = fit(loss, Xs, ys, lazy=True)
    in_memory = fit(loss, X_np, y_np, lazy=False)
    np.testing.assert_allclose(on_cluster, in_memory, rtol=1e-8, atol=1e-8)
    if fit is _fit_lbfgs:  # converged: near the coefficients the data were drawn with
        assert np.max(np.abs(in_memory - BETA)) < 0.05
    else:  # 15 Adam steps of 0.05 from 0: moving toward them
        assert np.corrcoef(in_memory, BETA)[0, 1] > 0.9
