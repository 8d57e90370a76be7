"""Float barrier method for the penalised-bias minimal-norm program (the second-order cone form).

min over slopes s_1..s_n of sum_i G_i(s_i - delta_i, s_{i+1} - delta_i), where G_i is the gauge of
the moment vector (A_i, B_i) = -u P_i + v Q_i, P_i = (1, x_i), Q_i = (1, x_{i+1}) (see
:mod:`igproof.proof.minnorm`). Writing the positive and negative parts of the interval's second
derivative measure as a P + b Q and a' P + b' Q with a, b, a', b' >= 0 gives the cone program

    min sum_i (r_i + q_i)  s.t.  r_i >= ||a_i P_i + b_i Q_i||,
                                 q_i >= ||(a_i + u_i) P_i + (b_i - v_i) Q_i||,
                                 a_i, b_i, a_i + u_i, b_i - v_i >= 0,

solved here by a primal log-barrier path-following Newton method. The variables are ordered
interval by interval, [s_i, a_i, b_i, r_i, q_i], so the Newton matrix is banded (half-bandwidth 5)
and each step costs O(n). Guarantee: approximate (float64); rigour is added by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import solve_banded, solveh_banded

# Block size: s_i, a_i, b_i, r_i, q_i.
_BLOCK = 5
# Barrier parameter growth per outer step: 20 balances Newton steps per centring (about 5-10)
# against the number of outer steps, the usual choice for long-step barrier methods.
T_GROWTH = 50.0
# Stop when the barrier's duality-gap bound nu/t falls below this (relative to the cost, floored
# at 1): 1e-11 identifies the active structure; :func:`polish` then gives full float accuracy.
GAP_RTOL = 1e-9
# Newton decrement (lambda^2/2) below which a centring step is accepted as centred: 1e-8 is
# above the float64 noise floor of the decrement at the largest t used.
CENTRING_TOL = 1e-8
# Newton steps per centring: at the largest t the decrement stalls at float noise, and 20
# steps already identify the optimal face (the polish does the rest); on outer steps a safeguard.
MAX_NEWTON = 20
MAX_OUTER = 60


@dataclass(frozen=True)
class BarrierSolution:
    """Approximate primal slopes, approximate dual values phi_j at the data points, diagnostics."""

    s: np.ndarray
    phi: np.ndarray
    cost: float
    gap_bound: float
    newton_steps: int


def _structure(x: np.ndarray, delta: np.ndarray):
    """Constant affine maps of each interval's local vector [s_i, a, b, r, q, s_{i+1}].

    Cones: y1 = E1 z = (r, k+), y2 = E2 z + e2 = (q, k-) with k+ = a P + b Q and
    k- = (a + s_i - delta_i) P + (b - s_{i+1} + delta_i) Q. Linear slacks C z + d:
    a, b, a + u, b - v.
    """
    m = delta.size
    xl, xr = x[:-1], x[1:]
    E1 = np.zeros((m, 3, 6))
    E1[:, 0, 3] = 1.0
    E1[:, 1, 1] = 1.0
    E1[:, 1, 2] = 1.0
    E1[:, 2, 1] = xl
    E1[:, 2, 2] = xr
    e1 = np.zeros((m, 3))
    E2 = np.zeros((m, 3, 6))
    E2[:, 0, 4] = 1.0
    E2[:, 1, 1] = 1.0
    E2[:, 1, 2] = 1.0
    E2[:, 1, 0] = 1.0
    E2[:, 1, 5] = -1.0
    E2[:, 2, 1] = xl
    E2[:, 2, 2] = xr
    E2[:, 2, 0] = xl
    E2[:, 2, 5] = -xr
    e2 = np.zeros((m, 3))
    e2[:, 2] = delta * (xr - xl)
    C = np.zeros((m, 4, 6))
    C[:, 0, 1] = 1.0
    C[:, 1, 2] = 1.0
    C[:, 2, 1] = 1.0
    C[:, 2, 0] = 1.0
    C[:, 3, 2] = 1.0
    C[:, 3, 5] = -1.0
    d = np.zeros((m, 4))
    d[:, 2] = -delta
    d[:, 3] = delta
    return ((E1, e1), (E2, e2)), C, d


_JSIG = np.array([1.0, -1.0, -1.0])


def _local_terms(z: np.ndarray, structure, t: float, want_hessian: bool):
    """Value, gradient (m, 6) and Hessian (m, 6, 6) of each interval's barrier terms.

    Local vector per interval: [s_i, a, b, r, q, s_{i+1}]. Returns None if infeasible.
    """
    cones, C, d = structure
    m = C.shape[0]
    s = z[0::_BLOCK]
    loc = np.empty((m, 6))
    loc[:, 0] = s[:-1]
    loc[:, 1] = z[1::_BLOCK]
    loc[:, 2] = z[2::_BLOCK]
    loc[:, 3] = z[3::_BLOCK]
    loc[:, 4] = z[4::_BLOCK]
    loc[:, 5] = s[1:]
    ell = np.matmul(C, loc[:, :, None])[:, :, 0] + d
    if np.any(ell <= 0):
        return None
    value = -float(np.sum(np.log(ell)))
    inv = 1.0 / ell
    grad = -np.matmul(C.transpose(0, 2, 1), inv[:, :, None])[:, :, 0]
    hess = None
    if want_hessian:
        Cs = C * inv[:, :, None]
        hess = np.matmul(Cs.transpose(0, 2, 1), Cs)
    for E, e in cones:
        y = np.matmul(E, loc[:, :, None])[:, :, 0] + e
        D = y[:, 0] ** 2 - y[:, 1] ** 2 - y[:, 2] ** 2
        if np.any(D <= 0) or np.any(y[:, 0] <= 0):
            return None
        value -= float(np.sum(np.log(D)))
        Jy = y * _JSIG
        gy = -2.0 * Jy / D[:, None]
        grad += np.matmul(E.transpose(0, 2, 1), gy[:, :, None])[:, :, 0]
        if want_hessian:
            Hy = (-2.0 / D)[:, None, None] * np.diag(_JSIG)[None] + \
                (4.0 / D**2)[:, None, None] * (Jy[:, :, None] * Jy[:, None, :])
            hess += np.matmul(E.transpose(0, 2, 1), np.matmul(Hy, E))
    value += t * float(np.sum(loc[:, 3] + loc[:, 4]))
    grad[:, 3] += t
    grad[:, 4] += t
    return value, grad, hess, ell


def _assemble(grad_loc: np.ndarray, hess_loc: np.ndarray | None, nvar: int):
    m = grad_loc.shape[0]
    g = np.zeros(nvar)
    for p in range(6):
        g[p:p + _BLOCK * m:_BLOCK] += grad_loc[:, p]
    if hess_loc is None:
        return g, None
    ab = np.zeros((_BLOCK + 1, nvar))
    for p in range(6):
        for q in range(p, 6):
            off = q - p
            cols = np.arange(m) * _BLOCK + q
            ab[_BLOCK - off, cols] += hess_loc[:, p, q]
    return g, ab


def solve_barrier(x: np.ndarray, y: np.ndarray) -> BarrierSolution:
    """Approximately minimise the penalised-bias slope program for float data (x sorted).

    Guarantee: approximate, no bound; the returned ``gap_bound`` is the barrier's nu/t.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = x.size
    m = n - 1
    delta = np.diff(y) / np.diff(x)
    nvar = _BLOCK * m + 1
    z = np.zeros(nvar)
    s0 = np.empty(n)
    s0[0] = delta[0]
    s0[-1] = delta[-1]
    s0[1:-1] = 0.5 * (delta[:-1] + delta[1:])
    z[0::_BLOCK] = s0
    u = s0[:-1] - delta
    v = s0[1:] - delta
    a = np.maximum(0.0, -u) + 1.0
    b = np.maximum(0.0, v) + 1.0
    P = np.stack([np.ones(m), x[:-1]], axis=1)
    Q = np.stack([np.ones(m), x[1:]], axis=1)
    kp = a[:, None] * P + b[:, None] * Q
    km = (a + u)[:, None] * P + (b - v)[:, None] * Q
    z[1::_BLOCK] = a
    z[2::_BLOCK] = b
    z[3::_BLOCK] = np.linalg.norm(kp, axis=1) + 1.0
    z[4::_BLOCK] = np.linalg.norm(km, axis=1) + 1.0
    nu = 8.0 * m
    structure = _structure(x, delta)
    scale = max(1.0, float(np.sum(np.abs(np.diff(delta)) * np.hypot(1.0, x[1:-1]))))
    t = nu / scale
    steps = 0
    for _outer in range(MAX_OUTER):
        for _ in range(MAX_NEWTON):
            res = _local_terms(z, structure, t, True)
            assert res is not None
            val, gl, hl, _ = res
            g, ab = _assemble(gl, hl, nvar)
            ab[_BLOCK] += 1e-14 * np.max(np.abs(ab[_BLOCK]))
            dz = solveh_banded(ab, -g, lower=False, check_finite=False)
            dec = -float(g @ dz)
            steps += 1
            if dec / 2 < CENTRING_TOL:
                break
            step = 1.0
            while True:
                trial = _local_terms(z + step * dz, structure, t, False)
                if trial is not None and trial[0] <= val - 0.25 * step * dec:
                    break
                step *= 0.5
                if step < 1e-6:
                    break
            if step < 1e-6:
                break
            z = z + step * dz
        cost = float(np.sum(z[3::_BLOCK] + z[4::_BLOCK]))
        if nu / t < GAP_RTOL * max(1.0, cost):
            break
        t *= T_GROWTH
    # Dual values: phi(x_i) = (1/t) d(barrier of interval i)/du_i, the multiplier of a' = a + u.
    res = _local_terms(z, structure, t, False)
    assert res is not None
    _, gl, _, _ = res
    # d/ds_i of interval i's terms (minus nothing from t): column 0 is d/ds_i = d/du_i.
    left = gl[:, 0] / t
    right = -gl[:, 5] / t
    phi = np.zeros(n)
    phi[1:-1] = 0.5 * (left[1:] + right[:-1])
    s = z[0::_BLOCK].copy()
    return BarrierSolution(s=s, phi=phi, cost=float(np.sum(z[3::_BLOCK] + z[4::_BLOCK])),
                           gap_bound=nu / t, newton_steps=steps)


