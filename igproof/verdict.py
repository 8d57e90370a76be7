"""Verdicts: what a check showed, never more.

``PROVED``       exact algebra, or rigorous enclosures with outward rounding.
``REFUTED``      a certificate that the independent checker accepts refutes the statement.
``SUPPORTED``    floating-point or high-precision evidence without a rigorous bound; the
                 evidence must state the tolerances used.
``INCONCLUSIVE`` the check could not decide; the evidence says why.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Verdict(enum.Enum):
    PROVED = "PROVED"
    REFUTED = "REFUTED"
    SUPPORTED = "SUPPORTED"
    INCONCLUSIVE = "INCONCLUSIVE"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Outcome:
    """The result of one check: a verdict, a one-line summary of the evidence, and details.

    ``details`` holds machine-readable evidence (numbers as decimal strings or ``"p/q"``);
    ``certificate`` is the certificate object (a JSON-ready dict) when the check produced one.
    """

    verdict: Verdict
    evidence: str
    details: dict[str, Any] = field(default_factory=dict)
    certificate: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.verdict, Verdict):
            raise TypeError(f"verdict must be a Verdict, got {self.verdict!r}")
