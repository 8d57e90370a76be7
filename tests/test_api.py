"""The flat public API of ``igproof``: ``__all__`` resolves and is documented, ``import igproof``
stays light (heavy names load on first use, PEP 562), the strategies draw the types the flow API
takes, ``check`` reads a dict or a file's text, and every public certificate producer returns
JSON-ready data (``json.dumps`` with no ``default=`` hook)."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings

import igproof

CERTIFICATES = Path(__file__).resolve().parent.parent / "certificates"
HEAVY = ("sympy", "numpy", "scipy", "mpmath", "flint", "hypothesis")


def _has_fraction(value) -> bool:
    if isinstance(value, Fraction):
        return True
    if isinstance(value, dict):
        return any(_has_fraction(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_fraction(v) for v in value)
    return False


def _assert_json_ready(cert: dict) -> None:
    assert isinstance(cert, dict)
    assert not _has_fraction(cert)
    text = json.dumps(cert)  # no default= hook
    assert json.loads(text) == cert  # plain JSON types only (no tuples either)


# --- __all__ ------------------------------------------------------------------------------------

def _public_api_section() -> str:
    text = (Path(__file__).resolve().parent.parent / "docs" / "architecture.md").read_text(
        encoding="utf-8")
    start = text.index("## Public API")
    end = text.find("\n## ", start + 1)
    return text[start:] if end < 0 else text[start:end]


def test_every_public_name_exists_and_is_documented():
    """Each name resolves, has a docstring (an enum without one: its module's docstring
    describes it), and is listed in the "Public API" section of docs/architecture.md."""
    assert len(igproof.__all__) == len(set(igproof.__all__))
    section = _public_api_section()
    for name in igproof.__all__:
        value = getattr(igproof, name)
        assert value is not None, name
        assert f"`{name}" in section, f"{name} is not in docs/architecture.md, Public API"
        if name == "__version__":
            continue
        doc = getattr(value, "__doc__", None) or ""
        if not doc.strip() and isinstance(value, type):
            doc = sys.modules[value.__module__].__doc__ or ""
        assert doc.strip(), f"{name} has no docstring"


def test_the_promised_names_are_public():
    """One Dataset, one Model, the flow API, overlap and search producers, check, strategies,
    verdicts and errors (issue #16 item 5)."""
    promised = {"Dataset", "Model", "build_model", "gradient_flow", "flow_limit",
                "prove_flow_limit", "two_point_certificate", "one_point_certificate",
                "search_counterexample", "check", "strategies", "Verdict", "Outcome",
                "IgproofError", "InvalidArgument", "DataError", "CertificateError"}
    assert promised <= set(igproof.__all__)
    assert "ExactDataset" not in dir(igproof.strategies)
    assert "SurrogateModel" not in dir(igproof.strategies)


def test_public_names_are_the_implementations():
    from igproof.checker import check_certificate
    from igproof.numeric.converge import flow_limit
    from igproof.search.driver import search_counterexample
    from igproof.symbolic.dataset import Dataset
    from igproof.symbolic.models import Model, build_model

    assert igproof.Dataset is Dataset and igproof.Model is Model
    assert igproof.build_model is build_model and igproof.flow_limit is flow_limit
    assert igproof.search_counterexample is search_counterexample
    assert igproof.check is not check_certificate  # a wrapper that also reads text


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'ExactDataset'"):
        igproof.ExactDataset  # noqa: B018


# --- lazy loading -------------------------------------------------------------------------------

def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=Path(__file__).resolve().parent.parent).stdout.strip()


def test_import_igproof_loads_no_heavy_dependency():
    """``import igproof`` (and reading its light names) imports neither sympy, numpy, scipy,
    mpmath, flint nor hypothesis; the heavy names are not yet in the module namespace."""
    out = _run("import sys, igproof; igproof.Verdict; igproof.InvalidArgument; "
               f"print(sorted(m for m in {HEAVY!r} if m in sys.modules)); "
               "print('Dataset' in vars(igproof), 'check' in vars(igproof))")
    assert out.splitlines() == ["[]", "False True"]


def test_a_heavy_name_loads_on_first_access_and_is_then_cached():
    out = _run("import sys, igproof; m = igproof.build_model; "
               "print('sympy' in sys.modules, 'build_model' in vars(igproof), "
               "igproof.build_model is m)")
    assert out == "True True True"


# --- one Dataset, one Model: the strategies draw what the flow API takes ------------------------

