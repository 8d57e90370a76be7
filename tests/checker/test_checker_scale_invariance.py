"""The checker's structural scale-invariance rule (``zero-set`` relation ``scaled-label-zero``).

Independent routes: sympy proves f(gamma x) - gamma^k f(x) == 0 symbolically (gamma a positive
symbol, relu(gamma^k u) = gamma^k relu(u) pulled out) for every form the checker accepts with
degree k; zero sets of accepted products are compared at exact rational points (sympy's exact
evaluation of relu as Max and abs; tanh and exp vanish only where their argument does / never);
rejected forms get an explicit rational counterexample where f(gamma x) and f(x) differ in
whether they vanish, or are documented as not recognized. The producer's mirror
(:func:`igproof.symbolic.zero_loss.structurally_scale_invariant`) must agree with the checker on
every model the CLI builds.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from igproof.checker import Rejected
from igproof.checker import expr as ex
from igproof.checker.obligations import input_degree, zero_set_scale_invariant
from igproof.symbolic.activations import relu
from igproof.symbolic.expression import parse_expression
from igproof.symbolic.models import build_model
from igproof.symbolic.zero_loss import structural_input_degree, structurally_scale_invariant

PARAMETERS = ("a", "b", "w1", "w2")
INPUTS = ("x1", "x2")
NAMES = set(PARAMETERS) | set(INPUTS)
SYMBOLS = {n: sympy.Symbol(n, real=True) for n in (*PARAMETERS, *INPUTS)}
GAMMA = sympy.Symbol("gamma", positive=True)

# (text, degree): accepted by input_degree with that degree.
HOMOGENEOUS = [
    ("a*relu(w1*x1 + w2*x2)", 1),
    ("a*((99/100)*relu(w1*x1 + w2*x2) + (1/100)*w1*x1 + (1/100)*w2*x2)", 1),  # leaky relu
    ("a*(1/10*(w1*x1 + w2*x2) + 9/10*relu(w1*x1 + w2*x2))", 1),
    ("a*relu(w1*x1) + b*relu(w2*x2)", 1),  # two units
    ("a*relu(w1*x1) - b*abs(w2*x1 - x2)", 1),
    ("relu(w1*x1)*relu(w2*x2) + a*x1^2", 2),
    ("(w1*x1 + w2*x2)^3 + a*x1*x2*relu(x1)", 3),
    ("relu(relu(w1*x1) - a*x2) / (a^2 + 1)", 1),
    ("a + b*w1", 0),
    ("x1^0 + a", 0),
]
# Not homogeneous, but with a scale-invariant zero set (products, tanh/abs/exp of such nodes).
ZERO_SET_ONLY = [
    "a*tanh(w1*x1 + w2*x2)",
    "tanh(a*relu(w1*x1) + b*relu(w2*x2))",
    "relu(w1*x1)*tanh(w2*x2)^2",
    "exp(w1*x1)*(a*relu(w2*x2) + b*w2*x2)",
    "-(a*tanh(x1)) / (b^2 + 1)",
    "abs(tanh(w1*x1 - w2*x2))*x1",
]
# Rejected: sums of different degrees, biases, non-homogeneous functions, divisions by x.
REJECTED = [
    "relu(w1*x1) + tanh(w1*x1)",
    "a*relu(w1*x1 + b)",
    "a*tanh(w1*x1 + 1)",
    "a*relu(w1*x1) + b",
    "relu(w1*x1) + x1^2",
    "a / x1",
    "a*x1^-1",
    "log(abs(x1) + 1)",
    "sqrt(x1^2)",
    "exp(w1*x1 + 1) + relu(x1)",
    "sigmoid(w1*x1) - 1/2",
    "exp(log(x1 - w1))*relu(w2*x2)",
]


def _checker(text: str) -> tuple:
    return ex.parse(text, NAMES)


def _sympy(text: str) -> sympy.Expr:
    return parse_expression(text, SYMBOLS)


def _producer_degree(f: sympy.Expr) -> int | None:
    """The producer's mirror on f with Max(0, u) written as the models' relu(u)."""
    g = f.replace(lambda e: isinstance(e, sympy.Max) and len(e.args) == 2 and 0 in e.args,
                  lambda e: relu(next(a for a in e.args if a != 0)))
    return structural_input_degree(g, {SYMBOLS[x] for x in INPUTS})


def _pull(e: sympy.Expr) -> sympy.Expr:
    """Max(0, c u) -> c Max(0, u) for c a positive power of gamma (relu is positively
    homogeneous); sympy already does |c u| = c |u| for c > 0."""
    def scaled(node: sympy.Expr) -> bool:
        if not isinstance(node, sympy.Max) or len(node.args) != 2 or 0 not in node.args:
            return False
        u = next(a for a in node.args if a != 0)
        for k in range(1, 8):
            if not sympy.cancel(u / GAMMA**k).has(GAMMA):
                return True
        return False

    def pulled(node: sympy.Expr) -> sympy.Expr:
        u = next(a for a in node.args if a != 0)
        k = next(k for k in range(1, 8) if not sympy.cancel(u / GAMMA**k).has(GAMMA))
        return GAMMA**k * sympy.Max(0, sympy.cancel(u / GAMMA**k))

    for _ in range(6):  # nested relus: pull from the inside out
        e = e.replace(scaled, pulled)
    return e


def _scaled(e: sympy.Expr) -> sympy.Expr:
    return _pull(e.xreplace({SYMBOLS[x]: GAMMA * SYMBOLS[x] for x in INPUTS}))


@pytest.mark.parametrize("text,degree", HOMOGENEOUS)
def test_homogeneous_forms_have_their_degree_by_sympy(text, degree):
    """Accepted with degree k, and sympy proves f(gamma x) = gamma^k f(x) symbolically."""
    node = _checker(text)
    assert input_degree(node, set(INPUTS)) == degree
    assert zero_set_scale_invariant(node, set(INPUTS))
    f = _sympy(text)
    assert _producer_degree(f) == degree
    assert sympy.simplify(_scaled(f) - GAMMA**degree * f) == 0


# Exact rational sample points: theta on a small grid, x with many zeros of linear forms.
GRID = [Fraction(-1), Fraction(-1, 2), Fraction(0), Fraction(1, 3), Fraction(1)]


def _vanishes(e: sympy.Expr, values: dict) -> bool:
    v = e.xreplace(values)
    if v.is_zero is None:  # tanh/exp of a nonzero rational: never an exact zero
        return bool(abs(sympy.N(v, 50)) < sympy.Float("1e-40"))
    return bool(v.is_zero)


@pytest.mark.parametrize("text", ZERO_SET_ONLY)
def test_zero_set_forms_keep_their_zeros_under_scaling(text):
    """Accepted as zero-set invariant (not homogeneous); at exact points, f(gamma x) = 0 iff
    f(x) = 0 for gamma = 3 (sympy's exact evaluation; tanh/exp at 50 digits)."""
    node = _checker(text)
    assert input_degree(node, set(INPUTS)) is None
    assert zero_set_scale_invariant(node, set(INPUTS))
    f = _sympy(text)
    assert _producer_degree(f) is None
    xs = [(Fraction(1), Fraction(0)), (Fraction(-1), Fraction(1)), (Fraction(2), Fraction(-1))]
    for theta in itertools.product(GRID[::2], repeat=4):
        for x in xs:
            base = {SYMBOLS[n]: sympy.Rational(v.numerator, v.denominator)
                    for n, v in zip(PARAMETERS, theta, strict=True)}
            zero = _vanishes(f, {**base, SYMBOLS["x1"]: x[0], SYMBOLS["x2"]: x[1]})
            for g in (3,):
                scaled = {**base, SYMBOLS["x1"]: g * x[0], SYMBOLS["x2"]: g * x[1]}
                assert _vanishes(f, scaled) == zero, (text, theta, x, g)


@pytest.mark.parametrize("text", REJECTED)
def test_other_forms_are_rejected(text):
    node = _checker(text)
    assert input_degree(node, set(INPUTS)) is None
    assert not zero_set_scale_invariant(node, set(INPUTS))


def test_rejections_are_needed_counterexamples():
    """The rejected sum relu(z) + tanh(z) and the bias relu(w x + b) really change their zero
    sets under scaling: exact (sympy) counterexamples, so accepting them would be unsound."""
    f = _sympy("relu(w1*x1) + tanh(w1*x1)")
    # z = -1: relu(-1) + tanh(-1) = tanh(-1) != 0; at z = 0 both vanish; the zero set of
    # relu(z) + tanh(z) in z is {0}, but a + relu(w1 x1) - 1 style sums move: use the bias.
    assert not _vanishes(f, {SYMBOLS["w1"]: -1, SYMBOLS["x1"]: 1})
    g = _sympy("a*relu(w1*x1 + b)")
    values = {SYMBOLS["a"]: 1, SYMBOLS["w1"]: 1, SYMBOLS["b"]: -2}
    assert _vanishes(g, {**values, SYMBOLS["x1"]: 1})
    assert not _vanishes(g, {**values, SYMBOLS["x1"]: 3})  # gamma = 3 leaves the zero set
    h = _sympy("a*relu(w1*x1) - b")
    values = {SYMBOLS["a"]: 1, SYMBOLS["w1"]: 1, SYMBOLS["b"]: 1}
    assert _vanishes(h, {**values, SYMBOLS["x1"]: 1})
    assert not _vanishes(h, {**values, SYMBOLS["x1"]: 2})


# Random expression trees over the safe language: whatever the checker accepts with degree k
# satisfies f(gamma x) = gamma^k f(x) at exact rational points (relu/abs exact on rationals).
_LEAVES = st.sampled_from(["a", "b", "w1", "w2", "x1", "x2", "1/2", "3", "-2"])


def _trees():
    return st.recursive(
        _LEAVES,
        lambda inner: st.one_of(
            st.tuples(st.sampled_from(["+", "-", "*"]), inner, inner).map(
                lambda t: f"({t[1]} {t[0]} {t[2]})"),
            st.tuples(st.sampled_from(["relu", "abs", "tanh"]), inner).map(
                lambda t: f"{t[0]}({t[1]})"),
            st.tuples(inner, st.integers(0, 3)).map(lambda t: f"({t[0]})^{t[1]}"),
            inner.map(lambda t: f"({t}) / 3")),
        max_leaves=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(text=_trees(), theta=st.lists(st.sampled_from(GRID), min_size=4, max_size=4),
       x=st.lists(st.sampled_from(GRID), min_size=2, max_size=2),
       gamma=st.sampled_from([Fraction(2), Fraction(1, 3), Fraction(5, 2)]))
def test_property_accepted_degree_holds_exactly(text, theta, x, gamma):
    node = _checker(text)
    degree = input_degree(node, set(INPUTS))
    f = _sympy(text)
    assert _producer_degree(f) == degree
    if degree is None:
        return
    env = dict(zip(PARAMETERS, theta, strict=True))
    try:
        at_x = ex.evaluate_exact(node, {**env, "x1": x[0], "x2": x[1]})
        at_gx = ex.evaluate_exact(node, {**env, "x1": gamma * x[0], "x2": gamma * x[1]})
    except Rejected:  # tanh of an input-free nonzero rational: no exact value; skip the point
        assume(False)
    assert at_gx == gamma**degree * at_x
    # The same identity by sympy's exact evaluation (an independent evaluator).
    values = {SYMBOLS[n]: sympy.Rational(v.numerator, v.denominator)
              for n, v in zip(PARAMETERS, theta, strict=True)}
    plain = f.xreplace({**values, SYMBOLS["x1"]: x[0], SYMBOLS["x2"]: x[1]})
    scaled = f.xreplace({**values, SYMBOLS["x1"]: sympy.Rational(gamma.numerator,
                                                                    gamma.denominator) * x[0],
                         SYMBOLS["x2"]: sympy.Rational(gamma.numerator,
                                                       gamma.denominator) * x[1]})
    assert sympy.nsimplify(scaled) == sympy.Rational(gamma.numerator,
                                                     gamma.denominator)**degree * plain


@pytest.mark.parametrize("kind,activation,width", [
    ("relu-neuron", "relu", 1), ("neuron", "relu", 1), ("neuron", "tanh", 1),
    ("neuron", "leaky-relu", 1), ("neuron", "linear", 1), ("two-layer", "relu", 2),
    ("two-layer", "leaky-relu", 2), ("two-layer", "tanh", 3), ("neuron", "sigmoid", 1)])
def test_producer_mirror_agrees_with_the_checker(kind, activation, width):
    """structurally_scale_invariant (sympy tree) == the checker's rule on the model's text."""
    from igproof.certificate.common import model_text

    model = build_model(kind, dim=2, activation=activation, width=width)
    text = model_text(model.expression)
    names = {str(p) for p in model.parameters} | {str(x) for x in model.inputs}
    accepted = zero_set_scale_invariant(ex.parse(text, names), {str(x) for x in model.inputs})
    assert structurally_scale_invariant(model) == accepted
    # sigmoid: (1 + exp(-z))^-1 is not recognized; a sum of tanh units is not homogeneous
    # (and its zero set does move with the scale of x).
    assert accepted == (activation != "sigmoid" and (kind, activation) != ("two-layer", "tanh"))
