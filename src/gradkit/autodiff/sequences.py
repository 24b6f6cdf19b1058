"""Arrays built from Python sequences that hold traced values.

NumPy builds ``np.array([a * b, np.sin(c)])``, ``np.asarray(t)``, ``np.r_[...]`` and the
``np.asarray`` inside ``np.linalg.norm([x, y])`` without asking the values: it calls
``__array__`` on each (and stores a 0-d value as it is). A traced value answers with an
*object* array of its elements, each a 0-d traced value (:func:`element_array`), so
NumPy's object loops compute with the engine's operations and the result keeps its
derivative. Such an object array is gathered back into one traced array (:func:`pack`)
wherever gradkit meets it: beside a Tensor in an operator, a ufunc or a NumPy function,
in ``gk.Tensor(...)`` and in what a transform returns. NumPy's ``np.mean``, ``np.var``
and ``np.std`` of such an array return a traced value (:func:`hides_dtype`).

NumPy's ``np.array`` returns an ndarray whatever it is given, so the array itself is an
object array, also of hand-made Tensors: ``gk.Tensor(np.array([t1, t2]))`` gathers it.
What NumPy computes on it before gradkit meets it follows NumPy's object loops: each
element's arithmetic is NumPy's scalar arithmetic, but a sum adds the entries in order,
where NumPy's sum of a float array adds 8 or more of them pairwise (so a sum of 8 or
more such entries may differ from the float sum in the last bits; see docs/fidelity.md).

What cannot be honoured is refused by name: a float array asked of a traced value
(``np.asarray(t, dtype=float)``, ``a[:] = t``), NumPy's masked arrays and ``np.matrix``,
other ndarray subclasses and foreign array types, SciPy's compiled code.

>>> import numpy as np
>>> import gradkit as gk
>>> f = lambda x: np.sum(np.array([x[0] * x[1], np.sin(x[1]), 2.0]) ** 2)
>>> gk.grad(f)(np.array([1.0, 0.5])).round(6)  # (2 x0 x1^2, 2 x0^2 x1 + sin(2 x1))
array([0.5     , 1.841471])
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from gradkit.autodiff import arraytypes, conversions, primitives, scipy_names
from gradkit.autodiff.arraytypes import is_duck_type
from gradkit.autodiff.errors import TracerConversionError, UnsupportedArrayTypeError
from gradkit.autodiff.primitives import bind, peek
from gradkit.autodiff.rules import shape
from gradkit.autodiff.rules.pack import pack_p

__all__ = [
    "element_array", "pack", "pack_if_traced", "operand",
    "pack_arguments", "pack_output", "check_input", "unsupported_type_error",
]  # fmt: skip

_OBJECT = np.dtype(object)
_ndarray = np.ndarray
_SEQUENCES = (list, tuple)


# --- a traced value asked for an array --------------------------------------------------
def element_array(t: Any, dtype: Any, copy: Any) -> np.ndarray:
    """What ``t.__array__(dtype, copy)`` returns for a traced ``t``: an object array of
    its elements (0-d traced values), or a clear error where floats are required."""
    if dtype is not None and np.dtype(dtype) != _OBJECT:
        if t._trace.jit:
            raise t._trace.escape_error()
        raise TracerConversionError(
            f"np.asarray/np.array with dtype={np.dtype(dtype)} (or writing into a NumPy "
            f"array, a[i] = t) was called on a Tensor of shape {t.shape} that is being "
            "differentiated; a plain array cannot carry its gradient. Build arrays with "
            "np.stack/np.concatenate/np.where or np.array([...]) without a dtype; to fill "
            "a NumPy array with traced values, make it traced: a = np.zeros_like(x), then "
            "a[i] = t; or call .detach() (or gk.stop_gradient) for the value alone."
            + (scipy_names.asarray_hint() or conversions.hint("np.asarray"))
        )
    _refuse_caller(sys._getframe(2), t)
    out = np.empty(t.shape, dtype=object)
    flat = out.reshape(-1)  # a view: filling it fills out
    getitem = shape.getitem_p
    for k, idx in enumerate(np.ndindex(t.shape)):
        flat[k] = bind(getitem, (t,), {"idx": idx})
    if not copy:
        # np.asarray(x) of an array is x itself, so a write into it would change x; the
        # elements here are copies, so such a write is refused rather than lost.
        out.flags.writeable = False
    return out


def _refuse_caller(frame: Any, t: Any) -> None:
    """Refuse to hand elements to code that would not compute with them as NumPy does."""
    module = frame.f_globals.get("__name__", "") if frame is not None else ""
    if module == "numpy.ma" or module.startswith("numpy.ma."):
        raise unsupported_type_error(None, "np.ma")
    if module.startswith("numpy.matrixlib"):
        raise unsupported_type_error(None, "np.matrix")
    hint = scipy_names.asarray_hint()  # SciPy's Python code, on its way to compiled code
    if hint:
        raise TracerConversionError(
            f"np.asarray was called inside SciPy on a Tensor of shape {t.shape} that is "
            "being differentiated; SciPy computes in compiled code, where the gradient "
            "cannot follow." + hint
        )


def _numpy_finishers() -> frozenset:
    """The code of NumPy's Python functions that end a mean, a variance or a standard
    deviation of an object array with ``ret.dtype.type(ret / n)`` when the sum ``ret``
    has a ``dtype``, and with ``ret / n`` when it has none (as for Python numbers)."""
    from numpy._core import _methods

    return frozenset(
        f.__code__ for f in (getattr(_methods, n, None) for n in ("_mean", "_var", "_std")) if f
    )


_FINISHERS = _numpy_finishers()


def hides_dtype(frame: Any) -> bool:
    """Whether a 0-d traced value asked for its ``dtype`` by ``frame`` answers that it has
    none: NumPy's ``np.mean``/``np.var``/``np.std`` of an object array (a list of traced
    values) would otherwise end in ``np.float64(total / n)``, which drops the gradient
    (and, on a hand-made Tensor, silently). Without a ``dtype`` NumPy returns
    ``total / n`` itself: a traced value, NumPy's own value bit for bit."""
    return frame.f_code in _FINISHERS


