"""gradkit.nn: activations, losses, layers, training and data for small neural networks.

Everything here is plain NumPy that ``gk.grad`` differentiates. The pieces:

- :mod:`~gradkit.nn.functional`: activations and their closed-form derivatives;
- :mod:`~gradkit.nn.losses`: losses and their closed-form gradients;
- :mod:`~gradkit.nn.layers`: ``Module``, ``Linear``, ``Sequential``, activation layers,
  ``Dropout``; :mod:`~gradkit.nn.init`: initializers;
- :mod:`~gradkit.nn.training`: ``fit`` and its ``History``;
- :mod:`~gradkit.nn.datasets`: the tutorial's data, two moons, spirals, UCI digits;
- :mod:`~gradkit.nn.tutorial`: the tutorial's ``SimpleNeuralNetwork``;
- :mod:`~gradkit.nn.io`: ``save`` and ``load``.

>>> import numpy as np
>>> import gradkit as gk
>>> float(gk.nn.sigmoid(0.0))
0.5
>>> model = gk.nn.Sequential(gk.nn.Linear(64, 10, rng=0))
>>> model(np.zeros((2, 64))).shape
(2, 10)
"""

from gradkit.nn import datasets, init
from gradkit.nn.activation_layers import (
    ELU,
    GELU,
    Dropout,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from gradkit.nn.functional import (
    elu,
    elu_derivative,
    gelu,
    gelu_derivative,
    leaky_relu,
    leaky_relu_derivative,
    linear,
    log_softmax,
    logsumexp,
    normal_cdf,
    relu,
    relu_derivative,
    sigmoid,
    sigmoid_derivative,
    sigmoid_derivative_from_output,
    silu,
    silu_derivative,
    softmax,
    softmax_jacobian,
    softplus,
    softplus_derivative,
    tanh,
    tanh_derivative,
)
from gradkit.nn.io import load, save
from gradkit.nn.layers import Linear, Module, ParameterError, Sequential
from gradkit.nn.losses import (
    binary_cross_entropy,
    binary_cross_entropy_gradient,
    binary_cross_entropy_with_logits,
    binary_cross_entropy_with_logits_gradient,
    cross_entropy_gradient,
    cross_entropy_loss,
    cross_entropy_with_logits,
    cross_entropy_with_logits_gradient,
    huber_gradient,
    huber_loss,
    mse_gradient,
    mse_loss,
    one_hot,
)
from gradkit.nn.training import History, TrainingDivergedWarning, evaluate, fit
from gradkit.nn.tutorial import SimpleNeuralNetwork, tutorial_model

__all__ = [
    # activations
    "sigmoid",
    "relu",
    "linear",
    "tanh",
    "leaky_relu",
    "elu",
    "softplus",
    "gelu",
    "silu",
    "softmax",
    "log_softmax",
    "logsumexp",
    # their derivatives
    "sigmoid_derivative",
    "sigmoid_derivative_from_output",
    "relu_derivative",
    "tanh_derivative",
    "leaky_relu_derivative",
    "elu_derivative",
    "softplus_derivative",
    "gelu_derivative",
    "silu_derivative",
    "softmax_jacobian",
    "normal_cdf",
    # losses and their gradients
    "mse_loss",
    "mse_gradient",
    "cross_entropy_loss",
    "cross_entropy_gradient",
    "binary_cross_entropy",
    "binary_cross_entropy_gradient",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy_with_logits_gradient",
    "cross_entropy_with_logits",
    "cross_entropy_with_logits_gradient",
    "huber_loss",
    "huber_gradient",
    "one_hot",
    # layers
    "Module",
    "ParameterError",
    "Linear",
    "Sequential",
    "Sigmoid",
    "ReLU",
    "Tanh",
    "LeakyReLU",
    "ELU",
    "Softplus",
    "GELU",
    "SiLU",
    "Softmax",
    "LogSoftmax",
    "Dropout",
    # training
    "fit",
    "evaluate",
    "History",
    "TrainingDivergedWarning",
    # the rest
    "SimpleNeuralNetwork",
    "tutorial_model",
    "save",
    "load",
    "datasets",
    "init",
]
