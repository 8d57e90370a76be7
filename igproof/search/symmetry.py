"""Overlapping instances up to the symmetries of the gradient flow.

Let P be a signed permutation of the input coordinates (P e_k = s_k e_pi(k), s_k = +-1: the
hyperoctahedral group, 2^d d! elements) and, for two-layer nets, tau a permutation of the m
hidden units. The map

    x_i -> P x_i (every point of S1 and S2),
    w_j -> P w_j (every unit's input weights; the neuron's w), u -> P u (skip part),
    (v_j, w_j, b_j) -> (v_tau(j), w_tau(j), b_tau(j)),

keeps every w_j . x_i and u . x_i, hence the loss, and acts on the parameters by an orthogonal
matrix Q. So theta(t) is a gradient-flow trajectory from theta0 on S iff Q theta(t) is one from
Q theta0 on P S: the two instances have the same limits up to Q, the same zero-loss-set
relations and the same Overlapping verdict. The order of the points inside a dataset is a
symmetry too (the loss is a sum). :func:`class_key` is one name for the whole orbit, the least
text over the group; a discovery run counts an instance only if its orbit is new.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Iterator, Sequence
from fractions import Fraction
from typing import Any

# Orbits are enumerated only up to this many group elements (2^d d! m!: d = 3, m = 3 is 288);
# larger families keep the plain identity of the instance.
MAX_GROUP_ORDER = 5000


def signed_permutations(dim: int) -> Iterator[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Every (pi, s) with (P x)_pi(k) = s_k x_k: 2^dim dim! elements, the identity first."""
    for perm in itertools.permutations(range(dim)):
        for signs in itertools.product((1, -1), repeat=dim):
            yield perm, signs


def _apply(perm: Sequence[int], signs: Sequence[int], vector: Sequence[Fraction]
           ) -> tuple[Fraction, ...]:
    out: list[Fraction] = [Fraction(0)] * len(vector)
    for k, (p, s) in enumerate(zip(perm, signs, strict=True)):
        out[p] = s * vector[k]
    return tuple(out)


def _split(family: Any, theta: Sequence[Fraction]) -> tuple[list[Any], ...]:
    """theta in docs/models.md order as (outer weights a or v_j, rows w_j, biases, skip u, c)."""
    d, m = family.dim, family.width
    theta = list(theta)
    if family.kind == "relu-neuron":
        return [], [tuple(theta)], [], [], []
    if family.kind == "neuron":
        return [theta[0]], [tuple(theta[1:1 + d])], theta[1 + d:], [], []
    rows = [tuple(theta[m + j * d: m + (j + 1) * d]) for j in range(m)]
    rest = theta[m + m * d:]
    biases = rest[:m] if family.bias else []
    rest = rest[m:] if family.bias else rest
    skip = [tuple(rest[:d])] if family.skip else []
    return theta[:m], rows, biases, skip, rest[d:] if family.skip else []


def _image(family: Any, theta: Sequence[Fraction], perm: Sequence[int], signs: Sequence[int],
           units: Sequence[int]) -> tuple[Fraction, ...]:
    """Q theta for the signed permutation (perm, signs) and the unit permutation ``units``."""
    outer, rows, biases, skip, const = _split(family, theta)
    rows = [_apply(perm, signs, r) for r in rows]
    skip = [_apply(perm, signs, u) for u in skip]
    if family.kind == "two-layer":
        outer = [outer[j] for j in units]
        rows = [rows[j] for j in units]
        biases = [biases[j] for j in units] if biases else []
    return (*outer, *itertools.chain.from_iterable(rows), *biases,
            *itertools.chain.from_iterable(skip), *const)


def group_order(family: Any) -> int:
    units = math.factorial(family.width) if family.kind == "two-layer" else 1
    return 2 ** family.dim * math.factorial(family.dim) * units


def class_key(family: Any, recipe: str, datasets: Sequence[Any],
              theta0: Sequence[Fraction]) -> str:
    """A stable name of the orbit of (datasets, theta0) under the flow's symmetries (module
    docstring): the hash of the least text over the group, with each dataset's points sorted."""
    if group_order(family) > MAX_GROUP_ORDER:
        return _digest(repr((family.label, recipe, [_points(ds.x, ds.y) for ds in datasets],
                             [str(t) for t in theta0])))
    unit_perms = (list(itertools.permutations(range(family.width)))
                  if family.kind == "two-layer" else [()])
    best: str | None = None
    for perm, signs in signed_permutations(family.dim):
        moved = [_points([_apply(perm, signs, x) for x in ds.x], ds.y) for ds in datasets]
        for units in unit_perms:
            text = repr((family.label, recipe, moved,
                         [str(t) for t in _image(family, theta0, perm, signs, units)]))
            best = text if best is None or text < best else best
    assert best is not None
    return _digest(best)


def _points(xs: Sequence[Sequence[Fraction]], ys: Sequence[Fraction]) -> list[str]:
    return sorted(repr(([str(c) for c in x], str(y))) for x, y in zip(xs, ys, strict=True))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]
