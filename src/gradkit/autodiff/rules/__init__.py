"""Derivative rules, grouped by family; importing this package registers them all."""

from gradkit.autodiff.rules import elementwise, linalg, reductions, scatter, shape

__all__ = ["elementwise", "linalg", "reductions", "scatter", "shape"]
