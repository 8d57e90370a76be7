"""The ``not-characterized-by`` certificate of a search hit: a limit ball and a refutation.

The certificate side of :mod:`igproof.search.promote` (which turns a float hit of the search
into a :class:`Hit` and decides which hits are worth it). Everything here is exact or a hint
that the independent checker re-decides:

1. **The limit ball.** Two routes, tried in order:

   - *end-game from theta0* (any model): a Polyak-Lojasiewicz end-game started at T = 0. On a
     box D around theta0 with lambda <= lambda_min(J J^T) (interval Cholesky on a bisection
     cover of D), the flow travels at most sqrt(2 L(theta0) / mu), mu = lambda / n, so the
     limit exists, lies in M_S and in the ball B(theta0, rho). Cheap; it applies when theta0
     is already close to M_S compared with the PL constant.
   - *validated trajectory* (piecewise-affine ReLU flows): :func:`igproof.proof.limits.limit.
     prove_flow_limit` encloses theta(t) up to T and closes with the end-game there;
     :func:`igproof.certificate.gf_limit.limit_certificate` writes the replayable
     ``trajectory`` obligation. Smooth (tanh) pieces are not sent this way: their Taylor
     replay costs minutes in the checker.

2. **The refutation** on that ball, with G written in the checker's expression language
   (theta0 substituted exactly):

   - ``witness`` (the single ReLU neuron, whose M_S is a polyhedron): an exact rational theta'
     in M_S with sup G(theta') < inf of G over the limit ball. theta' lies on the segment from
     the exact projection p of the ball's centre onto the affine piece {w . x_i = y_i, i active}
     towards the G-minimizer of that piece (closed form for l2 and l2-init, else a projected
     gradient step), halving the step until every label-0 constraint w . x_j <= 0 holds exactly
     and the interval test passes.
   - ``kkt``: the live residual gradients and grad G restricted to a square set of columns have
     a certainly non-zero determinant on the box of half-width 2r around the limit ball (so the
     Lagrange condition fails near theta*). Columns: the float minor of largest |det|.

3. **The decision.** The assembled certificate is re-checked by
   :func:`igproof.certificate.common.recheck`; only an accepted certificate is returned as
   certified. Anything else is reported with the reason ("not certified: ...").

The certificate is deterministic: it depends only on (model, S, theta0, G) and contains no
timestamps, so the same search seed gives a byte-identical file.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from igproof.certificate.common import (
    Interval,
    Rejected,
    expr,
    header,
    model_json,
    model_text,
    recheck,
    rejection,
    sqrt_up,
    statement,
    substitute,
)
from igproof.certificate.gf_limit import limit_certificate
from igproof.errors import CertificateError, IgproofError
from igproof.linalg import independent_rows, solve
from igproof.proof.limits.limit import ProvedLimit, prove_flow_limit
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.flow import gradient_flow
from igproof.symbolic.models import Model, build_model

# Working precision (bits) of the validated trajectory route.
PROMOTE_PREC = 128
# The trajectory route stops integrating once sup L <= this: the end-game radius is then
# ~1e-12 / sqrt(mu), far below the margins the refutation needs (a KKT violation >= 1e-3).
PROMOTE_LOSS_TARGET = Fraction(1, 10**24)
# Longest flow time the trajectory route integrates (slow label-0 decays need t ~ 100-500).
PROMOTE_T_MAX = 2000
# Half-widths of the end-game domain D, as multiples of the end-game radius rho.
ENDGAME_FACTORS = (Fraction(3, 2), Fraction(2), Fraction(3))
# lambda is this fraction of the smallest float eigenvalue of J J^T sampled on D.
LAMBDA_MARGINS = (Fraction(1, 2), Fraction(1, 8))
# lambda is rounded down to a multiple of 2^-LAMBDA_BITS (short numbers in the certificate).
LAMBDA_BITS = 20
# Depths of the uniform bisection cover of D (2^depth leaves; the checker allows 4096).
COVER_DEPTHS = (0, 3, 6, 9)
# Witness search: the step towards the piece's G-minimizer is halved at most this many times.
WITNESS_HALVINGS = 40
# Denominator bound of the rationalized float descent direction (exactness comes after).
DIRECTION_DENOMINATOR = 10**6
# Extra relative and absolute slack on the claimed radius of the end-game-from-theta0 ball, so
# that it certainly contains the checker's own (independently rounded) end-game ball.
RADIUS_SLACK_REL = Fraction(1, 2**20)
RADIUS_SLACK_ABS = Fraction(1, 2**60)
# Bits of the square-root bounds of this producer (end-game radius, |x_i|): 2^-100 relative is
# far below its slacks (RADIUS_SLACK_ABS = 2^-60).
PROMOTE_SQRT_BITS = 100


@dataclass(frozen=True)
class Promotion:
    """Outcome of :func:`refute` (and :func:`igproof.search.promote.promote_hit`).

    ``certified`` is True only when the independent checker accepted ``certificate`` (a
    JSON-ready dict, numbers as Fractions). ``route`` names the limit route and the refuting
    obligation (e.g. ``"endgame+kkt"``); ``reason`` is the checker's conclusion, or why no
    certificate could be made.
    """

    certified: bool
    reason: str
    route: str = ""
    g_text: str = ""
    certificate: dict[str, Any] | None = None
    attempts: tuple[str, ...] = ()
    other_hits_may_work: bool = True


def best_minor(mat: np.ndarray) -> tuple[tuple[int, ...], float]:
    """The column subset (size = rows) whose square minor has the largest |det|."""
    rows, cols = mat.shape
    best: tuple[tuple[int, ...], float] = ((), 0.0)
    for subset in itertools.combinations(range(cols), rows):
        value = abs(float(np.linalg.det(mat[:, list(subset)])))
        if value > best[1]:
            best = (subset, value)
    return best


# ---------------------------------------------------------------------------------------------
# Exact helpers


def _uniform_cover(p: int, depth: int) -> str:
    """Preorder tokens of the full bisection tree of the given depth, axes cycled."""
    tokens: list[str] = []

    def tree(level: int) -> None:
        if level == depth:
            tokens.append("L")
            return
        tokens.append(str(level % p))
        tree(level + 1)
        tree(level + 1)

    tree(0)
    return " ".join(tokens)






def _project_affine(point: list[Fraction], rows: list[list[Fraction]],
                    rhs: list[Fraction]) -> list[Fraction] | None:
    """Exact orthogonal projection of ``point`` onto {v : rows v = rhs} (rows independent)."""
    if not rows:
        return point[:]
    gram = [[sum((a * b for a, b in zip(r, s, strict=True)), Fraction(0)) for s in rows]
            for r in rows]
    resid = [sum((a * b for a, b in zip(r, point, strict=True)), Fraction(0)) - c
             for r, c in zip(rows, rhs, strict=True)]
    lam = solve(gram, resid)
    if lam is None:
        return None
    return [v - sum((lk * r[k] for lk, r in zip(lam, rows, strict=True)), Fraction(0))
            for k, v in enumerate(point)]


# ---------------------------------------------------------------------------------------------
# Certificate assembly


@dataclass(frozen=True)
class Hit:
    """A float hit in the certificate's terms: the model family (``kind`` "relu-neuron" or
    "neuron", input dimension, activation), the exact data S and theta0, G as safe-language
    text with theta0 substituted, which closed-form G it is ("l2", "l2-init" or None: the
    witness's descent target), and the search's float (sub)gradient grad_g(theta, theta0)."""

    kind: str
    dim: int
    activation: str
    xs: tuple[tuple[Fraction, ...], ...]
    ys: tuple[Fraction, ...]
    theta0: tuple[Fraction, ...]
    g_text: str
    g_closed_form: str | None
    grad_g: Callable[[list[float], list[float]], np.ndarray]


def symbolic_model(kind: str, dim: int, activation: str) -> Model:
    """The :mod:`igproof.symbolic.models` model of a hit's family (names a, w1..wd; x1..xd)."""
    if kind == "relu-neuron":
        return build_model("relu-neuron", dim=dim)
    return build_model("neuron", dim=dim, activation=activation)


def checker_model(kind: str, dim: int, activation: str) -> tuple[list[str], list[str], str]:
    """(parameters, inputs, output) of the family in the safe expression language
    (:func:`igproof.certificate.common.model_text`)."""
    sym = symbolic_model(kind, dim, activation)
    return ([str(p) for p in sym.parameters], [str(v) for v in sym.inputs],
            model_text(sym.expression))


class _Builder:
    """The model, dataset, residual ASTs and G of one hit, in the checker's terms."""

    def __init__(self, hit: Hit) -> None:
        self.hit = hit
        self.theta0 = [Fraction(t) for t in hit.theta0]
        self.params, self.inputs, self.output = checker_model(hit.kind, hit.dim, hit.activation)
        self.g_text = hit.g_text
        self.g_ast = expr.parse(self.g_text, set(self.params))
        out = expr.parse(self.output, set(self.params) | set(self.inputs))
        self.residuals = [
            expr.sub(substitute(out, dict(zip(self.inputs, xi, strict=True))), ("num", yi))
            for xi, yi in zip(hit.xs, hit.ys, strict=True)]
        self.n = len(self.residuals)

    # -- interval helpers (the checker's arithmetic, used to choose hints; the checker decides)
    def env(self, b: Sequence[tuple[Fraction, Fraction]]) -> dict[str, Any]:
        return {p: Interval(lo, hi) for p, (lo, hi) in zip(self.params, b, strict=True)}

    def point_env(self, theta: Sequence[Fraction]) -> dict[str, Any]:
        return self.env([(t, t) for t in theta])

    def jacobian_float(self, theta: Sequence[Fraction], rows: Sequence[int]) -> np.ndarray:
        env = self.point_env(theta)
        out = []
        for i in rows:
            grads = expr.gradient(self.residuals[i], self.params)
            out.append([float((iv.lo + iv.hi) / 2)
                        for iv in (expr.evaluate(g, env) for g in grads)])
        return np.array(out, dtype=float).reshape(len(rows), len(self.params))

    def grad_g_float(self, theta: Sequence[Fraction]) -> np.ndarray:
        """The search's float (sub)gradient of G (a hint only: at a kink of abs it is the
        subgradient sign(0) = 0 rather than an undecided interval)."""
        return self.hit.grad_g([float(t) for t in theta], [float(t) for t in self.theta0])

    def pattern_decided(self, b: Sequence[Sequence[Fraction]]) -> bool:
        """Every live residual's gradient is defined on the box (no kink undecided there):
        without this no cover of the box passes the PL test."""
        box = [(lo, hi) for lo, hi in b]
        env = self.env(box)
        try:
            for i in self.live_rows(box):
                for g in expr.gradient(self.residuals[i], self.params):
                    expr.evaluate(g, env)
        except Rejected:
            return False
        return True

    def live_rows(self, b: Sequence[tuple[Fraction, Fraction]]) -> list[int]:
        env = self.env(b)
        return [i for i, r in enumerate(self.residuals)
                if not expr.evaluate(r, env).is_zero()]

    # -- certificate skeleton
    def certificate(self, limit: dict[str, Any], obligations: list[dict[str, Any]],
                    producer: str) -> dict[str, Any]:
        return self.assemble("not-characterized-by", producer,
                             {"limits": {"L": limit}, "claim": {"limit": "L", "G": self.g_text}},
                             obligations)

    def assemble(self, kind: str, producer: str, fields: dict[str, Any],
                 obligations: list[dict[str, Any]]) -> dict[str, Any]:
        model = model_json(self.params, self.inputs, self.output)
        data = {"S": {"x": [list(xi) for xi in self.hit.xs], "y": list(self.hit.ys)}}
        return {**header(kind, producer, model=model, datasets=data, theta0=self.theta0),
                "statement": statement(kind, fields), "obligations": obligations}


def _check(cert: dict[str, Any]) -> tuple[bool, str, dict[str, Any]]:
    """(accepted, reason, certificate) by the independent checker, on the serialized text."""
    report = recheck(cert)
    if report.accepted:
        return True, report.conclusion or "accepted", cert
    return False, rejection(report), cert


def _endgame_limit(b: _Builder) -> tuple[dict[str, Any], list[dict[str, Any]]] | str:
    """Limit ball and obligations (start, pl-endgame, contain) of the end-game from theta0,
    or the reason it does not close."""
    env0 = b.point_env(b.theta0)
    loss = Interval.point(Fraction(0))
    for r in b.residuals:
        loss = loss + expr.evaluate(r, env0).sqr()
    loss_sup = loss.hi / (2 * b.n)
    if loss_sup == 0:
        return "L(theta0) = 0: the flow does not move (vacuous)"
    live0 = b.live_rows([(t, t) for t in b.theta0])
    jac = b.jacobian_float(b.theta0, live0)
    lam0 = float(np.linalg.eigvalsh(jac @ jac.T).min()) if live0 else 0.0
    if not lam0 > 0:
        return "J J^T is singular at theta0"
    last = "no end-game domain closed"
    for depth in COVER_DEPTHS:
        if 2**depth > 4096:
            break
        for margin in LAMBDA_MARGINS:
            lam = Fraction(math.floor(lam0 * float(margin) * 2**LAMBDA_BITS), 2**LAMBDA_BITS)
            if lam <= 0:
                continue
            rho = sqrt_up(2 * loss_sup * b.n / lam, PROMOTE_SQRT_BITS)
            radius = rho * (1 + RADIUS_SLACK_REL) + RADIUS_SLACK_ABS
            for factor in ENDGAME_FACTORS:
                half = factor * radius
                domain = [[t - half, t + half] for t in b.theta0]
                if not b.pattern_decided(domain):
                    last = "a kink of a live residual crosses the end-game domain"
                    continue
                limit = {"dataset": "S", "center": list(b.theta0), "radius": radius}
                obligations = [
                    {"id": "start", "type": "start", "dataset": "S",
                     "box": [[t, t] for t in b.theta0]},
                    {"id": "endgame", "type": "pl-endgame", "dataset": "S", "start": "start",
                     "domain": domain, "lambda": lam,
                     "cover": _uniform_cover(len(b.params), depth)},
                    {"id": "contain", "type": "contain", "limit": "L", "endgame": "endgame"},
                ]
                ok, reason = _limit_part_accepted(b, limit, obligations)
                if ok:
                    return limit, obligations
                last = reason
    return f"end-game from theta0 did not close ({last})"


def _limit_part_accepted(b: _Builder, limit: dict[str, Any],
                         obligations: list[dict[str, Any]]) -> tuple[bool, str]:
    """Checker verdict on the limit part alone (as a gf-limit certificate)."""
    cert = b.assemble("gf-limit", "igproof.search.promote", {"limits": {"L": limit}, "claim": {}},
                      obligations)
    ok, reason, _ = _check(cert)
    return ok, reason


def _trajectory_limit(b: _Builder) -> tuple[dict[str, Any], list[dict[str, Any]]] | str:
    """Limit ball and obligations from a validated trajectory (prove_flow_limit)."""
    sym = symbolic_model(b.hit.kind, b.hit.dim, b.hit.activation)
    flow = gradient_flow(sym, Dataset([list(xi) for xi in b.hit.xs], list(b.hit.ys)))
    result = prove_flow_limit(flow, b.theta0, prec=PROMOTE_PREC, t_max=PROMOTE_T_MAX,
                              loss_target=PROMOTE_LOSS_TARGET)
    if not isinstance(result, ProvedLimit):
        return f"validated trajectory: {result.reason}"
    if not result.in_zero_loss_set:
        return "validated trajectory: the limit has positive loss (not in M_S)"
    try:
        cert = limit_certificate(result, flow)
    except CertificateError as exc:
        return f"validated trajectory: {exc}"
    if cert["model"] != model_json(b.params, b.inputs, b.output):
        return "validated trajectory: the certificate's model differs from the hit's"
    (limit,) = cert["statement"]["limits"].values()
    return dict(limit), list(cert["obligations"])


def _witness(b: _Builder, limit: dict[str, Any]) -> dict[str, Any] | str:
    """An exact theta' in M_S with G(theta') < inf G over the limit ball (single ReLU neuron)."""
    if b.hit.kind != "relu-neuron":
        return "witness: only for the single ReLU neuron (M_S a polyhedron)"
    centre = [Fraction(c) for c in limit["center"]]
    radius = Fraction(limit["radius"])
    xs = [list(xi) for xi in b.hit.xs]
    ys = list(b.hit.ys)
    z = [sum((a * c for a, c in zip(xi, centre, strict=True)), Fraction(0)) for xi in xs]
    norms = [sqrt_up(sum((a * a for a in xi), Fraction(0)), PROMOTE_SQRT_BITS)
             for xi in xs]
    active = [i for i in range(b.n) if z[i] - radius * norms[i] > 0]
    inactive = [i for i in range(b.n) if z[i] + radius * norms[i] < 0]
    if len(active) + len(inactive) != b.n or any(ys[i] != 0 for i in inactive):
        return "witness: the activation pattern is not decided on the limit ball"
    rows = [xs[i] for i in active]
    keep = independent_rows(rows)
    rows, rhs = [rows[k] for k in keep], [ys[active[k]] for k in keep]
    p = _project_affine(centre, rows, rhs)
    if p is None:
        return "witness: singular active system"
    if b.hit.g_closed_form in ("l2", "l2-init"):
        origin = [Fraction(0)] * len(p) if b.hit.g_closed_form == "l2" else b.theta0
        goal = _project_affine(origin, rows, rhs)
    else:
        grad = b.grad_g_float(p)
        direction = [Fraction(float(-g)).limit_denominator(DIRECTION_DENOMINATOR) for g in grad]
        d = _project_affine(direction, rows, [Fraction(0)] * len(rows))
        goal = None if d is None else [u + v for u, v in zip(p, d, strict=True)]
    if goal is None:
        return "witness: no descent target on the affine piece"
    g_ball = expr.evaluate(b.g_ast, b.env([(c - radius, c + radius) for c in centre]))
    step = Fraction(1)
    for _ in range(WITNESS_HALVINGS):
        theta = [u + step * (v - u) for u, v in zip(p, goal, strict=True)]
        step /= 2
        zs = [sum((a * t for a, t in zip(xs[i], theta, strict=True)), Fraction(0))
              for i in range(b.n)]
        if any(zs[i] != ys[i] for i in active) or any(zs[i] > 0 for i in inactive):
            continue
        g_value = expr.evaluate(b.g_ast, b.point_env(theta))
        if g_value.hi < g_ball.lo:
            return {"id": "witness", "type": "witness", "limit": "L", "theta": theta}
    return "witness: no point of the affine piece with G certainly below G on the limit ball"


def _kkt(b: _Builder, limit: dict[str, Any]) -> dict[str, Any] | str:
    """The kkt obligation: columns of the float minor of largest |det| at the ball's centre."""
    centre = [Fraction(c) for c in limit["center"]]
    radius = Fraction(limit["radius"])
    live = b.live_rows([(c - 2 * radius, c + 2 * radius) for c in centre])
    if len(live) + 1 > len(b.params):
        return f"kkt: {len(live)} live residuals + grad G exceed {len(b.params)} parameters"
    mat = np.vstack([b.jacobian_float(centre, live), b.grad_g_float(centre)])
    cols, value = best_minor(mat)
    if value == 0:
        return "kkt: grad G lies in the span of the residual gradients (float)"
    return {"id": "kkt", "type": "kkt", "limit": "L", "columns": list(cols)}


def refute(hit: Hit) -> Promotion:
    """Certify that the GF limit from theta0 on S is not a minimizer of G on M_S.

    Routes to the limit ball: the end-game from theta0, then (ReLU models) a validated
    trajectory; refutations: ``witness`` (single ReLU neuron), ``kkt``. Returns a
    :class:`Promotion`; ``certified`` is True only when the independent checker accepted the
    certificate.

    Guarantee: exact (the checker's replay), or no claim (``certified`` False, with reason).
    """
    try:
        b = _Builder(hit)
    except CertificateError as exc:
        return Promotion(False, str(exc), g_text=hit.g_text, other_hits_may_work=False)
    attempts: list[str] = []
    routes = [("endgame", _endgame_limit)]
    if hit.activation == "relu":  # piecewise affine: the validated trajectory route applies
        routes.append(("trajectory", _trajectory_limit))
    # failures of one route or refuter: recorded as an attempt, the next one is tried
    recoverable = (Rejected, IgproofError, ArithmeticError, ValueError, np.linalg.LinAlgError)
    for route_name, route in routes:
        try:
            part = route(b)
        except recoverable as exc:
            part = f"{type(exc).__name__}: {exc}"
        if isinstance(part, str):
            attempts.append(f"{route_name}: {part}")
            continue
        limit, obligations = part
        refuters = [_witness, _kkt] if hit.kind == "relu-neuron" else [_kkt]
        for refuter in refuters:
            try:
                ob = refuter(b, limit)
            except recoverable as exc:
                ob = f"{refuter.__name__.strip('_')}: {type(exc).__name__}: {exc}"
            if isinstance(ob, str):
                attempts.append(f"{route_name}: {ob}")
                continue
            cert = b.certificate(limit, [*obligations, ob],
                                 f"igproof search (igproof.search.promote, {route_name} + "
                                 f"{ob['type']})")
            ok, reason, cert = _check(cert)
            if ok:
                return Promotion(True, reason, f"{route_name}+{ob['type']}", b.g_text, cert,
                                 tuple(attempts))
            attempts.append(f"{route_name}+{ob['type']}: rejected by the checker: {reason}")
    return Promotion(False, attempts[-1] if attempts else "no route applies",
                     g_text=b.g_text, attempts=tuple(attempts))
