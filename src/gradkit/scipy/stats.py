"""``scipy.stats`` distributions, written for gradkit: ``gk.scipy.stats.norm.logpdf``...

Each distribution is an object with SciPy's methods and signatures (shape parameters,
then ``loc`` and ``scale``, positionally or by keyword), SciPy's formulas, and SciPy's
answers outside the support (``-inf`` log-density, 0 density, cdf 0 or 1) and for invalid
parameters (``nan``). Everything is differentiable in ``x``, ``loc``, ``scale`` and the
shape parameters, except where a ``scipy.special`` function is differentiated in ``x``
only (``gamma.cdf`` in ``a``, ``beta.cdf`` in ``a``/``b``, ``t.cdf`` in ``df``): those
raise an error naming the argument.

Needs SciPy (``pip install 'gradkit[scipy]'``).

>>> import numpy as np
>>> import gradkit as gk
>>> float(gk.grad(lambda mu: gk.scipy.stats.norm.logpdf(1.0, loc=mu))(0.0))
1.0
"""

from __future__ import annotations

import math

import numpy as np

from gradkit.autodiff.primitives import value_of
from gradkit.scipy._arrays import arrays
from gradkit.scipy._require import scipy_module

sc = scipy_module("scipy.special", "gk.scipy.stats")

__all__ = ["norm", "t", "gamma", "beta", "poisson", "dirichlet", "multivariate_normal"]

_LOG_SQRT_2PI = math.log(math.sqrt(2 * math.pi))
_SQRT_2PI = math.sqrt(2 * math.pi)


class _Distribution:
    """A location-scale family: SciPy's rv_continuous methods on gradkit's values.

    ``std`` holds the standardized functions (``logpdf(z, *shapes)``...), ``support`` the
    standardized support, ``inside`` a point of it (where values outside are evaluated
    so that no nan reaches a derivative), ``valid`` the check of the shape parameters.
    """

    def __init__(self, name, shapes, support, inside, valid, **std) -> None:
        self.name = name
        self.shapes = shapes
        self.support = support
        self.inside = inside
        self.valid = valid
        self.std = std

    def __repr__(self) -> str:
        return f"<gk.scipy.stats.{self.name}>"

    def _parse(self, args, kwds, method):
        names = (*self.shapes, "loc", "scale")
        if len(args) > len(names):
            raise TypeError(f"{self.name}.{method} takes at most {len(names) + 1} arguments")
        values = dict(zip(names, args))
        for key, val in kwds.items():
            if key not in names or key in values:
                raise TypeError(f"{self.name}.{method}: unexpected or repeated argument {key!r}")
            values[key] = val
        missing = [n for n in self.shapes if n not in values]
        if missing:
            raise TypeError(f"{self.name}.{method}: missing shape parameter(s) {missing}")
        shapes = [values[n] for n in self.shapes]
        return shapes, values.get("loc", 0.0), values.get("scale", 1.0)

    def _standardize(self, x, args, kwds, method):
        shapes, loc, scale = self._parse(args, kwds, method)
        x, loc, scale, *shapes = arrays(x, loc, scale, *shapes)
        ok = scale > 0
        for flag in self.valid(*shapes):
            ok = np.logical_and(ok, flag)
        safe_scale = np.where(ok, scale, 1.0)
        z = (x - loc) / safe_scale
        lo, hi = self.support
        inside = np.logical_and(z >= lo, z <= hi)
        z_safe = np.where(np.logical_and(inside, ok), z, self.inside)
        shapes = [np.where(ok, s, 1.0) for s in shapes]  # invalid: answered by nan
        return z, z_safe, inside, ok, shapes, safe_scale

    def _method(self, method, x, args, kwds, outside_lo, outside_hi, scaled_log):
        z, z_safe, inside, ok, shapes, scale = self._standardize(x, args, kwds, method)
        with np.errstate(divide="ignore"):  # log(0) = -inf at the support's edge, as SciPy
            r = self.std[method](z_safe, *shapes)
        if scaled_log:
            r = r - np.log(scale)
        elif method == "pdf":
            r = r / scale
        lo, hi = self.support
        r = np.where(inside, r, np.where(z < lo, outside_lo, outside_hi))
        return np.where(ok, r, np.nan)

    def logpdf(self, x, *args, **kwds):
        return self._method("logpdf", x, args, kwds, -np.inf, -np.inf, True)

    def pdf(self, x, *args, **kwds):
        return self._method("pdf", x, args, kwds, 0.0, 0.0, False)

    def cdf(self, x, *args, **kwds):
        return self._method("cdf", x, args, kwds, 0.0, 1.0, False)

    def logcdf(self, x, *args, **kwds):
        return self._method("logcdf", x, args, kwds, -np.inf, 0.0, False)

    def sf(self, x, *args, **kwds):
        return self._method("sf", x, args, kwds, 1.0, 0.0, False)

    def logsf(self, x, *args, **kwds):
        return self._method("logsf", x, args, kwds, 0.0, -np.inf, False)


