"""Benchmark: re-checking the shipped zhang2023 certificates (issue #5 aim: under 5 s).

Times the independent checker on every ``certificates/zhang2023-*.json``, per file and in total,
in two states measured in the same run, wall time (perf_counter) and CPU time (process_time),
best of ``--repeat`` runs:

- cold: the checker's per-process replay memo and constant caches are emptied
  (``igproof.checker.clear_memo``) before every run: a full replay of every trajectory, what a
  fresh ``igproof check FILE`` pays;
- warm: the same certificate checked again right after an untimed check (memo kept): what a
  second certificate that lists the same trajectories pays (the two tanh certificates do).

Then the wall time of the command ``igproof check certificates/zhang2023-*.json`` (one process,
as a user runs it: the tanh certificates' shared trajectories are replayed once) against
``python -c "import igproof.checker"`` (the start-up it includes).

The former baseline column (the checker of commit 628526f with its ``dyadic`` module swapped
into the replay) is gone: the checker now has one interval type (``igproof.checker.Interval``)
and no ``dyadic`` module, so that swap no longer describes any code that runs. Only the
checker's public API is used.

Run: /work/venv/bin/python benchmarks/bench_recheck_zhang2023.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from igproof.checker import check_certificate, clear_memo

ROOT = Path(__file__).resolve().parents[1]
# Best of this many runs per measurement: filters out noise from other jobs on the machine.
REPEAT = 2


def _time_check(cert: dict[str, Any], repeat: int, *, cold: bool) -> tuple[float, float, bool]:
    """(best wall, best CPU, accepted) of check_certificate on a fresh copy of ``cert``."""
    wall = cpu = float("inf")
    accepted = True
    if not cold:
        clear_memo()
        check_certificate(json.loads(json.dumps(cert)))  # untimed: fills the memo
    for _ in range(repeat):
        plain = json.loads(json.dumps(cert))
        if cold:
            clear_memo()
        w0, c0 = time.perf_counter(), time.process_time()
        report = check_certificate(plain)
        cpu = min(cpu, time.process_time() - c0)
        wall = min(wall, time.perf_counter() - w0)
        accepted = accepted and report.accepted
    return wall, cpu, accepted


def _command_wall(command: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=False, cwd=ROOT)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=REPEAT)
    args = parser.parse_args()
    files = sorted((ROOT / "certificates").glob("zhang2023-*.json"))
    print(f"re-checking certificates/zhang2023-*.json in process, best of {args.repeat}; "
          "cold = memo cleared before each run, warm = memo kept from a previous check")
    print(f"{'file':42s} {'cold wall':>9s} {'cold cpu':>8s}   {'warm wall':>9s} {'warm cpu':>8s}")
    totals = [0.0, 0.0, 0.0, 0.0]
    for path in files:
        cert = json.loads(path.read_text("utf-8"))
        cold = _time_check(cert, args.repeat, cold=True)
        warm = _time_check(cert, args.repeat, cold=False)
        if not (cold[2] and warm[2]):
            print(f"{path.name}: NOT ACCEPTED")
            return 1
        totals = [totals[0] + cold[0], totals[1] + cold[1], totals[2] + warm[0],
                  totals[3] + warm[1]]
        print(f"{path.name:42s} {cold[0]:9.3f} {cold[1]:8.3f}   {warm[0]:9.3f} {warm[1]:8.3f}")
    print(f"{'total':42s} {totals[0]:9.3f} {totals[1]:8.3f}   {totals[2]:9.3f} {totals[3]:8.3f}")
    exe = str(Path(sys.executable).parent / "igproof")
    names = [str(p.relative_to(ROOT)) for p in files]
    command = _command_wall([exe, "check", *names], args.repeat)
    start_up = _command_wall([sys.executable, "-c", "import igproof.checker"], args.repeat)
    print(f"`igproof check certificates/zhang2023-*.json`: {command:.2f} s wall, one process "
          f"(start-up `import igproof.checker`: {start_up:.2f} s, ratio {command / start_up:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
