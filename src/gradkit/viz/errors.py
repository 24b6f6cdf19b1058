"""Errors raised by gradkit.viz (kept free of matplotlib so DOT export stays light)."""

from __future__ import annotations

__all__ = ["FigureInputError", "GraphvizError"]


class FigureInputError(ValueError):
    """Raised when a figure function is given input it cannot draw; the message says why."""


class GraphvizError(RuntimeError):
    """Raised when the Graphviz ``dot`` program is missing (when required) or fails."""
