"""The spectral activation: values against an SVD-free route, and its (in)dependence on the SVD."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from igproof.errors import InvalidArgument
from igproof.proof.spectral.activation import (
    dependence_instance,
    spectral_activation,
    svd_independence_identity,
)


def _via_gram(q: np.ndarray) -> np.ndarray:
    """tanh(Q) = Q h(Q^T Q), h(t) = tanh(sqrt t)/sqrt t, by an eigendecomposition of Q^T Q."""
    w, r = np.linalg.eigh(q.T @ q)
    w = np.clip(w, 0.0, None)
    h = np.where(w > 1e-300, np.tanh(np.sqrt(w)) / np.sqrt(np.maximum(w, 1e-300)), 1.0)
    return q @ (r * h) @ r.T


def test_tanh_spectral_activation_matches_the_gram_route():
    """P tanh(S) R^T equals Q h(Q^T Q) (no SVD used on the right), to 1e-13."""
    rng = np.random.default_rng(1)
    for n in (2, 4, 7):
        q = rng.standard_normal((n, n))
        assert np.allclose(spectral_activation(q, "tanh"), _via_gram(q), atol=1e-13)


def test_spec_example_sigmoid_two_svds():
    """SPEC.md: Q = diag(1, 0), SVDs (I, (1,0), I) and (I, (1,0), diag(1,-1)): sigmoid gives
    diag(0.731.., 0.5) and diag(0.731.., -0.5); tanh gives the same output for both."""
    s = np.array([1.0, 0.0])
    one = spectral_activation(np.diag(s), "sigmoid", svd=(np.eye(2), s, np.eye(2)))
    two = spectral_activation(np.diag(s), "sigmoid", svd=(np.eye(2), s, np.diag([1.0, -1.0])))
    assert np.allclose(one, np.diag([1 / (1 + np.exp(-1)), 0.5]))
    assert np.allclose(two, np.diag([1 / (1 + np.exp(-1)), -0.5]))
    t1 = spectral_activation(np.diag(s), "tanh", svd=(np.eye(2), s, np.eye(2)))
    t2 = spectral_activation(np.diag(s), "tanh", svd=(np.eye(2), s, np.diag([1.0, -1.0])))
    assert np.array_equal(t1, t2)


def test_rotating_a_repeated_block_leaves_tanh_unchanged():
    """A rotation inside a repeated singular value is another SVD; tanh's output is unchanged."""
    rng = np.random.default_rng(2)
    p, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    r, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    s = np.array([2.0, 0.7, 0.7])
    c, sn = np.cos(0.3), np.sin(0.3)
    rot = np.array([[1, 0, 0], [0, c, -sn], [0, sn, c]])
    a = spectral_activation(p @ np.diag(s) @ r.T, "tanh", svd=(p, s, r.T))
    b = spectral_activation(p @ np.diag(s) @ r.T, "tanh", svd=(p @ rot, s, (r @ rot).T))
    assert np.allclose(a, b, atol=1e-14)


@pytest.mark.parametrize(("name", "expected"), [("tanh", True), ("linear", True),
                                                ("sigmoid", False)])
def test_exact_identity_holds_iff_sigma_zero_vanishes(name, expected):
    assert svd_independence_identity(name) is expected


def test_dependence_instance_difference_is_two_sigma0_p2_r2():
    """Exact: output1 - output2 = 2 sigma(0) p_2 r_2^T = p_2 r_2^T for the sigmoid (closed
    form from the rotation columns), and 0 for tanh."""
    inst = dependence_instance("sigmoid")
    p2 = sympy.Matrix([sympy.Rational(-4, 5), sympy.Rational(3, 5)])
    r2 = sympy.Matrix([sympy.Rational(-12, 13), sympy.Rational(5, 13)])
    assert sympy.simplify(inst.output1 - inst.output2 - p2 * r2.T) == sympy.zeros(2, 2)
    assert inst.differ
    assert not dependence_instance("tanh").differ


def test_unknown_activation_is_an_error():
    with pytest.raises(InvalidArgument):
        spectral_activation(np.eye(2), "relu6")
