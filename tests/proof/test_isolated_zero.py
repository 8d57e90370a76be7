"""The isolated-zero end-game (Krawczyk on p residuals, exact relations for the others) and its
certificate, checked against an independent route: the teacher w* that labelled the data is an
exact zero of every residual (exact rational arithmetic), so it must be the proved limit."""

import copy
from fractions import Fraction

import pytest
import sympy
from flint import arb

from igproof.certificate.common import recheck
from igproof.certificate.gf_limit import limit_certificate
from igproof.numeric.ball.arith import precision, to_arb
from igproof.proof.limits.endgame import EndgameFailure
from igproof.proof.limits.isolated_zero import (
    IsolatedZeroEndgame,
    isolated_zero_endgame,
    zero_system,
)
from igproof.proof.limits.limit import ProvedLimit, prove_flow_limit
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.flow import gradient_flow
from igproof.symbolic.models import build_model
from igproof.verdict import Verdict

# relu(w.x) on 8 points in R^3 labelled by the teacher w* (no pre-activation w*.x_i is 0)
TEACHER = (Fraction(1), Fraction(-1, 2), Fraction(1, 3))
XS = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1], [2, -1, 1], [1, 2, -1], [-1, 1, 2], [3, 1, -2]]
THETA0 = ["1/2", "1/2", "1/2"]


def _teacher_labels(xs):
    return [max(Fraction(0), sum(w * x for w, x in zip(TEACHER, xi, strict=True))) for xi in xs]


def _flow(xs=XS, ys=None):
    ys = _teacher_labels(xs) if ys is None else ys
    return gradient_flow(build_model("relu-neuron", dim=3),
                         Dataset([list(x) for x in xs], [str(y) for y in ys]))


@pytest.fixture(scope="module")
def proved():
    flow = _flow()
    return flow, prove_flow_limit(flow, THETA0, prec=128)


@pytest.fixture(scope="module")
def certificate(proved):
    flow, result = proved
    return limit_certificate(result, flow)


def test_relu_neuron_on_8_teacher_points_is_proved_with_zero_loss(proved):
    flow, r = proved
    assert isinstance(r, ProvedLimit) and r.verdict is Verdict.PROVED
    assert isinstance(r.endgame, IsolatedZeroEndgame)
    assert r.in_zero_loss_set
    assert r.radius < 1e-30
    assert "zero loss" in r.summary()
    # independent route: the teacher is an exact zero of every residual ...
    point = {p: sympy.Rational(q.numerator, q.denominator)
             for p, q in zip(flow.parameters, TEACHER, strict=True)}
    assert all(sympy.simplify(r_i.xreplace(point)) == 0 for r_i in flow.residuals)
    # ... and the proved ball (the unique zero in D) contains it
    assert r.contains(TEACHER)


def test_end_game_closes_early(proved):
    """The isolated-zero end-game closes long before the loss target 2^-192: at T ~ 15, where
    the old rule ran out of time at t_max = 200."""
    _, r = proved
    assert float(r.T.mid()) < 100


def test_certificate_accepted_and_small(certificate):
    report = recheck(certificate)
    assert report.accepted, report.conclusion
    types = [o["type"] for o in certificate["obligations"]]
    assert "isolated-zero" in types and "contain" in types
    assert certificate["statement"]["claim"] == {}  # in M_S
    from igproof.certificate.writer import dumps_certificate
    assert len(dumps_certificate(certificate)) < 1_000_000


def _endgame(cert):
    return next(o for o in cert["obligations"] if o["type"] == "isolated-zero")


@pytest.mark.parametrize("tamper", ["relation", "drop-relation", "rows", "lambda", "domain",
                                    "radius"])
def test_tampered_isolated_zero_certificates_are_rejected(certificate, tamper):
    cert = copy.deepcopy(certificate)
    eg = _endgame(cert)
    if tamper == "relation":
        rel = eg["relations"][0]
        rel["combination"] = [c + Fraction(1, 7) for c in rel["combination"]]
    elif tamper == "drop-relation":
        eg["relations"] = eg["relations"][1:]
    elif tamper == "rows":
        eg["rows"] = [eg["rows"][0]] * len(eg["rows"])
    elif tamper == "lambda":
        eg["lambda"] = Fraction(1000)
    elif tamper == "domain":
        eg["domain"] = [[lo + (hi - lo) * Fraction(9, 10), hi] for lo, hi in eg["domain"]]
    else:
        lim = next(iter(cert["statement"]["limits"].values()))
        lim["radius"] = Fraction(0)
    assert not recheck(cert).accepted


def test_non_teacher_labels_have_no_exact_relation():
    """Labels not from one teacher: the residuals are not rational combinations of p of them
    (the zero of three is not a zero of the rest): no isolated-zero end-game."""
    flow = _flow(ys=[1, 0, Fraction(1, 3), 1, Fraction(17, 6), 0, 0, Fraction(11, 6)])
    pattern = (1, -1, 1, 1, 1, -1, -1, 1)
    sub = flow.restricted(pattern)
    out = zero_system(flow.parameters, list(sub.residuals), [1.0, -0.5, 0.3])
    assert isinstance(out, EndgameFailure)
    assert "not a rational combination" in out.reason


def test_rank_deficient_residuals_are_refused():
    """Fewer independent residuals than parameters: the zeros are not isolated."""
    a, b = sympy.symbols("a b")
    out = zero_system((a, b), [a + b - 1, 2 * a + 2 * b - 2], [0.5, 0.5])
    assert isinstance(out, EndgameFailure) and "rank" in out.reason


def test_end_game_on_a_box_around_the_teacher():
    """Directly on a box of radius 1e-6 around the teacher (the pattern's smooth piece), the
    end-game proves a zero inside, and its Krawczyk box contains the teacher."""
    flow = _flow()
    sub = flow.restricted((1, -1, 1, 1, 1, -1, -1, 1))
    with precision(128):
        box = [to_arb(q) + arb(0, 1e-6) for q in TEACHER]
    eg = isolated_zero_endgame(flow.parameters, list(sub.residuals), box, prec=128)
    assert isinstance(eg, IsolatedZeroEndgame), getattr(eg, "reason", "")
    assert len(eg.rows) == 3 and len(eg.relations) == 5
    with precision(128):
        for k, q in zip(eg.krawczyk, TEACHER, strict=True):
            assert k.contains(to_arb(q))
