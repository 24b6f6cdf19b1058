"""Weight initializers with a seedable random generator.

Weights are laid out ``(fan_in, fan_out)`` — ``(in_features, out_features)`` — as in the
tutorial, so a layer computes ``x @ W + b`` (PyTorch stores the transpose and computes
``x @ W.T + b``).

Every initializer takes ``rng``: ``None`` (fresh entropy), an ``int`` seed, a
``numpy.random.Generator``, or a legacy ``numpy.random.RandomState`` (which is how the
tutorial's ``np.random.seed(42); np.random.randn(...)`` is reproduced exactly).

>>> w = xavier_uniform((64, 10), rng=0)
>>> w.shape, bool(np.all(np.abs(w) <= np.sqrt(6 / 74)))
((64, 10), True)
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

__all__ = [
    "RNGLike",
    "make_rng",
    "xavier_uniform",
    "xavier_normal",
    "glorot_uniform",
    "glorot_normal",
    "he_normal",
    "he_uniform",
    "kaiming_normal",
    "kaiming_uniform",
    "tutorial_normal",
    "zeros",
    "get_initializer",
]

RNGLike = None | int | np.random.Generator | np.random.RandomState
Shape = tuple[int, ...]


def make_rng(rng: RNGLike = None) -> np.random.Generator | np.random.RandomState:
    """Return a random generator from a seed, a generator, or ``None`` (fresh entropy).

    Generators and ``RandomState`` objects are returned as they are (not copied), so
    successive draws continue one stream.

    Args:
        rng: ``None``, an ``int`` seed, a ``Generator`` or a ``RandomState``.

    >>> float(make_rng(0).standard_normal()) == float(np.random.default_rng(0).standard_normal())
    True
    """
    if isinstance(rng, (np.random.Generator, np.random.RandomState)):
        return rng
    if rng is None or (isinstance(rng, (int, np.integer)) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise TypeError(
        f"rng must be None, an int seed, a numpy Generator or RandomState; got {type(rng).__name__}"
    )


def _as_shape(shape: Shape | int) -> Shape:
    """A shape as a tuple; a single int ``n`` is the shape ``(n,)``, as in ``np.zeros``."""
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        return (int(shape),)
    return tuple(shape)


def _fans(shape: Shape) -> tuple[int, int]:
    shape = tuple(int(s) for s in _as_shape(shape))
    if not shape or any(s <= 0 for s in shape):
        raise ValueError(f"an initializer needs a shape of positive sizes, got {shape}")
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[2:])
    return shape[0] * receptive, shape[1] * receptive


def xavier_uniform(shape: Shape, rng: RNGLike = None, gain: float = 1.0) -> np.ndarray:
    """Return Glorot/Xavier uniform weights: U(-a, a), ``a = gain sqrt(6 / (fan_in + fan_out))``.

    Keeps the variance of activations and of gradients roughly constant through tanh and
    sigmoid layers (Glorot and Bengio, 2010).

    Args:
        shape: ``(fan_in, fan_out)``.
        rng: seed or generator.
        gain: scale factor.

    >>> xavier_uniform((3, 2), rng=0).shape
    (3, 2)
    """
    fan_in, fan_out = _fans(shape)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return make_rng(rng).uniform(-bound, bound, size=_as_shape(shape))


def xavier_normal(shape: Shape, rng: RNGLike = None, gain: float = 1.0) -> np.ndarray:
    """Return Glorot/Xavier normal weights: N(0, std²), ``std = gain sqrt(2 / (fan_in + fan_out))``.

    Args:
        shape: ``(fan_in, fan_out)``.
        rng: seed or generator.
        gain: scale factor.

    >>> xavier_normal((3, 2), rng=0).shape
    (3, 2)
    """
    fan_in, fan_out = _fans(shape)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return std * make_rng(rng).standard_normal(size=_as_shape(shape))


def he_normal(shape: Shape, rng: RNGLike = None, gain: float = math.sqrt(2.0)) -> np.ndarray:
    """Return He/Kaiming normal weights: N(0, std²) with ``std = gain / sqrt(fan_in)``.

    The default gain sqrt(2) suits ReLU layers (He et al., 2015).

    Args:
        shape: ``(fan_in, fan_out)``.
        rng: seed or generator.
        gain: scale factor.

    >>> he_normal((3, 2), rng=0).shape
    (3, 2)
    """
    fan_in, _ = _fans(shape)
    return (gain / math.sqrt(fan_in)) * make_rng(rng).standard_normal(size=_as_shape(shape))


def he_uniform(shape: Shape, rng: RNGLike = None, gain: float = math.sqrt(2.0)) -> np.ndarray:
    """Return He/Kaiming uniform weights: U(-a, a) with ``a = gain sqrt(3 / fan_in)``.

    Args:
        shape: ``(fan_in, fan_out)``.
        rng: seed or generator.
        gain: scale factor.

    >>> bool(np.all(np.abs(he_uniform((6, 2), rng=0)) <= 1.0))
    True
    """
    fan_in, _ = _fans(shape)
    bound = gain * math.sqrt(3.0 / fan_in)
    return make_rng(rng).uniform(-bound, bound, size=_as_shape(shape))


glorot_uniform = xavier_uniform
glorot_normal = xavier_normal
kaiming_normal = he_normal
kaiming_uniform = he_uniform


def tutorial_normal(shape: Shape, rng: RNGLike = None, scale: float = 0.01) -> np.ndarray:
    """Return the tutorial's initialization ``0.01 * randn(*shape)``.

    Args:
        shape: the array's shape.
        rng: seed or generator; a ``RandomState`` seeded 42 and shared with the data
            reproduces the tutorial's weights exactly.
        scale: the standard deviation.

    >>> tutorial_normal((2,), rng=np.random.RandomState(0))
    array([0.01764052, 0.00400157])
    """
    return scale * make_rng(rng).standard_normal(size=_as_shape(shape))


def zeros(shape: Shape, rng: RNGLike = None) -> np.ndarray:
    """Return zeros (for biases); ``rng`` is accepted for a uniform signature and unused.

    >>> zeros((2,))
    array([0., 0.])
    """
    return np.zeros(_as_shape(shape))


_BY_NAME: dict[str, Callable[..., np.ndarray]] = {
    "xavier_uniform": xavier_uniform,
    "xavier_normal": xavier_normal,
    "glorot_uniform": xavier_uniform,
    "glorot_normal": xavier_normal,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "kaiming_normal": he_normal,
    "kaiming_uniform": he_uniform,
    "tutorial": tutorial_normal,
    "tutorial_normal": tutorial_normal,
    "zeros": zeros,
}


def get_initializer(name_or_fn: str | Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """Return the initializer called ``name_or_fn`` (or the callable itself).

    Args:
        name_or_fn: one of ``xavier_uniform``, ``xavier_normal``, ``glorot_*``,
            ``he_normal``, ``he_uniform``, ``kaiming_*``, ``tutorial``, ``zeros``, or a
            function ``(shape, rng) -> array``.

    >>> get_initializer("kaiming_normal") is he_normal
    True
    """
    if callable(name_or_fn):
        return name_or_fn
    try:
        return _BY_NAME[name_or_fn]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown initializer {name_or_fn!r}; choose one of {sorted(_BY_NAME)} "
            "or pass a function (shape, rng) -> array"
        ) from None
