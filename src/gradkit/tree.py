"""Containers of arrays ("pytrees"): flatten them to a list of leaves and back.

Tuples, lists and dicts (and ``None``, which holds no leaves) nest, and so do
namedtuples, ``OrderedDict`` and ``defaultdict``, which are rebuilt as themselves;
classes registered with :func:`register_pytree_node` or :func:`register_dataclass` nest
too; anything else is a leaf. Dict keys are visited in sorted order, as JAX does, so two
dicts with the same keys flatten alike whatever order they were built in; an
``OrderedDict`` keeps its own order.

>>> leaves, treedef = tree_flatten({"b": (1, 2), "a": 3})
>>> leaves
[3, 1, 2]
>>> tree_unflatten(treedef, [10, 20, 30])
{'a': 10, 'b': (20, 30)}
>>> tree_map(lambda x: x * 2, [1, (2, 3)])
[2, (4, 6)]
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Callable
from typing import Any

__all__ = [
    "tree_flatten", "tree_unflatten", "tree_map", "tree_leaves", "TreeDef",
    "register_pytree_node", "register_dataclass", "ravel_pytree", "tree_structure",
    "tree_reduce",
]  # fmt: skip


class TreeDef:
    """The shape of a container: its kind, its keys and the defs of its children."""

    __slots__ = ("kind", "keys", "children", "flat", "aux", "_hash")

    def __init__(
        self, kind: Any, keys: Any, children: tuple, flat: bool = False, aux: Any = None
    ) -> None:
        self.kind = kind
        self.keys = keys
        self.children = children
        self.flat = flat  # a list or tuple whose children are all leaves
        self.aux = aux  # a defaultdict's default_factory, a registered node's aux data
        self._hash: int | None = None  # computed once: gk.jit looks its calls up by it

    @property
    def num_leaves(self) -> int:
        """How many leaves a container of this shape holds."""
        return 1 if self.kind is None else sum(c.num_leaves for c in self.children)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, TreeDef)
            and self.kind == other.kind
            and self.keys == other.keys
            and self.children == other.children
            and self.aux == other.aux
        )

    def __hash__(self) -> int:
        if self._hash is None:
            try:
                self._hash = hash((self.kind, self.keys, self.children, self.aux))
            except TypeError:
                raise TypeError(
                    f"the aux data {self.aux!r:.60} that the flatten function registered for "
                    f"{self.kind.__name__} returned is not hashable (gk.jit looks calls up by "
                    "their structure): return a tuple, string or number as aux instead"
                ) from None
        return self._hash

    def __repr__(self) -> str:
        if self.kind is None:
            return "*"
        if self.kind is type(None):
            return "None"
        if issubclass(self.kind, dict):
            inner = ", ".join(f"{k!r}: {c!r}" for k, c in zip(self.keys, self.children))
            braced = "{" + inner + "}"
            return braced if self.kind is dict else f"{self.kind.__name__}({braced})"
        inner = ", ".join(repr(c) for c in self.children)
        return f"{self.kind.__name__}({inner})"


_LEAF = TreeDef(None, None, ())


#: The container types met so far: the four plain ones, and the namedtuple, OrderedDict
#: and defaultdict types added when first seen. A set lookup per child, not isinstance.
_CONTAINERS = {tuple, list, dict, type(None)}
_LEAF_TYPES: set = set()  # the types met so far that are leaves (arrays, floats, ...)
#: User-registered container types: type -> (flatten, unflatten), JAX's convention.
_REGISTERED: dict = {}


def _is_container(kind: type) -> bool:
    """Whether values of type ``kind`` nest (remembering the answer for next time)."""
    if kind in _CONTAINERS:
        return True
    if kind in _LEAF_TYPES:
        return False
    nests = (issubclass(kind, tuple) and hasattr(kind, "_fields")) or kind in (
        OrderedDict,
        defaultdict,
    )
    if len(_CONTAINERS) + len(_LEAF_TYPES) < 4096:
        (_CONTAINERS if nests else _LEAF_TYPES).add(kind)
    return nests


_FLAT_DEFS: dict = {}  # (kind, n) -> the TreeDef of a flat list or tuple of n leaves


def _flat_def(kind: type, n: int) -> TreeDef:
    treedef = _FLAT_DEFS.get((kind, n))
    if treedef is None:
        treedef = TreeDef(kind, None, (_LEAF,) * n, True)
        if len(_FLAT_DEFS) < 256:
            _FLAT_DEFS[kind, n] = treedef
    return treedef


def _flatten(tree: Any, leaves: list) -> TreeDef:
    kind = type(tree)
    if kind is tuple or kind is list:
        for c in tree:
            if type(c) not in _LEAF_TYPES:  # a container, or a type not met yet
                break
        else:  # only leaves, the commonest container: its TreeDef is shared
            leaves.extend(tree)
            return _flat_def(kind, len(tree))
        children = []  # here at least one child is a container (or of a type not yet met)
        for c in tree:
            if _is_container(type(c)):
                children.append(_flatten(c, leaves))
            else:
                leaves.append(c)
                children.append(_LEAF)
        return TreeDef(kind, None, tuple(children))
    if kind is dict:
        keys = _sorted_keys(tree)
        return TreeDef(dict, keys, tuple(_flatten(tree[k], leaves) for k in keys))
    if tree is None:
        return TreeDef(type(None), None, ())
    if _is_container(kind):
        if kind in _REGISTERED:
            return _flatten_registered(tree, kind, leaves)
        if kind is OrderedDict:
            keys = tuple(tree)
            return TreeDef(kind, keys, tuple(_flatten(tree[k], leaves) for k in keys))
        if kind is defaultdict:
            keys = _sorted_keys(tree)
            children = tuple(_flatten(tree[k], leaves) for k in keys)
            return TreeDef(kind, keys, children, aux=tree.default_factory)
        return TreeDef(kind, None, tuple(_flatten(c, leaves) for c in tree))  # a namedtuple
    leaves.append(tree)
    return _LEAF


def _flatten_registered(tree: Any, kind: type, leaves: list) -> TreeDef:
    flatten = _REGISTERED[kind][0]
    out = flatten(tree)
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        raise TypeError(
            f"the flatten function registered for {kind.__name__} returned "
            f"{type(out).__name__} {out!r:.60}; it must return a pair (children, aux_data)"
        )
    children, aux = out
    if not isinstance(children, (tuple, list)):
        raise TypeError(
            f"the flatten function registered for {kind.__name__} returned children of type "
            f"{type(children).__name__}; return them as a tuple or list (the first item of "
            "the pair (children, aux_data))"
        )
    return TreeDef(kind, None, tuple([_flatten(c, leaves) for c in children]), aux=aux)


def _sorted_keys(tree: dict) -> tuple:
    """A dict's keys in sorted order (its leaves' order), or a clear error."""
    try:
        return tuple(sorted(tree))
    except TypeError:
        kinds = sorted({type(k).__name__ for k in tree})
        raise TypeError(
            f"a dict's keys give its leaves their order, so they must sort; these mix "
            f"{' and '.join(kinds)} keys, which cannot be compared: use keys of one type "
            "(all strings, say)"
        ) from None


def tree_flatten(tree: Any) -> tuple[list, TreeDef]:
    """Return ``(leaves, treedef)``: the leaves in a fixed order and the structure.

    >>> tree_flatten((1, [2, None]))[0]
    [1, 2]
    """
    leaves: list = []
    treedef = _flatten(tree, leaves)
    return leaves, treedef


def tree_leaves(tree: Any) -> list:
    """Return the leaves of ``tree`` in flattening order.

    >>> tree_leaves({"w": 1, "b": 2})
    [2, 1]
    """
    return tree_flatten(tree)[0]


def tree_structure(tree: Any) -> TreeDef:
    """Return the structure of ``tree`` alone (what :func:`tree_flatten` returns second).

    >>> tree_structure({"w": 1.0, "b": (2.0, 3.0)})
    {'b': tuple(*, *), 'w': *}
    """
    return tree_flatten(tree)[1]


_NO_INITIAL = object()


def tree_reduce(fn: Callable, tree: Any, initializer: Any = _NO_INITIAL) -> Any:
    """Fold ``fn`` over the leaves of ``tree`` from the left, as ``functools.reduce``.

    >>> tree_reduce(lambda total, leaf: total + leaf, {"a": 1, "b": [2, 3]}, 10)
    16
    """
    import functools

    leaves = tree_flatten(tree)[0]
    if initializer is _NO_INITIAL:
        if not leaves:
            raise TypeError("tree_reduce of a tree with no leaves needs an initializer")
        return functools.reduce(fn, leaves)
    return functools.reduce(fn, leaves, initializer)


def tree_unflatten(treedef: TreeDef, leaves: Any) -> Any:
    """Rebuild a container of the shape ``treedef`` from ``leaves``.

    >>> _, d = tree_flatten([0, (0, 0)])
    >>> tree_unflatten(d, "abc")
    ['a', ('b', 'c')]
    """
    kind = treedef.kind
    if kind is None:
        leaves = list(leaves)
        if len(leaves) != 1:
            raise ValueError(f"{len(leaves)} leaves given for a single leaf; give exactly one")
        return leaves[0]
    if treedef.flat:
        # A flat list or tuple of leaves, the commonest container: no walk needed.
        leaves = kind(leaves)
        n, want = len(leaves), len(treedef.children)
        if n != want:
            few = "too few" if n < want else "too many"
            raise ValueError(
                f"{few} leaves ({n}) for the structure {treedef!r}, which holds {want}"
            )
        return leaves
    it = iter(leaves)
    out = _unflatten(treedef, it)
    for _ in it:
        raise ValueError(f"too many leaves for the structure {treedef!r}")
    return out


def _unflatten(treedef: TreeDef, it: Any) -> Any:
    kind = treedef.kind
    if kind is None:
        try:
            return next(it)
        except StopIteration:
            raise ValueError("too few leaves for the structure") from None
    if kind is type(None):
        return None
    children = [_unflatten(c, it) for c in treedef.children]
    if kind is dict or kind is OrderedDict:
        return kind(zip(treedef.keys, children))
    if kind is tuple or kind is list:
        return kind(children)
    if kind is defaultdict:
        return defaultdict(treedef.aux, zip(treedef.keys, children))
    registered = _REGISTERED.get(kind)
    if registered is not None:
        return registered[1](treedef.aux, tuple(children))
    return kind(*children)  # a namedtuple


def tree_map(fn: Callable, tree: Any, *rest: Any) -> Any:
    """Apply ``fn`` to each leaf of ``tree`` (and the matching leaves of ``rest``).

    >>> tree_map(lambda a, b: a + b, {"x": 1}, {"x": 2})
    {'x': 3}
    """
    leaves, treedef = tree_flatten(tree)
    others = []
    for other in rest:
        other_leaves, other_def = tree_flatten(other)
        if other_def != treedef:
            raise ValueError(
                f"tree_map: structures differ: {treedef!r} and {other_def!r}; "
                "pass containers of the same shape"
            )
        others.append(other_leaves)
    return tree_unflatten(treedef, [fn(*xs) for xs in zip(leaves, *others)])


def register_pytree_node(cls: type, flatten: Callable, unflatten: Callable) -> type:
    """Make instances of ``cls`` containers: their children are traced, as a dict's values.

    ``flatten(obj)`` returns ``(children, aux_data)``: a tuple of the values that hold
    arrays (each may itself be a container) and whatever else rebuilding needs, which
    must be hashable and comparable with ``==``. ``unflatten(aux_data, children)``
    rebuilds an instance (JAX's convention). Every transform, ``gk.jit`` and
    ``gk.optim`` then accept and return such objects. Returns ``cls``.

    >>> import numpy as np
    >>> class Point:
    ...     def __init__(self, x, y, name):
    ...         self.x, self.y, self.name = x, y, name
    >>> _ = register_pytree_node(
    ...     Point, lambda p: ((p.x, p.y), p.name), lambda name, xy: Point(*xy, name)
    ... )
    >>> leaves, treedef = tree_flatten(Point(1.0, 2.0, "p"))
    >>> leaves, treedef
    ([1.0, 2.0], Point(*, *))
    >>> tree_map(lambda v: v * 10, Point(1.0, 2.0, "p")).y
    20.0
    """
    if not isinstance(cls, type):
        raise TypeError(f"register_pytree_node takes a class, got {cls!r}")
    if cls in (tuple, list, dict, type(None), OrderedDict, defaultdict) or cls in _REGISTERED:
        raise ValueError(
            f"{cls.__name__} is already a container (registered or built in); register a "
            "class once, or subclass it to give it other rules"
        )
    if not (callable(flatten) and callable(unflatten)):
        raise TypeError("register_pytree_node: flatten and unflatten must be functions")
    _REGISTERED[cls] = (flatten, unflatten)
    _LEAF_TYPES.discard(cls)  # it may have been met as a leaf before
    _CONTAINERS.add(cls)
    return cls


def register_dataclass(cls: type) -> type:
    """Register a dataclass as a container whose fields are its children (a decorator).

    Every field is a child, in the order the fields are declared; put constants
    (sizes, names) elsewhere, or on a class registered with :func:`register_pytree_node`.
    Rebuilding sets the fields directly, so frozen dataclasses work and
    ``__post_init__`` is not run on traced values.

    >>> import dataclasses
    >>> import numpy as np
    >>> import gradkit as gk
    >>> @register_dataclass
    ... @dataclasses.dataclass
    ... class Params:
    ...     w: np.ndarray
    ...     b: float
    >>> g = gk.grad(lambda p: np.sum(p.w * 3.0) + p.b**2)(Params(np.ones(2), 2.0))
    >>> g.w, float(g.b)
    (array([3., 3.]), 4.0)
    """
    import dataclasses

    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise TypeError(
            f"register_dataclass takes a dataclass, got {cls!r}; decorate the class with "
            "@dataclasses.dataclass first (below @register_dataclass)"
        )
    names = tuple(f.name for f in dataclasses.fields(cls))

    def flatten(obj: Any) -> tuple:
        return tuple([getattr(obj, n) for n in names]), None

    def unflatten(aux: Any, children: tuple) -> Any:
        obj = object.__new__(cls)
        for n, c in zip(names, children):
            object.__setattr__(obj, n, c)
        return obj

    return register_pytree_node(cls, flatten, unflatten)


def ravel_pytree(tree: Any) -> tuple:
    """Return ``(flat, unravel)``: every leaf of ``tree`` raveled into one 1-d array, and
    the function that maps such a vector back to a container like ``tree``.

    The vector has the leaves' common dtype; ``unravel`` gives each leaf back its shape
    and dtype. Works on traced values, so it can sit inside a differentiated function.

    >>> import numpy as np
    >>> flat, unravel = ravel_pytree({"w": np.ones((2, 2)), "b": np.zeros(1)})
    >>> flat
    array([0., 1., 1., 1., 1.])
    >>> unravel(np.arange(5.0))["w"]
    array([[1., 2.],
           [3., 4.]])
    """
    import numpy as np

    leaves, treedef = tree_flatten(tree)
    shapes = [np.shape(leaf) for leaf in leaves]
    dtypes = [np.result_type(leaf) for leaf in leaves]
    sizes = [int(np.prod(s)) for s in shapes]
    flat = np.concatenate([np.ravel(leaf) for leaf in leaves]) if leaves else np.zeros(0)
    total = sum(sizes)

    def unravel(vector: Any) -> Any:
        if np.shape(vector) != (total,):
            raise ValueError(
                f"unravel: expected a vector of shape ({total},), the size of the raveled "
                f"tree, got shape {np.shape(vector)}"
            )
        parts = []
        start = 0
        for shape, dt, n in zip(shapes, dtypes, sizes):
            part = np.reshape(vector[start : start + n], shape)
            if np.result_type(part) != dt:
                part = part.astype(dt)
            parts.append(part)
            start += n
        return tree_unflatten(treedef, parts)

    return flat, unravel
