"""The kernel accepts the shipped certificates, whose claims hold by an independent route, and
rejects each obligation when its mathematics fails.

Independent routes: the limits are computed in closed form with mpmath at 50 digits
(conservation laws plus interpolation, see each test), never from the checker's output.
"""

from __future__ import annotations

import copy
import json
from fractions import Fraction
from pathlib import Path

import mpmath
import pytest

from igproof.checker import OBLIGATIONS, check_certificate, statement_text

CERTS = Path(__file__).resolve().parents[2] / "certificates"
# igproof.certificate.produce's files; files from other producers are re-checked by CI's
# `igproof check certificates/*.json` (their replay is slower: trajectories).
SHIPPED = sorted(p for p in CERTS.glob("*.json")
                 if json.loads(p.read_text(encoding="utf-8")).get("producer")
                 == "igproof.certificate.produce")


def _load(name: str) -> dict:
    return json.loads((CERTS / name).read_text(encoding="utf-8"))


def _q(text: str) -> mpmath.mpf:
    q = Fraction(text)
    return mpmath.mpf(q.numerator) / q.denominator


def _inside(limit: list[mpmath.mpf], entry: dict) -> bool:
    with mpmath.workdps(60):
        d2 = sum((x - _q(c)) ** 2 for x, c in zip(limit, entry["center"], strict=True))
        return d2 <= _q(entry["radius"]) ** 2


def _skip_if_extension_missing(cert: dict) -> None:
    missing = sorted({ob.get("type") for ob in cert.get("obligations", [])} - set(OBLIGATIONS))
    if missing:
        pytest.skip(f"needs obligation types {missing}, not registered in this checker yet")


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_certificate_is_accepted(path):
    """Each of igproof's shipped certificates is accepted with all obligations."""
    cert = json.loads(path.read_text(encoding="utf-8"))
    _skip_if_extension_missing(cert)
    report = check_certificate(cert)
    assert report.accepted, (report.error, report.obligations, report.conclusion)
    assert all(ob["status"] == "accepted" for ob in report.obligations)


def test_each_kind_has_a_shipped_certificate():
    kinds = {json.loads(p.read_text(encoding="utf-8"))["kind"] for p in SHIPPED}
    assert {"gf-limit", "one-point-overlap", "not-characterized-by"} <= kinds


def _relu_neuron_limit() -> list[mpmath.mpf]:
    """a relu(w x), x = y = 1, theta0 = (1, 9/10): a w = 1 and a^2 - w^2 = c = 19/100, so
    a^2 = (c + sqrt(c^2 + 4))/2 (SPEC section 1 formula)."""
    with mpmath.workdps(50):
        c = mpmath.mpf(19) / 100
        a = mpmath.sqrt((c + mpmath.sqrt(c * c + 4)) / 2)
        return [a, 1 / a]


def test_relu_neuron_limit_lies_in_the_certified_ball():
    cert = _load("gf-limit-relu-neuron.json")
    assert _inside(_relu_neuron_limit(), cert["statement"]["limits"]["L"])


def test_relu_neuron_closed_form_matches_the_spec_oracle():
    """The same formula at theta0 = (0.5, 0.3) reproduces SPEC's computed example."""
    with mpmath.workdps(50):
        c = mpmath.mpf("0.16")
        a = mpmath.sqrt((c + mpmath.sqrt(c * c + 4)) / 2)
        assert abs(a - mpmath.mpf("1.040766494617671768871518974")) < mpmath.mpf("1e-26")


def _linear_neuron_limits() -> tuple[list, list]:
    """a (w . x), theta0 = (2, 9/20, 1/4).
    S1 = {(e1, 1)}: w2 = 1/4 and a^2 - w1^2 = 4 - 81/400 conserved, a w1 = 1.
    S2 = S1 + {(e2, 0)}: a^2 - |w|^2 = 4 - 81/400 - 1/16 conserved, a w1 = 1, a w2 = 0."""
    with mpmath.workdps(50):
        c1 = 4 - mpmath.mpf(81) / 400
        a1 = mpmath.sqrt((c1 + mpmath.sqrt(c1 * c1 + 4)) / 2)
        c2 = c1 - mpmath.mpf(1) / 16
        a2 = mpmath.sqrt((c2 + mpmath.sqrt(c2 * c2 + 4)) / 2)
        return [a1, 1 / a1, mpmath.mpf(1) / 4], [a2, 1 / a2, mpmath.mpf(0)]


