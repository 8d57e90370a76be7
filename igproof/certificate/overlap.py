"""Two-point and One-point Overlapping: build the pair (S1, S2), prove both limits, certify.

Mathematics (docs/implicit_regularization.md, arXiv:2201.12198). theta_k = lim theta(t) of the
gradient flow from theta0 on S_k.

- Two-point: theta1 != theta2 and both lie in M_S1 ∩ M_S2. Then no G characterizes the implicit
  regularization in the strong form (S1 forces G(theta1) < G(theta2), S2 the reverse).
- One-point: theta_s (limit of S_s) lies in M_S_o and differs from theta_o (limit of S_o); if
  N(theta_s) <= N(theta_o) for N = |theta|_2, |theta|_1 or |theta - theta0|_2, then no
  nondecreasing function of N characterizes it in the strong form (S_o forces
  G(theta_o) < G(theta_s)). For a user's expression G (class ``expression``) the certificate
  holds G(theta_s) < G(theta_o), strictly: G and every nondecreasing function of it are
  excluded in the strong form.

:func:`overlap_pair` is the one path from two datasets and theta0 to a verdict: the CLI
(``igproof overlap``) and the catalogue's instances
(:mod:`igproof.certificate.overlap_instances`) both call it. It proves each limit (a validated
trajectory enclosure replayed by the checker, or a Polyak-Lojasiewicz end-game from theta0
localized by conserved quantities), decides the zero-loss-set relation by exact algebra
(:mod:`igproof.symbolic.zero_loss`), assembles a ``two-point-overlap`` / ``one-point-overlap``
certificate, and runs the independent checker on it. The verdict is PROVED only when the
checker accepts the certificate.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import sympy

from igproof.certificate.common import certify, header, statement
from igproof.certificate.gf_limit import IsolatedLimitNotCertifiable, limit_certificate
from igproof.certificate.pl_start import DatasetSpec, ModelSpec, gf_limit_part
from igproof.errors import CertificateError, DataError, InvalidArgument
from igproof.proof.limits.limit import ProvedLimit, prove_flow_limit
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.expression import parse_expression, to_expression_text
from igproof.symbolic.flow import gradient_flow
from igproof.symbolic.models import Model
from igproof.symbolic.zero_loss import ZeroLossRelation, limit_in_zero_loss_set
from igproof.verdict import Outcome, Verdict

# The zero-set relations the checker knows (igproof/checker/obligations.py, ``zero-set``).
RELATIONS = ("same-support", "subset", "zero-on-ball", "scaled-label-zero", "scaled-points")
# The classes of G a One-point certificate can exclude (the checker's ``ordering`` classes).
CLASSES = {"norm": "|theta|_2", "distance-to-theta0": "|theta - theta0|_2",
           "l1-norm": "|theta|_1"}
# The class of a user's regularizer G (an expression in the parameters, in the certificate's
# claim and ordering obligation as its canonical text).
EXPRESSION_CLASS = "expression"
# Other spellings of the classes accepted from users (``--regularizer distance``).
CLASS_ALIASES = {"distance": "distance-to-theta0", "l2-norm": "norm", "l1": "l1-norm"}
MECHANISMS = ("two-point", "one-point")
# Radius of a PL-start limit ball, relative to max(1, |centre|_inf): 1e-4 keeps the localize
# cover to a few dozen leaves (each costs interval tanh evaluations in the checker) and is far
# below the separations (>= 1e-2) the shipped instances need.
PL_BALL_SCALE = Fraction(1, 10**4)
# Obligation fields that refer to earlier obligations by id (renamed with the prefix).
_REF_FIELDS = ("start", "endgame")


@dataclass
class LimitPart:
    """One proved limit: its certificate entry and the obligations that establish it.

    ``entry`` is ``{"dataset", "center", "radius"}`` (exact rationals); ``obligations`` prove
    that the flow on ``dataset`` converges into that ball with zero loss.
    """

    name: str
    dataset: str
    data: DatasetSpec
    entry: dict[str, Any]
    obligations: list[dict[str, Any]]
    method: str
    seconds: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def center(self) -> list[Fraction]:
        return list(self.entry["center"])

    @property
    def radius(self) -> Fraction:
        return Fraction(self.entry["radius"])


def _dataset_spec(x: Sequence[Sequence[Any]], y: Sequence[Any]) -> DatasetSpec:
    return DatasetSpec(tuple(tuple(Fraction(v) for v in xi) for xi in x),
                       tuple(Fraction(v) for v in y))


def _renamed(obligations: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    """Prefix every obligation id and every reference to one (ids must be unique per file)."""
    out = []
    for ob in obligations:
        new = dict(ob)
        new["id"] = prefix + ob["id"]
        for key in _REF_FIELDS:
            if key in new:
                new[key] = prefix + new[key]
        if "conserved" in new and isinstance(new["conserved"], list):
            new["conserved"] = [prefix + c for c in new["conserved"]]
        out.append(new)
    return out


def trajectory_limit(flow: Any, theta0: Sequence[Any], *, dataset: str, limit: str,
                     prec: int = 64, loss_target: Fraction | None = None,
                     order: int | None = None, sensitivity_order: int | None = None,
                     t_max: Fraction | None = None,
                     progress: Callable[[str, int, float], None] | None = None
                     ) -> tuple[LimitPart, dict[str, Any]]:
    """lim theta(t) on ``flow`` from theta0 by a validated enclosure the checker replays.

    Uses :func:`igproof.proof.limits.limit.prove_flow_limit` (affine ReLU pieces with certified
    switching or validated Taylor steps, integrated until sup L < ``loss_target`` (default
    2^-(1.5 prec)), then a PL end-game) and
    :func:`igproof.certificate.gf_limit.limit_certificate`; returns the limit part and the
    model in certificate form. ``order`` is the Taylor order of the validated smooth steps
    (default: prove_flow_limit's); the checker's replay cost grows with its square, and with the
    square of ``sensitivity_order`` (the Taylor order of the sensitivity matrices) times p^2.
    ``progress(dataset, k, sup_loss)`` is the prover's progress callback, labelled; a
    ``progress.stage(text)`` method, if it has one, is told when the checker's replay starts.

    Raises
    ------
    CertificateError
        When the limit is not PROVED (the reason is in the message) or cannot be replayed.

    Guarantee: enclosure (the checker decides).
    """
    started = time.perf_counter()
    options: dict[str, Any] = {} if order is None else {"order": order}
    if sensitivity_order is not None:
        options["sensitivity_order"] = sensitivity_order
    if t_max is not None:
        options["t_max"] = t_max
    if progress is not None:
        options["progress"] = lambda k, loss: progress(dataset, k, loss)
    result = prove_flow_limit(flow, theta0, prec=prec, loss_target=loss_target, **options)
    if not isinstance(result, ProvedLimit):
        raise CertificateError(f"limit {limit} on {dataset}: not proved ({result.reason})")
    if not result.in_zero_loss_set:
        raise CertificateError(f"limit {limit} on {dataset}: a strict local minimizer with "
                               "positive loss, not in the zero-loss set")
    stage = getattr(progress, "stage", None)
    if stage is not None:
        stage(f"{dataset}: the independent checker replays the proof")
    try:
        cert = limit_certificate(result, flow, dataset_name=dataset, limit_name=limit)
    except IsolatedLimitNotCertifiable as exc:
        raise CertificateError(f"limit {limit} on {dataset}: proved but not certifiable "
                               f"({exc})") from exc
    raw = cert["datasets"][dataset]
    part = LimitPart(limit, dataset, _dataset_spec(raw["x"], raw["y"]),
                     cert["statement"]["limits"][limit],
                     _renamed(cert["obligations"], f"{dataset}."), "trajectory",
                     time.perf_counter() - started,
                     {"T": f"{float(result.T.mid()):.6g}",
                      "radius_bits": str(result.radius_upper)})
    return part, cert["model"]


def pl_limit(model: ModelSpec, data: DatasetSpec, theta0: Sequence[Fraction],
             conserved: Sequence[str], *, dataset: str, limit: str,
             ball: Fraction | None = None) -> LimitPart:
    """lim theta(t) by a Polyak-Lojasiewicz end-game from theta0 (T = 0), localized by the
    residuals and the conserved quantities ``conserved`` (as many equations as parameters).

    Guarantee: enclosure (the checker decides).
    """
    started = time.perf_counter()
    entry, obligations = gf_limit_part(model, dataset, data, list(theta0), list(conserved),
                                       limit_name=limit, prefix=f"{dataset}.", ball=ball,
                                       ball_scale=PL_BALL_SCALE)
    return LimitPart(limit, dataset, data, entry, obligations, "pl-start",
                     time.perf_counter() - started)


def _zero_set_obligation(ident: str, limit: LimitPart, target: str,
                         relation: dict[str, Any]) -> dict[str, Any]:
    kind = relation.get("relation")
    if kind not in RELATIONS:
        raise InvalidArgument(f"relation: expected one of {RELATIONS}, got {kind!r}")
    ob = {"id": ident, "type": "zero-set", "limit": limit.name, "dataset": target,
          "relation": kind}
    if kind == "scaled-label-zero":
        ob["index"] = int(relation["index"])
        ob["gamma"] = Fraction(relation["gamma"])
    return ob


def _assemble(kind: str, model: dict[str, Any], theta0: Sequence[Fraction],
              parts: Sequence[LimitPart], claim: dict[str, Any],
              extra: list[dict[str, Any]]) -> dict[str, Any]:
    if len({p.dataset for p in parts}) != len(parts):
        raise InvalidArgument("datasets: the two limits must belong to two different datasets")
    limits = {p.name: p.entry for p in parts}
    obligations = [ob for p in parts for ob in p.obligations] + extra
    return {**header(kind, "igproof.proof.overlap", model=model,
                     datasets={p.dataset: p.data.as_json() for p in parts},
                     theta0=[Fraction(t) for t in theta0]),
            "statement": statement(kind, {"limits": limits, "claim": claim}),
            "obligations": obligations}


def two_point_certificate(model: dict[str, Any], theta0: Sequence[Fraction],
                          first: LimitPart, second: LimitPart, *,
                          first_in_second: dict[str, Any],
                          second_in_first: dict[str, Any]) -> dict[str, Any]:
    """The ``two-point-overlap`` certificate: both limits proved, theta1 in M_S2 and theta2 in
    M_S1 by the exact relations given (``{"relation": ..., "index": ..., "gamma": ...}``),
    and theta1 != theta2 by disjoint balls."""
    extra = [
        _zero_set_obligation("overlap.12", first, second.dataset, first_in_second),
        _zero_set_obligation("overlap.21", second, first.dataset, second_in_first),
        {"id": "distinct", "type": "disjoint", "limits": [first.name, second.name]},
    ]
    return _assemble("two-point-overlap", model, theta0, (first, second),
                     {"limits": [first.name, second.name]}, extra)


def one_point_certificate(model: dict[str, Any], theta0: Sequence[Fraction],
                          shared: LimitPart, other: LimitPart, *, relation: dict[str, Any],
                          cls: str, g_text: str | None = None) -> dict[str, Any]:
    """The ``one-point-overlap`` certificate: theta_s (``shared``) lies in M of ``other``'s
    dataset, theta_s != theta_o, and sup N over ball(theta_s) <= inf N over ball(theta_o)
    for N of class ``cls`` ("norm", "distance-to-theta0" or "l1-norm"), or, for class
    "expression" with ``g_text`` (G in the safe expression language), sup G over the box of
    ball(theta_s) < inf G over the box of ball(theta_o)."""
    if cls not in CLASSES and cls != EXPRESSION_CLASS:
        raise InvalidArgument(f"cls: expected one of {sorted(CLASSES)} or "
                              f"{EXPRESSION_CLASS!r}, got {cls!r}")
    if (cls == EXPRESSION_CLASS) != (g_text is not None):
        raise InvalidArgument("g_text: give G exactly for the class 'expression'")
    order: dict[str, Any] = {"id": "order", "type": "ordering", "class": cls,
                             "below": shared.name, "above": other.name}
    claim: dict[str, Any] = {"shared": shared.name, "other": other.name, "class": cls}
    if g_text is not None:
        order["G"] = claim["G"] = g_text
    extra = [
        _zero_set_obligation("overlap", shared, other.dataset, relation),
        {"id": "distinct", "type": "disjoint", "limits": [shared.name, other.name]},
        order,
    ]
    return _assemble("one-point-overlap", model, theta0, (shared, other), claim, extra)


def ball_text(part: LimitPart, digits: int = 6) -> str:
    """'(c1, c2, ...) +- r' for reports."""
    centre = ", ".join(f"{float(c):.{digits}g}" for c in part.center)
    return f"({centre}) +- {float(part.radius):.1e}"


# -- the one path: two datasets and theta0 -> a certified Overlapping verdict --------------------
@dataclass(frozen=True)
class ProverOptions:
    """Options of the validated prover for both limits (None: the prover's default).

    ``prec`` bits, ``order`` / ``sensitivity_order`` Taylor orders of the smooth steps and their
    sensitivities, ``loss_target`` (stop integrating when sup L is below it), ``t_max``.
    """

    prec: int = 64
    order: int | None = None
    sensitivity_order: int | None = None
    loss_target: Fraction | None = None
    t_max: Fraction | None = None

    def kwargs(self) -> dict[str, Any]:
        out: dict[str, Any] = {"prec": self.prec}
        for key in ("order", "sensitivity_order", "loss_target", "t_max"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


def regularizer_class(kind: str) -> str:
    """The certificate class of a One-point regularizer name (aliases allowed)."""
    name = CLASS_ALIASES.get(kind, kind)
    if name not in CLASSES:
        known = sorted(CLASSES) + sorted(CLASS_ALIASES)
        raise InvalidArgument(f"regularizer: expected one of {', '.join(known)}, got {kind!r}")
    return name


@dataclass(frozen=True)
class Regularizer:
    """A One-point regularizer: a norm class (``g`` None) or the class "expression" with G
    (``g`` the sympy expression, ``text`` its canonical text in the safe expression language,
    as the certificate's claim and ordering obligation hold it)."""

    cls: str
    text: str | None = None
    g: Any = None

    @property
    def words(self) -> str:
        """'|theta|_2', ..., or 'G = <text>' for reports."""
        return CLASSES[self.cls] if self.g is None else f"G = {self.text}"

    def value(self, point: Sequence[Fraction], theta0: Sequence[Fraction],
              parameters: Sequence[Any]) -> float:
        """N(point) (the squared Euclidean norms for norm/distance: same order), in floats:
        only to choose which limit to certify as the smaller one; the checker decides."""
        if self.g is not None:
            values = {p: sympy.Rational(v.numerator, v.denominator)
                      for p, v in zip(parameters, point, strict=True)}
            return float(sympy.N(self.g.xreplace(values), 30))
        if self.cls == "l1-norm":
            return float(sum((abs(v) for v in point), Fraction(0)))
        origin = theta0 if self.cls == "distance-to-theta0" else [Fraction(0)] * len(point)
        return float(sum(((v - o) ** 2 for v, o in zip(point, origin, strict=True)),
                         Fraction(0)))


def resolve_regularizer(kind: str, model: Model) -> Regularizer:
    """A norm class by name (:func:`regularizer_class`), else G = ``kind`` parsed as an
    expression in the model's parameter names by the safe parser
    (:func:`igproof.symbolic.expression.parse_expression`, never eval/sympify).

    Raises InvalidArgument with one line for an unknown name or malformed text.
    """
    if not isinstance(kind, str) or not kind.strip():
        raise InvalidArgument("regularizer: expected a class name or an expression in the "
                              "parameters")
    name = CLASS_ALIASES.get(kind.strip(), kind.strip())
    if name in CLASSES:
        return Regularizer(name)
    names = {str(p): p for p in model.parameters}
    try:
        g = parse_expression(kind, names)
        text = to_expression_text(g)
    except CertificateError as exc:
        known = sorted(CLASSES) + sorted(CLASS_ALIASES)
        raise InvalidArgument(f"regularizer {kind[:60]!r}: not one of {', '.join(known)} and "
                              f"not an expression in the parameters {', '.join(names)} "
                              f"({exc})") from None
    if not g.free_symbols:
        raise InvalidArgument(f"regularizer {kind[:60]!r}: a constant G orders nothing")
    return Regularizer(EXPRESSION_CLASS, text, g)


def _dataset_of(part: LimitPart) -> Dataset:
    return Dataset(part.data.x, part.data.y)


def _ball(part: LimitPart) -> tuple[list[Fraction], Fraction]:
    return part.center, part.radius


def preflight(model: Model, s1: Dataset, s2: Dataset, theta0: Sequence[Any],
              mechanism: str) -> list[ZeroLossRelation]:
    """Check the input and decide what can be decided before any limit is proved.

    Raises DataError/InvalidArgument on bad input (dimensions, theta0 length, identical
    datasets) and returns the ball-free relations [theta1 in M_S2, theta2 in M_S1].
    """
    if mechanism not in MECHANISMS:
        raise InvalidArgument(f"mechanism: expected one of {', '.join(MECHANISMS)}, got "
                              f"{mechanism!r}")
    if s1.dim != s2.dim:
        raise DataError(f"the two datasets have different input dimensions ({s1.dim} and "
                        f"{s2.dim})")
    s1.check_dim(model.dim, what="the model")
    names = [str(p) for p in model.parameters]
    if len(theta0) != len(names):
        raise DataError(f"theta0 has {len(theta0)} values but the model has {len(names)} "
                        f"parameters ({', '.join(names)})")
    if list(s1) == list(s2):
        raise DataError("the two datasets are identical: their flows have the same limit")
    return [limit_in_zero_loss_set(model, s1, s2), limit_in_zero_loss_set(model, s2, s1)]


def _ball_may_decide(model: Model, source: Dataset, target: Dataset) -> bool:
    """The zero-on-ball recipe can still apply once a limit ball is known."""
    new = target.support() - source.support()
    return bool(new) and all(y == 0 for _, y in new) and "relu" in str(model.expression)


def _not_certifiable(rel: ZeroLossRelation, what: str) -> str | None:
    if not rel.decided:
        return f"{what}: not decided ({rel.argument})"
    if rel.details.get("certificate_relation") is None:
        return f"{what}: decided, but no certificate relation expresses it ({rel.argument})"
    return None


def _limits(model: Model, s1: Dataset, s2: Dataset, theta0: Sequence[Any],
            names: Sequence[tuple[str, str]], options: ProverOptions,
            progress: Callable[[str, int, float], None] | None = None
            ) -> tuple[LimitPart, LimitPart, dict[str, Any]]:
    parts = []
    for data, (dataset, limit) in zip((s1, s2), names, strict=True):
        parts.append(trajectory_limit(gradient_flow(model, data), theta0, dataset=dataset,
                                      limit=limit, progress=progress, **options.kwargs()))
    (first, model_json), (second, _) = parts
    return first, second, model_json


def overlap_pair(model: Model, s1: Dataset, s2: Dataset, theta0: Sequence[Any],
                 mechanism: str = "two-point", *, regularizer: str | None = None,
                 names: Sequence[tuple[str, str]] = (("S1", "L1"), ("S2", "L2")),
                 options: ProverOptions = ProverOptions(),
                 parts: tuple[LimitPart, LimitPart, dict[str, Any]] | None = None,
                 evidence: str = "",
                 progress: Callable[[str, int, float], None] | None = None) -> Outcome:
    """Two-point / One-point Overlapping of (S1, S2) from theta0: PROVED iff certified.

    1. The zero-loss relations theta1 in M_S2 and theta2 in M_S1 are decided by exact algebra
       (:func:`igproof.symbolic.zero_loss.limit_in_zero_loss_set`); what no recipe decides, or
       what the certificate cannot express, ends INCONCLUSIVE before any limit is proved
       (unless a limit ball may still decide it: strictly inactive label-0 points).
    2. Both limits are proved by validated enclosures (``options``), or taken from ``parts``
       (``(first, second, model_json)``, e.g. PL end-games from theta0);
       ``progress(dataset, k, sup_loss)`` follows the provers (:func:`trajectory_limit`).
    3. The relations are decided again on the limit balls, the certificate assembled
       (Two-point: both memberships and disjoint balls; One-point: one membership, disjoint
       balls and the ordering of ``regularizer``, trying S1's limit as the shared one first)
       and re-checked by the independent checker.

    Returns
    -------
    Outcome
        PROVED with the certificate (as a file holds it) only when the checker accepts it;
        INCONCLUSIVE with the reason otherwise.

    Raises
    ------
    DataError, InvalidArgument
        Bad input: datasets of different dimension, a theta0 of the wrong length, identical
        datasets, an unknown mechanism or regularizer.

    Guarantee: enclosure (the checker decides).
    """
    reg = (resolve_regularizer(regularizer, model)
           if mechanism == "one-point" and regularizer is not None else None)
    if mechanism == "two-point" and regularizer is not None:
        raise InvalidArgument("regularizer: only One-point Overlapping takes a regularizer")
    if mechanism == "one-point" and regularizer is None:
        raise InvalidArgument(f"regularizer: One-point Overlapping needs one of "
                              f"{', '.join(sorted(CLASSES))}")
    early = preflight(model, s1, s2, theta0, mechanism)
    pending = [(rel, src, tgt) for rel, src, tgt in ((early[0], s1, s2), (early[1], s2, s1))]
    problems = [_not_certifiable(rel, f"theta_{k + 1} in M_S{2 - k}")
                for k, (rel, src, tgt) in enumerate(pending)
                if not _ball_may_decide(model, src, tgt)]
    problems = [p for p in problems if p]
    if mechanism == "two-point" and problems:
        return Outcome(Verdict.INCONCLUSIVE, "zero-loss relation " + problems[0],
                       {"reason": problems[0]})
    if mechanism == "one-point" and len(problems) == 2:
        return Outcome(Verdict.INCONCLUSIVE, "zero-loss relation " + problems[0],
                       {"reason": problems[0]})
    try:
        first, second, model_json = (parts if parts is not None
                                      else _limits(model, s1, s2, theta0, names, options,
                                                   progress))
    except CertificateError as exc:
        return Outcome(Verdict.INCONCLUSIVE, f"limit: {exc}", {"reason": str(exc)})
    theta0_q = [Fraction(t) for t in theta0]
    details: dict[str, Any] = {"limit_seconds": f"{first.seconds + second.seconds:.2f}"}
    if mechanism == "two-point":
        rel12 = limit_in_zero_loss_set(model, s1, s2, ball=_ball(first))
        rel21 = limit_in_zero_loss_set(model, s2, s1, ball=_ball(second))
        for rel, what in ((rel12, "theta_1 in M_S2"), (rel21, "theta_2 in M_S1")):
            problem = _not_certifiable(rel, what)
            if problem:
                return Outcome(Verdict.INCONCLUSIVE, "zero-loss relation " + problem,
                               {**details, "reason": problem})
        cert = two_point_certificate(
            model_json, theta0_q, first, second,
            first_in_second=rel12.details["certificate_relation"],
            second_in_first=rel21.details["certificate_relation"])
        relation_text = (rel12.argument if rel12.argument == rel21.argument
                         else f"{rel12.argument} | {rel21.argument}")
        details.update({"zero_loss_relation": relation_text,
                        "recipes": sorted(set(rel12.recipes) | set(rel21.recipes))})
        text = evidence or (f"limits {ball_text(first)} on {first.dataset} and "
                            f"{ball_text(second)} on {second.dataset} both in "
                            f"M_{first.dataset} ∩ M_{second.dataset}")
        return certify(cert, evidence=text, details=details)
    assert reg is not None
    tried = []
    for shared, other, src, tgt in ((first, second, s1, s2), (second, first, s2, s1)):
        rel = limit_in_zero_loss_set(model, src, tgt, ball=_ball(shared))
        problem = _not_certifiable(rel, f"the limit of {shared.dataset} in M_{other.dataset}")
        if problem:
            tried.append(problem)
            continue
        if not (reg.value(shared.center, theta0_q, model.parameters)
                < reg.value(other.center, theta0_q, model.parameters)):
            tried.append(f"{reg.words} at the limit of {shared.dataset} is not below its "
                         f"value at the limit of {other.dataset}")
            continue
        cert = one_point_certificate(model_json, theta0_q, shared, other,
                                     relation=rel.details["certificate_relation"],
                                     cls=reg.cls, g_text=reg.text)
        details.update({"zero_loss_relation": rel.argument, "recipes": list(rel.recipes),
                        "shared": shared.dataset})
        text = evidence or (f"theta_s {ball_text(shared)} in M_{other.dataset}, theta_o "
                            f"{ball_text(other)}, {reg.words} smaller at theta_s")
        return certify(cert, evidence=text, details=details)
    return Outcome(Verdict.INCONCLUSIVE, "; ".join(tried), {**details, "reason": tried[0]})

