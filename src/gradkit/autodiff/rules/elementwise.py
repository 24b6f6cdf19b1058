"""Elementwise primitives: one derivative formula each, used by both modes.

An elementwise derivative is a diagonal linear map, so the same formula turns an output
cotangent ``g`` into an input cotangent (reverse mode) and an input tangent into an
output tangent (forward mode). Each entry below is that formula, ``d(g, ans, *args)``,
written with NumPy calls so it can itself be differentiated. The engine undoes
broadcasting afterwards.

Non-differentiable points follow one documented convention: ``abs'(0) = 0`` (the sign),
``maximum``/``minimum`` (and ``fmax``/``fmin``, where a NaN loses to a number) split the
gradient evenly at ties, ``clip`` passes the gradient through on the closed interval
``[lo, hi]`` (and to ``hi`` alone when ``lo > hi``, where NumPy returns ``hi``).
"""

from __future__ import annotations

import math

import numpy as np

from gradkit.autodiff.primitives import Primitive, value_of
from gradkit.autodiff.rules import complex_parts

LOG2 = math.log(2.0)
LOG10 = math.log(10.0)
DEG = math.pi / 180.0


def _tie(win: np.ndarray, tie: np.ndarray, ans) -> np.ndarray:
    """1 where an argument wins, 1/2 where it ties: ties split the gradient evenly.

    The weights take the output's dtype, so float32 tangents stay float32."""
    return (win + 0.5 * tie).astype(np.result_type(value_of(ans)), copy=False)


def _pow_dx(g, ans, x, y):
    if isinstance(y, (int, float)):
        return g * (y * x ** (y - 1)) if y != 0 else g * 0.0
    return g * y * x ** np.where(y != 0, y - 1, 1.0)


def _pow_dy(g, ans, x, y):
    # d/dy x**y = log(x) x**y; where x == 0 the limit used is 0 (x**y is 0 or 1 there).
    if isinstance(x, (int, float)):  # a Python number: keep it weakly typed (float32 stays)
        return g * (math.log(x) if x > 0 else 0.0) * ans
    if isinstance(x, complex) or complex_parts.is_complex(x):  # the principal log
        safe = np.where(x != 0, x, 1.0)
        return g * np.log(safe) * ans
    safe = np.where(x > 0, x, 1.0)
    return g * np.log(safe) * ans


def _sqrt_x2_minus_1(x):
    """``sqrt(x*x - 1)``; for complex x ``sqrt(x - 1) sqrt(x + 1)``, which agrees with
    the principal branch of arccosh (the other has the wrong sign off the real line)."""
    if complex_parts.is_complex(x):
        return np.sqrt(x - 1.0) * np.sqrt(x + 1.0)
    return np.sqrt(x * x - 1.0)


UNARY = {
    "negative": (np.negative, lambda g, ans, x: -g),
    "positive": (np.positive, lambda g, ans, x: g),
    "exp": (np.exp, lambda g, ans, x: g * ans),
    "exp2": (np.exp2, lambda g, ans, x: g * ans * LOG2),
    "expm1": (np.expm1, lambda g, ans, x: g * (ans + 1.0)),
    "log": (np.log, lambda g, ans, x: g / x),
    "log2": (np.log2, lambda g, ans, x: g / (x * LOG2)),
    "log10": (np.log10, lambda g, ans, x: g / (x * LOG10)),
    "log1p": (np.log1p, lambda g, ans, x: g / (x + 1.0)),
    "sqrt": (np.sqrt, lambda g, ans, x: g / (2.0 * ans)),
    "cbrt": (np.cbrt, lambda g, ans, x: g / (3.0 * ans * ans)),
    "square": (np.square, lambda g, ans, x: g * (2.0 * x)),
    "reciprocal": (np.reciprocal, lambda g, ans, x: -g * (ans * ans)),
    "sin": (np.sin, lambda g, ans, x: g * np.cos(x)),
    "cos": (np.cos, lambda g, ans, x: -(g * np.sin(x))),
    "tan": (np.tan, lambda g, ans, x: g * (1.0 + ans * ans)),
    "arcsin": (np.arcsin, lambda g, ans, x: g / np.sqrt(1.0 - x * x)),
    "arccos": (np.arccos, lambda g, ans, x: -g / np.sqrt(1.0 - x * x)),
    "arctan": (np.arctan, lambda g, ans, x: g / (1.0 + x * x)),
    "sinh": (np.sinh, lambda g, ans, x: g * np.cosh(x)),
    "cosh": (np.cosh, lambda g, ans, x: g * np.sinh(x)),
    "tanh": (np.tanh, lambda g, ans, x: g * (1.0 - ans * ans)),
    "arcsinh": (np.arcsinh, lambda g, ans, x: g / np.sqrt(x * x + 1.0)),
    "arccosh": (np.arccosh, lambda g, ans, x: g / _sqrt_x2_minus_1(x)),
    "arctanh": (np.arctanh, lambda g, ans, x: g / (1.0 - x * x)),
    "deg2rad": (np.deg2rad, lambda g, ans, x: g * DEG),
    "rad2deg": (np.rad2deg, lambda g, ans, x: g / DEG),
}

