"""Benchmark: minimal-norm interpolation on 1000 points, igproof's exact program vs a kink-grid LP.

Data: x_j = -3 + 6 j / 999 (j = 0..999), y_j = sin(2 x_j) rounded to 6 decimals (exact
rationals), biases penalised (weight sqrt(1 + x^2)).

- igproof: :func:`igproof.proof.minnorm.minimal_norm_interpolator` (barrier method on the
  second-order cone program in the slopes, active-set polish, exact dual bound). Its bracket
  [lower_bound, upper_bound] contains the true optimum OPT (rigorous).
- Baseline: a linear program over kinks restricted to a uniform grid with G points per data
  interval (data points included), sparse formulation (grid values F_k, slope jumps p_k - m_k),
  solved by scipy HiGHS. The exact LP value is >= OPT and converges like h^2 as the grid is
  refined; the value HiGHS returns may fall below OPT by what its feasibility tolerance allows
  over tens of thousands of rows with coefficients ~1/h (the 16 and 64 grids do, by 1e-9-1e-8,
  below igproof's certified lower bound, which the stdlib checker verifies exactly).

Accuracy: the baseline's distance to OPT is at most max(|LP - lower|, |LP - upper|); igproof's
is at most its certified gap upper_bound - lower_bound.
Timing: every method is run once untimed (imports, first-call set-up), then REPEATS times; the
best wall time and the best CPU time (this process, all threads: HiGHS may use several) of each
are reported (the same rule for all: the machine is shared, and the minimum is the least noisy
estimate). Runs are interleaved so that load changes hit all methods alike.
Ratios printed: baseline time / igproof time (> 1: igproof faster), baseline error / igproof
certified gap (> 1: igproof more accurate).

Run: python benchmarks/bench_minnorm.py   (under a minute on one core)
"""

from __future__ import annotations

import math
import time
from fractions import Fraction

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

from igproof.proof.minnorm.interpolator import minimal_norm_interpolator

N_POINTS = 1000
GRID_PER_INTERVAL = (4, 16, 64)
# HiGHS feasibility tolerances for the baseline: 1e-10 (tighter than its 1e-7 default) so that
# the baseline's error is its discretisation error, not its stopping rule, where possible.
LP_TOL = 1e-10
# Timed runs per method (after one untimed warm-up); the best is reported (the machine is shared:
# the minimum is the least noisy estimate of each method's own cost).
REPEATS = 5


def dataset() -> tuple[list[Fraction], list[Fraction]]:
    xs = [Fraction(6 * j, N_POINTS - 1) - 3 for j in range(N_POINTS)]
    ys = [Fraction(round(10**6 * math.sin(2 * float(v))), 10**6) for v in xs]
    return xs, ys


def grid_lp(x: np.ndarray, y: np.ndarray, per_interval: int) -> float:
    """min sum_k w(t_k)(p_k + m_k) over grid values F and jumps at interior grid nodes t_k.

    Constraints: slope jump of F at t_k = p_k - m_k; F(x_j) = y_j. Returns the LP value.
    """
    pieces = [np.linspace(x[i], x[i + 1], per_interval + 1)[:-1] for i in range(x.size - 1)]
    grid = np.concatenate([*pieces, x[-1:]])
    data_nodes = np.arange(0, grid.size, per_interval)
    k = grid.size
    h = np.diff(grid)
    interior = np.arange(1, k - 1)
    m = interior.size
    # variables: F (k), p (m), q (m); row r: second difference of F at interior node r + 1
    rows = np.repeat(np.arange(m), 3)
    cols = (interior[:, None] + np.array([-1, 0, 1])).ravel()
    inv_left, inv_right = 1.0 / h[interior - 1], 1.0 / h[interior]
    vals = np.stack([inv_left, -inv_left - inv_right, inv_right], axis=1).ravel()
    rows_j = np.concatenate([np.repeat(np.arange(m), 2)])
    cols_j = np.concatenate([np.stack([k + np.arange(m), k + m + np.arange(m)], 1).ravel()])
    vals_j = np.tile([-1.0, 1.0], m)
    a_jump = coo_matrix((np.concatenate([vals, vals_j]),
                         (np.concatenate([rows, rows_j]), np.concatenate([cols, cols_j]))),
                        shape=(m, k + 2 * m))
    a_data = coo_matrix((np.ones(data_nodes.size), (np.arange(data_nodes.size), data_nodes)),
                        shape=(data_nodes.size, k + 2 * m))
    from scipy.sparse import vstack

    a_eq = vstack([a_jump, a_data]).tocsr()
    b_eq = np.concatenate([np.zeros(m), y])
    w = np.hypot(1.0, grid[interior])
    cost = np.concatenate([np.zeros(k), w, w])
    bounds = [(None, None)] * k + [(0, None)] * (2 * m)
    res = linprog(cost, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs",
                  options={"primal_feasibility_tolerance": LP_TOL,
                           "dual_feasibility_tolerance": LP_TOL})
    if res.status != 0:
        raise RuntimeError(f"HiGHS failed: {res.message}")
    return float(res.fun)


