"""A gk.jit recording as readable Python/NumPy source (``gk.jit(f).source(*args)``).

:class:`~gradkit.autodiff.jit_program.Program` runs a generated function whose text
names every function and constant by number (``v7 = f3(v6, c3_1)``): the objects
themselves are passed in. This module writes the same program for a person: functions
by their import path (``np.multiply``, ``np.add.reduce``,
``gradkit.autodiff.rules.elementwise.relu_impl``), small constants as literals, larger
ones and anything without a name listed in a header with their shape and type. Where
every name resolves, the text runs as it is and returns what the replay returns.
"""

from __future__ import annotations

import re
import sys
from typing import Any

import numpy as np

__all__ = ["readable_source"]

#: Arrays up to this many elements are written out as literals.
INLINE_SIZE = 8

_NAME = re.compile(r"\b(f\d+|c\d+_\d+|k\d+|out\d+)\b")
_SPLAT = re.compile(r"\*\*(k\d+)\b")


def readable_source(program: Any, title: str) -> str:
    """The program's replay function as source a person can read (see the module)."""
    names = program.names
    unresolved: dict = {}
    imports = {"import numpy as np"}

    def spell(name: str) -> str:
        value = names[name]
        if name[0] == "f":
            text = _function_path(value)
            if text is None:
                unresolved[name] = _describe(value)
                return name
            module = text.split(".")[0]
            if module != "np":
                imports.add(f"import {text.rsplit('.', 1)[0]}")
            return text
        text = _literal(value)
        if text is None:
            unresolved[name] = _describe(value)
            return name
        return text

    def splat(match: re.Match) -> str:
        kw = names[match.group(1)]
        parts = [(key, _literal(v)) for key, v in kw.items()]
        if all(text is not None for _, text in parts):
            return ", ".join(f"{key}={text}" for key, text in parts)
        unresolved[match.group(1)] = _describe(kw)
        return match.group(0)

    body = _SPLAT.sub(splat, program.source).replace(", ):", "):")
    body = _NAME.sub(lambda m: spell(m.group(1)), body)
    body = body.replace("_writeable(", "gradkit.autodiff.jit_program._writeable(")
    body = body.replace("_fresh(", "gradkit.autodiff.jit_program._fresh(")
    if "gradkit.autodiff.jit_program." in body:
        imports.add("import gradkit.autodiff.jit_program")
    head = [f"# {title}", f"# {program.kept} of the {program.size} recorded steps are needed."]
    if unresolved:
        head.append("# Values of the recording that have no name to import:")
        head += [f"#   {name}: {text}" for name, text in sorted(unresolved.items())]
    segments = getattr(program, "segments", [])
    if segments:  # the numba backend's compiled runs (jit_compile.py), s0c0... constants
        body += "\n\n# Compiled with numba.njit; sJcK are arrays the recording holds:\n"
        body += "\n\n".join(
            seg.source.replace("def seg(", f"def s{j}(", 1) for j, seg in enumerate(segments)
        )
    return "\n".join(head + sorted(imports) + ["", ""]) + body + "\n"


def _function_path(fn: Any) -> str | None:
    """``np.add``, ``np.add.reduce``, ``np.ndarray.transpose`` or ``package.module.name``
    for a function that can be imported under that name; None otherwise."""
    if type(fn) is np.ufunc:
        return f"np.{fn.__name__}" if getattr(np, fn.__name__, None) is fn else None
    owner = getattr(fn, "__self__", None)
    if type(owner) is np.ufunc:
        base = _function_path(owner)
        return None if base is None else f"{base}.{fn.__name__}"
    objclass = getattr(fn, "__objclass__", None)
    if objclass is np.ndarray:
        return f"np.ndarray.{fn.__name__}"
    name = getattr(fn, "__name__", None)
    if name and getattr(np, name, None) is fn:
        return f"np.{name}"
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", None)
    if not module or not qualname or "<" in qualname or "." in qualname:
        return None
    found = getattr(sys.modules.get(module), qualname, None)
    return f"{module}.{qualname}" if found is fn else None


def _literal(value: Any) -> str | None:
    """Source text that evaluates (with ``np``) to an equal value, or None."""
    if value is None or value is Ellipsis or type(value) in (bool, int, str):
        return repr(value)
    if type(value) in (float, complex):
        return repr(value) if np.isfinite(value) else f"{type(value).__name__}({str(value)!r})"
    if isinstance(value, np.generic):
        inner = _literal(value.item())
        return None if inner is None else f"np.{value.dtype.name}({inner})"
    if isinstance(value, np.dtype):
        return f"np.dtype({value.str!r})"
    if type(value) is slice:
        parts = [_literal(v) for v in (value.start, value.stop, value.step)]
        return None if None in parts else f"slice({', '.join(parts)})"  # type: ignore[arg-type]
    if type(value) in (tuple, list):
        parts = [_literal(v) for v in value]
        if None in parts:
            return None
        if type(value) is list:
            return f"[{', '.join(parts)}]"  # type: ignore[arg-type]
        return f"({parts[0]},)" if len(parts) == 1 else f"({', '.join(parts)})"  # type: ignore[arg-type]
    if type(value) is np.ndarray and value.size <= INLINE_SIZE and value.dtype.kind in "biufc":
        items = _literal(value.tolist())
        return None if items is None else f"np.array({items}, dtype={value.dtype.name!r})"
    return None


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"{value.dtype} array of shape {value.shape}"
    if isinstance(value, dict):
        return "keywords " + ", ".join(f"{k}={_describe(v)}" for k, v in value.items())
    name = getattr(value, "__qualname__", None) or type(value).__name__
    return f"{type(value).__name__} {name}" if callable(value) else type(value).__name__
