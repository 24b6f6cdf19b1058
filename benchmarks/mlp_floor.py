"""Split the MLP step's gap to hand-written NumPy into compute and engine.

    python benchmarks/mlp_floor.py            # 41 rounds, in one process
    python benchmarks/mlp_floor.py --runs 6   # six processes, one line each

Four versions of the same SGD step, timed in turns as ``run.py`` times (same rounds, same
within-round ratios):

- ``numpy``: the hand-written step of ``workloads.py``, the baseline;
- ``same_ops``: the NumPy calls gradkit's engine makes for this step, in order, written
  out with no engine at all. Its ratio is what the compute alone costs;
- ``tape``: those same calls under the smallest reverse-mode tape that still works (a box
  per value, a list of backward closures, a dict-free walk). Its ratio bounds what any
  Python tape engine can reach here;
- ``gradkit``: the library, as ``run.py`` times it.

So ``gradkit - same_ops`` is the engine's share, and ``gradkit - tape`` what a leaner
engine could still win. Every version's gradients are checked against the hand-written
ones before timing.

A note for whoever extends ``tape``: its graph must not hold itself in a cycle (box ->
tape -> box). Freed only by the cyclic garbage collector, the arrays of each step then
outlive it, and the step measures 1.1x-4x, a property of the benchmark, not of the idea.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import allocator  # noqa: E402
import run  # noqa: E402
import workloads  # noqa: E402

from gradkit.autodiff.rules.elementwise import _masked  # noqa: E402


# --- the compute: gradkit's NumPy calls for this step, no engine ---------------------------
def same_ops_grads(params: list, X: np.ndarray, labels: np.ndarray) -> list:
    """The MLP's gradient through exactly the NumPy calls gradkit makes (linear: product
    and in-place bias; ReLU: maximum, then the in-place bit mask of its backward; the
    fused index cross-entropy), with nothing recorded."""
    W1, b1, W2, b2, W3, b3 = params
    z1 = X @ W1
    z1 += b1
    h1 = np.maximum(z1, 0.0)
    z2 = h1 @ W2
    z2 += b2
    h2 = np.maximum(z2, 0.0)
    z3 = h2 @ W3
    z3 += b3
    e, sums, at = _softmax_parts(z3, labels)
    d3 = _cross_entropy_slope(e, sums, at)
    d2 = _masked(h2 > 0, d3 @ W3.T, overwrite=True)
    d1 = _masked(h1 > 0, d2 @ W2.T, overwrite=True)
    return [X.T @ d1, _rows_sum(d1), h1.T @ d2, _rows_sum(d2), h2.T @ d3, _rows_sum(d3)]


def _softmax_parts(z: np.ndarray, labels: np.ndarray) -> tuple:
    """The fused cross-entropy's forward: its loss value (computed, as gradkit does, and
    dropped) and what its backward keeps."""
    rows, k = z.shape
    shifted = z - np.maximum.reduce(z, axis=-1, keepdims=True)
    e = np.exp(shifted)
    sums = e @ np.ones((k, 1))
    at = np.ravel_multi_index((np.arange(rows), labels), (rows, k))
    picked = shifted.take(at)
    picked -= np.log(sums).reshape(rows)
    loss = (picked @ np.ones(rows)) * (-1.0 / rows)
    assert np.isfinite(loss)
    return e, sums, at


def _cross_entropy_slope(e: np.ndarray, sums: np.ndarray, at: np.ndarray) -> np.ndarray:
    c = 1.0 / e.shape[0]
    e *= np.divide(c, sums, out=sums)
    e.put(at, e.take(at) - c)
    return e


def _rows_sum(g: np.ndarray) -> np.ndarray:
    return np.ones(g.shape[0]) @ g


# --- the smallest tape over the same calls -------------------------------------------------
class _Box:
    """A traced value: the array, and its cotangent once the backward walk reaches it."""

    __slots__ = ("value", "grad")

    def __init__(self, value: np.ndarray) -> None:
        self.value = value
        self.grad = None


def _add_grad(box: _Box, g: np.ndarray) -> None:
    box.grad = g if box.grad is None else box.grad + g


def tape_grads(
    params: list, X: np.ndarray, labels: np.ndarray, between: Callable | None = None
) -> list:
    """The same step under a minimal tape: each operation boxes its output and appends
    one backward closure; the walk runs them newest first. The tape is a local list, so
    nothing refers back to it and the step's arrays die with the call.

    ``between``, if given, is called between the recorded operations and before each
    backward closure (eleven times a step): ``python_cost.py`` adds Python work there,
    where an engine's own work falls."""
    tape: list = []
    boxes = [_Box(p) for p in params]

    def linear(x, w, b):
        out = _Box((x.value if type(x) is _Box else x) @ w.value)
        out.value += b.value

        def back():
            g = out.grad
            if type(x) is _Box:
                _add_grad(x, g @ w.value.T)
            _add_grad(w, (x.value if type(x) is _Box else x).T @ g)
            _add_grad(b, _rows_sum(g))

        tape.append(back)
        return out

    def relu(x):
        out = _Box(np.maximum(x.value, 0.0))
        tape.append(lambda: _add_grad(x, _masked(out.value > 0, out.grad, overwrite=True)))
        return out

    def cross_entropy(z):
        e, sums, at = _softmax_parts(z.value, labels)
        tape.append(lambda: _add_grad(z, _cross_entropy_slope(e, sums, at)))

    W1, b1, W2, b2, W3, b3 = boxes
    if between is None:
        cross_entropy(linear(relu(linear(relu(linear(X, W1, b1)), W2, b2)), W3, b3))
        for back in reversed(tape):
            back()
        return [b.grad for b in boxes]
    z = linear(X, W1, b1)
    for record in (relu, lambda h: linear(h, W2, b2), relu, lambda h: linear(h, W3, b3)):
        between()
        z = record(z)
    between()
    cross_entropy(z)
    for back in reversed(tape):
        between()
        back()
    return [b.grad for b in boxes]


