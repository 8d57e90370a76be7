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


# Above this many bytes of indented text, a certificate is written with every list that holds
# no object on one line (the same JSON value; two-space indentation of a Taylor trajectory, one
# number per line, is two thirds of its text). The small shipped certificates (affine flows,
# switches, PL starts) stay indented; those with Taylor trajectories are written flat.
FLAT_ABOVE_BYTES = 100_000


def dumps_certificate(cert: dict[str, Any]) -> str:
    """The canonical JSON text of a certificate (numbers as "p/q" strings, two-space indent;
    above FLAT_ABOVE_BYTES, lists without objects on one line)."""
    if not isinstance(cert, dict):
        raise CertificateError(f"certificate: expected a dict, got {type(cert).__name__}")
    value = _plain(cert)
    text = json.dumps(value, indent=2, ensure_ascii=False) + "\n"
    if len(text) <= FLAT_ABOVE_BYTES:
        return text
    return _flat(value, 0) + "\n"


def _flat(value: Any, depth: int) -> str:
    """Indented JSON whose lists without objects are written on one line."""
    pad, inner = "  " * depth, "  " * (depth + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{json.dumps(k, ensure_ascii=False)}: {_flat(v, depth + 1)}"
                 for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list) and any(isinstance(v, (dict, list)) and _has_object(v)
                                       for v in value):
        return "[\n" + ",\n".join(inner + _flat(v, depth + 1) for v in value) + "\n" + pad + "]"
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _has_object(value: Any) -> bool:
    if isinstance(value, dict):
        return True
    return isinstance(value, list) and any(_has_object(v) for v in value)


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
