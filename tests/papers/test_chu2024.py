"""The chu2024 catalogue: ids, expected verdicts, and the fast claims reach them."""

from __future__ import annotations

import pytest

from igproof.papers.claims import catalogue, select
from igproof.verdict import Verdict

FAST = ["chu2024.activation.odd-svd-independent", "chu2024.activation.sigmoid-svd-dependent",
        "chu2024.reduction.aligned-ode", "chu2024.reduction.balance-conserved",
        "chu2024.network.svd-gradient", "chu2024.minimal-nuclear.small-init",
        "chu2024.experiment.first"]
PROVED_ROUTE = ["chu2024.minimal-nuclear.unique", "chu2024.minimal-nuclear.underdetermined",
                "chu2024.minimal-nuclear.kkt", "chu2024.rate.exponential"]


def test_catalogue_entries():
    claims = catalogue(["chu2024"])
    ids = [c.id for c in claims]
    assert len(ids) == len(set(ids)) == 11
    assert set(FAST + PROVED_ROUTE) == set(ids)
    expected = {c.id: c.expected for c in claims}
    assert expected["chu2024.minimal-nuclear.underdetermined"] is Verdict.REFUTED
    assert expected["chu2024.network.svd-gradient"] is Verdict.SUPPORTED


@pytest.mark.parametrize("claim_id", FAST)
def test_fast_claims_reach_their_expected_verdict(claim_id):
    (claim,) = select([claim_id])
    outcome = claim.check()
    assert outcome.verdict is claim.expected, outcome.evidence


def test_underdetermined_claim_is_refuted_with_an_accepted_certificate():
    (claim,) = select(["chu2024.minimal-nuclear.underdetermined"])
    outcome = claim.check()
    assert outcome.verdict is Verdict.REFUTED
    assert outcome.certificate is not None and outcome.certificate["kind"] == "nuclear-gap"


@pytest.mark.slow
@pytest.mark.parametrize("claim_id", ["chu2024.minimal-nuclear.unique",
                                      "chu2024.minimal-nuclear.kkt", "chu2024.rate.exponential"])
def test_proved_claims(claim_id):
    (claim,) = select([claim_id])
    assert claim.check().verdict is claim.expected


@pytest.mark.slow
def test_unique_claim_falls_back_to_the_next_loss_target():
    """At loss 1e-5 the PL end-game of UNIQUE does not close (its arc bound does not fit the
    ball): the claim's proof goes on to the next target and is PROVED there."""
    from fractions import Fraction

    from igproof.papers.chu2024 import _limit_claim

    outcome = _limit_claim("UNIQUE", (Fraction(1, 10 ** 5), Fraction(1, 10 ** 6)))
    assert outcome.verdict is Verdict.PROVED, outcome.evidence
    assert outcome.details["mode"] == "unique"
