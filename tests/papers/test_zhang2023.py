"""Every zhang2023 catalogue entry reaches its expected verdict."""

from __future__ import annotations

import pytest

from igproof.papers.claims import catalogue


@pytest.mark.parametrize("claim", catalogue(["zhang2023"]), ids=lambda c: c.id)
def test_claim_reaches_expected_verdict(claim):
    outcome = claim.check()
    assert outcome.verdict is claim.expected, outcome.evidence


def test_every_overlap_claim_names_a_shipped_certificate():
    """Each overlap claim's structured form names its certificate file, and the file exists."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    overlap = [c for c in catalogue(["zhang2023"]) if "mechanism" in c.structured]
    assert {c.structured["mechanism"] for c in overlap} == {"two-point", "one-point"}
    for claim in overlap:
        assert (root / claim.structured["certificate"]).is_file(), claim.id


def test_verify_writes_a_certificate_that_check_accepts(tmp_path, capsys):
    """`igproof verify zhang2023.one-point.norm.relu --out DIR` exits 0 and writes a certificate
    that `igproof check` accepts (in-process: the claim's computation is cached)."""
    from igproof.cli.main import main

    assert main(["verify", "zhang2023.one-point.norm.relu", "--out", str(tmp_path)]) == 0
    files = sorted(tmp_path.glob("*.json"))
    assert [f.name for f in files] == ["zhang2023.one-point.norm.relu.json"]
    assert main(["check", str(files[0])]) == 0
    assert "ACCEPTED" in capsys.readouterr().out
