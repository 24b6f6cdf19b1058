"""The tutorial's two-layer sigmoid network, with hand-written backpropagation.

``SimpleNeuralNetwork`` keeps the tutorial's names and arithmetic (``forward``,
``backward(X, y, learning_rate)``, ``compute_loss``; weights ``(in, out)`` drawn as
``0.01 * randn``) and makes it robust: a stable sigmoid, input checks, and a clear
account of what the backward pass differentiates.

**What backward differentiates.** ``compute_loss`` reports the mean squared error, but
the backward pass starts from ``dz2 = a2 - y``. That is the gradient, with respect to
the output pre-activation ``z2``, of the *binary cross-entropy* of ``a2 = sigmoid(z2)``
(summed over outputs, averaged over the ``m`` samples: the ``/ m`` in ``dW2``), not of
the MSE -- whose gradient would carry an extra factor ``2 a2 (1 - a2) / n_outputs``.
So the tutorial trains on cross-entropy and prints MSE. :meth:`objective` is that
cross-entropy, and the tests check that ``gradients`` equals ``gk.grad(objective)``.

>>> from gradkit.nn.datasets import tutorial_data
>>> X, y = tutorial_data()
>>> net = SimpleNeuralNetwork(2, 4, 1, rng=0)
>>> losses = net.train(X, y, epochs=1000, learning_rate=0.1)  # the tutorial's settings
>>> net.accuracy(X, y) >= 0.95, round(losses[-1], 3)
(True, 0.041)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradkit.nn.activation_layers import Sigmoid
from gradkit.nn.functional import sigmoid as _sigmoid
from gradkit.nn.functional import sigmoid_derivative_from_output
from gradkit.nn.init import make_rng
from gradkit.nn.layers import Linear, Sequential
from gradkit.nn.losses import binary_cross_entropy_with_logits

__all__ = ["SimpleNeuralNetwork", "tutorial_model"]


def _check_size(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


class SimpleNeuralNetwork:
    """The tutorial's network: ``input -> sigmoid hidden layer -> sigmoid output``.

    Args:
        input_size: features per sample.
        hidden_size: hidden units.
        output_size: outputs per sample.
        rng: where the ``0.01 * randn`` weights come from: ``None`` uses NumPy's global
            generator exactly as the tutorial does (so ``np.random.seed(42)`` before
            drawing the data reproduces it); an ``int`` seed, a ``Generator`` or a
            ``RandomState`` gives a private stream.

    >>> net = SimpleNeuralNetwork(2, 4, 1, rng=0)
    >>> net.W1.shape, net.b1.shape, net.W2.shape, net.b2.shape
    ((2, 4), (4,), (4, 1), (1,))
    """

    def __init__(
        self, input_size: int, hidden_size: int, output_size: int, rng: Any = None
    ) -> None:
        self.input_size = _check_size("input_size", input_size)
        self.hidden_size = _check_size("hidden_size", hidden_size)
        self.output_size = _check_size("output_size", output_size)
        # The tutorial draws from the global legacy stream; keep that when no rng is given.
        generator = np.random if rng is None else make_rng(rng)
        draw = lambda *shape: generator.standard_normal(shape)
        self.W1 = draw(self.input_size, self.hidden_size) * 0.01
        self.b1 = np.zeros(self.hidden_size)
        self.W2 = draw(self.hidden_size, self.output_size) * 0.01
        self.b2 = np.zeros(self.output_size)

    # -- the tutorial's methods ---------------------------------------------------------
    @staticmethod
    def sigmoid(x: Any) -> Any:
        """Return the stable sigmoid of ``x`` (:func:`gradkit.nn.functional.sigmoid`).

        >>> float(SimpleNeuralNetwork.sigmoid(-1000.0))
        0.0
        """
        return _sigmoid(x)

    @staticmethod
    def sigmoid_derivative(a: Any) -> Any:
        """Return ``a * (1 - a)``: as in the tutorial, ``a`` is the sigmoid's *output*.

        (:func:`gradkit.nn.functional.sigmoid_derivative` takes the input instead.)

        >>> float(SimpleNeuralNetwork.sigmoid_derivative(0.5))
        0.25
        """
        return sigmoid_derivative_from_output(a)

    def _check_inputs(self, X: Any) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.input_size:
            raise ValueError(f"X must have shape (n_samples, {self.input_size}); got {X.shape}")
        return X

    def _check_targets(self, X: np.ndarray, y: Any) -> np.ndarray:
        y = np.asarray(y, dtype=float)
        if y.ndim == 1 and self.output_size == 1:
            y = y.reshape(-1, 1)
        if y.shape != (X.shape[0], self.output_size):
            raise ValueError(
                f"y must have shape ({X.shape[0]}, {self.output_size}) to match X and the "
                f"output size; got {y.shape}"
            )
        return y

    def forward(self, X: Any) -> np.ndarray:
        """Return the network's outputs ``a2`` for inputs ``X`` (keeping ``z1, a1, z2``).

        >>> SimpleNeuralNetwork(2, 3, 1, rng=0).forward(np.zeros((1, 2)))
        array([[0.5]])
        """
        X = self._check_inputs(X)
        self.z1 = X @ self.W1 + self.b1
        self.a1 = self.sigmoid(self.z1)
        self.z2 = self.a1 @ self.W2 + self.b2
        self.a2 = self.sigmoid(self.z2)
        return self.a2

    def gradients(self, X: Any, y: Any) -> dict[str, np.ndarray]:
        """Return the hand-derived gradients ``{"W1", "b1", "W2", "b2"}`` of :meth:`objective`.

        Runs :meth:`forward` first, then the tutorial's chain rule.

        >>> net = SimpleNeuralNetwork(2, 3, 1, rng=0)
        >>> sorted(net.gradients(np.ones((4, 2)), np.ones((4, 1))))
        ['W1', 'W2', 'b1', 'b2']
        """
        X = self._check_inputs(X)
        y = self._check_targets(X, y)
        self.forward(X)
        m = X.shape[0]
        dz2 = self.a2 - y
        dW2 = (self.a1.T @ dz2) / m
        db2 = np.sum(dz2, axis=0) / m
        dz1 = (dz2 @ self.W2.T) * self.sigmoid_derivative(self.a1)
        dW1 = (X.T @ dz1) / m
        db1 = np.sum(dz1, axis=0) / m
        return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}

    def backward(self, X: Any, y: Any, learning_rate: float = 0.1) -> None:
        """Take one gradient-descent step of size ``learning_rate`` (the tutorial's update).

        >>> net = SimpleNeuralNetwork(2, 3, 1, rng=0)
        >>> X, y = np.ones((4, 2)), np.ones((4, 1))
        >>> before = net.objective(net.params, X, y)
        >>> net.backward(X, y, learning_rate=1.0)
        >>> bool(net.objective(net.params, X, y) < before)
        True
        """
        grads = self.gradients(X, y)
        self.W2 -= learning_rate * grads["W2"]
        self.b2 -= learning_rate * grads["b2"]
        self.W1 -= learning_rate * grads["W1"]
        self.b1 -= learning_rate * grads["b1"]

    def compute_loss(self, y_pred: Any, y_true: Any) -> float:
        """Return the mean squared error the tutorial prints (not what backward minimizes).

        >>> SimpleNeuralNetwork(1, 1, 1).compute_loss(np.array([0.5]), np.array([1.0]))
        0.25
        """
        diff = np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)
        return float(np.mean(diff * diff))

    # -- additions ----------------------------------------------------------------------
    @property
    def params(self) -> dict[str, np.ndarray]:
        """The weights as a dict ``{"W1", "b1", "W2", "b2"}`` (the arrays themselves).

        >>> sorted(SimpleNeuralNetwork(2, 3, 1, rng=0).params)
        ['W1', 'W2', 'b1', 'b2']
        """
        return {"W1": self.W1, "b1": self.b1, "W2": self.W2, "b2": self.b2}

    @staticmethod
    def objective(params: dict[str, Any], X: Any, y: Any) -> Any:
        """Return the loss that :meth:`backward` really differentiates.

        Binary cross-entropy of the sigmoid outputs, summed over outputs and averaged
        over samples, computed from the logits ``z2`` for stability. Differentiable by
        ``gk.grad`` with respect to ``params``.

        Args:
            params: ``{"W1", "b1", "W2", "b2"}``.
            X: inputs ``(m, input_size)``.
            y: targets in [0, 1], ``(m, output_size)``.

        >>> import gradkit as gk
        >>> net = SimpleNeuralNetwork(2, 3, 1, rng=0)
        >>> X, y = np.ones((4, 2)), np.ones((4, 1))
        >>> auto = gk.grad(SimpleNeuralNetwork.objective)(net.params, X, y)
        >>> bool(np.allclose(auto["W2"], net.gradients(X, y)["W2"]))
        True
        """
        hidden = _sigmoid(X @ params["W1"] + params["b1"])
        logits = hidden @ params["W2"] + params["b2"]
        outputs = np.shape(y)[-1] if np.ndim(y) > 1 else 1
        return outputs * binary_cross_entropy_with_logits(logits, y)

    def train(
        self, X: Any, y: Any, epochs: int = 1000, learning_rate: float = 0.1, verbose: bool = False
    ) -> list[float]:
        """Run the tutorial's training loop; return the MSE before each step.

        Args:
            X: inputs.
            y: targets.
            epochs: full-batch steps.
            learning_rate: step size.
            verbose: print the loss every 100 epochs, as the tutorial does.

        >>> net = SimpleNeuralNetwork(1, 2, 1, rng=0)
        >>> losses = net.train([[0.0], [1.0]], [0.0, 1.0], epochs=3)
        >>> len(losses), losses[-1] < losses[0]
        (3, True)
        """
        X = self._check_inputs(X)
        y = self._check_targets(X, y)
        losses = []
        for epoch in range(int(epochs)):
            loss = self.compute_loss(self.forward(X), y)
            losses.append(loss)
            self.backward(X, y, learning_rate)
            if verbose and epoch % 100 == 0:
                print(f"Epoch {epoch}, Loss: {loss:.6f}")
        return losses

    def predict(self, X: Any) -> np.ndarray:
        """Return 0/1 predictions: outputs above 0.5 are class 1.

        >>> SimpleNeuralNetwork(2, 2, 1, rng=0).predict(np.zeros((2, 2))).shape
        (2, 1)
        """
        return (self.forward(X) > 0.5).astype(np.int64)

    def accuracy(self, X: Any, y: Any) -> float:
        """Return the fraction of samples whose 0/1 prediction equals ``y``.

        >>> SimpleNeuralNetwork(1, 2, 1, rng=0).accuracy([[0.0], [1.0]], [1.0, 1.0])
        1.0
        """
        X = self._check_inputs(X)
        y = self._check_targets(X, y)
        return float(np.mean(self.predict(X) == (y > 0.5)))

    def to_sequential(self) -> Sequential:
        """Return the same network, with the same weights, as a :class:`Sequential`.

        >>> net = SimpleNeuralNetwork(2, 3, 1, rng=0)
        >>> X = np.ones((2, 2))
        >>> bool(np.allclose(net.to_sequential()(X), net.forward(X)))
        True
        """
        model = tutorial_model(self.input_size, self.hidden_size, self.output_size)
        model.params = {
            "0.weight": self.W1,
            "0.bias": self.b1,
            "2.weight": self.W2,
            "2.bias": self.b2,
        }
        return model


def tutorial_model(
    input_size: int = 2, hidden_size: int = 4, output_size: int = 1, rng: Any = None
) -> Sequential:
    """Return the tutorial's network built from layers, ``0.01 * randn`` initialized.

    ``Linear -> Sigmoid -> Linear -> Sigmoid``; train it with
    ``fit(model, X, y, loss="binary_cross_entropy", ...)`` for the loss the tutorial's
    backward pass minimizes.

    >>> tutorial_model(rng=0)
    Sequential(
      (0): Linear(in_features=2, out_features=4, bias=True)
      (1): Sigmoid()
      (2): Linear(in_features=4, out_features=1, bias=True)
      (3): Sigmoid()
    )
    """
    generator = make_rng(rng)
    return Sequential(
        Linear(input_size, hidden_size, init="tutorial", rng=generator),
        Sigmoid(),
        Linear(hidden_size, output_size, init="tutorial", rng=generator),
        Sigmoid(),
    )
