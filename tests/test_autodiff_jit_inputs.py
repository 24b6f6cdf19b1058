"""gk.jit never replays a stale recording: objects passed as arguments (gk.nn models,
dataclasses, plain objects) are read through their attributes, writes into inputs are
refused, and one jitted function serves several threads at once.

Every answer is compared with the same function called without jit (NumPy itself).
"""

from __future__ import annotations

import dataclasses
import sys
import threading

import numpy as np
import pytest

import gradkit as gk
from gradkit import nn
from gradkit.autodiff.errors import JitError


def _model_call(model, x):
    return model(x)


def test_a_model_whose_parameters_are_replaced_is_never_replayed_stale() -> None:
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.Tanh(), nn.Linear(4, 2, rng=1))
    f = gk.jit(_model_call)
    x = np.random.default_rng(0).standard_normal((5, 3))
    rng = np.random.default_rng(1)
    for _ in range(6):
        np.testing.assert_array_equal(f(model, x), model(x))
        model.params = {k: rng.standard_normal(v.shape) for k, v in model.params.items()}
    assert f.recordings == [1]  # the parameters are traced inputs: one recording


def test_a_models_settings_are_part_of_the_recording() -> None:
    model = nn.Sequential(nn.Linear(3, 3, rng=0), nn.Dropout(0.5, rng=0))
    x = np.ones((4, 3))
    f = gk.jit(_model_call)
    model.eval()
    np.testing.assert_array_equal(f(model, x), model(x))
    f(model, x)
    model.train()  # dropout on: another program (its mask is that of the recording)
    assert f(model, x).shape == (4, 3)
    assert f.recordings == [2]


def test_a_jitted_gradient_of_a_model_follows_its_new_parameters() -> None:
    layer = nn.Linear(2, 1, rng=0)
    x = np.array([[1.0, 2.0], [-1.0, 0.5]])

    def loss_grad(model, x):
        return gk.grad(lambda p: np.sum(model.apply(p, x) ** 2))(model.params)

    step = gk.jit(loss_grad)
    for scale in (1.0, -2.0, 3.0, 0.5):
        layer.params = {"weight": scale * np.ones((2, 1)), "bias": np.array([scale])}
        got, want = step(layer, x), loss_grad(layer, x)
        for k in want:
            np.testing.assert_allclose(got[k], want[k], rtol=1e-14)
    assert step.recordings == [1]


class _AlwaysEqual:
    """A mutable object whose == and hash say nothing of its state."""

    def __init__(self) -> None:
        self.scale = 2.0
        self.power = 2
        self.shift = np.array([0.5, -1.0])

    def __eq__(self, other: object) -> bool:
        return True

    def __hash__(self) -> int:
        return 1


def test_a_mutable_hashable_object_is_read_through_its_attributes() -> None:
    def f(c, x):
        return c.scale * x**c.power + c.shift

    jf = gk.jit(f)
    c = _AlwaysEqual()
    x = np.array([1.0, 3.0])
    for scale, power, shift in [(2.0, 2, 0.5), (5.0, 3, 1.5), (5.0, 3, -2.0), (1.0, 1, 0.0)]:
        c.scale, c.power = scale, power
        c.shift = c.shift * 0 + shift
        for _ in range(3):
            np.testing.assert_array_equal(jf(c, x), f(c, x))
    # the float array is traced; a changed float or int attribute records again
    assert jf.recordings == [3]


@dataclasses.dataclass(frozen=True)
class _Frozen:
    w: np.ndarray
    b: float
    labels: np.ndarray


@dataclasses.dataclass
class _Mutable:
    w: np.ndarray
    tag: str = "a"


class _Slotted:
    __slots__ = ("w", "k")

    def __init__(self, w, k):
        self.w, self.k = w, k


