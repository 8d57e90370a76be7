"""Bad input found as a new user would: one line, non-zero exit, at once (issue #14).

- `igproof check` on a named pipe with no writer blocked forever in open(): refused before open;
- a datum such as 1e999999 made `igproof flow` compute for minutes and `igproof minnorm` print a
  traceback: refused at parse time (igproof.rationals bounds exponents and digits).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from igproof.cli.main import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need POSIX")
def test_check_refuses_a_named_pipe_at_once(tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    start = time.perf_counter()
    # A subprocess with a timeout: the old behaviour (blocking in open) must fail, not hang.
    proc = subprocess.run([sys.executable, "-m", "igproof", "check", str(fifo)],
                          capture_output=True, text=True, timeout=60, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2
    assert "not a regular file (a named pipe)" in proc.stdout
    assert time.perf_counter() - start < 60


@pytest.mark.parametrize("path", ["/dev/zero", "/dev/null"])
def test_check_refuses_devices(path, capsys):
    if not os.path.exists(path):
        pytest.skip(f"{path} does not exist here")
    assert main(["check", path]) == 2
    assert "not a regular file (a device)" in capsys.readouterr().out


def test_check_refuses_a_directory(tmp_path, capsys):
    assert main(["check", str(tmp_path)]) == 2
    assert "not a regular file (a directory)" in capsys.readouterr().out


@pytest.mark.parametrize("datum", ["1e999999", "-1e999999", "1e-999999", "1e301",
                                   '"1/' + "7" * 400 + '"'])
def test_minnorm_refuses_out_of_range_numbers_in_one_line(tmp_path, capsys, datum):
    data = tmp_path / "data.json"
    data.write_text('{"x": [0, 1, ' + datum + '], "y": [1, 2, 3]}', "utf-8")
    start = time.perf_counter()
    assert main(["minnorm", "--data", str(data)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "out of range" in err[0]
    assert time.perf_counter() - start < 5


def test_flow_refuses_a_huge_exponent_at_once(tmp_path, capsys):
    data = tmp_path / "data.json"
    data.write_text('{"x": [[1e999999]], "y": [1]}', "utf-8")
    start = time.perf_counter()
    assert main(["flow", "neuron", "--data", str(data), "--init", "1/2,3/10"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "out of range" in err[0]
    assert time.perf_counter() - start < 10
    good = tmp_path / "good.json"
    good.write_text('{"x": [[1]], "y": [1]}', "utf-8")
    assert main(["flow", "neuron", "--data", str(good), "--init", "1e999999,1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "out of range" in err[0]


def test_minnorm_reports_proved_uniqueness(tmp_path, capsys):
    """The SPEC example x = (-3,-1,1,3), y = (3,1,1,3): f = |x| is the unique minimiser (the
    catalogue's boursier2023.uniqueness.penalised proves it by the same exact certificate)."""
    data = tmp_path / "spec.json"
    data.write_text(json.dumps({"x": [-3, -1, 1, 3], "y": [3, 1, 1, 3]}), "utf-8")
    assert main(["minnorm", "--data", str(data)]) == 0
    out = capsys.readouterr().out
    assert "unique minimiser: PROVED (optimal (cost = dual value = 2)" in out
    assert main(["minnorm", "--data", str(data), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["unique"] is True and "contact set" in payload["unique_reason"]


def test_minnorm_says_why_uniqueness_is_not_decided(tmp_path, capsys):
    data = tmp_path / "gen.json"  # a kink on the datum x = 2: weight sqrt(5) is irrational
    data.write_text(json.dumps({"x": [-1, 0, 1, 2, 3], "y": [0, 0, 1, 5, 2]}), "utf-8")
    assert main(["minnorm", "--data", str(data)]) == 0
    out = capsys.readouterr().out
    assert "unique minimiser: not decided (no exact dual" in out
