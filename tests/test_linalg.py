"""igproof.linalg against sympy's exact matrices (an independent implementation)."""

from __future__ import annotations

from fractions import Fraction

import sympy
from hypothesis import given
from hypothesis import strategies as st

from igproof.linalg import independent_rows, rank, solve, solve_consistent

entries = st.fractions(min_value=-3, max_value=3, max_denominator=4)


def matrices(rows: int, cols: int):
    return st.lists(st.lists(entries, min_size=cols, max_size=cols), min_size=rows,
                    max_size=rows)


def _sym(m):
    return sympy.Matrix([[sympy.Rational(v.numerator, v.denominator) for v in r] for r in m])


@given(st.integers(1, 4).flatmap(lambda r: st.integers(1, 4).flatmap(
    lambda c: matrices(r, c))))
def test_rank_is_sympys_rank(m):
    assert rank(m) == _sym(m).rank()


@given(st.integers(1, 4).flatmap(lambda n: st.tuples(matrices(n, n), matrices(n, 1))))
def test_square_solve_is_the_solution_or_none_when_singular(args):
    m, b = args
    rhs = [r[0] for r in b]
    x = solve(m, rhs)
    if _sym(m).det() == 0:
        assert x is None
    else:
        assert _sym(m) * sympy.Matrix([sympy.Rational(v.numerator, v.denominator)
                                       for v in x]) == _sym(b)


@given(st.integers(1, 4).flatmap(lambda r: st.integers(1, 4).flatmap(
    lambda c: st.tuples(matrices(r, c), matrices(r, 1)))))
def test_consistent_solve_solves_exactly_when_the_system_is_consistent(args):
    m, b = args
    rhs = [r[0] for r in b]
    x = solve_consistent(m, rhs)
    augmented_rank = _sym([[*r, v] for r, v in zip(m, rhs, strict=True)]).rank()
    if augmented_rank > _sym(m).rank():
        assert x is None
    else:
        assert all(sum((a * xi for a, xi in zip(r, x, strict=True)), Fraction(0)) == v
                   for r, v in zip(m, rhs, strict=True))


@given(st.integers(1, 5).flatmap(lambda r: matrices(r, 3)))
def test_independent_rows_span_the_row_space_and_are_independent(m):
    chosen = independent_rows(m)
    assert _sym([m[i] for i in chosen]).rank() == len(chosen) == _sym(m).rank()
