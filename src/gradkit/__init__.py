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
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# the public subpackages (loaded on first use); `autodiff` (the engine, whose public
# names are re-exported here) and `cli` load the same way but are not the API
_SUBMODULES = ("numerical", "symbolic", "nn", "optim", "functions", "viz", "tree", "scipy")
_LAZY_MODULES = (*_SUBMODULES, "autodiff", "cli")

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
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "detect_anomaly",
    "GradkitError",
    "NoRuleError",
    "TracerConversionError",
    "InPlaceError",
    "LeakedTracerError",
    "GradCheckError",
    "JitError",
    "UnsupportedArrayTypeError",
    "AnomalyError",
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
    if name in _LAZY_MODULES:
        module = importlib.import_module(f"gradkit.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'gradkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # what checkers and IDEs see through `import gradkit as gk`
    from collections.abc import Callable, Sequence
    from typing import ParamSpec, TypeVar

    from gradkit import functions as functions
    from gradkit import nn as nn
    from gradkit import numerical as numerical
    from gradkit import optim as optim
    from gradkit import scipy as scipy
    from gradkit import symbolic as symbolic
    from gradkit import tree as tree
    from gradkit import viz as viz
    from gradkit.autodiff.anomaly import detect_anomaly as detect_anomaly
    from gradkit.autodiff.checks import check_grads as check_grads
    from gradkit.autodiff.errors import AnomalyError as AnomalyError
    from gradkit.autodiff.errors import GradCheckError as GradCheckError
    from gradkit.autodiff.errors import GradkitError as GradkitError
    from gradkit.autodiff.errors import InPlaceError as InPlaceError
    from gradkit.autodiff.errors import JitError as JitError
    from gradkit.autodiff.errors import LeakedTracerError as LeakedTracerError
    from gradkit.autodiff.errors import NoRuleError as NoRuleError
    from gradkit.autodiff.errors import TracerConversionError as TracerConversionError
    from gradkit.autodiff.grad_mode import enable_grad as enable_grad
    from gradkit.autodiff.grad_mode import is_grad_enabled as is_grad_enabled
    from gradkit.autodiff.grad_mode import no_grad as no_grad
    from gradkit.autodiff.grad_mode import set_grad_enabled as set_grad_enabled
    from gradkit.autodiff.primitives import defjvp as defjvp
    from gradkit.autodiff.primitives import defvjp as defvjp
    from gradkit.autodiff.primitives import primitive as primitive
    from gradkit.autodiff.tensor import Tensor as Tensor
    from gradkit.autodiff.tensor import stop_gradient as stop_gradient
    from gradkit.autodiff.transforms import directional_derivative as directional_derivative
    from gradkit.autodiff.transforms import hvp as hvp
    from gradkit.autodiff.transforms import jvp as jvp
    from gradkit.autodiff.transforms import vjp as vjp

    _P = ParamSpec("_P")
    _R = TypeVar("_R")
    _Argnums = int | Sequence[int]

    # The transforms keep the wrapped function's parameters: a checker sees gk.grad(f)
    # take f's arguments. Their results are arrays (or tuples of them) of f's inputs'
    # shapes, which the types do not say: Any.
    def grad(
        fun: Callable[_P, Any], argnums: _Argnums = 0, has_aux: bool = False
    ) -> Callable[_P, Any]: ...
    def value_and_grad(
        fun: Callable[_P, Any], argnums: _Argnums = 0, has_aux: bool = False
    ) -> Callable[_P, tuple[Any, Any]]: ...
    def elementwise_grad(fun: Callable[_P, Any], argnums: _Argnums = 0) -> Callable[_P, Any]: ...
    def jacfwd(
        fun: Callable[_P, Any], argnums: _Argnums = 0, has_aux: bool = False
    ) -> Callable[_P, Any]: ...
    def jacrev(
        fun: Callable[_P, Any], argnums: _Argnums = 0, has_aux: bool = False
    ) -> Callable[_P, Any]: ...
    def jacobian(
        fun: Callable[_P, Any], argnums: _Argnums = 0, has_aux: bool = False
    ) -> Callable[_P, Any]: ...
    def hessian(fun: Callable[_P, Any], argnums: _Argnums = 0) -> Callable[_P, Any]: ...
    # jit returns what f returns, with f's parameters
    def jit(
        fun: Callable[_P, _R], static_argnums: int | tuple[int, ...] = ()
    ) -> Callable[_P, _R]: ...
