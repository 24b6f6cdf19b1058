"""Test functions for optimizers, with closed-form gradients and Hessians.

Each function is an :class:`Objective`: call it on a vector ``f(x)``, or with one
argument per coordinate, ``f(x, y)``, the tutorial's style. Both forms broadcast, so
a contour plot is ``Z = f(X, Y)`` over a meshgrid (or ``f(np.stack([X, Y]))``: the
first axis holds the coordinates). The value is plain NumPy arithmetic, so
``gk.grad(f)`` differentiates it; ``f.grad`` and ``f.hessian`` are the closed forms
(shapes ``(n, ...)`` and ``(n, n, ...)``), ``f.minimum`` the list of minimizers,
``f.domain`` the plotting box ``((xmin, xmax), (ymin, ymax))``.

>>> import numpy as np
>>> rosenbrock(np.array([1.0, 1.0])), rosenbrock(-1.5, -1.5)
(0.0, 1412.5)
>>> rosenbrock.grad(-1.5, -1.5)                  # the tutorial's rosenbrock_gradient
array([-2255.,  -750.])
>>> X, Y = np.meshgrid(np.linspace(-2, 2, 5), np.linspace(-1, 3, 4))
>>> rosenbrock(X, Y).shape
(4, 5)
>>> rosenbrock(np.ones(5)), rosenbrock.hessian(np.ones(3)).shape   # n-d Rosenbrock
(0.0, (3, 3))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = [
    "Objective",
    "rosenbrock",
    "beale",
    "himmelblau",
    "booth",
    "ill_conditioned_quadratic",
    "saddle",
    "rastrigin",
    "ALL",
    "get",
]

Box = tuple[tuple[float, float], tuple[float, float]]


class Objective:
    """A test function: value, closed-form gradient and Hessian, known minimizers.

    Attributes:
        name: short name (``"rosenbrock"``).
        formula: the formula as text.
        dim: the number of variables, or ``None`` for any ``n >= min_dim``.
        min_dim: the smallest number of variables accepted.
        domain: the plotting box ``((xmin, xmax), (ymin, ymax))``.
        min_value: the value at the minimizers (``None`` if unbounded below).
        minimum: the list of minimizers for two variables (see :meth:`minimizers`).
    """

    def __init__(
        self,
        name: str,
        formula: str,
        value: Callable[[Any], Any],
        grad: Callable[[np.ndarray], np.ndarray],
        hessian: Callable[[np.ndarray], np.ndarray],
        minimizers: Callable[[int], list[np.ndarray]],
        domain: Box,
        dim: int | None = 2,
        min_dim: int = 2,
        min_value: float | None = 0.0,
    ) -> None:
        self.name = name
        self.formula = formula
        self._value = value
        self._grad = grad
        self._hessian = hessian
        self._minimizers = minimizers
        self.domain = domain
        self.dim = dim
        self.min_dim = min_dim if dim is None else dim
        self.min_value = min_value
        self.__doc__ = f"The {name} function: f = {formula}."

    def __repr__(self) -> str:
        return f"<Objective {self.name}: {self.formula}>"

    @property
    def minimum(self) -> list[np.ndarray]:
        """The minimizers in two dimensions (or in ``dim``); empty if there are none.

        >>> booth.minimum
        [array([1., 3.])]
        """
        return self._minimizers(self.dim or 2)

    def minimizers(self, n: int | None = None) -> list[np.ndarray]:
        """Return the list of minimizers for ``n`` variables (default: ``dim`` or 2).

        >>> rosenbrock.minimizers(4)
        [array([1., 1., 1., 1.])]
        """
        if n is None:
            n = self.dim or 2
        self._check_n(n)
        return self._minimizers(n)

    def _check_n(self, n: int) -> None:
        if self.dim is not None and n != self.dim:
            raise ValueError(
                f"{self.name} takes {self.dim} variables, got {n}: pass a vector of length "
                f"{self.dim} or {self.dim} coordinate arguments"
            )
        if n < self.min_dim:
            raise ValueError(f"{self.name} needs at least {self.min_dim} variables, got {n}")

    def _coords(self, args: tuple) -> Any:
        """Return what the value function indexes: a vector-like or a tuple of coordinates."""
        if not args:
            raise TypeError(f"{self.name}() needs a vector x or the coordinates x, y, ...")
        for a in args:
            _check_real(a, self.name)
        if len(args) > 1:
            self._check_n(len(args))
            return tuple(
                _plain(a, self.name) if isinstance(a, (list, tuple)) else _no_ints(a) for a in args
            )
        x = _no_ints(args[0])
        if isinstance(x, (list, tuple)):
            x = _plain(x, self.name)
        shape = getattr(x, "shape", None)
        if shape is None or len(shape) == 0:
            raise ValueError(
                f"{self.name} takes a vector (its first axis holds the coordinates) or one "
                f"argument per coordinate; got the scalar {args[0]!r}"
            )
        self._check_n(shape[0])
        return x

    def _vector(self, args: tuple) -> np.ndarray:
        coords = self._coords(args)
        if isinstance(coords, tuple):
            return np.stack(np.broadcast_arrays(*(_plain(c, self.name) for c in coords)))
        return _plain(coords, self.name)

    def __call__(self, *args: Any) -> Any:
        """Return the value at ``x`` (a vector) or at the coordinates ``x, y, ...``.

        A plain scalar input gives a Python ``float``; arrays give arrays.

        >>> booth(1.0, 3.0)
        0.0
        """
        out = self._value(self._coords(args))
        if isinstance(out, np.ndarray) and out.ndim == 0:
            return float(out)
        if isinstance(out, (np.floating, float)):
            return float(out)
        return out

    def grad(self, *args: Any) -> np.ndarray:
        """Return the closed-form gradient, shape ``(n, ...)``.

        >>> himmelblau.grad(np.array([3.0, 2.0]))
        array([0., 0.])
        """
        return self._grad(self._vector(args))

    def hessian(self, *args: Any) -> np.ndarray:
        """Return the closed-form Hessian, shape ``(n, n, ...)``.

        >>> booth.hessian(0.0, 0.0)
        array([[10.,  8.],
               [ 8., 10.]])
        """
        return self._hessian(self._vector(args))

    def grid(self, num: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return ``X, Y, Z`` over :attr:`domain` (``num`` points a side) for contour plots.

        >>> X, Y, Z = beale.grid(50)
        >>> Z.shape
        (50, 50)
        """
        if isinstance(num, bool) or not isinstance(num, (int, np.integer)):
            raise TypeError(f"grid: num must be a whole number of points; got {num!r}")
        if not 2 <= num <= _MAX_GRID:
            raise ValueError(
                f"grid: num must lie in [2, {_MAX_GRID}] points a side (num**2 points in all); "
                f"got {num}"
            )
        (x0, x1), (y0, y1) = self.domain
        X, Y = np.meshgrid(np.linspace(x0, x1, num), np.linspace(y0, y1, num))
        return X, Y, self(X, Y)


