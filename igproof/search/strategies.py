"""Hypothesis strategies for exact datasets, initializations, activations, models and G.

They draw igproof's own types, the ones the flow API takes: :func:`datasets` draws
:class:`igproof.symbolic.dataset.Dataset` and :func:`models` draws
:class:`igproof.symbolic.models.Model` (made by ``build_model``), so a drawn pair goes straight
into :func:`igproof.symbolic.flow.gradient_flow`.

Everything a strategy draws that enters the mathematics is an exact ``Fraction`` with a bounded
denominator, so that a shrunk counterexample reads as small fractions (1, 1/2, -3/4) and can be
re-checked in exact arithmetic. Shrinking goes towards fewer points, denominator 1, small
numerators and initialization scale 1.

Public (re-exported as :mod:`igproof.strategies`):

- :func:`rationals` fractions p/q in [min_value, max_value] with q <= max_denominator;
- :func:`datasets` exact datasets (shape, coordinate and label ranges, label-0 points,
  general position);
- :func:`initializations` theta0 = scale * direction, scale a power of ten from tiny to large;
- :func:`activations`, :func:`models` the model families the search explores (``Model``):
  neurons, and two-layer networks with optional biases and skip part;
- :func:`regularizer_names` candidate G by name (``l2``, ``l2-init``, ``l1``, ``linf``,
  ``lp:P``); :func:`regularizer_expressions` candidate G as text in the safe expression
  language;
- :func:`flow_examples` (dataset, theta0) pairs for one model.

Example (a drawn model and dataset go straight into the flow API):

>>> from hypothesis import given
>>> from igproof.symbolic.flow import gradient_flow
>>> @given(models(kinds=["relu-neuron"], dims=[2]), datasets(dim=2, max_size=2))
... def test_flow_has_one_field_entry_per_parameter(model, dataset):
...     assert len(gradient_flow(model, dataset).field) == len(model.parameters)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from hypothesis import strategies as st

from igproof.errors import InvalidArgument
from igproof.rationals import parse_rational
from igproof.search.exact import in_general_position
from igproof.search.families import (
    ACTIVATIONS,
    FLOW_KINDS,
    MODEL_KINDS,
    as_surrogate,
    model_family,
)
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.models import Model

# Denominators up to 4 give readable shrunk examples (1/2, 3/4) and still a dense enough grid
# for the mechanisms the search looks for.
MAX_DENOMINATOR = 4
# Initialization scales 1e-6 .. 1e1: from the small-initialization (rich) regime to large (lazy).
MIN_SCALE_EXPONENT = -6
MAX_SCALE_EXPONENT = 1
# Default dataset sizes: counterexamples of interest have 1-3 points.
MAX_POINTS = 4

Rational = Fraction | int | str | float


def _check_range(name: str, low: Fraction, high: Fraction) -> None:
    if low > high:
        raise InvalidArgument(f"{name}: empty range [{low}, {high}]; need min <= max")


def _check_positive_int(name: str, value: Any, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidArgument(f"{name}: expected an integer >= {minimum}, got {value!r}")
    return value


@st.composite
def _rational_draw(draw: Any, low: Fraction, high: Fraction, max_den: int) -> Fraction:
    den = draw(st.integers(1, max_den))
    lo_num, hi_num = math.ceil(low * den), math.floor(high * den)
    if lo_num > hi_num:  # no multiple of 1/den in range: fall back to denominator 1 grid end
        den = 1
        lo_num, hi_num = math.ceil(low), math.floor(high)
        if lo_num > hi_num:
            return low
    return Fraction(draw(st.integers(lo_num, hi_num)), den)


def rationals(*, min_value: Rational = -2, max_value: Rational = 2,
              max_denominator: int = MAX_DENOMINATOR) -> st.SearchStrategy[Fraction]:
    """Exact rationals p/q with min_value <= p/q <= max_value and 1 <= q <= max_denominator.

    Bounds are read exactly (``"1/3"``, ``0.1`` = 1/10). Shrinks towards q = 1 and p near 0.
    """
    low = parse_rational(min_value, what="min_value")
    high = parse_rational(max_value, what="max_value")
    _check_range("rationals", low, high)
    max_den = _check_positive_int("max_denominator", max_denominator)
    return _rational_draw(low, high, max_den)


def _nonzero_vectors(dim: int, low: Fraction, high: Fraction,
                     max_den: int) -> st.SearchStrategy[tuple[Fraction, ...]]:
    entry = rationals(min_value=low, max_value=high, max_denominator=max_den)
    return st.tuples(*[entry] * dim).filter(lambda v: any(c != 0 for c in v))


def datasets(*, dim: int, min_size: int = 1, max_size: int = MAX_POINTS,
             coordinate_range: tuple[Rational, Rational] = (-2, 2),
             label_range: tuple[Rational, Rational] = ("1/4", 2),
             min_zero_labels: int = 0, max_zero_labels: int | None = None,
             general_position: bool = False,
             max_denominator: int = MAX_DENOMINATOR) -> st.SearchStrategy[Dataset]:
    """Exact datasets S = {(x_i, y_i)}: n points x_i in Q^d (x_i != 0) with labels y_i.

    Draws :class:`igproof.symbolic.dataset.Dataset` (entries ``Fraction``).

    Parameters
    ----------
    dim : int
        Input dimension d.
    min_size, max_size : int
        Range of the number of points n.
    coordinate_range : (low, high)
        Range of every coordinate of every x_i.
    label_range : (low, high)
        Range of the nonzero labels (0 is excluded from it); default positive, as a ReLU output
        cannot be negative.
    min_zero_labels, max_zero_labels : int
        How many points carry the label 0 (the Vardi–Shamir points); default 0 .. n.
    general_position : bool
        If true, every set of at most d points is linearly independent (checked exactly).
    max_denominator : int
        Bound on every denominator.
    """
    dim = _check_positive_int("dim", dim)
    min_size = _check_positive_int("min_size", min_size)
    max_size = _check_positive_int("max_size", max_size)
    if min_size > max_size:
        raise InvalidArgument(f"min_size: {min_size} exceeds max_size {max_size}")
    max_den = _check_positive_int("max_denominator", max_denominator)
    c_low, c_high = (parse_rational(v, what="coordinate_range") for v in coordinate_range)
    _check_range("coordinate_range", c_low, c_high)
    if c_low == c_high == 0:
        raise InvalidArgument("coordinate_range: (0, 0) leaves only the zero point; widen it")
    y_low, y_high = (parse_rational(v, what="label_range") for v in label_range)
    _check_range("label_range", y_low, y_high)
    min_zero = _check_positive_int("min_zero_labels", min_zero_labels, minimum=0)
    if max_zero_labels is not None:
        _check_positive_int("max_zero_labels", max_zero_labels, minimum=0)
        if max_zero_labels < min_zero:
            raise InvalidArgument(f"max_zero_labels: {max_zero_labels} is below "
                                  f"min_zero_labels {min_zero}")
    if min_zero > max_size:
        raise InvalidArgument(f"min_zero_labels: {min_zero} exceeds max_size {max_size}")
    nonzero_label = rationals(min_value=y_low, max_value=y_high,
                              max_denominator=max_den).filter(lambda q: q != 0)
    point = _nonzero_vectors(dim, c_low, c_high, max_den)

    @st.composite
    def draw_dataset(draw: Any) -> Dataset:
        n = draw(st.integers(max(min_size, min_zero), max_size))
        if general_position:
            xs = draw(st.lists(point, min_size=n, max_size=n).filter(in_general_position))
        else:
            xs = draw(st.lists(point, min_size=n, max_size=n))
        top = n if max_zero_labels is None else min(n, max_zero_labels)
        only_zero = y_low == y_high == 0
        zeros = n if only_zero else draw(st.integers(min_zero, top))
        labels = [Fraction(0)] * zeros + [draw(nonzero_label) for _ in range(n - zeros)]
        # Zero labels go last by default; a permutation lets them sit anywhere.
        order = draw(st.permutations(range(n)))
        return Dataset([xs[i] for i in range(n)], [labels[order[i]] for i in range(n)])

    return draw_dataset()


def initialization_scales(*, min_exponent: int = MIN_SCALE_EXPONENT,
                          max_exponent: int = MAX_SCALE_EXPONENT) -> st.SearchStrategy[Fraction]:
    """Exact scales 10^k, min_exponent <= k <= max_exponent (shrinks towards 10^0 = 1)."""
    if isinstance(min_exponent, bool) or not isinstance(min_exponent, int) \
            or isinstance(max_exponent, bool) or not isinstance(max_exponent, int) \
            or min_exponent > max_exponent:
        raise InvalidArgument(f"min_exponent, max_exponent: expected integers with min <= max, "
                              f"got {min_exponent!r}, {max_exponent!r}")
    return st.integers(min_exponent, max_exponent).map(lambda k: Fraction(10) ** k)


def initializations(n_params: int, *, min_exponent: int = MIN_SCALE_EXPONENT,
                    max_exponent: int = MAX_SCALE_EXPONENT,
                    max_denominator: int = MAX_DENOMINATOR,
                    nonzero: bool = True) -> st.SearchStrategy[tuple[Fraction, ...]]:
    """theta0 = 10^k * u, u in [-1, 1]^p with entries of denominator <= max_denominator.

    ``nonzero`` excludes u = 0 (theta0 = 0 is a critical point of every model here).
    """
    p = _check_positive_int("n_params", n_params)
    max_den = _check_positive_int("max_denominator", max_denominator)
    entry = rationals(min_value=-1, max_value=1, max_denominator=max_den)
    direction = st.tuples(*[entry] * p)
    if nonzero:
        direction = direction.filter(lambda v: any(c != 0 for c in v))
    scale = initialization_scales(min_exponent=min_exponent, max_exponent=max_exponent)
    return st.tuples(scale, direction).map(lambda sd: tuple(sd[0] * c for c in sd[1]))


def activations(names: Sequence[str] = ACTIVATIONS) -> st.SearchStrategy[str]:
    """Activation names known to the search surrogate (``relu``, ``tanh``)."""
    bad = [name for name in names if name not in ACTIVATIONS]
    if bad or not names:
        raise InvalidArgument(f"names: unknown activations {bad!r}; use a non-empty subset of "
                              f"{ACTIVATIONS}")
    return st.sampled_from(tuple(names))


def models(*, kinds: Sequence[str] = MODEL_KINDS, dims: Sequence[int] = (1, 2, 3),
           activation_names: Sequence[str] = ACTIVATIONS, widths: Sequence[int] = (2, 3),
           bias: Sequence[bool] = (False,),
           skip: Sequence[bool] = (False,)) -> st.SearchStrategy[Model]:
    """Models f = relu(w . x) (``relu-neuron``), f = a sigma(w . x) (``neuron``) and
    f = sum_j v_j sigma(w_j . x [+ b_j]) [+ u . x + c] (``two-layer``).

    Draws :class:`igproof.symbolic.models.Model` as ``build_model(kind, dim=d,
    activation=sigma)`` with sigma in ``activation_names`` (relu for ``relu-neuron``); a
    two-layer model also draws its width from ``widths`` and its bias and skip flags from
    ``bias`` and ``skip`` (the values allowed, e.g. ``bias=(False, True)``; ``bias=(True,),
    skip=(True,)`` is the architecture of Boursier & Flammarion 2023). The default kinds are
    the implicit-bias search's families (``MODEL_KINDS``); ``kinds`` may be any of
    ``FLOW_KINDS``. Shrinks towards the first kind, dimension, activation, width and flag.

    >>> from hypothesis import given
    >>> @given(models(kinds=["two-layer"], dims=[1], widths=[2], bias=[True], skip=[True]))
    ... def test_boursier_architecture(model):
    ...     assert [str(p) for p in model.parameters][-3:] == ["b2", "u1", "c"]
    """
    bad = [k for k in kinds if k not in FLOW_KINDS]
    if bad or not kinds:
        raise InvalidArgument(f"kinds: unknown model kinds {bad!r}; use a non-empty subset of "
                              f"{FLOW_KINDS}")
    for d in dims:
        _check_positive_int("dims entry", d)
    if not widths:
        raise InvalidArgument("widths: expected at least one width, got ()")
    for m in widths:
        _check_positive_int("widths entry", m)
    for name, flags in (("bias", bias), ("skip", skip)):
        if isinstance(flags, (bool, str)) or not flags or any(
                not isinstance(f, bool) for f in flags):
            raise InvalidArgument(f"{name}: expected a non-empty sequence of True/False values, "
                                  f"got {flags!r}")
    acts = activations(activation_names)

    @st.composite
    def draw_model(draw: Any) -> Model:
        kind = draw(st.sampled_from(tuple(kinds)))
        dim = draw(st.sampled_from(tuple(dims)))
        act = "relu" if kind == "relu-neuron" else draw(acts)
        if kind != "two-layer":
            return model_family(kind, act, dim)
        return model_family(kind, act, dim, width=draw(st.sampled_from(tuple(widths))),
                            bias=draw(st.sampled_from(tuple(bias))),
                            skip=draw(st.sampled_from(tuple(skip))))

    return draw_model()


def regularizer_names(*, include_lp: bool = True) -> st.SearchStrategy[str]:
    """Names of built-in candidate G: l2, l2-init, l1, linf and lp:P for P in {3/2, 3, 4}."""
    names = ["l2", "l2-init", "l1", "linf"]
    if include_lp:
        names += ["lp:3/2", "lp:3", "lp:4"]
    return st.sampled_from(names)


def regularizer_expressions(parameter_names: Sequence[str], *, max_terms: int = 3,
                            powers: Sequence[int] = (1, 2, 4),
                            max_denominator: int = MAX_DENOMINATOR) -> st.SearchStrategy[str]:
    """Candidate G as text: sum_k c_k * u_k^(m_k), u_k = theta_j or (theta_j - theta0_j).

    Coefficients c_k are positive rationals (so G is bounded below when every m_k is even);
    odd powers use ``abs(.)``, giving norms like sum |theta_j|. Names are those of
    :func:`igproof.search.regularizers.expression_names` (``a``, ``w1``, ``a0``, ``w1_0``...),
    so the text is read by :func:`igproof.search.regularizers.regularizer_from_text`.
    """
    if not parameter_names or any(not isinstance(p, str) for p in parameter_names):
        raise InvalidArgument(f"parameter_names: expected names such as ('a', 'w1'), got "
                              f"{parameter_names!r}")
    max_terms = _check_positive_int("max_terms", max_terms)
    bad = [m for m in powers if isinstance(m, bool) or not isinstance(m, int) or m < 1]
    if bad or not powers:
        raise InvalidArgument(f"powers: expected positive integers, got {tuple(powers)!r}")
    coefficient = rationals(min_value=Fraction(1, max_denominator), max_value=2,
                            max_denominator=max_denominator).filter(lambda q: q > 0)

    def init_name(p: str) -> str:
        return "a0" if p == "a" else f"{p}_0"

    @st.composite
    def draw_term(draw: Any) -> str:
        p = draw(st.sampled_from(tuple(parameter_names)))
        base = f"({p} - {init_name(p)})" if draw(st.booleans()) else p
        power = draw(st.sampled_from(tuple(powers)))
        inner = f"abs{base}" if base.startswith("(") else f"abs({base})"
        core = base if power % 2 == 0 else inner
        c = draw(coefficient)
        coef = str(c.numerator) if c.denominator == 1 else f"({c.numerator}/{c.denominator})"
        return f"{coef}*{core}^{power}" if power != 1 else f"{coef}*{core}"

    return st.lists(draw_term(), min_size=1, max_size=max_terms).map(" + ".join)


def flow_examples(model: Model, **dataset_options: Any
                  ) -> st.SearchStrategy[tuple[Dataset, tuple[Fraction, ...]]]:
    """(S, theta0) pairs for ``model``: S a :class:`Dataset` in its input dimension, theta0 one
    exact entry per parameter; ``dataset_options`` go to :func:`datasets`.

    ``model`` is a :class:`Model` of a family the search explores (see :func:`models`).
    ``min_exponent``/``max_exponent`` among the options go to :func:`initializations`.
    """
    view = as_surrogate(model)
    init_options = {k: dataset_options.pop(k) for k in ("min_exponent", "max_exponent")
                    if k in dataset_options}
    return st.tuples(datasets(dim=view.dim, **dataset_options),
                     initializations(view.n_params, **init_options))
