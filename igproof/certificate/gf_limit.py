"""A ``gf-limit`` certificate from a :class:`~igproof.proof.limits.limit.ProvedLimit`.

Obligations (replayed by the independent checker, see docs/validated.md):

    start       theta(0) = theta0
    trajectory  the validated enclosure of theta on [0, T] (igproof/checker/trajectory.py)
    pl-endgame  PL constant lambda on the box D around theta(T)'s box
    contain     the claimed ball contains the end-game ball

A limit proved by the isolated-zero end-game (Krawczyk on p residuals, the others exact
rational combinations of them: zero loss) has ``isolated-zero`` (D, m, Y ~ J_R(m)^-1, lambda,
rows, relations) instead of ``pl-endgame``, and the same ``contain`` and claim {} (in M_S).
A Taylor segment that writes more than the checker's MAX_INTERVALS steps (counted as written:
fitted hints can cut a prover step in several) is cut into several trajectory obligations
(``trajectory``, ``trajectory-2``, ...), each starting where the last stopped. Taylor
steps are written with compact hints (short rationals rounded outward, _step_hints) unless the
checker rejects them. Every certificate respects the checker's published limits
(common.check_limits) before it is returned.

For a limit proved by the isolated end-game (a strict local minimizer, loss possibly positive)
the last two are ``isolated-endgame`` (D, its centre m, Y ~ H(m)^-1, lambda) and
``isolated-contain``, and the statement carries the claim ``{"in_zero_loss_set": "false"}``.

The certificate restates the model in the safe expression language, the dataset exactly, and
the hints (time intervals, switching brackets, Taylor and crossing steps, D, lambda). The
claimed ball is the proved ball enlarged to absorb the checker's own (independent, coarser)
rounding; its radius is reported.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy
from flint import arb, arb_mat

from igproof.certificate import picard
from igproof.certificate.common import (
    ISOLATED_CLAIM,
    MAX_INTERVALS,
    MAX_SEGMENTS,
    Rejected,
    check_limits,
    expr,
    header,
    krawczyk_ball,
    model_json,
    model_text,
    recheck,
    rejection,
    relu_atoms,
    sqrt_up,
    statement,
    substitute,
)
from igproof.errors import CertificateError, InvalidArgument
from igproof.numeric.ball.arith import arb_radius_fraction, arb_to_fraction, precision, to_arb
from igproof.numeric.ball.lohner import SENSITIVITY_ORDER
from igproof.numeric.ball.taylor import FieldProgram
from igproof.proof.limits.isolated import IsolatedEndgame, isolated_endgame
from igproof.proof.limits.isolated_zero import IsolatedZeroEndgame
from igproof.proof.limits.limit import ProvedLimit, _piece

# Each side of the claimed box theta(T) is widened by this much beyond the ball enclosure: the
# checker recomputes the enclosure with its own 160-bit interval exponentials, whose rounding
# is far below 2^-90 for the cases igproof ships.
BOX_SLACK = Fraction(1, 2 ** 90)
# Switching times are widened by this much on each side so that the checker's independent
# sign tests at t1 and t2 are decided (|z| there is ~ this times |dz/dt|).
TIME_SLACK = Fraction(1, 2 ** 100)
# Compact Taylor step hints (the default; full precision only when the checker rejects them):
# each end of a Picard trial box moves outward by at most 2^-PICARD_GRID_BITS of the interval's
# width, to the simplest rational there (the trial box of a step is ~3x its first-order image,
# so 2^-8 of its width changes nothing: the checker's 4 Picard refinements shrink it back).
PICARD_GRID_BITS = 8
# ... and by at least 2^-PICARD_FLOOR_BITS of its magnitude: a coordinate the flow keeps constant
# (an inactive unit's weights, the identity rows of V) has a trial box only ~2^-60 |y| wide,
# whose ends would otherwise need ~20 digits; 2^-48 of |y| stays far below every other
# coordinate's Picard margin (~3 h |F|).
PICARD_FLOOR_BITS = 48
# Compact Lohner matrices: each entry replaced by the simplest rational within 2^-A_BITS (A ~ an
# orthogonal Q; the checker encloses A^-1 around A^T with an error ~ |I - A^T A| ~ p^1.5 2^-A_BITS,
# which widens the Lohner set by ~ p times that per step: 2^-24 keeps 2000 steps of a
# 6-parameter flow within ~1e-3 of the full-precision replay; 2^-12 was seen to cost the claimed
# box of a 134-step flow).
A_BITS = 24
# With compact hints the checker's Lohner set is wider than the prover's, by ~ p |I - A^T A| of
# its widest side per step in every coordinate (also in one the flow keeps constant, which the
# prover encloses to rounding level) and, with fitted Picard boxes, by a wider restart after a
# crossing (vardi2021's S1 limit: 1.5x): the claimed box at the end of a trajectory obligation
# is widened on each side by COMPACT_BOX_GROWTH^(c + 1) / 4 times its widest side for the c-th
# chunk of a cut segment (each chunk restarts from the last claimed box). The end-game ball grows
# by about the box's half-diagonal, far below its arc term (~1e-12 against ~1e-6 for the
# shipped two-layer flows).
COMPACT_BOX_GROWTH = 4
# Growth per chunk of the claimed box slack when a long segment is cut (see _box_slack).
CHUNK_SLACK_GROWTH = 2 ** 8
# Growth per switch of the switching-time slack, tried in turn: 1 (every bracket widened by
# TIME_SLACK, as the shipped certificates are), then 2^4 and 2^8 per earlier switch: the
# checker's replay boxes widen after each crossing (by ~ the previous bracket), so the k-th
# sign test needs a larger margin; the claimed end box is widened by BOX_SLACK growth^k too.
TIME_SLACK_GROWTH = (1, 2 ** 4, 2 ** 8)
# Pieces each time interval of an affine segment is cut into, tried in turn when the checker
# rejects a sign test on an affine segment: the prover's intervals are decided by arb's
# exponential of M [0, dt], while the checker's range enclosure (a Taylor sum with each s^k/k!
# taken in [0, dt^k/k!] separately) is looser once ||M|| dt ~ 1; on shorter intervals it is
# tight again. Sound for any cut (the listed intervals only need to be contiguous from 0). A
# relu neuron in d = 3 with a fast label-0 pull (||M|| ~ 9, dt = 1/8) needs 2.
AFFINE_SPLITS = (1, 4, 16)
# Taylor step hints, tried in this order (see limit_certificate and _step_hints).
HINTS = ("compact", "fit", "full")
# Equal sub-steps a Taylor step is cut into, tried in turn, in "fit" hints when no Picard box of
# the whole step fits the checker's field: its uncancelled terms (c - c) can make h times its
# Lipschitz constant ~1 where the prover's is well below 1 (two-layer --bias --skip, h ~ 0.3).
FIT_SPLITS = (1, 2, 4, 8)
# Isolated-zero end-game: the claimed radius is 2 (proof radius) + this, enlarged by 2^32 up to
# ISOLATED_ZERO_TRIES - 1 times if the checker's own (160-bit) Krawczyk ball is not inside.
ISOLATED_ZERO_SLACK = Fraction(1, 2 ** 100)
ISOLATED_ZERO_TRIES = 3
# Isolated end-game: where the trajectory is cut when the checker cannot replay all of it (as
# fractions of the last segment's steps, latest first: a later cut gives a smaller ball).
ISOLATED_CUTS = (Fraction(7, 8), Fraction(3, 4), Fraction(5, 8), Fraction(1, 2), Fraction(3, 8),
                 Fraction(1, 4))
# ... and how much the cut box is widened on each side. The cuts are a fallback: the checker's
# replay is normally as tight as the arb enclosure (docs/validated.md) and the whole trajectory
# is accepted; when it is not, the replay is far looser than arb's at the cut (the old replay was
# ~1e-7 wide where arb's was ~1e-27), and 2^-20 ~ 1e-6 covers that while staying << |D|.
ISOLATED_CUT_SLACK = Fraction(1, 2 ** 20)


def _to_sympy(node: tuple, symbols: dict[str, sympy.Symbol]) -> sympy.Expr:
    tag = node[0]
    if tag == "num":
        return sympy.Rational(node[1].numerator, node[1].denominator)
    if tag == "var":
        return symbols[node[1]]
    if tag == "neg":
        return -_to_sympy(node[1], symbols)
    if tag == "pow":
        return _to_sympy(node[1], symbols) ** node[2]
    if tag in ("add", "sub", "mul", "div"):
        a, b = _to_sympy(node[1], symbols), _to_sympy(node[2], symbols)
        return {"add": a + b, "sub": a - b, "mul": a * b, "div": a / b}[tag]
    raise CertificateError(f"certificate: relu atom {node} is not polynomial")


def _box(values: list[Any], slack: Fraction) -> list[list[Fraction]]:
    out = []
    for v in values:
        mid, rad = arb_to_fraction(v), arb_radius_fraction(v)
        out.append([mid - rad - slack, mid + rad + slack])
    return out


class IsolatedLimitNotCertifiable(InvalidArgument, CertificateError):
    """A limit proved by the isolated end-game whose end-game cannot be written as a checker
    obligation (singular Hessian at D's centre, or the checker's arithmetic does not replay it).

    Both an InvalidArgument (the argument cannot be certified) and a CertificateError, so that
    callers that already handle CertificateError (igproof.search.promote) report it as a reason.
    """


@dataclass(frozen=True)
class CheckerForm:
    """A flow's model and dataset as the checker reads them: parameter and input names, the
    output in the safe expression language, the data (exact), and the residual trees."""

    params: list[str]
    inputs: list[str]
    output: str
    xs: list[list[Fraction]]
    ys: list[Fraction]
    residuals: list[tuple]

    def header(self, *, kind: str, producer: str, dataset_name: str,
               theta0: list[Fraction]) -> dict[str, Any]:
        """The certificate fields before the statement (:func:`igproof.certificate.common.
        header`) for this model and its one dataset."""
        return header(kind, producer, model=model_json(self.params, self.inputs, self.output),
                      datasets={dataset_name: {"x": self.xs, "y": self.ys}}, theta0=theta0)


def checker_form(flow: Any) -> CheckerForm:
    """The model and data of ``flow`` in the checker's language, after checking that the
    checker's relu atoms (its order: residual by residual, preorder) are the flow's kinks, one
    to one and in the same order, so that patterns mean the same on both sides.

    Raises CertificateError when they are not (only width-1 models are supported).
    """
    model, data = flow.model, flow.dataset
    params = [str(p) for p in flow.parameters]
    inputs = [str(s) for s in model.inputs]
    output = model_text(model.expression)
    ast = expr.parse(output, set(params) | set(inputs))
    xs = [list(xi) for xi in data.x]
    ys = list(data.y)
    residuals = [expr.sub(substitute(ast, dict(zip(inputs, xi, strict=True))), ("num", yi))
                 for xi, yi in zip(xs, ys, strict=True)]
    atoms = relu_atoms(residuals)
    symbols = {p: s for p, s in zip(params, flow.parameters, strict=True)}
    if len(atoms) != len(flow.kinks) or any(
            sympy.expand(_to_sympy(a, symbols) - k) != 0
            for a, k in zip(atoms, flow.kinks, strict=True)):
        raise CertificateError("certificate: the checker's relu atoms do not match the flow's "
                               "kinks one to one (only width-1 models are supported)")
    return CheckerForm(params, inputs, output, xs, ys, residuals)


def limit_certificate(result: ProvedLimit, flow: Any, *, dataset_name: str = "S",
                      limit_name: str = "L") -> dict[str, Any]:
    """The gf-limit certificate object (JSON-ready, numbers as Fractions) for ``result``.

    Raises CertificateError when the model cannot be written in the safe expression language
    or its relu atoms do not match the flow's kinks one to one.
    """
    if not isinstance(result, ProvedLimit):
        raise CertificateError("certificate: only a PROVED limit has a certificate")
    form = checker_form(flow)
    reasons: list[str] = []

    rejected_in: set[str] = set()  # methods of the segments the checker rejected
    # the switching time slack (and with it the claimed box slack) grows only per affine switch
    slacks = TIME_SLACK_GROWTH if any(seg.kind == "affine" and seg.switch is not None
                                      for seg in result.segments) else (1,)

    def accepted(hints: str) -> dict[str, Any] | None:
        """The first certificate with these hints the checker accepts, trying wider switching
        time slacks and shorter affine time intervals; None (reasons recorded) when none is."""
        growth = 0
        split: dict[int, int] = {}  # segment index -> index into AFFINE_SPLITS
        while True:
            try:
                cert = _limit_certificate(result, flow, form, dataset_name, limit_name,
                                          hints=hints, growth=slacks[growth],
                                          split={m: AFFINE_SPLITS[k] for m, k in split.items()})
                check_limits(cert)
            except IsolatedLimitNotCertifiable:
                raise  # the isolated end-game's own refusal, with its reason
            except CertificateError as exc:
                reasons.append(str(exc))
                return None
            report = recheck(cert)
            if report.accepted:
                return cert
            reasons.append(rejection(report))
            method, m = _rejected_segment(report, cert, result)
            if method:
                rejected_in.add(method)
            if (".end.time" in reasons[-1] or "claimed box" in reasons[-1]) and \
                    growth + 1 < len(slacks):
                growth += 1  # only a switching time bracket is helped by a wider slack
            elif method == "affine" and split.get(m, 0) + 1 < len(AFFINE_SPLITS):
                split[m] = split.get(m, 0) + 1  # shorter intervals on that segment only
            else:
                return None

    # Compact hints first (short outward-rounded rationals: what the replay needs, see
    # _step_hints); when the checker rejects a Taylor step, Picard boxes fitted to the field as
    # the checker re-derives it (igproof.certificate.picard: its uncancelled terms can widen
    # the image beyond the prover's box), then the full-precision hints (rounding the hints
    # outward can cost the last bit of a tight Picard inclusion). Without Taylor steps all are
    # the same certificate, so the first try is the outcome. The isolated (positive loss)
    # end-game keeps full hints: its Krawczyk ball is built on the reached box, which compact
    # hints widen.
    taylor = any(seg.kind == "taylor" for seg in result.segments)
    cert = None
    if not isinstance(result.endgame, IsolatedEndgame):
        cert = accepted("compact")
        if cert is None and "taylor" in rejected_in:
            cert = accepted("fit")
    if cert is None and (taylor or isinstance(result.endgame, IsolatedEndgame)):
        cert = accepted("full")
    if cert is not None:
        return cert
    raise CertificateError("certificate: not accepted by the independent checker ("
                           + "; ".join(r[:200] for r in reasons) + ")")


def _limit_certificate(result: ProvedLimit, flow: Any, form: CheckerForm, dataset_name: str,
                       limit_name: str, *, hints: str = "compact", growth: int = 1,
                       split: dict[int, int] | None = None) -> dict[str, Any]:
    """The certificate with Taylor step hints ``hints`` ("compact", "fit" or "full", see
    _step_hints); the k-th affine switching time bracket is widened by TIME_SLACK growth^k,
    and every time interval of affine segment m cut into ``split[m]`` equal pieces."""
    if hints not in HINTS:
        raise InvalidArgument(f"hints: expected one of {HINTS}, got {hints!r}")
    start = [{"id": "start", "type": "start", "dataset": dataset_name,
              "box": [[q, q] for q in result.theta0]},
             *_trajectories(result, dataset_name, hints=hints, growth=growth, split=split,
                            form=form)]
    box_T = start[-1]["box"]
    eg = result.endgame
    last_id = start[-1]["id"]
    head = form.header(kind="gf-limit",
                       producer="igproof.proof.limit_certificate (validated arb enclosure)",
                       dataset_name=dataset_name, theta0=list(result.theta0))
    if isinstance(eg, IsolatedEndgame):
        return _isolated_certificate(result, flow, head, start, form.residuals, form.params,
                                     box_T, dataset_name, limit_name)
    if isinstance(eg, IsolatedZeroEndgame):
        return _isolated_zero_certificate(result, flow, head, start, box_T, dataset_name,
                                          limit_name)
    half2 = sum(((hi - lo) / 2) ** 2 for lo, hi in box_T)
    centre_T = [(lo + hi) / 2 for lo, hi in box_T]
    shift2 = sum((c - e) ** 2 for c, e in zip(centre_T, eg.centre, strict=True))
    # the checker's end-game ball: radius half-diagonal + sqrt(2 sup L / mu) over the claimed
    # box, around centre_T; sup L is recomputed here over that box in ball arithmetic
    with precision(result.prec):
        env = [to_arb(lo).union(to_arb(hi)) for lo, hi in box_T]
        _, res, _, _ = _piece(flow, _full_pattern(result))
        loss = arb(0)
        for v in FieldProgram(flow.parameters, res).evaluate(env):
            loss = loss + v * v
        arc_arb = (arb((loss / len(res)).upper()) / to_arb(eg.mu)).sqrt()
        arc = arb_to_fraction(arb(arc_arb.upper())) + arb_radius_fraction(arb(arc_arb.upper()))
    bound = sqrt_up(half2) + arc + sqrt_up(shift2)
    radius = max(bound, result.radius_upper) * 2
    limits = {limit_name: {"dataset": dataset_name, "center": list(eg.centre),
                           "radius": radius}}
    obligations = [
        *start,
        {"id": "endgame", "type": "pl-endgame", "dataset": dataset_name, "start": last_id,
         "domain": [list(b) for b in eg.box_D], "lambda": eg.lam, "cover": "L"},
        {"id": "contain", "type": "contain", "limit": limit_name, "endgame": "endgame"},
    ]
    return {**head, "statement": statement("gf-limit", {"limits": limits, "claim": {}}),
            "obligations": obligations}


def _isolated_certificate(result: ProvedLimit, flow: Any, header: dict[str, Any],
                          start: list[dict[str, Any]], residuals: list[tuple], params: list[str],
                          box_T: list[list[Fraction]], dataset_name: str,
                          limit_name: str) -> dict[str, Any]:
    """start -> trajectory -> isolated-endgame -> isolated-contain, statement variant
    ``{"in_zero_loss_set": "false"}`` (a strict local minimizer, loss possibly positive).

    Candidates are tried in turn: the whole trajectory with the proof's end-game (the usual
    outcome: the checker's replay is as tight as the arb enclosure), then, as a fallback for a
    replay that does not reach the end, the trajectory cut after earlier steps of the last
    (Taylor) segment with a box widened by ISOLATED_CUT_SLACK and a fresh end-game on it. Each
    candidate is checked with the independent checker; the first it accepts is returned. The
    claimed ball then holds the checker's Krawczyk ball (and, for the whole trajectory, the
    proof's ball).
    """
    last = result.segments[-1]
    candidates: list[tuple[list[dict[str, Any]], list[list[Fraction]], Any, bool]] = [
        (start, box_T, result.endgame, True)]
    if last.kind == "taylor" and len(last.steps) > 1 and len(start) == 2:
        n_steps = len(last.steps)
        _, res, kinks, signs = _piece(flow, _full_pattern(result))
        loss = sum((r ** 2 for r in res), sympy.Integer(0)) / (2 * len(res))
        for frac in ISOLATED_CUTS:
            k = int(n_steps * frac) - 1
            if k < 0:
                continue
            with precision(result.prec):
                box_k = [h + arb(0, float(ISOLATED_CUT_SLACK)) for h in last.steps[k].hull_after]
                eg_k = isolated_endgame(flow.parameters, loss, box_k, prec=result.prec,
                                        kinks=kinks, pattern=signs)
            if not isinstance(eg_k, IsolatedEndgame):
                continue
            cut_box = _box(box_k, BOX_SLACK)
            traj = dict(start[1], box=cut_box)
            seg = dict(traj["segments"][-1], steps=traj["segments"][-1]["steps"][:k + 1])
            traj["segments"] = [*traj["segments"][:-1], seg]
            candidates.append(([start[0], traj], cut_box, eg_k, False))
    reasons = []
    failed_step = None  # index of the first step the checker could not replay, if known
    for obs, box_c, eg, whole in candidates:
        n_cut = len(obs[-1]["segments"][-1].get("steps", ()))
        if failed_step is not None and n_cut > failed_step:
            continue
        try:
            cert = _isolated_candidate(result, flow, header, obs, residuals, params, box_c, eg,
                                       whole, dataset_name, limit_name)
        except IsolatedLimitNotCertifiable as exc:
            reasons.append(str(exc))
            continue
        report = recheck(cert)
        if report.accepted:
            return cert
        for o in report.obligations:
            if o["type"] == "trajectory" and o["status"] == "rejected":
                failed_step = _failed_step(o, len(obs[-1]["segments"]) - 1)
        reasons.append(rejection(report))
    raise IsolatedLimitNotCertifiable(
        "result: no isolated end-game certificate is accepted by the independent checker ("
        + "; ".join(str(r)[:160] for r in reasons) + ")")


def _isolated_candidate(result: ProvedLimit, flow: Any, header: dict[str, Any],
                        start: list[dict[str, Any]], residuals: list[tuple], params: list[str],
                        box_T: list[list[Fraction]], eg: IsolatedEndgame, whole: bool,
                        dataset_name: str, limit_name: str) -> dict[str, Any]:
    """One candidate certificate: D and lambda from ``eg``, m = D's exact midpoint, Y a
    rational approximation of H(m)^-1 (any Y is sound; a good one makes K(D) small)."""
    domain = [list(b) for b in eg.box_D]
    m = [(lo + hi) / 2 for lo, hi in eg.box_D]
    p = len(params)
    with precision(result.prec):
        _, res, _, _ = _piece(flow, _full_pattern(result))
        loss = sum((r ** 2 for r in res), sympy.Integer(0)) / (2 * len(res))
        grad = [sympy.diff(loss, v) for v in flow.parameters]
        hess = [sympy.diff(g, v) for g in grad for v in flow.parameters]
        H_m = FieldProgram(flow.parameters, hess).evaluate([to_arb(c) for c in m])
        H = arb_mat([[arb(H_m[i * p + j].mid()) for j in range(p)] for i in range(p)])
        try:
            H_inv = H.inv()
        except ZeroDivisionError:
            raise IsolatedLimitNotCertifiable(
                "result: the Hessian at the centre of the end-game box is not invertible in "
                "ball arithmetic, so no Krawczyk matrix Y can be written") from None
        Y = [[arb_to_fraction(arb(H_inv[i, j].mid())) for j in range(p)] for i in range(p)]
    try:
        ball = krawczyk_ball(residuals, params, [tuple(b) for b in domain], m, Y, eg.lam,
                             [tuple(b) for b in box_T])
    except Rejected as exc:
        raise IsolatedLimitNotCertifiable(
            f"result: the isolated end-game does not replay in the checker's arithmetic ({exc})"
        ) from None
    radius = ball.radius
    if whole:  # the proof's ball is about the same limit: claim a ball holding both
        shift2 = sum(((c - e) ** 2 for c, e in zip(ball.center, result.centre, strict=True)),
                     Fraction(0))
        radius = max(radius, sqrt_up(shift2) + result.radius_upper)
    limits = {limit_name: {"dataset": dataset_name, "center": list(ball.center),
                           "radius": radius}}
    claim = {ISOLATED_CLAIM: "false"}
    obligations = [
        *start,
        {"id": "endgame", "type": "isolated-endgame", "dataset": dataset_name,
         "start": start[-1]["id"], "domain": domain, "point": m, "inverse": Y,
         "lambda": eg.lam},
        {"id": "contain", "type": "isolated-contain", "limit": limit_name, "endgame": "endgame"},
    ]
    return {**header, "statement": statement("gf-limit", {"limits": limits, "claim": claim}),
            "obligations": obligations}


def _isolated_zero_certificate(result: ProvedLimit, flow: Any, header: dict[str, Any],
                               start: list[dict[str, Any]], box_T: list[list[Fraction]],
                               dataset_name: str, limit_name: str) -> dict[str, Any]:
    """start -> trajectory -> isolated-zero -> contain, statement claim {} (zero loss, in M_S).

    D and lambda come from the proof's end-game, m is D's exact midpoint and Y a rational
    approximation of J_R(m)^-1 (any Y is sound); the rows and exact relations are the proof's.
    The claimed ball holds the proof's ball and the checker's (refined Krawczyk) ball: twice
    the proof's radius plus ISOLATED_ZERO_SLACK, confirmed by the checker before it is returned
    (ISOLATED_ZERO_TRIES enlargements).
    """
    eg = result.endgame
    assert isinstance(eg, IsolatedZeroEndgame)
    domain = [list(b) for b in eg.box_D]
    m = [(lo + hi) / 2 for lo, hi in eg.box_D]
    p = len(flow.parameters)
    with precision(result.prec):
        _, res, _, _ = _piece(flow, _full_pattern(result))
        r_R = [sympy.expand(res[i]) for i in eg.rows]
        jac = [sympy.diff(r, v) for r in r_R for v in flow.parameters]
        J_m = FieldProgram(flow.parameters, jac).evaluate([to_arb(c) for c in m])
        J = arb_mat([[arb(J_m[i * p + j].mid()) for j in range(p)] for i in range(p)])
        try:
            J_inv = J.inv()
        except ZeroDivisionError:
            raise CertificateError("certificate: the chosen residuals' Jacobian at the centre of "
                                   "the end-game box is not invertible") from None
        Y = [[arb_to_fraction(arb(J_inv[i, j].mid())) for j in range(p)] for i in range(p)]
    relations = [{"row": j, "combination": list(c)} for j, c in sorted(eg.relations.items())]
    obligations = [
        *start,
        {"id": "endgame", "type": "isolated-zero", "dataset": dataset_name,
         "start": start[-1]["id"], "domain": domain, "point": m, "inverse": Y,
         "lambda": eg.lam, "rows": list(eg.rows), "relations": relations},
        {"id": "contain", "type": "contain", "limit": limit_name, "endgame": "endgame"},
    ]
    radius = 2 * result.radius_upper + ISOLATED_ZERO_SLACK
    reason = ""
    for _ in range(ISOLATED_ZERO_TRIES):
        limits = {limit_name: {"dataset": dataset_name, "center": list(eg.centre),
                               "radius": radius}}
        cert = {**header, "statement": statement("gf-limit", {"limits": limits, "claim": {}}),
                "obligations": obligations}
        report = recheck(cert)
        if report.accepted:
            return cert
        reason = rejection(report)
        if not reason.startswith("contain:"):
            return cert  # rejected before the claim: limit_certificate reports or retries
        radius = radius * 2 ** 32
    raise CertificateError(f"certificate: the isolated-zero end-game is not accepted by the "
                           f"checker ({reason})")


def _written_steps(seg: Any, hints: str, form: CheckerForm | None) -> list[list[dict[str, Any]]]:
    """The certificate steps of a Taylor segment, per prover step: one step with its hints, or
    with "fit" hints the sub-steps with Picard boxes fitted to the checker's field."""
    if hints != "fit":
        return [[_step_hints(st, hints != "full")] for st in seg.steps]
    if form is None:
        raise InvalidArgument("form: fitted Picard boxes need the checker form")
    program = picard.checker_field(form.params, form.residuals, list(seg.pattern or ()))
    return [_fitted_steps(program, st, list(seg.start if k == 0 else seg.steps[k - 1].hull_after),
                          _step_hints(st, True))
            for k, st in enumerate(seg.steps)]