def test_dataclasses_and_slotted_objects_are_read_through_their_fields() -> None:
    f = gk.jit(lambda d, m, s, x: np.sum(d.w * x) + d.b + d.labels.sum() + m.w[0] * s.k + s.w)
    ref = lambda d, m, s, x: np.sum(d.w * x) + d.b + d.labels.sum() + m.w[0] * s.k + s.w  # noqa: E731
    rng = np.random.default_rng(3)
    x = rng.standard_normal(3)
    m = _Mutable(np.ones(2))
    for k in range(4):
        d = _Frozen(rng.standard_normal(3), 0.5, np.arange(3) + (k >= 2))
        m.w = rng.standard_normal(2)
        s = _Slotted(rng.standard_normal(()), 3)
        np.testing.assert_array_equal(f(d, m, s, x), ref(d, m, s, x))
    assert f.recordings == [2]  # the integer labels changed once


def test_an_object_given_twice_and_a_cycle_are_copied_once() -> None:
    class Node:
        def __init__(self, w):
            self.w = w
            self.me = self

    def f(a, b):
        assert a.me is a  # the copy keeps its cycle
        return a.w * 2 + b.w

    n = Node(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(gk.jit(f)(n, n), f(n, n))


def test_an_object_in_static_argnums_is_compared_by_its_attributes_bytes_included() -> None:
    class Table:
        def __init__(self):
            self.coef = np.array([1.0, 2.0])

    def f(x, t):
        return x * t.coef

    jf = gk.jit(f, static_argnums=1)
    t = Table()
    x = np.array([3.0, 4.0])
    np.testing.assert_array_equal(jf(x, t), f(x, t))
    t.coef[0] = 10.0  # a write into the static object's array: a new recording
    np.testing.assert_array_equal(jf(x, t), f(x, t))
    np.testing.assert_array_equal(jf(x, t), f(x, t))
    assert jf.recordings == [2]


def test_a_bound_method_is_read_through_its_object() -> None:
    layer = nn.Linear(2, 2, rng=0)
    f = gk.jit(lambda fn, x: fn(x))
    x = np.ones((1, 2))
    np.testing.assert_array_equal(f(layer.__call__, x), layer(x))
    layer.params = {"weight": np.eye(2), "bias": np.zeros(2)}
    np.testing.assert_array_equal(f(layer.__call__, x), layer(x))


def test_an_object_holding_a_traced_value_runs_inside_the_enclosing_transform() -> None:
    class Holder:
        def __init__(self, w):
            self.w = w

    inner = gk.jit(lambda h: np.sum(h.w**2))
    g = gk.grad(lambda w: inner(Holder(w)))(np.array([1.0, -3.0]))
    np.testing.assert_allclose(g, [2.0, -6.0])


def test_objects_nested_too_deep_are_refused_by_name() -> None:
    class Link:
        def __init__(self, nxt):
            self.next = nxt

    chain = None
    for _ in range(200):
        chain = Link(chain)
    with pytest.raises(TypeError, match="nested more than"):
        gk.jit(lambda c, x: x * 2)(chain, np.ones(2))


# --- writes into inputs ---------------------------------------------------------------
def _set_item(x):
    x[0] = 0.0
    return np.sum(x)


def _augmented(x):
    x += 1.0
    return np.sum(x)


def _into_dict(d):
    d["b"] = d["a"] * 2
    return d["a"]


def _into_labels(x, labels):
    labels[0] = 7
    return x * 2


def _assign_attribute(m):
    m.w = m.w * 2
    return m.w


def _bump_counter(m):
    m.tag += "!"
    return m.w


@pytest.mark.parametrize(
    "fun, args, what",
    [
        (_set_item, lambda: (np.ones(3),), "traced argument"),
        (_augmented, lambda: (np.ones(3),), "traced argument"),
        (_into_dict, lambda: ({"a": np.ones(2)},), "a dict"),
        (_into_labels, lambda: (np.ones(2), np.arange(3)), "an array of int"),
        (_assign_attribute, lambda: (_Mutable(np.ones(2)),), "attribute of the _Mutable"),
        (_bump_counter, lambda: (_Mutable(np.ones(2)),), "attribute of the _Mutable"),
    ],
)
def test_a_write_into_an_input_is_a_jit_error(fun, args, what) -> None:
    jf = gk.jit(fun)
    with pytest.raises(JitError, match=f"writes into .*{what}"):
        jf(*args())
    with pytest.raises(JitError, match="writes into"):  # never cached: every call refuses
        jf(*args())
    assert jf.recordings == [0]


def test_writes_into_the_functions_own_arrays_are_recorded() -> None:
    def f(x):
        y = x * 2
        y[0] = 5.0
        y += x
        return y

    jf = gk.jit(f)
    for x in (np.array([1.0, 2.0, 3.0]), np.array([-1.0, 0.0, 4.0])):
        np.testing.assert_array_equal(jf(x), f(x.copy()))


def test_bool_of_a_traced_value_is_a_jit_error_and_any_is_recorded() -> None:
    with pytest.raises(JitError, match="bool"):
        gk.jit(lambda x: x * 2 if x.any() else x)(np.ones(2))
    with pytest.raises(JitError, match="bool"):
        gk.jit(lambda x: x * 2 if np.all(x > 0) else x)(np.ones(2))
    f = gk.jit(lambda x: np.logical_and((x > 0).any(axis=0), x.all(axis=0)))
    for x in (np.ones((2, 2)), np.array([[0.0, -1.0], [0.0, 2.0]])):
        np.testing.assert_array_equal(f(x), (x > 0).any(axis=0) & x.all(axis=0))


# --- threads ----------------------------------------------------------------------------
def _run_threads(work, n_threads):
    errors: list = []

    def body(k):
        try:
            work(k)
        except BaseException as err:  # handed to the test
            errors.append(err)

    threads = [threading.Thread(target=body, args=(k,)) for k in range(n_threads)]
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter allows
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    finally:
        sys.setswitchinterval(old)
    assert not any(t.is_alive() for t in threads)
    if errors:
        raise errors[0]


def test_one_jitted_step_shared_by_threads_with_different_static_arguments() -> None:
    def loss(w, power):
        return np.sum(w**power)

    step = gk.jit(gk.grad(loss), static_argnums=1)
    w = np.array([0.5, -1.5, 2.0])
    wrong: list = []

    def work(k):
        power = 2 + k % 4
        want = power * w ** (power - 1)
        for _ in range(2000):
            if not np.array_equal(step(w, power), want):
                wrong.append(power)

    _run_threads(work, 8)
    assert wrong == []


def _through_a_view(x):
    v = x[1:]
    v[0] = v[0] * 2.0  # NumPy writes into x
    return np.sum(x)


def test_a_write_through_a_view_of_an_input_is_a_jit_error_on_the_first_call() -> None:
    x = np.array([1.0, 2.0, 3.0])
    with pytest.raises(JitError, match="writes into"):
        gk.jit(_through_a_view)(x)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])  # the caller's array untouched


