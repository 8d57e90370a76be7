"""The reduced matrix-sensing instances of the catalogue (exact data; docs/spectral.md).

All use tanh, X* = Phi diag(d) Psi^T with d >= 0 (a rank-2 3 x 3 target: d_3 = 0), and the
unbalanced aligned initialization u0 = (1/2, ...), v0 = (1/4, ...) (u_k^2 - v_k^2 = 3/16 > 0
keeps the Jacobian of full rank at the limit, so the PL end-game applies; a balanced start
u0 = v0 drives (u_3, v_3) to the degenerate point 0, where convergence is only algebraic).
"""

from __future__ import annotations

from fractions import Fraction

from igproof.proof.spectral.reduced import ReducedProblem

HALF, QUARTER = Fraction(1, 2), Fraction(1, 4)
D_RANK2 = (HALF, QUARTER, Fraction(0))

# 3 x 3, rank 2, 3 measurements with rank A = 3: the feasible diagonal is unique (= d).
UNIQUE = ReducedProblem.from_target([[4, 1, 0], [0, 4, 1], [1, 0, 4]], D_RANK2,
                                    [HALF] * 3, [QUARTER] * 3)
# 3 x 3, rank 2, 2 measurements: d is the minimal-l1 solution, the flow's limit is not.
GAP = ReducedProblem.from_target([[4, 1, 0], [0, 4, 1]], D_RANK2, [HALF] * 3, [QUARTER] * 3)
# 2 measurements whose minimal-l1 face {d_1 + d_2 = 1/2, d_1, d_2 >= 0, d_3 = 1/2} has points of
# full support: the limit is minimal (certified by KKT on the ball).
KKT = ReducedProblem.from_target([[4, 4, 0], [0, 0, 4]], [QUARTER, QUARTER, HALF],
                                 [HALF, QUARTER, HALF], [QUARTER] * 3)
