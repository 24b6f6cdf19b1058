"""The cost of a per-thread trace stack: ``threading.local`` against one process-global
list, timed in interleaved rounds on a tiny gradient, the 200-op chain gradient and an
eager Tensor step, and the bare ``running()`` call.

Run: ``PYTHONPATH=src python benchmarks/trace_stack.py``. Operations never consult the
stack (a value's trace records it), so only a transform's entry and a Tensor created with
``requires_grad`` pay the difference.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import timeit

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import workloads  # noqa: E402

import gradkit as gk  # noqa: E402
from gradkit.autodiff import replay, trace, transforms  # noqa: E402

_GLOBAL: list = []


def global_running() -> list:
    return _GLOBAL


def use(fn) -> None:
    trace.running = transforms.running = replay.running = fn


def main() -> None:
    local_running = trace.running
    chain = workloads.make_chain()["gradkit"]
    tiny = gk.grad(lambda x: np.sum(x * x))
    xs = np.ones(3)

    def eager():
        t = gk.Tensor(xs, requires_grad=True)
        (t * t).sum().backward()

    cases = {"grad(sum(x*x)), 3-vector": lambda: tiny(xs), "chain gradient, 200 ops": chain,
             "eager Tensor step": eager}  # fmt: skip
    res: dict = {(c, m): [] for c in cases for m in ("local", "global")}
    for _ in range(15):
        for mode, fn in (("local", local_running), ("global", global_running)):
            use(fn)
            for name, f in cases.items():
                n = 200 if "chain" in name else 2000
                t0 = time.perf_counter()
                for _ in range(n):
                    f()
                res[name, mode].append((time.perf_counter() - t0) / n * 1e6)
    use(local_running)
    for name in cases:
        a, b = res[name, "local"], res[name, "global"]
        ratio = statistics.median(x / y for x, y in zip(a, b))
        print(f"{name:26s} best: local {min(a):8.2f} us, global {min(b):8.2f} us; "
              f"median of round ratios local/global {ratio:.3f}")  # fmt: skip
    for label, fn in (("threading.local", local_running), ("global list", global_running)):
        ts = timeit.repeat(fn, number=200000, repeat=7)
        print(f"running() with {label:16s} {min(ts) / 200000 * 1e9:.1f} ns per call")


if __name__ == "__main__":
    main()
