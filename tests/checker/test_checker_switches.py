"""The gf-switches kind: the reactivation certificates (igproof.certificate.switches, as
shipped under certificates/) are accepted, their switching times contain the closed-form ones,
and certificates whose claim is false (or not established) are rejected.

Independent route for the switching times: inside a pattern A the relu-neuron flow is
w' = -H_A w + b_A with H_A = (1/n) sum_{i in A} x_i x_i^T and b_A = (1/n) sum_{i in A} y_i x_i
(built here from the data, exactly, with sympy), so (w, 1)(t) = exp(t M_A) (w, 1)(0); each
crossing z_k(t) = x_k . w(t) = 0 is located on a float grid and refined by mpmath findroot on
mpmath's exp(t M_A) at 40 digits, and the next pattern is the one with that kink flipped.
"""

from __future__ import annotations

import copy
import functools
import json
from fractions import Fraction
from pathlib import Path

import mpmath
import numpy
import pytest
import sympy
from scipy.linalg import expm

from igproof.certificate.switches import SHIPPED, reactivation_certificate
from igproof.certificate.writer import dumps_certificate
from igproof.checker import check_certificate, statement_text
from igproof.papers.checks.single_neuron import REACTIVATION_INSTANCES

CERTS = Path(__file__).resolve().parents[2] / "certificates"
REACTIVATION_FILES = tuple(SHIPPED[name] for name, _ in REACTIVATION_INSTANCES)
# Float grid step of the crossing search (the shipped pieces last >= 0.09 time units, and
# |dz/dt| is O(1): one crossing per grid cell).
GRID_STEP = 1 / 256
# Digits of the closed-form switching times.
DPS = 40


@functools.cache
def _produced(name: str) -> str:
    """The producer's certificate for the instance shipped as ``name``, as file text."""
    data = dict(REACTIVATION_INSTANCES)[next(k for k, v in SHIPPED.items() if v == name)]
    return dumps_certificate(reactivation_certificate(data)[0])


def _load(name: str) -> dict:
    """A fresh copy of a certificate: the reactivation ones as the producer writes them (the
    shipped files are compared with these byte for byte below), others from certificates/."""
    if name in REACTIVATION_FILES:
        return json.loads(_produced(name))
    return json.loads((CERTS / name).read_text(encoding="utf-8"))


def _piece_matrix(x: list[list[Fraction]], y: list[Fraction], pattern: list[int]) -> sympy.Matrix:
    """M_A = [[-H_A, b_A], [0, 0]] for the active set A = {i : pattern[i] = 1} (exact)."""
    n, d = len(y), len(x[0])
    M = sympy.zeros(d + 1, d + 1)
    for xi, yi, s in zip(x, y, pattern, strict=True):
        if s > 0:
            v = sympy.Matrix([sympy.Rational(q.numerator, q.denominator) for q in xi])
            M[:d, :d] -= v * v.T / n
            M[:d, d] += sympy.Rational(yi.numerator, yi.denominator) * v / n
    return M


