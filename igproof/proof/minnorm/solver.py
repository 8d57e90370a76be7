"""Float barrier method for the penalised-bias minimal-norm program (the second-order cone form).

min over slopes s_1..s_n of sum_i G_i(s_i - delta_i, s_{i+1} - delta_i), where G_i is the gauge of
the moment vector (A_i, B_i) = -u P_i + v Q_i, P_i = (1, x_i), Q_i = (1, x_{i+1}) (see
:mod:`igproof.proof.minnorm.interpolator`). Writing the positive and negative parts of the
interval's second derivative measure as a P + b Q and a' P + b' Q with a, b, a', b' >= 0 gives the
cone program

    min sum_i (r_i + q_i)  s.t.  r_i >= ||a_i P_i + b_i Q_i||,
                                 q_i >= ||(a_i + u_i) P_i + (b_i - v_i) Q_i||,
                                 a_i, b_i, a_i + u_i, b_i - v_i >= 0,

solved here by a primal log-barrier path-following Newton method. The epigraph variables r, q are
eliminated in closed form: for a cone vector k with rho = ||k||^2,
min over r of t r - log(r^2 - rho) is attained at r = (1 + S)/t, S = sqrt(1 + t^2 rho), with
value (1 + S) - log(2 (1 + S) / t^2) (:func:`cone_term`). The reduced barrier in (s, a, b) has the
same minimisers and the same barrier parameter nu = 8 (n - 1); its only constraints are the four
linear slacks per interval, so the largest feasible step is explicit. The variables are ordered
interval by interval, [s_i, a_i, b_i], so the Newton matrix is banded (half-bandwidth 3) and each
step costs O(n) (``scipy.linalg.solveh_banded``). Guarantee: approximate (float64); rigour is added
by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import solve_banded, solveh_banded

# Block size: s_i, a_i, b_i.
_BLOCK = 3
# Barrier parameter growth per outer step: with r, q eliminated, centring after a growth of 50
# takes 3-6 Newton steps; larger factors cost more damped steps per centring than they save.
T_GROWTH = 50.0
# Stop when the barrier's duality-gap bound nu/t falls below this (relative to the cost, floored
# at 1). 1e-6 is enough for the snapping ladder and the active-set polish to find the optimal
# face on the benchmark data (1e-5 is not: the certified gap stays at 7e-8); smaller values only
# cost Newton steps.
GAP_RTOL = 1e-6
# Newton decrement (lambda^2/2) below which a centring step is accepted as centred. Long-step
# path following only needs approximate centring (lambda^2 < ~1e-2); 1e-3 gives the same
# structure as 1e-8 with fewer steps.
CENTRING_TOL = 1e-3
# Newton steps per centring: a safeguard (float noise can stall the decrement at large t).
MAX_NEWTON = 20
# In the quadratic region (decrement < 1) Newton's decrement drops by far more than this factor
# per step; when it does not, the Newton direction is float noise (ill-conditioning at large t)
# and the centring stops: the point is centred as well as float64 allows.
STALL_RATIO = 0.25
MAX_OUTER = 60
# Relative diagonal shift of the Newton system in s: guards against a singular Schur
# complement in float64 at large t, far below the Hessian's own scale.
NEWTON_SHIFT_RTOL = 1e-14
# Largest relative diagonal shift tried when the Schur complement is not numerically positive
# definite (each retry multiplies the shift by 1e3); beyond it the Newton step is given up.
MAX_SHIFT_RTOL = 1e-3
# Fraction of the largest feasible step (to the boundary of a, b, a + u, b - v >= 0) tried first.
STEP_TO_BOUNDARY = 0.99


@dataclass(frozen=True)
class BarrierSolution:
    """Approximate primal slopes, approximate dual values phi_j at the data points, diagnostics."""

    s: np.ndarray
    phi: np.ndarray
    cost: float
    gap_bound: float
    newton_steps: int
    # The path-following state, for resuming with a tighter gap (solve_barrier(start=...)).
    z: np.ndarray | None = None
    t: float = 0.0
    z_prev: np.ndarray | None = None
    exhausted: bool = False


def chord_midpoint_slopes(delta: np.ndarray) -> np.ndarray:
    """s_1 = delta_1, s_j = (delta_{j-1} + delta_j)/2, s_n = delta_{n-1}: a starting point.

    Between the neighbouring chord slopes, so every interval where the data bend has a kink.
    """
    s = np.empty(delta.size + 1)
    s[0] = delta[0]
    s[-1] = delta[-1]
    s[1:-1] = 0.5 * (delta[:-1] + delta[1:])
    return s


def cone_term(k0: np.ndarray, k1: np.ndarray, t: float) -> tuple[np.ndarray, ...]:
    """min over r of t r - log(r^2 - k0^2 - k1^2): value, gradient and Hessian in k = (k0, k1).

    With rho = |k|^2 and S = sqrt(1 + t^2 rho): r = (1 + S)/t, value (1 + S) - log(2(1 + S)/t^2),
    gradient c k with c = t^2/(1 + S), Hessian c I - t^4 / (S (1 + S)^2) k k^T.
    Returns (value, r, g0, g1, h00, h01, h11), arrays. Guarantee: approximate (float64).
    """
    rho = k0 * k0 + k1 * k1
    S = np.sqrt(1.0 + (t * t) * rho)
    c = (t * t) / (1.0 + S)
    e = (t * t) ** 2 / (S * (1.0 + S) ** 2)
    value = (1.0 + S) - np.log(2.0 * (1.0 + S)) + 2.0 * np.log(t)
    return value, (1.0 + S) / t, c * k0, c * k1, c - e * k0 * k0, -e * k0 * k1, c - e * k1 * k1


def _slacks(z: np.ndarray, delta: np.ndarray):
    """The slacks a, b, a + u, b - v of each interval (u = s_i - delta_i, v = s_{i+1} - delta_i)."""
    s = z[0::_BLOCK]
    a = z[1::_BLOCK]
    b = z[2::_BLOCK]
    return a, b, a + s[:-1] - delta, b - s[1:] + delta


def _barrier_value(z: np.ndarray, x: np.ndarray, delta: np.ndarray, t: float) -> float:
    """The reduced barrier t * cost + barrier in (s, a, b); +inf outside the domain."""
    ell = _slacks(z, delta)
    if any(np.any(e <= 0) for e in ell):
        return float("inf")
    a, b, ap, bp = ell
    xl, xr = x[:-1], x[1:]
    total = -sum(float(np.sum(np.log(e))) for e in ell)
    total += float(np.sum(cone_term(a + b, a * xl + b * xr, t)[0]))
    total += float(np.sum(cone_term(ap + bp, ap * xl + bp * xr, t)[0]))
    return total


# Upper-triangle entries (p, q) of each interval's 4 x 4 local Hessian, in the row order of the
# (10, m) array returned by :func:`_local_derivatives`.
_H_ENTRIES = ((0, 0), (0, 1), (0, 2), (0, 3), (1, 1), (1, 2), (1, 3), (2, 2), (2, 3), (3, 3))
_H00, _H01, _H02, _H03, _H11, _H12, _H13, _H22, _H23, _H33 = range(10)


def _local_derivatives(z: np.ndarray, x: np.ndarray, delta: np.ndarray, t: float):
    """Gradient (4, m) and Hessian entries (10, m, order _H_ENTRIES) of each interval's terms.

    Local coordinates per interval: [s_i, a, b, s_{i+1}]. The positive cone vector is a P + b Q
    (columns 0, P, Q, 0), the negative one (a + u) P + (b - v) Q (columns P, P, Q, -Q).
    """
    m = delta.size
    xl, xr = x[:-1], x[1:]
    a, b, ap, bp = _slacks(z, delta)
    i0, i1, i2, i3 = 1.0 / a, 1.0 / b, 1.0 / ap, 1.0 / bp
    g = np.empty((4, m))
    h = np.zeros((10, m))
    g[0] = -i2
    g[1] = -(i0 + i2)
    g[2] = -(i1 + i3)
    g[3] = i3
    i2sq, i3sq = i2 * i2, i3 * i3
    h[_H11] = i0 * i0 + i2sq
    h[_H00] = i2sq
    h[_H01] = i2sq
    h[_H22] = i1 * i1 + i3sq
    h[_H23] = -i3sq
    h[_H33] = i3sq
    for sign, (c0, c1) in ((1, (a, b)), (-1, (ap, bp))):
        _, _, gk0, gk1, k00, k01, k11 = cone_term(c0 + c1, c0 * xl + c1 * xr, t)
        g_p = gk0 + xl * gk1
        g_q = gk0 + xr * gk1
        php = k00 + 2.0 * xl * k01 + xl * xl * k11
        phq = k00 + (xl + xr) * k01 + xl * xr * k11
        qhq = k00 + 2.0 * xr * k01 + xr * xr * k11
        g[1] += g_p
        g[2] += g_q
        h[_H11] += php
        h[_H12] += phq
        h[_H22] += qhq
        if sign < 0:
            g[0] += g_p
            g[3] -= g_q
            h[_H00] += php
            h[_H01] += php
            h[_H02] += phq
            h[_H03] -= phq
            h[_H13] -= phq
            h[_H23] -= qhq
            h[_H33] += qhq
    return g, h


def _newton_system(z: np.ndarray, x: np.ndarray, delta: np.ndarray, t: float):
    """Gradient (global) and Hessian (upper banded form, 3 superdiagonals) of the reduced barrier.

    Returns (grad, ab, g_local) with ``ab`` as ``scipy.linalg.solveh_banded`` takes it. The
    solver uses :func:`newton_step` instead; this plain assembly is the reference the tests
    compare it with.
    """
    g, h = _local_derivatives(z, x, delta, t)
    m = delta.size
    nvar = z.size
    grad = np.zeros(nvar)
    ab = np.zeros((_BLOCK + 1, nvar))
    base = np.arange(m) * _BLOCK
    for p in range(4):
        grad[p:p + _BLOCK * m:_BLOCK] += g[p]
    for k, (p, q) in enumerate(_H_ENTRIES):
        ab[_BLOCK + p - q, base + q] += h[k]
    return grad, ab, g


def newton_step(g: np.ndarray, h: np.ndarray, *, shift_rtol: float = 0.0) -> np.ndarray:
    """Solve H dz = -g for the barrier's Newton step by eliminating (a_i, b_i) per interval.

    ``g`` (4, m) and ``h`` (10, m, entries in the order _H_ENTRIES) are the local gradient and
    Hessian in [s_i, a_i, b_i, s_{i+1}]. Each (a_i, b_i) block A_i (2 x 2, positive definite)
    couples only to s_i, s_{i+1} (C_i), so the Schur complement S_i = H_ss - C_i A_i^{-1} C_i^T
    leaves a tridiagonal system in s (O(n), ``solveh_banded``), then
    da, db = -A_i^{-1}(g_ab + C_i^T ds). ``shift_rtol`` adds shift_rtol * max|diag| to the
    diagonal of the s-system. Returns the step in the global order [s_0, a_0, b_0, s_1, ...].
    Guarantee: approximate (float64).
    """
    m = g.shape[1]
    h00, h01, h02, h03, h11, h12, h13, h22, h23, h33 = h
    g0, g1, g2, g3 = g
    det = h11 * h22 - h12 * h12
    # K = C A^{-1}, C = [[h01, h02], [h13, h23]] (rows s_i, s_{i+1}; columns a, b).
    k00 = (h01 * h22 - h02 * h12) / det
    k01 = (h02 * h11 - h01 * h12) / det
    k10 = (h13 * h22 - h23 * h12) / det
    k11 = (h23 * h11 - h13 * h12) / det
    diag = np.zeros(m + 1)
    diag[:-1] += h00 - (k00 * h01 + k01 * h02)
    diag[1:] += h33 - (k10 * h13 + k11 * h23)
    off = h03 - (k00 * h13 + k01 * h23)
    rhs = np.zeros(m + 1)
    rhs[:-1] -= g0 - (k00 * g1 + k01 * g2)
    rhs[1:] -= g3 - (k10 * g1 + k11 * g2)
    band = np.zeros((2, m + 1))
    band[0, 1:] = off
    scale = float(np.max(np.abs(diag)))
    shift = shift_rtol
    while True:
        band[1] = diag + shift * scale
        try:
            ds = solveh_banded(band, rhs, lower=False, check_finite=False)
            break
        except np.linalg.LinAlgError:
            # Float cancellation in the Schur complement can leave it slightly indefinite at
            # large t: shift the diagonal more (a damped Newton step is still a descent step).
            if shift >= MAX_SHIFT_RTOL:
                raise
            shift = max(1e3 * shift, 1e-12)
    w1 = g1 + h01 * ds[:-1] + h13 * ds[1:]
    w2 = g2 + h02 * ds[:-1] + h23 * ds[1:]
    dz = np.empty(_BLOCK * m + 1)
    dz[0::_BLOCK] = ds
    dz[1::_BLOCK] = -(h22 * w1 - h12 * w2) / det
    dz[2::_BLOCK] = -(h11 * w2 - h12 * w1) / det
    return dz


def _max_step(z: np.ndarray, dz: np.ndarray, delta: np.ndarray) -> float:
    """Largest alpha such that all slacks of z + alpha dz stay >= 0 (inf if none decreases)."""
    ell = _slacks(z, delta)
    d = (dz[1::_BLOCK], dz[2::_BLOCK], dz[1::_BLOCK] + dz[0::_BLOCK][:-1],
         dz[2::_BLOCK] - dz[0::_BLOCK][1:])
    best = np.inf
    for e, de in zip(ell, d, strict=True):
        neg = de < 0
        if np.any(neg):
            best = min(best, float(np.min(-e[neg] / de[neg])))
    return best


def solve_barrier(x: np.ndarray, y: np.ndarray, *, gap_rtol: float = GAP_RTOL,
                  start: BarrierSolution | None = None) -> BarrierSolution:
    """Approximately minimise the penalised-bias slope program for float data (x sorted).

    Path following stops when nu/t < gap_rtol * max(1, cost). ``start``: a solution of an
    earlier call on the same data, continued along the path from its last centre (cheaper than
    starting again when a tighter ``gap_rtol`` is wanted).
    Guarantee: approximate, no bound; the returned ``gap_bound`` is the barrier's nu/t.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = x.size
    m = n - 1
    delta = np.diff(y) / np.diff(x)
    nvar = _BLOCK * m + 1
    z = np.zeros(nvar)
    s0 = chord_midpoint_slopes(delta)
    z[0::_BLOCK] = s0
    u = s0[:-1] - delta
    v = s0[1:] - delta
    z[1::_BLOCK] = np.maximum(0.0, -u) + 1.0
    z[2::_BLOCK] = np.maximum(0.0, v) + 1.0
    nu = 8.0 * m
    scale = max(1.0, float(np.sum(np.abs(np.diff(delta)) * np.hypot(1.0, x[1:-1]))))
    t = nu / scale
    steps = 0
    cost = np.inf
    z_prev = None
    resume = start is not None and start.z is not None
    if resume:
        assert start is not None and start.z is not None
        if start.exhausted:
            return start
        z, t, z_prev, steps = start.z.copy(), start.t, start.z_prev, start.newton_steps
    exhausted = False
    for _outer in range(MAX_OUTER):
        dec_prev = np.inf
        val = None  # barrier value at z for this t, kept from the line search
        for _ in range(0 if resume else MAX_NEWTON):
            gl, hl = _local_derivatives(z, x, delta, t)
            try:
                dz = newton_step(gl, hl, shift_rtol=NEWTON_SHIFT_RTOL)
            except np.linalg.LinAlgError:
                exhausted = True  # float64 cannot centre at this t: keep the current point
                break
            dec = -float(gl[0] @ dz[0:-1:_BLOCK] + gl[1] @ dz[1::_BLOCK] +
                         gl[2] @ dz[2::_BLOCK] + gl[3] @ dz[_BLOCK::_BLOCK])
            steps += 1
            if dec / 2 < CENTRING_TOL or (dec < 1.0 and dec > STALL_RATIO * dec_prev):
                break
            dec_prev = dec
            if val is None:
                val = _barrier_value(z, x, delta, t)
            step = min(1.0, STEP_TO_BOUNDARY * _max_step(z, dz, delta))
            while step >= 1e-6:
                trial = _barrier_value(z + step * dz, x, delta, t)
                if trial <= val - 0.25 * step * dec:
                    break
                step *= 0.5
            if step < 1e-6:
                break
            z = z + step * dz
            val = trial
        resume = False
        a, b, ap, bp = _slacks(z, delta)
        xl, xr = x[:-1], x[1:]
        cost = float(np.sum(cone_term(a + b, a * xl + b * xr, t)[1]) +
                     np.sum(cone_term(ap + bp, ap * xl + bp * xr, t)[1]))
        if exhausted or nu / t < gap_rtol * max(1.0, cost):
            break
        # Predictor: on the central path z(t) ~ z* + w/t, so with t growing by T_GROWTH the next
        # centre is about z + (z - z_previous)/T_GROWTH (slacks of active constraints shrink by
        # that factor); cut back to stay strictly feasible.
        if z_prev is not None:
            dz = (z - z_prev) / T_GROWTH
            z_prev = z
            z = z + min(1.0, STEP_TO_BOUNDARY * _max_step(z, dz, delta)) * dz
        else:
            z_prev = z
        t *= T_GROWTH
    # Dual values: phi(x_i) ~ (1/t) d(barrier of interval i)/ds_i (the multiplier of the
    # constraint coupling s_i to interval i), averaged over the two intervals at x_i.
    gl, _ = _local_derivatives(z, x, delta, t)
    left = gl[0] / t
    right = -gl[3] / t
    phi = np.zeros(n)
    phi[1:-1] = 0.5 * (left[1:] + right[:-1])
    return BarrierSolution(s=z[0::_BLOCK].copy(), phi=phi, cost=cost, gap_bound=nu / t,
                           newton_steps=steps, z=z, t=t, z_prev=z_prev, exhausted=exhausted)


