"""K(sigma, rho): exact values, enclosures and the Fourier-free route, against closed forms."""

from __future__ import annotations

import math

import mpmath
import pytest
import sympy

from igproof.proof.ridgelet.admissibility import admissibility_constant, all_pairs, second_route
from igproof.verdict import Verdict

SQRT_2PI = math.sqrt(2 * math.pi)


@pytest.mark.parametrize("activation,ridgelet,dim,closed_form", [
    # 2 pi (-1)^(k/2) Gamma(k/2): int 2pi (-i)^k w^k e^{-w^2} / |w| dw by hand
    ("gaussian", "gaussian-d2", 1, -2 * math.pi),
    ("gaussian", "gaussian-d4", 1, 2 * math.pi),
    ("gaussian", "gaussian-d6", 1, -4 * math.pi),
    ("relu", "gaussian-d4", 1, -2 * SQRT_2PI),   # int -1/w^2 w^4 sqrt(2pi) e^{-w^2/2}/|w|
    ("relu", "gaussian-d6", 1, 4 * SQRT_2PI),
    ("relu", "dawson", 1, -2 / math.sqrt(math.pi)),
    ("gaussian", "dawson", 1, 1.0),
    ("gaussian", "dawson", 2, 4 * math.sqrt(math.pi)),  # 2 pi (2/sqrt pi) int |w| e^{-w^2}
])
def test_exact_values_match_hand_derived_closed_forms(activation, ridgelet, dim, closed_form):
    res = admissibility_constant(activation, ridgelet, dim=dim, second=False)
    assert res.verdict is Verdict.PROVED and res.admissible
    assert res.exact is not None
    assert float(sympy.sympify(res.exact)) == pytest.approx(closed_form, rel=1e-14)
    assert res.lower <= closed_form <= res.upper or abs(res.value - closed_form) < 1e-15


