"""Optional dependencies: which extra brings each, and a clear error when one is missing.

The core of gradkit (the engine, ``numerical``, ``nn``, ``optim``, ``functions``,
``tree``) needs only NumPy. The rest comes with extras::

    pip install "gradkit[symbolic]"   # SymPy: gk.symbolic
    pip install "gradkit[viz]"        # matplotlib: gk.viz and the tour's pictures
    pip install "gradkit[cli]"        # rich, SymPy, matplotlib: the gradkit command
    pip install "gradkit[scipy]"      # SciPy: gk.scipy
    pip install "gradkit[dask]"       # Dask arrays through the engine
    pip install "gradkit[all]"        # all of them

>>> require("numpy", "gradkit's core")
>>> require("no_such_module_xyz", "gk.viz", "viz")
Traceback (most recent call last):
ImportError: gk.viz needs no_such_module_xyz, which is not installed: pip install "gradkit[viz]"
"""

from __future__ import annotations

import importlib.util

__all__ = ["EXTRAS", "require", "available"]

# import name -> the extra that installs it
EXTRAS = {
    "sympy": "symbolic",
    "matplotlib": "viz",
    "rich": "cli",
    "scipy": "scipy",
    "dask": "dask",
}


def available(module: str) -> bool:
    """Whether ``module`` can be imported (without importing it).

    >>> available("numpy")
    True
    """
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def require(module: str, feature: str, extra: str | None = None) -> None:
    """Raise an ImportError naming the extra to install if ``module`` is missing.

    Args:
        module: the top-level import name (``"sympy"``).
        feature: what needs it, for the message (``"gk.symbolic"``).
        extra: the extra that installs it; by default the one listed in ``EXTRAS``.
    """
    if available(module):
        return
    extra = extra or EXTRAS.get(module, "all")
    raise ImportError(
        f'{feature} needs {module}, which is not installed: pip install "gradkit[{extra}]"'
    )
