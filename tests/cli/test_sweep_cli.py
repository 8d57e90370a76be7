"""`igproof sweep`: end to end on a small family, one-line errors, and a sweep killed midway
(SIGKILL of a real process) that a re-run completes without recomputing finished points."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

from igproof.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "sweeps" / "single_neuron_gamma.toml"
# Seconds to wait for the first part file of the killed sweep (imports on a loaded machine).
FIRST_PART_WAIT = 120


def _config(tmp_path: Path, gamma: str, init: str, chunk: int = 2) -> Path:
    text = EXAMPLE.read_text()
    text = text.replace("gamma = { log = [0.1, 100], n = 20 }", f"gamma = {gamma}")
    text = text.replace('init = { log = ["1e-6", 1], n = 12 }', f"init = {init}")
    text = text.replace("chunk = 8", f"chunk = {chunk}")
    path = tmp_path / "family.toml"
    path.write_text(text)
    return path


def test_sweep_writes_table_plot_and_summary(tmp_path, capsys):
    config = _config(tmp_path, "[1, 4]", '["1e-6", "1/10"]')
    out = tmp_path / "out"
    assert main(["sweep", str(config), "--out", str(out), "--workers", "0", "--json",
                 "--csv"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["total"] == 4 and summary["computed"] == 4 and summary["complete"]
    assert summary["backend"] == "serial"
    table = pq.read_table(out / "results.parquet")
    assert set(table.column("verdict").to_pylist()) == {"SUPPORTED"}
    for limit in table.column("limit").to_pylist():
        assert abs(limit[0] - 5) < 1e-9 and abs(limit[1] + 1) < 1e-9  # closed form
    assert (out / "phase.png").stat().st_size > 10_000 and (out / "results.csv").exists()


def test_bad_config_is_one_line_exit_2(tmp_path, capsys):
    config = _config(tmp_path, "[1, 4]", '["1e-6"]')
    config.write_text(config.read_text().replace('"0", "gamma", "gamma"', '"0", "gama", "1"'))
    assert main(["sweep", str(config), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown name 'gama'" in err
    assert main(["sweep", str(tmp_path / "none.toml")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_killed_sweep_resumes_without_recomputing(tmp_path, capsys):
    config = _config(tmp_path, "{ log = [0.5, 50], n = 10 }", '["1e-6", "1/100", "1"]')
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "igproof", "sweep", str(config), "--out",
                             str(out), "--workers", "0", "--no-progress"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + FIRST_PART_WAIT
    while not list(out.glob("parts/part-*.parquet")) and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    parts = list(out.glob("parts/part-*.parquet"))
    finished = sum(pq.read_metadata(p).num_rows for p in parts)
    assert 0 < finished < 30 and not (out / "results.parquet").exists()
    assert main(["sweep", str(config), "--out", str(out), "--workers", "0", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["skipped"] >= finished and summary["skipped"] + summary["computed"] == 30
    table = pq.read_table(out / "results.parquet")
    assert table.num_rows == 30 and len(set(table.column("point_id").to_pylist())) == 30