# --- gathering traced elements back into one array --------------------------------------
def _holds_traced(x: Any) -> bool:
    """Whether ``x`` (a Tensor, an object array, or nested lists/tuples) holds a traced
    value anywhere."""
    Tensor = primitives._Tensor
    tp = type(x)
    if tp is Tensor:
        return True
    if tp is list or tp is tuple:
        return any(_holds_traced(e) for e in x)
    if tp is _ndarray and x.dtype.hasobject:
        return any(type(e) is Tensor for e in x.flat)
    return False


def pack(x: Any) -> Any:
    """One traced array from ``x``: a Tensor stays as it is; an object array or nested
    lists/tuples holding traced values become the array NumPy would build from their
    values (same shape, same dtype), differentiable in every element.

    >>> import numpy as np
    >>> import gradkit as gk
    >>> gk.jacobian(lambda x: pack([[x[0], 1.0], [x[1] ** 2, x[0] * x[1]]]))(
    ...     np.array([2.0, 3.0])).tolist()
    [[[1.0, 0.0], [0.0, 0.0]], [[0.0, 6.0], [3.0, 2.0]]]
    """
    Tensor = primitives._Tensor
    tp = type(x)
    if tp is Tensor:
        return x
    if tp is _ndarray and x.dtype.hasobject:
        return _pack_objects(x)
    if tp is list or tp is tuple:
        return _pack_sequence(x)
    return x


def pack_if_traced(x: Any) -> Any:
    """:func:`pack` if ``x`` holds traced values; ``x`` unchanged otherwise."""
    return pack(x) if _holds_traced(x) else x


def _number(e: Any) -> bool:
    return isinstance(e, (int, float, complex, np.number, np.bool_))


def _pack_objects(arr: np.ndarray) -> Any:
    """An object array of 0-d traced values and numbers as one traced array."""
    Tensor = primitives._Tensor
    elems = list(arr.flat)
    if not any(type(e) is Tensor for e in elems):
        return arr  # a user's own object array: NumPy's semantics, untouched
    values = []
    for e in elems:
        if type(e) is Tensor:
            v = peek(e)
            if np.ndim(v) != 0:
                raise ValueError(
                    f"an object array holds a traced array of shape {np.shape(v)} as one "
                    "element; NumPy cannot make a numeric array of it either (setting an "
                    "array element with a sequence). Build it with np.stack instead."
                )
            values.append(v)
        elif _number(e):
            values.append(e)
        else:
            raise TypeError(
                f"an object array mixes traced values with {type(e).__name__} {e!r:.40}; "
                "only numbers can stand beside them in an array"
            )
    dtype = np.array(values).dtype  # NumPy's own choice for these values
    return pack_p(*elems, shape=arr.shape, dtype=dtype)


def _plain_tree(x: Any) -> Any:
    tp = type(x)
    if tp is list or tp is tuple:
        return [_plain_tree(e) for e in x]
    if tp is primitives._Tensor:
        return peek(x)
    return x


