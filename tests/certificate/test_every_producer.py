"""Every certificate producer's output is accepted by the independent checker, within the
checker's published limits (one set of limits: igproof.checker MAX_*).

Each producer entry point of the producer package (igproof/certificate) runs at a small size;
its certificate is checked against the limits (common.check_limits: size, obligations,
segments, steps per segment, Taylor order) and re-read by the checker from its canonical text.
A completeness test lists the producer entry points found in the package, so a new producer
without a case here fails the suite."""

import importlib
import inspect
import pkgutil
from fractions import Fraction

import pytest

import igproof.certificate
from igproof.certificate import gf_limit
from igproof.certificate.common import check_limits, recheck, rejection
from igproof.checker import (
    MAX_FILE_BYTES,
    MAX_INTERVALS,
    MAX_OBLIGATIONS,
    MAX_SEGMENTS,
    MAX_TAYLOR_ORDER,
)
from igproof.proof.limits.limit import ProvedLimit, prove_flow_limit
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.flow import gradient_flow
from igproof.symbolic.models import build_model

TEACHER = (Fraction(1), Fraction(-1, 2), Fraction(1, 3))
XS8 = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1], [2, -1, 1], [1, 2, -1], [-1, 1, 2], [3, 1, -2]]


def _proved(flow, theta0, **kw):
    result = prove_flow_limit(flow, theta0, **kw)
    assert isinstance(result, ProvedLimit), result
    return result


def _neuron_pl():
    flow = gradient_flow(build_model("neuron", dim=1, activation="relu"), Dataset([[1]], ["1"]))
    return gf_limit.limit_certificate(_proved(flow, ["1/2", "3/10"]), flow)


def _relu_isolated_zero():
    ys = [max(Fraction(0), sum(w * x for w, x in zip(TEACHER, xi, strict=True))) for xi in XS8]
    flow = gradient_flow(build_model("relu-neuron", dim=3), Dataset(XS8, [str(y) for y in ys]))
    return gf_limit.limit_certificate(_proved(flow, ["1/2", "1/2", "1/2"]), flow)


def _tanh_isolated_minimum():
    flow = gradient_flow(build_model("neuron", dim=1, activation="tanh"),
                         Dataset([[1], [2], [3]], ["1", "2", "3/2"]))
    return gf_limit.limit_certificate(_proved(flow, ["0.5", "0.3"]), flow)


def _split_trajectory(monkeypatch):
    """A Taylor segment longer than the (patched, small) step limit is cut into chained
    trajectory obligations, and the checker accepts the chain."""
    monkeypatch.setattr(gf_limit, "MAX_INTERVALS", 40)
    flow = gradient_flow(build_model("neuron", dim=1, activation="relu"), Dataset([[1]], ["1"]))
    cert = gf_limit.limit_certificate(_proved(flow, ["1/2", "3/10"]), flow)
    trajectories = [o for o in cert["obligations"] if o["type"] == "trajectory"]
    assert len(trajectories) >= 2
    assert all(len(s["steps"]) <= 40 for o in trajectories for s in o["segments"])
    return cert


def _pl_start(name):
    from igproof.certificate import pl_start
    return pl_start.SHIPPED[name]()


def _switches(name):
    from igproof.certificate import switches
    from igproof.proof.single_neuron.instances import REACTIVATION_INSTANCES
    return switches.reactivation_outcome(name, dict(REACTIVATION_INSTANCES)[name])


def _overlap(name):
    from igproof.certificate import overlap_instances
    return overlap_instances.SHIPPED[name]()


def _minnorm():
    from igproof.certificate.minnorm import minnorm_obligation
    from igproof.proof.minnorm.interpolator import minimal_norm_interpolator
    return minnorm_obligation(minimal_norm_interpolator([-3, -1, 1, 3], [3, 1, 1, 3]))[1]


def _witness_refute():
    from igproof.search.promote import promote_hit
    from igproof.search.regularizers import get_regularizer
    promotion = promote_hit(build_model("relu-neuron", dim=3), get_regularizer("l2"),
                            Dataset([[-2, 0, 1]], [1]), (Fraction(-1), Fraction(0), Fraction(0)))
    assert promotion.certified, promotion.attempts
    return promotion.certificate


def _spectral():
    from igproof.certificate import spectral
    problem = next(iter(spectral.shipped().values()))
    return spectral.prove_and_certify(problem).certificate


SLOW = pytest.mark.slow
CASES = {
    "gf_limit.limit_certificate[pl, taylor]": (_neuron_pl, ()),
    "gf_limit.limit_certificate[isolated-zero, affine switches]": (_relu_isolated_zero, ()),
    "gf_limit.limit_certificate[isolated minimum]": (_tanh_isolated_minimum, ()),
    "gf_limit.limit_certificate[split long segment]": (_split_trajectory, ("monkeypatch",)),
    "pl_start.gf_limit_relu_neuron": (lambda: _pl_start("gf-limit-relu-neuron.json"), ()),
    "pl_start.not_characterized_by_witness": (
        lambda: _pl_start("not-characterized-by-witness.json"), ()),
    "pl_start.not_characterized_by_kkt": (lambda: _pl_start("not-characterized-by-kkt.json"),
                                          ()),
    "pl_start.one_point_overlap_linear_neuron": (
        lambda: _pl_start("one-point-overlap-linear-neuron.json"), ()),
    "switches.reactivation_outcome": (lambda: _switches("realizable"), ()),
    "overlap_instances.two_point_relu_neuron": (
        lambda: _overlap("zhang2023-two-point-relu-neuron.json"), ()),
    "overlap_instances.one_point_norm_relu": (
        lambda: _overlap("zhang2023-one-point-norm-relu.json"), ()),
    "overlap_instances.one_point_l1_tanh": (
        lambda: _overlap("zhang2023-one-point-l1-norm-tanh.json"), ()),
    "overlap_instances.two_point_relu": (lambda: _overlap("zhang2023-two-point-relu.json"),
                                         (SLOW,)),
    "minnorm.minnorm_obligation": (_minnorm, ()),
    "witness.refute": (_witness_refute, ()),
    "spectral.prove_and_certify": (_spectral, (SLOW,)),
}