def _chunks(sizes: Sequence[int], most: int) -> list[tuple[int, int]]:
    """Cut 0..len(sizes) into the fewest consecutive ranges [a, b) with sum(sizes[a:b]) <= most
    (greedy; every size <= most), at least one range."""
    bounds: list[tuple[int, int]] = []
    start, total = 0, 0
    for k, size in enumerate(sizes):
        if total + size > most and k > start:
            bounds.append((start, k))
            start, total = k, 0
        total += size
    bounds.append((start, len(sizes)))
    return bounds


def _segment_entry(result: ProvedLimit, m: int, first_step: int, last_step: int, *,
                   first: bool, last: bool, slack: Fraction, split: int = 1,
                   written: list[list[dict[str, Any]]] | None = None) -> dict[str, Any]:
    """The certificate entry of segment m (for a Taylor segment, of its steps first_step to
    last_step - 1, as ``written`` by :func:`_written_steps`): the just_switched atom only on
    the segment's first chunk, the crossing only on its last; each time interval of an affine
    segment cut into ``split`` equal pieces."""
    seg = result.segments[m]
    if seg.kind == "taylor":
        if written is None:
            raise InvalidArgument("written: a Taylor segment needs its written steps")
        out = [step for k in range(first_step, last_step) for step in written[k]]
        tentry: dict[str, Any] = {
            "method": "taylor", "pattern": list(seg.pattern or ()), "order": seg.order,
            "sensitivity_order": seg.sensitivity_order or SENSITIVITY_ORDER, "steps": out}
        if first and m > 0 and result.segments[m - 1].switch_kink is not None:
            tentry["just_switched"] = result.segments[m - 1].switch_kink
        if last and seg.switch_kink is not None:  # the last step is the certified crossing
            tentry["end"] = {"kind": "switch", "atom": seg.switch_kink}
        return tentry
    intervals = [[a + (b - a) * j / split, a + (b - a) * (j + 1) / split]
                 for a, b in seg.intervals for j in range(split)]
    end: dict[str, Any] = {"kind": "stop"}
    if seg.switch is not None:
        t = seg.switch.t
        t1 = arb_to_fraction(t) - arb_radius_fraction(t) - slack
        t2 = arb_to_fraction(t) + arb_radius_fraction(t) + slack
        a, b = seg.switch.bracket
        t1, t2 = max(t1, a), min(t2, b)
        gap, (a, b) = _shrunk_bracket(a, b, t1, t2, split)
        intervals += gap
        end = {"kind": "switch", "atom": seg.switch_kink, "bracket": [a, b], "time": [t1, t2]}
    if len(intervals) > MAX_INTERVALS:
        raise CertificateError(f"certificate: affine segment {m} has {len(intervals)} time "
                               f"intervals, the checker accepts at most {MAX_INTERVALS}")
    entry: dict[str, Any] = {"method": "affine", "pattern": list(seg.pattern or ()),
                             "intervals": intervals}
    if m > 0 and result.segments[m - 1].switch_kink is not None:
        entry["just_switched"] = result.segments[m - 1].switch_kink
    entry["end"] = end
    return entry


