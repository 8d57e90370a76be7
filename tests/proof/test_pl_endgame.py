"""PL end-game: the ball contains the limit; interval Cholesky decides definiteness soundly."""

from fractions import Fraction

import sympy
from flint import arb, arb_mat

from igproof.numeric.ball.arith import precision, to_arb
from igproof.proof.limits.endgame import EndgameFailure, interval_cholesky_pd, pl_endgame


def test_interval_cholesky_known_matrices():
    """[[2,1],[1,2]] is PD (eigenvalues 1, 3); [[1,2],[2,1]] is not (eigenvalue -1); a ball
    family containing a singular matrix is not certified."""
    assert interval_cholesky_pd(arb_mat([[2, 1], [1, 2]]))
    assert not interval_cholesky_pd(arb_mat([[1, 2], [2, 1]]))
    assert not interval_cholesky_pd(arb_mat([[arb(1, 1), 0], [0, 1]]))


def test_linear_regression_limit_ball_contains_solution():
    """f = w1 x1 + w2 x2 on two independent points: M_S = {w*} (w* = (1, 2)); from a box
    around (1 + 1e-8, 2 - 1e-8) the end-game ball contains w*."""
    w1, w2 = sympy.symbols("w1 w2")
    res = [w1 + w2 - 3, w1 - w2 + 1]
    with precision(128):
        box = [to_arb(Fraction(1) + Fraction(1, 10**8)), to_arb(Fraction(2) - Fraction(1, 10**8))]
        eg = pl_endgame((w1, w2), res, 2, box)
        assert not isinstance(eg, EndgameFailure)
        d2 = sum((to_arb(c) - v) ** 2 for c, v in zip(eg.centre, (1, 2), strict=True))
        assert d2 < eg.radius ** 2
        # mu = lambda / n and lambda <= lambda_min(J J^T) = 2 (J = [[1,1],[1,-1]])
        assert 0 < eg.lam <= 2 and eg.mu == eg.lam / 2


def test_constant_nonzero_residual_fails():
    """A point with constant nonzero residual (inactive ReLU, label 1): loss never -> 0."""
    w = sympy.Symbol("w")
    with precision(128):
        out = pl_endgame((w,), [w - 1, sympy.Integer(-1)], 2, [to_arb(1)])
    assert isinstance(out, EndgameFailure) and "constant" in out.reason


def test_rank_drop_fails():
    """At a saddle of a*w = 1 (a = w = 0) the residual gradient vanishes: no PL constant."""
    a, w = sympy.symbols("a w")
    with precision(128):
        out = pl_endgame((a, w), [a * w - 1], 1, [to_arb(0), to_arb(0)])
    assert isinstance(out, EndgameFailure)
