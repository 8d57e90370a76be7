"""The isolated-minimum end-game replayed by the independent checker (isolated-endgame,
isolated-contain, and the gf-limit statement variant {"in_zero_loss_set": "false"}).

Independent route for the mathematics: the limit of the flow of a*tanh(w x) on x = 1, 2, 3,
y = 1, 2, 3/2 is a root of the hand-written gradient of L, found by mpmath at 50 digits; the
claimed ball must contain it, and L there is positive (no (a, w) fits non-monotone data).
"""

from __future__ import annotations

import copy
import json
from fractions import Fraction

import mpmath
import pytest
from _oracles import TANH_XS, TANH_YS, mpf, tanh_grad_by_hand, tanh_loss_by_hand

from igproof.certificate.gf_limit import limit_certificate
from igproof.certificate.writer import dumps_certificate
from igproof.checker import (
    Rejected,
    check_certificate,
    krawczyk_ball,
    load_text,
    statement_text,
)
from igproof.checker import expr as ex
from igproof.cli.main import main
from igproof.numeric.ball.arith import arb_radius_fraction
from igproof.proof.limits.isolated import IsolatedEndgame
from igproof.proof.limits.limit import ProvedLimit, prove_flow_limit
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.flow import gradient_flow
from igproof.symbolic.models import build_model

XS, YS = TANH_XS, TANH_YS


def _plain(cert: dict) -> dict:
    """The certificate as the checker reads it from a file (numbers as "p/q" strings)."""
    return load_text(dumps_certificate(cert).encode("utf-8"))


@pytest.fixture(scope="module")
def proved() -> ProvedLimit:
    flow = gradient_flow(build_model("neuron", dim=1, activation="tanh"),
                         Dataset([[x] for x in XS], [str(y) for y in YS]))
    result = prove_flow_limit(flow, ["1/2", "3/10"], prec=128)
    assert isinstance(result, ProvedLimit) and isinstance(result.endgame, IsolatedEndgame)
    return result


@pytest.fixture(scope="module")
def cert(proved) -> dict:
    flow = gradient_flow(build_model("neuron", dim=1, activation="tanh"),
                         Dataset([[x] for x in XS], [str(y) for y in YS]))
    return _plain(limit_certificate(proved, flow))


@pytest.fixture(scope="module")
def short(cert) -> dict:
    """The same end-game started at T = 0 from a point of the reached box (no trajectory):
    a certificate about the flow from that point, cheap to re-check many times."""
    c = copy.deepcopy(cert)
    reached = c["obligations"][1]["box"]
    c["theta0"] = [str((Fraction(lo) + Fraction(hi)) / 2) for lo, hi in reached]
    c["obligations"] = [{"id": "trajectory", "type": "start", "dataset": "S", "box": reached},
                        *c["obligations"][2:]]
    return c


def _accepted(c: dict) -> bool:
    return check_certificate(c).accepted


def test_certificate_is_accepted_by_igproof_check(cert, tmp_path, capsys):
    """igproof check accepts the isolated certificate (exit 0) with the strict-local-minimizer
    conclusion, and its obligations are start, trajectory, isolated-endgame, isolated-contain."""
    path = tmp_path / "iso.json"
    path.write_text(json.dumps(cert))
    assert main(["check", str(path)]) == 0
    assert "strict local minimizer of L_S in the claimed ball" in capsys.readouterr().out
    assert [o["type"] for o in cert["obligations"]] == [
        "start", "trajectory", "isolated-endgame", "isolated-contain"]
    assert cert["statement"]["claim"] == {"in_zero_loss_set": "false"}
    assert "strict local minimizer" in cert["statement"]["text"]


def test_certificate_validates_against_the_shipped_schema(cert):
    from importlib import resources

    import jsonschema

    schema = json.loads(resources.files("igproof.certificate").joinpath("schema.json")
                        .read_text("utf-8"))
    jsonschema.Draft202012Validator(schema).validate(cert)
    bad = copy.deepcopy(cert)
    bad["obligations"][2]["inverse"] = "2"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(bad)


