"""Numerical derivatives you can trust: finite differences, complex step, Richardson."""

from gradkit.numerical.errors import NumericalDerivativeError, NumericalDerivativeWarning
from gradkit.numerical.finite_differences import DerivativeInfo, derivative

__all__ = [
    "DerivativeInfo",
    "NumericalDerivativeError",
    "NumericalDerivativeWarning",
    "derivative",
]
