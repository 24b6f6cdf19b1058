"""Gradients of generalized linear models on a Dask cluster: gk.grad against dask-glm.

The data (``--rows`` x 8 float64 features, 320 MB by default, more than one worker's
memory limit) are drawn lazily by ``dask.array.random`` on a ``LocalCluster`` of two
worker processes with one thread and ``--limit`` MiB each. For the logistic and the
Poisson regression, in interleaved rounds (``--repeats``), one pass over the data
computes

- ``gk.value_and_grad(loss)(w, X, y)`` of the plain NumPy loss, value and gradient;
- ``gk.grad(loss)(w, X, y)``, the gradient alone;
- dask-glm's hand-derived gradient (``dask_glm.families.Logistic/Poisson
  .pointwise_gradient``) if dask-glm is installed, and the same closed form written by
  hand in Dask (``X.T @ (mu - y)``) in any case.

Printed: the median, min and max seconds of each, the median of the per-round ratios
to the hand-written gradient, and the largest worker memory seen (sampled every 0.1 s).
``--fit`` also fits the logistic regression on the full data with scipy's L-BFGS (jac
from gk.grad, value and gradient in one pass per iteration).

Run: ``PYTHONPATH=src python benchmarks/dask_glm.py [--rows 5000000] [--repeats 5]``.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

import numpy as np

N_FEATURES = 8
CHUNK_ROWS = 100_000
BETA = np.linspace(-0.5, 0.5, N_FEATURES)


def logistic_loss(w, X, y):
    z = X @ w
    return np.mean(np.logaddexp(0.0, z) - y * z)


def poisson_loss(w, X, y):
    z = X @ w
    return np.mean(np.exp(z) - y * z)


def hand_gradient(model, w, X, y):
    z = X @ w
    mu = 1.0 / (1.0 + np.exp(-z)) if model == "logistic" else np.exp(z)
    return X.T @ (mu - y) / X.shape[0]


def _poisson_quantile(u, lam):
    k = np.zeros_like(u)
    p = np.exp(-lam)
    cdf = p.copy()
    for j in range(1, 40):
        k += u > cdf
        p = p * lam / j
        cdf += p
    return k


def make_data(model, rows, seed=7):
    import dask.array as da

    rng = da.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, size=(rows, N_FEATURES), chunks=(CHUNK_ROWS, N_FEATURES))
    z = X @ BETA
    if model == "logistic":
        y = (rng.random(rows, chunks=CHUNK_ROWS) < 1.0 / (1.0 + np.exp(-z))).astype(float)
    else:
        u = rng.random(rows, chunks=CHUNK_ROWS)
        y = da.map_blocks(_poisson_quantile, u, np.exp(z), dtype=float)
    return X, y


def _rss():
    import psutil

    return psutil.Process().memory_info().rss


class MemorySampler:
    def __init__(self, client):
        self.client, self.peak, self._stop = client, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, *self.client.run(_rss).values())
            self._stop.wait(0.1)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def _ways(gk, families, model, loss, w, X, y) -> dict:
    """The gradients timed, each a function building its (lazy) graph."""
    ways = {
        "gk.value_and_grad": lambda: gk.value_and_grad(loss)(w, X, y),
        "gk.grad": lambda: gk.grad(loss)(w, X, y),
        "hand-written Dask": lambda: hand_gradient(model, w, X, y),
    }
    if families is not None:
        family = families.Logistic if model == "logistic" else families.Poisson
        ways["dask-glm"] = lambda: family.pointwise_gradient(w, X, y)
    return ways


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--limit", type=int, default=300, help="MiB per worker")
    parser.add_argument("--fit", action="store_true", help="also fit on the full data")
    args = parser.parse_args()

    import os
    import sys

    # this file is dask_glm.py: its folder must not shadow the dask_glm package
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    import dask
    import distributed

    import gradkit as gk

    try:
        from dask_glm import families
    except ImportError:  # dask-glm is optional: the hand-written gradient stays
        families = None
    limit = args.limit * 2**20
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        memory_limit=limit,
        dashboard_address=":0",  # a free port (None is 8787 on older releases)
        silence_logs=40,
    )
    client = distributed.Client(cluster)
    w = BETA * 0.5
    print(
        f"{args.rows} x {N_FEATURES} float64 = {args.rows * N_FEATURES * 8 / 2**20:.0f} MiB, "
        f"2 workers x 1 thread x {args.limit} MiB; dask {dask.__version__}, "
        f"dask-glm {'installed' if families else 'absent'}"
    )
    for model, loss in (("logistic", logistic_loss), ("poisson", poisson_loss)):
        X, y = make_data(model, args.rows)
        ways = _ways(gk, families, model, loss, w, X, y)
        times: dict = {k: [] for k in ways}
        with MemorySampler(client) as memory:
            for _ in range(args.repeats):
                for name, build in ways.items():
                    start = time.perf_counter()
                    dask.compute(build())
                    times[name].append(time.perf_counter() - start)
        print(f"\n{model}: seconds per gradient (median [min, max]), ratio to hand-written")
        hand = times["hand-written Dask"]
        for name, ts in times.items():
            ratio = statistics.median(t / h for t, h in zip(ts, hand))
            print(
                f"  {name:20s} {statistics.median(ts):7.2f} [{min(ts):.2f}, {max(ts):.2f}]"
                f"   x{ratio:.2f}"
            )
        print(f"  largest worker memory: {memory.peak / 2**20:.0f} MiB (limit {args.limit})")
    if args.fit:
        from scipy import optimize

        X, y = make_data("logistic", args.rows)
        vg = gk.value_and_grad(logistic_loss)
        start = time.perf_counter()
        with MemorySampler(client) as memory:
            res = optimize.minimize(
                lambda w: dask.compute(*vg(w, X, y)), np.zeros(N_FEATURES), jac=True,
                method="L-BFGS-B", options={"gtol": 1e-6},
            )  # fmt: skip
        print(
            f"\nL-BFGS on all rows: {res.nit} iterations, {res.nfev} passes, "
            f"{time.perf_counter() - start:.0f} s, max |w - beta| = "
            f"{np.max(np.abs(res.x - BETA)):.4f}, largest worker memory "
            f"{memory.peak / 2**20:.0f} MiB"
        )
    client.close()
    cluster.close(timeout=30)


if __name__ == "__main__":
    main()
