"""Benchmark: sweep throughput (points per second) with 1, 2 and 4 workers, local pool and Dask.

The same config for every run: examples/sweeps/single_neuron_gamma.toml (240 points, the float
limit, the l2 KKT violation and the distance to the gamma = 0 limit per point), or with
``--quick`` the same ranges with 6 gamma values (72 points). Each run writes into a fresh folder, so
nothing is resumed or cached across runs (within a run, each worker process caches the
reference limits of the gamma = 0 family, one per init value: that is part of the workload).

- ``pool``: ``run_sweep(workers=N)``, a fork-server ProcessPoolExecutor of N processes;
- ``dask``: ``run_sweep(scheduler="local:N")``, an in-process LocalCluster of N single-threaded
  worker processes (the start-up of the cluster is included, as a user would see it).

Reported: points/s per run; the scaling ratio (rate with N workers / rate with 1, per
backend); the overhead of Dask against the pool, (T_dask - T_pool) / points, in ms per point;
and whether each Dask table equals the pool's (max limit difference, LIMIT_TOLERANCE). Each
backend and worker count also runs a small sweep (4 gamma values, 48 points); the two sizes
split the wall time as T = F + N c into a fixed cost F (start-up, shut-down, imports in the
workers) and a marginal cost c per point, so the Dask overhead is given both ways. The
machine this was written on has 2 cores shared with other jobs: 4 workers oversubscribe it, and
the figures move with the load (the script prints the load average before and after).

Usage: ``python benchmarks/bench_sweep.py [--quick] [--workers 1 2 4] [--json FILE]``.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from igproof.sweep.config import parse_config
from igproof.sweep.runner import run_sweep
from igproof.sweep.store import LIMIT_TOLERANCE, limit_differences

CONFIG = Path(__file__).resolve().parents[1] / "examples" / "sweeps" / "single_neuron_gamma.toml"
# --quick: 6 gamma values over the same range instead of 20.
FULL_GAMMA = "gamma = { log = [0.1, 100], n = 20 }"
QUICK_GAMMA = "gamma = { log = [0.1, 100], n = 6 }"
SMALL_GAMMA = "gamma = { log = [0.1, 100], n = 4 }"


def _config(gamma: str):
    return parse_config(CONFIG.read_text().replace(FULL_GAMMA, gamma))


def _run(config, backend: str, workers: int, root: Path, tag: str = "") -> dict:
    out = root / f"{backend}-{workers}{tag}"
    start = time.perf_counter()
    if backend == "pool":
        report = run_sweep(config, out, workers=workers)
    else:
        report = run_sweep(config, out, scheduler=f"local:{workers}")
    seconds = time.perf_counter() - start
    assert report.complete and report.skipped == 0 and report.errors == 0, report
    return {"backend": backend, "workers": workers, "points": report.computed,
            "seconds": seconds, "points_per_second": report.computed / seconds,
            "table": out / "results.parquet"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="72 points instead of 240")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args()
    config = _config(QUICK_GAMMA if args.quick else FULL_GAMMA)
    small = _config(SMALL_GAMMA)
    print(f"config {CONFIG.name}{' (--quick)' if args.quick else ''}; "
          f"load average before: {os.getloadavg()[0]:.2f}; cpus {os.cpu_count()}")
    runs: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        for workers in args.workers:
            for backend in ("pool", "dask"):
                run = _run(config, backend, workers, Path(tmp))
                runs.append(run)
                little = _run(small, backend, workers, Path(tmp), "-small")
                cost = (run["seconds"] - little["seconds"]) / (run["points"] - little["points"])
                run["marginal_s_per_point"] = cost
                run["fixed_s"] = little["seconds"] - little["points"] * cost
                print(f"{backend:5s} workers={workers}: {run['points']} points in "
                      f"{run['seconds']:7.2f} s = {run['points_per_second']:6.2f} points/s; "
                      f"{little['points']} points in {little['seconds']:6.2f} s -> fixed "
                      f"{run['fixed_s']:5.1f} s + {cost * 1e3:6.1f} ms/point", flush=True)
        print()
        summary: list[dict] = []
        for backend in ("pool", "dask"):
            base = next(r for r in runs if r["backend"] == backend and
                        r["workers"] == args.workers[0])
            for r in runs:
                if r["backend"] == backend:
                    ratio = r["points_per_second"] / base["points_per_second"]
                    print(f"scaling {backend:5s} {r['workers']} vs {base['workers']} "
                          f"worker(s): x{ratio:.2f}")
                    r["scaling"] = ratio
        for workers in args.workers:
            pool = next(r for r in runs if r["backend"] == "pool" and r["workers"] == workers)
            dask = next(r for r in runs if r["backend"] == "dask" and r["workers"] == workers)
            overhead = (dask["seconds"] - pool["seconds"]) / pool["points"] * 1e3
            worst, mismatched = limit_differences(pq.read_table(pool["table"]),
                                                  pq.read_table(dask["table"]))
            rate_ratio = dask["points_per_second"] / pool["points_per_second"]
            marginal = (dask["marginal_s_per_point"] - pool["marginal_s_per_point"]) * 1e3
            fixed = dask["fixed_s"] - pool["fixed_s"]
            print(f"dask vs pool, {workers} worker(s): overhead {overhead:+.1f} ms/point "
                  f"overall = fixed {fixed:+.1f} s + marginal {marginal:+.1f} ms/point "
                  f"(rate ratio dask/pool {rate_ratio:.2f}); "
                  f"max limit difference {worst:.1e} (tolerance {LIMIT_TOLERANCE:.0e}), "
                  f"{len(mismatched)} mismatched points")
            summary.append({"workers": workers, "dask_overhead_ms_per_point": overhead,
                            "dask_fixed_overhead_s": fixed,
                            "dask_marginal_overhead_ms_per_point": marginal,
                            "max_limit_difference": worst, "mismatched": len(mismatched)})
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    if args.json:
        for r in runs:
            r.pop("table")
        Path(args.json).write_text(json.dumps({"runs": runs, "comparison": summary}, indent=1))


if __name__ == "__main__":
    main()
