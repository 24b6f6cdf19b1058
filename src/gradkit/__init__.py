"""gradkit: the calculus of deep learning.

Derivatives four ways (finite differences, symbolic with named steps, forward- and
reverse-mode automatic differentiation), JAX-style transforms on plain NumPy code,
a small neural-network library, optimizers and pictures.

>>> import numpy as np
>>> import gradkit as gk
>>> float(gk.grad(lambda x: np.sin(x) * x)(0.0))
0.0

Subpackages (``numerical``, ``symbolic``, ``nn``, ``optim``, ``functions``, ``viz``)
load on first use, so ``import gradkit`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_SUBMODULES = (
    "autodiff", "numerical", "symbolic", "nn", "optim", "functions", "viz", "tree", "cli",
    "scipy",
)

__all__ = [
    "Tensor",
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
    "stop_gradient",
    "GradkitError",
    "NoRuleError",
    "TracerConversionError",
    "InPlaceError",
    "LeakedTracerError",
    "GradCheckError",
    "JitError",
    "UnsupportedArrayTypeError",
    "__version__",
    *_SUBMODULES,
]


_ENGINE = frozenset(__all__[: __all__.index("__version__")])


def __getattr__(name: str) -> Any:
    if name in _ENGINE:
        from gradkit import autodiff

        value = getattr(autodiff, name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        module = importlib.import_module(f"gradkit.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'gradkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
