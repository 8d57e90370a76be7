"""The ``scaled-points`` zero-set relation: every point of the target is (gamma x, gamma^k y) of a
point of the source, gamma > 0, with the model output homogeneous of degree k in x by
structure. Then r_target = gamma^k r_source on every theta, so M_source is inside M_target."""

from __future__ import annotations

import json
import os
from fractions import Fraction

import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from igproof.checker import check_certificate
from igproof.checker.obligations import _scaled_copy

CERTS = os.path.join(os.path.dirname(__file__), "..", "..", "certificates")


def _load(name: str) -> dict:
    with open(os.path.join(CERTS, name)) as fh:
        return json.load(fh)


def _as_scaled_points(cert: dict) -> dict:
    for ob in cert["obligations"]:
        if ob["type"] == "zero-set":
            ob["relation"] = "scaled-points"
            ob.pop("index", None)
            ob.pop("gamma", None)
    return cert


def _zero_set_reasons(report) -> list[tuple[str, str]]:
    return [(o["status"], o["reason"]) for o in report.obligations if o["type"] == "zero-set"]


def test_relu_neuron_pair_accepted_through_scaled_points():
    """zhang2023's relu-neuron pair (a label-0 point scaled by 5: y = 0 = 5 * 0) is accepted
    with the general relation too: a relu(w.x) has structural input degree 1."""
    report = check_certificate(_as_scaled_points(_load("zhang2023-two-point-relu-neuron.json")))
    assert report.accepted, report
    assert all(status == "accepted" for status, _ in _zero_set_reasons(report))


def test_tanh_model_is_not_homogeneous():
    """a tanh(w.x) is not positively homogeneous in x: the relation is refused (the label-0
    scaling of this pair needs ``scaled-label-zero``, whose zero-set argument is different)."""
    report = check_certificate(_as_scaled_points(_load("zhang2023-two-point-tanh.json")))
    assert not report.accepted
    assert any("homogeneous" in reason for status, reason in _zero_set_reasons(report)
               if status != "accepted")


def test_unscaled_label_refused():
    """Moving the scaled label-0 point off its ray (x' -> x' + e_1) breaks the relation (both
    directions name a point that is no scaled copy)."""
    cert = _as_scaled_points(_load("zhang2023-two-point-relu-neuron.json"))
    s5 = cert["datasets"]["S5"]
    s5["x"][2][0] = str(Fraction(s5["x"][2][0]) + 1)
    report = check_certificate(cert)
    assert not report.accepted
    reasons = [reason for status, reason in _zero_set_reasons(report) if status != "accepted"]
    assert reasons and all("gamma" in reason for reason in reasons)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.fractions(-5, 5, max_denominator=7), min_size=1, max_size=3),
       st.fractions(-5, 5, max_denominator=7), st.fractions(-4, 4, max_denominator=5),
       st.integers(0, 3))
def test_scaled_copy_matches_the_definition(x1, y1, gamma, k):
    """_scaled_copy((gamma x1, gamma^k y1), (x1, y1)) holds exactly when gamma > 0 and x1 != 0;
    and then the residual identity r(gamma x1) - gamma^k y1 = gamma^k (r(x1) - y1) holds for a
    degree-k monomial model (sympy, an independent route)."""
    x = [gamma * v for v in x1]
    y = gamma ** k * y1
    expected = gamma > 0 and any(v != 0 for v in x1)
    assert _scaled_copy(x, y, x1, y1, k) == expected
    if expected:
        assert not _scaled_copy(x, y + 1, x1, y1, k)
        t = sympy.Symbol("t")
        f = lambda xs: t * sum(sympy.Rational(v.numerator, v.denominator) for v in xs) ** k  # noqa: E731
        lhs = f(x) - sympy.Rational(y.numerator, y.denominator)
        rhs = sympy.Rational(gamma.numerator, gamma.denominator) ** k * (
            f(x1) - sympy.Rational(y1.numerator, y1.denominator))
        assert sympy.expand(lhs - rhs) == 0
