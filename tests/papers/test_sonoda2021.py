"""sonoda2021 catalogue entries: ids, the fast checks reach their expected verdicts."""

from __future__ import annotations

import pytest

from igproof.papers import claims
from igproof.papers.sonoda2021 import CLAIMS
from igproof.verdict import Verdict

REQUIRED = ["sonoda2021.admissibility.gaussian-dawson", "sonoda2021.lazy.identity",
            "sonoda2021.lazy.width-limit", "sonoda2021.trained.comparison",
            "sonoda2021.reconstruction.gaussian"]
# Checks that take several seconds (simulations): run under -m slow.
SLOW = {"sonoda2021.lazy.width-limit", "sonoda2021.trained.comparison",
        "sonoda2021.trained.small-hidden-step"}


def test_ids_are_unique_prefixed_and_cover_the_issue():
    ids = [c.id for c in CLAIMS]
    assert len(ids) == len(set(ids)) and all(i.startswith("sonoda2021.") for i in ids)
    assert set(REQUIRED) <= set(ids)
    enclosed = [c for c in CLAIMS if c.id.startswith("sonoda2021.admissibility.")
                and c.structured.get("activation") and c.id not in REQUIRED
                and "not-self" not in c.id]
    assert len(enclosed) >= 3


def test_the_paper_is_in_the_catalogue():
    assert "sonoda2021" in claims.PAPER_MODULES
    assert {c.id for c in claims.catalogue(["sonoda2021"])} == {c.id for c in CLAIMS}


@pytest.mark.parametrize("claim", [c for c in CLAIMS if c.id not in SLOW], ids=lambda c: c.id)
def test_fast_claims_reach_their_expected_verdict(claim):
    out = claim.check()
    assert out.verdict is claim.expected, out.evidence
    if out.verdict is Verdict.PROVED:  # never from floats alone: the route is named
        assert any(w in out.evidence for w in ("exact", "enclosure", "simplifies", "expands",
                                               "divergent"))


@pytest.mark.slow
@pytest.mark.parametrize("claim", [c for c in CLAIMS if c.id in SLOW], ids=lambda c: c.id)
def test_simulation_claims_reach_their_expected_verdict(claim):
    out = claim.check()
    assert out.verdict is claim.expected, out.evidence
