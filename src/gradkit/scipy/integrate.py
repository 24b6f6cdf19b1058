"""``scipy.integrate.odeint``, written for gradkit: gradients by the adjoint method.

``odeint`` is one primitive. Its value is SciPy's own (LSODA). Its reverse-mode rule
integrates the adjoint ODE backward in time with SciPy (Pontryagin; Chen et al., "Neural
ordinary differential equations", 2018): the state, the adjoint ``a`` with
``da/dt = -a df/dy`` and the parameters' accumulated gradient ``-a df/dargs``, the
vector-Jacobian products of ``func`` taken by gradkit. Its forward-mode rule integrates
the forward sensitivity equations. Both give the gradient with respect to ``y0``, the
times ``t`` and the extra ``args``, to the tolerance of the solver (``rtol``/``atol``).
Second derivatives through ``odeint`` are not supported: they raise an error.

``func`` must be written with NumPy operations (gradkit traces it).
Needs SciPy (``pip install 'gradkit[scipy]'``).
"""

from __future__ import annotations

import numpy as np

from gradkit.autodiff.errors import NoRuleError
from gradkit.autodiff.primitives import Primitive
from gradkit.autodiff.tensor import Tensor
from gradkit.autodiff.transforms import jvp as _jvp
from gradkit.autodiff.transforms import vjp as _vjp
from gradkit.scipy._arrays import arrays
from gradkit.scipy._require import scipy_module

_integrate = scipy_module("scipy.integrate", "gk.scipy.integrate")

__all__ = ["odeint"]


_JACOBIAN_OPTIONS = ("Dfun", "col_deriv", "ml", "mu")  # they describe func, not its adjoint


class _Problem:
    """``func`` with its options, hashable by identity (a primitive's keyword)."""

    def __init__(self, func, tfirst, options):
        self.func = func
        self.tfirst = tfirst
        self.options = options

    def f(self, y, t, *args):
        return self.func(t, y, *args) if self.tfirst else self.func(y, t, *args)

    def solve(self, rhs, y0, t, own=True):
        """Integrate ``rhs``: ``func`` itself (``own``) with every option, or an augmented
        system (adjoint, sensitivities) with the tolerances and step controls only."""
        options = self.options
        if not own:
            options = {k: v for k, v in options.items() if k not in _JACOBIAN_OPTIONS}
        return _integrate.odeint(rhs, y0, t, **options)


def _solve(y0, t, *args, problem):
    return problem.solve(lambda y, s: np.asarray(problem.f(y, s, *args), float), y0, t)


def _plain(values, who):
    if any(isinstance(v, Tensor) for v in values):
        raise NoRuleError(
            f"gk.scipy.integrate.odeint: {who} of a derivative (a second derivative) is not "
            "supported: odeint's derivatives integrate the adjoint or sensitivity ODE with "
            "SciPy, on plain values"
        )


def _flat(args):
    sizes = [np.size(a) for a in args]
    flat = np.concatenate([np.ravel(a) for a in args]) if args else np.zeros(0)
    return flat, sizes


def _unflat(flat, args):
    out, start = [], 0
    for a in args:
        n = np.size(a)
        out.append(np.reshape(flat[start : start + n], np.shape(a)))
        start += n
    return out


def _adjoint(g, ans, y0, t, args, problem):
    """Cotangents of (y0, t, *args) for the output cotangent ``g``."""
    n = np.size(y0)
    flat_args, sizes = _flat(args)
    p = flat_args.size

    def f_vjp(y, s, a):
        out, back = _vjp(lambda y_, *args_: problem.f(y_, s, *args_), y, *args)
        cot = back(a)
        return np.asarray(out, float), cot[0], _flat([np.asarray(c, float) for c in cot[1:]])[0]

    def rhs(state, s):
        y, a = state[:n], state[n : 2 * n]
        dy, ay, aargs = f_vjp(y, s, a)
        return np.concatenate([dy, -np.ravel(ay), -aargs])

    g = np.reshape(np.asarray(g, float), (len(t), n))
    t_bar = np.zeros(len(t))
    a = g[-1].copy() if len(t) > 1 else np.zeros(n)
    args_bar = np.zeros(p)
    for i in range(len(t) - 1, 0, -1):
        t_bar[i] = np.dot(np.ravel(problem.f(ans[i], t[i], *args)), g[i])
        state = np.concatenate([ans[i], a, args_bar])
        back = problem.solve(rhs, state, np.array([t[i], t[i - 1]]), own=False)[-1]
        a, args_bar = back[n : 2 * n], back[2 * n :]
        if i > 1:
            a = a + g[i - 1]
    t_bar[0] = -np.dot(np.ravel(problem.f(ans[0], t[0], *args)), a)
    y0_bar = a + g[0]
    return (np.reshape(y0_bar, np.shape(y0)), t_bar, *_unflat(args_bar, args))


