"""Exact linear algebra over the rationals: Gauss-Jordan elimination and what it gives.

One elimination serves every producer and proof (rank, square solves, consistent solves of
rectangular systems, independent rows); the independent checker keeps its own. Entries are
converted with ``Fraction``, so ints, Fractions and exact decimal strings are accepted.

>>> rank([[1, 2], [2, 4]])
1
>>> solve([[2, 1], [1, 3]], [3, 5])
[Fraction(4, 5), Fraction(7, 5)]
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

Matrix = list[list[Fraction]]


def row_reduce(matrix: Sequence[Sequence[Any]], rhs: Sequence[Any] | None = None
               ) -> tuple[Matrix, list[int]]:
    """Reduced row echelon form of [matrix | rhs] (rhs optional) and the pivot columns.

    Gauss-Jordan in exact arithmetic; pivots are taken only among the columns of ``matrix``.
    """
    rows = [[Fraction(v) for v in row] for row in matrix]
    cols = len(rows[0]) if rows else 0
    if rhs is not None:
        rows = [[*row, Fraction(b)] for row, b in zip(rows, rhs, strict=True)]
    pivots: list[int] = []
    r = 0
    for c in range(cols):
        piv = next((i for i in range(r, len(rows)) if rows[i][c] != 0), None)
        if piv is None:
            continue
        rows[r], rows[piv] = rows[piv], rows[r]
        for i in range(len(rows)):
            if i != r and rows[i][c] != 0:
                f = rows[i][c] / rows[r][c]
                rows[i] = [a - f * b for a, b in zip(rows[i], rows[r], strict=True)]
        pivots.append(c)
        r += 1
        if r == len(rows):
            break
    return rows, pivots


def rank(matrix: Sequence[Sequence[Any]]) -> int:
    """The rank of a rational matrix, exactly."""
    return len(row_reduce(matrix)[1])


def solve_consistent(matrix: Sequence[Sequence[Any]], rhs: Sequence[Any]
                     ) -> list[Fraction] | None:
    """Some x with matrix x = rhs (any shape; free variables 0), or None when there is none."""
    cols = len(matrix[0]) if matrix else 0
    rows, pivots = row_reduce(matrix, rhs)
    if any(rows[i][cols] != 0 for i in range(len(pivots), len(rows))):
        return None
    x = [Fraction(0)] * cols
    for i, c in enumerate(pivots):
        x[c] = rows[i][cols] / rows[i][c]
    return x


def solve(matrix: Sequence[Sequence[Any]], rhs: Sequence[Any]) -> list[Fraction] | None:
    """The unique solution of matrix x = rhs (matrix square), or None when it is singular."""
    rows, pivots = row_reduce(matrix, rhs)
    if len(pivots) < len(matrix):
        return None
    n = len(matrix)
    return [rows[i][n] / rows[i][i] for i in range(n)]


def independent_rows(matrix: Sequence[Sequence[Any]]) -> list[int]:
    """Indices of the first maximal linearly independent subset of the rows (greedy, exact)."""
    chosen: list[int] = []
    for i in range(len(matrix)):
        if rank([matrix[j] for j in (*chosen, i)]) > len(chosen):
            chosen.append(i)
    return chosen
