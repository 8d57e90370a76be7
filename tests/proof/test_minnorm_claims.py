"""Exact sparsity, optimality and uniqueness arguments of igproof.proof.minnorm.claims.

Every expected value below is derived by hand (closed forms in the docstrings) or checked by a
second route (evaluating the interpolant directly, random piecewise-linear functions).
"""

from __future__ import annotations

from fractions import Fraction as F

from hypothesis import given, settings
from hypothesis import strategies as st

from igproof.proof.minnorm.claims import (
    boundary_straddles,
    certify_not_sparsest,
    certify_unique_minimizer,
    convexity_runs,
    cost_enclosure,
    curvatures,
    exact_cost,
    exact_sqrt,
    hat,
    minimal_kink_count,
    sparsest_interpolant,
)
from igproof.proof.minnorm.exact import Kink


def evaluate(kinks, slope0, value0, t):
    """f(t) = value0 + slope0 t + sum_k jump_k (t - at_k)_+ (independent of the library)."""
    return value0 + slope0 * t + sum((k.jump * max(t - k.at, F(0)) for k in kinks), F(0))


def fits(x, y, kinks):
    """Does affine + sum jump (t - at)_+ pass through the data? (affine part from 2 points)"""
    base = [evaluate(kinks, F(0), F(0), F(t)) for t in x]
    slope = (F(y[1]) - F(y[0]) - base[1] + base[0]) / (F(x[1]) - F(x[0]))
    value = F(y[0]) - base[0] - slope * F(x[0])
    return all(evaluate(kinks, slope, value, F(t)) == F(v) for t, v in zip(x, y, strict=True))


def test_runs_of_hand_example():
    """y = (0,0,1,3,3) at x = 0..4: chord slopes (0,1,2,0), curvatures (1,1,-2): runs (2-3, +),
    (4, -); fewest kinks ceil(2/2) + ceil(1/2) = 2."""
    assert curvatures(range(5), [0, 0, 1, 3, 3]) == [1, 1, -2]
    runs = convexity_runs(range(5), [0, 0, 1, 3, 3])
    assert [(r.start, r.stop, r.sign, r.length) for r in runs] == [(2, 3, 1, 2), (4, 4, -1, 1)]
    assert minimal_kink_count(range(5), [0, 0, 1, 3, 3]) == 2


def test_zero_curvature_separates_runs():
    """Curvatures (+, 0, +) are two runs of length 1 (a straight stretch between): 2 kinks."""
    x, y = [0, 1, 2, 3, 4], [1, 0, 0, 0, 1]
    assert [r.length for r in convexity_runs(x, y)] == [1, 1]
    assert minimal_kink_count(x, y) == 2


def test_collinear_data_need_no_kink():
    assert minimal_kink_count([0, 1, 2, 5], [1, 3, 5, 11]) == 0
    assert sparsest_interpolant([0, 1, 2, 5], [1, 3, 5, 11]) == []


def test_spec_example_sparsest_is_abs():
    """x = (-3,-1,1,3), y = (3,1,1,3): the one-kink interpolant is |x| (kink 0, jump 2)."""
    assert sparsest_interpolant([-3, -1, 1, 3], [3, 1, 1, 3]) == [Kink(F(0), F(2))]


def test_merged_kink_closed_form():
    """x = 0..4, y = (0,0,1,3,3): lines y = 0 (slope delta_1) and y = 1 + 2 (t - 2) meet at 3/2,
    jump 2; the concave point x_4 = 3 keeps its kink, jump -2."""
    assert sparsest_interpolant(range(5), [0, 0, 1, 3, 3]) == [Kink(F(3, 2), F(2)),
                                                              Kink(F(3), F(-2))]


