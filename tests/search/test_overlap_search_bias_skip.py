"""Overlap search over two-layer nets with biases and a skip part (boursier2023's architecture).

The ``repeated`` recipe keeps the zero-loss set exactly (a multiset with the same support); the
seeded search certifies a Two-point instance and the independent checker accepts its file. The
shared zero-loss set is re-derived here by a route of its own: the sympy residuals
f(theta, x_i) - y_i of the two datasets, compared as sets (M_S is the common zero set of its
distinct residuals, so equal residual sets give equal M_S)."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy
from hypothesis import HealthCheck, given, settings

from igproof.certificate.common import recheck
from igproof.certificate.writer import write_certificate
from igproof.checker import check_file
from igproof.errors import InvalidArgument
from igproof.search.overlap_search import (
    FAMILIES,
    Candidate,
    Screen,
    certificate_name,
    certify_candidate,
    find_overlap,
    get_family,
    overlap_candidates,
    repeated_certifies,
    screen_candidate,
)
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.zero_loss import same_zero_loss_set
from igproof.verdict import Verdict

BOURSIER = get_family("two-layer", bias=True, skip=True)


def _residuals(family, ds) -> set[sympy.Expr]:
    """{f(theta, x_i) - y_i} as sympy expressions built from the model's formula (a set: a
    repeated point gives the same residual)."""
    model = family.model()
    out = set()
    for xi, yi in zip(ds.x, ds.y, strict=True):
        subs = {s: sympy.Rational(Fraction(v).numerator, Fraction(v).denominator)
                for s, v in zip(model.inputs, xi, strict=True)}
        out.add(sympy.expand(model.expression.subs(subs) - sympy.Rational(str(yi))))
    return out


def test_family_shape_and_recipes():
    """Width 2, d = 1, 8 parameters (v, w, b, u, c); only the recipes that keep M_S exactly."""
    assert (BOURSIER.width, BOURSIER.dim, BOURSIER.surrogate.n_params) == (2, 1, 8)
    assert BOURSIER.label == "two-layer-2/relu+bias+skip"
    assert BOURSIER.recipes_for("two-point") == ("repeated",)
    assert BOURSIER.recipes_for("one-point") == ("repeated", "superset")
    # the pre-activation w_j x + b_j as a dot product with (x, 1)
    theta = (1, 2, 3, 4, 5, 6, 7, 8)
    assert [sum(a * b for a, b in zip(w, BOURSIER.point((Fraction(1, 2),)), strict=True))
            for w in BOURSIER.units(theta)] == [Fraction(3, 2) + 5, 2 + 6]


def test_repeated_pairs_have_equal_residual_sets():
    """Every drawn repeated pair: the same residual set (sympy) and M_S1 = M_S2 decided by the
    exact same-support route."""
    @settings(max_examples=15, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(overlap_candidates(BOURSIER, ("repeated",)))
    def check(candidate):
        assert len(candidate.s2.x) == len(candidate.s1.x) + 1
        assert _residuals(BOURSIER, candidate.s1) == _residuals(BOURSIER, candidate.s2)
        rel = same_zero_loss_set(BOURSIER.model(), candidate.s1, candidate.s2)
        assert rel.relation == "equal" and "same-support" in rel.recipes

    check()


def test_seeded_search_certifies_and_checker_accepts(tmp_path):
    """find_overlap(seed 0) on width 2 gives a repeated pair whose certificate is PROVED and
    accepted by the independent checker from its file; its datasets share M_S by the
    residual-set route."""
    found = find_overlap(BOURSIER, seed=0, max_points=2)
    cand = found.candidate
    assert cand is not None and cand.recipe == "repeated"
    assert _residuals(BOURSIER, cand.s1) == _residuals(BOURSIER, cand.s2)
    out = certify_candidate(cand)
    assert out.verdict is Verdict.PROVED, out.details.get("reason")
    assert out.details["recipes"] == ["same-support"]
    path = tmp_path / certificate_name(cand, "two-point", None)
    write_certificate(path, out.certificate)
    assert check_file(path).accepted


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"kind": "neuron", "bias": True}, "--bias"),
    ({"kind": "relu-neuron", "skip": True}, "--bias"),
    ({"kind": "two-layer", "activation": "tanh", "bias": True}, "--activation"),
    ({"kind": "two-layer", "width": 4, "skip": True}, "--width"),
    ({"kind": "two-layer", "dim": 0, "bias": True}, "--dim"),
])
def test_bad_bias_skip_family_is_one_line_error(kwargs, needle):
    with pytest.raises(InvalidArgument, match=needle):
        get_family(**kwargs)


def test_repeated_tanh_pair_is_screened_and_certified():
    """The tanh neuron's repeated pair (find_overlap(recipes=("repeated",), seed=0), shrunk):
    no longer skipped by the screen, PROVED and accepted; equal residual sets (sympy)."""
    tanh = FAMILIES["neuron/tanh"]
    assert repeated_certifies(tanh) and not repeated_certifies(FAMILIES["two-layer-2/relu"])
    s1 = Dataset([(0, 1), (1, 1)], [1, 0])
    s2 = Dataset([(0, 1), (1, 1), (0, 1)], [1, 0, 1])
    cand = Candidate(tanh, "repeated", s1, s2, (Fraction(0), Fraction(0), Fraction(1)), 0)
    assert _residuals(tanh, s1) == _residuals(tanh, s2)
    assert isinstance(screen_candidate(cand), Screen)
    out = certify_candidate(cand)
    assert out.verdict is Verdict.PROVED, out.details.get("reason")
    assert recheck(out.certificate).accepted