BINARY = {
    "add": (np.add, lambda g, ans, x, y: g, lambda g, ans, x, y: g),
    "subtract": (np.subtract, lambda g, ans, x, y: g, lambda g, ans, x, y: -g),
    "multiply": (np.multiply, lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x),
    "true_divide": (np.true_divide, lambda g, ans, x, y: g / y, lambda g, ans, x, y: -g * ans / y),
    "power": (np.power, _pow_dx, _pow_dy),
    "float_power": (np.float_power, _pow_dx, _pow_dy),  # computes in float64, as NumPy does
    "maximum": (
        np.maximum,
        lambda g, ans, x, y: g * _tie(x > y, x == y, ans),
        lambda g, ans, x, y: g * _tie(y > x, x == y, ans),
    ),
    "minimum": (
        np.minimum,
        lambda g, ans, x, y: g * _tie(x < y, x == y, ans),
        lambda g, ans, x, y: g * _tie(y < x, x == y, ans),
    ),
    # fmax/fmin: as maximum/minimum, but a NaN loses to a number (x == x is "not NaN")
    "fmax": (
        np.fmax,
        lambda g, ans, x, y: g * _tie((x > y) | ((x == x) & (y != y)), x == y, ans),
        lambda g, ans, x, y: g * _tie((y > x) | ((y == y) & (x != x)), x == y, ans),
    ),
    "fmin": (
        np.fmin,
        lambda g, ans, x, y: g * _tie((x < y) | ((x == x) & (y != y)), x == y, ans),
        lambda g, ans, x, y: g * _tie((y < x) | ((y == y) & (x != x)), x == y, ans),
    ),
    "logaddexp": (
        np.logaddexp,
        lambda g, ans, x, y: g * np.exp(x - ans),
        lambda g, ans, x, y: g * np.exp(y - ans),
    ),
    "arctan2": (
        np.arctan2,
        lambda g, ans, y, x: g * x / (x * x + y * y),
        lambda g, ans, y, x: -g * y / (x * x + y * y),
    ),
    "hypot": (np.hypot, lambda g, ans, x, y: g * x / ans, lambda g, ans, x, y: g * y / ans),
    "remainder": (
        np.remainder,
        lambda g, ans, x, y: g,
        lambda g, ans, x, y: -g * np.floor_divide(x, y),
    ),
    "fmod": (np.fmod, lambda g, ans, x, y: g, lambda g, ans, x, y: -g * np.trunc(x / y)),
    "logaddexp2": (
        np.logaddexp2,
        lambda g, ans, x, y: g * np.exp2(x - ans),
        lambda g, ans, x, y: g * np.exp2(y - ans),
    ),
}


# dtype instances, not types: a view or comparison given a type converts it on every call.
_SAME_SIZE_INT = {8: np.dtype(np.int64), 4: np.dtype(np.int32), 2: np.dtype(np.int16)}
_BOOL = np.dtype(bool)
_INT8 = np.dtype(np.int8)


def _masked(c, x, keep: bool = True, overwrite: bool = False):
    """``np.where(c, x, 0.0)`` (or ``np.where(c, 0.0, x)`` when ``keep`` is False).

    Bit for bit the same result, NaN, infinities and -0.0 included, computed as the
    bitwise AND of ``x`` with a mask of all-ones or all-zeros words: ``np.where``
    branches per element and is several times slower on the irregular masks of ReLU
    networks. With ``overwrite``, ``c`` and ``x`` are the caller's to overwrite and the
    result is written into ``x`` (no new array). Returns None when it does not apply
    (shapes differ, not a bool mask, or a float type with no integer of its size).
    """
    if not (
        type(x) is np.ndarray
        and type(c) is np.ndarray
        and x.shape == c.shape
        and c.dtype is _BOOL  # NumPy's one plain bool dtype (any other: the general path)
        and x.dtype.kind == "f"
    ):
        return None
    itype = _SAME_SIZE_INT.get(x.dtype.itemsize)
    if itype is None:
        return None
    flags = c.view(_INT8)  # 1 where c, 0 elsewhere
    if overwrite:
        if keep:
            np.negative(flags, out=flags)  # -1: every bit set
        else:
            np.subtract(flags, 1, out=flags)  # -1 where not c
        bits = x.view(itype)
        np.bitwise_and(bits, flags, out=bits)  # the int8 words widen as they are read
        return x
    out = np.empty(x.shape, x.dtype)
    bits = out.view(itype)
    if keep:
        np.negative(flags, out=bits, casting="unsafe")  # -1: every bit set
    else:
        np.subtract(flags, 1, out=bits, casting="unsafe")  # -1 where not c
    np.bitwise_and(x.view(itype), bits, out=bits)
    return out


