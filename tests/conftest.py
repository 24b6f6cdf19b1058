"""Shared test settings: a bounded hypothesis profile so the whole suite stays fast.

The default profile is derandomized: every run (CI included) tries the same examples, so
a red run is reproducible and a green one is not luck. `HYPOTHESIS_PROFILE=thorough`
explores 300 fresh examples per test.
"""

import importlib.util
import os

from hypothesis import HealthCheck, settings

# test files that need an extra: not collected where it is missing, so the core's tests
# run with NumPy alone (`.ci/run` does, in a venv of its own)
_NEEDS = {
    "sympy": [
        "test_symbolic_*.py",
        "test_docs.py",
        "test_cli.py",
        "test_cli_limits.py",
        "test_cli_student.py",
        "test_tour.py",
    ],
    "matplotlib": [
        "test_viz.py",
        "test_docs.py",
        "test_cli.py",
        "test_cli_student.py",
        "test_cli_student.py",
        "test_tour.py",
    ],
    "rich": ["test_cli.py", "test_tour.py"],
    "scipy": ["test_autodiff_readme.py"],  # the README's engine section uses gk.scipy
}
collect_ignore_glob = sorted(
    {
        pattern
        for module, patterns in _NEEDS.items()
        if importlib.util.find_spec(module) is None
        for pattern in patterns
    }
)

try:  # the viz extra; the core's tests run without it
    import matplotlib
except ImportError:
    pass
else:
    matplotlib.use("Agg")

settings.register_profile(
    "default",
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
