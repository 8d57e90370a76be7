"""Promotion of float hits to not-characterized-by certificates, on hand-picked examples.

Every certificate is re-checked by the independent checker, and the facts it states are checked
against a second route: closed-form limits (exact rationals) for the ReLU neuron, a scipy
DOP853 integration for the tanh neuron.
"""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from igproof.certificate.writer import dumps_certificate
from igproof.checker import check_certificate
from igproof.checker import expr as cex
from igproof.search.families import SurrogateModel
from igproof.search.promote import (
    float_certifiable,
    g_expression_text,
    model_text,
    promote_hit,
)
from igproof.search.regularizers import get_regularizer
from igproof.symbolic.dataset import Dataset

Q = Fraction
RELU3 = SurrogateModel("relu-neuron", "relu", 3)
TANH1 = SurrogateModel("neuron", "tanh", 1)


def _plain(cert: dict) -> dict:
    return json.loads(dumps_certificate(cert))


@pytest.fixture(scope="module")
def relu_l2():
    """S = {((-2, 0, 1), 1)}, theta0 = (-1, 0, 0): the point stays active (w . x goes from 2 to
    1), the flow moves along x, so the limit is theta0 + t x with (theta0 + t x) . x = 1:
    t = -1/5, theta* = (-3/5, 0, -1/5), |theta*|^2 = 2/5 > 1/5 = min |w|^2 on w . x = 1."""
    data = Dataset([[-2, 0, 1]], [1])
    return promote_hit(RELU3, get_regularizer("l2"), data, (Q(-1), Q(0), Q(0)))


def test_relu_l2_certificate_accepted_and_matches_closed_form(relu_l2):
    """The l2 refutation is accepted; its limit ball contains the closed-form limit and its
    witness lies in M_S with |theta'|^2 < |theta*|^2 = 2/5 (exact)."""
    assert relu_l2.certified, relu_l2.attempts
    cert = _plain(relu_l2.certificate)
    assert check_certificate(cert).accepted
    (limit,) = cert["statement"]["limits"].values()
    centre = [Q(c) for c in limit["center"]]
    exact = [Q(-3, 5), Q(0), Q(-1, 5)]
    assert sum((c - e) ** 2 for c, e in zip(centre, exact, strict=True)) <= Q(limit["radius"]) ** 2
    (witness,) = [o for o in cert["obligations"] if o["type"] == "witness"]
    theta = [Q(t) for t in witness["theta"]]
    assert max(Q(0), -2 * theta[0] + theta[2]) == 1          # relu(w . x) = y exactly
    assert sum(t * t for t in theta) < Q(2, 5)


def test_tampered_witness_is_rejected(relu_l2):
    """A witness moved off M_S (w . x = 2 instead of 1) must be rejected by the checker."""
    cert = _plain(relu_l2.certificate)
    (witness,) = [o for o in cert["obligations"] if o["type"] == "witness"]
    witness["theta"] = ["-4/5", "0", "2/5"]
    assert not check_certificate(cert).accepted


def _tanh_reference(theta0, x, y, t_end=200.0):
    def rhs(_t, th):
        a, w = th
        r = a * math.tanh(w * x) - y
        return [-r * math.tanh(w * x), -r * a * x / math.cosh(w * x) ** 2]

    sol = solve_ivp(rhs, (0.0, t_end), theta0, method="DOP853", rtol=1e-12, atol=1e-14)
    return sol.y[:, -1]


def test_tanh_l2_certificate_accepted_and_contains_scipy_limit():
    """a tanh(w x), S = {(1, 1)}, theta0 = (0, 10): the certified ball contains the DOP853
    limit, and there grad G = 2 theta is not parallel to grad r = (tanh w, a sech^2 w)."""
    data = Dataset([[1]], [1])
    result = promote_hit(TANH1, get_regularizer("l2"), data, (Q(0), Q(10)))
    assert result.certified, result.attempts
    assert result.route == "endgame+kkt"
    cert = _plain(result.certificate)
    assert check_certificate(cert).accepted
    (limit,) = cert["statement"]["limits"].values()
    ref = _tanh_reference([0.0, 10.0], 1.0, 1.0)
    centre = np.array([float(Q(c)) for c in limit["center"]])
    assert np.linalg.norm(ref - centre) < float(Q(limit["radius"]))
    a, w = ref
    assert abs(a * math.tanh(w) - 1.0) < 1e-9
    det = math.tanh(w) * 2 * w - a / math.cosh(w) ** 2 * 2 * a
    assert abs(det) > 1.0


def test_kink_limit_is_not_certified():
    """x = (0, 0, 1), y = 0, theta0 = (0, 1, 1): the flow only approaches the kink w3 = 0, so
    no end-game with a decided pattern exists; the promotion says so and returns no file."""
    data = Dataset([[0, 0, 1]], [0])
    result = promote_hit(RELU3, get_regularizer("l2"), data, (Q(0), Q(1), Q(1)))
    assert not result.certified
    assert result.certificate is None
    assert result.reason


