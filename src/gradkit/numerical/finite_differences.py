"""``derivative``: the n-th derivative of a function of one variable, with its error.

Four methods: ``central`` (default), ``forward`` and ``backward`` differences with
Richardson extrapolation on an adaptive step sequence, and the ``complex`` step
``Im f(x + i h) / h``, exact to machine precision in a single evaluation when ``f``
is analytic and written with operations that accept complex numbers.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from gradkit.numerical.errors import NumericalDerivativeError, NumericalDerivativeWarning
from gradkit.numerical.noise import measure_noise
from gradkit.numerical.richardson import (
    AdaptiveResult,
    adaptive_difference,
    confirm_at_scale,
)
from gradkit.numerical.stencils import (
    EPS,
    METHODS,
    FunctionEvaluator,
    Stencil,
    check_order,
    stencil,
)

__all__ = ["DerivativeInfo", "derivative", "estimate_derivative"]

# First step as a fraction of max(|x|, 1), per derivative order: higher orders
# divide the rounding noise by h**n, so they need larger steps.
_FIRST_STEP = {1: 2.0**-3, 2: 2.0**-2, 3: 2.0**-1, 4: 2.0**-1}
# f is assumed correct to a few units in the last place ...
_NOISE_ULPS = 4.0
# ... or to this many times the noise measured near the points used, if that is larger
# (the measurement is a standard deviation from 3 degrees of freedom)
_NOISE_SIGMAS = 8.0
_TINY = float(np.finfo(float).smallest_subnormal)  # the spacing of the subnormal numbers
_COMPLEX_STEP = 1e-20
# Warn above these relative errors: higher derivatives are intrinsically less accurate.
_WARN_RELATIVE = {1: 1e-6, 2: 1e-4, 3: 1e-3, 4: 1e-2}


@dataclass
class DerivativeInfo:
    """How a numerical derivative was obtained, and how far it can be trusted.

    Attributes:
        error: estimated absolute error (same shape as the estimate).  It bounds
            the true error in all but a few percent of cases on smooth functions.
        step: the smallest step used by the chosen estimate.
        n_evals: calls of ``f`` (a vectorized ``f`` counts once per call).
        method: the method used.
        n: the derivative order.
        truncation: the part of ``error`` from the finite-difference formula.
        rounding: the part of ``error`` from floating-point noise in ``f``.
        converged: whether the step search reached the asymptotic regime.
        steps: every step tried, in order (one array per level for an array ``x``).

    >>> import numpy as np
    >>> d, info = derivative(np.exp, 1.0, full_output=True)
    >>> info.error < 1e-12, info.n_evals <= 14  # 4 of them measure the noise of f
    (True, True)
    """

    error: Any
    step: Any
    n_evals: int
    method: str
    n: int
    truncation: Any = None
    rounding: Any = None
    converged: Any = True
    steps: list[Any] = field(default_factory=list)

    @property
    def relative_error(self) -> Any:
        """``error`` divided by ``|estimate|`` (inf where the estimate is 0)."""
        return self._relative

    _relative: Any = field(default=None, repr=False)

    def _set_relative(self, estimate: Any) -> np.ndarray:
        """Set :attr:`relative_error` from ``estimate``; return it as an array."""
        with np.errstate(all="ignore"):
            rel = np.asarray(self.error) / np.abs(np.asarray(estimate))
        self._relative = rel[()] if rel.ndim == 0 else rel
        return rel


def _as_point(x: Any, what: str) -> np.ndarray:
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise NumericalDerivativeError(
            f"{what}: x must be a real number or an array of real numbers, got {x!r}"
        ) from exc
    if np.iscomplexobj(x):
        raise NumericalDerivativeError(f"{what}: x must be real; the complex step adds i*h itself")
    if not np.all(np.isfinite(arr)):
        raise NumericalDerivativeError(f"{what}: x must be finite, got {x!r}")
    return arr


def _pow2(a: np.ndarray) -> np.ndarray:
    """Round positive steps to powers of two, so that x +- k*h are exact in most cases."""
    with np.errstate(divide="ignore"):
        return np.where(np.isfinite(a) & (a > 0), 2.0 ** np.round(np.log2(a)), a)


def _first_steps(x: np.ndarray, n: int, method: str) -> tuple[np.ndarray, np.ndarray]:
    """The first step (scale max(|x|, 1)) and the fallback (scale |x| when |x| is small)."""
    frac = _FIRST_STEP[n] * (0.5 if method != "central" else 1.0)
    ax = np.abs(x)
    s0 = _pow2(frac * np.maximum(ax, 1.0))
    # below 1e-200 a step scaled to |x| would overflow |f| / h: keep the unit scale
    fallback = np.where((ax > 1e-200) & (ax < 0.25), _pow2(frac * ax), np.inf)
    return s0, fallback


def _plain_difference(
    evaluate: FunctionEvaluator,
    x: np.ndarray,
    sten: Stencil,
    h: np.ndarray,
    exact: bool,
    floor: Any = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The plain difference at step h, its rounding-noise bound and its magnitude.

    With ``exact`` and ``n == 1`` the denominator is the distance between the two
    points actually used, so the representation error of ``x + h`` cancels. The noise
    of each value of ``f`` is taken as the larger of a few ulps of it and ``floor``
    (the measured noise, see :func:`_noise_floor`).
    """
    points = [x + o * h for o in sten.offsets]
    values = [evaluate(p) for p in points]
    with np.errstate(all="ignore"):
        noise = [_value_noise(v, floor) for v in values]
        if exact and sten.order == 1:
            (xa, xb), (fa, fb) = points, values
            i, j = (0, 1) if sten.offsets[0] < sten.offsets[1] else (1, 0)
            width = [xa, xb][j] - [xa, xb][i]
            value = ([fa, fb][j] - [fa, fb][i]) / width
            magnitude = (np.abs(fa) + np.abs(fb)) / width
            bound = (noise[0] + noise[1]) / width
        else:
            hn = h**sten.order
            value = sum(w * v for w, v in zip(sten.weights, values)) / hn
            magnitude = sum(abs(w) * np.abs(v) for w, v in zip(sten.weights, values)) / hn
            bound = sum(abs(w) * e for w, e in zip(sten.weights, noise)) / hn
    return value, bound, magnitude


