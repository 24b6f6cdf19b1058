"""Collection settings for the whole tree: the doctests of modules whose extra is not
installed are not collected, so the core's tests and doctests run with NumPy alone.

Without SciPy the doctests of the modules that need it (gk.scipy's stats, linalg, signal,
integrate, and the scipy.special rules) are not collected; everything else runs.
"""

from __future__ import annotations

import importlib.util


def _missing(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is None
    except ValueError:  # sys.modules[module] is None: blocked
        return True


collect_ignore_glob: list[str] = []
if _missing("sympy"):
    collect_ignore_glob += ["src/gradkit/symbolic/*"]
if _missing("matplotlib"):
    collect_ignore_glob += ["src/gradkit/viz/*"]
if _missing("rich") or _missing("sympy") or _missing("matplotlib"):
    collect_ignore_glob += [
        "src/gradkit/cli.py",
        "src/gradkit/cli_commands.py",
        "src/gradkit/cli_math.py",
        "src/gradkit/__main__.py",
    ]
if _missing("scipy"):
    collect_ignore_glob += [
        "src/gradkit/autodiff/rules/special.py",
        "src/gradkit/scipy/stats.py",
        "src/gradkit/scipy/linalg.py",
        "src/gradkit/scipy/signal.py",
        "src/gradkit/scipy/integrate.py",
        "src/gradkit/scipy/_special_scipy.py",
    ]