def _norm_logpdf(z):
    return -(z**2) / 2.0 - _LOG_SQRT_2PI


def _t_logpdf(z, df):
    return (
        np.log(sc.poch(0.5 * df, 0.5))
        - 0.5 * (np.log(df) + np.log(np.pi))
        - (df + 1) / 2 * np.log1p(z * z / df)
    )


def _gamma_logpdf(z, a):
    return sc.xlogy(a - 1.0, z) - z - sc.gammaln(a)


def _beta_logpdf(z, a, b):
    return sc.xlog1py(b - 1.0, -z) + sc.xlogy(a - 1.0, z) - sc.betaln(a, b)


norm = _Distribution(
    "norm", (), (-np.inf, np.inf), 0.0, lambda: (),
    logpdf=_norm_logpdf,
    pdf=lambda z: np.exp(-(z**2) / 2.0) / _SQRT_2PI,
    cdf=sc.ndtr,
    logcdf=sc.log_ndtr,
    sf=lambda z: sc.ndtr(-z),
    logsf=lambda z: sc.log_ndtr(-z),
)  # fmt: skip
norm.__doc__ = """The normal distribution, as ``scipy.stats.norm`` (methods ``logpdf``, ``pdf``,
``cdf``, ``logcdf``, ``sf``, ``logsf``; arguments ``x, loc=0, scale=1``).

>>> import gradkit as gk
>>> round(float(gk.scipy.stats.norm.cdf(0.0)), 6)
0.5
"""

t = _Distribution(
    "t", ("df",), (-np.inf, np.inf), 0.0, lambda df: (df > 0,),
    logpdf=_t_logpdf,
    pdf=lambda z, df: np.exp(_t_logpdf(z, df)),
    cdf=lambda z, df: sc.stdtr(df, z),
    logcdf=lambda z, df: np.log(sc.stdtr(df, z)),
    sf=lambda z, df: sc.stdtr(df, -z),
    logsf=lambda z, df: np.log(sc.stdtr(df, -z)),
)  # fmt: skip
t.__doc__ = """Student's t distribution, as ``scipy.stats.t`` (``x, df, loc=0, scale=1``).

>>> import gradkit as gk
>>> round(float(gk.scipy.stats.t.logpdf(0.0, 3.0)), 6)
-1.000889
"""

gamma = _Distribution(
    "gamma", ("a",), (0.0, np.inf), 1.0, lambda a: (a > 0,),
    logpdf=_gamma_logpdf,
    pdf=lambda z, a: np.exp(_gamma_logpdf(z, a)),
    cdf=lambda z, a: sc.gammainc(a, z),
    logcdf=lambda z, a: np.log(sc.gammainc(a, z)),
    sf=lambda z, a: sc.gammaincc(a, z),
    logsf=lambda z, a: np.log(sc.gammaincc(a, z)),
)  # fmt: skip
gamma.__doc__ = """The gamma distribution, as ``scipy.stats.gamma`` (``x, a, loc=0, scale=1``).

>>> import gradkit as gk
>>> round(float(gk.scipy.stats.gamma.pdf(1.0, 1.0)), 6)  # exp(-1)
0.367879
"""

