"""The automatic-differentiation engine: Tensor, primitives and their rules, transforms.

This package imports nothing from the rest of gradkit (no plotting, no symbols).
"""

from gradkit.autodiff.anomaly import detect_anomaly
from gradkit.autodiff.checkpoint import checkpoint
from gradkit.autodiff.checks import check_grads
from gradkit.autodiff.custom import custom_jvp, custom_vjp
from gradkit.autodiff.errors import (
    AnomalyError,
    GradCheckError,
    GradkitError,
    InPlaceError,
    JitError,
    LeakedTracerError,
    NoRuleError,
    TracerConversionError,
    UnsupportedArrayTypeError,
)
from gradkit.autodiff.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from gradkit.autodiff.linearize import linearize
from gradkit.autodiff.primitives import REGISTRY, Primitive, defjvp, defvjp, primitive
from gradkit.autodiff.replay import jit
from gradkit.autodiff.tensor import Tensor, stop_gradient
from gradkit.autodiff.transforms import (
    directional_derivative,
    elementwise_grad,
    grad,
    hessian,
    hvp,
    jacfwd,
    jacobian,
    jacrev,
    jvp,
    value_and_grad,
    vjp,
)

__all__ = [
    "Tensor",
    "stop_gradient",
    "grad",
    "value_and_grad",
    "vjp",
    "jvp",
    "jacfwd",
    "jacrev",
    "jacobian",
    "hessian",
    "hvp",
    "directional_derivative",
    "elementwise_grad",
    "jit",
    "primitive",
    "defvjp",
    "defjvp",
    "check_grads",
    "custom_vjp",
    "custom_jvp",
    "checkpoint",
    "linearize",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "detect_anomaly",
    "Primitive",
    "REGISTRY",
    "GradkitError",
    "NoRuleError",
    "TracerConversionError",
    "InPlaceError",
    "LeakedTracerError",
    "GradCheckError",
    "JitError",
    "UnsupportedArrayTypeError",
    "AnomalyError",
]
