"""Saving figures to files, byte-for-byte reproducibly."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from gradkit.viz.errors import FigureInputError

__all__ = ["save", "FORMATS"]

#: File suffixes ``save`` understands, mapped to matplotlib's format names.
FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf", ".jpg": "jpg", ".jpeg": "jpg"}

# Timestamps and random ids in the file would make equal figures differ on disk.
_METADATA: dict[str, dict[str, Any]] = {
    "png": {"Software": None},
    "svg": {"Date": None},
    "pdf": {"CreationDate": None, "ModDate": None},
    "jpg": {},
}


def figure_format(path: str | os.PathLike[str]) -> str:
    """Return the matplotlib format for ``path``'s suffix, or raise FigureInputError.

    >>> figure_format("race.svg")
    'svg'
    """
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        known = ", ".join(sorted(FORMATS))
        raise FigureInputError(f"cannot tell the image format of {str(path)!r}: use one of {known}")
    return FORMATS[suffix]


def save(fig: Any, path: str | os.PathLike[str], *, dpi: int = 120) -> Path:
    """Write ``fig`` to ``path`` in the format its suffix names; return the path.

    Parent folders are created. Dates, software tags and SVG ids are fixed, so the same
    figure gives the same bytes every time.

    Args:
        fig: a ``matplotlib.figure.Figure``.
        path: where to write; ``.png``, ``.svg``, ``.pdf``, ``.jpg`` or ``.jpeg``.
        dpi: resolution for raster formats.

    Returns:
        The path written, as a ``pathlib.Path``.

    >>> import tempfile, pathlib
    >>> from gradkit.viz.single import plot_derivative
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "d.png"
    >>> save(plot_derivative(lambda x: x**2, num=11), out).stat().st_size > 0
    True
    """
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    if isinstance(dpi, bool) or not isinstance(dpi, int) or dpi <= 0:
        raise FigureInputError(f"dpi must be a positive integer, got {dpi!r}")
    out = Path(path)
    fmt = figure_format(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with rc_context({"svg.hashsalt": "gradkit"}):
        fig.savefig(out, format=fmt, dpi=dpi, metadata=_METADATA[fmt] or None)
    return out
