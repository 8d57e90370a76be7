"""Two-point / One-point Overlapping constructors, each result checked by an independent route.

Routes: closed forms of the limits (conservation laws solved by hand, mpmath at 40 digits), a
plain scipy integration of the piecewise-linear relu-neuron flow, the zero-loss sets evaluated
exactly at rational points constructed by hand, and the independent checker's verdicts.
The instances are cached per process (igproof.certificate.overlap_instances), so the catalogue test
and this module share one computation.
"""

from __future__ import annotations

import copy
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from scipy.integrate import solve_ivp

from igproof.certificate import overlap_instances as oi
from igproof.certificate.common import certify
from igproof.certificate.overlap import one_point_certificate, two_point_certificate
from igproof.checker import check_certificate
from igproof.errors import InvalidArgument
from igproof.verdict import Verdict

Q = Fraction


def _mp(q) -> mpmath.mpf:
    q = Fraction(q)
    return mpmath.mpf(q.numerator) / q.denominator


def _ball(cert: dict, name: str) -> tuple[list[mpmath.mpf], mpmath.mpf]:
    entry = cert["statement"]["limits"][name]
    return [_mp(c) for c in entry["center"]], _mp(entry["radius"])


def _in_ball(point, cert, name) -> bool:
    centre, radius = _ball(cert, name)
    return mpmath.sqrt(sum((p - c) ** 2 for p, c in zip(point, centre, strict=True))) <= radius


def _relu_neuron_flow_scipy(x, y, theta0, t_end=80.0):
    """dw/dt = -(1/n) sum_{w.x_i > 0} (w.x_i - y_i) x_i, integrated by scipy (DOP853)."""
    xs = np.array(x, dtype=float)
    ys = np.array(y, dtype=float)

    def field(_t, w):
        z = xs @ w
        active = z > 0
        return -((z - ys) * active) @ xs / len(ys)

    sol = solve_ivp(field, (0.0, t_end), np.array(theta0, dtype=float), method="DOP853",
                    rtol=1e-12, atol=1e-15)
    assert sol.success
    return sol.y[:, -1]


@pytest.fixture(scope="module")
def two_point():
    return oi.two_point_relu_neuron()


@pytest.fixture(scope="module")
def one_point_relu():
    return oi.one_point_norm_relu()


@pytest.fixture(scope="module")
def one_point_tanh():
    return oi.one_point_norm_tanh()


@pytest.fixture(scope="module")
def one_point_distance():
    return oi.one_point_distance_relu()


# --- Two-point, Vardi-Shamir ---------------------------------------------------------------

def test_two_point_proved_and_accepted(two_point):
    """The Two-point verdict is PROVED because the checker accepted every obligation of the
    certificate it returns (the shipped-file test re-checks it in a fresh process)."""
    assert two_point.verdict is Verdict.PROVED, two_point.evidence
    assert two_point.certificate["kind"] == "two-point-overlap"
    assert all(line.endswith(": accepted") for line in two_point.details["obligations"])
    assert {"overlap.12: accepted", "overlap.21: accepted", "distinct: accepted"} <= set(
        two_point.details["obligations"])
    assert "no G characterizes" in two_point.evidence


def test_two_point_limits_fit_x1_x2_exactly(two_point):
    """At any zero-loss point with both x1, x2 active, 3 w1 - w2 = 16 and 4 w1 + 2 w2 = 18,
    so (w1, w2) = (5, -1) by exact linear algebra; both balls contain (5, -1, w3) points."""
    w = np.linalg.solve(np.array([[3.0, -1.0], [4.0, 2.0]]), np.array([16.0, 18.0]))
    assert np.allclose(w, [5, -1])
    for name in ("L1", "L5"):
        centre, radius = _ball(two_point.certificate, name)
        assert abs(centre[0] - 5) <= radius and abs(centre[1] + 1) <= radius


def test_two_point_limits_match_scipy(two_point):
    """An independent float integration (scipy DOP853, rtol 1e-12) lands within 1e-6 of each
    proved limit, and the two limits differ in w3 (-0.041 vs -0.209)."""
    cert = two_point.certificate
    for name, g in (("L1", 1), ("L5", 5)):
        x = [[3, -1, 0], [4, 2, 0], [0, g, g]]
        end = _relu_neuron_flow_scipy(x, [16, 18, 0], [1e-6] * 3)
        centre, _ = _ball(cert, name)
        assert max(abs(float(c) - e) for c, e in zip(centre, end, strict=True)) < 1e-6
    w3 = {name: float(_ball(cert, name)[0][2]) for name in ("L1", "L5")}
    assert w3["L1"] - w3["L5"] > 0.1


