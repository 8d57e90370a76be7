"""`igproof check`: a table per file, exit 0 / 1 / 2, --json output, no heavy imports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CERTS = Path(__file__).resolve().parents[2] / "certificates"


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "igproof", "check", *args],
                          capture_output=True, text=True, timeout=300)


def test_shipped_certificates_exit_0_with_a_table():
    files = sorted(str(p) for p in CERTS.glob("*.json")  # this module's own shipped files
                   if json.loads(p.read_text("utf-8")).get("producer")
                   == "igproof.certificate.produce")
    result = _run(*files)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("ACCEPTED") == len(files)
    assert "pl-endgame" in result.stdout and "accepted" in result.stdout


def test_rejected_certificate_exits_1_and_names_the_reason(tmp_path):
    cert = json.loads((CERTS / "gf-limit-relu-neuron.json").read_text("utf-8"))
    cert["statement"]["limits"]["L"]["center"][0] = "2"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(cert), "utf-8")
    result = _run(str(path))
    assert result.returncode == 1
    assert "REJECTED" in result.stdout and "localize" in result.stdout
    assert "Traceback" not in result.stderr


def test_unreadable_file_exits_2_even_among_good_ones(tmp_path):
    result = _run(str(CERTS / "gf-limit-relu-neuron.json"), str(tmp_path / "missing.json"))
    assert result.returncode == 2
    assert "cannot read file" in result.stdout


def test_json_output_is_machine_readable():
    path = str(CERTS / "gf-limit-relu-neuron.json")
    result = _run("--json", path)
    data = json.loads(result.stdout)
    assert data["exit_code"] == 0 and data["files"][path]["accepted"] is True
    assert {ob["status"] for ob in data["files"][path]["obligations"]} == {"accepted"}


def test_check_imports_no_heavy_library():
    code = ("import sys\nfrom igproof.cli.main import main\n"
            f"main(['check', {str(CERTS / 'gf-limit-relu-neuron.json')!r}])\n"
            "print(sorted(m for m in ('sympy', 'flint', 'mpmath', 'numpy', 'scipy') "
            "if m in sys.modules))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.stdout.strip().splitlines()[-1] == "[]"
