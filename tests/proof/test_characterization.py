"""The positive control: a conserved level set characterizes the relu one-datum limit.

Independent routes: the conservation identity is compared with the sign of a high-precision
numerical drift (tanh drifts, relu does not), and the unique point of M_S ∩ {a^2 - w^2 = c}
is compared with the limit of the high-precision integrator from several initializations.
"""

from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest

from igproof.numeric.converge import flow_limit
from igproof.proof.overlap.characterization import (
    conserved_for_every_datum,
    conserved_level_set_characterizes,
    level_set_meets_zero_loss_set_once,
)
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.flow import gradient_flow
from igproof.symbolic.models import build_model
from igproof.verdict import Verdict


def test_norm_difference_conserved_exactly_for_homogeneous_activations_only():
    assert conserved_for_every_datum("relu")
    assert conserved_for_every_datum("leaky-relu")
    assert conserved_for_every_datum("linear")
    assert not conserved_for_every_datum("tanh")
    assert not conserved_for_every_datum("softplus")


def test_level_set_intersection_is_a_single_point():
    assert level_set_meets_zero_loss_set_once()


def _mpf(q: Fraction) -> mpmath.mpf:
    """q at the working precision (mpmath before 1.4 does not take a Fraction)."""
    return mpmath.mpf(q.numerator) / q.denominator


@pytest.mark.parametrize("x, y, theta0", [
    (1, 1, ("1/2", "3/10")),
    (2, 3, ("1/5", "7/10")),
    (-1, 2, ("1", "-1/2")),
])
def test_numerical_limit_is_the_unique_point_on_the_level_set(x, y, theta0):
    """The limit equals the root of W^2 + c W - (y/x)^2 = 0 (W = w^2), w x > 0, a = y/(w x)."""
    a0, w0 = (Fraction(v) for v in theta0)
    model = build_model("neuron", dim=1, activation="relu")
    flow = gradient_flow(model, Dataset([[x]], [y]))
    limit = flow_limit(flow, [a0, w0], method="mp", dps=30).limit
    with mpmath.workdps(40):
        c = _mpf(a0**2 - w0**2)
        k = _mpf(Fraction(y, x) ** 2)
        big_w = (-c + mpmath.sqrt(c * c + 4 * k)) / 2
        w = mpmath.sqrt(big_w) * (1 if x > 0 else -1)
        a = mpmath.mpf(y) / (w * x)
        assert abs(mpmath.mpf(limit[0]) - a) < mpmath.mpf(10) ** -20
        assert abs(mpmath.mpf(limit[1]) - w) < mpmath.mpf(10) ** -20


def test_positive_control_is_proved_by_algebra():
    outcome = conserved_level_set_characterizes("relu")
    assert outcome.verdict is Verdict.PROVED
