"""Shared test settings: a bounded hypothesis profile so the whole suite stays fast.

The default profile is derandomized: every run (CI included) tries the same examples, so
a red run is reproducible and a green one is not luck. `HYPOTHESIS_PROFILE=thorough`
explores 300 fresh examples per test.
"""

import os

import matplotlib
from hypothesis import HealthCheck, settings

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
