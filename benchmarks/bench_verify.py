"""Wall time of `igproof verify`: before/after in one run, on the whole catalogue and on the 26
original claims, sequential and parallel; per-claim CPU before/after; and the time of re-checking
the certificates it writes.

Rows, each measured in this run on this machine (best of ``--repeat``; with ``--baseline`` the
before and after runs of a row alternate, back to back, so that both see the same load):

- ``before`` (with ``--baseline REV``): the igproof package of git revision REV (extracted with
  ``git archive`` into a temporary folder, run with ``python -m igproof verify``) with its own
  defaults;
- ``after``: the current code, the same command (default ``--jobs``: os.cpu_count());
- ``--jobs 1``: the current code, one claim after the other in one process.

Each row prints the wall time and the CPU time of the command and of every worker it ran (CPU
does not depend on how loaded the machine is; on an idle machine with N cores the pooled wall
time approaches CPU / N plus start-up). The load average is printed before and after.

``--per-claim N``: the N claims with the largest CPU time, before and after, each claim's check
run one after the other in one fresh process per tree (``time.process_time`` and wall per
check; a lazy import is charged to the first check that needs it).

Selections: the whole catalogue (every paper, every installed catalogue) and the 26 original
claims (papers zhang2023 lee2022 vardi2021 boursier2023). Every run is a fresh process, so no
cache survives between repeats (the checker's replay memo and functools caches live in one
process). Baseline: `igproof list` (interpreter start plus loading the catalogue). Last line:
`igproof check` on the certificates that `verify zhang2023` writes (aim: under 5 s).

    python benchmarks/bench_verify.py [--baseline REV] [--repeat N] [--only original|whole]
                                      [--per-claim N] [--no-check]
"""

from __future__ import annotations

import argparse
import json
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
# Targets from the issues (2-core machine): verify of the whole catalogue, re-check.
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


# Runs every catalogue check in one process, in catalogue order, and prints JSON rows
# [id, verdict, CPU seconds, wall seconds] (the same code for the baseline and the current tree).
PER_CLAIM_DRIVER = """
import json, os, sys, time
for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(name, "1")
from igproof.papers.claims import load_catalogue
rows = []
for claim in load_catalogue().claims:
    cpu, wall = time.process_time(), time.perf_counter()
    verdict = str(claim.check().verdict)
    rows.append([claim.id, verdict, time.process_time() - cpu, time.perf_counter() - wall])
print(json.dumps(rows))
"""


