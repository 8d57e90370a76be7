"""Loss bounds along the reduced flow: L(0) e^(-kappa_hi t) <= L(t) <= L(0) e^(-kappa_lo t).

With e = A z - y and igproof's loss L = |e|^2 / (2m), dL/dt = -|grad L|^2 = -(1/m^2) e^T A D A^T e,
D = diag(sigma'(u v)^2 (u^2 + v^2)) (SPEC.md section 5, rescaled to the mean loss), so
dL/dt in [-(2/m) lambda_max, -(2/m) lambda_min] L with the extreme eigenvalues of A D A^T.
On every validated step the a priori box of the enclosure gives D_lo <= D <= D_hi entrywise,
hence A D_lo A^T <= A D A^T <= A D_hi A^T (Loewner order); kappa_lo = (2/m) mu_lo and
kappa_hi = (2/m) mu_hi where A D_lo A^T - mu_lo I and mu_hi I - A D_hi A^T are certified positive
semidefinite by an exact rational LDL^T. Gronwall then gives the two bounds on [0, T].
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from flint import arb

from igproof.errors import InvalidArgument
from igproof.numeric.ball.arith import arb_to_fraction, precision, to_arb
from igproof.proof.spectral.reduced import ReducedProblem

# Eigenvalue guesses are moved by this relative margin before the exact PSD test (and kept to
# denominators <= 10^12): a guess exactly at the eigenvalue would make the LDL^T test fail.
EIG_MARGIN = 1e-9


def _psd(m: list[list[Fraction]]) -> bool:
    """True when the symmetric rational matrix m is positive semidefinite (exact LDL^T with
    symmetric pivoting on zero pivots: a zero pivot needs a zero row)."""
    a = [list(r) for r in m]
    n = len(a)
    for k in range(n):
        p = a[k][k]
        if p < 0:
            return False
        if p == 0:
            if any(a[k][j] != 0 for j in range(k + 1, n)):
                return False
            continue
        for i in range(k + 1, n):
            f = a[i][k] / p
            for j in range(k + 1, n):
                a[i][j] -= f * a[k][j]
    return True


def _lower_bound(m: list[list[Fraction]]) -> Fraction:
    """A rational mu with m - mu I PSD (certified)."""
    guess = float(np.linalg.eigvalsh(np.array([[float(v) for v in r] for r in m])).min())
    for margin in (EIG_MARGIN, 1e-6, 1e-3, 1e-1):
        mu = Fraction(guess - margin * max(1.0, abs(guess))).limit_denominator(10 ** 12)
        mu = min(mu, Fraction(guess - margin * max(1.0, abs(guess))))
        if _psd([[v - (mu if i == j else 0) for j, v in enumerate(r)] for i, r in enumerate(m)]):
            return mu
    return Fraction(0) if _psd(m) else Fraction(-10 ** 12)  # pragma: no cover - fallback


def _upper_bound(m: list[list[Fraction]]) -> Fraction:
    """A rational mu with mu I - m PSD (certified)."""
    neg = [[-v for v in r] for r in m]
    return -_lower_bound(neg)


@dataclass(frozen=True)
class RateBounds:
    """Certified: L(0) e^(-kappa_hi t) <= L(t) <= L(0) e^(-kappa_lo t) for t in [0, T]."""

    kappa_lo: Fraction
    kappa_hi: Fraction
    T: Fraction
    loss0: arb
    steps: int


def _gram(a: list[list[Fraction]], d: list[Fraction]) -> list[list[Fraction]]:
    m = len(a)
    return [[sum((a[i][k] * d[k] * a[j][k] for k in range(len(d))), Fraction(0))
             for j in range(m)] for i in range(m)]


def rate_bounds(result: Any, problem: ReducedProblem) -> RateBounds:
    """kappa_lo, kappa_hi over the validated trajectory of ``result`` (a ProvedLimit of the
    reduced flow of ``problem``). Guarantee: enclosure (exact PSD tests on outward bounds)."""
    n, m = problem.n, problem.m
    a = [list(r) for r in problem.A]
    kappa_lo: Fraction | None = None
    kappa_hi: Fraction | None = None
    count = 0
    t_end = Fraction(0)
    with precision(result.prec):
        for seg in result.segments:
            if seg.kind != "taylor":
                raise InvalidArgument("rate_bounds: only smooth (Taylor) trajectories")
            for st in seg.steps:
                box = st.apriori
                lo, hi = [], []
                for k in range(n):
                    u, v = box[k], box[n + k]
                    s = u * v
                    dz = 1 - s.tanh() ** 2 if problem.activation == "tanh" else arb(1)
                    dk = dz * dz * (u * u + v * v)
                    lo.append(max(Fraction(0), arb_to_fraction(arb(dk.lower()))))
                    hi.append(arb_to_fraction(arb(dk.upper())))
                mu_lo = _lower_bound(_gram(a, lo))
                mu_hi = _upper_bound(_gram(a, hi))
                k_lo, k_hi = 2 * max(mu_lo, Fraction(0)) / m, 2 * mu_hi / m
                kappa_lo = k_lo if kappa_lo is None else min(kappa_lo, k_lo)
                kappa_hi = k_hi if kappa_hi is None else max(kappa_hi, k_hi)
                count += 1
        t_end = arb_to_fraction(arb(result.T.lower()))
        loss0 = arb(0)
        for row, yi in zip(problem.A, problem.y, strict=True):
            r = -to_arb(yi)
            for k in range(n):
                s = to_arb(problem.u0[k]) * to_arb(problem.v0[k])
                r = r + to_arb(row[k]) * (s.tanh() if problem.activation == "tanh" else s)
            loss0 = loss0 + r * r
        loss0 = loss0 / (2 * m)
    if kappa_lo is None or kappa_hi is None:
        raise InvalidArgument("rate_bounds: the trajectory has no validated steps")
    return RateBounds(kappa_lo, kappa_hi, t_end, loss0, count)


def measured_rate(problem: ReducedProblem, T: float, *, points: int = 200) -> tuple[float, list,
                                                                                   list]:
    """Float evidence: -log(L(T)/L(0)) / T from a DOP853 integration (rtol 1e-12, atol 1e-14),
    and the sampled (t, L(t))."""
    from scipy.integrate import solve_ivp

    a = np.array([[float(v) for v in r] for r in problem.A])
    y = np.array([float(v) for v in problem.y])
    n, m = problem.n, problem.m
    sig = np.tanh if problem.activation == "tanh" else (lambda s: s)

    def field(_t: float, th: np.ndarray) -> np.ndarray:
        u, v = th[:n], th[n:]
        z = sig(u * v)
        dz = 1 - z * z if problem.activation == "tanh" else np.ones(n)
        r = a.T @ (a @ z - y) / m
        return np.concatenate([-r * dz * v, -r * dz * u])

    ts = np.linspace(0.0, T, points)
    th0 = np.array([float(v) for v in problem.theta0])
    sol = solve_ivp(field, (0.0, T), th0, t_eval=ts, rtol=1e-12, atol=1e-14, method="DOP853")
    losses = []
    for th in sol.y.T:
        e = a @ sig(th[:n] * th[n:]) - y
        losses.append(float(0.5 * np.mean(e * e)))
    return float(-np.log(losses[-1] / losses[0]) / T), list(sol.t), losses
