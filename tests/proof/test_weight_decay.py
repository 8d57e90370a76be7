"""Weight-decay training of finite ReLU networks (igproof.proof.minnorm.weight_decay)."""

from __future__ import annotations

import numpy as np
import pytest

from igproof.errors import InvalidArgument
from igproof.proof.minnorm.weight_decay import (
    TrainedNetwork,
    _objective,
    train_weight_decay,
    weight_decay_path,
)


def test_gradient_matches_central_differences():
    """The analytic gradient of J_lambda equals central finite differences (away from kinks)."""
    rng = np.random.default_rng(3)
    width = 7
    x = np.array([-2.0, -0.5, 0.3, 1.7])
    y = np.array([1.0, -1.0, 0.5, 2.0])
    theta = rng.normal(size=3 * width + 2)
    _, grad = _objective(theta, x, y, width, 0.3)
    h = 1e-6
    fd = np.array([(_objective(theta + h * e, x, y, width, 0.3)[0]
                    - _objective(theta - h * e, x, y, width, 0.3)[0]) / (2 * h)
                   for e in np.eye(theta.size)])
    assert np.allclose(grad, fd, rtol=1e-6, atol=1e-8)


def test_affine_data_need_no_neuron():
    """y = 2x + 1 is fit exactly by the free skip part, so the global minimum of J_lambda is
    penalty 0: training drives the hidden weights to 0."""
    x = [-2.0, -1.0, 0.5, 3.0]
    net = train_weight_decay(x, [2 * t + 1 for t in x], width=10, lam=1e-2, seed=1)
    assert net.penalty < 1e-10 and net.loss < 1e-12
    assert abs(net.v - 2) < 1e-6 and abs(net.c - 1) < 1e-6


def test_spec_example_penalty_below_minimal_cost():
    """SPEC data (minimal cost 2, f = |x|): cost <= penalty (AM-GM) <= 2 (plug the balanced |x|
    network into J_lambda) and loss <= lambda * 2; the network fits |x| to O(lambda)."""
    x, y = [-3.0, -1.0, 1.0, 3.0], [3.0, 1.0, 1.0, 3.0]
    for net in weight_decay_path(x, y, width=30, lambdas=(1e-2, 1e-3), seed=0):
        assert net.cost <= net.penalty * (1 + 1e-12)
        assert net.penalty <= 2 * (1 + 1e-9)
        assert net.loss <= net.lam * 2 * (1 + 1e-9)
    assert np.max(np.abs(net(np.array(x)) - np.array(y))) < 0.05
    assert net.mass_near([0.0], 0.1) > 0.99


def test_trained_network_evaluation_and_kinks():
    """f(t) = 2 (t - 1)_+ - (-t - 1)_+ + t/2 + 1/4 evaluated directly; kinks at -b/w, mass
    |a| sqrt(w^2 + b^2)."""
    net = TrainedNetwork(lam=1.0, a=np.array([2.0, -1.0]), w=np.array([1.0, -1.0]),
                         b=np.array([-1.0, -1.0]), v=0.5, c=0.25, loss=0.0, penalty=0.0,
                         iterations=0)
    t = np.array([-3.0, 0.0, 2.0])
    expected = 2 * np.maximum(t - 1, 0) - np.maximum(-t - 1, 0) + 0.5 * t + 0.25
    assert np.allclose(net(t), expected)
    tau, mass = net.kinks()
    assert np.allclose(tau, [1.0, -1.0]) and np.allclose(mass, [2 * 2 ** 0.5, 2 ** 0.5])
    assert net.cost == pytest.approx(3 * 2 ** 0.5)
    assert net.mass_near([1.0], 0.01) == pytest.approx(2 / 3)


@pytest.mark.parametrize("kwargs", [{"width": 0, "lam": 1e-3}, {"width": 5, "lam": 0.0},
                                    {"width": 5, "lam": -1.0}])
def test_invalid_arguments(kwargs):
    with pytest.raises(InvalidArgument):
        train_weight_decay([0.0, 1.0], [0.0, 1.0], **kwargs)


def test_nan_data_rejected():
    with pytest.raises(InvalidArgument, match="NaN"):
        train_weight_decay([0.0, float("nan")], [0.0, 1.0], width=3, lam=1e-3)


def test_lambdas_must_decrease():
    with pytest.raises(InvalidArgument, match="decreasing"):
        weight_decay_path([0.0, 1.0], [0.0, 1.0], lambdas=(1e-3, 1e-2))
