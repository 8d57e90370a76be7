"""Benchmark: igproof's float flow limit vs plain scipy solve_ivp loops on three data families.

Families (FAMILY_SIZE seeded datasets each, exact rational data and theta0):

- ``relu one-datum``: the neuron a relu(w x) on one 1-D datum x, y in [1/2, 2], theta0 in
  [1/5, 1]^2;
- ``relu-neuron 4 points``: relu(w . x) in 3-D on 4 points labelled by a random teacher,
  theta0 ~ N(0, 1/4);
- ``tanh neuron 2 points``: a tanh(w . x) in 2-D on 2 points, labels in [-1, 1],
  theta0 ~ N(0, 1/4).

igproof: ``flow_limit(flow, theta0, method="float", rtol=1e-10, tol=1e-10, t_max=1000)`` (its
default float method, ``auto``: see igproof.numeric.float_flow). Peers (named, same run): one
``scipy.integrate.solve_ivp`` call per dataset with method DOP853 or LSODA on the numpy field
``flow.lambdify("numpy")`` (relu'(0) = 0 pointwise), rtol 1e-10, atol = rtol * min |theta0_i|
(igproof's atol rule), over [0, 1000], stopped by a terminal event |grad L| = 1e-10. Converged =
that stop was reached before t = 1000.

Accuracy: every limit is compared with a reference (solve_ivp DOP853 at rtol 1e-14, same stop
rule, computed once, untimed); the max error over the converged datasets is printed for igproof
and each peer, and the max |igproof - peer| over datasets where both converged. (The stop rule
itself leaves each estimate ~1e-10 / curvature from the true limit, the same for every method;
tests/numeric/test_float_methods.py checks igproof against its high-precision integrator.)

Caches (item 7 of issue 15): every repeat builds new GradientFlow objects for each side, so
nothing derived or compiled survives between repeats or passes from one side to another. Two
timings per repeat and side:
- ``cold``: the first pass on its fresh flows; the time includes everything the side derives
  from the flow (igproof: the restricted sympy fields of the patterns it visits and their float
  code; peers: the sympy field and its numpy lambdify);
- ``warm``: a second pass on the same objects: the sympy fields and the peers' lambdified numpy
  fields are cached (so the peers pay no compile); igproof recompiles its float code (it keeps
  none between calls) but reuses the cached sympy fields.
Times are CPU seconds of this process (time.process_time), best of the repeats; the ratio is
peer time / igproof time (> 1: igproof faster).

Run: ``PYTHONPATH=$PWD python benchmarks/bench_float_families.py [--repeats 3] [--size 50]``
(about 3 minutes at the defaults on a shared 2-core machine).
"""

from __future__ import annotations

import argparse
import math
import time
from fractions import Fraction

import numpy
from scipy.integrate import solve_ivp

from igproof.numeric.converge import flow_limit
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.flow import gradient_flow
from igproof.symbolic.models import build_model

FAMILY_SIZE = 50
SEED = 2026
RTOL = 1e-10
GRAD_TOL = 1e-10
T_MAX = 1000.0
REFERENCE_RTOL = 1e-14  # scipy's floor is 100 eps = 2.2e-14; it raises this with a warning
PEERS = ("DOP853", "LSODA")


def _q(value: float, denominator: int = 100) -> Fraction:
    return Fraction(round(value * denominator), denominator)


def families(size: int = FAMILY_SIZE, seed: int = SEED) -> dict[str, list[tuple]]:
    """name -> [(kind, dim, activation, x, y, theta0)] with exact rational data."""
    rng = numpy.random.default_rng(seed)
    out: dict[str, list[tuple]] = {"relu one-datum": [], "relu-neuron 4 points": [],
                                   "tanh neuron 2 points": []}
    for _ in range(size):
        x, y = _q(rng.uniform(0.5, 2)), _q(rng.uniform(0.5, 2))
        theta0 = [_q(rng.uniform(0.2, 1)), _q(rng.uniform(0.2, 1))]
        out["relu one-datum"].append(("neuron", 1, "relu", [[x]], [y], theta0))
        xs = [[_q(v) for v in rng.normal(size=3)] for _ in range(4)]
        teacher = rng.normal(size=3)
        ys = [_q(max(0.0, float(numpy.dot(teacher, [float(c) for c in row])))) for row in xs]
        theta0 = [_q(v) for v in rng.normal(size=3) * 0.5]
        out["relu-neuron 4 points"].append(("relu-neuron", 3, "relu", xs, ys, theta0))
        xs = [[_q(v) for v in rng.normal(size=2)] for _ in range(2)]
        ys = [_q(v) for v in rng.uniform(-1, 1, size=2)]
        theta0 = [_q(v) for v in rng.normal(size=3) * 0.5]
        out["tanh neuron 2 points"].append(("neuron", 2, "tanh", xs, ys, theta0))
    return out


