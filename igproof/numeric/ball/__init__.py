"""Ball arithmetic (python-flint ``arb``): validated enclosures of gradient-flow trajectories.

* :mod:`~igproof.numeric.ball.arith`   exact entry of constants, certain predicates, precision
* :mod:`~igproof.numeric.ball.taylor`  Taylor coefficients of x' = F(x) over balls
* :mod:`~igproof.numeric.ball.lohner`  validated Taylor steps with a Lohner (QR) set
* :mod:`~igproof.numeric.ball.affine`  affine ReLU pieces, exp(tM), certified switching times

Everything here returns enclosures (never approximate values); failures raise
:class:`igproof.errors.EnclosureFailure` with the time, step and set. See docs/validated.md.
"""

from igproof.numeric.ball.affine import AffinePiece, PieceRun, Switch, is_affine, propagate_piece
from igproof.numeric.ball.arith import certain_sign, certainly_lt, precision, to_arb
from igproof.numeric.ball.lohner import (
    LohnerSet,
    SmoothFlow,
    SmoothRun,
    StepRecord,
    integrate_smooth,
    lohner_step,
)
from igproof.numeric.ball.taylor import FieldProgram, variational_exprs

__all__ = [
    "AffinePiece",
    "FieldProgram",
    "LohnerSet",
    "PieceRun",
    "SmoothFlow",
    "SmoothRun",
    "StepRecord",
    "Switch",
    "certain_sign",
    "certainly_lt",
    "integrate_smooth",
    "is_affine",
    "lohner_step",
    "precision",
    "propagate_piece",
    "to_arb",
    "variational_exprs",
]
