"""gf-limit certificates from validated enclosures are accepted by the independent checker,
and tampered ones are rejected."""

import copy
import json
import os
from fractions import Fraction

import pytest

from igproof.certificate.gf_limit import limit_certificate
from igproof.certificate.writer import dumps_certificate
from igproof.checker import check_certificate
from igproof.proof.limits.limit import ProvedLimit, prove_flow_limit
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.flow import gradient_flow
from igproof.symbolic.models import build_model

LONG = os.environ.get("IGPROOF_LONG") == "1"


def _roundtrip(cert):
    return json.loads(dumps_certificate(cert))


def _relu3d(g):
    data = Dataset([[3, -1, 0], [4, 2, 0], [0, g, g]], [16, 18, 0])
    return gradient_flow(build_model("relu-neuron", dim=3), data)


def _neuron(act):
    return gradient_flow(build_model("neuron", dim=1, activation=act), Dataset([[1]], [1]))


@pytest.fixture(scope="module")
def relu3d_cert():
    flow = _relu3d(1)
    result = prove_flow_limit(flow, ["1e-6"] * 3, loss_target="1e-20")
    assert isinstance(result, ProvedLimit)
    return result, _roundtrip(limit_certificate(result, flow))


@pytest.fixture(scope="module")
def taylor_cert():
    flow = _neuron("relu")
    result = prove_flow_limit(flow, ["0.5", "0.3"], order=28, loss_target="1e-6")
    assert isinstance(result, ProvedLimit)
    return result, _roundtrip(limit_certificate(result, flow))


def test_relu3d_certificate_accepted(relu3d_cert):
    """Affine pieces with a certified switch of x3: every obligation accepted."""
    result, cert = relu3d_cert
    report = check_certificate(cert)
    assert report.accepted, report.obligations
    assert [o["status"] for o in report.obligations] == ["accepted"] * 4
    claimed = Fraction(cert["statement"]["limits"]["L"]["radius"])
    assert claimed >= result.radius_upper and claimed < Fraction(1, 10**8)


def test_taylor_certificate_accepted(taylor_cert):
    """Validated Taylor steps replayed in rational interval arithmetic: accepted."""
    _, cert = taylor_cert
    report = check_certificate(cert)
    assert report.accepted, report.obligations


def test_tampered_pattern_rejected(relu3d_cert):
    """Claiming x3 inactive from the start contradicts z3 = 2e-6 > 0: rejected."""
    _, cert = relu3d_cert
    bad = copy.deepcopy(cert)
    bad["obligations"][1]["segments"][0]["pattern"][2] = -1
    assert not check_certificate(bad).accepted


def test_tampered_switch_time_rejected(relu3d_cert):
    """A switching time moved off the true crossing is not certified."""
    _, cert = relu3d_cert
    bad = copy.deepcopy(cert)
    end = bad["obligations"][1]["segments"][0]["end"]
    lo, hi = (Fraction(t) for t in end["bracket"])
    end["time"] = [str(lo), str(lo + (hi - lo) / 1000)]
    report = check_certificate(bad)
    assert not report.accepted
    assert "time" in report.obligations[1]["reason"] or "sign" in report.obligations[1]["reason"]


def test_tampered_box_rejected(relu3d_cert):
    """A claimed theta(T) box shifted away from the enclosure is rejected."""
    _, cert = relu3d_cert
    bad = copy.deepcopy(cert)
    box = bad["obligations"][1]["box"]
    box[0] = [str(Fraction(x) + Fraction(1, 10**6)) for x in box[0]]
    assert not check_certificate(bad).accepted


def test_tampered_picard_box_rejected(taylor_cert):
    """A Picard box shrunk to its centre fails the inclusion test."""
    _, cert = taylor_cert
    bad = copy.deepcopy(cert)
    step = bad["obligations"][1]["segments"][0]["steps"][0]
    lo, hi = (Fraction(x) for x in step["picard"][0])
    mid = (lo + hi) / 2
    step["picard"][0] = [str(mid), str(mid)]
    report = check_certificate(bad)
    assert not report.accepted and "picard" in report.obligations[1]["reason"]


@pytest.mark.skipif(not LONG, reason="long profile: set IGPROOF_LONG=1 (about a minute each)")
@pytest.mark.parametrize("case", ["neuron-relu", "relu3d-g1", "relu3d-g5"])
def test_issue4_certificates_accepted_long(case):
    """The issue-4 cases at full precision: certificates accepted by the checker."""
    if case == "neuron-relu":
        flow, theta0 = _neuron("relu"), ["0.5", "0.3"]
    else:
        flow, theta0 = _relu3d(int(case[-1])), ["1e-6"] * 3
    result = prove_flow_limit(flow, theta0, prec=128)
    assert isinstance(result, ProvedLimit)
    assert check_certificate(_roundtrip(limit_certificate(result, flow))).accepted


@pytest.mark.parametrize(("prec", "order"), [(53, 12), (64, 16)])
def test_tanh_overlap_trajectory_at_low_order_is_accepted(prec, order):
    """a tanh(w . x) on {((1,0), 1/2), ((0,1), 0)} (the g = 1 trajectory of the two-point tanh
    instance) at order 12 / 53 bits and order 16 / 64 bits: the checker's replayed enclosure of
    theta(T) lies inside the proof's box (widened by 2^-90), so the certificate is accepted;
    the replay used to leave the box (its tanh Taylor remainders were ~1e6x wider than arb's)."""
    data = Dataset([[1, 0], [0, 1]], ["1/2", "0"])
    flow = gradient_flow(build_model("neuron", dim=2, activation="tanh"), data)
    result = prove_flow_limit(flow, ["1/2"] * 3, prec=prec, order=order, sensitivity_order=6,
                              loss_target=Fraction(1, 5 * 10**6))
    assert isinstance(result, ProvedLimit)
    cert = _roundtrip(limit_certificate(result, flow))
    report = check_certificate(cert)
    assert report.accepted, report.obligations
    claimed = Fraction(cert["statement"]["limits"]["L"]["radius"])
    assert claimed >= result.radius_upper