def test_two_point_zero_sets_equal_at_hand_made_points():
    """M_{S_g} = {w1 = 5, w2 = -1, w3 <= 1} for every g > 0 (hand-derived): the loss of both
    datasets is exactly 0 at (5, -1, q) for q <= 1 and positive for q > 1."""
    def loss(w, g):
        pts = [((3, -1, 0), 16), ((4, 2, 0), 18), ((0, g, g), 0)]
        return sum((max(sum(Q(a) * b for a, b in zip(x, w, strict=True)), 0) - y) ** 2
                   for x, y in pts)
    for q in (Q(-3), Q(-1, 24), Q(-209, 1000), Q(1)):
        assert loss((Q(5), Q(-1), q), 1) == 0 == loss((Q(5), Q(-1), q), 5)
    assert loss((Q(5), Q(-1), Q(101, 100)), 1) > 0 and loss((Q(5), Q(-1), Q(101, 100)), 5) > 0


# --- Two-point, a tanh(w . x) ------------------------------------------------------------------

@pytest.fixture(scope="module")
def two_point_tanh():
    return oi.two_point_tanh()


def _tanh_neuron_scipy(g, theta0=(0.5, 0.5, 0.5), t_end=400.0):
    """a tanh(w.x) on {((1,0),1/2), ((0,g),0)}: the square-loss gradient field written out by
    hand (da = -(1/n) sum r_i tanh z_i, dw = -(a/n) sum r_i (1 - tanh^2 z_i) x_i), scipy DOP853."""
    xs = np.array([[1.0, 0.0], [0.0, float(g)]])
    ys = np.array([0.5, 0.0])

    def field(_t, th):
        a, w = th[0], th[1:]
        t = np.tanh(xs @ w)
        r = a * t - ys
        return np.concatenate([[-(r @ t) / 2], -a * ((r * (1 - t * t)) @ xs) / 2])

    sol = solve_ivp(field, (0.0, t_end), np.array(theta0), method="DOP853", rtol=1e-12,
                    atol=1e-14)
    assert sol.success
    return sol.y[:, -1]


def test_two_point_tanh_proved_and_matches_scipy(two_point_tanh):
    """Both proved balls (radius < 2e-3) contain the scipy limit up to 1e-6, the limits are
    in a tanh(w1) = 1/2, w2 = 0 (to float accuracy) and differ by > 1e-2."""
    assert two_point_tanh.verdict is Verdict.PROVED, two_point_tanh.evidence
    cert = two_point_tanh.certificate
    ends = {}
    for name, g in (("L1", 1), ("L2", 2)):
        end = _tanh_neuron_scipy(g)
        assert abs(end[0] * np.tanh(end[1]) - 0.5) < 1e-8 and abs(end[2]) < 1e-6
        centre, radius = _ball(cert, name)
        dist = float(mpmath.sqrt(sum((c - e) ** 2 for c, e in zip(centre, end, strict=True))))
        assert dist <= float(radius) + 1e-6
        ends[name] = end
    assert np.linalg.norm(ends["L1"] - ends["L2"]) > 1e-2


def test_two_point_tanh_zero_sets_at_hand_made_points():
    """M_{S_g} = {a tanh(w1) = 1/2, a tanh(g w2) = 0}: the label-0 residual a tanh(g w2) is
    exactly 0 at w2 = 0 for g = 1, 2, and nonzero at w2 = 1/10 (a != 0) for both: the label-0
    constraint is the same for every g > 0 (exact sympy evaluation)."""
    import sympy

    a = sympy.Rational(3, 4)
    for g in (1, 2):
        assert a * sympy.tanh(g * sympy.Integer(0)) == 0
        assert (a * sympy.tanh(g * sympy.Rational(1, 10))).is_positive


def test_one_point_distance_tanh_orders_scipy_limits():
    """The scipy limits for g = 1, 2 order as certified: |theta_1 - theta0| < |theta_2 - theta0|
    (by ~7e-3), and the One-point distance certificate is accepted."""
    outcome = oi.one_point_distance_tanh()
    assert outcome.verdict is Verdict.PROVED, outcome.evidence
    theta0 = np.array([0.5, 0.5, 0.5])
    d1 = np.linalg.norm(_tanh_neuron_scipy(1) - theta0)
    d2 = np.linalg.norm(_tanh_neuron_scipy(2) - theta0)
    assert d2 - d1 > 5e-3


