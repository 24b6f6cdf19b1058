"""Containers of arrays ("pytrees"): flatten them to a list of leaves and back.

Tuples, lists and dicts (and ``None``, which holds no leaves) nest; anything else
is a leaf. Dict keys are visited in sorted order, as JAX does, so two dicts with
the same keys flatten alike whatever order they were built in.

>>> leaves, treedef = tree_flatten({"b": (1, 2), "a": 3})
>>> leaves
[3, 1, 2]
>>> tree_unflatten(treedef, [10, 20, 30])
{'a': 10, 'b': (20, 30)}
>>> tree_map(lambda x: x * 2, [1, (2, 3)])
[2, (4, 6)]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["tree_flatten", "tree_unflatten", "tree_map", "tree_leaves", "TreeDef"]


class TreeDef:
    """The shape of a container: its kind, its keys and the defs of its children."""

    __slots__ = ("kind", "keys", "children", "flat")

    def __init__(self, kind: Any, keys: Any, children: tuple, flat: bool = False) -> None:
        self.kind = kind
        self.keys = keys
        self.children = children
        self.flat = flat  # a list or tuple whose children are all leaves

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
        )

    def __hash__(self) -> int:
        return hash((self.kind, self.keys, self.children))

    def __repr__(self) -> str:
        if self.kind is None:
            return "*"
        if self.kind is type(None):
            return "None"
        if self.kind is dict:
            inner = ", ".join(f"{k!r}: {c!r}" for k, c in zip(self.keys, self.children))
            return "{" + inner + "}"
        inner = ", ".join(repr(c) for c in self.children)
        return f"{self.kind.__name__}({inner})"


_LEAF = TreeDef(None, None, ())


_CONTAINERS = frozenset((tuple, list, dict, type(None)))  # a hash lookup, not four ==


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
            if type(c) in _CONTAINERS:
                break
        else:  # only leaves, the commonest container: its TreeDef is shared
            leaves.extend(tree)
            return _flat_def(kind, len(tree))
        children = []  # here at least one child is a container
        for c in tree:
            if type(c) in _CONTAINERS:
                children.append(_flatten(c, leaves))
            else:  # a leaf, the commonest child: no call
                leaves.append(c)
                children.append(_LEAF)
        return TreeDef(kind, None, tuple(children))
    if kind is dict:
        keys = tuple(sorted(tree))
        return TreeDef(dict, keys, tuple(_flatten(tree[k], leaves) for k in keys))
    if tree is None:
        return TreeDef(type(None), None, ())
    leaves.append(tree)
    return _LEAF


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
    if kind is dict:
        return dict(zip(treedef.keys, children))
    return kind(children)


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