def _value_noise(value: Any, floor: Any = 0.0) -> np.ndarray:
    """A bound on the rounding noise of one computed value of ``f``.

    The larger of ``_NOISE_ULPS`` ulps of ``|value|`` (a value computed well) and
    ``floor``, the noise measured near the points (:func:`_noise_floor`), which is
    larger where ``f`` comes out of cancellation. Any stencil's rounding bound is the
    sum of these, each times the absolute value of its weight.

    >>> float(_value_noise(1.0)) == 4 * EPS, float(_value_noise(1e-12, floor=1e-15))
    (True, 1e-15)
    """
    with np.errstate(all="ignore"):
        return np.maximum(_NOISE_ULPS * np.maximum(EPS * np.abs(value), _TINY), floor)


def _noise_floor(
    evaluate: FunctionEvaluator, x: np.ndarray, sten: Stencil, h: np.ndarray
) -> np.ndarray:
    """A bound on the noise of each value of ``f``, measured at the outer point of step h.

    ``_NOISE_ULPS`` ulps of ``|f|`` is too small where ``f`` comes out of cancellation
    (``cosh(t) - 1``): its noise is ulps of the terms that cancelled. Five values of
    ``f`` very close to a point of the stencil (one of them that point) show it.
    """
    h = np.where(np.isfinite(h) & (h > 0), h, 0.0)
    reach = max(sten.offsets, key=abs)
    center = x + reach * h
    values = [evaluate(x + o * h) for o in sten.offsets]  # cached: the differences' own
    varies = np.any([v != values[0] for v in values[1:]], axis=0)
    sigma = measure_noise(evaluate, center, h, varies)
    return _NOISE_SIGMAS * sigma


