"""Closed forms the tests compare with, written out once, in plain NumPy.

Nothing here imports gradkit, so a derivative is never checked against the code that
computed it.
"""

from __future__ import annotations

import numpy as np


def rosenbrock(x):
    """The n-d Rosenbrock function, sum of 100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2."""
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosenbrock_gradient(x: np.ndarray) -> np.ndarray:
    """Its gradient."""
    g = np.zeros_like(x)
    g[:-1] += -400.0 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * (x[1:] - x[:-1] ** 2)
    return g


def rosenbrock_hessian(x: np.ndarray) -> np.ndarray:
    """Its Hessian (a tridiagonal matrix)."""
    n = x.size
    h = np.zeros((n, n))
    for i in range(n - 1):
        h[i, i] += 1200.0 * x[i] ** 2 - 400.0 * x[i + 1] + 2.0
        h[i + 1, i + 1] += 200.0
        h[i, i + 1] = h[i + 1, i] = -400.0 * x[i]
    return h
