"""SciPy, or an error naming the extra that installs it."""

from __future__ import annotations

import importlib
from types import ModuleType


def scipy_module(name: str, who: str) -> ModuleType:
    """Import ``name`` (``"scipy.special"``...) for ``who``, or say how to install SciPy.

    >>> scipy_module("math", "an example").__name__
    'math'
    """
    try:
        return importlib.import_module(name)
    except ImportError as err:
        raise ImportError(
            f"{who} needs SciPy, which is not installed. Install gradkit's SciPy extra: "
            "pip install 'gradkit[scipy]'"
        ) from err