def _shrunk_bracket(a: Fraction, b: Fraction, t1: Fraction, t2: Fraction, split: int
                    ) -> tuple[list[list[Fraction]], tuple[Fraction, Fraction]]:
    """The switching bracket [a, b] (holding the switching times [t1, t2]) cut to about
    (b - a) / split around [t1, t2], and the time intervals that fill [a, a'] before it.

    With q = (b - a) / (4 split): a' = a + q (floor((t1 - a) / q) - 1) (so t1 - a' >= q: the
    atom keeps a margin ~ q |dz/dt| on the last filling interval), b' the first grid point
    above t2 plus q (at most b), and [a, a'] cut into intervals of length q. Every trajectory
    still crosses in [t1, t2] inside [a', b']; the checker's range enclosure over the short
    bracket decides the rate and the other atoms' signs where the long one could not.
    """
    if split == 1:
        return [], (a, b)
    q = (b - a) / (4 * split)
    n = max(0, math.floor((t1 - a) / q) - 1)
    a_new = a + n * q
    b_new = min(b, a_new + q * (math.ceil((t2 - a_new) / q) + 1))
    return [[a + j * q, a + (j + 1) * q] for j in range(n)], (a_new, b_new)


def _trajectories(result: ProvedLimit, dataset_name: str, *, hints: str, growth: int,
                  split: dict[int, int] | None = None, form: CheckerForm | None = None
                  ) -> list[dict[str, Any]]:
    """The trajectory obligations: one, unless a Taylor segment has more steps than the
    checker's MAX_INTERVALS; it is then cut into chunks of at most MAX_INTERVALS steps, each
    chunk after the first starting a new trajectory obligation from the (slightly widened)
    enclosure where the previous one stopped (any start box is sound; the Lohner set restarts
    there). The segment count per obligation is at most MAX_SEGMENTS. Empty when the flow
    started inside the end-game's reach (no step at all: the end-game starts from theta0)."""
    if all(seg.kind == "taylor" and not seg.steps for seg in result.segments):
        return []
    out: list[dict[str, Any]] = []
    current: list[dict[str, Any]] = []
    switches = 0

    def close(box: list[list[Fraction]]) -> None:
        ident = "trajectory" if not out else f"trajectory-{len(out) + 1}"
        prev = "start" if not out else out[-1]["id"]
        if len(current) > MAX_SEGMENTS:
            raise CertificateError(f"certificate: a trajectory of {len(current)} segments, the "
                                   f"checker accepts at most {MAX_SEGMENTS}")
        out.append({"id": ident, "type": "trajectory", "dataset": dataset_name, "start": prev,
                    "segments": list(current), "box": box})
        current.clear()

    for m, seg in enumerate(result.segments):
        if seg.kind != "taylor":
            slack = TIME_SLACK * growth ** switches
            switches += seg.switch is not None
            current.append(_segment_entry(result, m, 0, len(seg.steps), first=True, last=True,
                                          slack=slack, split=(split or {}).get(m, 1)))
            continue
        # chunks are cut by the steps written (fitting can cut a prover step into several)
        written = _written_steps(seg, hints, form)
        chunks = _chunks([len(w) for w in written], MAX_INTERVALS)
        for c, (k, end) in enumerate(chunks):
            is_last = c == len(chunks) - 1
            current.append(_segment_entry(result, m, k, end, first=c == 0, last=is_last,
                                          slack=TIME_SLACK, written=written))
            if not is_last:
                close(_claimed_box(seg.steps[end - 1].hull_after,
                                   _box_slack(growth, switches, len(out)), hints, len(out)))
    taylor = any(seg.kind == "taylor" for seg in result.segments)
    close(_claimed_box(result.box_T, _box_slack(growth, switches, len(out)),
                       hints if taylor else "full", len(out)))
    return out