beta = _Distribution(
    "beta", ("a", "b"), (0.0, 1.0), 0.5, lambda a, b: (a > 0, b > 0),
    logpdf=_beta_logpdf,
    pdf=lambda z, a, b: np.exp(_beta_logpdf(z, a, b)),
    cdf=lambda z, a, b: sc.betainc(a, b, z),
    logcdf=lambda z, a, b: np.log(sc.betainc(a, b, z)),
    sf=lambda z, a, b: sc.betaincc(a, b, z),
    logsf=lambda z, a, b: np.log(sc.betaincc(a, b, z)),
)  # fmt: skip
beta.__doc__ = """The beta distribution, as ``scipy.stats.beta`` (``x, a, b, loc=0, scale=1``).

>>> import gradkit as gk
>>> float(gk.scipy.stats.beta.pdf(0.5, 2.0, 2.0))
1.5
"""


class _Poisson:
    """The Poisson distribution, as ``scipy.stats.poisson`` (``logpmf``/``pmf``/``cdf``:
    ``k, mu, loc=0``); differentiable in ``mu`` (``k`` is an integer count).

    >>> import gradkit as gk
    >>> round(float(gk.scipy.stats.poisson.pmf(2, 2.0)), 6)  # 2 exp(-2)
    0.270671
    """

    def __repr__(self) -> str:
        return "<gk.scipy.stats.poisson>"

    def logpmf(self, k, mu, loc=0):
        k, mu, loc = arrays(k, mu, loc)
        k = k - loc
        ok = mu >= 0
        mu_safe = np.where(ok, mu, 1.0)
        inside = np.logical_and(np.floor(k) == k, k >= 0)  # a count: an integer, not negative
        k_safe = np.where(inside, k, 0.0)
        r = sc.xlogy(k_safe, mu_safe) - sc.gammaln(k_safe + 1) - mu_safe
        return np.where(ok, np.where(inside, r, -np.inf), np.nan)

    def pmf(self, k, mu, loc=0):
        return np.exp(self.logpmf(k, mu, loc))

    def cdf(self, k, mu, loc=0):
        k, mu, loc = arrays(k, mu, loc)
        k = np.floor(k - loc)
        ok = mu >= 0
        mu_safe = np.where(ok, mu, 1.0)
        inside = k >= 0
        r = sc.gammaincc(np.where(inside, k, 0.0) + 1.0, mu_safe)  # pdtr(k, mu)
        return np.where(ok, np.where(inside, r, 0.0), np.nan)


poisson = _Poisson()


class _Dirichlet:
    """The Dirichlet distribution, as ``scipy.stats.dirichlet`` (``logpdf``/``pdf``:
    ``x, alpha``). As SciPy, the components run along ``x``'s first axis (``x`` of shape
    ``(K,)`` or ``(K, N)``; ``K - 1`` components get the last one as ``1 - sum``).

    >>> import numpy as np
    >>> import gradkit as gk
    >>> float(gk.scipy.stats.dirichlet.pdf(np.array([0.5, 0.5]), np.ones(2)))
    1.0
    """

    def __repr__(self) -> str:
        return "<gk.scipy.stats.dirichlet>"

    def logpdf(self, x, alpha):
        x, alpha = arrays(x, alpha)
        alpha_v = np.asarray(value_of(alpha))
        if alpha_v.ndim != 1 or np.min(alpha_v) <= 0:
            raise ValueError("dirichlet: alpha must be a 1-d array of positive numbers")
        xv = np.asarray(value_of(x))
        k = alpha_v.shape[0]
        if xv.shape[0] not in (k, k - 1):
            raise ValueError(
                "dirichlet: 'x' must have either the same number of entries as, or one "
                f"entry fewer than, 'alpha', but alpha.shape = {alpha_v.shape} and "
                f"x.shape = {xv.shape}."
            )
        if xv.shape[0] == k - 1:
            x = np.concatenate([x, 1.0 - np.sum(x, axis=0, keepdims=True)], axis=0)
            xv = np.asarray(value_of(x))
        if np.min(xv) < 0 or np.max(xv) > 1:
            raise ValueError("dirichlet: each entry of 'x' must lie in [0, 1]")
        if np.any(np.abs(np.sum(xv, 0) - 1.0) > 10e-10):
            raise ValueError(f"dirichlet: 'x' must lie on the simplex; sums {np.sum(xv, 0)}")
        ln_b = np.sum(sc.gammaln(alpha)) - sc.gammaln(np.sum(alpha))
        a = np.reshape(alpha - 1, (k,) + (1,) * (xv.ndim - 1))
        return -ln_b + np.sum(sc.xlogy(a, x), axis=0)

    def pdf(self, x, alpha):
        return np.exp(self.logpdf(x, alpha))