def closed_form_switches(cert: dict, t_max: float) -> list[tuple[int, mpmath.mpf]]:
    """(kink, global time) of every crossing of the certificate's flow on [0, t_max]."""
    data = cert["datasets"][cert["statement"]["dataset"]]
    x = [[Fraction(q) for q in row] for row in data["x"]]
    y = [Fraction(q) for q in data["y"]]
    d = len(x[0])
    with mpmath.workdps(DPS):
        u = mpmath.matrix([mpmath.mpf(Fraction(q).numerator) / Fraction(q).denominator
                           for q in cert["theta0"]] + [1])
        pattern = [1 if sum(float(a) * float(b) for a, b in zip(xi, u[:d], strict=True)) > 0
                   else -1 for xi in x]
        t_global = mpmath.mpf(0)
        out = []
        while t_global < t_max:
            M = _piece_matrix(x, y, pattern)
            M_f = numpy.array(M.tolist(), dtype=float)
            M_mp = mpmath.matrix([[mpmath.mpf(e.p) / e.q for e in M.row(i)]
                                  for i in range(d + 1)])
            u_f = numpy.array([float(v) for v in u])
            step = expm(M_f * GRID_STEP)

            def z(t, k, M_mp=M_mp, u=u):
                w = mpmath.expm(M_mp * t) * u
                return sum(mpmath.mpf(x[k][j].numerator) / x[k][j].denominator * w[j]
                           for j in range(d))

            X = numpy.array([[float(q) for q in xi] for xi in x])
            t, hit, a = 0.0, None, u_f
            while hit is None and t_global + t < t_max:
                b = step @ a
                za, zb = X @ a[:d], X @ b[:d]
                for k, s in enumerate(pattern):
                    if s * zb[k] < 0 <= s * za[k]:
                        hit = (k, t, t + GRID_STEP)
                t, a = t + GRID_STEP, b
            if hit is None:
                return out
            k, ta, tb = hit
            root = mpmath.findroot(lambda t, k=k: z(t, k), (ta, tb), solver="anderson")
            assert abs(z(root, k)) < mpmath.mpf(10) ** (5 - DPS)
            t_global += root
            out.append((k, t_global))
            u = mpmath.expm(M_mp * root) * u
            pattern[k] = -pattern[k]
        return out


def _global_switch_brackets(cert: dict) -> list[tuple[int, Fraction, Fraction]]:
    """(atom, lo, hi) of each certified switch: local crossing brackets summed along the
    segments (affine: end.time = [t1, t2]; Taylor: the last step of the segment)."""
    segments = next(ob for ob in cert["obligations"] if ob["type"] == "trajectory")["segments"]
    lo = hi = Fraction(0)
    out = []
    for seg in segments:
        end = seg.get("end", {"kind": "stop"})
        if end["kind"] != "switch":
            continue
        if seg["method"] == "taylor":
            hs = [Fraction(st["h"]) for st in seg["steps"]]
            t1, t2 = sum(hs[:-1]), sum(hs)
        else:
            t1, t2 = (Fraction(q) for q in end["time"])
        lo, hi = lo + t1, hi + t2
        out.append((end["atom"], lo, hi))
    return out


def _retext(cert: dict) -> dict:
    """The certificate with statement.text regenerated from the structured statement."""
    statement = cert["statement"]
    statement["text"] = statement_text(cert["kind"], statement)
    return cert


def _rejected_by_conclusion(cert: dict) -> str:
    """Every obligation accepted, the certificate rejected by the conclusion."""
    report = check_certificate(cert)
    assert not report.accepted
    assert report.error is None, report.error
    assert all(o["status"] == "accepted" for o in report.obligations)
    return report.conclusion


@pytest.mark.parametrize("name", REACTIVATION_FILES)
def test_reactivation_certificate_is_accepted(name):
    """Each reactivation certificate is accepted: its relu atom 1 (data point 2) is active, then
    inactive, then active again along the flow."""
    cert = _load(name)
    assert cert["kind"] == "gf-switches"
    assert cert["statement"]["claim"] == {"atom": 1, "point": 2, "sequence": [1, -1, 1]}
    report = check_certificate(cert)
    assert report.accepted, (report.error, report.obligations, report.conclusion)
    assert "active, then inactive, then active" in report.conclusion


@pytest.mark.parametrize("name", REACTIVATION_FILES)
def test_switch_times_contain_the_closed_form_switching_times(name):
    """The certified switch brackets (global times) contain the 40-digit closed-form crossing
    times of exp(t M_A), kink by kink, in order; the reactivated kink goes off then on."""
    cert = _load(name)
    brackets = _global_switch_brackets(cert)
    exact = closed_form_switches(cert, float(brackets[-1][2]) + 2 * GRID_STEP)
    assert len(exact) >= len(brackets)
    with mpmath.workdps(DPS):
        for (atom, lo, hi), (kink, t) in zip(brackets, exact, strict=False):
            assert atom == kink
            assert mpmath.mpf(lo.numerator) / lo.denominator <= t
            assert t <= mpmath.mpf(hi.numerator) / hi.denominator
            assert hi - lo < Fraction(1, 10 ** 12)
    claimed = cert["statement"]["claim"]["atom"]
    assert [k for k, _ in exact[:len(brackets)]].count(claimed) == 2


