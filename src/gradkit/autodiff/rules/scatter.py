"""Scatter primitives: ``np.add.at`` and friends, writes that accumulate.

``add_at(a, b, idx)`` is ``a`` with ``b`` added at ``idx`` as ``np.add.at(a, idx, b)``
adds it: one position named several times receives every one of its values, in the
order NumPy adds them (``x[idx] += b`` keeps only the last). It is linear in ``a`` and
in ``b``: the cotangent of ``a`` is ``g``, that of ``b`` is ``g`` gathered at ``idx``
(repeated positions each read their ``g``). ``np.subtract.at`` is ``add_at`` of ``-b``
(``a - b`` and ``a + (-b)`` round alike). The other ``ufunc.at`` (``multiply``,
``maximum``, ``minimum``, ``divide``, ``power``...) are built from ``index_update`` in
rounds that each name a position once (:mod:`gradkit.autodiff.numpy_writes`), so their
derivatives are those of the ufunc itself.
"""

from __future__ import annotations

import numpy as np

from gradkit.autodiff.forward import insert_axes_after_batch
from gradkit.autodiff.primitives import Primitive, ndim_of, shape_of
from gradkit.autodiff.rules.shape import _batch_after_moved, _batch_index, _traced, _unbroadcast

__all__ = ["add_at_p"]


def _add_at(a, b, idx):
    if _traced(a, b):
        return add_at_p(a, b, idx=idx)
    out = np.array(a, copy=True)
    np.add.at(out, idx, b)
    return out


def _add_at_jvp(nb, i, t, ans, a, b, idx):
    if i == 0:
        return t  # the tangent of a passes through; b's tangent is added by the other rule
    zeros = np.zeros(shape_of(t)[:nb] + shape_of(ans), dtype=np.result_type(t, ans))
    if nb:
        target_ndim = np.broadcast_to(np.False_, shape_of(ans))[idx].ndim
        t = _batch_after_moved(insert_axes_after_batch(t, nb, target_ndim - ndim_of(b)), nb, idx)
    return add_at_p(zeros, t, idx=_batch_index(idx, nb))


add_at_p = Primitive("add_at", _add_at)
add_at_p.vjps = (
    lambda g, ans, a, b, idx: g,
    lambda g, ans, a, b, idx: _unbroadcast(g[idx], shape_of(b)),
)
add_at_p.jvp = _add_at_jvp
