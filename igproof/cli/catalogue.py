"""``igproof list``: the catalogue of claims."""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(subparsers: Any, name: str) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(name, help="list the catalogue of claims",
                                   description="List the catalogue: id, expected verdict, "
                                   "reference and statement of every claim.")
    parser.add_argument("names", nargs="*", metavar="ID|PAPER", help="restrict the listing")
    parser.add_argument("--json", action="store_true", help="print JSON")
    return parser


def run(args: argparse.Namespace) -> int:
    from igproof.papers.claims import select

    claims = select(args.names)
    if args.json:
        print(json.dumps([{
            "id": c.id, "paper": c.paper, "reference": c.reference, "statement": c.statement,
            "hypotheses": list(c.hypotheses), "expected": str(c.expected),
            "structured": c.structured,
        } for c in claims], indent=1, default=str))
        return 0
    paper = None
    for claim in claims:
        if claim.paper != paper:
            paper = claim.paper
            print(f"{paper}: {claim.reference}")
        print(f"  {claim.id}  [{claim.expected}]\n      {claim.statement}")
    return 0
