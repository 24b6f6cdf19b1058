"""Derivative rules, grouped by family; importing this package registers them all."""

from gradkit.autodiff.rules import decompositions, elementwise, linalg, reductions, scatter, shape

__all__ = ["decompositions", "elementwise", "linalg", "reductions", "scatter", "shape"]
