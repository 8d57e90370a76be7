"""Benchmark the gradient-flow integrators against named baselines measured in the same run.

(a) High precision: igproof.numeric.mp_flow.integrate_mp (Taylor method on the compiled
    symbolic field) vs mpmath.odefun (baseline), on the relu neuron flow x = 1, y = 1,
    theta0 = (1/2, 3/10) up to t = 10, where w > 0 throughout and the field is the polynomial
    a' = -(aw - 1) w, w' = -(aw - 1) a. Both at 30 and 50 digits; the error of each is measured
    against mpmath.odefun at dps + 10 (an independent reference). Prints times and the ratio,
    at equal dps and at equal final accuracy (integrate_mp at the fewest digits that are at
    least as accurate as odefun).
(b) Float: integrate_float (piecewise, kink events, atol scaled to theta0) vs plain
    scipy solve_ivp (baseline: default tolerances, pointwise relu field) on the small
    initialization 3-D relu-neuron example, error against the 30-digit limit.
(c) Float method choice inside integrate_float: DOP853 vs LSODA vs RK45 at the same rtol.

Times are CPU seconds of this process (time.process_time), which other jobs on a shared
machine disturb much less than wall-clock time.

Run: python benchmarks/bench_integrators.py   (about a minute; single core)
"""

from __future__ import annotations

import time
from fractions import Fraction

import mpmath
import numpy
from scipy.integrate import solve_ivp
from timing import best_cpu

from igproof.numeric.converge import flow_limit
from igproof.numeric.float_flow import integrate_float
from igproof.numeric.mp_flow import integrate_mp
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.flow import gradient_flow
from igproof.symbolic.models import build_model

T_END = 10
THETA0 = (Fraction(1, 2), Fraction(3, 10))
REPEATS = 3  # best of 3 for the fast runs; the baseline runs once (seconds each)


def _best(fn, repeats=REPEATS):
    return best_cpu(fn, repeats)


def _odefun_at(dps):
    def field(_t, y):
        r = y[0] * y[1] - 1
        return [-r * y[1], -r * y[0]]

    with mpmath.workdps(dps):
        start = time.process_time()
        solution = mpmath.odefun(field, 0, [mpmath.mpf(1) / 2, mpmath.mpf(3) / 10])
        value = solution(T_END)
        return time.process_time() - start, value


def bench_high_precision():
    print("(a) high precision: relu neuron x=1, y=1, theta0=(1/2, 3/10), t=10")
    flow = gradient_flow(build_model("neuron", dim=1, activation="relu"), Dataset([[1]], [1]))
    start = time.process_time()
    integrate_mp(flow, THETA0, dps=30, t_max=Fraction(1, 1000))  # compiles the field once
    print(f"    one-time compile of the symbolic field: {time.process_time() - start:.3f} s")
    for dps in (30, 50):
        ref_time, reference = _odefun_at(dps + 10)
        base_time, base_value = _odefun_at(dps)
        ours_time, traj = _best(lambda dps=dps: integrate_mp(flow, THETA0, dps=dps, t_max=T_END))
        assert not traj.switches, "w stayed positive: the polynomial field is the right one"
        with mpmath.workdps(dps + 20):
            err_base = max(abs(u - v) for u, v in zip(base_value, reference, strict=True))
            err_ours = max(abs(u - v) for u, v in zip(traj.theta, reference, strict=True))
        print(f"    dps={dps}: mpmath.odefun {base_time:7.3f} s (error {mpmath.nstr(err_base, 2)})"
              f" | integrate_mp {ours_time:6.3f} s, {traj.n_steps} steps, order "
              f"{traj.settings['order']} (error {mpmath.nstr(err_ours, 2)})"
              f" | speed-up x{base_time / ours_time:.1f}   [reference: odefun at dps={dps + 10},"
              f" {ref_time:.1f} s]")
        # Same final accuracy: the fewest digits at which integrate_mp is at least as accurate
        # as odefun at dps digits.
        for low in range(dps - 8, dps + 1):
            low_time, low_traj = _best(lambda low=low: integrate_mp(flow, THETA0, dps=low,
                                                                     t_max=T_END))
            with mpmath.workdps(dps + 20):
                err_low = max(abs(u - v) for u, v in zip(low_traj.theta, reference, strict=True))
            if err_low <= err_base:
                print(f"        same accuracy: integrate_mp at dps={low} {low_time:6.3f} s (error "
                      f"{mpmath.nstr(err_low, 2)} <= odefun's): speed-up "
                      f"x{base_time / low_time:.1f}")
                break


