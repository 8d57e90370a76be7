"""Sonoda, Ishikawa, Ikeda: ridge regression with over-parametrized two-layer networks converge to
ridgelet spectrum (AISTATS 2021, arXiv:2007.03441).

Only the abstract and opening of the paper were available: the statements below are igproof's
own formalization (docs/ridgelet.md), with the conventions of Sonoda and Murata's ridgelet
theory: f^(w) = int f(z) e^{-izw} dz, R[f; rho](a, b) = int f(x) conj(rho(a.x - b)) dx,
S[gamma](x) = int int gamma(a, b) sigma(a.x - b) da db,
K = (2 pi)^(m-1) int sigma^(w) conj(rho^(w)) |w|^-m dw.
"""

from __future__ import annotations

from functools import partial

from igproof.papers.checks import ridgelet as checks
from igproof.papers.claims import Claim
from igproof.verdict import Verdict

PAPER = "sonoda2021"
REFERENCE = ("S. Sonoda, I. Ishikawa, M. Ikeda, Ridge regression with over-parametrized two-layer "
             "networks converge to ridgelet spectrum, AISTATS 2021, arXiv:2007.03441")
FORMALIZATION = "igproof's formalization (docs/ridgelet.md); the paper's full text was unavailable"


def _pair_claim(activation: str, ridgelet: str) -> Claim:
    return Claim(
        id=f"{PAPER}.admissibility.{activation}-{ridgelet}",
        paper=PAPER,
        reference=REFERENCE,
        statement=(f"(sigma, rho) = ({activation}, {ridgelet}) is admissible in m = 1: "
                   "K = int sigma^(w) conj(rho^(w)) |w|^-1 dw converges absolutely and is "
                   "nonzero; its value is enclosed rigorously (acb.integral with tail bounds) "
                   "and matched by the Fourier-free route K = -2 int k(u) log|u| du."),
        hypotheses=("sigma^ as a tempered distribution (docs/ridgelet.md)", FORMALIZATION),
        structured={"activation": activation, "ridgelet": ridgelet, "dim": 1},
        expected=Verdict.PROVED,
        check=partial(checks.check_pair, activation, ridgelet),
    )


