"""Family D2 of the d = 2 convergence property (igproof.proof.single_neuron.convergence)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from igproof.errors import InvalidArgument
from igproof.numeric.float_flow import integrate_float
from igproof.proof.single_neuron.convergence import (
    CONVERGENCE_TOL,
    _in_family,
    check_global_convergence_d2,
    run_example,
)
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.flow import gradient_flow
from igproof.symbolic.models import build_model

F = Fraction
OBTUSE_TEACHER = (F(-5, 4), F(-3, 4))
OBTUSE_XS = [(F(0), F(-7, 4)), (F(-5, 4), F(1))]
OBTUSE_W0 = (F(-7, 1000), F(1, 100))


def test_family_membership_rules():
    """Margin, pairwise acuteness and independence are enforced exactly."""
    teacher = (F(1), F(0))
    assert _in_family(teacher, [(F(1), F(1)), (F(1), F(-1, 2))])
    assert not _in_family(teacher, [(F(1), F(1)), (F(2), F(2))])        # parallel only
    assert not _in_family(teacher, [(F(1), F(1)), (F(0), F(1))])        # 90 deg from w*
    assert not _in_family(teacher, [(F(1), F(2)), (F(1), F(-2))])       # obtuse pair
    assert not _in_family(OBTUSE_TEACHER, OBTUSE_XS)


def test_obtuse_pair_gives_a_spurious_limit_in_closed_form():
    """Without pairwise acuteness: only x2 is active at w0 and x1.x2 < 0, so w moves along x2
    to w0 + c x2 with w.x2 = y2 (c = (y2 - w0.x2)/|x2|^2) and x1 stays inactive: loss > 0.
    The float flow agrees with this closed form."""
    ys = [x[0] * OBTUSE_TEACHER[0] + x[1] * OBTUSE_TEACHER[1] for x in OBTUSE_XS]
    x2 = OBTUSE_XS[1]
    c = (ys[1] - (OBTUSE_W0[0] * x2[0] + OBTUSE_W0[1] * x2[1])) / (x2[0] ** 2 + x2[1] ** 2)
    limit = (OBTUSE_W0[0] + c * x2[0], OBTUSE_W0[1] + c * x2[1])
    assert limit[0] * OBTUSE_XS[0][0] + limit[1] * OBTUSE_XS[0][1] < 0   # x1 inactive there
    flow = gradient_flow(build_model("relu-neuron", dim=2),
                         Dataset([list(x) for x in OBTUSE_XS], ys))
    traj = integrate_float(flow, list(OBTUSE_W0), t_max=200.0)
    assert traj.theta[0] == pytest.approx(float(limit[0]), abs=1e-8)
    assert traj.theta[1] == pytest.approx(float(limit[1]), abs=1e-8)


def test_run_example_converges_to_the_teacher():
    """A family member with two orthogonal-ish inputs reaches w* within the tolerance."""
    rel, horizon = run_example((F(1), F(1)), [(F(1), F(0)), (F(1), F(1, 2))],
                               (F(1, 1000), F(0)))
    assert rel <= CONVERGENCE_TOL and horizon > 0


def test_run_example_rejects_non_members():
    with pytest.raises(InvalidArgument, match="family D2"):
        run_example(OBTUSE_TEACHER, OBTUSE_XS, OBTUSE_W0)


def test_small_property_run_counts_examples():
    """A 5-example seeded run: 5 examples counted, no failure."""
    report = check_global_convergence_d2(max_examples=5, seed=3)
    assert report.examples == 5
    assert report.failures == []


def test_max_examples_is_validated():
    with pytest.raises(InvalidArgument, match="max_examples"):
        check_global_convergence_d2(max_examples=0)
