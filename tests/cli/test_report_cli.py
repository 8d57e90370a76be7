"""`igproof verify --report DIR`, `--csv`, the summary line, and the one --json shape.

The catalogue is replaced by three test claims (tests/cli/test_verify_cli.py does the same), so
these tests check the command and the page, not the mathematics.
"""

from __future__ import annotations

import csv
import io
import json
import stat
from html.parser import HTMLParser

import pytest

from igproof.cli.main import main
from igproof.cli.output import ENVELOPE_KEYS
from igproof.cli.report import evidence_numbers
from igproof.papers import claims as claims_module
from igproof.papers.claims import Claim
from igproof.verdict import Outcome, Verdict


def _claims() -> list[Claim]:
    return [
        Claim(id="demo.first", paper="demo", reference="Lemma 1 <b>&", statement="x < y & y > z",
              expected=Verdict.PROVED,
              check=lambda: Outcome(Verdict.PROVED, "exact algebra <script>",
                                    details={"margin": "1/3", "radius": "2.5e-20", "ok": True},
                                    certificate={"kind": "demo"})),
        Claim(id="demo.second", paper="demo", reference="Thm 2", statement="second",
              expected=Verdict.SUPPORTED,
              check=lambda: Outcome(Verdict.SUPPORTED, "floats, rtol 1e-9")),
        Claim(id="demo.third", paper="demo", reference="Thm 3", statement="third",
              expected=Verdict.PROVED,
              check=lambda: Outcome(Verdict.INCONCLUSIVE, "not decided",
                                    details={"runs": [{"gap": 0.5}, {"gap": -2}]})),
    ]


@pytest.fixture
def demo(monkeypatch):
    monkeypatch.setattr(claims_module, "PAPER_MODULES", {"demo": "demo"})
    monkeypatch.setattr(claims_module, "_load_paper", lambda key: _claims())


class _Page(HTMLParser):
    """Collects the claims table: per <tr class="claim">, the text and attributes per cell."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, dict]] = []
        self.cell: str | None = None
        self.images: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "tr" and "claim" in classes:
            self.rows.append({"anchor": {"text": attrs.get("id", "")}})
        elif tag == "td" and self.rows:
            self.cell = classes[0]
            self.rows[-1][self.cell] = {"text": "", "classes": classes, "img": None, "a": None}
        elif tag == "img":
            self.images.append(attrs["src"])
            if self.cell and self.rows:
                self.rows[-1][self.cell]["img"] = attrs["src"]
        elif tag == "a":
            self.links.append(attrs["href"])
            if self.cell and self.rows:
                self.rows[-1][self.cell]["a"] = attrs["href"]

    def handle_endtag(self, tag):
        if tag == "td":
            self.cell = None

    def handle_data(self, data):
        if self.cell and self.rows:
            self.rows[-1][self.cell]["text"] += data


def test_report_has_a_row_per_claim_with_verdict_evidence_time_and_figure(demo, tmp_path,
                                                                         capsys):
    out = tmp_path / "report"
    assert main(["verify", "--report", str(out)]) == 1  # demo.third misses its expected verdict
    capsys.readouterr()
    page = _Page()
    page.feed((out / "index.html").read_text(encoding="utf-8"))
    assert [row["anchor"]["text"] for row in page.rows] == ["demo.first", "demo.second",
                                                         "demo.third"]
    assert [row["id"]["text"].split("Lemma")[0].split("Thm")[0] for row in page.rows] == [
        "demo.first", "demo.second", "demo.third"]
    verdicts = [row["verdict"]["text"] for row in page.rows]
    assert verdicts[0] == "PROVED" and verdicts[1] == "SUPPORTED"
    assert verdicts[2].startswith("INCONCLUSIVE") and "expected PROVED" in verdicts[2]
    for row in page.rows:
        assert row["evidence"]["text"]
        assert float(row["seconds"]["text"]) >= 0
        figure = out / row["figure"]["img"]
        assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # Text from claims is escaped: it reads back as written, and no markup got through.
    assert page.rows[0]["evidence"]["text"] == "exact algebra <script>"
    assert "<script>" not in (out / "index.html").read_text(encoding="utf-8")
    # The certificate is written inside DIR and linked relatively.
    link = page.rows[0]["certificate"]["a"]
    assert link == "certificates/demo.first.json"
    assert json.loads((out / link).read_text()) == {"kind": "demo"}
    assert page.rows[1]["certificate"]["a"] is None
    # Every relative link resolves inside DIR: the folder is self-contained.
    for target in page.images + page.links:
        assert not target.startswith(("/", "http")) and (out / target).is_file(), target
    document = json.loads((out / "claims.json").read_text())
    assert document["command"] == "verify" and len(document["claims"]) == 3


def test_report_files_follow_the_umask(demo, tmp_path, capsys):
    import os

    previous = os.umask(0o022)
    try:
        main(["verify", "--report", str(tmp_path / "r")])
    finally:
        os.umask(previous)
    capsys.readouterr()
    for path in (tmp_path / "r").rglob("*"):
        if path.is_file():
            assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


def test_verify_prints_progress_per_claim_and_a_summary_with_counts(demo, capsys):
    main(["verify"])
    out, err = capsys.readouterr()
    for k, claim_id in enumerate(["demo.first", "demo.second", "demo.third"], start=1):
        assert f"[{k}/3] {claim_id}: " in err
    summary = out.strip().splitlines()[-1]
    assert summary.startswith("3 claims: 1 PROVED, 0 REFUTED, 1 SUPPORTED, 1 INCONCLUSIVE;")
    assert "demo.third" in summary


def test_verify_csv_has_a_row_per_claim(demo, capsys):
    assert main(["verify", "--csv"]) == 1
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["id"] for r in rows] == ["demo.first", "demo.second", "demo.third"]
    assert [r["as_expected"] for r in rows] == ["True", "True", "False"]
    assert rows[0]["evidence"] == "exact algebra <script>"


@pytest.mark.parametrize("argv, verdict", [(["verify"], None), (["list"], None)])
def test_every_json_document_starts_with_the_envelope(demo, capsys, argv, verdict):
    code = main([*argv, "--json"])
    document = json.loads(capsys.readouterr().out)
    assert list(document)[:4] == list(ENVELOPE_KEYS)
    assert document["command"] == argv[0] and document["exit_code"] == code
    assert document["verdict"] is verdict


def test_json_and_csv_together_is_a_usage_error(demo, capsys):
    assert main(["verify", "--json", "--csv"]) == 2
    assert "choose one output format" in capsys.readouterr().err


def test_evidence_numbers_reads_decimals_and_fractions_and_skips_prose_and_inputs():
    numbers = evidence_numbers({"margin": "1/3", "r": "2.5e-20", "ok": True, "why": "because",
                                "runs": [{"gap": -2, "data": {"x": [[1]]}}], "n": 7,
                                "theta0": ["1/2", 3], "centre": ["1", "2"]})
    assert numbers == {"margin": 1 / 3, "r": 2.5e-20, "runs[0].gap": -2.0, "n": 7.0}


def test_an_unwritable_report_folder_is_one_line_and_exit_2(demo, tmp_path, capsys):
    blocker = tmp_path / "taken"
    blocker.write_text("a file, not a folder")
    assert main(["verify", "--report", str(blocker / "report")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("igproof: error:") and "taken" in err[-1]
    assert "Traceback" not in "\n".join(err)


def test_evidence_facts_are_the_top_level_booleans():
    from igproof.cli.report import evidence_facts

    assert evidence_facts({"conserved": True, "n": 3, "nested": {"ok": False},
                           "unique": False}) == {"conserved": True, "unique": False}
