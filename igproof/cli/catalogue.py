"""``igproof list``: the catalogue of claims."""

from __future__ import annotations

import argparse
from typing import Any

from igproof.cli.output import emit_csv, emit_json
from igproof.errors import InvalidArgument


def register(subparsers: Any, name: str) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(name, help="list the catalogue of claims",
                                   description="List the catalogue: id, expected verdict, "
                                   "reference and statement of every claim.")
    parser.add_argument("names", nargs="*", metavar="ID|PAPER", help="restrict the listing")
    parser.add_argument("--json", action="store_true", help="print one JSON object "
                        "(docs/cli.md)")
    parser.add_argument("--csv", action="store_true",
                        help="print one CSV row per claim (id, paper, expected, reference, "
                        "statement)")
    return parser


def run(args: argparse.Namespace) -> int:
    from igproof.papers.claims import select

    if args.json and args.csv:
        raise InvalidArgument("--json and --csv: choose one output format")
    claims = select(args.names)
    if args.json:
        emit_json("list", {"claims": [{
            "id": c.id, "paper": c.paper, "reference": c.reference, "statement": c.statement,
            "hypotheses": list(c.hypotheses), "expected": str(c.expected),
            "structured": c.structured,
        } for c in claims]}, exit_code=0)
        return 0
    if args.csv:
        emit_csv(["id", "paper", "expected", "reference", "statement"],
                 ([c.id, c.paper, c.expected, c.reference, c.statement] for c in claims))
        return 0
    paper = None
    for claim in claims:
        if claim.paper != paper:
            paper = claim.paper
            print(f"{paper}: {claim.reference}")
        print(f"  {claim.id}  [{claim.expected}]\n      {claim.statement}")
    return 0
