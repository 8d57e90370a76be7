"""The public strategies: exact rationals with bounded denominators, dataset shapes, label-0
points, general position, initialization scales; and the public ``__all__``."""

from fractions import Fraction
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import igproof.search.strategies as impl
import igproof.strategies as public
from igproof.errors import InvalidArgument
from igproof.search.exact import exact_rank, in_general_position
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.models import Model

FAST = settings(max_examples=60, deadline=None, derandomize=True, database=None)


@FAST
@given(public.rationals(min_value="-1/3", max_value=2, max_denominator=5))
def test_rationals_are_exact_in_range_with_bounded_denominator(q):
    assert isinstance(q, Fraction)
    assert Fraction(-1, 3) <= q <= 2 and q.denominator <= 5


@FAST
@given(public.datasets(dim=3, min_size=2, max_size=4, min_zero_labels=1, max_zero_labels=2))
def test_datasets_have_the_requested_shape_and_label_zero_count(ds):
    assert isinstance(ds, Dataset)
    assert 2 <= ds.n <= 4 and ds.dim == 3
    zeros = sum(1 for v in ds.y if v == 0)
    assert 1 <= zeros <= 2
    assert all(any(c != 0 for c in row) for row in ds.x)  # no zero input
    assert all(Fraction("1/4") <= v <= 2 for v in ds.y if v != 0)
    assert all(isinstance(c, Fraction) and c.denominator <= impl.MAX_DENOMINATOR
               and -2 <= c <= 2 for row in ds.x for c in row)


@FAST
@given(public.datasets(dim=2, min_size=3, max_size=4, general_position=True))
def test_general_position_in_the_plane_means_no_two_points_parallel(ds):
    """d = 2: every pair of points has a nonzero 2x2 determinant (checked directly)."""
    for p, q in combinations(ds.x, 2):
        assert p[0] * q[1] - p[1] * q[0] != 0


def test_exact_rank_and_general_position_against_determinants():
    f = Fraction
    assert exact_rank([[f(1), f(2), f(3)], [f(2), f(4), f(6)], [f(0), f(1), f(1)]]) == 2
    assert in_general_position([[f(1), f(0)], [f(0), f(1)], [f(1), f(1)]])
    assert not in_general_position([[f(1), f(2)], [f(-1, 2), f(-1)], [f(0), f(1)]])


@FAST
@given(public.initializations(4))
def test_initializations_are_a_power_of_ten_times_a_nonzero_direction(theta0):
    assert len(theta0) == 4 and any(c != 0 for c in theta0)
    top = max(abs(c) for c in theta0)
    assert Fraction(1, 4) * Fraction(10) ** impl.MIN_SCALE_EXPONENT <= top
    assert top <= Fraction(10) ** impl.MAX_SCALE_EXPONENT


@FAST
@given(public.models(), public.regularizer_names(), public.activations())
def test_models_and_names_are_consistent(model, name, act):
    assert isinstance(model, Model)
    assert model.kind in ("relu-neuron", "neuron")
    assert model.kind != "relu-neuron" or model.activation.name == "relu"
    assert act in ("relu", "tanh")
    assert name.split(":")[0] in ("l2", "l2-init", "l1", "linf", "lp")


def test_minimal_dataset_shrinks_to_small_readable_numbers():
    """Hypothesis' shrinking reaches the simplest dataset: one point, small integer entries."""
    from hypothesis import find

    ds = find(public.datasets(dim=2), lambda d: True,
              settings=settings(database=None, derandomize=True))
    assert ds.n == 1
    assert all(c.denominator == 1 and abs(c) <= 1 for c in ds.x[0])


def test_public_all_is_exactly_the_exported_names():
    """``igproof.strategies.__all__`` lists every public name and each one resolves."""
    # pytest rewrites the modules of installed plugins and adds "@py_..." helper names.
    exported = {name for name in vars(public) if not name.startswith(("_", "@"))}
    assert set(public.__all__) == exported - {"annotations"}
    assert len(public.__all__) == len(set(public.__all__))
    for name in public.__all__:
        assert getattr(public, name) is not None
    strategy_functions = {"activations", "datasets", "flow_examples", "initialization_scales",
                          "initializations", "models", "rationals", "regularizer_expressions",
                          "regularizer_names"}
    assert strategy_functions <= set(public.__all__)
    for name in strategy_functions:
        assert getattr(public, name) is getattr(impl, name)
        assert getattr(public, name).__doc__


def test_misuse_names_the_argument():
    with pytest.raises(InvalidArgument, match="max_denominator"):
        public.rationals(max_denominator=0)
    with pytest.raises(InvalidArgument, match="min_size"):
        public.datasets(dim=2, min_size=3, max_size=2)
    with pytest.raises(InvalidArgument, match="dim"):
        public.datasets(dim=0)
    with pytest.raises(InvalidArgument, match="coordinate_range"):
        public.datasets(dim=2, coordinate_range=(1, -1))
    with pytest.raises(InvalidArgument, match="names"):
        public.activations(["sine"])
    with pytest.raises(InvalidArgument, match="kinds"):
        public.models(kinds=["mlp"])
    with pytest.raises(InvalidArgument, match="min_exponent"):
        public.initialization_scales(min_exponent=2, max_exponent=1)
    assert isinstance(public.rationals(), st.SearchStrategy)


@settings(max_examples=25, deadline=None, derandomize=True, database=None)
@given(public.regularizer_expressions(("a", "w1", "w2")))
def test_regularizer_expressions_parse_and_match_the_checkers_exact_evaluation(text):
    """Generated G text is read by the search (sympy route) and by the independent checker's
    parser; value and gradient agree at a rational point (exact vs float)."""
    from igproof.checker import expr as checker_expr
    from igproof.search.regularizers import regularizer_from_text

    g = regularizer_from_text(text, ("a", "w1", "w2"))
    names = ["a", "w1", "w2", "a0", "w1_0", "w2_0"]
    node = checker_expr.parse(text, frozenset(names))
    point = dict(zip(names, map(Fraction, ["3/2", "-1/3", "5/4", "1/2", "1/4", "-2"]),
                     strict=True))
    theta = [float(point[n]) for n in names[:3]]
    theta0 = [float(point[n]) for n in names[3:]]
    exact = checker_expr.evaluate_exact(node, point)
    assert g(theta, theta0) == pytest.approx(float(exact), rel=1e-12)
    exact_grad = [float(checker_expr.evaluate_exact(d, point))
                  for d in checker_expr.gradient(node, names[:3])]
    assert list(g.grad(theta, theta0)) == pytest.approx(exact_grad, rel=1e-12)