# Relative diagonal shift in the polish's Newton matrix: makes flat (linear) directions solvable
# with long steps that the active-set cut then stops at the next face.
REGULARISATION = 1e-12
# Newton steps of the polish on the identified smooth structure (quadratic convergence from the
# barrier's ~1e-8 accurate slopes needs two or three).
POLISH_STEPS = 6
# The polish stops once a full Newton step (no face change) predicts a decrease -grad.step below
# this fraction of (1 + cost). 1e-14 stopped too early on some data (x^3 on 1000 points: gap
# 1.6e-10 instead of 4e-13; the predicted decrease is a poor guide along nearly flat directions),
# so the threshold sits below the float noise and the stall test below ends the iteration.
POLISH_DECREMENT_RTOL = 1e-17
# ... or once POLISH_STALL_STEPS consecutive full Newton steps each lowered the float cost by
# less than POLISH_STALL_RTOL (1 + cost): the float cost of ~1e3 terms is only ~1e-14 relative
# accurate, and steps of ~1e-8 (the float noise of an ill-conditioned Hessian) only add noise.
POLISH_STALL_RTOL = 1e-15
POLISH_STALL_STEPS = 3


def reduced_cost(x: np.ndarray, delta: np.ndarray, s: np.ndarray) -> float:
    """Float value of sum_i G_i(s_i - delta_i, s_{i+1} - delta_i) (penalised weight)."""
    u = s[:-1] - delta
    v = s[1:] - delta
    xl, xr = x[:-1], x[1:]
    single = u * v <= 0
    a_mom = v - u
    b_mom = xr * v - xl * u
    g1 = np.hypot(a_mom, b_mom)
    g2 = np.abs(u) * np.hypot(1.0, xl) + np.abs(v) * np.hypot(1.0, xr)
    return float(np.sum(np.where(single, g1, g2)))


