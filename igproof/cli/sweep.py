"""``igproof sweep CONFIG.toml``: flow limits over a grid or random design of a dataset family."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from igproof.cli.output import emit_json
from igproof.cli.progress import add_progress_flags, progress_wanted
from igproof.errors import InvalidArgument


def register(subparsers: Any, name: str) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        name, help="sweep the gradient-flow limit over the parameters of a dataset family",
        description="Compute, for every point of the grid or random design of CONFIG (TOML, "
        "docs/sweep.md), the gradient-flow limit, loss, final activation pattern, "
        "convergence time and diagnostics; write them to DIR/results.parquet (with the "
        "config and igproof version in its metadata) and a phase diagram. Finished points "
        "are stored as they complete: re-running an interrupted sweep resumes it.")
    parser.add_argument("config", metavar="CONFIG.toml", help="the sweep configuration")
    parser.add_argument("--out", metavar="DIR", default=None,
                        help="output folder (default: sweep-<config name without .toml>)")
    parser.add_argument("--workers", type=int, default=None, metavar="N",
                        help="local process pool size (default: the usable CPUs; 0 = run "
                        "in this process)")
    parser.add_argument("--scheduler", metavar="ADDRESS", default=None,
                        help="run on a Dask cluster: a scheduler address such as "
                        "tcp://host:8786, or local:N for an in-process LocalCluster of N "
                        "workers")
    parser.add_argument("--max-points", type=int, default=None, metavar="K",
                        help="compute at most K new points, then stop (resumable)")
    parser.add_argument("--csv", action="store_true", help="also write DIR/results.csv")
    parser.add_argument("--plot", metavar="FILE", default=None,
                        help="phase-diagram file (.png, .pdf or .svg; default DIR/phase.png)")
    add_progress_flags(parser, "show the progress bar", "never show the progress bar")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    return parser


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from igproof.sweep.config import load_config
    from igproof.sweep.runner import run_sweep

    if args.workers is not None and args.scheduler:
        raise InvalidArgument("--workers sets the local pool; with --scheduler the cluster "
                              "decides (use local:N for N local Dask workers)")
    config = load_config(args.config)
    out = Path(args.out) if args.out else Path(f"sweep-{Path(args.config).stem}")
    progress = progress_wanted(args)
    report = run_sweep(config, out, workers=args.workers, scheduler=args.scheduler,
                       max_points=args.max_points, progress=progress, csv=args.csv,
                       plot=args.plot)
    summary = {"config": args.config, "out": str(out), **report.as_dict()}
    if args.json:
        emit_json("sweep", summary, exit_code=1 if report.errors else 0)
    else:
        print(f"sweep      {config.name} ({config.design}, {report.total} points)")
        print(f"backend    {report.backend}" + (f", {report.workers} workers"
                                                  if report.workers else ""))
        print(f"points     {report.computed} computed, {report.skipped} already done, "
              f"{report.errors} failed")
        print(f"time       {report.seconds:.2f} s ({report.rate:.2f} points/s)")
        if report.complete:
            for path in report.files:
                print(f"wrote      {path}")
        else:
            print(f"incomplete {report.total - report.skipped - report.computed} points left;"
                  " re-run the same command to finish")
    sys.stdout.flush()
    # Failed points are rows with an error (the table says which); the run reports them.
    return 1 if report.errors else 0
