"""How :func:`~gradkit.jit` reads an argument that is a Python object.

A recording is replayed for a later call only when everything the recording fixed is
the same. Arrays and Python floats at the top of the arguments (nested in tuples, lists
and dicts) are traced inputs; the rest is the recording's *key*. An object is neither:
it may hold arrays that change every step (a ``gk.nn`` model's parameters) beside
settings that decide the program (a layer's sizes, ``training``), and it may change in
place between calls, so comparing it by identity or by its own ``==`` replays a stale
program. jit therefore reads an object through its attributes, by kind:

- an instance of a class defined in Python (a ``gk.nn`` Module, a dataclass, any plain
  class, ``__dict__`` or ``__slots__``): each float or complex array among its
  attributes (nested in containers and in other such objects, to any depth) is a
  traced input; every other attribute (numbers, strings, flags, integer arrays by
  their bytes) is part of the key, so that changing it records again. The function is
  given a shallow copy holding the traced arrays; assigning an attribute of it, or
  writing into one of its containers, raises :class:`~gradkit.autodiff.errors.JitError`
  (a write into an input, which a replay would not repeat);
- a bound method: its object read as above;
- anything else (functions, classes, NumPy's generators and other types written in C):
  compared by ``==`` and its hash, as a static argument; what it holds is that of the
  recording, as for closures.

``static_argnums`` arguments are read the same way with nothing traced: a float array
in a static object is part of the key by its bytes.
"""

from __future__ import annotations

import copy
import types
from typing import Any

import numpy as np

from gradkit.autodiff import primitives
from gradkit.autodiff.errors import JitError
from gradkit.tree import tree_flatten, tree_unflatten

__all__ = [
    "CallThrough", "reads_inside", "read_object", "rebuild", "snapshot", "check_unwritten",
    "static_key", "write_error",
]  # fmt: skip


class CallThrough(Exception):
    """Raised by :func:`read_object` for an object holding a value traced by a transform
    (jit is then called inside it: the function runs as it is, recorded by that one)."""


#: How deep objects may nest inside one argument (a deeper chain is refused).
MAX_DEPTH = 64
_HEAPTYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class defined in Python
_TRACED_KINDS = frozenset("fc")
_NOT_OBJECTS = (type, types.FunctionType, types.BuiltinFunctionType, types.ModuleType)
_ARRAYS = (np.ndarray, np.generic)
_kinds: dict = {}  # type -> "object", "method" or None (compared), decided once per type


def _kind(cls: type) -> str | None:
    kind = _kinds.get(cls, 0)
    if kind != 0:
        return kind
    if cls is types.MethodType:
        kind = "method"
    elif cls is primitives._Tensor or issubclass(cls, _NOT_OBJECTS + _ARRAYS):
        kind = None
    else:
        # Every class above it defined in Python: all its state is in its attributes.
        bases = [c for c in cls.__mro__ if c is not object]
        kind = "object" if all(c.__flags__ & _HEAPTYPE for c in bases) else None
        if kind and any(issubclass(cls, k) for k in (list, tuple, dict, set, frozenset)):
            kind = None  # unreachable (those are C types), kept as documentation
    if len(_kinds) < 4096:
        _kinds[cls] = kind
    return kind


def reads_inside(value: Any) -> bool:
    """Whether jit reads ``value`` through its attributes (see the module's text).

    >>> class Scale:
    ...     def __init__(self, s):
    ...         self.s = s
    >>> reads_inside(Scale(2.0)), reads_inside(len), reads_inside(3)
    (True, False, False)
    """
    return _kind(type(value)) is not None


