"""Exact zero-loss-set relations (SPEC.md section 1, "Recipes that make the overlap EXACT").

Every decided relation is cross-checked by an independent route: the zero-loss set written out by
hand, and direct exact membership of rational parameters in both sets.
"""

import itertools
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from igproof.errors import DataError, InvalidArgument
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.models import build_model
from igproof.symbolic.zero_loss import (
    contained_zero_loss_set,
    in_zero_loss_set,
    label_zero_scaling_argument,
    same_zero_loss_set,
    structurally_scale_invariant,
)
from igproof.verdict import Verdict

F = Fraction
GRID = [F(-2), F(-1), F(-1, 2), F(0), F(1, 3), F(1), F(2)]


def _memberships(model, s1, s2, points):
    return [(in_zero_loss_set(model, s1, t), in_zero_loss_set(model, s2, t)) for t in points]


def test_same_support_multiset():
    """Repeating points leaves M_S unchanged: M = {w1 = 1, w2 <= 0} for relu(w.x) on both."""
    model = build_model("relu-neuron", dim=2)
    s1 = Dataset([[1, 0], [0, 1]], [1, 0])
    s2 = Dataset([[1, 0], [0, 1], [1, 0], [1, 0]], [1, 0, 1, 1])
    rel = same_zero_loss_set(model, s1, s2)
    assert rel.relation == "equal" and rel.recipes == ("same-support",)
    assert rel.verdict is Verdict.PROVED and "multiset" in rel.argument
    for w1, w2 in itertools.product(GRID, repeat=2):
        by_hand = w1 == 1 and w2 <= 0
        assert in_zero_loss_set(model, s1, (w1, w2)) == by_hand
        assert in_zero_loss_set(model, s2, (w1, w2)) == by_hand


def test_relu_label_zero_scaling():
    """relu(gamma w.x') = 0 iff w.x' <= 0: M = {w1 = 1, w1 + w2 <= 0} for x' = (1,1) and (3,3)."""
    model = build_model("relu-neuron", dim=2)
    s1 = Dataset([[1, 0], [1, 1]], [1, 0])
    s2 = Dataset([[1, 0], [3, 3]], [1, 0])
    rel = same_zero_loss_set(model, s1, s2)
    assert rel.relation == "equal" and rel.recipes == ("label-0-scaling",)
    hits = 0
    for w1, w2 in itertools.product(GRID, repeat=2):
        by_hand = w1 == 1 and w1 + w2 <= 0
        hits += by_hand
        assert _memberships(model, s1, s2, [(w1, w2)]) == [(by_hand, by_hand)]
    assert hits >= 2


def test_tanh_label_zero_scaling():
    """tanh vanishes only at 0: a tanh(gamma w.x') = 0 iff a = 0 or w.x' = 0 (any gamma > 0)."""
    model = build_model("neuron", dim=2, activation="tanh")
    s1 = Dataset([[1, 1], [1, -1]], [0, 0])
    s2 = Dataset([[2, 2], ["1/2", "-1/2"], [1, 1]], [0, 0, 0])
    rel = same_zero_loss_set(model, s1, s2)
    assert rel.relation == "equal" and "{0}" in rel.argument
    # By hand: M = {a = 0} ∪ {w = 0} (w1 + w2 = 0 and w1 - w2 = 0).
    for a, w1, w2 in itertools.product([F(0), F(1, 2)], [F(0), F(1)], [F(0), F(-1)]):
        by_hand = a == 0 or (w1 == 0 and w2 == 0)
        assert _memberships(model, s1, s2, [(a, w1, w2)]) == [(by_hand, by_hand)]


def test_combined_recipes_two_layer_relu():
    """Repetitions plus scalings with several gammas: same M_S for a two-layer relu net."""
    model = build_model("two-layer", dim=2, width=2)
    s1 = Dataset([[1, 0], [0, 1], [1, 1]], [1, 0, 0])
    s2 = Dataset([[1, 0], [1, 0], [0, 5], ["1/3", "1/3"], [2, 2]], [1, 1, 0, 0, 0])
    rel = same_zero_loss_set(model, s1, s2)
    assert rel.relation == "equal"
    assert rel.recipes == ("same-support", "label-0-scaling")
    values = [F(-1), F(0), F(1)]
    pairs = _memberships(model, s1, s2, list(itertools.product(values, repeat=6)))
    assert all(a == b for a, b in pairs)
    assert sum(a for a, _ in pairs) > 0  # the check is not vacuous


