"""Float study of the minimality gap |z_inf|_1 - min{|d|_1 : A d = y} of the reduced flow against
the initialization scale and the number of measurements. Guarantee: approximate (SUPPORTED):
DOP853 with rtol 1e-12, atol 1e-14 * scale^2, run until the loss is below LOSS_STOP.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from igproof.errors import InvalidArgument
from igproof.proof.spectral.nuclear import l1_minimum

# The float limit is taken once the mean loss is below this (or at T_MAX).
LOSS_STOP = 1e-24
# Longest flow time: small initializations escape the saddle at 0 in time ~ log(1/scale)/rate.
T_MAX = 20000.0


def float_limit(a: np.ndarray, y: np.ndarray, u0: np.ndarray, v0: np.ndarray,
                activation: str = "tanh") -> tuple[np.ndarray, float]:
    """(z_inf, final loss) of the reduced flow (mean loss), by DOP853 in chunks."""
    from scipy.integrate import solve_ivp

    m, n = a.shape
    tanh = activation == "tanh"

    def field(_t: float, th: np.ndarray) -> np.ndarray:
        u, v = th[:n], th[n:]
        z = np.tanh(u * v) if tanh else u * v
        dz = 1 - z * z if tanh else np.ones(n)
        r = a.T @ (a @ z - y) / m
        return np.concatenate([-r * dz * v, -r * dz * u])

    th = np.concatenate([u0, v0]).astype(float)
    scale = float(np.abs(th).max())
    t, chunk = 0.0, 50.0
    loss = np.inf
    while t < T_MAX:
        sol = solve_ivp(field, (t, t + chunk), th, rtol=1e-12, atol=1e-14 * scale ** 2,
                        method="DOP853")
        th, t = sol.y[:, -1], t + chunk
        z = np.tanh(th[:n] * th[n:]) if tanh else th[:n] * th[n:]
        e = a @ z - y
        loss = float(0.5 * np.mean(e * e))
        if loss < LOSS_STOP:
            break
        chunk = min(2 * chunk, 2000.0)
    return z, loss


def gap_vs_scale(A: Sequence[Sequence[Fraction]], d: Sequence[Fraction], scales: Sequence[float],
                 *, ratio: float = 0.5, activation: str = "tanh") -> list[dict]:
    """For u0 = s (1, ..., 1), v0 = ratio * s (1, ..., 1): the float gap |z_inf|_1 - min."""
    a = np.array([[float(v) for v in r] for r in A])
    dd = np.array([float(v) for v in d])
    y_q = [sum((Fraction(x) * Fraction(z) for x, z in zip(r, d, strict=True)), Fraction(0))
           for r in A]
    minimum = float(l1_minimum(A, y_q).value)
    out = []
    for s in scales:
        if not s > 0:
            raise InvalidArgument(f"scales: expected positive numbers, got {s}")
        z, loss = float_limit(a, a @ dd, np.full(a.shape[1], s), np.full(a.shape[1], ratio * s),
                              activation)
        out.append({"scale": s, "gap": float(np.abs(z).sum() - minimum), "loss": loss,
                    "minimum": minimum})
    return out


def gap_vs_measurements(n: int, support: int, ms: Sequence[int], *, scale: float = 0.5,
                        ratio: float = 0.5, seed: int = 0, activation: str = "tanh"
                        ) -> list[dict]:
    """Random Gaussian A (m x n, entries N(0, 4) rounded to 1/8), a nonnegative d* with
    ``support`` nonzeros (0.1..0.3, rounded to 1/100): the float gap for each m."""
    rng = np.random.default_rng(seed)
    d = [Fraction(0)] * n
    for k in rng.choice(n, support, replace=False):
        d[int(k)] = Fraction(int(rng.uniform(10, 30)), 100)
    rows = [[Fraction(int(np.round(8 * 2 * g)), 8) for g in rng.standard_normal(n)]
            for _ in range(max(ms))]
    out = []
    for m in ms:
        res = gap_vs_scale(rows[:m], d, [scale], ratio=ratio, activation=activation)[0]
        res["m"] = m
        res["is_d_star_minimal"] = abs(res["minimum"] - float(sum(d))) < 1e-12
        out.append(res)
    return out
