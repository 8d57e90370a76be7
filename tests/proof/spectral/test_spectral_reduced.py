"""The reduced model: exact identities, the field against SPEC's formula, problem validation."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from igproof.errors import DataError, InvalidArgument
from igproof.proof.spectral import instances
from igproof.proof.spectral.reduced import (
    ReducedProblem,
    balance_conserved,
    reduced_flow,
    reflection_invariance,
    spec_ode_matches,
    symbols,
    vanishes,
)


def test_spec_ode_and_conservation_are_exact_identities():
    assert spec_ode_matches(2, 2)
    assert spec_ode_matches(2, 3, "linear")
    assert balance_conserved(3, 2)
    assert reflection_invariance()


def test_vanishes_decides_identities_by_expansion_then_simplification():
    import sympy

    x, y = sympy.symbols("x y", real=True)
    assert vanishes((x + sympy.tanh(y)) ** 2 - x ** 2 - 2 * x * sympy.tanh(y) - sympy.tanh(y) ** 2)
    # not a polynomial identity in the atoms: expand leaves it, simplify shows it is 0
    assert vanishes(sympy.tanh(x) ** 2 + 1 / sympy.cosh(x) ** 2 - 1)
    assert not vanishes(sympy.tanh(x) ** 2 - 1)
    assert not vanishes(x * y - y * x + sympy.Rational(1, 10 ** 30))


def test_conservation_is_not_vacuous():
    """u_k^2 - v_k^2 is conserved on an instance but u_k^2 + v_k^2 and u_k v_k are not."""
    flow = reduced_flow(instances.GAP)
    u, v, _ = symbols(3)
    assert flow.conservation(u[0] ** 2 - v[0] ** 2)
    assert not flow.conservation(u[0] ** 2 + v[0] ** 2)
    assert not flow.conservation(u[2] * v[2])


def test_reduced_field_is_spec_field_divided_by_m():
    """igproof's mean loss: the field at a rational point equals SPEC's sum-loss field / m
    (SPEC's formula evaluated independently with numpy)."""
    prob = instances.UNIQUE
    flow = reduced_flow(prob)
    theta = [Fraction(1, 3), Fraction(-1, 2), Fraction(2, 5), Fraction(1, 7), Fraction(3, 4),
             Fraction(-1, 5)]
    field = np.array([float(f) for f in flow.field_at(theta)])
    a = np.array([[float(x) for x in r] for r in prob.A])
    y = np.array([float(x) for x in prob.y])
    th = np.array([float(t) for t in theta])
    u, v = th[:3], th[3:]
    z = np.tanh(u * v)
    r = a.T @ (a @ z - y)
    spec = np.concatenate([-r * (1 - z ** 2) * v, -r * (1 - z ** 2) * u]) / prob.m
    assert np.allclose(field, spec, rtol=1e-13, atol=1e-15)


def test_from_target_labels_are_exact():
    assert instances.UNIQUE.y == (Fraction(9, 4), Fraction(1), Fraction(1, 2))


@pytest.mark.parametrize(("obj", "error"), [
    ({"A": [[1, 2]], "y": [1], "u0": [1, 2]}, DataError),                 # missing v0
    ({"A": [[1, 2]], "y": [1], "u0": [1, 2], "v0": [1]}, DataError),       # v0 too short
    ({"A": [[1, 2, 3]], "y": [1], "u0": [1, 2], "v0": [1, 1]}, DataError),  # row length
    ({"A": [[1, 2]], "y": [1, 2], "u0": [1, 2], "v0": [1, 1]}, DataError),  # y length
    ({"A": [[1, "NaN"]], "y": [1], "u0": [1, 2], "v0": [1, 1]}, DataError),
    ({"A": [[1, 2]], "y": [1], "u0": [1, 2], "v0": [1, 1], "activation": "relu"},
     InvalidArgument),
    ({"A": [[1, 2]], "y": [1], "u0": [1, 2], "v0": [1, 1], "bias": 1}, DataError),
    ([1, 2], DataError),
])
def test_malformed_problems_are_rejected(obj, error):
    with pytest.raises(error):
        ReducedProblem.from_json(obj)
