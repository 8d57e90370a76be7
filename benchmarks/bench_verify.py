"""Wall time of `igproof verify zhang2023` and of re-checking the certificates it writes.

Baseline (measured in the same run): `igproof list`, i.e. interpreter start plus loading the
catalogue, the fixed cost every command pays. Each timing is printed in seconds, as a ratio to
the baseline, and against the issue's targets (60 s for verify, 5 s for the re-check).

    /work/venv/bin/python benchmarks/bench_verify.py [--repeat N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Targets from the issue (2-core machine).
VERIFY_TARGET_SECONDS = 60.0
CHECK_TARGET_SECONDS = 5.0


def _timed(args: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "igproof", *args], capture_output=True,
                          text=True)
    return time.perf_counter() - start, proc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs of each command (best kept)")
    args = parser.parse_args()
    baseline = min(_timed(["list"])[0] for _ in range(max(3, args.repeat)))
    print(f"baseline `igproof list`: {baseline:.2f} s")
    with tempfile.TemporaryDirectory() as out:
        verify = []
        for _ in range(args.repeat):
            seconds, proc = _timed(["verify", "zhang2023", "--out", out])
            verify.append(seconds)
            if proc.returncode != 0:
                print(proc.stdout, proc.stderr, sep="\n")
                print("verify did not reach every expected verdict")
                return 1
        files = sorted(str(p) for p in Path(out).glob("*.json"))
        check = []
        for _ in range(args.repeat):
            seconds, proc = _timed(["check", *files])
            check.append(seconds)
            if proc.returncode != 0:
                print(proc.stdout[-2000:], proc.stderr[-2000:], sep="\n")
                print("the checker did not accept every certificate")
                return 1
    v, c = min(verify), min(check)
    print(f"igproof verify zhang2023: {v:.1f} s = {v / baseline:.0f} x baseline "
          f"({v / VERIFY_TARGET_SECONDS:.2f} of the {VERIFY_TARGET_SECONDS:.0f} s target)")
    print(f"igproof check ({len(files)} certificates): {c:.1f} s = {c / baseline:.0f} x baseline "
          f"({c / CHECK_TARGET_SECONDS:.2f} of the {CHECK_TARGET_SECONDS:.0f} s target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
