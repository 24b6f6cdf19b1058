"""The tutorial's optimizer race on a test function, reproduced and extended.

The tutorial runs gradient descent and its momentum (``v = 0.9 v + 0.1 g``) from
(-1.5, -1.5) on the Rosenbrock function with lr = 1e-4 for 1000 steps, with the
closed-form gradient. :func:`race` runs those two exactly so, plus Nesterov, RMSprop
and Adam, and tabulates the final value, the distance to the nearest minimizer and
the number of steps until the gradient norm fell below ``tol``. The CLI and the tour
both call it.

>>> result = race(steps=200)
>>> [row["optimizer"] for row in result.rows()]
['gradient descent', 'momentum (tutorial)', 'nesterov', 'rmsprop', 'adam']
>>> print(result.table().splitlines()[0])
| optimizer | settings | final f | distance to minimum | steps to tol |
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gradkit.optim.base import GradientTransformation
from gradkit.optim.minimize import MinimizeResult, minimize
from gradkit.optim.named import adam, momentum, rmsprop, sgd

__all__ = [
    "Racer", "RaceResult", "default_racers", "tuned_racers", "fair_racers", "race", "LR_GRID",
    "FAIR_RATES",
]  # fmt: skip

#: Half-decades from 1e-5 to 0.3: the learning rates a fair race tries for everyone.
LR_GRID = (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1)


@dataclass(frozen=True)
class Racer:
    """One entrant: a display name, the optimizer, and its settings as text."""

    name: str
    optimizer: GradientTransformation
    settings: str


def default_racers() -> list[Racer]:
    """Return the five entrants of the race.

    Gradient descent and momentum use the tutorial's settings (lr = 1e-4, beta = 0.9).
    The others' learning rates are the best final Rosenbrock value after 1000 steps from
    (-1.5, -1.5) over the grid 1e-5, 3e-5, 1e-4, ..., 0.3 (half-decades): Nesterov
    1e-4 (momentum 0.9), RMSprop 0.03, Adam 0.3; all other settings are PyTorch's
    defaults.

    >>> [r.name for r in default_racers()][:2]
    ['gradient descent', 'momentum (tutorial)']
    """
    return [
        Racer("gradient descent", sgd(1e-4), "lr=1e-4 (tutorial)"),
        Racer("momentum (tutorial)", momentum(1e-4, beta=0.9), "lr=1e-4, v=0.9v+0.1g (tutorial)"),
        Racer("nesterov", sgd(1e-4, momentum=0.9, nesterov=True), "lr=1e-4, momentum=0.9"),
        Racer("rmsprop", rmsprop(0.03), "lr=0.03, alpha=0.99"),
        Racer("adam", adam(0.3), "lr=0.3, betas=(0.9, 0.999)"),
    ]


def _fmt(value: float) -> str:
    return f"{value:.4g}" if np.isfinite(value) else str(value)


@dataclass(frozen=True)
class RaceResult:
    """The runs of a race and their table.

    Attributes:
        function: the function raced on.
        x0: the common starting point.
        steps: the step limit of every run.
        tol: the gradient-norm tolerance.
        results: the :class:`~gradkit.optim.minimize.MinimizeResult` of each racer, by name.
        settings: each racer's settings as text, by name.
        minimizers: the known minimizers the distances are measured to.
    """

    function: Callable
    x0: np.ndarray
    steps: int
    tol: float
    results: dict[str, MinimizeResult]
    settings: dict[str, str]
    minimizers: list[np.ndarray] = field(default_factory=list)

    def distance(self, name: str) -> float:
        """Return the distance from racer ``name``'s last iterate to the nearest minimizer.

        ``nan`` if the function has no known minimizer.

        >>> round(race(steps=0).distance("adam"), 4)       # from (-1.5, -1.5) to (1, 1)
        3.5355
        """
        x = self.results[name].x.reshape(-1)
        if not self.minimizers:
            return float("nan")
        return min(float(np.linalg.norm(x - m)) for m in self.minimizers)

    def rows(self) -> list[dict[str, Any]]:
        """Return one dict per racer: optimizer, settings, final_value, distance, steps_to_tol.

        ``steps_to_tol`` is the number of updates until the gradient norm fell below
        ``tol``, or ``None`` if that did not happen; ``diverged_at`` is set if the run
        blew up.

        >>> row = race(steps=3).rows()[0]
        >>> row["optimizer"], row["steps_to_tol"], row["diverged_at"]
        ('gradient descent', None, None)
        """
        return [
            {
                "optimizer": name,
                "settings": self.settings[name],
                "final_value": res.fun,
                "distance": self.distance(name),
                "steps_to_tol": res.n_iter if res.converged else None,
                "diverged_at": res.diverged_at,
            }
            for name, res in self.results.items()
        ]

    def table(self, fmt: str = "markdown") -> str:
        """Return the results table as Markdown (``fmt="markdown"``) or aligned text (``"text"``).

        >>> print(race(steps=10).table("text").splitlines()[0].split())
        ['optimizer', 'settings', 'final', 'f', 'distance', 'to', 'minimum', 'steps', 'to', 'tol']
        """
        if fmt not in ("markdown", "text"):
            raise ValueError(f"fmt must be 'markdown' or 'text'; got {fmt!r}")
        header = ["optimizer", "settings", "final f", "distance to minimum", "steps to tol"]
        body = []
        for row in self.rows():
            if row["diverged_at"] is not None:
                reached = f"diverged at {row['diverged_at']}"
            elif row["steps_to_tol"] is None:
                reached = f"not in {self.steps}"
            else:
                reached = str(row["steps_to_tol"])
            value, distance = _fmt(row["final_value"]), _fmt(row["distance"])
            body.append([row["optimizer"], row["settings"], value, distance, reached])
        if fmt == "markdown":
            lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            lines += ["| " + " | ".join(cells) + " |" for cells in body]
            return "\n".join(lines)
        widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
        return "\n".join(
            "  ".join(cell.ljust(w) for cell, w in zip(cells, widths, strict=True)).rstrip()
            for cells in [header, *body]
        )

    def __str__(self) -> str:
        return self.table("text")

    def __repr__(self) -> str:
        """A one-line summary; ``print(result)`` shows the table.

        >>> race(steps=5)
        RaceResult(5 racers, 5 steps from [-1.5, -1.5]: best adam, f = 4.757)
        """
        rows = [r for r in self.rows() if np.isfinite(r["final_value"])]
        best = min(rows, key=lambda r: r["final_value"]) if rows else None
        lead = "all diverged"
        if best:
            lead = f"best {best['optimizer']}, f = {_fmt(best['final_value'])}"
        start = [round(float(v), 4) for v in np.ravel(self.x0)]
        return f"RaceResult({len(self.results)} racers, {self.steps} steps from {start}: {lead})"

    def _repr_html_(self) -> str:
        """The table as HTML (Jupyter shows it when a cell returns the result)."""
        import html

        lines = self.table("markdown").splitlines()
        cells = [[c.strip() for c in line.strip("|").split("|")] for line in lines]
        head = "".join(f"<th>{html.escape(c)}</th>" for c in cells[0])
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
            for row in cells[2:]
        )
        return f"<table><tr>{head}</tr>{body}</table>"


_FAMILIES: dict[str, tuple[Callable[[float], GradientTransformation], str]] = {
    "gradient descent": (lambda lr: sgd(lr), ""),
    "momentum (tutorial)": (lambda lr: momentum(lr, beta=0.9), ", v=0.9v+0.1g"),
    "momentum (PyTorch)": (lambda lr: sgd(lr, momentum=0.9), ", momentum=0.9"),
    "nesterov": (lambda lr: sgd(lr, momentum=0.9, nesterov=True), ", momentum=0.9"),
    "rmsprop": (lambda lr: rmsprop(lr), ", alpha=0.99"),
    "adam": (lambda lr: adam(lr), ", betas=(0.9, 0.999)"),
}


def tuned_racers(
    function: Callable | None = None,
    x0: Sequence[float] = (-1.5, -1.5),
    steps: int = 1000,
    grid: Sequence[float] = LR_GRID,
) -> list[Racer]:
    """Return every optimizer at its own best learning rate: a fair race.

    Each of gradient descent, the tutorial's momentum (``v = 0.9 v + 0.1 g``), PyTorch's
    momentum (``v = 0.9 v + g``), Nesterov, RMSprop and Adam runs ``steps`` steps from
    ``x0`` at every rate of the same ``grid``; the rate with the lowest final value
    (ignoring runs that diverge) is kept, and the racer's settings say so. The tutorial's
    momentum at rate ``lr`` is PyTorch's momentum at ``lr / 10``: tuning both shows the
    difference between them is the step size, not the method.

    >>> [r.settings for r in tuned_racers(steps=50, grid=(1e-4, 1e-3))][:2]
    ['lr=1e-3 (best of 2 rates)', 'lr=1e-3 (best of 2 rates), v=0.9v+0.1g']
    """
    if function is None:
        from gradkit.functions import rosenbrock as function
    closed_form = getattr(function, "grad", None)
    racers = []
    for name, (make, extra) in _FAMILIES.items():
        best, best_lr = np.inf, None
        for lr in grid:
            res = minimize(function, x0, make(lr), steps=steps, tol=0.0, grad=closed_form)
            if not res.diverged and res.fun < best:
                best, best_lr = res.fun, lr
        if best_lr is None:
            continue
        settings = f"lr={best_lr:.0e} (best of {len(grid)} rates){extra}".replace("e-0", "e-")
        racers.append(Racer(name, make(best_lr), settings))
    return racers


#: The rates :func:`tuned_racers` picks on the tutorial's race (Rosenbrock, 1000 steps
#: from (-1.5, -1.5), LR_GRID); a test re-derives them.
FAIR_RATES = {
    "gradient descent": 1e-3,
    "momentum (tutorial)": 3e-3,
    "momentum (PyTorch)": 3e-4,
    "nesterov": 1e-4,
    "rmsprop": 3e-2,
    "adam": 3e-1,
}


def fair_racers() -> list[Racer]:
    """Return :func:`tuned_racers` for the tutorial's race without re-running the tuning:
    every optimizer at the best of the same ten rates (``FAIR_RATES``).

    >>> [r.settings for r in fair_racers()][1]
    'lr=3e-3 (best of 10 rates), v=0.9v+0.1g'
    """
    racers = []
    for name, (make, extra) in _FAMILIES.items():
        lr = FAIR_RATES[name]
        settings = f"lr={lr:.0e} (best of {len(LR_GRID)} rates){extra}".replace("e-0", "e-")
        racers.append(Racer(name, make(lr), settings))
    return racers


def race(
    function: Callable | None = None,
    x0: Sequence[float] = (-1.5, -1.5),
    steps: int = 1000,
    tol: float = 1e-6,
    racers: Sequence[Racer] | None = None,
) -> RaceResult:
    """Run every racer from ``x0`` on ``function`` and return the runs and their table.

    Args:
        function: the function to minimize (default: the Rosenbrock function). A
            :class:`gradkit.functions.Objective` races with its closed-form gradient, as
            the tutorial does, and its minimizers give the distances; any other function
            is differentiated by ``gk.grad``.
        x0: the common starting point (default: the tutorial's (-1.5, -1.5)).
        steps: the step limit of every run (default 1000, the tutorial's).
        tol: the gradient-norm tolerance (default 1e-6, the tutorial's).
        racers: the entrants (default: :func:`default_racers`).

    >>> from gradkit.functions import booth
    >>> res = race(booth, x0=(0.0, 0.0), steps=50)
    >>> sorted(res.results) == sorted(r.name for r in default_racers())
    True
    """
    if function is None:
        from gradkit.functions import rosenbrock as function
    racers = default_racers() if racers is None else list(racers)
    names = [r.name for r in racers]
    if len(set(names)) != len(names):
        raise ValueError(f"racer names must be distinct; got {names}")
    closed_form = getattr(function, "grad", None)
    results = {
        r.name: minimize(function, x0, r.optimizer, steps=steps, tol=tol, grad=closed_form)
        for r in racers
    }
    start = np.asarray(x0, dtype=float).reshape(-1)
    finder = getattr(function, "minimizers", None)
    minimizers = list(finder(start.size)) if callable(finder) else []
    return RaceResult(
        function=function,
        x0=start,
        steps=steps,
        tol=tol,
        results=results,
        settings={r.name: r.settings for r in racers},
        minimizers=minimizers,
    )
