"""The README's table of the NumPy functions the engine differentiates, generated from the
dispatch tables themselves (``gradkit.autodiff.numpy_api.UFUNCS`` and ``FUNCTIONS``).

Run ``python tests/engine_table.py --write`` to refresh the table inside the README's
engine section (without ``--write`` it prints the table); ``tests/test_autodiff_readme.py``
fails when a registered function is missing from it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gradkit.autodiff import numpy_api, scipy_names

REDUCTIONS = {"sum", "prod", "max", "amax", "min", "amin", "mean", "var", "std", "cumsum",
              "trace", "average", "ptp", "cumprod", "nansum", "nanmean"}  # fmt: skip
LINALG = {"matmul", "dot", "vdot", "inner", "outer", "tensordot", "einsum", "linalg.norm",
          "linalg.det", "linalg.slogdet", "linalg.inv", "linalg.solve", "kron", "cross",
          "linalg.matrix_power"}  # fmt: skip
ELEMENTWISE_FUNCTIONS = {"where", "clip", "copy", "real", "imag", "angle", "real_if_close"}

NOTES = {
    "elementwise": "broadcasting undone in reverse mode; `abs'(0) = 0`; `maximum`/`minimum` "
    "split ties evenly; `clip` passes the gradient on `[lo, hi]`; `where` sends none to the "
    "branch not taken; complex numbers throughout (`abs`, `real`, `imag`, `conjugate`, "
    "`angle` and the complex `sign` with rules of their own; a real `sign` is constant)",
    "reductions": "`axis` (int, tuple, negative), `keepdims`; `max`/`min` share ties evenly; "
    "`prod` is exact with zeros; `var`/`std` take `ddof`; the ufunc method `reduce` of "
    "add, multiply, maximum and minimum too (axis 0 by default, as in NumPy)",
    "linalg": "any batch dimensions for `matmul`, `inv`, `det`, `slogdet`; `einsum` with "
    "explicit or implicit output, `...`, and repeated letters (traces, diagonals); `norm`: "
    "vector p-norms, `'fro'`, `None`; `inv`/`slogdet`/`solve` need invertible matrices "
    "(`solve(a, b)` is `inv(a) @ b`); `det`'s gradient at a singular matrix is its cofactor "
    "matrix (first order only)",
    "shapes": "linear maps: their transposes are the reverse rules; indexing (basic, integer "
    "arrays with repeats, boolean masks) via `x[...]`; `sort`, `take`, `repeat`, `tile`, "
    "`roll` and `pad` gather by index, so the gradient follows each value to where it went",
    "zero": "piecewise constant, boolean or integer-valued: computed on plain values, zero "
    "derivative",
    "scipy": "with `gradkit[scipy]`: rules load when a scipy.special ufunc first meets a "
    "traced value; closed forms in scipy.special ufuncs, so any order; order arguments "
    "(`v`, `n`, `a`, `b`, `df`, `s`, `lmbda`) are constants (a traced one raises "
    "`NoRuleError` naming it); `xlogy(0, y)` has slope 0 in `y`",
}


def public_name(fn: Any) -> str:
    """``np.<name>`` as a user writes it (``np.linalg.norm`` for submodule functions;
    ``scipy.special.<name>`` for SciPy's ufuncs)."""
    if isinstance(fn, np.ufunc) and getattr(np, fn.__name__, None) is not fn:
        return scipy_names.ufunc_name(fn)
    module = getattr(fn, "__module__", None) or "numpy"
    sub = module.replace("numpy", "", 1).strip(".")
    sub = "" if not sub or sub.startswith(("_", "core")) else sub + "."
    return f"np.{sub}{fn.__name__}"


def _is_constant(impl: Callable) -> bool:
    return "_constant" in getattr(impl, "__qualname__", "")


def families() -> dict[str, list[str]]:
    """Every registered NumPy function and ufunc, by family, as ``np.<name>`` strings."""
    _load_scipy_rules()
    out: dict[str, set[str]] = {k: set() for k in NOTES}
    for ufunc, impl in numpy_api.UFUNCS.items():
        name = public_name(ufunc)
        if name.startswith("scipy."):
            out["scipy"].add(name)
        elif _is_constant(impl):
            out["zero"].add(name)
        elif ufunc.__name__ == "matmul":
            out["linalg"].add(name)
        else:
            out["elementwise"].add(name)
    for fn, impl in numpy_api.FUNCTIONS.items():
        name = public_name(fn)
        short = name[len("np.") :]
        if _is_constant(impl):
            out["zero"].add(name)
        elif short in REDUCTIONS:
            out["reductions"].add(name)
        elif short in LINALG:
            out["linalg"].add(name)
        elif short in ELEMENTWISE_FUNCTIONS:
            out["elementwise"].add(name)
        else:
            out["shapes"].add(name)
    return {k: sorted(v) for k, v in out.items() if v}


def _load_scipy_rules() -> None:
    """The scipy.special rules load on first use: load them, where SciPy is installed, so
    the table does not depend on what ran before."""
    try:
        import scipy.special  # noqa: F401
    except ImportError:
        return
    numpy_api._load_scipy_special_rules()


TITLES = {
    "elementwise": "Elementwise (ufuncs and friends)",
    "reductions": "Reductions",
    "linalg": "Linear algebra",
    "shapes": "Shapes, joining, indexing",
    "zero": "Zero derivative",
    "scipy": "SciPy special functions (ufuncs)",
}


def markdown_table() -> str:
    """The table as Markdown: one row per family."""
    rows = ["| family | NumPy functions | notes |", "|---|---|---|"]
    for key, names in families().items():
        listed = ", ".join(f"`{n}`" for n in names)
        rows.append(f"| {TITLES[key]} | {listed} | {NOTES[key]} |")
    return "\n".join(rows)


def write_readme(path: str = "README.md") -> bool:
    """Replace the table inside the README's engine section; return True if it changed."""
    import re
    from pathlib import Path

    readme = Path(path)
    text = readme.read_text(encoding="utf-8")
    begin, end = text.index("<!-- BEGIN engine -->"), text.index("<!-- END engine -->")
    section = text[begin:end]
    table = re.compile(r"^\| family \| NumPy functions \| notes \|\n(?:\|.*\n?)*", re.M)
    if not table.search(section):
        raise SystemExit("README engine section has no table to replace")
    new_section = table.sub(lambda m: markdown_table() + "\n", section, count=1)
    if new_section == section:
        return False
    readme.write_text(text[:begin] + new_section + text[end:], encoding="utf-8")
    return True


if __name__ == "__main__":
    import sys

    if "--write" in sys.argv:
        print("README.md table updated" if write_readme() else "README.md table up to date")
    else:
        print(markdown_table())