def _timed(fn):
    """(result, wall seconds, CPU seconds of this process, all threads) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    xs, ys = dataset()
    x = np.array([float(v) for v in xs])
    y = np.array([float(v) for v in ys])
    result, first_wall, _ = _timed(lambda: minimal_norm_interpolator(xs, ys))
    for per in GRID_PER_INTERVAL:
        grid_lp(x, y, per)  # untimed warm-up, as for igproof
    ours = [math.inf, math.inf]
    lp_time = {per: [math.inf, math.inf] for per in GRID_PER_INTERVAL}
    lp_value = {}
    for _ in range(REPEATS):
        result, wall, cpu = _timed(lambda: minimal_norm_interpolator(xs, ys))
        ours = [min(ours[0], wall), min(ours[1], cpu)]
        for per in GRID_PER_INTERVAL:
            lp_value[per], wall, cpu = _timed(lambda per=per: grid_lp(x, y, per))
            lp_time[per] = [min(lp_time[per][0], wall), min(lp_time[per][1], cpu)]
    lower, upper = float(result.lower_bound), float(result.upper_bound)
    gap = float(result.gap)
    print(f"igproof minnorm, {N_POINTS} points: wall {ours[0]:.3f} s, CPU {ours[1]:.3f} s "
          f"(best of {REPEATS}; first call {first_wall:.3f} s wall), cost in [{lower:.15f}, "
          f"{upper:.15f}], certified gap {gap:.2e}, {result.n_kinks} kinks, verdict "
          f"{result.verdict}")
    print(f"{'grid/interval':>14} {'LP wall s':>10} {'LP CPU s':>9} {'LP value':>20} "
          f"{'LP error <=':>12} {'wall ratio':>11} {'CPU ratio':>10} {'error ratio':>12}")
    for per in GRID_PER_INTERVAL:
        value = lp_value[per]
        # |LP - OPT| <= max(|LP - lower|, |LP - upper|) since OPT is in [lower, upper]. (An LP
        # value below `lower` is HiGHS's own numerical error: the exact restricted LP is >= OPT.)
        error = max(abs(value - lower), abs(value - upper))
        ratio_err = error / max(gap, 1e-300)
        print(f"{per:>14} {lp_time[per][0]:>10.3f} {lp_time[per][1]:>9.3f} {value:>20.15f} "
              f"{error:>12.2e} {lp_time[per][0] / ours[0]:>11.2f} "
              f"{lp_time[per][1] / ours[1]:>10.2f} {ratio_err:>12.2e}")
    print("wall/CPU ratio = LP time / igproof time (>1: igproof faster); error ratio = LP error "
          "bound / igproof certified gap (>1: igproof more accurate)")


if __name__ == "__main__":
    main()
