"""Certified switches and the certified norm sign (igproof.proof.single_neuron.validated).

Independent routes: the float integrator with scipy event location (switch times), the matrix
exponential of scipy (the kink value at the certified time), and the exact rate at theta0.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy
import pytest
import sympy
from scipy.linalg import expm

from igproof.errors import InvalidArgument
from igproof.numeric.float_flow import integrate_float
from igproof.papers.checks.single_neuron import (
    NORM_DATA,
    NORM_INSTANCES,
    REACTIVATION_INSTANCES,
    REACTIVATION_LABEL0_REALIZABLE,
    REACTIVATION_REALIZABLE,
)
from igproof.proof.limits.limit import ProvedLimit, prove_flow_limit
from igproof.proof.single_neuron.validated import (
    certified_switches,
    certify_norm_monotone,
    find_reactivation,
)
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.flow import gradient_flow
from igproof.symbolic.models import build_model


def _flow(data):
    return gradient_flow(build_model("relu-neuron", dim=len(data["x"][0])),
                         Dataset(data["x"], data["y"]))


@pytest.mark.parametrize("data", [d for _, d in REACTIVATION_INSTANCES],
                         ids=[name for name, _ in REACTIVATION_INSTANCES])
def test_certified_reactivation_matches_the_float_event_times(data):
    """The certified off/on times of the reactivated kink agree with scipy's event times."""
    flow = _flow(data)
    switches = certified_switches(flow, data["theta0"], t_horizon=data["horizon"])
    pair = find_reactivation(switches)
    assert pair is not None
    i, j = pair
    k = switches[i].kink
    traj = integrate_float(flow, data["theta0"], t_max=float(data["horizon"]))
    float_times = [s.t for s in traj.switches if s.kink == k]
    assert len(float_times) >= 2
    assert abs(float_times[0] - float(switches[i].t.mid())) < 1e-6
    assert abs(float_times[1] - float(switches[j].t.mid())) < 1e-6
    assert switches[i].t.rad() < 1e-20 and switches[j].t.rad() < 1e-20


def test_reactivation_time_is_a_root_of_the_kink_by_scipy_expm():
    """Between the two switches the pattern is fixed, so w(t_on) = expm((t_on - t_off) M) w(t_off)
    (scipy) with w(t_off) from the float integrator; the kink x_k.w vanishes at both ends."""
    data = REACTIVATION_REALIZABLE
    flow = _flow(data)
    switches = certified_switches(flow, data["theta0"], t_horizon=data["horizon"])
    i, j = find_reactivation(switches)
    assert j == i + 1 and i == 0  # no other switch in between, none before
    k = switches[i].kink
    start = flow.pattern([Fraction(v) for v in data["theta0"]])
    pattern = tuple(-1 if m == k else (1 if s > 0 else -1) for m, s in enumerate(start))
    sub = flow.restricted(pattern)
    params = list(flow.parameters)
    jac = numpy.array([[float(sympy.diff(f, p)) for p in params] for f in sub.field])
    b = numpy.array([float(f.xreplace(dict.fromkeys(params, 0))) for f in sub.field])
    big = numpy.zeros((3, 3))
    big[:2, :2], big[:2, 2] = jac, b
    t_off, t_on = float(switches[i].t.mid()), float(switches[j].t.mid())
    w_off = numpy.array(integrate_float(flow, data["theta0"], t_max=t_off, rtol=1e-12).theta)
    u = expm(big * (t_on - t_off)) @ numpy.array([*w_off, 1.0])
    x = numpy.array([float(Fraction(v)) for v in data["x"][k]])
    assert abs(float(x @ w_off)) < 1e-8
    assert abs(float(x @ u[:2])) < 1e-8


def test_no_reactivation_in_the_norm_example():
    """On NORM_DATA from small w0 only the label-0 point switches, once (off)."""
    flow = _flow(NORM_DATA)
    switches = certified_switches(flow, ["1/1000", "1/4000"], t_horizon=60)
    assert [(s.kink, s.before, s.after) for s in switches] == [(2, 1, -1)]
    assert find_reactivation(switches) is None


def test_theta0_on_a_kink_is_rejected():
    flow = _flow(NORM_DATA)
    with pytest.raises(InvalidArgument, match="kink"):
        certified_switches(flow, ["2", "1"], t_horizon=1)


def test_norm_monotone_certified_for_small_init_and_float_agrees():
    """Small init: certified, and the float |w(t)|^2 is nondecreasing (independent check)."""
    flow = _flow(NORM_DATA)
    proved = prove_flow_limit(flow, ["1/1000", "1/4000"], loss_target="1e-16")
    assert isinstance(proved, ProvedLimit)
    cert = certify_norm_monotone(flow, proved)
    assert cert.proved, cert.reason
    traj = integrate_float(flow, ["1/1000", "1/4000"], t_max=60.0)
    norms = [sum(v * v for v in th) for th in traj.thetas]
    # float |w|^2 is flat to the solver's relative error (rtol 1e-10) near the limit
    assert all(b - a >= -1e-9 * max(norms) for a, b in itertools.pairwise(norms))