def _complex_step(
    evaluate: FunctionEvaluator, x: np.ndarray, h: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    try:
        with np.errstate(all="ignore"):
            raw = evaluate.f(x + 1j * h if x.ndim else complex(x, float(h)))
    except TypeError as exc:
        raise NumericalDerivativeError(
            f"method='complex': f does not accept complex input ({exc}); "
            "use method='central'"
        ) from exc
    evaluate.n_evals += 1
    values = np.asarray(raw)
    if not np.iscomplexobj(values):
        raise NumericalDerivativeError(
            "method='complex': f returned real values for a complex input, so it drops the "
            "imaginary part (np.real, float(), abs(), ...); use method='central'"
        )
    values = evaluate._check(values)
    value = values.imag / h
    # the imaginary part carries h * f'(x) with the relative accuracy of f itself;
    # the truncation error h**2 f'''(x) / 6 is far below that for h = 1e-20 |x|
    # (near a zero of f' the chain rule's terms cancel: use f's own scale as a floor)
    floor = np.abs(values.real) / np.maximum(np.abs(x), 1.0)
    error = _NOISE_ULPS * 2 * EPS * np.maximum(np.abs(value), floor)
    return value, error


def derivative(
    f: Callable[[Any], Any],
    x: Any,
    n: int = 1,
    method: str = "central",
    step: Any = None,
    full_output: bool = False,
) -> Any:
    """Return the ``n``-th derivative of ``f`` at ``x``, computed numerically.

    By default the step is chosen adaptively and the central differences are
    Richardson-extrapolated: on smooth functions the result is correct to about
    1e-13 relative error or better, at a cost of about 10 evaluations of ``f``
    for ``n = 1`` (never more than 16; one-sided differences near 0 may take up to 30).
    With ``full_output=True``, 4 more measure the noise of ``f`` and the step is chosen
    with it, so the error estimate holds where ``f`` comes out of cancellation
    (``cosh(x) - 1`` near 0), whose noise is far above a few ulps of ``|f|``; there the
    value can differ from (and be more accurate than) the value alone.

    Args:
        f: a function of one real variable.  For an array ``x`` it must be
            vectorized and act elementwise (``f(x)[i]`` depends on ``x[i]`` only);
            for a scalar ``x`` it may return an array (each component is
            differentiated).
        x: the point, a real number or an array of points.
        n: the order of the derivative, 1 to 4.
        method: ``"central"`` (default; most accurate), ``"forward"`` or
            ``"backward"`` (use only points on one side of ``x``: at the edge of a
            domain), or ``"complex"`` (the complex step, ``n = 1`` only: one
            evaluation, machine precision, needs an ``f`` that is analytic and
            accepts complex input; beware of ``abs``, which silently breaks it).
        step: ``None`` (adaptive, with extrapolation) or a fixed step ``h``: then
            the textbook formula with that step is returned as is, e.g.
            ``(f(x + h) - f(x)) / h`` for ``method="forward"``.
        full_output: also return a :class:`DerivativeInfo` with the estimated
            error, the step and the number of evaluations.

    Returns:
        The derivative (a float for a scalar ``x`` and scalar ``f``, else an
        array), or ``(derivative, info)`` with ``full_output=True``.

    Raises:
        NumericalDerivativeError: bad arguments; ``f`` returns NaN or inf at every
            step tried (``x`` outside or at the edge of the domain); no step
            gives a converging estimate (a pole or a discontinuity at ``x``).

    Warns:
        NumericalDerivativeWarning: the estimated relative error exceeds 1e-6 (for
            ``n = 1``; 1e-4, 1e-3, 1e-2 for ``n = 2, 3, 4``).

    >>> import numpy as np
    >>> bool(abs(derivative(np.sin, 0.5) - np.cos(0.5)) < 1e-14)
    True
    >>> d, info = derivative(np.log, 2.0, full_output=True)
    >>> abs(d - 0.5) < 1e-14, info.n_evals
    (True, 14)
    >>> derivative(lambda t: t**4, 1.0, n=3)   # 24 t
    24.0...
    >>> derivative(lambda t: t**2, 1.0, method="forward", step=1e-7)  # the tutorial's
    2.0000001...
    >>> derivative(np.exp, np.array([0.0, 1.0]), method="complex")
    array([1.        , 2.71828183])
    """
    if method not in METHODS:
        raise NumericalDerivativeError(
            f"unknown method {method!r}; choose one of {', '.join(map(repr, METHODS))}"
        )
    n = check_order(n)
    x_arr = _as_point(x, "derivative")
    evaluate = FunctionEvaluator(f, x_arr.shape)
    value, info = estimate_derivative(evaluate, x_arr, n, method, step, full_output)
    return _finish(value, info, full_output)


def estimate_derivative(
    evaluate: FunctionEvaluator,
    x_arr: np.ndarray,
    n: int,
    method: str,
    step: Any = None,
    estimate_error: bool = True,
    name: str = "x",
    warn: bool = True,
    floor: Any = None,
    least: Any = 0.0,
) -> tuple[np.ndarray, DerivativeInfo]:
    """The work of :func:`derivative` on a prepared evaluator; returns (value, info).

    ``name`` labels the variable in error messages (``"x[2]"`` for a partial);
    ``warn=False`` leaves the warning about a large relative error to the caller;
    ``floor``, the noise of ``f`` if already measured. Otherwise it is measured here
    when ``estimate_error`` (the caller wants the error estimate: 4 more evaluations),
    and taken as a few ulps of ``|f|`` when not. ``least``: a noise level of ``f``
    measured elsewhere (``hessian`` measures it once at the point), below which the
    noise of a scalar ``f`` is not taken, measured here or not.
    """
    h_fixed = None if step is None else _fixed_step(step, x_arr.shape)

    if method == "complex":
        if n != 1:
            raise NumericalDerivativeError(
                "method='complex' gives first derivatives only (n=1); use 'central' for n > 1"
            )
        h = h_fixed if h_fixed is not None else _COMPLEX_STEP * np.maximum(np.abs(x_arr), 1.0)
        value, error = _complex_step(evaluate, x_arr, h)
        _check_finite(value, x_arr, method, name)
        info = DerivativeInfo(error, h, evaluate.n_evals, method, n, 0 * error, error, True, [h])
        return value, info

    sten = stencil(method, n)
    if h_fixed is not None:
        value, noise, _ = _plain_difference(evaluate, x_arr, sten, h_fixed, exact=False)
        _check_finite(value, x_arr, method, name)
        trunc = np.zeros_like(noise)
        if estimate_error:  # one more difference, at 2h, estimates the truncation error
            floor = _noise_floor(evaluate, x_arr, sten, h_fixed)
            _, noise, _ = _plain_difference(evaluate, x_arr, sten, h_fixed, False, floor)
            value2, _, _ = _plain_difference(evaluate, x_arr, sten, 2 * h_fixed, exact=False)
            with np.errstate(all="ignore"):
                trunc = np.abs(value2 - value) / (2.0**sten.power - 1)
            trunc = np.where(np.isfinite(trunc), trunc, np.inf)
        info = DerivativeInfo(
            noise + trunc, h_fixed, evaluate.n_evals, method, n, trunc, noise, True, [h_fixed]
        )
        return value, info

    s0, fallback = _first_steps(x_arr, n, method)
    result = adaptive_difference(
        lambda h: _plain_difference(evaluate, x_arr, sten, h, exact=True),
        s0,
        fallback,
        sten.power,
        order=n,
    )
    shape = evaluate.out_shape or ()
    if x_arr.ndim == 0 and len(shape) and int(np.prod(shape)) > 1:
        # a vector-valued f: each component searches again, mostly on the cached points,
        # with the noise of f measured once for all components
        if estimate_error:
            floor = _noise_floor(evaluate, x_arr, sten, np.asarray(result.levels[-1].step))
        else:
            floor = np.zeros(shape)
        return _each_output(
            evaluate, x_arr, n, method, shape, name, warn, floor, estimate_error
        )
    if not np.all(result.any_valid):
        _raise_no_valid(result.any_valid, x_arr, evaluate, result.levels, method, name)
    if floor is None:
        floor = _noise_floor(evaluate, x_arr, sten, _last_good_step(result)) if (
            estimate_error
        ) else 0.0
    floor = np.maximum(floor, least)
    if np.any(floor > 0):
        # search again with the measured noise: mostly on cached points
        result = adaptive_difference(
            lambda h: _plain_difference(evaluate, x_arr, sten, h, True, floor),
            s0,
            fallback,
            sten.power,
            order=n,
        )
    result = _retry_without_jump(
        lambda h: _plain_difference(evaluate, x_arr, sten, h, True, floor),
        result, s0, fallback, sten.power, n,
    )
    if method != "central":
        result = _confirm_at_point_scale(
            evaluate, x_arr, sten, result, fallback, floor, estimate_error
        )
    info = DerivativeInfo(
        result.error,
        result.step,
        evaluate.n_evals,
        method,
        n,
        result.truncation,
        result.rounding,
        result.converged,
        [lv.step for lv in result.levels],
    )
    check_quality(result.estimate, info, x_arr, name, warn)
    return result.estimate, info


def _each_output(
    evaluate: FunctionEvaluator,
    x: np.ndarray,
    n: int,
    method: str,
    shape: tuple[int, ...],
    name: str,
    warn: bool,
    floor: np.ndarray,
    estimate_error: bool = True,
) -> tuple[np.ndarray, DerivativeInfo]:
    """The derivative of each component of a vector-valued ``f``, each with its own step.

    One step search shared by all components lets the component with the largest
    derivative drive the steps down to where another, small one (``1 - cosh(t)``) is
    only rounding noise, under an error estimate that cannot see it. Each component gets
    its own search; the evaluations are shared (``evaluate`` caches every point), so
    components that want the same steps cost nothing more.
    """
    values = np.empty(shape)
    parts: dict[str, np.ndarray] = {
        key: np.empty(shape) for key in ("error", "step", "truncation", "rounding")
    }
    converged = np.empty(shape, dtype=bool)
    steps: list[Any] = []
    for k in np.ndindex(shape):
        component = FunctionEvaluator(
            lambda t, k=k: evaluate(np.asarray(t))[k], (), evaluate.what, scalar_output=True
        )
        v, info = estimate_derivative(
            component, x, n, method, name=f"{name} (output {list(k)})", warn=warn,
            floor=floor[k], estimate_error=estimate_error,
        )
        values[k] = v
        for key, array in parts.items():
            array[k] = np.asarray(getattr(info, key))
        converged[k] = bool(np.all(info.converged))
        steps.extend(info.steps)
    info = DerivativeInfo(parts["error"], parts["step"], evaluate.n_evals, method, n,
                          parts["truncation"], parts["rounding"], converged, steps)
    return values, info  # the callers set relative_error for the whole result


def _confirm_at_point_scale(
    evaluate: FunctionEvaluator,
    x: np.ndarray,
    sten: Stencil,
    result: AdaptiveResult,
    fallback: np.ndarray,
    floor: Any,
    measure: bool = True,
) -> AdaptiveResult:
    """Check a one-sided estimate whose steps reached across 0 at steps of ``|x|``'s scale.

    A one-sided stencil much wider than ``|x|`` puts all but one of its points on the
    other side of 0. Where ``f`` is not smooth at 0 (``|t|**3``), the differences there
    follow the error series of the other side's branch exactly, agree with each other,
    and extrapolate, with a tiny error estimate, to the derivative of the wrong branch.
    Central stencils mix both sides, break the series and shrink by themselves. Two
    differences at the point's own scale (the search's fallback step) either confirm the
    estimate, within both error estimates, or the search runs again from that scale.
    The noise of ``f`` is measured again at that scale: the noise measured at the wider
    steps (``|t|**3`` at 1e-8: ulps of 1e-8, not of 1e-24) would swamp the check.
    """
    reach = max(abs(o) for o in sten.offsets)
    crossed = np.zeros(np.shape(x), dtype=bool)
    for level in result.levels:
        far = x + np.sign(sten.offsets[-1] or sten.offsets[0]) * reach * level.step
        crossed |= np.sign(far) != np.sign(x)
    check = crossed & np.isfinite(fallback)
    if measure and np.any(check):  # the noise measured at the steps used may not hold here
        floor = _noise_floor(evaluate, x, sten, np.where(check, fallback, 0.0))
    return confirm_at_scale(
        lambda s: _plain_difference(evaluate, x, sten, s, True, floor),
        result, fallback, check, sten.power,
    )


def _retry_without_jump(
    level_fn: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]],
    result: AdaptiveResult,
    s0: np.ndarray,
    fallback: np.ndarray,
    power: int,
    n: int,
) -> AdaptiveResult:
    """Search again without the jump to ``|x|``'s scale where the first search lost digits.

    The search jumps to steps of ``|x|``'s scale once the steps of ``max(|x|, 1)``'s
    scale disagree: right where ``f`` varies on that scale (``log`` near 0), wrong where
    they disagreed only through a large higher-order term and the derivative is small
    next to ``f`` (``x**5 + 1.125 x**2 + 4`` at 1.19e-7: steps of 1e-8 drown the
    derivative, 2.7e-7, in the rounding of 4 and gave it 11% wrong, inside an error bar
    that included 0, so without a warning). Where the first search's error exceeds the
    warning level of order ``n``, the search without the jump runs too (mostly on cached
    points) and the smaller error wins, element by element.
    """
    with np.errstate(all="ignore"):
        rel = np.asarray(result.error) / np.abs(result.estimate)
    poor = ~(rel <= _WARN_RELATIVE[n]) | ~np.asarray(result.converged)
    jumped = np.broadcast_to(np.isfinite(fallback), np.shape(poor))
    if not np.any(poor & jumped):
        return result
    again = adaptive_difference(level_fn, s0, np.full(np.shape(s0), np.inf), power, order=n)
    use = (poor & jumped & np.asarray(again.any_valid) & np.asarray(again.converged)
           & (np.asarray(again.error) < np.asarray(result.error)))
    if not np.any(use):
        return replace(result, levels=result.levels + again.levels)

    def pick(a: Any, b: Any) -> np.ndarray:
        return np.where(use, a, b)

    return AdaptiveResult(
        pick(again.estimate, result.estimate),
        pick(again.error, result.error),
        pick(again.truncation, result.truncation),
        pick(again.rounding, result.rounding),
        pick(again.step, result.step),
        pick(again.converged, result.converged),
        result.any_valid,
        result.levels + again.levels,
    )


