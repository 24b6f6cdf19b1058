"""The tour as a Jupyter notebook: ``gradkit tour --notebook [PATH]``.

The notebook holds the same story as the page (:mod:`gradkit.viz.tour`): for each section
of :mod:`gradkit.viz.tour_sections`, its introduction as a Markdown cell (Jupyter typesets
the ``$...$`` TeX) and its code -- the standalone snippet the page shows -- as a code
cell; then a cell drawing with ``gk.viz`` what the page shows as an interactive picture.
Run all cells: every figure a cell makes is shown (:mod:`gradkit.viz.notebook_display`).
The notebook is written unexecuted (nbformat 4, plain JSON), so it needs no Jupyter
package to be written.

>>> nb = tour_notebook()
>>> nb["nbformat"], [c["cell_type"] for c in nb["cells"][:3]]
(4, ['markdown', 'markdown', 'code'])
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gradkit.viz.tour import TUTORIAL, Section, section_code

__all__ = ["tour_notebook", "write_tour_notebook"]

# Cells run after a section's snippet, with its variables, standing in for the page's
# interactive pictures (sliders need the page; these are the same pictures, still).
PICTURES = {
    "derivative": "gk.viz.plot_derivative(lambda x: x**3 / 3 - x, (-2.5, 2.5), at=1.5)",
    "step-size": "gk.viz.plot_step_error(np.sin, 1.0)",
    "symbolic": "product  # a derivation shows its steps typeset",
    "gradient": "gk.viz.plot_directional_derivatives(f, point)",
    "backprop": "gk.viz.plot_graph(graph)\ngk.viz.plot_training_history(history)",
    "optimization": (
        "gk.viz.plot_trajectories(gk.functions.rosenbrock, fair.results, minimum=(1, 1))\n"
        'gk.viz.plot_loss_curves({f"batch size {s}": r.epoch_losses for s, r in runs.items()})'
    ),
}


class TourNotebookError(ValueError):
    """A notebook path that cannot be written as asked (a folder, a missing folder)."""


def _markdown(text: str, number: int) -> dict[str, Any]:
    return {
        "cell_type": "markdown",
        "id": f"md-{number}",
        "metadata": {},
        "source": text.strip("\n").splitlines(keepends=True),
    }


def _code(code: str, number: int) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "id": f"code-{number}",
        "execution_count": None,
        "metadata": {},
        "outputs": [],
        "source": code.strip("\n").splitlines(keepends=True),
    }


def _intro(version: str) -> str:
    return f"""# Calculus for deep learning: the gradkit tour

This notebook follows the tutorial *"{TUTORIAL}"* section by section and redoes each of
its computations with gradkit {version}: numerical, symbolic and automatic derivatives
that check one another, and the pictures that go with them. Run all cells (about a
minute); every figure a cell makes is shown under it. Each code cell is a standalone
snippet that also runs as it is in plain Python.

`gradkit tour` writes the same story as a web page whose pictures move (a slider for the
step h, a point to drag along a curve, a direction to turn, the optimizer race to
re-run, the backpropagation step-through); the tutorial itself, rewritten on gradkit,
is `docs/tutorial.md` in gradkit's repository."""


def tour_notebook(sections: Sequence[Section] | None = None) -> dict[str, Any]:
    """Return the tour as a notebook: a dict in the nbformat 4 JSON layout, unexecuted.

    Args:
        sections: the sections (default: all of :data:`tour_sections.SECTIONS`); each
            needs a ``present`` function, i.e. a standalone snippet.

    Raises:
        TourNotebookError: a section whose code writes into the page's report (it has
            no ``present``), which a notebook cannot run.

    >>> nb = tour_notebook()
    >>> sum(c["cell_type"] == "code" for c in nb["cells"]) >= 8
    True
    """
    import gradkit
    from gradkit.viz.tour_sections import SECTIONS

    chosen = list(SECTIONS if sections is None else sections)
    cells = [_markdown(_intro(gradkit.__version__), 0)]
    for number, section in enumerate(chosen, start=1):
        if section.present is None:
            raise TourNotebookError(
                f"tour section {section.key!r} fills the page's report itself; only "
                "sections written as standalone snippets (with a present function) fit "
                "in a notebook"
            )
        intro, code = section_code(section.run)
        cells.append(_markdown(f"## {number}. {section.title}\n\n{intro}", number))
        cells.append(_code(code, number))
        if section.key in PICTURES:
            cells.append(_code(PICTURES[section.key], 100 + number))
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def write_tour_notebook(
    path: str | Path = "gradkit-tour.ipynb", sections: Sequence[Section] | None = None
) -> Path:
    """Write the tour notebook to ``path`` (replacing a file there) and return the path.

    The folder must exist: none is created.

    Args:
        path: the ``.ipynb`` file to write.
        sections: as for :func:`tour_notebook`.

    Raises:
        TourNotebookError: ``path`` is a folder, its folder does not exist, or its
            name does not end in ``.ipynb``.

    >>> import json, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     written = write_tour_notebook(Path(folder) / "tour.ipynb")
    ...     json.loads(written.read_text())["nbformat"]
    4
    """
    path = Path(path)
    if path.is_dir():
        raise TourNotebookError(f"{str(path)!r} is a folder; give a file name such as tour.ipynb")
    if path.suffix != ".ipynb":
        raise TourNotebookError(f"{str(path)!r}: a notebook's name ends in .ipynb")
    if not path.parent.is_dir():
        raise TourNotebookError(
            f"the folder {str(path.parent)!r} does not exist; create it first "
            "(no folder is created for you)"
        )
    text = json.dumps(tour_notebook(sections), indent=1, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8")
    return path
