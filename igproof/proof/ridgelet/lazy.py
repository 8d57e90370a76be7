"""Lazy regime: c_j = gamma_{beta,p}(a_j, b_j) exactly; (1/p) sum_j c_j delta -> gamma_beta lambda.

Model g(x) = (1/p) sum_j c_j sigma(a_j x - b_j), hidden theta_j = (a_j, b_j) i.i.d. from lambda and
frozen, c minimizing J(c) = (1/n) sum_i (y_i - g(x_i))^2 + (beta/p) |c|^2. With Phi_ij =
sigma(a_j x_i - b_j) (n x p) and K_p = Phi Phi^T / p:

    grad J = -(2/(n p)) Phi^T (y - Phi c / p) + (2 beta / p) c = 0
    <=> c = Phi^T alpha with alpha = (y - K_p alpha) / (n beta), i.e. alpha = (K_p + n beta I)^-1 y,

so c_j = sum_i alpha_i sigma(a_j x_i - b_j) = gamma_{beta,p}(theta_j); J is strictly convex
(Hessian 2 Phi^T Phi/(n p^2) + 2 beta/p I), so this is THE minimizer (:func:`identity_symbolic`,
:func:`identity_instance`: exact algebra).

Width limit (:func:`width_limit`, numpy, SUPPORTED): sigma = exp(-z^2/2) and lambda = N(0, s^2 I)
make every term of the kernel MMD between mu_p = (1/p) sum_j c_j delta_{theta_j} and
mu = gamma_beta lambda (alpha from the limit kernel
K(x, x') = E_lambda sigma(a x - b) sigma(a x' - b) = det(I + s^2 (u u^T + u' u'^T))^(-1/2),
u = (x, -1)) a Gaussian integral in closed form.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from igproof.verdict import Outcome, Verdict

__all__ = ["WidthLimit", "gamma_spectrum", "identity_instance", "identity_symbolic",
           "limit_alpha", "limit_kernel", "mmd", "width_limit"]

# The instance: data x_i in [-2, 2], targets sin(x_i); ridge beta; lambda = N(0, LAMBDA_SCALE^2 I).
# LAMBDA_SCALE = 1.5 spreads theta over the region where sigma(a x - b) varies on the data.
DATA_X = np.linspace(-2.0, 2.0, 6)
DATA_Y = np.sin(DATA_X)
BETA = 0.05
LAMBDA_SCALE = 1.5
# MMD kernel exp(-|theta - theta'|^2 / (2 h^2)) with h = 1: the scale of the spectrum's features.
MMD_BANDWIDTH = 1.0
# Widths and seeds of the width-limit experiment (the catalogue's default; the notebook's
# full run uses 10^2..10^4 with more seeds).
WIDTHS = (100, 300, 1000, 3000)
SEEDS = 6
# SUPPORTED when the fitted log-log slope of the mean MMD lies in this window around -1/2
# (Monte Carlo rate) and the MMD decreases from the smallest to the largest width.
RATE_WINDOW = (-0.75, -0.3)
# Rows of the p x p Gram matrix computed at once in mmd (memory: CHUNK * p floats).
CHUNK = 1000
# Largest |theta_j|^2 / h^2 for which mmd forms the Gram matrix as g_i g_j exp(theta_i . theta_j
# / h^2), g = exp(-|theta|^2 / (2 h^2)): one BLAS product and one exp per entry, 3x faster than
# the squared distances. The two routes agree to ~1e-13 relative there (the cancellation in
# -|t_i|^2/2 - |t_j|^2/2 + t_i.t_j costs at most ~200 ulp); beyond, g would underflow, so the
# squared distances are used.
MMD_FACTOR_LIMIT = 200.0


def _u(x: np.ndarray) -> np.ndarray:
    return np.stack([x, -np.ones_like(x)], axis=-1)  # theta . u = a x - b


def limit_kernel(x: np.ndarray, scale: float = LAMBDA_SCALE) -> np.ndarray:
    """K(x, x') = E exp(-(a x - b)^2/2 - (a x' - b)^2/2), (a, b) ~ N(0, s^2 I), in closed form."""
    u = _u(np.asarray(x, dtype=float))
    outer = u[:, None, :, None] * u[:, None, None, :] + u[None, :, :, None] * u[None, :, None, :]
    return np.linalg.det(np.eye(2) + scale**2 * outer) ** -0.5


def limit_alpha(x: np.ndarray = DATA_X, y: np.ndarray = DATA_Y, beta: float = BETA,
                scale: float = LAMBDA_SCALE) -> np.ndarray:
    """alpha = (K + n beta I)^-1 y with the limit kernel K."""
    n = len(x)
    return np.linalg.solve(limit_kernel(x, scale) + n * beta * np.eye(n), y)


def gamma_spectrum(a: np.ndarray, b: np.ndarray, alpha: np.ndarray,
                   x: np.ndarray = DATA_X) -> np.ndarray:
    """gamma_beta(a, b) = sum_i alpha_i exp(-(a x_i - b)^2 / 2).

    (= R[sum_i alpha_i delta_{x_i}; sigma], the transform of the data measure with rho = sigma.)
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    z = a[..., None] * x - b[..., None]
    return np.exp(-0.5 * z * z) @ alpha


