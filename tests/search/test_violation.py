"""The KKT violation measure: zero where theta* is the constrained minimizer, closed-form values
where it is not, and the treatment of label-0 (one-sided) points."""

import math

import numpy as np
import pytest
import sympy
from search_reference_flow import reference_limit

from igproof.search.families import SurrogateModel
from igproof.search.regularizers import Regularizer, get_regularizer
from igproof.search.surrogate import float_limit
from igproof.search.violation import kkt_violation, violation_at_limit


def balance_regularizer() -> Regularizer:
    """G = (a^2 - w^2 - c)^2, c = a0^2 - w0^2, built from sympy (exact gradient)."""
    a, w, a0, w0 = sympy.symbols("a w a0 w0")
    return Regularizer.from_sympy((a**2 - w**2 - (a0**2 - w0**2))**2, [a, w], [a0, w0],
                                  name="balance")


@pytest.mark.parametrize(("x", "y", "theta0"), [
    (1.0, 1.0, (0.5, 0.3)), (2.0, 0.5, (1e-3, 2e-3)), (-1.5, 1.25, (1.5, -0.5))])
def test_positive_control_violation_vanishes(x, y, theta0):
    """relu neuron, one 1-D datum: the limit lies on M_S and on {a^2 - w^2 = c} where
    G = (a^2 - w^2 - c)^2 is 0, its minimum: theta* minimizes G on M_S, so the KKT measure is 0
    up to float error."""
    model = SurrogateModel("neuron", "relu", 1)
    out = float_limit(model, [[x]], [y], theta0)
    assert out.converged
    v = violation_at_limit(model, np.array([[x]]), np.array([y]), out.theta,
                           np.array(theta0), balance_regularizer())
    assert v.kkt_necessary
    assert v.value < 1e-6


def test_l2_violation_has_the_closed_form_for_an_always_active_point():
    """relu neuron, x = e1, y = 1, w0 = (1/2, 1/2, 0): w* = (1, 1/2, 0) and M_S = {w1 = 1},
    so grad G = 2 w* = (2, 1, 0) has the component (0, 1, 0) off the row space: 1/sqrt(5)."""
    model = SurrogateModel("relu-neuron", "relu", 3)
    out = float_limit(model, [[1, 0, 0]], [1], [0.5, 0.5, 0])
    np.testing.assert_allclose(out.theta, [1, 0.5, 0], atol=1e-8)
    v = violation_at_limit(model, np.array([[1.0, 0, 0]]), np.array([1.0]), out.theta,
                           np.array([0.5, 0.5, 0]), get_regularizer("l2"))
    assert v.value == pytest.approx(1 / math.sqrt(5), rel=1e-4)
    assert v.equality == (0,)


@pytest.mark.parametrize("gamma", [0.5, 1.0, 4.0])
def test_l2_violation_on_a_vardi_shamir_example(gamma):
    """Vardi–Shamir type: x1 = (1, 0), y1 = 1 and a label-0 point gamma (-1, 1); M_S =
    {w1 = 1, w2 <= 1} does not depend on gamma and its l2 minimizer is (1, 0), but the flow from
    (1/4, 1/2) ends at some (1, w2), w2 != 0. With the label-0 point strictly inactive there,
    the violation is |w2| / sqrt(1 + w2^2) (w2 from an independent solve_ivp run)."""
    model = SurrogateModel("relu-neuron", "relu", 2)
    x = np.array([[1.0, 0.0], [-gamma, gamma]])
    y = np.array([1.0, 0.0])
    w0 = np.array([0.25, 0.5])
    out = float_limit(model, x, y, w0)
    ref = reference_limit("relu-neuron", "relu", x, y, w0)
    np.testing.assert_allclose(out.theta, ref, atol=1e-7)
    w2 = ref[1]
    assert abs(ref[0] - 1) < 1e-8 and abs(w2) > 0.05 and w2 < 1
    v = violation_at_limit(model, x, y, out.theta, w0, get_regularizer("l2"))
    assert v.inactive == (1,)
    assert v.value == pytest.approx(abs(w2) / math.sqrt(1 + w2 * w2), rel=1e-5)
    assert v.value > 0.05


def test_active_one_sided_constraint_enters_with_a_sign():
    """At w* = 0 with label-0 points x0 = (0, 0, -1) and x1 = (0, 1, 1) both on their kinks,
    -grad G for G = |w - w0|^2, w0 = (0, 1, 0), is (0, 2, 0) = 2 x1 + 2 x0: in the cone, so KKT
    holds (violation 0). With G = |w - w0|^2 for w0 = (0, -1, 0) it is -(x1 + x0) scaled: the
    multipliers would be negative, so the point is NOT a KKT point: violation > 0."""
    model = SurrogateModel("relu-neuron", "relu", 3)
    x = np.array([[0.0, 0.0, -1.0], [0.0, 1.0, 1.0]])
    y = np.array([0.0, 0.0])
    theta = np.zeros(3)
    inside = kkt_violation(model, x, y, theta, 2 * (theta - np.array([0, 1.0, 0])), scale=1.0)
    assert inside.one_sided == (0, 1)
    assert inside.value < 1e-12
    outside = kkt_violation(model, x, y, theta, 2 * (theta - np.array([0, -1.0, 0])), scale=1.0)
    # -grad = (0, -2, 0); the cone {mu0 x0 + mu1 x1} = {(0, m1, m1 - m0)}, mu >= 0, needs
    # m1 >= 0: the nearest point is (0, 0, 0), distance 2 of |grad| = 2.
    assert outside.value == pytest.approx(1.0)


def test_strictly_inactive_label_zero_point_is_ignored():
    """A label-0 point with w*.x < 0 does not enter: adding it leaves the measure unchanged."""
    model = SurrogateModel("relu-neuron", "relu", 2)
    theta = np.array([1.0, 0.5])
    g = 2 * theta
    alone = kkt_violation(model, np.array([[1.0, 0.0]]), np.array([1.0]), theta, g)
    with_point = kkt_violation(model, np.array([[1.0, 0.0], [-1.0, -1.0]]),
                               np.array([1.0, 0.0]), theta, g)
    assert with_point.inactive == (1,)
    assert with_point.value == pytest.approx(alone.value, rel=1e-12)


def test_tanh_neuron_rows_are_every_point_and_licq_is_checked():
    """Smooth model: every point is an equality constraint; more points than parameters make
    the rows dependent, so first-order conditions are not known to be necessary."""
    model = SurrogateModel("neuron", "tanh", 1)
    theta = np.array([1.0, 0.5])
    x = np.array([[1.0], [2.0], [3.0]])
    y = np.tanh(0.5 * x[:, 0])
    v = kkt_violation(model, x, y, theta, 2 * theta)
    assert v.equality == (0, 1, 2)
    assert not v.kkt_necessary
