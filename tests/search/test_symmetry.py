"""The symmetries that a discovery run divides out (igproof.search.symmetry): for every group
element, the parameter map Q is a signed permutation (orthogonal) and the loss is invariant,
L(Q theta; P S) = L(theta; S), checked exactly on the model's own sympy expression (not on the
module's formulas). Together these give Q grad L(theta; S) = grad L(Q theta; P S): the flows
correspond. Then: the class key is constant on an orbit and separates a different instance."""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from igproof.search.overlap_search import Candidate, Family
from igproof.search.symmetry import _apply, _image, class_key, signed_permutations
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.models import build_model

FAMILIES = [Family("relu-neuron", "relu", 3), Family("neuron", "tanh", 2),
            Family("neuron", "leaky-relu", 2), Family("two-layer", "relu", 2, width=2),
            Family("two-layer", "relu", 1, width=2, bias=True, skip=True),
            Family("two-layer", "leaky-relu", 2, width=3)]
small = st.fractions(min_value=-2, max_value=2, max_denominator=3)


def _loss(family: Family, data: Dataset, theta) -> sympy.Expr:
    model = build_model(family.kind, dim=family.dim, activation=family.activation,
                        width=family.width, bias=family.bias, skip=family.skip)
    point = {p: sympy.Rational(q.numerator, q.denominator)
             for p, q in zip(model.parameters, theta, strict=True)}
    return sum((model.output(x).xreplace(point) - y) ** 2
               for x, y in zip(data.x, data.y, strict=True))


def _moved(data: Dataset, perm, signs) -> Dataset:
    return Dataset([_apply(perm, signs, x) for x in data.x], list(data.y))


def _n_params(family: Family) -> int:
    return len(build_model(family.kind, dim=family.dim, activation=family.activation,
                           width=family.width, bias=family.bias, skip=family.skip).parameters)


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.label)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_the_group_keeps_the_loss_and_acts_orthogonally(family, data):
    n = _n_params(family)
    theta = data.draw(st.lists(small, min_size=n, max_size=n))
    xs = data.draw(st.lists(st.lists(small, min_size=family.dim, max_size=family.dim),
                            min_size=1, max_size=3))
    ys = data.draw(st.lists(small, min_size=len(xs), max_size=len(xs)))
    ds = Dataset(xs, ys)
    elements = list(signed_permutations(family.dim))
    perm, signs = data.draw(st.sampled_from(elements))
    units = data.draw(st.permutations(range(family.width))) if family.kind == "two-layer" \
        else ()
    image = _image(family, theta, perm, signs, units)
    # Q is a signed permutation matrix: each basis vector goes to +- a basis vector, bijectively
    columns = [_image(family, [Fraction(int(i == k)) for i in range(n)], perm, signs, units)
               for k in range(n)]
    assert all(sum(c != 0 for c in col) == 1 and sum(abs(c) for c in col) == 1
               for col in columns)
    assert sorted(next(i for i, c in enumerate(col) if c) for col in columns) == list(range(n))
    assert image == tuple(sum(col[i] * theta[k] for k, col in enumerate(columns))
                          for i in range(n))
    # exact: every w_j . x_i is the same rational, so tanh's arguments agree too
    assert sympy.expand(_loss(family, ds, theta)) == sympy.expand(
        _loss(family, _moved(ds, perm, signs), image))


def _candidate(family, s1, s2, theta0, recipe="scaled"):
    return Candidate(family, recipe, Dataset(*s1), Dataset(*s2), tuple(map(Fraction, theta0)))


def test_class_key_is_constant_on_the_orbit_and_separates_instances():
    """The leaky neuron's branch-switch instance and three images (a rotation by 90 degrees,
    a reflection, the points listed in another order) share one class; another label does not."""
    fam = Family("neuron", "leaky-relu", 2)
    s1 = ([[1, 0], [0, 1]], [1, 50])
    base = _candidate(fam, s1, ([[1, 0], [0, 1], [1, 0]], [1, 50, 1]), ["1/100", 1, -3],
                      "repeated")
    rotated = _candidate(fam, ([[0, 1], [-1, 0]], [1, 50]),
                         ([[0, 1], [-1, 0], [0, 1]], [1, 50, 1]), ["1/100", 3, 1], "repeated")
    reflected = _candidate(fam, ([[-1, 0], [0, 1]], [1, 50]),
                           ([[-1, 0], [0, 1], [-1, 0]], [1, 50, 1]), ["1/100", -1, -3],
                           "repeated")
    reordered = _candidate(fam, ([[0, 1], [1, 0]], [50, 1]),
                           ([[1, 0], [1, 0], [0, 1]], [1, 1, 50]), ["1/100", 1, -3], "repeated")
    other = _candidate(fam, ([[1, 0], [0, 1]], [1, 25]), ([[1, 0], [0, 1], [1, 0]], [1, 25, 1]),
                       ["1/100", 1, -3], "repeated")
    keys = {c.class_key() for c in (base, rotated, reflected, reordered)}
    assert len(keys) == 1 and other.class_key() not in keys
    assert len({c.key() for c in (base, rotated, reflected, reordered)}) == 4  # file names


def test_hidden_units_swap_to_one_class():
    fam = Family("two-layer", "relu", 2, width=2)
    s = ([[1, 1], [0, -2]], [1, 0]), ([[1, 1], [0, -4]], [1, 0])
    a = _candidate(fam, *s, ["1/2", "1/3", "1/10", "1/5", 1, "-1/10"])
    swapped = _candidate(fam, *s, ["1/3", "1/2", 1, "-1/10", "1/10", "1/5"])
    assert a.class_key() == swapped.class_key()
    moved = _candidate(fam, *s, ["1/3", "1/2", "1/10", "1/5", 1, "-1/10"])  # v swapped alone
    assert moved.class_key() != a.class_key()


def test_group_order_is_the_hyperoctahedral_order():
    for d in (1, 2, 3):
        elements = list(signed_permutations(d))
        assert len(elements) == len(set(elements)) == 2 ** d * len(list(
            itertools.permutations(range(d))))
    assert class_key(Family("neuron", "relu", 1), "scaled", (Dataset([[1]], [1]),),
                     (Fraction(1), Fraction(1))) == class_key(
        Family("neuron", "relu", 1), "scaled", (Dataset([[-1]], [1]),),
        (Fraction(1), Fraction(-1)))
