"""Shared helpers for the figure modules: figure creation, input checks, grids, styling.

Figures are built as ``matplotlib.figure.Figure`` objects, never through pyplot, so
nothing leaks into pyplot's global state and every function works headless.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from gradkit.viz import notebook_display
from gradkit.viz.errors import FigureInputError

Domain = tuple[tuple[float, float], tuple[float, float]]


def quiet(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate ``fn`` to run with NumPy's divide/invalid/overflow warnings off.

    A plot samples functions where they may be infinite or undefined (log at 0): those
    points become gaps in the curve, not warnings.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return fn(*args, **kwargs)

    return wrapper


DEFAULT_DOMAIN: Domain = ((-3.0, 3.0), (-3.0, 3.0))


class NotebookFigure(Figure):
    """A matplotlib ``Figure`` that Jupyter shows when a cell creates or returns it.

    gradkit builds figures without pyplot (no global state), so IPython's pyplot hooks
    never see them; ``_repr_png_`` lets IPython render the figure itself, at twice the
    screen resolution so that it stays sharp on HiDPI screens and projectors, and
    :mod:`gradkit.viz.notebook_display` shows the figures a cell made but did not return.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        notebook_display.figure_created(self)

    def _repr_png_(self) -> bytes:
        import io

        notebook_display.figure_shown(self)
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=2 * 72)
        return buffer.getvalue()


# A fixed colour cycle, so the n-th optimizer has the same colour in every figure.
COLORS = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#7f7f7f",
    "#bcbd22",
)


def new_figure(
    nrows: int = 1, ncols: int = 1, *, width: float = 5.0, height: float = 4.0, **subplot_kw: Any
) -> tuple[Figure, Any]:
    """Return a constrained-layout ``Figure`` and its grid of axes (flattened array)."""
    fig = NotebookFigure(figsize=(width * ncols, height * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, subplot_kw=subplot_kw or None)
    return fig, axes.ravel()


def style_axes(ax: Any, title: str, xlabel: str, ylabel: str, *, legend: bool = True) -> None:
    """Title, labels, a light grid and (if any labelled artists) a legend."""
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    if legend and ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="small")


def check_callable(f: Any, name: str = "f") -> Callable[..., Any]:
    """Return ``f`` if it is callable, else raise a TypeError saying what to pass."""
    if not callable(f):
        raise TypeError(
            f"{name} must be a callable (a Python function of x), got {type(f).__name__}; "
            f"pass e.g. lambda x: x**2"
        )
    return f


def check_interval(interval: Any, name: str = "interval") -> tuple[float, float]:
    """Return ``(low, high)`` as floats with low < high, or raise FigureInputError."""
    try:
        low, high = (float(v) for v in interval)
    except (TypeError, ValueError):
        raise FigureInputError(
            f"{name} must be a pair of numbers (low, high), got {interval!r}"
        ) from None
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise FigureInputError(f"{name} must satisfy low < high (finite), got {(low, high)}")
    with np.errstate(over="ignore"):
        width = high - low
    if not np.isfinite(width):  # (-1e308, 1e308): the sample points themselves overflow
        raise FigureInputError(f"{name} is too wide to sample in floating point: {(low, high)}")
    return low, high


def check_num(num: int, minimum: int = 2, name: str = "num") -> int:
    """Return ``num`` as an int >= minimum, or raise FigureInputError."""
    if isinstance(num, bool) or not isinstance(num, (int, np.integer)) or num < minimum:
        raise FigureInputError(f"{name} must be an integer >= {minimum}, got {num!r}")
    return int(num)


def resolve_domain(f: Any, domain: Any) -> Domain:
    """The plotting box: ``domain`` if given, else ``f.domain`` if it has one, else [-3, 3]^2.

    Accepts ``((xmin, xmax), (ymin, ymax))`` or ``(xmin, xmax, ymin, ymax)``.

    >>> resolve_domain(None, (0, 1, -2, 2))
    ((0.0, 1.0), (-2.0, 2.0))
    """
    if domain is None:
        domain = getattr(f, "domain", None)
        if domain is None:
            return DEFAULT_DOMAIN
    try:
        flat = [float(v) for v in np.asarray(domain, dtype=float).ravel()]
    except (TypeError, ValueError):
        flat = []
    if len(flat) != 4:
        raise FigureInputError(
            "domain must be ((xmin, xmax), (ymin, ymax)) or (xmin, xmax, ymin, ymax), "
            f"got {domain!r}"
        )
    xs = check_interval(flat[:2], "domain's x range")
    ys = check_interval(flat[2:], "domain's y range")
    return xs, ys


def as_point(point: Any, name: str = "point") -> np.ndarray:
    """Return ``point`` as a finite float vector of length 2, or raise FigureInputError."""
    try:
        p = np.asarray(point, dtype=float)
    except (TypeError, ValueError):
        raise FigureInputError(f"{name} must be two numbers (x, y), got {point!r}") from None
    if p.shape != (2,) or not np.all(np.isfinite(p)):
        raise FigureInputError(f"{name} must be two finite numbers (x, y), got {point!r}")
    return p