def finite_width(theta: np.ndarray, x: np.ndarray = DATA_X, y: np.ndarray = DATA_Y,
                 beta: float = BETA) -> tuple[np.ndarray, np.ndarray]:
    """(alpha_p, c) for frozen theta (p x 2): alpha_p = (K_p + n beta I)^-1 y, c = Phi^T alpha_p."""
    phi = np.exp(-0.5 * (np.outer(x, theta[:, 0]) - theta[:, 1])**2)  # n x p
    n, p = phi.shape
    alpha = np.linalg.solve(phi @ phi.T / p + n * beta * np.eye(n), y)
    return alpha, phi.T @ alpha


def mmd(theta: np.ndarray, c: np.ndarray, alpha: np.ndarray, *, x: np.ndarray = DATA_X,
        scale: float = LAMBDA_SCALE, h: float = MMD_BANDWIDTH) -> float:
    """MMD between (1/p) sum_j c_j delta_{theta_j} and gamma_beta(theta) lambda(theta) dtheta.

    Kernel kappa = exp(-|t - t'|^2/(2h^2)); the terms with mu are Gaussian integrals:
    int exp(-t^T Q t/2 + l^T t) dt = 2 pi det(Q)^-1/2 exp(l^T Q^-1 l / 2) (and its 4-D twin).
    """
    theta = np.asarray(theta, dtype=float)
    p = len(c)
    u = _u(np.asarray(x, dtype=float))
    eye = np.eye(2)
    A = eye / h**2 + eye / scale**2 + u[:, :, None] * u[:, None, :]  # n x 2 x 2
    # <mu, mu>
    n = len(x)
    Q4 = np.zeros((n, n, 4, 4))
    Q4[:, :, :2, :2] = A[:, None]
    Q4[:, :, 2:, 2:] = A[None, :]
    Q4[:, :, :2, 2:] = -eye / h**2
    Q4[:, :, 2:, :2] = -eye / h**2
    mu_mu = alpha @ (np.linalg.det(Q4) ** -0.5) @ alpha / scale**4
    # <mu_p, mu>
    A_inv = np.linalg.inv(A)
    l = theta / h**2  # p x 2
    quad = np.einsum("pk,nkl,pl->pn", l, A_inv, l)
    cross_terms = (np.linalg.det(A) ** -0.5)[None, :] * np.exp(
        -np.sum(theta**2, axis=1)[:, None] / (2 * h**2) + quad / 2) / scale**2
    mu_p_mu = c @ cross_terms @ alpha / p
    # <mu_p, mu_p> = c^T G c / p^2, G_ij = exp(-|theta_i - theta_j|^2 / (2 h^2)), by row blocks
    mu_p_mu_p = 0.0
    sq = np.sum(theta**2, axis=1) / h**2
    if p and float(sq.max()) <= MMD_FACTOR_LIMIT:
        w = c * np.exp(-sq / 2)  # G_ij = g_i g_j exp(theta_i . theta_j / h^2)
        for start in range(0, p, CHUNK):
            e = theta[start:start + CHUNK] @ theta.T
            e *= 1 / h**2
            mu_p_mu_p += w[start:start + CHUNK] @ np.exp(e, out=e) @ w
    else:  # squared distances coordinate by coordinate (no 3-D array)
        a, b = theta[:, 0], theta[:, 1]
        for start in range(0, p, CHUNK):
            da = a[start:start + CHUNK, None] - a[None, :]
            db = b[start:start + CHUNK, None] - b[None, :]
            d2 = da * da
            d2 += db * db
            d2 *= -1 / (2 * h**2)
            mu_p_mu_p += c[start:start + CHUNK] @ np.exp(d2, out=d2) @ c
    mu_p_mu_p /= p * p
    return math.sqrt(max(mu_p_mu_p - 2 * mu_p_mu + mu_mu, 0.0))


