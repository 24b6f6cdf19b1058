"""check_grads: automatic derivatives checked against finite differences.

Along a random direction ``v`` the forward-mode derivative must equal a Richardson-
extrapolated central difference of ``s -> f(x + s v)``; for a random output cotangent
``u`` the reverse-mode product must satisfy ``<vjp(u), v> = <u, df(x)[v]>``; and the two
modes must agree with each other. Higher orders repeat the check on the derivative
functions themselves, so second-order rules are checked in every mix of modes.
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
    def draw(x: Any) -> Any:
        v = np.asarray(value_of(x))
        return rng.standard_normal(v.shape).astype(v.dtype if v.dtype.kind == "f" else float)

    return tree_map(draw, tree)


def _inner(a: Any, b: Any) -> float:
    la, _ = tree_flatten(a)
    lb, _ = tree_flatten(b)
    return float(sum(np.sum(np.asarray(x) * np.asarray(y)) for x, y in zip(la, lb)))


def _numeric_dir(f: Callable, args: tuple, v: tuple, eps: float) -> Any:
    """Directional derivative by central differences with two Richardson steps."""

    sizes = [0.0]  # the largest |f| met: the scale of the differences' rounding

    def at(s: float) -> list:
        moved = tree_map(lambda x, d: np.asarray(x) + s * d, args, v)
        leaves, _ = tree_flatten(f(*moved))
        values = [np.asarray(value_of(leaf), dtype=float) for leaf in leaves]
        sizes.extend(float(np.max(np.abs(a))) for a in values if a.size)
        return values

    _, out_def = tree_flatten(f(*args))

    def central(h: float) -> list:
        plus, minus = at(h), at(-h)
        return [(p - m) / (2 * h) for p, m in zip(plus, minus)]

    d1, d2, d4 = central(eps), central(eps / 2), central(eps / 4)
    r1 = [(4 * b - a) / 3 for a, b in zip(d1, d2)]
    r2 = [(4 * b - a) / 3 for a, b in zip(d2, d4)]
    best = [(16 * b - a) / 15 for a, b in zip(r1, r2)]
    return tree_unflatten(out_def, best), max(sizes)


def _compare(mode: str, order: int, auto: Any, ref: Any, rtol: float, atol: float) -> None:
    la, _ = tree_flatten(auto)
    lr, _ = tree_flatten(ref)
    for a, r in zip(la, lr):
        a = np.asarray(value_of(a), dtype=float)
        r = np.asarray(r, dtype=float)
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
    v = _random_like(args, rng)
    numeric, size = _numeric_dir(f, args, v, eps)
    atol = atol_given
    if atol is None:
        # relative to f's own size: a fixed 1e-6 let any error pass when f is small
        # (a rule of the wrong sign for 1e-6 sin(x)); 1e-6 |f| is still far above the
        # rounding of the differences (about 1e-16 |f| / eps)
        atol = 1e-6 * size
    out = f(*args)
    value = _nonfinite_leaf(out)
    if value is not None:
        what = "the function" if level == 1 else f"its order-{level - 1} derivative"
        raise ValueError(
            f"check_grads: {what} is not finite at the point checked "
            f"({np.array2string(value, precision=6)}), so there is nothing to compare; "
            "check at a point where it is defined"
        )
    value = _nonfinite_leaf(numeric)
    if value is not None:
        raise ValueError(
            f"check_grads: the finite differences at order {level} are not finite "
            f"({np.array2string(value, precision=6)}): the function has no finite value "
            "at some point within eps of x along the random direction. Check at a "
            "point further from where it is undefined, or pass a smaller eps."
        )
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
        if "fwd" in modes:
            _check(
                lambda *a: jvp(f, tuple(a), tuple(v))[1],
                args, modes, order - 1, level + 1, rng, eps, rtol, atol_given,
            )  # fmt: skip
        if "rev" in modes:
            _check(
                lambda *a: vjp(f, *a)[1](u),
                args, modes, order - 1, level + 1, rng, eps, rtol, atol_given,
            )  # fmt: skip


def _nonfinite_leaf(tree: Any) -> np.ndarray | None:
    """The first leaf of ``tree`` holding a NaN or an infinity (as a float array), or None."""
    for leaf in tree_flatten(tree)[0]:
        value = np.asarray(value_of(leaf), dtype=float)
        if not np.isfinite(value).all():
            return value
    return None


def _check_tolerance(name: str, value: Any, positive: bool = False) -> None:
    """A step or tolerance must be a finite real number, > 0 (``positive``) or >= 0."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, bool
    )
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
        eps: finite-difference step along the random direction.
        rtol, atol: tolerances of the comparison. The default ``atol`` is 1e-6 times the
            largest ``|fun|`` near the point (at each order, of the function checked
            there), so a wrong rule is caught however small the function's values are.
        seed: seed of the random directions.

    >>> import numpy as np
    >>> import gradkit as gk
    >>> gk.check_grads(np.sin, order=2)(np.array([0.3, 1.2]))
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
        arrays = tuple(tree_map(lambda x: np.asarray(x, dtype=float), a) for a in args)
        for k, a in enumerate(arrays):
            if _nonfinite_leaf(a) is not None:
                raise ValueError(
                    f"check_grads: argument {k} is not finite ({a!r:.60}); derivatives are "
                    "checked at finite points"
                )
        rng = np.random.default_rng(seed)
        _check(fun, arrays, tuple(modes), int(order), 1, rng, eps, rtol, atol)

    return checker
