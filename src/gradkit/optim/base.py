"""The optimizer interface: a pair of pure functions with explicit state.

An optimizer (or any of its building blocks) is a :class:`GradientTransformation`:
``init(params) -> state`` and ``update(grads, state, params) -> (updates, state)``.
Nothing is mutated: every call returns fresh arrays and a fresh state, so a run can
be replayed, forked or inspected at any step. ``updates`` already carry the sign, so
the new parameters are ``apply_updates(params, updates) == params + updates``.

Parameters and gradients may be any container of arrays that :mod:`gradkit.tree`
understands (arrays, scalars, and nested tuples, lists and dicts of them).

>>> import numpy as np
>>> opt = chain(scale(-0.5))
>>> params = {"w": np.array([1.0, 2.0])}
>>> state = opt.init(params)
>>> updates, state = opt.update({"w": np.array([2.0, 2.0])}, state, params)
>>> apply_updates(params, updates)
{'w': array([0., 1.])}
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from gradkit.tree import tree_flatten, tree_map

__all__ = [
    "GradientTransformation",
    "Schedule",
    "ScalarOrSchedule",
    "chain",
    "apply_updates",
    "identity",
    "scale",
]

Schedule = Callable[[int], float]
ScalarOrSchedule = float | Schedule


class GradientTransformation(NamedTuple):
    """An optimizer or a building block of one: ``(init, update)``.

    ``init(params)`` returns the initial state; ``update(grads, state, params=None)``
    returns ``(updates, new_state)``. Build them with the functions of
    :mod:`gradkit.optim` and combine them with :func:`chain`.
    """

    init: Callable[[Any], Any]
    update: Callable[..., tuple[Any, Any]]


class EmptyState(NamedTuple):
    """The state of a transform that remembers nothing."""


def as_float_array(x: Any) -> np.ndarray:
    """Return ``x`` as a floating-point NumPy array (integers become float64).

    >>> as_float_array(3).dtype
    dtype('float64')
    """
    arr = np.asarray(x)
    if not np.issubdtype(arr.dtype, np.floating):
        if arr.dtype.kind == "c":  # astype would drop the imaginary part, with a warning
            raise TypeError(
                f"optimizer leaves must be real numbers; got a complex {type(x).__name__} "
                f"({arr.dtype}). Optimize the real and imaginary parts as two real arrays"
            )
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"optimizer leaves must be numbers or numeric arrays; got {type(x).__name__} "
                f"with dtype {arr.dtype}"
            ) from None
    return arr


def zeros_like_tree(params: Any) -> Any:
    """Return a container shaped like ``params`` holding float zeros.

    >>> zeros_like_tree((1.0, [2.0]))
    (array(0.), [array(0.)])
    """
    return tree_map(lambda p: np.zeros_like(as_float_array(p)), params)


# Arithmetic shared by the transforms. Each computes its formula in the written order (so
# with the same rounding as the plain expression) but accumulates into the temporary it
# created: large parameters then cost one allocation per moment instead of three. The
# arguments are never written to.


def add_scaled(acc: Any, factor: float, g: Any) -> Any:
    """Return ``acc + factor * g``, accumulating into ``acc`` (a temporary the caller owns).

    >>> add_scaled(np.array([1.0]), 2.0, np.array([3.0]))
    array([7.])
    """
    acc += factor * as_float_array(g)
    return acc


def blend(decay: float, old: Any, new: Any) -> Any:
    """Return ``decay * old + (1 - decay) * new`` in a fresh array.

    >>> blend(0.9, np.array([10.0]), np.array([0.0]))
    array([9.])
    """
    out = decay * old
    out += (1.0 - decay) * as_float_array(new)
    return out


def chain(*transforms: GradientTransformation) -> GradientTransformation:
    """Return the transform that applies ``transforms`` one after another.

    The state of the chain is the tuple of the states of its parts. The update of
    the first transform is fed as the "gradient" of the second, and so on.

    Args:
        *transforms: the building blocks, in the order they act on the gradient.

    >>> opt = chain(scale(2.0), scale(-0.25))
    >>> updates, _ = opt.update(np.array([4.0]), opt.init(np.zeros(1)))
    >>> updates
    array([-2.])
    """
    for position, t in enumerate(transforms):
        if not isinstance(t, GradientTransformation):
            raise TypeError(
                f"chain: argument {position} is {type(t).__name__}, not a "
                "GradientTransformation; build it with a gradkit.optim function"
            )

    def init(params: Any) -> tuple:
        return tuple(t.init(params) for t in transforms)

    def update(grads: Any, state: tuple, params: Any = None) -> tuple[Any, tuple]:
        if len(state) != len(transforms):
            raise ValueError(
                f"chain: the state has {len(state)} parts but the chain has "
                f"{len(transforms)} transforms; pass the state returned by this chain's init"
            )
        if params is not None:
            check_matching(grads, params)
        new_states = []
        for t, s in zip(transforms, state, strict=True):
            grads, s = t.update(grads, s, params)
            new_states.append(s)
        return grads, tuple(new_states)

    return GradientTransformation(init, update)


def _first_mismatch(a: Any, b: Any) -> tuple | None:
    """Where two containers first differ: ``("structure", def_a, def_b)``,
    ``("leaf", i, shape_a, shape_b)``, or None when their structures and shapes match."""
    a_leaves, a_def = tree_flatten(a)
    b_leaves, b_def = tree_flatten(b)
    if a_def != b_def:
        return ("structure", a_def, b_def)
    for i, (x, y) in enumerate(zip(a_leaves, b_leaves, strict=True)):
        if np.shape(x) != np.shape(y):
            return ("leaf", i, np.shape(x), np.shape(y))
    return None


def check_matching(grads: Any, params: Any, names: tuple[str, str] = ("grads", "params")) -> None:
    """Raise ``ValueError`` unless ``grads`` and ``params`` have the same structure and shapes.

    NumPy would otherwise broadcast a wrongly shaped gradient silently.

    >>> check_matching({"w": np.zeros(3)}, {"w": np.ones(2)})
    Traceback (most recent call last):
    ...
    ValueError: grads and params do not match: leaf 0 has shape (3,) in grads but (2,) in params
    """
    found = _first_mismatch(grads, params)
    if found is None:
        return
    if found[0] == "structure":
        _, g_def, p_def = found
        raise ValueError(
            f"{names[0]} and {names[1]} have different structures: {g_def!r} and {p_def!r}; "
            "pass containers of the same shape"
        )
    _, i, g_shape, p_shape = found
    raise ValueError(
        f"{names[0]} and {names[1]} do not match: leaf {i} has shape {g_shape} in "
        f"{names[0]} but {p_shape} in {names[1]}"
    )


def check_state(kept: Any, grads: Any, who: str) -> None:
    """Raise ``ValueError`` unless a state's per-parameter values ``kept`` (a moment, a
    running average) match ``grads`` leaf for leaf: a state built for other parameters
    would otherwise be broadcast into them silently (PyTorch raises there too).

    >>> check_state([np.zeros(())], [np.ones(3)], "adam")
    Traceback (most recent call last):
    ...
    ValueError: adam: the state was built for other parameters: leaf 0 has shape () in ...
    """
    found = _first_mismatch(kept, grads)
    if found is None:
        return
    if found[0] == "structure":
        _, k_def, g_def = found
        problem = f"their structures differ: the state holds {k_def!r}, grads {g_def!r}"
    else:
        _, i, k_shape, g_shape = found
        problem = f"leaf {i} has shape {k_shape} in the state but {g_shape} in grads"
    raise ValueError(
        f"{who}: the state was built for other parameters: {problem}; make a new state "
        "with init(params)"
    )


def apply_updates(params: Any, updates: Any) -> Any:
    """Return ``params + updates`` leaf by leaf (the updates carry the sign).

    Floating-point parameters keep their dtype; integer parameters become float64.

    Args:
        params: the current parameters (any container of arrays).
        updates: the updates returned by an optimizer's ``update``, same structure.

    >>> apply_updates([np.float32(1.0)], [np.float64(0.5)])[0].dtype
    dtype('float32')
    """

    def add(p: Any, u: Any) -> np.ndarray:
        p = as_float_array(p)
        out = np.asarray(p + u)
        return out if out.dtype == p.dtype else out.astype(p.dtype)

    check_matching(updates, params, ("updates", "params"))
    return tree_map(add, params, updates)


def identity() -> GradientTransformation:
    """Return the transform that passes the gradient through unchanged.

    >>> identity().update(np.ones(2), EmptyState())[0]
    array([1., 1.])
    """

    def update(grads: Any, state: EmptyState, params: Any = None) -> tuple[Any, EmptyState]:
        return grads, state

    return GradientTransformation(lambda params: EmptyState(), update)


def scale(factor: float) -> GradientTransformation:
    """Return the transform that multiplies every update by ``factor``.

    Args:
        factor: a finite number (use a negative one to step downhill).

    >>> scale(-0.1).update(np.array([1.0, 2.0]), EmptyState())[0]
    array([-0.1, -0.2])
    """
    factor = check_number("factor", factor)

    def update(grads: Any, state: EmptyState, params: Any = None) -> tuple[Any, EmptyState]:
        return tree_map(lambda g: factor * as_float_array(g), grads), state

    return GradientTransformation(lambda params: EmptyState(), update)


# ---- argument checks shared by the transforms and the named optimizers -------------


def check_number(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a float after checking it is finite and inside the bounds.

    Raises ``TypeError`` for a non-number and ``ValueError`` (naming the argument and
    the allowed range) for a value out of range.

    >>> check_number("beta", 0.9, low=0.0, high=1.0, high_open=True)
    0.9
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number; got {type(value).__name__} {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite; got {value}")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        lo = "-inf" if low is None else f"{low}"
        hi = "inf" if high is None else f"{high}"
        left = "(" if low_open or low is None else "["
        right = ")" if high_open or high is None else "]"
        interval = f"{left}{lo}, {hi}{right}"
        raise ValueError(f"{name} must lie in {interval}; got {value}")
    return value


def check_lr(lr: Any, name: str = "lr") -> ScalarOrSchedule:
    """Return ``lr`` after checking it is a positive number or a schedule (a callable).

    >>> check_lr(0.1)
    0.1
    >>> check_lr(0.0)
    Traceback (most recent call last):
    ...
    ValueError: lr must be > 0 (a learning rate of 0 never moves); got 0.0
    """
    if callable(lr):
        return lr
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.integer, np.floating)):
        raise TypeError(
            f"{name} must be a positive number or a schedule (a callable step -> lr); "
            f"got {type(lr).__name__} {lr!r}"
        )
    value = float(lr)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number > 0; got {value}")
    if value <= 0:
        raise ValueError(f"{name} must be > 0 (a learning rate of 0 never moves); got {value}")
    return value


def lr_at(lr: ScalarOrSchedule, count: int) -> float:
    """Return the learning rate for update number ``count`` (0 for the first update).

    A schedule's value is checked: it must be a finite number >= 0.

    >>> lr_at(lambda step: 0.1 / (1 + step), 1)
    0.05
    """
    if not callable(lr):
        return lr
    value = lr(count)
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"the learning-rate schedule returned {value!r} at step {count}; "
            "it must return a number"
        ) from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(
            f"the learning-rate schedule returned {value} at step {count}; "
            "a learning rate must be a finite number >= 0"
        )
    return value
