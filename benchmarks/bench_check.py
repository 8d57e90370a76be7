"""Benchmark: re-checking every certificate under certificates/ with the independent checker.

Also generates, in a temporary directory, the gf-limit certificate with a Taylor ``trajectory``
obligation for the neuron a*relu(w x), x = y = 1, theta0 = (1/2, 3/10)
(``igproof flow neuron --prove --certificate``) and times its check.

Prints, per file and in total, the CPU time of a full check in two states, and its ratio to a
baseline measured in the same run (the checker's parse of the file, ``load_text``: JSON with the
checker's limits, no obligation decided):

- cold: the checker's per-process replay memo and constant caches are emptied
  (``igproof.checker.clear_memo``) before every repeat, so every trajectory is replayed: the
  time a user pays for one certificate in a fresh ``igproof check``;
- warm: the same certificate checked again right after a check, memo kept: what a second
  certificate listing the same trajectory pays (the two tanh zhang2023 certificates share one).

A last line times the command `igproof check certificates/*.json` (one process, as a user runs it,
so certificates that share a trajectory replay it once) against `python -c "import igproof"`.
Only the checker's public API is used (``igproof.checker``).

Run: /work/venv/bin/python benchmarks/bench_check.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timing import child_cpu

from igproof.checker import OBLIGATIONS, check_certificate, clear_memo, load_text

ROOT = Path(__file__).resolve().parents[1]
# Repeats per measurement: the best of 5 filters out noise from other jobs on the machine.
REPEAT = 5


def _best(function, repeat: int, *, cold: bool = False) -> float:
    """Best CPU time (process_time) of ``repeat`` runs: robust to other jobs on the machine.

    cold: empty the checker's memo before each run (the clearing is not timed).
    """
    best = float("inf")
    for _ in range(repeat):
        if cold:
            clear_memo()
        start = time.process_time()
        function()
        best = min(best, time.process_time() - start)
    return best


def _warm(function, repeat: int) -> float:
    """Best CPU time of ``function`` run again after one untimed run (memo kept)."""
    clear_memo()
    function()
    return _best(function, repeat)


def _best_child(command: list[str], repeat: int) -> float:
    """Best CPU time (user + system) of a child process."""
    return min(child_cpu(command)[0] for _ in range(repeat))


def _trajectory_certificate(folder: Path) -> Path:
    """Generate the neuron relu trajectory certificate with the igproof CLI (not timed)."""
    data, cert = folder / "data.json", folder / "neuron-relu-trajectory.json"
    data.write_text(json.dumps({"x": [[1]], "y": [1]}), "utf-8")
    subprocess.run([sys.executable, "-m", "igproof", "flow", "neuron", "--data", str(data),
                    "--init", "1/2,3/10", "--prove", "--certificate", str(cert)],
                   capture_output=True, check=True)
    return cert


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=REPEAT)
    args = parser.parse_args()
    files = sorted((ROOT / "certificates").glob("*.json"))
    with tempfile.TemporaryDirectory() as folder:
        _table(files, _trajectory_certificate(Path(folder)), args.repeat)
    cli = [sys.executable, "-m", "igproof", "check", *map(str, files)]
    imp = [sys.executable, "-c", "import igproof"]
    t_cli = _best_child(cli, 2)
    t_imp = _best_child(imp, 3)
    print(f"igproof check certificates/*.json: {t_cli:.3f} s CPU; baseline "
          f"`python -c 'import igproof'`: {t_imp:.3f} s; ratio {t_cli / t_imp:.1f}")


def _table(files: list[Path], generated: Path, repeat: int) -> None:
    """Per-file cold and warm check times against the parse baseline; TOTAL: certificates/."""
    totals = [0.0, 0.0, 0.0]
    print(f"{'file':45s} {'cold [s]':>9s} {'warm [s]':>9s} {'parse [s]':>10s} "
          f"{'cold/parse':>10s}")
    for path in [*files, generated]:
        data = path.read_bytes()
        cert = json.loads(data)
        missing = {ob["type"] for ob in cert.get("obligations", [])} - set(OBLIGATIONS)
        if missing:
            print(f"{path.name:45s} skipped: needs unknown obligation types {sorted(missing)}")
            continue
        def check(cert: dict = cert) -> None:
            check_certificate(cert)

        cold = _best(check, repeat, cold=True)
        warm = _warm(check, repeat)
        base = _best(lambda data=data: load_text(data), repeat)
        if path == generated:
            print(f"{'TOTAL (certificates/)':45s} {totals[0]:9.4f} {totals[1]:9.4f} "
                  f"{totals[2]:10.4f} {totals[0] / totals[2]:10.1f}")
            print(f"{path.name + ' (generated)':45s} {cold:9.4f} {warm:9.4f} {base:10.4f} "
                  f"{cold / base:10.1f}")
            return
        totals = [totals[0] + cold, totals[1] + warm, totals[2] + base]
        print(f"{path.name:45s} {cold:9.4f} {warm:9.4f} {base:10.4f} {cold / base:10.1f}")


if __name__ == "__main__":
    main()
