"""Zhang, Xu, Luo, Zhang: data-dependence of implicit regularization (arXiv:2201.12198).

Definitions: docs/implicit_regularization.md (igproof's formalization of the Two-point and
One-point Overlapping mechanisms, strong and weak forms).
"""

from __future__ import annotations

from igproof.papers.claims import Claim
from igproof.verdict import Verdict

PAPER = "zhang2023"
REFERENCE = ("L. Zhang, Z.-Q. J. Xu, T. Luo, Y. Zhang, Limitation of characterizing implicit "
             "regularization by data-independent functions, arXiv:2201.12198 (TMLR 2023)")


def _positive_control():
    from igproof.proof.characterization import conserved_level_set_characterizes

    return conserved_level_set_characterizes("relu")


CLAIMS = [
    Claim(
        id=f"{PAPER}.positive-control.relu-one-datum",
        paper=PAPER,
        reference=REFERENCE,
        statement=("For a*relu(w x) on one 1-D datum (x, y), x != 0, y != 0, the data-independent "
                   "G = (a^2 - w^2 - c)^2, c = a0^2 - w0^2, characterizes the gradient-flow limit "
                   "in the strong form: the limit is the unique minimizer of G on M_S."),
        hypotheses=("square loss, gradient flow", "relu with relu'(0) = 0",
                    "the limit exists and lies in M_S (definition of theta*)"),
        structured={"model": "neuron", "activation": "relu", "family": "one datum, x != 0, "
                    "y != 0", "G": "(a^2 - w^2 - c)^2", "form": "strong"},
        expected=Verdict.PROVED,
        check=_positive_control,
    ),
]
