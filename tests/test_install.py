"""Installing igproof beside a recent sympy changes neither sympy nor mpmath.

A fresh virtual environment gets the newest sympy release (>= 1.14, with the mpmath it pulls
in); then pip resolves `pip install -e <this repo>` in that environment with `--dry-run
--report` and the test reads pip's JSON report: the packages pip would install must include
neither sympy nor mpmath (a downgrade or an upgrade would appear there). The dry run resolves
exactly what a real install would, without spending a minute writing numpy and scipy to disk.

Needs the package index (or pip's cache): when sympy cannot be installed for lack of a network,
the test is skipped with that reason, never failed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# The ecosystem's sympy: the newest release, at least the one the issue names.
RECENT_SYMPY = "sympy>=1.14"

# Budget per pip call (seconds); resolution from a warm cache takes ~30 s on a shared machine.
PIP_TIMEOUT = 600

# pip output that means "no index reachable", not "igproof's requirements conflict".
OFFLINE_SIGNS = ("No matching distribution found", "Could not find a version",
                 "NewConnectionError", "Network is unreachable", "Temporary failure in name "
                 "resolution", "Connection refused", "ProxyError", "ReadTimeoutError")


def _outer_pip_drives_other_environments() -> bool:
    """pip >= 22.3 (``pip --python``) can serve the venv: no 15 s ensurepip bootstrap there."""
    try:
        import pip
    except ImportError:
        return False
    major, minor = (int(part) for part in pip.__version__.split(".")[:2])
    return (major, minor) >= (22, 3)


def _pip(python: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PYTHONNOUSERSITE": "1"}
    env.pop("PYTHONPATH", None)  # the venv must see its own packages, not this checkout
    if _outer_pip_drives_other_environments():
        command = [sys.executable, "-m", "pip", "--python", str(python), *args]
    else:
        command = [str(python), "-m", "pip", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=PIP_TIMEOUT, env=env)


def _versions(python: Path) -> dict[str, str]:
    listing = _pip(python, "list", "--format", "json")
    assert listing.returncode == 0, listing.stderr
    return {p["name"].lower(): p["version"] for p in json.loads(listing.stdout)}


@pytest.mark.slow
def test_installing_igproof_keeps_a_recent_sympy_and_its_mpmath(tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=not _outer_pip_drives_other_environments(),
                symlinks=sys.platform != "win32")
    python = env_dir / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    setup = _pip(python, "install", "--quiet", RECENT_SYMPY)
    if setup.returncode != 0:
        if any(sign in setup.stderr for sign in OFFLINE_SIGNS):
            pytest.skip(f"package index unreachable, cannot install {RECENT_SYMPY}: "
                        f"{setup.stderr.strip().splitlines()[-1]}")
        pytest.fail(f"pip install {RECENT_SYMPY} failed:\n{setup.stderr}")
    before = _versions(python)
    major, minor = (int(part) for part in before["sympy"].split(".")[:2])
    assert (major, minor) >= (1, 14), before["sympy"]

    report = tmp_path / "report.json"
    resolved = _pip(python, "install", "--quiet", "--dry-run", "--report", str(report),
                    "-e", str(REPO))
    if resolved.returncode != 0 and any(s in resolved.stderr for s in OFFLINE_SIGNS):
        pytest.skip(f"package index unreachable while resolving igproof's dependencies: "
                    f"{resolved.stderr.strip().splitlines()[-1]}")
    assert resolved.returncode == 0, resolved.stderr
    would_install = {item["metadata"]["name"].lower(): item["metadata"]["version"]
                     for item in json.loads(report.read_text())["install"]}
    assert "igproof" in would_install
    assert "sympy" not in would_install, (before["sympy"], would_install["sympy"])
    assert "mpmath" not in would_install, (before["mpmath"], would_install["mpmath"])
    assert _versions(python) == before  # a dry run touches nothing