# Relative diagonal shift in the polish's Newton matrix: makes flat (linear) directions solvable
# with long steps that the active-set cut then stops at the next face.
REGULARISATION = 1e-12
# Newton steps of the polish on the identified smooth structure (quadratic convergence from the
# barrier's ~1e-8 accurate slopes needs two or three).
POLISH_STEPS = 6
# The polish stops once a full Newton step (no face change) predicts a decrease -grad.step below
# this fraction of (1 + cost): the float cost of ~1e3 terms is only ~1e-13 relative accurate, so
# further steps (of size ~1e-8, the float noise of an ill-conditioned Hessian) only add noise.
POLISH_DECREMENT_RTOL = 1e-14


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


def polish(x: np.ndarray, delta: np.ndarray, s: np.ndarray,
           pin: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Active-set Newton on the slopes not pinned.

    On single-kink intervals (u v < 0) the cost ||v Q - u P|| is smooth; on the others it is
    linear in (u, v) for fixed signs, so the cost is smooth on each face {signs of u, v fixed}.
    A (slightly regularised) Newton step is cut where some u_i or v_i first reaches 0; that slope
    is then set to the chord slope and pinned (it joins the active set). ``pin[j] = k >= 0``
    means s_j = delta_k is held fixed; -1 means free. Returns the slopes and the updated pins.
    Guarantee: approximate; the caller evaluates the result exactly.
    """
    s = s.copy()
    pin = pin.copy()
    n = s.size
    idx = np.arange(n)
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
        base = reduced_cost(x, delta, s)
        trial = s + lam_max * step
        if hit is not None:
            trial[hit[0]] = delta[hit[1]]
        if hit is None and -float(grad @ step) < POLISH_DECREMENT_RTOL * (1.0 + abs(base)):
            if reduced_cost(x, delta, trial) <= base:
                s = trial
            break
        if reduced_cost(x, delta, trial) <= base:
            s = trial
            if hit is not None:
                pin[hit[0]] = hit[1]
            continue
        lam = lam_max * 0.5
        moved = False
        while lam > 1e-6:
            trial = s + lam * step
            if reduced_cost(x, delta, trial) <= base:
                s = trial
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


def refine(x: np.ndarray, delta: np.ndarray, s: np.ndarray,
           pin: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Active-set search: polish, then release pinned slopes that have a descent direction.

    Guarantee: approximate (a heuristic search for the optimal face; the caller certifies).
    """
    s, pin = polish(x, delta, s, pin)
    scale = 1.0 + float(np.max(np.abs(delta)))
    for _ in range(MAX_RELEASE_ROUNDS):
        released = False
        for direction in _release_directions(pin):
            if any(pin[j] < 0 for j in direction):
                continue  # already released in this round
            if _directional(x, delta, s, direction) < -1e-12 * scale:
                for j, e in direction.items():
                    s[j] = s[j] + e * RELEASE_NUDGE * scale
                    pin[j] = -1
                released = True
        if not released:
            break
        s, pin = polish(x, delta, s, pin)
    return s, pin
