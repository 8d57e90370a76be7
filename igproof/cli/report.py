"""The HTML report of ``igproof verify --report DIR``: one self-contained folder.

``DIR/index.html`` holds the summary (counts per verdict, total time), an overview figure (time
per claim, coloured by verdict) and the claims table: one row per claim with its id, paper
reference and statement, verdict (and expected verdict), evidence, time, a link to its
certificate (``DIR/certificates/ID.json``) when the check produced one, and its figure
(``DIR/figures/ID.png``). ``DIR/claims.json`` is the ``igproof verify --json`` document.
Every file is written atomically; every text from a claim is HTML-escaped; links are relative,
so the folder can be moved, zipped or served as it is.

Each row's figure is the claim's dedicated figure (:func:`igproof.papers.figures.claim_figure`:
width limits, gaps against the initialization scale, the proved limit balls of its certificate)
where a rule draws it; otherwise it draws the numbers found in the claim's ``Outcome.details``
(margins, radii, deviations, counts; :func:`evidence_numbers`) on a log scale, or else the
yes/no facts it established (:func:`evidence_facts`), with the verdict in the title.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from igproof.atomic import write_text_atomic
from igproof.verdict import Outcome, Verdict

# At most this many numbers from a claim's details go into its figure (the first ones found,
# in the details' order): more bars stop being readable at the report's figure size.
MAX_FIGURE_NUMBERS = 12

# Keys whose values are an instance's inputs (datasets, initializations), not its evidence.
INPUT_KEYS = frozenset({"data", "dataset", "x", "y", "theta0", "example", "instance", "seed"})

# A decimal or "p/q" text read as a number for the figure; anything else is prose.
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?(/\d+)?$")

# Safe characters for file names derived from claim ids (ids are dotted slugs already).
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")

VERDICT_COLOURS = {str(Verdict.PROVED): "#1a7f37", str(Verdict.REFUTED): "#0969da",
                   str(Verdict.SUPPORTED): "#9a6700", str(Verdict.INCONCLUSIVE): "#cf222e"}


@dataclass(frozen=True)
class ClaimRun:
    """One claim as run by ``igproof verify``: the claim, its outcome, time, certificate path."""

    claim: Any
    outcome: Outcome
    seconds: float
    certificate: str | None


def file_stem(claim_id: str) -> str:
    """The claim id as a file name (unsafe characters replaced by '_')."""
    return _UNSAFE.sub("_", claim_id)


def evidence_numbers(details: Any, prefix: str = "") -> dict[str, float]:
    """Every finite number in ``details`` (ints, floats, decimal and "p/q" texts), by key path.

    Booleans are facts, not magnitudes, and are skipped; so are numbers beyond float range, the
    inputs of an instance (keys in INPUT_KEYS) and plain lists (coordinates, not measurements).
    """
    found: dict[str, float] = {}

    def visit(value: Any, path: str) -> None:
        if len(found) >= MAX_FIGURE_NUMBERS:
            return
        if isinstance(value, bool):
            return
        if isinstance(value, int | float | Fraction):
            number = float(value) if abs(value) < 1e300 else math.inf
            if math.isfinite(number):
                found[path or "value"] = number
        elif isinstance(value, str) and _NUMBER.match(value.strip()):
            try:
                number = float(Fraction(value.strip()))
            except (ValueError, ZeroDivisionError, OverflowError):
                return
            if math.isfinite(number):
                found[path or "value"] = number
        elif isinstance(value, dict):
            for key, item in value.items():
                if str(key) not in INPUT_KEYS:
                    visit(item, f"{path}.{key}" if path else str(key))
        elif isinstance(value, list | tuple):
            for k, item in enumerate(value):  # records (dicts), not coordinate vectors
                if isinstance(item, dict):
                    visit(item, f"{path}[{k}]")

    visit(details, prefix)
    return found


def evidence_facts(details: Any) -> dict[str, bool]:
    """The yes/no facts among ``details``' top-level entries (booleans), by key."""
    if not isinstance(details, dict):
        return {}
    facts = {str(k): v for k, v in details.items() if isinstance(v, bool)}
    return dict(list(facts.items())[:MAX_FIGURE_NUMBERS])


def counts_by_verdict(runs: Sequence[ClaimRun]) -> dict[str, int]:
    """{verdict: number of claims} for the four verdicts, in the order of :class:`Verdict`."""
    return {str(v): sum(1 for r in runs if r.outcome.verdict is v) for v in Verdict}


def write_report(out_dir: str | Path, runs: Sequence[ClaimRun],
                 document: dict[str, Any]) -> Path:
    """Write DIR/index.html, DIR/claims.json and DIR/figures/*.png; return the index path."""
    from igproof.papers.figures import claim_figure
    from igproof.plots import outcome_figure, save_figure

    root = Path(out_dir)
    figures: dict[str, str] = {}
    for run in runs:
        stem = file_stem(run.claim.id)
        relative = f"figures/{stem}.png"
        fig = claim_figure(run.claim.id, run.outcome, expected=str(run.claim.expected),
                           seconds=run.seconds)
        if fig is None:
            fig = outcome_figure(claim_id=run.claim.id, verdict=str(run.outcome.verdict),
                                 expected=str(run.claim.expected), seconds=run.seconds,
                                 numbers=evidence_numbers(run.outcome.details),
                                 facts=evidence_facts(run.outcome.details))
        save_figure(fig, root / relative)
        figures[run.claim.id] = relative
    overview = "figures/overview.png"
    save_figure(_overview_figure(runs), root / overview)
    write_text_atomic(root / "claims.json", json.dumps(document, indent=1, default=str) + "\n")
    index = root / "index.html"
    write_text_atomic(index, render_html(runs, figures=figures, overview=overview,
                                         version=document.get("igproof", "")))
    return index


