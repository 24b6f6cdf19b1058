"""Figures show in Jupyter when a cell *creates* them, not only when it returns one.

gradkit builds figures without pyplot, so IPython's inline backend, which shows the
figures pyplot made during a cell, never sees them. Instead each gradkit figure made
inside an IPython kernel is noted here, and a ``post_execute`` hook (registered once, on
the first such figure) displays, after the cell has run, every figure the cell made that
was not already shown: a cell ending in ``fig = gk.viz.plot_derivative(...)`` shows the
figure, as it would with pyplot, and a figure the cell returns is shown once, not twice.
Outside a kernel (scripts, tests, the terminal IPython) nothing is noted or shown.

>>> from gradkit.viz.notebook_display import figure_created, pending
>>> figure_created(object())      # no IPython kernel here: nothing is kept
>>> pending()
[]
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

__all__ = ["figure_created", "figure_shown", "hidden", "pending", "show_pending"]

# Figures made during the running cell, oldest first, until the cell ends.
_PENDING: list[Any] = []
# The shells (by id) whose post_execute event already calls show_pending.
_HOOKED: set[int] = set()
# How many hidden() blocks are open: figures made inside one are not shown.
_HIDDEN = [0]


@contextlib.contextmanager
def hidden() -> Iterator[None]:
    """Do not show the figures made inside the block (code that saves many figures to
    files, such as ``build_tour``, run in a notebook cell).

    >>> with hidden():
    ...     figure_created(object())
    >>> pending()
    []
    """
    _HIDDEN[0] += 1
    try:
        yield
    finally:
        _HIDDEN[0] -= 1


def _kernel_shell() -> Any:
    """The running IPython shell if it can show images (a Jupyter kernel), else None."""
    if "IPython" not in sys.modules:  # never import IPython just to ask
        return None
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython half-installed
        return None
    shell = get_ipython()
    # A kernel's shell has a kernel (ipykernel's ZMQInteractiveShell); the terminal
    # IPython would print "<Figure ...>" text, no better than nothing.
    if shell is None or getattr(shell, "kernel", None) is None:
        return None
    return shell


def figure_created(fig: Any) -> None:
    """Note a new figure so that the cell making it shows it (inside a kernel only).

    Args:
        fig: the new figure (a ``NotebookFigure``).
    """
    shell = None if _HIDDEN[0] else _kernel_shell()
    if shell is None:
        return
    if id(shell) not in _HOOKED:
        shell.events.register("post_execute", show_pending)
        _HOOKED.add(id(shell))
    _PENDING.append(fig)


def figure_shown(fig: Any) -> None:
    """Forget a figure that Jupyter has just rendered (the cell returned it).

    >>> figure_shown(object())   # not pending: nothing to forget
    """
    for k, pending_fig in enumerate(_PENDING):
        if pending_fig is fig:
            del _PENDING[k]
            return


def pending() -> list[Any]:
    """The figures made during the running cell and not shown yet, oldest first."""
    return list(_PENDING)


def show_pending() -> None:
    """Display each figure the cell made and did not show, then forget them all.

    Called by IPython after every cell; also callable by hand.
    """
    figures = list(_PENDING)
    _PENDING.clear()
    if not figures:
        return
    from IPython.display import display

    for fig in figures:
        display(fig)  # renders through the figure's _repr_png_
    _PENDING.clear()  # display() rendered them, which noted them as shown