def _claimed_box(values: list[Any], slack: Fraction, hints: str,
                 chunk: int) -> list[list[Fraction]]:
    """The claimed box around the enclosure ``values``: each side widened by ``slack``, and
    with compact or fitted hints also by COMPACT_BOX_GROWTH^(chunk + 1) / 4 of the widest
    side (``hints`` "full" for a trajectory without Taylor steps: no hint is rounded)."""
    if hints == "full":
        return _box(values, slack)
    widest = max(2 * arb_radius_fraction(v) for v in values)
    return _box(values, slack + widest * COMPACT_BOX_GROWTH ** (chunk + 1) / 4)


def _box_slack(growth: int, switches: int, chunk: int) -> Fraction:
    """Widening of a claimed trajectory box: BOX_SLACK, times growth per earlier switch and
    CHUNK_SLACK_GROWTH per earlier chunk (a chunk restarts from the previous claimed box, so its
    replay is wider by about that box's slack)."""
    return BOX_SLACK * growth ** switches * CHUNK_SLACK_GROWTH ** chunk


def _fitted_steps(program: picard.FieldProgram, st: Any, before: list[arb],
                  hint: dict[str, Any]) -> list[dict[str, Any]]:
    """The step ``st`` as n equal sub-steps (n from FIT_SPLITS, the first that fits; a
    crossing step stays whole) with Picard boxes fitted to the checker's field
    (:func:`igproof.certificate.picard.fit_trial`) and the step's Lohner matrix A: any
    sub-step with a box that passes the checker's Picard test is a valid validated step. The
    first sub-step starts from the hull ``before``, the others from its union with the hull
    after the step (where the prover's enclosure says the flow is)."""
    splits = FIT_SPLITS if st.crossing is None else (1,)
    middle = [a.union(b) for a, b in zip(before, st.hull_after, strict=True)]
    failure: CertificateError | None = None
    for n in splits:
        h = st.h / n
        try:
            return [{"h": h, "picard": picard.fit_trial(program, before if j == 0 else middle,
                                                          hint["picard"], h, _outward),
                     "A": hint["A"]} for j in range(n)]
        except CertificateError as exc:
            failure = exc
    assert failure is not None
    raise failure


