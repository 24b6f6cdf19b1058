"""Layer benchmarks: a conv layer and an LSTM, forward + backward, against torch CPU eager.

    python benchmarks/layers.py            # 21 rounds
    python benchmarks/layers.py --rounds 5

Both libraries run on one thread (OMP/MKL/OpenBLAS pinned before NumPy and torch load),
in float64, on the same shapes and weights; before timing, gradkit's output and
gradients are checked against torch's (1e-10), so a fast wrong answer cannot pass. The
two take turns round after round; a ratio is the median over rounds of gradkit's time
over torch's within a round (a shared slowdown cancels), with the interquartile range.
Without torch the script says so and exits 0.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import numpy as np  # noqa: E402

import gradkit as gk  # noqa: E402


def _conv(torch):
    x = np.random.default_rng(0).standard_normal((32, 16, 16, 16))
    tm = torch.nn.Conv2d(16, 32, 3, padding=1)
    gm = gk.nn.Conv2d(16, 32, 3, padding=1)
    return "Conv2d 16->32, 3x3, pad 1, batch 32, 16x16", gm, tm, x, lambda o: o


def _lstm(torch):
    x = np.random.default_rng(1).standard_normal((20, 32, 64))
    tm = torch.nn.LSTM(64, 128)
    gm = gk.nn.LSTM(64, 128)
    return "LSTM 64->128, 20 steps, batch 32", gm, tm, x, lambda o: o[0]


def _steps(torch, gm, tm, x, pick):
    gm.load_torch_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    cot = np.random.default_rng(2).standard_normal(np.shape(pick(gm(x))))
    ct, xt = torch.tensor(cot), torch.tensor(x, requires_grad=True)
    grad = gk.grad(lambda p, xx: np.sum(pick(gm.apply(p, xx)) * cot), argnums=(0, 1))

    def gk_step():
        return grad(gm.params, x)

    def torch_step():
        tm.zero_grad()
        xt.grad = None
        (pick(tm(xt)) * ct).sum().backward()
        return xt.grad

    gp, gx = gk_step()
    if not np.allclose(gx, torch_step().numpy(), rtol=1e-10, atol=1e-10):
        raise SystemExit("gradkit's input gradient differs from torch's: not timing")
    gm.params = gp
    mine = gm.torch_state_dict()
    for name, p in tm.named_parameters():
        if not np.allclose(mine[name], p.grad.numpy(), rtol=1e-10, atol=1e-10):
            raise SystemExit(f"gradkit's gradient of {name} differs from torch's: not timing")
    return gk_step, torch_step


def _seconds(fn, number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21)
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    try:
        import torch
    except ImportError:
        print("torch is not installed: nothing to compare against (pip install torch)")
        return 0
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float64)
    print(f"numpy {np.__version__}, torch {torch.__version__}, one thread, float64")
    print(f"{'workload':46} {'torch ms':>9} {'gradkit ms':>11} {'ratio':>6} {'IQR':>13}")
    for make in (_conv, _lstm):
        label, gm, tm, x, pick = make(torch)
        gk_step, torch_step = _steps(torch, gm, tm, x, pick)
        ratios, t_times, g_times = [], [], []
        for r in range(args.rounds):
            pair = [("gk", gk_step), ("torch", torch_step)]
            if r % 2:
                pair.reverse()
            times = {name: _seconds(fn, 3) for name, fn in pair}
            ratios.append(times["gk"] / times["torch"])
            t_times.append(times["torch"])
            g_times.append(times["gk"])
        q = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else [ratios[0]] * 3
        print(
            f"{label:46} {1e3 * statistics.median(t_times):9.2f} "
            f"{1e3 * statistics.median(g_times):11.2f} {statistics.median(ratios):6.2f} "
            f"{q[0]:6.2f}-{q[2]:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
