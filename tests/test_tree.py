"""Containers of arrays: flatten and unflatten round-trip, and say when leaves don't fit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gradkit.tree import tree_flatten, tree_leaves, tree_map, tree_unflatten

trees = st.recursive(
    st.integers() | st.none(),
    lambda children: st.lists(children, max_size=4)
    | st.lists(children, max_size=4).map(tuple)
    | st.dictionaries(st.text("abc", min_size=1, max_size=2), children, max_size=3),
    max_leaves=12,
)


@given(trees)
def test_flatten_then_unflatten_gives_the_tree_back(tree) -> None:
    leaves, treedef = tree_flatten(tree)
    assert tree_unflatten(treedef, leaves) == tree
    assert len(leaves) == treedef.num_leaves
    assert None not in leaves  # None holds no leaves


def test_flat_list_and_tuple_keep_their_kind_and_order() -> None:
    arrays = [np.zeros(2), np.ones(3), np.full(1, 2.0)]
    leaves, treedef = tree_flatten(arrays)
    assert [a is b for a, b in zip(leaves, arrays)] == [True, True, True]
    rebuilt = tree_unflatten(treedef, ["a", "b", "c"])
    assert rebuilt == ["a", "b", "c"] and type(rebuilt) is list
    _, tdef = tree_flatten((1, 2))
    assert tree_unflatten(tdef, iter([3, 4])) == (3, 4)


@pytest.mark.parametrize("tree", [[1, 2, 3], (1, 2, 3), [1, (2, 3)], {"a": 1, "b": [2, 3]}])
def test_wrong_number_of_leaves_is_a_clear_error(tree) -> None:
    _, treedef = tree_flatten(tree)
    with pytest.raises(ValueError, match="too few"):
        tree_unflatten(treedef, [0, 0])
    with pytest.raises(ValueError, match="too many"):
        tree_unflatten(treedef, [0, 0, 0, 0])


def test_a_single_leaf_takes_exactly_one() -> None:
    _, treedef = tree_flatten(np.zeros(2))
    assert tree_unflatten(treedef, ["x"]) == "x"
    with pytest.raises(ValueError, match="exactly one"):
        tree_unflatten(treedef, [])


def test_dicts_flatten_in_sorted_key_order_and_map_keeps_structure() -> None:
    assert tree_leaves({"b": 1, "a": 2}) == [2, 1]
    assert tree_map(lambda x, y: x * y, {"w": [1, 2]}, {"w": [3, 4]}) == {"w": [3, 8]}
    with pytest.raises(ValueError, match="structures differ"):
        tree_map(lambda x, y: x, [1], [1, 2])
