"""Test cases for the engine: ``np.fft``, run by ``tests/test_autodiff_primitives.py``.

The harness differentiates real functions of real arrays against finite differences, so
each complex result is read through ``_re_im`` (its real part plus half its imaginary
part squared: real-valued, and not linear, so second derivatives are not all zero), and a
complex input is built from two real arrays, ``re + 1j * im``. Lengths cover both
parities (an even ``n`` has a Nyquist bin) and ``n``/``s`` both pad and crop.
"""

from __future__ import annotations

import numpy as np
from autodiff_cases import Case, pair, uniform


def _re_im(y):
    return np.real(y) + 0.5 * np.imag(y) ** 2


def _of_complex(fn):
    """``fn`` of the complex array ``re + 1j * im``, as a function of two real arrays."""

    def complex_input(re, im):
        return fn(re + 1j * im)

    return complex_input


PARTS = pair(uniform(-1, 1), uniform(-1, 1))


def _same(*shapes):
    return [(s, s) for s in shapes]


FFT = [
    Case("fft", lambda x: _re_im(np.fft.fft(x)), uniform(-1, 1), [(5,), (2, 4)]),
    Case(
        "fft(n=7, axis=0, ortho)",
        lambda x: _re_im(np.fft.fft(x, n=7, axis=0, norm="ortho")),
        uniform(-1, 1),
        [(4,), (3, 2)],
    ),
    Case(
        "fft of complex (n=3 crops, forward)",
        _of_complex(lambda z: _re_im(np.fft.fft(z, n=3, norm="forward"))),
        PARTS,
        _same((5,), (2, 4)),
        (0, 1),
    ),
    Case(
        "ifft of complex",
        _of_complex(lambda z: _re_im(np.fft.ifft(z))),
        PARTS,
        _same((4,), (3, 3)),
        (0, 1),
    ),
    Case("rfft", lambda x: _re_im(np.fft.rfft(x)), uniform(-1, 1), [(5,), (6,), (2, 4)]),
    Case(
        "rfft(n=8, axis=0, forward)",
        lambda x: _re_im(np.fft.rfft(x, n=8, axis=0, norm="forward")),
        uniform(-1, 1),
        [(5,), (3, 2)],
    ),
    Case(
        "irfft of complex",
        _of_complex(lambda z: np.fft.irfft(z) ** 2),
        PARTS,
        _same((4,), (2, 3)),
        (0, 1),
    ),
    Case(
        "irfft(n=7, ortho) of complex",
        _of_complex(lambda z: np.fft.irfft(z, n=7, norm="ortho") ** 2),
        PARTS,
        _same((3,), (6,)),
        (0, 1),
    ),
    Case("irfft of real", lambda x: np.fft.irfft(x, n=5) ** 2, uniform(-1, 1), [(3,), (2, 4)]),
    Case(
        "hfft of complex",
        _of_complex(lambda z: np.fft.hfft(z, norm="ortho") ** 2),
        PARTS,
        _same((4,), (3,)),
        (0, 1),
    ),
    Case("ihfft", lambda x: _re_im(np.fft.ihfft(x, n=6)), uniform(-1, 1), [(5,), (2, 7)]),
    Case("fft2", lambda x: _re_im(np.fft.fft2(x)), uniform(-1, 1), [(3, 4), (2, 2, 3)]),
    Case(
        "ifft2 of complex (s pads and crops)",
        _of_complex(lambda z: _re_im(np.fft.ifft2(z, s=(4, 2), norm="ortho"))),
        PARTS,
        _same(
            (3, 3),
        ),
        (0, 1),
    ),
    Case(
        "fftn(axes=(0, 2))",
        lambda x: _re_im(np.fft.fftn(x, axes=(0, 2), norm="forward")),
        uniform(-1, 1),
        [(2, 3, 4)],
    ),
    Case(
        "ifftn of complex",
        _of_complex(lambda z: _re_im(np.fft.ifftn(z))),
        PARTS,
        _same((3,), (2, 3)),
        (0, 1),
    ),
    Case("rfft2", lambda x: _re_im(np.fft.rfft2(x)), uniform(-1, 1), [(3, 4), (2, 3, 3)]),
    Case(
        "rfftn(s=(4, 5), axes=(1, 0))",
        lambda x: _re_im(np.fft.rfftn(x, s=(4, 5), axes=(1, 0), norm="ortho")),
        uniform(-1, 1),
        [(3, 3)],
    ),
    Case(
        "irfft2 of complex",
        _of_complex(lambda z: np.fft.irfft2(z) ** 2),
        PARTS,
        _same((3, 3), (2, 2, 3)),
        (0, 1),
    ),
    Case(
        "irfftn(s=(3, 5)) of complex",
        _of_complex(lambda z: np.fft.irfftn(z, s=(3, 5), axes=(0, 1), norm="forward") ** 2),
        PARTS,
        _same((2, 3), (4, 4)),
        (0, 1),
    ),
    Case(
        "circular convolution irfft(rfft(x) * rfft(y))",
        lambda x, y: np.fft.irfft(np.fft.rfft(x) * np.fft.rfft(y), n=x.shape[-1]),
        pair(uniform(-1, 1), uniform(-1, 1)),
        _same((5,), (6,), (2, 4)),
        (0, 1),
    ),
    Case(
        "power spectrum |fft(x)|^2",
        lambda x: np.abs(np.fft.fft(x, norm="ortho")) ** 2,
        uniform(-1, 1),
        [(4,), (2, 5)],
    ),
    Case(
        "fftshift",
        lambda x: np.fft.fftshift(x) * np.arange(x.size).reshape(x.shape),
        uniform(-1, 1),
        [(5,), (2, 3)],
    ),
    Case(
        "ifftshift(axes=0)",
        lambda x: np.fft.ifftshift(x, axes=0) ** 2,
        uniform(-1, 1),
        [(5,), (4, 3)],
    ),
]
