"""A deadline on symbolic work: SymPy calls that would run for minutes stop with an error.

Bounds on the input (see :data:`~gradkit.symbolic.LIMITS`) keep ordinary work fast, but
some formulas that look small are not: ``cos(exp(exp(x)))`` at ``x = 30`` needs π to
trillions of digits. :func:`time_limit` stops such work after a number of seconds with
:class:`SymbolicTimeout`, a ``ValueError`` whose message says what was given up.

It uses a POSIX interval timer (``SIGALRM``), so it acts in the main thread of a POSIX
process (the command line, a script, a Jupyter kernel). Elsewhere (another thread,
Windows, or a program that installed its own ``SIGALRM`` handler) it does nothing and
only the input limits apply. Nested limits keep the earliest deadline.

>>> import time
>>> with time_limit(5, "a quick sum"):
...     1 + 1
2
>>> try:
...     with time_limit(0.05, "a slow loop"):
...         while True:
...             pass
... except SymbolicTimeout as error:
...     print(error)
a slow loop did not finish within 0.05 s (gradkit's limit on symbolic work)
"""

from __future__ import annotations

import functools
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

__all__ = ["SymbolicTimeout", "time_limit", "with_time_limit", "MAX_SECONDS"]

#: Seconds a :mod:`gradkit.symbolic` entry point (``derive``, ``gradient``, ``hessian``,
#: ``directional_derivative``) may run before it stops with :class:`SymbolicTimeout`.
MAX_SECONDS = 10.0

F = TypeVar("F", bound=Callable[..., Any])


class SymbolicTimeout(ValueError):
    """Raised when symbolic work passes its deadline; the message names the work."""


class _Expired(BaseException):
    # A BaseException, so that SymPy's own `except Exception` blocks do not swallow it
    # on the way out; time_limit turns it into SymbolicTimeout at the boundary.
    pass


_deadlines: list[float] = []  # the active deadlines (monotonic), innermost last


def _usable() -> bool:
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        return False
    handler = signal.getsignal(signal.SIGALRM)
    return handler in (signal.SIG_DFL, None) or handler is _on_alarm


def _on_alarm(signum: int, frame: Any) -> None:
    if _deadlines and time.monotonic() >= min(_deadlines) - 1e-3:
        raise _Expired()
    _arm()  # a nested limit ended early: wait for the next deadline


def _arm() -> None:
    if _deadlines:
        signal.setitimer(signal.ITIMER_REAL, max(min(_deadlines) - time.monotonic(), 1e-4))
    else:
        signal.setitimer(signal.ITIMER_REAL, 0)


@contextmanager
def time_limit(seconds: float, what: str = "symbolic work") -> Iterator[None]:
    """Run the ``with`` body for at most ``seconds``, else raise :class:`SymbolicTimeout`.

    Args:
        seconds: the time allowed (an earlier enclosing deadline still applies).
        what: names the work in the error message.
    """
    if not _usable():
        yield
        return
    deadline = time.monotonic() + seconds
    outermost = not _deadlines
    if outermost:
        previous = signal.signal(signal.SIGALRM, _on_alarm)
    _deadlines.append(deadline)
    _arm()
    try:
        yield
    except _Expired:
        if min(_deadlines) < deadline - 1e-3:
            raise  # an enclosing limit expired: let it report
        raise SymbolicTimeout(
            f"{what} did not finish within {seconds:g} s (gradkit's limit on symbolic work)"
        ) from None
    finally:
        _deadlines.remove(deadline)
        _arm()
        if outermost:
            signal.signal(signal.SIGALRM, previous)


def with_time_limit(what: str) -> Callable[[F], F]:
    """Decorate a function so that each outermost call runs under :data:`MAX_SECONDS`.

    >>> @with_time_limit("counting")
    ... def count():
    ...     return 3
    >>> count()
    3
    """

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def limited(*args: Any, **kwargs: Any) -> Any:
            if _deadlines:  # already inside a limit (e.g. hessian calling derive)
                return function(*args, **kwargs)
            with time_limit(MAX_SECONDS, what):
                return function(*args, **kwargs)

        return limited  # type: ignore[return-value]

    return decorate