def test_scaling_a_label_one_point_changes_the_set():
    """relu(w x) = 1 at x = 1 gives w = 1; at x = 2 gives w = 1/2: w = 1 is a witness."""
    model = build_model("relu-neuron", dim=1)
    s1 = Dataset([[1]], [1])
    s2 = Dataset([[2]], [1])
    assert same_zero_loss_set(model, s1, s2).relation == "undecided"
    rel = same_zero_loss_set(model, s1, s2, candidates=[[F(1, 2)], [1]])
    assert rel.relation == "different" and rel.details["witness"] == "(1/2)"
    assert in_zero_loss_set(model, s2, [F(1, 2)]) and not in_zero_loss_set(model, s1, [F(1, 2)])


def test_scaling_not_shown_with_bias_or_wide_tanh():
    """a tanh(w x + b) is not scale invariant: theta = (1, 1, -1) is in M_S1 only."""
    biased = build_model("neuron", dim=1, activation="tanh", bias=True)
    assert label_zero_scaling_argument(biased) is None
    s1, s2 = Dataset([[1]], [0]), Dataset([[2]], [0])
    assert same_zero_loss_set(biased, s1, s2).relation == "undecided"
    rel = same_zero_loss_set(biased, s1, s2, candidates=[[1, 1, -1]])
    assert rel.relation == "different"
    wide = build_model("two-layer", dim=1, width=2, activation="tanh")
    assert label_zero_scaling_argument(wide) is None
    assert "not shown" in same_zero_loss_set(wide, s1, s2).argument
    for name in ("relu", "leaky-relu", "linear", "tanh", "sigmoid", "softplus", "gaussian"):
        assert label_zero_scaling_argument(build_model("neuron", dim=2, activation=name))
    # z^3 - z vanishes at -1, 0, 1: its zero set is not a cone, so scaling is not shown.
    cubic = build_model("neuron", dim=1, activation="polynomial", coefficients=[0, -1, 0, 1])
    assert label_zero_scaling_argument(cubic) is None


def test_contained_on_box_strict_and_not_strict():
    """S1 = {((1,0), 1)} forces a w1 = 1; the extra label-0 point (0,1) needs a relu(w2) = 0."""
    model = build_model("neuron", dim=2)
    s1 = Dataset([[1, 0]], [1])
    s2 = Dataset([[1, 0], [0, 1]], [1, 0])
    rel = contained_zero_loss_set(model, s1, s2, box=[(1, 2), ("1/2", 1), (-2, -1)])
    assert rel.relation == "contained" and rel.details["strict"] and rel.details["equal_on_B"]
    rel = contained_zero_loss_set(model, s1, s2, box={"a": (1, 2), "w1": (0, 1), "w2": (-1, 0)})
    assert rel.relation == "contained" and not rel.details["strict"]
    rel = contained_zero_loss_set(model, s1, s2, box=[(1, 2), (0, 1), (-1, "1/2")])
    assert rel.relation == "undecided"
    # By hand: theta = (1, 1, 1/2) is in that box and in M_S1 but not in M_S2.
    assert in_zero_loss_set(model, s1, [1, 1, F(1, 2)])
    assert not in_zero_loss_set(model, s2, [1, 1, F(1, 2)])


def test_contained_on_ball_decided_by_squares():
    """max over the ball of z = c.theta is c.center + r|c|: decided exactly without sqrt."""
    model = build_model("neuron", dim=2)
    s1 = Dataset([[1, 0]], [1])
    s2 = Dataset([[1, 0], [0, 1]], [1, 0])       # z = w2, |c| = 1
    center = [1, 1, -2]
    assert contained_zero_loss_set(model, s1, s2, ball=(center, 1)).details["strict"]
    rel = contained_zero_loss_set(model, s1, s2, ball=(center, 2))
    assert rel.relation == "contained" and not rel.details["strict"]
    assert contained_zero_loss_set(model, s1, s2, ball=(center, 3)).relation == "undecided"
    s3 = Dataset([[1, 0], [0, 1], [1, 1]], [1, 0, 0])  # z = w1 + w2, |c| = sqrt 2, z(c) = -1
    s2b = Dataset([[1, 0], [0, 1]], [1, 0])
    assert contained_zero_loss_set(model, s2b, s3, ball=(center, "7/10")).relation == "contained"
    assert contained_zero_loss_set(model, s2b, s3, ball=(center, "71/100")).relation == \
        "undecided"  # 0.71 * sqrt 2 = 1.004... > 1