def _last_good_step(result: AdaptiveResult) -> np.ndarray:
    """The step of the chosen estimate, per element of x (the last step where there is none)."""
    step = np.asarray(result.step)
    last = np.asarray(result.levels[-1].step)
    if step.shape != last.shape:  # one step per output: the point's own step
        return last
    return np.where(np.isfinite(step) & (step > 0), step, last)


def _fixed_step(step: Any, shape: tuple[int, ...]) -> np.ndarray:
    try:
        h = np.broadcast_to(np.asarray(step, dtype=float), shape).copy()
    except (TypeError, ValueError) as exc:
        raise NumericalDerivativeError(
            f"step must be a positive number or an array shaped like x, got {step!r}"
        ) from exc
    if not np.all(np.isfinite(h) & (h > 0)):
        raise NumericalDerivativeError(f"step must be positive and finite, got {step!r}")
    return h


def _where(x: np.ndarray, mask: np.ndarray, name: str = "x") -> str:
    if x.ndim == 0:
        return f"{name}={float(x)!r}"
    idx = tuple(int(i) for i in np.argwhere(np.broadcast_to(mask, x.shape))[0])
    return f"{name}[{', '.join(map(str, idx))}]={float(x[idx])!r}"


def _check_finite(value: np.ndarray, x: np.ndarray, method: str, name: str) -> None:
    bad = ~np.isfinite(value)
    if np.any(bad):
        bad_x = bad if bad.shape == x.shape else np.array(True)
        raise NumericalDerivativeError(
            f"f returned nan or inf near {_where(x, bad_x, name)} (method={method!r}): "
            "x is outside or at the edge of f's domain, or f overflows there"
        )


