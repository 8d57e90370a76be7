"""Benchmark the start-up of ``igproof flow`` at 15 digits against mpmath.odefun.

Problems: the neurons f(x) = a sigma(w x), sigma = relu and tanh, on one datum x = y = 1,
theta0 = (a, w) = (1/2, 3/10), integrated to t = T_END = 5 at 15 digits (the flows of
benchmarks/bench_hiprec.py, part (b)).

Measured in one run, CPU seconds (user + system; best of REPEATS):
  odefun in-process   mpmath.odefun inside an already running Python (mpmath imported, the field
                      written by hand), to t = 5 at 15 digits: the time a user pays in a session;
  odefun process      a whole Python process that imports mpmath and runs the same odefun;
  igproof cold        a whole ``igproof flow neuron ... --dps 15 --t-max 5`` process with an empty
                      field cache (it imports sympy, derives and compiles the field, stores it);
  igproof warm        the same command again, the field cache filled by the cold run (no sympy).
Ratios: baseline time / igproof time (above 1: igproof faster). Accuracy: the error of
odefun at 15 digits and of igproof's 15-digit run (the CLI's computation, flow_limit with the
same options, in this process) against odefun at REFERENCE_DPS digits, so that "faster" is at
equal or better accuracy.

The child processes run as an installed package does: with its bytecode compiled (a private
PYTHONPYCACHEPREFIX, filled by an untimed first run), not recompiling every source file on
each start as a development tree with PYTHONDONTWRITEBYTECODE=1 does; the warm run without
bytecode is printed too. Then the warm run by stage in CPU time (interpreter, mpmath, igproof's
imports, the command, the exit); ``--importtime`` adds Python's -X importtime of the warm run
(top-level imports, best of IMPORT_REPEATS runs; wall-clock, so noisier on a shared machine).

Run: python benchmarks/bench_startup.py [--importtime]   (about half a minute)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import mpmath
from peers import ODEFUN_FIELDS as FIELDS
from timing import child_cpu

T_END = 5
DPS = 15
REPEATS = 5  # whole processes take 0.05-0.5 s: best of 5 is robust to a shared machine
IMPORT_REPEATS = 10  # -X importtime is noisier than CPU time on a shared machine
REFERENCE_DPS = 30
ROOT = Path(__file__).resolve().parents[1]


ODEFUN_SCRIPT = f"""
import sys
import mpmath
def relu(_t, y):
    r = y[0] * y[1] - 1
    return [-r * y[1], -r * y[0]]
def tanh(_t, y):
    th = mpmath.tanh(y[1])
    r = y[0] * th - 1
    return [-r * th, -y[0] * (1 - th * th) * r]