def _grad_hess(x, delta, s):
    """Gradient and tridiagonal Hessian (diagonal, off-diagonal) of the cost on the current face."""
    xl, xr = x[:-1], x[1:]
    n = s.size
    u = s[:-1] - delta
    v = s[1:] - delta
    single = u * v < 0
    a_mom = v - u
    b_mom = xr * v - xl * u
    norm = np.hypot(a_mom, b_mom)
    norm = np.where(norm > 0, norm, 1.0)
    gA = a_mom / norm
    gB = b_mom / norm
    g_left = np.where(single, -gA - gB * xl, np.sign(u) * np.hypot(1.0, xl))
    g_right = np.where(single, gA + gB * xr, np.sign(v) * np.hypot(1.0, xr))
    grad = np.zeros(n)
    grad[:-1] += g_left
    grad[1:] += g_right
    # Hessian of ||(A, B)|| in (s_i, s_{i+1}): J^T (I - g g^T) J / ||.||, J columns (-1, -x_l),
    # (1, x_r). (I - g g^T) = n n^T with n = (-gB, gA), so H = (J^T n)(J^T n)^T / ||.||.
    c_left = (gB - gA * xl) / norm
    c_right = (-gB + gA * xr) / norm
    w = np.where(single, norm, 0.0)
    hl = np.where(single, c_left * c_left * w, 0.0)
    hr = np.where(single, c_right * c_right * w, 0.0)
    hlr = np.where(single, c_left * c_right * w, 0.0)
    diag = np.zeros(n)
    diag[:-1] += hl
    diag[1:] += hr
    return grad, diag, hlr


