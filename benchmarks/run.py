"""Run every speed workload and print ratios measured in one run.

    python benchmarks/run.py                   # all workloads, a table on stdout
    python benchmarks/run.py --json out.json   # also save the results
    python benchmarks/run.py --quick           # fewer repeats (a smoke test)
    python benchmarks/run.py --only rnn1,cnn   # a subset
    python benchmarks/run.py --repeat 3        # three whole runs, and their spread

The workloads: the design's four (``workloads.py``) and issue #30's seven
(``workloads_more.py``: per-example gradients, a Hessian at n = 500, a transformer block,
a two-layer CNN, a tanh RNN at batch 1 and 16, logistic regression, a 200-op chain on
1e6 elements). For each: the hand-written NumPy time, then gradkit's time as a ratio to
it, and the same ratio for autograd, PyTorch (CPU) and JAX where they are installed (a
note says which were skipped; JAX runs under jax.jit, in float64).

Every library runs on one thread unless ``--threads N``: the BLAS/OpenMP variables and
XLA's flags are set before NumPy is imported, threadpoolctl limits the pools already
loaded (without it, the script re-executes itself if NumPy came first), torch gets
``set_num_threads``; the header prints what each pool reads back, the CPU, the versions
and the load average, which is printed again after each workload and at the end.

The implementations take turns, round after round (41 rounds unless ``--rounds N``, each
in a shuffled order; the slowest workloads are capped, see ``workloads_more.MAX_ROUNDS``),
each timing preceded by an untimed batch of the same function; a ratio is the median over
the rounds of the ratio within a round, so a slowdown of the machine shared by a round
cancels. gradkit's interquartile range over the rounds is printed beside its ratio: read
differences smaller than it as noise, and use more rounds to narrow the median.
``--repeat K`` makes K whole runs and reports each ratio's median and min-max over them.
Before timing, every implementation's result is checked against the baseline, so a fast
wrong answer cannot pass. glibc's allocator thresholds are fixed first, for every
implementation alike (``allocator.py`` says why; ``--default-malloc`` keeps them
adaptive). Peak memory (tracemalloc) is measured for the MLP step and the big chain
(tracemalloc sees NumPy's buffers, not torch's), and the numerical-derivative accuracy
battery is appended.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import machine  # noqa: E402

# Thread variables act only if set before NumPy (and torch, JAX) load their pools.
_ENV_IN_TIME = (
    machine.early_env(machine.requested_threads(sys.argv[1:])) if __name__ == "__main__" else False
)

import allocator  # noqa: E402
import numpy as np  # noqa: E402
import workloads  # noqa: E402
import workloads_more  # noqa: E402

TARGETS = {
    "tiny_net": ("the seed's 2-4-1 sigmoid network, 100 samples, one training step", 3.0, "numpy"),
    "mlp": ("MLP 784-256-128-10, batch 128, softmax cross-entropy, one SGD step", 1.05, "numpy"),
    "chain": ("200 elementwise ops on a 10-vector, gradient (vs the NumPy forward alone)", 6.0,
              "numpy"),
    "hessian": ("Hessian of the 100-d Rosenbrock function (vs autograd's hessian)", 0.1,
                "autograd"),
}  # fmt: skip
TARGETS.update(workloads_more.TARGETS)
ALL_WORKLOADS = {**workloads.WORKLOADS, **workloads_more.WORKLOADS}
PEERS = ("autograd", "torch", "jax")


CLOCK = time.perf_counter


def _batch(fn, min_seconds: float) -> int:
    """How many calls make one timing last at least ``min_seconds`` (after a warm-up)."""
    fn()
    number = 1
    while True:
        start = CLOCK()
        for _ in range(number):
            fn()
        if CLOCK() - start >= min_seconds or number >= 1 << 16:
            return number
        number *= 2


def _time_all(fns: dict, repeats: int, min_seconds: float = 0.02) -> dict:
    """Seconds per call of each function, one sample per round: ``{name: [samples]}``.

    The implementations take turns, one timing each per round in a shuffled order, so a
    change in the machine's load during the run affects them all alike; ratios are then
    taken round by round (see :func:`_paired`). Each timing follows an untimed batch of
    the same function: whatever runs right after PyTorch or JAX is slowed by their worker
    threads and freed memory (the MLP's NumPy step by up to 25%), and that must not
    count against the next implementation.
    """
    numbers = {k: _batch(f, min_seconds) for k, f in fns.items()}
    samples: dict = {k: [] for k in fns}
    order = list(fns)
    shuffle = random.Random(0).shuffle
    for _ in range(repeats):
        shuffle(order)  # nobody always runs right after the same neighbour
        for k in order:
            f, n = fns[k], numbers[k]
            for _ in range(max(1, n // 3)):  # settle: untimed
                f()
            start = CLOCK()
            for _ in range(n):
                f()
            samples[k].append((CLOCK() - start) / n)
    return samples


def _paired(samples: dict, key: str, base: str) -> list:
    """The ratios ``key / base`` of the same rounds, sorted: a shared slowdown cancels."""
    return sorted(a / b for a, b in zip(samples[key], samples[base]))


def _quartiles(values: list) -> tuple:
    q = statistics.quantiles(values, n=4) if len(values) > 1 else [values[0]] * 3
    return q[0], q[1], q[2]


def _peak_memory(fn) -> int:
    fn()
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def _make(name: str, quick: bool) -> dict:
    """The workload's callables; the new workloads' gradients checked before timing."""
    if name in workloads_more.WORKLOADS:
        if name == "bigchain" and quick:
            fns = workloads_more.make_bigchain(n=10**5)  # a smoke test, not the 1e6 chain
        else:
            fns = workloads_more.WORKLOADS[name]()
        workloads_more.check(fns, name)  # raises before timing if any gradient differs
        return fns
    return workloads.WORKLOADS[name]()


def _check_design_workloads(only) -> None:
    """The design's four workloads: gradkit against hand-written gradients/closed forms."""
    if not only or "tiny_net" in only:
        workloads.check_tiny_net()
    if not only or "mlp" in only:
        workloads.check_mlp()
    if only and "hessian" not in only:
        return
    gk = __import__("gradkit")
    jitted = gk.jit(gk.hessian(workloads.rosenbrock))
    for x in (np.linspace(-1.2, 1.2, 100), np.linspace(-1.2, 1.2, 100), np.linspace(0, 2, 100)):
        for h in (gk.hessian(workloads.rosenbrock), jitted):  # jit: records, then replays
            np.testing.assert_allclose(h(x), workloads.rosenbrock_hessian(x), rtol=1e-12, atol=1e-9)


def primary(entry: dict) -> str:
    """The key of gradkit's eager row (``gradkit``, or a labelled variant such as
    ``gradkit_loop`` where the workload has no plain ``gk.grad`` spelling)."""
    return (
        "gradkit"
        if "gradkit" in entry["ratios"]
        else min((k for k in entry["ratios"] if k.startswith("gradkit")), key=len)
    )


def run(quick: bool = False, only: list[str] | None = None, rounds: int = 41) -> dict:
    """Measure every workload; return a dict of results (also what --json saves)."""
    _check_design_workloads(only)
    repeats = 3 if quick else rounds
    results = {"machine": _machine(), "workloads": {}}
    for name in ALL_WORKLOADS:
        if only and name not in only:
            continue
        fns = _make(name, quick)
        n_rounds = min(repeats, workloads_more.MAX_ROUNDS.get(name, repeats))
        load_before = machine.load()
        samples = _time_all(fns, n_rounds)
        label, target, against = TARGETS[name]
        ratios = {k: _paired(samples, k, "numpy") for k in fns if k != "numpy"}
        entry = {
            "label": label,
            "numpy_seconds": statistics.median(samples["numpy"]),
            "ratios": {k: statistics.median(r) for k, r in ratios.items()},
            "ratio_quartiles": {k: _quartiles(r) for k, r in ratios.items()},
            "rounds": n_rounds,
            "target": target,
            "target_against": against,
            "skipped": [p for p in PEERS if p not in fns],
        }
        main_key = primary(entry)
        if target is not None and against in fns:
            entry["gradkit_vs_target_base"] = statistics.median(_paired(samples, main_key, against))
        else:
            entry["gradkit_vs_target_base"] = None
        if target is not None and against in fns and "gradkit_jit" in fns:
            entry["jit_vs_target_base"] = statistics.median(
                _paired(samples, "gradkit_jit", against)
            )
        if name == "mlp":
            entry["peak_memory_ratio"] = _peak_memory(fns["gradkit"]) / _peak_memory(fns["numpy"])
        if name == "bigchain":  # tracemalloc sees NumPy's buffers, not torch's allocator
            entry["peak_memory_mb"] = {
                k: _peak_memory(f) / 2**20 for k, f in fns.items() if k != "torch"
            }
        entry["load"] = (load_before, machine.load())
        results["workloads"][name] = entry
        print(_row(name, entry), flush=True)
    return results


def spread(runs: list[dict]) -> dict:
    """Over whole runs: ``{workload: {impl: (median, min, max)}}`` of the median ratios."""
    out: dict = {}
    for name in runs[0]["workloads"]:
        impls = runs[0]["workloads"][name]["ratios"]
        out[name] = {}
        for k in impls:
            values = [r["workloads"][name]["ratios"][k] for r in runs]
            out[name][k] = (statistics.median(values), min(values), max(values))
    return out


def _spread_lines(table: dict, k_runs: int) -> list[str]:
    lines = [f"spread over {k_runs} whole runs: median ratio [min-max] of the runs' medians"]
    for name, impls in table.items():
        cells = "  ".join(f"{k} {m:.2f}x [{lo:.2f}-{hi:.2f}]" for k, (m, lo, hi) in impls.items())
        lines.append(f"{name:11s} {cells}")
    return lines


def _machine() -> dict:
    return machine.describe()


def _row(name: str, e: dict) -> str:
    key = primary(e)
    peers = "  ".join(f"{p} {e['ratios'][p]:.2f}x" if p in e["ratios"] else f"{p} -" for p in PEERS)
    extras = [k for k in e["ratios"] if k != key and k not in PEERS]
    if extras:  # other spellings of the gradkit step, reported beside the peers
        peers += "  " + "  ".join(f"{k} {e['ratios'][k]:.2f}x" for k in extras)
    got = e["gradkit_vs_target_base"]
    extra = f"  peak mem {e['peak_memory_ratio']:.2f}x" if "peak_memory_ratio" in e else ""
    if "peak_memory_mb" in e:
        extra += "  peak MB " + " ".join(f"{k} {v:.0f}" for k, v in e["peak_memory_mb"].items())
    if "load" in e:
        extra += f"  load {e['load'][0][0]:.1f}->{e['load'][1][0]:.1f}" if e["load"][0] else ""
    if e["target"] is None:
        verdict = "no target"
    else:
        met = "n/a" if got is None else ("met" if got <= e["target"] else "NOT met")
        verdict = (
            f"target <= {e['target']}x of {e['target_against']}: "
            f"{'-' if got is None else f'{got:.3f}x'} {met}"
        )
    jit = e.get("jit_vs_target_base")
    if jit is not None:
        verdict += f"; gk.jit {jit:.3f}x {'met' if jit <= e['target'] else 'NOT met'}"
    numpy_us = e["numpy_seconds"] * 1e6
    low, _, high = e["ratio_quartiles"][key]
    shown = "gradkit" if key == "gradkit" else key
    return (
        f"{name:11s} numpy {numpy_us:10.1f} us  {shown} {e['ratios'][key]:6.2f}x"
        f" (IQR {low:.2f}-{high:.2f})  {peers}  | {verdict}{extra}"
    )


def _names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in ALL_WORKLOADS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown workload {', '.join(unknown) or repr(text)}; choose from "
            f"{', '.join(ALL_WORKLOADS)}"
        )
    return names