def _step_hints(st: Any, compact: bool) -> dict[str, Any]:
    """A Taylor step's hints: h, the Picard trial box and the Lohner matrix A. Compact hints
    move each end of the trial box outward by at most 2^-PICARD_GRID_BITS of its width and A's
    entries by at most 2^-A_BITS, each to the simplest rational there (the shortest text): both
    stay sound (the checker verifies the Picard inclusion of whatever box it is given, and any
    invertible A is a valid Lohner coordinate matrix)."""
    if not compact:
        return {"h": st.h, "picard": _box(st.trial, Fraction(0)), "A": st.A}
    return {"h": st.h, "picard": [_outward(lo, hi) for lo, hi in _box(st.trial, Fraction(0))],
            "A": [[_near(q, A_BITS) for q in row] for row in st.A]}


def _outward(lo: Fraction, hi: Fraction) -> list[Fraction]:
    """[lo', hi'] containing [lo, hi]: lo' the simplest rational in [lo - d, lo], hi' in
    [hi, hi + d], d = 2^-PICARD_GRID_BITS (hi - lo), at least 2^-PICARD_FLOOR_BITS max(|lo|,
    |hi|)."""
    d = max((hi - lo) / (1 << PICARD_GRID_BITS),
            max(abs(lo), abs(hi)) / (1 << PICARD_FLOOR_BITS))
    return [simplest_between(lo - d, lo), simplest_between(hi, hi + d)]


