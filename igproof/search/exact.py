"""Exact rational datasets and the exact linear algebra the strategies need.

:class:`ExactDataset` is the search layer's record of a dataset S = {(x_i, y_i)} with
``Fraction`` entries; ``to_json`` gives the ``{"x": [["p/q", ...]], "y": [...]}`` form that
``igproof.symbolic.dataset.Dataset.from_json`` and certificates read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from igproof.errors import DataError
from igproof.rationals import fraction_to_text, parse_rational


@dataclass(frozen=True)
class ExactDataset:
    """n points x_i in Q^d with labels y_i in Q, as tuples of ``Fraction``.

    >>> ExactDataset.of([[1, "1/2"]], [1]).to_json()
    {'x': [['1', '1/2']], 'y': ['1']}
    """

    x: tuple[tuple[Fraction, ...], ...]
    y: tuple[Fraction, ...]

    def __post_init__(self) -> None:
        if not self.x:
            raise DataError("dataset: no points; give at least one (x, y) pair")
        if len(self.x) != len(self.y):
            raise DataError(f"dataset: {len(self.x)} inputs but {len(self.y)} labels")
        dims = {len(row) for row in self.x}
        if len(dims) != 1 or 0 in dims:
            raise DataError(f"dataset: inputs must all have the same positive length, got "
                            f"lengths {sorted(dims)}")

    @classmethod
    def of(cls, x: Sequence[Sequence[Any]], y: Sequence[Any]) -> ExactDataset:
        """Read numbers exactly (``"1/3"``, ``0.1`` means 1/10) into a dataset."""
        return cls(tuple(tuple(parse_rational(v, what="x entry") for v in row) for row in x),
                   tuple(parse_rational(v, what="y entry") for v in y))

    @property
    def n(self) -> int:
        return len(self.y)

    @property
    def dim(self) -> int:
        return len(self.x[0])

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) rounded to the nearest doubles, shapes (n, d) and (n,)."""
        return (np.array([[float(v) for v in row] for row in self.x]),
                np.array([float(v) for v in self.y]))

    def to_json(self) -> dict[str, list[Any]]:
        return {"x": [[fraction_to_text(v) for v in row] for row in self.x],
                "y": [fraction_to_text(v) for v in self.y]}


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
    from itertools import combinations

    if not points:
        return True
    d = len(points[0])
    k = min(len(points), d)
    return all(exact_rank([points[i] for i in subset]) == k
               for subset in combinations(range(len(points)), k))
