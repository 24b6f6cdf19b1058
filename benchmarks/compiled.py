"""gk.jit's numba backend against hand-written NumPy, the plain replay and torch.

Run: ``PYTHONPATH=src python benchmarks/compiled.py``. BLAS and torch are pinned to one
thread, the load average is printed before and after, each timing is repeated
(median and spread of the repeats). Compile time is reported apart (first replay).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import functools  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import timeit  # noqa: E402

import numpy as np  # noqa: E402

import gradkit as gk  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
import workloads  # noqa: E402

REPEATS = 7


def rnn_loss(params, xs):
    Wx, Wh, b = params
    h = np.zeros((xs.shape[1], Wh.shape[0]))
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
    return np.sum(h**2)


def rnn_numpy_grad(params, xs):
    """Backpropagation through time, by hand."""
    Wx, Wh, b = params
    h = np.zeros((xs.shape[1], Wh.shape[0]))
    hs = [h]
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
        hs.append(h)
    dh = 2 * h
    gWx, gWh, gb = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
    for t in range(xs.shape[0] - 1, -1, -1):
        dz = dh * (1 - hs[t + 1] ** 2)
        gWx += xs[t].T @ dz
        gWh += hs[t].T @ dz
        gb += dz.sum(axis=0)
        dh = dz @ Wh.T
    return [gWx, gWh, gb]


def rnn_case(batch: int):
    rng = np.random.default_rng(0)
    p = [rng.normal(size=(8, 32)) * 0.3, rng.normal(size=(32, 32)) * 0.2, np.zeros(32)]
    xs = rng.normal(size=(50, batch, 8))
    return gk.grad(rnn_loss), (p, xs), lambda: rnn_numpy_grad(p, xs), rnn_loss, (p, xs)


def tiny_case():
    X, y, init = workloads._tutorial_data()
    hand = workloads.make_tiny_net()["numpy"]
    return gk.grad(workloads._tiny_net_loss), (init, X, y), hand, None, None


def chain_case():
    x = np.linspace(-1.0, 1.0, 10)
    return gk.grad(workloads.chain), (x,), lambda: workloads.chain(x), workloads.chain, (x,)


def best(fn, number: int) -> tuple[float, float, float]:
    times = [t / number for t in timeit.repeat(fn, number=number, repeat=REPEATS)]
    times.sort()
    return times[len(times) // 2], times[0], times[-1]


def torch_rnn(batch: int):
    torch = __import__("torch")
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    p = [
        torch.tensor(a, requires_grad=True)
        for a in (rng.normal(size=(8, 32)) * 0.3, rng.normal(size=(32, 32)) * 0.2, np.zeros(32))
    ]
    xs = torch.tensor(rng.normal(size=(50, batch, 8)))

    def step():
        Wx, Wh, b = p
        h = torch.zeros((batch, 32), dtype=torch.float64)
        for t in range(50):
            h = torch.tanh(xs[t] @ Wx + h @ Wh + b)
        return torch.autograd.grad((h**2).sum(), p)

    return step


def main() -> None:
    print("uptime before:", os.popen("uptime").read().strip())
    cases = {
        "rnn50_b1": lambda: rnn_case(1),
        "rnn50_b16": lambda: rnn_case(16),
        "tiny_2_4_1": tiny_case,
        "chain200": chain_case,
    }
    only = sys.argv[1:] or list(cases)
    for name in only:
        grad_fn, args, hand, _, _ = cases[name]()
        replay = gk.jit(grad_fn)
        native = gk.jit(grad_fn, backend="numba")
        replay(*args)
        replay(*args)
        t0 = time.perf_counter()
        native(*args)  # records
        native(*args)  # first replay: compiles (or loads numba's cache), checked
        first = time.perf_counter() - t0
        info = native.report(*args)
        number = 200 if name != "chain200" else 100
        rows = {"numpy (hand)": best(hand, number)}
        rows["gk.jit replay"] = best(functools.partial(replay, *args), number)
        rows["gk.jit numba"] = best(functools.partial(native, *args), number)
        if name.startswith("rnn"):
            try:
                rows["torch"] = best(torch_rnn(args[1].shape[1]), number // 4)
            except ImportError:
                pass
        base = rows["numpy (hand)"][0]
        print(
            f"\n{name}: {info['compiled_steps']}/{info['steps']} steps compiled in "
            f"{info['segments']} segment(s); compile {info['compile_seconds']:.2f} s "
            f"(record + first replay {first:.2f} s)"
        )
        for label, (med, lo, hi) in rows.items():
            print(
                f"  {label:14s} {med * 1e6:9.1f} us  [{lo * 1e6:.1f}-{hi * 1e6:.1f}]"
                f"  {med / base:5.2f}x numpy"
            )
    print("\nuptime after:", os.popen("uptime").read().strip())


if __name__ == "__main__":
    main()
