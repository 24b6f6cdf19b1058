"""Derivative rules, grouped by family; importing this package registers them all."""

from gradkit.autodiff.rules import (
    batch_index,
    batch_linalg,
    batch_rules,
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
    "batch_index",
    "batch_linalg",
    "batch_rules",
    "decompositions",
    "elementwise",
    "fft",
    "linalg",
    "reductions",
    "scatter",
    "shape",
    "windows",
]
