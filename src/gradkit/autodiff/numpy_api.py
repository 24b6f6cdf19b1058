"""NumPy's functions on traced values: the tables ``__array_ufunc__`` and
``__array_function__`` dispatch through, and the functions built from the primitives.

Each NumPy function either maps onto a primitive (after its arguments are normalized),
is composed from primitives (``dot``, ``tensordot``, ``linalg.norm``, ``var``, ...), or
has a zero derivative and is computed on plain values (``argmax``, ``zeros_like``, ...).
A function in none of these tables raises :class:`NoRuleError` naming it.
"""

from __future__ import annotations

import operator
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from gradkit.autodiff import casts, scipy_names, sequences, views
from gradkit.autodiff.errors import InPlaceError
from gradkit.autodiff.primitives import (
    SEQUENCES,
    apply_constant,
    ndim_of,
    peek,
    shape_of,
    strip,
    value_of,
)
from gradkit.autodiff.rules import elementwise, linalg, reductions, shape
from gradkit.autodiff.rules.complex_parts import is_complex

#: ufunc -> function taking the ufunc's inputs
UFUNCS: dict[Any, Callable] = dict(elementwise.UFUNC_PRIMITIVES)
#: NumPy function -> our implementation with NumPy's signature
FUNCTIONS: dict[Any, Callable] = {}
#: (ufunc, method) -> implementation of that ufunc method (``np.maximum.accumulate``...)
UFUNC_METHODS: dict[tuple, Callable] = {}


def implements(*np_functions: Any) -> Callable:
    def register(fn: Callable) -> Callable:
        for f in np_functions:
            FUNCTIONS[f] = fn
        return fn

    return register


def plain(tree: Any) -> Any:
    """Replace every traced value in ``tree`` (lists, tuples, dicts) by its plain value."""
    if isinstance(tree, (list, tuple)):
        return type(tree)(plain(t) for t in tree)
    if isinstance(tree, dict):
        return {k: plain(v) for k, v in tree.items()}
    return value_of(tree)


def _constant(fn: Callable) -> Callable:
    """Wrap a function whose derivative is zero: differentiation sees a constant, and
    under gk.jit the call is recorded (its result depends on the values)."""

    def on_values(*args: Any, **kwargs: Any) -> Any:
        if all(type(a) not in SEQUENCES for a in args):
            return apply_constant(fn, args, kwargs)
        return fn(*plain(args), **plain(kwargs))  # nested values: read (jit refuses)

    on_values.__name__ = getattr(fn, "__name__", "constant")
    return on_values


def _constant_metadata(fn: Callable) -> Callable:
    """Wrap a function of shapes and dtypes only: it may look under every box."""

    def on_metadata(*args: Any, **kwargs: Any) -> Any:
        return fn(*[peek(a) for a in args], **kwargs)

    on_metadata.__name__ = getattr(fn, "__name__", "metadata")
    return on_metadata


for _uf in elementwise.UFUNC_CONSTANT:
    UFUNCS[_uf] = _constant(_uf)

for _f in (
    np.argmax, np.argmin, np.argsort, np.count_nonzero, np.any, np.all, np.isclose,
    np.allclose, np.array_equal, np.round, np.around, np.sign, np.floor, np.ceil,
    np.isnan, np.isfinite, np.isinf, np.searchsorted,
):  # fmt: skip
    FUNCTIONS[_f] = _constant(_f)


def _constant_read(fn: Callable) -> Callable:
    """Wrap a function whose result's *shape* depends on the values: it reads them
    (so gk.jit refuses it; a replay could not follow a change of shape)."""

    def on_plain_values(*args: Any, **kwargs: Any) -> Any:
        return fn(*plain(args), **plain(kwargs))

    on_plain_values.__name__ = getattr(fn, "__name__", "constant")
    return on_plain_values


for _f in (np.argwhere, np.nonzero, np.flatnonzero, np.unique):
    FUNCTIONS[_f] = _constant_read(_f)

