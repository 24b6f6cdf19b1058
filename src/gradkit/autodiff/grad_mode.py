"""Grad mode: ``gk.no_grad()``, ``gk.enable_grad()``, ``gk.set_grad_enabled(mode)``.

PyTorch's switches for recording, with torch.func's rule for transforms: a ``no_grad``
block stops every derivative that was being taken when it was entered (hand-made
Tensors', and those of the transforms running around it), exactly as
:func:`~gradkit.stop_gradient` would on each value computed inside it; a transform
called inside the block differentiates its own function as usual (its result does not
depend on a switch outside the function).

How: each thread has a *cutoff*, a trace level. A differentiation trace whose level is
below this thread's cutoff does not record: an operation on its values runs on the
values alone. Levels grow as traces open, so a ``no_grad`` block draws a fresh level as
its cutoff, and the traces opened inside it (higher levels) record as usual.

Cost: none while no thread has grad disabled. The recording methods of the reverse and
forward traces are replaced by checking ones only while some thread is in a ``no_grad``
block or a ``detect_anomaly`` block (the replacements ask this thread's cutoff and
anomaly check, and hand every other call to the original methods), so the ordinary path
does not pay a test per operation.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from gradkit.autodiff import primitives, reverse, trace
from gradkit.autodiff.forward import ForwardTrace
from gradkit.autodiff.reverse import ReverseTrace

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "stops"]

_P = ParamSpec("_P")
_R = TypeVar("_R")
_local = threading.local()
_NO_KW: dict = {}
_lock = threading.Lock()
_switches_on = [0]  # no_grad cutoffs and anomaly checks on, over all threads
_ORIGINAL = {
    (ReverseTrace, "unary"): ReverseTrace.unary,
    (ReverseTrace, "with_constant"): ReverseTrace.with_constant,
    (ReverseTrace, "binary"): ReverseTrace.binary,
    (ReverseTrace, "process"): ReverseTrace.process,
    (ReverseTrace, "_record"): ReverseTrace._record,
    (ForwardTrace, "process"): ForwardTrace.process,
}


def _cutoff() -> int:
    return getattr(_local, "cutoff", 0)


def stops(tr: Any) -> bool:
    """Whether this thread's grad mode keeps the trace ``tr`` from recording (gk.jit's
    trace records values, not derivatives: never)."""
    return not tr.jit and tr.level < getattr(_local, "cutoff", 0)


def is_grad_enabled() -> bool:
    """Whether operations on Tensors that require grad are recorded in this thread.

    >>> import gradkit as gk
    >>> gk.is_grad_enabled()
    True
    >>> with gk.no_grad():
    ...     gk.is_grad_enabled()
    False
    """
    return _cutoff() == 0


def _set_cutoff(new: int) -> None:
    old = _cutoff()
    _local.cutoff = new
    if (old == 0) != (new == 0):
        _count(bool(new))


def set_anomaly_check(check: Callable[..., Any] | None) -> Callable[..., Any] | None:
    """Make ``check(prim, ans, args, node)`` run on every operation recorded in this
    thread (None: none); returns the previous one. For :mod:`~gradkit.autodiff.anomaly`."""
    old = getattr(_local, "anomaly", None)
    _local.anomaly = check
    if (old is None) != (check is None):
        with _lock:
            reverse.ANOMALY[0] += 1 if check is not None else -1
        _count(check is not None)
    return old


def anomaly_check() -> Callable[..., Any] | None:
    """This thread's check of recorded operations (see :func:`set_anomaly_check`)."""
    return getattr(_local, "anomaly", None)


def _count(more: bool) -> None:
    """One more (or one fewer) switch on in some thread: the checking methods are in
    place while any is on."""
    with _lock:
        _switches_on[0] += 1 if more else -1
        if _switches_on[0] == (1 if more else 0):
            _install(more)


