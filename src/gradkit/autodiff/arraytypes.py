"""Array types other than NumPy's that the engine carries, decided by protocol.

The engine computes with ``np.*`` calls, and NumPy hands such a call to the array type
of its arguments through the protocols ``__array_ufunc__`` and ``__array_function__``.
So an array type that implements both protocols, and whose NumPy functions compute what
NumPy's compute, can be a traced value's plain value: the forward pass and every
derivative rule run as calls of that type's own functions. A Dask array stays a lazy
Dask graph through ``gk.grad`` this way, and nothing is computed until the user asks.

Which types qualify is a question of semantics, not of protocol alone (``np.matrix``
and masked arrays implement the protocols with semantics of their own), so a type is
admitted by name in :data:`ARRAY_TYPES`: today ``dask.array.Array``, tested in
``tests/test_dask.py``. Dask is never imported here: a type is recognised only once
its module has been imported by the user.

The check is one dictionary lookup per type (:func:`is_duck_type`), so the NumPy fast
paths, which test ``type(x) is np.ndarray`` first, pay nothing for it.

>>> import numpy as np
>>> is_duck_type(np.ndarray), is_duck_type(list)
(False, False)
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

__all__ = [
    "ARRAY_TYPES", "is_duck_type", "is_duck", "asarray", "concrete", "like", "broadcast_like",
    "duck_in",
    "check_function", "raise_unsupported", "unsupported_operation_error", "type_name",
]  # fmt: skip

#: Array types whose NumPy functions compute what NumPy's do, as ``(module, class name)``
#: of where the class is defined: their values flow through the engine unconverted.
ARRAY_TYPES: tuple = (("dask.array.core", "Array"),)

_cache: dict = {}

#: True once a duck array has been seen: until then (a NumPy-only program) the checks
#: below are skipped after reading this one flag.
seen = False


def is_duck_type(tp: type) -> bool:
    """Whether values of type ``tp`` are arrays the engine computes with as they are
    (one of :data:`ARRAY_TYPES`, implementing NumPy's two dispatch protocols)."""
    try:
        return _cache[tp]
    except KeyError:
        pass
    except TypeError:  # an unhashable type object: not an array type
        return False
    found = False
    for module, name in ARRAY_TYPES:
        mod = sys.modules.get(module)
        cls = getattr(mod, name, None) if mod is not None else None
        if cls is not None and isinstance(tp, type) and issubclass(tp, cls):
            found = all(
                callable(getattr(tp, p, None)) for p in ("__array_ufunc__", "__array_function__")
            )
            break
    _cache[tp] = found
    if found:
        global seen
        seen = True
    return found


def is_duck(x: Any) -> bool:
    """Whether ``x`` is a value of one of :data:`ARRAY_TYPES` (a Dask array).

    >>> is_duck(np.ones(2)), is_duck(2.0)
    (False, False)
    """
    return is_duck_type(type(x))


def asarray(x: Any, dtype: Any = None) -> Any:
    """``np.asarray(x, dtype)``, except that a duck array stays what it is (cast to
    ``dtype`` lazily if it has another): the engine's one door from array-likes to
    arrays, so a chunked array is never pulled into memory.

    >>> asarray([1, 2], float)
    array([1., 2.])
    """
    if type(x) is not np.ndarray and is_duck(x):
        return x if dtype is None or x.dtype == np.dtype(dtype) else x.astype(dtype)
    return np.asarray(x, dtype=dtype)


def type_name(tp: type) -> str:
    """``dask.array.Array``: where users know the type from (its package), not its file.

    >>> type_name(np.ndarray)
    'numpy.ndarray'
    """
    module = tp.__module__
    if module.endswith(".core"):
        module = module[: -len(".core")]
    return f"{module}.{tp.__qualname__}"


def concrete(x: Any, operation: str, dtype: Any = None) -> np.ndarray:
    """``np.asarray(x)`` where the engine needs the numbers themselves (a Python decision
    on the data, a shape that depends on it); for a duck array, the error naming
    ``operation`` and the type: it would have to be computed into memory.

    >>> concrete([1, 2], "np.piecewise", float)
    array([1., 2.])
    """
    tp = type(x) if type(x) is not list else duck_in(x)
    if tp is not None and tp is not np.ndarray and is_duck_type(tp):
        raise unsupported_operation_error(
            operation, type_name(tp), " (it needs the values themselves, not a lazy graph)"
        )
    return np.asarray(x, dtype=dtype)


def like(a: np.ndarray, x: Any) -> Any:
    """The NumPy array ``a`` as an array of ``x``'s type when ``x`` is a duck array (one
    chunk for Dask: ``a`` is small, a reduced cotangent), else ``a`` itself.

    >>> like(np.zeros(2), np.ones(3))
    array([0., 0.])
    """
    tp = type(x)
    if tp is np.ndarray or not is_duck_type(tp):
        return a
    if tp.__module__.startswith("dask."):
        import dask.array as da

        return da.from_array(a, chunks=a.shape or ())
    return a


def broadcast_like(g: Any, x: Any) -> Any:
    """``np.broadcast_to(g, x.shape)`` for a duck array ``x``, chunked as ``x`` is (Dask's
    own broadcast would make one chunk of the whole shape, then split it again).

    >>> broadcast_like(np.ones((1, 2)), np.zeros((3, 2))).shape
    (3, 2)
    """
    tp = type(x)
    if tp is np.ndarray or not is_duck_type(tp) or not tp.__module__.startswith("dask."):
        return np.broadcast_to(g, x.shape)
    import dask.array as da

    if type(g) is np.ndarray or np.isscalar(g):
        g = da.from_array(np.asarray(g), chunks=-1)
    chunks = tuple((1,) if n == 1 else c for n, c in zip(g.shape, x.chunks[x.ndim - g.ndim :]))
    return da.broadcast_to(g.rechunk(chunks), x.shape, chunks=x.chunks)


def duck_in(values: Any) -> Any:
    """The first duck array type among ``values`` and the values inside their traced
    boxes (one level of tuples and lists too), or None.

    >>> duck_in([np.ones(2), [3.0]]) is None
    True
    """
    from gradkit.autodiff.primitives import peek  # (primitives imports this module)

    for v in values:
        v = peek(v)  # a Tensor's value
        tp = type(v)
        if tp is list or tp is tuple:
            found = duck_in(v)
            if found is not None:
                return found
        elif tp is not np.ndarray and is_duck_type(tp):
            return tp
    return None


def _implements(tp: type, func: Any) -> bool:
    """Whether the duck array type ``tp`` computes NumPy function ``func`` itself (Dask
    otherwise computes its arrays into memory and calls NumPy, with a FutureWarning)."""
    key = (tp, func)
    try:
        return _cache[key]
    except KeyError:
        pass
    found = True
    if tp.__module__.startswith("dask."):
        import dask.array as module
        from dask.array import core

        found = func in getattr(core, "_HANDLED_FUNCTIONS", {})
        if not found:
            for sub in getattr(func, "__module__", "numpy").split(".")[1:]:
                module = getattr(module, sub, None)
            impl = getattr(module, func.__name__, None)
            found = impl is not None and impl is not func
    _cache[key] = found
    return found


def check_function(func: Any, args: tuple, kwargs: dict) -> None:
    """Refuse NumPy function ``func`` on duck arrays that do not implement it (before
    they are computed into memory): an error naming the function and the array type.

    >>> check_function(np.sort, (np.ones(3),), {})  # NumPy arrays: nothing to refuse
    """
    tp = duck_in(args) or duck_in(kwargs.values())
    if tp is not None and not _implements(tp, func):
        module = getattr(func, "__module__", "numpy") or "numpy"
        name = module.replace("numpy", "np", 1) + "." + func.__name__
        raise unsupported_operation_error(name, type_name(tp))


def raise_unsupported(err: Exception, prim: Any, values: Any, what: str) -> None:
    """If ``err``, raised by a primitive's forward function or rule, came from duck
    arrays (Dask's ``ufunc.at``, fancy indexing, FFTs across chunks...), raise the error
    naming the primitive and the array type instead; otherwise return (the caller
    re-raises ``err`` untouched).

    >>> raise_unsupported(ValueError("bad shape"), None, (np.ones(2),), "the function")
    """
    if not seen or not isinstance(err, _DUCK_FAILURES):
        return
    tp = duck_in(values)
    if tp is not None:
        detail = f" ({type(err).__name__}: {str(err)[:300]})"
        raise unsupported_operation_error(f"{prim.name} ({what})", type_name(tp), detail) from err


#: What Dask raises for what it cannot do (ufunc.at, nd fancy indexing, FFTs across chunks).
_DUCK_FAILURES = (TypeError, ValueError, NotImplementedError, IndexError, AttributeError)


def unsupported_operation_error(operation: str, type_label: str, detail: str = "") -> Exception:
    """The error for ``operation`` applied to an array type that does not provide it.

    >>> str(unsupported_operation_error("np.sort", "dask.array.Array"))[:52]
    'np.sort is not supported on dask.array.Array values:'
    """
    from gradkit.autodiff.errors import UnsupportedArrayTypeError

    return UnsupportedArrayTypeError(
        f"{operation} is not supported on {type_label} values: that array type does not "
        "implement it (or its derivative's operations), so gradkit cannot compute it "
        "lazily on them. Compute that part on NumPy arrays (x.compute() of a Dask array "
        "small enough to fit in memory), or express it with operations the array type "
        f"supports.{detail}"
    )
