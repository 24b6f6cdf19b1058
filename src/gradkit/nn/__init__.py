"""gradkit.nn: activations, losses, layers, training and data for small neural networks.

>>> import numpy as np
>>> import gradkit as gk
>>> float(gk.nn.sigmoid(0.0))
0.5
"""

from gradkit.nn.functional import (
    elu,
    elu_derivative,
    gelu,
    gelu_derivative,
    leaky_relu,
    leaky_relu_derivative,
    log_softmax,
    logsumexp,
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

__all__ = [
    "sigmoid",
    "relu",
    "tanh",
    "leaky_relu",
    "elu",
    "softplus",
    "gelu",
    "silu",
    "softmax",
    "log_softmax",
    "logsumexp",
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
]