def polish(x: np.ndarray, delta: np.ndarray, s: np.ndarray, pin: np.ndarray, *,
           stall_steps: int = POLISH_STALL_STEPS) -> tuple[np.ndarray, np.ndarray]:
    """Active-set Newton on the slopes not pinned.

    On single-kink intervals (u v < 0) the cost ||v Q - u P|| is smooth; on the others it is
    linear in (u, v) for fixed signs, so the cost is smooth on each face {signs of u, v fixed}.
    A (slightly regularised) Newton step is cut where some u_i or v_i first reaches 0; that slope
    is then set to the chord slope and pinned (it joins the active set). ``pin[j] = k >= 0``
    means s_j = delta_k is held fixed; -1 means free. Returns the slopes and the updated pins.
    ``stall_steps``: consecutive noise-level steps before stopping (a large value polishes on,
    up to n + POLISH_STEPS iterations, for the last digits when costs are large).
    Guarantee: approximate; the caller evaluates the result exactly.
    """
    s = s.copy()
    pin = pin.copy()
    n = s.size
    idx = np.arange(n)
    base = None  # float cost at s, kept between iterations
    stalls = 0  # consecutive full steps that did not lower the cost beyond float noise
    for _ in range(POLISH_STEPS + n):
        frozen = pin >= 0
        if np.all(frozen):
            break
        grad, diag, off = _grad_hess(x, delta, s)
        grad = np.where(frozen, 0.0, grad)
        diag = np.where(frozen, 1.0, diag)
        off = np.where(frozen[:-1] | frozen[1:], 0.0, off)
        diag = diag + REGULARISATION * (1.0 + np.max(np.abs(diag)))
        ab = np.zeros((3, n))
        ab[0, 1:] = off
        ab[1] = diag
        ab[2, :-1] = off
        step = solve_banded((1, 1), ab, -grad, check_finite=False)
        step[frozen] = 0.0
        if not np.all(np.isfinite(step)) or \
                np.max(np.abs(step)) <= 1e-15 * (1 + np.max(np.abs(s))):
            break
        # Largest fraction of the step before some u_j = s_j - delta_j or v_{j-1} =
        # s_j - delta_{j-1} changes sign.
        lam_max, hit = 1.0, None
        for k_off in (-1, 0):
            k = idx + k_off
            ok = (k >= 0) & (k < delta.size) & ~frozen
            kk = np.clip(k, 0, delta.size - 1)
            gap = s - delta[kk]
            toward = ok & (gap != 0) & (gap * step < 0)
            if np.any(toward):
                lam = np.full(n, np.inf)
                lam[toward] = -gap[toward] / step[toward]
                j = int(np.argmin(lam))
                if lam[j] < lam_max:
                    lam_max, hit = float(lam[j]), (j, int(kk[j]))
        base = reduced_cost(x, delta, s) if base is None else base
        trial = s + lam_max * step
        if hit is not None:
            trial[hit[0]] = delta[hit[1]]
        if hit is None and -float(grad @ step) < POLISH_DECREMENT_RTOL * (1.0 + abs(base)):
            if reduced_cost(x, delta, trial) <= base:
                s = trial
            break
        cost = reduced_cost(x, delta, trial)
        if cost <= base:
            stalls = stalls + 1 if hit is None and \
                base - cost < POLISH_STALL_RTOL * (1.0 + abs(base)) else 0
            s, base = trial, cost
            if hit is not None:
                pin[hit[0]] = hit[1]
            if stalls >= stall_steps:
                break
            continue
        lam = lam_max * 0.5
        moved = False
        while lam > 1e-6:
            trial = s + lam * step
            cost = reduced_cost(x, delta, trial)
            if cost <= base:
                s, base = trial, cost
                moved = True
                break
            lam *= 0.5
        if not moved:
            break
    return s, pin


