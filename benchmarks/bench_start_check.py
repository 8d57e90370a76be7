"""Benchmark: the prover's exact test "grad L(theta0) = 0" on the examples' initializations:
``sympy.simplify`` of every field component (the baseline) against ``limit._vanishes`` (a
30-digit evaluation screens out the clearly nonzero components first), in the same run.

Run:  python benchmarks/bench_start_check.py  [--repeat N]

Prints, per example, the best CPU time of each route (sympy's cache cleared before every call,
as in a fresh prover process) and the ratio baseline / screened; both routes must agree.
"""

from __future__ import annotations

import argparse
from fractions import Fraction
from pathlib import Path

import sympy
from sympy.core.cache import clear_cache
from timing import best_cpu

from igproof.numeric.validated import smooth_piece
from igproof.proof.limits.limit import _vanishes
from igproof.rationals import load_json_exact
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.flow import gradient_flow
from igproof.symbolic.models import build_model

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "overlap"
CASES = {  # example folder: (model, activation, width)
    "zhang2023-tanh": ("neuron", "tanh", 1),
    "tanh-repeated": ("neuron", "tanh", 1),
    "zhang2023-relu": ("neuron", "relu", 1),
    "vardi2021-two-layer": ("two-layer", "relu", 2),
}


def _field_at_theta0(name: str, spec: tuple[str, str, int]) -> list[sympy.Expr]:
    kind, activation, width = spec
    folder = EXAMPLES / name
    data = Dataset.from_json(load_json_exact(str(folder / "S1.json"), what="data"))
    init = load_json_exact(str(folder / "init.json"), what="init")["init"]
    theta = [Fraction(str(v)) for v in init]
    flow = gradient_flow(build_model(kind, dim=data.dim, activation=activation, width=width),
                         data)
    field, _, _, _ = smooth_piece(flow, tuple(flow.pattern(theta)) if flow.kinks else None)
    point = {p: sympy.Rational(q.numerator, q.denominator)
             for p, q in zip(flow.parameters, theta, strict=True)}
    return [f.xreplace(point) for f in field]


def _cold(test, values):
    def run():
        clear_cache()
        return [test(v) for v in values]
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{'example':<22} {'simplify (s)':>12} {'screened (s)':>12} {'ratio':>8}")
    for name, spec in CASES.items():
        values = _field_at_theta0(name, spec)
        base, exact = best_cpu(_cold(lambda v: sympy.simplify(v) == 0, values), args.repeat)
        new, screened = best_cpu(_cold(_vanishes, values), args.repeat)
        assert exact == screened, (name, exact, screened)
        print(f"{name:<22} {base:12.4f} {new:12.4f} {base / new:8.1f}")


if __name__ == "__main__":
    main()
