"""Benchmark: time to PROVE the issue-4 cases, and arb vs mpmath.iv on the same enclosure work.

Run:  /work/venv/bin/python benchmarks/bench_validated.py  [--repeat N]

Prints, for each case, the wall time of prove_flow_limit (one core) and, as a ratio, the time of
one identical enclosure kernel (the Picard a priori test plus one interval evaluation of the
field and its 2x2 Jacobian over a box, for the tanh neuron) in mpmath.iv divided by the time in
python-flint arb, both measured in this run at the same precision (128 bits).
"""

from __future__ import annotations

import argparse
import statistics
import time

import mpmath
from flint import arb

from igproof.numeric.ball.arith import precision, time_interval
from igproof.proof.limits.limit import ProvedLimit, prove_flow_limit
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.flow import gradient_flow
from igproof.symbolic.models import build_model

CASES = {
    "neuron relu (0.5, 0.3)": (("neuron", "relu", 1), [[1]], [1], ["0.5", "0.3"]),
    "neuron tanh (0.5, 0.3)": (("neuron", "tanh", 1), [[1]], [1], ["0.5", "0.3"]),
    "relu-neuron 3-D g=1": (("relu-neuron", "relu", 3), [[3, -1, 0], [4, 2, 0], [0, 1, 1]],
                            [16, 18, 0], ["1e-6"] * 3),
    "relu-neuron 3-D g=5": (("relu-neuron", "relu", 3), [[3, -1, 0], [4, 2, 0], [0, 5, 5]],
                            [16, 18, 0], ["1e-6"] * 3),
}


def _flow(spec, x, y):
    kind, act, dim = spec
    model = build_model(kind, dim=dim, activation=act)
    return gradient_flow(model, Dataset(x, y))


def bench_prove(repeat: int) -> None:
    print("time to PROVE (prec = 128 bits, one core)")
    for name, (spec, x, y, theta0) in CASES.items():
        flow = _flow(spec, x, y)
        times = []
        result = None
        for _ in range(repeat):
            start = time.perf_counter()
            result = prove_flow_limit(flow, theta0, prec=128)
            times.append(time.perf_counter() - start)
        verdict = "PROVED" if isinstance(result, ProvedLimit) else "INCONCLUSIVE"
        radius = f"{float(result.radius_upper):.2e}" if isinstance(result, ProvedLimit) else "-"
        print(f"  {name:26s} {verdict:12s} radius {radius:9s} "
              f"median {statistics.median(times):6.2f} s (aim: < 10 s)")


def _kernel(scalar_box, tanh, h):
    """One Picard test + field + Jacobian over a box, written once for both arithmetics."""
    a, w = scalar_box
    t = tanh(w)
    r = a * t - 1
    fa, fw = -r * t, -a * (1 - t * t) * r
    ea, ew = a + h * fa, w + h * fw
    t2 = tanh(ew)
    r2 = ea * t2 - 1
    ja = [-(t2 * t2), -(r2 + ea * t2) * (1 - t2 * t2)]
    jw = [-(r2 + ea * t2) * (1 - t2 * t2), -(ea * ea) * (1 - t2 * t2) ** 2]
    return ea, ew, ja, jw


def bench_backends(loops: int) -> None:
    with precision(128):
        box = [arb("1.3", "1e-20"), arb("1.0", "1e-20")]
        h = time_interval(arb("0.125"))
        start = time.perf_counter()
        for _ in range(loops):
            _kernel(box, lambda z: z.tanh(), h)
        t_arb = (time.perf_counter() - start) / loops
    iv = mpmath.iv
    saved = iv.prec
    iv.prec = 128
    try:
        box_iv = [iv.mpf(["1.3", "1.3"]) + iv.mpf(["-1e-20", "1e-20"]),
                  iv.mpf(["1.0", "1.0"]) + iv.mpf(["-1e-20", "1e-20"])]
        h_iv = iv.mpf([0, "0.125"])

        def tanh_iv(z):
            e = iv.exp(2 * z)
            return (e - 1) / (e + 1)

        start = time.perf_counter()
        for _ in range(loops):
            _kernel(box_iv, tanh_iv, h_iv)
        t_iv = (time.perf_counter() - start) / loops
    finally:
        iv.prec = saved
    print("same enclosure kernel (Picard test + field + Jacobian over a box, 128 bits)")
    print(f"  arb      {t_arb * 1e6:8.1f} us per kernel (baseline)")
    print(f"  mpmath.iv {t_iv * 1e6:8.1f} us per kernel  -> ratio mpmath.iv / arb = "
          f"{t_iv / t_arb:5.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--loops", type=int, default=2000)
    args = parser.parse_args()
    bench_prove(args.repeat)
    bench_backends(args.loops)


if __name__ == "__main__":
    main()
