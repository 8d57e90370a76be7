"""Benchmark: re-checking every certificate under certificates/ with the independent checker.

Also generates, in a temporary directory, the gf-limit certificate with a Taylor ``trajectory``
obligation for the neuron a*relu(w x), x = y = 1, theta0 = (1/2, 3/10)
(``igproof flow neuron --prove --certificate``) and times its check.

Prints, per file and in total, the CPU time of a full check (replay of every obligation) and its
ratio to a baseline measured in the same run: reading the file and building the checker's
context (JSON parse, expression parse, residual ASTs) without replaying any obligation. A second
line times the command `igproof check certificates/*.json` against `python -c "import igproof"`.

Run: /work/venv/bin/python benchmarks/bench_check.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from igproof.checker import OBLIGATIONS, check_certificate
from igproof.checker.kernel import INTERPOLATION_KIND, Context, InterpolationContext

ROOT = Path(__file__).resolve().parents[1]
# Repeats per measurement: the best of 5 filters out noise from other jobs on the machine.
REPEAT = 5


def _best(function, repeat: int) -> float:
    """Best CPU time (process_time) of ``repeat`` runs: robust to other jobs on the machine."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        function()
        best = min(best, time.process_time() - start)
    return best


def _best_child(command: list[str], repeat: int) -> float:
    """Best CPU time (user + system) of a child process."""
    best = float("inf")
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(command, capture_output=True, check=False)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        best = min(best, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    return best


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
    """Per-file check time against the parse-only baseline; TOTAL covers certificates/ only."""
    total_check = total_base = 0.0
    print(f"{'file':45s} {'check [s]':>10s} {'baseline [s]':>13s} {'ratio':>7s}")
    for path in [*files, generated]:
        text = path.read_text("utf-8")
        cert = json.loads(text)
        missing = {ob["type"] for ob in cert["obligations"]} - set(OBLIGATIONS)
        if missing:
            print(f"{path.name:45s} skipped: needs unregistered types {sorted(missing)}")
            continue
        check = _best(lambda cert=cert: check_certificate(cert), repeat)
        base = _best(lambda text=text: _context(json.loads(text)), repeat)
        if path == generated:
            print(f"{'TOTAL (certificates/)':45s} {total_check:10.4f} {total_base:13.4f} "
                  f"{total_check / total_base:7.1f}")
            print(f"{path.name + ' (generated)':45s} {check:10.4f} {base:13.4f} "
                  f"{check / base:7.1f}")
            return
        total_check += check
        total_base += base
        print(f"{path.name:45s} {check:10.4f} {base:13.4f} {check / base:7.1f}")


def _context(cert: dict) -> object:
    """The parse-only baseline: the checker's context of the certificate's kind."""
    if cert.get("kind") == INTERPOLATION_KIND:
        return InterpolationContext(cert)
    return Context(cert)


if __name__ == "__main__":
    main()
