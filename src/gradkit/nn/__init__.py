"""gradkit.nn: activations, losses, layers, training and data for small neural networks.

Everything here is plain NumPy that ``gk.grad`` differentiates. The pieces:

- :mod:`~gradkit.nn.functional`: activations and their closed-form derivatives;
- :mod:`~gradkit.nn.losses`: losses and their closed-form gradients;
- :mod:`~gradkit.nn.layers`: ``Module``, ``Linear``, ``Sequential``, activation layers,
  ``Dropout``; :mod:`~gradkit.nn.init`: initializers;
- the layers past the MLP, with torch's arguments and weight layouts:
  :mod:`~gradkit.nn.conv_layers` (convolution, pooling), :mod:`~gradkit.nn.norm_layers`
  (batch, layer and group normalization, ``Embedding``), :mod:`~gradkit.nn.recurrent_layers`
  (``RNN``, ``LSTM``, ``GRU``), :mod:`~gradkit.nn.attention_layers` (``MultiheadAttention``,
  ``TransformerEncoderLayer``), :mod:`~gradkit.nn.containers` (``ModuleList``,
  ``ModuleDict``, ``Flatten``, ``Identity``); their functional forms are in
  ``gk.nn.functional`` (``conv2d``, ``max_pool2d``, ``layer_norm``,
  ``scaled_dot_product_attention``, ...);
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
from gradkit.nn.attention_layers import MultiheadAttention, TransformerEncoderLayer
from gradkit.nn.callbacks import (
    EarlyStopping,
    KeepBest,
    StepOnPlateau,
    batches,
    pad_sequences,
)
from gradkit.nn.containers import Container, Flatten, Identity, ModuleDict, ModuleList
from gradkit.nn.conv_layers import (
    AdaptiveAvgPool2d,
    AvgPool1d,
    AvgPool2d,
    Conv1d,
    Conv2d,
    ConvTranspose2d,
    MaxPool1d,
    MaxPool2d,
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
from gradkit.nn.norm_layers import BatchNorm1d, BatchNorm2d, Embedding, GroupNorm, LayerNorm
from gradkit.nn.recurrent_layers import GRU, LSTM, RNN
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
    "Conv1d",
    "Conv2d",
    "ConvTranspose2d",
    "MaxPool1d",
    "MaxPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "AdaptiveAvgPool2d",
    "BatchNorm1d",
    "BatchNorm2d",
    "LayerNorm",
    "GroupNorm",
    "Embedding",
    "RNN",
    "LSTM",
    "GRU",
    "MultiheadAttention",
    "TransformerEncoderLayer",
    "Container",
    "Flatten",
    "Identity",
    "ModuleList",
    "ModuleDict",
    # training
    "fit",
    "EarlyStopping",
    "KeepBest",
    "StepOnPlateau",
    "batches",
    "pad_sequences",
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
