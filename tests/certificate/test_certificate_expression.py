"""to_expression_text is the inverse of parse_expression: parse(text(e)) == e exactly, and the
checker's own parser reads the same text to the same values (an independent parser)."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy

from igproof.checker import expr as cex
from igproof.errors import UnsafeExpression
from igproof.symbolic.expression import parse_expression, to_expression_text

a, w, x = sympy.symbols("a w x")
SYMBOLS = {"a": a, "w": w, "x": x}
CASES = [
    a * sympy.Max(0, w * x) - sympy.Rational(1, 2),
    (a - 1) ** 2 + (w - sympy.Rational(9, 10)) ** 2,
    a ** -3 * w + sympy.sqrt(a ** 2 + 1),
    sympy.tanh(w * x) * a - sympy.exp(-x) + sympy.log(a) * sympy.Abs(w),
    -a * w ** 2 / 7,
]


@pytest.mark.parametrize("expr", CASES, ids=str)
def test_text_round_trips_exactly(expr):
    text = to_expression_text(expr)
    assert sympy.simplify(parse_expression(text, SYMBOLS) - expr) == 0


@pytest.mark.parametrize("expr", CASES[:3] + CASES[4:], ids=str)
def test_checker_reads_the_text_to_the_same_values(expr):
    """At a rational point, the checker's exact evaluation equals sympy's value."""
    text = to_expression_text(expr)
    node = cex.parse(text, set(SYMBOLS))
    point = {"a": Fraction(3, 4), "w": Fraction(-2, 5), "x": Fraction(7, 3)}
    try:
        value = cex.evaluate_exact(node, point)
    except Exception:
        pytest.fail("the value at a = 3/4 is rational (sqrt(25/16) = 5/4)")
    subs = {SYMBOLS[k]: sympy.Rational(v.numerator, v.denominator) for k, v in point.items()}
    assert sympy.Rational(value.numerator, value.denominator) == expr.subs(subs)


def test_unsupported_functions_are_refused():
    with pytest.raises(UnsafeExpression):
        to_expression_text(sympy.sin(a))


def test_symbolic_models_serialise_and_the_checker_reads_them():
    """igproof.symbolic models (relu neuron, tanh neuron) become certificate model objects whose
    text the checker parses; the output at a rational point matches sympy's exactly."""
    from igproof.symbolic.dataset import Dataset
    from igproof.symbolic.expression import dataset_as_json, model_as_json
    from igproof.symbolic.models import build_model

    model = build_model("neuron", dim=2, activation="relu")
    obj = model_as_json(model)
    node = cex.parse(obj["output"], set(obj["parameters"]) | set(obj["inputs"]))
    point = dict(zip(obj["parameters"] + obj["inputs"],
                     [Fraction(3, 2), Fraction(1, 3), Fraction(-1, 4), Fraction(2), Fraction(1)],
                     strict=True))
    subs = {s: sympy.Rational(point[str(s)].numerator, point[str(s)].denominator)
            for s in (*model.parameters, *model.inputs)}
    value = cex.evaluate_exact(node, point)
    expected = model.expression.subs(subs).rewrite(sympy.Max)
    assert sympy.Rational(value.numerator, value.denominator) == sympy.nsimplify(expected)
    assert model_as_json(build_model("neuron", dim=1, activation="tanh"))["output"]
    data = dataset_as_json(Dataset([["1/2", 1]], ["-3/4"]))
    assert data == {"x": [["1/2", "1"]], "y": ["-3/4"]}
