"""``igproof list``: the catalogue of claims, with the origin of each (built-in ``igproof``, an
installed package's entry point in the group ``igproof.catalogues``, or a ``--claims`` source)."""

from __future__ import annotations

import argparse
from typing import Any

from igproof.cli.output import emit_csv, emit_json
from igproof.errors import InvalidArgument


def register(subparsers: Any, name: str) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(name, help="list the catalogue of claims",
                                   description="List the catalogue: id, expected verdict, "
                                   "reference, statement and origin of every claim.",
                                   epilog="exit codes: 0 listed; 2 bad input (unknown claim, a "
                                   "--claims source that cannot be loaded). --claims FILE.py runs "
                                   "the Python code of FILE.py (your own lemma file).")
    parser.add_argument("names", nargs="*", metavar="ID|PAPER", help="restrict the listing")
    parser.add_argument("--claims", action="append", default=[], metavar="FILE.py|MODULE",
                        help="also load the claims of FILE.py or of an importable MODULE (a "
                        "module-level CLAIMS list); without ID|PAPER only these are listed")
    parser.add_argument("--json", action="store_true", help="print one JSON object "
                        "(docs/cli.md)")
    parser.add_argument("--csv", action="store_true",
                        help="print one CSV row per claim (id, paper, expected, reference, "
                        "statement)")
    return parser


def run(args: argparse.Namespace) -> int:
    from igproof.papers.claims import load_catalogue, select

    if args.json and args.csv:
        raise InvalidArgument("--json and --csv: choose one output format")
    sources = list(getattr(args, "claims", None) or [])
    claims = select(args.names, sources=sources)
    origins = load_catalogue(sources).origins
    if args.json:
        emit_json("list", {"claims": [{
            "id": c.id, "paper": c.paper, "reference": c.reference, "statement": c.statement,
            "hypotheses": list(c.hypotheses), "expected": str(c.expected),
            "structured": c.structured, "origin": origins[c.id],
        } for c in claims]}, exit_code=0)
        return 0
    if args.csv:
        emit_csv(["id", "paper", "expected", "reference", "statement", "origin"],
                 ([c.id, c.paper, c.expected, c.reference, c.statement, origins[c.id]]
                  for c in claims))
        return 0
    paper = None
    for claim in claims:
        if claim.paper != paper:
            paper = claim.paper
            print(f"{paper}: {claim.reference}  [from {origins[claim.id]}]")
        print(f"  {claim.id}  [{claim.expected}]\n      {claim.statement}")
    return 0