def test_linf_cannot_be_written():
    """max |theta_k| is not in the checker's language: no certificate, a reason instead."""
    data = Dataset([[-2, 0, 1]], [1])
    result = promote_hit(RELU3, get_regularizer("linf"), data, (Q(-1), Q(0), Q(0)))
    assert not result.certified and "linf" in result.reason


@pytest.mark.parametrize("theta", [(Q(1, 3), Q(-2)), (Q(5, 2), Q(7, 4))])
def test_g_text_substitutes_theta0_exactly(theta):
    """The positive-control G (a^2 - w^2 - (a0^2 - w0^2))^2 written for the checker with theta0
    = (3/2, -1/2) equals (a^2 - w^2 - 2)^2 at rational points (exact evaluation)."""
    reg = get_regularizer("(a^2 - w^2 - (a0^2 - w0^2))^2", parameter_names=("a", "w1"))
    text = g_expression_text(reg, ["a", "w1"], [Q(3, 2), Q(-1, 2)])
    value = cex.evaluate_exact(cex.parse(text, {"a", "w1"}), {"a": theta[0], "w1": theta[1]})
    assert value == (theta[0] ** 2 - theta[1] ** 2 - 2) ** 2


def test_l2_init_text_is_distance_to_theta0():
    """l2-init at theta0 = (1/2, -3) is (w1 - 1/2)^2 + (w2 + 3)^2, exactly."""
    text = g_expression_text(get_regularizer("l2-init"), ["w1", "w2"], [Q(1, 2), Q(-3)])
    value = cex.evaluate_exact(cex.parse(text, {"w1", "w2"}), {"w1": Q(0), "w2": Q(0)})
    assert value == Q(1, 4) + 9


def test_model_text_matches_symbolic_model():
    """The model text names parameters as igproof.symbolic.models does (a, w1..wd)."""
    from igproof.symbolic.models import build_model

    params, inputs, _ = model_text(SurrogateModel("neuron", "tanh", 2))
    sym = build_model("neuron", dim=2, activation="tanh")
    assert params == [str(p) for p in sym.parameters]
    assert inputs == [str(s) for s in sym.inputs]


def test_float_filter_rejects_kinks_and_parallel_points():
    """Hits whose limit lies on a kink, whose theta0 lies on a kink, or whose two points share
    a kink hyperplane are not sent to promotion; a decided pattern is."""
    g = get_regularizer("l2")
    on_kink = Dataset([[0, 0, 1]], [0])
    assert not float_certifiable(RELU3, g, on_kink, (Q(0), Q(1), Q(1)), (0.0, 1.0, 1e-9))
    decided = Dataset([[-2, 0, 1]], [1])
    assert float_certifiable(RELU3, g, decided, (Q(-1), Q(0), Q(0)), (-0.6, 0.0, -0.2))
    start_on_kink = Dataset([[1, 0, 0]], [1])
    assert not float_certifiable(RELU3, g, start_on_kink, (Q(0), Q(1), Q(0)), (1.0, 1.0, 0.0))
    parallel = Dataset([[1, 0, 0], [2, 0, 0]], [1, 2])
    assert not float_certifiable(RELU3, g, parallel, (Q(2), Q(1), Q(1)), (1.0, 1.0, 1.0))


def test_relu_l1_witness_with_a_zero_coordinate():
    """G = l1, S = {((1/2, 0, 1), 1)}, theta0 = (1, 0, 0): the limit is theta0 + (2/5) x =
    (6/5, 0, 2/5) with |.|_1 = 8/5 (w2 = 0 exactly, where abs has a kink), but (0, 0, 1) fits
    S with |.|_1 = 1: a certified witness with l1 below 8/5 and w . x = 1 exactly."""
    data = Dataset([["1/2", 0, 1]], [1])
    result = promote_hit(RELU3, get_regularizer("l1"), data, (Q(1), Q(0), Q(0)))
    assert result.certified, result.attempts
    cert = _plain(result.certificate)
    assert check_certificate(cert).accepted
    (limit,) = cert["statement"]["limits"].values()
    centre = [Q(c) for c in limit["center"]]
    exact = [Q(6, 5), Q(0), Q(2, 5)]
    assert sum((c - e) ** 2 for c, e in zip(centre, exact, strict=True)) <= Q(limit["radius"]) ** 2
    (witness,) = [o for o in cert["obligations"] if o["type"] == "witness"]
    theta = [Q(t) for t in witness["theta"]]
    assert theta[0] / 2 + theta[2] == 1
    assert sum(abs(t) for t in theta) < Q(8, 5)
