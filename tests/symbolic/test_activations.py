"""Activations: formulas, derivatives against independent closed forms, the relu convention."""

from fractions import Fraction

import mpmath
import numpy
import pytest
import sympy

from igproof.errors import InvalidArgument
from igproof.symbolic.activations import (
    KNOWN_ACTIVATIONS,
    MPMATH_FUNCTIONS,
    NUMPY_FUNCTIONS,
    get_activation,
    relu,
    relu_step,
)

z = sympy.Symbol("z", real=True)


@pytest.mark.parametrize("name, derivative", [
    ("tanh", 1 - sympy.tanh(z) ** 2),
    ("sigmoid", sympy.exp(-z) / (1 + sympy.exp(-z)) ** 2),
    ("softplus", 1 / (1 + sympy.exp(-z))),
    ("gaussian", -z * sympy.exp(-z ** 2 / 2)),
    ("linear", sympy.S.One),
])
def test_smooth_derivatives_match_hand_formulas(name, derivative):
    """sigma' equals the textbook derivative (tanh' = 1 - tanh^2, softplus' = sigmoid, ...)."""
    act = get_activation(name)
    assert sympy.simplify(act.derivative(z) - derivative) == 0


def test_relu_values_and_convention_at_zero():
    """relu(z) = max(z, 0); relu'(z) = 1 for z > 0 and 0 for z <= 0, including z = 0."""
    act = get_activation("relu")
    for value in (Fraction(-3, 2), 0, Fraction(5, 7)):
        q = sympy.Rational(value)
        assert act.sigma(q) == max(q, 0)
        assert act.derivative(q) == (1 if value > 0 else 0)
    assert act.derivative(0) == 0
    assert sympy.diff(relu(z), z) == relu_step(z)


def test_leaky_relu_convention_and_values():
    """leaky relu with slope s: sigma(z) = z (z > 0), s z (z <= 0); sigma'(0) = s."""
    act = get_activation("leaky-relu", slope="1/10")
    s = sympy.Rational(1, 10)
    assert act.sigma(sympy.Rational(-2)) == -s * 2
    assert act.sigma(sympy.Rational(3)) == 3
    assert act.derivative(0) == s
    assert act.derivative(sympy.Rational(1, 3)) == 1
    assert get_activation("leaky-relu").options["slope"] == Fraction(1, 100)


def test_relu_numeric_backends_follow_convention():
    """The numpy/mpmath/evalf implementations give relu_step(0) = 0 and relu(-1) = 0."""
    assert NUMPY_FUNCTIONS["relu_step"](0.0) == 0.0
    assert NUMPY_FUNCTIONS["relu_step"](1e-300) == 1.0
    assert numpy.all(NUMPY_FUNCTIONS["relu"](numpy.array([-1.0, 2.0])) == [0.0, 2.0])
    assert MPMATH_FUNCTIONS["relu_step"](mpmath.mpf(0)) == 0
    assert MPMATH_FUNCTIONS["relu"](mpmath.mpf(-1)) == 0
    assert relu(sympy.sqrt(2) - 1).evalf(20) == (sympy.sqrt(2) - 1).evalf(20)
    assert relu(1 - sympy.sqrt(2)) == 0
    assert relu_step(sympy.pi - 3) == 1


@pytest.mark.parametrize("name, homogeneous, zero_set, piecewise", [
    ("relu", True, "z<=0", True),
    ("leaky-relu", True, "z=0", True),
    ("linear", True, "z=0", False),
    ("tanh", False, "z=0", False),
    ("sigmoid", False, "none", False),
    ("softplus", False, "none", False),
    ("gaussian", False, "none", False),
])
def test_structural_flags(name, homogeneous, zero_set, piecewise):
    """Flags match the definitions; homogeneity is checked against sigma(2z) = 2 sigma(z)."""
    act = get_activation(name)
    assert (act.positively_homogeneous, act.zero_set, act.piecewise_linear) == (
        homogeneous, zero_set, piecewise)
    # Independent check of homogeneity at exact points (c = 2).
    points = [sympy.Rational(-3, 2), sympy.Rational(1, 3)]
    holds = all(sympy.simplify(act.sigma(2 * p) - 2 * act.sigma(p)) == 0 for p in points)
    assert holds == homogeneous


@pytest.mark.parametrize("coefficients, zero_set, homogeneous", [
    ([0, 2], "z=0", True),
    ([0, 1, 0, 1], "z=0", False),   # z + z^3: only real root 0
    ([0, -1, 0, 1], "other", False),  # z^3 - z: roots -1, 0, 1
    ([1, 0, 1], "none", False),      # 1 + z^2
    (["1/2", "0.25"], "other", False),
])
def test_polynomial_activation(coefficients, zero_set, homogeneous):
    """sigma = sum c_j z^j; zero set from the exact real roots; homogeneous only for c1 z."""
    act = get_activation("polynomial", coefficients=coefficients)
    assert act.zero_set == zero_set
    assert act.positively_homogeneous == homogeneous
    expected = sum(sympy.Rational(str(c)) * z ** j for j, c in enumerate(coefficients))
    assert sympy.expand(act.sigma(z) - expected) == 0
    assert sympy.expand(act.derivative(z) - sympy.diff(expected, z)) == 0


def test_unknown_names_and_options_are_errors():
    """Unknown activation names list the known ones; bad options are named."""
    with pytest.raises(InvalidArgument, match="known: relu"):
        get_activation("swish")
    with pytest.raises(InvalidArgument, match="takes no options"):
        get_activation("tanh", slope=1)
    with pytest.raises(InvalidArgument, match="coefficients"):
        get_activation("polynomial")
    assert set(KNOWN_ACTIVATIONS) >= {"relu", "leaky-relu", "polynomial", "gaussian"}


@pytest.mark.parametrize("name, options", [("relu", {}), ("leaky-relu", {"slope": "1/4"})])
def test_piecewise_derivative_matches_piecewise_formula_off_the_kink(name, options):
    """Away from 0, sigma' equals sympy.diff of the Piecewise formula of sigma."""
    act = get_activation(name, **options)
    piecewise = act.sigma(z).rewrite(sympy.Piecewise)
    reference = sympy.diff(piecewise, z)
    for value in (sympy.Rational(-5, 3), sympy.Rational(-1, 9), sympy.Rational(2, 7), 3):
        assert act.derivative(value) == reference.subs(z, value)
        assert act.sigma(value) == piecewise.subs(z, value)
