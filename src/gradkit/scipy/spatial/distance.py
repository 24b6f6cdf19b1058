"""``scipy.spatial.distance.cdist``, written for gradkit.

The distances are NumPy code over the pairwise differences, so they are differentiable
in both sets of points. Where a distance has no derivative (two coincident points for
``euclidean``/``minkowski``, a zero coordinate difference for ``cityblock``, ties for
``chebyshev``), the convention is gradkit's: the subgradient of least norm (0 for a
coincident pair; ``abs'(0) = 0``; ties share the gradient evenly).
"""

from __future__ import annotations

import numpy as np

from gradkit.autodiff.primitives import peek
from gradkit.scipy._arrays import arrays

__all__ = ["cdist"]

_METRICS = ("euclidean", "sqeuclidean", "cityblock", "minkowski", "chebyshev", "cosine")


def _root(s, p):
    positive = s > 0
    safe = np.where(positive, s, 1.0)
    return np.where(positive, np.sqrt(safe) if p == 2 else safe ** (1.0 / p), 0.0)


def cdist(XA, XB, metric="euclidean", *, out=None, **kwargs):
    """Distances between each pair of rows of ``XA`` (m, n) and ``XB`` (k, n): an
    (m, k) array, as ``scipy.spatial.distance.cdist``.

    ``metric`` is one of ``'euclidean'``, ``'sqeuclidean'``, ``'cityblock'``,
    ``'minkowski'`` (``p=2``), ``'chebyshev'``, ``'cosine'``.

    >>> import numpy as np
    >>> import gradkit as gk
    >>> gk.scipy.spatial.distance.cdist(np.array([[0.0, 0.0]]), np.array([[3.0, 4.0], [1.0, 0.0]]))
    array([[5., 1.]])
    """
    if out is not None:
        raise TypeError("cdist: out= writes in place, which would drop the gradient; "
                        "assign the result instead")  # fmt: skip
    if not isinstance(metric, str) or metric not in _METRICS:
        raise ValueError(
            f"gk.scipy.spatial.distance.cdist: metric {metric!r} is not supported; use one "
            f"of {', '.join(_METRICS)}"
        )
    extra = set(kwargs) - ({"p"} if metric == "minkowski" else set())
    if extra:
        raise TypeError(f"cdist: unexpected arguments {sorted(extra)} for metric {metric!r}")
    XA, XB = arrays(XA, XB)
    sa, sb = np.shape(peek(XA)), np.shape(peek(XB))
    if len(sa) != 2 or len(sb) != 2:
        raise ValueError("XA must be a 2-dimensional array." if len(sa) != 2 else
                         "XB must be a 2-dimensional array.")  # fmt: skip
    if sa[1] != sb[1]:
        raise ValueError("XA and XB must have the same number of columns "
                         "(i.e. feature dimension.)")  # fmt: skip
    if metric == "cosine":
        dots = XA @ np.transpose(XB)
        norms = np.sqrt(np.sum(XA * XA, axis=1))[:, None] * np.sqrt(np.sum(XB * XB, axis=1))
        return np.clip(1.0 - dots / norms, 0.0, 2.0)
    diff = XA[:, None, :] - XB[None, :, :]
    if metric == "sqeuclidean":
        return np.sum(diff * diff, axis=-1)
    if metric == "euclidean":
        return _root(np.sum(diff * diff, axis=-1), 2)
    if metric == "cityblock":
        return np.sum(np.abs(diff), axis=-1)
    if metric == "chebyshev":
        return np.max(np.abs(diff), axis=-1)
    p = kwargs.get("p", 2.0)
    return _root(np.sum(np.abs(diff) ** p, axis=-1), p)