@settings(max_examples=10, deadline=None, derandomize=True, database=None)
@given(igproof.strategies.models(dims=(1, 2)), igproof.strategies.datasets(dim=2, max_size=2))
def test_strategies_draw_the_types_the_flow_api_takes(model, dataset):
    """A drawn (Model, Dataset) goes straight into gradient_flow: one field entry per
    parameter, and L(theta) at theta = 0 equals (1/2n) sum y_i^2 computed by hand."""
    assert isinstance(model, igproof.Model) and isinstance(dataset, igproof.Dataset)
    if model.dim != dataset.dim:
        data = igproof.Dataset([row[:model.dim] for row in dataset.x], dataset.y)
    else:
        data = dataset
    flow = igproof.gradient_flow(model, data)
    assert len(flow.field) == len(model.parameters)
    at_zero = flow.loss.subs({p: 0 for p in model.parameters})
    assert at_zero == sum(Fraction(y) ** 2 for y in data.y) / (2 * data.n)


# --- check --------------------------------------------------------------------------------------

def test_check_reads_a_dict_text_or_bytes():
    path = CERTIFICATES / "gf-limit-relu-neuron.json"
    text = path.read_text(encoding="utf-8")
    for form in (json.loads(text), text, path.read_bytes()):
        report = igproof.check(form)
        assert report.accepted, report.error
    tampered = text.replace('"igproof-certificate"', '"something-else"', 1)
    assert not igproof.check(tampered).accepted
    assert not igproof.check("{not json").accepted


# --- JSON-ready certificates, one test per public producer --------------------------------------

def test_limit_certificate_is_json_ready_and_accepted():
    flow = igproof.gradient_flow(igproof.build_model("relu-neuron", dim=2),
                                 igproof.Dataset([[1, 0], [0, 1]], [1, "1/2"]))
    proved = igproof.prove_flow_limit(flow, ["1/10", "1/10"], loss_target="1e-20")
    cert = igproof.limit_certificate(proved, flow)
    _assert_json_ready(cert)
    assert igproof.check(cert).accepted


@pytest.fixture(scope="module")
def relu_one_point_parts():
    from igproof.certificate import overlap_instances as oi

    return oi


def test_overlap_certificates_are_json_ready(relu_one_point_parts):
    oi = relu_one_point_parts
    shared, other = oi._relu_one_point_parts()
    one = igproof.one_point_certificate(oi.RELU_NEURON.as_json(), oi.RELU_THETA0, shared, other,
                                        relation={"relation": "subset"}, cls="norm")
    _assert_json_ready(one)
    two = igproof.two_point_certificate(oi.RELU_NEURON.as_json(), oi.RELU_THETA0, shared,
                                        other, first_in_second={"relation": "subset"},
                                        second_in_first={"relation": "subset"})
    _assert_json_ready(two)
    outcome = igproof.certify(one, evidence="api test")
    assert outcome.verdict is igproof.Verdict.PROVED
    _assert_json_ready(outcome.certificate)


def test_promote_hit_certificate_is_json_ready():
    """S = {((-2, 0, 1), 1)}, theta0 = (-1, 0, 0), G = l2 (the refutation of
    tests/search/test_promote.py): certified, and the returned certificate is plain JSON."""
    from igproof.search.regularizers import get_regularizer

    model = igproof.build_model("relu-neuron", dim=3)
    data = igproof.Dataset([[-2, 0, 1]], [1])
    promotion = igproof.promote_hit(model, get_regularizer("l2"), data,
                                    (Fraction(-1), Fraction(0), Fraction(0)))
    assert promotion.certified, promotion.attempts
    _assert_json_ready(promotion.certificate)
    assert igproof.check(promotion.certificate).accepted


def test_switches_certificate_is_json_ready():
    from igproof.certificate import switches as sc
    from igproof.proof.single_neuron.instances import REACTIVATION_LABEL0, relu_neuron_flow

    data = REACTIVATION_LABEL0
    flow = relu_neuron_flow(data)
    run = sc.follow_switches(flow, data["theta0"], atom=2, sequence=(-1, 1), t_horizon=1)
    cert = igproof.switches_certificate(flow, run, atom=2, sequence=(-1, 1))
    _assert_json_ready(cert)
    assert igproof.check(cert).accepted


def test_minnorm_obligation_is_json_ready():
    from igproof.certificate.minnorm import minnorm_obligation
    from igproof.proof.minnorm.interpolator import minimal_norm_interpolator

    obligation, cert = minnorm_obligation(minimal_norm_interpolator([-3, -1, 1, 3], [3, 1, 1, 3]))
    _assert_json_ready(obligation)
    _assert_json_ready(cert)
    assert igproof.check(cert).accepted


def test_json_ready_is_the_canonical_file_form():
    from igproof.certificate.writer import dumps_certificate

    cert = {"theta0": (Fraction(1, 2), Fraction(-3)), "n": 2}
    assert igproof.json_ready(cert) == {"theta0": ["1/2", "-3"], "n": 2}
    assert json.dumps(igproof.json_ready(cert), indent=2) + "\n" == dumps_certificate(cert)