def test_whole_trajectory_is_replayed_with_the_proofs_end_game(proved, cert):
    """The checker replays all of the proof's validated steps at 128 bits (no cut trajectory):
    the written trajectory lists every step, the reached box is the proof's box_T widened by
    at most 2^-90 per side, and the end-game domain is the proof's D. The claimed radius is then
    about the proof's (1.4e-37): the checker's Krawczyk refinement passes shrink its one-pass
    ball on D (~|D|^2 ~ 1e-16; D must hold theta(T), ~1e-9 from theta*) to the interval
    precision; the former cut certificate claimed 2.8e-6."""
    written = cert["obligations"][1]["segments"]
    assert [len(s["steps"]) for s in written] == [len(s.steps) for s in proved.segments]
    eg = next(o for o in cert["obligations"] if o["type"] == "isolated-endgame")
    assert [[Fraction(lo), Fraction(hi)] for lo, hi in eg["domain"]] == [
        list(b) for b in proved.endgame.box_D]
    for (lo, hi), ball in zip(cert["obligations"][1]["box"], proved.box_T, strict=True):
        assert Fraction(hi) - Fraction(lo) <= 2 * arb_radius_fraction(ball) + Fraction(1, 2 ** 88)
    assert Fraction(cert["statement"]["limits"]["L"]["radius"]) < Fraction(1, 10 ** 30)


def test_claimed_ball_contains_the_50_digit_root_of_the_gradient(cert):
    """The claimed ball holds the root of the hand-written grad L next to it (mpmath, 50
    digits), and L there is positive: the limit is not in M_S."""
    lim = cert["statement"]["limits"]["L"]
    with mpmath.workdps(50):
        centre = [mpf(c) for c in lim["center"]]
        root = mpmath.findroot(lambda a, w: tanh_grad_by_hand(a, w), tuple(centre))
        dist = mpmath.sqrt(sum((c - r) ** 2 for c, r in zip(centre, root, strict=True)))
        assert dist <= mpf(lim["radius"])
        loss = tanh_loss_by_hand(root[0], root[1])
        assert loss > mpmath.mpf("0.03")


def test_short_certificate_is_accepted(short):
    """Sanity for the tampering tests below: the untampered short certificate is accepted."""
    assert _accepted(short)


def _endgame(c: dict) -> dict:
    return next(o for o in c["obligations"] if o["type"] == "isolated-endgame")


def _scale_box(box: list, factor: Fraction) -> list:
    out = []
    for lo, hi in box:
        mid, half = (Fraction(lo) + Fraction(hi)) / 2, (Fraction(hi) - Fraction(lo)) / 2
        out.append([str(mid - factor * half), str(mid + factor * half)])
    return out


@pytest.mark.parametrize("tamper", [
    pytest.param(lambda c: _endgame(c).update(domain=_scale_box(_endgame(c)["domain"],
                                                                Fraction(1, 100))),
                 id="domain-shrunk"),
    pytest.param(lambda c: _endgame(c).update(domain=_scale_box(_endgame(c)["domain"],
                                                                Fraction(10 ** 8))),
                 id="domain-inflated"),
    pytest.param(lambda c: _endgame(c).update({"lambda": "1000"}), id="lambda"),
    pytest.param(lambda c: _endgame(c).update(inverse=[["0", "0"], ["0", "0"]]), id="Y-zero"),
    pytest.param(lambda c: _endgame(c).update(
        inverse=[[str(-Fraction(v)) for v in row] for row in _endgame(c)["inverse"]]),
        id="Y-negated"),
    pytest.param(lambda c: _endgame(c).update(
        point=[str(Fraction(hi) + 1) for _, hi in _endgame(c)["domain"]]), id="m-outside-D"),
    pytest.param(lambda c: c["datasets"]["S"]["y"].__setitem__(2, "7/4"), id="label"),
])
def test_tampered_isolated_certificate_is_rejected(short, tamper):
    """Changing D, lambda, Y, m or a data label breaks one of the end-game's conditions."""
    c = copy.deepcopy(short)
    tamper(c)
    assert not _accepted(c)


def test_moderately_inflated_domain_is_still_a_proof(short):
    """D inflated 10^6 times (width ~7e-3) still satisfies conditions 0-3 (H - lambda I > 0,
    K(D) inside D, r0 < margin): a valid proof of the same limit. The one-pass ball K(D) is then
    ~1e-5 wide, far wider than the claimed radius, and the Krawczyk refinement passes recover a
    ball inside the claim: accepted. (Inflating 10^8 times breaks condition 1: rejected above.)"""
    c = copy.deepcopy(short)
    _endgame(c).update(domain=_scale_box(_endgame(c)["domain"], Fraction(10 ** 6)))
    assert _accepted(c)


def test_isolated_endgame_cannot_claim_the_zero_loss_statement(short):
    """An isolated end-game does not put the limit in M_S: the plain gf-limit claim fails."""
    c = copy.deepcopy(short)
    c["statement"]["claim"] = {}
    c["statement"]["text"] = statement_text("gf-limit", c["statement"])
    report = check_certificate(c)
    assert not report.accepted and "conclusion" in report.conclusion


def test_claim_value_other_than_false_is_rejected(short):
    c = copy.deepcopy(short)
    c["statement"]["claim"] = {"in_zero_loss_set": "true"}
    c["statement"]["text"] = statement_text("gf-limit", c["statement"])
    assert not _accepted(c)


