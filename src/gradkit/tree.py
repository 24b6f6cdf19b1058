"""Containers of arrays ("pytrees"): flatten them to a list of leaves and back.

Tuples, lists and dicts (and ``None``, which holds no leaves) nest, and so do
namedtuples, ``OrderedDict`` and ``defaultdict``, which are rebuilt as themselves;
anything else is a leaf. Dict keys are visited in sorted order, as JAX does, so two
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

__all__ = ["tree_flatten", "tree_unflatten", "tree_map", "tree_leaves", "TreeDef"]


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
        self.aux = aux  # a defaultdict's default_factory
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
            self._hash = hash((self.kind, self.keys, self.children, self.aux))
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