@st.composite
def kinked_functions(draw):
    """A random exact piecewise-linear function (kinks anywhere) and data points."""
    n_kinks = draw(st.integers(0, 4))
    ats = draw(st.lists(st.fractions(-5, 5, max_denominator=7), min_size=n_kinks,
                        max_size=n_kinks))
    jumps = draw(st.lists(st.integers(-4, 4).filter(bool), min_size=n_kinks, max_size=n_kinks))
    kinks = [Kink(F(a), F(j)) for a, j in zip(ats, jumps, strict=True)]
    x = sorted(draw(st.lists(st.fractions(-6, 6, max_denominator=5), min_size=3, max_size=9,
                             unique=True)))
    slope, value = draw(st.integers(-3, 3)), draw(st.integers(-3, 3))
    return kinks, x, [evaluate(kinks, F(slope), F(value), t) for t in x]


@settings(max_examples=100, deadline=None, derandomize=True)
@given(kinked_functions())
def test_fewest_kinks_is_a_lower_bound(data):
    """Every interpolant has >= S kinks: data sampled from a function with k kinks give S <= k
    (distinct kink positions counted, cancelling jumps merged)."""
    kinks, x, y = data
    merged: dict[F, F] = {}
    for k in kinks:
        merged[k.at] = merged.get(k.at, F(0)) + k.jump
    assert minimal_kink_count(x, y) <= sum(1 for j in merged.values() if j != 0)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(kinked_functions())
def test_sparsest_interpolant_interpolates_with_fewest_kinks(data):
    """The constructed interpolant passes through every datum (checked by direct evaluation)
    and has exactly S kinks."""
    _, x, y = data
    kinks = sparsest_interpolant(x, y)
    assert len(kinks) == minimal_kink_count(x, y)
    assert fits(x, y, kinks)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(kinked_functions())
def test_hat_identity(data):
    """g_j = sum_k jump_k K_j(at_k) for data sampled from sum_k jump_k (t - at_k)_+ + affine."""
    kinks, x, y = data
    g = curvatures(x, y)
    xs = [F(t) for t in x]
    for j in range(1, len(xs) - 1):
        assert g[j - 1] == sum((k.jump * hat(xs, j, k.at) for k in kinks), F(0))


def test_exact_sqrt_and_costs():
    assert exact_sqrt(F(25, 16)) == F(5, 4)
    assert exact_sqrt(F(2)) is None
    kinks = [Kink(F(3, 4), F(-4)), Kink(F(0), F(1))]
    assert exact_cost(kinks) == 4 * F(5, 4) + 1
    assert exact_cost(kinks, penalised_bias=False) == 5
    assert exact_cost([Kink(F(1), F(1))]) is None
    lo, hi = cost_enclosure([Kink(F(1), F(1))])
    assert lo * lo <= 2 <= hi * hi and 0 <= hi - lo < F(1, 10**20)


def test_spec_example_unique_minimizer():
    """SPEC.md: penalised optimum |x|, one kink at 0, cost 2; phi = 1 on [-1, 1] touches
    w = sqrt(1 + t^2) only at 0, so the minimiser is unique."""
    cert = certify_unique_minimizer([-3, -1, 1, 3], [3, 1, 1, 3], [Kink(F(0), F(2))],
                                    [0, 1, 1, 0])
    assert cert.optimal and cert.unique and cert.cost == 2 and cert.contact == (F(0),)


def test_tangent_instance_closed_form():
    """x = (-1,0,1,2), y = 4 (x - 3/4)_+ = (0,0,1,5): phi = (4 + 3t)/5 on [0, 1] is the tangent
    of w at 3/4 (w(3/4) = 5/4); dual value 4/5 * 1 + 7/5 * 3 = 5 = 4 * 5/4. The linear spline
    (kinks at 0 and 1, cost 1 + 3 sqrt 2 > 5) is not optimal."""
    x, y = [-1, 0, 1, 2], [0, 0, 1, 5]
    cert = certify_unique_minimizer(x, y, [Kink(F(3, 4), F(4))], [0, F(4, 5), F(7, 5), 0])
    assert cert.unique and cert.cost == 5 and cert.dual_value == 5
    spline = certify_unique_minimizer(x, y, [Kink(F(0), F(1)), Kink(F(1), F(3))],
                                      [0, F(4, 5), F(7, 5), 0])
    assert not spline.optimal and "irrational" in spline.reason


