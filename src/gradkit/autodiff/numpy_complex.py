"""NumPy's functions of complex numbers on traced values: ``np.real``, ``np.imag``,
``np.angle``, ``np.real_if_close``, and ``np.sign``, which for complex numbers is
``z / |z|`` and has a derivative (``np.conjugate`` and ``np.abs`` are ufuncs, dispatched
directly to their primitives). The rules are in :mod:`gradkit.autodiff.rules.complex_parts`.

On real values ``np.real`` is the identity, ``np.imag`` a constant 0, ``np.angle`` a
piecewise constant (0 or pi) and ``np.sign`` piecewise constant: zero derivative.

>>> import numpy as np
>>> import gradkit as gk
>>> bool(gk.grad(lambda x: np.real(np.exp(1j * x)))(0.5) == -np.sin(0.5))
True
>>> gk.grad(lambda z: np.abs(z))(np.complex128(3 + 4j))  # d|z|/dx - i d|z|/dy
np.complex128(0.6-0.8j)
"""

from __future__ import annotations

import numpy as np

from gradkit.autodiff.numpy_api import FUNCTIONS, UFUNCS, _constant, implements
from gradkit.autodiff.primitives import apply_constant, peek, shape_of, value_for
from gradkit.autodiff.rules import complex_parts
from gradkit.autodiff.rules.complex_parts import is_complex

# Reached through NumPy itself (np.real(t) on a traced t), with NumPy's signatures.
__all__: list[str] = []


@implements(np.real)
def real(val):
    return complex_parts.real_p(val) if is_complex(val) else val


@implements(np.imag)
def imag(val):
    if is_complex(val):
        return complex_parts.imag_p(val)
    return np.zeros(shape_of(val), dtype=np.result_type(peek(val)))


@implements(np.angle)
def angle(z, deg=False):
    if is_complex(z):
        return complex_parts.angle_p(z, deg=bool(deg))
    return apply_constant(np.angle, (z,), {"deg": bool(deg)})


def sign(x):
    if is_complex(x):
        return complex_parts.sign_p(x)
    return apply_constant(np.sign, (x,), {})


UFUNCS[np.sign] = sign  # a ufunc: FUNCTIONS never sees it


@implements(np.real_if_close)
def real_if_close(a, tol=100):
    """The real part where every imaginary part is within ``tol`` machine epsilons of 0
    (as NumPy decides, from the values), else ``a`` itself."""
    why = "np.real_if_close returns a real or a complex array depending on the values"
    if is_complex(a) and not np.iscomplexobj(np.real_if_close(value_for(a, why), tol=tol)):
        return real(a)
    return a


for _f in (np.iscomplex, np.isreal):
    FUNCTIONS[_f] = _constant(_f)
