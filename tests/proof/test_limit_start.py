"""The prover's start: theta0 at a critical point of L, or already at zero loss, is named
(INCONCLUSIVE, nothing to enclose); the exact-zero test on the field at theta0 is exact algebra,
with a numerical screen only in front of it."""

import sympy

from igproof.proof.limits.limit import Inconclusive, _vanishes, prove_flow_limit
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.flow import gradient_flow
from igproof.symbolic.models import build_model


def _tanh_flow(y):
    return gradient_flow(build_model("neuron", dim=1, activation="tanh"), Dataset([[1]], [y]))


def test_start_at_a_spurious_critical_point_is_named():
    """a tanh(w x) at (a, w) = (0, 0): da/dt = -r tanh(0) = 0 and dw/dt = -r a x sech^2 = 0,
    with L = y^2 / 2 = 1/2 > 0."""
    out = prove_flow_limit(_tanh_flow("1"), ["0", "0"])
    assert isinstance(out, Inconclusive)
    assert "critical point of L" in out.reason and "L = 1/2" in out.reason


def test_start_at_zero_loss_is_named():
    out = prove_flow_limit(_tanh_flow("0"), ["0", "1"])
    assert isinstance(out, Inconclusive) and "already has zero loss" in out.reason


def test_vanishes_is_exact_where_the_screen_cannot_tell():
    x = sympy.Rational(1, 3)
    assert _vanishes(sympy.tanh(x) ** 2 + 1 / sympy.cosh(x) ** 2 - 1)  # an identity, ~0 in floats
    assert not _vanishes(sympy.Rational(1, 10 ** 40))  # below the screen: simplify decides
    assert not _vanishes(sympy.tanh(x) - x)
    assert _vanishes(sympy.Integer(0))
