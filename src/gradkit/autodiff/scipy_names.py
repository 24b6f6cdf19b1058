"""SciPy's names in gradkit's errors (this module never imports SciPy).

Two kinds of SciPy function meet a traced value:

- ``scipy.special``'s ufuncs reach ``__array_ufunc__``; an unsupported one is named
  ``scipy.special.<name>`` (not ``np.<name>``) by :func:`ufunc_name`;
- SciPy's Python-level functions (``scipy.special.logsumexp``, ``scipy.stats.norm.logpdf``,
  ``scipy.linalg.expm``...) call ``np.asarray`` first, which a traced value refuses;
  :func:`asarray_hint` finds the SciPy function on the call stack and points to its
  gradkit version under ``gk.scipy``.

:data:`GK_SCIPY` lists what ``gradkit.scipy`` provides (a test keeps the two in step),
so the engine needs no import of it.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["ufunc_name", "asarray_hint", "GK_SCIPY"]

_CONTINUOUS = ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf")

#: The functions gradkit.scipy provides, by SciPy module (a test checks this list).
GK_SCIPY = {
    "scipy.special": ("logsumexp", "softmax", "log_softmax", "polygamma"),
    "scipy.stats": (
        *(f"{d}.{m}" for d in ("norm", "t", "gamma", "beta") for m in _CONTINUOUS),
        "poisson.logpmf", "poisson.pmf", "poisson.cdf", "dirichlet.logpdf", "dirichlet.pdf",
        "multivariate_normal.logpdf", "multivariate_normal.pdf",
    ),
    "scipy.linalg": (
        "expm", "solve_triangular", "cho_factor", "cho_solve", "sqrtm", "solve_sylvester",
        "solve_banded", "lu_factor", "lu_solve",
    ),
    "scipy.signal": ("convolve", "correlate", "convolve2d", "correlate2d"),
    "scipy.integrate": ("odeint",),
    "scipy.spatial.distance": ("cdist",),
}  # fmt: skip

#: Private ufuncs behind public Python functions.
_PRIVATE = {"_zeta": "zeta", "_riemann_zeta": "zeta"}


def ufunc_name(ufunc: Any) -> str:
    """The name users know ``ufunc`` by: ``np.sin``, ``scipy.special.erf``...

    >>> import numpy as np
    >>> ufunc_name(np.sin)
    'np.sin'
    """
    name = getattr(ufunc, "__name__", repr(ufunc))
    if getattr(sys.modules["numpy"], name, None) is ufunc:
        return f"np.{name}"
    special = sys.modules.get("scipy.special")
    if special is not None:
        if getattr(special, name, None) is ufunc:
            return f"scipy.special.{name}"
        for public in dir(special):  # an alias: scipy.special.digamma is psi
            if not public.startswith("_") and getattr(special, public) is ufunc:
                return f"scipy.special.{public}"
        if name in _PRIVATE:
            return f"scipy.special.{_PRIVATE[name]}"
    return f"the ufunc {name}"


def _public_module(module: str) -> str:
    """``scipy.special._logsumexp`` -> ``scipy.special``."""
    return ".".join(p for p in module.split(".") if not p.startswith("_"))


def _scipy_caller() -> tuple[str, str] | None:
    """The SciPy function the user called, from the stack: (module, dotted name).

    It is the outermost of the SciPy frames nearest the top of the stack; a method of a
    distribution (``norm.logpdf``, a frozen ``norm(0, 1).logpdf``) is named by it.
    """
    frame = sys._getframe(2)
    found = None
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module == "scipy" or module.startswith("scipy."):
            found = frame
        elif found is not None:
            break
        elif not module.startswith(("numpy", "gradkit.autodiff")):
            return None  # user code converted it: not SciPy's doing
        frame = frame.f_back
    if found is None:
        return None
    module = _public_module(found.f_globals["__name__"])
    name = found.f_code.co_name
    owner = found.f_locals.get("self")
    if owner is not None:
        owner = getattr(owner, "dist", owner)  # a frozen distribution's own
        dist = getattr(owner, "name", None)
        if not isinstance(dist, str):
            dist = type(owner).__name__.removesuffix("_gen").removesuffix("_frozen")
        name = f"{dist}.{name}"
    return module, name


def asarray_hint() -> str:
    """A sentence naming the SciPy function that converted a traced value, or ''.

    Called from ``Tensor.__array__``: when the conversion comes from inside SciPy, it
    names that function and the ``gk.scipy`` function to use instead.
    """
    caller = _scipy_caller()
    if caller is None:
        return ""
    module, name = caller
    full = f"{module}.{name}"
    if name in GK_SCIPY.get(module, ()):
        return (
            f" It was {full}, which converts its arguments with np.asarray and so cannot "
            f"be traced: use gk.{full} instead, the same function (same signature) written "
            "for gradkit."
        )
    return (
        f" It was {full}, which converts its arguments with np.asarray and so cannot be "
        "traced; gk.scipy has no version of it. Write it with NumPy operations, or wrap it "
        "with @gk.primitive and give its derivative with gk.defvjp / gk.defjvp."
    )
