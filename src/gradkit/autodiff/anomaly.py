"""``gk.detect_anomaly()``: stop at the first operation that makes a NaN or an inf.

Inside the block, every operation recorded for differentiation (on hand-made Tensors
that require grad, and inside ``gk.grad``, ``value_and_grad``, ``vjp``, ``jacrev``,
``jacfwd``, ``jvp``, ``hessian``...) has its output checked, and remembers the line of
your code that called it. The backward passes run in the block check each derivative
rule's result too. The first non-finite value raises :class:`AnomalyError` naming:

- forward: the primitive and the file:line (and source) of the call in your code;
- backward: the primitive whose derivative rule produced it, which argument's
  gradient, and the file:line of the forward call of that primitive (as PyTorch's
  anomaly mode reports the forward traceback of the failing backward function).

It costs time (a check and a look up the call stack per operation): a debugging tool,
as PyTorch's is. Operations on plain arrays and constant Tensors are not recorded, so
they are not checked.
"""

from __future__ import annotations

import functools
import linecache
import os
import sys
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import numpy as np

from gradkit.autodiff import grad_mode
from gradkit.autodiff.errors import AnomalyError
from gradkit.autodiff.primitives import peek

__all__ = ["detect_anomaly", "check_backward", "is_anomaly_enabled"]

_P = ParamSpec("_P")
_R = TypeVar("_R")
_GRADKIT = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_NUMPY = os.path.dirname(os.path.abspath(np.__file__)) + os.sep


class detect_anomaly:  # noqa: N801 - PyTorch's name
    """Raise at the first recorded operation whose output, or whose derivative rule's
    output, holds NaN or inf, naming the operation and the line of your code that
    called it. A context manager, or a decorator (``@gk.detect_anomaly()``).

    Args:
        check_nan: False turns the checks off (PyTorch's argument), e.g. to switch
            them with a flag.

    >>> import numpy as np
    >>> import gradkit as gk
    >>> x = gk.Tensor([1.0, 0.0], requires_grad=True)
    >>> with gk.detect_anomaly(), np.errstate(divide="ignore"):
    ...     y = np.sqrt(x)  # fine forward: [1, 0]; its derivative at 0 is inf
    ...     y.sum().backward()
    Traceback (most recent call last):
    ...
    gradkit.autodiff.errors.AnomalyError: backward(): the derivative rule of sqrt gave inf ...
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan: bool = check_nan

    def __enter__(self) -> None:
        self.prev: Callable[..., Any] | None = grad_mode.set_anomaly_check(
            _check_forward if self.check_nan else None
        )

    def __exit__(self, *exc: Any) -> None:
        grad_mode.set_anomaly_check(self.prev)

    def __call__(self, fun: Callable[_P, _R]) -> Callable[_P, _R]:
        @functools.wraps(fun)
        def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            with detect_anomaly(self.check_nan):
                return fun(*args, **kwargs)

        return run


def is_anomaly_enabled() -> bool:
    """Whether this thread runs inside :class:`detect_anomaly`.

    >>> import gradkit as gk
    >>> from gradkit.autodiff.anomaly import is_anomaly_enabled
    >>> with gk.detect_anomaly():
    ...     is_anomaly_enabled()
    True
    """
    return grad_mode.anomaly_check() is not None


def _user_site() -> str:
    """``file:line in function`` of the innermost caller outside gradkit and NumPy,
    with its source line."""
    frame = sys._getframe(2)
    while frame is not None:
        path = frame.f_code.co_filename
        if not (path.startswith(_GRADKIT) or path.startswith(_NUMPY) or path.startswith("<__")):
            break
        frame = frame.f_back
    if frame is None:  # pragma: no cover - called from gradkit itself
        return "an unknown line"
    code = frame.f_code
    line = linecache.getline(code.co_filename, frame.f_lineno).strip()
    site = f"{code.co_filename}:{frame.f_lineno} in {code.co_name}"
    return f"{site}\n    {line}" if line else site


def _bad(value: Any) -> str | None:
    """'NaN' or 'inf' if ``value`` holds one (NaN first), else None."""
    v = peek(value)
    try:
        if np.result_type(v).kind not in "fc":
            return None
        if np.all(np.isfinite(v)):
            return None
    except TypeError:  # not a numeric value (a custom rule's bundle of residuals)
        return None
    return "NaN" if np.any(np.isnan(v)) else "inf"


def _inputs_note(args: Any) -> str:
    bad = [(i, b) for i, a in enumerate(args) if (b := _bad(a)) is not None]
    if not bad:
        return ""
    listed = ", ".join(f"argument {i} ({b})" for i, b in bad)
    return f" Its inputs already held non-finite values: {listed}."


def _check_forward(prim: Any, ans: Any, args: Any, node: Any) -> None:
    site = _user_site()
    if node is not None:
        node.site = site
    bad = _bad(ans)
    if bad is None:
        return
    raise AnomalyError(
        f"{prim.name} returned {bad} (output of shape {np.shape(peek(ans))}), the first "
        f"operation under gk.detect_anomaly() whose output is not finite.{_inputs_note(args)}"
        f" Called at {site}"
    )


def check_backward(node: Any, i: int, r: Any, g: Any) -> None:
    """Raise AnomalyError if ``r``, the cotangent the rule of ``node`` gave its argument
    ``i`` from the cotangent ``g``, holds NaN or inf (called only under detect_anomaly)."""
    bad = _bad(r)
    if bad is None:
        return
    site = getattr(node, "site", None)
    where = (
        f"The forward call of {node.prim.name} was at {site}"
        if site is not None
        else f"The forward call of {node.prim.name} was recorded outside gk.detect_anomaly()"
        ", so its line is unknown; run the forward pass inside the block too"
    )
    came = _bad(g)
    note = f" (the gradient that reached it already held {came})" if came else ""
    raise AnomalyError(
        f"backward(): the derivative rule of {node.prim.name} gave {bad} in the gradient "
        f"of its argument {i} (shape {np.shape(peek(r))}){note}. {where}"
    )