def test_norm_monotone_refused_for_large_init():
    """Negative control: from (3, 3) the norm decreases first, so the certificate must fail."""
    flow = _flow(NORM_DATA)
    proved = prove_flow_limit(flow, ["3", "3"], loss_target="1e-16")
    assert isinstance(proved, ProvedLimit)
    cert = certify_norm_monotone(flow, proved)
    assert not cert.proved
    assert "not certified >= 0" in cert.reason


def test_certify_norm_monotone_rejects_non_limits():
    with pytest.raises(InvalidArgument, match="ProvedLimit"):
        certify_norm_monotone(_flow(NORM_DATA), object())


def test_other_models_are_rejected():
    flow = gradient_flow(build_model("neuron", dim=1), Dataset([[1]], [1]))
    with pytest.raises(InvalidArgument, match="relu-neuron"):
        certified_switches(flow, ["1/2", "1/2"], t_horizon=1)


@pytest.mark.parametrize("data", [REACTIVATION_REALIZABLE, REACTIVATION_LABEL0_REALIZABLE],
                         ids=["realizable", "label0_realizable"])
def test_realizable_instances_are_realizable_exactly(data):
    """The documented teacher fits every label: y_i = relu(w*.x_i) (exact rationals)."""
    teacher = [Fraction(v) for v in data["teacher"]]
    for x, y in zip(data["x"], data["y"], strict=True):
        u = sum(Fraction(a) * b for a, b in zip(x, teacher, strict=True))
        assert max(u, Fraction(0)) == Fraction(y)


def test_step_range_encloses_scipy_expm_and_scales_with_the_field():
    """_range_over_step contains expm(sM) u_a (scipy) for s in [0, h], and its width is of the
    order h |M u_a| (small near equilibrium), not h |M| |u_a|."""
    from flint import arb

    from igproof.numeric.ball.affine import AffinePiece
    from igproof.numeric.ball.arith import precision, to_arb
    from igproof.proof.single_neuron.validated import _matrix, _range_over_step

    flow = _flow(NORM_DATA)
    sub = flow.restricted((1, 1, -1))
    piece = AffinePiece.from_field(list(flow.parameters), list(sub.field), list(flow.kinks),
                                   (1, 1, -1))
    rows = piece.M
    h = Fraction(1, 8)
    with precision(128):
        M = _matrix(rows)
        norm = to_arb(max(sum(abs(q) for q in row) for row in rows))
        for w in ([Fraction(1, 5), Fraction(1, 7)], [Fraction(1) - Fraction(1, 10 ** 6)] * 2):
            u_a = [to_arb(v) for v in w] + [arb(1)]
            W = _range_over_step(M, norm, u_a, h)
            Mf = numpy.array([[float(q) for q in row] for row in rows])
            for s in numpy.linspace(0.0, float(h), 9):
                u = expm(Mf * s) @ numpy.array([*(float(v) for v in w), 1.0])
                for k in range(2):
                    assert float(W[k].lower()) - 1e-12 <= u[k] <= float(W[k].upper()) + 1e-12
            field = max(abs(float(v)) for v in flow.field_at(w))
            width = max(float(2 * x.rad()) for x in W)
            assert width <= 2 * float(h) * field + 1e-20


@pytest.mark.parametrize("name", sorted(NORM_INSTANCES))
def test_each_norm_instance_is_certified_and_float_agrees(name):
    """Every flow of the norm entry: certified monotone, and float |w|^2 nondecreasing."""
    data, theta0 = NORM_INSTANCES[name]
    flow = _flow(data)
    proved = prove_flow_limit(flow, theta0, loss_target="1e-16")
    assert isinstance(proved, ProvedLimit)
    assert certify_norm_monotone(flow, proved).proved
    traj = integrate_float(flow, theta0, t_max=80.0)
    norms = [sum(v * v for v in th) for th in traj.thetas]
    # float |w|^2 is flat to the solver's relative error (rtol 1e-10) near the limit
    assert all(b - a >= -1e-9 * max(norms) for a, b in itertools.pairwise(norms))


def test_reactivation_check_is_inconclusive_without_a_reactivation(monkeypatch):
    """Negative control: an instance whose only switch is a deactivation does not pass."""
    from igproof.papers.checks import single_neuron as checks
    from igproof.verdict import Verdict

    plain = {"x": NORM_DATA["x"], "y": NORM_DATA["y"], "theta0": ["1/1000", "1/4000"],
             "horizon": 30}
    monkeypatch.setattr(checks, "REACTIVATION_INSTANCES", (("plain", plain),))
    out = checks.check_reactivation()
    assert out.verdict is Verdict.INCONCLUSIVE
    assert "plain: no reactivation" in out.evidence
