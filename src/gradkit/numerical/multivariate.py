"""Partial derivatives, gradients, Jacobians, Hessians and directional derivatives.

Every partial derivative is a one-variable problem solved by the same adaptive,
extrapolated differences as :func:`~gradkit.numerical.derivative`, with a step
scaled to that coordinate's own magnitude: a vector holding 1e4 and 1e-3 gets an
accurate partial in both.  Mixed second derivatives use the four-point formula
``(f(++) - f(+-) - f(-+) + f(--)) / (4 h_i h_j)``, also extrapolated.

Two calling styles, both accepted everywhere here:

* ``f(x)`` with ``x`` a vector (as in ``scipy.optimize``): pass ``x`` as an array;
* ``f(x, y, ...)`` with one scalar per argument (the tutorial's style): pass the
  point as a tuple, ``gradient(f, (1.0, 2.0))``.  The style is read from ``f``'s
  signature (two or more required positional parameters means one scalar each);
  ``unpack=True`` or ``False`` overrides it.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from gradkit.numerical.errors import NumericalDerivativeError, NumericalDerivativeWarning
from gradkit.numerical.finite_differences import (
    _NOISE_SIGMAS,
    DerivativeInfo,
    _as_point,
    _value_noise,
    check_quality,
    estimate_derivative,
)
from gradkit.numerical.noise import noise_from_values, probe
from gradkit.numerical.richardson import AdaptiveResult, adaptive_difference, confirm_at_scale
from gradkit.numerical.stencils import METHODS, FunctionEvaluator

__all__ = ["partial", "gradient", "jacobian", "hessian", "directional_derivative"]

_MIXED_FIRST_STEP = 2.0**-2
# a mixed entry whose first search ended above this relative error (the warning level
# of second derivatives) searches again without the jump to a small coordinate's scale
_MIXED_RETRY = 1e-4
# widths of the probe of the noise at x, relative to max(|x|, 1) (times 2**-26 / 4), and
# how far below the scatter about a line the scatter about a parabola may fall before
# the line is taken to curve (pure noise falls that far in 0.5% of probes)
_PROBE_WIDTHS = (1.0, 2.0**-10, 2.0**-20)
_STRAIGHT = 1.0 / 8


def _required_positional(f: Callable[..., Any]) -> int | None:
    try:
        params = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        nin = getattr(f, "nin", None)  # NumPy ufuncs have no signature but know their arity
        return int(nin) if nin is not None else None
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params):
        return None  # f(*args): the arity is not known
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(1 for p in params if p.kind in kinds and p.default is inspect.Parameter.empty)


class _Problem:
    """The point as a flat float vector, and a way to call f at any flat vector."""

    def __init__(self, f: Callable[..., Any], x: Any, unpack: bool | None, what: str) -> None:
        if not callable(f):
            raise NumericalDerivativeError(f"{what}: f must be callable, got {type(f).__name__}")
        if isinstance(x, str):
            raise NumericalDerivativeError(f"{what}: x must be numbers, got the string {x!r}")
        x_arr = _as_point(x, what)
        if unpack is None:
            arity = _required_positional(f)
            unpack = arity is not None and arity >= 2
        if unpack:
            if x_arr.ndim != 1:
                raise NumericalDerivativeError(
                    f"{what}: with unpack (f(x, y, ...) style) x must be a flat sequence of "
                    f"scalars, one per argument; got shape {x_arr.shape}"
                )
            arity = _required_positional(f)
            if arity is not None and arity != x_arr.size:
                raise NumericalDerivativeError(
                    f"{what}: f takes {arity} arguments but x has {x_arr.size} values"
                )
        elif x_arr.ndim == 0:
            x_arr = x_arr.reshape(1)
        self.f = f
        self.unpack = bool(unpack)
        self.shape = x_arr.shape
        self.x0 = x_arr.ravel().copy()
        self.what = what

    @property
    def size(self) -> int:
        return self.x0.size

    def call(self, flat: np.ndarray) -> Any:
        if self.unpack:
            return self.f(*flat)
        return self.f(flat.reshape(self.shape).copy())

    def index(self, i: Any) -> int:
        if isinstance(i, (bool, np.bool_)):  # True would be index 1
            raise NumericalDerivativeError(f"{self.what}: index i={i!r} is a bool, not an index")
        try:
            flat = int(np.ravel_multi_index(i if isinstance(i, tuple) else (i,), self.shape))
        except (TypeError, ValueError) as exc:
            raise NumericalDerivativeError(
                f"{self.what}: index i={i!r} is not valid for x of shape {self.shape}"
            ) from exc
        return flat

    def name(self, i: int) -> str:
        if len(self.shape) == 1:
            return f"x[{i}]"
        return f"x[{', '.join(map(str, np.unravel_index(i, self.shape)))}]"

    def coordinate(self, i: int, scalar_output: bool) -> FunctionEvaluator:
        """An evaluator of t -> f(x with coordinate i set to t)."""
        x0 = self.x0

        def along(t: Any) -> Any:
            point = x0.astype(np.result_type(x0, np.asarray(t)))
            point[i] = t
            return self.call(point)

        return FunctionEvaluator(along, (), self.what, scalar_output)


def _check_method(method: str, allowed: tuple[str, ...] = METHODS) -> None:
    if method not in allowed:
        raise NumericalDerivativeError(
            f"unknown method {method!r}; choose one of {', '.join(map(repr, allowed))}"
        )


def _partial(
    problem: _Problem,
    i: int,
    n: int,
    method: str,
    scalar_output: bool,
    warn: bool = True,
    measure: bool = False,
    least: float = 0.0,
) -> tuple[np.ndarray, DerivativeInfo]:
    """One partial derivative; ``measure``: measure the noise of f for an error estimate
    that holds where f comes out of cancellation (5 more evaluations or so); ``least``: a
    noise level of f measured elsewhere, below which the noise is not taken."""
    evaluate = problem.coordinate(i, scalar_output)
    value, info = estimate_derivative(
        evaluate,
        np.asarray(problem.x0[i]),
        n,
        method,
        name=problem.name(i),
        warn=warn,
        estimate_error=measure,
        least=least,
    )
    if method == "complex" and np.any(np.asarray(value) == 0):
        _check_complex_zero(problem, i, n, np.asarray(value), scalar_output)
    return np.asarray(value), info


def _check_complex_zero(
    problem: _Problem, i: int, n: int, value: np.ndarray, scalar_output: bool
) -> None:
    """Raise if the complex step's exact 0 is f dropping the imaginary part.

    The whole point is complex while one coordinate is perturbed, so an ``np.abs`` or
    ``np.real`` of that coordinate returns a complex result with no imaginary part: a
    silent 0 (one-variable ``derivative`` sees a real result and refuses). Central
    differences, for the entries that came out exactly 0, tell a true 0 from that.
    """
    try:
        check, info = estimate_derivative(
            problem.coordinate(i, scalar_output),
            np.asarray(problem.x0[i]),
            n,
            "central",
            name=problem.name(i),
            warn=False,
        )
    except NumericalDerivativeError:
        return  # central differences cannot judge (a kink at x): leave the 0
    dropped = (value == 0) & (np.abs(check) > 10 * np.asarray(info.error))
    if np.any(dropped):
        raise NumericalDerivativeError(
            f"method='complex': the complex step gives 0 for {problem.name(i)} where central "
            f"differences give {np.max(np.abs(check[dropped])):.6g}: f drops the imaginary "
            "part there (np.abs, np.real, float(), ...); use method='central'"
        )


def _combine(
    infos: list[DerivativeInfo], shape: tuple[int, ...], method: str, n: int
) -> DerivativeInfo:
    """One info for a whole gradient or Jacobian: errors shaped like the result."""
    error = np.array([np.asarray(inf.error) for inf in infos])  # (n_inputs, *out_shape)
    error = np.moveaxis(error, 0, -1).reshape(error.shape[1:] + shape)
    step = np.array([np.max(inf.step) for inf in infos]).reshape(shape)
    converged = np.array([np.all(inf.converged) for inf in infos]).reshape(shape)
    n_evals = sum(inf.n_evals for inf in infos)
    return DerivativeInfo(error, step, n_evals, method, n, converged=converged)


def _with_relative(info: DerivativeInfo, value: Any) -> DerivativeInfo:
    """Set ``info.relative_error`` (the error over the value's size) for a whole result."""
    info._set_relative(value)
    return info


def partial(
    f: Callable[..., Any],
    x: Any,
    i: Any,
    method: str = "central",
    full_output: bool = False,
    unpack: bool | None = None,
) -> Any:
    """Return the partial derivative of a scalar ``f`` with respect to ``x[i]``.

    Args:
        f: ``f(x) -> float`` with ``x`` an array, or ``f(x, y, ...) -> float``
            (see the module docstring for how the style is chosen).
        x: the point.
        i: which coordinate (an int, or a tuple for an ``x`` with several axes).
        method: ``"central"``, ``"forward"``, ``"backward"`` or ``"complex"``.
        full_output: also return a :class:`DerivativeInfo`.
        unpack: force the ``f(x, y, ...)`` style (True) or the vector style (False).

    Returns:
        The partial derivative as a float (and the info with ``full_output``).

    >>> f = lambda x, y: x**2 + y**2            # the tutorial's f(x, y)
    >>> round(partial(f, (1.0, 2.0), 1), 12)    # df/dy = 2y
    4.0
    >>> import numpy as np
    >>> round(partial(lambda v: np.sum(v**3), np.array([1.0, 2.0]), 0), 12)
    3.0
    """
    _check_method(method)
    problem = _Problem(f, x, unpack, "partial")
    value, info = _partial(problem, problem.index(i), 1, method, True, measure=full_output)
    info.error = float(np.asarray(info.error))
    return (float(value), info) if full_output else float(value)


def gradient(
    f: Callable[..., Any],
    x: Any,
    method: str = "central",
    full_output: bool = False,
    unpack: bool | None = None,
    *,
    _measure: bool | None = None,
) -> Any:
    """Return the gradient of a scalar ``f`` at ``x``: one partial per coordinate.

    Each partial uses a step scaled to its own coordinate, so coordinates of very
    different magnitudes are all accurate.  Costs about 10 evaluations of ``f``
    per coordinate (15 with ``full_output``, which measures the noise of ``f``).

    Args:
        f: ``f(x) -> float`` or ``f(x, y, ...) -> float``.
        x: the point (an array of any shape, or a tuple of scalars).
        method: ``"central"``, ``"forward"``, ``"backward"`` or ``"complex"``.
        full_output: also return a :class:`DerivativeInfo` (``error`` per coordinate).
        unpack: force the ``f(x, y, ...)`` style (True) or the vector style (False).

    Returns:
        An array shaped like ``x`` (a flat array for the ``f(x, y, ...)`` style).

    Raises:
        NumericalDerivativeError: ``f`` does not return a scalar, returns NaN/inf, ...

    >>> import numpy as np
    >>> gradient(lambda x, y: x**2 + y**2, (1.0, 1.0))     # the tutorial's example
    array([2., 2.])
    >>> g = gradient(lambda v: np.sqrt(v[0]) + np.log(v[1]), np.array([1e4, 1e-3]))
    >>> bool(np.allclose(g, [0.005, 1000.0], rtol=1e-12, atol=0))   # both scales accurate
    True
    """
    _check_method(method)
    problem = _Problem(f, x, unpack, "gradient")
    measure = full_output if _measure is None else _measure  # the noise, for the error
    results = [_partial(problem, i, 1, method, True, measure=measure) for i in range(problem.size)]
    value = np.array([float(v) for v, _ in results]).reshape(problem.shape)
    info = _combine([inf for _, inf in results], problem.shape, method, 1)
    return (value, _with_relative(info, value)) if full_output else value


def jacobian(
    f: Callable[..., Any],
    x: Any,
    method: str = "central",
    full_output: bool = False,
    unpack: bool | None = None,
) -> Any:
    """Return the Jacobian of ``f`` at ``x``, shaped ``f(x).shape + x.shape``.

    Column ``j`` holds the derivatives of every output with respect to ``x[j]``
    (output axes first, as in ``jax.jacobian``).  A scalar ``f`` gives the gradient.

    Args:
        f: ``f(x) -> array`` or ``f(x, y, ...) -> array``.
        x: the point.
        method: ``"central"``, ``"forward"``, ``"backward"`` or ``"complex"``.
        full_output: also return a :class:`DerivativeInfo` (``error`` per entry).
        unpack: force the ``f(x, y, ...)`` style (True) or the vector style (False).

    Returns:
        The Jacobian array.

    >>> import numpy as np
    >>> polar = lambda v: np.array([v[0] * np.cos(v[1]), v[0] * np.sin(v[1])])
    >>> J = jacobian(polar, np.array([2.0, 0.0]))
    >>> bool(np.allclose(J, [[1.0, 0.0], [0.0, 2.0]], atol=1e-13))
    True
    """
    _check_method(method)
    problem = _Problem(f, x, unpack, "jacobian")
    results = [
        _partial(problem, i, 1, method, False, measure=full_output) for i in range(problem.size)
    ]
    columns = np.array([v for v, _ in results])  # (n_inputs, *out_shape)
    out_shape = columns.shape[1:]
    value = np.moveaxis(columns, 0, -1).reshape(out_shape + problem.shape)
    info = _combine([inf for _, inf in results], problem.shape, method, 1)
    return (value, _with_relative(info, value)) if full_output else value


def hessian(
    f: Callable[..., Any],
    x: Any,
    full_output: bool = False,
    unpack: bool | None = None,
) -> Any:
    """Return the Hessian of a scalar ``f`` at ``x``, shaped ``x.shape + x.shape``.

    Diagonal entries are second derivatives along each coordinate; off-diagonal
    entries use the four-point mixed difference, with both steps scaled to their
    coordinates and extrapolated together.  The result is symmetric.  Typical
    accuracy is 1e-10 relative, at 7 to 11 evaluations per diagonal entry (11 to 15
    with ``full_output``), 12 to 20 per pair of coordinates, and 5 per Hessian (up
    to 15 where ``f`` curves sharply at ``x``): 31 for the example below (39 with
    ``full_output``), 160 for a 5-d Rosenbrock function (180).

    Those 5 measure the noise of ``f`` at ``x``, with or without ``full_output``, and
    no entry takes the noise of ``f`` below it. Where ``f`` comes out of cancellation
    (``cosh(x y) - 1`` near 0), its noise is ulps of the terms that cancelled, far
    above the few ulps of ``|f|`` assumed otherwise, under which the step search
    shrank the steps until the four values of a mixed difference were equal: the
    entry came back 0 with an error estimate of 2.5e-13. Where the values of ``f``
    do not change over the probe (``f`` flat or coarsely quantized at ``x``), the
    noise is still taken as a few ulps of ``|f|``.

    Args:
        f: ``f(x) -> float`` or ``f(x, y, ...) -> float``.
        x: the point.
        full_output: also return a :class:`DerivativeInfo` (``error`` per entry).
        unpack: force the ``f(x, y, ...)`` style (True) or the vector style (False).

    Returns:
        The Hessian array.

    >>> import numpy as np
    >>> H = hessian(lambda x, y: x**2 * y + y**3, (1.0, 2.0))   # [[2y, 2x], [2x, 6y]]
    >>> bool(np.allclose(H, [[4.0, 2.0], [2.0, 12.0]], rtol=1e-10))
    True
    """
    problem = _Problem(f, x, unpack, "hessian")
    size = problem.size
    value = np.zeros((size, size))
    error = np.zeros((size, size))
    converged = np.ones((size, size), dtype=bool)
    n_evals = 0
    # the noise of f, measured once at x with or without full_output: no entry takes it
    # lower (full_output also measures it along each coordinate for the diagonal)
    at_x0 = FunctionEvaluator(problem.call, (), "hessian", scalar_output=True)
    noise = _noise_at(problem, at_x0) if size else 0.0
    for i in range(size):
        v, inf = _partial(
            problem, i, 2, "central", True, warn=False, measure=full_output, least=noise
        )
        value[i, i], error[i, i], converged[i, i] = v, inf.error, np.all(inf.converged)
        n_evals += inf.n_evals
    for i in range(size):
        for j in range(i + 1, size):
            mixed, err, conv, evals = _mixed(problem, i, j, noise)
            value[i, j] = value[j, i] = mixed
            error[i, j] = error[j, i] = err
            converged[i, j] = converged[j, i] = conv
            n_evals += evals
    # entries are judged against the Hessian's scale, or f's own when H is ~0
    f0 = abs(float(at_x0(problem.x0.copy())))  # cached where the noise was measured
    n_evals += at_x0.n_evals
    floor = f0 / max(float(np.max(np.abs(problem.x0), initial=0.0)), 1.0) ** 2
    poor = error > 1e-4 * max(float(np.max(np.abs(value), initial=0.0)), floor)
    if np.any(poor):
        i, j = np.argwhere(poor)[0]
        warnings.warn(
            f"hessian entry ({problem.name(i)}, {problem.name(j)}) has estimated error "
            f"{error[i, j]:.2g}, large next to the largest entry {np.max(np.abs(value)):.2g} "
            f"and to |f(x)| / |x|**2 = {floor:.2g}: "
            "f is noisy or not smooth near x (see full_output=True)",
            NumericalDerivativeWarning,
            stacklevel=2,
        )
    shape = problem.shape + problem.shape
    info = DerivativeInfo(
        error.reshape(shape), None, n_evals, "central", 2, converged=converged.reshape(shape)
    )
    result = value.reshape(shape)
    return (result, _with_relative(info, result)) if full_output else result


def _noise_at(problem: _Problem, evaluate: FunctionEvaluator) -> float:
    """A bound on the noise of each value of f near x0, measured once for the Hessian.

    Where f comes out of cancellation (``cosh(x y) - 1`` near 0) its noise is ulps of
    the terms that cancelled, far above ulps of ``|f|``. Five values of f on a line
    through x0 that moves every coordinate on its own scale, ``max(|x|, 1)``, show it
    (:func:`~gradkit.numerical.noise.probe`: 4 evaluations besides ``f(x0)``, 9 where
    the values repeat), fitted by a line and by a parabola. The probe must be wide
    enough for the terms that cancel to move by many ulps, and narrow enough for f to be
    a straight line over it: where the scatter about a parabola is far below the
    scatter about the line, f curves over the probe (``sqrt(x)`` at 1e-5, or near a
    stationary point), and a probe ``2**-10`` as wide is tried, twice at most (5
    evaluations each). Where the values do not change, or f
    curves at every width, 0: the noise is then taken as a few ulps of ``|f|``.
    """
    x0 = problem.x0
    unit = np.maximum(np.abs(x0), 1.0)
    for width in _PROBE_WIDTHS:
        direction = unit * width

        def along(t: np.ndarray, direction: np.ndarray = direction) -> np.ndarray:
            return evaluate(x0 + t * direction)

        t, values = probe(along, np.array(0.0), np.array(_MIXED_FIRST_STEP))
        line = float(noise_from_values(t, values))
        if line == 0:
            return 0.0  # f does not change over the probe: narrower ones would see less
        bent = float(noise_from_values(t, values, degree=2))  # the same points
        if bent >= _STRAIGHT * line:
            return _NOISE_SIGMAS * line
    return 0.0


def _mixed(problem: _Problem, i: int, j: int, floor: float = 0.0) -> tuple[float, float, bool, int]:
    """d2f / dx_i dx_j by the extrapolated four-point formula.

    ``floor`` bounds the noise of each value of f (:func:`_noise_at`); each value's
    rounding noise is the larger of that and a few ulps of it, as in the
    one-variable differences.
    """
    evaluate = FunctionEvaluator(problem.call, (), "hessian", scalar_output=True)
    x0 = problem.x0
    scale = np.maximum(np.abs(x0[[i, j]]), 1.0)
    small = np.abs(x0[[i, j]])
    ratio = np.where((small > 0) & (small < 0.25), small / scale, 1.0)
    fallback = _MIXED_FIRST_STEP * ratio.min() if ratio.min() < 0.25 else np.inf

    def level(s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        h = float(s) * scale
        values = []
        for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
            point = x0.copy()
            point[i] += si * h[0]
            point[j] += sj * h[1]
            values.append(evaluate(point))
        # the widths actually realized in floating point, so x + h need not be exact
        wi = (x0[i] + h[0]) - (x0[i] - h[0])
        wj = (x0[j] + h[1]) - (x0[j] - h[1])
        with np.errstate(all="ignore"):
            value = (values[0] - values[1] - values[2] + values[3]) / (wi * wj)
            magnitude = sum(np.abs(v) for v in values) / (wi * wj)
            noise = sum(_value_noise(v, floor) for v in values) / (wi * wj)
        return value, noise, magnitude

    result = adaptive_difference(level, np.array(_MIXED_FIRST_STEP), np.array(fallback), 2, order=2)
    if np.isfinite(fallback) and not (
        bool(result.converged) and result.error <= _MIXED_RETRY * abs(result.estimate)
    ):
        result = _better(
            result,
            adaptive_difference(level, np.array(_MIXED_FIRST_STEP), np.array(np.inf), 2, order=2),
        )
    # steps scaled to 1 for a coordinate much smaller than 1 can saturate f at all four
    # corners (tanh(x y) at (1000, 0.002)), whose differences are then exactly 0 at every
    # level: confirm at the small coordinate's scale when the search never went there
    result = confirm_at_scale(
        level, result, np.array(fallback), np.isfinite(fallback) & (result.step > fallback), 2
    )
    if not np.all(result.any_valid):
        raise NumericalDerivativeError(
            f"hessian: f returned nan or inf at every step tried around x for the pair "
            f"({problem.name(i)}, {problem.name(j)}): x is outside or at the edge of f's domain"
        )
    info = DerivativeInfo(
        result.error,
        result.step * scale.min(),
        evaluate.n_evals,
        "central",
        2,
        result.truncation,
        result.rounding,
        result.converged,
        [lv.step * scale.min() for lv in result.levels],
    )
    check_quality(result.estimate, info, np.asarray(x0[i]), problem.name(i), warn=False)
    return float(result.estimate), float(result.error), bool(result.converged), evaluate.n_evals


def _better(first: AdaptiveResult, again: AdaptiveResult) -> AdaptiveResult:
    """The better of two searches for one mixed entry (converged, then the smaller error),
    with the steps of both.

    The first search jumps to a small coordinate's scale once the steps scaled to 1
    disagree: right where f varies on that scale (``log(x) y`` at x = 1e-3), too small
    where the entry is small next to f and f comes out of cancellation
    (``exp(x y) - 1 - x y`` at (1e-3, 1e-3): an error estimate of 4e-8 for an entry of
    2e-6, where steps shrinking by 8 from 1/4 give 5e-10). Both searches carry the
    measured noise of f.
    """
    take = bool(again.converged) > bool(first.converged) or (
        bool(again.converged) == bool(first.converged) and again.error < first.error
    )
    chosen = again if take else first
    return replace(
        chosen, any_valid=first.any_valid | again.any_valid, levels=first.levels + again.levels
    )


def directional_derivative(
    f: Callable[..., Any],
    x: Any,
    u: Any,
    method: str = "central",
    full_output: bool = False,
    unpack: bool | None = None,
) -> Any:
    """Return the derivative of a scalar ``f`` at ``x`` in the direction of ``u``.

    ``u`` is normalized first, as in the tutorial: the result is
    ``gradient(f, x) . u / |u|``, the rate of change per unit distance along
    ``u``.  It is computed from the gradient, so each coordinate keeps a step
    scaled to its own magnitude (about 10 evaluations per coordinate, 15 with
    ``full_output``).

    Args:
        f: ``f(x) -> float`` or ``f(x, y, ...) -> float``.
        x: the point.
        u: the direction, shaped like ``x``; any nonzero length.
        method: ``"central"``, ``"forward"``, ``"backward"`` or ``"complex"``.
        full_output: also return a :class:`DerivativeInfo`.
        unpack: force the ``f(x, y, ...)`` style (True) or the vector style (False).

    Returns:
        A float.

    >>> f = lambda x, y: x**2 + y**2
    >>> round(directional_derivative(f, (1.0, 1.0), (1.0, 1.0)), 12)   # 4 / sqrt(2)
    2.828427124746
    """
    _check_method(method)
    problem = _Problem(f, x, unpack, "directional_derivative")
    try:
        direction = np.asarray(u, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise NumericalDerivativeError(
            f"directional_derivative: u must be an array of numbers, got {u!r}"
        ) from exc
    if direction.size != problem.size:
        raise NumericalDerivativeError(
            f"directional_derivative: u has {direction.size} components but x has "
            f"{problem.size}; give one component per coordinate"
        )
    norm = float(np.linalg.norm(direction))
    if not np.isfinite(norm) or norm == 0.0:
        raise NumericalDerivativeError(
            f"directional_derivative: u must be a nonzero, finite direction; got |u| = {norm}"
        )
    unit = direction / norm
    grad, info = gradient(
        f,
        problem.x0.reshape(problem.shape) if not problem.unpack else tuple(problem.x0),
        method,
        True,
        problem.unpack,
        _measure=full_output,
    )
    value = float(np.dot(grad.ravel(), unit))
    info.error = float(np.dot(np.asarray(info.error).ravel(), np.abs(unit)))
    return (value, _with_relative(info, value)) if full_output else value
