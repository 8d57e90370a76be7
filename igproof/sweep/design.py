"""The design of a sweep: the grid (Cartesian product) or a seeded random sample of parameters.

A :class:`Point` is an exact assignment of the parameters (Fractions for numbers, the value
itself for model keys) with a stable ``point_id`` (a hash of the assignment), the key by which
an interrupted sweep recognises finished points.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import random
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from igproof.errors import InvalidArgument
from igproof.sweep.config import (
    MAX_POINTS,
    Parameter,
    SweepConfig,
    canonical,
    round_significant,
)

__all__ = ["Point", "design_points", "point_id"]


@dataclass(frozen=True)
class Point:
    """One design point: ``index`` in the design, ``values`` (name, exact value) pairs."""

    index: int
    point_id: str
    values: tuple[tuple[str, Any], ...]

    def as_dict(self) -> dict[str, Any]:
        return dict(self.values)


def point_id(values: tuple[tuple[str, Any], ...]) -> str:
    """sha256 of the canonical JSON of the assignment, 16 hex digits (2^-64 collisions)."""
    payload = json.dumps(canonical(dict(values)), sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _sample(p: Parameter, rng: random.Random, digits: int) -> Any:
    if p.kind == "values":
        return p.values[rng.randrange(len(p.values))]
    assert p.low is not None and p.high is not None
    u = rng.random()
    if p.kind == "log":
        v = math.exp(math.log(p.low) + u * (math.log(p.high) - math.log(p.low)))
    else:
        v = float(p.low) + u * (float(p.high) - float(p.low))
    q = round_significant(v, digits) if v != 0 else Fraction(0)
    return min(max(q, p.low), p.high)


def design_points(config: SweepConfig) -> list[Point]:
    """The points of the design, in order: the grid product (first parameter slowest) or
    ``points`` samples (log-uniform for log ranges) from ``random.Random(seed)``.

    Repeated random samples are dropped (a point is computed once), so a random design may
    hold slightly fewer points than asked.

    >>> from igproof.sweep.config import parse_config
    >>> c = parse_config('[parameters]\\ng = [1, 2]\\nh = [3, 4, 5]\\n[model]\\ndim = 1\\n'
    ...                  '[data]\\nx = [["g"]]\\ny = ["h"]\\n[init]\\ntheta0 = ["1"]')
    >>> len(design_points(c))
    6
    """
    names = config.parameter_names
    if config.design == "grid":
        size = math.prod(len(p.values) for p in config.parameters)
        if size > MAX_POINTS:
            raise InvalidArgument(f"[parameters]: the grid has {size} points, more than "
                                  f"{MAX_POINTS}; use fewer values or a random design")
        combos = itertools.product(*(p.values for p in config.parameters))
        assignments = [tuple(zip(names, combo, strict=True)) for combo in combos]
    else:
        rng = random.Random(config.seed)
        assignments = []
        for _ in range(config.n_random):
            assignments.append(tuple((p.name, _sample(p, rng, config.digits))
                                     for p in config.parameters))
    points: list[Point] = []
    seen: set[str] = set()
    for values in assignments:
        pid = point_id(values)
        if pid in seen:
            continue
        seen.add(pid)
        points.append(Point(len(points), pid, values))
    return points
