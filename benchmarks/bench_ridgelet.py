"""Benchmark: the ridgelet spectrum on a 200 x 200 grid, and the rigorous K per pair.

1. Spectrum. R[f; rho](a, b) for f = exp(-x^2/2) on the grid a in [-5, 5] x b in [-6, 6],
   200 x 200 points.
   - igproof: :func:`igproof.proof.ridgelet.transform.ridgelet_transform` (lattice trapezoid
     rule with a tabulated rho per grid, Gauss-Legendre rows near a = 0).
   - baseline: a double loop of ``scipy.integrate.quad`` of f(x) rho(a x - b) over
     [-8, 8] (the same truncation), default tolerances, limit=200, scalar integrand.
   Accuracy: both against the closed form (docs/ridgelet.md), max |error| over the grid.
   Timing: igproof best of REPEATS runs after a warm-up; the quad loop once (it takes ~1 min).
   Ratio printed: quad time / igproof time (> 1: igproof faster).
2. Rigorous K. :func:`admissibility_constant` for every activation x built-in ridgelet in m = 1
   without the second route, after one warm-up call (imports, sympy caches): time per pair.

Run: python benchmarks/bench_ridgelet.py [--ridgelet dawson|gaussian-d4|both]  (1-3 minutes)
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np
import sympy
from scipy.integrate import quad

from igproof.proof.ridgelet.admissibility import admissibility_constant, all_pairs
from igproof.proof.ridgelet.functions import RIDGELETS, Z, psi_scalar
from igproof.proof.ridgelet.transform import closed_form_gaussian, ridgelet_transform, target

GRID = (np.linspace(-5, 5, 200), np.linspace(-6, 6, 200))
SUPPORT = 8.0
# Timed runs of the igproof transform (after one warm-up); the best is reported (shared machine).
REPEATS = 3


def scalar_rho(name: str):
    if name == "dawson":
        return psi_scalar
    # a pure-Python scalar (math module) so that the baseline pays no numpy call per point
    return sympy.lambdify(Z, RIDGELETS[name].expr, modules="math")


def quad_grid(name: str) -> np.ndarray:
    rho = scalar_rho(name)
    a, b = GRID
    out = np.empty((a.size, b.size))
    for i, ai in enumerate(a):
        for j, bj in enumerate(b):
            out[i, j] = quad(lambda x, s, t: math.exp(-0.5 * x * x) * rho(s * x - t),
                             -SUPPORT, SUPPORT, args=(ai, bj), limit=200)[0]
    return out


def bench_spectrum(name: str) -> None:
    rho, f = RIDGELETS[name], target("exp(-x^2/2)")
    a, b = GRID
    exact = closed_form_gaussian(rho, a[:, None], b[None, :])
    ridgelet_transform(f, rho, a, b, support=SUPPORT)
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        ours = ridgelet_transform(f, rho, a, b, support=SUPPORT)
        times.append(time.perf_counter() - start)
    ours_t = min(times)
    start = time.perf_counter()
    base = quad_grid(name)
    base_t = time.perf_counter() - start
    ours_err = float(np.max(np.abs(ours - exact)))
    base_err = float(np.max(np.abs(base - exact)))
    print(f"spectrum {name} 200x200: igproof {ours_t:.3f} s (max err {ours_err:.1e}); "
          f"scipy quad loop {base_t:.1f} s (max err {base_err:.1e}); "
          f"time ratio quad/igproof {base_t / ours_t:.0f}x")


def bench_k() -> None:
    admissibility_constant("tanh", "gaussian-d3", second=False)  # warm-up
    per_pair = []
    for activation, ridgelet in all_pairs():
        start = time.perf_counter()
        res = admissibility_constant(activation, ridgelet, second=False)
        per_pair.append((time.perf_counter() - start, activation, ridgelet, res.method))
    times = [t for t, *_ in per_pair]
    enclosed = [t for t, _, _, m in per_pair if m.startswith("acb")]
    slowest = max(per_pair)
    print(f"rigorous K, {len(per_pair)} pairs (m = 1): mean {statistics.mean(times):.3f} s, "
          f"max {slowest[0]:.3f} s ({slowest[1]}, {slowest[2]}); acb enclosures: "
          f"{len(enclosed)} pairs, mean {statistics.mean(enclosed):.3f} s, max "
          f"{max(enclosed):.3f} s (aim: under 2 s per pair)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ridgelet", default="dawson", choices=("dawson", "gaussian-d4", "both"))
    args = parser.parse_args()
    names = ["dawson", "gaussian-d4"] if args.ridgelet == "both" else [args.ridgelet]
    for name in names:
        bench_spectrum(name)
    bench_k()


if __name__ == "__main__":
    main()
