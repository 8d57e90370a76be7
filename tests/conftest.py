"""Test-suite settings: deterministic Hypothesis runs without wall-clock deadlines.

Gradient flows and interval arithmetic have run times that vary with machine load; a deadline
would turn a slow CI machine into a flaky failure. ``derandomize`` makes every CI run explore
the same examples, so a failure is reproducible from the log. Set IGPROOF_LONG=1 for the long
profiles some test modules offer.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile(
    "igproof-tests", deadline=None, derandomize=True, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("igproof-tests")
