"""SciPy's Python-level functions, written for gradkit (``gk.scipy.special.logsumexp``...).

SciPy's ``scipy.special`` ufuncs (``erf``, ``gammaln``, ``jv``...) take traced values as
they are (the engine has their derivative rules). Its Python-level functions call
``np.asarray`` first, which a traced value refuses; this package has the same functions,
with SciPy's names and signatures, as code gradkit differentiates:

- ``special``: ``logsumexp``, ``softmax``, ``log_softmax``, ``polygamma``;
- ``stats``: ``norm``, ``t``, ``poisson``, ``gamma``, ``beta``, ``dirichlet``,
  ``multivariate_normal`` (log-densities, densities and, where SciPy has them, cdfs);
- ``linalg``: ``expm``, ``solve_triangular``, ``cho_factor``/``cho_solve``, ``sqrtm``,
  ``solve_sylvester``, ``solve_banded``, ``lu_factor``/``lu_solve``;
- ``signal``: ``convolve``, ``correlate``, ``convolve2d``, ``correlate2d``;
- ``integrate``: ``odeint`` (gradients by the adjoint method);
- ``spatial.distance``: ``cdist``.

Every module but ``special``'s softmax family needs SciPy (``pip install
gradkit[scipy]``); each loads on first use.

>>> import numpy as np
>>> import gradkit as gk
>>> gk.grad(lambda x: gk.scipy.special.logsumexp(x))(np.zeros(2))
array([0.5, 0.5])
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["special", "stats", "linalg", "signal", "integrate", "spatial"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        module = importlib.import_module(f"gradkit.scipy.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'gradkit.scipy' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
