"""vardi2021 catalogue entries: `igproof verify vardi2021` and the link to the Two-point entry."""

from __future__ import annotations

import pytest

from igproof.cli.main import main
from igproof.papers import claims
from igproof.papers.vardi2021 import CLAIMS, TWO_POINT_ID, check_two_point_link
from igproof.verdict import Verdict


def test_verify_vardi2021_reaches_expected_verdicts(monkeypatch, capsys):
    """Exit 0; both entries PROVED (balancedness exact, impossibility via the certificate)."""
    monkeypatch.setitem(claims.PAPER_MODULES, "vardi2021", "vardi2021")
    assert main(["verify", "vardi2021"]) == 0
    out = capsys.readouterr().out
    assert "vardi2021.balancedness.depth2" in out
    assert "via zhang2023.two-point.relu-neuron" in out
    assert all(c.expected is Verdict.PROVED for c in CLAIMS)


def test_link_targets_an_existing_catalogue_entry():
    ids = [c.id for c in claims.catalogue(["zhang2023"])]
    assert TWO_POINT_ID in ids
    link = next(c for c in CLAIMS if c.id == "vardi2021.impossibility.relu-neuron")
    assert link.structured["link"] == TWO_POINT_ID


def test_missing_link_is_inconclusive(monkeypatch):
    """If the zhang2023 catalogue has no Two-point ReLU entry the link check says so."""
    monkeypatch.setattr("igproof.papers.vardi2021.catalogue", lambda papers: [])
    out = check_two_point_link()
    assert out.verdict is Verdict.INCONCLUSIVE
    assert "no catalogue entry" in out.evidence


def test_claim_ids_are_unique_and_prefixed():
    ids = [c.id for c in CLAIMS]
    assert len(ids) == len(set(ids)) and all(i.startswith("vardi2021.") for i in ids)


@pytest.mark.parametrize("claim", [c for c in CLAIMS if c.id.endswith("balancedness.depth2")],
                         ids=lambda c: c.id)
def test_balancedness_entry_is_proved(claim):
    assert claim.check().verdict is Verdict.PROVED
