"""The number of a recorded value in a gk.jit recording (see jit_program.py)."""

from __future__ import annotations

__all__ = ["Slot"]


class Slot(int):
    """The number of a recorded value (an int subclass, to tell it from constants).

    >>> Slot(3) == 3, type(Slot(3)) is int
    (True, False)
    """

    __slots__ = ()
