"""Benchmark: gradient-flow limits per second of the float surrogate vs a loop of solve_ivp.

Family: the single ReLU neuron relu(w . x) in 3-D with 3 points (positive labels), and the
one-hidden-neuron a relu(w x) on one 1-D datum, initializations from 1e-3 to 1.

Baseline (named ``solve_ivp-loop``): one ``scipy.integrate.solve_ivp`` call per example with
RK45 (the same Dormand–Prince 5(4) pair as the surrogate), the same rtol and the same atol
(``ATOL_SCALE * |theta0|_inf``), terminal events at every kink w . x_k = 0 with a restart (so
the baseline does not step blindly over the ReLU kinks either), integrated over the same time
span [0, t_stop] that the surrogate used for that example (the surrogate runs with the search's
step budget ``SEARCH_MAX_STEPS``; flows that do not converge cost both sides the same span).
Accuracy is matched by construction (same method and tolerances) and checked: both are
compared with a tight DOP853 reference (rtol 1e-12) on a subset, and the max errors are printed
next to the ratio.

Usage: ``python benchmarks/bench_surrogate.py [--batch 200] [--seed 0]``. Prints limits/s of
``surrogate-batch`` (all examples in one call), ``surrogate-single`` (one call per example,
the pattern Hypothesis uses) and the baseline, measured in the same run, and their ratios.

The batch/single ratio is the reason ``integrate_batch`` keeps its own vectorized loop instead of
being a user of the integrator contract (igproof.numeric.stepper) as ``surrogate-single`` is:
one numpy step advances every example of the batch at once, while a per-example ``step()``
costs B Python round trips per step; the line ``batch vs single`` prints that factor.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.integrate import solve_ivp

from igproof.search.driver import SEARCH_MAX_STEPS
from igproof.search.families import SurrogateModel
from igproof.search.surrogate import ATOL_SCALE, RTOL, float_limit, integrate_batch


def _field(kind: str, x: np.ndarray, y: np.ndarray):
    n = len(y)

    def rhs(_t: float, th: np.ndarray) -> np.ndarray:
        if kind == "relu-neuron":
            z = x @ th
            act = z > 0
            return -((np.where(act, z, 0.0) - y) * act) @ x / n
        a, w = th[0], th[1:]
        z = x @ w
        act = z > 0
        r = a * np.where(act, z, 0.0) - y
        return -np.concatenate([[r @ np.where(act, z, 0.0) / n], a * (r * act) @ x / n])

    return rhs


def solve_ivp_limit(kind: str, x: np.ndarray, y: np.ndarray, theta0: np.ndarray,
                    t_stop: float, *, method: str = "RK45", rtol: float = RTOL,
                    atol: float | None = None) -> np.ndarray:
    """theta(t_stop) by solve_ivp, restarted at each kink (terminal events)."""
    rhs = _field(kind, x, y)
    atol = ATOL_SCALE * float(np.max(np.abs(theta0))) if atol is None else atol
    events = []
    for k in range(len(y)):
        def event(_t, th, k=k):
            w = th if kind == "relu-neuron" else th[1:]
            return float(w @ x[k])
        event.terminal = True
        events.append(event)
    theta, t = theta0.astype(float), 0.0
    for _ in range(100):
        sol = solve_ivp(rhs, (t, t_stop), theta, method=method, rtol=rtol, atol=atol,
                        events=events)
        theta, t = sol.y[:, -1], float(sol.t[-1])
        if sol.status == 0 or t >= t_stop:
            return theta
        nudge = min(1e-9, t_stop - t)
        theta = theta + nudge * rhs(t, theta)
        t += nudge
    return theta


def make_examples(kind: str, batch: int, rng: np.random.Generator):
    if kind == "relu-neuron":
        dim, n = 3, 3
        x = rng.uniform(-1, 1, size=(batch, n, dim))
        x[:, :, 0] = rng.uniform(0.5, 1.5, size=(batch, n))  # a common half-space: flows train
        y = rng.uniform(0.5, 2.0, size=(batch, n))
        scale = 10.0 ** rng.uniform(-3, 0, size=(batch, 1))
        theta0 = scale * rng.uniform(-1, 1, size=(batch, dim))
        theta0[:, 0] = scale[:, 0] * rng.uniform(0.5, 1.0, size=batch)
        return SurrogateModel("relu-neuron", "relu", dim), x, y, theta0
    x = rng.uniform(0.5, 2.0, size=(batch, 1, 1))
    y = rng.uniform(0.5, 2.0, size=(batch, 1))
    scale = 10.0 ** rng.uniform(-3, 0, size=(batch, 1))
    theta0 = scale * rng.uniform(0.2, 1.0, size=(batch, 2))
    return SurrogateModel("neuron", "relu", 1), x, y, theta0


def run(kind: str, batch: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    model, x, y, theta0 = make_examples(kind, batch, rng)
    integrate_batch(model, x[:2], y[:2], theta0[:2])  # warm-up

    start = time.perf_counter()
    out = integrate_batch(model, x, y, theta0, max_steps=SEARCH_MAX_STEPS)
    t_batch = time.perf_counter() - start
    converged = int(out.converged.sum())

    single_n = min(batch, 60)
    start = time.perf_counter()
    for b in range(single_n):
        float_limit(model, x[b], y[b], theta0[b], max_steps=SEARCH_MAX_STEPS)
    t_single = (time.perf_counter() - start) * batch / single_n

    start = time.perf_counter()
    baseline = [solve_ivp_limit(model.kind, x[b], y[b], theta0[b], float(out.t[b]))
                for b in range(batch)]
    t_base = time.perf_counter() - start

    check = [b for b in range(batch) if out.converged[b]][:20]
    err_s, err_b = 0.0, 0.0
    for b in check:
        ref = solve_ivp_limit(model.kind, x[b], y[b], theta0[b], float(out.t[b]),
                              method="DOP853", rtol=1e-12,
                              atol=1e-14 * float(np.max(np.abs(theta0[b]))))
        err_s = max(err_s, float(np.max(np.abs(out.theta[b] - ref))))
        err_b = max(err_b, float(np.max(np.abs(baseline[b] - ref))))

    print(f"\n{kind} ({model.n_params} parameters, {x.shape[1]} point(s)), {batch} flows, "
          f"{converged} converged, mean {out.steps.mean():.0f} steps")
    print(f"  rtol {RTOL:g}, atol {ATOL_SCALE:g} * |theta0|_inf; max error vs DOP853 rtol 1e-12 "
          f"on {len(check)} limits: surrogate {err_s:.1e}, solve_ivp-loop {err_b:.1e}")
    for name, seconds in (("surrogate-batch", t_batch), ("surrogate-single", t_single),
                          ("solve_ivp-loop", t_base)):
        print(f"  {name:17s} {batch / seconds:10.1f} flows/s   "
              f"ratio vs solve_ivp-loop {t_base / seconds:6.1f}x")
    print(f"  batch vs single (one contract loop per example): batch is "
          f"{t_single / t_batch:.1f}x faster")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=200, help="flows per family (200)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for kind in ("relu-neuron", "neuron"):
        run(kind, args.batch, args.seed)


if __name__ == "__main__":
    main()