def _near(q: Fraction, bits: int) -> Fraction:
    """The simplest rational within 2^-bits of q."""
    e = Fraction(1, 1 << bits)
    return simplest_between(q - e, q + e)


def simplest_between(lo: Fraction, hi: Fraction) -> Fraction:
    """The rational p/q in [lo, hi] with the least q (and then the least |p|): the shortest text.

    Continued fractions: with f = floor(a), [a, b] holds an integer (take the least one >= a,
    or 0 across zero), or a = f + 1/y with y in [1/(b - f), 1/(a - f)]; the convergent matrix
    accumulates the partial quotients.

    >>> simplest_between(Fraction(3, 10), Fraction(7, 20))
    Fraction(1, 3)
    >>> simplest_between(Fraction(-22, 7), Fraction(-3))
    Fraction(-3, 1)
    >>> simplest_between(Fraction(314159, 100000), Fraction(314160, 100000))
    Fraction(355, 113)
    """
    if lo > hi:
        raise InvalidArgument(f"simplest_between: lower end {lo} above upper end {hi}")
    if lo <= 0 <= hi:
        return Fraction(0)
    if hi < 0:
        return -simplest_between(-hi, -lo)
    p0, q0, p1, q1 = 0, 1, 1, 0  # x = (p1 y + p0) / (q1 y + q0), y the remaining tail
    a, b = Fraction(lo), Fraction(hi)
    while True:
        f = math.floor(a)
        if f == a or f + 1 <= b:
            n = f if f == a else f + 1
            return Fraction(p1 * n + p0, q1 * n + q0)
        p0, q0, p1, q1 = p1, q1, f * p1 + p0, f * q1 + q0
        a, b = 1 / (b - f), 1 / (a - f)


