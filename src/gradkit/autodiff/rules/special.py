"""Derivative rules for ``scipy.special``'s ufuncs (loaded on first sight of one).

SciPy's special functions are NumPy ufuncs, so a traced value reaches them through
``__array_ufunc__`` like ``np.sin``. This module imports SciPy, so the engine imports it
only when a ufunc it does not know arrives while ``scipy.special`` is already loaded
(``numpy_api.apply_ufunc``): ``import gradkit`` never imports SciPy.

Each derivative is a closed form written with ``scipy.special`` ufuncs and NumPy, so it is
differentiable again (second and higher order work). Conventions:

- Order-like arguments (the ``n`` of ``yn``, the ``v`` of ``jv``/``iv``/``kv``, the ``a``
  and ``b`` of ``gammainc``/``betainc``, the ``s`` of ``zeta``) are constants: gradkit
  differentiates in ``x`` only, and a traced order raises :class:`NoRuleError` naming the
  argument, at the call.
- ``xlogy(x, y)``: ``d/dy = x / y`` is taken as 0 where ``x == 0`` (the function is 0
  there), so ``xlogy(0, 0)`` has a finite gradient in ``y``; likewise ``xlog1py`` at
  ``y = -1``. ``d/dx = log(y)`` is ``-inf`` at ``y = 0``, the true one-sided slope.
- ``entr``, ``rel_entr`` and ``kl_div`` at ``x = 0`` have the slope ``-inf`` of
  ``x log x`` there; outside their domain the value is ``inf``/``-inf`` and the gradient
  ``nan``, as the function is not differentiable.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.special as sc

from gradkit.autodiff.errors import NoRuleError
from gradkit.autodiff.primitives import Primitive

__all__ = ["UFUNC_PRIMITIVES", "SpecialPrimitive"]

SQRT_PI = math.sqrt(math.pi)
TWO_OVER_SQRT_PI = 2.0 / SQRT_PI
LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
DEG = math.pi / 180.0


class SpecialPrimitive(Primitive):
    """An elementwise primitive whose order-like arguments are not differentiated.

    ``orders`` maps an argument's position to its name; asking for that argument's rule
    raises an error naming it (the engine asks at the call, so the error points there).
    """

    def __init__(self, name: str, impl, rules: tuple, orders: dict) -> None:
        super().__init__(f"scipy.special.{name}", impl, elementwise=True)
        self.orders = orders
        self.vjps = rules
        self.jvp = self._jvp

    def _order_error(self, i: int) -> NoRuleError:
        arg = self.orders[i]
        return NoRuleError(
            f"{self.name}: gradkit differentiates it with respect to x only, not its "
            f"argument {arg} (argument {i}), which is being differentiated here. Pass {arg} "
            f"as a constant (a plain number or array), or wrap it in gk.stop_gradient({arg})."
        )

    def vjp_rule(self, i: int):
        if i in self.orders:
            raise self._order_error(i)
        return super().vjp_rule(i)

    def _jvp(self, nb, i, t, ans, *args):
        rule = self._vjps[i] if i < len(self._vjps) else None
        if rule is None:
            raise self._order_error(i)
        return rule(t, ans, *args)


def _safe_div(num, den, zero):
    """``num / den``, 0 where ``zero`` holds (and no nan there in any derivative)."""
    return np.where(zero, 0.0, num / np.where(zero, 1.0, den))


# One-argument functions: d(g, ans, x) -> g * f'(x).
UNARY = {
    "erf": lambda g, ans, x: g * (TWO_OVER_SQRT_PI * np.exp(-x * x)),
    "erfc": lambda g, ans, x: -g * (TWO_OVER_SQRT_PI * np.exp(-x * x)),
    "erfinv": lambda g, ans, x: g * (0.5 * SQRT_PI * np.exp(ans * ans)),
    "erfcinv": lambda g, ans, x: -g * (0.5 * SQRT_PI * np.exp(ans * ans)),
    "erfcx": lambda g, ans, x: g * (2.0 * x * ans - TWO_OVER_SQRT_PI),
    "erfi": lambda g, ans, x: g * (TWO_OVER_SQRT_PI * np.exp(x * x)),
    "dawsn": lambda g, ans, x: g * (1.0 - 2.0 * x * ans),
    "gamma": lambda g, ans, x: g * ans * sc.digamma(x),
    "gammaln": lambda g, ans, x: g * sc.digamma(x),
    "loggamma": lambda g, ans, x: g * sc.digamma(x),
    "rgamma": lambda g, ans, x: -g * ans * sc.digamma(x),
    "psi": lambda g, ans, x: g * sc.zeta(2.0, x),  # polygamma(1, x)
    "expit": lambda g, ans, x: g * ans * (1.0 - ans),
    "log_expit": lambda g, ans, x: g * sc.expit(-x),
    "logit": lambda g, ans, x: g / (x * (1.0 - x)),
    "ndtr": lambda g, ans, x: g * np.exp(-0.5 * x * x - LOG_SQRT_2PI),
    "ndtri": lambda g, ans, x: g * np.exp(0.5 * ans * ans + LOG_SQRT_2PI),
    "log_ndtr": lambda g, ans, x: g * np.exp(-0.5 * x * x - LOG_SQRT_2PI - ans),
    "i0": lambda g, ans, x: g * sc.i1(x),
    "i1": lambda g, ans, x: g * (0.5 * (sc.i0(x) + sc.iv(2.0, x))),
    "i0e": lambda g, ans, x: g * (sc.i1e(x) - np.sign(x) * ans),
    "i1e": lambda g, ans, x: g * (0.5 * (sc.i0e(x) + sc.ive(2.0, x)) - np.sign(x) * ans),
    "j0": lambda g, ans, x: -g * sc.j1(x),
    "j1": lambda g, ans, x: g * (0.5 * (sc.j0(x) - sc.jv(2.0, x))),
    "y0": lambda g, ans, x: -g * sc.y1(x),
    "y1": lambda g, ans, x: g * (0.5 * (sc.y0(x) - sc.yv(2.0, x))),
    "k0": lambda g, ans, x: -g * sc.k1(x),
    "k1": lambda g, ans, x: -g * (0.5 * (sc.k0(x) + sc.kv(2.0, x))),
    "k0e": lambda g, ans, x: g * (ans - sc.k1e(x)),
    "k1e": lambda g, ans, x: g * (ans - 0.5 * (sc.k0e(x) + sc.kve(2.0, x))),
    "entr": lambda g, ans, x: -g * (np.log(x) + 1.0),
    # spence(z) = integral from 1 to z of log(t) / (1 - t): its slope is -1 at z = 1
    "spence": lambda g, ans, x: g * _spence_slope(x),
    "exprel": lambda g, ans, x: g * _exprel_slope(x),
    "exp10": lambda g, ans, x: g * (math.log(10.0) * ans),
    "exp1": lambda g, ans, x: -g * np.exp(-x) / x,
    "expi": lambda g, ans, x: g * np.exp(x) / x,
    "cosm1": lambda g, ans, x: -g * np.sin(x),
    "sindg": lambda g, ans, x: g * (DEG * sc.cosdg(x)),
    "cosdg": lambda g, ans, x: -g * (DEG * sc.sindg(x)),
    "wrightomega": lambda g, ans, x: g * ans / (1.0 + ans),
}


def _spence_slope(z):
    near = np.abs(z - 1.0) < 1e-3
    w = np.where(near, 0.0, z - 1.0)  # log(1 + w) / -w, with its series near w = 0
    far = -np.log1p(w) / np.where(near, 1.0, w)
    u = np.where(near, z - 1.0, 0.0)
    series = -1.0 + u * (0.5 + u * (-1.0 / 3.0 + u * (0.25 - u / 5.0)))
    return np.where(near, series, far)


def _exprel_slope(x):
    # (exp(x) - exprel(x)) / x, with its series near 0 (where the difference cancels)
    near = np.abs(x) < 1e-2
    xs = np.where(near, 1.0, x)
    far = (np.exp(xs) - sc.exprel(xs)) / xs
    u = np.where(near, x, 0.0)
    series = 0.5 + u * (1.0 / 3.0 + u * (1.0 / 8.0 + u * (1.0 / 30.0 + u * (1.0 / 144.0))))
    return np.where(near, series, far)


def _gammainc_dx(g, ans, a, x):
    # x**(a-1) exp(-x) / Gamma(a), as one exponential so large a does not overflow
    return g * np.exp(sc.xlogy(a - 1.0, x) - x - sc.gammaln(a))


def _betainc_dx(g, ans, a, b, x):
    return g * np.exp(sc.xlogy(a - 1.0, x) + sc.xlog1py(b - 1.0, -x) - sc.betaln(a, b))


def _expn_dx(g, ans, n, x):
    # d/dx E_n = -E_{n-1}, and E_0(x) = exp(-x) / x
    first = n == 0
    below = sc.expn(np.where(first, 0, n - 1), x)
    return -g * np.where(first, np.exp(-x) * (1.0 / x + 1.0 / (x * x)), below)


def _stdtr_dt(g, ans, df, t):
    log_density = (
        sc.gammaln(0.5 * (df + 1.0)) - sc.gammaln(0.5 * df) - 0.5 * np.log(df * math.pi)
        - 0.5 * (df + 1.0) * np.log1p(t * t / df)
    )  # fmt: skip
    return g * np.exp(log_density)


# Functions of several arguments: (rules by position, {position: name} of the constants).
MULTI = {
    "beta": (
        (
            lambda g, ans, a, b: g * ans * (sc.digamma(a) - sc.digamma(a + b)),
            lambda g, ans, a, b: g * ans * (sc.digamma(b) - sc.digamma(a + b)),
        ),
        {},
    ),
    "betaln": (
        (
            lambda g, ans, a, b: g * (sc.digamma(a) - sc.digamma(a + b)),
            lambda g, ans, a, b: g * (sc.digamma(b) - sc.digamma(a + b)),
        ),
        {},
    ),
    "gammainc": ((None, _gammainc_dx), {0: "a"}),
    "gammaincc": ((None, lambda g, ans, a, x: -_gammainc_dx(g, ans, a, x)), {0: "a"}),
    "betainc": ((None, None, _betainc_dx), {0: "a", 1: "b"}),
    "xlogy": (
        (
            lambda g, ans, x, y: g * np.log(y),
            lambda g, ans, x, y: g * _safe_div(x, y, x == 0),
        ),
        {},
    ),
    "xlog1py": (
        (
            lambda g, ans, x, y: g * np.log1p(y),
            lambda g, ans, x, y: g * _safe_div(x, 1.0 + y, x == 0),
        ),
        {},
    ),
    "rel_entr": (
        (
            lambda g, ans, x, y: g * (np.log(x / y) + 1.0),
            lambda g, ans, x, y: -g * (x / y),
        ),
        {},
    ),
    "kl_div": (
        (
            lambda g, ans, x, y: g * np.log(x / y),
            lambda g, ans, x, y: g * (1.0 - x / y),
        ),
        {},
    ),
    "iv": (
        (None, lambda g, ans, v, x: g * (0.5 * (sc.iv(v - 1.0, x) + sc.iv(v + 1.0, x)))),
        {0: "v"},
    ),
    "ive": (
        (
            None,
            lambda g, ans, v, x: (
                g * (0.5 * (sc.ive(v - 1.0, x) + sc.ive(v + 1.0, x)) - np.sign(x) * ans)
            ),
        ),
        {0: "v"},
    ),
    "jv": (
        (None, lambda g, ans, v, x: g * (0.5 * (sc.jv(v - 1.0, x) - sc.jv(v + 1.0, x)))),
        {0: "v"},
    ),
    "yv": (
        (None, lambda g, ans, v, x: g * (0.5 * (sc.yv(v - 1.0, x) - sc.yv(v + 1.0, x)))),
        {0: "v"},
    ),
    "yn": (
        (None, lambda g, ans, n, x: g * (0.5 * (sc.yv(n - 1.0, x) - sc.yv(n + 1.0, x)))),
        {0: "n"},
    ),
    "kv": (
        (None, lambda g, ans, v, x: -g * (0.5 * (sc.kv(v - 1.0, x) + sc.kv(v + 1.0, x)))),
        {0: "v"},
    ),
    "kve": (
        (None, lambda g, ans, v, x: g * (ans - 0.5 * (sc.kve(v - 1.0, x) + sc.kve(v + 1.0, x)))),
        {0: "v"},
    ),
    "poch": (
        (
            lambda g, ans, z, m: g * ans * (sc.digamma(z + m) - sc.digamma(z)),
            lambda g, ans, z, m: g * ans * sc.digamma(z + m),
        ),
        {},
    ),
    "betaincc": (
        (None, None, lambda g, ans, a, b, x: -_betainc_dx(g, ans, a, b, x)),
        {0: "a", 1: "b"},
    ),
    "expn": ((None, _expn_dx), {0: "n"}),
    "pseudo_huber": (
        (
            lambda g, ans, d, r: g * (2.0 * ans / d - r * r / (d * np.sqrt(1.0 + (r / d) ** 2))),
            lambda g, ans, d, r: g * r / np.sqrt(1.0 + (r / d) ** 2),
        ),
        {},
    ),
    "huber": (
        (
            lambda g, ans, d, r: g * np.where(np.abs(r) <= d, 0.0, np.abs(r) - d),
            lambda g, ans, d, r: g * np.where(np.abs(r) <= d, r, d * np.sign(r)),
        ),
        {},
    ),
    "powm1": (
        (
            lambda g, ans, x, y: g * y * np.exp((y - 1.0) * np.log(x)),
            lambda g, ans, x, y: g * np.log(x) * (ans + 1.0),
        ),
        {},
    ),
    # Box-Cox in x (the exponent lmbda is a constant)
    "boxcox": ((lambda g, ans, x, lm: g * np.exp((lm - 1.0) * np.log(x)), None), {1: "lmbda"}),
    "boxcox1p": ((lambda g, ans, x, lm: g * np.exp((lm - 1.0) * np.log1p(x)), None), {1: "lmbda"}),
    "inv_boxcox": (
        (lambda g, ans, y, lm: g * np.exp((1.0 - lm) * np.log(ans)), None),
        {1: "lmbda"},
    ),
    "inv_boxcox1p": (
        (lambda g, ans, y, lm: g * np.exp((1.0 - lm) * np.log1p(ans)), None),
        {1: "lmbda"},
    ),
    # Student's t cdf: its slope in t is the t density
    "stdtr": ((None, _stdtr_dt), {0: "df"}),
    # Hurwitz zeta(s, q): d/dq = -s zeta(s + 1, q) (scipy.special.zeta(s, q) calls _zeta)
    "zeta": ((None, lambda g, ans, s, q: -g * s * sc.zeta(s + 1.0, q)), {0: "s"}),
}

#: The ufunc each name is computed by (zeta's two-argument form is the private _zeta).
_IMPLS = {"zeta": sc._ufuncs._zeta}


def _build() -> dict:
    table = {}
    for name, rule in UNARY.items():
        ufunc = getattr(sc, name)
        table[ufunc] = SpecialPrimitive(name, ufunc, (rule,), {})
    for name, (rules, orders) in MULTI.items():
        ufunc = _IMPLS.get(name) or getattr(sc, name)
        table[ufunc] = SpecialPrimitive(name, ufunc, rules, orders)
    return table


#: scipy.special ufunc -> its primitive (digamma is psi and jn is jv: the same objects).
UFUNC_PRIMITIVES: dict = _build()
