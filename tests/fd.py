"""An independent finite-difference oracle for the engine tests.

Plain NumPy only: nothing here imports gradkit, so the engine is never checked against
itself. Derivatives use the five-point central stencil

    f'(x) ~ (f(x - 2h) - 8 f(x - h) + 8 f(x + h) - f(x + 2h)) / (12 h),

whose truncation error is O(h^4); with h = 1e-3 that is about 1e-10 relative for the
smooth functions the tests use, far below the tolerances they assert.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

H = 1e-3


def _stencil(phi: Callable[[float], np.ndarray], h: float) -> np.ndarray:
    """Five-point central difference of the one-variable function ``phi`` at 0."""
    return (phi(-2 * h) - 8 * phi(-h) + 8 * phi(h) - phi(2 * h)) / (12 * h)


def directional(f: Callable, args: tuple, dirs: tuple, h: float = H) -> np.ndarray:
    """d/ds f(args + s * dirs) at s = 0, for an array-valued ``f`` of several arrays."""
    base = [np.asarray(a, dtype=float) for a in args]
    vs = [np.asarray(v, dtype=float) for v in dirs]

    def phi(s: float) -> np.ndarray:
        return np.asarray(f(*[b + s * v for b, v in zip(base, vs)]), dtype=float)

    return _stencil(phi, h)


def jacobian(f: Callable, args: tuple, argnum: int = 0, h: float = H) -> np.ndarray:
    """The Jacobian of ``f`` with respect to ``args[argnum]``, shape ``out.shape + x.shape``.

    One directional difference per input element, along the unit vector of that element.
    """
    base = [np.asarray(a, dtype=float) for a in args]
    x = base[argnum]
    out_shape = np.shape(f(*base))
    cols = []
    for k in range(x.size):
        e = np.zeros(x.size)
        e[k] = 1.0
        dirs = [np.zeros_like(b) for b in base]
        dirs[argnum] = e.reshape(x.shape)
        cols.append(directional(f, tuple(base), tuple(dirs), h).reshape(-1))
    if not cols:
        return np.zeros(out_shape + x.shape)
    jac = np.stack(cols, axis=-1)
    return jac.reshape(out_shape + x.shape)


def gradient(f: Callable, args: tuple, argnum: int = 0, h: float = H) -> np.ndarray:
    """The gradient of scalar ``f`` with respect to ``args[argnum]`` (shape of that arg)."""
    x = np.asarray(args[argnum], dtype=float)
    return jacobian(f, args, argnum, h).reshape(x.shape)


def second_derivative(f: Callable[[float], float], x: float, h: float = 1e-3) -> float:
    """f''(x) of a scalar function by the five-point second-difference stencil."""
    return (-f(x - 2 * h) + 16 * f(x - h) - 30 * f(x) + 16 * f(x + h) - f(x + 2 * h)) / (12 * h * h)


def hessian(f: Callable, x: np.ndarray, h: float = 1e-3) -> np.ndarray:
    """The Hessian of scalar ``f`` at ``x``: central differences of central differences."""
    x = np.asarray(x, dtype=float)

    def grad_at(y: np.ndarray) -> np.ndarray:
        return gradient(f, (y,), 0, h)

    return jacobian(grad_at, (x,), 0, h)
