"""Benchmark: re-checking the shipped zhang2023 certificates (issue #5 aim: under 5 s).

Times the independent checker on every ``certificates/zhang2023-*.json``, per file and in total,
in two configurations measured in the same run:

- baseline (named): the checker and certificates of commit ``BASELINE_COMMIT`` (628526f):
  the tanh trajectories at 64 bits, Taylor order 28, loss target 1e-7, replayed with that
  commit's ``igproof/checker/dyadic.py`` (a dot product that built one tuple per product, tanh
  and exp through rational intervals). Both are read with ``git show`` and the old dyadic
  module is swapped into the checker's trajectory replay for the baseline runs only;
- current: the certificates in the working tree and the current checker.

Prints wall time (perf_counter) and CPU time (process_time), best of ``--repeat`` runs, and the
ratios current / baseline; then the wall time of the command
``igproof check certificates/zhang2023-*.json`` (one process, as a user runs it) against
``python -c "import igproof.checker"`` (the start-up it includes). The per-file figures are
full replays (the checker's per-process replay memo is cleared before each); the command is run
as a user runs it, so the two tanh certificates, which list the same two trajectories, replay
them once.

Run: /work/venv/bin/python benchmarks/bench_recheck_zhang2023.py [--repeat N]
(IGPROOF_LONG is not needed: about a minute with the default of 2 repeats.)
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from igproof.checker import check_certificate, trajectory
from igproof.checker import dyadic as current_dyadic

ROOT = Path(__file__).resolve().parents[1]
# The last commit before the fast replay (dyadic fast paths, cheaper tanh trajectories).
BASELINE_COMMIT = "628526f"
# Best of this many runs per measurement: filters out noise from other jobs on the machine.
REPEAT = 2


def _git_show(path: str) -> str | None:
    out = subprocess.run(["git", "-C", str(ROOT), "show", f"{BASELINE_COMMIT}:{path}"],
                         capture_output=True, text=True, check=False)
    return out.stdout if out.returncode == 0 else None


def _load_module(source: str, folder: Path) -> ModuleType:
    path = folder / "dyadic_baseline.py"
    path.write_text(source, "utf-8")
    spec = importlib.util.spec_from_file_location("igproof_bench_dyadic_baseline", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _use_dyadic(module: ModuleType) -> None:
    """Make the trajectory replay use ``module``: its Dyadic constants, empty Dyadic caches."""
    trajectory.dy = module
    for name, value in list(vars(trajectory).items()):
        if hasattr(value, "lo_m") and hasattr(value, "e"):
            setattr(trajectory, name, module.Dyadic(value.lo_m, value.hi_m, value.e))
        elif isinstance(value, dict) and name.startswith("_") and name.isupper():
            value.clear()  # caches of enclosed constants (_RATIOS, _POINT_MATRICES)


def _time_check(cert: dict[str, Any], repeat: int) -> tuple[float, float, bool]:
    """(best wall, best CPU, accepted) of check_certificate on a fresh copy of ``cert``."""
    wall = cpu = float("inf")
    accepted = True
    for _ in range(repeat):
        plain = json.loads(json.dumps(cert))
        trajectory._REPLAYED.clear()  # per-file figures are full replays, never memo hits
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
    old_dyadic = _git_show("igproof/checker/dyadic.py")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        baseline = _load_module(old_dyadic, Path(tmp)) if old_dyadic is not None else None
        for path in files:
            cert = json.loads(path.read_text("utf-8"))
            old_text = _git_show(f"certificates/{path.name}")
            base = None
            if baseline is not None and old_text is not None:
                _use_dyadic(baseline)
                try:
                    base = _time_check(json.loads(old_text), args.repeat)
                finally:
                    _use_dyadic(current_dyadic)
            rows.append((path.name, base, _time_check(cert, args.repeat)))
    print(f"re-checking certificates/zhang2023-*.json in process, best of {args.repeat}; "
          f"baseline = commit {BASELINE_COMMIT} (its certificates and its dyadic.py)")
    print(f"{'file':42s} {'base wall':>9s} {'wall':>7s} {'ratio':>6s}   "
          f"{'base cpu':>8s} {'cpu':>7s} {'ratio':>6s}")
    totals = [0.0, 0.0, 0.0, 0.0]
    for name, base, cur in rows:
        if not cur[2] or (base is not None and not base[2]):
            print(f"{name}: NOT ACCEPTED (current {cur[2]}, baseline "
                  f"{None if base is None else base[2]})")
            return 1
        if base is None:
            print(f"{name:42s} {'-':>9s} {cur[0]:7.2f}")
            continue
        totals = [totals[0] + base[0], totals[1] + cur[0], totals[2] + base[1],
                  totals[3] + cur[1]]
        print(f"{name:42s} {base[0]:9.2f} {cur[0]:7.2f} {cur[0] / base[0]:6.2f}   "
              f"{base[1]:8.2f} {cur[1]:7.2f} {cur[1] / base[1]:6.2f}")
    if totals[0] > 0:
        print(f"{'total (files with a baseline)':42s} {totals[0]:9.2f} {totals[1]:7.2f} "
              f"{totals[1] / totals[0]:6.2f}   {totals[2]:8.2f} {totals[3]:7.2f} "
              f"{totals[3] / totals[2]:6.2f}")
    exe = str(Path(sys.executable).parent / "igproof")
    names = [str(p.relative_to(ROOT)) for p in files]
    command = _command_wall([exe, "check", *names], args.repeat)
    start_up = _command_wall([sys.executable, "-c", "import igproof.checker"], args.repeat)
    print(f"`igproof check certificates/zhang2023-*.json`: {command:.2f} s wall "
          f"(start-up `import igproof.checker`: {start_up:.2f} s, ratio {command / start_up:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