# --- Two-point, a relu(w . x) in R^2 (one certified kink crossing per flow) -------------------

@pytest.fixture(scope="module")
def two_point_relu():
    return oi.two_point_relu()


def _relu_neuron_crossing(g):
    """a relu(w.x) on {((1,0),1), ((-g,g),0)} from (1/2, 1/10, 3/10), independently of igproof:
    the field of the pattern where both points are active, written out by hand, integrated by
    scipy DOP853 with an event at z = g (w2 - w1) = 0; after the crossing the label-0 point is
    inactive and a^2 - w1^2, w2 are conserved while a w1 -> 1, which has the closed form
    a^2 = (c + sqrt(c^2 + 4)) / 2, w1 = 1 / a with c = a^2 - w1^2 at the crossing."""
    xs = np.array([[1.0, 0.0], [-float(g), float(g)]])
    ys = np.array([1.0, 0.0])

    def field(_t, th):
        a, w = th[0], th[1:]
        z = xs @ w
        r = a * z - ys
        return np.concatenate([[-(r @ z) / 2], -a * (r @ xs) / 2])

    def crossing(_t, th):
        return float(xs[1] @ th[1:])

    crossing.terminal = True
    sol = solve_ivp(field, (0.0, 50.0), np.array([0.5, 0.1, 0.3]), method="DOP853", rtol=1e-12,
                    atol=1e-14, events=crossing)
    assert sol.status == 1 and sol.t_events[0].size == 1
    a, w1, w2 = sol.y_events[0][0]
    c = a * a - w1 * w1
    a_inf = np.sqrt((c + np.sqrt(c * c + 4)) / 2)
    return sol.t_events[0][0], np.array([a_inf, 1 / a_inf, w2])


def test_two_point_relu_limits_match_crossing_and_closed_form(two_point_relu):
    """Each flow crosses the kink of the label-0 point once (t ~ 0.77 for g = 1, ~ 0.61 for
    g = 2); the scipy-plus-closed-form limits lie within 1e-8 of the proved balls, both have
    g (w2 - w1) < 0 (the label-0 point ends inactive, so both lie in M_S), and they differ by
    ~0.019 in w2."""
    assert two_point_relu.verdict is Verdict.PROVED, two_point_relu.evidence
    cert = two_point_relu.certificate
    ends = {}
    for name, g, t_lo, t_hi in (("L1", 1, 0.7, 0.8), ("L2", 2, 0.55, 0.65)):
        t_cross, end = _relu_neuron_crossing(g)
        assert t_lo < t_cross < t_hi
        centre, radius = _ball(cert, name)
        assert radius < 1e-12
        assert max(abs(float(c) - e) for c, e in zip(centre, end, strict=True)) < 1e-8
        assert end[2] - end[1] < -0.5 and abs(end[0] * end[1] - 1) < 1e-12
        ends[name] = end
    assert ends["L1"][2] - ends["L2"][2] > 0.015


def test_two_point_relu_zero_sets_at_hand_made_points():
    """M_{S_g} = {a w1 = 1, a relu(g (w2 - w1)) = 0} = {a w1 = 1, w2 <= w1} for every g > 0
    (exact rationals): loss 0 at (1, 1, q) for q <= 1 for g = 1 and 2, positive for q > 1."""
    def loss(theta, g):
        a, w1, w2 = theta
        return (a * max(w1, 0) - 1) ** 2 + (a * max(g * (w2 - w1), 0)) ** 2

    for q in (Q(-2), Q(29, 100), Q(1)):
        assert loss((Q(1), Q(1), q), 1) == 0 == loss((Q(1), Q(1), q), 2)
    assert loss((Q(1), Q(1), Q(101, 100)), 1) > 0 and loss((Q(1), Q(1), Q(101, 100)), 2) > 0


# --- One-point -------------------------------------------------------------------------------