def test_two_kink_instance():
    """x = (-2..2), y = 4 (x+3/4)_+ + 4 (x-3/4)_+ - 4x = (8,4,3,4,8): unique, cost 8 * 5/4."""
    x, y = [-2, -1, 0, 1, 2], [8, 4, 3, 4, 8]
    kinks = [Kink(F(-3, 4), F(4)), Kink(F(3, 4), F(4))]
    assert fits(x, y, kinks)
    cert = certify_unique_minimizer(x, y, kinks, [0, F(7, 5), F(4, 5), F(7, 5), 0])
    assert cert.unique and cert.cost == 10 and cert.contact == (F(-3, 4), F(3, 4))
    assert minimal_kink_count(x, y) == 2


def test_failures_are_reported_not_proved():
    """A weak dual (value 1 < cost 2), an infeasible phi (2 > w(0) = 1), and a non-interpolant
    are each rejected."""
    x, y = [-3, -1, 1, 3], [3, 1, 1, 3]
    weak = certify_unique_minimizer(x, y, [Kink(F(0), F(2))], [0, F(1, 2), F(1, 2), 0])
    assert not weak.optimal and "dual value" in weak.reason
    bad = certify_unique_minimizer(x, y, [Kink(F(0), F(2))], [0, 2, 2, 0])
    assert not bad.optimal and "feasible" in bad.reason
    miss = certify_unique_minimizer(x, y, [Kink(F(0), F(3))], [0, 1, 1, 0])
    assert not miss.optimal and "interpolant" in miss.reason


def test_free_bias_contact_segment_means_no_uniqueness_claim():
    """With w = 1 the SPEC dual phi = 1 touches w on all of [-1, 1]: optimal, uniqueness not
    shown (and indeed false: the linear spline also costs 2)."""
    x, y = [-3, -1, 1, 3], [3, 1, 1, 3]
    for kinks in ([Kink(F(0), F(2))], [Kink(F(-1), F(1)), Kink(F(1), F(1))]):
        cert = certify_unique_minimizer(x, y, kinks, [0, 1, 1, 0], penalised_bias=False)
        assert cert.optimal and not cert.unique and cert.cost == 2


def test_long_run_not_sparsest_by_hand():
    """x = (-5,-3,-1,1,3,5), y = x^2: the only 2-kink interpolant has kinks +-2 of jump 8, cost
    16 sqrt 5; the 3-kink interpolant with kinks -3, 0, 3 (jumps 4, 8, 4) costs 8 sqrt 10 + 8,
    which is smaller: sqrt 10 + 1 < 2 sqrt 5 iff 2 sqrt 10 < 9 iff 40 < 81."""
    x = [-5, -3, -1, 1, 3, 5]
    y = [t * t for t in x]
    three = [Kink(F(-3), F(4)), Kink(F(0), F(8)), Kink(F(3), F(4))]
    assert fits(x, y, three)
    assert sparsest_interpolant(x, y) == [Kink(F(-2), F(8)), Kink(F(2), F(8))]
    res = certify_not_sparsest(x, y)
    assert res.proved
    assert res.sparsest_cost[0] <= 16 * 2.2360679775 <= res.sparsest_cost[1] + F(1, 10**9)
    assert res.minimal_cost[1] >= res.minimal_cost[0]
    assert abs(float(res.minimal_cost[1]) - (8 * 10 ** 0.5 + 8)) < 1e-9


def test_boundary_caveat_by_hand():
    """x = (-4,-3,-1,3), y = (-3,0,1,-2): the only 1-kink interpolant has its kink at -7/3, jump
    -15/4, cost (5/4) sqrt 58; kinks -3 (jump -5/2) and -1/3 (jump -3/2) interpolate with cost
    (5/2) sqrt 10 + (3/2) sqrt(10/9) = 3 sqrt 10 < (5/4) sqrt 58 (90 < 90.625)."""
    x, y = [-4, -3, -1, 3], [-3, 0, 1, -2]
    assert boundary_straddles(x) and not boundary_straddles([-4, -3, -1, F(1, 2)])
    assert [r.length for r in convexity_runs(x, y)] == [2]
    two = [Kink(F(-3), F(-5, 2)), Kink(F(-1, 3), F(-3, 2))]
    assert fits(x, y, two)
    assert sparsest_interpolant(x, y) == [Kink(F(-7, 3), F(-15, 4))]
    assert 9 * 10 < F(25, 16) * 58
    res = certify_not_sparsest(x, y)
    assert res.proved and abs(float(res.minimal_cost[1]) - 3 * 10 ** 0.5) < 1e-9


