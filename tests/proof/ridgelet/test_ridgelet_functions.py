"""Activations and ridgelet functions: values and Fourier transforms, by independent routes."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy
from scipy.integrate import quad

from igproof.errors import InvalidArgument
from igproof.proof.ridgelet.functions import (
    ACTIVATIONS,
    RIDGELETS,
    W,
    Z,
    get_activation,
    get_ridgelet,
    psi_numpy,
    psi_scalar,
)


@pytest.mark.parametrize("k", range(7))
def test_gaussian_derivative_values_match_sympy_differentiation(k):
    """Hermite recursion (numpy) = sympy's k-th derivative of exp(-z^2/2)."""
    rho = RIDGELETS[f"gaussian-d{k}"]
    z = np.linspace(-5, 5, 41)
    exact = sympy.lambdify(Z, sympy.diff(sympy.exp(-Z**2 / 2), Z, k), "numpy")(z)
    assert np.allclose(rho(z), exact, atol=1e-13)


@pytest.mark.parametrize("k", [0, 1, 2, 3, 5])
@pytest.mark.parametrize("w", [0.4, 1.3, 2.5])
def test_gaussian_derivative_fourier_matches_numerical_transform(k, w):
    """rho^(w) = (i w)^k sqrt(2 pi) e^{-w^2/2} against quadrature of rho(z) e^{-izw}."""
    rho = RIDGELETS[f"gaussian-d{k}"]
    f = lambda z: float(rho(np.array([z]))[0])  # noqa: E731
    re = quad(lambda z: f(z) * math.cos(z * w), -20, 20, limit=200)[0]
    im = -quad(lambda z: f(z) * math.sin(z * w), -20, 20, limit=200)[0]
    expected = complex(sympy.N(rho.fourier.subs(W, w)))
    assert abs(complex(re, im) - expected) < 1e-9


@pytest.mark.parametrize("w", [0.3, 1.0, 2.2])
def test_dawson_fourier_matches_oscillatory_quadrature(w):
    """psi^(w) = 2 int_0^oo psi(z) cos(wz) dz (psi even), by QUADPACK's Fourier rule (QAWF)."""
    value = 2 * quad(psi_scalar, 0, math.inf, weight="cos", wvar=w, limlst=200)[0]
    assert abs(value - math.sqrt(2) / math.pi * w**3 * math.exp(-w * w / 2)) < 1e-8


@pytest.mark.parametrize("z", [0.0, 1.7, -4.2, 19.0, 21.0, -35.0, 120.0])
def test_psi_numpy_matches_mpmath_at_high_precision(z):
    """Closed form (|z| <= 20) and asymptotic series (|z| > 20) against mpmath at 60 digits."""
    with mpmath.workdps(60):
        x = mpmath.mpf(z) / mpmath.sqrt(2)
        dawson = mpmath.sqrt(mpmath.pi) / 2 * mpmath.exp(-x * x) * mpmath.erfi(x)
        exact = (2 * z * (z * z - 3) * dawson - mpmath.sqrt(2) * (z * z - 2)) / mpmath.pi**2
    got = float(psi_numpy(np.array([z]))[0])
    assert abs(got - float(exact)) <= 1e-13 * max(1.0, abs(float(exact))) + 1e-15
    assert got == pytest.approx(psi_scalar(z), rel=1e-14, abs=1e-18)


def _derivative_fourier(name: str, w: float) -> complex:
    """Quadrature of the transform of sigma^(n), an integrable function (n = 1 or 2)."""
    sech2 = lambda z: 1 / math.cosh(z)**2  # noqa: E731
    logistic = lambda z: math.exp(-abs(z)) / (1 + math.exp(-abs(z)))**2  # noqa: E731
    g = {"tanh": sech2, "sigmoid": logistic, "softplus": logistic}[name]
    return complex(2 * quad(g, 0, math.inf, weight="cos", wvar=w)[0], 0.0)  # g even


@pytest.mark.parametrize("name,n", [("tanh", 1), ("sigmoid", 1), ("softplus", 2)])
@pytest.mark.parametrize("w", [0.5, 1.5])
def test_activation_fourier_regular_part_via_an_integrable_derivative(name, n, w):
    """FT[sigma^(n)](w) = (i w)^n sigma^(w) off 0, with sigma^(n) integrable (quadrature)."""
    act = ACTIVATIONS[name]
    expected = complex(sympy.N(((sympy.I * W)**n * act.fourier_regular).subs(W, w)))
    assert abs(_derivative_fourier(name, w) - expected) < 1e-9


def test_relu_and_gaussian_fourier():
    """relu'' = delta so (i w)^2 relu^(w) = 1 off 0; the Gaussian's transform by quadrature."""
    assert sympy.simplify((sympy.I * W)**2 * ACTIVATIONS["relu"].fourier_regular) == 1
    w = 0.9
    value = quad(lambda z: math.exp(-z * z / 2) * math.cos(z * w), -40, 40)[0]
    assert value == pytest.approx(float(ACTIVATIONS["gaussian"].fourier_regular.subs(W, w)),
                                  rel=1e-12)


def test_user_ridgelet_fourier_by_sympy_matches_builtin():
    """z exp(-z^2/2) = -(gaussian-d1): sympy's transform (convention converted) agrees."""
    user = get_ridgelet("z*exp(-z^2/2)")
    assert sympy.simplify(user.fourier + RIDGELETS["gaussian-d1"].fourier) == 0
    assert user.vanishing_order == 1 and not user.builtin


@pytest.mark.parametrize("text", ["foo", "z +", "__import__(z)", "2", "exp(", "nan"])
def test_bad_ridgelets_are_invalid_arguments(text):
    with pytest.raises(InvalidArgument):
        get_ridgelet(text)


def test_unknown_activation_names_the_known_ones():
    with pytest.raises(InvalidArgument, match="known: gaussian"):
        get_activation("swish")
