"""The trajectory replay memo: a trajectory already replayed verbatim in this process is not
integrated again, and the memo never accepts what a fresh replay would reject."""

from __future__ import annotations

import copy
import json
from fractions import Fraction
from pathlib import Path

import pytest

from igproof.checker import check_certificate
from igproof.checker import trajectory as tr

CERT = Path(__file__).resolve().parents[2] / "certificates" / "lee2022-reactivation-label0.json"


@pytest.fixture()
def cert():
    tr._REPLAYED.clear()
    return json.loads(CERT.read_text())


def _trajectory(cert: dict) -> dict:
    return next(o for o in cert["obligations"] if o["type"] == "trajectory")


def test_second_check_of_the_same_trajectory_uses_the_memo(cert, monkeypatch):
    """After one accepted check, checking the same certificate again does not replay (a replay
    that would raise is never called) and is still accepted."""
    assert check_certificate(cert).accepted
    assert len(tr._REPLAYED) == 1

    def no_replay(*_args, **_kwargs):
        raise AssertionError("replayed although the memo holds this trajectory")

    monkeypatch.setattr(tr, "_replay", no_replay)
    assert check_certificate(copy.deepcopy(cert)).accepted


def test_memo_hit_still_checks_the_claimed_box(cert):
    """The claimed end box is checked against the memorised enclosure: shrinking it to a point
    far away is rejected even though the replay itself is memorised."""
    assert check_certificate(cert).accepted
    bad = copy.deepcopy(cert)
    ob = _trajectory(bad)
    ob["box"] = [["1000", "1000"] for _ in ob["box"]]
    report = check_certificate(bad)
    rejected = [o for o in report.obligations if o["status"] == "rejected"]
    assert not report.accepted and [o["type"] for o in rejected] == ["trajectory"]
    assert "not inside the claimed box" in rejected[0]["reason"]


def test_a_changed_segment_is_replayed_not_memorised(cert):
    """A trajectory that differs in one step number has another key: it is replayed afresh and
    the tampering (a first time interval doubled past the switch) is rejected."""
    assert check_certificate(cert).accepted
    bad = copy.deepcopy(cert)
    seg = _trajectory(bad)["segments"][0]
    lo, hi = seg["intervals"][0]
    seg["intervals"][0] = [lo, str(Fraction(hi) * 64)]
    assert not check_certificate(bad).accepted
    assert len(tr._REPLAYED) == 1
