"""Containers of arrays: flatten and unflatten round-trip, and say when leaves don't fit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gradkit.tree import tree_flatten, tree_leaves, tree_map, tree_unflatten

trees = st.recursive(
    st.integers() | st.none(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.lists(children, max_size=4).map(tuple)
        | st.dictionaries(st.text("abc", min_size=1, max_size=2), children, max_size=3)
    ),
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


# --- namedtuple, OrderedDict and defaultdict nest, as in JAX -----------------------------
from collections import OrderedDict, defaultdict, namedtuple  # noqa: E402

_Pair = namedtuple("_Pair", "w b")


def test_a_namedtuple_is_a_container_rebuilt_as_itself():
    """It was a leaf: tree_map(lambda x: x * 2, Pair(w, b)) repeated the tuple, silently."""
    w, b = np.array([1.0, 2.0]), np.array([3.0])
    doubled = tree_map(lambda x: x * 2, _Pair(w, b))
    assert type(doubled) is _Pair
    np.testing.assert_array_equal(doubled.w, [2.0, 4.0])
    np.testing.assert_array_equal(doubled.b, [6.0])
    leaves, treedef = tree_flatten([_Pair(1.0, (2.0, 3.0)), {"k": _Pair(4.0, None)}])
    assert leaves == [1.0, 2.0, 3.0, 4.0]  # field order, as jax.tree_util
    assert tree_unflatten(treedef, leaves) == [_Pair(1.0, (2.0, 3.0)), {"k": _Pair(4.0, None)}]


def test_ordered_dict_keeps_its_order_and_defaultdict_its_factory():
    od = OrderedDict([("z", 1.0), ("a", 2.0)])
    leaves, treedef = tree_flatten(od)
    assert leaves == [1.0, 2.0]  # insertion order (a plain dict is sorted: [2.0, 1.0])
    back = tree_unflatten(treedef, [10.0, 20.0])
    assert type(back) is OrderedDict and list(back.items()) == [("z", 10.0), ("a", 20.0)]
    dd = defaultdict(list, {"z": 1.0, "a": [2.0, 3.0]})
    leaves, treedef = tree_flatten(dd)
    assert leaves == [2.0, 3.0, 1.0]  # sorted keys, as for dict
    back = tree_unflatten(treedef, leaves)
    assert type(back) is defaultdict and back.default_factory is list and back == dd


def test_gradients_and_optimizers_take_namedtuple_parameters():
    import gradkit as gk

    params = _Pair(np.array([1.0, 2.0]), np.array([3.0, -1.0, 0.5]))
    g = gk.grad(lambda p: np.sum(p.w**2) + np.sum(p.b**3))(params)
    assert type(g) is _Pair
    np.testing.assert_allclose(g.w, 2 * params.w)  # closed forms
    np.testing.assert_allclose(g.b, 3 * params.b**2)
    opt = gk.optim.sgd(0.1)
    state = opt.init(params)
    updates, state = opt.update(g, state, params)
    new = gk.optim.apply_updates(params, updates)
    assert type(new) is _Pair
    np.testing.assert_allclose(new.w, params.w - 0.1 * 2 * params.w)


@pytest.mark.parametrize("kind", [dict, lambda d: defaultdict(list, d)])
def test_dict_keys_that_cannot_be_sorted_are_a_clear_error(kind) -> None:
    # Before: Python's bare "'<' not supported between instances of 'str' and 'int'".
    with pytest.raises(TypeError, match="mix int and str keys, which cannot be compared"):
        tree_flatten(kind({1: 2.0, "a": 5.0}))
