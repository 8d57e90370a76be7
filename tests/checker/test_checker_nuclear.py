"""The nuclear-gap kind: the shipped certificates are accepted; tampered ones are rejected
(changed ball, d*, y, lambda, gap, model, claim, signs)."""

from __future__ import annotations

import copy
import json
from fractions import Fraction
from pathlib import Path

import pytest

from igproof.checker import check_certificate

CERTS = Path(__file__).resolve().parents[2] / "certificates"


@pytest.fixture(scope="module")
def gap():
    return json.loads((CERTS / "chu2024-not-minimal.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def kkt():
    return json.loads((CERTS / "chu2024-kkt-minimal.json").read_text("utf-8"))


def test_shipped_gap_certificate_is_accepted(gap):
    report = check_certificate(gap)
    assert report.accepted, report.error
    assert "not a minimal-nuclear-norm solution" in report.conclusion
    assert [o["id"] for o in report.obligations] == ["limit", "minimum", "decision"]


def test_shipped_kkt_certificate_is_accepted(kkt):
    report = check_certificate(kkt)
    assert report.accepted, report.error
    assert "KKT" in report.conclusion


def _q(x):
    return str(Fraction(x))


def _tampered(cert, mutate):
    c = copy.deepcopy(cert)
    mutate(c)
    return check_certificate(c)


def _shift_centre(c):
    ball = next(iter(c["limit"]["statement"]["limits"].values()))
    ball["center"][0] = _q(Fraction(ball["center"][0]) + Fraction(1, 1000))


def test_changed_ball_is_rejected_by_the_replay(gap):
    """A centre moved by 1e-3 still passes the gap test but not the embedded gf-limit replay."""
    report = _tampered(gap, _shift_centre)
    assert not report.accepted
    assert "limit" in report.error


CHEAP = {
    "d_star": lambda c: c["evidence"]["d_star"].__setitem__(2, "1/100"),
    "y": lambda c: c["problem"]["y"].__setitem__(0, "2"),
    "y everywhere": lambda c: (c["problem"]["y"].__setitem__(0, "2"),
                               next(iter(c["limit"]["datasets"].values()))["y"]
                               .__setitem__(0, "2")),
    "lambda": lambda c: c["evidence"]["lambda"].__setitem__(0, "1"),
    "gap": lambda c: c["evidence"].__setitem__("gap", "1/5"),
    "minimum": lambda c: c["evidence"].__setitem__("minimum", "1/2"),
    "claim": lambda c: c["statement"].__setitem__("claim", "minimal"),
    "model": lambda c: c["limit"]["model"].__setitem__(
        "output", c["limit"]["model"]["output"].replace("tanh", "sigmoid", 1)),
    "activation": lambda c: c["problem"].__setitem__("activation", "linear"),
    "radius": lambda c: next(iter(c["limit"]["statement"]["limits"].values())).__setitem__(
        "radius", "1"),
    "kind of limit": lambda c: c["limit"].__setitem__("kind", "nuclear-gap"),
}


@pytest.mark.parametrize("name", sorted(CHEAP))
def test_tampered_gap_certificate_is_rejected(gap, name):
    report = _tampered(gap, CHEAP[name])
    assert not report.accepted, name


@pytest.mark.parametrize("name", ["signs", "lambda_kkt", "mode unique"])
def test_tampered_kkt_certificate_is_rejected(kkt, name):
    mutate = {
        "signs": lambda c: c["evidence"]["signs"].__setitem__(0, -1),
        "lambda_kkt": lambda c: c["evidence"]["lambda_kkt"].__setitem__(0, "1/8"),
        "mode unique": lambda c: c["evidence"].__setitem__("mode", "unique"),
    }[name]
    assert not _tampered(kkt, mutate).accepted
