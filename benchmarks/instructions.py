"""Count the machine instructions per training step, a measure that does not drift.

    python benchmarks/instructions.py              # needs valgrind on the PATH
    python benchmarks/instructions.py --steps 500  # fewer steps, faster

Wall-clock timings on a shared 2-core virtual machine move by +-3% between identical runs,
more than most single changes to the engine are worth. Instructions retired are exact
from run to run (within 0.2%), so they can judge a change to the engine's Python. They
count work, not time: cache misses, which make the same Python slower inside a large
step, are not seen. Use them to compare two versions of the engine; use ``run.py`` and
``mlp_floor.py`` for the speed itself.

Each version runs under ``valgrind --tool=callgrind`` twice, for ``W`` and ``W + steps``
steps; the difference divided by ``steps`` is the cost of one step with start-up, imports
and first-call work removed. The versions, all on small arrays so the engine's share
shows:

- ``mlp``: the MLP's step (linear, relu, fused cross-entropy) on a 2-8-4-4-3 network,
  through ``gk.grad``;
- ``mlp_same_ops``: its NumPy calls with no engine, and ``mlp_tape``: under the minimal
  tape of ``mlp_floor.py``;
- ``tiny_net``: the 2-4-1 sigmoid network of ``workloads.py``, through ``gk.grad``.

``mlp - mlp_same_ops`` is what gradkit's engine executes per step, ``mlp_tape -
mlp_same_ops`` what the smallest working tape does.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
VERSIONS = ("mlp", "mlp_same_ops", "mlp_tape", "tiny_net")


def make_step(version: str) -> tuple:
    """A zero-argument function doing one SGD step of ``version`` (learning rate 0.01),
    and its state: the parameters ``"p"`` it updates and the ``"data"`` it trains on."""
    import numpy as np

    import gradkit as gk

    sys.path.insert(0, str(HERE))
    import mlp_floor
    import workloads

    rng = np.random.default_rng(0)
    if version == "tiny_net":
        X, y, init = workloads._tutorial_data()
        grad, data = gk.grad(workloads._tiny_net_loss), (X, y)
    elif version.startswith("mlp"):
        X, labels = rng.standard_normal((2, 8)), rng.integers(0, 3, 2)
        init = []
        for n_in, n_out in ((8, 4), (4, 4), (4, 3)):
            init += [rng.standard_normal((n_in, n_out)), np.zeros(n_out)]
        grad = {
            "mlp": gk.grad(workloads._mlp_loss),
            "mlp_same_ops": mlp_floor.same_ops_grads,
            "mlp_tape": mlp_floor.tape_grads,
        }[version]
        data = (X, labels)
    else:
        raise ValueError(f"unknown version {version!r}; choose from {', '.join(VERSIONS)}")
    state = {"p": [a.copy() for a in init], "data": data}

    def step():
        state["p"] = [w - 0.01 * g for w, g in zip(state["p"], grad(state["p"], *data))]

    return step, state


def _run_steps(version: str, n: int) -> None:
    step, _ = make_step(version)
    for _ in range(n):
        step()


def _collected(version: str, n: int) -> int:
    """Instructions valgrind counts for a whole process doing ``n`` steps."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONHASHSEED="0")
    cmd = [
        "valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
        sys.executable, __file__, "--child", version, str(n),
    ]  # fmt: skip
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stderr
    found = re.search(r"Collected : (\d+)", out)
    if found is None:
        raise RuntimeError(f"valgrind printed no instruction count:\n{out[-2000:]}")
    return int(found.group(1))


def per_step(version: str, steps: int, warm: int = 200) -> float:
    """Instructions of one step of ``version``, start-up and first calls removed."""
    return (_collected(version, warm + steps) - _collected(version, warm)) / steps


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000, help="steps counted per version")
    parser.add_argument("--only", choices=VERSIONS, action="append", help="count this version")
    parser.add_argument("--child", nargs=2, metavar=("VERSION", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _run_steps(args.child[0], int(args.child[1]))
        return
    if args.steps < 1:
        parser.error("--steps must be at least 1")
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not installed (apt install valgrind); it counts the instructions")
    counts = {}
    for version in args.only or VERSIONS:
        counts[version] = per_step(version, args.steps)
        print(f"{version:13s} {counts[version]:10,.0f} instructions per step", flush=True)
    if {"mlp", "mlp_same_ops", "mlp_tape"} <= counts.keys():
        base = counts["mlp_same_ops"]
        print(
            f"engine share: gradkit {counts['mlp'] - base:,.0f}, "
            f"minimal tape {counts['mlp_tape'] - base:,.0f}"
        )


if __name__ == "__main__":
    main()