def _overview_figure(runs: Sequence[ClaimRun]) -> Any:
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    fig = Figure(figsize=(8, 1.2 + 0.22 * max(len(runs), 1)), layout="constrained")
    ax = fig.subplots()
    ids = [r.claim.id for r in runs][::-1]
    seconds = [max(r.seconds, 1e-3) for r in runs][::-1]
    colours = [VERDICT_COLOURS[str(r.outcome.verdict)] for r in runs][::-1]
    ax.barh(range(len(ids)), seconds, color=colours)
    ax.set_yticks(range(len(ids)), ids, fontsize=7)
    ax.set_xscale("log")
    ax.set_xlabel("wall-clock time of the check (seconds, log scale)")
    ax.grid(axis="x", alpha=0.3)
    counts = counts_by_verdict(runs)
    ax.legend(handles=[Patch(color=VERDICT_COLOURS[v], label=f"{v} ({n})")
                       for v, n in counts.items() if n], fontsize=8, loc="lower right")
    ax.set_title(f"{len(runs)} claims: " + ", ".join(f"{n} {v}" for v, n in counts.items() if n),
                 fontsize=10)
    return fig


def render_html(runs: Sequence[ClaimRun], *, figures: dict[str, str], overview: str,
                version: str) -> str:
    """The report page (escaped text, relative links); figures maps claim id -> relative path."""
    e = html.escape
    counts = counts_by_verdict(runs)
    expected = sum(1 for r in runs if r.outcome.verdict is r.claim.expected)
    total = sum(r.seconds for r in runs)
    summary = ", ".join(f'<span class="verdict {v}">{n} {v}</span>'
                        for v, n in counts.items() if n)
    rows = []
    for run in runs:
        claim, outcome = run.claim, run.outcome
        verdict = str(outcome.verdict)
        as_expected = outcome.verdict is claim.expected
        cert = (f'<a href="{e(run.certificate)}">{e(Path(run.certificate).name)}</a>'
                if run.certificate else "&mdash;")
        figure = figures.get(claim.id)
        img = (f'<a href="{e(figure)}"><img src="{e(figure)}" alt="{e(f"figure for {claim.id}")}"'
               f' loading="lazy"></a>' if figure else "&mdash;")
        rows.append(
            f'<tr class="claim" id="{e(file_stem(claim.id))}">'
            f'<td class="id"><b>{e(claim.id)}</b><div class="ref">{e(claim.reference)}</div>'
            f'<div class="statement">{e(claim.statement)}</div></td>'
            f'<td class="verdict {e(verdict)}">{e(verdict)}'
            + ("" if as_expected else f'<div class="miss">expected {e(str(claim.expected))}</div>')
            + f'</td><td class="evidence">{e(outcome.evidence)}</td>'
            f'<td class="seconds">{run.seconds:.2f}</td>'
            f'<td class="certificate">{cert}</td>'
            f'<td class="figure">{img}</td></tr>')
    style = "\n".join(f".verdict.{v} {{ color: {c}; font-weight: bold; }}"
                      for v, c in VERDICT_COLOURS.items())
    status = ("every claim reached its expected verdict" if expected == len(runs)
              else f"{len(runs) - expected} claims missed their expected verdict")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>igproof verify report</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; max-width: 1400px; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border-top: 1px solid #d0d7de; padding: 0.5em; vertical-align: top; text-align: left; }}
td.seconds {{ text-align: right; font-variant-numeric: tabular-nums; }}
td.evidence {{ max-width: 32em; font-size: 0.9em; }}
td.figure img {{ width: 360px; }}
.ref, .statement {{ color: #57606a; font-size: 0.85em; max-width: 26em; }}
.miss {{ color: #cf222e; font-size: 0.85em; }}
{style}
</style>
</head>
<body>
<h1>igproof verify</h1>
<p class="summary">{len(runs)} claims: {summary}; {e(status)}; {total:.1f} s in all.
igproof {e(version)}. Machine-readable: <a href="claims.json">claims.json</a>.</p>
<p><img src="{e(overview)}" alt="time per claim, coloured by verdict" style="max-width: 100%"></p>
<p>PROVED: exact algebra or rigorous outward-rounded enclosures. REFUTED: a certificate the
independent checker accepts. SUPPORTED: floating-point evidence without a rigorous bound (the
evidence states the tolerances). INCONCLUSIVE: not decided (the evidence says why).</p>
<table>
<thead><tr><th>claim</th><th>verdict</th><th>evidence</th><th>time (s)</th><th>certificate</th>
<th>figure</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
</body>
</html>
"""
