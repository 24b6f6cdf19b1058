"""Finite-difference stencils and a careful way to evaluate the user's function.

A stencil is a list of offsets (in multiples of the step ``h``) and weights; the
plain difference for the ``n``-th derivative is ``sum(w * f(x + o * h)) / h**n``.
Its error is a power series in ``h`` (central stencils: in ``h**2`` only), which is
what Richardson extrapolation in :mod:`gradkit.numerical.richardson` removes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import comb
from typing import Any

import numpy as np

from gradkit.numerical.errors import NumericalDerivativeError

__all__ = ["METHODS", "Stencil", "stencil", "FunctionEvaluator"]

EPS = float(np.finfo(float).eps)
METHODS = ("central", "forward", "backward", "complex")

# Central stencils of second order: the error series has even powers of h only.
_CENTRAL = {
    1: ((-1, 1), (-0.5, 0.5)),
    2: ((-1, 0, 1), (1.0, -2.0, 1.0)),
    3: ((-2, -1, 1, 2), (-0.5, 1.0, -1.0, 0.5)),
    4: ((-2, -1, 0, 1, 2), (1.0, -4.0, 6.0, -4.0, 1.0)),
}


@dataclass(frozen=True)
class Stencil:
    """Offsets (multiples of h) and weights of one plain finite difference.

    ``power`` is the step power of the error series: 2 for central stencils,
    1 for one-sided ones.

    >>> s = stencil("central", 1)
    >>> s.offsets, s.weights, s.power
    ((-1, 1), (-0.5, 0.5), 2)
    """

    offsets: tuple[int, ...]
    weights: tuple[float, ...]
    order: int
    power: int

    @property
    def weight_sum(self) -> float:
        """Sum of the absolute weights: how much the stencil amplifies noise in f."""
        return float(sum(abs(w) for w in self.weights))


def stencil(method: str, n: int) -> Stencil:
    """Return the plain finite-difference stencil for the ``n``-th derivative.

    Args:
        method: ``"central"``, ``"forward"`` or ``"backward"``.
        n: derivative order, 1 to 4.

    Returns:
        A :class:`Stencil`; forward and backward differences use the points
        ``x, x + h, ..., x + n h`` (resp. ``x - k h``) with binomial weights.

    >>> stencil("forward", 2).weights
    (1.0, -2.0, 1.0)
    >>> stencil("backward", 1).offsets
    (0, -1)
    """
    check_order(n)
    if method == "central":
        offsets, weights = _CENTRAL[n]
        return Stencil(offsets, weights, n, 2)
    if method == "forward":
        offsets = tuple(range(n + 1))
        weights = tuple(float((-1) ** (n - k) * comb(n, k)) for k in offsets)
        return Stencil(offsets, weights, n, 1)
    if method == "backward":
        offsets = tuple(-k for k in range(n + 1))
        weights = tuple(float((-1) ** k * comb(n, k)) for k in range(n + 1))
        return Stencil(offsets, weights, n, 1)
    raise NumericalDerivativeError(
        f"unknown method {method!r}; choose one of {', '.join(map(repr, METHODS))}"
    )


def check_order(n: Any) -> int:
    """Return ``n`` if it is a derivative order gradkit supports (1..4), else raise."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= 4:
        raise NumericalDerivativeError(f"derivative order n must be an integer 1..4, got {n!r}")
    return int(n)


class FunctionEvaluator:
    """Call ``f`` on arrays of points, count the calls, and check what comes back.

    Every call evaluates ``f`` once on an array shaped like ``x`` (a vectorized
    ``f`` sees all elements at once), so ``n_evals`` counts calls, not elements.
    Identical point arrays are served from a cache, which lets stencils on a
    halving step sequence share points.  NumPy floating-point warnings raised
    inside ``f`` are silenced: NaN and inf results are detected and reported by
    the caller with a message about the domain of ``f`` instead.

    Args:
        f: the user's function.
        x_shape: shape of the point arrays passed to ``f``.
        what: the public function's name, for error messages.
        scalar_output: require ``f`` to return one number per call.
    """

    def __init__(
        self,
        f: Callable[..., Any],
        x_shape: tuple[int, ...],
        what: str = "derivative",
        scalar_output: bool = False,
    ) -> None:
        if not callable(f):
            raise NumericalDerivativeError(f"{what}: f must be callable, got {type(f).__name__}")
        self.f = f
        self.x_shape = x_shape
        self.what = what
        self.scalar_output = scalar_output
        self.n_evals = 0
        self.out_shape: tuple[int, ...] | None = None
        self.last_exception: Exception | None = None
        self._cache: dict[bytes, np.ndarray] = {}

    def __call__(self, points: np.ndarray) -> np.ndarray:
        key = points.tobytes()
        if key in self._cache:
            return self._cache[key]
        arg = points[()] if points.ndim == 0 else points
        try:
            with np.errstate(all="ignore"):
                raw = self.f(arg)
        except (ArithmeticError, ValueError) as exc:
            # (an elementwise f over an array of points cannot say which point it was;
            # one whole point of a scalar f, as the Hessian's corners are, can)
            vectorized = points.ndim and not self.scalar_output
            if vectorized or isinstance(exc, NumericalDerivativeError):
                raise
            # math.log(-1e-3) raises where np.log returns nan: treat it the same way
            self.n_evals += 1
            self.last_exception = exc
            return np.full(self.out_shape or (), np.nan)
        self.n_evals += 1
        values = self._check(raw)
        self._cache[key] = values
        return values

    def _check(self, raw: Any) -> np.ndarray:
        try:
            values = np.asarray(raw)
        except Exception as exc:  # noqa: BLE001 - any conversion failure is the user's f
            raise NumericalDerivativeError(
                f"{self.what}: f returned {type(raw).__name__}, which is not a number or array"
            ) from exc
        if values.dtype.kind not in "biufc":
            raise NumericalDerivativeError(
                f"{self.what}: f must return numbers, got an array of dtype {values.dtype}"
            )
        if values.dtype.kind != "c":
            values = values.astype(float)
        if self.scalar_output and values.size != 1:
            raise NumericalDerivativeError(
                f"{self.what}: f must return a scalar, got shape {values.shape}; "
                "use jacobian() for a vector-valued f"
            )
        if self.scalar_output:
            values = values.reshape(())
        elif self.x_shape and values.shape != self.x_shape:
            raise NumericalDerivativeError(
                f"{self.what}: x has shape {self.x_shape} but f(x) has shape {values.shape}; "
                "for an array x, f must act elementwise (one output per element of x)"
            )
        if self.out_shape is None:
            self.out_shape = values.shape
        elif values.shape != self.out_shape:
            raise NumericalDerivativeError(
                f"{self.what}: f returned shape {values.shape} after returning "
                f"{self.out_shape}; f must return the same shape at every point"
            )
        return values