def _relu_neuron(g):
    return gradient_flow(build_model("relu-neuron", dim=3),
                         Dataset([[3, -1, 0], [4, 2, 0], [0, g, g]], [16, 18, 0]))


def bench_float():
    print("(b) float: relu-neuron, x1=(3,-1,0) y=16, x2=(4,2,0) y=18, x3=(0,g,g) y=0, "
          "theta0 = 1e-6 (1,1,1)")
    theta0 = [Fraction(1, 10**6)] * 3
    for g in (1, 5):
        flow = _relu_neuron(g)
        reference = flow_limit(flow, theta0, method="mp", dps=30)
        t_end = float(reference.t)
        numpy_field = flow.lambdify("numpy")

        def plain(method="RK45", rtol=1e-3, atol=1e-6, numpy_field=numpy_field, t_end=t_end):
            sol = solve_ivp(lambda _t, y: numpy_field(y), (0, t_end), [1e-6] * 3,
                            method=method, rtol=rtol, atol=atol)
            return sol.y[:, -1]

        def ours(flow=flow, t_end=t_end):
            return integrate_float(flow, theta0, t_max=t_end).theta

        flow_limit(flow, theta0, method="float")  # compile
        rows = [("solve_ivp defaults (RK45, rtol 1e-3, atol 1e-6)", *_best(plain)),
                ("solve_ivp DOP853 rtol 1e-10, default atol 1e-6",
                 *_best(lambda: plain("DOP853", 1e-10, 1e-6))),
                ("integrate_float (DOP853 rtol 1e-10, atol 1e-16, events)", *_best(ours))]
        base_time = rows[0][1]
        print(f"    g={g}: t_end={t_end:.2f}, 30-digit limit w3 = "
              f"{mpmath.nstr(reference.limit[2], 12)}")
        for label, seconds, value in rows:
            with mpmath.workdps(40):
                err = max(abs(mpmath.mpf(float(u)) - v)
                          for u, v in zip(value, reference.limit, strict=True))
            print(f"      {label:58s} {seconds * 1e3:8.1f} ms  (x{seconds / base_time:5.2f} of "
                  f"baseline time)  error {mpmath.nstr(err, 2)}")


def bench_methods():
    print("(c) solve_ivp method inside integrate_float, rtol 1e-12, relu neuron (a) to t=30 "
          "and relu-neuron g=5 (b) to t=60")
    cases = [("neuron", gradient_flow(build_model("neuron", dim=1, activation="relu"),
                                      Dataset([[1]], [1])), list(THETA0), 30),
             ("relu-neuron g=5", _relu_neuron(5), [Fraction(1, 10**6)] * 3, 60)]
    for name, flow, theta0, t_end in cases:
        integrate_float(flow, theta0, t_max=1)
        times = {}
        for method in ("DOP853", "LSODA", "RK45"):
            times[method], _ = _best(lambda m=method, f=flow, th=theta0, te=t_end:
                                        integrate_float(f, th, t_max=te, rtol=1e-12, method=m))
        print(f"    {name}: " + ", ".join(f"{m} {s * 1e3:.1f} ms (x{s / times['DOP853']:.2f})"
                                           for m, s in times.items()))


if __name__ == "__main__":
    numpy.set_printoptions(precision=17)
    bench_high_precision()
    bench_float()
    bench_methods()
