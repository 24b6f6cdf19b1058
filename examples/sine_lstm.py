"""An LSTM that predicts the next point of sine waves of unknown frequency and phase.

    python examples/sine_lstm.py

Each sequence is sin(w t + phi) at t = 0, 0.3, ..., with w in [0.5, 1.5] and phi random;
the target at every step is the next value. Reported: held-out mean squared error
against the baseline "the next value equals this one".
"""

from __future__ import annotations

import time

import numpy as np

import gradkit as gk
from gradkit import nn


def waves(n: int, length: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    w = rng.uniform(0.5, 1.5, (n, 1))
    phi = rng.uniform(0, 2 * np.pi, (n, 1))
    t = 0.3 * np.arange(length + 1)[None, :]
    s = np.sin(w * t + phi)
    return s[:, :-1, None], s[:, 1:, None]


class NextValue(nn.Container):
    """An LSTM over the sequence and a linear read-out at every step."""

    def __init__(self, hidden: int = 32) -> None:
        super().__init__()
        self.add_module("lstm", nn.LSTM(1, hidden, batch_first=True, rng=0))
        self.add_module("head", nn.Linear(hidden, 1, rng=1))

    def forward(self, params, x):
        out, _ = self.run(params, "lstm", x)
        return self.run(params, "head", out)


def main(steps: int = 400, seed: int = 0) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    model = NextValue()
    opt = gk.optim.adam(1e-2)
    params, state = model.params, None
    state = opt.init(params)
    grad = gk.jit(gk.value_and_grad(lambda p, x, y: np.mean((model.apply(p, x) - y) ** 2)))
    start = time.perf_counter()
    for k in range(steps):
        x, y = waves(32, 30, rng)
        value, g = grad(params, x, y)
        updates, state = opt.update(g, state, params)
        params = gk.optim.apply_updates(params, updates)
        if k % 100 == 0:
            print(f"step {k:4d}  mse {float(value):.5f}")
    model.params = params
    x, y = waves(500, 30, np.random.default_rng(seed + 1))
    mse = float(np.mean((model(x) - y) ** 2))
    baseline = float(np.mean((x - y) ** 2))
    print(
        f"held-out mse {mse:.5f} (repeat-last baseline {baseline:.5f}), "
        f"{time.perf_counter() - start:.0f} s"
    )
    return mse, baseline


if __name__ == "__main__":
    main()
