"""The exact l1 program against an exhaustive vertex enumeration and HiGHS, and the minimality
decision on synthetic balls."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from scipy.optimize import linprog

from igproof.errors import InvalidArgument
from igproof.linalg import solve
from igproof.proof.spectral.nuclear import decide_minimality, l1_minimum
from igproof.verdict import Verdict

F = Fraction


def _brute_force(a, y):
    """min |d|_1 over all basic solutions (every set of rank-many columns), exactly."""
    m, n = len(a), len(a[0])
    best = None
    for cols in itertools.combinations(range(n), m):
        sub = [[a[i][c] for c in cols] for i in range(m)]
        sol = solve(sub, list(y))
        if sol is None:
            continue
        value = sum(abs(v) for v in sol)
        best = value if best is None else min(best, value)
    return best


PROBLEMS = [
    ([[4, 1, 0], [0, 4, 1]], [F(9, 4), F(1)]),
    ([[1, 2, -1, 3], [0, 1, 1, -2]], [F(1), F(1, 2)]),
    ([[3, -1, 2, 1, 0], [1, 1, 1, -1, 2], [0, 2, -1, 1, 1]], [F(1), F(2), F(-1, 3)]),
    ([[1, 1, 0], [0, 0, 1]], [F(1), F(1, 2)]),   # degenerate: a whole optimal face
]


@pytest.mark.parametrize(("a", "y"), PROBLEMS)
def test_l1_minimum_is_the_best_vertex_and_is_certified_exactly(a, y):
    sol = l1_minimum(a, y)
    assert all(sum(F(r[k]) * sol.d[k] for k in range(len(sol.d))) == yi
               for r, yi in zip(a, y, strict=True))
    at_lam = [sum(F(a[i][k]) * sol.lam[i] for i in range(len(a))) for k in range(len(a[0]))]
    assert max(abs(v) for v in at_lam) <= 1
    assert sum(li * yi for li, yi in zip(sol.lam, y, strict=True)) == sol.value
    assert sol.value == _brute_force([[F(v) for v in r] for r in a], y)
    res = linprog(np.ones(2 * len(a[0])), A_eq=np.hstack([np.array(a, float),
                                                          -np.array(a, float)]),
                  b_eq=np.array([float(v) for v in y]), bounds=(0, None), method="highs")
    assert abs(res.fun - float(sol.value)) < 1e-9


def test_unique_and_dependent_rows():
    sol = l1_minimum([[4, 1, 0], [0, 4, 1], [1, 0, 4]], [F(9, 4), F(1), F(1, 2)])
    assert sol.unique and sol.d == (F(1, 2), F(1, 4), F(0)) and sol.value == F(3, 4)
    dep = l1_minimum([[1, 2, 3], [2, 4, 6]], [F(1), F(2)])
    assert dep.rank == 1 and dep.value == F(1, 3)
    with pytest.raises(InvalidArgument):
        l1_minimum([[1, 2, 3], [2, 4, 6]], [F(1), F(3)])


def _ball_around(z, *, ratio=Fraction(1, 2)):
    """(u, v) with v = ratio u and u v = atanh(z) (float, then rational)."""
    u = [F(float(np.sqrt(np.arctanh(abs(zk)) / float(ratio)))) for zk in z]
    v = [F(float(np.sign(zk))) * ratio * uk for uk, zk in zip(u, z, strict=True)]
    return [*u, *v]


def test_decision_refutes_a_clearly_non_minimal_point():
    a, y = [[4, 1, 0], [0, 4, 1]], [F(9, 4), F(1)]
    # a feasible point with |z|_1 = 0.9 > 3/4: z = (1/2 - t/4 ... ) pick d2 = 0.2
    d2 = 0.2
    z = [(9 / 4 - d2) / 4, d2, 1 - 4 * d2]
    dec = decide_minimality(a, y, _ball_around(z), F(1, 10 ** 9), "tanh")
    assert dec.verdict is Verdict.REFUTED and dec.mode == "gap"
    assert abs(float(dec.gap_lower) - (sum(abs(t) for t in z) - 0.75)) < 1e-6


def test_decision_kkt_on_a_degenerate_face_and_undecided_on_a_wide_ball():
    a, y = [[4, 4, 0], [0, 0, 4]], [F(2), F(2)]
    centre = _ball_around([0.3, 0.2, 0.5])
    dec = decide_minimality(a, y, centre, F(1, 10 ** 9), "tanh")
    assert dec.verdict is Verdict.PROVED and dec.mode == "kkt" and dec.signs == (1, 1, 1)
    wide = decide_minimality(a, y, centre, F(1), "tanh")
    assert wide.verdict is Verdict.INCONCLUSIVE