def _per_claim(tree: Path) -> dict[str, tuple[str, float, float]] | None:
    """claim id -> (verdict, CPU, wall) of every check, run in one fresh process."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run([sys.executable, "-c", PER_CLAIM_DRIVER], env=env, cwd=tree,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(f"  per-claim driver in {tree} exited {done.returncode}:\n{done.stderr[-1500:]}")
        return None
    return {row[0]: (row[1], row[2], row[3]) for row in json.loads(done.stdout)}


def _print_per_claim(top: int, before: dict | None, after: dict) -> None:
    ranked = sorted(set(after) | set(before or {}),
                    key=lambda k: -max((before or {}).get(k, ("", 0.0, 0.0))[1],
                                       after.get(k, ("", 0.0, 0.0))[1]))[:top]
    total_after = sum(v[1] for v in after.values())
    print(f"per-claim CPU (one process, catalogue order), top {top}:")
    if before is not None:
        total_before = sum(v[1] for v in before.values())
        print(f"  {'claim':48s} {'before CPU':>10s} {'after CPU':>10s} {'before wall':>11s} "
              f"{'after wall':>10s}  verdict")
        for k in ranked:
            b, a = before.get(k, ("-", 0.0, 0.0)), after.get(k, ("-", 0.0, 0.0))
            same = "" if b[0] == a[0] else f" (before {b[0]})"
            print(f"  {k:48s} {b[1]:9.2f}s {a[1]:9.2f}s {b[2]:10.2f}s {a[2]:9.2f}s  {a[0]}{same}")
        print(f"  {'total (' + str(len(after)) + ' claims)':48s} {total_before:9.2f}s "
              f"{total_after:9.2f}s")
        return
    print(f"  {'claim':48s} {'CPU':>8s} {'wall':>8s}  verdict")
    for k in ranked:
        a = after[k]
        print(f"  {k:48s} {a[1]:7.2f}s {a[2]:7.2f}s  {a[0]}")
    print(f"  {'total (' + str(len(after)) + ' claims)':48s} {total_after:7.2f}s")


def _row(label: str, timing: tuple[float, float] | None, first: tuple[str, tuple] | None,
         whole: bool) -> None:
    if timing is None:
        print(f"  {label:32s} failed")
        return
    seconds, cpu = timing
    ratio = (f"  {first[1][0] / seconds:4.2f}x vs {first[0]}"
             if first is not None and first[1] is not None else "")
    target = (f"  ({seconds / VERIFY_TARGET_SECONDS:.2f} of the {VERIFY_TARGET_SECONDS:.0f} s "
              "target)" if whole else "")
    print(f"  {label:32s} {seconds:7.1f} s wall {cpu:7.1f} s CPU{ratio}{target}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs of each command (best kept)")
    parser.add_argument("--baseline", metavar="REV",
                        help="also time the igproof of git revision REV (e.g. main)")
    parser.add_argument("--only", choices=("original", "whole"),
                        help="time one selection only")
    parser.add_argument("--per-claim", type=int, default=0, metavar="N",
                        help="also print the N claims with the most CPU, before and after")
    parser.add_argument("--no-check", action="store_true",
                        help="skip the `igproof check` timing of the zhang2023 certificates")
    args = parser.parse_args()
    jobs = os.cpu_count() or 1
    start_up = min(_timed(["list"], tree=ROOT)[0] for _ in range(3))
    print(f"start-up `igproof list`: {start_up:.2f} s; {jobs} CPUs; "
          f"load average {os.getloadavg()[0]:.1f}")
    selections = {"whole": [], "original": list(ORIGINAL_PAPERS)}
    if args.only:
        selections = {args.only: selections[args.only]}
    with tempfile.TemporaryDirectory() as tmp:
        old = _extract(args.baseline, Path(tmp)) if args.baseline else None
        for papers in selections.values():
            label = ("26 original claims (" + " ".join(papers) + ")" if papers
                     else "whole catalogue")
            print(f"igproof verify, {label}:")
            before = after = None
            for _ in range(args.repeat):  # before and after back to back, best of each kept
                if old is not None:
                    t = _best(["verify", *papers], tree=old, repeat=1)
                    before = t if before is None or (t is not None and t[0] < before[0]) else before
                t = _best(["verify", *papers], tree=ROOT, repeat=1)
                after = t if after is None or (t is not None and t[0] < after[0]) else after
            first = (f"before ({args.baseline})", before) if old is not None else None
            if old is not None:
                _row(f"before ({args.baseline})", before, None, not papers)
            _row(f"after (--jobs {jobs}, default)", after, first, not papers)
            _row("after --jobs 1", _best(["verify", *papers, "--jobs", "1"], tree=ROOT,
                                         repeat=args.repeat), first, not papers)
            print(f"  load average now {os.getloadavg()[0]:.1f}")
        if args.per_claim:
            before_rows = _per_claim(old) if old is not None else None
            after_rows = _per_claim(ROOT)
            if after_rows is None:
                return 1
            _print_per_claim(args.per_claim, before_rows, after_rows)
            print(f"  load average now {os.getloadavg()[0]:.1f}")
        if args.no_check:
            return 0
        out = Path(tmp) / "certs"
        _, proc = _timed(["verify", "zhang2023", "--out", str(out)], tree=ROOT)
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
