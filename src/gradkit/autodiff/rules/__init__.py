"""Derivative rules, grouped by family; importing this package registers them all."""

from gradkit.autodiff.rules import (
    decompositions,
    elementwise,
    fft,
    linalg,
    reductions,
    scatter,
    shape,
)
from gradkit.autodiff.rules import batch_index, batch_linalg, batch_rules  # after the rules

__all__ = ["decompositions", "elementwise", "fft", "linalg", "reductions", "scatter", "shape"]
