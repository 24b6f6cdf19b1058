"""The errors and warnings raised by :mod:`gradkit.numerical`."""

from __future__ import annotations

__all__ = ["NumericalDerivativeError", "NumericalDerivativeWarning"]


class NumericalDerivativeError(ValueError):
    """A numerical derivative could not be computed reliably.

    Raised for bad arguments (an unknown method, a derivative order out of range,
    a function returning the wrong shape) and when ``f`` returns NaN or inf at every
    step tried, e.g. when ``x`` is at the edge of ``f``'s domain (``log`` at 0).

    >>> issubclass(NumericalDerivativeError, ValueError)
    True
    """


class NumericalDerivativeWarning(UserWarning):
    """A numerical derivative was computed, but its estimated error is large.

    Issued instead of an error when a number can still be returned: the estimate
    did not converge, or rounding error dominates (``f`` is very noisy or much
    larger than its variation).  ``full_output=True`` gives the error estimate.

    >>> issubclass(NumericalDerivativeWarning, UserWarning)
    True
    """