def test_contained_uses_scaling_and_rejects_labelled_points():
    """A scaled copy of a label-0 point is matched by scaling; a new label-1 point is not."""
    model = build_model("relu-neuron", dim=2)
    s1 = Dataset([[1, 0], [1, 1]], [1, 0])
    s2 = Dataset([[1, 0], [1, 1], [4, 4]], [1, 0, 0])
    rel = contained_zero_loss_set(model, s1, s2, box=[(0, 1), (-3, -2)])
    assert rel.relation == "contained" and "label-0-scaling" in rel.recipes
    s3 = Dataset([[1, 0], [1, 1], [0, 1]], [1, 0, 1])
    assert contained_zero_loss_set(model, s1, s3, box=[(0, 1), (-3, -2)]).relation == "undecided"


def test_misuse_errors():
    """Bad boxes, missing regions and dimension mismatches are clear errors."""
    model = build_model("relu-neuron", dim=2)
    s1 = Dataset([[1, 0]], [1])
    with pytest.raises(InvalidArgument, match="exactly one"):
        contained_zero_loss_set(model, s1, s1)
    with pytest.raises(InvalidArgument, match="lower bound"):
        contained_zero_loss_set(model, s1, s1, box=[(1, 0), (0, 1)])
    with pytest.raises(InvalidArgument, match="missing"):
        contained_zero_loss_set(model, s1, s1, box={"w1": (0, 1)})
    with pytest.raises(DataError, match="dimension"):
        same_zero_loss_set(model, s1, Dataset([[1]], [0]))
    with pytest.raises(InvalidArgument, match="theta"):
        in_zero_loss_set(model, s1, [1])

_small = st.fractions(min_value=-2, max_value=2, max_denominator=3)


@settings(max_examples=25, deadline=None)
@given(x=st.lists(st.tuples(_small, _small), min_size=1, max_size=3),
       gammas=st.lists(st.fractions(min_value=F(1, 4), max_value=4, max_denominator=4)
                       .filter(lambda g: g > 0), min_size=3, max_size=3),
       thetas=st.lists(st.tuples(_small, _small), min_size=4, max_size=4))
def test_property_label_zero_scaling_preserves_membership(x, gammas, thetas):
    """For relu(w.x), scaling label-0 points by gamma > 0 never changes membership of any theta
    (checked directly, residual by residual) and the recipe always reports "equal"."""
    model = build_model("relu-neuron", dim=2)
    s1 = Dataset([[1, 0], *x], [1] + [0] * len(x))
    scaled = [[g * a, g * b] for (a, b), g in zip(x, gammas, strict=False)]
    s2 = Dataset([[1, 0], *scaled], [1] + [0] * len(x))
    assert same_zero_loss_set(model, s1, s2).relation == "equal"
    thetas = [*thetas, (F(1), F(-2)), (F(1), F(0))]
    for theta in thetas:
        assert in_zero_loss_set(model, s1, theta) == in_zero_loss_set(model, s2, theta)


# -- limit_in_zero_loss_set: the relation an Overlapping certificate needs -----------------------
from igproof.symbolic.zero_loss import limit_in_zero_loss_set, positively_homogeneous  # noqa: E402


def _relation(rel):
    return rel.details["certificate_relation"]


