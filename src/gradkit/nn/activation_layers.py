"""Parameter-free layers: activation modules and ``Dropout``.

Each activation layer applies one function of :mod:`gradkit.nn.functional`, so the layer,
the function and its closed-form derivative share one definition.

>>> import numpy as np
>>> from gradkit.nn import Linear, Sequential
>>> model = Sequential(Linear(2, 2, rng=0), ReLU(), Dropout(0.5, rng=0))
>>> model.eval()(np.zeros((1, 2)))
array([[0., 0.]])
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from gradkit.nn import functional as F
from gradkit.nn.init import RNGLike, make_rng
from gradkit.nn.layers import Module, Params

__all__ = [
    "Activation",
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
]


class Activation(Module, abstract=True):
    """A parameter-free layer applying a function from :mod:`gradkit.nn.functional`."""

    function: ClassVar[Callable[..., Any]]

    def forward(self, params: Params, x: Any) -> Any:
        return type(self).function(x, **self.config())


class Sigmoid(Activation):
    """Apply :func:`~gradkit.nn.functional.sigmoid`.

    >>> Sigmoid()(np.array([0.0]))
    array([0.5])
    """

    function = staticmethod(F.sigmoid)


class ReLU(Activation):
    """Apply :func:`~gradkit.nn.functional.relu`.

    >>> ReLU()(np.array([-1.0, 2.0]))
    array([0., 2.])
    """

    function = staticmethod(F.relu)


class Tanh(Activation):
    """Apply :func:`~gradkit.nn.functional.tanh`.

    >>> Tanh()(np.array([0.0]))
    array([0.])
    """

    function = staticmethod(F.tanh)


class Softplus(Activation):
    """Apply :func:`~gradkit.nn.functional.softplus`.

    >>> Softplus()(np.array([0.0]))
    array([0.69314718])
    """

    function = staticmethod(F.softplus)


class GELU(Activation):
    """Apply :func:`~gradkit.nn.functional.gelu` (tanh form unless ``approximate=False``).

    >>> GELU()(np.array([0.0]))
    array([0.])
    >>> GELU(approximate=False).config()
    {'approximate': False}
    """

    function = staticmethod(F.gelu)

    def __init__(self, approximate: bool = True) -> None:
        super().__init__()
        self.approximate = F._check_approximate(approximate)

    def config(self) -> dict[str, Any]:
        return {"approximate": self.approximate}


class SiLU(Activation):
    """Apply :func:`~gradkit.nn.functional.silu`.

    >>> SiLU()(np.array([0.0]))
    array([0.])
    """

    function = staticmethod(F.silu)


class LeakyReLU(Activation):
    """Apply :func:`~gradkit.nn.functional.leaky_relu` with slope ``negative_slope`` below 0.

    >>> LeakyReLU(0.1)(np.array([-1.0, 2.0]))
    array([-0.1,  2. ])
    """

    function = staticmethod(F.leaky_relu)

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = float(negative_slope)

    def config(self) -> dict[str, Any]:
        return {"negative_slope": self.negative_slope}


class ELU(Activation):
    """Apply :func:`~gradkit.nn.functional.elu`.

    >>> ELU()(np.array([0.0, 2.0]))
    array([0., 2.])
    """

    function = staticmethod(F.elu)

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = float(alpha)

    def config(self) -> dict[str, Any]:
        return {"alpha": self.alpha}


class Softmax(Activation):
    """Apply :func:`~gradkit.nn.functional.softmax` along ``axis``.

    >>> Softmax()(np.array([[0.0, 0.0]]))
    array([[0.5, 0.5]])
    """

    function = staticmethod(F.softmax)

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        self.axis = int(axis)

    def config(self) -> dict[str, Any]:
        return {"axis": self.axis}


class LogSoftmax(Softmax):
    """Apply :func:`~gradkit.nn.functional.log_softmax` along ``axis``.

    >>> LogSoftmax()(np.array([[0.0, 0.0]]))
    array([[-0.69314718, -0.69314718]])
    """

    function = staticmethod(F.log_softmax)


class Dropout(Module):
    """Zero each input with probability ``p`` while training, scaling the rest by 1/(1-p).

    In evaluation mode (``model.eval()``) it passes inputs through unchanged, so the
    expected activation is the same in both modes. The masks are constants for
    differentiation: gradients flow only through the kept units.

    Args:
        p: drop probability, ``0 <= p < 1``.
        rng: seed or generator for the masks.

    >>> layer = Dropout(0.5, rng=0)
    >>> out = layer(np.ones((1, 1000)))
    >>> sorted(set(out.ravel().tolist())), bool(0.4 < out.mean() < 1.6)
    ([0.0, 2.0], True)
    >>> layer.eval()(np.ones((1, 3)))
    array([[1., 1., 1.]])
    """

    def __init__(self, p: float = 0.5, rng: RNGLike = None) -> None:
        super().__init__()
        if (
            isinstance(p, (bool, np.bool_))
            or not isinstance(p, numbers.Real)
            or not (0.0 <= p < 1.0)
        ):
            raise ValueError(f"Dropout: p must be a probability in [0, 1), got {p!r}")
        self.p = float(p)
        self._rng = make_rng(rng)

    def forward(self, params: Params, x: Any) -> Any:
        if not self.training or self.p == 0.0:
            return x
        keep = self._rng.random(tuple(x.shape)) >= self.p
        return x * (keep / (1.0 - self.p))

    def config(self) -> dict[str, Any]:
        return {"p": self.p}