def build(spec: tuple) -> tuple:
    kind, dim, activation, xs, ys, theta0 = spec
    flow = gradient_flow(build_model(kind, dim=dim, activation=activation), Dataset(xs, ys))
    return flow, theta0


def igproof_limit(flow, theta0) -> tuple[bool, numpy.ndarray]:
    result = flow_limit(flow, theta0, method="float", rtol=RTOL, tol=GRAD_TOL, t_max=T_MAX)
    return result.converged, numpy.array(result.limit, dtype=float)


def scipy_limit(flow, theta0, method: str, rtol: float = RTOL) -> tuple[bool, numpy.ndarray]:
    """The peer: one solve_ivp call, numpy field, terminal event |grad L| = GRAD_TOL."""
    field = flow.lambdify("numpy")
    y0 = numpy.array([float(v) for v in theta0])
    atol = rtol * min(abs(v) for v in y0 if v)

    def small_gradient(_t, y):
        return math.hypot(*field(y)) - GRAD_TOL
    small_gradient.terminal = True
    small_gradient.direction = -1
    sol = solve_ivp(lambda _t, y: field(y), (0.0, T_MAX), y0, method=method, rtol=rtol,
                    atol=atol, events=small_gradient)
    return sol.status == 1, sol.y[:, -1]


def _timed(run, flows) -> tuple[float, list]:
    start = time.process_time()
    out = [run(flow, theta0) for flow, theta0 in flows]
    return time.process_time() - start, out


def bench_family(name: str, specs: list[tuple], repeats: int) -> None:
    import warnings

    runners = {"igproof": igproof_limit}
    runners.update({m: (lambda f, t, m=m: scipy_limit(f, t, m)) for m in PEERS})
    best = {(label, phase): math.inf for label in runners for phase in ("cold", "warm")}
    results: dict[str, list] = {}
    for r in range(repeats):
        order = list(runners) if r % 2 == 0 else list(runners)[::-1]  # spread machine load
        # New flow objects per side and repeat: nothing derived or compiled survives a repeat.
        copies = {label: [build(spec) for spec in specs] for label in order}
        for phase in ("cold", "warm"):  # warm: the second pass on the same objects
            for label in order:
                seconds, out = _timed(runners[label], copies[label])
                best[label, phase] = min(best[label, phase], seconds)
                results[label] = out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy: rtol raised to 100 eps
        reference = [scipy_limit(flow, theta0, "DOP853", REFERENCE_RTOL)
                     for flow, theta0 in (build(spec) for spec in specs)]
    print(f"{name} ({len(specs)} datasets):")
    converged = {label: sum(c for c, _ in out) for label, out in results.items()}
    for label, out in results.items():
        errors = [numpy.abs(v - ref).max() for (c, v), (rc, ref) in zip(out, reference,
                                                                           strict=True)
                  if c and rc]
        error = f"{max(errors):.1e}" if errors else "-"
        print(f"    {label:8s} cold {best[label, 'cold']:7.3f} s  warm {best[label, 'warm']:7.3f} s"
              f"  converged {converged[label]:2d}/{len(specs)}  max error vs reference {error}")
    ours = results["igproof"]
    for peer in PEERS:
        both = [numpy.abs(a - b).max() for (ca, a), (cb, b) in zip(ours, results[peer],
                                                                   strict=True) if ca and cb]
        deviation = f"{max(both):.1e}" if both else "-"
        print(f"    vs {peer:6s}: ratio cold x{best[peer, 'cold'] / best['igproof', 'cold']:.2f}"
              f"  warm x{best[peer, 'warm'] / best['igproof', 'warm']:.2f}"
              f"  converged {converged['igproof']} vs {converged[peer]}"
              f"  max |igproof - {peer}| {deviation}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--size", type=int, default=FAMILY_SIZE)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--family", action="append", help="only this family (repeatable)")
    args = parser.parse_args()
    print(f"float flow limits, rtol {RTOL:g}, stop at |grad L| <= {GRAD_TOL:g}, t_max "
          f"{T_MAX:g}; CPU seconds, best of {args.repeats}; ratio = peer / igproof")
    for name, specs in families(args.size, args.seed).items():
        if args.family and name not in args.family:
            continue
        bench_family(name, specs, args.repeats)


if __name__ == "__main__":
    main()
