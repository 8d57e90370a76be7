"""The one shape of every command's ``--json`` output, and ``--csv`` tables.

Every ``igproof COMMAND --json`` prints exactly one JSON object on stdout (progress and errors go
to stderr) with these keys first, then the command's own fields (docs/cli.md lists them):

``command``    the subcommand (``"verify"``, ``"flow"``, ...).
``igproof``    the igproof version that produced the output.
``exit_code``  the process exit code that follows (0 success; 1 the command ran but its
               outcome is a failure, e.g. a claim missed its expected verdict; 2 bad input).
``verdict``    one of PROVED, REFUTED, SUPPORTED, INCONCLUSIVE for commands that decide one
               statement (flow, search, minnorm); ``null`` for commands that report many items
               (verify, list, check), each item then carrying its own verdict or status.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from igproof.verdict import Verdict

ENVELOPE_KEYS = ("command", "igproof", "exit_code", "verdict")
VERDICTS = frozenset(str(v) for v in Verdict)


def json_document(command: str, payload: dict[str, Any], *, exit_code: int,
                  verdict: Verdict | str | None = None) -> dict[str, Any]:
    """The envelope (command, igproof, exit_code, verdict) followed by ``payload``'s fields."""
    from igproof import __version__

    text = None if verdict is None else str(verdict)
    if text is not None and text not in VERDICTS:
        raise ValueError(f"verdict {text!r} is not one of {sorted(VERDICTS)}")
    document: dict[str, Any] = {"command": command, "igproof": __version__,
                                "exit_code": exit_code, "verdict": text}
    clashes = [k for k in ENVELOPE_KEYS if k in payload and payload[k] != document[k]]
    if clashes:
        raise ValueError(f"payload disagrees with the envelope on {clashes}")
    document.update({k: v for k, v in payload.items() if k not in ENVELOPE_KEYS})
    return document


def emit_json(command: str, payload: dict[str, Any], *, exit_code: int,
              verdict: Verdict | str | None = None) -> None:
    """Print :func:`json_document` as indented JSON on stdout."""
    document = json_document(command, payload, exit_code=exit_code, verdict=verdict)
    print(json.dumps(document, indent=1, default=str))


def emit_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Print a CSV table (RFC 4180 quoting, header first) on stdout."""
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else str(v) for v in row])
