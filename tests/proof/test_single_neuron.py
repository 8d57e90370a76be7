"""Exact single-neuron identities (igproof.proof.single_neuron.exact) against independent routes.

The symbolic identities are checked against the library's own gradient-flow field
(igproof.symbolic.flow, derived separately from the full dataset loss) evaluated exactly at
rational points, and against finite differences of the loss in floats.
"""

from __future__ import annotations

import random
from fractions import Fraction

import pytest
import sympy

from igproof.errors import InvalidArgument
from igproof.proof.single_neuron import exact as sn
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.flow import gradient_flow
from igproof.symbolic.models import build_model

XS = [[1, 1, 0], [1, 0, 1], [0, -1, -1], [2, -1, 1]]
YS = [1, 1, 0, 3]


def _rational_points(count, dim, seed):
    rng = random.Random(seed)
    return [[Fraction(rng.randint(-9, 9), rng.randint(1, 5)) for _ in range(dim)]
            for _ in range(count)]


def test_per_datum_field_is_active_residual_times_input():
    """-grad (relu(w.x) - y)^2/2 = [w.x > 0] (y - w.x) x (both states, d = 1, 2, 3)."""
    assert sn.field_in_span_of_active()


def test_norm_rate_identity_holds():
    """w . (-grad l) = [u > 0] (y - u) u with u = w.x (both states, d = 1, 2, 3)."""
    assert sn.norm_rate_identity()


def test_underfit_active_term_is_positive():
    """(y - u) u > 0 when 0 < u < y."""
    assert sn.norm_rate_positive_when_underfit()


def test_dataset_field_matches_the_formula_exactly():
    """gradient_flow's field at rational w equals (1/n) sum_i [u_i > 0] (y_i - u_i) x_i."""
    flow = gradient_flow(build_model("relu-neuron", dim=3), Dataset(XS, YS))
    for w in _rational_points(12, 3, seed=1):
        field = flow.field_at(w)
        expected = [Fraction(0)] * 3
        for x, y in zip(XS, YS, strict=True):
            u = sum(Fraction(a) * b for a, b in zip(x, w, strict=True))
            if u > 0:
                expected = [e + (y - u) * a / len(XS) for e, a in zip(expected, x, strict=True)]
        assert [sympy.Rational(e.numerator, e.denominator) for e in expected] == list(field)


def test_norm_rate_equals_w_dot_field():
    """norm_rate(w) = w . F(w) exactly, F from gradient_flow (independent derivation)."""
    flow = gradient_flow(build_model("relu-neuron", dim=3), Dataset(XS, YS))
    for w in _rational_points(12, 3, seed=2):
        field = flow.field_at(w)
        dot = sum(sympy.Rational(a.numerator, a.denominator) * f
                  for a, f in zip(w, field, strict=True))
        rate = sn.norm_rate(XS, YS, w)
        assert sympy.Rational(rate.numerator, rate.denominator) == dot


def test_norm_rate_matches_finite_difference_of_norm_along_the_flow():
    """d/dt |w|^2/2 ~ (|w + h F|^2 - |w - h F|^2) / (4h) (float, central difference)."""
    flow = gradient_flow(build_model("relu-neuron", dim=3), Dataset(XS, YS))
    w = [Fraction(1, 3), Fraction(1, 2), Fraction(-1, 5)]
    f = [float(v) for v in flow.field_at(w)]
    h = 1e-6
    plus = sum((float(a) + h * b) ** 2 for a, b in zip(w, f, strict=True))
    minus = sum((float(a) - h * b) ** 2 for a, b in zip(w, f, strict=True))
    assert abs((plus - minus) / (4 * h) - float(sn.norm_rate(XS, YS, w))) < 1e-8


def test_pattern_fields_lie_in_span_of_active_inputs():
    """Every one of the 2^4 restricted fields is orthogonal to span{active x_i}^perp."""
    flow = gradient_flow(build_model("relu-neuron", dim=3), Dataset(XS, YS))
    assert sn.pattern_fields_in_span(flow)


def test_a_field_outside_the_span_is_detected():
    """Negative control: relu(w.x) + w3^2/2 adds -w3 e3 to the field, outside span{x}."""
    w1, w2, w3 = sympy.symbols("w1 w2 w3", real=True)
    x1, x2, x3 = sympy.symbols("x1 x2 x3", real=True)
    from igproof.symbolic.activations import relu

    model = build_model("relu-neuron", dim=3)
    expr = relu(w1 * x1 + w2 * x2) + w3 ** 2 / 2
    m = type(model).from_expression(expr, [w1, w2, w3], [x1, x2, x3])
    flow = gradient_flow(m, Dataset([[1, 0, 0]], [1]))
    assert not sn.pattern_fields_in_span(flow)


def test_balancedness_is_conserved_in_every_pattern():
    """d/dt (|w_j|^2 - v_j^2) = 0 for sum_j v_j relu(w_j.x), symbolic datum."""
    assert sn.balancedness_conserved(dim=2, width=2)
    assert sn.balancedness_conserved(dim=1, width=3)


def test_balancedness_agrees_with_gradient_flow_conservation():
    """The library's conservation() on a concrete dataset agrees (independent code path)."""
    from igproof.symbolic.conserved import balancedness

    model = build_model("two-layer", dim=2, width=2)
    flow = gradient_flow(model, Dataset([[1, 2], [-1, 1], [3, -1]], [1, 0, 2]))
    assert all(flow.conservation(q) for q in balancedness(model))
    # and a non-conserved quantity is rejected: |w_1|^2 + v_1^2
    v1 = model.parameters[0]
    w11, w12 = model.parameters[2:4]
    assert not flow.conservation(w11 ** 2 + w12 ** 2 + v1 ** 2)


def test_norm_rate_rejects_mismatched_data():
    with pytest.raises(InvalidArgument, match="xs, ys"):
        sn.norm_rate([[1, 0]], [1, 2], [0, 0])


def test_chain_rule_identity_covers_every_dimension():
    """-d/du (relu(u) - y)^2/2 = [u > 0] (y - u): the scalar step behind every d."""
    assert sn.chain_rule_identity()


def test_balancedness_chain_rule_identity_covers_every_shape():
    """z dL/dz = v dL/dv for L = (v relu(z) + c - y)^2/2 (other units folded into c)."""
    assert sn.balancedness_chain_rule_identity()
