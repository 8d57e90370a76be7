"""prove_flow_limit across a kink inside a smooth (Taylor) piece: a relu(w.x) in dimension 2.

The instance (issue #5): S_g = {((1, 0), 1), ((-g, g), 0)}, theta0 = (1/2, 1/10, 3/10). The
label-0 point is active at t = 0 and is switched off once, transversally; afterwards the flow
is that of the one-point problem, where a^2 - w1^2 and w2 are conserved and a w1 -> 1. The
independent oracle integrates the active piece with mpmath.odefun (Taylor series, 40 digits),
locates the crossing with findroot, and finishes with that closed form.
"""

import functools

import mpmath
import pytest
from flint import arb

from igproof.numeric.ball.arith import precision
from igproof.proof.limits.limit import Inconclusive, ProvedLimit, prove_flow_limit
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.flow import gradient_flow
from igproof.symbolic.models import build_model
from igproof.verdict import Verdict

THETA0 = ("1/2", "1/10", "3/10")
# mpmath.odefun at 40 digits is accurate to ~1e-38 over t < 1; the oracle values are compared
# with this allowance (the proved balls are ~1e-29 wide, so the test still has teeth).
ORACLE_ERROR = "1e-36"


def _flow(g, label=0):
    data = Dataset([[1, 0], [-g, g]], [1, label])
    return gradient_flow(build_model("neuron", dim=2, activation="relu"), data)


@functools.cache
def _oracle(g):
    """(crossing time, limit) from the hand-written active field and the one-point closed form."""
    with mpmath.workdps(40):
        g = mpmath.mpf(g)

        def field(t, th):  # -grad of ((a w1 - 1)^2 + (a g (w2 - w1))^2) / 4
            a, w1, w2 = th
            r1, r2 = a * w1 - 1, a * g * (w2 - w1)
            return [-(r1 * w1 + r2 * g * (w2 - w1)) / 2, -(r1 * a - r2 * a * g) / 2,
                    -(r2 * a * g) / 2]

        sol = mpmath.odefun(field, 0, [mpmath.mpf(1) / 2, mpmath.mpf(1) / 10,
                                       mpmath.mpf(3) / 10])
        t_star = mpmath.findroot(lambda t: sol(t)[2] - sol(t)[1], 0.7)
        a, w1, w2 = sol(t_star)
        c = a * a - w1 * w1
        a_lim = mpmath.sqrt((c + mpmath.sqrt(c * c + 4)) / 2)
        return (mpmath.nstr(t_star, 40),
                [mpmath.nstr(v, 40) for v in (a_lim, 1 / a_lim, w2)])


def _ball(text):
    return arb(text) + arb(0, arb(ORACLE_ERROR))


@pytest.fixture(scope="module")
def results():
    return {g: prove_flow_limit(_flow(g), THETA0, prec=128) for g in (1, 2)}


@pytest.mark.parametrize("g", [1, 2])
def test_limit_proved_and_contains_odefun_closed_form_limit(results, g):
    """The proved ball contains the oracle's limit (odefun to the crossing, then a w1 = 1 with
    a^2 - w1^2 and w2 conserved), and is small."""
    r = results[g]
    assert isinstance(r, ProvedLimit) and r.verdict is Verdict.PROVED, r
    assert r.in_zero_loss_set
    _, limit = _oracle(g)
    with mpmath.workdps(40):
        dist = mpmath.sqrt(sum((mpmath.mpf(c.numerator) / c.denominator - mpmath.mpf(v)) ** 2
                               for c, v in zip(r.centre, limit, strict=True)))
    assert dist <= mpmath.mpf(r.radius_upper.numerator) / r.radius_upper.denominator + 1e-36
    assert r.radius_upper < 1e-25


@pytest.mark.parametrize("g", [1, 2])
def test_one_certified_crossing_of_the_label0_atom_at_the_odefun_time(results, g):
    """Two Taylor segments; the first ends in a crossing of kink 2 (g (w2 - w1) = 0, active ->
    inactive) whose time interval contains the findroot crossing time; it is short."""
    r = results[g]
    assert [s.kind for s in r.segments] == ["taylor", "taylor"]
    first, second = r.segments
    assert first.pattern == (1, 1) and second.pattern == (1, -1)
    assert first.switch_kink == 1 and second.switch is None
    assert first.steps[-1].crossing is not None
    t_star, _ = _oracle(g)
    with precision(128):
        interval = first.switch.t_interval
        assert interval.overlaps(_ball(t_star))
        assert float(interval.rad()) < 1e-25
        # the next segment starts from the crossing box, hardly wider than the set before
        assert max(float(b.rad()) for b in second.start) < 1e-28


def test_the_two_limits_are_distinct(results):
    """Same M_S point for neither: the balls for g = 1 and g = 2 are disjoint."""
    r1, r2 = results[1], results[2]
    gap2 = sum((a - b) ** 2 for a, b in zip(r1.centre, r2.centre, strict=True))
    assert gap2 > (r1.radius_upper + r2.radius_upper) ** 2


def test_sliding_along_the_kink_is_inconclusive_with_reason():
    """Label -1 at (-1, 1), from a w1 = 3/2: on the active side the second point pushes
    z = w2 - w1 down (dz/dt = a(a w1 - 1)/2 - a < 0 at z = 0), on the inactive side the first
    point pushes it up (dz/dt = a(a w1 - 1)/2 > 0): the flow slides along z = 0 (Filippov),
    which is never certified as a crossing."""
    r = prove_flow_limit(_flow(1, label=-1), ("1", "3/2", "151/100"), prec=64)
    assert isinstance(r, Inconclusive) and r.verdict is Verdict.INCONCLUSIVE
    assert "slides" in r.reason and r.t is not None and 0 < r.t < 1