mpmath.mp.dps = {DPS}
field = relu if sys.argv[1] == "relu" else tanh
print(mpmath.odefun(field, 0, [mpmath.mpf(1) / 2, mpmath.mpf(3) / 10])({T_END}))
"""


def odefun_in_process(activation: str) -> tuple[float, list]:
    """Best CPU time of odefun to T_END (a fresh odefun each repeat: it caches its series)."""
    best, value = float("inf"), None
    for _ in range(REPEATS):
        with mpmath.workdps(DPS):
            start = time.process_time()
            solution = mpmath.odefun(FIELDS[activation], 0, [mpmath.mpf(1) / 2,
                                                              mpmath.mpf(3) / 10])
            value = solution(T_END)
            best = min(best, time.process_time() - start)
    return best, value


def errors(activation: str, odefun_value: list) -> tuple[float, float]:
    """(error of odefun at DPS, error of igproof's 15-digit flow) against odefun at
    REFERENCE_DPS."""
    from fractions import Fraction

    from igproof.numeric.converge import flow_limit
    from igproof.symbolic.dataset import Dataset
    from igproof.symbolic.flow import gradient_flow
    from igproof.symbolic.models import build_model

    with mpmath.workdps(REFERENCE_DPS):
        reference = mpmath.odefun(FIELDS[activation], 0, [mpmath.mpf(1) / 2,
                                                          mpmath.mpf(3) / 10])(T_END)
    flow = gradient_flow(build_model("neuron", dim=1, activation=activation),
                         Dataset([[1]], [1]))
    ours = flow_limit(flow, [Fraction(1, 2), Fraction(3, 10)], method="mp", dps=DPS,
                      t_max=T_END).limit
    with mpmath.workdps(REFERENCE_DPS):
        return tuple(float(max(abs(mpmath.mpf(v) - r) for v, r in zip(value, reference,
                                                                        strict=True)))
                     for value in (odefun_value, ours))


def _child(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, str]:
    # cwd outside any checkout: `python -m igproof` puts the current folder first on sys.path
    cpu, wall, done = child_cpu(argv, env=env, cwd=cwd)
    if done.returncode not in (0, 1):  # flow exits 0 (estimate); 1 never here, 2 = bad input
        raise RuntimeError(f"{argv[:4]} failed: {done.stderr.strip()[-300:]}")
    return cpu, wall, done.stdout


def _igproof_argv(data: Path, activation: str) -> list[str]:
    return [sys.executable, "-m", "igproof", "flow", "neuron", "--data", str(data), "--init",
            "1/2,3/10", "--activation", activation, "--dps", str(DPS), "--t-max", str(T_END)]


def _environments(tmp: Path) -> tuple[dict[str, str], dict[str, str]]:
    """(with compiled bytecode as installed, without bytecode as a dev tree), same field cache."""
    base = dict(os.environ, PYTHONPATH=str(ROOT), IGPROOF_CACHE_DIR=str(tmp / "cache"))
    base.pop("IGPROOF_NO_CACHE", None)
    installed = dict(base, PYTHONPYCACHEPREFIX=str(tmp / "pycache"))
    installed.pop("PYTHONDONTWRITEBYTECODE", None)
    return installed, dict(base, PYTHONDONTWRITEBYTECODE="1")


def processes(activation: str, tmp: Path) -> dict[str, tuple[float, float]]:
    data = tmp / "one.json"
    data.write_text('{"x": [[1]], "y": [1]}')
    env, env_source = _environments(tmp)
    igproof = _igproof_argv(data, activation)
    odefun = [sys.executable, "-c", ODEFUN_SCRIPT, activation]
    _child(odefun, env, tmp)  # untimed: fills the bytecode cache of the prefix
    _child(igproof, env, tmp)
    runs: dict[str, list[tuple[float, float]]] = {
        "odefun process": [], "igproof cold": [], "igproof warm": [],
        "igproof warm, no bytecode": []}
    outputs = set()
    for _ in range(REPEATS):
        runs["odefun process"].append(_child(odefun, env, tmp)[:2])
        subprocess.run(["rm", "-rf", str(tmp / "cache")], check=True)  # cold: no field cache
        cpu, wall, out = _child(igproof, env, tmp)
        runs["igproof cold"].append((cpu, wall))
        outputs.add(out)
        cpu, wall, out = _child(igproof, env, tmp)  # the cache the cold run wrote
        runs["igproof warm"].append((cpu, wall))
        outputs.add(out)
        runs["igproof warm, no bytecode"].append(_child(igproof, env_source, tmp)[:2])
    if len(outputs) != 1:
        raise RuntimeError("cold and warm igproof flow printed different results")
    return {name: min(values) for name, values in runs.items()}


# A warm run in stages, timed by the child's own CPU clock (process_time counts from the
# process's start, so its first reading is the interpreter's start-up and site).
BREAKDOWN_SCRIPT = """
import contextlib, io, sys, time
t0 = time.process_time()
import mpmath
t1 = time.process_time()
import igproof.cli.main, igproof.cli.flow, igproof.numeric.cache, igproof.numeric.converge
t2 = time.process_time()
with contextlib.redirect_stdout(io.StringIO()):
    igproof.cli.main.main(sys.argv[1:])
t3 = time.process_time()
print(t0, t1 - t0, t2 - t1, t3 - t2)
"""
STAGES = ("interpreter and site", "import mpmath",
          "import igproof's modules (+ the stdlib they use)",
          "main(): parser, cache load, integration, output")


def breakdown(activation: str, tmp: Path, whole: float) -> None:
    """CPU seconds per stage of a warm run (best of IMPORT_REPEATS each); the rest of the whole
    process (``whole``) is its exit."""
    env = _environments(tmp)[0]
    argv = [sys.executable, "-c", BREAKDOWN_SCRIPT, *_igproof_argv(tmp / "one.json",
                                                                 activation)[3:]]
    best = [float("inf")] * len(STAGES)
    for _ in range(IMPORT_REPEATS):
        out = _child(argv, env, tmp)[2]
        best = [min(b, float(v)) for b, v in zip(best, out.split(), strict=True)]
    print(f"  warm {activation} run by stage (CPU ms, best of {IMPORT_REPEATS} each):")
    for stage, value in zip(STAGES, best, strict=True):
        print(f"    {value * 1000:6.1f}  {stage}")
    print(f"    {(whole - sum(best)) * 1000:6.1f}  exit (the whole warm process minus the above)")


def importtime(activation: str, tmp: Path) -> None:
    """The warm run's -X importtime, top-level modules (cumulative, best of IMPORT_REPEATS)."""
    env = _environments(tmp)[0]
    argv = _igproof_argv(tmp / "one.json", activation)
    best: dict[str, int] = {}
    order: list[str] = []
    for _ in range(IMPORT_REPEATS):
        done = subprocess.run([argv[0], "-X", "importtime", *argv[1:]], env=env, cwd=tmp,
                              capture_output=True, text=True, check=False)
        for line in done.stderr.splitlines():
            if not line.startswith("import time:") or "self [us]" in line:
                continue
            _, cumulative, name = line.split("|")
            if name.startswith("  "):
                continue  # nested: counted in its top-level importer
            name = name.strip()
            if name not in best:
                order.append(name)
            best[name] = min(best.get(name, 1 << 62), int(cumulative))
    print(f"  -X importtime, warm {activation} run (ms, cumulative, best of {IMPORT_REPEATS}):")
    rows = sorted(order, key=lambda n: -best[n])
    for name in rows[:12]:
        print(f"    {best[name] / 1000:7.1f}  {name}")
    print(f"    {sum(best.values()) / 1000:7.1f}  total of {len(rows)} top-level imports")


def main() -> None:
    show_imports = "--importtime" in sys.argv[1:]
    print(f"igproof flow neuron (one datum, theta0 = (1/2, 3/10)) to t = {T_END} at {DPS} digits;"
          f" CPU s (wall s), best of {REPEATS}; ratio = baseline / igproof")
    for activation in ("relu", "tanh"):
        in_process, odefun_value = odefun_in_process(activation)
        err_odefun, err_igproof = errors(activation, odefun_value)
        with tempfile.TemporaryDirectory() as name:
            tmp = Path(name)
            rows = processes(activation, tmp)
            print(f"\n{activation}:")
            print(f"  {'odefun in-process':26} {in_process:.4f} s    error {err_odefun:.1e} "
                  f"(igproof at {DPS} digits: {err_igproof:.1e})")
            for label, (cpu, wall) in rows.items():
                print(f"  {label:26} {cpu:.4f} s ({wall:.3f} s)")
            for label in ("igproof cold", "igproof warm"):
                cpu = rows[label][0]
                print(f"  ratio vs {label:13}: odefun in-process {in_process / cpu:.2f}, "
                      f"odefun process {rows['odefun process'][0] / cpu:.2f}")
            breakdown(activation, tmp, rows["igproof warm"][0])
            if show_imports:
                importtime(activation, tmp)


if __name__ == "__main__":
    main()
