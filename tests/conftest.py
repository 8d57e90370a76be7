"""Test-suite settings: deterministic Hypothesis runs without wall-clock deadlines.

Gradient flows and interval arithmetic have run times that vary with machine load; a deadline
would turn a slow CI machine into a flaky failure. ``derandomize`` makes every CI run explore
the same examples, so a failure is reproducible from the log. Set IGPROOF_LONG=1 for the long
profiles some test modules offer.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "igproof-tests", deadline=None, derandomize=True, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("igproof-tests")


@pytest.fixture(autouse=True)
def _private_field_cache(tmp_path_factory: pytest.TempPathFactory,
                         monkeypatch: pytest.MonkeyPatch) -> None:
    """`igproof flow` caches compiled fields (igproof.numeric.cache): tests never touch the
    user's cache folder; they share one folder per session (hits return identical results)."""
    monkeypatch.setenv("IGPROOF_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "field-cache"))
    monkeypatch.delenv("IGPROOF_NO_CACHE", raising=False)
