"""Lazy-regime identity, limit kernel, MMD and the trained comparison, by independent routes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from igproof.errors import InvalidArgument
from igproof.proof.ridgelet import lazy, trained
from igproof.verdict import Verdict


def test_identity_is_proved_symbolically_and_on_the_exact_instance():
    assert lazy.identity_symbolic().verdict is Verdict.PROVED
    assert lazy.identity_instance().verdict is Verdict.PROVED


def test_finite_width_c_minimizes_the_ridge_objective():
    """Independent route: the p x p normal equations solved by numpy lstsq on the stacked system."""
    rng = np.random.default_rng(3)
    theta = 1.5 * rng.standard_normal((40, 2))
    _, c = lazy.finite_width(theta)
    x, y, beta = lazy.DATA_X, lazy.DATA_Y, lazy.BETA
    n, p = len(x), len(theta)
    phi = np.exp(-0.5 * (np.outer(x, theta[:, 0]) - theta[:, 1])**2)
    # J(c) = |y - phi c/p|^2/n + beta/p |c|^2 = |A c - r|^2 with A, r stacked
    A = np.vstack([phi / (p * math.sqrt(n)), math.sqrt(beta / p) * np.eye(p)])
    r = np.concatenate([y / math.sqrt(n), np.zeros(p)])
    direct = np.linalg.lstsq(A, r, rcond=None)[0]
    assert np.max(np.abs(direct - c)) < 1e-9


def test_limit_kernel_matches_gauss_hermite_quadrature():
    x = np.array([-1.0, 0.3, 1.7])
    s = lazy.LAMBDA_SCALE
    t, w = np.polynomial.hermite_e.hermegauss(150)  # weight exp(-t^2/2)
    w = w / math.sqrt(2 * math.pi)
    A, B = np.meshgrid(s * t, s * t, indexing="ij")
    W2 = np.outer(w, w)
    for i in range(3):
        for j in range(3):
            integrand = np.exp(-0.5 * (A * x[i] - B)**2 - 0.5 * (A * x[j] - B)**2)
            assert np.sum(W2 * integrand) == pytest.approx(lazy.limit_kernel(x)[i, j], rel=1e-10)


def test_mmd_closed_form_matches_brute_force_quadrature():
    """MMD^2 with mu = gamma lambda replaced by a fine Gauss-Hermite measure (independent)."""
    rng = np.random.default_rng(5)
    theta = 1.5 * rng.standard_normal((30, 2))
    c = rng.standard_normal(30)
    alpha = lazy.limit_alpha()
    s, h = lazy.LAMBDA_SCALE, lazy.MMD_BANDWIDTH
    t, w = np.polynomial.hermite_e.hermegauss(60)
    w = w / math.sqrt(2 * math.pi)
    A, B = np.meshgrid(s * t, s * t, indexing="ij")
    nodes = np.stack([A.ravel(), B.ravel()], axis=1)
    mass = np.outer(w, w).ravel() * lazy.gamma_spectrum(nodes[:, 0], nodes[:, 1], alpha)
    atoms = np.concatenate([theta, nodes])
    weights = np.concatenate([c / len(c), -mass])
    d2 = np.sum((atoms[:, None] - atoms[None, :])**2, axis=-1)
    brute = math.sqrt(max(weights @ np.exp(-d2 / (2 * h * h)) @ weights, 0.0))
    assert lazy.mmd(theta, c, alpha) == pytest.approx(brute, rel=1e-6)


def test_mmd_gram_routes_agree(monkeypatch):
    """The factorized Gram matrix g_i g_j exp(t_i . t_j / h^2) against the squared distances
    (MMD_FACTOR_LIMIT = -1 forces the latter), across a block boundary; and a far atom (|t|^2 =
    1800, where g underflows) takes the squared-distance route and stays exact."""
    rng = np.random.default_rng(11)
    theta = 1.5 * rng.standard_normal((1500, 2))
    c = rng.standard_normal(1500)
    alpha = lazy.limit_alpha()
    factorized = lazy.mmd(theta, c, alpha)
    far = np.vstack([theta[:20], [[30.0, -30.0], [30.0, -30.0]]])
    far_c = np.concatenate([c[:20], [1.0, -1.0]])  # two cancelling atoms far away
    far_value = lazy.mmd(far, far_c, alpha)
    monkeypatch.setattr(lazy, "MMD_FACTOR_LIMIT", -1.0)
    assert factorized == pytest.approx(lazy.mmd(theta, c, alpha), rel=1e-12)
    assert far_value == pytest.approx(lazy.mmd(theta[:20], c[:20] * 20 / 22, alpha), rel=1e-12)


def test_width_limit_decreases_on_small_widths():
    result = lazy.width_limit(widths=(50, 200, 800), seeds=2)
    assert result.distances[0] > result.distances[-1]
    assert -1.0 < result.slope < -0.2


def test_training_gradient_matches_central_differences():
    rng = np.random.default_rng(11)
    a, b, c = rng.standard_normal(7), rng.standard_normal(7), rng.standard_normal(7)
    _, ga, gb, gc = trained.objective_and_gradient(a, b, c)
    eps = 1e-6
    for vec, grad in ((a, ga), (b, gb), (c, gc)):
        for j in range(7):
            up, down = vec.copy(), vec.copy()
            up[j] += eps
            down[j] -= eps
            args = [up if v is vec else v for v in (a, b, c)]
            args_down = [down if v is vec else v for v in (a, b, c)]
            fd = (trained.objective_and_gradient(*args)[0]
                  - trained.objective_and_gradient(*args_down)[0]) / (2 * eps)
            assert fd == pytest.approx(grad[j], abs=1e-8)


def test_small_hidden_step_keeps_c_near_the_lazy_formula():
    """With hidden steps p times smaller, theta barely moves and c ~ Phi^T (K_p + n beta)^-1 y
    (c lags the slowly moving optimum, hence the loose tolerance)."""
    theta0, theta, c, _ = trained.train(200, 0, steps=1500, hidden_step="small")
    _, c_lazy = lazy.finite_width(theta)
    assert np.max(np.abs(c - c_lazy)) < 0.1 * np.max(np.abs(c))
    assert np.sqrt(np.mean(np.sum((theta - theta0)**2, axis=1))) < 0.5


def test_unknown_hidden_step_is_rejected():
    with pytest.raises(InvalidArgument):
        trained.train(10, 0, steps=1, hidden_step="huge")


@pytest.mark.slow
def test_mean_field_training_moves_the_hidden_parameters_order_one():
    result = trained.compare_trained(widths=(100, 1000), seeds=1, steps=600)
    assert min(result.displacements) > 0.3
