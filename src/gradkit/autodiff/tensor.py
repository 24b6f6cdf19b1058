"""Tensor: a NumPy value that takes part in differentiation.

A ``Tensor`` is what the transforms pass to your function in place of each array, and
what you create yourself for the PyTorch-like style (``requires_grad=True``, then
``loss.backward()`` and ``t.grad``). It works with Python operators and, through
NumPy's ``__array_ufunc__`` / ``__array_function__`` protocols, with NumPy functions.

>>> import numpy as np
>>> import gradkit as gk
>>> t = gk.Tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> loss = np.sum(np.sin(t) * t)
>>> loss.backward()
>>> np.allclose(t.grad, np.cos(t.numpy()) * t.numpy() + np.sin(t.numpy()))
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gradkit.autodiff import (
    conversions,
    eager_backward,
    grad_mode,
    hooks,
    numpy_api,
    primitives,
    sequences,
    trace,
    views,
)
from gradkit.autodiff.errors import InPlaceError, TracerConversionError
from gradkit.autodiff.primitives import SEQUENCES, apply_constant, bind, peek, strip, value_of
from gradkit.autodiff.reverse import ReverseTrace
from gradkit.autodiff.rules import elementwise, linalg, shape

__all__ = ["Tensor", "stop_gradient"]

_P = elementwise.P
_add, _sub, _mul, _div = _P["add"], _P["subtract"], _P["multiply"], _P["true_divide"]
_pow, _neg, _abs, _mod = _P["power"], _P["negative"], _P["absolute"], _P["remainder"]
_matmul, _getitem, _index_update = linalg.matmul_p, shape.getitem_p, shape.index_update_p
_NO_KW: dict = {}
_UFUNC_PRIMITIVES = elementwise.UFUNC_PRIMITIVES
_new_object = object.__new__
_ndarray = np.ndarray
_OBJECT = np.dtype(object)  # the one object dtype NumPy's arrays carry (an `is` test is cheap)
_operand = sequences.operand
#: Constants that need no look (anything else goes through sequences.operand: a list,
#: an object array of traced values, an array type gradkit does not handle).
_SCALARS = frozenset(
    (
        float,
        int,
        bool,
        complex,
        np.float64,
        np.float32,
        np.float16,
        np.int64,
        np.int32,
        np.bool_,
        np.complex128,
        np.complex64,
    )
)

#: Tensors created with requires_grad=True outside any transform live on this trace.
GLOBAL_EAGER = ReverseTrace(0, "Tensor", tape=False)


def _eager_trace() -> ReverseTrace:
    stack = trace.running()
    if not stack:
        return GLOBAL_EAGER
    top = stack[-1]
    if top.eager is None:
        # Inside a transform, hand-made Tensors get their own, innermost level.
        top.eager = ReverseTrace(trace.next_level(), "Tensor", tape=False)
    return top.eager


def _as_array(data: Any) -> Any:
    arr = np.array(data)  # a copy, as torch.tensor makes: writing into `data` later
    if arr.dtype.kind in "fc":  # must not change the recorded graph or the gradient
        return arr
    if arr.dtype.kind in "biu":
        return arr.astype(np.float64, copy=False)
    raise TypeError(
        f"gk.Tensor holds real floating-point or complex numbers; got data of dtype "
        f"{arr.dtype}. Convert it first, e.g. np.asarray(data, dtype=float)."
    )


def _index(idx: Any) -> tuple:
    """Normalize an index to a tuple of entries without differentiation boxes (an index
    gk.jit traces, such as ``np.argsort(x)``, stays recorded)."""
    if not isinstance(idx, tuple):
        idx = (idx,)
    return tuple(strip(k) if type(k) is Tensor else k for k in idx)


def _operator(prim: Any) -> tuple:
    """The method and reflected method of a binary operator, with a constant fast path."""

    def op(self, other):
        tr = self._trace
        if type(other) is not Tensor:
            tp = type(other)
            if (tp is _ndarray and other.dtype is _OBJECT) or (
                tp is not _ndarray and tp not in _SCALARS
            ):  # a list is an array to NumPy, and to the rules
                other = _operand(other)
                if type(other) is Tensor:
                    return bind(prim, (self, other), _NO_KW)
            if tr is not None:
                return tr.with_constant(prim, self, other, 0)
            if type(self._value) is _ndarray:  # constants (results under gk.no_grad): no search
                return Tensor._const(prim.impl(self._value, other))
        elif tr is not None and other._trace is tr:
            return tr.binary(prim, self, other)
        return bind(prim, (self, other), _NO_KW)

    def rop(self, other):
        tp = type(other)
        if (tp is _ndarray and other.dtype is _OBJECT) or (
            tp is not _ndarray and tp not in _SCALARS
        ):
            other = _operand(other)
        tr = self._trace
        if tr is not None and type(other) is not Tensor:
            return tr.with_constant(prim, self, other, 1)
        return bind(prim, (other, self), _NO_KW)

    return op, rop


def _in_place_operator(method: Any) -> Any:
    """The augmented assignment (``+=``) of a binary operator ``method``."""

    def iop(self, other):
        return self._in_place(method, other)

    return iop


class Tensor:
    """A value (a NumPy array) that carries what is needed to differentiate through it.

    Args:
        data: an array-like of real or complex numbers; integers become float64, float32
            and complex stay.
            An array is copied (as ``torch.tensor`` does), so writing into it afterwards
            changes neither the Tensor nor a gradient computed from it.
        requires_grad: record operations on this tensor so that ``backward()`` fills
            its ``.grad``.

    >>> import gradkit as gk
    >>> x = gk.Tensor(3.0, requires_grad=True)
    >>> y = x * x + 2 * x
    >>> y.backward()
    >>> float(x.grad)
    8.0
    """

    # _base (a view: its root and steps) and _views (a root: its live views) are set only
    # on views and their roots (autodiff/views.py); other Tensors never touch them.
    __slots__ = ("_value", "_trace", "_node", "_grad", "_base", "_views", "__weakref__")
    __array_priority__ = 1000.0
    __hash__ = object.__hash__

    def __new__(cls, data: Any = None, requires_grad: bool = False) -> Tensor:
        if type(data) is Tensor and data._trace is not None and not requires_grad:
            return data  # wrapping a traced value keeps it traced; use .detach() to cut it
        return _new_object(cls)

    def __init__(self, data: Any = None, requires_grad: bool = False) -> None:
        if type(data) is Tensor:
            if data is self:
                return
            value = data if requires_grad and data._trace is not None else value_of(data)
        else:
            value = _as_array(data)
        self._value = value
        self._grad = None
        if requires_grad:
            tr = _eager_trace()
            node = tr.leaf(value)._node  # the leaf's node, for this Tensor instead
            node.tensor = self
            self._trace, self._node = tr, node
        else:
            self._trace, self._node = None, None

    @staticmethod
    def _new(value: Any, tr: Any, node: Any) -> Tensor:
        t = _new_object(Tensor)
        t._value = value
        t._trace = tr
        t._node = node
        return t

    @staticmethod
    def _const(value: Any) -> Tensor:
        return Tensor._new(value, None, None)

    # --- plain properties ------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        """The shape of the value."""
        return self._value.shape

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return len(self._value.shape)

    @property
    def size(self) -> int:
        """The number of elements."""
        return int(np.prod(self._value.shape))

    @property
    def dtype(self) -> np.dtype:
        """The dtype of the value."""
        return self._value.dtype

    @property
    def T(self) -> Any:  # noqa: N802 - NumPy's name
        """The transpose (reversed axes)."""
        return numpy_api.transpose(self)

    @property
    def real(self) -> Any:
        """The real part (``np.real``)."""
        return np.real(self)

    @property
    def imag(self) -> Any:
        """The imaginary part (``np.imag``)."""
        return np.imag(self)

    def conj(self) -> Any:
        """The complex conjugate (``np.conjugate``)."""
        return np.conjugate(self)

    conjugate = conj

    @property
    def requires_grad(self) -> bool:
        """True when operations on this tensor are recorded for differentiation."""
        return self._trace is not None

    @property
    def grad(self) -> Any:
        """The gradient filled in by ``backward()`` (None before)."""
        return getattr(self, "_grad", None)

    @grad.setter
    def grad(self, value: Any) -> None:
        self._grad = value

    @property
    def is_leaf(self) -> bool:
        """True for tensors created by the user rather than by an operation."""
        return self._node is None or getattr(self._node, "prim", 0) is None

    def __len__(self) -> int:
        if not self._value.shape:
            raise TypeError("len() of a 0-d Tensor")
        return self._value.shape[0]

    def __iter__(self):
        for k in range(len(self)):
            yield self[k]

    # --- leaving the traced world ------------------------------------------------------
    def _conversion_error(self, what: str) -> TracerConversionError:
        where = self._trace.name if self._trace is not None else "a transform"
        return TracerConversionError(
            f"{what} was called on a value of shape {self.shape} traced by gk.{where}; "
            "the result would be a plain number with no gradient, so the derivative would "
            "silently be wrong. Keep computing with NumPy operations on the value, or use "
            "gk.stop_gradient(x) if you really mean to treat it as a constant."
            + conversions.hint(what)
        )

    def _eager_or_raise(self, what: str) -> Any:
        if self._trace is None or self._trace.name == "Tensor":
            return value_of(self)
        if self._trace.jit:
            raise self._trace.escape_error()
        raise self._conversion_error(what)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if self._trace is not None:  # an object array of traced elements (sequences.py)
            if views.storing_into_an_array():
                raise views.into_ndarray_error(self)
            return sequences.element_array(self, dtype, copy)
        arr = np.asarray(self._value)
        return arr if dtype is None else arr.astype(dtype)

    def __float__(self) -> float:
        if self._trace is not None and views.storing_into_an_array():
            raise views.into_ndarray_error(self)  # a[i] = t, a a NumPy array
        return float(self._eager_or_raise("float()"))

    def __int__(self) -> int:
        return int(self._eager_or_raise("int()"))

    def __index__(self) -> int:
        return int(self._eager_or_raise("operator.index()"))

    def __complex__(self) -> complex:
        return complex(self._eager_or_raise("complex()"))

    def item(self) -> Any:
        """The value as a Python number (only outside transforms)."""
        return self._eager_or_raise(".item()").item()

    def tolist(self) -> Any:
        """The value as nested Python lists (only outside transforms)."""
        return np.asarray(self._eager_or_raise(".tolist()")).tolist()

    def __round__(self, ndigits: Any = None) -> Any:
        v = self._eager_or_raise("round()")
        if np.ndim(v):
            raise TypeError(f"round() of a Tensor of shape {np.shape(v)}; use np.round(x)")
        v = np.asarray(v)[()]
        return round(v) if ndigits is None else round(v, ndigits)

    # math.floor(t) and NumPy's object loops: zero-derivative values that stay Tensors
    def __floor__(self) -> Any:
        return np.floor(self)

    def __ceil__(self) -> Any:
        return np.ceil(self)

    def __trunc__(self) -> Any:
        return np.trunc(self)

    def __bool__(self) -> bool:
        return bool(value_of(self))

    def numpy(self) -> np.ndarray:
        """A copy of the plain value (no gradient flows through it)."""
        return np.array(value_of(self))

    def detach(self) -> Tensor:
        """The same value as a constant Tensor (no gradient flows through it); inside a
        transform, what ``gk.stop_gradient`` gives, as a Tensor (under gk.jit the value
        stays recorded, so the replay recomputes it).

        >>> import gradkit as gk
        >>> x = gk.Tensor([1.0, 2.0], requires_grad=True)
        >>> d = (x * 2).detach()
        >>> d.requires_grad, d
        (False, Tensor([2., 4.]))
        """
        v = strip(self)
        return v if type(v) is Tensor else Tensor._const(v)

    def __repr__(self) -> str:
        if self._trace is not None and self._trace.jit:  # its values must not be read
            v = np.asarray(peek(self))
            return f"Tensor(shape={v.shape}, dtype={v.dtype}, traced by gk.jit)"
        v = np.array2string(np.asarray(value_of(self)), precision=6, separator=", ")
        if self._trace is None:
            return f"Tensor({v})"
        if self._trace.name == "Tensor":
            return f"Tensor({v}, requires_grad=True)"
        return f"Tensor({v}, traced by gk.{self._trace.name})"

    def __format__(self, spec: str) -> str:
        v = value_of(self)
        return format(v.item() if np.ndim(v) == 0 else v, spec) if spec else repr(self)

    # --- backward ----------------------------------------------------------------------
    def backward(
        self, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False
    ) -> None:
        """Accumulate d(self)/d(leaf) into ``.grad`` of every leaf that requires it.

        As in PyTorch, gradients *add* into ``.grad`` (set ``t.grad = None`` to start
        again), and the graph is freed as it is walked: a second ``backward()`` through
        the same operations raises a RuntimeError unless the first had
        ``retain_graph=True``.

        Args:
            gradient: the cotangent to start from (an array of this Tensor's shape);
                required unless ``self`` is a real scalar.
            retain_graph: keep the recorded values so that the graph can be walked again
                (default: ``create_graph``, as PyTorch).
            create_graph: record the backward pass itself, so that each ``.grad`` is a
                Tensor that requires grad (for higher derivatives).

        >>> import gradkit as gk
        >>> x = gk.Tensor(2.0, requires_grad=True)
        >>> y = x**3
        >>> y.backward(create_graph=True)  # x.grad = 3 x**2, itself differentiable
        >>> g = x.grad
        >>> x.grad = None
        >>> g.backward()
        >>> float(g), float(x.grad)  # 3 x**2 = 12 and 6 x = 12
        (12.0, 12.0)
        """
        eager_backward.backward(self, gradient, retain_graph, create_graph)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Make this Tensor a leaf that requires grad (or, with False, a constant), in
        place, and return it (PyTorch's method).

        >>> import gradkit as gk
        >>> w = gk.Tensor([1.0, 2.0]).requires_grad_()
        >>> (w * w).sum().backward()
        >>> w.grad
        array([2., 4.])
        """
        if self._trace is not None and self._trace.name != "Tensor":
            raise self._conversion_error("requires_grad_()")
        if not requires_grad:
            if not self.is_leaf:
                raise RuntimeError(
                    "requires_grad_(False) was called on a Tensor computed from others; only "
                    "a leaf's flag can be changed (as in PyTorch). Use t.detach() for a "
                    "constant with its value."
                )
            self._trace = self._node = None
        elif self._trace is None:
            value = self._value
            if type(value) is Tensor:  # a constant holding gk.jit's traced value
                raise self._conversion_error("requires_grad_()")
            tr = _eager_trace()
            node = tr.leaf(value)._node
            node.tensor = self
            self._trace, self._node = tr, node
        return self

    def register_hook(self, hook: Callable[[Any], Any]) -> hooks.RemovableHandle:
        """Call ``hook(grad)`` with this Tensor's gradient in every ``backward()``; a
        hook that returns an array replaces the gradient with it (of the same shape).
        Returns a handle whose ``.remove()`` unregisters the hook.

        >>> import gradkit as gk
        >>> x = gk.Tensor([1.0, 2.0], requires_grad=True)
        >>> h = x.register_hook(lambda g: 10 * g)
        >>> (x * x).sum().backward()
        >>> x.grad  # 10 * 2 x
        array([20., 40.])
        >>> h.remove()
        """
        return hooks.add_hook(hooks.node_of(self, "register_hook"), hook)

    def retain_grad(self) -> None:
        """Keep this non-leaf Tensor's gradient in ``.grad`` after ``backward()`` (leaves
        keep theirs always).

        >>> import gradkit as gk
        >>> x = gk.Tensor([1.0, 2.0], requires_grad=True)
        >>> y = x * 3
        >>> y.retain_grad()
        >>> (y * y).sum().backward()
        >>> y.grad  # 2 y
        array([ 6., 12.])
        """
        hooks.retain(hooks.node_of(self, "retain_grad"), self)

    # --- operators -----------------------------------------------------------------------
    __add__, __radd__ = _operator(_add)
    __sub__, __rsub__ = _operator(_sub)
    __mul__, __rmul__ = _operator(_mul)
    __truediv__, __rtruediv__ = _operator(_div)
    __pow__, __rpow__ = _operator(_pow)
    __mod__, __rmod__ = _operator(_mod)
    __matmul__, __rmatmul__ = _operator(_matmul)

    def __floordiv__(self, other):
        # piecewise constant: zero derivative, so a plain result
        return apply_constant(np.floor_divide, (self, other), _NO_KW)

    def __rfloordiv__(self, other):
        return apply_constant(np.floor_divide, (other, self), _NO_KW)

    def __neg__(self):
        tr = self._trace
        return tr.unary(_neg, self) if tr is not None else bind(_neg, (self,), _NO_KW)

    def __pos__(self):
        return self

    def __abs__(self):
        return bind(_abs, (self,), _NO_KW)

    # Comparisons have a zero derivative: a plain result (recorded under gk.jit).
    def __lt__(self, other):
        return apply_constant(np.less, (self, other), _NO_KW)

    def __le__(self, other):
        return apply_constant(np.less_equal, (self, other), _NO_KW)

    def __gt__(self, other):
        return apply_constant(np.greater, (self, other), _NO_KW)

    def __ge__(self, other):
        return apply_constant(np.greater_equal, (self, other), _NO_KW)

    def __eq__(self, other):  # type: ignore[override]
        return apply_constant(np.equal, (self, other), _NO_KW)

    def __ne__(self, other):  # type: ignore[override]
        return apply_constant(np.not_equal, (self, other), _NO_KW)

    # Logical operators: a zero derivative, so a plain result (recorded under gk.jit).
    def __and__(self, other):
        return apply_constant(np.bitwise_and, (self, other), _NO_KW)

    def __rand__(self, other):
        return apply_constant(np.bitwise_and, (other, self), _NO_KW)

    def __or__(self, other):
        return apply_constant(np.bitwise_or, (self, other), _NO_KW)

    def __ror__(self, other):
        return apply_constant(np.bitwise_or, (other, self), _NO_KW)

    def __xor__(self, other):
        return apply_constant(np.bitwise_xor, (self, other), _NO_KW)

    def __invert__(self):
        return apply_constant(np.invert, (self,), _NO_KW)

    def __getitem__(self, idx):
        idx = _index(idx)
        return views.link(self, bind(_getitem, (self,), {"idx": idx}), ("index", idx))

    def __setitem__(self, idx, v) -> None:
        self._check_writable("y = np.where(mask, v, x)")
        v = _operand(v)  # a list (of traced values too) is the array NumPy reads it as
        views.setitem(self, _index(idx), v)

    # In-place arithmetic, y += x: as in NumPy, every name for this object sees the new
    # value (a fresh object, as Python makes without these methods, would leave them the
    # old one). The result must keep this Tensor's shape; it keeps its dtype.
    __iadd__ = _in_place_operator(__add__)
    __isub__ = _in_place_operator(__sub__)
    __imul__ = _in_place_operator(__mul__)
    __itruediv__ = _in_place_operator(__truediv__)
    __ifloordiv__ = _in_place_operator(__floordiv__)
    __imod__ = _in_place_operator(__mod__)
    __ipow__ = _in_place_operator(__pow__)
    __imatmul__ = _in_place_operator(__matmul__)

    def _check_writable(self, instead: str) -> None:
        node = self._node
        if node is not None and self._trace.name == "Tensor" and node.prim is None:
            if grad_mode.stops(self._trace):  # an update under gk.no_grad (w -= lr * g)
                return
            raise InPlaceError(
                f"a leaf Tensor of shape {self.shape} that requires grad is being written in "
                "place; its gradient would lose track of the old values. Build a new tensor "
                f"instead, e.g. {instead}, or write into x.detach()."
            )

    def _in_place(self, op: Any, other: Any) -> Tensor:
        self._check_writable("y = x + v")
        updated = op(self, other)
        old, new = peek(self), peek(updated)  # shapes and dtypes only (jit too)
        if np.shape(new) != np.shape(old):
            raise ValueError(
                f"an in-place operation on a Tensor of shape {np.shape(old)} gave shape "
                f"{np.shape(new)}, which does not fit in it (NumPy refuses this too); write "
                "y = y + x instead to make a new array"
            )
        if np.result_type(new) != np.result_type(old):
            if not np.can_cast(np.result_type(new), np.result_type(old), "same_kind"):
                # NumPy refuses too (UFuncTypeError): a complex result would silently lose
                # its imaginary part in a real array
                raise TypeError(
                    f"an in-place operation on a Tensor of dtype {np.result_type(old)} gave "
                    f"dtype {np.result_type(new)}, which NumPy does not cast back in place "
                    "(casting rule 'same_kind'); write y = y + x to make a new array"
                )
            updated = numpy_api.astype(updated, np.result_type(old))  # as NumPy casts
        return self._overwrite(updated)

    def _overwrite(self, updated: Any) -> Tensor:
        """Make this object name ``updated``. The old value stays in the recorded graph
        untouched: exactly as if the user had written ``x = updated``, except that every
        name for this object sees it, and so do the array it is a view of and that
        array's other views (see autodiff/views.py)."""
        return views.write(self, updated)

    # --- NumPy protocols -------------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "__call__" and not kwargs:
            prim = _UFUNC_PRIMITIVES.get(ufunc)
            if prim is not None:
                tr = self._trace
                if tr is None and len(inputs) == 1 and type(self._value) is _ndarray:
                    return Tensor._const(prim.impl(self._value))  # a constant: no search
                if tr is not None:
                    if len(inputs) == 1:
                        return tr.unary(prim, self)
                    if len(inputs) == 2:
                        a, b = inputs
                        # A constant beside this tensor: record without the general search.
                        if a is self:
                            if type(b) is not Tensor:
                                tp = type(b)
                                if (tp is _ndarray and b.dtype is not _OBJECT) or tp in _SCALARS:
                                    return tr.with_constant(prim, self, b, 0)
                            elif b._trace is tr:
                                return tr.binary(prim, a, b)
                        elif type(a) is not Tensor:
                            tp = type(a)
                            if (tp is _ndarray and a.dtype is not _OBJECT) or tp in _SCALARS:
                                return tr.with_constant(prim, self, a, 1)
                return bind(prim, numpy_api.as_operands(inputs), _NO_KW)
        return numpy_api.apply_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        fn = numpy_api.FUNCTIONS.get(func)
        for tp in types:
            if tp is not Tensor and tp is not _ndarray:  # np.matrix, np.ma, foreign types
                sequences.other_types(func, types)  # raises, or allows Elements through
                args, kwargs = sequences.pack_arguments(func, args, kwargs)
                break
        for a in args:  # lists and object arrays that hold traced values are packed
            tp = type(a)
            if tp in SEQUENCES or (tp is _ndarray and a.dtype is _OBJECT):
                args, kwargs = sequences.pack_arguments(func, args, kwargs)
                break
        else:
            for a in kwargs.values():
                tp = type(a)
                if tp in SEQUENCES or (tp is _ndarray and a.dtype is _OBJECT):
                    args, kwargs = sequences.pack_arguments(func, args, kwargs)
                    break
        if fn is None:
            from gradkit.autodiff.errors import NoRuleError

            module = getattr(func, "__module__", "numpy") or "numpy"
            # NumPy 2.0 names some modules privately: numpy.lib._scimath_impl is np.lib.scimath
            parts = [
                p[1:-5] if p.startswith("_") and p.endswith("_impl") else p
                for p in module.split(".")
            ]
            name = ".".join(["np", *parts[1:]] if parts[0] == "numpy" else parts)
            name += "." + func.__name__
            raise NoRuleError(
                f"{name} has no derivative rule in gradkit, so it cannot be applied to a "
                "Tensor. Express it with supported NumPy operations, or wrap it with "
                "@gk.primitive and give its derivative with gk.defvjp / gk.defjvp."
            )
        return fn(*args, **kwargs)

    # --- NumPy-style methods -----------------------------------------------------------------
    # The reductions take ndarray's arguments in ndarray's order, positionally too:
    # ``t.sum(1, float)`` is a sum in float, as ``a.sum(1, float)`` is, never keepdims.
    def sum(self, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
        """Sum over ``axis`` (all axes by default), as ``ndarray.sum``."""
        return numpy_api.sum_(self, axis, dtype, out, keepdims, initial, where)

    def mean(self, axis=None, dtype=None, out=None, keepdims=False, where=None):
        """Mean over ``axis``, as ``ndarray.mean``."""
        return numpy_api.mean(self, axis, dtype, out, keepdims, where)

    def max(self, axis=None, out=None, keepdims=False, initial=None, where=None):
        """Maximum over ``axis``, as ``ndarray.max``; ties share the gradient evenly."""
        return numpy_api.amax(self, axis, out, keepdims, initial, where)

    def min(self, axis=None, out=None, keepdims=False, initial=None, where=None):
        """Minimum over ``axis``, as ``ndarray.min``; ties share the gradient evenly."""
        return numpy_api.amin(self, axis, out, keepdims, initial, where)

    def prod(self, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
        """Product over ``axis``, as ``ndarray.prod``."""
        return numpy_api.prod(self, axis, dtype, out, keepdims, initial, where)

    def var(self, axis=None, dtype=None, out=None, ddof=0, keepdims=False, where=None):
        """Variance over ``axis``, as ``ndarray.var``."""
        return numpy_api.var(self, axis, dtype, out, ddof, keepdims, where)

    def std(self, axis=None, dtype=None, out=None, ddof=0, keepdims=False, where=None):
        """Standard deviation over ``axis``, as ``ndarray.std``."""
        return numpy_api.std(self, axis, dtype, out, ddof, keepdims, where)

    def cumsum(self, axis=None, dtype=None, out=None):
        """Cumulative sum along ``axis`` (of the flattened tensor by default)."""
        return numpy_api.cumsum(self, axis, dtype, out)

    def reshape(self, *shape):
        """The same values in a new shape (``-1`` infers one size)."""
        if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
            shape = tuple(shape[0])
        return numpy_api.reshape(self, shape)

    def transpose(self, *axes):
        """Permute the axes (reverse them by default)."""
        if len(axes) == 1 and not isinstance(axes[0], (int, np.integer)):
            axes = tuple(axes[0])
        return numpy_api.transpose(self, axes or None)

    def swapaxes(self, a, b):
        """Exchange two axes."""
        return numpy_api.swapaxes(self, a, b)

    def squeeze(self, axis=None):
        """Remove axes of size one."""
        return numpy_api.squeeze(self, axis)

    def ravel(self):
        """The values as a 1-d tensor (a view when NumPy's would be one)."""
        return numpy_api.ravel(self)

    def flatten(self):
        """The values as a new 1-d tensor (a copy, as ``ndarray.flatten``)."""
        return numpy_api.copy(numpy_api.ravel(self))

    def diagonal(self, offset=0, axis1=0, axis2=1):
        """The diagonal, a read-only view (as ``ndarray.diagonal``)."""
        return numpy_api.diagonal(self, offset, axis1, axis2)

    def dot(self, other):
        """``np.dot(self, other)``."""
        return numpy_api.dot(self, other)

    def clip(self, min=None, max=None, out=None):  # noqa: A002 - NumPy's names
        """Clip values to ``[min, max]``."""
        return numpy_api.clip(self, min, max, out)

    def astype(self, dtype):
        """Cast to ``dtype`` (the gradient is cast back; to an integer or boolean dtype
        the result is a constant, derivative 0)."""
        return numpy_api.astype(self, dtype)

    def copy(self, order="C"):
        """A new tensor with the same value, differentiable like the original; C-ordered
        as ``ndarray.copy()`` (so that a reshape of it is a view, as in NumPy)."""
        return numpy_api.copy(self, order)

    def any(self, axis=None, out=None, keepdims=False):
        """Whether any element is nonzero (a plain boolean: no gradient), as ``ndarray.any``."""
        return apply_constant(np.any, (self,), {"axis": axis, "out": out, "keepdims": keepdims})

    def all(self, axis=None, out=None, keepdims=False):
        """Whether every element is nonzero (a plain boolean: no gradient), as ``ndarray.all``."""
        return apply_constant(np.all, (self,), {"axis": axis, "out": out, "keepdims": keepdims})

    def argmax(self, axis=None, out=None, *, keepdims=False):
        """Index of the maximum (a plain array: no gradient)."""
        if out is not None:
            return np.argmax(value_of(self), axis, out, keepdims=keepdims)
        return apply_constant(np.argmax, (self,), {"axis": axis, "keepdims": keepdims})

    def argmin(self, axis=None, out=None, *, keepdims=False):
        """Index of the minimum (a plain array: no gradient)."""
        if out is not None:
            return np.argmin(value_of(self), axis, out, keepdims=keepdims)
        return apply_constant(np.argmin, (self,), {"axis": axis, "keepdims": keepdims})


def stop_gradient(x: Any) -> Any:
    """Return the value of ``x`` as a constant: no derivative flows through it.

    >>> import numpy as np
    >>> import gradkit as gk
    >>> float(gk.grad(lambda x: x * gk.stop_gradient(x))(3.0))
    3.0
    """
    v = strip(x)  # under gk.jit: still jit's value, so that the replay recomputes it
    return Tensor._const(v) if type(x) is Tensor and x._trace is None else v


primitives._Tensor = Tensor
sequences.add_ufunc_methods(Tensor)
