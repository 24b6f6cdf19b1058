"""User-registered containers (pytrees): dataclasses and classes with their own rules,
``ravel_pytree``; transforms and optimizers accept them. Gradients are checked against
finite differences (tests/fd.py), never against the engine itself."""

from __future__ import annotations

import dataclasses

import fd
import numpy as np
import pytest

import gradkit as gk
from gradkit.tree import (
    ravel_pytree,
    register_dataclass,
    register_pytree_node,
    tree_flatten,
    tree_map,
    tree_reduce,
    tree_structure,
    tree_unflatten,
)

RNG = np.random.default_rng(25)


@register_dataclass
@dataclasses.dataclass
class Dense:
    w: np.ndarray
    b: np.ndarray


@register_dataclass
@dataclasses.dataclass(frozen=True)
class Net:
    first: Dense
    second: Dense


class Scaled:
    """A registered node with aux data (a constant factor that is not a child)."""

    def __init__(self, value, factor):
        self.value, self.factor = value, factor


register_pytree_node(Scaled, lambda s: ((s.value,), s.factor), lambda f, ch: Scaled(ch[0], f))


def _net():
    return Net(
        Dense(RNG.normal(size=(3, 4)), RNG.normal(size=4)),
        Dense(RNG.normal(size=(4, 2)), RNG.normal(size=2)),
    )


X = RNG.normal(size=(5, 3))


def _loss(net):
    h = np.tanh(X @ net.first.w + net.first.b)
    return np.sum((h @ net.second.w + net.second.b) ** 2)


def _fd_grad(loss, tree):
    flat, unravel = ravel_pytree(tree)
    return unravel(fd.gradient(lambda v: loss(unravel(v)), (flat,)))


def test_grad_of_a_dataclass_matches_finite_differences():
    net = _net()
    g = gk.grad(_loss)(net)
    assert isinstance(g, Net) and isinstance(g.first, Dense)
    want = _fd_grad(_loss, net)
    for got, ref in zip(tree_flatten(g)[0], tree_flatten(want)[0]):
        np.testing.assert_allclose(got, ref, rtol=1e-7, atol=1e-8)


def test_jit_grad_and_value_and_grad_accept_a_dataclass():
    net = _net()
    plain = gk.grad(_loss)(net)
    jitted = gk.jit(gk.grad(_loss))
    jitted(net)
    other = _net()
    for got, ref in zip(tree_flatten(jitted(other))[0], tree_flatten(gk.grad(_loss)(other))[0]):
        np.testing.assert_allclose(got, ref, rtol=1e-12)
    value, g = gk.value_and_grad(_loss)(net)
    assert float(value) == pytest.approx(float(_loss(net)))
    for got, ref in zip(tree_flatten(g)[0], tree_flatten(plain)[0]):
        np.testing.assert_array_equal(got, ref)


def test_nested_registered_nodes_with_aux_data():
    tree = {"a": Scaled([np.ones(2), Scaled(3.0, "inner")], 7), "b": (1.0,)}
    leaves, treedef = tree_flatten(tree)
    assert len(leaves) == 3 and leaves[1] == 3.0
    back = tree_unflatten(treedef, [10.0, 20.0, 30.0])
    assert back["a"].factor == 7 and back["a"].value[1].factor == "inner"
    assert back["a"].value[0] == 10.0 and back["a"].value[1].value == 20.0
    assert back["b"] == (30.0,)
    # aux data is part of the structure: a different factor is a different tree
    assert tree_flatten(Scaled(1.0, 2))[1] != tree_flatten(Scaled(1.0, 3))[1]

    def f(s):
        return s.factor * np.sum(np.sin(s.value[0])) * s.value[1].value

    s = Scaled([np.array([0.5, 1.0]), Scaled(2.0, None)], 3.0)
    g = gk.grad(f)(s)
    np.testing.assert_allclose(g.value[0], 3.0 * np.cos([0.5, 1.0]) * 2.0)
    np.testing.assert_allclose(g.value[1].value, 3.0 * np.sum(np.sin([0.5, 1.0])))
    assert g.factor == 3.0


def test_jacfwd_and_jvp_of_a_dataclass():
    d = Dense(np.array([[1.0, 2.0]]), np.array([0.5]))
    f = lambda p: np.sum(p.w**2) + p.b[0] ** 3  # noqa: E731
    jac = gk.jacfwd(f)(d)
    np.testing.assert_allclose(jac.w, [[2.0, 4.0]])
    np.testing.assert_allclose(jac.b, [0.75])
    t = Dense(np.array([[1.0, 0.0]]), np.array([1.0]))
    _, deriv = gk.jvp(f, (d,), (t,))
    assert float(deriv) == pytest.approx(2.0 + 0.75)


def test_optimizer_steps_a_dataclass():
    net = _net()
    opt = gk.optim.adam(1e-2)
    state = opt.init(net)
    g = gk.grad(_loss)(net)
    updates, state = opt.update(g, state, net)
    new = gk.optim.apply_updates(net, updates)
    assert isinstance(new, Net)
    # Adam's first step moves every parameter by lr against the gradient's sign
    for p, q, gg in zip(tree_flatten(net)[0], tree_flatten(new)[0], tree_flatten(g)[0]):
        np.testing.assert_allclose(q - p, -1e-2 * np.sign(gg), rtol=1e-6)
    assert tree_map(lambda a, b: a + b, net, net).first.b.shape == (4,)


