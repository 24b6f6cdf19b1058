"""The functions of ``gk.scipy.special`` that need SciPy itself (``polygamma``).

Kept apart so that ``gk.scipy.special.logsumexp`` and friends, plain NumPy, work (and
their examples run) without SciPy.
"""

from __future__ import annotations

import numpy as np

from gradkit.autodiff import Tensor
from gradkit.autodiff.primitives import value_of
from gradkit.scipy._require import scipy_module

__all__ = ["polygamma"]


def polygamma(n, x):
    """The n-th derivative of the digamma function, as ``scipy.special.polygamma``.

    Differentiable in ``x`` (the order ``n`` is a constant): ``psi(x)`` for ``n = 0``,
    ``(-1)**(n+1) n! zeta(n+1, x)`` otherwise. Needs SciPy.

    >>> import numpy as np
    >>> import gradkit as gk
    >>> float(gk.grad(lambda x: gk.scipy.special.polygamma(1, x))(2.0))  # polygamma(2, 2)
    -0.40411380631918...
    """
    sc = scipy_module("scipy.special", "gk.scipy.special.polygamma")
    if isinstance(n, Tensor) and n._trace is not None:
        from gradkit.autodiff.errors import NoRuleError

        raise NoRuleError(
            "gk.scipy.special.polygamma: the order n is being differentiated; gradkit "
            "differentiates polygamma in x only. Pass n as a constant."
        )
    n = np.asarray(value_of(n))
    first = n == 0
    order = np.where(first, 1, n)  # zeta(1, x) is infinite: keep it out of the branch
    fac2 = (-1.0) ** (order + 1) * sc.gamma(order + 1.0) * sc.zeta(order + 1.0, x)
    return np.where(first, sc.psi(x), fac2)