def _slot_names(cls: type) -> tuple:
    names = []
    for c in cls.__mro__:
        slots = c.__dict__.get("__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            if name not in ("__dict__", "__weakref__") and name not in names:
                names.append(name)
    return tuple(names)


_MISSING = object()


def _state(obj: Any) -> dict:
    """An object's attributes by name (``__slots__`` and ``__dict__``)."""
    state = {}
    for name in _slot_names(type(obj)):
        v = getattr(obj, name, _MISSING)
        if v is not _MISSING:
            state[name] = v
    d = getattr(obj, "__dict__", None)
    if d:
        state.update(d)
    return state


def static_key(leaf: Any, where: str) -> Any:
    """The key of a value jit compares (it is not traced and not read inside)."""
    if isinstance(leaf, np.ndarray):
        return ("a", leaf.shape, leaf.dtype.str, leaf.tobytes())
    try:
        hash(leaf)
    except TypeError:
        raise TypeError(
            f"gk.jit: {where} is a {type(leaf).__name__}, which jit can neither trace (only "
            "float and complex arrays and numbers are traced) nor use as a static value "
            "(it is not hashable). Pass an array, or a hashable value."
        ) from None
    return ("v", type(leaf), leaf)


def read_object(obj: Any, inputs: list, key: list, trace: bool, where: str) -> tuple:
    """Read ``obj`` through its attributes: append its traced arrays to ``inputs`` (if
    ``trace``) and what it fixes to ``key``; return the recipe :func:`rebuild` follows.

    >>> class Scale:
    ...     def __init__(self, s, w):
    ...         self.s, self.w = s, w
    >>> inputs, key = [], []
    >>> recipe = read_object(Scale(2.0, np.ones(2)), inputs, key, True, "argument 0")
    >>> len(inputs), rebuild(recipe, [np.zeros(2)], []).w
    (1, array([0., 0.]))
    """
    return _read(obj, inputs, key, trace, {}, 0, where)


_PLAIN = frozenset((int, float, str, bool, type(None), complex, bytes))


def _read(value: Any, inputs: list, key: list, trace: bool, seen: dict, depth: int, where):
    cls = type(value)
    if cls in _PLAIN:  # the commonest attributes: settings compared by value
        key.append(("v", cls, value))
        return ("const", value)
    if cls is list or cls is tuple:
        key.append((cls, len(value)))
        return ("seq", cls, [_read(v, inputs, key, trace, seen, depth + 1, where) for v in value])
    if cls is dict:
        names = tuple(value)
        key.append((dict, names))
        return ("dict", names, [_read(value[k], inputs, key, trace, seen, depth + 1, where)
                                for k in names])  # fmt: skip
    if cls is primitives._Tensor:
        if value._trace is not None:
            raise CallThrough
        value = value._value
    kind = _kind(type(value))
    if kind is None:
        if trace and type(value) is np.ndarray and value.dtype.kind in _TRACED_KINDS:
            key.append((value.shape, value.dtype))
            inputs.append(value)
            return ("in", len(inputs) - 1)
        leaves, treedef = tree_flatten(value)
        if treedef.kind is not None:  # a namedtuple, an OrderedDict, a defaultdict
            key.append(treedef)
            children = [_read(v, inputs, key, trace, seen, depth + 1, where) for v in leaves]
            return ("tree", treedef, children)
        key.append(static_key(value, where))
        return ("const", value)
    if depth > MAX_DEPTH:
        raise TypeError(
            f"gk.jit: {where} holds objects nested more than {MAX_DEPTH} deep; jit reads an "
            "object's attributes to decide whether its recording still applies. Pass the "
            "arrays the function needs instead."
        )
    if id(value) in seen:  # the same object twice (or a cycle): one copy, as in the call
        key.append(("ref", seen[id(value)]))
        return ("ref", seen[id(value)])
    seen[id(value)] = len(seen)
    if kind == "method":
        key.append(("m", value.__func__))
        inner = _read(value.__self__, inputs, key, trace, seen, depth + 1, where)
        return ("method", value.__func__, inner)
    state = _state(value)
    names = tuple(state)
    key.append(("o", cls, names))
    children = [_read(v, inputs, key, trace, seen, depth + 1, where) for v in state.values()]
    return ("obj", value, names, children)


def rebuild(recipe: tuple, boxes: list, made: list) -> Any:
    """The argument a recording's function receives: ``recipe`` with each traced input
    replaced by its box, each list, tuple and dict rebuilt, and each object by a shallow
    copy holding the rebuilt attributes (appended to ``made``, where a ``"ref"`` finds
    it again)."""
    tag = recipe[0]
    if tag == "in":
        return boxes[recipe[1]]
    if tag == "const":
        return recipe[1]
    if tag == "seq":
        return recipe[1]([rebuild(c, boxes, made) for c in recipe[2]])
    if tag == "dict":
        return {k: rebuild(c, boxes, made) for k, c in zip(recipe[1], recipe[2])}
    if tag == "tree":
        return tree_unflatten(recipe[1], [rebuild(c, boxes, made) for c in recipe[2]])
    if tag == "ref":
        return made[recipe[1]]
    if tag == "method":
        slot = len(made)
        made.append(None)  # its number, taken before its object's (as _read counted)
        made[slot] = types.MethodType(recipe[1], rebuild(recipe[2], boxes, made))
        return made[slot]
    _, obj, names, children = recipe
    new = copy.copy(obj)
    made.append(new)
    for name, c in zip(names, children):
        object.__setattr__(new, name, rebuild(c, boxes, made))
    return new


def snapshot(value: Any, made: list) -> list:
    """What the recorded function is handed, to compare after the call: the contents
    of every list and dict jit built for it and the attributes of every object copy
    (``made``). See :func:`check_unwritten`."""
    copies = {id(m) for m in made}
    out: list = []
    seen: set = set()

    def walk(v: Any) -> None:
        if id(v) in seen:
            return
        if isinstance(v, dict):
            seen.add(id(v))
            out.append((v, _contents(v)))
            for c in list(v.values()):
                walk(c)
        elif isinstance(v, (list, tuple)):
            seen.add(id(v))
            if isinstance(v, list):
                out.append((v, _contents(v)))
            for c in v:
                walk(c)
        elif id(v) in copies:
            seen.add(id(v))
            state = _state(v)
            out.append((v, _contents(v)))
            for c in state.values():
                walk(c)

    walk(value)
    return out


def _contents(holder: Any) -> tuple:
    """A list's items, or a dict's (or an object's attributes') keys and values."""
    if isinstance(holder, list):
        return (), list(holder)
    d = holder if isinstance(holder, dict) else _state(holder)
    return list(d), list(d.values())


def check_unwritten(before: list, fun_name: str) -> None:
    """Raise JitError if the recorded function changed what it was handed (see
    :func:`snapshot`): assigned an attribute of an object, or wrote into a list or dict.
    """
    for holder, (keys, values) in before:
        now_keys, now_values = _contents(holder)
        if (
            now_keys != keys
            or len(now_values) != len(values)
            or any(a is not b for a, b in zip(now_values, values))
        ):
            if isinstance(holder, (list, dict)):
                what = f"a {type(holder).__name__} it was passed"
            else:
                what = f"an attribute of the {type(holder).__name__} it was passed"
            raise write_error(fun_name, what)


def write_error(fun_name: str, what: str) -> JitError:
    """The error for a recorded function that wrote into one of its inputs."""
    return JitError(
        f"gk.jit: {fun_name} writes into {what}. A replay runs only the recorded NumPy "
        "calls on new inputs, so it would not repeat the write, and the caller's value "
        "would not change as it does without jit. Return the new value instead of "
        "writing it into an argument (copy first: x = x.copy()), or call the function "
        "without gk.jit."
    )
