"""Claims as data: a paper's lemma, what it says, and the check that decides it.

A :class:`Claim` is a record, not a subclass: ``id`` (``paper.topic.variant``), the paper
``reference``, the ``statement`` in words and in structured form, its ``hypotheses``, the verdict
the catalogue expects (``expected``), and ``check``, a function that returns an
:class:`~igproof.verdict.Outcome`. The catalogue is the list of claims of every module named in
:data:`PAPER_MODULES`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from igproof.errors import InvalidArgument
from igproof.verdict import Outcome, Verdict

# Paper key -> module under igproof.papers. Each module defines ``CLAIMS: list[Claim]``.
PAPER_MODULES: dict[str, str] = {
    "zhang2023": "zhang2023",
    "lee2022": "lee2022",
    "vardi2021": "vardi2021",
    "boursier2023": "boursier2023",
    "chu2024": "chu2024",
    "sonoda2021": "sonoda2021",
}


@dataclass(frozen=True)
class Claim:
    """One checkable statement from a paper (see the module docstring)."""

    id: str
    paper: str
    reference: str
    statement: str
    check: Callable[[], Outcome]
    expected: Verdict
    hypotheses: tuple[str, ...] = ()
    structured: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.id.startswith(self.paper + "."):
            raise InvalidArgument(f"claim id {self.id!r} must start with its paper key "
                                  f"{self.paper!r} followed by a dot")



def _load_paper(key: str) -> list[Claim]:
    module = importlib.import_module(f"igproof.papers.{PAPER_MODULES[key]}")
    return list(module.CLAIMS)


def catalogue(papers: Iterable[str] | None = None) -> list[Claim]:
    """All claims of the named papers (all papers by default), in catalogue order."""
    keys = list(PAPER_MODULES) if papers is None else list(papers)
    claims: list[Claim] = []
    for key in keys:
        if key not in PAPER_MODULES:
            raise InvalidArgument(f"unknown paper {key!r}; known papers: "
                                  f"{', '.join(PAPER_MODULES)}")
        claims.extend(_load_paper(key))
    return claims


def select(names: Sequence[str]) -> list[Claim]:
    """The claims named by ``names``: paper keys, exact claim ids, or id prefixes.

    An empty ``names`` selects the whole catalogue. A name that matches nothing is an error.
    """
    if not names:
        return catalogue()
    everything = catalogue()
    chosen: list[Claim] = []
    for name in names:
        if name in PAPER_MODULES:
            matches = [c for c in everything if c.paper == name]
        else:
            matches = [c for c in everything if c.id == name or c.id.startswith(name + ".")]
        if not matches:
            raise InvalidArgument(f"no claim or paper named {name!r}; see `igproof list`")
        chosen.extend(c for c in matches if c not in chosen)
    return chosen
