"""``igproof verify [ID|PAPER ...]``: run catalogue claims and print their verdicts.

Progress goes to stderr, one line when a claim starts and one when it ends (with its verdict and
time); the table (or ``--json``, ``--csv``) goes to stdout and ends with a summary line counting
the claims per verdict. ``--report DIR`` also writes an HTML report (igproof.cli.report).
Exit code 0 when every claim reached its expected verdict, 1 otherwise, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from igproof.cli.output import emit_csv, json_document
from igproof.cli.report import ClaimRun, counts_by_verdict
from igproof.errors import InvalidArgument
from igproof.verdict import Outcome, Verdict

EXIT_ALL_EXPECTED = 0
EXIT_SOME_MISSED = 1


def register(subparsers: Any, name: str) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        name, help="run catalogue claims (all by default) and print their verdicts",
        description="Run the checks of catalogue claims and print one verdict each. Exit code 0 "
        "when every claim reached its expected verdict, 1 otherwise.")
    parser.add_argument("names", nargs="*", metavar="ID|PAPER",
                        help="claim ids, id prefixes or paper keys (see `igproof list`)")
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
                        help="let an internal error in a check raise instead of reporting it")
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


def run(args: argparse.Namespace) -> int:
    from igproof.papers.claims import select

    if args.json and args.csv:
        raise InvalidArgument("--json and --csv: choose one output format")
    claims = select(args.names)
    if args.report:  # an unusable folder fails now, not after minutes of checks
        Path(args.report).mkdir(parents=True, exist_ok=True)
    runs: list[ClaimRun] = []
    started = time.perf_counter()
    for k, claim in enumerate(claims, start=1):
        print(f"[{k}/{len(claims)}] {claim.id} ...", file=sys.stderr, flush=True)
        outcome, seconds = _run_claim(claim, debug=args.debug)
        written = None
        if outcome.certificate is not None and (args.out or args.report):
            folder = args.out or Path(args.report) / "certificates"
            written = _write_certificate(folder, claim.id, outcome.certificate)
        runs.append(ClaimRun(claim, outcome, seconds, written))
        mark = "" if outcome.verdict is claim.expected else f" (expected {claim.expected})"
        print(f"[{k}/{len(claims)}] {claim.id}: {outcome.verdict}{mark} ({seconds:.1f} s)",
              file=sys.stderr, flush=True)
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