# Relative size of the nudge that moves a released slope off its chord value onto the face where
# the cost decreases (then the active-set Newton takes over).
RELEASE_NUDGE = 1e-9
# Rounds of release-and-polish (each round releases every pinned slope with a descent direction).
MAX_RELEASE_ROUNDS = 12


def _directional(x, delta, s, direction: dict[int, float]) -> float:
    """One-sided derivative of the cost at s in a sparse direction {j: d_j}."""
    total = 0.0
    xl, xr = x[:-1], x[1:]
    intervals = sorted({i for j in direction for i in (j - 1, j) if 0 <= i < delta.size})
    for i in intervals:
        du, dv = direction.get(i, 0.0), direction.get(i + 1, 0.0)
        u, v = s[i] - delta[i], s[i + 1] - delta[i]
        su = np.sign(u) if u != 0 else np.sign(du)
        sv = np.sign(v) if v != 0 else np.sign(dv)
        if su * sv < 0:
            a_mom, b_mom = v - u, xr[i] * v - xl[i] * u
            da, db = dv - du, xr[i] * dv - xl[i] * du
            nrm = np.hypot(a_mom, b_mom)
            total += (a_mom * da + b_mom * db) / nrm if nrm > 0 else np.hypot(da, db)
        else:
            total += su * du * np.hypot(1.0, xl[i]) + sv * dv * np.hypot(1.0, xr[i])
    return float(total)


