"""The engine's errors: each names what went wrong and says what to do instead."""

from __future__ import annotations

__all__ = [
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


class GradkitError(Exception):
    """Base class of the errors gradkit's engine raises on purpose."""


class NoRuleError(GradkitError, TypeError):
    """A NumPy function (or a custom primitive) was used without a derivative rule."""


class TracerConversionError(GradkitError, TypeError):
    """A traced value was turned into a plain number or array, which would drop its gradient."""


class InPlaceError(GradkitError, ValueError):
    """An in-place write would corrupt the recorded computation."""


class LeakedTracerError(GradkitError, ValueError):
    """A value traced by a transform that has already returned was used again."""


class GradCheckError(GradkitError, AssertionError):
    """check_grads found a derivative that disagrees with finite differences."""


class JitError(GradkitError, TypeError):
    """gk.jit met a function it cannot record and replay faithfully."""


class UnsupportedArrayTypeError(GradkitError, TypeError):
    """An array type whose semantics gradkit does not implement (np.matrix, np.ma, ...)."""


class AnomalyError(GradkitError, FloatingPointError):
    """Under gk.detect_anomaly(), an operation or its derivative rule produced NaN or inf."""
