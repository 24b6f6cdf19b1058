"""A wide family of smooth functions of one variable, each with its exact derivative.

Each function is an expression tree: unary functions of affine arguments ``a u + b``,
sums and products, scaled and offset (``A g + C``: values much larger than their
variation), and functions that come out of cancellation (``cosh u - 1``,
``exp u - 1 - u``). The float version is plain NumPy; the exact derivative comes from
forward-mode dual numbers in mpmath at 50 digits on the same tree, independent of
gradkit.  ``functions()`` is a hypothesis strategy of ``(description, f, exact_df)``
where ``exact_df(x)`` returns an ``mpmath.mpf``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import mpmath
import numpy as np
from hypothesis import strategies as st

mpmath.mp.dps = 50


@dataclass(frozen=True)
class Dual:
    """``value + derivative * eps`` with mpmath numbers."""

    v: mpmath.mpf
    d: mpmath.mpf

    def __add__(self, o: Dual) -> Dual:
        return Dual(self.v + o.v, self.d + o.d)

    def __mul__(self, o: Dual) -> Dual:
        return Dual(self.v * o.v, self.d * o.v + self.v * o.d)


def _chain(f: Callable, df: Callable) -> Callable[[Dual], Dual]:
    return lambda u: Dual(f(u.v), df(u.v) * u.d)


mp = mpmath
# name -> (numpy function, dual function); all smooth on the whole real line
UNARY: dict[str, tuple[Callable, Callable[[Dual], Dual]]] = {
    "sin": (np.sin, _chain(mp.sin, mp.cos)),
    "cos": (np.cos, _chain(mp.cos, lambda u: -mp.sin(u))),
    "exp": (np.exp, _chain(mp.exp, mp.exp)),
    "tanh": (np.tanh, _chain(mp.tanh, lambda u: 1 / mp.cosh(u) ** 2)),
    "atan": (np.arctan, _chain(mp.atan, lambda u: 1 / (1 + u * u))),
    "sigmoid": (
        lambda u: 1 / (1 + np.exp(-u)),
        _chain(lambda u: 1 / (1 + mp.exp(-u)), lambda u: mp.exp(-u) / (1 + mp.exp(-u)) ** 2),
    ),
    "softplus": (
        lambda u: np.log1p(np.exp(u)),
        _chain(lambda u: mp.log(1 + mp.exp(u)), lambda u: 1 / (1 + mp.exp(-u))),
    ),
    "log1p_sq": (
        lambda u: np.log1p(u * u),
        _chain(lambda u: mp.log(1 + u * u), lambda u: 2 * u / (1 + u * u)),
    ),
    "hypot1": (
        lambda u: np.sqrt(1 + u * u),
        _chain(lambda u: mp.sqrt(1 + u * u), lambda u: u / mp.sqrt(1 + u * u)),
    ),
    "runge": (
        lambda u: 1 / (1 + u * u),
        _chain(lambda u: 1 / (1 + u * u), lambda u: -2 * u / (1 + u * u) ** 2),
    ),
    "square": (lambda u: u * u, _chain(lambda u: u * u, lambda u: 2 * u)),
    "cube": (lambda u: u**3, _chain(lambda u: u**3, lambda u: 3 * u * u)),
    "gauss": (
        lambda u: np.exp(-u * u),
        _chain(lambda u: mp.exp(-u * u), lambda u: -2 * u * mp.exp(-u * u)),
    ),
    # values out of cancellation: the noise is ulps of the terms, not of the result
    "cosh_m1": (lambda u: np.cosh(u) - 1, _chain(lambda u: mp.cosh(u) - 1, mp.sinh)),
    "exp_m1_mu": (
        lambda u: np.exp(u) - 1 - u,
        _chain(lambda u: mp.exp(u) - 1 - u, lambda u: mp.exp(u) - 1),
    ),
    "one_m_cos": (lambda u: 1 - np.cos(u), _chain(lambda u: 1 - mp.cos(u), mp.sin)),
}


@dataclass(frozen=True)
class Expr:
    """A node: ``x``, ``name(a * child + b)``, ``left + right`` or ``left * right``."""

    kind: str
    name: str = ""
    a: float = 1.0
    b: float = 0.0
    children: tuple[Expr, ...] = ()

    def numpy(self, x):
        if self.kind == "x":
            return x
        if self.kind == "unary":
            return UNARY[self.name][0](self.a * self.children[0].numpy(x) + self.b)
        left, right = (c.numpy(x) for c in self.children)
        return left + right if self.kind == "add" else left * right

    def dual(self, x: Dual) -> Dual:
        if self.kind == "x":
            return x
        if self.kind == "unary":
            inner = self.children[0].dual(x)
            return UNARY[self.name][1](
                Dual(mp.mpf(self.a), mp.mpf(0)) * inner + Dual(mp.mpf(self.b), mp.mpf(0))
            )
        left, right = (c.dual(x) for c in self.children)
        return left + right if self.kind == "add" else left * right

    def __str__(self) -> str:
        if self.kind == "x":
            return "x"
        if self.kind == "unary":
            return f"{self.name}({self.a!r}*{self.children[0]}+{self.b!r})"
        op = " + " if self.kind == "add" else " * "
        return f"({self.children[0]}{op}{self.children[1]})"


def _scales(lo: int, hi: int) -> st.SearchStrategy[float]:
    """Numbers of any sign between 10**lo and 10**hi in size, with a nice mantissa."""
    return st.builds(
        lambda m, e, s: s * m * 10.0**e,
        st.floats(1.0, 9.99, allow_nan=False).map(lambda m: round(m, 3)),
        st.integers(lo, hi),
        st.sampled_from([1.0, -1.0]),
    )


def _expr(depth: int) -> st.SearchStrategy[Expr]:
    leaf = st.just(Expr("x"))
    if depth == 0:
        return leaf
    child = _expr(depth - 1)
    unary = st.builds(
        lambda name, a, b, c: Expr("unary", name, a, b, (c,)),
        st.sampled_from(sorted(UNARY)),
        _scales(-1, 0),
        st.one_of(st.just(0.0), _scales(-2, 0)),
        child,
    )
    binary = st.builds(
        lambda kind, l, r: Expr(kind, children=(l, r)),
        st.sampled_from(["add", "mul"]),
        child,
        child,
    )
    return st.one_of(unary, unary, binary)


@dataclass(frozen=True)
class Case:
    """``f(x) = scale * g(x / length) + offset`` at a point, with its exact derivative."""

    expr: Expr
    scale: float
    offset: float
    length: float
    x: float

    def f(self, x):
        return self.scale * self.expr.numpy(x / self.length) + self.offset

    def exact(self) -> mpmath.mpf:
        x = mp.mpf(self.x)
        inner = Dual(x / mp.mpf(self.length), 1 / mp.mpf(self.length))
        return mp.mpf(self.scale) * self.expr.dual(inner).d

    def __str__(self) -> str:
        return (
            f"{self.scale!r} * g(x / {self.length!r}) + {self.offset!r} at x = {self.x!r}, "
            f"g(x) = {self.expr}"
        )


@st.composite
def cases(draw) -> Case:
    """A smooth function (scaled, offset, stretched) and a point: see the module doc.

    The length scale is 1e-3 to 1e6. Points are on the function's own scale (0.01 to
    10 lengths from 0), or, for lengths of 0.1 or more, also near 0 in it (1e-9 to 1e-3
    lengths) or at 0. A function that varies on a length far below ``max(|x|, 1)`` at a
    point nearer 0 than that length is beyond what steps of ``|x|``'s or 1's scale can
    resolve, and is left out.
    """
    expr = draw(_expr(draw(st.integers(1, 3))))
    scale = draw(st.one_of(st.just(1.0), _scales(-12, 12)))
    length = draw(st.one_of(st.just(1.0), _scales(-3, 6).map(abs)))
    near = [_scales(-9, -3), st.just(0.0)] if length >= 0.1 else []
    r = draw(st.one_of(_scales(-2, 0), *near))
    x = float(r * length)
    f0 = abs(float(scale * expr.numpy(np.float64(r))))
    offset = draw(
        st.one_of(
            st.just(0.0),
            st.just(0.0),
            st.sampled_from([1.0, 1e3, 1e6]).map(lambda k: k * max(f0, 1e-300)),
        )
    )
    return Case(expr, scale, offset, length, x)


def is_tame(case: Case) -> bool:
    """f and its exact derivative are finite and of float range at the point."""
    with np.errstate(all="ignore"):
        fx = case.f(np.float64(case.x))
        wide = case.f(np.float64(case.x) + np.array([-1.0, 1.0]) * max(abs(case.x), 1.0))
    if not np.all(np.isfinite(wide)):
        return False  # overflows within the steps the search starts with
    if not np.isfinite(fx):
        return False
    try:
        d = case.exact()
    except (OverflowError, ValueError, ZeroDivisionError):
        return False
    return mp.isfinite(d) and abs(d) < 1e300 and math.isfinite(float(fx))