def test_odd_run_is_not_certified():
    """Runs of odd length leave the sparsest interpolant non-unique: no claim is made."""
    res = certify_not_sparsest([-2, -1, 0, 1, 2], [8, 4, 3, 4, 8])
    assert not res.proved and "odd" in res.reason


def test_spec_linear_spline_costs_two_sqrt_two():
    """SPEC.md: the linear spline through (-3,3), (-1,1), (1,1), (3,3) (kinks at +-1, jumps 1)
    costs 2 sqrt 2 > 2 with penalised biases and 2 with free biases."""
    spline = [Kink(F(-1), F(1)), Kink(F(1), F(1))]
    assert fits([-3, -1, 1, 3], [3, 1, 1, 3], spline)
    lo, hi = cost_enclosure(spline)
    assert lo * lo <= 8 <= hi * hi and lo > 2
    assert exact_cost(spline, penalised_bias=False) == 2


def test_tangent_dual_reproduces_hand_duals():
    """The tangent-line duals derived by hand for spec, tangent and symmetric instances."""
    from igproof.proof.minnorm.claims import tangent_dual

    assert tangent_dual([-3, -1, 1, 3], [Kink(F(0), F(2))]) == [0, 1, 1, 0]
    assert tangent_dual([-1, 0, 1, 2], [Kink(F(3, 4), F(4))]) == [0, F(4, 5), F(7, 5), 0]
    assert tangent_dual([-2, -1, 0, 1, 2], [Kink(F(-3, 4), F(4)), Kink(F(3, 4), F(4))]) == \
        [0, F(7, 5), F(4, 5), F(7, 5), 0]
    assert tangent_dual([-1, 0, 2], [Kink(F(1), F(1))]) is None  # w(1) = sqrt 2


@st.composite
def pythagorean_instances(draw):
    """Data sampled from f = sum_k c_k (t - tau_k)_+, tau_k = +-(p^2 - q^2)/(2pq) (so that
    sqrt(1 + tau^2) = (p^2 + q^2)/(2pq) is rational), with data points on both sides of each
    kink."""
    taus = set()
    for _ in range(draw(st.integers(1, 2))):
        p, q = draw(st.integers(1, 4)), draw(st.integers(1, 4))
        taus.add(F(p * p - q * q, 2 * p * q) * draw(st.sampled_from((1, -1))))
    kinks = [Kink(t, F(draw(st.sampled_from((-2, -1, 1, 2, 3))))) for t in sorted(taus)]
    extra = draw(st.lists(st.integers(-8, 8), min_size=2, max_size=5))
    x = sorted({F(v, 2) for v in extra} | {k.at - F(1, 3) for k in kinks}
               | {k.at + F(1, 2) for k in kinks})
    y = [sum((k.jump * max(t - k.at, F(0)) for k in kinks), F(0)) for t in x]
    return x, y, kinks


@settings(max_examples=40, deadline=None, derandomize=True)
@given(pythagorean_instances())
def test_exact_certificate_agrees_with_solver_bracket(data):
    """Two routes to the minimal cost: when the exact tangent dual closes the gap (cost = dual
    value, exact), the barrier solver's certified bracket must contain that exact cost."""
    from igproof.proof.minnorm.claims import tangent_dual
    from igproof.proof.minnorm.interpolator import minimal_norm_interpolator

    x, y, kinks = data
    phi = tangent_dual(x, kinks)
    if phi is None:
        return
    cert = certify_unique_minimizer(x, y, kinks, phi)
    if cert.optimal:
        bracket = minimal_norm_interpolator(x, y)
        assert bracket.lower_bound <= cert.cost <= bracket.upper_bound
    else:
        # The exact dual did not close: its value is still a lower bound of f's cost.
        assert cert.cost is None or cert.dual_value <= cert.cost