for _f in (
    np.shape, np.ndim, np.size, np.result_type, np.iscomplexobj, np.isrealobj,
    np.can_cast, np.min_scalar_type,
):  # fmt: skip
    FUNCTIONS[_f] = _constant_metadata(_f)


def _no(name: str, **given: Any) -> None:
    if not any(v is not None and v is not np._NoValue for v in given.values()):
        return
    for key, val in given.items():
        if val is not None and val is not np._NoValue:
            if key == "out":
                raise InPlaceError(
                    f"{name}(..., out=...) writes in place into an array, which would drop the "
                    f"gradient; assign the result instead: y = {name}(...)"
                )
            raise TypeError(f"{name}: the argument {key}= is not supported on traced values")


def _into(out: Any, value: Any, name: str) -> Any:
    """A reduction's ``out=``: ``value`` written into ``out`` (numpy_writes.store_result;
    that module, which imports this one, is imported at the end of this one)."""
    return numpy_writes.store_result(out, value, f"np.{name}")


def norm_axis(axis: Any, ndim: int, name: str = "reduction") -> tuple | None:
    """Normalize ``axis`` to ``None`` or a sorted tuple of non-negative ints."""
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        a = operator.index(a)
        if not -ndim <= a < max(ndim, 1):
            raise np.exceptions.AxisError(
                f"{name}: axis {a} is out of bounds for an array of dimension {ndim}"
            )
        out.append(a % max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"{name}: duplicate value in axis={axis!r}; name each axis once")
    return tuple(sorted(out))


def _one_axis(axis: Any, ndim: int, name: str) -> int:
    """One axis in ``[0, ndim)``, from ``-ndim <= axis < ndim``; AxisError otherwise (an
    axis taken modulo ndim would silently pick another one). A tuple, a float or anything
    else that is not one integer is a TypeError, as in NumPy (the first of a tuple would
    silently drop the others)."""
    try:
        axis = operator.index(axis)
    except TypeError:
        raise TypeError(f"{name}: axis must be one integer, got {axis!r}") from None
    return norm_axis(axis, ndim, name)[0]


# ufunc entry point ------------------------------------------------------------------
def as_operands(inputs: tuple) -> tuple:
    """A ufunc's inputs with each list or tuple made the array the ufunc reads it as: its
    rules index and multiply it, where a list would repeat or fail."""
    return tuple([sequences.operand(x) for x in inputs])


def apply_ufunc(ufunc: Any, method: str, inputs: tuple, kwargs: dict) -> Any:
    from gradkit.autodiff.errors import NoRuleError

    if "out" in kwargs or "where" in kwargs or method == "at":
        from gradkit.autodiff import numpy_writes  # writes: out=, where=, ufunc.at

        return numpy_writes.apply_ufunc_writing(ufunc, method, inputs, kwargs)
    fn = UFUNCS.get(ufunc)
    if fn is None and "scipy.special" in sys.modules:
        fn = _load_scipy_special_rules().get(ufunc)
    if method == "reduce":
        reducers = {np.add: sum_, np.multiply: prod, np.maximum: _max, np.minimum: _min}
        if ufunc in reducers:
            # ufunc.reduce reduces axis 0 unless told otherwise (np.sum and co. reduce all)
            return reducers[ufunc](*inputs, **{"axis": 0, **kwargs})
    if (ufunc, method) in UFUNC_METHODS:
        return UFUNC_METHODS[ufunc, method](*as_operands(inputs), **kwargs)
    if method == "outer" and fn is not None:
        a, b = inputs
        return fn(np.reshape(a, shape_of(a) + (1,) * ndim_of(b)), b)
    if method != "__call__":
        raise NoRuleError(
            f"{scipy_names.ufunc_name(ufunc)}.{method} has no derivative rule in gradkit"
        )
    if fn is None:
        raise NoRuleError(
            f"{scipy_names.ufunc_name(ufunc)} has no derivative rule in gradkit. Wrap your "
            "own version with @gk.primitive and give its derivative with gk.defvjp / gk.defjvp."
        )
    inputs = as_operands(inputs)
    if kwargs:
        extra = {k: v for k, v in kwargs.items() if k not in ("dtype", "casting")}
        if extra:
            raise TypeError(
                f"{scipy_names.ufunc_name(ufunc)}: arguments {sorted(extra)} are not "
                "supported on traced values"
            )
        if kwargs.get("dtype") is not None:  # computed in dtype, as NumPy does
            return casts.ufunc_in_dtype(
                ufunc, fn, inputs, kwargs["dtype"], kwargs.get("casting", "same_kind")
            )
    return fn(*inputs)


