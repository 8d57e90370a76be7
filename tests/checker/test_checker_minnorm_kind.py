"""The ``minnorm-interpolation`` kind: a certificate of the minimal-cost bracket of 1-D data.

Facts checked against independent routes:
* penalised weight, x = (-3, 3, 4), y = (0, 0, 1): minimal cost 6/sqrt(10) (closed form of
  tests/proof/test_minnorm.py), so lower^2 <= 36/10 <= upper^2 in exact rationals;
* free biases, x = (-3, -1, 1, 3), y = (3, 1, 1, 3): the chord slopes are -1, 0, 1, so every
  interpolant has int |f''| >= |0 - (-1)| + |1 - 0| = 2, attained by the piecewise-linear one:
  the bracket contains 2.
Every tampering of data, dual function, bounds, kinks, words or structure must be rejected.
"""

from __future__ import annotations

import copy
import json
from fractions import Fraction
from importlib import resources

import jsonschema
import pytest

from igproof.certificate.minnorm import minnorm_obligation
from igproof.checker import check_certificate
from igproof.cli.main import main
from igproof.proof.minnorm.interpolator import minimal_norm_interpolator


def _certificate(x, y, **kwargs) -> dict:
    _, cert = minnorm_obligation(minimal_norm_interpolator(x, y, **kwargs))
    return cert


@pytest.fixture(scope="module")
def penalised() -> dict:
    return _certificate(["-3", "3", "4"], [0, 0, 1])


@pytest.fixture(scope="module")
def free() -> dict:
    return _certificate([-3, -1, 1, 3], [3, 1, 1, 3], penalised_bias=False)


def test_penalised_certificate_accepted_and_brackets_closed_form(penalised):
    """Accepted; the bracket [lower, upper] contains 6/sqrt(10): lower^2 <= 18/5 <= upper^2."""
    report = check_certificate(penalised)
    assert report.accepted, report
    assert report.kind == "minnorm-interpolation"
    lo, hi = Fraction(penalised["statement"]["lower"]), Fraction(penalised["statement"]["upper"])
    assert 0 < lo and lo * lo <= Fraction(18, 5) <= hi * hi


def test_free_bias_certificate_accepted_and_brackets_two(free):
    """Free biases: weight '1'; accepted; lower <= 2 <= upper (total variation of the slopes)."""
    assert free["statement"]["weight"] == "1"
    assert check_certificate(free).accepted
    assert Fraction(free["statement"]["lower"]) <= 2 <= Fraction(free["statement"]["upper"])


def test_certificate_validates_against_the_schema(penalised, free):
    """Both certificates validate against the packaged JSON Schema; a minnorm certificate with
    a model field does not."""
    text = resources.files("igproof.certificate").joinpath("schema.json").read_text("utf-8")
    validator = jsonschema.Draft202012Validator(json.loads(text))
    validator.validate(penalised)
    validator.validate(free)
    bad = copy.deepcopy(penalised)
    bad["model"] = {}
    assert not validator.is_valid(bad)


def _set(path, value):
    def mutate(cert):
        target = cert
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return mutate


TAMPERINGS = {
    # data: the claim is about other data than the obligation checked
    "data y": _set(("data", "y", 2), "2"),
    "data x": _set(("data", "x", 0), "-4"),
    "obligation y": _set(("obligations", 0, "y", 2), "2"),
    # dual function: |phi| > w somewhere, or phi not vanishing at the ends
    "phi scaled": lambda c: c["obligations"][0].update(
        phi=[str(Fraction(v) * 2) for v in c["obligations"][0]["phi"]]),
    "phi end": _set(("obligations", 0, "phi", 0), "1/100"),
    # bounds: the obligation's bounds, and the statement's bracket
    "lower raised": lambda c: c["obligations"][0].update(
        lower_bound=str(Fraction(c["obligations"][0]["lower_bound"]) + Fraction(1, 10**6))),
    "upper lowered": lambda c: c["obligations"][0].update(
        upper_bound=str(Fraction(c["obligations"][0]["upper_bound"]) - Fraction(1, 10**6))),
    "statement lower above": lambda c: _restate(
        c, lower=str(Fraction(c["statement"]["lower"]) + Fraction(1, 10**6))),
    "statement upper below": lambda c: _restate(
        c, upper=str(Fraction(c["statement"]["upper"]) - Fraction(1, 10**6))),
    "statement weight": lambda c: _restate(c, weight="1"),
    # kinks: the interpolant misses a data point, or costs more than claimed
    "kink jump": lambda c: c["obligations"][0]["kinks"][0].update(
        jump=str(Fraction(c["obligations"][0]["kinks"][0]["jump"]) * 2)),
    "kink at": lambda c: c["obligations"][0]["kinks"][0].update(
        at=str(Fraction(c["obligations"][0]["kinks"][0]["at"]) + Fraction(1, 7))),
    "kink removed": lambda c: c["obligations"][0].update(kinks=[]),
    # words and structure
    "text": _set(("statement", "text"), "The minimal cost is 0."),
    "model field": _set(("model",), {"parameters": ["a"]}),
    "version": _set(("version",), 2),
    "foreign obligation": lambda c: c["obligations"].append(
        {"id": "s", "type": "start", "dataset": "S", "box": [["0", "1"]]}),
    "no obligation": _set(("obligations",), []),
    "data length": _set(("data", "y"), ["0", "0"]),
}


