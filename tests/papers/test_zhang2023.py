"""Every zhang2023 catalogue entry reaches its expected verdict."""

from __future__ import annotations

import pytest

from igproof.papers.claims import catalogue


@pytest.mark.parametrize("claim", catalogue(["zhang2023"]), ids=lambda c: c.id)
def test_claim_reaches_expected_verdict(claim):
    outcome = claim.check()
    assert outcome.verdict is claim.expected, outcome.evidence
