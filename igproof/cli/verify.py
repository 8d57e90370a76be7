"""``igproof verify [ID|PAPER ...]``: run catalogue claims and print their verdicts.

Claims are independent, so they run in a pool of ``--jobs`` worker processes (default: one per
CPU; ``--jobs 1`` runs them one after the other in this process). Units of work are handed out
longest first (by ``Claim.cost``). A worker receives claim ids (it holds the catalogue itself:
forked from this process, or loading it again from the same ``--claims`` sources) and returns
plain data: the verdict, the evidence, JSON-ready details and the certificate. Each worker
runs numpy/BLAS single-threaded (:data:`BLAS_THREAD_VARIABLES`): the parallelism is across
claims, and BLAS threads on the catalogue's small matrices only spin.

Progress goes to stderr, one line when a claim starts and one when it ends (with its verdict and
time); the table (or ``--json``, ``--csv``) goes to stdout, in catalogue order whatever the
order of completion, and ends with a summary line counting the claims per verdict.
``--report DIR`` also writes an HTML report (igproof.cli.report).
Exit code 0 when every claim reached its expected verdict, 1 otherwise, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from igproof.cli.output import emit_csv, json_document
from igproof.cli.report import ClaimRun, counts_by_verdict
from igproof.errors import InvalidArgument
from igproof.verdict import Outcome, Verdict

EXIT_ALL_EXPECTED = 0
EXIT_SOME_MISSED = 1

# Environment variables that cap the BLAS/OpenMP thread pools; set to 1 (unless the user set
# them) before numpy is first imported. On this catalogue's small problems (L-BFGS-B on 302
# parameters, 2x2 eigenproblems) a multi-threaded OpenBLAS made boursier2023's weight-decay claim
# 10x slower in CPU (3.5 s against 0.3 s) on a loaded 2-core machine.
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                         "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")
# Most worker processes accepted by --jobs (a guard against a typo such as --jobs 1000).
MAX_JOBS = 64


def register(subparsers: Any, name: str) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        name, help="run catalogue claims (all by default) and print their verdicts",
        description="Run the checks of catalogue claims and print one verdict each, in "
        "catalogue order. Claims run in parallel worker processes (--jobs).",
        epilog="exit codes: 0 every claim reached its expected verdict; 1 at least one did not "
        "(e.g. INCONCLUSIVE where PROVED was expected); 2 bad input (unknown claim, a --claims "
        "source that cannot be loaded, an unwritable folder). --claims FILE.py runs the Python "
        "code of FILE.py (your own lemma file, as pytest runs a test file).")
    parser.add_argument("names", nargs="*", metavar="ID|PAPER",
                        help="claim ids, id prefixes or paper keys (see `igproof list`)")
    parser.add_argument("--claims", action="append", default=[], metavar="FILE.py|MODULE",
                        help="also load the claims of FILE.py or of an importable MODULE (a "
                        "module-level CLAIMS list of igproof.papers.claims.Claim records; "
                        "docs/adding_a_claim.md); repeatable. Without ID|PAPER, only these "
                        "claims run. A FILE.py is executed as Python code")
    parser.add_argument("--jobs", "-j", type=int, default=None, metavar="N",
                        help="worker processes (default: os.cpu_count()); 1 runs the claims one "
                        "after the other in this process")
    parser.add_argument("--json", action="store_true", help="print one JSON object "
                        "(docs/cli.md)")
    parser.add_argument("--csv", action="store_true",
                        help="print one CSV row per claim (id, verdict, expected, as_expected, "
                        "seconds, evidence, certificate)")
    parser.add_argument("--out", metavar="DIR",
                        help="write the certificates the checks produce into DIR")
    parser.add_argument("--report", metavar="DIR",
                        help="write an HTML report into DIR (index.html: every claim with its "
                        "verdict, evidence, time, certificate and figure)")
    parser.add_argument("--debug", action="store_true",
                        help="let an internal error in a check raise instead of reporting it (runs "
                        "in-process unless --jobs is given)")
    return parser


def _run_claim(claim: Any, *, debug: bool) -> tuple[Outcome, float]:
    start = time.perf_counter()
    try:
        outcome = claim.check()
    except Exception as exc:  # a failing check must not hide the other claims' verdicts
        if debug:
            raise
        outcome = Outcome(Verdict.INCONCLUSIVE,
                          f"check failed: {exc.__class__.__name__}: {exc}")
    return outcome, time.perf_counter() - start


def limit_blas_threads() -> None:
    """Set every BLAS_THREAD_VARIABLES to 1 unless the user set it (before numpy is imported)."""
    for variable in BLAS_THREAD_VARIABLES:
        os.environ.setdefault(variable, "1")


def _plain(outcome: Outcome) -> Outcome:
    """The outcome with JSON-ready details and certificate (what --json prints), picklable."""
    details = json.loads(json.dumps(outcome.details, default=str))
    certificate = (None if outcome.certificate is None
                   else json.loads(json.dumps(outcome.certificate, default=str)))
    return Outcome(outcome.verdict, str(outcome.evidence), details, certificate)


# The worker's catalogue sources (set by _init_worker) and its catalogue, loaded on first use
# (a forked worker finds the modules already imported by the command).
_WORKER_SOURCES: tuple[str, ...] = ()
_WORKER_CATALOGUE: Any = None


def _init_worker(sources: tuple[str, ...]) -> None:
    global _WORKER_SOURCES, _WORKER_CATALOGUE
    limit_blas_threads()
    _WORKER_SOURCES, _WORKER_CATALOGUE = sources, None


def _worker_catalogue() -> Any:
    global _WORKER_CATALOGUE
    from igproof.papers.claims import load_catalogue

    if _WORKER_CATALOGUE is None:
        _WORKER_CATALOGUE = load_catalogue(_WORKER_SOURCES)
    return _WORKER_CATALOGUE


def _worker_run(claim_ids: tuple[str, ...], debug: bool) -> list[tuple[Outcome, float]]:
    """Run claims one after the other in a worker: (outcome as plain data, seconds) each."""
    results = []
    for claim_id in claim_ids:
        try:
            claim = _worker_catalogue().by_id(claim_id)
        except Exception as exc:
            if debug:
                raise
            results.append((Outcome(Verdict.INCONCLUSIVE, f"check failed: the worker could not "
                                    f"load the claim: {exc.__class__.__name__}: {exc}"), 0.0))
            continue
        outcome, seconds = _run_claim(claim, debug=debug)
        try:
            outcome = _plain(outcome)
        except (TypeError, ValueError) as exc:
            outcome = Outcome(Verdict.INCONCLUSIVE, f"check failed: its outcome is not JSON "
                              f"data ({exc.__class__.__name__}: {exc})")
        results.append((outcome, seconds))
    return results


def work_units(claims: Sequence[Any]) -> list[list[int]]:
    """Indices of ``claims`` grouped into units of work, in catalogue order of their first claim:
    claims that share cached work (:func:`igproof.papers.claims.sharing_key`) form one unit."""
    from igproof.papers.claims import sharing_key

    units: list[list[int]] = []
    by_key: dict[str, list[int]] = {}
    for k, claim in enumerate(claims):
        key = sharing_key(claim)
        if key and key in by_key:
            by_key[key].append(k)
            continue
        unit = [k]
        units.append(unit)
        if key:
            by_key[key] = unit
    return units


def longest_first(claims: Sequence[Any], units: list[list[int]]) -> list[list[int]]:
    """``units`` by decreasing total :attr:`~igproof.papers.claims.Claim.cost` (ties keep their
    order): the longest checks start first, so that the pool does not end waiting on one long
    check that started last (longest-processing-time-first list scheduling)."""
    return sorted(units, key=lambda unit: -sum(getattr(claims[k], "cost", 0.0) for k in unit))


def _died(reason: str) -> Outcome:
    return Outcome(Verdict.INCONCLUSIVE, reason)


def _pool_context() -> Any:
    """fork where available (workers inherit the loaded catalogue), else spawn."""
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def run_claims(claims: Sequence[Any], *, jobs: int, debug: bool, sources: Sequence[str] = (),
               ) -> Iterator[tuple[int, str, Outcome | None, float]]:
    """Events of a run, in the order they happen: (index, "start"|"end", outcome, seconds).

    jobs = 1 runs in this process, in catalogue order; otherwise at most ``jobs`` units of work
    (:func:`work_units`) run at once in worker processes, handed out longest first
    (:func:`longest_first`) as workers free up; a unit's claims are announced ("start") when it
    is handed out.
    """
    if jobs <= 1 or len(claims) <= 1:
        for k, claim in enumerate(claims):
            yield k, "start", None, 0.0
            outcome, seconds = _run_claim(claim, debug=debug)
            yield k, "end", outcome, seconds
        return
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    pending = longest_first(claims, work_units(claims))
    running: dict[Any, list[int]] = {}
    with ProcessPoolExecutor(max_workers=min(jobs, len(pending)), mp_context=_pool_context(),
                             initializer=_init_worker, initargs=(tuple(sources),)) as pool:
        try:
            while pending or running:
                while pending and len(running) < jobs:
                    unit = pending.pop(0)
                    ids = tuple(claims[k].id for k in unit)
                    for k in unit:
                        yield k, "start", None, 0.0
                    try:
                        running[pool.submit(_worker_run, ids, debug)] = unit
                    except BrokenProcessPool:  # an earlier worker died: nothing more runs
                        for k in unit:
                            yield k, "end", _died("not run: the worker pool broke"), 0.0
                if not running:
                    continue
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=lambda f: running[f][0]):
                    unit = running.pop(future)
                    try:
                        results = future.result()
                    except Exception as exc:  # the worker process died (or its result broke)
                        if debug:
                            raise
                        results = [(_died(f"check failed: its worker process died "
                                          f"({exc.__class__.__name__})"), 0.0)] * len(unit)
                    for k, (outcome, seconds) in zip(unit, results, strict=True):
                        yield k, "end", outcome, seconds
        except BaseException:
            for future in running:
                future.cancel()
            raise


def _write_certificate(out_dir: str | Path, claim_id: str, certificate: dict[str, Any]) -> str:
    from igproof.atomic import write_text_atomic
    from igproof.cli.report import file_stem

    path = Path(out_dir) / f"{file_stem(claim_id)}.json"
    write_text_atomic(path, json.dumps(certificate, indent=1, sort_keys=True) + "\n")
    return str(path)


def summary_line(runs: list[ClaimRun], seconds: float) -> str:
    """'N claims: a PROVED, b SUPPORTED, ...; <expected status> (T s)'."""
    counts = ", ".join(f"{n} {v}" for v, n in counts_by_verdict(runs).items())
    missed = [r.claim.id for r in runs if r.outcome.verdict is not r.claim.expected]
    status = ("every claim reached its expected verdict" if not missed else
              f"{len(missed)} missed their expected verdict: {', '.join(missed)}")
    return f"{len(runs)} claims: {counts}; {status} ({seconds:.1f} s)"


def _jobs(value: int | None) -> int:
    if value is None:
        return max(1, os.cpu_count() or 1)
    if not 1 <= value <= MAX_JOBS:
        raise InvalidArgument(f"--jobs {value}: expected a number of worker processes from 1 "
                              f"to {MAX_JOBS}")
    return value


def run(args: argparse.Namespace) -> int:
    limit_blas_threads()  # before the catalogue imports numpy
    from igproof.papers.claims import select

    if args.json and args.csv:
        raise InvalidArgument("--json and --csv: choose one output format")
    # --debug raises a check's error here, with its traceback: run in-process unless asked.
    requested = getattr(args, "jobs", None)
    jobs = 1 if args.debug and requested is None else _jobs(requested)
    sources = list(getattr(args, "claims", None) or [])
    claims = select(args.names, sources=sources)
    if args.report:  # an unusable folder fails now, not after minutes of checks
        Path(args.report).mkdir(parents=True, exist_ok=True)
    results: dict[int, ClaimRun] = {}
    started = time.perf_counter()
    n = len(claims)
    for k, event, outcome, seconds in run_claims(claims, jobs=jobs, debug=args.debug,
                                                 sources=sources):
        claim = claims[k]
        if event == "start":
            print(f"[{k + 1}/{n}] {claim.id} ...", file=sys.stderr, flush=True)
            continue
        assert outcome is not None
        written = None
        if outcome.certificate is not None and (args.out or args.report):
            folder = args.out or Path(args.report) / "certificates"
            written = _write_certificate(folder, claim.id, outcome.certificate)
        results[k] = ClaimRun(claim, outcome, seconds, written)
        mark = "" if outcome.verdict is claim.expected else f" (expected {claim.expected})"
        print(f"[{k + 1}/{n}] {claim.id}: {outcome.verdict}{mark} ({seconds:.1f} s)",
              file=sys.stderr, flush=True)
    runs = [results[k] for k in range(n)]
    elapsed = time.perf_counter() - started
    all_expected = all(r.outcome.verdict is r.claim.expected for r in runs)
    code = EXIT_ALL_EXPECTED if all_expected else EXIT_SOME_MISSED
    document = json_document("verify", {
        "all_expected": all_expected,
        "counts": counts_by_verdict(runs),
        "seconds": round(elapsed, 3),
        "claims": [{
            "id": r.claim.id, "paper": r.claim.paper, "verdict": str(r.outcome.verdict),
            "expected": str(r.claim.expected), "seconds": round(r.seconds, 3),
            "evidence": r.outcome.evidence, "details": r.outcome.details,
            "certificate": r.certificate,
        } for r in runs],
    }, exit_code=code)
    summary = summary_line(runs, elapsed)
    if args.report:
        from igproof.cli.report import write_report

        index = write_report(args.report, _relative_to(runs, args.report), document)
        print(f"igproof verify: report written to {index}", file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps(document, indent=1, default=str))
    elif args.csv:
        emit_csv(["id", "verdict", "expected", "as_expected", "seconds", "evidence",
                  "certificate"],
                 ([r.claim.id, r.outcome.verdict, r.claim.expected,
                   r.outcome.verdict is r.claim.expected, f"{r.seconds:.3f}", r.outcome.evidence,
                   r.certificate] for r in runs))
    else:
        width = max((len(r.claim.id) for r in runs), default=10)
        print(f"{'claim':<{width}}  {'verdict':<12} {'time':>7}  evidence")
        for r in runs:
            mark = ("" if r.outcome.verdict is r.claim.expected
                    else f" (expected {r.claim.expected})")
            cert = f" [certificate: {r.certificate}]" if r.certificate else ""
            print(f"{r.claim.id:<{width}}  {r.outcome.verdict!s:<12} {r.seconds:6.1f}s  "
                  f"{r.outcome.evidence}{mark}{cert}")
        print(f"\n{summary}")
    print(f"igproof verify: {summary}", file=sys.stderr, flush=True)
    return code


def _relative_to(runs: list[ClaimRun], folder: str) -> list[ClaimRun]:
    """Certificate paths as links from DIR/index.html (relative when inside DIR, else absolute)."""
    import os

    out = []
    for r in runs:
        link = r.certificate
        if link is not None:
            target = Path(link).resolve()
            try:
                link = target.relative_to(Path(folder).resolve()).as_posix()
            except ValueError:
                link = Path(os.path.relpath(target, Path(folder).resolve())).as_posix()
        out.append(ClaimRun(r.claim, r.outcome, r.seconds, link))
    return out