@dataclass
class WidthLimit:
    """MMD(mu_p, gamma_beta lambda) per width (mean over seeds) and the fitted rate."""

    widths: list[int]
    distances: list[float]
    alpha_errors: list[float]
    slope: float
    verdict: Verdict
    evidence: str
    details: dict[str, Any] = field(default_factory=dict)


def width_limit(widths: tuple[int, ...] = WIDTHS, seeds: int = SEEDS) -> WidthLimit:
    """The lazy-regime width limit (module docstring); SUPPORTED when the rate is ~ p^-1/2."""
    alpha = limit_alpha()
    distances, alpha_errors = [], []
    for p in widths:
        d, e = [], []
        for seed in range(seeds):
            rng = np.random.default_rng(1000 * seed + p)
            theta = LAMBDA_SCALE * rng.standard_normal((p, 2))
            alpha_p, c = finite_width(theta)
            d.append(mmd(theta, c, alpha))
            e.append(float(np.max(np.abs(alpha_p - alpha))))
        distances.append(float(np.mean(d)))
        alpha_errors.append(float(np.mean(e)))
    slope = float(np.polyfit(np.log(widths), np.log(distances), 1)[0])
    ok = RATE_WINDOW[0] <= slope <= RATE_WINDOW[1] and distances[-1] < distances[0]
    verdict = Verdict.SUPPORTED if ok else Verdict.INCONCLUSIVE
    table = ", ".join(f"p={p}: {d:.3g}" for p, d in zip(widths, distances, strict=True))
    evidence = (f"kernel MMD(mu_p, gamma_beta lambda) (mean of {seeds} seeds) {table}; fitted "
                f"rate p^{slope:.2f} (SUPPORTED window {RATE_WINDOW}); max|alpha_p - alpha| "
                f"{alpha_errors[0]:.2g} -> {alpha_errors[-1]:.2g}")
    return WidthLimit(list(widths), distances, alpha_errors, slope, verdict, evidence,
                      {"beta": BETA, "lambda": f"N(0, {LAMBDA_SCALE}^2 I)",
                       "mmd_bandwidth": MMD_BANDWIDTH, "seeds": seeds})


# ---------------------------------------------------------------------------------------------
# The identity, by exact algebra.

# Shapes (n, p) on which the symbolic identity is expanded entry by entry.
SYMBOLIC_SHAPES = ((2, 3), (3, 2))