def directional_pairs(x: np.ndarray, delta: np.ndarray, s: np.ndarray, j: np.ndarray,
                      d0: np.ndarray, d1: np.ndarray) -> np.ndarray:
    """One-sided derivatives of the cost at s in the directions {j_k: d0_k, j_k + 1: d1_k}.

    Vectorised :func:`_directional` (d1 = 0 is a move of s_j alone): the direction changes
    interval j - 1 through v, interval j through (u, v) and interval j + 1 through u.
    """
    m = delta.size
    total = np.zeros(j.size)
    zero = np.zeros(j.size)
    for i, du, dv in ((j - 1, zero, d0), (j, d0, d1), (j + 1, d1, zero)):
        ok = (i >= 0) & (i < m)
        ic = np.clip(i, 0, m - 1)
        xl, xr = x[ic], x[ic + 1]
        u, v = s[ic] - delta[ic], s[ic + 1] - delta[ic]
        su = np.where(u != 0, np.sign(u), np.sign(du))
        sv = np.where(v != 0, np.sign(v), np.sign(dv))
        a_mom, b_mom = v - u, xr * v - xl * u
        da, db = dv - du, xr * dv - xl * du
        nrm = np.hypot(a_mom, b_mom)
        single = np.where(nrm > 0, (a_mom * da + b_mom * db) / np.where(nrm > 0, nrm, 1.0),
                          np.hypot(da, db))
        linear = su * du * np.hypot(1.0, xl) + sv * dv * np.hypot(1.0, xr)
        total += np.where(ok, np.where(su * sv < 0, single, linear), 0.0)
    return total


