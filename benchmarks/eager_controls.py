"""What the eager controls (no_grad, hooks, retain_graph, detect_anomaly) cost the engine.

Times, in interleaved rounds, the 200-op chain (workloads.chain) on a 10-vector:

- ``grad``: ``gk.grad`` of the chain (the transforms' path);
- ``eager``: a Tensor that requires grad, the chain, ``backward()`` (Tensor's path);
- ``eager, hooks on``: the same after a hook was registered somewhere (the backward pass
  then looks each node up for hooks);
- ``forward, no_grad``: the chain on a Tensor that requires grad inside ``gk.no_grad()``
  (nothing recorded) against ``forward, recorded`` outside it;
- ``eager, detect_anomaly``: the eager step inside ``gk.detect_anomaly()`` (a debugging
  mode: a check and a stack walk per operation).

Run it on two checkouts to compare (the rows a checkout lacks are skipped):
``PYTHONPATH=src python benchmarks/eager_controls.py``. Prints the median over rounds of
each round's mean CPU time per call (process time: less disturbed by other processes
than wall time), with the rounds' min and max. The cases run interleaved in each round.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from workloads import chain  # noqa: E402

import gradkit as gk  # noqa: E402


def main(rounds: int = 15, n: int = 100) -> None:
    x = np.linspace(-1.0, 1.0, 10)
    g = gk.grad(chain)

    def eager():
        t = gk.Tensor(x, requires_grad=True)
        chain(t).backward()

    def forward():
        chain(gk.Tensor(x, requires_grad=True))

    cases = {"grad": lambda: g(x), "eager": eager, "forward, recorded": forward}
    no_grad = getattr(gk, "no_grad", None)
    if no_grad is not None:

        def forward_no_grad():
            with no_grad():
                forward()

        def eager_anomaly():
            with gk.detect_anomaly():
                eager()

        from gradkit.autodiff import hooks

        cases["forward, no_grad"] = forward_no_grad
        cases["eager, detect_anomaly"] = eager_anomaly

        def eager_hooks_on():
            hooks.ANY[0] = True  # as after any register_hook: backward looks nodes up
            try:
                eager()
            finally:
                hooks.ANY[0] = False

        cases["eager, hooks on"] = eager_hooks_on
    times: dict = {name: [] for name in cases}
    for _ in range(rounds):
        for name, fn in cases.items():
            t0 = time.process_time()
            for _ in range(n):
                fn()
            times[name].append((time.process_time() - t0) / n * 1e6)
    for name, ts in times.items():
        print(
            f"{name:24s} median {statistics.median(ts):8.1f} us   "
            f"[min {min(ts):8.1f}, max {max(ts):8.1f}]"
        )


if __name__ == "__main__":
    main()