#: The most points a side :meth:`Objective.grid` makes: 5000**2 points are 600 MB of X,
#: Y and Z; more would only exhaust memory.
_MAX_GRID = 5000


def _no_ints(x: Any) -> Any:
    """Integers become floats (so (10**6)**4 cannot overflow), Python numbers NumPy
    floats (so 1e200**2 is inf with NumPy's warning, as for arrays, not OverflowError);
    anything else is kept."""
    if isinstance(x, np.ndarray) and x.dtype.kind in "biu":
        return x.astype(float)
    if isinstance(x, (int, float, np.integer)):
        return np.float64(x)
    return x


def _check_real(x: Any, name: str) -> None:
    """Refuse complex input: the test functions and their minima are real."""
    if (
        isinstance(x, complex)
        or (isinstance(x, (np.ndarray, np.generic)) and x.dtype.kind == "c")
        or (isinstance(x, (list, tuple)) and any(isinstance(e, complex) for e in x))
    ):
        raise TypeError(f"{name} takes real numbers; got the complex value {x!r}")


def _plain(x: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected numbers, got {x!r}") from None
    return arr


def _matrix(rows: Sequence[Sequence[Any]], like: np.ndarray) -> np.ndarray:
    """Stack nested entries (numbers or arrays shaped like one coordinate) into an array."""
    shape = like.shape[1:]
    return np.array([[np.broadcast_to(np.asarray(e, dtype=float), shape) for e in r] for r in rows])


def _vec(entries: Sequence[Any], like: np.ndarray) -> np.ndarray:
    shape = like.shape[1:]
    return np.array([np.broadcast_to(np.asarray(e, dtype=float), shape) for e in entries])


def _single(point: Sequence[float]) -> Callable[[int], list[np.ndarray]]:
    return lambda n: [np.array(point, dtype=float)]


# ---- Rosenbrock, any n >= 2 ---------------------------------------------------------


def _rosenbrock_value(x: Any) -> Any:
    if isinstance(x, tuple):
        pairs = zip(x[:-1], x[1:], strict=True)
        return sum(100.0 * (b - a**2) ** 2 + (1.0 - a) ** 2 for a, b in pairs)
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2, axis=0)


