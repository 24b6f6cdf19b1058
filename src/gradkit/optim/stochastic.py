"""Minibatch stochastic gradient descent on a dataset loss, with a seeded generator.

The tutorial's rule: ``theta_{t+1} = theta_t - alpha * grad L(theta_t, B_t)`` where
``B_t`` is the minibatch at step ``t``. Each epoch draws a fresh permutation of the
examples from ``np.random.default_rng(seed)`` and walks through it in batches, so the
same seed gives the same run, number for number.

>>> import numpy as np
>>> X = np.linspace(-1, 1, 40)[:, None]
>>> y = 3 * X[:, 0] + 1
>>> loss = lambda w, X, y: np.mean((X[:, 0] * w[0] + w[1] - y) ** 2)
>>> def grad(w, X, y):
...     r = X[:, 0] * w[0] + w[1] - y
...     return np.array([2 * np.mean(r * X[:, 0]), 2 * np.mean(r)])
>>> res = minibatch_sgd(loss, np.zeros(2), (X, y), 0.3, batch_size=8, epochs=60, grad=grad)
>>> res.params.round(3), res.n_steps
(array([3., 1.]), 300)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gradkit.optim.base import GradientTransformation, apply_updates, as_float_array
from gradkit.optim.named import sgd
from gradkit.tree import tree_leaves, tree_map

__all__ = ["StochasticResult", "minibatch_sgd"]


@dataclass(frozen=True)
class StochasticResult:
    """What :func:`minibatch_sgd` returns.

    Attributes:
        params: the final parameters (same container as the initial ones).
        batch_losses: the loss on each minibatch, before its update (length ``n_steps``).
        epoch_losses: the loss on the whole dataset before training and after each epoch.
        trajectory: the parameters flattened into one row per step, ``(n_steps + 1, size)``
            (``None`` if not recorded).
        n_steps: the number of updates made.
        seed: the seed the batches were drawn with.
    """

    params: Any
    batch_losses: np.ndarray
    epoch_losses: np.ndarray
    trajectory: np.ndarray | None
    n_steps: int
    seed: int | None


def _flat(params: Any) -> np.ndarray:
    leaves = tree_leaves(params)
    if not leaves:
        return np.zeros(0)
    return np.concatenate([as_float_array(p).reshape(-1) for p in leaves])


def _check_data(data: Any) -> tuple[np.ndarray, ...]:
    if not isinstance(data, (tuple, list)) or not data:
        raise TypeError(
            "data must be a non-empty tuple of arrays sharing their first axis, e.g. (X, y)"
        )
    arrays = tuple(np.asarray(a) for a in data)
    sizes = {a.shape[0] if a.ndim else None for a in arrays}
    if None in sizes:
        raise ValueError("every array in data needs a first axis of examples; got a scalar")
    if len(sizes) != 1:
        shapes = [a.shape for a in arrays]
        raise ValueError(f"the arrays in data must have the same number of examples; got {shapes}")
    if arrays[0].shape[0] == 0:
        raise ValueError("data holds no examples")
    return arrays


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be an int >= 1; got {value!r}")
    return int(value)


def minibatch_sgd(
    loss: Callable[..., Any],
    params: Any,
    data: Sequence[np.ndarray],
    optimizer: GradientTransformation | float = 0.01,
    batch_size: int = 32,
    epochs: int = 1,
    seed: int | None = 0,
    grad: Callable[..., Any] | None = None,
    record_trajectory: bool = True,
) -> StochasticResult:
    """Train ``params`` on ``loss(params, *batch)`` by minibatches; return the run.

    Args:
        loss: ``loss(params, *batch)`` -> scalar, the mean loss over the batch.
        params: the initial parameters (an array or any container of arrays).
        data: a tuple of arrays with the examples on the first axis, e.g. ``(X, y)``.
        optimizer: a gradkit optimizer, or a number: plain SGD with that learning rate
            (the tutorial's rule).
        batch_size: examples per minibatch (the last batch of an epoch may be smaller).
        epochs: passes over the data.
        seed: the seed of ``np.random.default_rng``; the same seed gives the same run.
            ``None`` keeps the data order (no shuffling).
        grad: ``grad(params, *batch)``, a closed-form gradient used instead of ``gk.grad``.
        record_trajectory: keep the flattened parameters after every step.

    >>> loss = lambda w, X: np.mean((X - w) ** 2)
    >>> data = (np.arange(10.0),)
    >>> dloss = lambda w, X: -2 * np.mean(X - w)
    >>> a = minibatch_sgd(loss, 0.0, data, 0.1, batch_size=3, seed=7, grad=dloss)
    >>> b = minibatch_sgd(loss, 0.0, data, 0.1, batch_size=3, seed=7, grad=dloss)
    >>> bool(np.array_equal(a.trajectory, b.trajectory)), a.n_steps
    (True, 4)
    """
    if not isinstance(optimizer, GradientTransformation):
        optimizer = sgd(optimizer)
    if not callable(loss):
        raise TypeError(f"loss must be a function loss(params, *batch); got {loss!r}")
    arrays = _check_data(data)
    batch_size = _positive_int("batch_size", batch_size)
    epochs = _positive_int("epochs", epochs)
    if grad is None:
        from gradkit.autodiff import grad as autodiff_grad

        grad = autodiff_grad(loss)
    elif not callable(grad):
        raise TypeError(f"grad must be a function grad(params, *batch); got {grad!r}")

    params = tree_map(lambda p: as_float_array(p).copy(), params)
    rng = np.random.default_rng(seed) if seed is not None else None
    n = arrays[0].shape[0]
    state = optimizer.init(params)

    def full_loss(p: Any) -> float:
        return float(loss(p, *arrays))

    batch_losses, epoch_losses = [], [full_loss(params)]
    trajectory = [_flat(params)] if record_trajectory else None
    for _ in range(epochs):
        order = rng.permutation(n) if rng is not None else np.arange(n)
        for start in range(0, n, batch_size):
            batch = tuple(a[order[start : start + batch_size]] for a in arrays)
            batch_losses.append(float(loss(params, *batch)))
            updates, state = optimizer.update(grad(params, *batch), state, params)
            params = apply_updates(params, updates)
            if trajectory is not None:
                trajectory.append(_flat(params))
        epoch_losses.append(full_loss(params))
    return StochasticResult(
        params=params,
        batch_losses=np.array(batch_losses),
        epoch_losses=np.array(epoch_losses),
        trajectory=np.array(trajectory) if trajectory is not None else None,
        n_steps=len(batch_losses),
        seed=seed,
    )
