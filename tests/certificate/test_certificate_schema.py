"""The shipped JSON Schema describes the certificates: shipped files validate, broken ones do
not; the writer round-trips exactly and writes atomically; the producer regenerates the shipped
certificates (same statements) and the checker accepts what it writes."""

from __future__ import annotations

import json
from fractions import Fraction
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import sympy

from igproof.certificate.pl_start import SHIPPED
from igproof.certificate.writer import dumps_certificate, write_certificate
from igproof.checker import check_file
from igproof.errors import CertificateError, UnsafeExpression
from igproof.symbolic.expression import parse_expression

CERTS = Path(__file__).resolve().parents[2] / "certificates"


def _schema() -> dict:
    text = resources.files("igproof.certificate").joinpath("schema.json").read_text("utf-8")
    return json.loads(text)


def test_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(_schema())


@pytest.mark.parametrize("path", sorted(CERTS.glob("*.json")), ids=lambda p: p.name)
def test_shipped_certificates_validate_against_the_schema(path):
    jsonschema.Draft202012Validator(_schema()).validate(json.loads(path.read_text("utf-8")))


@pytest.mark.parametrize("mutation", [
    lambda c: c.update(version=2),
    lambda c: c.update(extra=1),
    lambda c: c["theta0"].__setitem__(0, 0.5),
    lambda c: c["theta0"].__setitem__(0, "1.5"),
    lambda c: c["obligations"][0].pop("box"),
    lambda c: c["obligations"][0].update(type="Trust me!"),
    lambda c: c["obligations"][0].update(unknown="x"),
    lambda c: c["model"].update(relu_derivative_at_zero="1/2"),
    lambda c: c.pop("statement"),
])
def test_schema_rejects_malformed_certificates(mutation):
    cert = json.loads((CERTS / "gf-limit-relu-neuron.json").read_text("utf-8"))
    mutation(cert)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(_schema()).validate(cert)


def test_writer_round_trips_fractions_and_writes_atomically(tmp_path):
    """Fractions become "p/q" strings that read back to the same rationals."""
    cert = {"theta0": [Fraction(-3, 4), Fraction(5)], "nested": {"r": (Fraction(1, 3),)}}
    text = dumps_certificate(cert)
    back = json.loads(text)
    assert back == {"theta0": ["-3/4", "5"], "nested": {"r": ["1/3"]}}
    target = tmp_path / "c.json"
    write_certificate(target, cert)
    assert target.read_text("utf-8") == text
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    with pytest.raises(CertificateError):
        dumps_certificate({"x": 0.5})


def test_sympy_parser_builds_the_intended_expression():
    """a*relu(w*x) - 1/2 is a*Max(0, w x) - 1/2; powers bind tighter than unary minus."""
    a, w, x = sympy.symbols("a w x")
    symbols = {"a": a, "w": w, "x": x}
    assert parse_expression("a*relu(w*x) - 1/2", symbols) == a * sympy.Max(0, w * x) - \
        sympy.Rational(1, 2)
    assert parse_expression("-a^2", symbols) == -(a**2)
    assert parse_expression("2^-1", symbols) == sympy.Rational(1, 2)
    with pytest.raises(UnsafeExpression):
        parse_expression("a*y", symbols)


@pytest.mark.parametrize("filename", sorted(SHIPPED))
def test_producer_regenerates_an_accepted_certificate(filename, tmp_path):
    """The producer's output is accepted by the checker and states the same claim as the
    shipped file (same kind, statement text, datasets, theta0)."""
    cert = SHIPPED[filename]()
    path = tmp_path / filename
    write_certificate(path, cert)
    assert check_file(str(path)).accepted
    shipped = json.loads((CERTS / filename).read_text("utf-8"))
    fresh = json.loads(path.read_text("utf-8"))
    for key in ("kind", "datasets", "theta0", "model"):
        assert fresh[key] == shipped[key]
    assert fresh["statement"]["text"] == shipped["statement"]["text"]