def _rosenbrock_grad(x: np.ndarray) -> np.ndarray:
    g = np.zeros_like(x)
    inner = x[1:] - x[:-1] ** 2
    g[:-1] += -400.0 * x[:-1] * inner - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * inner
    return g


def _rosenbrock_hessian(x: np.ndarray) -> np.ndarray:
    n = x.shape[0]
    h = np.zeros((n, n) + x.shape[1:])
    diag = np.zeros_like(x)
    diag[:-1] += 1200.0 * x[:-1] ** 2 - 400.0 * x[1:] + 2.0
    diag[1:] += 200.0
    idx = np.arange(n)
    h[idx, idx] = diag
    h[idx[:-1], idx[1:]] = -400.0 * x[:-1]
    h[idx[1:], idx[:-1]] = -400.0 * x[:-1]
    return h


rosenbrock = Objective(
    "rosenbrock",
    "sum_i 100 (x[i+1] - x[i]**2)**2 + (1 - x[i])**2",
    _rosenbrock_value,
    _rosenbrock_grad,
    _rosenbrock_hessian,
    lambda n: [np.ones(n)],
    domain=((-2.0, 2.0), (-2.0, 2.0)),
    dim=None,
    min_dim=2,
)


# ---- Sums of squared residuals in two variables -------------------------------------


def _beale_parts(x: np.ndarray) -> tuple[list, list, list]:
    u, v = x[0], x[1]
    r = [1.5 - u + u * v, 2.25 - u + u * v**2, 2.625 - u + u * v**3]
    jac = [[v - 1.0, u], [v**2 - 1.0, 2.0 * u * v], [v**3 - 1.0, 3.0 * u * v**2]]
    hess = [
        [[0.0, 1.0], [1.0, 0.0]],
        [[0.0, 2.0 * v], [2.0 * v, 2.0 * u]],
        [[0.0, 3.0 * v**2], [3.0 * v**2, 6.0 * u * v]],
    ]
    return r, jac, hess


def _himmelblau_parts(x: np.ndarray) -> tuple[list, list, list]:
    u, v = x[0], x[1]
    r = [u**2 + v - 11.0, u + v**2 - 7.0]
    jac = [[2.0 * u, 1.0], [1.0, 2.0 * v]]
    hess = [[[2.0, 0.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 2.0]]]
    return r, jac, hess


def _booth_parts(x: np.ndarray) -> tuple[list, list, list]:
    u, v = x[0], x[1]
    r = [u + 2.0 * v - 7.0, 2.0 * u + v - 5.0]
    jac = [[1.0, 2.0], [2.0, 1.0]]
    hess = [[[0.0, 0.0], [0.0, 0.0]]] * 2
    return r, jac, hess


def _least_squares(parts: Callable) -> tuple[Callable, Callable, Callable]:
    """Value, gradient and Hessian of ``sum r_i**2`` from residuals, Jacobians, Hessians."""

    def value(x: Any) -> Any:
        r, _, _ = parts(x)
        total = r[0] ** 2
        for ri in r[1:]:
            total = total + ri**2
        return total

    def grad(x: np.ndarray) -> np.ndarray:
        r, jac, _ = parts(x)
        return sum(2.0 * ri * _vec(ji, x) for ri, ji in zip(r, jac, strict=True))

    def hessian(x: np.ndarray) -> np.ndarray:
        r, jac, hess = parts(x)
        total = 0.0
        for ri, ji, hi in zip(r, jac, hess, strict=True):
            j = _vec(ji, x)
            total = total + 2.0 * (j[:, None] * j[None, :] + ri * _matrix(hi, x))
        return total

    return value, grad, hessian


