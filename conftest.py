"""Collection settings for the whole tree: SciPy is an optional extra.

Without SciPy the doctests of the modules that need it (gk.scipy's stats, linalg, signal,
integrate, and the scipy.special rules) are not collected; everything else runs.
"""

import importlib.util

collect_ignore_glob = []
try:
    _have_scipy = importlib.util.find_spec("scipy") is not None
except ValueError:  # sys.modules["scipy"] is None: blocked
    _have_scipy = False
if not _have_scipy:
    collect_ignore_glob += [
        "src/gradkit/autodiff/rules/special.py",
        "src/gradkit/scipy/stats.py",
        "src/gradkit/scipy/linalg.py",
        "src/gradkit/scipy/signal.py",
        "src/gradkit/scipy/integrate.py",
        "src/gradkit/scipy/_special_scipy.py",
    ]
