"""The checker's expression language: what it accepts, what it refuses, and exact derivatives.

Derivatives are checked against sympy's differentiation (an independent route) at rational
points, exactly; values against the certificate layer's sympy parser.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from igproof.checker import Rejected
from igproof.checker import expr as ex
from igproof.errors import UnsafeExpression
from igproof.symbolic.expression import parse_expression

NAMES = {"a", "w", "b"}
POLYNOMIAL_EXPRESSIONS = [
    "a*w^2 - 3*b + 1/2",
    "(a - 1)^2 + (w - 9/10)^2",
    "a*(w*2 + b*3)^3 / 7",
    "-a^2 - -w",
    "a^-2 * w",
    "relu(a*w - b) * a",
    "abs(a - w) + relu(-b)",
]

HOSTILE = [
    "__import__('os').system('true')",
    "a.__class__",
    "().__class__.__bases__[0]",
    "eval(a)",
    "lambda: 1",
    "a; b",
    "open('x')",
    "a if b else w",
    "'a'",
    "a @ b",
    "exp(a, b)",
    "a ^ 1.5",
    "a ^ 100000",
    "x",
    "1e5",
    "a[0]",
    "(" * 500 + "a" + ")" * 500,
    "a" + "+a" * 3000,
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_expressions_are_refused_with_one_line(text):
    """Attribute access, calls of unknown functions, subscripts, strings, deep nesting, huge
    exponents: each is a Rejected with a one-line message (never evaluated)."""
    with pytest.raises(Rejected) as info:
        ex.parse(text, NAMES)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("text", HOSTILE)
def test_certificate_parser_refuses_the_same_hostile_expressions(text):
    """The certificate layer's sympy parser refuses them too (UnsafeExpression)."""
    symbols = {n: sympy.Symbol(n) for n in NAMES}
    with pytest.raises(UnsafeExpression):
        parse_expression(text, symbols)


points = st.tuples(*[st.fractions(min_value=-5, max_value=5, max_denominator=50)] * 3)


@pytest.mark.parametrize("text", POLYNOMIAL_EXPRESSIONS)
@given(point=points)
@settings(max_examples=15, deadline=None)
def test_checker_value_and_gradient_agree_with_sympy(text, point):
    """f(p) and df/dv(p), v in {a, w, b}, from the checker's AST equal sympy's, exactly,
    at rational points away from kinks (where both are defined)."""
    env = dict(zip(("a", "w", "b"), point, strict=True))
    symbols = {n: sympy.Symbol(n, real=True) for n in NAMES}
    reference = parse_expression(text, symbols)
    subs = {symbols[k]: sympy.Rational(v.numerator, v.denominator) for k, v in env.items()}
    node = ex.parse(text, NAMES)
    try:
        value = ex.evaluate_exact(node, env)
    except Rejected:
        return  # e.g. a negative power of 0: undefined, both sides
    assert sympy.Rational(value.numerator, value.denominator) == reference.subs(subs)
    for var in ("a", "w", "b"):
        try:
            d = ex.evaluate_exact(ex.diff(node, var), env)
        except Rejected:
            continue
        kinks = [arg for arg in reference.atoms(sympy.Max, sympy.Abs)]
        if any(sympy.sympify(k.args[-1] if isinstance(k, sympy.Max) else k.args[0])
               .subs(subs) == 0 for k in kinks):
            continue  # on a kink sympy has no derivative; the checker's convention applies
        expected = sympy.diff(reference, symbols[var]).subs(subs)
        assert sympy.Rational(d.numerator, d.denominator) == expected


def test_relu_derivative_at_the_kink_follows_the_convention():
    """d/dw relu(w) at w = 0 is 0 (relu'(0) = 0); exactly evaluated."""
    node = ex.parse("relu(w)", NAMES)
    assert ex.evaluate_exact(ex.diff(node, "w"), {"w": Fraction(0)}) == 0
    assert ex.evaluate_exact(ex.diff(node, "w"), {"w": Fraction(1, 5)}) == 1


def test_polynomial_identity_detects_conservation():
    """grad(a^2 - w^2) . (w, a) r = 0 identically (the balancedness law of a*w), and the
    identity check refuses non-polynomial input."""
    q = ex.parse("2*a*w*(a*w - 1) - 2*w*a*(a*w - 1)", NAMES)
    assert ex.polynomial(q, ["a", "w", "b"]) == {}
    p = ex.parse("(a + w)^2 - a^2 - 2*a*w", NAMES)
    assert ex.polynomial(p, ["a", "w", "b"]) == {(0, 2, 0): 1}
    with pytest.raises(Rejected):
        ex.polynomial(ex.parse("tanh(a)", NAMES), ["a", "w", "b"])
