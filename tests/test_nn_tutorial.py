"""The tutorial's SimpleNeuralNetwork: faithful to the tutorial, and it learns."""

import numpy as np
import pytest

import gradkit.nn as nn
from gradkit.nn.datasets import tutorial_data


def tutorial_reference_run(epochs=1000, learning_rate=0.1):
    """The tutorial's own code (with its sigmoid), run on its own data and seed."""
    saved = np.random.get_state()
    try:
        np.random.seed(42)
        X = np.random.randn(100, 2)
        y = (X[:, 0] + X[:, 1] > 0).astype(float).reshape(-1, 1)
        W1 = np.random.randn(2, 4) * 0.01
        b1 = np.zeros(4)
        W2 = np.random.randn(4, 1) * 0.01
        b2 = np.zeros(1)
    finally:
        np.random.set_state(saved)
    sig = lambda x: 1 / (1 + np.exp(-x))
    losses = []
    for _ in range(epochs):
        a1 = sig(X @ W1 + b1)
        a2 = sig(a1 @ W2 + b2)
        losses.append(np.mean((a2 - y) ** 2))
        dz2 = a2 - y
        dW2 = a1.T @ dz2 / 100
        db2 = dz2.sum(0) / 100
        dz1 = dz2 @ W2.T * a1 * (1 - a1)
        dW1 = X.T @ dz1 / 100
        db1 = dz1.sum(0) / 100
        W2 -= learning_rate * dW2
        b2 -= learning_rate * db2
        W1 -= learning_rate * dW1
        b1 -= learning_rate * db1
    return losses, (W1, b1, W2, b2)


def test_reproduces_the_tutorials_run_step_for_step():
    expected_losses, expected_weights = tutorial_reference_run(epochs=200)
    state = np.random.RandomState(42)
    X = state.randn(100, 2)
    y = (X[:, 0] + X[:, 1] > 0).astype(float).reshape(-1, 1)
    net = nn.SimpleNeuralNetwork(2, 4, 1, rng=state)
    losses = net.train(X, y, epochs=200, learning_rate=0.1)
    np.testing.assert_allclose(losses, expected_losses, rtol=1e-12)
    for got, want in zip((net.W1, net.b1, net.W2, net.b2), expected_weights):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-15)


def test_global_generator_is_used_like_the_tutorial_when_no_rng_is_given():
    saved = np.random.get_state()
    try:
        np.random.seed(42)
        np.random.randn(100, 2)
        net = nn.SimpleNeuralNetwork(2, 4, 1)
        np.random.seed(42)
        np.random.randn(100, 2)
        expected = np.random.randn(2, 4) * 0.01
    finally:
        np.random.set_state(saved)
    np.testing.assert_array_equal(net.W1, expected)


def test_trains_the_tutorial_data_to_at_least_95_percent():
    X, y = tutorial_data()
    net = nn.SimpleNeuralNetwork(2, 4, 1, rng=0)
    losses = net.train(X, y, epochs=1000, learning_rate=0.1)
    assert net.accuracy(X, y) >= 0.95
    assert losses[-1] < losses[0] / 4
    # the tutorial's test points
    predictions = net.forward(np.array([[1, 1], [-1, -1], [1, -1]]))[:, 0]
    assert predictions[0] > 0.9 and predictions[1] < 0.1


def test_hand_gradients_match_finite_differences_of_the_cross_entropy_not_the_mse():
    X, y = tutorial_data(20)
    net = nn.SimpleNeuralNetwork(2, 3, 1, rng=1)
    net.W1 *= 100  # leave the flat start so the two losses' gradients really differ
    net.W2 *= 100
    hand = net.gradients(X, y)
    params = {k: v.copy() for k, v in net.params.items()}

    def numeric(loss):
        out = {}
        for name, value in params.items():
            grad = np.zeros_like(value)
            for index in np.ndindex(value.shape):
                for sign in (1, -1):
                    shifted = {k: v.copy() for k, v in params.items()}
                    shifted[name][index] += sign * 1e-6
                    grad[index] += sign * loss(shifted) / 2e-6
            out[name] = grad
        return out

    bce = numeric(lambda p: float(nn.SimpleNeuralNetwork.objective(p, X, y)))
    for name in params:
        np.testing.assert_allclose(hand[name], bce[name], rtol=1e-5, atol=1e-9)

    def mse(p):
        a2 = nn.sigmoid(nn.sigmoid(X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"])
        return net.compute_loss(a2, y)

    mse_grad = numeric(mse)
    assert not np.allclose(hand["W2"], mse_grad["W2"], rtol=1e-2)


def test_sequential_twin_computes_the_same_outputs():
    net = nn.SimpleNeuralNetwork(2, 4, 1, rng=3)
    X, _ = tutorial_data()
    np.testing.assert_allclose(net.to_sequential()(X), net.forward(X), rtol=1e-14)
    model = nn.tutorial_model(rng=0)
    assert [type(layer).__name__ for layer in model] == ["Linear", "Sigmoid", "Linear", "Sigmoid"]
    assert np.std(model.params["0.weight"]) < 0.05  # the tutorial's 0.01 * randn


def test_the_tutorial_class_keeps_its_sigmoid_derivative_convention():
    a = nn.sigmoid(np.array([0.3]))
    assert nn.SimpleNeuralNetwork.sigmoid_derivative(a) == pytest.approx(
        float(nn.sigmoid_derivative(np.array([0.3]))[0])
    )


def test_shape_errors():
    net = nn.SimpleNeuralNetwork(2, 4, 1, rng=0)
    with pytest.raises(ValueError, match=r"X must have shape \(n_samples, 2\)"):
        net.forward(np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"y must have shape \(3, 1\)"):
        net.backward(np.zeros((3, 2)), np.zeros((4, 1)))
    with pytest.raises(ValueError, match="hidden_size"):
        nn.SimpleNeuralNetwork(2, 0, 1)
