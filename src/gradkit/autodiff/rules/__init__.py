"""Derivative rules, grouped by family; importing this package registers them all."""

from gradkit.autodiff.rules import elementwise, fft, linalg, reductions, scatter, shape

__all__ = ["elementwise", "fft", "linalg", "reductions", "scatter", "shape"]
