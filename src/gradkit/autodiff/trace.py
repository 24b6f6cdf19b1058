"""Trace levels: which transform a traced value belongs to, and how nesting is ordered.

Each call of a transform opens a new trace with a higher level than any open before it,
so in nested transforms the innermost one always has the highest level. An operation on
values from several traces is recorded by the highest one first; its rules then run on
the lower ones' values, which records them there. That keeps the perturbations of nested
derivatives apart.
"""

from __future__ import annotations

import itertools
import threading
from typing import Any

from gradkit.autodiff.errors import LeakedTracerError

_levels = itertools.count(1)  # next() on a count is atomic, so levels stay unique across threads

_running = threading.local()


def running() -> list:
    """The transform traces running in this thread, innermost last.

    One list per thread: transforms running at the same time in other threads are not
    this thread's enclosing transforms.
    """
    try:
        return _running.stack
    except AttributeError:
        _running.stack = stack = []
        return stack


def next_level() -> int:
    """Return a level higher than every trace opened so far."""
    return next(_levels)


class Trace:
    """Base of the reverse and forward traces."""

    __slots__ = ("level", "active", "eager", "name")

    #: True for :func:`~gradkit.jit`'s trace, whose values must not be read (see
    #: :func:`~gradkit.autodiff.primitives.value_of`).
    jit = False
    #: True for :func:`~gradkit.vmap`'s trace, whose values carry the batch axis in front
    #: of the example's shape.
    batched = False

    def __init__(self, level: int, name: str) -> None:
        self.level = level
        self.active = True
        self.eager = None  # the trace of Tensors created with requires_grad inside this one
        self.name = name

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} level={self.level}>"

    # Fast paths for the commonest calls; a trace may specialize them.
    def unary(self, prim: Any, a: Any) -> Any:
        """Record ``prim(a)`` where ``a`` is a value of this trace."""
        return self.process(prim, (a,), {})

    def with_constant(self, prim: Any, a: Any, const: Any, pos: int) -> Any:
        """Record ``prim`` of ``a`` (this trace's, at position ``pos``) and a constant."""
        return self.process(prim, (a, const) if pos == 0 else (const, a), {})

    def binary(self, prim: Any, a: Any, b: Any) -> Any:
        """Record ``prim(a, b)`` where ``a`` and ``b`` are both values of this trace."""
        return self.process(prim, (a, b), {})

    def leaked_error(self, prim: Any) -> Exception:
        """The error for ``prim`` applied to a value of this trace after it closed."""
        return LeakedTracerError(
            f"{prim.name} was applied to a value traced by a {self.name} that has already "
            "returned. Return values out of the transformed function instead of keeping "
            "them in outer variables."
        )

    def process(self, prim: Any, args: Any, kw: dict) -> Any:  # pragma: no cover
        """Record ``prim(*args, **kw)``, where one of ``args`` is this trace's value.

        Called on the trace of any traced argument, not necessarily the innermost: a
        trace that meets a value of a higher level hands the call to
        :func:`~gradkit.autodiff.primitives.bind`, which finds the innermost one.
        """
        raise NotImplementedError


class _Opened:
    """Context manager that marks a trace as running and closes it afterwards."""

    __slots__ = ("trace",)

    def __init__(self, trace: Trace) -> None:
        self.trace = trace

    def __enter__(self) -> Trace:
        running().append(self.trace)
        return self.trace

    def __exit__(self, *exc: Any) -> None:
        running().pop()
        self.trace.active = False


def opened(trace: Trace) -> _Opened:
    """Run a block with ``trace`` open; it is closed (and its values stale) afterwards."""
    return _Opened(trace)