def _load_scipy_special_rules() -> dict:
    """Register the scipy.special ufuncs' rules (rules/special.py imports SciPy, so it is
    loaded when one of its ufuncs first meets a traced value, never by import gradkit)."""
    from gradkit.autodiff.rules import special

    UFUNCS.update(special.UFUNC_PRIMITIVES)
    return UFUNCS


# reductions -------------------------------------------------------------------------
def _reduction(prim: Any, name: str) -> Callable:
    def reduce(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
        if out is not None:  # computed, then written into out as NumPy does
            return _into(out, reduce(a, axis, dtype, None, keepdims, initial, where), name)
        if initial is not None or where is not None:
            _no(name, initial=initial, where=where)
        kw = {"axis": norm_axis(axis, ndim_of(a), name), "keepdims": bool(keepdims)}
        if dtype is not None:  # the entries cast first, as NumPy does
            return casts.reduce_in_dtype(getattr(np, name), prim, a, dtype, kw)
        return prim(a, **kw)

    reduce.__name__ = name
    return reduce


sum_ = implements(np.sum)(_reduction(reductions.sum_p, "sum"))
prod = implements(np.prod)(_reduction(reductions.prod_p, "prod"))


def _without_dtype(reduce: Callable) -> Callable:
    """np.max and np.min: a reduction with NumPy's layout for them, which has no dtype
    (a, axis, out, keepdims, ...), positionally too; ufunc.reduce keeps the dtype."""

    def extremum(a, axis=None, out=None, keepdims=False, initial=None, where=None):
        return reduce(a, axis, None, out, keepdims, initial, where)

    extremum.__name__ = reduce.__name__
    return extremum


_max = _reduction(reductions.max_p, "max")
_min = _reduction(reductions.min_p, "min")
amax = implements(np.max, np.amax)(_without_dtype(_max))
amin = implements(np.min, np.amin)(_without_dtype(_min))


@implements(np.mean)
def mean(a, axis=None, dtype=None, out=None, keepdims=False, where=None):
    if out is not None:
        return _into(out, mean(a, axis, dtype, None, keepdims, where), "mean")
    if where is not None:
        _no("mean", where=where)
    kw = {"axis": norm_axis(axis, ndim_of(a), "mean"), "keepdims": bool(keepdims)}
    if dtype is not None:  # computed in dtype, as NumPy does
        return casts.reduce_in_dtype(np.mean, reductions.mean_p, a, dtype, kw)
    return reductions.mean_p(a, **kw)


@implements(np.var)
def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, where=None, mean=None):
    if out is not None:
        return _into(out, var(a, axis, dtype, None, ddof, keepdims, where, mean), "var")
    _no("var", where=where, mean=mean)
    if dtype is not None:  # computed in dtype, as NumPy does (the gradient is cast back)
        a = astype(a, dtype)
    axes = norm_axis(axis, ndim_of(a), "var")
    centered = a - reductions.mean_p(a, axis=axes, keepdims=True)
    n = reductions._count(shape_of(a), axes)
    return sum_(_abs2(centered), axis=axes, keepdims=keepdims) / (n - ddof)


