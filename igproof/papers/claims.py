"""Claims as data: a paper's lemma, what it says, and the check that decides it.

A :class:`Claim` is a record, not a subclass: ``id`` (``paper.topic.variant``), the paper
``reference``, the ``statement`` in words and in structured form, its ``hypotheses``, the verdict
the catalogue expects (``expected``), and ``check``, a function that returns an
:class:`~igproof.verdict.Outcome`. The catalogue is the list of claims of every module named in
:data:`PAPER_MODULES`, then of every catalogue an installed package declares in the entry-point
group :data:`ENTRY_POINT_GROUP`, then of the sources given with ``--claims`` (a Python file or an
importable module with a module-level ``CLAIMS`` list: see docs/adding_a_claim.md).

Loading a ``--claims`` FILE.py runs that file's Python code, as pytest runs a test file: it is the
user's own lemma file, named explicitly on the command line, not data. Certificates and data files
are never executed.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
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

# Entry-point group of installed catalogues: each entry point names a module with a module-level
# ``CLAIMS`` list (or the list itself), e.g. in a package's pyproject.toml
# ``[project.entry-points."igproof.catalogues"] mylemmas = "mypackage.claims"``.
ENTRY_POINT_GROUP = "igproof.catalogues"
# Origin of the built-in claims, as `igproof list` shows it.
BUILTIN_ORIGIN = "igproof"
# Built-in claims that share work cached in their module (functools.cache in
# igproof.certificate.overlap_instances), for records that do not set Claim.shares themselves:
# claim id -> sharing key. Run apart, each would recompute the shared limits (two-point.tanh and
# one-point.distance.tanh took ~4 s each in two workers, ~4 s together in one).
SHARED_WORK: dict[str, str] = {
    "zhang2023.two-point.relu-neuron": "zhang2023/vardi-shamir-limits",
    "zhang2023.one-point.distance.relu": "zhang2023/vardi-shamir-limits",
    # runs zhang2023.two-point.relu-neuron's (cached) check and reports its outcome
    "vardi2021.impossibility.relu-neuron": "zhang2023/vardi-shamir-limits",
    "zhang2023.one-point.norm.relu": "zhang2023/relu-one-point-limits",
    "zhang2023.one-point.l1-norm.relu": "zhang2023/relu-one-point-limits",
    "zhang2023.one-point.norm.tanh": "zhang2023/tanh-one-point-limits",
    "zhang2023.one-point.l1-norm.tanh": "zhang2023/tanh-one-point-limits",
    "zhang2023.two-point.tanh": "zhang2023/tanh-pair-limits",
    "zhang2023.one-point.distance.tanh": "zhang2023/tanh-pair-limits",
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
    # Claims with the same non-empty key share cached work in one process (e.g. the same proved
    # limit behind two statements): `igproof verify --jobs N` runs them in the same worker.
    shares: str = ""
    # Approximate CPU seconds of ``check()`` (0: cheap or unknown). Only orders the work of
    # `igproof verify --jobs N` (longest first, so that no long check starts last); it never
    # changes what is checked.
    cost: float = 0.0

    def __post_init__(self) -> None:
        if not self.id.startswith(self.paper + "."):
            raise InvalidArgument(f"claim id {self.id!r} must start with its paper key "
                                  f"{self.paper!r} followed by a dot")
        if not (isinstance(self.cost, (int, float)) and self.cost >= 0):
            raise InvalidArgument(f"claim {self.id!r}: cost must be a number of seconds >= 0, "
                                  f"got {self.cost!r}")

def _load_paper(key: str) -> list[Claim]:
    module = importlib.import_module(f"igproof.papers.{PAPER_MODULES[key]}")
    return list(module.CLAIMS)


@dataclass(frozen=True)
class Catalogue:
    """Claims in catalogue order, with the origin of each (built-in, entry point, --claims)."""

    claims: tuple[Claim, ...]
    origins: dict[str, str]

    def by_id(self, claim_id: str) -> Claim:
        """The claim with this exact id."""
        for claim in self.claims:
            if claim.id == claim_id:
                return claim
        raise InvalidArgument(f"no claim with id {claim_id!r}; see `igproof list`")

    @property
    def papers(self) -> list[str]:
        """Paper keys in catalogue order."""
        return list(dict.fromkeys(c.paper for c in self.claims))


def _claims_of(value: Any, origin: str) -> list[Claim]:
    """The Claim records of a module (its ``CLAIMS``) or of a list; one-line errors otherwise."""
    records = getattr(value, "CLAIMS", value)
    if records is value and not isinstance(value, (list, tuple)):
        raise InvalidArgument(f"{origin}: defines no module-level CLAIMS list")
    if not isinstance(records, (list, tuple)):
        raise InvalidArgument(f"{origin}: CLAIMS must be a list of igproof Claim records, "
                              f"got {type(records).__name__}")
    for k, record in enumerate(records):
        if not isinstance(record, Claim):
            raise InvalidArgument(f"{origin}: CLAIMS[{k}] is a {type(record).__name__}, not an "
                                  "igproof.papers.claims.Claim record")
    if not records:
        raise InvalidArgument(f"{origin}: CLAIMS is empty")
    return list(records)


def _file_module_name(path: Path) -> str:
    digest = hashlib.sha1(str(path).encode("utf-8")).hexdigest()[:12]
    return f"igproof_user_claims_{digest}"


def load_claims_source(source: str) -> tuple[list[Claim], str]:
    """(claims, origin) of a ``--claims`` source: a FILE.py path or an importable MODULE name.

    A file is executed as a Python module (it is the user's own lemma file, named on the command
    line); a module is imported. Either must define a module-level ``CLAIMS`` list of
    :class:`Claim` records. Errors are one-line :class:`InvalidArgument`.
    """
    text = str(source).strip()
    if not text:
        raise InvalidArgument("--claims: expected a FILE.py or a MODULE name, got ''")
    path = Path(text)
    if text.endswith(".py") or "/" in text or "\\" in text:
        if not path.is_file():
            raise InvalidArgument(f"--claims {text}: no such file")
        if path.suffix != ".py":
            raise InvalidArgument(f"--claims {text}: expected a Python file ending in .py")
        resolved = path.resolve()
        origin = f"file {text}"
        name = _file_module_name(resolved)
        module = sys.modules.get(name)
        if module is None or getattr(module, "__file__", None) != str(resolved):
            spec = importlib.util.spec_from_file_location(name, resolved)
            if spec is None or spec.loader is None:
                raise InvalidArgument(f"--claims {text}: cannot load this file as Python")
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module  # dataclasses and pickling look the module up by name
            try:
                spec.loader.exec_module(module)
            except Exception as exc:  # the user's file: report its error in one line
                sys.modules.pop(name, None)
                raise InvalidArgument(f"--claims {text}: loading the file failed: "
                                      f"{exc.__class__.__name__}: {exc}") from exc
        return _claims_of(module, origin), origin
    origin = f"module {text}"
    try:
        module = importlib.import_module(text)
    except ImportError as exc:
        raise InvalidArgument(f"--claims {text}: no such file, and importing it as a module "
                              f"failed ({exc})") from exc
    except Exception as exc:
        raise InvalidArgument(f"--claims {text}: importing the module failed: "
                              f"{exc.__class__.__name__}: {exc}") from exc
    return _claims_of(module, origin), origin


def installed_catalogues() -> list[tuple[list[Claim], str]]:
    """(claims, origin) of every entry point in the group :data:`ENTRY_POINT_GROUP`."""
    from importlib.metadata import entry_points

    found = []
    for point in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        dist = getattr(point, "dist", None)
        origin = (f"entry point {point.name}"
                  + (f" ({dist.name} {dist.version})" if dist is not None else ""))
        try:
            value = point.load()
        except Exception as exc:
            raise InvalidArgument(f"{origin}: loading {point.value} failed: "
                                  f"{exc.__class__.__name__}: {exc}") from exc
        found.append((_claims_of(value, origin), origin))
    return found


def load_catalogue(sources: Sequence[str] = ()) -> Catalogue:
    """The built-in claims, the installed catalogues and those of ``sources`` (``--claims``).

    Modules are imported once per process (a ``--claims`` file is kept in ``sys.modules``), so a
    second call is cheap. Duplicate claim ids are an error naming both origins.
    """
    key = tuple(str(s) for s in sources)
    groups: list[tuple[list[Claim], str]] = [(catalogue(), BUILTIN_ORIGIN)]
    groups += installed_catalogues()
    groups += [load_claims_source(s) for s in key]
    claims: list[Claim] = []
    origins: dict[str, str] = {}
    for records, origin in groups:
        for claim in records:
            if claim.id in origins:
                if origins[claim.id] == origin and any(c is claim for c in claims):
                    continue  # the same source given twice
                raise InvalidArgument(f"duplicate claim id {claim.id!r}: defined by "
                                      f"{origins[claim.id]} and by {origin}")
            origins[claim.id] = origin
            claims.append(claim)
    return Catalogue(tuple(claims), origins)


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


def select(names: Sequence[str], *, sources: Sequence[str] = ()) -> list[Claim]:
    """The claims named by ``names``: paper keys, exact claim ids, or id prefixes.

    ``names`` are looked up in :func:`load_catalogue` of ``sources``. An empty ``names`` selects
    the claims of ``sources`` when some are given, else the whole catalogue (built-in and
    installed). A name that matches nothing is an error.
    """
    full = load_catalogue(sources)
    everything = list(full.claims)
    if not names:
        if sources:
            given = {full.origins[c.id] for c in everything} - _standard_origins(full)
            return [c for c in everything if full.origins[c.id] in given]
        return everything
    papers = set(full.papers)
    chosen: list[Claim] = []
    for name in names:
        if name in papers:
            matches = [c for c in everything if c.paper == name]
        else:
            matches = [c for c in everything if c.id == name or c.id.startswith(name + ".")]
        if not matches:
            raise InvalidArgument(f"no claim or paper named {name!r}; see `igproof list`")
        chosen.extend(c for c in matches if c not in chosen)
    return chosen


def sharing_key(claim: Claim) -> str:
    """The key of the cached work ``claim`` shares with others ("" when it shares none)."""
    return claim.shares or SHARED_WORK.get(claim.id, "")


def _standard_origins(full: Catalogue) -> set[str]:
    """Origins that are not ``--claims`` sources: built-in and installed entry points."""
    return {o for o in full.origins.values()
            if o == BUILTIN_ORIGIN or o.startswith("entry point ")}
