"""Hostile input gets a clean rejection with a one-line reason: never a traceback, never an
acceptance, and bounded work (limits on size, nesting, number length, expression size)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from igproof.checker import check_bytes

CERT = Path(__file__).resolve().parents[2] / "certificates" / "gf-limit-relu-neuron.json"
HUGE = "1" + "0" * 1_000_000


def _with(path: list, value) -> bytes:
    cert = json.loads(CERT.read_text(encoding="utf-8"))
    node = cert
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return json.dumps(cert).encode()


HOSTILE = {
    "empty": b"",
    "not-json": b"\x00\xff garbage",
    "not-utf8": b"\xff\xfe\xfd",
    "deep-list": b"[" * 200_000 + b"]" * 200_000,
    "deep-object": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "huge-json-integer": HUGE.encode(),
    "huge-number-string": _with(["theta0", 0], HUGE),
    "huge-in-dataset": _with(["datasets", "S", "y", 0], HUGE),
    "float-number": _with(["theta0", 0], 0.5),
    "nan": b'{"format": "igproof-certificate", "version": NaN}',
    "import-in-model": _with(["model", "output"], "__import__('os').system('echo hi')"),
    "attribute-in-model": _with(["model", "output"], "a.__class__"),
    "unknown-function": _with(["model", "output"], "a*eval(w)"),
    "unknown-field": _with(["extra"], 1),
    "unknown-kind": _with(["kind"], "everything-is-true"),
    "unknown-version": _with(["version"], 2),
    "bool-version": _with(["version"], True),
    "unknown-obligation": _with(["obligations", 0, "type"], "trust-me"),
    "huge-cover": _with(["obligations", 1, "cover"], "0 " * 100_000),
    "deep-cover": _with(["obligations", 1, "cover"], "0 " * 5000 + "L " * 5001),
    "long-expression": _with(["model", "output"], "a" + "+a" * 5000),
    "huge-exponent": _with(["model", "output"], "a^99999999"),
    "exp-overflow": _with(["model", "output"], "a*exp(w*10^9)"),
    "negative-zero-denominator": _with(["theta0", 0], "1/0"),
    "list-not-object": b"[1, 2, 3]",
    "claim-list": _with(["statement", "claim"], [[["x"]]]),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input_is_rejected_in_one_line(name):
    report = check_bytes(HOSTILE[name])
    assert not report.accepted
    reason = report.error or " ".join(ob["reason"] for ob in report.obligations
                                      if ob["status"] == "rejected") or report.conclusion
    assert reason and "\n" not in reason and "Traceback" not in reason


@given(st.binary(max_size=2000))
@settings(max_examples=200, deadline=None)
def test_random_bytes_are_rejected(data):
    """Random bytes are never a certificate."""
    assert not check_bytes(data).accepted


def test_cli_reports_one_line_and_exit_code_2_for_hostile_files(tmp_path):
    """`igproof check` on hostile files: exit 2, no traceback on stderr/stdout."""
    paths = []
    for name in ("deep-list", "huge-json-integer", "not-utf8"):
        path = tmp_path / f"{name}.json"
        path.write_bytes(HOSTILE[name])
        paths.append(str(path))
    result = subprocess.run([sys.executable, "-m", "igproof", "check", *paths],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr


def test_duplicate_keys_are_rejected():
    """A JSON object with a repeated key could read differently to different parsers."""
    text = CERT.read_text(encoding="utf-8").replace('"kind": "gf-limit",',
                                                    '"kind": "gf-limit", "kind": "gf-limit",')
    assert not check_bytes(text.encode()).accepted
