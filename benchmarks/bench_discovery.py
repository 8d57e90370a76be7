"""Benchmark: discovery throughput, certified Overlapping instances per minute per family.

Runs :func:`igproof.search.overlap_search.discover` on each family alone for a fixed budget
(default 120 s; the run may overrun by the proof that was under way when the budget ran out) and
prints, per family: searches, examples screened, float hits, certified instances (each accepted
by the independent checker before it counts), wall time, certified per minute, CPU time of
this process and certified per CPU minute (the figure to compare on a shared machine), and the
mean certificate size. The families run one after the other, so each gets the whole budget.

Usage: ``python benchmarks/bench_discovery.py [--budget 120] [--seed 0] [--mechanism
two-point] [--class norm] [--family relu-neuron ...] [--out DIR]``.

There is no peer baseline: no other tool searches for certified Overlapping instances. The
figure to compare is the same command on an earlier igproof (throughput per family).
"""

from __future__ import annotations

import argparse
import tempfile
import time

from igproof.certificate.writer import dumps_certificate
from igproof.search.overlap_search import FAMILIES, discover


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=120.0, help="seconds per family")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mechanism", default="two-point", choices=("two-point", "one-point"))
    parser.add_argument("--class", dest="cls", default=None,
                        help="one-point class: norm, l1-norm, distance-to-theta0")
    parser.add_argument("--family", action="append", choices=sorted(FAMILIES),
                        help="families (default: all)")
    parser.add_argument("--out", default=None, help="keep the certificates in DIR")
    args = parser.parse_args()
    cls = args.cls or ("norm" if args.mechanism == "one-point" else None)
    labels = args.family or list(FAMILIES)
    print(f"discovery, {args.mechanism}{' ' + cls if cls else ''}, seed {args.seed}, "
          f"budget {args.budget:g} s per family")
    print(f"{'family':<23}{'searches':>9}{'examples':>10}{'hits':>6}{'certified':>10}"
          f"{'failed':>7}{'seconds':>9}{'per min':>9}{'CPU s':>8}{'per CPU min':>12}"
          f"{'mean KB':>9}")
    total, seconds, cpu_total = 0, 0.0, 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for label in labels:
            started, cpu0 = time.perf_counter(), time.process_time()
            result = discover([FAMILIES[label]], mechanism=args.mechanism, cls=cls,
                              seed=args.seed, budget=args.budget, out_dir=args.out or tmp)
            wall = time.perf_counter() - started
            cpu = time.process_time() - cpu0
            t = result.tallies[label]
            sizes = [len(dumps_certificate(i.outcome.certificate)) for i in result.instances]
            mean_kb = sum(sizes) / len(sizes) / 1024 if sizes else 0.0
            print(f"{label:<23}{t.searches:>9}{t.examples:>10}{t.float_hits:>6}"
                  f"{t.certified:>10}{t.not_certified:>7}{wall:>9.1f}"
                  f"{60 * t.certified / wall:>9.2f}{cpu:>8.1f}{60 * t.certified / cpu:>12.2f}"
                  f"{mean_kb:>9.1f}", flush=True)
            for reason in t.reasons:
                print(f"  not certified: {reason[:160]}")
            total += t.certified
            seconds += wall
            cpu_total += cpu
    print(f"{'all':<23}{'':>9}{'':>10}{'':>6}{total:>10}{'':>7}{seconds:>9.1f}"
          f"{60 * total / seconds:>9.2f}{cpu_total:>8.1f}{60 * total / cpu_total:>12.2f}")


if __name__ == "__main__":
    main()
