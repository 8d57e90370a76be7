"""gf-switches certificates from certified relu-neuron pieces (igproof.certificate.switches).

Independent route: the float integrator with scipy event location (DOP853, rtol 1e-10) gives
the kinks that switch and their times; the certified pieces must switch the same kinks in the
same order, at times within 1e-6 of the float ones. Acceptance is decided by the independent
checker (stdlib), which replays the segments in its own arithmetic.
"""

from __future__ import annotations

import json

import pytest

from igproof.certificate import switches as sc
from igproof.certificate.shipped import shipped
from igproof.certificate.writer import dumps_certificate, write_proved
from igproof.checker import check_certificate
from igproof.cli.main import main as cli_main
from igproof.errors import InvalidArgument
from igproof.numeric.float_flow import integrate_float
from igproof.proof.single_neuron.instances import (
    REACTIVATION_INSTANCES,
    REACTIVATION_LABEL0,
    REACTIVATION_REALIZABLE,
    relu_neuron_flow,
)
from igproof.verdict import Verdict

# Agreement of certified and float switching times (the float event location is ~1e-8 good
# at rtol 1e-10 on these O(1) trajectories).
FLOAT_TIME_TOL = 1e-6


def _float_switches(data, t_max):
    traj = integrate_float(relu_neuron_flow(data), data["theta0"], t_max=t_max)
    return [(s.kink, s.t) for s in traj.switches]


@pytest.mark.parametrize("name, data", REACTIVATION_INSTANCES,
                         ids=[name for name, _ in REACTIVATION_INSTANCES])
def test_pieces_switch_the_kinks_the_float_flow_switches(name, data):
    """The certified pieces up to the reactivation of kink 2 switch the same kinks, in the
    same order and at the same times (to 1e-6), as scipy's event location; kink 2 (atom 1)
    runs through active, inactive, active."""
    run = sc.follow_switches(relu_neuron_flow(data), data["theta0"], atom=1,
                             sequence=sc.REACTIVATION, t_horizon=data["horizon"])
    assert run.runs(1)[-3:] == [1, -1, 1]
    certified, t = [], 0.0
    for piece in run.pieces:
        if piece.switch is not None:
            t += float(piece.switch.t.mid())
            certified.append((piece.switch.kink, t))
            assert piece.switch.t.rad() < 1e-20
    floats = _float_switches(data, t + 0.5)
    assert [k for k, _ in floats[:len(certified)]] == [k for k, _ in certified]
    for (_, tf), (_, tc) in zip(floats, certified, strict=False):
        assert abs(tf - tc) < FLOAT_TIME_TOL
    assert run.pieces[-1].switch is None and run.pieces[-1].intervals


def test_another_atom_and_sequence_are_certified():
    """label0 instance: kink 3 (atom 2) is inactive at theta0 and switches on near t = 0.096
    (float event), and the certificate of [-1, 1] for it is accepted."""
    data = REACTIVATION_LABEL0
    floats = _float_switches(data, 1.0)
    assert floats[0][0] == 2 and abs(floats[0][1] - 0.0962117) < 1e-6
    flow = relu_neuron_flow(data)
    run = sc.follow_switches(flow, data["theta0"], atom=2, sequence=(-1, 1), t_horizon=1)
    cert = sc.switches_certificate(flow, run, atom=2, sequence=(-1, 1))
    assert cert["statement"]["claim"] == {"atom": 2, "point": 3, "sequence": [-1, 1]}
    report = check_certificate(json.loads(dumps_certificate(cert)))
    assert report.accepted, (report.error, report.obligations, report.conclusion)
    assert len(run.pieces) == 2


def test_a_sequence_that_does_not_occur_before_the_horizon_is_refused():
    """The realizable instance reactivates kink 2 near t = 21.04 (float): not by t = 10."""
    data = REACTIVATION_REALIZABLE
    assert [k for k, t in _float_switches(data, 10.0) if k == 1] == [1]
    with pytest.raises(InvalidArgument, match="does not run through"):
        sc.follow_switches(relu_neuron_flow(data), data["theta0"], atom=1, sequence=sc.REACTIVATION,
                           t_horizon=10)


def test_a_run_without_the_claimed_sequence_gets_no_certificate():
    data = REACTIVATION_LABEL0
    flow = relu_neuron_flow(data)
    run = sc.follow_switches(flow, data["theta0"], atom=2, sequence=(-1, 1), t_horizon=1)
    with pytest.raises(InvalidArgument, match="do not contain"):
        sc.switches_certificate(flow, run, atom=1, sequence=sc.REACTIVATION)


@pytest.mark.parametrize("kwargs, match", [
    ({"atom": 1, "sequence": (1, 1, -1)}, "sequence"),
    ({"atom": 1, "sequence": (1,)}, "sequence"),
    ({"atom": 1, "sequence": (True, -1)}, "sequence"),
    ({"atom": 7, "sequence": (1, -1)}, "atom"),
    ({"atom": True, "sequence": (1, -1)}, "atom"),
    ({"atom": 1, "sequence": (1, -1), "t_horizon": 0}, "t_horizon"),
])
def test_bad_arguments_are_refused(kwargs, match):
    data = REACTIVATION_REALIZABLE
    kwargs = {"t_horizon": 5, **kwargs}
    with pytest.raises(InvalidArgument, match=match):
        sc.follow_switches(relu_neuron_flow(data), data["theta0"], **kwargs)


def test_theta0_on_a_kink_is_refused():
    """w0 = (3/2, -1/2) has x_1 . w0 = 3/4 - 3/4 = 0: the starting pattern is undecided."""
    data = REACTIVATION_REALIZABLE
    with pytest.raises(InvalidArgument, match="kink 1"):
        sc.follow_switches(relu_neuron_flow(data), ["3/2", "-1/2"], atom=1, sequence=(1, -1),
                           t_horizon=5)


def test_shipped_script_writes_accepted_deterministic_certificates(tmp_path):
    """The shipped-certificate script's reactivation jobs write one file per instance; each is
    accepted by `igproof check` and equals a fresh producer run byte for byte."""
    jobs = {name: build for name, build in shipped().items() if name in sc.SHIPPED.values()}
    assert write_proved((tmp_path / name, build) for name, build in jobs.items()) == 0
    paths = sorted(tmp_path.glob("*.json"))
    assert sorted(p.name for p in paths) == sorted(sc.SHIPPED.values())
    assert cli_main(["check", *map(str, paths)]) == 0
    again = sc.reactivation_certificate(REACTIVATION_LABEL0)[0]
    assert (tmp_path / sc.SHIPPED["label0"]).read_text("utf-8") == dumps_certificate(again)


def test_catalogue_check_is_proved_only_when_the_checker_accepts(monkeypatch):
    """reactivation_outcome (the catalogue check of each instance): PROVED with an accepted
    certificate; with switching times not widened between switches (SLACK_STEP_BITS = 0) the
    checker cannot replay the second switch and the verdict is INCONCLUSIVE with the checker's
    reason."""
    data = REACTIVATION_REALIZABLE
    out = sc.reactivation_outcome("realizable", data)
    assert out.verdict is Verdict.PROVED
    assert check_certificate(out.certificate).accepted
    monkeypatch.setattr(sc, "SLACK_STEP_BITS", 0)
    out = sc.reactivation_outcome("realizable", data)
    assert out.verdict is Verdict.INCONCLUSIVE
    assert "not accepted by the checker" in out.evidence
    assert out.certificate is None
