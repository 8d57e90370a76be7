"""Serialising certificates: canonical JSON text, written atomically."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from fractions import Fraction
from pathlib import Path
from typing import Any

from igproof.atomic import write_text_atomic
from igproof.errors import CertificateError
from igproof.rationals import fraction_to_text
from igproof.verdict import Outcome, Verdict


def _plain(value: Any) -> Any:
    """Fractions become "p/q" strings; tuples become lists; everything else is kept."""
    if isinstance(value, Fraction):
        return fraction_to_text(value)
    if isinstance(value, bool) or value is None or isinstance(value, (str, int)):
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    raise CertificateError(f"certificate: cannot serialise a {type(value).__name__} "
                           "(use Fraction for numbers)")


def dumps_certificate(cert: dict[str, Any]) -> str:
    """The canonical JSON text of a certificate (numbers as "p/q" strings, two-space indent)."""
    if not isinstance(cert, dict):
        raise CertificateError(f"certificate: expected a dict, got {type(cert).__name__}")
    return json.dumps(_plain(cert), indent=2, ensure_ascii=False) + "\n"


def write_certificate(path: str | Path, cert: dict[str, Any]) -> None:
    """Write ``cert`` to ``path`` atomically (a reader sees the old file or the new one)."""
    write_text_atomic(path, dumps_certificate(cert))


def write_proved(jobs: Iterable[tuple[Path, Callable[[], Outcome]]]) -> int:
    """Build each outcome and write its certificate to its path when it is PROVED.

    Prints one line per job ("wrote PATH" or why it was not written). Returns 0 when every
    certificate was written, 1 otherwise (a file not written keeps its old content).
    """
    status = 0
    for path, build in jobs:
        outcome = build()
        if outcome.verdict is not Verdict.PROVED or outcome.certificate is None:
            print(f"{path}: not written ({outcome.verdict}: {outcome.evidence})")
            status = 1
            continue
        write_certificate(path, outcome.certificate)
        print(f"wrote {path}")
    return status
