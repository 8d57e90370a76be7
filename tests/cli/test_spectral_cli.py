"""``igproof spectral``: bad input is one line and exit 2; flow answers the minimality question
(float or proved, with a certificate `igproof check` accepts); train writes its figures."""

from __future__ import annotations

import json

import pytest

from igproof.cli.main import main

GAP = {"A": [[4, 1, 0], [0, 4, 1]], "y": ["9/4", 1], "u0": ["1/2", "1/2", "1/2"],
       "v0": ["1/4", "1/4", "1/4"], "activation": "tanh"}
UNIQUE = {"A": [[4, 1, 0], [0, 4, 1], [1, 0, 4]], "y": ["9/4", 1, "1/2"],
          "u0": ["1/2", "1/2", "1/2"], "v0": ["1/4", "1/4", "1/4"], "activation": "tanh"}


def _write(tmp_path, obj, name="p.json"):
    path = tmp_path / name
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj))
    return str(path)


@pytest.mark.parametrize("problem", [
    "{not json",
    {"A": [[1, 2]], "y": [1], "u0": [1, 2]},
    {"A": [[1, 2, 3]], "y": [1], "u0": [1, 2], "v0": [1, 1]},
    '{"A": [[1, NaN]], "y": [1], "u0": [1, 2], "v0": [1, 1]}',
    {"A": [[1, 2]], "y": [1], "u0": [1, 2], "v0": [1, 1], "activation": "softsign"},
    {"A": [[1, 2], [2, 4]], "y": [1, 3], "u0": [1, 2], "v0": [1, 1]},  # inconsistent
])
def test_bad_problem_is_one_line_and_exit_2(tmp_path, capsys, problem):
    assert main(["spectral", "flow", "--problem", _write(tmp_path, problem)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("igproof: error:") and err.count("\n") == 1
    assert "Traceback" not in err


def test_option_errors(tmp_path, capsys):
    path = _write(tmp_path, GAP)
    assert main(["spectral", "flow", "--problem", path, "--certificate", "c.json"]) == 2
    assert main(["spectral", "flow", "--problem", path, "--plot", "f.gif"]) == 2
    assert main(["spectral", "flow", "--problem", str(tmp_path / "missing.json")]) == 2
    assert main(["spectral", "train", "--widths", "2,x"]) == 2
    capsys.readouterr()


def test_float_flow_json_answers_minimality(tmp_path, capsys):
    assert main(["spectral", "flow", "--problem", _write(tmp_path, GAP), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"] == "SUPPORTED" and out["minimal"] is False
    assert out["minimal_nuclear_norm"] == "3/4" and abs(out["gap"] - 0.10493) < 1e-4
    assert main(["spectral", "flow", "--problem", _write(tmp_path, UNIQUE), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["minimal"] is True


def test_prove_writes_a_certificate_that_check_accepts(tmp_path, capsys):
    cert, plot = tmp_path / "gap.json", tmp_path / "loss.svg"
    assert main(["spectral", "flow", "--problem", _write(tmp_path, GAP), "--prove",
                 "--certificate", str(cert), "--json", "--plot", str(plot)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"] == "REFUTED" and out["mode"] == "gap"
    assert out["rate"]["kappa_lo"] <= out["rate"]["measured"] <= out["rate"]["kappa_hi"]
    assert plot.read_text().lstrip().startswith("<?xml")
    assert main(["check", str(cert)]) == 0
    assert "ACCEPTED" in capsys.readouterr().out


@pytest.mark.slow
def test_prove_unique_3x3_rank2_three_measurements(tmp_path, capsys):
    """The issue's must-show: 3 x 3, rank 2, 3 measurements; PROVED minimal, certificate
    accepted by `igproof check`."""
    cert = tmp_path / "unique.json"
    assert main(["spectral", "flow", "--problem", _write(tmp_path, UNIQUE), "--prove",
                 "--certificate", str(cert), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"] == "PROVED" and out["mode"] == "unique"
    assert main(["check", str(cert)]) == 0


def test_train_json_and_plots(tmp_path, capsys):
    png = tmp_path / "train.png"
    assert main(["spectral", "train", "--n", "6", "--rank", "2", "--m", "20", "--iterations",
                 "40", "--json", "--plot", str(png)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["final"]["loss"] < out["history"]["loss"][0]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_every_new_command_prints_the_one_json_envelope(tmp_path, capsys):
    """spectral, ridgelet and sweep --json open with command, igproof, exit_code, verdict
    (docs/cli.md), like every other command."""
    from igproof.cli.output import ENVELOPE_KEYS

    assert main(["ridgelet", "transform", "--ridgelet", "dawson", "--at", "1,0", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert tuple(document)[:4] == ENVELOPE_KEYS and document["verdict"] == "SUPPORTED"
