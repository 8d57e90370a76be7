"""Your own lemmas: `igproof verify|list --claims FILE.py|MODULE` and the entry-point group
``igproof.catalogues``; every loading error is one line and exit code 2."""

from __future__ import annotations

import importlib.metadata
import json
import textwrap
from pathlib import Path

import pytest

from igproof.cli.main import main
from igproof.papers import claims as claims_module

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "claims" / "my_lemmas.py"

LEMMA = '''
from igproof.papers.claims import Claim
from igproof.verdict import Outcome, Verdict

CLAIMS = [Claim(id="{paper}.one.exact", paper="{paper}", reference="notes", statement="1 < 2",
                expected=Verdict.PROVED,
                check=lambda: Outcome(Verdict.PROVED if 1 < 2 else Verdict.REFUTED, "exact"))]
'''


def _write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(textwrap.dedent(text), "utf-8")
    return str(path)


def test_the_documented_example_runs_and_is_listed(capsys):
    assert main(["verify", "--claims", str(EXAMPLE), "--json", "--jobs", "2"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [c["id"] for c in report["claims"]] == ["mylemmas.norm.grows-when-underfit",
                                                   "mylemmas.minnorm.unique"]
    assert all(c["verdict"] == "PROVED" for c in report["claims"])
    assert main(["list", "--claims", str(EXAMPLE), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["claims"]
    assert {c["origin"] for c in listed} == {f"file {EXAMPLE}"}


def test_claims_from_a_file_mix_with_the_catalogue_by_name(tmp_path, capsys):
    lemma = _write(tmp_path, "mine.py", LEMMA.format(paper="mine"))
    assert main(["verify", "--claims", lemma, "mine", "vardi2021.impossibility.relu-neuron",
                 "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "mine.one.exact" in out and "vardi2021.impossibility.relu-neuron" in out
    assert main(["list", "--claims", lemma, "vardi2021"]) == 0
    out = capsys.readouterr().out
    assert "[from igproof]" in out and "mine.one.exact" not in out


def test_claims_from_a_module(tmp_path, monkeypatch, capsys):
    _write(tmp_path, "my_module_lemmas.py", LEMMA.format(paper="modpaper"))
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["verify", "--claims", "my_module_lemmas", "--jobs", "2"]) == 0
    assert "modpaper.one.exact" in capsys.readouterr().out


@pytest.mark.parametrize(("text", "match"), [
    (None, "no such file"),
    ("X = 1\n", "defines no module-level CLAIMS list"),
    ("CLAIMS = [1, 2]\n", "CLAIMS[0] is a int, not an igproof.papers.claims.Claim record"),
    ("CLAIMS = []\n", "CLAIMS is empty"),
    ("raise RuntimeError('my bug')\n", "loading the file failed: RuntimeError: my bug"),
    ("def broken(:\n", "loading the file failed: SyntaxError"),
    (LEMMA.format(paper="vardi2021").replace("one.exact", "impossibility.relu-neuron"),
     "duplicate claim id 'vardi2021.impossibility.relu-neuron': defined by igproof and by file"),
])
def test_loading_errors_are_one_line_exit_2(tmp_path, capsys, text, match):
    path = str(tmp_path / "lemmas.py") if text is None else _write(tmp_path, "lemmas.py", text)
    for command in ("verify", "list"):
        assert main([command, "--claims", path]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and match in err[0], err


def test_duplicate_ids_across_two_files(tmp_path, capsys):
    first = _write(tmp_path, "a.py", LEMMA.format(paper="dup"))
    second = _write(tmp_path, "b.py", LEMMA.format(paper="dup"))
    assert main(["verify", "--claims", first, "--claims", second]) == 2
    assert "duplicate claim id 'dup.one.exact'" in capsys.readouterr().err


def test_unknown_module_is_one_line_exit_2(capsys):
    assert main(["list", "--claims", "no_such_module_of_lemmas"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no such file, and importing it as a module failed" in err[0]


def test_an_installed_catalogue_is_listed_and_verified(tmp_path, monkeypatch, capsys):
    _write(tmp_path, "installed_lemmas.py", LEMMA.format(paper="pkgpaper"))
    monkeypatch.syspath_prepend(str(tmp_path))
    point = importlib.metadata.EntryPoint(name="pkgpaper", value="installed_lemmas",
                                          group=claims_module.ENTRY_POINT_GROUP)

    def entry_points(*, group: str):
        return [point] if group == claims_module.ENTRY_POINT_GROUP else []

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
    assert main(["list", "pkgpaper"]) == 0
    assert "[from entry point pkgpaper]" in capsys.readouterr().out
    assert main(["verify", "pkgpaper", "--jobs", "2"]) == 0
    assert "pkgpaper.one.exact" in capsys.readouterr().out
