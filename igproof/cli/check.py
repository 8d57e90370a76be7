"""``igproof check FILE...``: re-check certificates with the independent checker.

Prints one table per file (each obligation accepted or rejected, with the reason) and exits
0 when every file is accepted, 1 when any is rejected, 2 when a file is unreadable or not a
certificate. ``--json`` prints one machine-readable object instead. Imports only the
standard-library checker (no sympy, flint, mpmath or numpy).

Only regular files are read: a named pipe, a device (``/dev/zero``) or a directory is refused at
once, before it is opened (opening a pipe with no writer would block forever).
"""

from __future__ import annotations

import argparse
import os
import stat
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
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="certificate JSON files (regular files only)")
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


def _not_a_regular_file(path: str) -> Any:
    """A not-a-certificate Report when ``path`` exists but is not a regular file, else None
    (a missing or unreadable path is left to the checker's own message)."""
    from igproof.checker import Report

    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode):
        return None
    what = ("a named pipe" if stat.S_ISFIFO(mode) else "a directory" if stat.S_ISDIR(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
    return Report(False, None, error=f"not a regular file ({what}): give a certificate file",
                  not_a_certificate=True)


def run(args: argparse.Namespace) -> int:
    from igproof.checker import check_file

    if args.json and args.csv:
        raise InvalidArgument("--json and --csv: choose one output format")
    results = {}
    code = EXIT_ACCEPTED
    for path in args.files:
        report = _not_a_regular_file(path) or check_file(path)
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