def test_one_point_overlap_facts_hold_by_closed_form():
    """Both limits lie in their balls; theta2 fits S1 (a w1 = 1); |theta2| < |theta1|."""
    cert = _load("one-point-overlap-linear-neuron.json")
    theta1, theta2 = _linear_neuron_limits()
    limits = cert["statement"]["limits"]
    assert _inside(theta1, limits["L1"]) and _inside(theta2, limits["L2"])
    with mpmath.workdps(50):
        assert abs(theta2[0] * theta2[1] - 1) < mpmath.mpf("1e-45")
        assert mpmath.norm(theta2) < mpmath.norm(theta1)


def test_not_characterized_witness_holds_by_closed_form():
    """G = a^2 + w^2: theta' = (1, 1) fits (1 * relu(1) = 1) and G(theta') = 2 < G(limit)."""
    a, w = _relu_neuron_limit()
    assert a * a + w * w > 2


def test_kkt_claim_holds_by_closed_form():
    """G = (a-1)^2 + (w-9/10)^2: det [grad r; grad G] = 2w(w - 9/10) - 2a(a - 1) != 0 at the
    limit, i.e. grad G is not parallel to grad r = (w, a)."""
    a, w = _relu_neuron_limit()
    with mpmath.workdps(50):
        det = 2 * w * (w - mpmath.mpf(9) / 10) - 2 * a * (a - 1)
        assert abs(det) > mpmath.mpf("1e-4")  # about -5.2e-4: small but far from 0


# --- each obligation rejects when its mathematics fails --------------------------------------

def _obligation(cert: dict, ident: str) -> dict:
    return next(ob for ob in cert["obligations"] if ob["id"] == ident)


def _rejected_obligation(cert: dict) -> list[str]:
    report = check_certificate(cert)
    assert not report.accepted
    return [ob["id"] for ob in report.obligations if ob["status"] == "rejected"]


def test_pl_endgame_rejects_a_lambda_above_the_spectrum():
    """lambda = 100 exceeds every eigenvalue of J J^T = a^2 + w^2 (< 4 on D): no PL."""
    cert = _load("gf-limit-relu-neuron.json")
    _obligation(cert, "endgame")["lambda"] = "100"
    assert "endgame" in _rejected_obligation(cert)


def test_pl_endgame_rejects_a_domain_that_the_ball_leaves():
    cert = _load("gf-limit-relu-neuron.json")
    dom = _obligation(cert, "endgame")["domain"]
    dom[0] = ["99/100", dom[0][1]]
    assert "endgame" in _rejected_obligation(cert)


def test_pl_endgame_rejects_a_domain_across_the_relu_kink():
    """A domain with w in [-1, 2] contains the kink w = 0: relu'(w) undecided, rejected."""
    cert = _load("gf-limit-relu-neuron.json")
    ob = _obligation(cert, "endgame")
    ob["domain"][1] = ["-1", "2"]
    assert "endgame" in _rejected_obligation(cert)


def test_conserved_rejects_a_quantity_that_is_not_conserved():
    """a^2 + w^2 is not conserved: d/dt = -4 a w r != 0."""
    cert = _load("gf-limit-relu-neuron.json")
    _obligation(cert, "conserved0")["quantity"] = "a^2 + w^2"
    assert "conserved0" in _rejected_obligation(cert)


def test_start_rejects_a_box_without_theta0():
    cert = _load("gf-limit-relu-neuron.json")
    _obligation(cert, "start")["box"][0] = ["2", "3"]
    assert "start" in _rejected_obligation(cert)


def test_localize_rejects_a_ball_that_misses_the_limit():
    cert = _load("gf-limit-relu-neuron.json")
    cert["statement"]["limits"]["L"]["center"][0] = "11/10"
    assert "localize" in _rejected_obligation(cert)


def test_disjoint_and_ordering_reject_when_false():
    cert = _load("one-point-overlap-linear-neuron.json")
    limits = cert["statement"]["limits"]
    bad = copy.deepcopy(cert)
    bad["statement"]["limits"]["L2"]["radius"] = "1"
    rejected = _rejected_obligation(bad)
    assert "distinct" in rejected and "order" in rejected
    swapped = copy.deepcopy(cert)
    _obligation(swapped, "order").update(below="L1", above="L2")
    assert "order" in _rejected_obligation(swapped)
    assert limits  # the original is untouched