beale = Objective(
    "beale",
    "(1.5 - x + x y)**2 + (2.25 - x + x y**2)**2 + (2.625 - x + x y**3)**2",
    *_least_squares(_beale_parts),
    _single((3.0, 0.5)),
    domain=((-4.5, 4.5), (-4.5, 4.5)),
)

HIMMELBLAU_MINIMA = (
    (3.0, 2.0),
    (-2.805118086952745, 3.131312518250573),
    (-3.779310253377747, -3.283185991286169),
    (3.5844283403304917, -1.8481265269644034),
)

himmelblau = Objective(
    "himmelblau",
    "(x**2 + y - 11)**2 + (x + y**2 - 7)**2",
    *_least_squares(_himmelblau_parts),
    lambda n: [np.array(p) for p in HIMMELBLAU_MINIMA],
    domain=((-5.0, 5.0), (-5.0, 5.0)),
)

booth = Objective(
    "booth",
    "(x + 2 y - 7)**2 + (2 x + y - 5)**2",
    *_least_squares(_booth_parts),
    _single((1.0, 3.0)),
    domain=((-10.0, 10.0), (-10.0, 10.0)),
)


# ---- Quadratics ------------------------------------------------------------------------

CONDITION_NUMBER = 100.0


def _quad_hessian(diagonal: tuple[float, float]) -> Callable[[np.ndarray], np.ndarray]:
    return lambda x: _matrix([[diagonal[0], 0.0], [0.0, diagonal[1]]], x)


ill_conditioned_quadratic = Objective(
    "ill_conditioned_quadratic",
    f"(x**2 + {CONDITION_NUMBER:g} y**2) / 2  (condition number {CONDITION_NUMBER:g})",
    lambda x: 0.5 * (x[0] ** 2 + CONDITION_NUMBER * x[1] ** 2),
    lambda x: _vec([x[0], CONDITION_NUMBER * x[1]], x),
    _quad_hessian((1.0, CONDITION_NUMBER)),
    _single((0.0, 0.0)),
    domain=((-2.0, 2.0), (-2.0, 2.0)),
)

saddle = Objective(
    "saddle",
    "x**2 - y**2  (a saddle at the origin, unbounded below)",
    lambda x: x[0] ** 2 - x[1] ** 2,
    lambda x: _vec([2.0 * x[0], -2.0 * x[1]], x),
    _quad_hessian((2.0, -2.0)),
    lambda n: [],
    domain=((-2.0, 2.0), (-2.0, 2.0)),
    min_value=None,
)


# ---- Rastrigin, any n >= 1 -----------------------------------------------------------


def _rastrigin_value(x: Any) -> Any:
    if isinstance(x, tuple):
        return 10.0 * len(x) + sum(xi**2 - 10.0 * np.cos(2.0 * np.pi * xi) for xi in x)
    return 10.0 * x.shape[0] + np.sum(x**2 - 10.0 * np.cos(2.0 * np.pi * x), axis=0)


def _rastrigin_hessian(x: np.ndarray) -> np.ndarray:
    n = x.shape[0]
    h = np.zeros((n, n) + x.shape[1:])
    idx = np.arange(n)
    h[idx, idx] = 2.0 + 40.0 * np.pi**2 * np.cos(2.0 * np.pi * x)
    return h


rastrigin = Objective(
    "rastrigin",
    "10 n + sum_i x[i]**2 - 10 cos(2 pi x[i])",
    _rastrigin_value,
    lambda x: 2.0 * x + 20.0 * np.pi * np.sin(2.0 * np.pi * x),
    _rastrigin_hessian,
    lambda n: [np.zeros(n)],
    domain=((-5.12, 5.12), (-5.12, 5.12)),
    dim=None,
    min_dim=1,
)

ALL: dict[str, Objective] = {
    f.name: f
    for f in (rosenbrock, beale, himmelblau, booth, ill_conditioned_quadratic, saddle, rastrigin)
}


def get(name: str) -> Objective:
    """Return the test function called ``name`` (see :data:`ALL` for the names).

    >>> get("himmelblau").minimum[0]
    array([3., 2.])
    """
    try:
        return ALL[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"no test function named {name!r}; choose one of {', '.join(ALL)}"
        ) from None
