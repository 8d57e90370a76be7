"""A researcher's own lemmas, checked by `igproof verify --claims examples/claims/my_lemmas.py`.

Each claim is an :class:`igproof.papers.claims.Claim` record, the same data the built-in catalogue
uses (igproof/papers/*.py): an id ``paper.topic.variant`` that starts with the ``paper`` key, the
reference, the statement, the expected verdict and ``check``, a function returning an
:class:`igproof.verdict.Outcome`. The module-level ``CLAIMS`` list is what igproof loads.

Walk-through: docs/adding_a_claim.md. Running this file with ``--claims`` executes it as Python,
like pytest runs a test file: it is your own code, named on the command line.
"""

from __future__ import annotations

from fractions import Fraction

from igproof.papers.claims import Claim
from igproof.proof.minnorm.claims import certify_unique_minimizer, tangent_dual
from igproof.proof.minnorm.exact import Kink
from igproof.verdict import Outcome, Verdict

PAPER = "mylemmas"
REFERENCE = "My notes on one ReLU neuron and 1-D interpolation (2026)"

# f = relu(w.x), square loss: d/dt |w|^2/2 = (1/n) sum_i s_i (y_i - u_i) u_i with u_i = w.x_i and
# s_i = 1 when u_i > 0 (Lee, Sim, Ye 2022). This instance: two under-fit active points.
NEURON_X = ((Fraction(1), Fraction(0)), (Fraction(1), Fraction(1)), (Fraction(-1), Fraction(2)))
NEURON_Y = (Fraction(2), Fraction(3), Fraction(1))
NEURON_W = (Fraction(1, 2), Fraction(1, 4))

# 1-D data whose minimal-norm interpolator (biases penalised) is f = 4 (x - 3/4)_+ (cost 5).
MINNORM_X = (Fraction(-1), Fraction(0), Fraction(1), Fraction(2))
MINNORM_Y = (Fraction(0), Fraction(0), Fraction(1), Fraction(5))
MINNORM_KINKS = (Kink(Fraction(3, 4), Fraction(4)),)


def norm_rate(xs, ys, w) -> Fraction:
    """d/dt |w|^2/2 = (1/n) sum_i [w.x_i > 0] (y_i - w.x_i) w.x_i, exactly."""
    total = Fraction(0)
    for x, y in zip(xs, ys, strict=True):
        u = sum((a * b for a, b in zip(w, x, strict=True)), Fraction(0))
        if u > 0:
            total += (y - u) * u
    return total / len(xs)


def check_norm_grows() -> Outcome:
    """PROVED when the exact rate is positive at NEURON_W."""
    rate = norm_rate(NEURON_X, NEURON_Y, NEURON_W)
    details = {"rate": str(rate), "w": [str(v) for v in NEURON_W]}
    if rate > 0:
        return Outcome(Verdict.PROVED, f"exact: d/dt |w|^2/2 = {rate} > 0 at w = (1/2, 1/4)",
                       details)
    return Outcome(Verdict.INCONCLUSIVE, f"the rate is {rate}, not positive", details)


def check_unique_interpolant() -> Outcome:
    """PROVED when igproof's exact certificate shows the interpolant is the unique minimiser."""
    phi = tangent_dual(MINNORM_X, MINNORM_KINKS)
    if phi is None:
        return Outcome(Verdict.INCONCLUSIVE, "no exact dual from the kinks' tangents")
    cert = certify_unique_minimizer(MINNORM_X, MINNORM_Y, MINNORM_KINKS, phi)
    verdict = Verdict.PROVED if cert.unique else Verdict.INCONCLUSIVE
    return Outcome(verdict, f"exact: {cert.reason}", {"cost": str(cert.cost)})


CLAIMS = [
    Claim(
        id=f"{PAPER}.norm.grows-when-underfit",
        paper=PAPER,
        reference=REFERENCE,
        statement=("For relu(w.x) on {((1,0),2), ((1,1),3), ((-1,2),1)}, |w| strictly grows "
                   "at w = (1/2, 1/4): both active points are under-fit."),
        hypotheses=("square loss (1/2n) sum (relu(w.x_i) - y_i)^2", "relu'(0) = 0"),
        structured={"x": [[1, 0], [1, 1], [-1, 2]], "y": [2, 3, 1], "w": ["1/2", "1/4"]},
        expected=Verdict.PROVED,
        check=check_norm_grows,
    ),
    Claim(
        id=f"{PAPER}.minnorm.unique",
        paper=PAPER,
        reference=REFERENCE,
        statement=("With penalised biases, f = 4 (x - 3/4)_+ is the unique minimal-norm "
                   "interpolant of x = (-1, 0, 1, 2), y = (0, 0, 1, 5) (cost 5)."),
        hypotheses=("cost int sqrt(1 + x^2) d|f''|",),
        expected=Verdict.PROVED,
        check=check_unique_interpolant,
    ),
]
