"""Small read-only arrays kept for reuse instead of being built on every call.

The engine seeds each backward pass with ones and sums a batch's rows as ``ones @ r``;
the fused losses pick each row's label with ``arange(n)``. Building these costs a few
microseconds per call on hot paths, so they are made once, marked read-only (no rule may
write into a shared array) and kept, up to a bound. This module loads NumPy only, so
``gradkit.nn`` can use it without loading the engine.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["readonly_ones", "readonly_arange"]

_KEPT: dict = {}
_LIMIT = 64  # distinct shapes kept; beyond that, arrays are built per call


def _keep(key: tuple, arr: np.ndarray) -> np.ndarray:
    arr.flags.writeable = False
    if len(_KEPT) < _LIMIT:
        _KEPT[key] = arr
    return arr


def readonly_ones(shape: tuple, dtype: Any = np.float64) -> np.ndarray:
    """A read-only array of ones of this shape and dtype, kept for reuse.

    >>> readonly_ones((3,))
    array([1., 1., 1.])
    >>> readonly_ones((3,)) is readonly_ones((3,)), readonly_ones((3,)).flags.writeable
    (True, False)
    """
    key = ("ones", shape, dtype)
    arr = _KEPT.get(key)
    return arr if arr is not None else _keep(key, np.ones(shape, dtype=dtype))


def readonly_arange(n: int, step: int = 1) -> np.ndarray:
    """A read-only ``np.arange(0, n * step, step)``, kept for reuse: the row numbers of a
    batch, or (with ``step`` the row length) where each row starts in the flat array.

    >>> readonly_arange(4)
    array([0, 1, 2, 3])
    >>> readonly_arange(3, 10)
    array([ 0, 10, 20])
    """
    key = ("arange", n, step)
    arr = _KEPT.get(key)
    return arr if arr is not None else _keep(key, np.arange(0, n * step, step))