def test_zero_set_subset_rejects_the_wrong_direction():
    """L1 (limit of S1, w2 = 1/4) is not in M_S2: S2 has a point that S1 lacks."""
    cert = _load("one-point-overlap-linear-neuron.json")
    _obligation(cert, "overlap").update(limit="L1", dataset="S2")
    assert "overlap" in _rejected_obligation(cert)


def test_witness_rejects_a_point_off_the_zero_loss_set():
    cert = _load("not-characterized-by-witness.json")
    _obligation(cert, "witness")["theta"] = ["1", "9/10"]
    assert "witness" in _rejected_obligation(cert)


def test_kkt_rejects_a_g_whose_gradient_is_normal_to_m_s():
    """G = (a w - 1)^2 has grad G = 2 r grad r, parallel to grad r: the minor is singular."""
    cert = _load("not-characterized-by-kkt.json")
    cert["statement"]["claim"]["G"] = "(a*w - 1)^2"
    cert["statement"]["text"] = statement_text(cert["kind"], cert["statement"])
    assert "kkt" in _rejected_obligation(cert)


def _scaled_certificate(gamma: str, relation: dict) -> dict:
    """Two single-neuron datasets sharing the relu-neuron limit, for the zero-set relations."""
    cert = _load("gf-limit-relu-neuron.json")
    cert["model"] = {**cert["model"], "inputs": ["x"], "output": "a*relu(w*x)"}
    cert["datasets"]["T"] = {"x": [["1"], [gamma]], "y": ["1", "0"]}
    cert["datasets"]["S"] = {"x": [["1"], ["-1"]], "y": ["1", "0"]}
    cert["obligations"].append({"id": "rel", "type": "zero-set", "limit": "L", **relation})
    return cert


def test_zero_set_relations_accept_true_and_reject_false_instances():
    """scaled-label-zero: S -> T scales the label-0 point x = -1 by gamma = 3 (M equal since
    relu(3 w (-1)) = 0 iff w >= 0 iff relu(-w) = 0); gamma = -3 is refused, as is a model with
    a bias (not homogeneous). zero-on-ball: the point x = -1, y = 0 has output exactly 0 on the
    ball (w > 0 there)."""
    good = _scaled_certificate("-3", {"dataset": "T", "relation": "scaled-label-zero",
                                      "index": 1, "gamma": "3"})
    # the endgame etc. are for S, which now has two points; they still hold (x = -1 is
    # inactive on D), so every obligation is accepted
    report = check_certificate(good)
    assert [ob["status"] for ob in report.obligations if ob["id"] == "rel"] == ["accepted"]
    bad = _scaled_certificate("3", {"dataset": "T", "relation": "scaled-label-zero",
                                    "index": 1, "gamma": "-3"})
    assert "rel" in _rejected_obligation(bad)
    biased = _scaled_certificate("-3", {"dataset": "T", "relation": "scaled-label-zero",
                                        "index": 1, "gamma": "3"})
    biased["model"]["output"] = "a*relu(w*x + 1/10)"
    report = check_certificate(biased)
    assert any(ob["id"] == "rel" and ob["status"] == "rejected" for ob in report.obligations)
    ball = _scaled_certificate("-3", {"dataset": "T", "relation": "zero-on-ball"})
    ball["datasets"]["S"] = {"x": [["1"]], "y": ["1"]}
    report = check_certificate(ball)
    assert [ob["status"] for ob in report.obligations if ob["id"] == "rel"] == ["accepted"]
    ball["datasets"]["T"]["x"][1] = ["3"]
    assert "rel" in _rejected_obligation(ball)


def test_conclusion_needs_the_facts():
    """Dropping the ordering obligation leaves the one-point conclusion unestablished."""
    cert = _load("one-point-overlap-linear-neuron.json")
    cert["obligations"] = [ob for ob in cert["obligations"] if ob["id"] != "order"]
    report = check_certificate(cert)
    assert not report.accepted and "conclusion" in report.conclusion


def test_registry_lists_the_built_in_types():
    assert {"start", "pl-endgame", "conserved", "localize", "contain", "zero-set", "disjoint",
            "ordering", "witness", "kkt"} <= set(OBLIGATIONS)
