"""Forward mode: every traced value carries a tangent, pushed through each operation.

A forward trace may be *batched*: its tangents then have leading batch dimensions
(``batch``), one per basis direction, so ``jacfwd`` and ``hessian`` compute all their
directional derivatives in one pass. Elementwise rules need nothing special for that:
the engine lines the tangent up with the output before calling them. Structural rules
(sums over an axis, reshapes, ...) receive ``nb``, the number of batch dimensions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradkit.autodiff import primitives
from gradkit.autodiff.arraytypes import raise_unsupported
from gradkit.autodiff.primitives import ndim_of, shape_of
from gradkit.autodiff.trace import Trace

__all__ = ["ForwardTrace"]


class ForwardTrace(Trace):
    """A trace whose values carry tangents (``Tensor._node`` holds the tangent)."""

    __slots__ = ("batch", "nb")

    def __init__(self, level: int, name: str, batch: tuple = ()) -> None:
        super().__init__(level, name)
        self.batch = tuple(batch)
        self.nb = len(self.batch)

    def box(self, value: Any, tangent: Any) -> Any:
        """Box ``value`` with its ``tangent`` as an input of this trace."""
        return primitives._Tensor._new(value, self, tangent)

    def process(self, prim: Any, args: Any, kw: dict) -> Any:
        Tensor = primitives._Tensor
        if not self.active:
            raise self.leaked_error(prim)
        vals = list(args)
        tangents = []
        lower = False
        for i, a in enumerate(args):
            if type(a) is Tensor:
                tr = a._trace
                if tr is self:
                    vals[i] = v = a._value
                    tangents.append((i, a._node))
                    if type(v) is Tensor:  # traced by an outer transform too
                        lower = True
                elif tr is None:
                    vals[i] = a._value
                elif tr.level > self.level:  # an inner transform's value: it records first
                    return primitives.bind(prim, args, kw)
                else:
                    lower = True
        try:
            ans = primitives.bind(prim, vals, kw) if lower else prim.impl(*vals, **kw)
        except Exception as err:  # noqa: BLE001 - a Dask array's missing operation
            raise_unsupported(err, prim, vals, "the function")
            raise
        rule = prim.jvp_rule()
        nb = self.nb
        out_shape = self.batch + shape_of(ans)
        tout = None
        for i, t in tangents:
            if nb and prim.elementwise:
                t = _align(t, nb, len(out_shape))
            try:
                c = rule(nb, i, t, ans, *vals, **kw)
            except Exception as err:  # noqa: BLE001 - a Dask array's missing operation
                raise_unsupported(err, prim, (t, *vals), "its derivative")
                raise
            tout = c if tout is None else tout + c
        if shape_of(tout) != out_shape:
            tout = np.broadcast_to(tout, out_shape)
        dtype = getattr(ans, "dtype", None)
        if dtype is not None and tout.dtype != dtype:
            # A float64 constant mixed into float32 code promotes the value: keep the
            # tangent in the value's dtype, as the reverse mode does. A real value's
            # tangent is real (a complex one from a rule would be rounding in Im).
            if tout.dtype.kind == "c" and dtype.kind != "c":
                tout = np.real(tout)
            tout = tout.astype(dtype)
        return Tensor._new(ans, self, tout)


def insert_axes_after_batch(t: Any, nb: int, missing: int) -> Any:
    """Insert ``missing`` size-one axes after the ``nb`` batch axes of a tangent.

    A batched tangent then broadcasts against arrays of higher rank the way its primal
    would (the batch axes stay in front).
    """
    if missing <= 0:
        return t
    shape = shape_of(t)
    return np.reshape(t, shape[:nb] + (1,) * missing + shape[nb:])


def _align(t: Any, nb: int, out_ndim: int) -> Any:
    """Line a batched tangent up with an elementwise output of rank ``out_ndim``."""
    return insert_axes_after_batch(t, nb, out_ndim - ndim_of(t))
