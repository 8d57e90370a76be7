"""The shipped zhang2023 overlap certificates: accepted as shipped, rejected after flipping one
dataset entry (a tampered certificate must be rejected).

Replaying a validated trajectory costs the checker ~1 s (relu, affine pieces) to ~5 s (tanh,
Taylor steps): every certificate is re-checked as shipped and with one label flipped; the
second tampering (an input coordinate) of the four trajectory certificates runs only with
IGPROOF_LONG=1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from igproof.certificate.overlap_instances import SHIPPED
from igproof.checker import check_certificate

FOLDER = Path(__file__).resolve().parents[2] / "certificates"
LONG = os.environ.get("IGPROOF_LONG") == "1"
# Certificates whose limits are replayed trajectories (expensive to re-check).
TRAJECTORY = {"zhang2023-two-point-relu-neuron.json", "zhang2023-one-point-distance-relu.json",
              "zhang2023-two-point-tanh.json", "zhang2023-one-point-distance-tanh.json",
              "zhang2023-two-point-relu.json", "vardi2021-two-point-two-layer.json"}


def test_every_builder_has_a_shipped_file():
    """Every builder in SHIPPED has its file under certificates/ (and nothing else is there)."""
    names = [p.name for p in FOLDER.glob("zhang2023-*.json")]
    names += [p.name for p in FOLDER.glob("vardi2021-two-point-*.json")]
    assert sorted(names) == sorted(SHIPPED)


def test_shipped_certificates_are_accepted_by_igproof_check():
    """`igproof check certificates/zhang2023-*.json` in a fresh process (only the checker's own
    registrations count) accepts every file: every obligation replayed, conclusion entailed."""
    files = [str(FOLDER / name) for name in sorted(SHIPPED)]
    proc = subprocess.run([sys.executable, "-m", "igproof", "check", "--json", *files],
                          capture_output=True, text=True, timeout=600)
    out = json.loads(proc.stdout)
    errors = {Path(k).name: v["error"] for k, v in out["files"].items() if not v["accepted"]}
    assert proc.returncode == 0 and not errors, errors
    assert {v["kind"] for v in out["files"].values()} == {"two-point-overlap",
                                                          "one-point-overlap"}


def _flip(value: str) -> str:
    return str(Fraction(value) + 1)


@pytest.mark.parametrize("filename", sorted(SHIPPED))
def test_flipping_one_dataset_entry_is_rejected(filename):
    """Changing one label (y_0 + 1) of the first dataset breaks a replayed obligation (the
    end-game, the trajectory's pattern, or the zero-set relation): the checker rejects."""
    cert = json.loads((FOLDER / filename).read_text())
    first = sorted(cert["datasets"])[0]
    cert["datasets"][first]["y"][0] = _flip(cert["datasets"][first]["y"][0])
    report = check_certificate(cert)
    assert not report.accepted
    assert any(o["status"] == "rejected" for o in report.obligations)


@pytest.mark.parametrize("filename", sorted(SHIPPED))
def test_flipping_one_input_coordinate_is_rejected(filename):
    """Changing one input coordinate (x_0[0] + 1) of the last dataset is rejected too."""
    if filename in TRAJECTORY and not LONG:
        pytest.skip("trajectory replay: set IGPROOF_LONG=1")
    cert = json.loads((FOLDER / filename).read_text())
    last = sorted(cert["datasets"])[-1]
    cert["datasets"][last]["x"][0][0] = _flip(cert["datasets"][last]["x"][0][0])
    assert not check_certificate(cert).accepted



def test_two_layer_zero_on_ball_relation_tampered_is_rejected():
    """The two-layer certificate's zero-set obligations: moving the label-0 point of S2 off the
    ray of S1's (so it is active on the limit ball) is rejected at the zero-set obligation or
    the replay."""
    cert = json.loads((FOLDER / "vardi2021-two-point-two-layer.json").read_text())
    relations = [o for o in cert["obligations"] if o["type"] == "zero-set"]
    assert {o["relation"] for o in relations} == {"zero-on-ball"}
    for o in relations:
        o["relation"] = "same-support"
    report = check_certificate(cert)
    assert not report.accepted
    assert {o["id"] for o in report.obligations if o["status"] == "rejected"} >= {"overlap.12"}