def _odeint_vjp(i, g, ans, y0, t, *args, problem):
    _plain((g, ans, y0, t, *args), "the gradient")
    cache = problem.__dict__.setdefault("last", (None, None, None))
    if cache[0] is not g or cache[1] is not ans:  # one adjoint solve serves every argument
        plain_args = [np.asarray(a, float) for a in args]
        y0, t = np.asarray(y0, float), np.asarray(t, float)
        problem.last = (g, ans, _adjoint(g, ans, y0, t, plain_args, problem))
    return problem.last[2][i]


def _sensitivity(i, tangent, ans, y0, t, args, problem):
    """The output's tangent for one direction ``tangent`` of argument ``i``."""
    n = np.size(y0)
    if i == 1:  # the times: the start moves the whole solution, each time its own row
        s0 = -np.ravel(problem.f(ans[0], t[0], *args)) * tangent[0]
        out = _sensitivity(0, s0, ans, y0, t, args, problem) if np.any(s0) else 0.0
        rows = np.stack([np.ravel(problem.f(ans[k], t[k], *args)) * tangent[k]
                         for k in range(len(t))])  # fmt: skip
        return out + rows
    d_args = [np.zeros_like(a) for a in args]
    if i >= 2:
        d_args[i - 2] = np.asarray(tangent, float)
    s0 = np.ravel(tangent) if i == 0 else np.zeros(n)

    def rhs(state, s):
        y, dy = state[:n], state[n:]
        out, tan = _jvp(lambda y_, *a_: problem.f(y_, s, *a_), (y, *args), (dy, *d_args))
        return np.concatenate([np.ravel(out), np.ravel(tan)])

    return problem.solve(rhs, np.concatenate([np.ravel(y0), s0]), t, own=False)[:, n:]


def _odeint_jvp(nb, i, tangent, ans, y0, t, *args, problem):
    _plain((tangent, ans, y0, t, *args), "the forward derivative")
    y0, t = np.asarray(y0, float), np.asarray(t, float)
    args = [np.asarray(a, float) for a in args]
    if nb == 0:
        return _sensitivity(i, tangent, ans, y0, t, args, problem)
    batch = np.shape(tangent)[:nb]
    flat = np.reshape(tangent, (-1,) + np.shape(tangent)[nb:])
    out = np.stack([_sensitivity(i, d, ans, y0, t, args, problem) for d in flat])
    return np.reshape(out, batch + np.shape(ans))


odeint_p = Primitive("scipy.integrate.odeint", _solve, register=False)
odeint_p.vjp_any = _odeint_vjp
odeint_p.jvp = _odeint_jvp


def odeint(func, y0, t, args=(), Dfun=None, col_deriv=0, full_output=0, ml=None, mu=None,
           rtol=None, atol=None, tcrit=None, h0=0.0, hmax=0.0, hmin=0.0, ixpr=0, mxstep=0,
           mxhnil=0, mxordn=12, mxords=5, printmessg=0, tfirst=False):  # fmt: skip
    """Integrate ``dy/dt = func(y, t, *args)`` from ``y0`` at ``t[0]``, as
    ``scipy.integrate.odeint``: the solution at each time in ``t``, shape
    ``(len(t), len(y0))``. Differentiable in ``y0``, ``t`` and ``args`` (adjoint method).

    >>> import numpy as np
    >>> import gradkit as gk
    >>> decay = lambda y, t, k: -k * y
    >>> f = lambda k: gk.scipy.integrate.odeint(decay, np.ones(1), np.array([0.0, 1.0]), (k,),
    ...                                         rtol=1e-10, atol=1e-10)[-1, 0]
    >>> round(float(gk.grad(f)(1.0)), 6)  # d/dk exp(-k) at k = 1
    -0.367879
    """
    if full_output:
        raise NotImplementedError(
            "gk.scipy.integrate.odeint: full_output=True is not supported; call "
            "scipy.integrate.odeint on plain values for the solver's diagnostics"
        )
    options = dict(Dfun=Dfun, col_deriv=col_deriv, ml=ml, mu=mu, rtol=rtol, atol=atol,
                   tcrit=tcrit, h0=h0, hmax=hmax, hmin=hmin, ixpr=ixpr, mxstep=mxstep,
                   mxhnil=mxhnil, mxordn=mxordn, mxords=mxords, printmessg=printmessg)  # fmt: skip
    problem = _Problem(func, bool(tfirst), options)
    if not isinstance(args, tuple):
        args = (args,)
    y0, t, *args = arrays(y0, t, *args)
    y0 = np.reshape(y0, (-1,)) if np.ndim(y0) == 0 else y0
    return odeint_p(y0, t, *args, problem=problem)