def test_frozen_dataclass_rebuilt_without_init():
    calls = []

    @register_dataclass
    @dataclasses.dataclass(frozen=True)
    class Checked:
        x: np.ndarray

        def __post_init__(self):
            calls.append(1)

    obj = Checked(np.ones(2))
    g = gk.grad(lambda c: np.sum(c.x**2))(obj)
    assert isinstance(g, Checked)
    np.testing.assert_array_equal(g.x, [2.0, 2.0])
    with pytest.raises(dataclasses.FrozenInstanceError):
        g.x = None
    assert calls == [1]  # rebuilding set the fields; __post_init__ ran only for obj


@pytest.mark.parametrize(
    "tree",
    [
        {"w": np.arange(6.0).reshape(2, 3), "b": np.array([7.0]), "s": 2.5},
        Net(Dense(np.ones((2, 2)), np.zeros(2)), Dense(np.eye(2), np.ones(2))),
        [np.float32(1.5), np.ones(3, np.float32)],
        (),
    ],
)
def test_ravel_unravel_roundtrip(tree):
    flat, unravel = ravel_pytree(tree)
    leaves, treedef = tree_flatten(tree)
    assert flat.ndim == 1 and flat.size == sum(np.size(x) for x in leaves)
    np.testing.assert_array_equal(flat, np.concatenate([np.ravel(x) for x in leaves] or [[]]))
    back = unravel(flat)
    back_leaves, back_def = tree_flatten(back)
    assert back_def == treedef
    for a, b in zip(back_leaves, leaves):
        assert np.shape(a) == np.shape(b) and np.result_type(a) == np.result_type(b)
        np.testing.assert_array_equal(a, b)


def test_ravel_keeps_dtypes_and_is_differentiable():
    flat, unravel = ravel_pytree({"a": np.ones(2, np.float32), "b": np.ones(1)})
    assert flat.dtype == np.float64
    assert unravel(flat)["a"].dtype == np.float32
    f = lambda tree: np.sum(ravel_pytree(tree)[0] ** 3)  # noqa: E731
    g = gk.grad(f)({"u": np.array([1.0, 2.0]), "v": 3.0})
    np.testing.assert_allclose(g["u"], [3.0, 12.0])
    assert float(g["v"]) == 27.0
    with pytest.raises(ValueError, match=r"vector of shape \(3,\)"):
        unravel(np.ones(4))


class _Bad:
    def __init__(self, v):
        self.v = v


class _BadChildren:
    def __init__(self, v):
        self.v = v


class _Unhashable:
    def __init__(self, v):
        self.v = v


register_pytree_node(_Bad, lambda o: o.v, lambda aux, ch: _Bad(*ch))
register_pytree_node(_BadChildren, lambda o: (o.v, None), lambda aux, ch: _BadChildren(*ch))
register_pytree_node(_Unhashable, lambda o: ((o.v,), [1]), lambda aux, ch: _Unhashable(*ch))


def test_errors_for_bad_flatten_outputs():
    with pytest.raises(TypeError, match="flatten function registered for _Bad.*pair"):
        tree_flatten(_Bad(np.ones(2)))
    with pytest.raises(TypeError, match="_BadChildren returned children of type ndarray"):
        tree_flatten(_BadChildren(np.ones(2)))
    _, treedef = tree_flatten(_Unhashable(1.0))
    with pytest.raises(TypeError, match="aux data .* not hashable"):
        hash(treedef)


def test_registration_errors():
    with pytest.raises(ValueError, match="Dense is already a container"):
        register_dataclass(Dense)
    with pytest.raises(ValueError, match="dict is already a container"):
        register_pytree_node(dict, lambda d: ((), None), lambda a, c: {})
    with pytest.raises(TypeError, match="takes a dataclass"):
        register_dataclass(_Bad)
    with pytest.raises(TypeError, match="takes a class"):
        register_pytree_node(_Bad(1), lambda o: ((), None), lambda a, c: None)


def test_a_type_met_as_a_leaf_becomes_a_container_once_registered():
    class Late:
        def __init__(self, x):
            self.x = x

    assert tree_flatten([Late(1.0), 2.0])[0][1] == 2.0  # met as a leaf first
    register_pytree_node(Late, lambda o: ((o.x,), None), lambda a, c: Late(c[0]))
    leaves, _ = tree_flatten([Late(1.0), 2.0])
    assert leaves == [1.0, 2.0]


def test_tree_structure_and_tree_reduce():
    net = Net(Dense(np.ones((2, 2)), np.zeros(2)), Dense(np.eye(2), np.ones(2)))
    assert tree_structure(net) == tree_flatten(net)[1]
    assert tree_structure(net).num_leaves == 4
    total = tree_reduce(lambda acc, leaf: acc + np.sum(leaf), net, 0.0)
    assert total == 4.0 + 0.0 + 2.0 + 2.0
    assert tree_reduce(max, [3, (7, 1)]) == 7
    with pytest.raises(TypeError, match="needs an initializer"):
        tree_reduce(max, [])
