"""Two-layer networks with biases and a free linear skip part (Boursier & Flammarion 2023):
f(x) = sum_j v_j sigma(w_j . x + b_j) + u . x + c.

Independent routes: the field, kinks and conservation laws of the symbolic layer are compared
with the gradient written out by hand in exact Fraction arithmetic (dL/dv_j = (1/n) sum_i r_i
relu(z_ij), dL/dw_j = (1/n) sum_i r_i v_j relu'(z_ij) x_i, dL/db_j = (1/n) sum_i r_i v_j
relu'(z_ij), dL/du = (1/n) sum_i r_i x_i, dL/dc = (1/n) sum_i r_i, relu'(0) = 0).
"""

from __future__ import annotations

import random
from fractions import Fraction

import pytest
import sympy

from igproof.errors import InvalidArgument
from igproof.symbolic.activations import relu
from igproof.symbolic.conserved import balancedness
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.flow import gradient_flow
from igproof.symbolic.models import build_model
from igproof.symbolic.zero_loss import (
    contained_zero_loss_set,
    in_zero_loss_set,
    label_zero_scaling_argument,
    same_zero_loss_set,
)

DIM, WIDTH = 2, 2
DATA = Dataset([[1, 2], [-1, 1], [2, -1], [0, 0]], [1, 0, 2, "1/2"])


def _hand_field(theta, xs, ys, m, d, bias, skip):
    """-grad L by the formulas of the module docstring, in Fractions (relu'(0) = 0)."""
    v = theta[:m]
    w = [theta[m + j * d:m + (j + 1) * d] for j in range(m)]
    k = m + m * d
    b = theta[k:k + m] if bias else [Fraction(0)] * m
    k += m if bias else 0
    u, c = (theta[k:k + d], theta[k + d]) if skip else ([Fraction(0)] * d, Fraction(0))
    n = len(ys)
    grad = [Fraction(0)] * len(theta)
    for x, y in zip(xs, ys, strict=True):
        z = [sum((wj[q] * x[q] for q in range(d)), Fraction(0)) + b[j] for j, wj in enumerate(w)]
        r = sum((v[j] * max(z[j], 0) for j in range(m)), Fraction(0)) + \
            sum((u[q] * x[q] for q in range(d)), Fraction(0)) + c - y
        for j in range(m):
            grad[j] += r * max(z[j], 0)
            if z[j] > 0:
                for q in range(d):
                    grad[m + j * d + q] += r * v[j] * x[q]
                if bias:
                    grad[m + m * d + j] += r * v[j]
        if skip:
            for q in range(d):
                grad[k + q] += r * x[q]
            grad[k + d] += r
    return [-g / n for g in grad]


def _random_theta(rng, p):
    return [Fraction(rng.randint(-9, 9), rng.randint(1, 5)) for _ in range(p)]


def test_parameter_order_and_output_written_out():
    """Today's order (v, w rows) first, then b_1..b_m, then u_1..u_d, c; f as the formula."""
    model = build_model("two-layer", dim=DIM, width=WIDTH, bias=True, skip=True)
    assert [str(p) for p in model.parameters] == [
        "v1", "v2", "w1_1", "w1_2", "w2_1", "w2_2", "b1", "b2", "u1", "u2", "c"]
    assert [str(p) for p in build_model("two-layer", dim=1, width=2, skip=True).parameters] == [
        "v1", "v2", "w1_1", "w2_1", "u1", "c"]
    s = {str(p): p for p in model.parameters}
    hand = (s["v1"] * relu(s["w1_1"] - 2 * s["w1_2"] + s["b1"])
            + s["v2"] * relu(s["w2_1"] - 2 * s["w2_2"] + s["b2"]) + s["u1"] - 2 * s["u2"] + s["c"])
    assert sympy.expand(model.output([1, -2]) - hand) == 0
    assert model.bias and model.skip and model.linear_part == s["u1"] * model.inputs[0] + \
        s["u2"] * model.inputs[1] + s["c"]


