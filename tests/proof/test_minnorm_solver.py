"""The float barrier of the minimal-norm program, each routine checked against an independent
route: the closed-form elimination of r against a numerical minimisation, the analytic
derivatives against finite differences of the barrier value, the Schur-complement Newton step
against a dense solve, and the barrier's value against closed-form optima."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar

from igproof.proof.minnorm.solver import (
    _barrier_value,
    _local_derivatives,
    _newton_system,
    chord_midpoint_slopes,
    cone_term,
    newton_step,
    solve_barrier,
)


@settings(max_examples=30, deadline=None)
@given(st.floats(-5, 5), st.floats(-5, 5), st.floats(0.5, 1e3))
def test_cone_term_is_the_minimum_over_r(k0, k1, t):
    """min over r > |k| of t r - log(r^2 - |k|^2) (bounded scalar minimisation, no formula)
    equals the closed form (1 + S) - log(2 (1 + S)/t^2), attained at r = (1 + S)/t."""
    value, r_star, *_ = cone_term(np.array([k0]), np.array([k1]), t)
    norm = math.hypot(k0, k1)

    def f(r: float) -> float:
        return t * r - math.log(r * r - norm * norm)

    res = minimize_scalar(f, bounds=(norm + 1e-12, norm + 10.0 / t + 10.0), method="bounded",
                          options={"xatol": 1e-12})
    assert abs(res.fun - float(value[0])) <= 1e-7 * (1 + abs(res.fun))
    assert abs(res.x - float(r_star[0])) <= 1e-4 * (1 + abs(res.x))
    # Stationarity, exactly the defining equation t = 2 r / (r^2 - |k|^2).
    r = float(r_star[0])
    assert abs(t - 2 * r / (r * r - norm * norm)) <= 1e-8 * t


def test_cone_term_derivatives_match_finite_differences():
    """Gradient c k and Hessian c I - t^4/(S (1+S)^2) k k^T against central differences."""
    t, k = 7.0, np.array([0.3, -1.2])
    _, _, g0, g1, h00, h01, h11 = cone_term(k[:1], k[1:], t)
    eps = 1e-6

    def val(v: np.ndarray) -> float:
        return float(cone_term(v[:1], v[1:], t)[0][0])

    def grad(v: np.ndarray) -> np.ndarray:
        out = cone_term(v[:1], v[1:], t)
        return np.array([out[2][0], out[3][0]])

    fd_grad = [(val(k + eps * e) - val(k - eps * e)) / (2 * eps) for e in np.eye(2)]
    assert np.allclose([g0[0], g1[0]], fd_grad, rtol=1e-6)
    fd_hess = np.array([(grad(k + eps * e) - grad(k - eps * e)) / (2 * eps) for e in np.eye(2)])
    assert np.allclose([[h00[0], h01[0]], [h01[0], h11[0]]], fd_hess, rtol=1e-5)


def _random_point(rng: np.random.Generator, n: int):
    """Data and a strictly feasible barrier point z = [s_0, a_0, b_0, s_1, ...]."""
    x = np.sort(rng.uniform(-3, 3, n))
    y = rng.uniform(-1, 1, n)
    delta = np.diff(y) / np.diff(x)
    s = chord_midpoint_slopes(delta) + rng.normal(0, 0.1, n)
    u, v = s[:-1] - delta, s[1:] - delta
    z = np.zeros(3 * (n - 1) + 1)
    z[0::3] = s
    z[1::3] = np.maximum(0.0, -u) + rng.uniform(0.1, 1.0, n - 1)
    z[2::3] = np.maximum(0.0, v) + rng.uniform(0.1, 1.0, n - 1)
    return x, delta, z


def _dense(ab: np.ndarray) -> np.ndarray:
    """The symmetric matrix from scipy's upper banded storage."""
    u, nvar = ab.shape[0] - 1, ab.shape[1]
    h = np.zeros((nvar, nvar))
    for j in range(nvar):
        for i in range(max(0, j - u), j + 1):
            h[i, j] = h[j, i] = ab[u + i - j, j]
    return h


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_barrier_derivatives_match_finite_differences(seed):
    """The assembled gradient and banded Hessian of the reduced barrier equal central
    differences of its value (a route that uses only _barrier_value)."""
    rng = np.random.default_rng(seed)
    x, delta, z = _random_point(rng, 5)
    t = 3.0
    grad, ab, _ = _newton_system(z, x, delta, t)
    eps = 1e-6
    basis = np.eye(z.size)
    fd_grad = np.array([(_barrier_value(z + eps * e, x, delta, t) -
                         _barrier_value(z - eps * e, x, delta, t)) / (2 * eps) for e in basis])
    assert np.allclose(grad, fd_grad, rtol=1e-5, atol=1e-5)
    eps = 1e-4
    fd_hess = np.array([(_newton_system(z + eps * e, x, delta, t)[0] -
                         _newton_system(z - eps * e, x, delta, t)[0]) / (2 * eps)
                        for e in basis])
    assert np.allclose(_dense(ab), fd_hess, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("seed", range(5))
def test_schur_newton_step_solves_the_dense_system(seed):
    """newton_step (eliminating a_i, b_i, then a tridiagonal solve) equals
    numpy.linalg.solve on the dense Hessian assembled from the same local blocks."""
    rng = np.random.default_rng(seed)
    x, delta, z = _random_point(rng, 40)
    t = float(10.0 ** rng.uniform(0, 4))
    grad, ab, _ = _newton_system(z, x, delta, t)
    gl, hl = _local_derivatives(z, x, delta, t)
    step = newton_step(gl, hl)
    dense = np.linalg.solve(_dense(ab), -grad)
    assert np.allclose(step, dense, rtol=1e-8, atol=1e-10 * np.max(np.abs(dense)))


def test_newton_step_gives_up_on_a_singular_system():
    """With no curvature in s at all (every s-entry of H zero) no diagonal shift can help: the
    step raises LinAlgError after the bounded retries instead of looping."""
    g = np.ones((4, 3))
    h = np.zeros((10, 3))
    h[4] = h[7] = 1.0  # the (a, a) and (b, b) entries
    with pytest.raises(np.linalg.LinAlgError):
        newton_step(g, h)


@pytest.mark.parametrize(("x", "y", "optimum"), [
    ([-3, -1, 1, 3], [3, 1, 1, 3], 2.0),                     # f = |x|
    ([-3, 3, 4], [0, 0, 1], 6 / math.sqrt(10)),               # kink at 1/3 (docs/minnorm.md)
    ([-1, 0, 1, 2], [0, 0, 1, 5], 5.0),                       # f = 4 (x - 3/4)_+
])
def test_barrier_cost_reaches_closed_form_optima(x, y, optimum):
    """The barrier's cost is within its own relative stopping gap (1e-6, times a safety 10)
    of the hand-derived optimum; the slopes it returns cost no less than the optimum."""
    sol = solve_barrier(np.array(x, float), np.array(y, float), gap_rtol=1e-6)
    assert abs(sol.cost - optimum) <= 1e-5 * max(1.0, optimum)
    assert sol.gap_bound <= 1e-6 * max(1.0, sol.cost) + 1e-12


# --- the fmpq fast path of the exact layer agrees with Fractions -----------------------------

small = st.fractions(min_value=-20, max_value=20, max_denominator=50)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(-50, 50), min_size=3, max_size=7, unique=True),
       st.lists(small, min_size=7, max_size=7), st.lists(small, min_size=7, max_size=7))