def test_limit_relation_repeated_point_is_same_support():
    """A repeated point: same support, so theta1 in M_S2 (checked at hand-made points too)."""
    model = build_model("neuron", dim=2, activation="tanh")
    s1 = Dataset([[1, 0], [1, 1]], ["1/2", "1/4"])
    s2 = Dataset([[1, 0], [1, 1], [1, 1]], ["1/2", "1/4", "1/4"])
    rel = limit_in_zero_loss_set(model, s1, s2)
    assert rel.relation == "contained" and _relation(rel) == {"relation": "same-support"}
    for theta in [(1, 0, 0), (2, 1, -1), (F(1, 2), 0, 0)]:
        assert in_zero_loss_set(model, s1, theta) == in_zero_loss_set(model, s2, theta)


def test_limit_relation_subset():
    model = build_model("neuron", dim=2)
    s1 = Dataset([[1, 0], [0, 1]], [1, 2])
    s2 = Dataset([[1, 0]], [1])
    rel = limit_in_zero_loss_set(model, s1, s2)
    assert _relation(rel) == {"relation": "subset"}
    # Independent route: a point of M_S1 is in M_S2; the converse fails (not "equal").
    assert in_zero_loss_set(model, s1, (1, 1, 2)) and in_zero_loss_set(model, s2, (1, 1, 2))
    assert in_zero_loss_set(model, s2, (1, 1, 0)) and not in_zero_loss_set(model, s1, (1, 1, 0))
    assert not limit_in_zero_loss_set(model, s2, s1).decided


def test_limit_relation_scaled_label_zero_index_and_gamma():
    """Vardi-Shamir: S5 is S1 with (0,1,1) scaled by 5 (index 2), relu(w.x) one unit."""
    model = build_model("relu-neuron", dim=3)
    s1 = Dataset([[3, -1, 0], [4, 2, 0], [0, 1, 1]], [16, 18, 0])
    s5 = Dataset([[3, -1, 0], [4, 2, 0], [0, 5, 5]], [16, 18, 0])
    rel = limit_in_zero_loss_set(model, s1, s5)
    assert _relation(rel) == {"relation": "scaled-label-zero", "index": 2, "gamma": F(5)}
    assert _relation(limit_in_zero_loss_set(model, s5, s1))["gamma"] == F(1, 5)
    # By hand: relu(5 w.x') = 0 iff w.x' <= 0.
    for theta in [(5, -1, -1), (5, -1, 2), (5, -1, F(1, 2))]:
        assert in_zero_loss_set(model, s1, theta) == in_zero_loss_set(model, s5, theta)


def test_limit_relation_two_layer_prefers_strictly_inactive_on_ball():
    """Two units: a sum of relu units is positively homogeneous of degree 1, which the checker
    now recognizes (scaled-label-zero); with a ball on which the label-0 point is strictly
    inactive, zero-on-ball is still preferred for sums of units (the certificates written
    before, vardi2021, stay byte for byte)."""
    model = build_model("two-layer", dim=2, width=2)
    s1 = Dataset([[1, 0], [-1, 1]], [1, 0])
    s2 = Dataset([[1, 0], [-2, 2]], [1, 0])
    centre = [F(3, 4), F(5, 6), F(57, 100), F(29, 100), F(69, 100), F(-1, 5)]
    rel = limit_in_zero_loss_set(model, s1, s2, ball=(centre, F(1, 1000)))
    assert rel.recipes == ("strictly-inactive",)
    assert _relation(rel) == {"relation": "zero-on-ball"}
    # Independent route: the pre-activations of (-2, 2) at the centre are negative.
    assert -2 * centre[2] + 2 * centre[3] < 0 and -2 * centre[4] + 2 * centre[5] < 0
    without = limit_in_zero_loss_set(model, s1, s2)
    assert without.decided and without.recipes == ("label-0-scaling",)
    assert _relation(without) == {"relation": "scaled-label-zero", "index": 1, "gamma": F(2)}
    # A ball on which unit 1 is active at (-2, 2): not strictly inactive, scaling certifies.
    active = [F(3, 4), F(5, 6), F(1, 10), F(3, 10), F(69, 100), F(-1, 5)]
    rel = limit_in_zero_loss_set(model, s1, s2, ball=(active, F(1, 1000)))
    assert rel.recipes == ("label-0-scaling",)
    assert _relation(rel) == {"relation": "scaled-label-zero", "index": 1, "gamma": F(2)}