def _pack_sequence(seq: Any) -> Any:
    """Nested lists/tuples holding traced values as one traced array."""
    if not _holds_traced(seq):
        return np.asarray(seq)
    seq = _map_leaves(seq, _pack_leaf)
    plain = _plain_tree(seq)
    if arraytypes.seen:  # np.array of a list would compute a Dask array into memory
        _map_leaves(plain, lambda e: arraytypes.concrete(e, "an array built from a list"))
    reference = np.array(plain)  # NumPy's shape and dtype (or NumPy's error)
    if reference.dtype.kind not in "biufc":
        raise TypeError(
            f"a list holding traced values makes an array of dtype {reference.dtype}, not "
            "of numbers; only numbers and arrays of numbers can stand beside them"
        )
    leaves: list = []
    _map_leaves(seq, leaves.append)
    if all(np.ndim(peek(e)) == 0 for e in leaves):
        return pack_p(*leaves, shape=reference.shape, dtype=reference.dtype)
    out = _stack(seq)
    if np.result_type(peek(out)) != reference.dtype:
        out = shape.astype_p(out, dtype=reference.dtype)
    return out


def _map_leaves(x: Any, fn: Any) -> Any:
    tp = type(x)
    if tp is list or tp is tuple:
        return [_map_leaves(e, fn) for e in x]
    return fn(x)


def _stack(x: Any) -> Any:
    """Nested lists of arrays (traced or not) stacked along new leading axes."""
    if type(x) is not list:
        return x
    parts = [_stack(e) for e in x]
    if not parts:
        return np.zeros((0,))
    return shape.concatenate_p(
        *[shape.reshape_p(p, shape=(1,) + np.shape(peek(p))) for p in parts], axis=0
    )


# --- where gradkit meets a value from outside --------------------------------------------
def operand(x: Any) -> Any:
    """An operand of a ufunc or operator beside a Tensor, as NumPy reads it: a list or
    tuple is an array (packed if it holds traced values), an object array of traced
    values is packed, and an array type gradkit does not handle is refused."""
    tp = type(x)
    if tp is list or tp is tuple:
        return _pack_sequence(x)
    if tp is _ndarray:
        return _pack_objects(x) if x.dtype.hasobject else x
    if isinstance(x, _ndarray) or _foreign(tp):
        if isinstance(x, np.memmap):
            return np.asarray(x)
        raise unsupported_type_error(tp, where="an operand beside a traced value")
    return x


def _foreign(tp: type) -> bool:
    """An array type with NumPy overrides of its own (its semantics, not NumPy's)."""
    if tp is primitives._Tensor or issubclass(tp, np.generic) or is_duck_type(tp):
        return False  # a duck array (Dask's) computes NumPy's functions itself
    return any(
        getattr(tp, name, None) is not None
        for name in ("__array_ufunc__", "__array_function__", "__array_namespace__")
    )


#: NumPy functions whose parameter at these positions is a sequence *of* arrays: its
#: elements are packed one by one (``np.concatenate([[x, y], t])``), never stacked.
_SEQUENCE_PARAMS: dict = {
    np.concatenate: (0,), np.stack: (0,), np.hstack: (0,), np.vstack: (0,),
    np.dstack: (0,), np.column_stack: (0,), np.select: (0, 1), np.choose: (1,),
    np.linalg.multi_dot: (0,),
}  # fmt: skip
_UNTOUCHED: dict = {np.block: None, np.piecewise: (1, 2)}  # nested structure or callables


def pack_arguments(func: Any, args: tuple, kwargs: dict) -> tuple:
    """The arguments of NumPy function ``func`` with every array-like that holds traced
    values (a list, a tuple, an object array) packed into one traced array."""
    untouched = _UNTOUCHED.get(func, ())
    seq_params = _SEQUENCE_PARAMS.get(func, ())
    new = []
    for k, a in enumerate(args):
        tp = type(a)
        if untouched is None or k in untouched:
            a = _map_leaves(a, _pack_leaf) if tp is list or tp is tuple else _pack_leaf(a)
        elif k in seq_params and (tp is list or tp is tuple):
            a = [pack_if_traced(e) for e in a]
        else:
            a = pack_if_traced(a)
        new.append(a)
    kwargs = {key: pack_if_traced(v) for key, v in kwargs.items()} if kwargs else kwargs
    return tuple(new), kwargs