def test_one_point_relu_closed_form(one_point_relu):
    """a relu(w.x): on S_o = {(e1, 1)} w2 = 1/2 and a^2 - w1^2 = 19/100 are conserved and
    a w1 = 1; on S_s = S_o + {(e2, 2/5)} only a^2 - |w|^2 = -3/50 is, and a w1 = 1, a w2 = 2/5.
    Both closed forms lie in the proved balls, and |theta_s| < |theta_o|."""
    assert one_point_relu.verdict is Verdict.PROVED, one_point_relu.evidence
    cert = one_point_relu.certificate
    with mpmath.workdps(40):
        c = mpmath.mpf(19) / 100
        a = mpmath.sqrt((c + mpmath.sqrt(c * c + 4)) / 2)
        theta_o = (a, 1 / a, mpmath.mpf(1) / 2)
        # a^4 + (3/50) a^2 - 29/25 = 0 from a^2 - (1 + 4/25)/a^2 = -3/50
        a2 = (-mpmath.mpf(3) / 50 + mpmath.sqrt(mpmath.mpf(9) / 2500 + 4 * mpmath.mpf(29) / 25)) / 2
        a = mpmath.sqrt(a2)
        theta_s = (a, 1 / a, mpmath.mpf(2) / 5 / a)
        assert _in_ball(theta_o, cert, "Lo") and _in_ball(theta_s, cert, "Ls")
        assert mpmath.norm(theta_s) < mpmath.norm(theta_o)


def test_one_point_tanh_closed_form(one_point_tanh):
    """tanh(w.x): the flow on S_o moves only w1 (to artanh(1/2)), the flow on S_s is two
    decoupled 1-D flows (to artanh(1/2), artanh(2/5)); both lie in the balls and
    |theta_s| < |theta_o| since artanh(2/5) < 1/2."""
    assert one_point_tanh.verdict is Verdict.PROVED, one_point_tanh.evidence
    cert = one_point_tanh.certificate
    with mpmath.workdps(40):
        theta_o = (mpmath.atanh(mpmath.mpf(1) / 2), mpmath.mpf(1) / 2)
        theta_s = (mpmath.atanh(mpmath.mpf(1) / 2), mpmath.atanh(mpmath.mpf(2) / 5))
        assert _in_ball(theta_o, cert, "Lo") and _in_ball(theta_s, cert, "Ls")
        assert mpmath.norm(theta_s) < mpmath.norm(theta_o)


def test_one_point_distance_relu(one_point_distance):
    """Without the label-0 point no datum has a w3 component, so w3 stays 1e-6 and the limit is
    (5, -1, 1e-6) exactly; (0,1,1) is inactive there (-1 + 1e-6 < 0). With it, scipy agrees
    with the proved limit, and |theta_s - theta0| < |theta_o - theta0|."""
    assert one_point_distance.verdict is Verdict.PROVED, one_point_distance.evidence
    cert = one_point_distance.certificate
    theta0 = [_mp(Q(1, 10**6))] * 3
    theta_s = [mpmath.mpf(5), mpmath.mpf(-1), theta0[2]]
    assert _in_ball(theta_s, cert, "Ls")
    end = _relu_neuron_flow_scipy([[3, -1, 0], [4, 2, 0], [0, 1, 1]], [16, 18, 0], [1e-6] * 3)
    centre, _ = _ball(cert, "Lo")
    assert max(abs(float(c) - e) for c, e in zip(centre, end, strict=True)) < 1e-6
    dist = lambda p: mpmath.sqrt(sum((a - b) ** 2 for a, b in zip(p, theta0, strict=True)))  # noqa: E731
    assert dist(theta_s) < dist(centre)


# --- the checker decides: wrong claims are not PROVED -------------------------------------------

def test_wrong_direction_is_not_proved(one_point_relu):
    """The a relu(w.x) One-point parts claimed as Two-point: theta_o has a w2 = 0.52... != 2/5,
    so it is NOT in M_Ss, and 'subset' fails that way round: the checker rejects and the
    verdict is INCONCLUSIVE, naming the obligation."""
    shared, other = oi._relu_one_point_parts()
    cert = two_point_certificate(oi.RELU_NEURON.as_json(), oi.RELU_THETA0, shared, other,
                                 first_in_second={"relation": "subset"},
                                 second_in_first={"relation": "subset"})
    outcome = certify(cert, evidence="claimed")
    assert outcome.verdict is Verdict.INCONCLUSIVE
    assert outcome.certificate is None
    assert "overlap.21" in outcome.details["checker_reason"]


