"""check_grads: automatic derivatives checked against finite differences.

Along a random direction ``v`` the forward-mode derivative must equal a Richardson-
extrapolated central difference of ``s -> f(x + s v)``; for a random output cotangent
``u`` the reverse-mode product must satisfy ``<vjp(u), v> = <u, df(x)[v]>``, where
``<c, v> = Re(sum(c * v))`` pairs cotangents with tangents (complex arguments get complex
directions, so d/dx and d/dy are both checked); and the two modes must agree with each
other. The finite-difference step starts at ``eps`` times the inputs' scale and shrinks
until the differences show that no kink or tie lies within it (or the point is reported
as too close to one). Higher orders repeat the check on the derivative functions
``(x, v) -> jvp`` and ``(x, u) -> vjp`` in all their arguments, so second-order rules are
checked in every mix of modes, as functions of the point and of the (co)tangent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from gradkit.autodiff.errors import GradCheckError
from gradkit.autodiff.primitives import value_of
from gradkit.autodiff.transforms import jvp, vjp
from gradkit.tree import tree_flatten, tree_map, tree_unflatten

__all__ = ["check_grads"]


def _random_like(tree: Any, rng: np.random.Generator) -> Any:
    """A random direction of ``tree``'s shape and dtype: complex leaves get a random
    imaginary part too, so the check covers d/dx and d/dy alike."""

    def draw(x: Any) -> Any:
        v = np.asarray(value_of(x))
        d = rng.standard_normal(v.shape)
        if v.dtype.kind == "c":
            return (d + 1j * rng.standard_normal(v.shape)).astype(v.dtype)
        return d.astype(v.dtype if v.dtype.kind == "f" else float)

    return tree_map(draw, tree)


def _as_array(x: Any) -> np.ndarray:
    """A leaf as a float64 (or complex128) array."""
    v = np.asarray(value_of(x))
    return v.astype(complex if v.dtype.kind == "c" else float)


def _inner(a: Any, b: Any) -> float:
    """``Re(sum(a * b))`` over the leaves: how a cotangent pairs with a tangent."""
    la, _ = tree_flatten(a)
    lb, _ = tree_flatten(b)
    return float(sum(np.real(np.sum(_as_array(x) * _as_array(y))) for x, y in zip(la, lb)))


_SHRINK = 4  # each round divides the step by 4 (and reuses the values it can)


class _NotSmooth(Exception):
    """The finite differences do not settle at any step (raised with the last step)."""

    def __init__(self, step: float, nonfinite: bool) -> None:
        super().__init__(step)
        self.step = step
        self.nonfinite = nonfinite


def _richardson_central(d1: Any, d2: Any, d4: Any) -> tuple:
    """Two Richardson estimates from central differences at ``h, h/2, h/4`` (error
    O(h^4)), and the better one from both (O(h^6))."""
    r1 = (4 * d2 - d1) / 3
    r2 = (4 * d4 - d2) / 3
    return r1, r2, (16 * r2 - r1) / 15


def _richardson_one_sided(d1: Any, d2: Any, d4: Any) -> Any:
    """The derivative from one-sided differences at ``h, h/2, h/4`` (error O(h^3))."""
    return (8 * d4 - 6 * d2 + d1) / 3


def _default_atol(size: float, scale: float) -> float:
    """The comparison's absolute tolerance: 1e-6 |f| / max(1, |x|), the size of a
    derivative of a function of that size at that scale. A fixed 1e-6 let any error pass
    when f is small (a rule of the wrong sign for 1e-6 sin(x)); 1e-6 |f| alone let a 0.1%
    error pass for x**3 at x = 1e8. Both stay far above the differences' rounding, about
    1e-16 |f| / step with a step of 1e-3 max(1, |x|)."""
    return 1e-6 * size / scale


def _numeric_dir(f: Callable, args: tuple, out: Any, v: tuple, scale: float, eps: float,
                 rtol: float, atol_given):  # fmt: skip
    """Directional derivative of ``f`` at ``args`` along ``v`` by central differences
    with two Richardson steps, at a step that the differences show to be safe.

    Two tests guard the estimate. Near a kink (``abs`` at 0, a tie in max/min/sort) the
    derivatives from the left and from the right differ, however close the kink; so the
    one-sided estimates, each from one side only, must agree. And two Richardson
    estimates from the steps ``h, h/2, h/4`` differ by about their own error where ``f``
    is smooth within ``h``, and by much more across a jump. When either fails, the step
    is divided by 4, down to where rounding (about ``1e-16 |f| / h``) would swamp the
    tolerance; then :class:`_NotSmooth` is raised. Returns the estimate, the largest
    ``|f|`` met and the step used. ``out`` is ``f(*args)``.
    """
    leaves, out_def = tree_flatten(out)
    f0 = [_as_array(leaf) for leaf in leaves]
    # the largest |f| met: the scale of the differences' rounding
    sizes = [0.0] + [float(np.max(np.abs(a))) for a in f0 if a.size]
    values: dict = {0.0: f0}

    def at(s: float) -> list:
        if s not in values:
            moved = tree_map(lambda x, d: np.asarray(x) + s * d, args, v)
            with np.errstate(all="ignore"):  # NaN and inf near the point are handled below
                leaves, _ = tree_flatten(f(*moved))
            values[s] = [_as_array(leaf) for leaf in leaves]
            sizes.extend(float(np.max(np.abs(a))) for a in values[s] if a.size)
        return values[s]

    h = eps * scale
    unit = np.finfo(float).eps
    while True:
        steps = (h, h / 2, h / 4)
        central = [[(p - m) / (2 * k) for p, m in zip(at(k), at(-k))] for k in steps]
        right = [[(p - z) / k for p, z in zip(at(k), f0)] for k in steps]
        left = [[(z - m) / k for z, m in zip(f0, at(-k))] for k in steps]
        finite_sizes = [x for x in sizes if np.isfinite(x)]
        size = max(finite_sizes) if finite_sizes else 0.0
        atol = _default_atol(size, scale) if atol_given is None else atol_given
        settled = True
        best_leaves = []
        largest = 0.0
        for j in range(len(f0)):
            r1, r2, best = _richardson_central(*(c[j] for c in central))
            one_right = _richardson_one_sided(*(c[j] for c in right))
            one_left = _richardson_one_sided(*(c[j] for c in left))
            best_leaves.append(best)
            if not (np.isfinite(best).all() and np.isfinite(one_right - one_left).all()):
                settled = False
                continue
            tol = rtol * np.abs(best) + atol
            largest = max(largest, float(np.max(tol, initial=0.0)))
            noise = unit * size / h  # the differences' rounding at this step
            settled = settled and bool(
                np.all(np.abs(r1 - r2) <= np.maximum(tol / 8, 16 * noise))
                and np.all(np.abs(one_right - one_left) <= np.maximum(tol / 2, 64 * noise))
            )
        if settled:
            return tree_unflatten(out_def, best_leaves), size, h
        finite = all(np.isfinite(b).all() for b in best_leaves)
        largest = max(largest, atol, _default_atol(size, scale))  # if none was found
        if 64 * unit * size / h * _SHRINK > largest / 2 or h < 1e-300:
            raise _NotSmooth(h, not finite)
        h /= _SHRINK


def _compare(mode: str, order: int, auto: Any, ref: Any, rtol: float, atol: float) -> None:
    la, _ = tree_flatten(auto)
    lr, _ = tree_flatten(ref)
    for a, r in zip(la, lr):
        a = _as_array(a)
        r = _as_array(r)
        if not np.allclose(a, r, rtol=rtol, atol=atol, equal_nan=False):
            scale = max(float(np.max(np.abs(r))) if r.size else 0.0, 1e-300)
            rel = float(np.max(np.abs(a - r))) / scale if a.size else 0.0
            raise GradCheckError(
                f"check_grads: {mode} at order {order} disagrees.\n"
                f"  automatic: {np.array2string(a, precision=10)}\n"
                f"  reference: {np.array2string(r, precision=10)}\n"
                f"  relative error {rel:.3e} (rtol={rtol:g}, atol={atol:g})"
            )


def _check(f, args, modes, order, level, rng, eps, rtol, atol_given) -> None:
    out = f(*args)
    value = _nonfinite_leaf(out)
    if value is not None:
        what = "the function" if level == 1 else f"its order-{level - 1} derivative"
        raise ValueError(
            f"check_grads: {what} is not finite at the point checked "
            f"({np.array2string(value, precision=6)}), so there is nothing to compare; "
            "check at a point where it is defined"
        )
    v = _random_like(args, rng)
    scale = max([1.0] + [float(np.max(np.abs(a))) for a in tree_flatten(args)[0] if a.size])
    try:
        numeric, size, _ = _numeric_dir(f, args, out, v, scale, eps, rtol, atol_given)
    except _NotSmooth as err:
        if err.nonfinite:
            raise ValueError(
                f"check_grads: the finite differences at order {level} are not finite at "
                f"any step down to {err.step:.1e}: the function has no finite value at "
                "some point that close to x along the random direction. Check at a point "
                "further from where it is undefined."
            ) from None
        raise ValueError(
            f"check_grads: the point is too close to a kink: at order {level} the finite "
            f"differences do not settle at any step down to {err.step:.1e}, so along the "
            "random direction the function is not smooth that close to the point (abs or "
            "a maximum at 0, a tie in max/min/sort, a jump), or it is computed in low "
            "precision (float32: pass a larger atol). Check at a point further from it."
        ) from None
    atol = _default_atol(size, scale) if atol_given is None else atol_given
    u = _random_like(out, rng)
    fwd = rev = None
    if "fwd" in modes:
        fwd = jvp(f, tuple(args), tuple(v))[1]
        _compare("forward mode (jvp vs finite differences)", level, fwd, numeric, rtol, atol)
    if "rev" in modes:
        _, vjp_fn = vjp(f, *args)
        rev = _inner(vjp_fn(u), v)
        ref = _inner(u, numeric)
        _compare("reverse mode (vjp vs finite differences)", level, rev, ref, rtol, atol)
    if fwd is not None and rev is not None:
        _compare("forward vs reverse mode", level, rev, _inner(u, fwd), rtol, atol)
    if order > 1:
        n = len(args)
        # The derivative functions are checked in all their arguments, as autograd's
        # checker does: the point and the tangent (or cotangent). A rule that is right
        # in x but wrong as a function of g (the cotangent's derivative dropped, say)
        # is caught only by the second.
        if "fwd" in modes:
            _check(
                lambda *a: jvp(f, tuple(a[:n]), tuple(a[n:]))[1],
                (*args, *v), modes, order - 1, level + 1, rng, eps, rtol, atol_given,
            )  # fmt: skip
        if "rev" in modes:
            _check(
                lambda *a: vjp(f, *a[:n])[1](a[n]),
                (*args, u), modes, order - 1, level + 1, rng, eps, rtol, atol_given,
            )  # fmt: skip


def _nonfinite_leaf(tree: Any) -> np.ndarray | None:
    """The first leaf of ``tree`` holding a NaN or an infinity (as a float array), or None."""
    for leaf in tree_flatten(tree)[0]:
        value = _as_array(leaf)
        if not np.isfinite(value).all():
            return value
    return None


def _check_tolerance(name: str, value: Any, positive: bool = False) -> None:
    """A step or tolerance must be a finite real number, > 0 (``positive``) or >= 0."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if ok and np.isfinite(value) and (value > 0 if positive else value >= 0):
        return
    bound = "> 0" if positive else ">= 0"
    raise ValueError(f"check_grads: {name} must be a finite number {bound}, got {value!r}")