# Directions tried when releasing a pinned slope or a pinned pair (a kink-free interval): unit
# moves of one slope, and opposite moves of both ends of an interval in a few ratios, which is
# how an interior kink is born.
_PAIR_RATIOS = (0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)


def _release_directions(pin: np.ndarray):
    pinned = np.flatnonzero(pin >= 0)
    for j in pinned:
        for e in (1.0, -1.0):
            yield {int(j): e}
    pinned_set = set(int(j) for j in pinned)
    for j in pinned:
        if int(j) + 1 in pinned_set:
            for r in _PAIR_RATIOS:
                for e in (1.0, -1.0):
                    yield {int(j): -e, int(j) + 1: e * r}


def refine(x: np.ndarray, delta: np.ndarray, s: np.ndarray, pin: np.ndarray, *,
           stall_steps: int = POLISH_STALL_STEPS) -> tuple[np.ndarray, np.ndarray]:
    """Active-set search: polish, then release pinned slopes that have a descent direction.

    Guarantee: approximate (a heuristic search for the optimal face; the caller certifies).
    """
    s, pin = polish(x, delta, s, pin, stall_steps=stall_steps)
    scale = 1.0 + float(np.max(np.abs(delta)))
    for _ in range(MAX_RELEASE_ROUNDS):
        released = False
        directions = list(_release_directions(pin))
        if not directions:
            break
        # All derivatives at the round's starting point at once; a direction near a slope
        # already moved in this round is re-evaluated at the current point.
        first = np.array([min(d) for d in directions])
        derivs = directional_pairs(
            x, delta, s, first, np.array([d[j] for d, j in zip(directions, first, strict=True)]),
            np.array([d.get(j + 1, 0.0) for d, j in zip(directions, first, strict=True)]))
        moved: set[int] = set()
        for direction, deriv in zip(directions, derivs, strict=True):
            if any(pin[j] < 0 for j in direction):
                continue  # already released in this round
            if any(k in moved for j in direction for k in (j - 1, j, j + 1)):
                deriv = _directional(x, delta, s, direction)
            if deriv < -1e-12 * scale:
                for j, e in direction.items():
                    s[j] = s[j] + e * RELEASE_NUDGE * scale
                    pin[j] = -1
                    moved.add(j)
                released = True
        if not released:
            break
        s, pin = polish(x, delta, s, pin, stall_steps=stall_steps)
    return s, pin