def test_general_route_homogeneous_scaled_labelled_point():
    """(2x, 2y) is implied by (x, y) for relu(w.x) (positively homogeneous): decided, and the
    checker's ``scaled-points`` relation expresses it (a relu-neuron output has structural
    input degree 1)."""
    model = build_model("relu-neuron", dim=2)
    assert positively_homogeneous(model)
    s1 = Dataset([[1, 0], [0, 1]], [1, 1])
    s2 = Dataset([[1, 0], [0, 2]], [1, 2])
    rel = limit_in_zero_loss_set(model, s1, s2)
    assert rel.relation == "contained" and rel.recipes == ("scaled-points",)
    assert _relation(rel) == {"relation": "scaled-points"}
    assert "positively homogeneous" in rel.argument
    for w in itertools.product(GRID, repeat=2):
        if in_zero_loss_set(model, s1, w):
            assert in_zero_loss_set(model, s2, w)


def test_general_route_ideal_membership_polynomial_model():
    """a (w.x) (linear activation): the residual of (1,1) -> a w1 + a w2 - 3 is a sum of the
    residuals of (1,0) -> 1 and (0,1) -> 2, so it lies in their ideal (Groebner reduction)."""
    model = build_model("neuron", dim=2, activation="linear")
    s1 = Dataset([[1, 0], [0, 1]], [1, 2])
    s2 = Dataset([[1, 0], [0, 1], [1, 1]], [1, 2, 3])
    rel = limit_in_zero_loss_set(model, s1, s2)
    assert rel.recipes == ("general",) and "Groebner" in rel.argument
    # Independent route: on M_S1 (a w1 = 1, a w2 = 2) every point of S2 is fitted.
    for a in (F(1), F(2), F(-1, 3)):
        theta = (a, 1 / a, 2 / a)
        assert in_zero_loss_set(model, s1, theta) and in_zero_loss_set(model, s2, theta)


def test_general_route_inconclusive_with_reason():
    """(1,1) -> 4 is not implied (not in the ideal; indeed false on M_S1): undecided, with the
    reason, never a guess; a tanh model (not polynomial) says so."""
    model = build_model("neuron", dim=2, activation="linear")
    s1 = Dataset([[1, 0], [0, 1]], [1, 2])
    s2 = Dataset([[1, 0], [0, 1], [1, 1]], [1, 2, 4])
    rel = limit_in_zero_loss_set(model, s1, s2)
    assert not rel.decided and rel.verdict is Verdict.INCONCLUSIVE
    assert "not in the ideal" in rel.argument and "Nullstellensatz" in rel.argument
    assert not in_zero_loss_set(model, s2, (1, 1, 2))
    tanh = build_model("neuron", dim=2, activation="tanh")
    s3 = Dataset([[1, 0]], ["1/2"])
    s4 = Dataset([[1, 0], [0, 1]], ["1/2", "1/4"])
    rel = limit_in_zero_loss_set(tanh, s3, s4)
    assert not rel.decided and "not polynomials" in rel.argument


def test_leaky_relu_scaling_decided_and_certifiable():
    """leaky relu s z + (1 - s) relu(z) is a sum of two terms of degree 1 in x: the checker's
    structural rule recognizes it, so the scaled label-0 point is certified (scaled-label-zero);
    for a sum of tanh units (not homogeneous) the relation is not certifiable."""
    model = build_model("neuron", dim=2, activation="leaky-relu")
    s1 = Dataset([[1, 0], [-1, 1]], [1, 0])
    s2 = Dataset([[1, 0], [-2, 2]], [1, 0])
    rel = limit_in_zero_loss_set(model, s1, s2)
    assert rel.decided and rel.recipes == ("label-0-scaling",)
    assert _relation(rel) == {"relation": "scaled-label-zero", "index": 1, "gamma": F(2)}
    assert structurally_scale_invariant(model)
    for theta in [(1, 1, 1), (1, 1, 0), (0, 2, 3), (2, F(1, 2), F(1, 2))]:
        assert in_zero_loss_set(model, s1, theta) == in_zero_loss_set(model, s2, theta)
    wide_tanh = build_model("two-layer", dim=2, width=2, activation="tanh")
    assert not structurally_scale_invariant(wide_tanh)
