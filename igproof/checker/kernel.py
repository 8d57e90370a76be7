"""The kernel: the tables of certificate kinds and obligation types, and the replay.

A certificate is accepted when its header and statement are well formed, ``statement.text`` is
exactly the canonical words of the structured statement, every obligation is accepted by the
check function its type names in :data:`OBLIGATIONS`, and the established facts entail the
kind's conclusion (:data:`KINDS`). Data model: :mod:`igproof.checker.context`.

Tiers (docs/certificates.md): the core is this module with context, expr, intervals, errors
and obligations; trajectory (replay of the flow), isolated (isolated end-game) and minnorm
(minimal-norm interpolation) are optional tiers that only the kinds and obligation types
listed below need. Adding a kind or an obligation type is one line in a table below (and the
import of the module that holds its functions).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any

from igproof.checker import isolated, minnorm, nuclear, obligations, trajectory
from igproof.checker.context import (
    FORMAT,
    INTERPOLATION_KIND,
    ISOLATED_CLAIM,
    SWITCHES_KIND,
    Context,
    header,
    obj,
    string,
)
from igproof.checker.errors import NotACertificate, Rejected

# Largest certificate file read (bytes): shipped certificates are at most a few hundred kB.
MAX_FILE_BYTES = 4_000_000
MAX_OBLIGATIONS = 500
MAX_ID_CHARS = 64
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


@dataclass(frozen=True)
class Obligation:
    """An obligation type: its check function (ctx, obligation) -> one-line summary, raising
    Rejected to reject; the fields it requires and the ones it allows besides id/type/comment."""

    check: Callable[[Any, dict], str]
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()


OBLIGATIONS: dict[str, Obligation] = {
    # core (igproof/checker/obligations.py)
    "start": Obligation(obligations.check_start, ("dataset", "box")),
    "pl-endgame": Obligation(obligations.check_pl_endgame,
                             ("dataset", "start", "domain", "lambda", "cover")),
    "conserved": Obligation(obligations.check_conserved, ("endgame", "quantity")),
    "localize": Obligation(obligations.check_localize, ("limit", "endgame", "conserved", "cover")),
    "contain": Obligation(obligations.check_contain, ("limit", "endgame")),
    "zero-set": Obligation(obligations.check_zero_set, ("limit", "dataset", "relation"),
                           ("index", "gamma")),
    "disjoint": Obligation(obligations.check_disjoint, ("limits",)),
    "ordering": Obligation(obligations.check_ordering, ("class", "below", "above"), ("G",)),
    "witness": Obligation(obligations.check_witness, ("limit", "theta")),
    "kkt": Obligation(obligations.check_kkt, ("limit", "columns")),
    # tier trajectory (igproof/checker/trajectory.py)
    "trajectory": Obligation(trajectory.check_trajectory, ("dataset", "start", "segments", "box")),
    # tier isolated (igproof/checker/isolated.py)
    "isolated-endgame": Obligation(isolated.check_isolated_endgame,
                                   ("dataset", "start", "domain", "point", "inverse", "lambda")),
    "isolated-contain": Obligation(isolated.check_isolated_contain, ("limit", "endgame")),
    "isolated-zero": Obligation(isolated.check_isolated_zero, isolated.ISOLATED_ZERO_FIELDS),
    # tier minnorm (igproof/checker/minnorm.py)
    "minnorm-dual": Obligation(minnorm.check_minnorm_obligation,
                               ("x", "y", "weight", "phi", "lower_bound", "kinks", "upper_bound")),
}

# Top-level fields of a certificate of a kind with a model, datasets and limits.
MODEL_FIELDS = ("format", "version", "kind", "model", "loss", "datasets", "theta0", "statement",
                "obligations")


@dataclass(frozen=True)
class Kind:
    """A certificate kind: its top-level fields (besides the optional "producer"), the context
    built from it, the canonical text of its statement, the obligation types it admits (None:
    all), and its conclusion from the established facts (raising Rejected when not entailed)."""

    fields: tuple[str, ...]
    context: Callable[[dict], Any]
    text: Callable[[dict], str]
    allowed: tuple[str, ...] | None
    conclude: Callable[[Any], str]


# --- the limit kinds -------------------------------------------------------------------------

NORM_CLASSES = {"norm": "|theta|_2", "distance-to-theta0": "|theta - theta0|_2",
                "l1-norm": "|theta|_1"}

def limits_context(cert: dict) -> Context:
    """The context of a limit kind; its claim is an object of names and expressions."""
    ctx = Context(cert)
    claim = ctx.statement["claim"]
    if not isinstance(claim, dict) or not all(
            isinstance(v, str) or (isinstance(v, list) and all(isinstance(u, str) for u in v))
            for v in claim.values()):
        raise Rejected("statement.claim: expected an object of names and expressions")
    return ctx


def limits_text(kind: str, statement: dict) -> str:
    """The canonical words of a statement about gradient-flow limits (the four limit kinds)."""
    limits = statement.get("limits", {})
    claim = statement.get("claim", {})

    def ds(lim: str) -> str:
        entry = limits.get(lim, {})
        return entry.get("dataset", "?") if isinstance(entry, dict) else "?"

    if kind == "gf-limit":
        (lim,) = list(limits) if len(limits) == 1 else ("?",)
        if isinstance(claim, dict) and claim.get(ISOLATED_CLAIM) == "false":
            return (f"The gradient flow of the square loss from theta0 on dataset {ds(lim)} "
                    f"converges to a limit {lim} that is a strict local minimizer of "
                    f"L_{ds(lim)} (its loss may be positive) with |{lim} - center|_2 <= radius.")
        return (f"The gradient flow of the square loss from theta0 on dataset {ds(lim)} "
                f"converges to a limit {lim} with L_{ds(lim)}({lim}) = 0 and "
                f"|{lim} - center|_2 <= radius.")
    if kind == "two-point-overlap":
        a, b = ([*list(claim.get("limits", [])), "?", "?"])[:2]
        return (f"No function G of the parameters characterizes in the strong form the implicit "
                f"regularization of gradient flow from theta0 on the datasets {ds(a)}, {ds(b)}: "
                f"their limits {a} != {b} both lie in M_{ds(a)} and in M_{ds(b)} "
                "(two-point overlap).")
    if kind == "one-point-overlap":
        shared, other = claim.get("shared", "?"), claim.get("other", "?")
        norm = NORM_CLASSES.get(claim.get("class"), "?")
        if claim.get("class") == "expression":
            g = claim.get("G", "?")
            return (f"G = {g}, and every nondecreasing function of it, does not characterize in "
                    f"the strong form the implicit regularization of gradient flow from theta0 "
                    f"on the datasets {ds(other)}, {ds(shared)}: the limit {shared} of "
                    f"{ds(shared)} lies in M_{ds(other)}, differs from the limit {other} of "
                    f"{ds(other)}, and G({shared}) < G({other}) (one-point overlap).")
        return (f"No nondecreasing function of {norm} characterizes in the strong form the "
                f"implicit regularization of gradient flow from theta0 on the datasets "
                f"{ds(other)}, {ds(shared)}: the limit {shared} of {ds(shared)} lies in "
                f"M_{ds(other)}, differs from the limit {other} of {ds(other)}, and "
                f"{norm} at {shared} <= {norm} at {other} (one-point overlap).")
    if kind == "not-characterized-by":
        lim, g = claim.get("limit", "?"), claim.get("G", "?")
        return (f"G = {g} does not characterize, not even in the weak form, the implicit "
                f"regularization of gradient flow from theta0 on dataset {ds(lim)}: its limit "
                f"{lim} is not a minimizer of G on M_{ds(lim)}.")
    raise Rejected(f"kind: unknown kind {str(kind)[:40]!r}")  # pragma: no cover


def limits_conclusion(ctx: Context) -> str:
    """The established facts entail the statement of a limit kind; return the conclusion."""
    kind, claim, limits = ctx.kind, ctx.statement["claim"], ctx.limits

    def need(condition: bool, what: str) -> None:
        if not condition:
            raise Rejected(f"conclusion: no accepted obligation establishes {what}")

    def proved(lim: str) -> None:
        need(lim in ctx.proved, f"the limit ball of {lim}")

    if kind == "gf-limit":
        obj(claim, "statement.claim", (), (ISOLATED_CLAIM,))
        need(len(limits) == 1, "a single limit (gf-limit has one)")
        lim = next(iter(limits))
        if ISOLATED_CLAIM in claim:
            if claim[ISOLATED_CLAIM] != "false":
                raise Rejected(f"statement.claim.{ISOLATED_CLAIM}: the only value is 'false' "
                               "(omit the field to claim the limit is in M_S)")
            need(lim in ctx.proved_isolated, f"that {lim} is a strict local minimizer in its ball")
            return "the gradient-flow limit is a strict local minimizer of L_S in the claimed ball"
        proved(lim)
        return "the gradient-flow limit lies in M_S and in the claimed ball"
    if kind == "two-point-overlap":
        obj(claim, "statement.claim", ("limits",))
        pair = claim["limits"]
        if not isinstance(pair, list) or len(pair) != 2 or set(pair) != set(limits):
            raise Rejected("statement.claim.limits: must name the two limits of the statement")
        a, b = pair
        sa, sb = limits[a].dataset, limits[b].dataset
        need(sa != sb, "two different datasets")
        proved(a)
        proved(b)
        need((a, sb) in ctx.in_zero_set, f"{a} in M_{sb}")
        need((b, sa) in ctx.in_zero_set, f"{b} in M_{sa}")
        need(frozenset((a, b)) in ctx.disjoint, f"{a} != {b} (disjoint balls)")
        return "no G characterizes the implicit regularization in the strong form"
    if kind == "one-point-overlap":
        obj(claim, "statement.claim", ("shared", "other", "class"),
            ("G",) if claim.get("class") == "expression" else ())
        shared, other, cls = claim["shared"], claim["other"], claim["class"]
        if cls == "expression":
            ctx.parse(claim.get("G"), "statement.claim.G")
        elif cls not in NORM_CLASSES:
            raise Rejected(f"statement.claim.class: expected one of {sorted(NORM_CLASSES)} or "
                           "'expression' with G")
        if {shared, other} != set(limits) or shared == other:
            raise Rejected("statement.claim: shared and other must be the two limits")
        s_other = limits[other].dataset
        need(limits[shared].dataset != s_other, "two different datasets")
        proved(shared)
        proved(other)
        need((shared, s_other) in ctx.in_zero_set, f"{shared} in M_{s_other}")
        need(frozenset((shared, other)) in ctx.disjoint, f"{shared} != {other}")
        what = f"G = {claim.get('G')}" if cls == "expression" else NORM_CLASSES[cls]
        need((obligations.ordering_key(cls, claim.get("G")), shared, other) in ctx.ordering,
             f"{what} on {shared} <= on {other}")
        return f"no nondecreasing function of {what} characterizes (strong form)"
    if kind == "not-characterized-by":
        obj(claim, "statement.claim", ("limit", "G"))
        lim = claim["limit"]
        ctx.limit(lim, "statement.claim.limit")
        need(len(limits) == 1, "a single limit")
        proved(lim)
        need(lim in ctx.not_minimizer, f"that {lim} is not a minimizer of G on M_S")
        return "G does not characterize the implicit regularization (weak form, hence strong)"
    raise Rejected(f"kind: unknown kind {kind!r}")  # pragma: no cover


KINDS: dict[str, Kind] = {
    # core: the four limit kinds
    **{name: Kind(MODEL_FIELDS, limits_context, partial(limits_text, name), None,
                  limits_conclusion)
       for name in ("gf-limit", "two-point-overlap", "one-point-overlap", "not-characterized-by")},
    # tier minnorm
    INTERPOLATION_KIND: Kind(("format", "version", "kind", "data", "statement", "obligations"),
                             minnorm.InterpolationContext, minnorm.interpolation_text,
                             ("minnorm-dual",), minnorm.interpolation_conclusion),
    # tier trajectory
    SWITCHES_KIND: Kind(MODEL_FIELDS, trajectory.switches_context, trajectory.switches_text, None,
                        trajectory.switches_conclusion),
}


# Kinds checked whole by their own module (no obligation list): kind -> check(cert,
# check_certificate) -> (obligation entries, conclusion), raising Rejected.
WHOLE_KINDS: dict[str, Callable[[dict, Callable[[Any], Any]], tuple[list[dict], str]]] = {
    # tier nuclear (igproof/checker/nuclear.py): a gf-limit certificate embedded, re-checked
    nuclear.KIND: nuclear.check_nuclear_gap,
}


def statement_text(kind: str, statement: dict) -> str:
    """The canonical words of a structured statement; a certificate must carry exactly these."""
    if kind not in KINDS:
        raise Rejected(f"kind: unknown kind {str(kind)[:40]!r}")
    return KINDS[kind].text(statement)


# --- entry points ------------------------------------------------------------------------------

@dataclass
class Report:
    """Per-obligation verdicts and the conclusion of one certificate."""

    accepted: bool
    kind: str | None
    obligations: list[dict] = field(default_factory=list)
    conclusion: str = ""
    error: str | None = None
    not_a_certificate: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


def _check_statement_text(ctx: Any) -> None:
    """statement.text must be exactly the canonical words of the structured statement."""
    text = string(ctx.statement["text"], "statement.text", 4000)
    expected = statement_text(ctx.kind, ctx.statement)
    if text != expected:
        raise Rejected("statement.text: does not match the structured statement "
                       f"(expected {expected!r})")


def check_certificate(cert: Any) -> Report:
    """Replay every obligation of ``cert`` (a parsed JSON object) and decide its conclusion."""
    try:
        return _check(cert)
    except NotACertificate as exc:
        return Report(False, None, error=str(exc), not_a_certificate=True)
    except Rejected as exc:
        kind = cert.get("kind") if isinstance(cert, dict) else None
        return Report(False, kind if isinstance(kind, str) else None, error=str(exc))
    except (RecursionError, MemoryError):
        return Report(False, None, error="input too large or too deeply nested")
    except Exception as exc:  # a defect in the checker must reject, never accept
        return Report(False, None, error=f"rejected by an internal check "
                      f"({exc.__class__.__name__}: {str(exc)[:80]})")


def _check(cert: Any) -> Report:
    if not isinstance(cert, dict) or cert.get("format") != FORMAT:
        raise NotACertificate(f"not an igproof certificate (field 'format' must be {FORMAT!r})")
    if isinstance(cert.get("kind"), str) and cert["kind"] in WHOLE_KINDS:
        entries, conclusion = WHOLE_KINDS[cert["kind"]](cert, check_certificate)
        return Report(True, cert["kind"], entries, conclusion)
    kind = KINDS.get(cert.get("kind")) if isinstance(cert.get("kind"), str) else None
    header(cert, kind.fields if kind else MODEL_FIELDS)
    if kind is None:
        raise Rejected(f"kind: unknown kind {str(cert['kind'])[:40]!r} "
                       f"(known: {[*KINDS, *WHOLE_KINDS]})")
    ctx = kind.context(cert)
    _check_statement_text(ctx)
    report = _replay(ctx, cert["obligations"], kind.allowed)
    if not report.accepted:
        return report
    try:
        report.conclusion = kind.conclude(ctx)
    except Rejected as exc:
        report.accepted = False
        report.conclusion = str(exc)
    return report


def _replay(ctx: Any, obligations: Any, allowed: tuple[str, ...] | None) -> Report:
    """Check every obligation in order (types restricted to ``allowed`` unless None)."""
    if not isinstance(obligations, list) or not 1 <= len(obligations) <= MAX_OBLIGATIONS:
        raise Rejected(f"obligations: expected a list of 1 to {MAX_OBLIGATIONS} obligations")
    report = Report(True, ctx.kind)
    for k, ob in enumerate(obligations):
        where = f"obligations[{k}]"
        if not isinstance(ob, dict):
            raise Rejected(f"{where}: expected an object")
        ident, kind = ob.get("id"), ob.get("type")
        if not isinstance(ident, str) or len(ident) > MAX_ID_CHARS or not _ID.fullmatch(ident):
            raise Rejected(f"{where}.id: expected a short identifier")
        if ident in ctx.results:
            raise Rejected(f"{where}.id: duplicate id {ident!r}")
        entry = OBLIGATIONS.get(kind) if isinstance(kind, str) else None
        if entry is not None and allowed is not None and kind not in allowed:
            raise Rejected(f"{where}.type: {kind!r} does not apply to a {ctx.kind} certificate "
                           f"(allowed: {list(allowed)})")
        if entry is None:
            raise Rejected(f"{where}.type: unknown obligation type {str(kind)[:40]!r} "
                           f"(known: {sorted(OBLIGATIONS)})")
        try:
            obj(ob, f"obligation {ident}", ("id", "type", *entry.required),
                (*entry.optional, "comment"))
            summary = entry.check(ctx, ob)
            report.obligations.append({"id": ident, "type": kind, "status": "accepted",
                                       "reason": summary})
            ctx.results[ident] = (kind, summary)
            ctx.accepted[ident] = ob
        except Rejected as exc:
            exc.obligation = ident
            report.obligations.append({"id": ident, "type": kind, "status": "rejected",
                                       "reason": str(exc), "segment": exc.segment,
                                       "step": exc.step})
            report.accepted = False
    if not report.accepted:
        report.conclusion = "not established: an obligation was rejected"
    return report


def _reject_float(token: str) -> Any:
    raise Rejected(f"JSON number {token[:20]!r}: numbers must be strings like '3/4'")


def _int(token: str) -> int:
    if len(token) > 20:
        raise Rejected(f"JSON integer of {len(token)} digits is too long "
                       "(write large numbers as strings)")
    return int(token)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise Rejected(f"JSON object has the key {key[:40]!r} twice")
        out[key] = value
    return out


def _constant(token: str) -> Any:
    raise Rejected(f"JSON constant {token!r} is not allowed")


def load_text(data: bytes) -> Any:
    """Parse certificate bytes as JSON with the checker's limits."""
    if len(data) > MAX_FILE_BYTES:
        raise NotACertificate(f"file of {len(data)} bytes is larger than {MAX_FILE_BYTES}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise NotACertificate("file is not UTF-8 text") from None
    try:
        return json.loads(text, parse_float=_reject_float, parse_int=_int,
                          parse_constant=_constant, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise NotACertificate(f"not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
                              ) from None
    except RecursionError:
        raise NotACertificate("JSON nested too deeply") from None
    except Rejected as exc:
        raise NotACertificate(str(exc)) from None


def check_bytes(data: bytes) -> Report:
    """Check certificate bytes (the content of a file)."""
    try:
        cert = load_text(data)
    except NotACertificate as exc:
        return Report(False, None, error=str(exc), not_a_certificate=True)
    return check_certificate(cert)


def check_file(path: str) -> Report:
    """Check the certificate file at ``path``."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return Report(False, None, error=f"cannot read file ({exc.__class__.__name__})",
                      not_a_certificate=True)
    return check_bytes(data)
