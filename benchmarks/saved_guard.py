"""The cost of guarding saved values (reverse.py, ``ReverseTrace.guard``), guard on
against off, in interleaved rounds (best of the rounds and the median of the ratios):

- one eager Tensor operation ``w * c`` with a constant array ``c`` of 10, 1,000 and
  100,000 float64 numbers (the fingerprint, a copy of ``c``'s bytes, is per byte), and
  the ``backward()`` that compares it;
- gk.grad's read-only locks (a constant per byte costs nothing): ``grad(sum(x * c))``,
  the 200-op chain gradient and the MLP step of benchmarks/workloads.py.

Run: ``PYTHONPATH=src python benchmarks/saved_guard.py``.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import allocator  # noqa: E402
import workloads  # noqa: E402

import gradkit as gk  # noqa: E402
from gradkit.autodiff import reverse, tensor  # noqa: E402

_init = reverse.ReverseTrace.__init__


def _unguarded_init(self, level, name, tape=True, guard=None):
    _init(self, level, name, tape, None)
    self.guard = None


def set_guard(on: bool) -> None:
    reverse.ReverseTrace.__init__ = _init if on else _unguarded_init
    tensor.GLOBAL_EAGER.guard = "fingerprint" if on else None


def timed(fn, n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n * 1e6


def main() -> None:
    print(allocator.fix_thresholds())  # as benchmarks/run.py does
    cases = {}
    for size in (10, 1000, 100_000):
        c = np.random.default_rng(0).standard_normal(size)
        w = gk.Tensor(np.ones(size), requires_grad=True)
        n = 2000 if size < 1e5 else 100
        cases[f"eager w * c, {size} numbers"] = (lambda w=w, c=c: w * c, n)
        cases[f"eager w * c + backward, {size}"] = (
            lambda w=w, c=c: np.sum(w * c).backward(),
            1000 if size < 1e5 else 50,
        )
    c = np.random.default_rng(1).standard_normal(1000)
    g = gk.grad(lambda x: np.sum(x * c))
    x = np.ones(1000)
    cases["grad(sum(x * c)), 1000 numbers"] = (lambda: g(x), 1000)
    cases["chain gradient, 200 ops"] = (workloads.make_chain()["gradkit"], 100)
    cases["MLP step (gk.grad)"] = (workloads.make_mlp()["gradkit"], 10)
    res: dict = {(k, m): [] for k in cases for m in ("on", "off")}
    for _ in range(11):
        for mode in ("on", "off"):
            set_guard(mode == "on")
            for name, (fn, n) in cases.items():
                res[name, mode].append(timed(fn, n))
    set_guard(True)
    for name in cases:
        on, off = res[name, "on"], res[name, "off"]
        ratio = statistics.median(a / b for a, b in zip(on, off))
        print(f"{name:34s} best: on {min(on):9.2f} us, off {min(off):9.2f} us "
              f"(+{min(on) - min(off):7.2f} us); median ratio on/off {ratio:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
