"""``scipy.special``'s Python-level functions, written for gradkit.

``scipy.special.logsumexp``, ``softmax``, ``log_softmax`` and ``polygamma`` convert their
arguments with ``np.asarray``, so a traced value cannot pass through them; these have
the same names, signatures and values (the same algorithms), in NumPy code gradkit
differentiates. ``scipy.special``'s ufuncs (``erf``, ``gammaln``...) need no version here:
call them directly on traced values.
"""

from __future__ import annotations

import numpy as np

from gradkit.autodiff import stop_gradient
from gradkit.autodiff.primitives import peek
from gradkit.scipy._arrays import arrays
from gradkit.scipy._special_scipy import polygamma

__all__ = ["logsumexp", "softmax", "log_softmax", "polygamma"]


def _axes(axis, ndim: int) -> tuple:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    return tuple(int(a) % ndim for a in axes)


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """``log(sum(b * exp(a)))`` over ``axis``, computed stably, as ``scipy.special.logsumexp``.

    Returns the result, or ``(result, sign)`` with ``return_sign=True`` (when the weights
    ``b`` make the sum negative, ``result`` is then the log of its absolute value).
    Differentiable in ``a`` and ``b``; SciPy's algorithm (the largest term taken out and
    ``log1p`` of the rest), so the values agree with SciPy's to rounding.

    >>> import numpy as np
    >>> import gradkit as gk
    >>> float(gk.scipy.special.logsumexp(np.log([1.0, 2.0, 5.0])))  # log 8
    2.0794415416798357
    >>> gk.grad(gk.scipy.special.logsumexp)(np.log([1.0, 3.0]))  # the softmax
    array([0.25, 0.75])
    """
    a, b = arrays(a, b)
    if b is not None:
        a, b = _broadcast(a, b)
    a = a if np.ndim(a) else np.reshape(a, (1,))
    a = a * 1.0 if np.result_type(peek(a)).kind in "biu" else a  # force floating
    if b is not None:
        b = np.reshape(b, np.shape(a))
    axes = _axes(axis, np.ndim(a))
    if np.size(peek(a)) == 0:
        shape = tuple(1 if k in axes else n for k, n in enumerate(np.shape(a)))
        out = np.full(shape, -np.inf)
        sgn = np.sign(out)
    else:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out, sgn = _logsumexp(a, b, axes, return_sign)
    if not keepdims:
        out = np.squeeze(out, axis=axes)
        sgn = np.squeeze(sgn, axis=axes)
    return (out, sgn) if return_sign else out


def _broadcast(a, b):
    shape = np.broadcast_shapes(np.shape(peek(a)), np.shape(peek(b)))
    return np.broadcast_to(a, shape), np.broadcast_to(b, shape)


def _logsumexp(a, b, axes, return_sign):
    given = a
    if b is not None:
        a = np.where(b == 0, -np.inf, a)
    a_max = np.max(a, axis=axes, keepdims=True)  # ties share its gradient evenly
    at_max = a == a_max
    count = at_max * 1.0 if b is None else b * at_max
    m = np.sum(count, axis=axes, keepdims=True)
    rest = np.where(at_max, -np.inf, a)
    if b is not None:  # b == 0 terms: 0, with the slope in b of exp(a - a_max)
        finite = np.isfinite(given)
        slope = np.minimum(np.where(finite, given, 0.0), a_max)
        rest = np.where(np.logical_and(b == 0, finite), slope, rest)
        rest = np.where(at_max, -np.inf, rest)
    terms = np.exp(rest - a_max)
    if b is not None:
        terms = b * terms
    s = np.sum(terms, axis=axes, keepdims=True)
    s = np.where(s == 0, s, s / np.where(m == 0, 1.0, m))
    sgn = np.sign(s + 1) * np.sign(m)
    s = np.where(s < -1, -s - 2, s)
    out = np.log1p(s) + np.log(np.abs(m)) + a_max
    if not return_sign:
        out = np.where(sgn < 0, np.nan, out)
    # Infinite inputs: SciPy's fallback log(sum(b exp(a))), fed zeros where not taken
    # (so its derivative, unused there, stays finite).
    finite = np.isfinite(out)
    a0 = np.where(finite, 0.0, a)
    total = np.sum(np.exp(a0) if b is None else np.where(finite, 0.0, b) * np.exp(a0),
                   axis=axes, keepdims=True)  # fmt: skip
    if return_sign:
        sgn = np.where(finite, sgn, np.sign(total))
        total = np.abs(total)
    out = np.where(finite, out, np.log(np.where(finite, 1.0, total)))
    return out, sgn


def softmax(x, axis=None):
    """``exp(x) / sum(exp(x))`` over ``axis``, as ``scipy.special.softmax``.

    >>> import numpy as np
    >>> import gradkit as gk
    >>> gk.scipy.special.softmax(np.log([1.0, 3.0]))
    array([0.25, 0.75])
    """
    x = arrays(x)
    x_max = stop_gradient(np.max(x, axis=axis, keepdims=True))  # any shift: same value
    exp_x_shifted = np.exp(x - x_max)
    return exp_x_shifted / np.sum(exp_x_shifted, axis=axis, keepdims=True)


def log_softmax(x, axis=None):
    """``x - logsumexp(x)`` over ``axis``, as ``scipy.special.log_softmax``.

    >>> import numpy as np
    >>> import gradkit as gk
    >>> gk.scipy.special.log_softmax(np.array([1000.0, 1.0]))
    array([   0., -999.])
    """
    x = arrays(x)
    x_max = stop_gradient(np.max(x, axis=axis, keepdims=True))
    x_max = np.where(np.isfinite(x_max), x_max, 0.0)
    tmp = x - x_max
    exp_tmp = np.exp(tmp)
    with np.errstate(divide="ignore"):
        s = np.sum(exp_tmp, axis=axis, keepdims=True)
        out = tmp - np.log(s)
    return out
