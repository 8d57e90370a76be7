"""prove_flow_limit on the cases of issue 4, each checked against an independent route."""

from fractions import Fraction

import mpmath
import numpy as np
import pytest
from scipy.integrate import solve_ivp

from igproof.errors import InvalidArgument
from igproof.numeric.converge import flow_limit
from igproof.proof.limits.limit import Inconclusive, ProvedLimit, prove_flow_limit
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.flow import gradient_flow
from igproof.symbolic.models import build_model
from igproof.verdict import Verdict


def _neuron(activation):
    return gradient_flow(build_model("neuron", dim=1, activation=activation),
                         Dataset([[1]], [1]))


def _relu_neuron_3d(g):
    data = Dataset([[3, -1, 0], [4, 2, 0], [0, g, g]], [16, 18, 0])
    return gradient_flow(build_model("relu-neuron", dim=3), data)


def _mpf(q: Fraction):
    return mpmath.mpf(q.numerator) / q.denominator


@pytest.fixture(scope="module")
def relu_result():
    return prove_flow_limit(_neuron("relu"), ["0.5", "0.3"], prec=128)


@pytest.fixture(scope="module")
def relu3d_results():
    return {g: prove_flow_limit(_relu_neuron_3d(g), ["1e-6"] * 3, prec=128) for g in (1, 5)}


def test_relu_neuron_limit_contains_closed_form(relu_result):
    """a relu(w x), x = y = 1, from (0.5, 0.3): a^2 - w^2 = 0.16 is conserved and a w = 1 at the
    limit, so a = sqrt((c + sqrt(c^2 + 4)) / 2), w = 1/a (SPEC.md, computed here at 60 digits)."""
    r = relu_result
    assert isinstance(r, ProvedLimit) and r.verdict is Verdict.PROVED
    assert r.radius < 1e-20
    with mpmath.workdps(60):
        c = mpmath.mpf("0.16")
        a = mpmath.sqrt((c + mpmath.sqrt(c * c + 4)) / 2)
        exact = (a, 1 / a)
        dist = mpmath.sqrt(sum((_mpf(q) - e) ** 2 for q, e in zip(r.centre, exact,
                                                                   strict=True)))
        assert dist <= _mpf(r.radius_upper)
    # the SPEC example value, as a second oracle
    assert abs(float(r.centre[0]) - 1.040766494617671768871518974) < 1e-15


def test_tanh_neuron_limit_in_zero_set_and_matches_float_integrator():
    """a tanh(w), x = y = 1, from (0.5, 0.3): the ball (radius < 1e-15) meets a tanh(w) = 1
    (checked in mpmath interval arithmetic), contains the 40-digit mpmath Taylor estimate
    (igproof.numeric.converge) and a DOP853 estimate up to its error."""
    r = prove_flow_limit(_neuron("tanh"), ["0.5", "0.3"], prec=128)
    assert isinstance(r, ProvedLimit)
    assert r.radius < 1e-15
    rad = _mpf(r.radius_upper)
    iv = mpmath.iv
    with mpmath.workdps(40):
        rad = _mpf(r.radius_upper)
        box = [iv.mpf([_mpf(c) - rad, _mpf(c) + rad]) for c in r.centre]
        e2w = iv.exp(2 * box[1])
        value = box[0] * (e2w - 1) / (e2w + 1) - 1  # tanh w = (e^2w - 1) / (e^2w + 1)
        assert value.a <= 0 <= value.b

    def field(_t, th):
        a, w = th
        t = np.tanh(w)
        return [-(a * t - 1) * t, -a * (1 - t * t) * (a * t - 1)]

    # the high-precision (mpmath Taylor, 40 digits) integrator's estimate lies in the ball
    est_mp = flow_limit(_neuron("tanh"), ["0.5", "0.3"], method="mp", dps=40)
    assert est_mp.converged
    assert r.contains([Fraction(mpmath.nstr(v, 45)) for v in est_mp.limit])

    sol = solve_ivp(field, (0, 80), [0.5, 0.3], method="DOP853", rtol=1e-13, atol=1e-15)
    est = sol.y[:, -1]
    assert np.hypot(*(est - [float(c) for c in r.centre])) < 1e-10


def test_relu_neuron_3d_limits(relu3d_results):
    """relu(w.x) on x1=(3,-1,0), y=16; x2=(4,2,0), y=18; x3=(0,g,g), y=0 from 1e-6(1,1,1):
    x3 deactivates, so the limit is (5, -1, w3) with w3 < 1 (w1, w2 solve the two active
    equations exactly). Radius < 1e-8; the balls for g = 1 and g = 5 are disjoint; w3 agrees
    with an independent float integration with event location."""
    for g, r in relu3d_results.items():
        assert isinstance(r, ProvedLimit), r
        assert r.radius < 1e-8
        assert r.contains([5, -1, r.centre[2]])
        assert r.centre[2] < 1
        assert [s.kind for s in r.segments] == ["affine", "affine"]
        assert r.segments[1].pattern == (1, 1, -1)
        X = np.array([[3, -1, 0], [4, 2, 0], [0, g, g]], float)
        y = np.array([16, 18, 0], float)

        def rhs(_t, w, X=X, y=y):
            z = X @ w
            act = z > 0
            return -(X[act].T @ (z[act] - y[act])) / 3

        def leave(_t, w, X=X):
            return X[2] @ w
        leave.terminal, leave.direction = True, -1
        s1 = solve_ivp(rhs, (0, 50), [1e-6] * 3, events=leave, rtol=1e-12, atol=1e-14)
        w_switch = s1.y[:, -1]
        assert abs(w_switch[2] - float(r.centre[2])) < 1e-8
    r1, r5 = relu3d_results[1], relu3d_results[5]
    gap = sum((_mpf(a) - _mpf(b)) ** 2 for a, b in zip(r1.centre, r5.centre, strict=True))
    assert mpmath.sqrt(gap) > _mpf(r1.radius_upper + r5.radius_upper)


def test_start_at_saddle_is_inconclusive():
    """tanh neuron from (0, 0): grad L = 0 with L = 1/2 (a saddle): never PROVED."""
    r = prove_flow_limit(_neuron("tanh"), [0, 0])
    assert isinstance(r, Inconclusive) and r.verdict is Verdict.INCONCLUSIVE
    assert "critical point" in r.reason


def test_start_on_kink_is_inconclusive():
    """relu neuron from (0.5, 0): the kink w = 0 is touched exactly; the pattern is undecided."""
    r = prove_flow_limit(_neuron("relu"), ["0.5", 0])
    assert isinstance(r, Inconclusive) and "kink" in r.reason


def test_too_short_time_is_inconclusive():
    """With t_max = 1 the loss cannot reach the target: INCONCLUSIVE with the reason."""
    r = prove_flow_limit(_neuron("relu"), ["0.5", "0.3"], t_max=1)
    assert isinstance(r, Inconclusive) and "t_max" in r.reason


def test_bad_arguments_name_the_argument():
    with pytest.raises(InvalidArgument, match="theta0"):
        prove_flow_limit(_neuron("relu"), [1])
    with pytest.raises(InvalidArgument, match="prec"):
        prove_flow_limit(_neuron("relu"), [1, 1], prec=8)
    with pytest.raises(InvalidArgument, match="t_max"):
        prove_flow_limit(_neuron("relu"), [1, 1], t_max=-1)