dirichlet = _Dirichlet()


class _MultivariateNormal:
    """The multivariate normal, as ``scipy.stats.multivariate_normal`` (``logpdf``/``pdf``:
    ``x, mean=None, cov=1``); differentiable in ``x``, ``mean`` and ``cov``. ``x``'s last
    axis is the dimension; ``cov`` is a matrix, a vector (its diagonal) or a number. As
    SciPy, only the lower triangle of a matrix ``cov`` is read, so its gradient lies in
    that triangle (each off-diagonal entry standing for itself and its mirror image).

    >>> import numpy as np
    >>> import gradkit as gk
    >>> round(float(gk.scipy.stats.multivariate_normal.logpdf(np.zeros(2), np.zeros(2))), 6)
    -1.837877
    """

    def __repr__(self) -> str:
        return "<gk.scipy.stats.multivariate_normal>"

    def logpdf(self, x, mean=None, cov=1, allow_singular=False):
        x, mean, cov = arrays(x, mean, cov)
        if allow_singular:
            raise NotImplementedError(
                "gk.scipy.stats.multivariate_normal: allow_singular=True (a pseudo-inverse "
                "of a singular covariance) is not supported; pass a positive definite cov"
            )
        cov_nd = np.ndim(value_of(cov))
        if mean is not None:
            dim = np.shape(value_of(mean))[-1] if np.ndim(value_of(mean)) else 1
        elif cov_nd:
            dim = np.shape(value_of(cov))[0]
        else:
            dim = 1
        if mean is None:
            mean = np.zeros(dim)
        mean = np.reshape(mean, (dim,))
        if cov_nd < 2:
            cov = cov * np.eye(dim)
        else:  # SciPy reads the lower triangle (eigh): so does the derivative
            cov = np.tril(cov) + np.transpose(np.tril(cov, -1))
        x_nd = np.ndim(value_of(x))
        if x_nd == 0:
            x = np.reshape(x, (1,))
        elif x_nd == 1 and dim == 1:
            x = np.reshape(x, (-1, 1))
        if np.shape(value_of(x))[-1] != dim:
            raise ValueError(
                f"multivariate_normal: x's last axis has {np.shape(value_of(x))[-1]} entries, "
                f"but the distribution has dimension {dim} (from mean and cov)"
            )
        dev = x - mean
        sign, logdet = np.linalg.slogdet(cov)
        if value_of(sign) <= 0:
            raise np.linalg.LinAlgError(
                "multivariate_normal: the covariance matrix is not positive definite"
            )
        flat = np.reshape(dev, (-1, dim))
        maha = np.sum(flat * np.transpose(np.linalg.solve(cov, np.transpose(flat))), axis=-1)
        out = -0.5 * (dim * np.log(2 * np.pi) + logdet + maha)
        out = np.reshape(out, np.shape(value_of(dev))[:-1])
        return np.squeeze(out) if np.ndim(value_of(out)) else out

    def pdf(self, x, mean=None, cov=1, allow_singular=False):
        return np.exp(self.logpdf(x, mean, cov, allow_singular))


multivariate_normal = _MultivariateNormal()

#: The distributions' examples, run as doctests (doctest does not look at instances).
__test__ = {d.name: d.__doc__ for d in (norm, t, gamma, beta)}