def test_augmented_assignment_to_a_number_argument_is_no_write() -> None:
    def f(x, y):
        x += 1.0  # a Python float (or NumPy scalar) is immutable: this renames x
        return x * y

    jf = gk.jit(f)
    for x in (3.0, np.float64(-2.0), 0.5):
        np.testing.assert_array_equal(jf(x, np.array([1.0, 2.0])), f(x, np.array([1.0, 2.0])))
    assert jf.recordings == [1]


def test_every_gk_nn_layer_passed_as_an_argument_replays_its_own_output() -> None:
    # Each layer is passed to one jitted function; its parameters change between calls.
    # BatchNorm in training mode updates a counter in place: refused, by name of its kind.
    rng = np.random.default_rng(4)
    layers = [
        (nn.Conv2d(2, 3, 3, rng=0), (2, 2, 6, 6)),
        (nn.LSTM(4, 3, rng=0), (2, 5, 4)),
        (nn.LayerNorm(4), (5, 4)),
        (nn.BatchNorm1d(4).eval(), (5, 4)),
    ]
    f = gk.jit(_model_call)
    for layer, shape in layers:
        for _ in range(3):
            layer.params = {k: rng.standard_normal(v.shape) for k, v in layer.params.items()}
            x = rng.standard_normal(shape)
            got, want = f(layer, x), layer(x)
            for g, w in zip(gk.tree.tree_leaves(got), gk.tree.tree_leaves(want)):
                np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14)
    assert f.recordings == [len(layers)]
    with pytest.raises(JitError, match="writes into an array of int"):
        f(nn.BatchNorm1d(4).train(), rng.standard_normal((5, 4)))