def _pack_leaf(a: Any) -> Any:
    return _pack_objects(a) if type(a) is _ndarray and a.dtype.hasobject else a


def pack_output(out: Any) -> Any:
    """A transform's output with every object array of traced values packed (lists,
    tuples and dicts stay containers: they are the output's structure)."""
    tp = type(out)
    if tp is _ndarray:
        return _pack_objects(out) if out.dtype.hasobject else out
    if tp is list or tp is tuple:
        return tp(pack_output(e) for e in out)
    if tp is dict:
        return {k: pack_output(v) for k, v in out.items()}
    if isinstance(out, _ndarray) and not isinstance(out, np.memmap):
        raise unsupported_type_error(tp, where="the function's output")
    return out


# --- types gradkit does not handle --------------------------------------------------------
def unsupported_type_error(tp: Any, name: str | None = None, where: str = "") -> Exception:
    """The error for an array type ``tp`` (or one named ``name``: ``"np.ma"``,
    ``"np.matrix"``) whose semantics gradkit does not implement."""
    ma = sys.modules.get("numpy.ma")
    if tp is not None:
        name = f"{tp.__module__}.{tp.__qualname__}".replace("numpy.", "np.")
    if name == "np.ma" or (ma is not None and tp is not None and issubclass(tp, ma.MaskedArray)):
        what = "a masked array (np.ma)"
        why = (
            "NumPy's masked arrays have semantics of their own (masked entries are skipped "
            "by reductions and carried through ufuncs), which gradkit does not implement. "
            "Work on plain arrays: x.filled(fill) or np.where(mask, fill, x.data), and "
            "reductions with where=/weights."
        )
    elif name == "np.matrix" or (tp is not None and issubclass(tp, np.matrix)):
        what = "np.matrix"
        why = (
            "np.matrix has semantics of its own (* is a matrix product, results stay "
            "2-d), which gradkit does not implement. Use np.asarray(m) and @ for products."
        )
    elif tp is not None and issubclass(tp, _ndarray):
        what = f"the ndarray subclass {name}"
        why = (
            "gradkit differentiates plain np.ndarray values; a subclass may change what "
            "NumPy's functions do. Pass np.asarray(x) if its plain values are what you mean."
        )
    else:
        what = f"the array type {name}"
        why = (
            "it overrides NumPy's functions with its own, which gradkit does not follow. "
            "Convert it with np.asarray(x) first if its plain values are what you mean."
        )
    place = f" ({where})" if where else ""
    return UnsupportedArrayTypeError(f"gradkit cannot differentiate through {what}{place}: {why}")


def check_input(x: Any, who: str, argnum: int) -> None:
    """Refuse an input to a transform whose type gradkit does not handle."""
    tp = type(x)
    if tp is _ndarray:
        return
    if (isinstance(x, _ndarray) and not isinstance(x, np.memmap)) or _foreign(tp):
        raise unsupported_type_error(tp, where=f"gk.{who}, argument {argnum}")


def other_types(func: Any, types: Any) -> None:
    """``__array_function__`` met an argument type beside Tensor that gradkit does not
    handle (``np.matrix``, a masked array, a foreign array): refuse it by name."""
    Tensor = primitives._Tensor
    odd = [tp for tp in types if tp is not Tensor and tp is not _ndarray and not is_duck_type(tp)]
    if not odd:  # array types the engine carries (Dask): their own protocols handle them
        return
    name = getattr(func, "__name__", repr(func))
    raise unsupported_type_error(odd[0], where=f"an argument of np.{name}")


def add_ufunc_methods(tensor_class: type) -> None:
    """Give Tensor a method for each ufunc gradkit differentiates (``t.sin()``,
    ``t.arctan2(u)``): NumPy's loops over object arrays call an element's method of the
    ufunc's name, so ``np.sin(np.array([x, y]))`` computes with traced elements."""
    from gradkit.autodiff.rules import elementwise

    for ufunc in (*elementwise.UFUNC_PRIMITIVES, *elementwise.UFUNC_CONSTANT):
        name = ufunc.__name__
        if hasattr(tensor_class, name):
            continue
        method = _unary_method(ufunc) if ufunc.nin == 1 else _binary_method(ufunc)
        method.__name__ = name
        method.__doc__ = f"``np.{name}`` of this tensor (and ``other``), as a method."
        setattr(tensor_class, name, method)


def _unary_method(ufunc: Any) -> Any:
    def method(self):
        return ufunc(self)

    return method


def _binary_method(ufunc: Any) -> Any:
    def method(self, other):
        return ufunc(self, other)

    return method
