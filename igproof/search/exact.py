"""Exact linear algebra the strategies need (rank, general position), over ``Fraction``.

The dataset type itself is :class:`igproof.symbolic.dataset.Dataset` (the one dataset type of
igproof; the search draws it and reads its float view with ``Dataset.arrays``).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from itertools import combinations

from igproof.linalg import rank


def exact_rank(rows: Sequence[Sequence[Fraction]]) -> int:
    """Rank of a rational matrix, exactly (:func:`igproof.linalg.rank`).

    >>> exact_rank([[Fraction(1), Fraction(2)], [Fraction(2), Fraction(4)]])
    1
    """
    return rank(rows)


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