CLAIMS = [
    Claim(
        id=f"{PAPER}.fourier.dawson",
        cost=0.6,
        paper=PAPER,
        reference=REFERENCE,
        statement=("The dawson ridgelet psi(z) = [2 z (z^2 - 3) D(z/sqrt 2) - sqrt 2 (z^2 - 2)] "
                   "/ pi^2 has psi^(w) = (sqrt 2/pi) |w|^3 exp(-w^2/2)."),
        hypotheses=("D = Dawson's function", FORMALIZATION),
        structured={"ridgelet": "dawson"},
        expected=Verdict.PROVED,
        check=checks.check_dawson_fourier_pair,
        shares=checks.DAWSON_PAIR_WORK,
    ),
    Claim(
        id=f"{PAPER}.admissibility.gaussian-dawson",
        paper=PAPER,
        reference=REFERENCE,
        statement=("For the Gaussian activation exp(-z^2/2) and the dawson ridgelet, K = 1 "
                   "exactly in m = 1 (so S[R[f; psi]] = f)."),
        hypotheses=(FORMALIZATION,),
        structured={"activation": "gaussian", "ridgelet": "dawson", "dim": 1, "K": "1"},
        expected=Verdict.PROVED,
        check=checks.check_gaussian_dawson,
        shares=checks.DAWSON_PAIR_WORK,
    ),
    *[_pair_claim(a, r) for a, r in checks.ENCLOSED_PAIRS],
    Claim(
        id=f"{PAPER}.admissibility.gaussian-not-self-admissible",
        paper=PAPER,
        reference=REFERENCE,
        statement=("The Gaussian is not self-admissible in m = 1: the K integrand of (exp(-z^2/2), "
                   "exp(-z^2/2)) behaves like 2 pi / |w| at w = 0, so the integral diverges."),
        hypotheses=(FORMALIZATION,),
        structured={"activation": "gaussian", "ridgelet": "gaussian-d0", "dim": 1},
        expected=Verdict.PROVED,
        check=checks.check_gaussian_not_self_admissible,
    ),
    Claim(
        id=f"{PAPER}.reconstruction.gaussian",
        paper=PAPER,
        reference=REFERENCE,
        statement=("Reconstruction S[R[f; psi]] = K f for f = exp(-x^2/2), sigma = Gaussian, "
                   "rho = dawson (K = 1), at x in {-1.5, -0.5, 0, 0.7, 2}, by 2-D quadrature "
                   "over (a, b) in R^2."),
        hypotheses=("quadrature: SUPPORTED with the stated tolerance", FORMALIZATION),
        structured={"target": "exp(-x^2/2)", "activation": "gaussian", "ridgelet": "dawson"},
        expected=Verdict.SUPPORTED,
        check=partial(checks.check_reconstruction, "gaussian", "dawson"),
    ),
    Claim(
        id=f"{PAPER}.reconstruction.gaussian-relu",
        paper=PAPER,
        reference=REFERENCE,
        statement=("Reconstruction S[R[f; rho]] = K f for f = exp(-x^2/2), sigma = relu, "
                   "rho = gaussian-d4 (K = -2 sqrt(2 pi)), at the same points."),
        hypotheses=("quadrature: SUPPORTED with the stated tolerance", FORMALIZATION),
        structured={"target": "exp(-x^2/2)", "activation": "relu", "ridgelet": "gaussian-d4"},
        expected=Verdict.SUPPORTED,
        check=partial(checks.check_reconstruction, "relu", "gaussian-d4"),
    ),
    Claim(
        id=f"{PAPER}.lazy.identity",
        paper=PAPER,
        reference=REFERENCE,
        statement=("Lazy regime: with hidden (a_j, b_j) frozen, the minimizer of (1/n) sum_i "
                   "(y_i - g(x_i))^2 + (beta/p)|c|^2, g = (1/p) sum_j c_j sigma(a_j x - b_j), is "
                   "c_j = gamma_{beta,p}(a_j, b_j) = sum_i alpha_i sigma(a_j x_i - b_j), "
                   "alpha = (K_p + n beta I)^-1 y, K_p = Phi Phi^T / p."),
        hypotheses=("beta > 0", FORMALIZATION),
        structured={"identity": "c = Phi^T (Phi Phi^T/p + n beta I)^-1 y"},
        expected=Verdict.PROVED,
        check=checks.check_lazy_identity,
    ),
    Claim(
        id=f"{PAPER}.lazy.width-limit",
        cost=0.3,
        paper=PAPER,
        reference=REFERENCE,
        statement=("As p grows, (1/p) sum_j c_j delta_(a_j, b_j) tends weakly to "
                   "gamma_beta(a, b) lambda(a, b) da db (Gaussian sigma, lambda = N(0, 1.5^2 I)): "
                   "the kernel MMD decreases like p^-1/2."),
        hypotheses=("simulation, widths 100..3000, 6 seeds", FORMALIZATION),
        structured={"sigma": "gaussian", "lambda": "N(0, 1.5^2 I)", "beta": "0.05"},
        expected=Verdict.SUPPORTED,
        check=checks.check_width_limit,
    ),
    Claim(
        id=f"{PAPER}.trained.comparison",
        cost=0.6,
        paper=PAPER,
        reference=REFERENCE,
        statement=("All of (a, b, c) trained by gradient descent with the per-unit (mean-field) "
                   "step for every parameter: does the c-weighted measure of the trained "
                   "parameters approach the spectrum gamma_beta lambda as the width grows? "
                   "(igproof finds that the hidden parameters move O(1) and the distance "
                   "plateaus: not shown.)"),
        hypotheses=("simulation, widths 100..3000, 2 seeds, 1000 steps", FORMALIZATION),
        structured={"hidden_step": "mean-field"},
        expected=Verdict.INCONCLUSIVE,
        check=partial(checks.check_trained, "mean-field"),
    ),
    Claim(
        id=f"{PAPER}.trained.small-hidden-step",
        cost=0.6,
        paper=PAPER,
        reference=REFERENCE,
        statement=("All of (a, b, c) trained by gradient descent, the hidden (a, b) with a step "
                   "p times smaller than c's: the c-weighted measure of the trained parameters "
                   "approaches gamma_beta lambda, kernel MMD ~ p^-1/2."),
        hypotheses=("simulation, widths 100..3000, 2 seeds, 1000 steps", FORMALIZATION),
        structured={"hidden_step": "small"},
        expected=Verdict.SUPPORTED,
        check=partial(checks.check_trained, "small"),
    ),
]