def test_a_sequence_that_does_not_occur_is_rejected():
    """[1, -1, 1, -1]: the atom does not switch off a second time before the stop."""
    cert = _retext(_load(REACTIVATION_FILES[0]))
    cert["statement"]["claim"]["sequence"] = [1, -1, 1, -1]
    conclusion = _rejected_by_conclusion(_retext(cert))
    assert "no accepted trajectory" in conclusion


def test_the_wrong_atom_is_rejected():
    """Atom 0 (data point 1) of the realizable instance never switches (closed form): a claimed
    reactivation of it is rejected; an atom that is not at the named point is rejected too."""
    cert = _load(REACTIVATION_FILES[0])
    exact = closed_form_switches(cert, 22.0)
    assert 0 not in [k for k, _ in exact]
    cert["statement"]["claim"].update(atom=0, point=1)
    assert "no accepted trajectory" in _rejected_by_conclusion(_retext(cert))
    cert["statement"]["claim"].update(atom=2, point=2)
    assert "is not a relu argument at data point 2" in _rejected_by_conclusion(_retext(cert))


def test_a_changed_label_that_removes_the_reactivation_is_rejected():
    """With y_2 = 2 instead of 1 point 2 of the realizable instance never switches off before
    t = 40 (closed form); the certificate's trajectory no longer replays."""
    cert = _load(REACTIVATION_FILES[0])
    cert["datasets"]["S"]["y"][1] = "2"
    exact = closed_form_switches(cert, 40.0)
    assert [k for k, _ in exact].count(1) < 2
    report = check_certificate(cert)
    assert not report.accepted
    assert any(o["status"] == "rejected" and o["type"] == "trajectory"
               for o in report.obligations)


def test_a_theta0_other_than_the_trajectory_start_is_rejected():
    """statement.theta0 must be the certificate's theta0; moving both makes `start` fail."""
    cert = _load(REACTIVATION_FILES[0])
    tampered = copy.deepcopy(cert)
    tampered["statement"]["theta0"] = ["1/2", "-1/3"]
    report = check_certificate(_retext(tampered))
    assert not report.accepted and "statement.theta0" in report.error
    tampered["theta0"] = ["1/2", "-1/3"]
    report = check_certificate(tampered)
    assert not report.accepted
    assert report.obligations[0]["status"] == "rejected"


def test_a_statement_text_mismatch_is_rejected():
    cert = _load(REACTIVATION_FILES[0])
    cert["statement"]["text"] = cert["statement"]["text"].replace("then active:",
                                                                  "then active forever:")
    report = check_certificate(cert)
    assert not report.accepted and "statement.text" in report.error


def test_a_gf_limit_certificate_cannot_be_relabelled():
    """kind gf-limit -> gf-switches: the statement is not a gf-switches statement."""
    cert = _load("gf-limit-relu-neuron.json")
    cert["kind"] = "gf-switches"
    report = check_certificate(cert)
    assert not report.accepted and "statement" in report.error
    # ... nor with a well-formed gf-switches statement (atom 0 is the only relu argument of
    # a relu(w x) at its one data point), keeping the obligations that do not name a limit:
    # none of them is a trajectory
    cert["obligations"] = [ob for ob in cert["obligations"]
                           if ob["type"] in ("start", "pl-endgame", "conserved")]
    assert cert["obligations"]
    cert["statement"] = _retext({"kind": "gf-switches", "statement": {
        "dataset": "S", "theta0": cert["theta0"],
        "claim": {"atom": 0, "point": 1, "sequence": [1, -1]}}})["statement"]
    assert "no accepted trajectory" in _rejected_by_conclusion(cert)


def test_a_stop_segment_without_time_intervals_does_not_count():
    """A last segment stopped at local time 0 asserts its pattern at no positive time: the
    trajectory replays (end box widened) but the reactivation is not established."""
    cert = _load(REACTIVATION_FILES[0])
    traj = cert["obligations"][1]
    traj["segments"][-1]["intervals"] = []
    traj["box"] = [["-100", "100"], ["-100", "100"]]
    assert "no accepted trajectory" in _rejected_by_conclusion(cert)