def test_fmpq_and_fraction_give_the_same_exact_results(xs, ys, ss):
    """cost_bounds, kinks_of, segment_ratios and chord_slopes return equal rationals whether
    called with Fraction or with flint fmpq (the solver uses fmpq for speed)."""
    from flint import fmpq

    from igproof.proof.minnorm.exact import chord_slopes, cost_bounds, kinks_of, segment_ratios

    xs = sorted(Fraction(v) for v in xs)
    n = len(xs)
    ys, ss = ys[:n], ss[:n]

    def q(values):
        return [fmpq(v.numerator, v.denominator) for v in values]

    def frac(v):
        return Fraction(int(v.numerator), int(v.denominator))

    qx, qy, qs = q(xs), q(ys), q(ss)
    assert [frac(v) for v in chord_slopes(qx, qy)] == chord_slopes(xs, ys)
    for penalised in (True, False):
        lo, hi = cost_bounds(xs, ys, ss, penalised_bias=penalised)
        qlo, qhi = cost_bounds(qx, qy, qs, penalised_bias=penalised)
        assert (frac(qlo), frac(qhi)) == (lo, hi)
        assert [frac(r) for r in segment_ratios(qx, qs, penalised_bias=penalised)] == \
            segment_ratios(xs, ss, penalised_bias=penalised)
    assert [(frac(k.at), frac(k.jump)) for k in kinks_of(qx, qy, qs)] == \
        [(k.at, k.jump) for k in kinks_of(xs, ys, ss)]


