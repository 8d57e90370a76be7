"""``igproof minnorm``: output, plot, certificate, and one-line errors with exit code 2."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from igproof.checker.minnorm import check_minnorm_dual
from igproof.cli.main import main


def _write(tmp_path, obj, name="data.json"):
    path = tmp_path / name
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj), encoding="utf-8")
    return str(path)


def test_json_output_spec_example(tmp_path, capsys):
    """Unsorted input is sorted; the optimum |x| has one kink at 0 of jump 2 and cost 2."""
    data = _write(tmp_path, {"x": [[3], [-1], [1], [-3]], "y": [3, 1, 1, 3]})
    assert main(["minnorm", "--data", data, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["cost"] == "2" and out["lower_bound"] == "2" and out["cost_exact"] == "2"
    assert out["n_kinks"] == 1
    assert out["kinks"][0]["at"] == "0" and out["kinks"][0]["jump_exact"] == "2"
    assert out["verdict"] == "PROVED"


def test_free_bias_table(tmp_path, capsys):
    data = _write(tmp_path, {"x": [-3, -1, 1, 3], "y": [3, 1, 1, 3]})
    assert main(["minnorm", "--data", data, "--free-bias"]) == 0
    out = capsys.readouterr().out
    assert "free" in out and "unique minimiser: no" in out and "PROVED" in out


def test_plot_and_certificate(tmp_path, capsys):
    """--plot writes a PNG; --certificate writes a certificate whose minnorm-dual obligation the
    checker accepts, with a bracket containing 6/sqrt(10) (the closed form of
    tests/proof/test_minnorm.py)."""
    data = _write(tmp_path, {"x": ["-3", "3", "4"], "y": [0, 0, 1]})
    png = tmp_path / "out" / "f.png"
    cert = tmp_path / "ob.json"
    assert main(["minnorm", "--data", data, "--plot", str(png), "--certificate",
                 str(cert)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ob = json.loads(cert.read_text())["obligations"][0]
    check_minnorm_dual(ob, {"x": ob["x"], "y": ob["y"]})
    lo, hi = Fraction(ob["lower_bound"]), Fraction(ob["upper_bound"])
    assert lo * lo <= Fraction(36, 10) <= hi * hi
    capsys.readouterr()


@pytest.mark.parametrize("content, match", [
    ({"x": [1, 2, 2], "y": [1, 2, 3]}, "appears twice"),
    ({"x": [1], "y": [1]}, "at least 2"),
    ('{"x": [1, NaN], "y": [1, 2]}', "not a finite number"),
    ({"x": [1, 2]}, "expected a JSON object"),
    ("{not json", "not valid JSON"),
])
def test_bad_input_one_line_exit_2(tmp_path, capsys, content, match):
    data = _write(tmp_path, content)
    assert main(["minnorm", "--data", data]) == 2
    err = capsys.readouterr().err
    assert match in err and err.count("\n") == 1 and "Traceback" not in err


def test_missing_file_and_bad_tolerance(tmp_path, capsys):
    assert main(["minnorm", "--data", str(tmp_path / "nope.json")]) == 2
    assert "no such file" in capsys.readouterr().err
    data = _write(tmp_path, {"x": [0, 1], "y": [0, 1]})
    assert main(["minnorm", "--data", data, "--gap-tol", "zero"]) == 2
    assert "gap_tol" in capsys.readouterr().err
