"""Candidate regularizers: values and gradients against closed forms and finite differences."""

import numpy as np
import pytest
import sympy

from igproof.errors import InvalidArgument
from igproof.search.regularizers import Regularizer, get_regularizer

THETA = np.array([0.5, -2.0, 1.5])
THETA0 = np.array([1.0, 1.0, -1.0])


@pytest.mark.parametrize(("name", "value", "grad"), [
    ("l2", 0.25 + 4 + 2.25, [1.0, -4.0, 3.0]),
    ("l2-init", 0.25 + 9 + 6.25, [-1.0, -6.0, 5.0]),
    ("l1", 4.0, [1.0, -1.0, 1.0]),
    ("linf", 2.0, [0.0, -1.0, 0.0]),
    ("lp:3", 0.125 + 8 + 3.375, [0.75, -12.0, 6.75]),
    ("lp:3/2", 0.5**1.5 + 2**1.5 + 1.5**1.5, [1.5 * 0.5**0.5, -1.5 * 2**0.5, 1.5 * 1.5**0.5]),
])
def test_builtin_values_and_gradients_match_closed_forms(name, value, grad):
    g = get_regularizer(name)
    assert g(THETA, THETA0) == pytest.approx(value)
    np.testing.assert_allclose(g.grad(THETA, THETA0), grad, rtol=1e-12)


def test_from_sympy_gradient_is_exact_derivative():
    """G = (a^2 - w^2 - (a0^2 - w0^2))^2: dG/da = 4 a e, dG/dw = -4 w e, e = a^2 - w^2 - c."""
    a, w, a0, w0 = sympy.symbols("a w a0 w0")
    g = Regularizer.from_sympy((a**2 - w**2 - (a0**2 - w0**2))**2, [a, w], [a0, w0])
    th, th0 = np.array([1.2, 0.7]), np.array([0.5, 0.3])
    e = 1.44 - 0.49 - 0.16
    assert g(th, th0) == pytest.approx(e * e)
    np.testing.assert_allclose(g.grad(th, th0), [4 * 1.2 * e, -4 * 0.7 * e], rtol=1e-12)
    assert g.gradient_method == "exact"


def test_from_callable_central_difference_agrees_with_exact_gradient():
    def value(th, th0):
        return float(np.sum(np.cos(th - th0)))

    g = Regularizer.from_callable(value)
    assert g.gradient_method == "central-difference"
    np.testing.assert_allclose(g.grad(THETA, THETA0), -np.sin(THETA - THETA0), atol=1e-9)


def test_text_is_never_evaluated():
    with pytest.raises(InvalidArgument, match="expr"):
        Regularizer.from_sympy("__import__('os')", [sympy.Symbol("a")], [sympy.Symbol("a0")])
    with pytest.raises(InvalidArgument, match="unknown name"):
        get_regularizer("a**2 + w**2")


def test_bad_names_are_explained():
    with pytest.raises(InvalidArgument, match="P >= 1"):
        get_regularizer("lp:1/2")
    with pytest.raises(InvalidArgument, match="lp:P"):
        get_regularizer("lp:x")
    with pytest.raises(InvalidArgument, match="l2"):
        get_regularizer("l3")
    with pytest.raises(InvalidArgument, match="unknown symbols"):
        a, a0, b = sympy.symbols("a a0 b")
        Regularizer.from_sympy(a + b, [a], [a0])


def test_expression_in_the_safe_language_has_the_exact_gradient():
    """G = a^2 w2 + relu(w1) + (w1 - w1_0)^2 read from text: grad = (2 a w2, 1[w1>0] +
    2 (w1 - w1_0), a^2)."""
    from igproof.search.regularizers import regularizer_from_text

    g = regularizer_from_text("a^2*w2 + relu(w1) + (w1 - w1_0)^2", ("a", "w1", "w2"))
    th, th0 = np.array([1.5, 0.5, -2.0]), np.array([0.0, 2.0, 0.0])
    assert g(th, th0) == pytest.approx(2.25 * -2.0 + 0.5 + 2.25)
    np.testing.assert_allclose(g.grad(th, th0), [2 * 1.5 * -2.0, 1 + 2 * (0.5 - 2.0), 2.25])
    assert g.spec == {"expression": "a^2*w2 + relu(w1) + (w1 - w1_0)^2"}


def test_expression_text_is_parsed_safely_not_evaluated():
    from igproof.errors import UnsafeExpression

    with pytest.raises(UnsafeExpression):
        get_regularizer("__import__('os').system('true')", parameter_names=("a", "w1"))
    with pytest.raises(UnsafeExpression, match="b"):
        get_regularizer("a + b", parameter_names=("a", "w1"))
