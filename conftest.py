"""Collection settings for the whole tree: the doctests of modules whose extra is not
installed are skipped, so the core's tests and doctests run with NumPy alone."""

from __future__ import annotations

import importlib.util


def _missing(module: str) -> bool:
    return importlib.util.find_spec(module) is None


collect_ignore_glob: list[str] = []
if _missing("sympy"):
    collect_ignore_glob += ["src/gradkit/symbolic/*"]
if _missing("matplotlib"):
    collect_ignore_glob += ["src/gradkit/viz/*"]
if _missing("rich") or _missing("sympy") or _missing("matplotlib"):
    collect_ignore_glob += ["src/gradkit/cli.py", "src/gradkit/cli_commands.py",
                            "src/gradkit/__main__.py"]
if _missing("scipy"):
    collect_ignore_glob += ["src/gradkit/scipy/*"]