@implements(np.std)
def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, where=None, mean=None):
    # A constant slice has no gradient (sqrt at 0); 0 is taken, as for the norm of a zero
    # vector and as PyTorch does, instead of 0 * inf = nan.
    if out is not None:
        return _into(out, std(a, axis, dtype, None, ddof, keepdims, where, mean), "std")
    return _safe_root(
        var(
            a, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims, where=where, mean=mean
        ),
        2,
    )


@implements(np.cumsum)
def cumsum(a, axis=None, dtype=None, out=None):
    if out is not None:
        return _into(out, cumsum(a, axis, dtype), "cumsum")
    if dtype is not None:
        a = astype(a, dtype)
    if axis is None:
        a, axis = reshape(a, (-1,)), 0
    return reductions.cumsum_p(a, axis=norm_axis(axis, ndim_of(a), "cumsum")[0])


# elementwise functions that are not ufuncs ------------------------------------------
@implements(np.where)
def where(condition, x=None, y=None):
    if x is None or y is None:
        return np.where(plain(condition))
    return elementwise.P["where"](strip(condition), x, y)  # jit records the condition


@implements(np.clip)
def clip(a, a_min=None, a_max=None, out=None, **kwargs):
    _no("clip", out=out)
    lo = kwargs.get("min", a_min)
    hi = kwargs.get("max", a_max)
    return elementwise.P["clip"](a, -np.inf if lo is None else lo, np.inf if hi is None else hi)


@implements(np.copy)
def copy(a, order="K", subok=False):
    out = elementwise.P["positive"](a)
    if order == "C" and not np.asarray(peek(out)).flags.c_contiguous:
        # ndarray.copy() is C-ordered, so a reshape of it is a view that writes reach
        out = reshape(reshape(out, (-1,)), shape_of(a))
    return out


# shapes -----------------------------------------------------------------------------
@implements(np.reshape)
def reshape(a, shape=None, order="C", *, newshape=None, copy=None):
    if order != "C":
        raise TypeError("reshape: only order='C' is supported on traced values")
    shape = newshape if shape is None else shape
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    return shape_prim_reshape(a, tuple(int(s) for s in shape))


