"""Exact linear algebra the strategies need (rank, general position), over ``Fraction``.

The dataset type itself is :class:`igproof.symbolic.dataset.Dataset` (the one dataset type of
igproof; the search draws it and reads its float view with ``Dataset.arrays``).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from itertools import combinations


def exact_rank(rows: Sequence[Sequence[Fraction]]) -> int:
    """Rank of a rational matrix by exact Gaussian elimination.

    >>> exact_rank([[Fraction(1), Fraction(2)], [Fraction(2), Fraction(4)]])
    1
    """
    m = [list(map(Fraction, row)) for row in rows]
    rank, cols = 0, len(m[0]) if m else 0
    for col in range(cols):
        pivot = next((r for r in range(rank, len(m)) if m[r][col] != 0), None)
        if pivot is None:
            continue
        m[rank], m[pivot] = m[pivot], m[rank]
        for r in range(len(m)):
            if r != rank and m[r][col] != 0:
                factor = m[r][col] / m[rank][col]
                m[r] = [a - factor * b for a, b in zip(m[r], m[rank], strict=True)]
        rank += 1
    return rank


def in_general_position(points: Sequence[Sequence[Fraction]]) -> bool:
    """Every set of at most d of the points is linearly independent (exactly).

    For points through the origin (no bias) this is what "generic" means for the neuron
    models: no point is 0, no two are parallel, ..., every d of them span R^d.
    """
    if not points:
        return True
    d = len(points[0])
    k = min(len(points), d)
    return all(exact_rank([points[i] for i in subset]) == k
               for subset in combinations(range(len(points)), k))
