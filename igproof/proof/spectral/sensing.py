"""Matrix sensing: y_i = <A_i, X*>, loss L(X) = (1/2m) sum_i (<A_i, X> - y_i)^2, and gradient
descent on an SNN; the well-specified problems A_i = Phi diag(a_i) Psi^T.

Metrics of the paper's first experiment: relative error |X - X*|_F / |X*|_F, nuclear norm
|X|_* = sum s, effective rank exp(H(s / sum s)) (H the Shannon entropy).
Guarantee: approximate (float).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from igproof.errors import InvalidArgument
from igproof.proof.spectral.network import SNN, aligned_network, backward, forward

# Scale of the measurement diagonals a_i ~ A_SCALE N(0, I) in the paper's first experiment.
A_SCALE = 10.0


@dataclass
class SensingProblem:
    """Well-specified matrix sensing: A_i = Phi diag(a_i) Psi^T (a: m x n), X* and y."""

    phi: np.ndarray
    psi: np.ndarray
    a: np.ndarray
    x_star: np.ndarray
    y: np.ndarray
    _mats: np.ndarray | None = field(default=None, repr=False)

    @property
    def m(self) -> int:
        return self.a.shape[0]

    @property
    def n(self) -> int:
        return self.phi.shape[0]

    @property
    def matrices(self) -> np.ndarray:
        """The A_i, shape (m, n, n)."""
        if self._mats is None:
            self._mats = np.einsum("ak,ik,bk->iab", self.phi, self.a, self.psi)
        return self._mats

    def measure(self, x: np.ndarray) -> np.ndarray:
        """(<A_i, X>)_i."""
        return np.einsum("iab,ab->i", self.matrices, x)

    def loss(self, x: np.ndarray) -> float:
        """(1/2m) sum_i (<A_i, X> - y_i)^2."""
        e = self.measure(x) - self.y
        return float(0.5 * np.mean(e * e))

    def loss_gradient(self, x: np.ndarray) -> np.ndarray:
        """dL/dX = (1/m) sum_i e_i A_i."""
        e = self.measure(x) - self.y
        return np.einsum("i,iab->ab", e, self.matrices) / self.m


def paper_problem(n: int = 10, rank: int = 6, m: int = 75, *, seed: int = 0) -> SensingProblem:
    """Experiment 1 of the paper's code: X* = W W^T, W uniform [0,1)^(n x rank), scaled to
    nuclear norm 1; Phi, Psi its singular vectors; a_i = sort(10 N(0, I_n)) descending."""
    if not (1 <= rank <= n and m >= 1):
        raise InvalidArgument(f"n, rank, m: expected 1 <= rank <= n and m >= 1, got {n}, {rank}, "
                              f"{m}")
    rng = np.random.default_rng(seed)
    w = rng.uniform(0.0, 1.0, (n, rank))
    x_star = w @ w.T
    x_star /= np.linalg.svd(x_star, compute_uv=False).sum()
    phi, s, psit = np.linalg.svd(x_star)
    a = -np.sort(-A_SCALE * rng.standard_normal((m, n)), axis=1)
    return SensingProblem(phi, psit.T, a, x_star, a @ s)


def relative_error(x: np.ndarray, x_star: np.ndarray) -> float:
    """|X - X*|_F / |X*|_F."""
    return float(np.linalg.norm(x - x_star) / np.linalg.norm(x_star))


def nuclear_norm(x: np.ndarray) -> float:
    """|X|_* = sum of the singular values."""
    return float(np.linalg.svd(x, compute_uv=False).sum())


def effective_rank(x: np.ndarray) -> float:
    """exp(H(p)), p = s / sum s (0 log 0 = 0)."""
    s = np.linalg.svd(x, compute_uv=False)
    total = s.sum()
    if total == 0:
        return 0.0
    p = s / total
    p = p[p > 0]
    return float(np.exp(-(p * np.log(p)).sum()))


def gd_step(net: SNN, problem: SensingProblem, lr: float) -> float:
    """One full-batch gradient-descent step in place; returns the loss before the step."""
    x, cache = forward(net)
    grad = backward(net, cache, problem.loss_gradient(x))
    net.U -= lr * grad.U
    net.V -= lr * grad.V
    for alpha, d in zip(net.alphas, grad.alphas, strict=True):
        alpha -= lr * d
    return problem.loss(x)


def train(problem: SensingProblem, *, widths: Sequence[int] = (2, 2, 2, 2), iterations: int = 200,
          lr: float = 1e-3, init_scale: float = 0.5, record_every: int = 1,
          activation: str = "tanh", seed: int = 0) -> dict[str, list[float]]:
    """Full-batch gradient descent on an SNN from the aligned initialization
    u0 = v0 = init_scale * (1, 1 - 1/(2n), ...) (distinct, so singular values stay distinct).

    Returns the history: iteration, loss, relative error, nuclear norm, effective rank, and the
    largest off-diagonal |Phi^T X Psi| (the alignment defect; ~ rounding if alignment holds).
    """
    if iterations < 0 or lr <= 0 or record_every < 1:
        raise InvalidArgument(f"iterations, lr, record_every: expected >= 0, > 0, >= 1, got "
                              f"{iterations}, {lr}, {record_every}")
    n = problem.n
    ramp = init_scale * (1.0 - np.arange(n) / (2.0 * n))
    net = aligned_network(problem.phi, problem.psi, widths, ramp, ramp, activation=activation,
                          seed=seed)
    hist: dict[str, list[float]] = {k: [] for k in ("iteration", "loss", "relative_error",
                                                    "nuclear_norm", "effective_rank",
                                                    "alignment_defect")}
    for it in range(iterations + 1):
        if it % record_every == 0 or it == iterations:
            x, _ = forward(net)
            core = problem.phi.T @ x @ problem.psi
            hist["iteration"].append(float(it))
            hist["loss"].append(problem.loss(x))
            hist["relative_error"].append(relative_error(x, problem.x_star))
            hist["nuclear_norm"].append(nuclear_norm(x))
            hist["effective_rank"].append(effective_rank(x))
            hist["alignment_defect"].append(float(np.abs(core - np.diag(np.diag(core))).max()))
        if it < iterations:
            gd_step(net, problem, lr)
    return hist
