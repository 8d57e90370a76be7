"""Limits of gradient flow (float and high-precision integrators) against independent routes.

Routes: the closed form of SPEC.md section 1 (relu neuron, one datum), the exact zero-loss
equations, a matrix-exponential solution of the linear all-active phase (relu-neuron), the
manifold equation a tanh(w) = 1 (tanh neuron), and conservation laws derived by hand
(a^2 - w^2; |w_j|^2 - v_j^2 for two-layer relu).
"""

from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
import sympy

from igproof.numeric.converge import flow_limit
from igproof.numeric.float_flow import integrate_float
from igproof.numeric.mp_flow import integrate_mp
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.flow import gradient_flow
from igproof.symbolic.models import build_model
from igproof.verdict import Verdict

HALF, THREE_TENTHS = Fraction(1, 2), Fraction(3, 10)


def _neuron_flow(activation: str):
    return gradient_flow(build_model("neuron", dim=1, activation=activation),
                         Dataset([[1]], [1]))


@pytest.fixture(scope="module")
def relu_neuron_mp():
    return flow_limit(_neuron_flow("relu"), [HALF, THREE_TENTHS], method="mp", dps=30)


def test_relu_neuron_limit_matches_the_closed_form_to_25_digits(relu_neuron_mp):
    """x = 1, y = 1, theta0 = (1/2, 3/10): a = sqrt((c + sqrt(c^2 + 4))/2), w = 1/a, c = 4/25."""
    result = relu_neuron_mp
    assert result.converged and result.verdict is Verdict.SUPPORTED
    assert "no rigorous bound" in result.evidence and "dps=30" in result.evidence
    with mpmath.workdps(60):
        c = mpmath.mpf(4) / 25
        a = mpmath.sqrt((c + mpmath.sqrt(c * c + 4)) / 2)
        assert abs(result.limit[0] - a) < mpmath.mpf("1e-25") * a
        assert abs(result.limit[1] - 1 / a) < mpmath.mpf("1e-25") / a
        # the SPEC's independently computed oracle, as a second check
        assert abs(result.limit[0] - mpmath.mpf("1.040766494617671768871518974")) < 1e-25
        assert abs(result.limit[1] - mpmath.mpf("0.960830316090596820342047216")) < 1e-25


def test_relu_neuron_conserves_a2_minus_w2_at_every_step(relu_neuron_mp):
    """d/dt (a^2 - w^2) = 0 for a positively homogeneous activation: 4/25 along the flow."""
    traj = relu_neuron_mp.trajectory
    assert traj.n_steps >= 10
    with mpmath.workdps(60):
        c = mpmath.mpf(4) / 25
        worst = max(abs(a * a - w * w - c) for a, w in traj.thetas)
    assert worst < 1e-25


def test_tanh_neuron_float_and_mp_limits_agree_and_lie_in_the_zero_loss_set():
    """tanh neuron: the float limit equals the 30-digit one to 1e-9; a tanh(w) = 1 at the limit."""
    flow = _neuron_flow("tanh")
    mp_result = flow_limit(flow, [HALF, THREE_TENTHS], method="mp", dps=30)
    float_result = flow_limit(flow, [HALF, THREE_TENTHS], method="float")
    assert mp_result.converged and float_result.converged
    for u, v in zip(mp_result.limit, float_result.limit, strict=True):
        assert abs(u - v) < 1e-9
    with mpmath.workdps(60):
        a, w = mp_result.limit
        assert abs(a * mpmath.tanh(w) - 1) < 1e-25
    # a^2 - w^2 is NOT conserved for tanh (SPEC section 1): the flow must have moved it
    a, w = mp_result.limit
    assert abs((a * a - w * w) - mpmath.mpf(4) / 25) > 1e-3


# ---- relu-neuron in 3-D: x3 deactivates during the flow -------------------------------------

X = [(3, -1, 0), (4, 2, 0)]
Y = [16, 18]
THETA0 = [Fraction(1, 10**6)] * 3


def _relu_neuron_flow(g: int):
    x = [*X, (0, g, g)]
    return gradient_flow(build_model("relu-neuron", dim=3), Dataset(x, [*Y, 0]))


def _all_active_phase(g: int):
    """Independent route: while every point is active, w' = -H w + b is linear
    (H = (1/n) sum x x^T, b = (1/n) sum y x); w(t) = w* + exp(-H t)(w0 - w*), w* = H^-1 b.
    Returns the switch time t_s (first root of x3 . w(t)) and w(t_s), at 50 digits."""
    with mpmath.workdps(50):
        xs = [mpmath.matrix([list(p)]).T for p in [*X, (0, g, g)]]
        ys = [*Y, 0]
        H = sum((p * p.T for p in xs), mpmath.zeros(3)) / 3
        b = sum((yv * p for p, yv in zip(xs, ys, strict=True)), mpmath.zeros(3, 1)) / 3
        w_star = mpmath.lu_solve(H, b)
        w0 = mpmath.matrix([mpmath.mpf(1) / 10**6] * 3)

        def w_at(t):
            return w_star + mpmath.expm(-H * t) * (w0 - w_star)

        def z3(t):
            return (xs[2].T * w_at(t))[0]

        lo = mpmath.mpf(0)
        step = mpmath.mpf(1) / 64
        while z3(lo + step) > 0:
            lo += step
        t_s = mpmath.findroot(z3, (lo, lo + step), solver="anderson")
        return t_s, w_at(t_s)


