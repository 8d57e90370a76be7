"""Benchmark igproof's high-precision flow against mpmath.odefun, in one process and as processes.

Problems: the neurons f(x) = a sigma(w x) with sigma = relu and tanh on one datum x = y = 1,
theta0 = (a, w) = (1/2, 3/10), integrated to t = T_END = 5 (w > 0 throughout, so the relu
flow is the polynomial field a' = -(aw - 1) w, w' = -(aw - 1) a).

(a) In one process, at 15, 30 and 50 digits: igproof.numeric.mp_flow.integrate_mp vs
    mpmath.odefun (baseline; the field written by hand in Python, as a user of odefun would).
    Both are compared with a 60-digit reference that neither produced: for relu the closed
    form (a^2 - w^2 = c is conserved and u = a w solves u' = (1 - u) sqrt(c^2 + 4 u^2), so T
    is a quadrature in u, solved for u(T) by Newton's method at 60 digits); for tanh odefun
    itself at 60 digits (about half a minute). igproof is timed twice: "cold" (derive the
    field with sympy and compile it, then integrate: a fresh GradientFlow each repeat) and
    "warm" (the compiled programs of the flow reused, as in a session that integrates one
    model many times, or a run with a warm field cache). Ratio = odefun time / igproof time,
    at equal dps, and "equal-accuracy": igproof (warm) at the fewest digits whose error is at
    most odefun's at dps. Both sides run in this process with the same mpmath backend (printed
    first: mpmath uses gmpy2's integers when gmpy2 is installed, which speeds odefun up ~1.7x;
    igproof's series are Python ints and floats either way).
(b) Whole processes at 15 digits: ``igproof flow neuron ... --dps 15 --t-max 5`` (the same
    integration to t = 5) vs a Python process that imports mpmath and runs odefun to t = 5.
    igproof runs cold (an empty field cache: it imports sympy and derives the field) and
    warm (the field cache filled by the previous run: no sympy). CPU seconds of the child
    processes (user + sys) and wall seconds.

(c) Where the time goes (warm, 30 digits): the share of ode_taylor_fixed (the Taylor series)
    in the integration, the rest of the steps (scalars, tail, kink check, sums) and the setup.

Times are CPU seconds (time.process_time; children via resource.getrusage), which other jobs on
a shared machine disturb much less than wall-clock time; best of REPEATS for every run that takes
under ODEFUN_REPEAT_BELOW seconds (odefun included), one run of the slower baselines.

Run: python benchmarks/bench_hiprec.py   (about two minutes)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import mpmath
from peers import ODEFUN_FIELDS as FIELDS
from timing import best_cpu, child_cpu

from igproof.numeric.mp_flow import integrate_mp
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.flow import gradient_flow
from igproof.symbolic.models import build_model

T_END = 5
THETA0 = (Fraction(1, 2), Fraction(3, 10))
DIGITS = (15, 30, 50)
REFERENCE_DPS = 60
REPEATS = 3  # best of 3 for the fast runs
ODEFUN_REPEAT_BELOW = 1.0  # an odefun run under 1 s is repeated too (best of REPEATS)
PROCESS_REPEATS = 3
# Equal accuracy: try igproof at dps - EQUAL_ACCURACY_SEARCH .. dps digits.
EQUAL_ACCURACY_SEARCH = 6
ROOT = Path(__file__).resolve().parents[1]


def _flow(activation):
    return gradient_flow(build_model("neuron", dim=1, activation=activation),
                         Dataset([[1]], [1]))


def _odefun_once(activation, dps):
    with mpmath.workdps(dps):
        start = time.process_time()
        solution = mpmath.odefun(FIELDS[activation], 0, [mpmath.mpf(v.numerator) / v.denominator
                                                         for v in THETA0])
        value = solution(T_END)
        return time.process_time() - start, [mpmath.mpf(v) for v in value]


def _odefun(activation, dps):
    """(CPU seconds, value): best of REPEATS when a run is under ODEFUN_REPEAT_BELOW s."""
    best, value = _odefun_once(activation, dps)
    if best < ODEFUN_REPEAT_BELOW:
        for _ in range(REPEATS - 1):
            best = min(best, _odefun_once(activation, dps)[0])
    return best, value


def _relu_closed_form(dps):
    """(a, w)(T_END) of the relu flow: c = a^2 - w^2 is conserved, T a quadrature in u = a w."""
    with mpmath.workdps(dps + 10):
        a0, w0 = (mpmath.mpf(v.numerator) / v.denominator for v in THETA0)
        c, u0 = a0 * a0 - w0 * w0, a0 * w0

        def rate(u):  # du/dt
            return (1 - u) * mpmath.sqrt(c * c + 4 * u * u)

        v = mpmath.mpf(5)  # Newton on G(v) = int_(u0)^(1 - e^-v) du / rate(u) - T
        for _ in range(60):
            u = 1 - mpmath.exp(-v)
            step = ((mpmath.quad(lambda s: 1 / rate(s), [u0, u]) - T_END) * rate(u)
                    / mpmath.exp(-v))
            v -= step
            if abs(step) < mpmath.mpf(10) ** -(dps + 5):
                break
        u = 1 - mpmath.exp(-v)
        a = mpmath.sqrt((c + mpmath.sqrt(c * c + 4 * u * u)) / 2)
        return [a, u / a]


def _error(values, reference):
    return max(abs(mpmath.mpf(v) - r) for v, r in zip(values, reference, strict=True))


def _best(fn, repeats=REPEATS):
    return best_cpu(fn, repeats)


def in_process():
    print(f"(a) in one process: t = 0..{T_END}, CPU seconds; error = max |theta - reference|")
    print(f"{'flow':5} {'dps':>4} {'odefun':>9} {'igproof cold':>13} {'igproof warm':>13} "
          f"{'ratio cold':>10} {'ratio warm':>10} {'err odefun':>10} {'err igproof':>11} "
          f"{'equal-accuracy':>16}")
    ratios = {}
    for activation in ("relu", "tanh"):
        start = time.process_time()
        with mpmath.workdps(REFERENCE_DPS):
            reference = (_relu_closed_form(REFERENCE_DPS) if activation == "relu"
                         else _odefun(activation, REFERENCE_DPS)[1])
        print(f"  [{activation} reference at {REFERENCE_DPS} digits: "
              f"{'closed form' if activation == 'relu' else 'odefun'}, "
              f"{time.process_time() - start:.1f} s]")
        for dps in DIGITS:
            cold, _ = _best(lambda act=activation, d=dps: integrate_mp(
                _flow(act), THETA0, dps=d, t_max=T_END))
            flow = _flow(activation)
            integrate_mp(flow, THETA0, dps=dps, t_max=T_END)  # compile once
            warm, traj = _best(lambda f=flow, d=dps: integrate_mp(f, THETA0, dps=d, t_max=T_END))
            base, value = _odefun(activation, dps)
            with mpmath.workdps(REFERENCE_DPS):
                err_ig, err_ode = _error(traj.theta, reference), _error(value, reference)
            ratios[activation, dps] = (base / cold, base / warm)
            # equal final accuracy: igproof (warm) at the fewest digits that are at least as
            # accurate as odefun at dps
            for fewer in range(max(5, dps - EQUAL_ACCURACY_SEARCH), dps + 1):
                t_fewer, traj_fewer = _best(lambda f=flow, d=fewer: integrate_mp(
                    f, THETA0, dps=d, t_max=T_END))
                with mpmath.workdps(REFERENCE_DPS):
                    if _error(traj_fewer.theta, reference) <= err_ode:
                        break
            print(f"{activation:5} {dps:>4} {base:9.4f} {cold:13.4f} {warm:13.4f} "
                  f"{base / cold:10.1f} {base / warm:10.1f} {mpmath.nstr(err_ode, 2):>10} "
                  f"{mpmath.nstr(err_ig, 2):>11} {base / t_fewer:8.1f} (dps {fewer})")
    return ratios


ODEFUN_SCRIPT = f"""
import mpmath
def field(_t, y):
    r = y[0] * y[1] - 1
    return [-r * y[1], -r * y[0]]