def _whole(flag: str):
    def parse(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            n = 0
        if n < 1:
            raise argparse.ArgumentTypeError(f"{flag} must be a whole number >= 1, got {text!r}")
        return n

    return parse


_positive = _whole("--rounds")


def _pin(threads: int) -> dict:
    """Pin the thread pools; without threadpoolctl, with NumPy loaded too early for the
    environment variables to act, run this script again in a fresh process (once)."""
    env_in_time = _ENV_IN_TIME or machine.early_env(threads)
    pinning = machine.pin(threads, env_in_time)
    if (
        not pinning["pinned"]
        and not env_in_time
        and "threadpoolctl" not in pinning["method"]
        and __name__ == "__main__"
        and os.environ.get("GRADKIT_BENCH_REEXEC") != "1"
    ):
        print("threadpoolctl is not installed and NumPy loaded first: re-running the script")
        os.environ["GRADKIT_BENCH_REEXEC"] = "1"
        os.execv(sys.executable, [sys.executable, *sys.argv])
    return pinning


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", metavar="FILE", help="save the results as JSON")
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument(
        "--rounds", type=_positive, default=41, help="rounds of turns per workload (41)"
    )
    parser.add_argument(
        "--repeat", type=_whole("--repeat"), default=1, metavar="K",
        help="whole runs; report each ratio's median and min-max over them (1)",
    )  # fmt: skip
    parser.add_argument(
        "--threads", type=_whole("--threads"), default=1, metavar="N",
        help="threads for BLAS, OpenMP, torch and XLA (1: every library on one thread)",
    )  # fmt: skip
    parser.add_argument(
        "--only", action="append", type=_names, metavar="NAME[,NAME]",
        help=f"run these workloads only, of: {', '.join(ALL_WORKLOADS)}",
    )  # fmt: skip
    parser.add_argument("--no-numerical", action="store_true", help="skip the accuracy battery")
    parser.add_argument(
        "--default-malloc",
        action="store_true",
        help="keep glibc's adaptive allocator thresholds (see benchmarks/allocator.py)",
    )
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="time with process CPU time instead of wall-clock (steadier on a busy machine)",
    )
    args = parser.parse_args(argv)
    only = [n for names in args.only for n in names] if args.only else None
    global CLOCK
    if args.cpu:
        CLOCK = time.process_time
    pinning = _pin(args.threads)
    skipped = [p for p in PEERS if not workloads.have(p)]
    load_before = machine.load()
    for line in machine.header(pinning, _machine(), load_before):
        print(line)
    malloc = (
        "allocator: glibc's adaptive defaults (--default-malloc)"
        if args.default_malloc
        else allocator.fix_thresholds()
    )
    print(malloc)
    if skipped:
        print(f"peers not installed (skipped): {', '.join(skipped)}")
    runs = []
    for k in range(args.repeat):
        if args.repeat > 1:
            print(f"-- run {k + 1} of {args.repeat}")
        runs.append(run(quick=args.quick, only=only, rounds=args.rounds))
    results = runs[0] if args.repeat == 1 else {"machine": runs[0]["machine"], "runs": runs}
    if args.repeat > 1:
        table = spread(runs)
        results["spread"] = table
        print("\n".join(_spread_lines(table, args.repeat)))
    results["threads"] = pinning
    results["load_before"] = load_before
    results["load_after"] = machine.load()
    print(f"load average after: {machine._fmt_load(results['load_after'])}")
    results["clock"] = "process_time" if args.cpu else "perf_counter"
    results["allocator"] = malloc
    if not args.no_numerical:
        import bench_numerical

        print("\nnumerical derivative accuracy battery (benchmarks/bench_numerical.py):")
        bench_numerical.main()
        results["numerical"] = bench_numerical.run()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=float))
        print(f"saved {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