def test_ordering_the_wrong_way_is_not_proved(one_point_relu):
    """Swapping shared and other: |theta_o| > |theta_s|, so the ordering obligation (and the
    zero-set one) is rejected and the verdict is INCONCLUSIVE."""
    shared, other = oi._relu_one_point_parts()
    cert = one_point_certificate(oi.RELU_NEURON.as_json(), oi.RELU_THETA0, other, shared,
                                 relation={"relation": "subset"}, cls="norm")
    outcome = certify(cert, evidence="claimed")
    assert outcome.verdict is Verdict.INCONCLUSIVE
    assert "order: rejected" in outcome.details["obligations"]


def test_bad_arguments_raise_invalid_argument():
    shared, other = oi._tanh_one_point_parts()
    with pytest.raises(InvalidArgument, match="cls"):
        one_point_certificate(oi.TANH_UNIT.as_json(), oi.TANH_THETA0, shared, other,
                              relation={"relation": "subset"}, cls="l1")
    with pytest.raises(InvalidArgument, match="relation"):
        one_point_certificate(oi.TANH_UNIT.as_json(), oi.TANH_THETA0, shared, other,
                              relation={"relation": "close-enough"}, cls="norm")
    with pytest.raises(InvalidArgument, match="different datasets"):
        one_point_certificate(oi.TANH_UNIT.as_json(), oi.TANH_THETA0, shared,
                              copy.copy(shared), relation={"relation": "subset"}, cls="norm")


# --- the |theta|_1 class (the checker's l1-norm ordering) -----------------------------------

@pytest.mark.parametrize("name", ["one_point_l1_relu", "one_point_l1_tanh"])
def test_l1_class_outcome_agrees_with_closed_forms(name):
    """The l1 entries are PROVED by an accepted certificate, and the closed-form limits lie in
    its balls and indeed have |theta_s|_1 < |theta_o|_1."""
    outcome = getattr(oi, name)()
    assert outcome.verdict is Verdict.PROVED, outcome.evidence
    cert = outcome.certificate
    claim = cert["statement"]["claim"]
    assert claim["class"] == "l1-norm"
    balls = {name: ([_mp(Fraction(c)) for c in entry["center"]], _mp(Fraction(entry["radius"])))
             for name, entry in cert["statement"]["limits"].items()}
    with mpmath.workdps(40):
        if name.endswith("tanh"):
            half = mpmath.atanh(mpmath.mpf(1) / 2)
            theta_o, theta_s = (half, mpmath.mpf(1) / 2), (half, mpmath.atanh(mpmath.mpf(2) / 5))
        else:
            c = mpmath.mpf(19) / 100
            a = mpmath.sqrt((c + mpmath.sqrt(c * c + 4)) / 2)
            theta_o = (a, 1 / a, mpmath.mpf(1) / 2)
            a = mpmath.sqrt((-mpmath.mpf(3) / 50
                             + mpmath.sqrt(mpmath.mpf(9) / 2500 + 4 * mpmath.mpf(29) / 25)) / 2)
            theta_s = (a, 1 / a, mpmath.mpf(2) / 5 / a)
        for point, lim in ((theta_s, claim["shared"]), (theta_o, claim["other"])):
            centre, radius = balls[lim]
            distance = mpmath.sqrt(sum((p - q) ** 2 for p, q in zip(point, centre, strict=True)))
            assert distance <= radius
        assert sum(abs(t) for t in theta_s) < sum(abs(t) for t in theta_o)


def test_l1_ordering_in_the_wrong_direction_is_rejected():
    """Swapping the two balls of the l1-norm ordering makes the claim false: rejected."""
    cert = copy.deepcopy(oi.one_point_l1_relu().certificate)
    order = next(ob for ob in cert["obligations"] if ob["type"] == "ordering")
    order["below"], order["above"] = order["above"], order["below"]
    assert not check_certificate(cert).accepted


def test_pl_limit_without_a_pl_domain_is_an_error_not_a_proof():
    """tanh(w1) = 1/2 from w1 = 6: tanh'(6) ~ 2e-5, so |grad L|^2 >= 2 mu L holds only with a
    tiny mu and the end-game ball never fits its domain: CertificateError, never a limit."""
    from igproof.certificate.overlap import pl_limit
    from igproof.errors import CertificateError

    with pytest.raises(CertificateError, match="Polyak-Lojasiewicz"):
        pl_limit(oi.TANH_UNIT, oi.TANH_SO, (Q(6), Q(0)), ["w2"], dataset="So", limit="Lo")