@pytest.mark.parametrize("seed", range(4))
def test_vectorised_directional_derivatives_match_the_scalar_ones(seed):
    """directional_pairs equals _directional (interval by interval) on random slopes, some of
    them pinned exactly at chord slopes (where the one-sided derivative takes the sign of the
    move), for single moves and opposite moves of neighbours."""
    from igproof.proof.minnorm.solver import _directional, directional_pairs

    rng = np.random.default_rng(seed)
    n = 12
    x = np.sort(rng.uniform(-3, 3, n))
    delta = np.diff(rng.uniform(-1, 1, n)) / np.diff(x)
    s = chord_midpoint_slopes(delta) + rng.normal(0, 0.2, n)
    for j in rng.choice(n - 1, 4, replace=False):
        s[j] = delta[j]  # u_j = 0
    s[n - 1] = delta[n - 2]  # v_{n-2} = 0
    js, d0, d1, dirs = [], [], [], []
    for j in range(n):
        for e in (1.0, -1.0):
            js.append(j), d0.append(e), d1.append(0.0), dirs.append({j: e})
            if j + 1 < n:
                r = float(rng.uniform(0.1, 8))
                js.append(j), d0.append(-e), d1.append(e * r), dirs.append({j: -e, j + 1: e * r})
    batch = directional_pairs(x, delta, s, np.array(js), np.array(d0), np.array(d1))
    scalar = [_directional(x, delta, s, d) for d in dirs]
    assert np.allclose(batch, scalar, rtol=1e-12, atol=1e-12)


def test_barrier_resumes_along_the_path():
    """solve_barrier(start=...) continues from the earlier centre: the tighter stopping gap
    holds, the cost approaches the closed-form optimum 6/sqrt(10) of x = (-3, 3, 4),
    y = (0, 0, 1) (docs/minnorm.md) at least as closely, and the Newton steps added are fewer
    than a fresh solve to the tighter gap takes."""
    x, y = np.array([-3.0, 3, 4]), np.array([0.0, 0, 1])
    optimum = 6 / math.sqrt(10)
    coarse = solve_barrier(x, y, gap_rtol=1e-4)
    fine = solve_barrier(x, y, gap_rtol=1e-9, start=coarse)
    fresh = solve_barrier(x, y, gap_rtol=1e-9)
    assert fine.gap_bound <= 1e-9 * max(1.0, fine.cost) + 1e-15
    assert abs(fine.cost - optimum) <= abs(coarse.cost - optimum)
    assert abs(fine.cost - optimum) <= 1e-7
    assert fine.newton_steps - coarse.newton_steps < fresh.newton_steps
