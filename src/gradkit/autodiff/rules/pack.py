"""``pack``: one array built from scalars, some of them traced.

NumPy builds ``np.array([a * b, np.sin(c)])`` element by element; when the elements are
traced values, :mod:`gradkit.autodiff.sequences` gathers them (and the plain numbers
beside them) into one ``pack`` of the array's shape and dtype. It is a linear map: each
element's cotangent is its entry of the output cotangent, and an element's tangent lands
at its entry of the output.
"""

from __future__ import annotations

import numpy as np

from gradkit.autodiff.primitives import Primitive, shape_of
from gradkit.autodiff.rules.shape import _traced, astype_p, index_update_p, reshape_p


def _pack(*xs, shape, dtype):
    if _traced(*xs):  # an enclosing transform's values: it records the pack too
        return pack_p(*xs, shape=shape, dtype=dtype)
    out = np.empty(len(xs), dtype=dtype)
    for k, x in enumerate(xs):
        out[k] = x
    return out.reshape(shape)


def _pack_vjp(i, g, ans, *xs, shape, dtype):
    r = reshape_p(g, shape=(len(xs),))[i] if len(shape) != 1 else g[i]
    own = np.result_type(xs[i])
    return r if own == dtype else astype_p(r, dtype=own)


def _pack_jvp(nb, i, t, ans, *xs, shape, dtype):
    batch = shape_of(t)[:nb]
    zeros = np.zeros(batch + (len(xs),), dtype=np.result_type(t))
    flat = index_update_p(zeros, t, idx=(slice(None),) * nb + (i,))
    return reshape_p(flat, shape=batch + tuple(shape))


pack_p = Primitive("pack", _pack)
pack_p.vjp_any = _pack_vjp
pack_p.jvp = _pack_jvp
