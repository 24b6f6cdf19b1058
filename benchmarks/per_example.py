"""Per-example gradients of an MLP 20-64-10 (tanh, softmax cross-entropy) on 64 examples.

gk.jit(gk.vmap(gk.grad(loss), in_axes=(None, 0, 0))) against hand-vectorized NumPy
per-example gradients, beside torch.func.vmap(grad) and jax.jit(vmap(grad)) when they are
installed. Each ratio is measured in several rounds; the median and the range are shown.

    PYTHONPATH=src python benchmarks/per_example.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import statistics
import timeit

import numpy as np

import gradkit as gk

N_IN, N_HID, N_OUT, BATCH = 20, 64, 10, 64


def loss(params, x, y):
    """One example's softmax cross-entropy (y is an integer label)."""
    h = np.tanh(x @ params["w1"] + params["b1"])
    logits = h @ params["w2"] + params["b2"]
    shifted = logits - np.max(logits)
    return -(shifted[y] - np.log(np.sum(np.exp(shifted))))


def numpy_per_example(params, X, y):
    """The same gradients, vectorized by hand: one (batch, ...) array per parameter."""
    h = np.tanh(X @ params["w1"] + params["b1"])
    logits = h @ params["w2"] + params["b2"]
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(len(y)), y] -= 1.0  # d loss / d logits, per example
    dh = (p @ params["w2"].T) * (1.0 - h * h)
    return {
        "w1": X[:, :, None] * dh[:, None, :],
        "b1": dh,
        "w2": h[:, :, None] * p[:, None, :],
        "b2": p,
    }


def _data(seed: int = 0):
    rng = np.random.default_rng(seed)
    params = {
        "w1": rng.standard_normal((N_IN, N_HID)) / np.sqrt(N_IN),
        "b1": np.zeros(N_HID),
        "w2": rng.standard_normal((N_HID, N_OUT)) / np.sqrt(N_HID),
        "b2": np.zeros(N_OUT),
    }
    return params, rng.standard_normal((BATCH, N_IN)), rng.integers(0, N_OUT, BATCH)


def _best(fn, number: int) -> float:
    return min(timeit.repeat(fn, number=number, repeat=3)) / number


def _torch_runner(params, X, y):
    try:
        import torch
        from torch.func import grad, vmap
    except ImportError:
        return None
    torch.set_num_threads(1)  # one core, as NumPy and gradkit use here
    tp = {k: torch.tensor(v) for k, v in params.items()}
    tX, ty = torch.tensor(X), torch.tensor(y)

    def tloss(p, x, t):
        h = torch.tanh(x @ p["w1"] + p["b1"])
        return torch.nn.functional.cross_entropy((h @ p["w2"] + p["b2"])[None], t[None])

    fn = vmap(grad(tloss), in_dims=(None, 0, 0))
    return lambda: fn(tp, tX, ty)


def _jax_runner(params, X, y):
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)

    def jloss(p, x, t):
        h = jnp.tanh(x @ p["w1"] + p["b1"])
        return -jax.nn.log_softmax(h @ p["w2"] + p["b2"])[t]

    fn = jax.jit(jax.vmap(jax.grad(jloss), in_axes=(None, 0, 0)))
    jp = {k: jnp.asarray(v) for k, v in params.items()}
    jX, jy = jnp.asarray(X), jnp.asarray(y)
    fn(jp, jX, jy)  # compile
    return lambda: jax.block_until_ready(fn(jp, jX, jy))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--number", type=int, default=200)
    args = parser.parse_args()
    params, X, y = _data()

    per_example = gk.jit(gk.vmap(gk.grad(loss), in_axes=(None, 0, 0)))
    got, want = per_example(params, X, y), numpy_per_example(params, X, y)
    for k in params:  # the benchmark measures the right computation
        np.testing.assert_allclose(got[k], want[k], rtol=1e-10, atol=1e-12)
    eager = gk.vmap(gk.grad(loss), in_axes=(None, 0, 0))
    runners = {
        "gradkit jit(vmap(grad))": lambda: per_example(params, X, y),
        "gradkit vmap(grad), no jit": lambda: eager(params, X, y),
        "torch.func vmap(grad)": _torch_runner(params, X, y),
        "jax jit(vmap(grad))": _jax_runner(params, X, y),
    }
    base = lambda: numpy_per_example(params, X, y)  # noqa: E731
    ratios: dict = {name: [] for name, run in runners.items() if run is not None}
    numpy_times = []
    for _ in range(args.rounds):
        t_np = _best(base, args.number)
        numpy_times.append(t_np)
        for name in ratios:
            number = args.number if "no jit" not in name else max(args.number // 10, 1)
            ratios[name].append(_best(runners[name], number) / t_np)
    print(
        f"per-example gradients, MLP {N_IN}-{N_HID}-{N_OUT}, {BATCH} examples; hand-vectorized "
        f"NumPy {statistics.median(numpy_times) * 1e6:.0f} us (median of {args.rounds} rounds)"
    )
    print(f"{'':30s} {'median':>8s} {'min':>8s} {'max':>8s}   (time / NumPy)")
    for name, rs in ratios.items():
        print(f"{name:30s} {statistics.median(rs):8.2f} {min(rs):8.2f} {max(rs):8.2f}")
    for name, run in runners.items():
        if run is None:
            print(f"{name:30s} not installed")


if __name__ == "__main__":
    main()