def test_plain_contain_cannot_use_an_isolated_endgame(short):
    """contain (which establishes a limit in M_S) does not see isolated end-games."""
    c = copy.deepcopy(short)
    c["obligations"][-1]["type"] = "contain"
    c["statement"]["claim"] = {}
    c["statement"]["text"] = statement_text("gf-limit", c["statement"])
    report = check_certificate(c)
    assert not report.accepted
    assert "not an earlier accepted obligation" in report.obligations[-1]["reason"]


def test_pl_certificate_cannot_claim_the_isolated_statement():
    """A PL (zero-loss) certificate has no isolated-endgame: the strict-local-minimizer
    statement is not established (PL does not exclude a non-isolated set of minimizers)."""
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "certificates" / "gf-limit-relu-neuron.json"
    c = json.loads(path.read_text("utf-8"))
    assert _accepted(c)
    c["statement"]["claim"] = {"in_zero_loss_set": "false"}
    c["statement"]["text"] = statement_text("gf-limit", c["statement"])
    report = check_certificate(c)
    assert not report.accepted and "strict local minimizer" in report.conclusion


def test_kink_inside_the_domain_is_rejected():
    """L = (relu(w) a - 1)^2 / 2 is not smooth where w = 0: a box D containing w = 0 is
    refused before any derivative is taken, whatever the other hints."""
    r = ex.sub(ex.mul(ex.call("relu", ("var", "w")), ("var", "a")), ex.ONE)
    D = [(Fraction(1, 2), Fraction(3, 2)), (Fraction(-1, 2), Fraction(3, 2))]
    with pytest.raises(Rejected, match="kink"):
        krawczyk_ball([r], ["a", "w"], D, [Fraction(1), Fraction(1)],
                      [[Fraction(1), Fraction(0)], [Fraction(0), Fraction(1)]], Fraction(1, 10),
                      [(Fraction(1), Fraction(1)), (Fraction(1), Fraction(1))])


def test_krawczyk_ball_on_a_quadratic_is_the_exact_minimizer():
    """L = ((a - 1)^2 + (w + 2)^2) / 4 (two residuals a - 1, w + 2): H = I/2 exactly, Y = 2 I
    gives K(D) = {(1, -2)}, the exact minimizer (closed form), with radius 0."""
    res = [ex.sub(("var", "a"), ex.ONE), ex.add(("var", "w"), ("num", Fraction(2)))]
    D = [(Fraction(0), Fraction(2)), (Fraction(-3), Fraction(-1))]
    ball = krawczyk_ball(res, ["a", "w"], D, [Fraction(1, 2), Fraction(-5, 2)],
                         [[Fraction(2), Fraction(0)], [Fraction(0), Fraction(2)]],
                         Fraction(1, 4), [(Fraction(1, 2), Fraction(1, 2)),
                                          (Fraction(-5, 2), Fraction(-5, 2))])
    assert ball.center == [Fraction(1), Fraction(-2)] and ball.radius == 0
    assert ball.loss.lo == ball.loss.hi == 0
    with pytest.raises(Rejected, match="positive definite"):
        krawczyk_ball(res, ["a", "w"], D, [Fraction(1, 2), Fraction(-5, 2)],
                      [[Fraction(2), Fraction(0)], [Fraction(0), Fraction(2)]],
                      Fraction(1, 2), [(Fraction(1, 2), Fraction(1, 2)),
                                       (Fraction(-5, 2), Fraction(-5, 2))])


def test_krawczyk_refinement_encloses_sqrt2_tightly():
    """L = (a^2 - 2)^2 / 2 on D = [13/10, 3/2]: grad L = 2a(a^2 - 2) has the single zero
    sqrt(2) in D (closed form). One Krawczyk pass gives a ball of radius ~|D|^2; the refinement
    passes shrink it below 1e-30 while still containing sqrt(2) (mpmath, 60 digits)."""
    res = [ex.sub(ex.mul(("var", "a"), ("var", "a")), ("num", Fraction(2)))]
    D = [(Fraction(13, 10), Fraction(3, 2))]
    m = [Fraction(7, 5)]
    Y = [[1 / (6 * m[0] ** 2 - 4)]]  # 1/H(m), H = 6 a^2 - 4
    start = [(Fraction(7, 5), Fraction(7, 5))]
    ball = krawczyk_ball(res, ["a"], D, m, Y, Fraction(1), start)
    with mpmath.workdps(60):
        dist = abs(mpf(ball.center[0]) - mpmath.sqrt(2))
        assert dist <= mpf(ball.radius)
    assert ball.radius < Fraction(1, 10 ** 30)