def _restate(cert: dict, **fields) -> None:
    """Change structured statement fields and re-generate the canonical words (so only the
    bracket, not the words, is what the checker must catch)."""
    from igproof.checker import statement_text

    cert["statement"].update(fields)
    cert["statement"]["text"] = statement_text(cert["kind"], cert["statement"])


@pytest.mark.parametrize("name", sorted(TAMPERINGS))
def test_tampered_certificate_rejected(penalised, name):
    """Each tampering makes the certificate rejected, with a one-line reason."""
    cert = copy.deepcopy(penalised)
    TAMPERINGS[name](cert)
    report = check_certificate(cert)
    assert not report.accepted
    assert not report.not_a_certificate
    reasons = [report.error or "", report.conclusion,
               *(o["reason"] for o in report.obligations if o["status"] == "rejected")]
    assert any(reasons) and all("\n" not in r for r in reasons)


def test_wider_statement_bracket_still_follows(penalised):
    """Claiming a wider bracket [lower - 1, upper + 1] is weaker, hence still accepted."""
    cert = copy.deepcopy(penalised)
    _restate(cert, lower=str(Fraction(cert["statement"]["lower"]) - 1),
             upper=str(Fraction(cert["statement"]["upper"]) + 1))
    assert check_certificate(cert).accepted


def test_igproof_minnorm_writes_a_checkable_certificate(tmp_path, capsys):
    """`igproof minnorm --certificate` writes the certificate; `igproof check` exits 0 on it, 1
    on a tampered copy, 2 on a file that is not a certificate (a bare obligation)."""
    data = tmp_path / "d.json"
    data.write_text(json.dumps({"x": ["-3", "3", "4"], "y": [0, 0, 1]}))
    cert_path = tmp_path / "sub" / "c.json"
    cert_path.parent.mkdir()
    assert main(["minnorm", "--data", str(data), "--certificate", str(cert_path)]) == 0
    cert = json.loads(cert_path.read_text())
    assert cert["kind"] == "minnorm-interpolation"
    assert main(["check", str(cert_path)]) == 0
    bad = copy.deepcopy(cert)
    bad["data"]["y"][2] = "3"
    bad_path = tmp_path / "bad.json"
    bad_path.write_text(json.dumps(bad))
    assert main(["check", str(bad_path)]) == 1
    bare_path = tmp_path / "bare.json"
    bare_path.write_text(json.dumps(cert["obligations"][0]))
    assert main(["check", str(bare_path)]) == 2
    capsys.readouterr()


@pytest.mark.parametrize("data, match", [
    ({"x": [str(k) for k in range(20001)], "y": ["0"] * 20001}, "2 to 20000"),
    ({"x": "1,2", "y": ["0", "0"]}, "data.x"),
    ({"x": ["0", "1"], "y": [0, 1]}, "data.y"),
    ({"x": ["0", "1"]}, "data"),
])
def test_malformed_data_rejected_with_one_line_reason(penalised, data, match):
    """Too many points, a string instead of a list, JSON numbers, a missing field: rejected
    before any obligation runs, with a reason naming the field."""
    cert = copy.deepcopy(penalised)
    cert["data"] = data
    report = check_certificate(cert)
    assert not report.accepted and match in (report.error or "")