def shape_prim_reshape(a: Any, new_shape: tuple) -> Any:
    old_shape = shape_of(a)
    size = int(np.prod(old_shape))
    if -1 in new_shape:
        known = int(np.prod([s for s in new_shape if s != -1]))
        if new_shape.count(-1) > 1 or known == 0 or size % known:
            raise ValueError(f"cannot reshape an array of shape {old_shape} into {new_shape}")
        new_shape = tuple(size // known if s == -1 else s for s in new_shape)
    if int(np.prod(new_shape)) != size:
        raise ValueError(f"cannot reshape an array of shape {old_shape} into {new_shape}")
    if new_shape == old_shape:
        return a
    return views.link(a, _reshape_p(a, shape=new_shape), ("reshape", old_shape, new_shape))


_reshape_p = shape.reshape_p


@implements(np.ravel)
def ravel(a, order="C"):
    return reshape(a, (-1,), order)


@implements(np.transpose)
def transpose(a, axes=None):
    nd = ndim_of(a)
    if axes is None:
        axes = tuple(range(nd))[::-1]
    else:
        axes = tuple(_one_axis(x, nd, "transpose") for x in axes)
        if sorted(axes) != list(range(nd)):
            raise ValueError(f"transpose: axes {axes} are not a permutation of the {nd} axes")
    if axes == tuple(range(nd)):
        return a
    return views.link(a, shape.transpose_p(a, axes=axes), ("transpose", axes))


@implements(np.swapaxes)
def swapaxes(a, axis1, axis2):
    nd = ndim_of(a)
    axis1, axis2 = _one_axis(axis1, nd, "swapaxes"), _one_axis(axis2, nd, "swapaxes")
    order = list(range(nd))
    order[axis1], order[axis2] = order[axis2], order[axis1]
    return transpose(a, order)


@implements(np.moveaxis)
def moveaxis(a, source, destination):
    nd = ndim_of(a)
    src = [_one_axis(s, nd, "moveaxis") for s in np.atleast_1d(source)]
    dst = [_one_axis(d, nd, "moveaxis") for d in np.atleast_1d(destination)]
    if len(src) != len(dst) or len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ValueError(
            "moveaxis: source and destination must be distinct axes, as many "
            f"of each; got {source!r} and {destination!r}"
        )
    order = [k for k in range(nd) if k not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(a, order)


@implements(np.expand_dims)
def expand_dims(a, axis):
    s = list(shape_of(a))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    nd = len(s) + len(axes)
    for ax in norm_axis(axes, nd, "expand_dims"):  # sorted, in range, no repeats
        s.insert(ax, 1)
    return reshape(a, tuple(s))


@implements(np.squeeze)
def squeeze(a, axis=None):
    s = shape_of(a)
    if axis is None:
        keep = tuple(n for n in s if n != 1)
    else:
        axes = norm_axis(axis, len(s), "squeeze")
        for ax in axes:
            if s[ax] != 1:
                raise ValueError(f"squeeze: axis {ax} has size {s[ax]}, not 1")
        keep = tuple(n for k, n in enumerate(s) if k not in axes)
    return reshape(a, keep)


@implements(np.atleast_1d)
def atleast_1d(*arys):
    out = [a if ndim_of(a) >= 1 else reshape(a, (1,)) for a in arys]
    return out[0] if len(out) == 1 else out


@implements(np.atleast_2d)
def atleast_2d(*arys):
    out = [
        a if ndim_of(a) >= 2 else reshape(a, (1,) * (2 - ndim_of(a)) + shape_of(a)) for a in arys
    ]
    return out[0] if len(out) == 1 else out


@implements(np.broadcast_to)
def broadcast_to(array, shape, subok=False):
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(shape)
    # NumPy's result is a read-only view, even of the same shape
    return views.link(array, _broadcast_to_p(array, shape=shape), ("broadcast", shape), True)


_broadcast_to_p = shape.broadcast_to_p  # the parameter `shape` hides the module inside


@implements(np.concatenate)
def concatenate(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    _no("concatenate", out=out)
    arrays = list(arrays)
    if axis is None:
        arrays, axis = [reshape(a, (-1,)) for a in arrays], 0
    nd = ndim_of(arrays[0])
    return shape.concatenate_p(*arrays, axis=_one_axis(axis, nd, "concatenate"))


@implements(np.stack)
def stack(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    _no("stack", out=out)
    arrays = list(arrays)
    nd = ndim_of(arrays[0]) + 1
    ax = _one_axis(axis, nd, "stack")
    return concatenate([expand_dims(a, ax) for a in arrays], axis=ax)


@implements(np.hstack)
def hstack(tup, dtype=None, casting="same_kind"):
    arrs = [atleast_1d(a) for a in tup]
    return concatenate(arrs, axis=0 if ndim_of(arrs[0]) == 1 else 1)


@implements(np.vstack)
def vstack(tup, dtype=None, casting="same_kind"):
    return concatenate([atleast_2d(a) for a in tup], axis=0)


@implements(np.flip)
def flip(m, axis=None):
    nd = ndim_of(m)
    axes = range(nd) if axis is None else norm_axis(axis, nd, "flip")
    idx = tuple(slice(None, None, -1) if k in axes else slice(None) for k in range(nd))
    return m[idx]


@implements(np.diagonal)
def diagonal(a, offset=0, axis1=0, axis2=1, *, readonly=True):
    nd = ndim_of(a)
    if nd < 2:
        raise ValueError(f"diagonal: needs at least 2 dimensions, got {nd}")
    axis1, axis2 = _one_axis(axis1, nd, "diagonal"), _one_axis(axis2, nd, "diagonal")
    if axis1 == axis2:
        raise ValueError("diagonal: axis1 and axis2 cannot be the same")
    kw = {"offset": int(offset), "axis1": axis1, "axis2": axis2}
    step = ("diagonal", (kw["offset"], axis1, axis2))
    # NumPy's np.diagonal is a read-only view; einsum's diagonal ('ii->i') a writeable one
    return views.link(a, shape.diagonal_p(a, **kw), step, readonly)


@implements(np.trace)
def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    _no("trace", out=out)
    if dtype is not None:
        a = astype(a, dtype)
    return sum_(diagonal(a, offset, axis1, axis2), axis=-1)


# linear algebra ---------------------------------------------------------------------
@implements(np.matmul)
def matmul(a, b):
    return linalg.matmul_p(a, b)


@implements(np.dot)
def dot(a, b, out=None):
    _no("dot", out=out)
    if ndim_of(a) == 0 or ndim_of(b) == 0:
        return a * b
    if ndim_of(b) <= 2:
        return linalg.matmul_p(a, b)
    return tensordot(a, b, axes=([ndim_of(a) - 1], [ndim_of(b) - 2]))


@implements(np.vdot)
def vdot(a, b):
    return sum_(ravel(np.conjugate(a) if is_complex(a) else a) * ravel(b))


@implements(np.inner)
def inner(a, b):
    if ndim_of(a) == 0 or ndim_of(b) == 0:
        return a * b
    return tensordot(a, b, axes=([ndim_of(a) - 1], [ndim_of(b) - 1]))


@implements(np.outer)
def outer(a, b, out=None):
    _no("outer", out=out)
    return reshape(a, (-1, 1)) * reshape(b, (1, -1))


@implements(np.tensordot)
def tensordot(a, b, axes=2):
    na, nb_ = ndim_of(a), ndim_of(b)
    if isinstance(axes, (int, np.integer)):
        ax_a, ax_b = list(range(na - axes, na)), list(range(axes))
    else:
        ax_a, ax_b = axes
        ax_a = [_one_axis(x, na, "tensordot") for x in np.atleast_1d(ax_a)]
        ax_b = [_one_axis(x, nb_, "tensordot") for x in np.atleast_1d(ax_b)]
        if len(ax_a) != len(ax_b):
            raise ValueError("tensordot: give as many axes of a as of b")
    free_a = [k for k in range(na) if k not in ax_a]
    free_b = [k for k in range(nb_) if k not in ax_b]
    sa, sb = shape_of(a), shape_of(b)
    k = int(np.prod([sa[x] for x in ax_a]))
    a2 = reshape(transpose(a, free_a + ax_a), (-1, k))
    b2 = reshape(transpose(b, ax_b + free_b), (k, -1))
    out_shape = tuple(sa[x] for x in free_a) + tuple(sb[x] for x in free_b)
    return reshape(linalg.matmul_p(a2, b2), out_shape)


@implements(np.einsum)
def einsum(subscripts, *operands, out=None, optimize=False, **kwargs):
    _no("einsum", out=out)
    if not isinstance(subscripts, str):
        raise TypeError(
            "einsum: pass the subscripts as a string, e.g. np.einsum('ij,jk->ik', a, b)"
        )
    subscripts = linalg.expand_ellipsis(subscripts, [ndim_of(op) for op in operands])
    ins, outs = linalg.parse_subscripts(subscripts, len(operands))
    operands = list(operands)
    sizes: dict = {}  # each letter's length, which every operand must agree on (as NumPy)
    for sub, op in zip(ins, operands):
        own: dict = {}  # within one operand a repeated letter takes a diagonal: square
        for c, n in zip(sub, shape_of(op)):
            if own.setdefault(c, n) != n:
                raise ValueError(
                    f"einsum: the repeated index {c!r} takes a diagonal, but its axes have "
                    f"lengths {sorted({own[c], n})}"
                )
        for c, n in own.items():  # across operands a length of 1 broadcasts
            if sizes.setdefault(c, n) != n and 1 not in (n, sizes[c]):
                raise ValueError(
                    f"einsum: index {c!r} has length {sizes[c]} in one place and {n} in "
                    f"another ({subscripts!r} with shapes "
                    f"{', '.join(str(shape_of(o)) for o in operands)})"
                )
            if n != 1:
                sizes[c] = n
    for k, sub in enumerate(ins):
        # A letter repeated within one operand takes its diagonal: do that first, with
        # np.diagonal (differentiable), so the einsum rules see distinct letters only.
        while len(set(sub)) < len(sub):
            c = next(c for c in sub if sub.count(c) > 1)
            p = sub.index(c)
            q = sub.index(c, p + 1)
            operands[k] = diagonal(operands[k], 0, p, q, readonly=False)
            sub = sub[:p] + sub[p + 1 : q] + sub[q + 1 :] + c
        ins[k] = sub
    if len(operands) == 1 and sorted(ins[0]) == sorted(outs):
        # no sum: a writeable view in NumPy (diagonals, then a transpose)
        return transpose(operands[0], [ins[0].index(c) for c in outs])
    return linalg.einsum_p(*operands, subscripts=",".join(ins) + "->" + outs)


def _safe_root(s: Any, p: float) -> Any:
    """``s ** (1/p)`` whose derivative is 0 (not inf * 0 = nan) where ``s`` is 0.

    The norm of a zero vector has no gradient; 0 is the subgradient of least norm, the
    choice that keeps, e.g., a weight-norm penalty at w = 0 from returning nan. Both
    ``where`` branches are finite, so no nan leaks through the branch not taken.
    """
    positive = s > 0
    safe = where(positive, s, 1.0)
    return where(positive, np.sqrt(safe) if p == 2 else safe ** (1.0 / p), 0.0)


@implements(np.linalg.norm)
def norm(x, ord=None, axis=None, keepdims=False):
    nd = ndim_of(x)
    axes = norm_axis(axis, nd, "norm")
    if axes is not None and len(axes) > 2:
        raise ValueError(f"norm: improper number of dimensions to norm: axis={axis!r}")
    vector = nd == 1 if axes is None else len(axes) == 1
    if ord == "fro" and vector:
        raise ValueError("norm: invalid norm order 'fro' for vectors; use ord=None or 2")
    if ord in (None, "fro") or (ord == 2 and vector):
        if axes is None and not keepdims and np.result_type(peek(x)).kind == "f":
            flat = ravel(x)  # NumPy's own sum here: a dot product, so the bits agree
            return _safe_root(dot(flat, flat), 2)
        return _safe_root(sum_(_abs2(x), axis=axes, keepdims=keepdims), 2)
    if ord == 1 and vector:
        return sum_(np.abs(x), axis=axes, keepdims=keepdims)
    if ord == np.inf and vector:
        return amax(np.abs(x), axis=axes, keepdims=keepdims)
    if isinstance(ord, (int, float)) and ord > 0 and vector:
        return _safe_root(sum_(np.abs(x) ** ord, axis=axes, keepdims=keepdims), ord)
    from gradkit.autodiff.errors import NoRuleError

    raise NoRuleError(
        f"np.linalg.norm with ord={ord!r} over {nd}-d input has no derivative rule in gradkit; "
        "the vector p-norms, 'fro' and ord=None are supported"
    )


astype = casts.astype


def _abs2(x: Any) -> Any:
    """``|x|**2``, smooth everywhere: ``x * x`` for real ``x``, ``re**2 + im**2`` else."""
    if not is_complex(x):
        return x * x
    re, im = np.real(x), np.imag(x)
    return re * re + im * im


# np.matmul is a ufunc in NumPy 2 (and reaches __array_ufunc__), a function before.
if isinstance(np.matmul, np.ufunc):
    UFUNCS[np.matmul] = matmul
    elementwise.UFUNC_PRIMITIVES[np.matmul] = linalg.matmul_p  # the operator fast path

from gradkit.autodiff import (  # noqa: E402,F401 - register more
    numpy_complex,
    numpy_extras,
    numpy_fft,
    numpy_linalg,
    numpy_more,
    numpy_order,
    numpy_rearrange,
    numpy_writes,
)
