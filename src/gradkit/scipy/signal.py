"""``scipy.signal``'s convolutions, written for gradkit: ``gk.scipy.signal.convolve``...

One primitive, the full N-d convolution (computed by SciPy), carries the derivatives:
convolution is bilinear, and the cotangent of one input is the full convolution of the
output's cotangent with the other input flipped, cropped to the input's shape. The
``valid`` and ``same`` modes crop the full result, and the correlations convolve with a
flipped second input, so every function here is differentiable in both inputs, in both
modes, to any order. Needs SciPy (``pip install 'gradkit[scipy]'``).
"""

from __future__ import annotations

import numpy as np

from gradkit.autodiff.primitives import Primitive, peek
from gradkit.scipy._arrays import arrays
from gradkit.scipy._require import scipy_module

_signal = scipy_module("scipy.signal", "gk.scipy.signal")

__all__ = ["convolve", "correlate", "convolve2d", "correlate2d"]


def _full(a, v, method="auto"):
    return _signal.convolve(a, v, mode="full", method=method)


def _crop(x, starts, lengths):
    return x[tuple(slice(s, s + n) for s, n in zip(starts, lengths))]


def _full_vjp(i, g, ans, a, v, method="auto"):
    other, mine = (v, a) if i == 0 else (a, v)
    shape_o, shape_m = np.shape(peek(other)), np.shape(peek(mine))
    back = full_convolve(g, np.flip(other), method=method)
    return _crop(back, [n - 1 for n in shape_o], shape_m)


def _full_jvp(nb, i, t, ans, a, v, method="auto"):
    other = v if i == 0 else a
    # Batch axes of the tangent meet axes of length 1: they pass through unchanged.
    other = np.reshape(other, (1,) * nb + np.shape(peek(other)))
    pair = (t, other) if i == 0 else (other, t)
    return full_convolve(*pair, method=method)


full_convolve = Primitive("scipy.signal.convolve", _full, register=False)
full_convolve.vjp_any = _full_vjp
full_convolve.jvp = _full_jvp


def _check(in1, in2, who):
    s1, s2 = np.shape(peek(in1)), np.shape(peek(in2))
    if len(s1) != len(s2):
        raise ValueError(f"{who}: in1 and in2 should have the same dimensionality ({s1}, {s2})")
    return s1, s2


def _mode(full, s1, s2, mode, who):
    if mode == "full":
        return full
    if mode == "valid":
        small = all(a <= b for a, b in zip(s1, s2))
        large = all(a >= b for a, b in zip(s1, s2))
        if not (small or large):
            raise ValueError(
                f"{who}: for 'valid' mode, one must be at least as large as the other in "
                f"every dimension (shapes {s1} and {s2})"
            )
        return _crop(full, [min(a, b) - 1 for a, b in zip(s1, s2)],
                     [abs(a - b) + 1 for a, b in zip(s1, s2)])  # fmt: skip
    if mode == "same":
        return _crop(full, [(b - 1) // 2 for b in s2], s1)  # centered on in1
    raise ValueError(f"{who}: acceptable mode flags are 'valid', 'same', or 'full', got {mode!r}")


def convolve(in1, in2, mode="full", method="auto"):
    """N-d convolution of ``in1`` and ``in2``, as ``scipy.signal.convolve``.

    ``mode`` is ``'full'``, ``'valid'`` or ``'same'`` (centered on ``in1``); ``method``
    is passed to SciPy. Differentiable in both inputs.

    >>> import numpy as np
    >>> import gradkit as gk
    >>> gk.scipy.signal.convolve(np.array([1.0, 2.0]), np.array([1.0, 1.0, 1.0]))
    array([1., 3., 3., 2.])
    >>> gk.grad(lambda x: gk.scipy.signal.convolve(x, np.ones(3), "valid").sum())(np.ones(4))
    array([1., 2., 2., 1.])
    """
    in1, in2 = arrays(in1, in2)
    s1, s2 = _check(in1, in2, "convolve")
    if mode not in ("full", "valid", "same"):
        _mode(None, s1, s2, mode, "convolve")
    return _mode(full_convolve(in1, in2, method=method), s1, s2, mode, "convolve")


def correlate(in1, in2, mode="full", method="auto"):
    """N-d cross-correlation of ``in1`` and ``in2``, as ``scipy.signal.correlate`` (real
    inputs): the convolution of ``in1`` with ``in2`` flipped along every axis.

    >>> import numpy as np
    >>> import gradkit as gk
    >>> gk.scipy.signal.correlate(np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0]), "valid")
    array([2., 3.])
    """
    in1, in2 = arrays(in1, in2)
    s1, s2 = _check(in1, in2, "correlate")
    if mode == "valid" and not all(a >= b for a, b in zip(s1, s2)):
        if all(a <= b for a, b in zip(s1, s2)):  # SciPy swaps: the result comes out flipped
            return np.flip(convolve(in2, np.flip(in1), "valid", method))
    return convolve(in1, np.flip(in2), mode, method)


def _two_d(in1, in2, boundary, fillvalue, who):
    if np.ndim(peek(in1)) != 2 or np.ndim(peek(in2)) != 2:
        raise ValueError(f"{who} inputs must both be 2-D arrays")
    if boundary not in ("fill", "pad") or fillvalue != 0:
        raise NotImplementedError(
            f"gk.scipy.signal.{who}: only boundary='fill' with fillvalue=0 is supported (got "
            f"boundary={boundary!r}, fillvalue={fillvalue!r}); pad the input with np.pad "
            "(mode='wrap' or 'symmetric') and use mode='valid' instead"
        )


def convolve2d(in1, in2, mode="full", boundary="fill", fillvalue=0):
    """2-d convolution, as ``scipy.signal.convolve2d`` (``boundary='fill'``, zero fill).

    >>> import numpy as np
    >>> import gradkit as gk
    >>> gk.scipy.signal.convolve2d(np.eye(2), np.ones((1, 2)))
    array([[1., 1., 0.],
           [0., 1., 1.]])
    """
    _two_d(in1, in2, boundary, fillvalue, "convolve2d")
    return convolve(in1, in2, mode, method="direct")


def correlate2d(in1, in2, mode="full", boundary="fill", fillvalue=0):
    """2-d cross-correlation, as ``scipy.signal.correlate2d`` (``boundary='fill'``).

    >>> import numpy as np
    >>> import gradkit as gk
    >>> gk.scipy.signal.correlate2d(np.arange(4.0).reshape(2, 2), np.ones((1, 1)))
    array([[0., 1.],
           [2., 3.]])
    """
    _two_d(in1, in2, boundary, fillvalue, "correlate2d")
    if mode == "same":  # centered as SciPy's correlate2d centers it (not as correlate)
        full = correlate(in1, in2, "full", method="direct")
        return _crop(full, [n // 2 for n in np.shape(peek(in2))], np.shape(peek(in1)))
    return correlate(in1, in2, mode, method="direct")