def _select(c, x, y):
    """``np.where(c, x, y)``, with the fast path of :func:`_masked` when one side is 0."""
    if type(y) is float and y == 0.0:
        out = _masked(c, x)
        if out is not None:
            return out
    elif type(x) is float and x == 0.0:
        out = _masked(c, y, keep=False)
        if out is not None:
            return out
    return np.where(c, x, y)


def _clip(x, lo, hi):
    return np.clip(x, lo, hi)


TERNARY = {
    "where": (
        _select,
        None,
        lambda g, ans, c, x, y: _select(c, g, 0.0),
        lambda g, ans, c, x, y: _select(c, 0.0, g),
    ),
    "clip": (
        _clip,
        lambda g, ans, x, lo, hi: g * ((x >= lo) & (x <= hi)),
        # lo > hi: NumPy returns hi everywhere, so hi alone gets the gradient
        lambda g, ans, x, lo, hi: g * ((x < lo) & (lo <= hi)),
        lambda g, ans, x, lo, hi: g * ((x > hi) | (lo > hi)),
    ),
}


def _make(name: str, impl, *rules) -> Primitive:
    prim = Primitive(name, impl, elementwise=True)
    prim.vjps = rules
    # The formula is linear in g and diagonal, so forward mode reuses it as is.
    prim.jvp = lambda nb, i, t, ans, *args: rules[i](t, ans, *args)
    return prim


P = {}
for _name, (_impl, *_rules) in {**UNARY, **BINARY, **TERNARY}.items():
    P[_name] = _make(_name, _impl, *_rules)
# |z| has a reverse rule and a forward rule of its own (it is not holomorphic)
P["absolute"] = complex_parts.abs_p

#: NumPy ufuncs that map directly onto a primitive of the same meaning.
UFUNC_PRIMITIVES = {
    np.negative: P["negative"],
    np.positive: P["positive"],
    np.exp: P["exp"],
    np.exp2: P["exp2"],
    np.expm1: P["expm1"],
    np.log: P["log"],
    np.log2: P["log2"],
    np.log10: P["log10"],
    np.log1p: P["log1p"],
    np.sqrt: P["sqrt"],
    np.cbrt: P["cbrt"],
    np.square: P["square"],
    np.reciprocal: P["reciprocal"],
    np.absolute: P["absolute"],
    np.fabs: P["absolute"],
    np.sin: P["sin"],
    np.cos: P["cos"],
    np.tan: P["tan"],
    np.arcsin: P["arcsin"],
    np.arccos: P["arccos"],
    np.arctan: P["arctan"],
    np.sinh: P["sinh"],
    np.cosh: P["cosh"],
    np.tanh: P["tanh"],
    np.arcsinh: P["arcsinh"],
    np.arccosh: P["arccosh"],
    np.arctanh: P["arctanh"],
    np.add: P["add"],
    np.subtract: P["subtract"],
    np.multiply: P["multiply"],
    np.true_divide: P["true_divide"],
    np.power: P["power"],
    np.float_power: P["float_power"],
    np.maximum: P["maximum"],
    np.minimum: P["minimum"],
    np.fmax: P["fmax"],
    np.fmin: P["fmin"],
    np.logaddexp: P["logaddexp"],
    np.arctan2: P["arctan2"],
    np.hypot: P["hypot"],
    np.remainder: P["remainder"],
    np.fmod: P["fmod"],
    np.logaddexp2: P["logaddexp2"],
    np.deg2rad: P["deg2rad"],
    np.radians: P["deg2rad"],
    np.rad2deg: P["rad2deg"],
    np.degrees: P["rad2deg"],
    np.conjugate: complex_parts.conj_p,
}

#: Ufuncs whose output is piecewise constant (or boolean): their derivative is zero, so
#: they are computed on plain values and the result is a constant.
UFUNC_CONSTANT = (
    np.sign, np.floor, np.ceil, np.rint, np.trunc, np.floor_divide, np.signbit,
    np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
    np.logical_and, np.logical_or, np.logical_xor, np.logical_not,
    np.isnan, np.isinf, np.isfinite, np.bitwise_and, np.bitwise_or, np.invert,
    np.heaviside,
)  # fmt: skip
