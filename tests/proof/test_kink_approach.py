"""A transversal crossing that the step controller used to miss: a relu(w.x) on
S = {((1, -1), 1), ((1, 2), 0)} from theta0 = (0, 1/2, 0) (a hit of the neuron/relu Overlapping
search). The label-0 point is switched off at t ~ 3.154 with dz/dt ~ -0.068, but the a priori
boxes of the approach steps wrap in z = w1 + 2 w2 by ~10x the distance travelled, so the steps
shrank with the distance, the predicted root stayed beyond every step and the crossing step was
never triggered (INCONCLUSIVE "kink(s) [1] without a certain sign"). The root search now looks
a few first-order hitting times ahead after a kink-limited step (lohner.ROOT_HORIZON_HITS).

Oracle (independent of the prover): mpmath.odefun on the hand-written active field, findroot
for the crossing, then the one-point closed form: afterwards w moves along x1 only, so
w_perp = w - (w.x1 / 2) x1 and K = a^2 - |w|^2 + |w_perp|^2 are conserved, and the limit has
a s sqrt(2) = 1 with s = w.x1 / sqrt(2), a^2 - s^2 = K: a^2 = (K + sqrt(K^2 + 2)) / 2.
"""

import mpmath

from igproof.proof.limits.limit import ProvedLimit, prove_flow_limit
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.flow import gradient_flow
from igproof.symbolic.models import build_model


def _oracle():
    with mpmath.workdps(30):
        def field(t, th):  # -grad of ((a (w1 - w2) - 1)^2 + (a (w1 + 2 w2))^2) / 4
            a, w1, w2 = th
            r1, r2 = a * (w1 - w2) - 1, a * (w1 + 2 * w2)
            return [-(r1 * (w1 - w2) + r2 * (w1 + 2 * w2)) / 2,
                    -(r1 * a + r2 * a) / 2, -(-r1 * a + 2 * r2 * a) / 2]

        sol = mpmath.odefun(field, 0, [mpmath.mpf(0), mpmath.mpf(1) / 2, mpmath.mpf(0)])
        t_cross = mpmath.findroot(lambda t: sol(t)[1] + 2 * sol(t)[2], 3.15)
        a, w1, w2 = sol(t_cross)
        proj = (w1 - w2) / 2  # w.x1 / |x1|^2
        perp = (w1 - proj, w2 + proj)
        k = a ** 2 - (w1 ** 2 + w2 ** 2) + perp[0] ** 2 + perp[1] ** 2
        a_lim = mpmath.sqrt((k + mpmath.sqrt(k ** 2 + 2)) / 2)
        s = 1 / (a_lim * mpmath.sqrt(2))  # w = perp + s x1 / sqrt(2)
        return t_cross, (a_lim, perp[0] + s / mpmath.sqrt(2), perp[1] - s / mpmath.sqrt(2))


def test_transversal_crossing_after_shrinking_steps_is_proved():
    flow = gradient_flow(build_model("neuron", dim=2, activation="relu"),
                         Dataset([[1, -1], [1, 2]], [1, 0]))
    result = prove_flow_limit(flow, ["0", "1/2", "0"], prec=64)
    assert isinstance(result, ProvedLimit), result.reason
    t_cross, limit = _oracle()
    assert 3.15 < t_cross < 3.16
    with mpmath.workdps(30):
        dist = mpmath.sqrt(sum((mpmath.mpf(c.numerator) / c.denominator - v) ** 2
                               for c, v in zip(result.centre, limit, strict=True)))
        radius = mpmath.mpf(result.radius_upper.numerator) / result.radius_upper.denominator
        assert dist <= radius + mpmath.mpf("1e-25")
