"""Accuracy and cost of ``gk.numerical.derivative`` on a battery of smooth functions.

Each row: a function with a closed-form derivative, a point, gradkit's relative
error and number of evaluations for the value alone, the evaluations with the error
estimate (``full_output=True`` measures the noise of ``f``: 4 more), the reported
error and whether it bounds the true error;
numdifftools' relative error and evaluations when it is installed.  Run
``python benchmarks/bench_numerical.py`` for the table and a summary line.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

import gradkit as gk


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# name, f, f', x, ordinary?  (ordinary: O(1) point and length scale)
BATTERY: list[tuple[str, Callable, Callable, float, bool]] = [
    ("exp", np.exp, np.exp, 1.0, True),
    ("sin", np.sin, np.cos, 0.7, True),
    ("log", np.log, lambda x: 1 / x, 2.0, True),
    ("sqrt", np.sqrt, lambda x: 0.5 / np.sqrt(x), 3.0, True),
    ("atan", np.arctan, lambda x: 1 / (1 + x * x), 0.5, True),
    ("tanh", np.tanh, lambda x: 1 - np.tanh(x) ** 2, 0.3, True),
    ("sigmoid", _sigmoid, lambda x: _sigmoid(x) * (1 - _sigmoid(x)), 1.5, True),
    ("poly x^5-3x", lambda x: x**5 - 3 * x, lambda x: 5 * x**4 - 3, 1.3, True),
    ("runge 1/(1+x^2)", lambda x: 1 / (1 + x * x), lambda x: -2 * x / (1 + x * x) ** 2, 0.8, True),
    ("exp(sin x)", lambda x: np.exp(np.sin(x)), lambda x: np.cos(x) * np.exp(np.sin(x)), 2.0, True),
    ("softplus", lambda x: np.log1p(np.exp(x)), _sigmoid, -1.0, True),
    (
        "x exp(-x^2)",
        lambda x: x * np.exp(-x * x),
        lambda x: (1 - 2 * x * x) * np.exp(-x * x),
        0.4,
        True,
    ),
    ("log cosh", lambda x: np.log(np.cosh(x)), np.tanh, 0.9, True),
    ("exp at tiny x", np.exp, np.exp, 1e-8, True),
    (
        "1e200 exp (huge values)",
        lambda x: 1e200 * np.exp(x),
        lambda x: 1e200 * np.exp(x),
        1.0,
        False,
    ),
    (
        "1e-200 sin (tiny values)",
        lambda x: 1e-200 * np.sin(x),
        lambda x: 1e-200 * np.cos(x),
        0.5,
        False,
    ),
    ("exp at x=30 (large values)", np.exp, np.exp, 30.0, False),
    ("log at 1e8 (long scale)", np.log, lambda x: 1 / x, 1e8, False),
    (
        "sin(x/1e6) at 7e5 (long scale)",
        lambda x: np.sin(x / 1e6),
        lambda x: np.cos(x / 1e6) / 1e6,
        7e5,
        False,
    ),
    ("log at 1e-6 (near domain edge)", np.log, lambda x: 1 / x, 1e-6, False),
    ("1/x at 1e-4 (near a pole)", lambda x: 1 / x, lambda x: -1 / x**2, 1e-4, False),
    (
        "sin(1000 x) (short scale)",
        lambda x: np.sin(1000 * x),
        lambda x: 1000 * np.cos(1000 * x),
        1.0,
        False,
    ),
    (
        "narrow gaussian, width 1e-2",
        lambda x: np.exp(-(((x - 1) / 1e-2) ** 2)),
        lambda x: -2 * (x - 1) / 1e-4 * np.exp(-(((x - 1) / 1e-2) ** 2)),
        1.005,
        False,
    ),
]


def _numdifftools(f: Callable, x: float) -> tuple[float, int] | None:
    try:
        import numdifftools as nd
    except ImportError:
        return None
    calls = [0]

    def counted(t):
        calls[0] += 1
        return f(t)

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        value = float(nd.Derivative(counted)(x))
    return value, calls[0]


def run() -> list[dict]:
    """Return one row per battery function (see the module docstring)."""
    rows = []
    for name, f, df, x, ordinary in BATTERY:
        true = float(df(x))
        calls = [0]

        def counted(t, f=f, calls=calls):
            calls[0] += 1
            return f(t)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = gk.numerical.derivative(counted, x)  # the value alone
            value_calls, calls[0] = calls[0], 0
            # with the error estimate, which measures the noise of f (4 more evaluations)
            est, info = gk.numerical.derivative(counted, x, full_output=True)
        cplx = gk.numerical.derivative(f, x, method="complex", full_output=True)
        row = {
            "name": name,
            "x": x,
            "true": true,
            "ordinary": ordinary,
            "rel_error": abs(value - true) / abs(true),
            "evals": value_calls,
            "evals_with_error": calls[0],
            "rel_error_with_error": abs(est - true) / abs(true),
            "reported_error": info.error,
            "honest": info.error >= abs(est - true),
            "complex_rel_error": abs(cplx[0] - true) / abs(true),
            "complex_evals": cplx[1].n_evals,
        }
        nd_result = _numdifftools(f, x)
        if nd_result is not None:
            row["nd_rel_error"] = abs(nd_result[0] - true) / abs(true)
            row["nd_evals"] = nd_result[1]
        rows.append(row)
    return rows


def _fmt(v: float) -> str:
    return f"{v:.1e}" if v else "0"


def main() -> None:
    rows = run()
    has_nd = "nd_rel_error" in rows[0]
    head = (
        f"{'function':32s} {'x':>7s} {'rel err':>8s} {'evals':>5s} {'+err':>5s} "
        f"{'reported':>8s} {'ok':>3s}"
    )
    head += f" {'cplx err':>8s}"
    if has_nd:
        head += f" {'nd err':>8s} {'nd ev':>5s}"
    print(head)
    for r in rows:
        line = (
            f"{r['name']:32s} {r['x']:7.2g} {_fmt(r['rel_error']):>8s} {r['evals']:5d} "
            f"{r['evals_with_error']:5d} "
            f"{_fmt(r['reported_error'] / abs(r['true'])):>8s} {'yes' if r['honest'] else 'NO':>3s}"
            f" {_fmt(r['complex_rel_error']):>8s}"
        )
        if has_nd:
            line += f" {_fmt(r['nd_rel_error']):>8s} {r['nd_evals']:5d}"
        print(line)
    rel = [r["rel_error"] for r in rows]
    ordinary = [r for r in rows if r["ordinary"]]
    summary = (
        f"gradkit: median rel err {_fmt(float(np.median(rel)))}, max {_fmt(max(rel))}, "
        f"max evals {max(r['evals'] for r in rows)} "
        f"(ordinary: {max(r['evals'] for r in ordinary)}), "
        f"with the error estimate {max(r['evals_with_error'] for r in rows)} "
        f"(ordinary: {max(r['evals_with_error'] for r in ordinary)}), "
        f"honest error estimates {sum(r['honest'] for r in rows)}/{len(rows)}"
    )
    cplx = [r["complex_rel_error"] for r in rows]
    summary += f"; complex step: max rel err {_fmt(max(cplx))} in 1 evaluation"
    if has_nd:
        nd_rel = np.array([r["nd_rel_error"] for r in rows])
        failed = int(np.sum(~(nd_rel < 1e-6)))
        summary += (
            f"; numdifftools: median {_fmt(float(np.nanmedian(nd_rel)))}, "
            f"max {_fmt(float(np.nanmax(nd_rel)))}, {failed} wrong or nan, "
            f"evals {max(r['nd_evals'] for r in rows)}"
        )
    print(summary)


if __name__ == "__main__":
    main()