def _raise_no_valid(any_valid, x, evaluate, levels, method, name) -> None:
    bad = ~np.asarray(any_valid)
    bad_x = bad if bad.shape == x.shape else np.array(True)
    f_at_x = evaluate(x)
    raised = evaluate.last_exception
    cause = f" (f raised {type(raised).__name__}: {raised})" if raised else ""
    inside = np.all(np.isfinite(f_at_x)) if bad_x.shape != x.shape else np.all(
        np.isfinite(f_at_x[bad_x])
    )
    smallest = min(float(np.min(lv.step)) for lv in levels)
    where = _where(x, bad_x, name)
    if inside:
        hint = (
            "f is finite at x but not on both sides: x is at the edge of f's domain; "
            "use method='forward' or 'backward' to stay on the finite side"
        )
    else:
        hint = "f(x) itself is nan or inf: x is outside f's domain (e.g. log at 0 or below)"
    raise NumericalDerivativeError(
        f"f returned nan or inf{cause} at every step tried near {where} "
        f"(method={method!r}, steps down to {smallest:.3g}): {hint}"
    )


def check_quality(
    estimate: np.ndarray, info: DerivativeInfo, x: np.ndarray, name: str = "x", warn: bool = True
) -> None:
    """Raise if the estimate has no correct digit and did not converge; warn if poor."""
    rel = info._set_relative(estimate)
    scale = np.broadcast_to(np.asarray(info.converged), np.shape(rel))
    hopeless = ~scale & ~(rel <= _WARN_RELATIVE[info.n])
    if np.any(hopeless):
        bad_x = hopeless if hopeless.shape == x.shape else np.array(True)
        raise NumericalDerivativeError(
            f"the finite differences do not converge near {_where(x, bad_x, name)}: f is not "
            "differentiable there (a pole, a jump or a kink), or varies on a length scale "
            f"far below the smallest step tried{_smallest_step(info)}; "
            "pass step=... to choose the step yourself"
        )
    if not warn:
        return
    # a zero derivative known to within its error is fine; warn when digits are lost
    error = np.asarray(info.error)
    poor = (rel > _WARN_RELATIVE[info.n]) & (np.abs(estimate) > error)
    if np.any(poor):
        bad_x = poor if poor.shape == x.shape else np.array(True)
        warnings.warn(
            f"numerical derivative near {_where(x, bad_x, name)} has estimated relative error "
            f"{float(np.max(rel[poor])):.2g}: f is noisy, much larger than its variation, "
            "or not smooth there (see full_output=True for the error estimate)",
            NumericalDerivativeWarning,
            stacklevel=3,
        )


def _smallest_step(info: DerivativeInfo) -> str:
    """The smallest step of the last level, as ``" (0.001)"`` for a message; ``""`` if none.

    An info built with ``step`` and no list of ``steps`` (or with neither) still gets
    its message: the step it has, or no number.
    """
    steps = info.steps[-1] if info.steps else info.step
    with np.errstate(all="ignore"):
        steps = np.asarray(steps if steps is not None else np.nan, dtype=float)
        finite = steps[np.isfinite(steps)]
    return f" ({float(np.min(finite)):.3g})" if finite.size else ""


def _finish(value: np.ndarray, info: DerivativeInfo, full_output: bool) -> Any:
    value = np.asarray(value)
    if info._relative is None:
        info._set_relative(value)
    if value.ndim == 0:
        value = complex(value) if np.iscomplexobj(value) else float(value)
        info.error = float(np.asarray(info.error))
        info.step = float(np.asarray(info.step))
        info._relative = float(np.asarray(info._relative))
        info.converged = bool(np.all(info.converged))
    return (value, info) if full_output else value
