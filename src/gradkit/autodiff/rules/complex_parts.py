"""Functions that are not holomorphic: ``abs``, ``real``, ``imag``, ``conj``, ``angle``.

The engine pairs a cotangent ``c`` with a tangent ``v`` of a complex value by
``Re(sum(c * v))``, with no conjugation (JAX's convention). A holomorphic function's
reverse and forward rules are then the same multiplication by ``f'(z)``, which is why the
rules of :mod:`~gradkit.autodiff.rules.elementwise` serve both modes and both kinds of
numbers unchanged. The functions here are only real-linear in ``dz``, so each has a
reverse rule and a forward rule of its own:

==========  ===============================  ==============================
function    forward: tangent of the output   reverse: cotangent of ``z``
==========  ===============================  ==============================
``|z|``     ``Re(conj(z) t) / |z|``          ``g conj(z) / |z|``
``Re z``    ``Re t``                         ``g`` (as a complex number)
``Im z``    ``Im t``                         ``-1j g``
``conj z``  ``conj t``                       ``conj g``
``arg z``   ``Im(t / z)``                    ``-1j g / z``
``z/|z|``   ``t/|z| - z Re(conj(z) t)/|z|^3``  ``g/|z| - Re(g z) conj(z)/|z|^3``
==========  ===============================  ==============================

At ``z = 0``, ``|z|`` and ``arg z`` have no derivative; 0 is used there, as ``abs'(0) = 0``
for real numbers. On real arguments these are ``abs`` (derivative ``sign(x)``), the
identity, zero, the identity and a piecewise constant.
"""

from __future__ import annotations

import numpy as np

from gradkit.autodiff.primitives import Primitive, peek

__all__ = ["is_complex", "abs_p", "real_p", "imag_p", "conj_p", "angle_p", "sign_p"]


def is_complex(x) -> bool:
    """Whether ``x`` (an array, a number or a traced value) holds complex numbers."""
    v = peek(x)
    try:
        return v.dtype.kind == "c"
    except AttributeError:
        return isinstance(v, complex)


def _unit_conj(z, ans):
    """``conj(z) / |z|`` (0 where ``z`` is 0): the derivative of ``|z|``; ``ans = |z|``."""
    nonzero = ans != 0
    return np.where(nonzero, np.conjugate(z) / np.where(nonzero, ans, 1.0), 0.0)


def _abs_vjp(g, ans, x):
    if is_complex(x):
        return g * _unit_conj(x, ans)
    return g * np.sign(x)


def _abs_jvp(nb, i, t, ans, x):
    if is_complex(x):
        return np.real(t * _unit_conj(x, ans))
    return t * np.sign(x)


def _make(name: str, impl, vjp, jvp) -> Primitive:
    prim = Primitive(name, impl, elementwise=True)
    prim.vjps = (vjp,)
    prim.jvp = jvp
    return prim


abs_p = _make("absolute", np.absolute, _abs_vjp, _abs_jvp)


def _as_complex(g, like):
    """Real ``g`` as a complex number of ``like``'s precision."""
    if is_complex(g):
        return g
    dtype = np.result_type(peek(like))
    return g * dtype.type(1)  # a multiply, so a traced g stays traced


real_p = _make(
    "real",
    np.real,
    lambda g, ans, x: _as_complex(g, x) if is_complex(x) else g,
    lambda nb, i, t, ans, x: np.real(t),
)
imag_p = _make(  # only for complex x: the imaginary part of a real array is a constant 0
    "imag",
    np.imag,
    lambda g, ans, x: g * np.result_type(peek(x)).type(-1j),
    lambda nb, i, t, ans, x: np.imag(t),
)
conj_p = _make(
    "conjugate",
    np.conjugate,
    lambda g, ans, x: np.conjugate(g),
    lambda nb, i, t, ans, x: np.conjugate(t),
)


def _inverse_or_zero(z):
    """``1 / z``, 0 where ``z`` is 0."""
    nonzero = z != 0
    return np.where(nonzero, 1.0 / np.where(nonzero, z, 1.0), 0.0)


def _angle(z, deg=False):
    return np.angle(z, deg=deg)


def _angle_scale(deg: bool) -> float:
    return 180.0 / np.pi if deg else 1.0


angle_p = _make(  # only for complex z: the angle of a real number is piecewise constant
    "angle",
    _angle,
    lambda g, ans, z, deg=False: g * _inverse_or_zero(z) * (-1j * _angle_scale(deg)),
    lambda nb, i, t, ans, z, deg=False: np.imag(t * _inverse_or_zero(z)) * _angle_scale(deg),
)


def _safe_abs(z):
    """``|z|`` and where it is nonzero, with 1 in place of 0 (so nothing divides by 0)."""
    a = np.absolute(z)
    nonzero = a != 0
    return np.where(nonzero, a, 1.0), nonzero


def _sign_vjp(g, ans, z):
    # w = z/|z|: Re(g dw) = Re(g dz)/|z| - Re(g z) Re(conj(z) dz)/|z|^3
    a, nonzero = _safe_abs(z)
    ct = g / a - np.real(g * z) * np.conjugate(z) / (a * a * a)
    return np.where(nonzero, ct, 0.0)


def _sign_jvp(nb, i, t, ans, z):
    a, nonzero = _safe_abs(z)
    return np.where(nonzero, t / a - z * np.real(np.conjugate(z) * t) / (a * a * a), 0.0)


#: NumPy's ``sign`` of complex numbers, ``z / |z|`` (0 at 0): unlike the sign of a real
#: number it has a derivative. (Only for complex ``z``: a real sign is a constant.)
sign_p = _make("sign", np.sign, _sign_vjp, _sign_jvp)


def _logdet(a):
    sign, logabs = np.linalg.slogdet(a)
    return np.log(sign) + logabs


def _inverse_transposed(a):
    return np.swapaxes(np.linalg.inv(a), -1, -2)


#: ``log det a`` of complex matrices, ``log|det a| + i arg(det a)``: holomorphic, with
#: derivative ``inv(a)^T``. np.linalg.slogdet's complex sign, ``exp(i arg(det a))``, takes
#: its derivative from the imaginary part.
logdet_p = Primitive("logdet", _logdet)
logdet_p.vjps = (lambda g, ans, a: np.reshape(g, np.shape(g) + (1, 1)) * _inverse_transposed(a),)
logdet_p.jvp = lambda nb, i, t, ans, a: np.sum(_inverse_transposed(a) * t, axis=(-2, -1))
