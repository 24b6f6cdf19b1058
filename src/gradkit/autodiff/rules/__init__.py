"""Derivative rules, grouped by family; importing this package registers them all."""

from gradkit.autodiff.rules import (
    decompositions,
    elementwise,
    fft,
    linalg,
    reductions,
    scatter,
    shape,
    windows,
)

__all__ = [
    "decompositions",
    "elementwise",
    "fft",
    "linalg",
    "reductions",
    "scatter",
    "shape",
    "windows",
]
