"""Training finite ReLU networks with a small weight decay on 1-D data (float, approximate).

Model f(x) = sum_j a_j (w_j x + b_j)_+ + v x + c (skip part (v, c) free, not penalised), objective

    J_lambda(theta) = (1/2n) sum_i (f(x_i) - y_i)^2 + lambda (1/2) sum_j (a_j^2 + w_j^2 + b_j^2),

minimised by scipy's L-BFGS-B with the exact gradient (vectorized numpy; relu'(0) = 0), for a
decreasing sequence of lambda, each run warm-started from the previous minimiser (continuation).
What it shows (Boursier & Flammarion 2023): by AM-GM, (1/2)(a^2 + w^2 + b^2) >= |a| sqrt(w^2 + b^2)
= |a w| sqrt(1 + tau^2), tau = -b/w, so the penalty bounds the representational cost
int sqrt(1 + x^2) d|f''| of the trained f; at a global minimiser of J_lambda the penalty is at
most the minimal cost OPT of an interpolant (plug in the balanced minimal-norm network), and it
tends to OPT as lambda -> 0, with the kinks clustering at the minimal-norm interpolator's kinks.

Guarantee: approximate (float64, local optimiser, no bound): the catalogue reports SUPPORTED.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from igproof.errors import InvalidArgument

__all__ = ["DEFAULT_LAMBDAS", "TrainedNetwork", "train_weight_decay", "weight_decay_path"]

# Decays used by default: three decades bracket the regime where the loss term (~lambda OPT) is
# already small and L-BFGS still converges within MAX_ITER on width ~100 (a few seconds).
DEFAULT_LAMBDAS = (1e-2, 1e-3, 1e-4)
# L-BFGS-B iteration cap per lambda; 20000 is ample for width 100 and keeps each run < ~5 s.
MAX_ITER = 20000
# Projected-gradient tolerance for L-BFGS-B: below the smallest lambda times typical weights.
GTOL = 1e-12
# Kinks whose cost |a| sqrt(w^2 + b^2) is below this fraction of the total are ignored when
# reporting the kink clusters (dead or negligible neurons).
NEGLIGIBLE_MASS = 1e-6


@dataclass(frozen=True)
class TrainedNetwork:
    """One trained network: parameters, loss, penalty and its kink measure (all float)."""

    lam: float
    a: np.ndarray
    w: np.ndarray
    b: np.ndarray
    v: float
    c: float
    loss: float
    penalty: float
    iterations: int

    def __call__(self, t: Any) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        return (np.maximum(np.outer(t, self.w) + self.b, 0.0) @ self.a) + self.v * t + self.c

    @property
    def cost(self) -> float:
        """sum_j |a_j| sqrt(w_j^2 + b_j^2): the representational cost of this parametrisation."""
        return float(np.sum(np.abs(self.a) * np.hypot(self.w, self.b)))

    def kinks(self) -> tuple[np.ndarray, np.ndarray]:
        """(tau_j, mass_j) with tau_j = -b_j / w_j and mass_j = |a_j| sqrt(w_j^2 + b_j^2)."""
        mass = np.abs(self.a) * np.hypot(self.w, self.b)
        keep = (np.abs(self.w) > 0) & (mass > NEGLIGIBLE_MASS * max(mass.sum(), 1e-300))
        return -self.b[keep] / self.w[keep], mass[keep]

    def mass_near(self, points: Sequence[float], radius: float) -> float:
        """Fraction of the kink mass within ``radius`` of one of ``points``."""
        tau, mass = self.kinks()
        if mass.sum() == 0:
            return 0.0
        pts = np.asarray(list(points), dtype=float)
        if pts.size == 0:
            return 0.0
        near = np.min(np.abs(tau[:, None] - pts[None, :]), axis=1) <= radius
        return float(mass[near].sum() / mass.sum())


def _objective(params: np.ndarray, x: np.ndarray, y: np.ndarray, width: int, lam: float):
    a, w, b = params[:width], params[width:2 * width], params[2 * width:3 * width]
    v, c = params[3 * width], params[3 * width + 1]
    z = np.outer(x, w) + b  # (n, m)
    act = np.maximum(z, 0.0)
    r = act @ a + v * x + c - y
    n = x.size
    loss = 0.5 * np.dot(r, r) / n
    penalty = 0.5 * (np.dot(a, a) + np.dot(w, w) + np.dot(b, b))
    rn = r / n
    active = (z > 0).astype(float)
    ga = act.T @ rn + lam * a
    gz = active * rn[:, None] * a[None, :]  # d loss / d z
    gw = gz.T @ x + lam * w
    gb = gz.sum(axis=0) + lam * b
    grad = np.concatenate([ga, gw, gb, [np.dot(rn, x), rn.sum()]])
    return loss + lam * penalty, grad


def train_weight_decay(x: Sequence[float], y: Sequence[float], *, width: int, lam: float,
                       seed: int = 0, theta0: np.ndarray | None = None,
                       max_iter: int = MAX_ITER) -> TrainedNetwork:
    """argmin_theta (1/2n) sum (f(x_i) - y_i)^2 + lam (1/2) sum (a^2 + w^2 + b^2), by L-BFGS-B.

    Parameters
    ----------
    x, y : sequences of floats, the 1-D data.
    width : int, keyword-only, number of hidden neurons m >= 1.
    lam : float, keyword-only, the weight decay lambda > 0.
    seed : int, keyword-only, seed of the initialisation w, b ~ N(0, 1), a ~ N(0, 1/m), v = c = 0.
    theta0 : array, keyword-only, warm start (a, w, b, v, c) flattened; overrides ``seed``.
    max_iter : int, keyword-only, iteration cap.

    Guarantee: approximate (a local minimiser found in float64).
    """
    from scipy.optimize import minimize

    xs = np.asarray(x, dtype=float)
    ys = np.asarray(y, dtype=float)
    if xs.ndim != 1 or xs.shape != ys.shape or xs.size < 2:
        raise InvalidArgument(f"x, y = {x!r}, {y!r}: need two 1-D sequences of equal length >= 2")
    if not (np.all(np.isfinite(xs)) and np.all(np.isfinite(ys))):
        raise InvalidArgument(f"x, y = {x!r}, {y!r} contain NaN or infinity; give finite numbers")
    if not (isinstance(width, int) and width >= 1):
        raise InvalidArgument(f"width = {width!r} must be a positive integer such as 100")
    if not lam > 0:
        raise InvalidArgument(f"lam = {lam!r} must be a positive float such as 1e-3")
    if theta0 is None:
        rng = np.random.default_rng(seed)
        theta0 = np.concatenate([rng.normal(0, 1 / np.sqrt(width), width),
                                 rng.normal(0, 1, width), rng.normal(0, 1, width), [0.0, 0.0]])
    elif np.shape(theta0) != (3 * width + 2,):
        raise InvalidArgument(f"theta0 has shape {np.shape(theta0)}; expected ({3 * width + 2},)")
    res = minimize(_objective, np.asarray(theta0, dtype=float), args=(xs, ys, width, lam),
                   jac=True, method="L-BFGS-B",
                   options={"maxiter": max_iter, "gtol": GTOL, "ftol": 1e-15, "maxfun":
                            2 * max_iter})
    p = res.x
    a, w, b = p[:width], p[width:2 * width], p[2 * width:3 * width]
    r = np.maximum(np.outer(xs, w) + b, 0.0) @ a + p[3 * width] * xs + p[3 * width + 1] - ys
    loss = float(0.5 * np.dot(r, r) / xs.size)
    penalty = float(0.5 * (np.dot(a, a) + np.dot(w, w) + np.dot(b, b)))
    return TrainedNetwork(lam, a.copy(), w.copy(), b.copy(), float(p[3 * width]),
                          float(p[3 * width + 1]), loss, penalty, int(res.nit))


def weight_decay_path(x: Sequence[float], y: Sequence[float], *, width: int = 100,
                      lambdas: Sequence[float] = DEFAULT_LAMBDAS, seed: int = 0
                      ) -> list[TrainedNetwork]:
    """Train for each lambda in ``lambdas`` (decreasing), warm-starting each from the previous.

    Guarantee: approximate.
    """
    lams = [float(v) for v in lambdas]
    if not lams or any(b >= a for a, b in itertools.pairwise(lams)):
        raise InvalidArgument(f"lambdas = {lambdas!r} must be a non-empty strictly decreasing "
                              "sequence such as (1e-2, 1e-3, 1e-4)")
    out: list[TrainedNetwork] = []
    theta: np.ndarray | None = None
    for lam in lams:
        net = train_weight_decay(x, y, width=width, lam=lam, seed=seed, theta0=theta)
        theta = np.concatenate([net.a, net.w, net.b, [net.v, net.c]])
        out.append(net)
    return out
