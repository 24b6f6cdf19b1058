"""``derivative``: the n-th derivative of a function of one variable, with its error.

Four methods: ``central`` (default), ``forward`` and ``backward`` differences with
Richardson extrapolation on an adaptive step sequence, and the ``complex`` step
``Im f(x + i h) / h``, exact to machine precision in a single evaluation when ``f``
is analytic and written with operations that accept complex numbers.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gradkit.numerical.errors import NumericalDerivativeError, NumericalDerivativeWarning
from gradkit.numerical.noise import distinct_values, noise_from_values, probe
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
# the noise of a value of f that is exactly 0 all over a stencil: a few ulps of 1
_ZERO_NOISE = _NOISE_ULPS * EPS
_COMPLEX_STEP = 1e-20
# levels of the step search; without full_output, every search together stays within
# this many levels' evaluations (16 for a first derivative)
_MAX_LEVELS = 8
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
    >>> info.error < 1e-12, info.n_evals <= 15  # 4 measure the noise of f, 1 is f(x)
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
        # f exactly 0 at every point: ulps of 0 say nothing, for a 0 may be what is left
        # of terms that cancelled (1 - cos(u) for |u| < 1e-8): take them of size 1
        zero = np.all([np.asarray(v) == 0 for v in values], axis=0)
        if np.any(zero):
            noise = [np.where(zero, np.maximum(e, _ZERO_NOISE), e) for e in noise]
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
    evaluate: FunctionEvaluator,
    x: np.ndarray,
    sten: Stencil,
    h: np.ndarray,
    wider: Any = None,
    widenings: int = 3,
) -> np.ndarray:
    """A bound on the noise of each value of ``f``, measured at the outer point of step h.

    ``_NOISE_ULPS`` ulps of ``|f|`` is too small where ``f`` comes out of cancellation
    (``cosh(t) - 1``): its noise is ulps of the terms that cancelled. Five values of
    ``f`` very close to a point of the stencil (one of them that point) show it. Where
    they are all equal even on the widest probe (``f`` varies over the step by less
    than one unit of the terms that cancelled over the probe, ``cosh(1e-7 + t) - 1``),
    the noise cannot be told from the values, and is bounded by half of the spread of
    ``f`` over the stencil instead: the largest it can be while ``f`` still varies.

    ``wider``: a larger step (the first of the search) at which to measure where ``f``
    takes one value over the whole stencil at ``h``: ``f`` may be quantized there,
    more coarsely than it varies over the step, rather than constant. ``widenings``:
    how many times (256 each) the probe may widen where ``f``'s values repeat; the
    widest of 3 spans about the step itself.
    """
    h = np.where(np.isfinite(h) & (h > 0), h, 0.0)
    values = [evaluate(x + o * h) for o in sten.offsets]  # cached: the differences' own
    varies = np.any([v != values[0] for v in values[1:]], axis=0)
    if wider is not None and np.any(~varies) and np.shape(varies) == np.shape(h):
        h = np.where(varies, h, wider)
        values = [evaluate(x + o * h) for o in sten.offsets]  # cached: the first level's
        varies = np.any([v != values[0] for v in values[1:]], axis=0)
    reach = max(sten.offsets, key=abs)
    center = x + reach * h
    t, probed = probe(evaluate, center, h, varies, widenings=widenings)
    sigma = _NOISE_SIGMAS * noise_from_values(t, probed)
    unresolved = varies & (distinct_values(probed) < 3)
    if np.any(unresolved):
        with np.errstate(all="ignore"):
            spread = 0.5 * (np.max(values, axis=0) - np.min(values, axis=0))
        sigma = np.where(unresolved, np.maximum(sigma, spread), sigma)
    return sigma


def _noise_both_ends(
    evaluate: FunctionEvaluator,
    x: np.ndarray,
    sten: Stencil,
    result: AdaptiveResult,
    s0: np.ndarray,
) -> np.ndarray:
    """The noise of ``f`` measured at the search's last good step and at its first step.

    The probe at a small step is narrow (``6e-8`` of the step), and a part of ``f`` that
    comes out of cancellation but varies slowly (``exp(u) - 1 - u`` with ``u`` of 1e-9,
    beside a term that varies faster) moves by less than one unit of its terms over it:
    its values look smooth and its noise, ulps of 1, stays hidden, while it spoils the
    differences at that step (a true error of 1e-11 under a bound of 4e-14). The probe at
    the first step, ``2**16`` times wider or more, sees it. The larger noise is taken.
    """
    last = _last_good_step(result)
    floor = _noise_floor(evaluate, x, sten, last, s0)
    if np.shape(last) == np.shape(s0) and np.any(last < s0 / 64):
        with np.errstate(all="ignore"):
            first = _noise_floor(evaluate, x, sten, np.where(last < s0 / 64, s0, last), widenings=1)
        floor = np.maximum(floor, np.where(np.isfinite(first), first, 0.0))
    return floor


def _complex_step(
    evaluate: FunctionEvaluator, x: np.ndarray, h: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    try:
        with np.errstate(all="ignore"):
            raw = evaluate.f(x + 1j * h if x.ndim else complex(x, float(h)))
    except TypeError as exc:
        raise NumericalDerivativeError(
            f"method='complex': f does not accept complex input ({exc}); use method='central'"
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
    With ``full_output=True``, 5 more measure the noise of ``f`` and check ``f(x)``; the
    step is chosen with that noise, so the error estimate holds where ``f`` comes out of
    cancellation (``cosh(x) - 1`` near 0), whose noise is far above a few ulps of ``|f|``; there the
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
    (True, 15)
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
    when ``estimate_error`` (the caller wants the error estimate: 5 more evaluations or so),
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
    affordable = None if estimate_error else _budget(evaluate, n, sten)
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
        return _each_output(evaluate, x_arr, n, method, shape, name, warn, floor, estimate_error)
    if not np.all(result.any_valid):
        _raise_no_valid(result.any_valid, x_arr, evaluate, result.levels, method, name)
    if floor is None:
        if not estimate_error:
            floor = 0.0
        elif method == "central":
            floor = _noise_both_ends(evaluate, x_arr, sten, result, s0)
        else:  # one-sided steps of the first scale may reach across a kink at 0
            floor = _noise_floor(evaluate, x_arr, sten, _last_good_step(result), s0)
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
        result,
        s0,
        fallback,
        sten.power,
        n,
        affordable,
    )
    if method == "central" and n % 2 == 1:
        result = _check_even_part(
            evaluate,
            x_arr,
            sten,
            result,
            fallback,
            floor,
            n,
            affordable,
            estimate_error,
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
    check_quality(result.estimate, info, x_arr, name, warn, result.levels[0].magnitude)
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
            component,
            x,
            n,
            method,
            name=f"{name} (output {list(k)})",
            warn=warn,
            floor=floor[k],
            estimate_error=estimate_error,
        )
        values[k] = v
        for key, array in parts.items():
            array[k] = np.asarray(getattr(info, key))
        converged[k] = bool(np.all(info.converged))
        steps.extend(info.steps)
    info = DerivativeInfo(
        parts["error"],
        parts["step"],
        evaluate.n_evals,
        method,
        n,
        parts["truncation"],
        parts["rounding"],
        converged,
        steps,
    )
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
        result,
        fallback,
        check,
        sten.power,
    )


def _check_even_part(
    evaluate: FunctionEvaluator,
    x: np.ndarray,
    sten: Stencil,
    result: AdaptiveResult,
    fallback: np.ndarray,
    floor: Any,
    n: int,
    affordable: Callable[..., bool] | None = None,
    always: bool = False,
) -> AdaptiveResult:
    """Check, with ``f(x)``, a central estimate whose last two differences are identical.

    Odd central stencils never use ``f(x)``: a narrow feature at ``x`` that the steps
    straddle (``exp(-(x/L)**2)`` at ``x = L = 1e-3`` under steps of 1/8: ``f`` is 0 on
    both sides) gives identical differences, exactly 0, that agree and extrapolate to 0
    with an error of 1e-322 for a derivative of -1e6. Identical differences are rare on
    smooth functions (linear ones give them); there, one more evaluation, ``f(x)``,
    checks that the even part ``(f(x + h) + f(x - h)) / 2 - f(x)`` shrinks like ``h**2``
    as a smooth ``f``'s does. Where it does not, the search runs again from an eighth of
    the smallest step, and its result replaces the first. ``always``: check whatever the
    differences (``full_output``: the error estimate is the point, and a feature can hide
    under differences that are not identical but all far below it: ``exp(-(x/L)**2)`` at
    ``x = L/10`` is ``1e-104`` at the steps, 1 at ``x``).
    """
    # the chosen entry's step and the next larger step tried (both cached)
    h2 = np.asarray(result.step)
    if np.shape(h2) != np.shape(x) or not np.all(np.isfinite(h2) & (h2 > 0)):
        return result
    h1 = np.full(np.shape(h2), np.inf)
    for level in result.levels:
        step = np.broadcast_to(np.asarray(level.step), np.shape(h2))
        h1 = np.where((step > h2) & (step < h1), step, h1)
    h1 = np.where(np.isfinite(h1), h1, 2 * h2)
    if affordable is not None and not affordable(3):
        return result
    with np.errstate(all="ignore"):
        d1 = (evaluate(x + h1) - evaluate(x - h1)) / (2 * h1)
        d2 = (evaluate(x + h2) - evaluate(x - h2)) / (2 * h2)
    same = ((d1 == d2) | always) & np.asarray(result.converged)
    if not np.any(same):
        return result
    f0 = evaluate(x)

    def even(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        fp, fm = evaluate(x + h), evaluate(x - h)  # cached: the differences' own points
        noise = _value_noise(fp, floor) + _value_noise(fm, floor) + 2 * _value_noise(f0, floor)
        return (fp + fm) / 2 - f0, noise / h**2

    with np.errstate(all="ignore"):
        (s1, e1), (s2, e2) = even(h1), even(h2)
        c1, c2 = s1 / h1**2, s2 / h2**2
        gap = np.abs(c1 - c2) - (e1 + e2)
        unresolved = same & (gap > 0.25 * np.maximum(np.abs(c1), np.abs(c2)))
    if not np.any(unresolved):
        return result
    again = adaptive_difference(
        lambda h: _plain_difference(evaluate, x, sten, h, True, floor),
        np.where(unresolved, h2 / 8, h2),
        fallback,
        sten.power,
        order=n,
        affordable=affordable,
    )
    use = unresolved & np.asarray(again.any_valid)

    def pick(a: Any, b: Any) -> np.ndarray:
        return np.where(use, a, b)

    return AdaptiveResult(
        pick(again.estimate, result.estimate),
        pick(again.error, result.error),
        pick(again.truncation, result.truncation),
        pick(again.rounding, result.rounding),
        pick(again.step, result.step),
        pick(again.converged, result.converged) & ~(unresolved & ~use),
        result.any_valid,
        result.levels + again.levels,
    )


def _budget(evaluate: FunctionEvaluator, n: int, sten: Stencil) -> Callable[..., bool]:
    """Whether ``cost`` more evaluations (a level's, by default) stay within the budget of
    :func:`derivative` without ``full_output``: 16 evaluations for ``n = 1`` (8 levels of
    a two-point stencil), ``8 * len(stencil)`` in general."""
    limit = _MAX_LEVELS * len(sten.offsets)

    def affordable(cost: int = len(sten.offsets)) -> bool:
        return evaluate.n_evals + cost <= limit

    return affordable


def _retry_without_jump(
    level_fn: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]],
    result: AdaptiveResult,
    s0: np.ndarray,
    fallback: np.ndarray,
    power: int,
    n: int,
    affordable: Callable[..., bool] | None = None,
) -> AdaptiveResult:
    """Search again, without the jump to ``|x|``'s scale and from that scale, where the
    first search lost digits; the smaller error wins, element by element.

    The search jumps to steps of ``|x|``'s scale once the steps of ``max(|x|, 1)``'s
    scale disagree: right where ``f`` varies on that scale (``log`` near 0), wrong where
    they disagreed only through a large higher-order term and the derivative is small
    next to ``f`` (``x**5 + 1.125 x**2 + 4`` at 1.19e-7: steps of 1e-8 drown the
    derivative, 2.7e-7, in the rounding of 4 and gave it 11% wrong, inside an error bar
    that included 0, so without a warning). And a noise floor measured over the wide
    steps can make them agree within it before the jump (``tanh(1000 y)`` at
    ``y = 0.002``, second derivative: -123 +- 996 for -136219). Where the first search's
    error exceeds the warning level of order ``n``, both other searches run (mostly on
    cached points).
    """
    with np.errstate(all="ignore"):
        rel = np.asarray(result.error) / np.abs(result.estimate)
    poor = ~(rel <= _WARN_RELATIVE[n]) | ~np.asarray(result.converged)
    jumps = np.broadcast_to(np.isfinite(fallback), np.shape(poor))
    for start, jump in ((s0, np.full(np.shape(s0), np.inf)), (fallback, fallback / 8)):
        if not np.any(poor & jumps) or (affordable is not None and not affordable()):
            break
        start = np.where(np.isfinite(start), start, s0)
        again = adaptive_difference(
            level_fn,
            start,
            np.where(np.isfinite(start), jump, np.inf),
            power,
            order=n,
            affordable=affordable,
        )
        use = (
            poor
            & jumps
            & np.asarray(again.any_valid)
            & np.asarray(again.converged)
            & (np.asarray(again.error) < np.asarray(result.error))
        )

        def pick(a: Any, b: Any, use: np.ndarray = use) -> np.ndarray:
            return np.where(use, a, b)

        result = AdaptiveResult(
            pick(again.estimate, result.estimate),
            pick(again.error, result.error),
            pick(again.truncation, result.truncation),
            pick(again.rounding, result.rounding),
            pick(again.step, result.step),
            pick(again.converged, result.converged),
            result.any_valid,
            result.levels + again.levels,
        )
        with np.errstate(all="ignore"):
            rel = np.asarray(result.error) / np.abs(result.estimate)
        poor = ~(rel <= _WARN_RELATIVE[n]) | ~np.asarray(result.converged)
    return result


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


def _raise_no_valid(
    any_valid: Any,
    x: np.ndarray,
    evaluate: FunctionEvaluator,
    levels: list[Any],
    method: str,
    name: str,
) -> None:
    bad = ~np.asarray(any_valid)
    bad_x = bad if bad.shape == x.shape else np.array(True)
    f_at_x = evaluate(x)
    raised = evaluate.last_exception
    cause = f" (f raised {type(raised).__name__}: {raised})" if raised else ""
    inside = (
        np.all(np.isfinite(f_at_x))
        if bad_x.shape != x.shape
        else np.all(np.isfinite(f_at_x[bad_x]))
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
    estimate: np.ndarray,
    info: DerivativeInfo,
    x: np.ndarray,
    name: str = "x",
    warn: bool = True,
    scale: Any = np.inf,
) -> None:
    """Raise if the estimate has no correct digit and did not converge; warn if poor.

    ``scale``: the size a difference of ``f`` has at the first step of the search
    (``sum |w f| / h**n``). An estimate inside its error bar of 0 is a zero derivative
    only if that bar is small next to it; a bar that is not holds no digit, and raises
    as a search that did not converge does.
    """
    rel = info._set_relative(estimate)
    converged = np.broadcast_to(np.asarray(info.converged), np.shape(rel))
    error = np.asarray(info.error)
    with np.errstate(all="ignore"):
        # an error bar wider than the estimate and than the differences' first scale
        # holds no digit: no step resolved f (tanh(x / 1e-3) at 1e-3 under a noise that
        # could only be bounded by f's spread: 16 +- 48 for 420)
        vague = (
            (error >= np.abs(estimate)) & (error > _WARN_RELATIVE[info.n] * scale) & (scale > 0)
        )  # f of 0 all over the first stencil: its zeros are exact
    # (a caller that judges the result itself, warn=False, as the Hessian does with its
    # own warning, gets the vague estimate with its error)
    hopeless = (~converged | (vague & warn)) & ~(rel <= _WARN_RELATIVE[info.n])
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
    array = np.asarray(value)
    result: Any = array
    if info._relative is None:
        info._set_relative(array)
    if array.ndim == 0:
        result = complex(array) if np.iscomplexobj(array) else float(array)
        info.error = float(np.asarray(info.error))
        info.step = float(np.asarray(info.step))
        info._relative = float(np.asarray(info._relative))
        info.converged = bool(np.all(info.converged))
    return (result, info) if full_output else result
