"""SNN gradients through the SVD against finite differences, and aligned gradient descent
against the reduced (SPEC) update."""

from __future__ import annotations

import numpy as np
import pytest

from igproof.errors import InvalidArgument
from igproof.proof.spectral.network import (
    SNN,
    aligned_network,
    backward,
    forward,
    spectral_backward,
)
from igproof.proof.spectral.sensing import (
    effective_rank,
    gd_step,
    nuclear_norm,
    paper_problem,
    train,
)

STEP = 1e-6
TOL = 1e-6


def _rel(a: float, b: float) -> float:
    return abs(a - b) / max(1.0, abs(a))


@pytest.mark.parametrize("activation", ["tanh", "linear"])
def test_spectral_backward_matches_central_differences(activation):
    """d/dQ <G, sigma(Q)> (distinct singular values) by the formula vs central differences."""
    rng = np.random.default_rng(3)
    q = rng.standard_normal((4, 4))
    g = rng.standard_normal((4, 4))
    from igproof.proof.spectral.activation import spectral_activation

    p, s, rt = np.linalg.svd(q)
    grad = spectral_backward(p, s, rt, g, activation)
    for i, j in [(0, 0), (1, 3), (3, 2), (2, 1)]:
        e = np.zeros((4, 4))
        e[i, j] = STEP
        fd = (np.sum(g * spectral_activation(q + e, activation))
              - np.sum(g * spectral_activation(q - e, activation))) / (2 * STEP)
        assert _rel(fd, grad[i, j]) < TOL


def test_snn_gradient_matches_central_differences_for_every_parameter_group():
    rng = np.random.default_rng(4)
    net = SNN(rng.standard_normal((2, 3, 3)), rng.standard_normal((2, 3, 3)),
              [rng.standard_normal((2, 3)), rng.standard_normal((3, 1))], "tanh")
    target = rng.standard_normal((3, 3))

    def loss(nn):
        return 0.5 * float(np.sum((forward(nn)[0] - target) ** 2))

    x, cache = forward(net)
    grad = backward(net, cache, x - target)
    for name, idx in (("U", (0, 0, 1)), ("U", (1, 2, 2)), ("V", (0, 1, 0)), ("V", (1, 0, 2))):
        plus, minus = net.copy(), net.copy()
        getattr(plus, name)[idx] += STEP
        getattr(minus, name)[idx] -= STEP
        assert _rel((loss(plus) - loss(minus)) / (2 * STEP), getattr(grad, name)[idx]) < TOL
    for layer, idx in ((0, (1, 2)), (1, (2, 0))):
        plus, minus = net.copy(), net.copy()
        plus.alphas[layer][idx] += STEP
        minus.alphas[layer][idx] -= STEP
        assert _rel((loss(plus) - loss(minus)) / (2 * STEP), grad.alphas[layer][idx]) < TOL


def test_aligned_gd_step_equals_the_reduced_update():
    """One channel X = alpha tanh(U V^T), alpha = 1, aligned start: after one GD step the
    diagonal of Phi^T X Psi is alpha' tanh(u' v') with u' = u - lr (1/m) r tanh'(uv) v, v'
    likewise (SPEC's field divided by m), r = A^T (A tanh(uv) - y), alpha' = 1 - lr (r . z)/m;
    the off-diagonal stays at rounding level."""
    prob = paper_problem(5, 3, 12, seed=1)
    u = np.linspace(0.6, 0.3, 5)
    v = np.linspace(0.2, 0.5, 5)
    net = aligned_network(prob.phi, prob.psi, [1], u, v, alphas=[np.ones((1, 1))])
    lr = 1e-3
    gd_step(net, prob, lr)
    x, _ = forward(net)
    core = prob.phi.T @ x @ prob.psi
    z = np.tanh(u * v)
    r = prob.a.T @ (prob.a @ z - prob.y) / prob.m
    dz = 1 - z ** 2
    u1, v1 = u - lr * r * dz * v, v - lr * r * dz * u
    alpha1 = 1 - lr * float(r @ z)
    assert np.allclose(np.diag(core), alpha1 * np.tanh(u1 * v1), atol=1e-12)
    assert np.abs(core - np.diag(np.diag(core))).max() < 1e-12


def test_paper_problem_and_metrics():
    """X* has nuclear norm 1 and rank 6; y_i = trace(A_i^T X*); a_i sorted descending;
    effective rank of diag(1, 1, 0) is 2 and of a rank-1 matrix 1."""
    prob = paper_problem()
    assert abs(nuclear_norm(prob.x_star) - 1) < 1e-12
    assert np.linalg.matrix_rank(prob.x_star, tol=1e-10) == 6
    y_direct = np.array([np.trace(ai.T @ prob.x_star) for ai in prob.matrices])
    assert np.allclose(prob.y, y_direct, atol=1e-12)
    assert np.all(np.diff(prob.a, axis=1) <= 0)
    assert abs(effective_rank(np.diag([1.0, 1.0, 0.0])) - 2) < 1e-12
    assert abs(effective_rank(np.outer([1.0, 2.0], [3.0, 1.0])) - 1) < 1e-9


def test_loss_gradient_matches_central_differences():
    prob = paper_problem(4, 2, 6, seed=2)
    x = np.random.default_rng(0).standard_normal((4, 4))
    g = prob.loss_gradient(x)
    e = np.zeros((4, 4))
    e[1, 2] = STEP
    assert _rel((prob.loss(x + e) - prob.loss(x - e)) / (2 * STEP), g[1, 2]) < TOL


def test_short_training_run_decreases_the_loss_and_stays_aligned():
    hist = train(paper_problem(), iterations=60, lr=3e-3, record_every=30)
    assert hist["loss"][-1] < 0.1 * hist["loss"][0]
    assert max(hist["alignment_defect"]) < 1e-10


def test_bad_shapes_are_errors():
    with pytest.raises(InvalidArgument):
        SNN(np.zeros((2, 3, 3)), np.zeros((2, 3, 3)), [np.zeros((2, 2))])  # last width 2
    with pytest.raises(InvalidArgument):
        SNN(np.zeros((2, 3, 3)), np.zeros((2, 3, 2)), [np.zeros((2, 1))])