def _disabling_cutoff() -> int:
    """A cutoff that stops every trace open now (and none opened later)."""
    stack = trace.running()
    if stack and stack[-1].eager is None:
        # Hand-made Tensors created in the block land on the innermost transform's eager
        # trace: make it now, so that its level is below the cutoff too.
        stack[-1].eager = ReverseTrace(trace.next_level(), "Tensor", tape=False)
    return trace.next_level()


class set_grad_enabled:  # noqa: N801 - PyTorch's name
    """Turn recording on or off: at once (as a call), for a ``with`` block, or for each
    call of a decorated function; PyTorch's ``torch.set_grad_enabled``.

    Args:
        mode: False to stop recording (as :class:`no_grad`), True to record (as
            :class:`enable_grad`).

    >>> import gradkit as gk
    >>> x = gk.Tensor([1.0, 2.0], requires_grad=True)
    >>> with gk.set_grad_enabled(False):
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, bool):
            raise TypeError(
                f"set_grad_enabled takes True or False, got {mode!r} "
                f"({type(mode).__name__}); pass bool(mode) if you mean its truth value"
            )
        self.prev: int = _cutoff()
        self.mode: bool = mode
        _set_cutoff(0 if mode else _disabling_cutoff())

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        _set_cutoff(self.prev)

    def __call__(self, fun: Callable[_P, _R]) -> Callable[_P, _R]:
        _set_cutoff(self.prev)  # as a decorator it applies to each call, not from now on
        return _decorate(fun, lambda: set_grad_enabled(self.mode))


class no_grad:  # noqa: N801 - PyTorch's name
    """Stop recording: results computed in the block are constants.

    Use it as ``with gk.no_grad(): ...`` or as a decorator ``@gk.no_grad()`` (each call
    runs without recording). Tensors computed from Tensors that require grad come out
    with ``requires_grad == False``; a leaf that requires grad may be updated in place
    (``w -= lr * w.grad``, the usual optimizer step) and stays a leaf.

    Inside a transform (``gk.grad``, ``gk.jacfwd``, ...) the block stops that
    transform's derivative as :func:`~gradkit.stop_gradient` would on every value it
    computes; a transform *called* inside the block differentiates as usual (as in
    torch.func: a transform's result does not depend on a switch around its call).

    >>> import numpy as np
    >>> import gradkit as gk
    >>> def f(x):
    ...     with gk.no_grad():
    ...         c = x**2  # a constant to the derivative
    ...     return x * c
    >>> float(gk.grad(f)(3.0))  # c, not 3 x**2
    9.0
    """

    def __enter__(self) -> None:
        self.prev: int = _cutoff()
        _set_cutoff(_disabling_cutoff())  # also inside another no_grad: the transforms
        # opened since that one began are stopped too

    def __exit__(self, *exc: Any) -> None:
        _set_cutoff(self.prev)

    def __call__(self, fun: Callable[_P, _R]) -> Callable[_P, _R]:
        return _decorate(fun, no_grad)


class enable_grad:  # noqa: N801 - PyTorch's name
    """Record again inside a :class:`no_grad` block (context manager or decorator).

    >>> import gradkit as gk
    >>> x = gk.Tensor(1.0, requires_grad=True)
    >>> with gk.no_grad():
    ...     with gk.enable_grad():
    ...         y = x * 2
    >>> y.requires_grad
    True
    """

    def __enter__(self) -> None:
        self.prev: int = _cutoff()
        _set_cutoff(0)

    def __exit__(self, *exc: Any) -> None:
        _set_cutoff(self.prev)

    def __call__(self, fun: Callable[_P, _R]) -> Callable[_P, _R]:
        return _decorate(fun, enable_grad)


def _decorate(fun: Callable[_P, _R], make: Callable[[], Any]) -> Callable[_P, _R]:
    if not callable(fun):
        raise TypeError(
            f"used as a decorator, a grad-mode switch takes a function, got {fun!r}; "
            "write `@gk.no_grad()` above a def, or `with gk.no_grad():` around a block"
        )

    @functools.wraps(fun)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with make():  # a fresh switch per call: its cutoff is drawn when the call starts
            return fun(*args, **kwargs)

    return run


# --- the checking recording methods, in place while some thread has grad disabled -------
def _constant_args(tr: Any, args: Any) -> list:
    """``args`` with ``tr``'s boxes removed: what :func:`stop_gradient` gives for each."""
    Tensor = primitives._Tensor
    eager = tr.name == "Tensor"
    out = []
    for a in args:
        if type(a) is Tensor and a._trace is tr:
            v = a._value
            a = Tensor._const(v) if eager and type(v) is not Tensor else v
        out.append(a)
    return out


def _unrecorded(tr: Any, prim: Any, args: Any, kw: dict) -> Any:
    out = primitives.bind(prim, _constant_args(tr, args), kw)
    if tr.name == "Tensor" and type(out) is not primitives._Tensor:
        return primitives._Tensor._const(out)  # a hand-made Tensor's result stays a Tensor
    return out


def _unary(self: Any, prim: Any, a: Any) -> Any:
    if self.active and self.level < getattr(_local, "cutoff", 0):
        v = a._value
        if self.name == "Tensor" and type(v) is not primitives._Tensor:  # the common case
            return primitives._Tensor._const(prim.impl(v))
        return _unrecorded(self, prim, (a,), {})
    return _ORIGINAL[ReverseTrace, "unary"](self, prim, a)


def _with_constant(self: Any, prim: Any, a: Any, const: Any, pos: int) -> Any:
    if self.active and self.level < getattr(_local, "cutoff", 0):
        v = a._value
        if self.name == "Tensor" and type(v) is not primitives._Tensor:  # the common case
            return primitives._Tensor._const(
                prim.impl(v, const) if pos == 0 else prim.impl(const, v)
            )
        return _unrecorded(self, prim, (a, const) if pos == 0 else (const, a), {})
    return _ORIGINAL[ReverseTrace, "with_constant"](self, prim, a, const, pos)


def _binary(self: Any, prim: Any, a: Any, b: Any) -> Any:
    if self.active and self.level < getattr(_local, "cutoff", 0):
        return _unrecorded(self, prim, (a, b), {})
    return _ORIGINAL[ReverseTrace, "binary"](self, prim, a, b)


def _reverse_process(self: Any, prim: Any, args: Any, kw: dict) -> Any:
    if self.active and self.level < getattr(_local, "cutoff", 0):
        return _unrecorded(self, prim, args, kw)
    return _ORIGINAL[ReverseTrace, "process"](self, prim, args, kw)


def _record(self: Any, prim: Any, vals: Any, parents: Any, ans: Any, kw: dict = _NO_KW) -> Any:
    t = _ORIGINAL[ReverseTrace, "_record"](self, prim, vals, parents, ans, kw)
    check = getattr(_local, "anomaly", None)
    if check is not None:
        check(prim, ans, vals, t._node)
    return t


def _forward_process(self: Any, prim: Any, args: Any, kw: dict) -> Any:
    if self.active and self.level < getattr(_local, "cutoff", 0):
        return _unrecorded(self, prim, args, kw)
    t = _ORIGINAL[ForwardTrace, "process"](self, prim, args, kw)
    check = getattr(_local, "anomaly", None)
    if check is not None:
        check(prim, t, args, None)
    return t


_CHECKING = {
    (ReverseTrace, "unary"): _unary,
    (ReverseTrace, "with_constant"): _with_constant,
    (ReverseTrace, "binary"): _binary,
    (ReverseTrace, "process"): _reverse_process,
    (ReverseTrace, "_record"): _record,
    (ForwardTrace, "process"): _forward_process,
}


def _install(checking: bool) -> None:
    for (cls, name), original in _ORIGINAL.items():
        setattr(cls, name, _CHECKING[cls, name] if checking else original)