# --- timing -----------------------------------------------------------------------------
def make_steps() -> dict:
    """The four versions of the step, each keeping its own parameters."""
    X, labels, init = workloads._mlp_data()
    hand = workloads._mlp_hand_grads(init, X, np.eye(10)[labels])
    for grads in (same_ops_grads, tape_grads):
        for got, want in zip(grads(init, X, labels), hand):
            np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    steps = workloads.make_mlp()
    out = {"numpy": steps["numpy"]}
    out["same_ops"] = workloads._grad_step(same_ops_grads, init, (X, labels), 0.01)
    out["tape"] = workloads._grad_step(tape_grads, init, (X, labels), 0.01)
    out["gradkit"] = steps["gradkit"]
    return out


def measure(rounds: int) -> str:
    """One line: each version's median ratio to the hand-written step, with quartiles."""
    samples = run._time_all(make_steps(), rounds)
    parts = [f"numpy {statistics.median(samples['numpy']) * 1e6:7.1f} us"]
    for k in ("same_ops", "tape", "gradkit"):
        ratios = run._paired(samples, k, "numpy")
        q1, q2, q3 = run._quartiles(ratios)
        parts.append(f"{k} {q2:.3f}x ({q1:.2f}-{q3:.2f})")
    return "  ".join(parts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=41, help="rounds per process")
    parser.add_argument(
        "--runs", type=int, default=1, help="separate processes (each lays out memory anew)"
    )
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.runs < 1:
        parser.error("--rounds and --runs must be at least 1")
    if args.runs == 1:
        print(allocator.fix_thresholds())
        print(measure(args.rounds))
        return
    for _ in range(args.runs):
        subprocess.run([sys.executable, __file__, "--rounds", str(args.rounds)], check=True)


if __name__ == "__main__":
    main()
