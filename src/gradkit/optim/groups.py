"""Parameter groups, frozen parameters, gradient accumulation and a parameter EMA.

- :func:`partition` gives each group of leaves its own optimizer (torch's parameter
  groups: per-group learning rates, weight decay, or :func:`frozen`);
- :func:`accumulate` averages the gradients of ``every`` calls and steps once;
- :class:`ParameterEMA` keeps an exponential moving average of the parameters.

>>> import numpy as np
>>> import gradkit as gk
>>> params = {"body": np.ones(2), "head": np.ones(1)}
>>> opt = partition({"slow": gk.optim.sgd(0.01), "fast": gk.optim.sgd(1.0)},
...                 {"body": "slow", "head": "fast"})
>>> updates, _ = opt.update({"body": np.ones(2), "head": np.ones(1)}, opt.init(params), params)
>>> updates
{'body': array([-0.01, -0.01]), 'head': array([-1.])}
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from gradkit.optim.base import EmptyState, GradientTransformation, as_float_array, check_number
from gradkit.tree import tree_flatten, tree_map, tree_unflatten

__all__ = ["partition", "frozen", "accumulate", "ParameterEMA"]


def frozen() -> GradientTransformation:
    """The optimizer of frozen parameters: every update is zero.

    >>> frozen().update(np.ones(2), frozen().init(None))[0]
    array([0., 0.])
    """
    return GradientTransformation(
        lambda params: EmptyState(),
        lambda grads, state, params=None: (
            tree_map(lambda g: np.zeros_like(as_float_array(g)), grads),
            state,
        ),
    )


def partition(transforms: dict[str, GradientTransformation], labels: Any) -> GradientTransformation:
    """Give each leaf the optimizer its label names.

    Args:
        transforms: ``{label: optimizer}``.
        labels: a container shaped like the parameters holding a label per leaf, or a
            function ``params -> labels``.

    Each optimizer sees the whole container with the other groups' gradients set to
    zero, and only its own leaves' updates are kept, so its state and schedule advance
    once per step like torch's parameter groups.
    """
    for label, t in transforms.items():
        if not isinstance(t, GradientTransformation):
            raise TypeError(f"partition: the optimizer for {label!r} is a {type(t).__name__}")

    def leaf_labels(params: Any) -> list:
        given = labels(params) if callable(labels) else labels
        names, _ = tree_flatten(given)
        leaves, _ = tree_flatten(params)
        if len(names) != len(leaves):
            raise ValueError(
                f"partition: {len(names)} labels for {len(leaves)} parameter leaves; give a "
                "container shaped like the parameters"
            )
        unknown = sorted({str(n) for n in names} - set(transforms))
        if unknown:
            raise ValueError(
                f"partition: label {unknown[0]!r} has no optimizer; known: {sorted(transforms)}"
            )
        return names

    def init(params: Any) -> dict:
        leaf_labels(params)
        return {label: t.init(params) for label, t in transforms.items()}

    def update(grads: Any, state: dict, params: Any = None) -> tuple[Any, dict]:
        leaves, treedef = tree_flatten(grads)
        names = leaf_labels(grads if params is None else params)
        out = [None] * len(leaves)
        new_state = {}
        for label, t in transforms.items():
            mine = [n == label for n in names]
            masked = tree_unflatten(
                treedef,
                [g if keep else np.zeros_like(as_float_array(g)) for g, keep in zip(leaves, mine)],
            )
            updates, new_state[label] = t.update(masked, state[label], params)
            for i, (u, keep) in enumerate(zip(tree_flatten(updates)[0], mine)):
                if keep:
                    out[i] = u
        return tree_unflatten(treedef, out), new_state

    return GradientTransformation(init, update)


class AccumulateState(NamedTuple):
    """Calls so far in this window, the gradient sum, and the inner optimizer's state."""

    calls: int
    total: Any
    inner: Any


def accumulate(optimizer: GradientTransformation, every: int) -> GradientTransformation:
    """Step ``optimizer`` once per ``every`` calls, on the mean of their gradients (the
    other calls return zero updates): gradient accumulation.

    >>> import gradkit as gk
    >>> opt = accumulate(gk.optim.sgd(1.0), every=2)
    >>> s = opt.init(np.zeros(1))
    >>> u1, s = opt.update(np.array([1.0]), s, np.zeros(1))
    >>> u2, s = opt.update(np.array([3.0]), s, np.zeros(1))
    >>> u1, u2
    (array([0.]), array([-2.]))
    """
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise ValueError(f"accumulate: every must be an integer >= 1, got {every!r}")

    def init(params: Any) -> AccumulateState:
        zeros = tree_map(lambda p: np.zeros_like(as_float_array(p)), params)
        return AccumulateState(0, zeros, optimizer.init(params))

    def update(
        grads: Any, state: AccumulateState, params: Any = None
    ) -> tuple[Any, AccumulateState]:
        total = tree_map(lambda a, g: a + as_float_array(g), state.total, grads)
        calls = state.calls + 1
        if calls < every:
            zero = tree_map(lambda g: np.zeros_like(as_float_array(g)), grads)
            return zero, AccumulateState(calls, total, state.inner)
        mean = tree_map(lambda a: a / every, total)
        updates, inner = optimizer.update(mean, state.inner, params)
        return updates, AccumulateState(0, tree_map(np.zeros_like, total), inner)

    return GradientTransformation(init, update)


class ParameterEMA:
    """An exponential moving average of the parameters, ``a <- decay a + (1 - decay) p``
    (started at the first parameters), for evaluating a smoothed model.

    >>> ema = ParameterEMA(0.5)
    >>> _ = ema.update({"w": np.array([0.0])}); ema.update({"w": np.array([2.0])})
    {'w': array([1.])}
    """

    def __init__(self, decay: float = 0.999) -> None:
        self.decay = check_number("decay", decay, low=0.0, high=1.0, high_open=True)
        self.average: Any = None
        self.count = 0

    def update(self, params: Any) -> Any:
        """Fold in the current parameters; return the average."""
        if self.average is None:
            self.average = tree_map(lambda p: np.array(as_float_array(p), dtype=float), params)
        else:
            d = self.decay
            self.average = tree_map(
                lambda a, p: d * a + (1.0 - d) * as_float_array(p), self.average, params
            )
        self.count += 1
        return self.average
