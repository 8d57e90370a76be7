"""A ``gf-limit`` certificate from a :class:`~igproof.proof.limits.limit.ProvedLimit`.

Obligations (replayed by the independent checker, see docs/validated.md):

    start       theta(0) = theta0
    trajectory  the validated enclosure of theta on [0, T] (igproof/checker/trajectory.py)
    pl-endgame  PL constant lambda on the box D around theta(T)'s box
    contain     the claimed ball contains the end-game ball

For a limit proved by the isolated end-game (a strict local minimizer, loss possibly positive)
the last two are ``isolated-endgame`` (D, its centre m, Y ~ H(m)^-1, lambda) and
``isolated-contain``, and the statement carries the claim ``{"in_zero_loss_set": "false"}``.

The certificate restates the model in the safe expression language, the dataset exactly, and
the hints (time intervals, switching brackets, Taylor and crossing steps, D, lambda). The
claimed ball is the proved ball enlarged to absorb the checker's own (independent, coarser)
rounding; its radius is reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy
from flint import arb, arb_mat

from igproof.certificate.common import (
    ISOLATED_CLAIM,
    Rejected,
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
from igproof.proof.limits.limit import ProvedLimit, _piece

# Each side of the claimed box theta(T) is widened by this much beyond the ball enclosure: the
# checker recomputes the enclosure with its own 160-bit interval exponentials, whose rounding
# is far below 2^-90 for the cases igproof ships.
BOX_SLACK = Fraction(1, 2 ** 90)
# Switching times are widened by this much on each side so that the checker's independent
# sign tests at t1 and t2 are decided (|z| there is ~ this times |dz/dt|).
TIME_SLACK = Fraction(1, 2 ** 100)
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
    segments = []
    for m, seg in enumerate(result.segments):
        if seg.kind == "taylor":
            tentry: dict[str, Any] = {
                "method": "taylor", "pattern": list(seg.pattern or ()), "order": seg.order,
                "sensitivity_order": seg.sensitivity_order or SENSITIVITY_ORDER,
                "steps": [{"h": st.h, "picard": _box(st.trial, Fraction(0)), "A": st.A}
                          for st in seg.steps]}
            if m > 0 and result.segments[m - 1].switch_kink is not None:
                tentry["just_switched"] = result.segments[m - 1].switch_kink
            if seg.switch_kink is not None:  # the last step is the certified crossing step
                tentry["end"] = {"kind": "switch", "atom": seg.switch_kink}
            segments.append(tentry)
            continue
        entry: dict[str, Any] = {"method": "affine", "pattern": list(seg.pattern or ()),
                                 "intervals": [[a, b] for a, b in seg.intervals]}
        if m > 0 and result.segments[m - 1].switch_kink is not None:
            entry["just_switched"] = result.segments[m - 1].switch_kink
        if seg.switch is None:
            entry["end"] = {"kind": "stop"}
        else:
            t = seg.switch.t
            t1 = arb_to_fraction(t) - arb_radius_fraction(t) - TIME_SLACK
            t2 = arb_to_fraction(t) + arb_radius_fraction(t) + TIME_SLACK
            a, b = seg.switch.bracket
            t1, t2 = max(t1, a), min(t2, b)
            entry["end"] = {"kind": "switch", "atom": seg.switch_kink,
                            "bracket": [a, b], "time": [t1, t2]}
        segments.append(entry)
    eg = result.endgame
    box_T = _box(result.box_T, BOX_SLACK)
    start = [
        {"id": "start", "type": "start", "dataset": dataset_name,
         "box": [[q, q] for q in result.theta0]},
        {"id": "trajectory", "type": "trajectory", "dataset": dataset_name, "start": "start",
         "segments": segments, "box": box_T},
    ]
    head = form.header(kind="gf-limit",
                       producer="igproof.proof.limit_certificate (validated arb enclosure)",
                       dataset_name=dataset_name, theta0=list(result.theta0))
    if isinstance(eg, IsolatedEndgame):
        return _isolated_certificate(result, flow, head, start, form.residuals, form.params,
                                     box_T, dataset_name, limit_name)
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
        {"id": "endgame", "type": "pl-endgame", "dataset": dataset_name, "start": "trajectory",
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
    if last.kind == "taylor" and len(last.steps) > 1:
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
         "start": "trajectory", "domain": domain, "point": m, "inverse": Y, "lambda": eg.lam},
        {"id": "contain", "type": "isolated-contain", "limit": limit_name, "endgame": "endgame"},
    ]
    return {**header, "statement": statement("gf-limit", {"limits": limits, "claim": claim}),
            "obligations": obligations}


def _full_pattern(result: ProvedLimit) -> tuple[int, ...] | None:
    return result.segments[-1].pattern



def _failed_step(entry: dict[str, Any], last: int) -> int | None:
    """The index of the step of the last segment (index ``last``) the checker could not
    replay, from a rejected trajectory entry of its report (the structured ``segment`` and
    ``step`` of the checker's Rejected): -1 when an earlier segment failed (no cut helps), None
    when the report does not say."""
    segment, step = entry.get("segment"), entry.get("step")
    if isinstance(segment, int) and segment < last:
        return -1
    return step if isinstance(step, int) else None
