"""gk.jit: recordings replayed on new inputs give the closed-form results; what a
recording cannot follow is refused with JitError, never replayed wrong."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from closed_forms import rosenbrock, rosenbrock_hessian

import gradkit as gk
from gradkit.autodiff import replay


def _sin_x2(x):
    return np.sum(np.sin(x) * x**2)


def _sin_x2_grad(x):  # closed form of the gradient of _sin_x2
    return np.cos(x) * x**2 + 2 * x * np.sin(x)


def test_grad_replayed_on_new_inputs_matches_the_closed_form() -> None:
    step = gk.jit(gk.grad(_sin_x2))
    rng = np.random.default_rng(0)
    for _ in range(5):
        x = rng.standard_normal(7)
        np.testing.assert_allclose(step(x), _sin_x2_grad(x), rtol=1e-13, atol=1e-15)
    assert step.recordings == [1]  # one recording, four replays
    x = rng.standard_normal((2, 3))  # a new shape records again
    np.testing.assert_allclose(step(x), _sin_x2_grad(x), rtol=1e-13, atol=1e-15)
    assert step.recordings == [2]


def test_plain_function_and_keyword_arguments_are_traced() -> None:
    f = gk.jit(lambda x, *, scale: np.tanh(x) * scale)
    for x, s in [(np.array([0.1, 2.0]), 3.0), (np.array([-1.0, 0.5]), -2.0)]:
        np.testing.assert_allclose(f(x, scale=s), np.tanh(x) * s, rtol=1e-15)
    assert f.recordings == [1]  # the float keyword is an input, not part of the recording


def test_python_float_argument_is_an_input() -> None:
    d = gk.jit(gk.grad(lambda t: t**3))
    assert [float(d(t)) for t in (1.0, 2.0, -3.0)] == [3.0, 12.0, 27.0]
    assert d.recordings == [1]


def test_hessian_of_rosenbrock_replayed() -> None:
    h = gk.jit(gk.hessian(rosenbrock))
    rng = np.random.default_rng(1)
    for _ in range(3):
        x = rng.uniform(-2, 2, 6)
        np.testing.assert_allclose(h(x), rosenbrock_hessian(x), rtol=1e-12, atol=1e-10)
    assert h.recordings == [1]


def test_mlp_step_with_integer_labels_matches_hand_backprop() -> None:
    rng = np.random.default_rng(2)
    X = rng.standard_normal((8, 5))
    labels = rng.integers(0, 3, 8)

    def loss(params, X, labels):
        W1, b1, W2, b2 = params
        h = gk.nn.relu(gk.nn.linear(X, W1, b1))
        return gk.nn.cross_entropy_with_logits(gk.nn.linear(h, W2, b2), labels)

    def hand(params, X, labels):  # backpropagation written out
        W1, b1, W2, b2 = params
        z1 = X @ W1 + b1
        h = np.maximum(z1, 0)
        z2 = h @ W2 + b2
        p = np.exp(z2 - z2.max(1, keepdims=True))
        d2 = (p / p.sum(1, keepdims=True) - np.eye(3)[labels]) / len(X)
        d1 = (d2 @ W2.T) * (z1 > 0)
        return [X.T @ d1, d1.sum(0), h.T @ d2, d2.sum(0)]

    step = gk.jit(gk.grad(loss))
    for _ in range(4):
        params = [rng.standard_normal((5, 4)), rng.standard_normal(4),
                  rng.standard_normal((4, 3)), rng.standard_normal(3)]  # fmt: skip
        for g, h in zip(step(params, X, labels), hand(params, X, labels)):
            np.testing.assert_allclose(g, h, rtol=1e-12, atol=1e-14)
    assert step.recordings == [1]
    other = rng.integers(0, 3, 8)  # integer arrays are part of the recording
    for g, h in zip(step(params, X, other), hand(params, X, other)):
        np.testing.assert_allclose(g, h, rtol=1e-12, atol=1e-14)
    assert step.recordings == [2]


def test_masks_and_where_are_recomputed_on_replay() -> None:
    f = gk.jit(gk.grad(lambda x: np.sum(np.where(x > 0, x**2, -x))))
    for x in (np.array([1.0, -2.0, 3.0]), np.array([-1.0, 2.0, -3.0])):
        np.testing.assert_array_equal(f(x), np.where(x > 0, 2 * x, -1.0))


def test_unneeded_forward_values_are_not_recomputed() -> None:
    calls = []

    @gk.primitive
    def counted(x):
        calls.append(1)
        return 3.0 * x

    gk.defvjp(counted, lambda ans, x: lambda g: 3.0 * g)  # never reads ans
    step = gk.jit(gk.grad(lambda x: np.sum(counted(x))))
    step(np.ones(2))  # records: the forward pass runs once
    assert len(calls) == 1
    np.testing.assert_array_equal(step(np.zeros(2)), [3.0, 3.0])  # replay (+ its check)
    checked = len(calls)
    np.testing.assert_array_equal(step(np.ones(2)), [3.0, 3.0])
    assert len(calls) == checked  # a replay of the gradient skips the loss value


def test_outputs_are_the_callers_own_writeable_arrays() -> None:
    ident = gk.jit(lambda x: x)
    a = np.array([1.0, 2.0])
    for _ in range(2):
        out = ident(a)
        assert out is not a
        out[0] = 9.0
    assert a[0] == 1.0
    ones = gk.jit(gk.grad(lambda x: np.sum(x)))  # a broadcast cotangent, made writeable
    for _ in range(2):
        g = ones(np.zeros(3))
        g[0] = 5.0
        np.testing.assert_array_equal(ones(np.zeros(3)), [1.0, 1.0, 1.0])


def test_float32_gradient_keeps_its_dtype() -> None:
    step = gk.jit(gk.grad(lambda x: np.sum(x * 2.0)))
    for _ in range(2):
        g = step(np.ones(3, dtype=np.float32))
        assert g.dtype == np.float32
        np.testing.assert_array_equal(g, [2.0, 2.0, 2.0])


def test_static_argnums() -> None:
    power = gk.jit(gk.grad(lambda x, n: x**n), static_argnums=1)
    assert float(power(2.0, 3)) == 12.0
    assert float(power(2.0, 4)) == 32.0
    assert float(power(3.0, 3)) == 27.0
    assert power.recordings == [2]


def test_under_grad_and_inside_jit_it_runs_as_a_plain_call() -> None:
    inner = gk.jit(_sin_x2)
    x = np.array([0.3, -1.2])
    np.testing.assert_allclose(gk.grad(inner)(x), _sin_x2_grad(x), rtol=1e-14)
    outer = gk.jit(lambda x: inner(x) * 2.0)
    for x in (np.array([0.3, -1.2]), np.array([1.0, 2.0])):
        np.testing.assert_allclose(outer(x), 2 * _sin_x2(x), rtol=1e-14)


# --- what jit refuses ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "fun",
    [
        lambda x: x if np.sum(x) > 0 else -x,  # Python control flow on a value
        lambda x: x * float(x[0]),
        lambda x: np.asarray(x, dtype=float) * 2.0,  # (without a dtype: an object array, replayed)
        gk.grad(lambda x: np.max(x)),  # a derivative that reads the values
        lambda x: x[np.argwhere(x > 0)[:, 0]],  # a shape that depends on the values
    ],
)
def test_reading_a_traced_value_raises_jit_error(fun) -> None:
    with pytest.raises(gk.JitError, match="without gk.jit"):
        gk.jit(fun)(np.array([1.0, -2.0, 3.0]))


def test_randomness_inside_is_caught_by_the_first_replay() -> None:
    rng = np.random.default_rng(3)
    noisy = gk.jit(lambda x: x * rng.standard_normal(3))
    noisy(np.ones(3))
    with pytest.raises(gk.JitError, match="different output 0"):
        noisy(np.ones(3))
    assert noisy.recordings == [1]
    noisy(np.ones(3))  # the bad recording was dropped: this call records again
    assert noisy.recordings == [2]


def test_closure_over_an_enclosing_transforms_value_raises() -> None:
    def f(y):
        return gk.jit(lambda x: x * y)(np.float64(2.0))

    with pytest.raises(gk.JitError, match="as an argument"):
        gk.grad(f)(3.0)


def test_leaked_value_raises() -> None:
    kept = []
    f = gk.jit(lambda x: kept.append(x) or x * 2.0)
    f(np.ones(2))
    with pytest.raises(gk.LeakedTracerError, match="jit"):
        np.sin(kept[0])


def test_many_recordings_warn_once() -> None:
    f = gk.jit(lambda x, k: x * k)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        for k in range(replay.WARN_AFTER + 3):
            assert float(f(1.0, k)) == k
    assert sum(issubclass(w.category, RuntimeWarning) for w in seen) == 1
    assert "recorded" in str(seen[0].message)


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match="takes a function"):
        gk.jit(3)
    with pytest.raises(TypeError, match="static_argnums must be ints"):
        gk.jit(np.sin, static_argnums=("a",))
    with pytest.raises(ValueError, match="names argument 2"):
        gk.jit(lambda x: x, static_argnums=2)(1.0)
    with pytest.raises(TypeError, match="not hashable"):
        gk.jit(lambda x, s: x, static_argnums=1)(1.0, {"a": [1]})


# --- buffer reuse: a replay writes into arrays it made, never into one still read ------
def _replay_twice(f, *args):
    """Record, then replay (checked against a plain call), then replay again; return the
    last result, after checking that no argument was written into."""
    kept = [np.copy(a) for a in args]
    for _ in range(3):
        out = f(*args)
        for a, k in zip(args, kept):
            np.testing.assert_array_equal(a, k)
    return out


def test_elementwise_chain_replays_in_one_buffer() -> None:
    import tracemalloc

    f = gk.jit(lambda x: np.tanh(np.exp(x) * 0.5) + 1.0)
    x = np.linspace(-2.0, 2.0, 1 << 17)  # 1 MiB
    np.testing.assert_allclose(_replay_twice(f, x), np.tanh(np.exp(x) * 0.5) + 1.0, rtol=1e-15)
    tracemalloc.start()
    try:
        out = f(x)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # four ufuncs, one new array: each step after exp writes into its operand
    assert out.nbytes <= peak < 1.5 * out.nbytes


def test_array_still_read_through_a_view_is_not_overwritten() -> None:
    def f(x):
        a = np.exp(x)
        v = a.reshape(-1)  # a view of a, read after a's last direct use
        b = np.sin(a)  # must not be written into a
        return b * 2.0 + v[::-1].reshape(2, 2)

    x = np.array([[0.1, -0.4], [1.2, 0.3]])
    want = 2.0 * np.sin(np.exp(x)) + np.exp(x).reshape(-1)[::-1].reshape(2, 2)
    np.testing.assert_allclose(_replay_twice(gk.jit(f), x), want, rtol=1e-14)


def test_transposed_view_is_not_overwritten() -> None:
    def f(x):
        a = np.exp(x)
        t = a.T  # read by the product below, after the cosine
        c = np.cos(a)
        return c @ t

    x = np.array([[0.5, -1.0, 0.2], [0.3, 0.1, -0.7]])
    e = np.exp(x)
    np.testing.assert_allclose(_replay_twice(gk.jit(f), x), np.cos(e) @ e.T, rtol=1e-14)


def test_returned_array_is_not_overwritten() -> None:
    x = np.array([0.5, -1.0, 0.2])
    a, s = _replay_twice(gk.jit(lambda x: (np.exp(x), np.sin(np.exp(x)))), x)
    np.testing.assert_allclose(a, np.exp(x), rtol=1e-15)
    np.testing.assert_allclose(s, np.sin(np.exp(x)), rtol=1e-15)
    b, s = _replay_twice(gk.jit(lambda x: (lambda a: (a, np.sin(a)))(np.exp(x))), x)
    np.testing.assert_allclose(b, np.exp(x), rtol=1e-15)
    np.testing.assert_allclose(s, np.sin(np.exp(x)), rtol=1e-15)


def test_broadcast_and_wider_results_get_new_arrays() -> None:
    def f(x, y, z):
        a = np.exp(x)  # (3, 1): the sum below is (3, 4), it cannot go into a
        b = np.sqrt(z)  # float32; b * y is float64, it cannot go into b
        return a + y, b * y[:, :1]

    x = np.array([[0.0], [1.0], [-1.0]])
    y = np.arange(12.0).reshape(3, 4)
    z = np.array([[4.0], [9.0], [1.0]], dtype=np.float32)
    s, p = _replay_twice(gk.jit(f), x, y, z)
    np.testing.assert_allclose(s, np.exp(x) + y, rtol=1e-15)
    assert p.dtype == np.float64
    np.testing.assert_allclose(p, [[0.0], [12.0], [8.0]], rtol=1e-15)


def test_an_array_a_primitive_returns_as_it_is_is_never_written_into() -> None:
    table = np.array([1.0, 2.0, 3.0])

    @gk.primitive
    def lookup(x):
        return table  # not a new array: the replay must not write into it

    gk.defvjp(lookup, lambda ans, x: lambda g: 0.0 * g)
    f = gk.jit(lambda x: np.exp(lookup(np.sin(x))) + x)
    np.testing.assert_allclose(_replay_twice(f, np.zeros(3)), np.exp([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(table, [1.0, 2.0, 3.0])


def test_inputs_are_never_written_into() -> None:
    # x's last use is the first ufunc, and it has the result's shape and dtype
    f = gk.jit(gk.grad(lambda w, x: np.sum(np.tanh(x * 2.0) @ w)))
    w, x = np.array([0.5, -1.0]), np.array([[0.3, 0.2], [-0.1, 0.4]])
    np.testing.assert_allclose(_replay_twice(f, w, x), np.sum(np.tanh(2.0 * x), axis=0))


# --- lower forms: the replay's direct NumPy calls, used only when they equal impl -------
def _lower_cases():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 4))
    m = rng.standard_normal((3, 4))
    special = np.array([[np.nan, -0.0, np.inf], [-np.inf, 2.0, -3.0]])
    nn = gk.nn
    nn.linear(m, np.ones((4, 2)))  # registers linear and relu
    nn.relu(m)
    linear = nn.functional._linear_primitive()
    relu = nn.functional._relu_primitive()
    reg = gk.autodiff.primitives.REGISTRY
    return [
        (reg["matmul"], (m, m.T), {}),
        (reg["matmul"], (x, m.T), {}),
        (reg["matmul"], (m, m[0]), {}),
        (reg["transpose"], (x, (2, 0, 1)), {}),
        (reg["transpose"], (x, None), {}),
        (reg["reshape"], (x, (6, 4)), {}),
        (reg["reshape"], (np.asfortranarray(m), -1), {}),
        (reg["sum"], (x,), {"axis": (0, 2), "keepdims": False}),
        (reg["sum"], (special,), {"axis": None, "keepdims": True}),
        (reg["mean"], (x,), {"axis": (1,), "keepdims": True}),
        (reg["mean"], (m,), {"axis": None, "keepdims": False}),
        (linear, (m, np.ones((4, 2)), np.array([1.0, -2.0])), {}),
        (linear, (m.astype(np.float32), np.ones((4, 2), np.float32), np.ones(2)), {}),
        (linear, (m[0], np.ones((4, 2))), {}),
        (relu, (special,), {}),
    ]


@pytest.mark.parametrize("case", range(15))
def test_lower_form_computes_impl_bit_for_bit(case) -> None:
    prim, args, kw = _lower_cases()[case]
    values = list(args)
    for fn, refs in prim.lower(*args, **kw):
        values.append(
            fn(*[values[r] if type(r) is gk.autodiff.primitives.Operand else r for r in refs])
        )
    assert replay._identical(values[-1], prim.impl(*args, **kw))


def test_a_lower_form_that_differs_from_impl_is_not_recorded() -> None:
    @gk.primitive
    def double(x):
        return 2.0 * x

    gk.defvjp(double, lambda ans, x: lambda g: 2.0 * g)
    double.lower = lambda x: [(np.multiply, (gk.autodiff.primitives.Operand(0), 2.0001))]
    f = gk.jit(gk.grad(lambda x: np.sum(double(x) ** 2)))
    for x in (np.array([1.0, -3.0]), np.array([0.5, 2.0])):
        np.testing.assert_array_equal(f(x), 8.0 * x)  # d/dx (2x)^2 = 8x, not 8.0004x


def test_repr_of_a_traced_array_shows_shape_not_values() -> None:
    seen = []
    gk.jit(lambda x: seen.append(repr(x)) or x * 2.0)(np.ones((2, 3)))
    assert seen == ["Tensor(shape=(2, 3), dtype=float64, traced by gk.jit)"]
