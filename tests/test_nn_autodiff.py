"""The engine and gradkit.nn agree: every closed-form derivative equals gk.grad of its
function, the activations pass check_grads, and the tutorial's hand-written backward
pass equals autodiff of the loss it really differentiates."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gradkit as gk
import gradkit.nn as nn
from gradkit.autodiff.graph import trace_graph
from gradkit.nn import functional as F
from gradkit.nn.datasets import tutorial_data

PAIRS = [
    (F.sigmoid, F.sigmoid_derivative),
    (F.tanh, F.tanh_derivative),
    (F.softplus, F.softplus_derivative),
    (F.gelu, F.gelu_derivative),
    (lambda x: F.gelu(x, approximate=False), lambda x: F.gelu_derivative(x, approximate=False)),
    (F.silu, F.silu_derivative),
    (F.relu, F.relu_derivative),
    (F.leaky_relu, F.leaky_relu_derivative),
    (F.elu, F.elu_derivative),
]
points = st.lists(st.floats(-20, 20), min_size=1, max_size=6).map(np.array)


@pytest.mark.parametrize("fn, derivative", PAIRS, ids=[p[1].__name__ for p in PAIRS])
@given(x=points)
def test_closed_form_derivative_equals_autodiff(fn, derivative, x):
    np.testing.assert_allclose(gk.elementwise_grad(fn)(x), derivative(x), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("fn, derivative", PAIRS, ids=[p[1].__name__ for p in PAIRS])
def test_derivatives_agree_at_zero_and_far_out(fn, derivative):
    x = np.array([-1000.0, 0.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        np.testing.assert_array_equal(gk.elementwise_grad(fn)(x), derivative(x))


def test_relu_derivative_at_zero_is_zero_in_both_modes():
    assert float(gk.grad(nn.relu)(0.0)) == 0.0
    assert float(gk.jvp(nn.relu, (np.array(0.0),), (np.array(1.0),))[1]) == 0.0


@pytest.mark.parametrize(
    "fn",
    [
        F.sigmoid,
        F.tanh,
        F.softplus,
        F.gelu,
        F.silu,
        F.elu,
        lambda z: F.leaky_relu(z, 0.3),
        F.normal_cdf,
        lambda z: F.gelu(z, approximate=False),
    ],
)
def test_activations_pass_check_grads_to_second_order(fn):
    gk.check_grads(fn, modes=("fwd", "rev"), order=2)(np.array([-2.1, -0.4, 0.6, 1.7]))


@pytest.mark.parametrize(
    "fn", [lambda z: F.softmax(z), lambda z: F.log_softmax(z), lambda z: F.logsumexp(z, axis=-1)]
)
def test_softmax_family_passes_check_grads(fn):
    gk.check_grads(fn, modes=("fwd", "rev"), order=2)(
        np.array([[0.3, -1.0, 2.0], [1.0, 1.0, -0.5]])
    )


def test_gradient_of_logsumexp_is_softmax_and_jacobian_matches():
    z = np.array([[0.3, -1.0, 2.0], [1000.0, 0.0, -1000.0]])
    np.testing.assert_allclose(
        gk.grad(lambda v: np.sum(F.logsumexp(v, axis=1)))(z), F.softmax(z), rtol=1e-14
    )
    np.testing.assert_allclose(gk.jacobian(F.softmax)(z[0]), F.softmax_jacobian(z[0]), atol=1e-15)


# ----------------------------------------------------------------------------- losses

Y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
P = np.array([[0.2, 0.5, 0.3], [0.6, 0.3, 0.1]])
P_EDGES = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 0.25]])  # the clipped points too
Z = np.array([[0.3, -1.0, 2.0], [40.0, 0.0, -1000.0]])
LOSS_PAIRS = {
    "mse": (nn.mse_loss, nn.mse_gradient, Y, P),
    "huber": (
        lambda y, p: nn.huber_loss(y, p, delta=0.3),
        lambda y, p: nn.huber_gradient(y, p, delta=0.3),
        Y,
        2 * P,
    ),
    "cross_entropy": (nn.cross_entropy_loss, nn.cross_entropy_gradient, Y, P_EDGES),
    "binary_cross_entropy": (nn.binary_cross_entropy, nn.binary_cross_entropy_gradient, Y, P_EDGES),
}


@pytest.mark.parametrize("name", sorted(LOSS_PAIRS))
def test_closed_form_loss_gradient_equals_autodiff(name):
    loss, gradient, y_true, y_pred = LOSS_PAIRS[name]
    np.testing.assert_allclose(
        gk.grad(loss, argnums=1)(y_true, y_pred), gradient(y_true, y_pred), rtol=1e-12
    )


@pytest.mark.parametrize("labels", [np.array([2, 0]), Y, 0.5 * P])
def test_logit_loss_gradients_equal_autodiff(labels):
    np.testing.assert_allclose(
        gk.grad(nn.cross_entropy_with_logits)(Z, labels),
        nn.cross_entropy_with_logits_gradient(Z, labels),
        atol=1e-15,
    )
    np.testing.assert_allclose(
        gk.grad(nn.binary_cross_entropy_with_logits)(Z, Y),
        nn.binary_cross_entropy_with_logits_gradient(Z, Y),
        atol=1e-15,
    )


# ----------------------------------------------------------------------------- networks


def test_tutorial_backward_equals_autodiff_of_the_cross_entropy_it_differentiates():
    X, y = tutorial_data()
    net = nn.SimpleNeuralNetwork(2, 4, 1, rng=0)
    net.train(X, y, epochs=50, learning_rate=0.5)  # away from the symmetric start
    hand = net.gradients(X, y)
    automatic = gk.grad(nn.SimpleNeuralNetwork.objective)(net.params, X, y)
    for name in hand:
        np.testing.assert_allclose(hand[name], automatic[name], rtol=1e-10, atol=1e-15)
    # ... and not the MSE that compute_loss reports
    mse = gk.grad(
        lambda p: nn.mse_loss(y, nn.sigmoid(nn.sigmoid(X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]))
    )(net.params)
    assert not np.allclose(hand["W2"], mse["W2"], rtol=0.1)


def test_tutorial_backward_with_several_outputs_matches_the_summed_cross_entropy():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(8, 3)), (rng.random((8, 2)) > 0.5).astype(float)
    net = nn.SimpleNeuralNetwork(3, 5, 2, rng=1)
    hand = net.gradients(X, y)
    automatic = gk.grad(nn.SimpleNeuralNetwork.objective)(net.params, X, y)
    for name in hand:
        np.testing.assert_allclose(hand[name], automatic[name], rtol=1e-10, atol=1e-15)


def test_model_gradient_matches_a_hand_written_backward_pass():
    rng = np.random.default_rng(1)
    X, labels = rng.normal(size=(6, 3)), np.array([0, 1, 2, 1, 0, 2])
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.Tanh(), nn.Linear(4, 3, rng=1))
    p = model.params
    grads = gk.grad(lambda q: nn.cross_entropy_with_logits(model.apply(q, X), labels))(p)
    hidden = np.tanh(X @ p["0.weight"] + p["0.bias"])
    d_logits = nn.cross_entropy_with_logits_gradient(hidden @ p["2.weight"] + p["2.bias"], labels)
    d_hidden = d_logits @ p["2.weight"].T * nn.tanh_derivative(X @ p["0.weight"] + p["0.bias"])
    np.testing.assert_allclose(grads["2.weight"], hidden.T @ d_logits, rtol=1e-12)
    np.testing.assert_allclose(grads["2.bias"], d_logits.sum(0), rtol=1e-12)
    np.testing.assert_allclose(grads["0.weight"], X.T @ d_hidden, rtol=1e-12)
    np.testing.assert_allclose(grads["0.bias"], d_hidden.sum(0), rtol=1e-12)


def test_dropout_gradient_flows_only_through_kept_units():
    layer = nn.Dropout(0.5, rng=3)
    x = np.ones((4, 10))
    state = np.random.default_rng(3)
    keep = state.random((4, 10)) >= 0.5  # the mask the layer's generator will draw
    g = gk.grad(lambda v: np.sum(layer.apply({}, v)))(x)
    np.testing.assert_array_equal(g, keep / 0.5)


def test_losses_differentiate_with_respect_to_the_targets_too():
    z = np.array([[0.3, -0.7, 1.2]])
    soft = np.array([[0.2, 0.5, 0.3]])
    # d/dy of -sum(y * log_softmax(z)) is -log_softmax(z)
    np.testing.assert_allclose(
        gk.grad(nn.cross_entropy_with_logits, argnums=1)(z, soft), -nn.log_softmax(z), rtol=1e-12
    )
    y, p = np.array([1.0, 2.0]), np.array([0.5, 3.0])
    np.testing.assert_allclose(gk.grad(nn.mse_loss, argnums=0)(y, p), -nn.mse_gradient(y, p))


# --- the fused activations and loss: one recorded operation, closed-form derivatives ---------
def test_relu_is_one_operation_with_derivative_zero_at_the_kink_and_nan_kept() -> None:
    x = np.array([-2.0, 0.0, 0.5, 3.0])
    assert gk.grad(lambda x: np.sum(nn.relu(x)))(x).tolist() == [0.0, 0.0, 1.0, 1.0]
    assert np.isnan(nn.relu(np.array([np.nan])))[0]
    # d2/dx2 sum(relu(x)^3) = 6 relu(x): checks the rule differentiates again, both modes
    h = gk.hessian(lambda x: np.sum(nn.relu(x) ** 3))(x)
    np.testing.assert_allclose(h, np.diag(6.0 * np.maximum(x, 0.0)), atol=1e-12)
    j = gk.jacfwd(nn.relu)(x)
    np.testing.assert_array_equal(j, np.diag((x > 0).astype(float)))
    graph = trace_graph(lambda x: np.sum(nn.relu(x)), x)
    assert [n.op for n in graph.nodes].count("relu") == 1


def test_fused_cross_entropy_matches_its_closed_forms() -> None:
    rng = np.random.default_rng(11)
    z = rng.standard_normal((6, 4)) * 3.0
    labels = rng.integers(0, 4, 6)
    targets = np.eye(4)[labels]
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    loss = lambda z: nn.cross_entropy_with_logits(z, labels)
    value, g = gk.value_and_grad(loss)(z)
    assert value == pytest.approx(-np.mean(np.log(p[np.arange(6), labels])), rel=1e-13)
    np.testing.assert_allclose(g, (p - targets) / 6, atol=1e-15)
    # Hessian of mean CE: for each sample, (diag(p) - p p^T) / n, no coupling across samples
    h = gk.hessian(loss)(z)
    for a in range(6):
        for b in range(6):
            want = (np.diag(p[a]) - np.outer(p[a], p[a])) / 6 if a == b else np.zeros((4, 4))
            np.testing.assert_allclose(h[a, :, b, :], want, atol=1e-14)
    np.testing.assert_allclose(gk.jacfwd(loss)(z), (p - targets) / 6, atol=1e-15)


def test_fused_cross_entropy_refuses_out_of_range_labels_when_traced() -> None:
    z = np.zeros((3, 4))
    for bad in (np.array([0, 4, 1]), np.array([-1, 0, 1])):
        with pytest.raises(ValueError, match=r"class labels must lie in \[0, 4\)"):
            gk.grad(lambda z, bad=bad: nn.cross_entropy_with_logits(z, bad))(z)
    # one-hot rows and integer indices give the same value and gradient
    labels = np.array([3, 0, 2])
    rows = np.eye(4)[labels]
    z = np.arange(12.0).reshape(3, 4) / 7
    a = gk.value_and_grad(lambda z: nn.cross_entropy_with_logits(z, labels))(z)
    b = gk.value_and_grad(lambda z: nn.cross_entropy_with_logits(z, rows))(z)
    assert a[0] == pytest.approx(b[0], rel=1e-14)
    np.testing.assert_allclose(a[1], b[1], atol=1e-16)


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int32, np.uint32, np.int64, np.uint64])
def test_fused_cross_entropy_checks_labels_of_every_integer_type(dtype) -> None:
    z = np.arange(12.0).reshape(3, 4) / 5
    good = np.array([3, 0, 2], dtype=dtype)
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    g = gk.grad(lambda z: nn.cross_entropy_with_logits(z, good))(z)
    np.testing.assert_allclose(g, (p - np.eye(4)[[3, 0, 2]]) / 3, atol=1e-15)
    bad = [np.array([0, 4, 1], dtype=dtype), np.array([0, np.iinfo(dtype).max, 1], dtype=dtype)]
    if np.iinfo(dtype).min < 0:
        bad.append(np.array([0, -1, 1], dtype=dtype))
    for labels in bad:
        with pytest.raises(ValueError, match=r"class labels must lie in \[0, 4\)") as info:
            gk.grad(lambda z, labels=labels: nn.cross_entropy_with_logits(z, labels))(z)
        assert info.value.__context__ is None  # our message alone, not NumPy's beneath it


def test_cross_entropy_ignores_a_minus_inf_logit_of_a_class_with_no_mass() -> None:
    # A masked-out class (logit -inf, target 0) adds nothing: the loss and gradient are
    # those of the remaining classes, for index labels and one-hot rows alike, with no
    # NaN and no warning.
    z = np.array([[0.0, -np.inf, 1.0], [2.0, 0.0, 0.0]])
    p0 = np.exp([0.0, 1.0]) / np.exp([0.0, 1.0]).sum()
    p1 = np.exp([2.0, 0.0, 0.0]) / np.exp([2.0, 0.0, 0.0]).sum()
    want_value = (-np.log(p0[0]) - np.log(p1[1])) / 2
    want_grad = np.array([[p0[0] - 1.0, 0.0, p0[1]], (p1 - [0.0, 1.0, 0.0])]) / 2
    with np.errstate(all="raise"):
        for labels in (np.array([0, 1]), np.eye(3)[[0, 1]]):
            value, g = gk.value_and_grad(lambda z, y=labels: nn.cross_entropy_with_logits(z, y))(z)
            assert value == pytest.approx(want_value, rel=1e-14)
            np.testing.assert_allclose(g, want_grad, atol=1e-15)
            assert nn.cross_entropy_with_logits(z, labels) == pytest.approx(want_value, rel=1e-14)


# --- the fused linear layer ------------------------------------------------------------------
def test_linear_is_one_operation_with_the_closed_form_gradients() -> None:
    rng = np.random.default_rng(5)
    x, w, b = rng.standard_normal((6, 3)), rng.standard_normal((3, 4)), rng.standard_normal(4)
    upstream = rng.standard_normal((6, 4))
    loss = lambda x, w, b: np.sum(nn.linear(x, w, b) * upstream)
    gx, gw, gb = gk.grad(loss, argnums=(0, 1, 2))(x, w, b)
    # d/dx = G W^T, d/dW = X^T G, d/db = column sums of G, for L = sum(G * (X W + b))
    np.testing.assert_allclose(gx, upstream @ w.T, rtol=1e-13)
    np.testing.assert_allclose(gw, x.T @ upstream, rtol=1e-13)
    np.testing.assert_allclose(gb, upstream.sum(axis=0), rtol=1e-13)
    np.testing.assert_allclose(nn.linear(x, w, b), x @ w + b, rtol=1e-15)
    graph = trace_graph(lambda w: np.sum(nn.linear(x, w, b)), w)
    assert [n.op for n in graph.nodes].count("linear") == 1
    assert "matmul" not in [n.op for n in graph.nodes]


@pytest.mark.parametrize("x_shape", [(3,), (6, 3), (2, 5, 3)])
@pytest.mark.parametrize("argnum", [0, 1, 2])
def test_linear_second_derivatives_and_forward_mode_equal_the_written_out_layer(
    x_shape, argnum
) -> None:
    # A Hessian runs the rules themselves through forward mode: compare with x @ W + b
    # written out, which the engine differentiates through matmul and add instead.
    rng = np.random.default_rng(len(x_shape) + argnum)
    args = (rng.standard_normal(x_shape), rng.standard_normal((3, 2)), rng.standard_normal(2))
    fused = lambda x, w, b: np.sum(np.tanh(nn.linear(x, w, b)))
    plain = lambda x, w, b: np.sum(np.tanh(x @ w + b))
    np.testing.assert_allclose(
        gk.hessian(fused, argnums=argnum)(*args),
        gk.hessian(plain, argnums=argnum)(*args),
        rtol=1e-12,
        atol=1e-14,
    )
    layer = lambda a: nn.linear(*args[:argnum], a, *args[argnum + 1 :])
    written = lambda a: (lambda x, w, b: x @ w + b)(*args[:argnum], a, *args[argnum + 1 :])
    np.testing.assert_allclose(
        gk.jacfwd(layer)(args[argnum]), gk.jacrev(written)(args[argnum]), rtol=1e-13, atol=1e-15
    )
    gk.check_grads(fused, modes=("fwd", "rev"), order=2)(*args)


def test_linear_without_bias_and_with_mixed_dtypes_follows_numpy() -> None:
    x32 = np.ones((2, 3), dtype=np.float32)
    w32 = np.full((3, 2), 0.5, dtype=np.float32)
    assert nn.linear(x32, w32).dtype == np.float32
    out = nn.linear(x32, w32, np.array([1.0, 2.0]))  # a float64 bias promotes, as in NumPy
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [[2.5, 3.5], [2.5, 3.5]])
    g = gk.grad(lambda w: np.sum(nn.linear(x32, w)))(w32)
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g, np.full((3, 2), 2.0))


def test_linear_leaves_its_inputs_alone() -> None:
    x, w, b = np.ones((2, 2)), np.eye(2), np.array([1.0, -1.0])
    before = [a.copy() for a in (x, w, b)]
    nn.linear(x, w, b)
    gk.grad(lambda b: np.sum(nn.linear(x, w, b)))(b)
    for a, kept in zip((x, w, b), before):
        np.testing.assert_array_equal(a, kept)


@pytest.mark.parametrize(
    "x, w, b, message",
    [
        (
            np.ones((2, 3)),
            np.ones(3),
            None,
            r"weight must be a matrix \(in, out\); got shape \(3,\)",
        ),
        (np.ones((2, 4)), np.ones((3, 2)), None, r"x has shape \(2, 4\), whose last axis"),
        (np.ones(()), np.ones((3, 2)), None, r"x has shape \(\)"),
        (np.float64(2.0), np.ones((3, 2)), None, r"x has shape \(\)"),  # a NumPy scalar
        (np.ones((2, 3)), np.ones((3, 2)), np.float64(1.0), r"bias must have shape \(2,\)"),
        ([[1.0, 2.0, 3.0]], np.ones((3, 2)), [1.0], r"bias must have shape \(2,\)"),  # lists
        (np.ones((2, 3)), np.ones((3, 2)), np.ones(3), r"bias must have shape \(2,\)"),
        (np.ones((2, 3)), np.ones((3, 2)), np.ones((1, 2)), r"got \(1, 2\)"),
    ],
)
def test_linear_says_which_shape_is_wrong(x, w, b, message) -> None:
    with pytest.raises(ValueError, match=message) as plain:
        nn.linear(x, w, b)
    with pytest.raises(ValueError, match=message) as traced:
        gk.grad(lambda w: np.sum(nn.linear(x, w, b)))(w)
    for info in (plain, traced):  # our message alone, with no NumPy error chained to it
        assert info.value.__context__ is None


def test_cross_entropy_gradients_stay_right_when_graphs_share_or_interleave_logits() -> None:
    # The fused loss hands its forward softmax to its backward pass; check that this
    # never mixes up two losses: the same logits twice, two logits, and vjp called twice.
    rng = np.random.default_rng(8)
    z1, z2 = rng.standard_normal((4, 3)), rng.standard_normal((4, 3)) * 2
    y1, y2 = np.array([0, 1, 2, 1]), np.array([2, 2, 0, 1])

    def closed(z, y):
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        return (p - np.eye(3)[y]) / 4

    ce = nn.cross_entropy_with_logits
    g = gk.grad(lambda z: ce(z, y1) + 3.0 * ce(z, y2))(z1)
    np.testing.assert_allclose(g, closed(z1, y1) + 3.0 * closed(z1, y2), atol=1e-15)
    g1, g2 = gk.grad(lambda a, b: ce(a, y1) - ce(b, y2), argnums=(0, 1))(z1, z2)
    np.testing.assert_allclose(g1, closed(z1, y1), atol=1e-15)
    np.testing.assert_allclose(g2, -closed(z2, y2), atol=1e-15)
    _, back = gk.vjp(lambda z: ce(z, y1), z1)
    first, second = back(np.array(1.0))[0], back(np.array(-2.0))[0]
    np.testing.assert_allclose(first, closed(z1, y1), atol=1e-15)
    np.testing.assert_allclose(second, -2.0 * closed(z1, y1), atol=1e-15)


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("label_dtype", [np.int64, np.int32, np.uint8])
def test_cross_entropy_with_class_indices_for_any_layout_dtype_and_cotangent(
    order, dtype, label_dtype
) -> None:
    # The fused loss picks each row's label by its flat position and writes the gradient
    # there: check it against the closed form for column-major logits, float32, narrow
    # label types, and cotangents 0, negative and non-unit (vjp).
    rng = np.random.default_rng(21)
    z = np.asarray(rng.standard_normal((7, 5)) * 2.0, dtype=dtype, order=order)
    labels = rng.integers(0, 5, 7).astype(label_dtype)
    z64 = z.astype(np.float64)
    p = np.exp(z64 - z64.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    slope = (p - np.eye(5)[labels]) / 7
    want_value = -np.mean(np.log(p[np.arange(7), labels]))
    tol = 1e-6 if dtype == np.float32 else 1e-14
    ce = nn.cross_entropy_with_logits
    value, g = gk.value_and_grad(lambda z: ce(z, labels))(z)
    assert value.dtype == dtype and g.dtype == dtype and g.shape == z.shape
    assert float(value) == pytest.approx(want_value, rel=tol)
    np.testing.assert_allclose(g, slope, rtol=tol, atol=tol)
    for c in (0.0, -2.5, 1e-300):
        _, back = gk.vjp(lambda z: ce(z, labels), z)
        (gc,) = back(np.array(c, dtype=dtype))
        np.testing.assert_allclose(
            gc, np.asarray(c, dtype) * slope.astype(dtype), rtol=tol, atol=tol * abs(c)
        )
    # the empty batch: loss NaN, the mean of no samples (as in PyTorch and mse_loss; it
    # was 0, which reads as a perfect fit), gradient of shape (0, 5)
    value, g = gk.value_and_grad(lambda z: ce(z, labels[:0]))(z[:0])
    assert np.isnan(value) and value.dtype == dtype and g.shape == (0, 5)


def test_cross_entropy_of_a_row_with_no_finite_logit_is_nan_not_a_wrong_number() -> None:
    z = np.array([[0.0, 1.0], [-np.inf, -np.inf]])
    with np.errstate(divide="ignore", invalid="ignore"):  # log 0 and -inf - -inf, as NumPy
        value, g = gk.value_and_grad(lambda z: nn.cross_entropy_with_logits(z, np.array([1, 0])))(z)
        assert np.isnan(value)
        assert np.isnan(nn.cross_entropy_with_logits(z, np.array([1, 0])))
    assert np.isnan(g[1]).all()


def test_fused_binary_cross_entropy_matches_its_closed_forms() -> None:
    rng = np.random.default_rng(12)
    z = rng.standard_normal((5, 1)) * 4.0
    y = rng.integers(0, 2, (5, 1)).astype(float)
    loss = lambda z: nn.binary_cross_entropy_with_logits(z, y)
    s = 1.0 / (1.0 + np.exp(-z))
    value, g = gk.value_and_grad(loss)(z)
    assert value == pytest.approx(-np.mean(y * np.log(s) + (1 - y) * np.log(1 - s)), rel=1e-12)
    np.testing.assert_allclose(g, (s - y) / 5, atol=1e-15)
    # second derivative: sigmoid'(z) / size on the diagonal, in both compositions of modes
    want = np.diag((s * (1 - s)).ravel() / 5).reshape(5, 1, 5, 1)
    np.testing.assert_allclose(gk.hessian(loss)(z), want, atol=1e-15)
    np.testing.assert_allclose(gk.jacfwd(loss)(z), (s - y) / 5, atol=1e-15)
    graph = trace_graph(loss, z)
    assert [n.op for n in graph.nodes].count("binary_cross_entropy_with_logits") == 1


@pytest.mark.parametrize(
    "bad",
    [np.array([0.0, 1.5]), np.array([-0.1, 1.0]), np.array([np.nan, 1.0]), np.array([np.inf, 0.0])],
)
def test_binary_cross_entropy_refuses_labels_outside_zero_one(bad) -> None:
    z = np.zeros(2)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 1\]"):
        nn.binary_cross_entropy_with_logits(z, bad)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 1\]"):
        gk.grad(lambda z: nn.binary_cross_entropy_with_logits(z, bad))(z)
