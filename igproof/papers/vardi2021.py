"""Vardi, Shamir: implicit regularization in ReLU networks with the square loss (arXiv:2012.05156).

Three entries: the conservation law |w_j|^2 - v_j^2 of depth-2 ReLU networks (exact algebra), the
impossibility of characterizing the implicit regularization of one ReLU neuron by any function G,
which igproof certifies as the Two-point instance ``zhang2023.two-point.relu-neuron`` (this entry
runs that entry's check; docs/single_neuron.md), and the same impossibility for one-hidden-layer
ReLU networks (width 2), certified through ``igproof overlap``'s path (docs/overlap.md).
"""

from __future__ import annotations

from igproof.certificate import overlap_instances
from igproof.papers.checks import single_neuron as checks
from igproof.papers.claims import Claim, catalogue
from igproof.verdict import Outcome, Verdict

PAPER = "vardi2021"
REFERENCE = ("G. Vardi, O. Shamir, Implicit regularization in ReLU networks with the square "
             "loss, COLT 2021, arXiv:2012.05156")



# The linked entry, and the prefix used to find a Two-point ReLU entry if the id ever changes.
TWO_POINT_ID = "zhang2023.two-point.relu-neuron"
TWO_POINT_PREFIX = "zhang2023.two-point"


def check_two_point_link() -> Outcome:
    """Run the zhang2023 Two-point ReLU-neuron entry's check and report its outcome as ours."""
    claims = catalogue(["zhang2023"])
    chosen = [c for c in claims if c.id == TWO_POINT_ID]
    if not chosen:
        chosen = [c for c in claims if c.id.startswith(TWO_POINT_PREFIX + ".") and "relu" in c.id]
    if not chosen:
        return Outcome(Verdict.INCONCLUSIVE, f"no catalogue entry {TWO_POINT_ID} (nor one with "
                       f"the prefix {TWO_POINT_PREFIX} and 'relu' in its id) to link to")
    claim = chosen[0]
    inner = claim.check()
    details = {"linked_claim": claim.id, "linked_verdict": str(inner.verdict),
               "linked_details": inner.details}
    return Outcome(inner.verdict, f"via {claim.id}: {inner.evidence}", details,
                   certificate=inner.certificate)


CLAIMS = [
    Claim(
        id=f"{PAPER}.balancedness.depth2",
        paper=PAPER,
        reference=REFERENCE,
        statement=("For f = sum_j v_j relu(w_j.x) and the square loss, gradient flow conserves "
                   "|w_j|^2 - v_j^2 for every unit j, on every dataset and in every activation "
                   "pattern."),
        hypotheses=("square loss, gradient flow", "relu'(0) = 0",
                    "the field of a dataset is the mean of per-datum fields"),
        structured={"model": "two-layer", "activation": "relu",
                    "conserved": "|w_j|^2 - v_j^2",
                    "proof": "chain rule in z_j = w_j.x (every d and width)",
                    "cross_check_shapes": ["d=1,m=1", "d=2,m=2", "d=3,m=2"]},
        expected=Verdict.PROVED,
        check=checks.check_balancedness,
    ),
    Claim(
        id=f"{PAPER}.impossibility.relu-neuron",
        paper=PAPER,
        reference=REFERENCE,
        statement=("No function G characterizes the implicit regularization of gradient flow on "
                   "a single ReLU neuron relu(w.x) with the square loss (strong form): "
                   "certified by the Two-point instance zhang2023.two-point.relu-neuron (two "
                   "datasets with the same zero-loss set and different certified limits)."),
        hypotheses=("square loss, gradient flow from a fixed small theta0", "relu'(0) = 0",
                    "the linked entry's hypotheses"),
        structured={"link": "zhang2023.two-point.relu-neuron", "mechanism": "two-point",
                    "model": "relu-neuron", "dim": 3},
        expected=Verdict.PROVED,
        check=check_two_point_link,
    ),
    Claim(
        id=f"{PAPER}.impossibility.two-layer",
        cost=1.7,
        paper=PAPER,
        reference=REFERENCE,
        statement=("No function G characterizes the implicit regularization of gradient flow on "
                   "a one-hidden-layer ReLU network v1 relu(w1.x) + v2 relu(w2.x) with the "
                   "square loss (strong form): on S_g = {((1,0),1), ((-g,g),0)} from theta0 = "
                   "(1/2, 1/2; 1/10, 3/10; 1/5, -1/5) the limits for g = 1 and g = 2 differ and "
                   "both lie in M_S1 ∩ M_S2 (Two-point Overlapping)."),
        hypotheses=("square loss, gradient flow from the stated theta0", "relu'(0) = 0",
                    "the limits exist and lie in M_S (proved, not assumed)",
                    "(-g,g) is strictly inactive on both certified limit balls"),
        structured={"mechanism": "two-point", "model": "two-layer", "width": 2, "dim": 2,
                    "recipe": "strictly-inactive (zero-on-ball)", "gammas": ["1", "2"],
                    "excludes": "every G (strong form)",
                    "data": "examples/overlap/vardi2021-two-layer",
                    "certificate": "certificates/vardi2021-two-point-two-layer.json"},
        expected=Verdict.PROVED,
        check=overlap_instances.two_point_two_layer,
    ),
]