mpmath.mp.dps = 15
print(mpmath.odefun(field, 0, [mpmath.mpf(1) / 2, mpmath.mpf(3) / 10])({T_END}))
"""


def _child(argv, env):
    cpu, wall, done = child_cpu(argv, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{argv[:3]} failed: {done.stderr.strip()[-300:]}")
    return cpu, wall


def whole_process():
    print(f"\n(b) whole processes, 15 digits, t = 0..{T_END} (relu neuron): CPU s (wall s), "
          f"best of {PROCESS_REPEATS}")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "one.json"
        data.write_text('{"x": [[1]], "y": [1]}')
        cache = Path(tmp) / "cache"
        env = dict(os.environ, PYTHONPATH=str(ROOT), IGPROOF_CACHE_DIR=str(cache))
        env.pop("IGPROOF_NO_CACHE", None)
        igproof = [sys.executable, "-m", "igproof.cli.main", "flow", "neuron", "--data",
                   str(data), "--init", "1/2,3/10", "--dps", "15", "--t-max", str(T_END)]
        rows = {}
        runs = {"odefun": [], "igproof cold": [], "igproof warm": []}
        for _ in range(PROCESS_REPEATS):
            runs["odefun"].append(_child([sys.executable, "-c", ODEFUN_SCRIPT], env))
            subprocess.run(["rm", "-rf", str(cache)], check=True)  # cold: empty field cache
            runs["igproof cold"].append(_child(igproof, env))
            runs["igproof warm"].append(_child(igproof, env))  # the cache the cold run wrote
        for name, values in runs.items():
            rows[name] = min(values)
            print(f"  {name:13} {rows[name][0]:.3f} s ({rows[name][1]:.3f} s)")
        base = rows["odefun"][0]
        print(f"  ratio odefun/igproof: cold {base / rows['igproof cold'][0]:.2f}, "
              f"warm {base / rows['igproof warm'][0]:.2f}")
        return rows


def backends():
    """One line: the arithmetic each side runs on."""
    try:
        import gmpy2
        gmpy = f"gmpy2 {gmpy2.version()} installed"
    except ImportError:
        gmpy = "gmpy2 not installed"
    print(f"backends: Python {sys.version.split()[0]}; mpmath {mpmath.__version__} with the "
          f"{mpmath.libmp.BACKEND!r} integer backend ({gmpy}) for odefun and for igproof's "
          "scalars; igproof's series in Python ints and floats")


def where_the_time_goes(dps=30):
    """(c): the Taylor series' share of a warm integration, per flow."""
    import igproof.numeric.mp_flow as mp_flow

    print(f"\n(c) where the time goes, warm, {dps} digits, best of {REPEATS * 3}: CPU ms")
    series_fn = mp_flow.ode_taylor_fixed
    spent = [0.0]

    def timed(*args):
        start = time.process_time()
        try:
            return series_fn(*args)
        finally:
            spent[0] += time.process_time() - start

    mp_flow.ode_taylor_fixed = timed
    try:
        for activation in ("relu", "tanh"):
            flow = _flow(activation)
            integrate_mp(flow, THETA0, dps=dps, t_max=T_END)
            best = None
            for _ in range(REPEATS * 3):
                spent[0] = 0.0
                start = time.process_time()
                traj = integrate_mp(flow, THETA0, dps=dps, t_max=T_END)
                total = time.process_time() - start
                if best is None or total < best[0]:
                    best = (total, spent[0])
            total, series = best
            print(f"  {activation}: {total * 1e3:.2f} ms, {len(traj.ts) - 1} steps of order "
                  f"{traj.settings['order']}: Taylor series {series * 1e3:.2f} ms "
                  f"({series / total:.0%}), the rest of the steps and the setup "
                  f"{(total - series) * 1e3:.2f} ms")
    finally:
        mp_flow.ode_taylor_fixed = series_fn


def main():
    backends()
    ratios = in_process()
    whole_process()
    where_the_time_goes()
    print()
    for kind, col in (("cold", 0), ("warm", 1)):
        worst = min(ratios[act, 30][col] for act in ("relu", "tanh"))
        print(f"{kind} ratio at 30 digits, worst of relu/tanh: {worst:.0f}x")


if __name__ == "__main__":
    main()