def check_grads(
    fun: Callable,
    modes: Sequence[str] = ("fwd", "rev"),
    order: int = 2,
    *,
    eps: float = 1e-3,
    rtol: float = 1e-5,
    atol: float | None = None,
    seed: int = 0,
) -> Callable:
    """Return a checker that compares ``fun``'s automatic derivatives with finite differences.

    Calling the checker with arguments raises :class:`GradCheckError` naming the mode,
    the order, both values and the relative error when any check fails; it returns
    ``None`` when all pass. Every positional argument is differentiated.

    Args:
        fun: the function to check.
        modes: ``"fwd"``, ``"rev"`` or both (both also compares the modes with each other).
        order: check derivatives up to this order (2 checks the rules of the rules).
        eps: the first finite-difference step along the random direction, relative to
            the inputs' scale ``max(1, max |x|)``. Where the differences show a kink, a
            tie (max/min/sort) or a jump within the step (the estimates from the left
            and from the right disagree), or a point where ``fun`` is not finite, the
            step is divided by 4 until they agree; a point too close to a kink for any
            step is a ``ValueError`` that says so, never a false alarm.
        rtol: relative tolerance of the comparison.
        atol: absolute tolerance of the comparison. The default is 1e-6 times the largest
            ``|fun|`` near the point over the inputs' scale (at each order, of the
            function checked there), so a wrong rule is caught however small or large the
            function's values are.
        seed: seed of the random directions.

    Complex arguments are checked along complex directions (both ``d/dx`` and ``d/dy``),
    and complex outputs with complex cotangents. At order 2 the derivative functions are
    differentiated in the tangent and the cotangent too, as autograd's checker does: a
    rule that drops the derivative of its cotangent is caught there.

    >>> import numpy as np
    >>> import gradkit as gk
    >>> gk.check_grads(np.sin, order=2)(np.array([0.3, 1.2]))
    >>> gk.check_grads(np.min)(np.array([0.3, 0.3 + 1.6e-5, 1.2]))  # a near-tie: no false alarm
    >>> gk.check_grads(lambda z: np.abs(z) * z**2)(np.array([1 + 2j, -0.5j]))
    >>> @gk.primitive
    ... def bad_sin(x):
    ...     return np.sin(x)
    >>> gk.defvjp(bad_sin, lambda ans, x: lambda g: 1.01 * g * np.cos(x))
    >>> gk.check_grads(bad_sin, modes=("rev",), order=1)(np.array([0.3]))
    Traceback (most recent call last):
    ...
    gradkit.autodiff.errors.GradCheckError: check_grads: reverse mode ... at order 1 disagrees...
    """
    if isinstance(modes, str):
        modes = (modes,)
    if not isinstance(modes, (tuple, list)) or not all(isinstance(m, str) for m in modes):
        raise TypeError(
            f"check_grads: modes must be a tuple of 'fwd'/'rev', got {type(modes).__name__}. "
            "check_grads(fun, ...) returns a checker: call it with the arguments, "
            "check_grads(fun)(x), instead of passing them to check_grads."
        )
    bad = set(modes) - {"fwd", "rev"}
    if bad or not modes:
        raise ValueError(f"check_grads: modes must be 'fwd' and/or 'rev', got {tuple(modes)!r}")
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)):
        raise TypeError(f"check_grads: order must be a whole number, got {order!r}")
    if order < 1:
        raise ValueError(f"check_grads: order must be at least 1, got {order!r}")
    _check_tolerance("eps", eps, positive=True)
    _check_tolerance("rtol", rtol)
    if atol is not None:
        _check_tolerance("atol", atol)

    def checker(*args: Any) -> None:
        arrays = tuple(tree_map(_as_array, a) for a in args)
        for k, a in enumerate(arrays):
            if _nonfinite_leaf(a) is not None:
                raise ValueError(
                    f"check_grads: argument {k} is not finite ({a!r:.60}); derivatives are "
                    "checked at finite points"
                )
        rng = np.random.default_rng(seed)
        _check(fun, arrays, tuple(modes), int(order), 1, rng, eps, rtol, atol)

    return checker
