"""Run an optimizer on a function of a vector and keep the whole trajectory.

>>> import gradkit as gk
>>> from gradkit.functions import booth
>>> res = minimize(booth, [0.0, 0.0], gk.optim.sgd(0.05), steps=500, grad=booth.grad)
>>> res.converged, res.x.round(6)
(True, array([1., 3.]))
>>> res.trajectory.shape == (res.n_iter + 1, 2)
True
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from gradkit.optim.base import GradientTransformation, apply_updates

__all__ = ["MinimizeResult", "minimize"]


@dataclass(frozen=True)
class MinimizeResult:
    """What :func:`minimize` returns.

    Attributes:
        x: the last iterate (shape of ``x0``).
        fun: ``f(x)``.
        trajectory: the iterates, one row per point, ``(n_iter + 1, n)``, row 0 is ``x0``.
        values: ``f`` at each row of the trajectory.
        grad_norms: the gradient's 2-norm at each row of the trajectory.
        n_iter: the number of updates made.
        converged: True if a gradient norm fell below ``tol``.
        diverged: True if a value, gradient or iterate became NaN or infinite.
        diverged_at: the trajectory row where that happened, else ``None``.
        message: a one-line account of why the run stopped.
    """

    x: np.ndarray
    fun: float
    trajectory: np.ndarray
    values: np.ndarray
    grad_norms: np.ndarray
    n_iter: int
    converged: bool
    diverged: bool
    diverged_at: int | None
    message: str

    def __repr__(self) -> str:
        return (
            f"MinimizeResult(x={np.array2string(self.x, precision=6)}, fun={self.fun:.6g}, "
            f"n_iter={self.n_iter}, converged={self.converged}, diverged={self.diverged}, "
            f"message={self.message!r})"
        )


def _check_x0(x0: Any, f: Callable) -> np.ndarray:
    try:
        x = np.array(x0, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"x0 must be a vector of numbers; got {x0!r}") from None
    if x.ndim > 1:
        raise ValueError(
            f"x0 must be a vector (1-D) or a scalar; got shape {x.shape}. "
            "Flatten the parameters (x0.ravel()) and reshape inside f"
        )
    if x.size == 0:
        raise ValueError("x0 is empty; pass the starting point, e.g. x0=[-1.5, -1.5]")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"x0 must be finite; got {x}")
    dim = getattr(f, "dim", None)
    min_dim = getattr(f, "min_dim", None)
    n = x.size if x.ndim else 1
    if isinstance(dim, int) and n != dim:
        raise ValueError(f"{getattr(f, 'name', 'f')} takes {dim} variables but x0 has {n}")
    if isinstance(min_dim, int) and n < min_dim:
        name = getattr(f, "name", "f")
        raise ValueError(f"{name} needs at least {min_dim} variables; x0 has {n}")
    return x


def _scalar_value(value: Any, where: str) -> float:
    if np.ndim(value) != 0:
        raise ValueError(
            f"f must return a scalar; at {where} it returned shape {np.shape(value)}. "
            "Reduce it (e.g. np.sum or np.mean) to minimize it"
        )
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"f must return a number; at {where} it returned {value!r}") from None


def _value_and_grad(f: Callable, grad: Callable | None) -> Callable:
    if grad is not None:
        if not callable(grad):
            raise TypeError(f"grad must be a function x -> gradient; got {grad!r}")
        return lambda x: (f(x), grad(x))
    try:
        from gradkit.autodiff import value_and_grad
    except ImportError:  # pragma: no cover - only before the engine exists
        raise RuntimeError(
            "gradkit's autodiff engine is not available; pass grad=<closed-form gradient>"
        ) from None
    return value_and_grad(f)


def minimize(
    f: Callable[[np.ndarray], Any],
    x0: Any,
    optimizer: GradientTransformation,
    steps: int = 1000,
    tol: float = 1e-6,
    callback: Callable[[int, np.ndarray, float], Any] | None = None,
    grad: Callable[[np.ndarray], Any] | None = None,
) -> MinimizeResult:
    """Minimize ``f`` from ``x0`` with ``optimizer``; return the run as a :class:`MinimizeResult`.

    At each iterate the value and the gradient are computed (by ``gk.value_and_grad``
    unless ``grad`` is given); the run stops when the gradient norm is below ``tol``
    (``converged``), after ``steps`` updates, when ``callback`` returns True, or when a
    value, gradient or iterate is NaN or infinite (``diverged``; no exception). The
    gradient test comes before the step, so a run that starts at a stationary point makes
    no update (the tutorial's loops step first and test the old gradient after).

    Args:
        f: a function of a vector (or of a scalar, if ``x0`` is one) returning a scalar.
        x0: the starting point; ``f`` receives arrays of this shape.
        optimizer: a gradkit optimizer, e.g. ``gk.optim.adam(0.01)``.
        steps: the largest number of updates (>= 0).
        tol: stop once the gradient's 2-norm is below this (>= 0; 0 never stops early).
        callback: called as ``callback(k, x_k, f(x_k))`` after each iterate is recorded;
            returning True stops the run.
        grad: a closed-form gradient ``x -> grad f(x)``, used instead of autodiff.

    >>> import gradkit as gk
    >>> quad = lambda x: (x[0] - 3.0) ** 2 + x[1] ** 2
    >>> res = minimize(quad, [0.0, 1.0], gk.optim.sgd(0.5), grad=lambda x: 2 * (x - [3, 0]))
    >>> res.x, res.n_iter
    (array([3., 0.]), 1)
    """
    if not isinstance(optimizer, GradientTransformation):
        raise TypeError(
            f"optimizer must be a gradkit optimizer such as gk.optim.sgd(0.01); got {optimizer!r}"
        )
    if not callable(f):
        raise TypeError(f"f must be a function of a vector; got {f!r}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be an int >= 0; got {steps!r}")
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not tol >= 0:
        raise ValueError(f"tol must be a number >= 0; got {tol!r}")
    x = _check_x0(x0, f)
    value_and_grad = _value_and_grad(f, grad)
    with np.errstate(all="ignore"):
        _scalar_value(f(x.copy()), "x0")
    state = optimizer.init(x)

    points, values, norms = [], [], []
    converged = diverged = False
    diverged_at = None
    message = f"reached the step limit ({steps})"
    k = 0
    while True:
        with np.errstate(all="ignore"):
            value, g = value_and_grad(x)
            value = _scalar_value(value, f"step {k}")
            g = np.asarray(g, dtype=float)
            if g.shape != x.shape:
                raise ValueError(
                    f"the gradient has shape {g.shape} but x has shape {x.shape}; "
                    "grad must return an array shaped like x"
                )
            norm = float(np.sqrt(np.sum(g * g)))
        points.append(x.reshape(-1).copy())
        values.append(value)
        norms.append(norm)
        if not (math.isfinite(value) and math.isfinite(norm) and np.all(np.isfinite(x))):
            diverged, diverged_at = True, k
            message = f"diverged at step {k}: a value, gradient or iterate is NaN or infinite"
            break
        if norm < tol:
            converged = True
            message = f"converged at step {k}: gradient norm {norm:.3g} < tol {tol:g}"
            break
        if callback is not None and callback(k, x.copy(), value):
            message = f"stopped by the callback at step {k}"
            break
        if k == steps:
            break
        with np.errstate(all="ignore"):
            if getattr(optimizer.update, "needs_value_and_grad", False):  # L-BFGS
                updates, state = optimizer.update(g, state, x, value_and_grad=value_and_grad)
            else:
                updates, state = optimizer.update(g, state, x)
            x = np.asarray(apply_updates(x, updates), dtype=float)
        k += 1

    return MinimizeResult(
        x=x,
        fun=values[-1],
        trajectory=np.array(points),
        values=np.array(values),
        grad_norms=np.array(norms),
        n_iter=k,
        converged=converged,
        diverged=diverged,
        diverged_at=diverged_at,
        message=message,
    )