@pytest.mark.parametrize("claim", [
    {"atom": 1, "point": 2, "sequence": [1, 1, -1]},
    {"atom": 1, "point": 2, "sequence": [1]},
    {"atom": 1, "point": 2, "sequence": [True, -1]},
    {"atom": 1, "point": 2, "sequence": ["1", "-1"]},
    {"atom": "1", "point": 2, "sequence": [1, -1]},
    {"atom": 1, "point": 0, "sequence": [1, -1]},
    {"atom": 1, "sequence": [1, -1]},
    {"atom": 1, "point": 2, "sequence": [1, -1], "limit": "L"},
])
def test_malformed_claims_are_rejected(claim):
    cert = _load(REACTIVATION_FILES[0])
    cert["statement"]["claim"] = claim
    report = check_certificate(_retext(cert))
    assert not report.accepted and "statement.claim" in report.error


def test_a_point_beyond_the_dataset_is_rejected():
    cert = _load(REACTIVATION_FILES[0])
    cert["statement"]["claim"]["point"] = 9
    assert "has 4 points" in _rejected_by_conclusion(_retext(cert))


@pytest.mark.parametrize("path", sorted(CERTS.glob("lee2022-reactivation*.json")),
                         ids=lambda p: p.name)
def test_shipped_reactivation_files_are_the_producers_output(path):
    """Every shipped lee2022-reactivation file is the deterministic producer's output (so the
    tests above are about the shipped bytes) and is accepted."""
    assert path.name in REACTIVATION_FILES
    assert path.read_text(encoding="utf-8") == _produced(path.name)
    assert check_certificate(json.loads(path.read_text(encoding="utf-8"))).accepted


def test_a_taylor_crossing_is_a_certified_switch_too():
    """a relu(w.x) on S = {((1, 0), 1), ((-1, 1), 0)} from (1/2, 1/10, 3/10): the gf-limit
    certificate's trajectory (Taylor segments, the first ending in a crossing of atom 1),
    re-stated as gf-switches, establishes [1, -1] for atom 1 and not [1, -1, 1]; its crossing
    bracket contains scipy's event time (DOP853, rtol 1e-10: within 1e-6)."""
    from igproof.certificate.gf_limit import limit_certificate
    from igproof.numeric.float_flow import integrate_float
    from igproof.proof.limits.limit import ProvedLimit, prove_flow_limit
    from igproof.symbolic.dataset import Dataset
    from igproof.symbolic.flow import gradient_flow
    from igproof.symbolic.models import build_model

    flow = gradient_flow(build_model("neuron", dim=2, activation="relu"),
                         Dataset([[1, 0], [-1, 1]], [1, 0]))
    theta0 = ("1/2", "1/10", "3/10")
    proved = prove_flow_limit(flow, theta0, prec=128)
    assert isinstance(proved, ProvedLimit)
    cert = json.loads(dumps_certificate(limit_certificate(proved, flow)))
    cert["kind"] = "gf-switches"
    cert["obligations"] = [ob for ob in cert["obligations"] if ob["type"] in ("start",
                                                                               "trajectory")]
    cert["statement"] = {"dataset": "S", "theta0": cert["theta0"],
                         "claim": {"atom": 1, "point": 2, "sequence": [1, -1]}}
    report = check_certificate(_retext(cert))
    assert report.accepted, (report.error, report.obligations, report.conclusion)
    ((atom, lo, hi),) = _global_switch_brackets(cert)
    events = [s.t for s in integrate_float(flow, theta0, t_max=10.0).switches if s.kink == 1]
    assert atom == 1 and len(events) == 1
    assert float(lo) - 1e-6 <= events[0] <= float(hi) + 1e-6 and hi - lo < Fraction(1, 10)
    cert["statement"]["claim"]["sequence"] = [1, -1, 1]
    assert "no accepted trajectory" in _rejected_by_conclusion(_retext(cert))
