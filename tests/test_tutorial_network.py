"""The tutorial's SimpleNeuralNetwork: what its hand-written backward pass really computes.

The tutorial trains a 2-4-1 sigmoid network, reports the mean squared error, and
backpropagates ``dz2 = a2 - y``. That is not the gradient of the MSE: it is the gradient
of the mean binary cross-entropy through the output sigmoid,

    L(W1, b1, W2, b2) = (1/m) sum_i sum_k [ -y log a2 - (1 - y) log(1 - a2) ],

because d/dz [BCE(sigmoid(z), y)] = sigmoid(z) - y. These tests show both halves with
gk.grad: the hand-written dW1, db1, dW2, db2 equal the gradient of L to 1e-10, and they
differ from the gradient of the MSE the tutorial prints.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradkit as gk


class SimpleNeuralNetwork:
    """The tutorial's class, unchanged except that backward's gradient lines are also
    available on their own (``gradients``) so the test can read them."""

    def __init__(self, input_size, hidden_size, output_size):
        # Initialize weights
        self.W1 = np.random.randn(input_size, hidden_size) * 0.01
        self.b1 = np.zeros(hidden_size)
        self.W2 = np.random.randn(hidden_size, output_size) * 0.01
        self.b2 = np.zeros(output_size)

    def sigmoid(self, x):
        return 1 / (1 + np.exp(-x))

    def sigmoid_derivative(self, x):
        return x * (1 - x)

    def forward(self, X):
        # Forward pass
        self.z1 = X @ self.W1 + self.b1
        self.a1 = self.sigmoid(self.z1)
        self.z2 = self.a1 @ self.W2 + self.b2
        self.a2 = self.sigmoid(self.z2)
        return self.a2

    def gradients(self, X, y):
        m = X.shape[0]

        # Backward pass (chain rule)
        # Output layer
        dz2 = self.a2 - y
        dW2 = (self.a1.T @ dz2) / m
        db2 = np.sum(dz2, axis=0) / m

        # Hidden layer
        dz1 = (dz2 @ self.W2.T) * self.sigmoid_derivative(self.a1)
        dW1 = (X.T @ dz1) / m
        db1 = np.sum(dz1, axis=0) / m
        return dW1, db1, dW2, db2

    def backward(self, X, y, learning_rate=0.1):
        dW1, db1, dW2, db2 = self.gradients(X, y)

        # Update weights
        self.W2 -= learning_rate * dW2
        self.b2 -= learning_rate * db2
        self.W1 -= learning_rate * dW1
        self.b1 -= learning_rate * db1

    def compute_loss(self, y_pred, y_true):
        return np.mean((y_pred - y_true) ** 2)


def _forward(params, X):
    z1 = X @ params["W1"] + params["b1"]
    a1 = 1 / (1 + np.exp(-z1))
    z2 = a1 @ params["W2"] + params["b2"]
    return 1 / (1 + np.exp(-z2))


def bce_loss(params, X, y):
    """Binary cross-entropy, summed over outputs and averaged over the m samples."""
    a2 = _forward(params, X)
    return np.sum(-y * np.log(a2) - (1 - y) * np.log(1 - a2)) / X.shape[0]


def mse_loss(params, X, y):
    """The loss the tutorial reports: np.mean((a2 - y) ** 2)."""
    return np.mean((_forward(params, X) - y) ** 2)


def _params(net: SimpleNeuralNetwork) -> dict:
    return {"W1": net.W1.copy(), "b1": net.b1.copy(), "W2": net.W2.copy(), "b2": net.b2.copy()}


def _tutorial_setup(epochs: int) -> tuple:
    """The tutorial's data and network (seed 42), trained for ``epochs`` of its own loop."""
    np.random.seed(42)
    X = np.random.randn(100, 2)
    y = (X[:, 0] + X[:, 1] > 0).astype(float).reshape(-1, 1)
    net = SimpleNeuralNetwork(input_size=2, hidden_size=4, output_size=1)
    for _ in range(epochs):
        net.forward(X)
        net.backward(X, y, learning_rate=0.1)
    net.forward(X)
    return net, X, y


def _assert_equal_to_1e_10(hand: tuple, auto: dict) -> None:
    for name, h in zip(("W1", "b1", "W2", "b2"), hand):
        assert h.shape == auto[name].shape, name
        np.testing.assert_allclose(h, auto[name], rtol=1e-10, atol=1e-15, err_msg=name)


@pytest.mark.parametrize("epochs", [0, 1, 300])
def test_hand_written_gradients_are_the_gradient_of_bce(epochs: int) -> None:
    net, X, y = _tutorial_setup(epochs)
    hand = net.gradients(X, y)
    auto = gk.grad(bce_loss)(_params(net), X, y)
    _assert_equal_to_1e_10(hand, auto)


@pytest.mark.parametrize("epochs", [0, 300])
def test_hand_written_gradients_are_not_the_gradient_of_the_reported_mse(epochs: int) -> None:
    net, X, y = _tutorial_setup(epochs)
    hand = net.gradients(X, y)
    assert net.compute_loss(net.a2, y) == pytest.approx(mse_loss(_params(net), X, y))
    auto_mse = gk.grad(mse_loss)(_params(net), X, y)
    for name, h in zip(("W1", "b1", "W2", "b2"), hand):
        assert not np.allclose(h, auto_mse[name], rtol=0.1, atol=0.0), name
    # The true MSE backward pass, by hand: dz2 = 2 (a2 - y) a2 (1 - a2) / (m k).
    a2, a1, m = net.a2, net.a1, X.shape[0]
    dz2 = 2 * (a2 - y) * a2 * (1 - a2) / a2.size
    np.testing.assert_allclose(auto_mse["W2"], a1.T @ dz2, rtol=1e-10)
    np.testing.assert_allclose(auto_mse["b2"], np.sum(dz2, axis=0), rtol=1e-10)
    assert m == a2.size  # one output: the mean over entries is the mean over samples


@settings(max_examples=15, deadline=None)
@given(
    sizes=st.tuples(st.integers(1, 4), st.integers(1, 5), st.integers(1, 3)),
    m=st.integers(1, 12),
    seed=st.integers(0, 2**32 - 1),
)
def test_bce_identity_for_random_network_sizes(sizes, m: int, seed: int) -> None:
    """With several outputs the hand-written pass is BCE summed over outputs, averaged
    over samples: the 1/m in dW2 divides by the number of samples only."""
    n_in, n_hidden, n_out = sizes
    rng = np.random.default_rng(seed)
    np.random.seed(seed % 2**31)
    net = SimpleNeuralNetwork(n_in, n_hidden, n_out)
    net.W1 = rng.standard_normal(net.W1.shape)
    net.W2 = rng.standard_normal(net.W2.shape)
    net.b1 = rng.standard_normal(net.b1.shape)
    net.b2 = rng.standard_normal(net.b2.shape)
    X = rng.standard_normal((m, n_in))
    y = (rng.random((m, n_out)) < 0.5).astype(float)
    net.forward(X)
    _assert_equal_to_1e_10(net.gradients(X, y), gk.grad(bce_loss)(_params(net), X, y))


def test_one_tutorial_step_equals_one_gradient_descent_step_on_bce() -> None:
    net, X, y = _tutorial_setup(5)
    params = _params(net)
    g = gk.grad(bce_loss)(params, X, y)
    net.backward(X, y, learning_rate=0.1)
    for name in params:
        np.testing.assert_allclose(
            getattr(net, name), params[name] - 0.1 * g[name], rtol=1e-12, atol=1e-15
        )
