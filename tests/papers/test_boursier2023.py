"""Every boursier2023 catalogue entry reaches its expected verdict, also through the CLI."""

from __future__ import annotations

import pytest

from igproof.papers import boursier2023, claims
from igproof.verdict import Verdict


@pytest.mark.parametrize("claim", boursier2023.CLAIMS, ids=lambda c: c.id)
def test_claim_reaches_expected_verdict(claim):
    outcome = claim.check()
    assert outcome.verdict is claim.expected, outcome.evidence


def test_supported_entries_are_never_proved():
    """Float evidence (training, Hypothesis property) is SUPPORTED, never PROVED."""
    kinds = {c.id.split(".", 2)[1]: c.expected for c in boursier2023.CLAIMS}
    assert kinds["representational-cost"] is Verdict.SUPPORTED
    assert next(c for c in boursier2023.CLAIMS
                if c.id == "boursier2023.sparsity.short-runs").expected is Verdict.SUPPORTED


def test_claim_ids_are_unique_and_prefixed():
    ids = [c.id for c in boursier2023.CLAIMS]
    assert len(ids) == len(set(ids)) and all(i.startswith("boursier2023.") for i in ids)


def test_verify_command_reaches_expected_verdicts(monkeypatch, capsys):
    """`igproof verify boursier2023...` (exact entries) exits 0 and prints PROVED."""
    from igproof.cli.main import main

    monkeypatch.setitem(claims.PAPER_MODULES, "boursier2023", "boursier2023")
    assert main(["verify", "boursier2023.uniqueness", "boursier2023.non-uniqueness",
                 "boursier2023.sparsity.long-run-not-sparsest"]) == 0
    out = capsys.readouterr().out
    assert out.count("PROVED") >= 3
