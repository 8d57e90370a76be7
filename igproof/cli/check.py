"""``igproof check FILE...``: re-check certificates with the independent checker.

Prints one table per file (each obligation accepted or rejected, with the reason) and exits
0 when every file is accepted, 1 when any is rejected, 2 when a file is unreadable or not a
certificate. ``--json`` prints one machine-readable object instead. Imports only the
standard-library checker (no sympy, flint, mpmath or numpy).
"""

from __future__ import annotations

import argparse
from typing import Any

from igproof.cli.output import emit_csv, emit_json
from igproof.errors import InvalidArgument

EXIT_ACCEPTED = 0
EXIT_REJECTED = 1
EXIT_NOT_A_CERTIFICATE = 2


def register(subparsers: Any, name: str) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        name, help="re-check certificate files with the independent checker",
        description="Re-check igproof certificates: every obligation is replayed by a small "
                    "standard-library checker with exact and interval arithmetic.")
    parser.add_argument("files", nargs="+", metavar="FILE", help="certificate JSON files")
    parser.add_argument("--json", action="store_true", help="print one JSON object "
                        "(docs/cli.md)")
    parser.add_argument("--csv", action="store_true",
                        help="print one CSV row per obligation (file, accepted, kind, "
                        "obligation, type, status, reason)")
    return parser


def _table(path: str, report: Any) -> str:
    lines = [f"{path}: {'ACCEPTED' if report.accepted else 'REJECTED'}"
             + (f" ({report.kind})" if report.kind else "")]
    if report.error:
        lines.append(f"  error: {report.error}")
    width = max([len(o["id"]) for o in report.obligations] + [2])
    for ob in report.obligations:
        lines.append(f"  {ob['id']:<{width}}  {ob['type']:<12} {ob['status']:<8}  "
                     f"{ob['reason']}")
    if report.conclusion:
        lines.append(f"  conclusion: {report.conclusion}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from igproof.checker import check_file

    if args.json and args.csv:
        raise InvalidArgument("--json and --csv: choose one output format")
    results = {}
    code = EXIT_ACCEPTED
    for path in args.files:
        report = check_file(path)
        results[path] = report.as_dict()
        if report.not_a_certificate:
            code = EXIT_NOT_A_CERTIFICATE
        elif not report.accepted and code == EXIT_ACCEPTED:
            code = EXIT_REJECTED
        if not (args.json or args.csv):
            print(_table(path, report))
    if args.json:
        emit_json("check", {"files": results}, exit_code=code)
    elif args.csv:
        emit_csv(["file", "accepted", "kind", "obligation", "type", "status", "reason"],
                 ([path, r["accepted"], r.get("kind"), ob["id"], ob["type"], ob["status"],
                   ob["reason"]] for path, r in results.items()
                  for ob in (r.get("obligations") or [{"id": "", "type": "", "status": "",
                                                       "reason": r.get("error") or ""}])))
    return code
