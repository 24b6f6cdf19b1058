"""Thread pinning and a description of the machine, for benchmarks on a shared computer.

BLAS, OpenMP, PyTorch and XLA each start their own worker threads; on a machine shared
with other jobs those threads compete with everyone's and make one library's timing
depend on the others' load. :func:`early_env` sets the thread-count environment
variables (which only work before NumPy, torch or JAX are imported: call it first);
:func:`pin` then limits the pools already loaded (threadpoolctl, ``torch.set_num_threads``)
and reports what each pool *actually* runs with, read back from the libraries, so the
header of a benchmark says whether pinning took effect rather than that it was asked for.
"""

from __future__ import annotations

import os
import platform
import sys

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")  # fmt: skip
_LIMITER = []  # keeps threadpoolctl's limits alive for the whole run


def requested_threads(argv: list[str]) -> int:
    """The ``--threads N`` (or ``--threads=N``) in ``argv``; 1 if absent or malformed
    (argparse reports the malformed case properly later)."""
    for k, arg in enumerate(argv):
        value = None
        if arg == "--threads" and k + 1 < len(argv):
            value = argv[k + 1]
        elif arg.startswith("--threads="):
            value = arg.split("=", 1)[1]
        if value is not None:
            try:
                return max(1, int(value))
            except ValueError:
                return 1
    return 1


def early_env(threads: int) -> bool:
    """Set the thread variables and JAX's XLA flags to ``threads``.

    Returns whether they can still act: False if NumPy was imported before (its BLAS
    has then already started its threads), in which case only threadpoolctl can help.
    """
    for var in THREAD_VARS:
        os.environ[var] = str(threads)
    flags = os.environ.get("XLA_FLAGS", "")
    if threads == 1 and "xla_cpu_multi_thread_eigen" not in flags:
        flags += " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    os.environ["XLA_FLAGS"] = flags.strip()
    return "numpy" not in sys.modules


def pin(threads: int, env_in_time: bool) -> dict:
    """Limit every thread pool already loaded to ``threads``; return what each runs with.

    The result: ``{"requested": n, "pools": {name: threads}, "method": str, "pinned":
    bool}``, ``pinned`` true only if every pool read back ``n``.
    """
    pools: dict = {}
    methods = []
    try:
        import threadpoolctl
    except ImportError:
        threadpoolctl = None
    if threadpoolctl is not None:
        _LIMITER.append(threadpoolctl.threadpool_limits(limits=threads))
        for info in threadpoolctl.threadpool_info():
            pools[f"{info['internal_api']}"] = info["num_threads"]
        methods.append("threadpoolctl")
    elif env_in_time:
        methods.append("environment variables set before NumPy was imported")
        pools["blas"] = threads  # not readable without threadpoolctl: taken on trust
        methods[-1] += " (BLAS threads unverified: pip install threadpoolctl)"
    else:
        methods.append("NONE: NumPy was imported before the variables were set")
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        torch.set_num_threads(threads)
        pools["torch"] = torch.get_num_threads()
        methods.append("torch.set_num_threads")
    if "jax" in sys.modules or _have("jax"):
        pools["xla"] = os.environ["XLA_FLAGS"]
        methods.append("XLA_FLAGS")
    pinned = all(v == threads for k, v in pools.items() if k != "xla") and bool(pools)
    if threadpoolctl is None and env_in_time:
        pinned = pinned and all(os.environ.get(v) == str(threads) for v in THREAD_VARS)
    return {"requested": threads, "pools": pools, "method": ", ".join(methods),
            "pinned": pinned}  # fmt: skip


def _have(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux), else what platform knows."""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load() -> tuple:
    """The 1-, 5- and 15-minute load averages, or None where the system has none."""
    try:
        return tuple(round(v, 2) for v in os.getloadavg())
    except (AttributeError, OSError):
        return None


def describe() -> dict:
    """The machine and the versions that matter to a timing."""
    import numpy as np

    info = {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "numpy": np.__version__,
    }
    from importlib import metadata

    for name in ("gradkit", "torch", "autograd", "jax", "threadpoolctl"):
        try:
            info[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return info


def header(pinning: dict, machine: dict, load_before: tuple) -> list[str]:
    """The lines a benchmark prints first: machine, versions, threads, load."""
    skip = ("cpu", "cores", "system")
    versions = ", ".join(f"{k} {v}" for k, v in machine.items() if k not in skip)
    pools = ", ".join(f"{k}={v}" for k, v in pinning["pools"].items()) or "none found"
    state = "pinned" if pinning["pinned"] else "NOT pinned"
    return [
        f"machine: {machine['cpu']}, {machine['cores']} cores, {machine['system']}",
        f"versions: {versions}",
        f"threads: {state} to {pinning['requested']} ({pools}; via {pinning['method']})",
        f"load average before: {_fmt_load(load_before)}",
    ]


def _fmt_load(values) -> str:
    return "unavailable" if values is None else " ".join(f"{v:.2f}" for v in values)