@pytest.fixture(scope="module", params=[1, 5])
def relu_neuron_3d(request):
    g = request.param
    flow = _relu_neuron_flow(g)
    return (g, flow_limit(flow, THETA0, method="mp", dps=30),
            flow_limit(flow, THETA0, method="float"), _all_active_phase(g))


def test_relu_neuron_limit_solves_the_two_active_equations_exactly(relu_neuron_3d):
    """Final pattern (1, 1, inactive): w.x1 = 16, w.x2 = 18 force (w1, w2) = (5, -1) exactly
    (sympy solves the rational system); x3 inactive at the limit means w3 <= 1."""
    g, mp_result, _, _ = relu_neuron_3d
    assert mp_result.converged
    assert mp_result.pattern[:2] == (1, 1) and mp_result.pattern[2] in (0, -1)
    w1, w2 = sympy.symbols("w1 w2")
    exact = sympy.solve([3 * w1 - w2 - 16, 4 * w1 + 2 * w2 - 18], [w1, w2], dict=True)[0]
    assert (exact[w1], exact[w2]) == (5, -1)
    assert abs(mp_result.limit[0] - 5) < 1e-25
    assert abs(mp_result.limit[1] + 1) < 1e-25
    assert mp_result.limit[2] <= 1
    assert g * (mp_result.limit[1] + mp_result.limit[2]) < 0  # x3 strictly inactive


def test_relu_neuron_switch_is_located_and_w3_matches_the_matrix_exponential(relu_neuron_3d):
    """x3 deactivates once at t_s; after that w3 is frozen (x1, x2 have no third coordinate), so
    the limit's w3 = w3(t_s) of the linear all-active phase. Both integrators agree with it."""
    _, mp_result, float_result, (t_s, w_s) = relu_neuron_3d
    for result, tol in ((mp_result, 1e-25), (float_result, 1e-9)):
        (switch,) = result.switches
        assert switch.kink == 2 and switch.before == 1 and switch.after in (0, -1)
        assert abs(switch.value) < tol
        assert abs(switch.t - t_s) < tol
        assert abs(result.limit[2] - w_s[2]) < tol
    assert abs(mp_result.limit[2] - float_result.limit[2]) < 1e-9
    for u, v in zip(mp_result.limit, float_result.limit, strict=True):
        assert abs(u - v) < 1e-9


def test_w3_depends_on_the_scale_of_the_label_zero_point():
    """Vardi-Shamir: scaling x3 = (0, g, g) keeps M_S but moves the limit (w3 differs)."""
    (_, w_1), (_, w_5) = _all_active_phase(1), _all_active_phase(5)
    limit1 = flow_limit(_relu_neuron_flow(1), THETA0, method="float").limit
    limit5 = flow_limit(_relu_neuron_flow(5), THETA0, method="float").limit
    assert abs(w_1[2] - w_5[2]) > 0.1
    assert abs(limit1[2] - w_1[2]) < 1e-9 and abs(limit5[2] - w_5[2]) < 1e-9


# ---- two-layer relu: balancedness -----------------------------------------------------------

TWO_LAYER_THETA0 = [Fraction(1, 2), Fraction(-1, 2), Fraction(1, 2), Fraction(-1, 4),
                    Fraction(-1, 4), Fraction(1, 2)]


def _two_layer_flow():
    return gradient_flow(build_model("two-layer", dim=2, width=2),
                         Dataset([[1, 0], [1, 1], [-1, 1]], [1, 0, 1]))


def _balancedness(theta):
    v1, v2, a1, a2, b1, b2 = theta
    return (a1 * a1 + a2 * a2 - v1 * v1, b1 * b1 + b2 * b2 - v2 * v2)


def test_two_layer_relu_balancedness_is_conserved_across_switches():
    """|w_j|^2 - v_j^2 is constant along GF for relu (homogeneity), in every pattern: checked at
    every recorded step of both integrators, on a run that switches patterns."""
    flow = _two_layer_flow()
    q0 = _balancedness(TWO_LAYER_THETA0)  # exact rationals
    mp_traj = integrate_mp(flow, TWO_LAYER_THETA0, dps=30, t_max=20)
    float_traj = integrate_float(flow, TWO_LAYER_THETA0, t_max=20)
    for traj, tol in ((mp_traj, 1e-25), (float_traj, 1e-8)):
        assert len(traj.switches) >= 1
        with mpmath.workdps(60):
            for theta in traj.thetas:
                for q, q_start in zip(_balancedness(theta), q0, strict=True):
                    assert abs(q - mpmath.mpf(q_start.numerator) / q_start.denominator) < tol
    assert [s.kink for s in mp_traj.switches] == [s.kink for s in float_traj.switches]
    for s_mp, s_float in zip(mp_traj.switches, float_traj.switches, strict=True):
        assert abs(s_mp.t - s_float.t) < 1e-8
