"""The contract shared by integrate_float and integrate_mp, checked on flows with closed forms.

relu-neuron, one datum x = 1, label y: L = (1/2)(relu(w) - y)^2, so for w > 0 the flow is
w' = -(w - y) with w(t) = y + (w0 - y) e^-t, and for w <= 0 it is w' = 0 (relu'(0) = 0).
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import pytest

from igproof.errors import DataError, InvalidArgument
from igproof.numeric.converge import flow_limit
from igproof.numeric.float_flow import integrate_float
from igproof.numeric.mp_flow import integrate_mp
from igproof.numeric.pieces import exact_theta0
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.flow import gradient_flow
from igproof.symbolic.models import build_model
from igproof.verdict import Verdict


def _one_datum(y, dim=1, x=None):
    return gradient_flow(build_model("relu-neuron", dim=dim), Dataset([x or [1] * dim], [y]))


def _run(kind, flow, theta0, t_max):
    if kind == "float":
        return integrate_float(flow, theta0, t_max=t_max, rtol=1e-12), 1e-10
    return integrate_mp(flow, theta0, dps=30, t_max=t_max), mpmath.mpf("1e-26")


INTEGRATORS = ["float", "mp"]


@pytest.mark.parametrize("kind", INTEGRATORS)
def test_active_linear_piece_follows_the_exponential(kind):
    """w' = -(w - 1) from w0 = 3/2: w(t) = 1 + e^-t / 2 at every recorded step."""
    traj, tol = _run(kind, _one_datum(1), [Fraction(3, 2)], 3)
    assert traj.status == "t_max" and abs(traj.t - 3) < tol
    assert not traj.switches and traj.pattern == (1,)
    with mpmath.workdps(40):
        for t, (w,) in zip(traj.ts, traj.thetas, strict=True):
            assert abs(w - (1 + mpmath.exp(-mpmath.mpf(t)) / 2)) < tol


@pytest.mark.parametrize("kind", INTEGRATORS)
def test_reaching_the_kink_switches_off_and_freezes(kind):
    """y = -1, w0 = 1: w = -1 + 2 e^-t hits the kink at t = ln 2, then w' = 0 keeps w = 0."""
    traj, tol = _run(kind, _one_datum(-1), [1], 4)
    (switch,) = traj.switches
    assert switch.before == 1 and switch.after in (0, -1) and switch.kink == 0
    with mpmath.workdps(40):
        assert abs(switch.t - mpmath.log(2)) < tol
    assert abs(traj.theta[0]) < tol
    assert traj.pattern == (-1,)


@pytest.mark.parametrize("kind", INTEGRATORS)
def test_kink_exactly_zero_at_start_leaves_to_the_side_the_field_points(kind):
    """z = w2 = 0 at theta0 = (1, 0), data x = (1, 1), n = 1: with z inactive (relu'(0) = 0)
    w' = -(w1 - y)(1, 1)... i.e. dz/dt = y - 1. y = 2 pushes z up: active, and then w2 > 0;
    y = 0 pushes it down: inactive. (The other kink, w1 + w2 = 1 > 0, stays active.)"""
    x = [1, 1]
    flow_up = gradient_flow(build_model("relu-neuron", dim=2),
                            Dataset([x, [0, 1]], [2, 0]))
    traj, _ = _run(kind, flow_up, [1, 0], Fraction(1, 2))
    assert traj.start_pattern == (1, 1)
    assert all(w2 > 0 for _, w2 in traj.thetas[1:])
    flow_down = gradient_flow(build_model("relu-neuron", dim=2),
                              Dataset([x, [0, 1]], [0, 0]))
    traj, _ = _run(kind, flow_down, [1, 0], Fraction(1, 2))
    assert traj.start_pattern == (1, -1)
    assert all(w2 < 0 for _, w2 in traj.thetas[1:])


@pytest.mark.parametrize("kind", INTEGRATORS)
def test_stationary_point_at_a_kink_is_kept(kind):
    """w0 = 0 with y = 1: relu'(0) = 0 makes w = 0 stationary (gradient exactly 0)."""
    traj, _ = _run(kind, _one_datum(1), [0], 2)
    assert traj.start_pattern == (0,)
    assert all(w == 0 for (w,) in traj.thetas)


def test_mp_integration_leaves_the_global_precision_alone():
    """integrate_mp works in mp.workprec: mpmath.mp.prec is unchanged afterwards."""
    before = mpmath.mp.prec
    integrate_mp(_one_datum(1), [Fraction(3, 2)], dps=50, t_max=1)
    assert mpmath.mp.prec == before


def test_mp_final_state_keeps_the_working_digits():
    """At dps = 50 the value at t = 1 matches 1 + e^-1/2 to 45 digits (not 15)."""
    traj = integrate_mp(_one_datum(1), [Fraction(3, 2)], dps=50, t_max=1)
    with mpmath.workdps(70):
        assert abs(traj.theta[0] - (1 + mpmath.exp(-1) / 2)) < mpmath.mpf("1e-45")


def test_flow_limit_reports_inconclusive_with_the_reason_when_t_max_is_too_short():
    """Stopping at t_max = 1 is not convergence: INCONCLUSIVE, and the evidence says why."""
    for method in ("mp", "float"):
        result = flow_limit(_one_datum(1), [Fraction(3, 2)], method=method, t_max=1)
        assert not result.converged
        assert result.verdict is Verdict.INCONCLUSIVE
        assert "t_max" in result.evidence