@pytest.mark.parametrize(("bias", "skip"), [(True, False), (False, True), (True, True)])
def test_field_equals_the_hand_gradient_exactly(bias, skip):
    """F(theta) = -grad L at random rational points equals the hand formula (exact)."""
    model = build_model("two-layer", dim=DIM, width=WIDTH, bias=bias, skip=skip)
    flow = gradient_flow(model, DATA)
    rng = random.Random(7)
    for _ in range(5):
        theta = _random_theta(rng, len(model.parameters))
        exact = [Fraction(int(q.p), int(q.q)) for q in flow.field_at(theta)]
        assert exact == _hand_field(theta, DATA.x, DATA.y, WIDTH, DIM, bias, skip)


def test_kinks_are_the_biased_preactivations_point_major():
    """kink i m + j = w_j . x_i + b_j (linear in the parameters), constant kinks of x = 0 are
    b_j; the pattern and the restricted field agree with the field at exact points."""
    model = build_model("two-layer", dim=DIM, width=WIDTH, bias=True, skip=True)
    flow = gradient_flow(model, DATA)
    s = {str(p): p for p in model.parameters}
    expected = []
    for x in DATA.x:
        for j in (1, 2):
            expected.append(s[f"w{j}_1"] * x[0] + s[f"w{j}_2"] * x[1] + s[f"b{j}"])
    assert len(flow.kinks) == len(expected)
    assert all(sympy.expand(k - e) == 0 for k, e in zip(flow.kinks, expected, strict=True))
    rng = random.Random(3)
    for _ in range(4):
        theta = _random_theta(rng, len(model.parameters))
        pattern = flow.pattern(theta)
        values = dict(zip(model.parameters, theta, strict=True))
        assert pattern == tuple(int(sympy.sign(e.subs(values))) for e in expected)
        assert flow.restricted(pattern).field_at(theta) == flow.field_at(theta)


def test_pattern_on_a_kink_uses_relu_prime_zero():
    """theta with w_1 . x_0 + b_1 = 0 exactly: the unit counts as inactive (relu'(0) = 0)."""
    model = build_model("two-layer", dim=1, width=1, bias=True, skip=True)
    data = Dataset([[2], [-1]], [1, 3])
    flow = gradient_flow(model, data)
    theta = [Fraction(3), Fraction(1), Fraction(-2), Fraction(1, 2), Fraction(1, 3)]  # v w b u c
    assert flow.pattern(theta) == (0, -1)
    exact = [Fraction(int(q.p), int(q.q)) for q in flow.field_at(theta)]
    assert exact == _hand_field(theta, data.x, data.y, 1, 1, True, True)


@pytest.mark.parametrize("skip", [False, True])
def test_balancedness_with_biases_is_conserved(skip):
    """Q_j = |w_j|^2 + b_j^2 - v_j^2 is conserved (patterns and multilinear identity agree);
    without the b_j^2 term it is not; exact check by hand: grad Q_j . F = 0 at rational points."""
    model = build_model("two-layer", dim=DIM, width=WIDTH, bias=True, skip=skip)
    flow = gradient_flow(model, DATA)
    small = gradient_flow(model, Dataset(DATA.x[:2], DATA.y[:2]))  # 4 kinks: 16 patterns
    laws = balancedness(model)
    s = {str(p): p for p in model.parameters}
    assert sympy.expand(laws[0] - (s["w1_1"]**2 + s["w1_2"]**2 + s["b1"]**2 - s["v1"]**2)) == 0
    for q in laws:
        assert small.conservation(q, method="patterns")
        assert small.conservation(q, method="multilinear")
        assert flow.conservation(q, method="multilinear")
    assert not flow.conservation(s["w1_1"]**2 + s["w1_2"]**2 - s["v1"]**2, method="multilinear")
    rng = random.Random(11)
    for _ in range(5):
        theta = _random_theta(rng, len(model.parameters))
        field = _hand_field(theta, DATA.x, DATA.y, WIDTH, DIM, True, skip)
        values = dict(zip(model.parameters, theta, strict=True))
        for q in laws:
            grad = [sympy.diff(q, p).subs(values) for p in model.parameters]
            assert sum(g * f for g, f in zip(grad, field, strict=True)) == 0


