"""What a microsecond of the engine's Python costs inside the MLP's real step.

    python benchmarks/python_cost.py               # 0, 50, 100 and 200 us of Python
    python benchmarks/python_cost.py --us 40 80    # other amounts

An engine's overhead is easiest to measure on small arrays, where its Python runs with
hot caches (``instructions.py``, or a timing of the small step). Inside the real
784-256-128-10 step the same Python runs between large matrix products that have evicted
the caches, and costs more. This script measures the conversion. It times, in turns as
``run.py`` does, the hand-written step and the minimal tape of ``mlp_floor.py`` with
Python work added between its operations (an object made and read, in a loop). The work
is calibrated on its own beforehand, so each version adds a known number of hot
microseconds per step.

Each line gives the version's median ratio to the hand-written step, and for the versions
with added work what it costs inside the real step per hot microsecond (``x1.6`` means
each microsecond measured hot costs 1.6 microseconds there). Multiply an engine's hot
overhead by that factor, and divide by the step's time, to see what it does to the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import allocator  # noqa: E402
import mlp_floor  # noqa: E402
import run  # noqa: E402
import workloads  # noqa: E402

#: Calls of ``between`` per step of ``mlp_floor.tape_grads``.
CALLS_PER_STEP = 11


class _Cell:
    __slots__ = ("a", "b")


def burn(n: int) -> None:
    """Python work of the engine's kind: make a small object, set and read its fields."""
    for _ in range(n):
        c = _Cell()
        c.a = n
        c.b = (c.a, n)


def loops_per_us() -> float:
    """How many loops of :func:`burn` take one microsecond, hot (best of five)."""
    n = 1000
    seconds = min(timeit.repeat(lambda: burn(n), number=20, repeat=5)) / 20
    return n / (seconds * 1e6)


def make_steps(extra_us: list[float]) -> dict:
    """The hand-written step and the tape with each amount of added hot Python."""
    X, labels, init = workloads._mlp_data()
    rate = loops_per_us()
    steps = {"numpy": workloads.make_mlp()["numpy"]}
    for us in extra_us:
        n = max(0, round(us * rate / CALLS_PER_STEP))

        def grads(p, X, labels, n=n):
            return mlp_floor.tape_grads(p, X, labels, between=lambda: burn(n))

        steps[f"tape+{us:g}us"] = workloads._grad_step(grads, init, (X, labels), 0.01)
    return steps


def measure(extra_us: list[float], rounds: int) -> str:
    """One line: each version's median ratio, and the cost factor of the added Python."""
    samples = run._time_all(make_steps(extra_us), rounds)
    base = statistics.median(samples["numpy"])
    ratios = {}
    parts = [f"numpy {base * 1e6:7.1f} us"]
    for us in extra_us:
        key = f"tape+{us:g}us"
        ratios[us] = statistics.median(run._paired(samples, key, "numpy"))
        part = f"{key} {ratios[us]:.3f}x"
        if us > 0 and 0 in ratios:
            part += f" (x{(ratios[us] - ratios[0]) * base * 1e6 / us:.1f})"
        parts.append(part)
    return "  ".join(parts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--us",
        type=float,
        nargs="+",
        default=[50.0, 100.0, 200.0],
        help="hot microseconds of Python to add per step (0 is always run)",
    )
    parser.add_argument("--rounds", type=int, default=41, help="rounds of timings")
    args = parser.parse_args(argv)
    if args.rounds < 1 or any(us < 0 for us in args.us):
        parser.error("--rounds must be at least 1 and --us amounts at least 0")
    print(allocator.fix_thresholds())
    print(measure(sorted({0.0, *args.us}), args.rounds))


if __name__ == "__main__":
    main()
