"""`igproof verify` and `igproof list`: exit codes, table, JSON, certificates written atomically.

The catalogue is replaced by two test claims so that these tests check the command, not the
mathematics (the catalogue's own tests live beside the paper modules).
"""

from __future__ import annotations

import json

import pytest

from igproof.cli.main import main
from igproof.errors import InvalidArgument
from igproof.papers import claims as claims_module
from igproof.papers.claims import Claim
from igproof.verdict import Outcome, Verdict


def _claims(second_verdict: Verdict) -> list[Claim]:
    return [
        Claim(id="demo.first", paper="demo", reference="none", statement="first",
              expected=Verdict.PROVED,
              check=lambda: Outcome(Verdict.PROVED, "exact algebra",
                                    certificate={"kind": "demo"})),
        Claim(id="demo.second", paper="demo", reference="none", statement="second",
              expected=Verdict.SUPPORTED,
              check=lambda: Outcome(second_verdict, "floats")),
    ]


@pytest.fixture
def demo_catalogue(monkeypatch):
    def install(second_verdict: Verdict = Verdict.SUPPORTED) -> None:
        monkeypatch.setattr(claims_module, "PAPER_MODULES", {"demo": "demo"})
        monkeypatch.setattr(claims_module, "_load_paper", lambda key: _claims(second_verdict))
    return install


def test_verify_exits_zero_when_every_claim_reaches_its_expected_verdict(demo_catalogue,
                                                                         capsys, tmp_path):
    demo_catalogue()
    assert main(["verify", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr()
    assert "demo.first" in out.out and "PROVED" in out.out
    assert "[2/2] demo.second" in out.err  # progress goes to stderr
    assert json.loads((tmp_path / "demo.first.json").read_text()) == {"kind": "demo"}
    assert not list(tmp_path.glob(".*.tmp"))


def test_verify_exits_one_when_a_claim_misses_its_expected_verdict(demo_catalogue, capsys):
    demo_catalogue(Verdict.INCONCLUSIVE)
    assert main(["verify", "--json"]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["all_expected"] is False
    assert [c["verdict"] for c in payload["claims"]] == ["PROVED", "INCONCLUSIVE"]


def test_verify_selects_by_id_and_rejects_unknown_names(demo_catalogue, capsys):
    demo_catalogue()
    assert main(["verify", "demo.second"]) == 0
    assert "demo.first" not in capsys.readouterr().out
    assert main(["verify", "nosuch"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no claim or paper named 'nosuch'" in err[0]


def test_a_crashing_check_is_reported_not_raised(monkeypatch, capsys):
    def boom() -> Outcome:
        raise ZeroDivisionError("division by zero")

    claim = Claim(id="demo.boom", paper="demo", reference="none", statement="boom",
                  expected=Verdict.PROVED, check=boom)
    monkeypatch.setattr(claims_module, "PAPER_MODULES", {"demo": "demo"})
    monkeypatch.setattr(claims_module, "_load_paper", lambda key: [claim])
    assert main(["verify"]) == 1
    assert "check failed: ZeroDivisionError" in capsys.readouterr().out


def test_list_shows_every_claim(demo_catalogue, capsys):
    demo_catalogue()
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "demo.first" in out and "demo.second" in out


def test_claim_ids_carry_their_paper_key():
    with pytest.raises(InvalidArgument):
        Claim(id="other.x", paper="demo", reference="", statement="", expected=Verdict.PROVED,
              check=lambda: Outcome(Verdict.PROVED, ""))
