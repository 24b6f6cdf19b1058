"""FFT primitives: the complex DFT over some axes, the real-input half-spectrum transform
and its inverse, and zero-padding/cropping. Every ``np.fft`` function is built from these
four in :mod:`gradkit.autodiff.numpy_fft`.

Complex convention (JAX's): a cotangent ``c`` of a complex value pairs with a tangent
``v`` by ``Re(sum(c * v))``, with no conjugation. The reverse rule of a complex-linear
map ``A`` is then its plain transpose ``A^T``. The DFT matrix is symmetric, so the reverse
rule of ``fft`` is ``fft`` with the same ``norm``, and the same holds for ``ifft``. A real
input gets the real part of its cotangent.

``rfft`` keeps the first ``n // 2 + 1`` bins of the DFT of a real signal. ``irfft``
reads such a half spectrum ``y`` and returns
``x_j = scale * Re(sum_k w_k y_k exp(2 pi i j k / n))``, where ``w_k`` is 1 at the DC bin
and at the Nyquist bin (even ``n``) and 2 at the others (each of those stands for itself
and for its conjugate twin). ``irfft`` ignores the imaginary parts of the DC and Nyquist
bins. It is real-linear, so its tangent rule is ``irfft`` again. The transposes pair the
two up with NumPy's ``hfft``/``ihfft`` (``norm`` directions swapped):
``rfft^T g = hfft(g / w)`` and ``irfft^T c = w * ihfft(c)``. The latter is real at DC and
Nyquist, so the ignored imaginary parts get no gradient.

The rules are written with these primitives and NumPy calls, so they differentiate again.
"""

from __future__ import annotations

import numpy as np

from gradkit.autodiff.primitives import Primitive, peek, shape_of
from gradkit.autodiff.rules.shape import _traced

#: The ``norm=`` modes NumPy accepts (None is "backward").
NORMS = ("backward", "ortho", "forward")
#: The norm that scales the opposite direction's transform as ``norm`` scales this one's.
SWAP = {"backward": "forward", "ortho": "ortho", "forward": "backward"}


def is_complex(x) -> bool:
    """Whether ``x`` (plain or traced) holds complex numbers."""
    return np.result_type(peek(x)).kind == "c"


def _real_part_for(x, r):
    """The cotangent ``r`` for input ``x``: its real part where ``x`` is real."""
    return r if is_complex(x) else np.real(r)


def _shifted(axes: tuple, nb: int) -> tuple:
    return tuple(a + nb for a in axes)


# zero-padding and cropping -------------------------------------------------------------
def _resize(x, shape):
    if _traced(x):
        return resize_p(x, shape=shape)
    out = np.zeros(shape, dtype=np.result_type(x))
    common = tuple(slice(0, min(a, b)) for a, b in zip(np.shape(x), shape))
    out[common] = x[common]
    return out


#: ``x`` cropped or zero-padded at the end of each axis to ``shape`` (same rank): what
#: ``n=`` and ``s=`` do. Its transpose resizes back: cropping and padding transpose to
#: each other.
resize_p = Primitive("fft_resize", _resize)
resize_p.vjps = (lambda g, ans, x, shape: resize_p(g, shape=shape_of(x)),)
resize_p.jvp = lambda nb, i, t, ans, x, shape: resize_p(t, shape=shape_of(t)[:nb] + tuple(shape))


# complex to complex ---------------------------------------------------------------------
def _c2c(x, axes, inverse, norm):
    if len(axes) == 1:  # fft/ifft skip fftn's argument handling
        return (np.fft.ifft if inverse else np.fft.fft)(x, axis=axes[0], norm=norm)
    return (np.fft.ifftn if inverse else np.fft.fftn)(x, axes=axes, norm=norm)


def _c2c_vjp(g, ans, x, axes, inverse, norm):
    # The DFT matrix (and the inverse's) is symmetric: the transpose is the same map.
    return _real_part_for(x, c2c_p(g, axes=axes, inverse=inverse, norm=norm))


#: The DFT (``inverse=False``) or its inverse over ``axes`` (non-negative ints), scaled by
#: ``norm``, with no padding: NumPy's ``fftn``/``ifftn`` with ``s=None``.
c2c_p = Primitive("fft_c2c", _c2c)
c2c_p.vjps = (_c2c_vjp,)
c2c_p.jvp = lambda nb, i, t, ans, x, axes, inverse, norm: c2c_p(
    t, axes=_shifted(axes, nb), inverse=inverse, norm=norm
)


# real to half spectrum -----------------------------------------------------------------
def bin_weights(n: int, dtype) -> np.ndarray:
    """How many bins of the full spectrum each of the ``n // 2 + 1`` kept bins stands for:
    1 at DC and (even ``n``) Nyquist, 2 elsewhere; in ``dtype``'s real precision."""
    w = np.full(n // 2 + 1, 2.0, dtype=np.finfo(dtype).dtype)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    return w


def _weights_along(n: int, like, axis: int) -> np.ndarray:
    """:func:`bin_weights` shaped to multiply ``like`` along ``axis``."""
    w = bin_weights(n, np.result_type(peek(like)))
    return w.reshape((-1,) + (1,) * (len(shape_of(like)) - axis - 1))


def _r2c(x, axis, norm):
    return np.fft.rfft(x, axis=axis, norm=norm)


def _r2c_vjp(g, ans, x, axis, norm):
    # rfft^T g = Re(sum_k g_k exp(-2 pi i j k / n)) over the kept bins, which is irfft of
    # conj(g) / w with the norm's direction swapped (NumPy's hfft of g / w): irfft
    # counts each bin w times and reads only the real parts at DC and Nyquist, as needed.
    n = shape_of(x)[axis]
    return c2r_p(np.conjugate(g) / _weights_along(n, g, axis), axis=axis, n=n, norm=SWAP[norm])


#: ``rfft`` of a real ``x`` along ``axis``, whose length is the transform's ``n``.
r2c_p = Primitive("fft_r2c", _r2c)
r2c_p.vjps = (_r2c_vjp,)
r2c_p.jvp = lambda nb, i, t, ans, x, axis, norm: r2c_p(t, axis=axis + nb, norm=norm)


# half spectrum to real -----------------------------------------------------------------
def _c2r(y, axis, n, norm):
    return np.fft.irfft(y, n=n, axis=axis, norm=norm)


def _c2r_vjp(g, ans, y, axis, n, norm):
    # irfft^T g = w * sum_j g_j exp(2 pi i j k / n) over the kept bins k, which is w times
    # conj(rfft(g)) with the norm's direction swapped (NumPy's ihfft of g). Only Re(g)
    # meets the real output's tangent.
    if is_complex(g):
        g = np.real(g)
    half = np.conjugate(r2c_p(g, axis=axis, norm=SWAP[norm]))
    return _real_part_for(y, half * _weights_along(n, half, axis))


#: ``irfft`` along ``axis`` of a half spectrum with exactly ``n // 2 + 1`` bins there.
c2r_p = Primitive("fft_c2r", _c2r)
c2r_p.vjps = (_c2r_vjp,)
c2r_p.jvp = lambda nb, i, t, ans, y, axis, n, norm: c2r_p(t, axis=axis + nb, n=n, norm=norm)
