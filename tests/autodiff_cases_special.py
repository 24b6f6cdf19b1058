"""Engine cases for scipy.special's ufuncs (empty when SciPy is not installed).

Importing this module loads gradkit's scipy.special rules, so the coverage test in
``test_autodiff_primitives.py`` sees every one of them registered and requires a case.
Order-like arguments (``v``, ``n``, ``a``, ``s``) are drawn as constants: the cases
differentiate in ``x`` only (``argnums``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from autodiff_cases import BROADCAST_PAIRS, ELEMENTWISE_SHAPES, Case, away_from_zero, pair, uniform

try:
    import scipy.special as sc
except ImportError:  # gradkit[scipy] not installed: nothing to check
    sc = None


@dataclass(repr=False)
class InX(Case):
    """A case of ``ufunc(*orders, x)`` with constant orders: ``fn`` is a function of x."""

    ufunc: Any = None  # the ufunc it exercises, for the coverage test


def in_x(name: str, ufunc, orders: tuple, make_x) -> InX:
    fn = lambda x: ufunc(*orders, x)  # noqa: E731
    return InX(name, fn, make_x, ELEMENTWISE_SHAPES, ufunc=ufunc)


def x_first(name: str, ufunc, constants: tuple, make_x) -> InX:
    """A case of ``ufunc(x, *constants)`` (Box-Cox: the exponent comes second)."""
    fn = lambda x: ufunc(x, *constants)  # noqa: E731
    return InX(name, fn, make_x, ELEMENTWISE_SHAPES, ufunc=ufunc)


def huber_args(rng, spec):
    """delta in [0.5, 1] and r at least 0.2 away from +-delta (huber's kinks)."""
    sd, sr = spec
    d = rng.uniform(0.5, 1.0, size=sd)
    mag = np.where(rng.random(size=sr) < 0.5, rng.uniform(0.0, 0.3, sr), rng.uniform(1.2, 3, sr))
    return d, np.where(rng.random(size=sr) < 0.5, -mag, mag)


def _cases() -> list:
    if sc is None:
        return []
    from gradkit.autodiff import numpy_api

    numpy_api._load_scipy_special_rules()  # so the coverage test sees them all
    unary = [
        ("erf", uniform(-2, 2)),
        ("erfc", uniform(-2, 2)),
        ("erfinv", uniform(-0.9, 0.9)),
        ("erfcinv", uniform(0.1, 1.9)),
        ("erfcx", uniform(-2, 3)),
        ("erfi", uniform(-2, 2)),
        ("dawsn", uniform(-3, 3)),
        ("gamma", uniform(0.3, 4)),
        ("gammaln", uniform(0.3, 5)),
        ("loggamma", uniform(0.3, 5)),
        ("rgamma", uniform(0.3, 4)),
        ("psi", uniform(0.3, 5)),
        ("expit", uniform(-4, 4)),
        ("log_expit", uniform(-4, 4)),
        ("logit", uniform(0.1, 0.9)),
        ("ndtr", uniform(-3, 3)),
        ("ndtri", uniform(0.1, 0.9)),  # poles at 0 and 1: the FD Hessian is inexact nearer
        ("log_ndtr", uniform(-5, 3)),
        ("i0", uniform(-3, 3)),
        ("i1", uniform(-3, 3)),
        ("i0e", away_from_zero(0.3, 3)),
        ("i1e", away_from_zero(0.3, 3)),
        ("j0", uniform(-6, 6)),
        ("j1", uniform(-6, 6)),
        ("y0", uniform(0.5, 6)),
        ("y1", uniform(0.5, 6)),
        ("k0", uniform(0.3, 4)),
        ("k1", uniform(0.3, 4)),
        ("k0e", uniform(0.3, 4)),
        ("k1e", uniform(0.3, 4)),
        ("entr", uniform(0.2, 3)),
        ("spence", uniform(0.2, 3)),
        ("exprel", uniform(-2, 2)),
        ("exp10", uniform(-1, 1)),
        ("exp1", uniform(0.3, 3)),
        ("expi", away_from_zero(0.3, 3)),
        ("cosm1", uniform(-3, 3)),
        ("sindg", uniform(-200, 200)),
        ("cosdg", uniform(-200, 200)),
        ("wrightomega", uniform(-3, 3)),
    ]
    cases = [Case(name, getattr(sc, name), make, ELEMENTWISE_SHAPES) for name, make in unary]
    cases += [
        Case("gamma of negative x", sc.gamma, uniform(-1.8, -1.2), ELEMENTWISE_SHAPES),
        Case("spence near 1 (series)", sc.spence, uniform(0.9995, 1.0005), ELEMENTWISE_SHAPES),
        Case("exprel near 0 (series)", sc.exprel, uniform(-0.005, 0.005), ELEMENTWISE_SHAPES),
    ]
    binary = [
        ("beta", pair(uniform(0.5, 3), uniform(0.5, 3))),
        ("betaln", pair(uniform(0.5, 3), uniform(0.5, 3))),
        ("xlogy", pair(uniform(-2, 2), uniform(0.3, 3))),
        ("xlog1py", pair(uniform(-2, 2), uniform(-0.6, 2))),
        ("rel_entr", pair(uniform(0.2, 3), uniform(0.2, 3))),
        ("kl_div", pair(uniform(0.2, 3), uniform(0.2, 3))),
        ("poch", pair(uniform(0.5, 3), uniform(-0.4, 2))),
        ("pseudo_huber", pair(uniform(0.5, 2), uniform(-3, 3))),
        ("powm1", pair(uniform(0.3, 3), uniform(-2, 2))),
        ("huber", huber_args),
    ]
    cases += [Case(name, getattr(sc, name), make, BROADCAST_PAIRS, (0, 1)) for name, make in binary]
    cases += [
        in_x("gammainc", sc.gammainc, (1.7,), uniform(0.2, 4)),
        in_x("gammaincc", sc.gammaincc, (1.7,), uniform(0.2, 4)),
        in_x("iv", sc.iv, (1.5,), uniform(0.3, 4)),
        in_x("ive", sc.ive, (1.5,), uniform(0.3, 4)),
        in_x("jv", sc.jv, (1.5,), uniform(0.3, 6)),
        in_x("jv, integer order array", sc.jv, (np.array([[0.0], [2.0]]),), uniform(-5, 5)),
        in_x("yv", sc.yv, (0.5,), uniform(0.5, 6)),
        in_x("yn", sc.yn, (2,), uniform(0.5, 6)),
        in_x("kv", sc.kv, (0.7,), uniform(0.3, 4)),
        in_x("kve", sc.kve, (0.7,), uniform(0.3, 4)),
        in_x("betaincc", sc.betaincc, (2.5, 1.5), uniform(0.1, 0.9)),
        in_x("stdtr", sc.stdtr, (3.5,), uniform(-3, 3)),
        in_x("expn", sc.expn, (np.array([[0], [3]]),), uniform(0.3, 3)),
        in_x("expn, n = 1", sc.expn, (1,), uniform(0.3, 3)),
        x_first("boxcox", sc.boxcox, (0.7,), uniform(0.3, 3)),
        x_first("boxcox1p", sc.boxcox1p, (-0.4,), uniform(-0.5, 3)),
        x_first("inv_boxcox", sc.inv_boxcox, (0.7,), uniform(-0.5, 3)),
        x_first("inv_boxcox1p", sc.inv_boxcox1p, (-0.4,), uniform(-0.5, 1)),
        in_x("zeta(s, q)", sc._ufuncs._zeta, (2.5,), uniform(0.5, 3)),
        in_x("betainc", sc.betainc, (2.5, 1.5), uniform(0.1, 0.9)),
        in_x("betainc(1, b, x) (a = 1)", sc.betainc, (1.0, 3.0), uniform(0.1, 0.9)),
        Case("zeta(2.5, q)", lambda q: sc.zeta(2.5, q), uniform(0.5, 3), ELEMENTWISE_SHAPES),
    ]
    if hasattr(sc, "softplus"):  # SciPy 1.15+: np.logaddexp(0, x), already differentiable
        cases.append(Case("softplus", sc.softplus, uniform(-3, 3), ELEMENTWISE_SHAPES))
    return cases


SPECIAL = _cases()
