"""The table of the NumPy functions the engine differentiates, in the engine guide
(docs/guide/autodiff.md), generated from the dispatch tables themselves
(``gradkit.autodiff.numpy_api.UFUNCS`` and ``FUNCTIONS``).

Run ``python tests/engine_table.py --write`` to refresh the table inside the engine
guide's section (without ``--write`` it prints the table); ``tests/test_autodiff_readme.py``
fails when a registered function is missing from it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from gradkit.autodiff import numpy_api, scipy_names

REDUCTIONS = {"sum", "prod", "max", "amax", "min", "amin", "mean", "var", "std", "cumsum",
              "trace", "average", "ptp", "cumprod", "nansum", "nanmean"}  # fmt: skip
LINALG = {
    "matmul",
    "dot",
    "vdot",
    "inner",
    "outer",
    "tensordot",
    "einsum",
    "kron",
    "cross",
    "vecdot",
    "matvec",
    "vecmat",
    "matrix_transpose",
}  # fmt: skip (and np.linalg.*)
ELEMENTWISE_FUNCTIONS = {"where", "clip", "copy", "real", "imag", "angle", "real_if_close"}
MORE = {"convolve", "correlate", "interp", "polyval", "trapezoid", "trapz", "gradient", "median",
        "percentile", "quantile", "cov", "corrcoef", "linspace", "select", "piecewise", "sinc",
        "i0", "nan_to_num", "cumulative_sum", "cumulative_prod", "nanmax", "nanmin", "nanprod",
        "nancumsum", "nancumprod", "nanvar", "nanstd", "nanmedian", "nanquantile",
        "nanpercentile"}  # fmt: skip

NOTES = {
    "elementwise": "broadcasting undone in reverse mode; `abs'(0) = 0`; `maximum`/`minimum` "
    "split ties evenly; `clip` passes the gradient on `[lo, hi]`; `where` sends none to the "
    "branch not taken; complex numbers throughout (`abs`, `real`, `imag`, `conjugate`, "
    "`angle` and the complex `sign` with rules of their own; a real `sign` is constant)",
    "reductions": "`axis` (int, tuple, negative), `keepdims`; `max`/`min` share ties evenly; "
    "`prod` is exact with zeros; `var`/`std` take `ddof`; the ufunc method `reduce` of "
    "add, multiply, maximum and minimum too (axis 0 by default, as in NumPy)",
    "linalg": "stacks of matrices wherever NumPy takes them; `einsum` with explicit or "
    "implicit output, `...`, and repeated letters (traces, diagonals); `norm`: vector "
    "p-norms and every matrix order (`2`, `-2`, `'nuc'`, `1`, `-1`, `inf`, `-inf`, "
    "`'fro'`) over any axis pair; decompositions by the matrix-calculus rules, `solve` by "
    "its own; `eigh`/`eigvalsh`/`cholesky` read one triangle, as NumPy (see the notes "
    "above for ties, signs and rank); `inv`/`slogdet`/`solve` need invertible matrices; "
    "`det`'s gradient at a singular matrix is its cofactor matrix (first order only)",
    "fft": 'every `norm` (`None`/`"backward"`, `"ortho"`, `"forward"`), `n`/`s` '
    "cropping or zero-padding, `axis`/`axes`; complex values pair with cotangents by "
    "`Re(sum(c * v))` (JAX's convention), so each transform's reverse rule is its plain "
    "transpose (`fft`'s is `fft` with the same `norm`) and a real input gets a real "
    "gradient; `rfft`/`irfft`/`hfft`/`ihfft` weigh each half-spectrum bin by the bins it "
    "stands for (DC and Nyquist once, the others twice); `irfft` ignores the imaginary "
    "parts of its DC and Nyquist bins, so they get no gradient; `fftfreq`/`rfftfreq` are "
    "arithmetic in the spacing `d`",
    "shapes": "linear maps: their transposes are the reverse rules; indexing (basic, integer "
    "arrays with repeats, boolean masks) via `x[...]`; `sort`, `take`, `repeat`, `tile`, "
    "`roll` and `pad` gather by index, so the gradient follows each value to where it went; "
    "`rot90`, `block`, `insert`, `delete`, `meshgrid`, `sliding_window_view` and the other "
    "functions that only move entries run NumPy itself on index arrays and gather the values "
    "by its answer (an entry in two windows gets both cotangents)",
    "more": "NumPy's formulas step by step; `median`/`quantile`/`percentile` (methods linear, "
    "lower, higher, nearest, midpoint; `q` may be traced) send the gradient to the order "
    "statistics they interpolate; `interp`'s derivative in `x` is the slope of the piece (0 "
    "outside); `cov` weights are constants; `sinc` at 0 has derivative 0; the ufunc methods "
    "`maximum`/`minimum`/`add`/`multiply.accumulate` (a running extremum's gradient goes to "
    "the entry that set it, the latest at a tie) and `logaddexp(2).reduce`",
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
        elif ufunc.__name__ in LINALG:
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
        elif short in LINALG or short.startswith("linalg."):
            out["linalg"].add(name)
        elif short in ELEMENTWISE_FUNCTIONS:
            out["elementwise"].add(name)
        elif short.startswith("fft."):
            out["fft"].add(name)
        elif short in MORE:
            out["more"].add(name)
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
    "fft": "Fourier transforms (np.fft)",
    "shapes": "Shapes, joining, indexing",
    "more": "Signal, statistics, construction",
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


# the page holding the <!-- BEGIN engine --> ... <!-- END engine --> section
GUIDE = Path(__file__).resolve().parents[1] / "docs" / "guide" / "autodiff.md"


def write_guide(path: Path = GUIDE) -> bool:
    """Replace the table inside the engine guide's section; return True if it changed."""
    import re

    page = Path(path)
    text = page.read_text(encoding="utf-8")
    begin, end = text.index("<!-- BEGIN engine -->"), text.index("<!-- END engine -->")
    section = text[begin:end]
    table = re.compile(r"^\| family \| NumPy functions \| notes \|\n(?:\|.*\n?)*", re.M)
    if not table.search(section):
        raise SystemExit(f"{path}: the engine section has no table to replace")
    new_section = table.sub(lambda m: markdown_table() + "\n", section, count=1)
    if new_section == section:
        return False
    page.write_text(text[:begin] + new_section + text[end:], encoding="utf-8")
    return True


if __name__ == "__main__":
    import sys

    if "--write" in sys.argv:
        print(f"{GUIDE} table updated" if write_guide() else f"{GUIDE} table up to date")
    else:
        print(markdown_table())
