"""Exact datasets S = {(x_i, y_i)}_{i=1..n} of rationals.

A dataset is a MULTISET: a point may be repeated, and repetition re-weights it in the loss
L_S = (1/2n) sum_i (f(x_i) - y_i)^2 (so it changes the gradient flow) while the zero-loss set
M_S = {theta : f(x_i; theta) = y_i for all i} only sees the support.

This is igproof's one dataset type: the flow API (:func:`igproof.symbolic.flow.gradient_flow`),
the Hypothesis strategies (:func:`igproof.strategies.datasets`), the search driver and the
certificate producers all take it. :meth:`Dataset.arrays` gives the float view the search
surrogate integrates.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from igproof.errors import DataError
from igproof.rationals import fraction_to_text, parse_rational

if TYPE_CHECKING:
    import numpy as np  # heavy (~0.1 s): only the float view needs it (see Dataset.arrays)

__all__ = ["Dataset"]

# Largest dataset accepted by the symbolic layer: sympy expressions grow linearly in n, and
# beyond a few thousand points the exact flow is too large to be useful.
MAX_POINTS = 5000


def _is_sequence(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def _plain(value: Any) -> Any:
    """numpy arrays and scalars as Python lists and numbers (read exactly afterwards)."""
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        return value.tolist()
    return value


class Dataset:
    """S = ((x_1, y_1), ..., (x_n, y_n)) with x_i in Q^d and y_i in Q, validated.

    Parameters
    ----------
    x : sequence of sequences of rationals
        The inputs, one row per point (ints, Fractions, or text "p/q" / decimals).
    y : sequence of rationals
        The labels.

    Raises
    ------
    DataError
        Empty data, ragged rows, length mismatch, unreadable or non-finite numbers; the message
        names the row.

    Notes
    -----
    Repeated points are allowed: S is a multiset (see the module docstring).

    Examples
    --------
    >>> Dataset([[1, "1/2"]], [1]).to_json()
    {'x': [['1', '1/2']], 'y': ['1']}
    """

    def __init__(self, x: Sequence[Sequence[Any]], y: Sequence[Any]) -> None:
        x, y = _plain(x), _plain(y)
        if not _is_sequence(x):
            raise DataError(f"x: expected a list of rows, got {type(x).__name__}")
        if not _is_sequence(y):
            raise DataError(f"y: expected a list of labels, got {type(y).__name__}")
        if len(x) == 0:
            raise DataError("x: the dataset is empty (need at least one point)")
        if len(x) > MAX_POINTS:
            raise DataError(f"x: {len(x)} points is more than the symbolic layer accepts "
                            f"(at most {MAX_POINTS})")
        if len(x) != len(y):
            raise DataError(f"x and y: {len(x)} input rows but {len(y)} labels")
        rows = []
        dim = None
        for i, row in enumerate(x):
            row = _plain(row)
            if not _is_sequence(row):
                raise DataError(f"x[{i}]: expected a list of numbers, got {row!r}")
            if len(row) == 0:
                raise DataError(f"x[{i}]: empty row (need at least one coordinate)")
            if dim is None:
                dim = len(row)
            elif len(row) != dim:
                raise DataError(f"x[{i}]: ragged rows, this row has {len(row)} coordinates "
                                f"but x[0] has {dim}")
            rows.append(tuple(parse_rational(_plain(v), what=f"x[{i}][{k}]")
                              for k, v in enumerate(row)))
        self.x: tuple[tuple[Fraction, ...], ...] = tuple(rows)
        self.y: tuple[Fraction, ...] = tuple(parse_rational(_plain(v), what=f"y[{i}]")
                                             for i, v in enumerate(y))

    @property
    def n(self) -> int:
        """Number of points (with repetitions)."""
        return len(self.x)

    @property
    def dim(self) -> int:
        """Input dimension d."""
        return len(self.x[0])

    def __len__(self) -> int:
        return self.n

    def __iter__(self) -> Iterator[tuple[tuple[Fraction, ...], Fraction]]:
        return iter(zip(self.x, self.y, strict=True))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Dataset) and self.x == other.x and self.y == other.y

    def __hash__(self) -> int:
        return hash((self.x, self.y))

    def __repr__(self) -> str:
        """``Dataset(x=[['1', '1/2']], y=['1'])``: exact and re-readable, so that a falsifying
        example printed by Hypothesis can be pasted back."""
        data = self.to_json()
        return f"Dataset(x={data['x']!r}, y={data['y']!r})"

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) rounded to the nearest doubles, shapes (n, d) and (n,).

        Guarantee: none (each entry is the double nearest the exact rational); the float view
        the search surrogate integrates.
        """
        import numpy as np

        return (np.array([[float(v) for v in row] for row in self.x]),
                np.array([float(v) for v in self.y]))

    def support(self) -> frozenset[tuple[tuple[Fraction, ...], Fraction]]:
        """The set of distinct pairs (x_i, y_i): what the zero-loss set depends on."""
        return frozenset(self)

    def multiplicities(self) -> Counter:
        """How many times each pair (x_i, y_i) occurs."""
        return Counter(self)

    def check_dim(self, dim: int, *, what: str = "model") -> None:
        """Raise DataError naming the first row whose length is not ``dim``."""
        if self.dim != dim:
            raise DataError(f"x[0]: the {what} takes inputs of dimension {dim}, but the data rows "
                            f"have {self.dim} coordinates")

    @classmethod
    def from_json(cls, obj: Any) -> Dataset:
        """Read ``{"x": [[...], ...], "y": [...]}``; numbers are ints, Fractions or text.

        Use :func:`igproof.rationals.loads_exact` to parse the JSON text so that decimals are
        exact.
        """
        if not isinstance(obj, Mapping):
            raise DataError(f"dataset: expected an object with keys 'x' and 'y', got "
                            f"{type(obj).__name__}")
        missing = [k for k in ("x", "y") if k not in obj]
        if missing:
            raise DataError(f"dataset: missing key(s) {missing} (expected 'x' and 'y')")
        extra = sorted(set(obj) - {"x", "y"})
        if extra:
            raise DataError(f"dataset: unknown key(s) {extra} (expected only 'x' and 'y')")
        return cls(obj["x"], obj["y"])

    def to_json(self) -> dict[str, Any]:
        """``{"x": [["p/q", ...], ...], "y": ["p/q", ...]}`` with exact number text."""
        return {"x": [[fraction_to_text(v) for v in row] for row in self.x],
                "y": [fraction_to_text(v) for v in self.y]}
