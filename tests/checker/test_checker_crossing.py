"""The checker replays Taylor segments that end in a certified kink crossing (a*relu(w.x),
S_g = {((1, 0), 1), ((-g, g), 0)}), and rejects every tampered crossing."""

import copy
import json
from fractions import Fraction

import pytest

from igproof.certificate.gf_limit import limit_certificate
from igproof.certificate.writer import dumps_certificate
from igproof.checker import OBLIGATIONS, check_certificate
from igproof.checker.context import Context
from igproof.cli.main import main
from igproof.proof.limits.limit import ProvedLimit, prove_flow_limit
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.flow import gradient_flow
from igproof.symbolic.models import build_model


def _flow(g):
    data = Dataset([[1, 0], [-g, g]], [1, 0])
    return gradient_flow(build_model("neuron", dim=2, activation="relu"), data)


@pytest.fixture(scope="module")
def certs():
    out = {}
    for g in (1, 2):
        result = prove_flow_limit(_flow(g), ("1/2", "1/10", "3/10"), prec=128)
        assert isinstance(result, ProvedLimit)
        out[g] = (result, json.loads(dumps_certificate(limit_certificate(result, _flow(g)))))
    return out


def _trajectory(report):
    return next(o for o in report.obligations if o["type"] == "trajectory")


def _rejected(cert):
    report = check_certificate(cert)
    assert not report.accepted
    return _trajectory(report)


@pytest.mark.parametrize("g", [1, 2])
def test_crossing_certificate_accepted_by_igproof_check(certs, g, tmp_path):
    """Both certificates (segment 0 ends in a crossing of atom 1, segment 1 declares it) are
    accepted by `igproof check`; the claimed ball holds the proved ball."""
    result, cert = certs[g]
    segs = cert["obligations"][1]["segments"]
    assert [s["method"] for s in segs] == ["taylor", "taylor"]
    assert segs[0]["end"] == {"kind": "switch", "atom": 1} and segs[1]["just_switched"] == 1
    assert segs[0]["pattern"] == [1, 1] and segs[1]["pattern"] == [1, -1]
    path = tmp_path / f"cross{g}.json"
    path.write_text(json.dumps(cert))
    assert main(["check", str(path)]) == 0
    claimed = Fraction(cert["statement"]["limits"]["L"]["radius"])
    assert result.radius_upper <= claimed < Fraction(1, 10 ** 20)


def test_replay_records_the_certified_pattern_sequence(certs):
    """After an accepted replay the trajectory obligation stores its segments' patterns."""
    _, cert = certs[1]
    ctx = Context(cert)
    ctx.patterns = {}
    for ob in cert["obligations"][:2]:
        OBLIGATIONS[ob["type"]].check(ctx, ob)
    assert ctx.patterns["trajectory"] == [(1, 1), (1, -1)]


def test_wrong_crossing_atom_rejected(certs):
    """Atom 0 (w1) does not cross: it is certainly positive at the end of the step."""
    bad = copy.deepcopy(certs[1][1])
    bad["obligations"][1]["segments"][0]["end"]["atom"] = 0
    assert _rejected(bad)["status"] == "rejected"


def test_crossing_step_too_short_rejected(certs):
    """A quarter of the crossing step ends before z = 0: the end sign is not certain."""
    bad = copy.deepcopy(certs[1][1])
    step = bad["obligations"][1]["segments"][0]["steps"][-1]
    step["h"] = str(Fraction(step["h"]) / 4)
    ob = _rejected(bad)
    assert ob["status"] == "rejected" and "end of the crossing step" in ob["reason"]


def test_next_pattern_must_flip_the_atom(certs):
    bad = copy.deepcopy(certs[1][1])
    bad["obligations"][1]["segments"][1]["pattern"] = [1, 1]
    assert "flipped" in _rejected(bad)["reason"]


def test_just_switched_is_required(certs):
    bad = copy.deepcopy(certs[1][1])
    del bad["obligations"][1]["segments"][1]["just_switched"]
    assert "just_switched" in _rejected(bad)["reason"]


def test_crossing_without_end_marker_rejected(certs):
    """Without the switch end the crossing step is an ordinary step whose a priori box
    straddles the kink."""
    bad = copy.deepcopy(certs[1][1])
    del bad["obligations"][1]["segments"][0]["end"]
    assert _rejected(bad)["status"] == "rejected"


def test_label0_point_moved_so_no_crossing_rejected(certs):
    """With the second point at (0, 1) its atom is w2, which stays positive: the recorded
    crossing does not happen, so the replay must fail."""
    bad = copy.deepcopy(certs[1][1])
    bad["datasets"]["S"]["x"][1] = ["0", "1"]
    ob = _rejected(bad)
    assert ob["status"] == "rejected" and "segments[0]" in ob["reason"], ob


def test_existing_taylor_format_without_end_still_accepted():
    """Backward compatibility: a Taylor segment without `end` stops (relu a*relu(w x))."""
    flow = gradient_flow(build_model("neuron", dim=1, activation="relu"), Dataset([[1]], [1]))
    result = prove_flow_limit(flow, ["0.5", "0.3"], loss_target="1e-6")
    cert = json.loads(dumps_certificate(limit_certificate(result, flow)))
    seg = cert["obligations"][1]["segments"][0]
    assert "end" not in seg and "just_switched" not in seg
    assert check_certificate(cert).accepted