def test_balancedness_fails_for_tanh_and_skip_adds_no_law():
    """tanh is not positively homogeneous: the law fails; the skip part's |u|^2 - c^2 is not
    conserved either."""
    model = build_model("two-layer", dim=1, width=1, activation="tanh", bias=True, skip=True)
    flow = gradient_flow(model, Dataset([[1], [2]], [1, 3]))
    assert not flow.conservation(balancedness(model)[0])
    relu_model = build_model("two-layer", dim=1, width=1, bias=True, skip=True)
    relu_flow = gradient_flow(relu_model, Dataset([[1], [2]], [1, 3]))
    u1, c = relu_model.parameters[-2:]
    assert not relu_flow.conservation(u1**2 - c**2)


def test_leaky_relu_with_bias_conserves_balancedness():
    model = build_model("two-layer", dim=1, width=2, activation="leaky-relu", bias=True,
                        skip=True)
    flow = gradient_flow(model, Dataset([[1], [-2], [3]], [1, 0, 2]))
    assert len(flow.kinks) == 6
    assert all(flow.conservation(q, method="multilinear") for q in balancedness(model))


def test_zero_loss_helpers_refuse_scaling_for_bias_and_skip():
    """Label-0 scaling needs f(gamma x) = 0 <=> f(x) = 0: false with a bias or a skip part, and
    the symbolic layer does not claim it; inactivity on a box is used for biases only (with a
    skip part f(x') is not a combination of relu terms)."""
    plain = build_model("two-layer", dim=1, width=2)
    assert label_zero_scaling_argument(plain) is not None
    for bias, skip in ((True, False), (False, True), (True, True)):
        model = build_model("two-layer", dim=1, width=2, bias=bias, skip=skip)
        assert label_zero_scaling_argument(model) is None
    s1 = Dataset([[1], [-1]], [1, 0])
    s2 = Dataset([[1], [-2]], [1, 0])
    biased = build_model("two-layer", dim=1, width=1, bias=True)
    assert same_zero_loss_set(biased, s1, s2).relation == "undecided"
    # M_S1 ∩ B ⊆ M_S2 for S2 = S1 + the label-0 point x' = -3: w x' + b <= -3/2 + ... < 0 on B
    box = [(1, 2), (1, 2), (-1, 0)]  # v1, w1_1, b1
    rel = contained_zero_loss_set(biased, s1, Dataset([[1], [-1], [-3]], [1, 0, 0]), box=box)
    assert rel.relation == "contained" and rel.details["strict"]
    skipped = build_model("two-layer", dim=1, width=1, bias=True, skip=True)
    rel = contained_zero_loss_set(skipped, s1, Dataset([[1], [-1], [-3]], [1, 0, 0]),
                                  box=[*box, (0, 0), (0, 0)])
    assert rel.relation == "undecided" and "not a combination of relu terms" in rel.argument
    # exact membership: f(1) = 2 relu(1 - 1/2) + 0 + 0 = 1, f(-1) = 0
    assert in_zero_loss_set(skipped, s1, [2, 1, Fraction(-1, 2), 0, 0])
    assert not in_zero_loss_set(skipped, s1, [2, 1, Fraction(-1, 2), 0, Fraction(1, 10)])


def test_misuse_is_refused_by_name():
    with pytest.raises(InvalidArgument, match="skip"):
        build_model("neuron", dim=1, skip=True)
    with pytest.raises(InvalidArgument, match="skip"):
        build_model("two-layer", dim=1, skip=1)
    with pytest.raises(InvalidArgument, match="bias"):
        build_model("relu-neuron", dim=1, bias=True)
