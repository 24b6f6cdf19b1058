"""Numerical derivatives you can trust: finite differences, complex step, Richardson.

``derivative(f, x, n=1, method="central")`` is accurate to about 1e-13 relative
error in about 10 evaluations on smooth functions, and reports an honest error
estimate with ``full_output=True`` (about 5 more evaluations: the noise of ``f``, and ``f(x)``).
``partial``, ``gradient``, ``jacobian``, ``hessian`` and ``directional_derivative``
handle functions of several variables;
``step_error`` shows how the error of plain differences depends on the step.
This package does not use the autodiff engine: it is an independent check of it.
"""

from gradkit.numerical.errors import NumericalDerivativeError, NumericalDerivativeWarning
from gradkit.numerical.finite_differences import DerivativeInfo, derivative
from gradkit.numerical.multivariate import (
    directional_derivative,
    gradient,
    hessian,
    jacobian,
    partial,
)
from gradkit.numerical.step_error import TUTORIAL_STEP, StepError, step_error

__all__ = [
    "DerivativeInfo",
    "NumericalDerivativeError",
    "NumericalDerivativeWarning",
    "StepError",
    "TUTORIAL_STEP",
    "derivative",
    "directional_derivative",
    "gradient",
    "hessian",
    "jacobian",
    "partial",
    "step_error",
]
