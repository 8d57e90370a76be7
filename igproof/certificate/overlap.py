"""Two-point and One-point Overlapping: build the pair (S1, S2), prove both limits, certify.

Mathematics (docs/implicit_regularization.md, arXiv:2201.12198). theta_k = lim theta(t) of the
gradient flow from theta0 on S_k.

- Two-point: theta1 != theta2 and both lie in M_S1 ∩ M_S2. Then no G characterizes the implicit
  regularization in the strong form (S1 forces G(theta1) < G(theta2), S2 the reverse).
- One-point: theta_s (limit of S_s) lies in M_S_o and differs from theta_o (limit of S_o); if
  N(theta_s) <= N(theta_o) for N = |theta|_2 or |theta - theta0|_2, then no nondecreasing
  function of N characterizes it in the strong form (S_o forces G(theta_o) < G(theta_s)).

A constructor proves each limit (a validated trajectory enclosure replayed by the checker, or a
Polyak-Lojasiewicz end-game from theta0 localized by conserved quantities), decides the
zero-loss-set relation by exact algebra (:mod:`igproof.symbolic.zero_loss`), assembles a
``two-point-overlap`` / ``one-point-overlap`` certificate, and runs the independent checker on
it. The verdict is PROVED only when the checker accepts the certificate.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from igproof.certificate.common import header, statement
from igproof.certificate.gf_limit import limit_certificate
from igproof.certificate.pl_start import DatasetSpec, ModelSpec, gf_limit_part
from igproof.errors import CertificateError, InvalidArgument
from igproof.proof.limits.limit import ProvedLimit, prove_flow_limit

# The zero-set relations the checker knows (igproof/checker/obligations.py, ``zero-set``).
RELATIONS = ("same-support", "subset", "zero-on-ball", "scaled-label-zero")
# The classes of G a One-point certificate can exclude (the checker's ``ordering`` classes).
CLASSES = {"norm": "|theta|_2", "distance-to-theta0": "|theta - theta0|_2",
           "l1-norm": "|theta|_1"}
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
                     order: int | None = None, sensitivity_order: int | None = None
                     ) -> tuple[LimitPart, dict[str, Any]]:
    """lim theta(t) on ``flow`` from theta0 by a validated enclosure the checker replays.

    Uses :func:`igproof.proof.limits.limit.prove_flow_limit` (affine ReLU pieces with certified
    switching or validated Taylor steps, integrated until sup L < ``loss_target`` (default
    2^-(1.5 prec)), then a PL end-game) and
    :func:`igproof.certificate.gf_limit.limit_certificate`; returns the limit part and the
    model in certificate form. ``order`` is the Taylor order of the validated smooth steps
    (default: prove_flow_limit's); the checker's replay cost grows with its square, and with the
    square of ``sensitivity_order`` (the Taylor order of the sensitivity matrices) times p^2.

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
    result = prove_flow_limit(flow, theta0, prec=prec, loss_target=loss_target, **options)
    if not isinstance(result, ProvedLimit):
        raise CertificateError(f"limit {limit} on {dataset}: not proved ({result.reason})")
    if not result.in_zero_loss_set:
        raise CertificateError(f"limit {limit} on {dataset}: a strict local minimizer with "
                               "positive loss, not in the zero-loss set")
    cert = limit_certificate(result, flow, dataset_name=dataset, limit_name=limit)
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
                          cls: str) -> dict[str, Any]:
    """The ``one-point-overlap`` certificate: theta_s (``shared``) lies in M of ``other``'s
    dataset, theta_s != theta_o, and sup N over ball(theta_s) <= inf N over ball(theta_o)
    for N of class ``cls`` ("norm", "distance-to-theta0" or "l1-norm")."""
    if cls not in CLASSES:
        raise InvalidArgument(f"cls: expected one of {sorted(CLASSES)}, got {cls!r}")
    extra = [
        _zero_set_obligation("overlap", shared, other.dataset, relation),
        {"id": "distinct", "type": "disjoint", "limits": [shared.name, other.name]},
        {"id": "order", "type": "ordering", "class": cls, "below": shared.name,
         "above": other.name},
    ]
    return _assemble("one-point-overlap", model, theta0, (shared, other),
                     {"shared": shared.name, "other": other.name, "class": cls}, extra)


def ball_text(part: LimitPart, digits: int = 6) -> str:
    """'(c1, c2, ...) +- r' for reports."""
    centre = ", ".join(f"{float(c):.{digits}g}" for c in part.center)
    return f"({centre}) +- {float(part.radius):.1e}"
