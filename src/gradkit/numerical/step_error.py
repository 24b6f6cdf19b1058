"""``step_error``: the tutorial's lesson made measurable.

A plain finite difference has two errors pulling in opposite directions: the
truncation error of the formula, which shrinks with the step (like ``h`` for
one-sided differences, ``h**2`` for central ones), and the rounding error of
subtracting nearly equal values of ``f``, which grows like ``eps * |f| / h``.
On a log-log plot of error against step they make a V; the bottom of the V is
the best step.  The tutorial's ``(f(x + h) - f(x)) / h`` with ``h = 1e-7`` is one
point on the forward-difference curve, a little off its bottom.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gradkit.numerical.errors import NumericalDerivativeError
from gradkit.numerical.finite_differences import _as_point, derivative
from gradkit.numerical.stencils import EPS

__all__ = ["StepError", "step_error", "TUTORIAL_STEP"]

TUTORIAL_STEP = 1e-7
_METHODS = ("forward", "backward", "central", "complex")


@dataclass
class StepError:
    """Errors of plain differences over a range of steps, per method.

    Attributes:
        x: the point.
        exact: the exact derivative the errors are measured against.
        steps: the steps, increasing.
        errors: method -> absolute error at each step (NaN where ``f`` failed).
        best_step: method -> the step with the smallest error.
        best_error: method -> that smallest error.
        predicted_best_step: method -> the best step predicted by balancing
            truncation and rounding: ``sqrt(2 eps |f| / |f''|)`` for one-sided
            differences, ``(3 eps |f| / |f'''|) ** (1/3)`` for central ones
            (absent when the needed derivative is zero).
        tutorial_error: the error of the tutorial's forward difference,
            ``(f(x + 1e-7) - f(x)) / 1e-7``: one point on the forward curve.
        skipped: method -> why it was left out (e.g. ``f`` rejects complex input).
    """

    x: float
    exact: float
    steps: np.ndarray
    errors: dict[str, np.ndarray]
    best_step: dict[str, float]
    best_error: dict[str, float]
    predicted_best_step: dict[str, float] = field(default_factory=dict)
    tutorial_error: float = float("nan")
    skipped: dict[str, str] = field(default_factory=dict)

    def error_at(self, method: str, step: float) -> float:
        """Return the error of ``method`` at the listed step closest to ``step``."""
        if method not in self.errors:
            raise NumericalDerivativeError(
                f"no curve for method {method!r}; have {sorted(self.errors)}"
            )
        if not (isinstance(step, (int, float, np.integer, np.floating)) and 0 < step < np.inf):
            raise NumericalDerivativeError(
                f"error_at: step must be a positive finite number, got {step!r}"
            )
        i = int(np.argmin(np.abs(np.log(self.steps) - np.log(step))))
        return float(self.errors[method][i])

    def __repr__(self) -> str:
        """One line: the best step and error of each method (not the whole curves).

        >>> import numpy as np
        >>> step_error(np.sin, np.cos, 1.0, methods=("forward", "central"))  # doctest: +ELLIPSIS
        StepError(x=1, forward: best h ... error ..., central: best h ... error ...; 65 steps)
        """
        best = ", ".join(
            f"{m}: best h {self.best_step[m]:.2g} error {err:.2g}"
            for m, err in self.best_error.items()
        )
        return f"StepError(x={self.x:g}, {best}; {len(self.steps)} steps)"

    def _repr_html_(self) -> str:
        """The text table as HTML: what Jupyter shows."""
        import html

        head = "".join(f"<th>{h}</th>" for h in ("method", "best step", "error", "predicted"))
        rows = []
        for m, err in self.best_error.items():
            pred = self.predicted_best_step.get(m)
            cells = [
                m,
                f"{self.best_step[m]:.1e}",
                f"{err:.1e}",
                "-" if pred is None else f"{pred:.1e}",
            ]
            rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
        note = (
            f"the tutorial's forward difference (h = {TUTORIAL_STEP:g}): "
            f"error {self.tutorial_error:.1e}"
        )
        return (
            f"<table><caption>{html.escape(repr(self))}</caption><tr>{head}</tr>"
            f"{''.join(rows)}</table><p>{html.escape(note)}</p>"
        )

    def table(self) -> str:
        """A text table: one row per method with its best step and error."""
        lines = [f"{'method':9s} {'best step':>10s} {'error':>9s} {'predicted step':>15s}"]
        for m, err in self.best_error.items():
            pred = self.predicted_best_step.get(m)
            pred_txt = f"{pred:15.1e}" if pred is not None else f"{'-':>15s}"
            lines.append(f"{m:9s} {self.best_step[m]:10.1e} {err:9.1e} {pred_txt}")
        lines.append(
            f"the tutorial's forward difference (h = {TUTORIAL_STEP:g}): "
            f"error {self.tutorial_error:.1e}"
        )
        return "\n".join(lines)


def step_error(
    f: Callable[[Any], Any],
    df: Callable[[Any], Any] | float,
    x: float,
    steps: Any = None,
    methods: tuple[str, ...] = _METHODS,
) -> StepError:
    """Return the error of each finite-difference method over a range of steps.

    Args:
        f: a function of one real variable.
        df: its exact derivative, as a function or as the number ``f'(x)``.
        x: the point (a scalar).
        steps: positive steps; default ``10**k`` for ``k`` from -16 to 0 in
            quarter decades (it includes the tutorial's ``1e-7``).
        methods: which plain differences to measure (``forward``, ``backward``,
            ``central``, ``complex``); no extrapolation is applied.

    Returns:
        A :class:`StepError` with the V-shaped error curves, the best step of each
        method and the error of the tutorial's ``h = 1e-7`` forward difference.

    >>> import numpy as np
    >>> r = step_error(lambda t: t**2, lambda t: 2 * t, 1.0)
    >>> 1e-9 < r.best_step["forward"] < 1e-7 < r.best_step["central"]
    True
    >>> r.tutorial_error == r.error_at("forward", 1e-7)      # one point on the V
    True
    >>> bool(r.best_error["central"] < r.tutorial_error)
    True
    """
    x_arr = _as_point(x, "step_error")
    if x_arr.ndim != 0:
        raise NumericalDerivativeError("step_error: x must be a scalar")
    x0 = float(x_arr)
    if steps is None:
        steps = 10.0 ** np.arange(-16.0, 0.01, 0.25)
    try:
        steps = np.sort(np.asarray(steps, dtype=float).ravel())
    except (TypeError, ValueError) as exc:
        raise NumericalDerivativeError(f"step_error: steps must be numbers, got {steps!r}") from exc
    if steps.size == 0 or not np.all(np.isfinite(steps) & (steps > 0)):
        raise NumericalDerivativeError("step_error: steps must be positive and finite")
    exact = float(df(x0)) if callable(df) else float(df)
    if not np.isfinite(exact):
        raise NumericalDerivativeError(f"step_error: the exact derivative is {exact}")
    unknown = [m for m in methods if m not in _METHODS]
    if unknown:
        raise NumericalDerivativeError(
            f"step_error: unknown methods {unknown}; choose from {list(_METHODS)}"
        )

    errors: dict[str, np.ndarray] = {}
    skipped: dict[str, str] = {}
    for method in methods:
        curve = np.full(steps.shape, np.nan)
        try:
            for k, h in enumerate(steps):
                curve[k] = _plain_error(f, x0, method, h, exact)
        except NumericalDerivativeError as exc:
            if method != "complex":
                raise
            skipped[method] = str(exc)
            continue
        errors[method] = curve
    best_step, best_error = {}, {}
    for method, curve in errors.items():
        if np.all(np.isnan(curve)):
            continue
        # ties (often exact zeros) go to the largest step: the least sensitive choice
        k = int(np.flatnonzero(curve == np.nanmin(curve))[-1])
        best_step[method], best_error[method] = float(steps[k]), float(curve[k])
    tutorial = _plain_error(f, x0, "forward", TUTORIAL_STEP, exact)
    return StepError(
        x0,
        exact,
        steps,
        errors,
        best_step,
        best_error,
        _predicted(f, x0, methods),
        tutorial,
        skipped,
    )


def _plain_error(f: Callable, x: float, method: str, h: float, exact: float) -> float:
    try:
        value = derivative(f, x, method=method, step=h)
    except NumericalDerivativeError as exc:
        if "nan or inf" in str(exc):
            return float("nan")  # this step leaves f's domain: a gap in the curve
        raise
    return abs(value - exact)


def _predicted(f: Callable, x: float, methods: tuple[str, ...]) -> dict[str, float]:
    """Best steps from the error model, using f'' and f''' computed numerically."""
    out: dict[str, float] = {}
    with np.errstate(all="ignore"):
        fx = abs(float(np.asarray(f(x))))
    try:
        f2 = abs(derivative(f, x, n=2))
        f3 = abs(derivative(f, x, n=3))
    except NumericalDerivativeError:
        return out
    scale = max(fx, EPS)
    for m in methods:
        if m in ("forward", "backward") and f2 > 0:
            out[m] = float(np.sqrt(2 * EPS * scale / f2))
        elif m == "central" and f3 > 0:
            out[m] = float(np.cbrt(3 * EPS * scale / f3))
    return out