def _mp_fourier_k(activation: str, k: int) -> float:
    """Independent: mpmath quadrature of the K integrand written out by hand (w > 0, doubled)."""
    with mpmath.workdps(30):
        sig = {"tanh": lambda w: mpmath.pi * mpmath.csch(mpmath.pi * w / 2),
               "sigmoid": lambda w: mpmath.pi * mpmath.csch(mpmath.pi * w)}[activation]
        # -i sig(w) * conj((i w)^k) sqrt(2 pi) e^{-w^2/2} / w, k odd: (-i)(-i)^k = (-i)^(k+1)
        phase = (-1) ** ((k + 1) // 2)
        value = 2 * phase * mpmath.quad(lambda w: sig(w) * w**(k - 1) * mpmath.sqrt(
            2 * mpmath.pi) * mpmath.exp(-w * w / 2), [0, 1, mpmath.inf])
        return float(value)


@pytest.mark.parametrize("activation,k", [("tanh", 3), ("tanh", 5), ("sigmoid", 3)])
def test_enclosure_contains_an_independent_high_precision_value(activation, k):
    res = admissibility_constant(activation, f"gaussian-d{k}", second=False)
    assert res.verdict is Verdict.PROVED and res.exact is None
    reference = _mp_fourier_k(activation, k)
    assert res.lower - 1e-15 <= reference <= res.upper + 1e-15
    assert res.upper - res.lower < 1e-12


@pytest.mark.parametrize("activation,ridgelet", [
    ("tanh", "gaussian-d3"), ("sigmoid", "gaussian-d5"), ("softplus", "gaussian-d4"),
    ("softplus", "dawson"), ("gaussian", "gaussian-d2")])
def test_enclosure_meets_the_fourier_free_second_route(activation, ridgelet):
    res = admissibility_constant(activation, ridgelet)
    assert res.verdict is Verdict.PROVED
    assert res.second_consistent is True
    assert abs(res.second_value - res.value) < 1e-8 * max(1, abs(res.value))


def test_second_route_for_relu_uses_no_fourier_transform_and_hits_the_closed_form():
    """relu'' = delta: K = -2 int rho(-u) (u^2 log|u|/2 - 3u^2/4) du = -2 sqrt(2 pi) for d4."""
    value, error = second_route("relu", "gaussian-d4")
    assert abs(value + 2 * SQRT_2PI) < 1e-9 and error < 1e-8


def test_second_route_in_two_dimensions():
    """K_2 = -2 pi^2 int k |u| du = 4 sqrt(pi) for (gaussian, dawson)."""
    value, _ = second_route("gaussian", "dawson", dim=2)
    assert value == pytest.approx(4 * math.sqrt(math.pi), rel=1e-9)


@pytest.mark.parametrize("activation,ridgelet,dim,why", [
    ("gaussian", "gaussian-d0", 1, "divergent"),   # the Gaussian is not self-admissible
    ("tanh", "gaussian-d1", 1, "divergent"),
    ("relu", "gaussian-d2", 1, "divergent"),
    ("relu", "dawson", 2, "divergent"),
    ("tanh", "gaussian-d2", 1, "K = 0"),           # odd sigma^, even rho^
    ("relu", "gaussian-d3", 1, "K = 0"),
    ("tanh", "dawson", 1, "K = 0"),
    ("gaussian", "gaussian-d1", 1, "K = 0"),
])
def test_not_admissible_pairs_with_reason(activation, ridgelet, dim, why):
    res = admissibility_constant(activation, ridgelet, dim=dim, second=False)
    assert res.verdict is Verdict.PROVED and res.admissible is False
    assert why in res.reason


def test_odd_pairs_second_route_vanishes():
    """The K = 0 verdict is exact parity; the second route (k odd) agrees numerically."""
    value, _ = second_route("tanh", "dawson")
    assert abs(value) < 1e-10


@pytest.mark.slow
@pytest.mark.parametrize("dim", [1, 2])
def test_every_builtin_pair_gets_a_proved_answer_within_two_seconds(dim):
    for activation, ridgelet in all_pairs():
        res = admissibility_constant(activation, ridgelet, dim=dim, second=False)
        assert res.verdict is Verdict.PROVED, (activation, ridgelet, res.reason)
        assert res.seconds < 2.0, (activation, ridgelet, res.seconds)


@pytest.mark.parametrize("k,dim", [(3, 1), (5, 1), (3, 2)])
def test_softplus_and_sigmoid_enclosures_obey_the_derivative_identity(k, dim):
    """softplus' = sigmoid and rho_{k+1}^ = i w rho_k^ give K(softplus, d_{k+1}) = -K(sigmoid, d_k).

    The two enclosures are computed from different integrands (csch(pi w)/w vs csch(pi w)).
    """
    sig = admissibility_constant("sigmoid", f"gaussian-d{k}", dim=dim, second=False)
    soft = admissibility_constant("softplus", f"gaussian-d{k + 1}", dim=dim, second=False)
    assert soft.lower <= -sig.lower + 1e-15 and -sig.upper - 1e-15 <= soft.upper


def test_a_user_ridgelet_equal_to_gaussian_d4_gets_the_same_exact_constant():
    """(z^4 - 6 z^2 + 3) e^{-z^2/2} = d^4/dz^4 e^{-z^2/2}: sympy's transform, then exact K."""
    res = admissibility_constant("relu", "(z^4 - 6*z^2 + 3)*exp(-z^2/2)")
    assert res.verdict is Verdict.PROVED and res.admissible
    assert float(sympy.sympify(res.exact)) == pytest.approx(-2 * SQRT_2PI, rel=1e-14)
    assert res.second_consistent is True


def test_a_user_ridgelet_without_closed_form_is_not_proved():
    """tanh with a user rho: no tail bound is known, so no PROVED enclosure is claimed."""
    res = admissibility_constant("tanh", "z^3*exp(-z^2/2) - 3*z*exp(-z^2/2)", second=False)
    assert res.verdict is not Verdict.PROVED or res.admissible is False
    full = admissibility_constant("tanh", "z^3*exp(-z^2/2) - 3*z*exp(-z^2/2)")
    assert full.verdict is Verdict.SUPPORTED
    assert full.value == pytest.approx(-_mp_fourier_k("tanh", 3), rel=1e-8)  # = -(gaussian-d3)