# Producer entry points found in the package and the case that covers each (others are
# helpers that return parts of a certificate: they are covered through these).
COVERS = {
    "gf_limit.limit_certificate", "pl_start.gf_limit_relu_neuron",
    "pl_start.not_characterized_by_witness", "pl_start.not_characterized_by_kkt",
    "pl_start.one_point_overlap_linear_neuron", "switches.reactivation_outcome",
    "switches.reactivation_certificate", "switches.switches_certificate",
    "overlap.two_point_certificate", "overlap.one_point_certificate",
    "overlap_instances.two_point_relu_neuron", "overlap_instances.one_point_norm_relu",
    "overlap_instances.one_point_l1_relu", "overlap_instances.one_point_distance_relu",
    "overlap_instances.one_point_norm_tanh", "overlap_instances.one_point_l1_tanh",
    "overlap_instances.two_point_tanh", "overlap_instances.one_point_distance_tanh",
    "overlap_instances.two_point_relu", "minnorm.minnorm_obligation", "witness.refute",
    "spectral.prove_and_certify", "spectral.nuclear_certificate", "spectral.write_shipped",
}


def _params():
    for name, (build, extra) in CASES.items():
        marks = [m for m in extra if not isinstance(m, str)]
        yield pytest.param(name, build, [m for m in extra if isinstance(m, str)], id=name,
                           marks=marks)


@pytest.mark.parametrize(("name", "build", "fixtures"), list(_params()))
def test_producer_output_is_accepted_within_limits(name, build, fixtures, request):
    args = [request.getfixturevalue(f) for f in fixtures]
    out = build(*args)
    cert = getattr(out, "certificate", out)
    assert isinstance(cert, dict), f"{name}: no certificate ({getattr(out, 'evidence', out)})"
    text = check_limits(cert)  # raises CertificateError naming a limit
    assert len(text.encode("utf-8")) <= MAX_FILE_BYTES
    report = recheck(cert)
    assert report.accepted, f"{name}: {rejection(report)}"


def test_every_producer_entry_point_has_a_case():
    """Public functions of igproof/certificate whose name says they produce a certificate."""
    found = set()
    for info in pkgutil.iter_modules(igproof.certificate.__path__):
        if info.name in ("common", "writer", "shipped"):
            continue  # the door to the checker, serialisation, the shipped-files script
        module = importlib.import_module(f"igproof.certificate.{info.name}")
        for fname, fn in inspect.getmembers(module, inspect.isfunction):
            if fname.startswith("_") or fn.__module__ != module.__name__:
                continue
            if (fname.endswith(("_certificate", "_outcome", "_obligation"))
                    or fname in ("refute", "prove_and_certify", "write_shipped")
                    or fn in getattr(module, "SHIPPED", {}).values()):
                found.add(f"{info.name}.{fname}")
    assert found <= COVERS, sorted(found - COVERS)


def test_the_producer_limits_are_the_checkers():
    """One set of limits: what the producer package respects is what the checker enforces."""
    from igproof.certificate import common
    from igproof.checker import kernel, trajectory
    assert common.MAX_FILE_BYTES == kernel.MAX_FILE_BYTES == MAX_FILE_BYTES
    assert common.MAX_INTERVALS == trajectory.MAX_INTERVALS == MAX_INTERVALS
    assert common.MAX_SEGMENTS == trajectory.MAX_SEGMENTS == MAX_SEGMENTS
    assert common.MAX_OBLIGATIONS == kernel.MAX_OBLIGATIONS == MAX_OBLIGATIONS
    assert common.MAX_TAYLOR_ORDER == trajectory.MAX_TAYLOR_ORDER == MAX_TAYLOR_ORDER


def test_check_limits_refuses_before_writing():
    from igproof.errors import CertificateError
    too_many = {"obligations": [{"id": f"o{k}", "type": "start"}
                                for k in range(MAX_OBLIGATIONS + 1)]}
    with pytest.raises(CertificateError, match="obligations"):
        check_limits(too_many)
    long_segment = {"obligations": [{"id": "t", "type": "trajectory", "segments": [
        {"method": "taylor", "order": 28, "steps": [{}] * (MAX_INTERVALS + 1)}]}]}
    with pytest.raises(CertificateError, match="steps"):
        check_limits(long_segment)
    big_order = {"obligations": [{"id": "t", "type": "trajectory", "segments": [
        {"method": "taylor", "order": MAX_TAYLOR_ORDER + 1, "steps": [{}]}]}]}
    with pytest.raises(CertificateError, match="order"):
        check_limits(big_order)
