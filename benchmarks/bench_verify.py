"""Wall time of `igproof verify`: before/after in one run, on the 26 original claims and on the
whole catalogue, sequential and parallel; and of re-checking the certificates it writes.

Rows, each measured in this run on this machine (best of ``--repeat``):

- ``before`` (with ``--baseline REV``): the igproof package of git revision REV (extracted with
  ``git archive`` into a temporary folder, run with ``python -m igproof verify``): the code before
  the parallel verify and the cheaper claims;
- ``--jobs 1``: the current code, one claim after the other in one process;
- ``--jobs N``: the current code in its default pool (N = os.cpu_count()).

Each row prints the wall time and the CPU time of the command and of every worker it ran (CPU
does not depend on how loaded the machine is; on an idle machine with N cores the pooled wall
time approaches CPU / N plus start-up).

Selections: the 26 original claims (papers zhang2023 lee2022 vardi2021 boursier2023) and the
whole catalogue (every paper, every installed catalogue). Every run is a fresh process, so no
cache survives between repeats (the checker's replay memo and functools caches live in one
process). Baseline: `igproof list` (interpreter start plus loading the catalogue). Last line:
`igproof check` on the certificates that `verify zhang2023` writes (aim: under 5 s).

    python benchmarks/bench_verify.py [--baseline REV] [--repeat N] [--only original|whole]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from timing import child_cpu

ROOT = Path(__file__).resolve().parents[1]
# The 26 claims of issue #15's measurement (30 s wall sequential, before).
ORIGINAL_PAPERS = ("zhang2023", "lee2022", "vardi2021", "boursier2023")
# Targets from the issues (2-core machine): verify of the original claims, re-check.
VERIFY_TARGET_SECONDS = 15.0
CHECK_TARGET_SECONDS = 5.0


def _timed(args: list[str], *, tree: Path) -> tuple[float, subprocess.CompletedProcess]:
    return _timed_cpu(args, tree=tree)[::2]  # type: ignore[return-value]


def _timed_cpu(args: list[str], *, tree: Path
               ) -> tuple[float, float, subprocess.CompletedProcess]:
    """(wall, CPU of the process and every worker it waited for, the completed process)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    cpu, wall, proc = child_cpu([sys.executable, "-m", "igproof", *args], env=env, cwd=tree)
    return wall, cpu, proc


def _best(args: list[str], *, tree: Path, repeat: int) -> tuple[float, float] | None:
    """(best wall, CPU of that run): CPU does not depend on the other jobs of the machine."""
    best = None
    for _ in range(repeat):
        wall, cpu, proc = _timed_cpu(args, tree=tree)
        if proc.returncode != 0:
            print(f"  `igproof {' '.join(args)}` in {tree} exited {proc.returncode}:\n"
                  f"{proc.stderr[-1500:]}")
            return None
        if best is None or wall < best[0]:
            best = (wall, cpu)
    return best


def _extract(rev: str, folder: Path) -> Path:
    """The igproof package of ``rev`` under ``folder`` (git archive; the repository untouched)."""
    archive = folder / "baseline.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "-C", str(ROOT), "archive", rev, "igproof"], stdout=out,
                       check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(folder / "tree", filter="data")
    return folder / "tree"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs of each command (best kept)")
    parser.add_argument("--baseline", metavar="REV",
                        help="also time the igproof of git revision REV (e.g. main)")
    parser.add_argument("--only", choices=("original", "whole"),
                        help="time one selection only")
    args = parser.parse_args()
    jobs = os.cpu_count() or 1
    start_up = min(_timed(["list"], tree=ROOT)[0] for _ in range(3))
    print(f"start-up `igproof list`: {start_up:.2f} s; {jobs} CPUs; "
          f"load average {os.getloadavg()[0]:.1f}")
    selections = {"original": list(ORIGINAL_PAPERS), "whole": []}
    if args.only:
        selections = {args.only: selections[args.only]}
    with tempfile.TemporaryDirectory() as tmp:
        old = _extract(args.baseline, Path(tmp)) if args.baseline else None
        for papers in selections.values():
            label = ("26 original claims (" + " ".join(papers) + ")" if papers
                     else "whole catalogue")
            print(f"igproof verify, {label}:")
            rows = []
            if old is not None:
                rows.append((f"before ({args.baseline}, sequential)",
                             _best(["verify", *papers], tree=old, repeat=args.repeat)))
            rows.append(("--jobs 1", _best(["verify", *papers, "--jobs", "1"], tree=ROOT,
                                           repeat=args.repeat)))
            rows.append((f"--jobs {jobs} (default)", _best(["verify", *papers], tree=ROOT,
                                                           repeat=args.repeat)))
            first = rows[0][1]
            for row, timing in rows:
                if timing is None:
                    print(f"  {row:32s} failed")
                    continue
                seconds, cpu = timing
                ratio = f"  {first[0] / seconds:4.2f}x vs {rows[0][0]}" if first else ""
                target = (f"  ({seconds / VERIFY_TARGET_SECONDS:.2f} of the "
                          f"{VERIFY_TARGET_SECONDS:.0f} s target)" if papers else "")
                print(f"  {row:32s} {seconds:7.1f} s wall {cpu:7.1f} s CPU{ratio}{target}")
        out = Path(tmp) / "certs"
        seconds, proc = _timed(["verify", "zhang2023", "--out", str(out)], tree=ROOT)
        files = sorted(str(p) for p in out.glob("*.json"))
        if proc.returncode != 0 or not files:
            print("verify zhang2023 did not write its certificates")
            return 1
        timing = _best(["check", *files], tree=ROOT, repeat=args.repeat)
        if timing is not None:
            check = timing[0]
            print(f"igproof check ({len(files)} certificates of verify zhang2023): {check:.1f} s "
                  f"({check / CHECK_TARGET_SECONDS:.2f} of the {CHECK_TARGET_SECONDS:.0f} s "
                  "target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