def _full_pattern(result: ProvedLimit) -> tuple[int, ...] | None:
    return result.segments[-1].pattern



def _rejected_segment(report: Any, cert: dict[str, Any], result: ProvedLimit
                      ) -> tuple[str | None, int]:
    """(method, m): the method ("affine" or "taylor") of the segment where the checker rejected
    a trajectory obligation of ``cert`` (the structured ``segment`` of its report entry) and the
    index m of that segment in ``result.segments``; (None, -1) when no trajectory was rejected
    in a segment. The obligations list the segments in order, a Taylor segment longer than
    MAX_INTERVALS steps as several chunks (see _trajectories)."""
    origins = [m for m, seg in enumerate(result.segments)
               for _ in range(1 if seg.kind != "taylor" or len(seg.steps) <= MAX_INTERVALS
                              else math.ceil(len(seg.steps) / MAX_INTERVALS))]
    before = 0
    for ob in cert["obligations"]:
        if ob["type"] != "trajectory":
            continue
        entry = next((e for e in report.obligations if e.get("id") == ob["id"]), None)
        segment = None if entry is None else entry.get("segment")
        if (entry is not None and entry.get("status") == "rejected"
                and isinstance(segment, int) and 0 <= segment < len(ob["segments"])):
            where = before + segment
            return (str(ob["segments"][segment]["method"]),
                    origins[where] if where < len(origins) else -1)
        before += len(ob["segments"])
    return None, -1


def _failed_step(entry: dict[str, Any], last: int) -> int | None:
    """The index of the step of the last segment (index ``last``) the checker could not
    replay, from a rejected trajectory entry of its report (the structured ``segment`` and
    ``step`` of the checker's Rejected): -1 when an earlier segment failed (no cut helps), None
    when the report does not say."""
    segment, step = entry.get("segment"), entry.get("step")
    if isinstance(segment, int) and segment < last:
        return -1
    return step if isinstance(step, int) else None
