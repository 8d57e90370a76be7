"""Serialising certificates: canonical JSON text, written atomically."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

from igproof.atomic import write_text_atomic
from igproof.errors import CertificateError
from igproof.rationals import fraction_to_text


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
