"""``igproof verify [ID|PAPER ...]``: run catalogue claims and print their verdicts."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from igproof.verdict import Outcome, Verdict


def register(subparsers: Any, name: str) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        name, help="run catalogue claims (all by default) and print their verdicts",
        description="Run the checks of catalogue claims and print one verdict each. Exit code 0 "
        "when every claim reached its expected verdict, 1 otherwise.")
    parser.add_argument("names", nargs="*", metavar="ID|PAPER",
                        help="claim ids, id prefixes or paper keys (see `igproof list`)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--out", metavar="DIR",
                        help="write the certificates the checks produce into DIR")
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


def _write_certificate(out_dir: str, claim_id: str, certificate: dict[str, Any]) -> str:
    from pathlib import Path

    from igproof.atomic import write_text_atomic

    path = Path(out_dir) / f"{claim_id}.json"
    write_text_atomic(path, json.dumps(certificate, indent=1, sort_keys=True) + "\n")
    return str(path)


def run(args: argparse.Namespace) -> int:
    from igproof.papers.claims import select

    claims = select(args.names)
    rows = []
    for k, claim in enumerate(claims, start=1):
        print(f"[{k}/{len(claims)}] {claim.id} ...", file=sys.stderr, flush=True)
        outcome, seconds = _run_claim(claim, debug=args.debug)
        written = None
        if args.out and outcome.certificate is not None:
            written = _write_certificate(args.out, claim.id, outcome.certificate)
        rows.append((claim, outcome, seconds, written))
        print(f"[{k}/{len(claims)}] {claim.id}: {outcome.verdict} ({seconds:.1f} s)",
              file=sys.stderr, flush=True)

    all_expected = all(outcome.verdict is claim.expected for claim, outcome, _, _ in rows)
    if args.json:
        print(json.dumps({
            "all_expected": all_expected,
            "claims": [{
                "id": claim.id, "verdict": str(outcome.verdict),
                "expected": str(claim.expected), "seconds": round(seconds, 3),
                "evidence": outcome.evidence, "details": outcome.details,
                "certificate": written,
            } for claim, outcome, seconds, written in rows],
        }, indent=1, default=str))
    else:
        width = max((len(claim.id) for claim, *_ in rows), default=10)
        print(f"{'claim':<{width}}  {'verdict':<12} {'time':>7}  evidence")
        for claim, outcome, seconds, written in rows:
            mark = "" if outcome.verdict is claim.expected else f" (expected {claim.expected})"
            cert = f" [certificate: {written}]" if written else ""
            print(f"{claim.id:<{width}}  {outcome.verdict!s:<12} {seconds:6.1f}s  "
                  f"{outcome.evidence}{mark}{cert}")
        summary = "every claim reached its expected verdict" if all_expected else \
            "some claims did not reach their expected verdict"
        print(f"\n{len(rows)} claims: {summary}")
    return 0 if all_expected else 1
