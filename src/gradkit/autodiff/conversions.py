"""What to write instead, when a traced value is turned into a plain Python number.

``float(t)``, ``int(t)``, ``round(t)``, ``math.sin(t)`` and NumPy's own ``np.float64(t)``
(inside ``np.mean`` of a list) all end in a Python number with no gradient. The error
says which call did it and names the NumPy spelling that keeps the derivative. The call
is read off the caller's source position (Python 3.11+); without it the advice is
general. Nothing here runs unless such an error is being raised.
"""

from __future__ import annotations

import builtins
import linecache
import re
import sys
import types
from typing import Any

import numpy as np

__all__ = ["hint"]

_CALLEE = re.compile(r"\s*([A-Za-z_][\w.]*)\s*\(")
_NUMPY_REDUCTIONS = {"_mean": "np.mean", "_var": "np.var", "_std": "np.std"}


def hint(what: str) -> str:
    """Advice for the conversion ``what`` (``"float()"``, ``"int()"``, ``"round()"``...)
    of a traced value, from the call site found on the stack."""
    frame = _caller()
    if frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.startswith("numpy"):
            name = _NUMPY_REDUCTIONS.get(frame.f_code.co_name)
            if name == "np.var" and frame.f_back is not None:  # np.std calls np.var's code
                name = _NUMPY_REDUCTIONS.get(frame.f_back.f_code.co_name, name)
            if name is not None:
                return (
                    f" {name} of a Python list (or of np.array(...) of traced values) over "
                    f"all axes ends in NumPy's np.float64(...), which drops the gradient; "
                    f"write {name}(np.stack([...])) instead (np.stack keeps it)."
                )
            return (
                f" NumPy's {module}.{frame.f_code.co_name} needed a plain number here; pass "
                "it a Tensor rather than a list or np.array(...) of traced values."
            )
        fn = _called_function(frame)
        if fn is not None and getattr(fn, "__module__", None) in ("math", "cmath"):
            name = fn.__name__
            spelled = f"np.{name}" if hasattr(np, name) else "the NumPy function of that name"
            return (
                f" {fn.__module__}.{name} works on Python floats only; use {spelled}(x), "
                "which differentiates."
            )
    if what == "round()":
        return " Use np.round(x) instead (a traced value with zero derivative)."
    if what in ("int()", "operator.index()"):
        return (
            " For an integer-valued array that stays traced, use np.floor(x) or np.trunc(x);"
            " for a plain integer, int(gk.stop_gradient(x)) or "
            "gk.stop_gradient(x).astype(int)."
        )
    return ""


def _caller() -> Any:
    """The first frame outside gradkit's engine (the code that made the conversion)."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__", "").startswith("gradkit.autodiff"):
        frame = frame.f_back
    return frame


def _called_function(frame: Any) -> Any:
    """The function the frame is calling right now, resolved from the call's source text
    through modules only (nothing is evaluated)."""
    try:
        positions = list(frame.f_code.co_positions())
        line, _, col, _ = positions[frame.f_lasti // 2]
    except AttributeError:  # Python 3.10 has no column: the line's only math call
        return _only_math_call(frame)
    except IndexError:
        return None
    if line is None or col is None:
        return None
    match = _CALLEE.match(linecache.getline(frame.f_code.co_filename, line)[col:])
    if match is None:
        return None
    return _resolve(frame, match.group(1))


def _only_math_call(frame: Any) -> Any:
    """Python 3.10: the one function of the ``math`` module called on the frame's line."""
    import math

    text = linecache.getline(frame.f_code.co_filename, frame.f_lineno)
    found = set()
    for name in re.findall(r"([A-Za-z_][\w.]*)\s*\(", text):
        fn = _resolve(frame, name)
        if fn is not None and fn is getattr(math, getattr(fn, "__name__", ""), None):
            found.add(fn)
    return found.pop() if len(found) == 1 else None


def _resolve(frame: Any, dotted: str) -> Any:
    """``dotted`` (``math.sin``, ``exp``) looked up in the frame's scopes, through modules
    only (nothing is evaluated)."""
    first, *rest = dotted.split(".")
    scopes = (frame.f_locals, frame.f_globals, vars(builtins))
    obj = next((s[first] for s in scopes if first in s), None)
    for part in rest:
        if not isinstance(obj, types.ModuleType):
            return None
        obj = getattr(obj, part, None)
    return obj
