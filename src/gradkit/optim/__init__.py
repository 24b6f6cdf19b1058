"""Optimizers as pure transforms with explicit state, schedules, and ``minimize``.

An optimizer is a :class:`GradientTransformation` ``(init, update)``; the named ones
(:func:`sgd`, :func:`adam`, ...) follow ``torch.optim``'s documented update rules and
are short :func:`chain` s of the building blocks. ``lr`` may be a number or a schedule.

>>> import numpy as np
>>> import gradkit as gk
>>> opt = gk.optim.adam(lr=0.1)
>>> params = {"w": np.array([1.0, -2.0])}
>>> state = opt.init(params)
>>> grads = {"w": 2 * params["w"]}
>>> updates, state = opt.update(grads, state, params)
>>> gk.optim.apply_updates(params, updates)["w"].round(6)
array([ 0.9, -1.9])
"""

from gradkit.optim.adaptive import (
    scale_by_adadelta,
    scale_by_adagrad,
    scale_by_adam,
    scale_by_adamax,
    scale_by_nadam,
    scale_by_rms,
)
from gradkit.optim.base import (
    GradientTransformation,
    ScalarOrSchedule,
    Schedule,
    apply_updates,
    chain,
    identity,
    scale,
)
from gradkit.optim.groups import ParameterEMA, accumulate, frozen, partition
from gradkit.optim.lbfgs import lbfgs
from gradkit.optim.minimize import MinimizeResult, minimize
from gradkit.optim.more_named import adafactor, asgd, lamb, lion, radam, rprop
from gradkit.optim.more_schedules import (
    cosine_with_restarts,
    linear_warmup,
    one_cycle,
    polynomial,
    reduce_on_plateau,
    sequential,
)
from gradkit.optim.named import (
    adadelta,
    adagrad,
    adam,
    adamax,
    adamw,
    momentum,
    nadam,
    rmsprop,
    sgd,
)
from gradkit.optim.race import (
    Racer,
    RaceResult,
    default_racers,
    fair_racers,
    race,
    tuned_racers,
)
from gradkit.optim.schedules import (
    constant_schedule,
    cosine_schedule,
    exponential_schedule,
    step_schedule,
    warmup_cosine_schedule,
)
from gradkit.optim.stochastic import StochasticResult, minibatch_sgd
from gradkit.optim.transforms import (
    add_decayed_weights,
    clip,
    clip_by_global_norm,
    ema,
    scale_by_learning_rate,
    trace,
)

__all__ = [
    "GradientTransformation",
    "Schedule",
    "ScalarOrSchedule",
    "apply_updates",
    "chain",
    "identity",
    "scale",
    "sgd",
    "radam",
    "lbfgs",
    "rprop",
    "asgd",
    "adafactor",
    "lion",
    "lamb",
    "partition",
    "frozen",
    "accumulate",
    "ParameterEMA",
    "one_cycle",
    "linear_warmup",
    "polynomial",
    "cosine_with_restarts",
    "sequential",
    "reduce_on_plateau",
    "fair_racers",
    "tuned_racers",
    "momentum",
    "adam",
    "adamw",
    "nadam",
    "adamax",
    "rmsprop",
    "adagrad",
    "adadelta",
    "add_decayed_weights",
    "trace",
    "ema",
    "scale_by_learning_rate",
    "scale_by_adam",
    "scale_by_adamax",
    "scale_by_nadam",
    "scale_by_rms",
    "scale_by_adagrad",
    "scale_by_adadelta",
    "clip_by_global_norm",
    "clip",
    "constant_schedule",
    "step_schedule",
    "exponential_schedule",
    "cosine_schedule",
    "warmup_cosine_schedule",
    "minimize",
    "MinimizeResult",
    "race",
    "Racer",
    "RaceResult",
    "default_racers",
    "minibatch_sgd",
    "StochasticResult",
]