def test_flow_limit_json_fields():
    """FlowLimit.to_json carries the CLI's fields; limits as decimal strings with dps digits."""
    result = flow_limit(_one_datum(1), [Fraction(3, 2)], method="mp", dps=20)
    data = result.to_json()
    for key in ("model", "parameters", "limit", "loss", "t", "converged", "verdict", "method"):
        assert key in data
    assert data["verdict"] == "SUPPORTED" and data["method"] == "mp"
    assert data["parameters"] == ["w1"] and data["model"] == "relu-neuron/relu"
    (text,) = data["limit"]
    assert isinstance(text, str) and Fraction(text) - 1 < Fraction(1, 10**17)
    assert result.to_outcome().verdict is Verdict.SUPPORTED
    float_data = flow_limit(_one_datum(1), [Fraction(3, 2)], method="float").to_json()
    assert float_data["method"] == "float"
    assert math.isclose(float(float_data["limit"][0]), 1.0, rel_tol=1e-9)


# ---- misuse ------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", INTEGRATORS)
def test_wrong_number_of_initial_values_is_invalid_argument(kind):
    with pytest.raises(InvalidArgument, match="theta0"):
        _run(kind, _one_datum(1, dim=2), [1], 1)


@pytest.mark.parametrize("kind", INTEGRATORS)
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "abc", None])
def test_non_finite_or_unreadable_initial_value_is_data_error(kind, bad):
    with pytest.raises(DataError, match="theta0"):
        _run(kind, _one_datum(1), [bad], 1)


@pytest.mark.parametrize("kwargs, name", [
    ({"method": "rk4"}, "method"), ({"dps": 2}, "dps"), ({"t_max": -1}, "t_max"),
    ({"tol": "x"}, "tol"), ({"method": "float", "t_max": "soon"}, "t_max"),
])
def test_flow_limit_rejects_bad_options(kwargs, name):
    with pytest.raises(InvalidArgument, match=name):
        flow_limit(_one_datum(1), [1], **kwargs)


def test_integrators_reject_bad_options():
    flow = _one_datum(1)
    with pytest.raises(InvalidArgument, match="t_max"):
        integrate_float(flow, [1], t_max=0)
    with pytest.raises(InvalidArgument, match="rtol"):
        integrate_float(flow, [1], t_max=1, rtol=-1)
    with pytest.raises(InvalidArgument, match="method"):
        integrate_float(flow, [1], t_max=1, method="euler")
    with pytest.raises(InvalidArgument, match="order"):
        integrate_mp(flow, [1], t_max=1, order=1)
    with pytest.raises(InvalidArgument, match="t_max"):
        integrate_mp(flow, [1], t_max="later")


@pytest.mark.parametrize("kind", INTEGRATORS)
def test_sliding_on_a_kink_is_detected_not_integrated_through(kind):
    """x1 = (1, 0), y1 = 1; x2 = (1, 1), y2 = -10; theta0 = (1/10, -1/2). With x2 inactive,
    w1 = 1 - (9/10) e^(-t/2) and w2 = -1/2, so z2 = w1 + w2 reaches 0 at t = 2 ln(9/5); there
    the active field has dz2/dt = -(1/2)((1/2 - 1) + 20) < 0: both sides push into the kink."""
    flow = gradient_flow(build_model("relu-neuron", dim=2),
                         Dataset([[1, 0], [1, 1]], [1, -10]))
    traj, tol = _run(kind, flow, [Fraction(1, 10), Fraction(-1, 2)], 5)
    assert traj.status == "sliding" and "kink 1" in traj.message
    with mpmath.workdps(40):
        assert abs(traj.t - 2 * mpmath.log(mpmath.mpf(9) / 5)) < tol
    result = flow_limit(flow, [Fraction(1, 10), Fraction(-1, 2)], method=kind, t_max=5)
    assert result.verdict is Verdict.INCONCLUSIVE and "sliding" in result.evidence


def test_initial_values_are_read_exactly_from_every_number_type():
    """theta0 = 3/2 given as Fraction, "1.5", "3/2", float 1.5, mpf 1.5 or a numpy integer
    ratio gives the identical mp trajectory (the value is read exactly)."""
    numpy = pytest.importorskip("numpy")
    flow = _one_datum(1)
    forms = [Fraction(3, 2), "1.5", "3/2", 1.5, mpmath.mpf(3) / 2]
    finals = [integrate_mp(flow, [v], dps=20, t_max=1).theta for v in forms]
    assert all(f == finals[0] for f in finals)
    negative = [Fraction(-3, 2), mpmath.mpf(-3) / 2]
    assert exact_theta0(flow, [negative[0]]) == exact_theta0(flow, [negative[1]]) == negative[:1]
    (w,) = integrate_mp(flow, [numpy.int64(2)], dps=20, t_max=1).theta
    with mpmath.workdps(30):
        assert abs(w - (1 + mpmath.exp(-1))) < 1e-18


@pytest.mark.parametrize("kind", INTEGRATORS)
def test_simultaneous_crossings_switch_together(kind):
    """x1 = (1, 0), x2 = (0, 1), y = (-1, -1), theta0 = (1, 1): by symmetry
    w1 = w2 = -1 + 2 e^(-t/2) and both kinks reach 0 at t = 2 ln 2; both switch off there and
    the state stays at (0, 0)."""
    flow = gradient_flow(build_model("relu-neuron", dim=2),
                         Dataset([[1, 0], [0, 1]], [-1, -1]))
    traj, tol = _run(kind, flow, [1, 1], 3)
    assert sorted(s.kink for s in traj.switches) == [0, 1]
    with mpmath.workdps(40):
        for s in traj.switches:
            assert abs(s.t - 2 * mpmath.log(2)) < tol and s.after in (0, -1)
    assert traj.pattern == (-1, -1)
    assert all(abs(w) < tol for w in traj.theta)