def _spot_checks(shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    # a corner and the centre: enough to catch a function that mixes grid points
    return [tuple(0 for _ in shape), tuple(n // 2 for n in shape)]


@quiet
def evaluate_grid(f: Callable[..., Any], X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Values of a function of a 2-vector over a meshgrid.

    Tries the vectorised call ``f(np.stack([X, Y]))`` first (test functions index
    ``p[0]``, ``p[1]`` and so broadcast over a grid), checks it at two points against
    single calls, and otherwise falls back to one call per point.

    >>> X, Y = np.meshgrid([0.0, 1.0], [2.0, 3.0])
    >>> evaluate_grid(lambda p: p[0] + 10 * p[1], X, Y).tolist()
    [[20.0, 21.0], [30.0, 31.0]]
    """
    try:
        Z = np.asarray(f(np.stack([X, Y])), dtype=float)
        if Z.shape == X.shape and all(
            np.isclose(
                Z[i], scalar_value(f, np.array([X[i], Y[i]])), rtol=1e-9, atol=1e-12, equal_nan=True
            )
            for i in _spot_checks(X.shape)
        ):
            return Z
    except Exception:  # any failure just means "not vectorised"
        pass
    Z = np.empty(X.shape, dtype=float)
    try:
        for index in np.ndindex(X.shape):
            Z[index] = scalar_value(f, np.array([X[index], Y[index]]))
    except FigureInputError:
        raise
    except Exception as error:
        raise FigureInputError(
            "could not evaluate the function at a grid point (it should take one vector "
            f"p = (x, y)): {type(error).__name__}: {error}"
        ) from error
    return Z


@quiet
def gradient_grid(
    f: Callable[..., Any], X: np.ndarray, Y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The gradient of a function of a 2-vector at every meshgrid point, as ``(U, V)``.

    One reverse pass over ``sum(f(grid))`` gives every point's gradient when f treats
    grid points independently (checked at two points); otherwise one pass per point.

    >>> U, V = gradient_grid(lambda p: p[0] ** 2 * p[1], np.array([1.0, 2.0]),
    ...                      np.array([3.0, 3.0]))
    >>> U.tolist(), V.tolist()
    ([6.0, 12.0], [1.0, 4.0])
    """
    import gradkit as gk

    P = np.stack([X, Y]).astype(float)
    try:
        G = np.asarray(gk.grad(lambda q: np.sum(f(q)))(P), dtype=float)
        if (
            G.shape == P.shape
            and np.asarray(f(P)).shape == X.shape
            and all(
                np.allclose(
                    G[(slice(None), *i)],
                    gradient_at(f, P[(slice(None), *i)]),
                    rtol=1e-9,
                    atol=1e-12,
                    equal_nan=True,
                )
                for i in _spot_checks(X.shape)
            )
        ):
            return G[0], G[1]
    except Exception:  # not vectorised: one gradient per point below
        pass
    U = np.empty(X.shape, dtype=float)
    V = np.empty(X.shape, dtype=float)
    for index in np.ndindex(X.shape):
        U[index], V[index] = gradient_at(f, np.array([X[index], Y[index]]))
    return U, V


def scalar_value(f: Callable[..., Any], x: Any) -> float:
    """``f(x)`` as a Python float, with a clear error when f does not return a scalar."""
    value = np.asarray(f(x), dtype=float)
    if value.size != 1:
        raise FigureInputError(
            f"the function must return a scalar, got an array of shape {value.shape}"
        )
    return float(value.reshape(()))


def gradient_at(f: Callable[..., Any], point: np.ndarray) -> np.ndarray:
    """The gradient of a scalar function of a 2-vector at ``point``, by reverse-mode autodiff."""
    import gradkit as gk

    return np.asarray(gk.grad(f)(np.asarray(point, dtype=float)), dtype=float)


def named_runs(runs: Any) -> list[tuple[str, Any]]:
    """Normalise a mapping ``{name: run}`` or a sequence of runs to ``[(name, run), ...]``.

    An object with a ``.results`` mapping (what ``gk.optim.race`` returns) stands for
    that mapping.

    >>> named_runs([[1.0], [2.0]])
    [('run 1', [1.0]), ('run 2', [2.0])]
    """
    if isinstance(getattr(runs, "results", None), Mapping):
        runs = runs.results
    if isinstance(runs, Mapping):
        items = [(str(k), v) for k, v in runs.items()]
    elif isinstance(runs, Sequence) and not isinstance(runs, (str, bytes)):
        items = [(str(getattr(r, "name", None) or f"run {i + 1}"), r) for i, r in enumerate(runs)]
    else:
        raise TypeError(
            "runs must be a mapping {name: result or array} or a list of them, "
            f"got {type(runs).__name__}"
        )
    if not items:
        raise FigureInputError("runs is empty: pass at least one optimizer run")
    return items


@quiet
def vectorized(fn: Callable[..., Any], xs: np.ndarray, name: str = "f") -> np.ndarray:
    """``fn`` over a 1-D array: one vectorised call when it broadcasts (checked at two
    points against single calls), else a loop.

    >>> vectorized(lambda x: x - np.mean(x), np.array([1.0, 3.0])).tolist()  # mixes points
    [0.0, 0.0]
    """
    try:
        ys = np.asarray(fn(xs), dtype=float)
        if ys.shape == xs.shape and all(
            np.isclose(ys[i], scalar_value(fn, xs[i]), rtol=1e-9, atol=1e-12, equal_nan=True)
            for i in _spot_checks(xs.shape)
        ):
            return ys
    except Exception:  # a scalar-only function: evaluate point by point below
        pass
    try:
        return np.array([scalar_value(fn, x) for x in xs], dtype=float)
    except FigureInputError:
        raise
    except Exception as error:
        raise FigureInputError(
            f"could not evaluate {name} on the plotting grid: {type(error).__name__}: {error}"
        ) from error


def fit_ylim(ax: Any, *curves: np.ndarray, margin: float = 0.1) -> None:
    """Limit the y axis to the finite range of ``curves`` (plus a margin).

    Lines such as a tangent may run far outside the function's range, and a function may
    be infinite somewhere (log at 0): the view follows the finite values of the curves.
    """
    values = np.concatenate([np.ravel(c) for c in curves]) if curves else np.empty(0)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return
    low, high = float(values.min()), float(values.max())
    if high > low:
        pad = margin * (high - low)
        ax.set_ylim(low - pad, high + pad)