def identity_symbolic(shapes: tuple[tuple[int, int], ...] = SYMBOLIC_SHAPES) -> Outcome:
    """grad J(Phi^T alpha) = 0 when y = (K_p + n beta I) alpha: a polynomial identity (exact).

    Every y is of that form since K_p + n beta I is positive definite; J is strictly convex, so
    c = Phi^T alpha is the unique minimizer. sympy expands the gradient to 0 with symbolic Phi,
    alpha and beta for each shape (n, p).
    """
    beta = sympy.Symbol("beta", positive=True)
    checked = []
    for n, p in shapes:
        phi = sympy.Matrix(n, p, lambda i, j: sympy.Symbol(f"phi_{i}{j}", real=True))
        alpha = sympy.Matrix(n, 1, lambda i, _: sympy.Symbol(f"alpha_{i}", real=True))
        y = (phi * phi.T / p + n * beta * sympy.eye(n)) * alpha
        c = phi.T * alpha
        grad = -sympy.Rational(2, n * p) * phi.T * (y - phi * c / p) + 2 * beta / p * c
        if any(sympy.expand(g) != 0 for g in grad):
            return Outcome(Verdict.INCONCLUSIVE, f"gradient does not vanish for shape {(n, p)}")
        checked.append(f"{n}x{p}")
    return Outcome(Verdict.PROVED, "grad J(Phi^T alpha) expands to 0 for y = (K_p + n beta I) "
                   f"alpha with symbolic Phi, alpha, beta (shapes {', '.join(checked)}); J "
                   "strictly convex", {"shapes": checked})


# Exact instance: relu features, rational data and hidden parameters.
INSTANCE_X = (Fraction(-1), Fraction(-1, 3), Fraction(1, 2), Fraction(1))
INSTANCE_Y = (Fraction(1), Fraction(0), Fraction(1, 2), Fraction(2))
INSTANCE_THETA = ((Fraction(1), Fraction(-1, 2)), (Fraction(-2), Fraction(1, 3)),
                  (Fraction(1, 2), Fraction(0)), (Fraction(3), Fraction(1)),
                  (Fraction(-1), Fraction(-1)))
INSTANCE_BETA = Fraction(1, 10)


def identity_instance() -> Outcome:
    """Exact rationals: the p x p normal equations of J give c = Phi^T (K_p + n beta I)^-1 y."""
    x = [sympy.Rational(v.numerator, v.denominator) for v in INSTANCE_X]
    y = sympy.Matrix([sympy.Rational(v.numerator, v.denominator) for v in INSTANCE_Y])
    theta = [(sympy.Rational(a.numerator, a.denominator), sympy.Rational(b.numerator,
              b.denominator)) for a, b in INSTANCE_THETA]
    beta = sympy.Rational(INSTANCE_BETA.numerator, INSTANCE_BETA.denominator)
    n, p = len(x), len(theta)
    phi = sympy.Matrix(n, p, lambda i, j: sympy.Max(theta[j][0] * x[i] - theta[j][1], 0))
    # direct: (Phi^T Phi / (n p^2) + beta/p I) c = Phi^T y / (n p)
    c_direct = (phi.T * phi / (n * p**2) + beta / p * sympy.eye(p)).LUsolve(phi.T * y / (n * p))
    alpha = (phi * phi.T / p + n * beta * sympy.eye(n)).LUsolve(y)
    gamma = [sum(alpha[i] * sympy.Max(a * x[i] - b, 0) for i in range(n)) for a, b in theta]
    equal = all(c_direct[j] - gamma[j] == 0 for j in range(p))
    text = [str(v) for v in c_direct]
    if not equal:
        return Outcome(Verdict.INCONCLUSIVE, "c != gamma_{beta,p}(theta_j) on the instance")
    return Outcome(Verdict.PROVED, f"relu instance n={n}, p={p}, beta={beta}: c from the normal "
                   f"equations equals gamma_(beta,p)(a_j, b_j) exactly: c = ({', '.join(text)})",
                   {"c": text, "alpha": [str(v) for v in alpha]})
