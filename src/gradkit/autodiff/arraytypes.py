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

__all__ = ["ARRAY_TYPES", "is_duck_type", "is_duck", "asarray", "check_supported"]

#: Array types whose NumPy functions compute what NumPy's do, as ``(module, class name)``
#: of where the class is defined: their values flow through the engine unconverted.
ARRAY_TYPES: tuple = (("dask.array.core", "Array"),)

_cache: dict = {}


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
    return found


def is_duck(x: Any) -> bool:
    """Whether ``x`` is a value of one of :data:`ARRAY_TYPES` (a Dask array)."""
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
    """``dask.array.Array``: where users know the type from (its package), not its file."""
    module = tp.__module__
    if module.endswith(".core"):
        module = module[: -len(".core")]
    return f"{module}.{tp.__qualname__}"


def check_supported(result: Any, operation: str, values: Any) -> None:
    """Raise if a NumPy function given duck arrays answered ``NotImplemented`` (the
    array type has no such function): name the operation and the type."""
    if result is NotImplemented:
        types = sorted({type_name(type(v)) for v in values if is_duck(v)})
        raise unsupported_operation_error(operation, types[0] if types else "a duck array")


def unsupported_operation_error(operation: str, type_label: str) -> Exception:
    """The error for ``operation`` applied to an array type that does not provide it."""
    from gradkit.autodiff.errors import UnsupportedArrayTypeError

    return UnsupportedArrayTypeError(
        f"{operation} is not supported on {type_label} values: that array type does not "
        "implement it, so gradkit cannot compute it (or its derivative) on them. Compute "
        "that part on NumPy arrays (e.g. x.compute() for a Dask array small enough to fit "
        "in memory), or express it with operations the array type supports."
    )
