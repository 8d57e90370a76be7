"""Limits by a Polyak-Lojasiewicz end-game from theta0, and the certificates built from them.

:func:`gf_limit_part` proves that the flow from theta0 converges into a small ball: a PL domain
around theta0 with a bisection cover on which J J^T - lambda I is certainly positive definite,
then a localization cover of the end-game ball by residual and conserved-quantity level sets.
The producer SEARCHES (limits by mpmath root finding at 50 digits, PL domains, bisection covers)
with the checker's own interval arithmetic on candidate leaves; whether the result is a proof is
decided by the checker's independent replay of the finished certificate, never here.

The shipped instances at the end (the relu neuron's gf-limit and not-characterized-by
certificates, the linear neuron's one-point overlap) are written by
``python -m igproof.certificate.shipped``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np
import sympy

from igproof.certificate.common import (
    Interval,
    certainly_positive_definite,
    checker_sqrt_upper,
    dist2_to_box,
    expr,
    far2_to_box,
    header,
    model_json,
    statement,
    substitute,
)
from igproof.errors import CertificateError, InvalidArgument
from igproof.symbolic.expression import parse_expression

# Digits for the high-precision limit estimate (mpmath findroot).
LIMIT_DPS = 50
# Relative size of the claimed limit ball: 1e-10 keeps balls tiny yet covers a few hundred leaves.
BALL_RADIUS = Fraction(1, 10**10)
# Deepest bisection the producer tries before giving up (2^-60 of the region's width).
MAX_BISECT_DEPTH = 60
# Candidate half-widths of the PL domain, as multiples of the end-game radius.
DOMAIN_FACTORS = (Fraction(3, 2), Fraction(2), Fraction(3), Fraction(5))
# lambda is taken as this fraction of the sampled minimum eigenvalue of J J^T (safety margin).
LAMBDA_MARGIN = Fraction(7, 10)

Box = list[tuple[Fraction, Fraction]]


@dataclass(frozen=True)
class ModelSpec:
    """f(x; theta) written in the safe expression language."""

    parameters: tuple[str, ...]
    inputs: tuple[str, ...]
    output: str

    def as_json(self) -> dict[str, Any]:
        return model_json(list(self.parameters), list(self.inputs), self.output)


@dataclass(frozen=True)
class DatasetSpec:
    x: tuple[tuple[Fraction, ...], ...]
    y: tuple[Fraction, ...]

    def as_json(self) -> dict[str, Any]:
        return {"x": [list(xi) for xi in self.x], "y": list(self.y)}


def _residual_asts(model: ModelSpec, data: DatasetSpec) -> list[tuple]:
    out = expr.parse(model.output, set(model.parameters) | set(model.inputs))
    return [expr.sub(substitute(out, dict(zip(model.inputs, xi, strict=True))), ("num", yi))
            for xi, yi in zip(data.x, data.y, strict=True)]


def _env(model: ModelSpec, b: Box) -> dict[str, Interval]:
    return {p: Interval(lo, hi)
            for p, (lo, hi) in zip(model.parameters, b, strict=True)}


def limit_estimate(model: ModelSpec, data: DatasetSpec, theta0: list[Fraction],
                   conserved: list[str], *, dps: int = LIMIT_DPS) -> list[mpmath.mpf]:
    """Solve r_i(theta) = 0 (all i) and Q_k(theta) = Q_k(theta0) by Newton from theta0.

    Guarantee: approximate (SUPPORTED); the certificate's checker decides.
    """
    symbols = {p: sympy.Symbol(p) for p in model.parameters}
    inputs = {v: sympy.Symbol(v) for v in model.inputs}
    f = parse_expression(model.output, {**symbols, **inputs})
    equations = [f.subs({inputs[v]: sympy.Rational(str(c))
                         for v, c in zip(model.inputs, xi, strict=True)})
                 - sympy.Rational(str(yi)) for xi, yi in zip(data.x, data.y, strict=True)]
    start = {symbols[p]: sympy.Rational(str(t))
             for p, t in zip(model.parameters, theta0, strict=True)}
    for q in conserved:
        qe = parse_expression(q, symbols)
        equations.append(qe - qe.subs(start))
    if len(equations) != len(model.parameters):
        raise InvalidArgument(f"conserved: {len(equations)} equations for "
                              f"{len(model.parameters)} parameters; the limit must be isolated")
    args = [symbols[p] for p in model.parameters]
    funcs = sympy.lambdify(args, equations, modules="mpmath")
    with mpmath.workdps(dps):
        root = mpmath.findroot(lambda *t: funcs(*t), [mpmath.mpf(t.numerator) / t.denominator
                                                     for t in theta0])
        return [mpmath.mpf(root[k]) for k in range(len(args))]


def _to_fraction(x: mpmath.mpf, digits: int = 30) -> Fraction:
    """x rounded to ``digits`` decimal places (an exact rational near the estimate)."""
    scale = 10**digits
    return Fraction(int(mpmath.nint(x * scale)), scale)


def _bisect(region: Box, done, *, what: str) -> str:
    """Preorder cover string: bisect the widest axis until ``done(leaf)`` holds on each leaf."""
    tokens: list[str] = []
    stack = [(region, 0)]
    count = 0
    while stack:
        leaf, depth = stack.pop()
        if done(leaf):
            tokens.append("L")
            count += 1
            continue
        if depth >= MAX_BISECT_DEPTH * len(region):
            raise CertificateError(f"{what}: bisection did not terminate")
        k = max(range(len(leaf)), key=lambda j: leaf[j][1] - leaf[j][0])
        lo, hi = leaf[k]
        mid = (lo + hi) / 2
        tokens.append(str(k))
        stack.append(([*leaf[:k], (mid, hi), *leaf[k + 1:]], depth + 1))
        stack.append(([*leaf[:k], (lo, mid), *leaf[k + 1:]], depth + 1))
        if count > 4000:
            raise CertificateError(f"{what}: cover needs too many leaves")
    return " ".join(tokens)


def _pd_on(model: ModelSpec, residuals: list[tuple], lam: Fraction, leaf: Box) -> bool:
    env = _env(model, leaf)
    try:
        live = [r for r in residuals if not expr.evaluate(r, env).is_zero()]
        jac = [[expr.evaluate(g, env) for g in expr.gradient(r, list(model.parameters))]
               for r in live]
    except Exception:
        return False
    zero = Interval.point(Fraction(0))
    gram = [[sum((a[k] * b[k] for k in range(len(a))), zero) for b in jac] for a in jac]
    for i in range(len(gram)):
        gram[i][i] = gram[i][i] - Interval.point(lam)
    return certainly_positive_definite(gram)


def _endgame_radius(model: ModelSpec, residuals: list[tuple], theta0: list[Fraction],
                    lam: Fraction) -> Fraction:
    """The end-game radius exactly as the checker computes it from a point start box."""
    env = _env(model, [(t, t) for t in theta0])
    loss = Interval.point(Fraction(0))
    for r in residuals:
        loss = loss + expr.evaluate(r, env).sqr()
    n = len(residuals)
    loss_sup = loss.hi / (2 * n)
    return checker_sqrt_upper(Fraction(0)) + checker_sqrt_upper(2 * loss_sup / (lam / n))


def _min_eig_sample(model: ModelSpec, data: DatasetSpec, domain: Box) -> float:
    """Smallest eigenvalue of J J^T over a 3^p grid of D (floating point, for the search)."""
    symbols = [sympy.Symbol(p) for p in model.parameters]
    inputs = {v: sympy.Symbol(v) for v in model.inputs}
    named = dict(zip(model.parameters, symbols, strict=True))
    f = parse_expression(model.output, {**named, **inputs})
    rows = [[sympy.diff(f.subs({inputs[v]: sympy.Rational(str(c))
                                for v, c in zip(model.inputs, xi, strict=True)}), s)
             for s in symbols]
            for xi in data.x]
    jac = sympy.lambdify(symbols, rows, modules="numpy")
    best = float("inf")
    grids = [[float(lo), float((lo + hi) / 2), float(hi)] for lo, hi in domain]
    for point in itertools.product(*grids):
        j = np.array(jac(*point), dtype=float)
        best = min(best, float(np.linalg.eigvalsh(j @ j.T).min()))
    return best


def _initial_loss_upper(model: ModelSpec, residuals: list[tuple],
                        theta0: Sequence[Fraction]) -> Fraction:
    """An exact rational >= L_S(theta0), by interval evaluation (tanh(1/5) is not rational)."""
    env = _env(model, [(t, t) for t in theta0])
    total = Interval.point(Fraction(0))
    for r in residuals:
        total = total + expr.evaluate(r, env).sqr()
    return total.hi / (2 * len(residuals))


def gf_limit_part(model: ModelSpec, ds_name: str, data: DatasetSpec, theta0: list[Fraction],
                  conserved: list[str], *, limit_name: str, prefix: str,
                  ball: Fraction | None = None, ball_scale: Fraction = BALL_RADIUS
                  ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The limit entry and obligations (start, pl-endgame, conserved..., localize) proving
    that the flow from theta0 on ``data`` converges into a small ball around its limit.

    On a box D around theta0 where J J^T - lambda I is certainly positive definite, the flow
    never leaves B(theta0, sqrt(2 L(theta0)/mu)), mu = lambda/n, and converges into M_S there;
    a bisection cover of that ball then localizes the limit: every leaf certainly misses M_S,
    misses a level set Q = Q(theta0) of a conserved quantity, or lies in the claimed ball of
    radius ``ball`` (default ``ball_scale`` * max(1, |centre|_inf)).

    Raises CertificateError when no PL domain is found or a cover does not terminate.
    Guarantee: approximate search; the checker's replay decides.
    """
    residuals = _residual_asts(model, data)
    loss0 = _initial_loss_upper(model, residuals, theta0)
    center = [_to_fraction(c) for c in limit_estimate(model, data, theta0, conserved)]
    guess = Fraction(math.sqrt(2 * float(loss0))).limit_denominator(10**6)
    chosen = None
    for factor in DOMAIN_FACTORS:
        half = guess * factor + Fraction(1, 100)
        domain = [(t - half, t + half) for t in theta0]
        eig = _min_eig_sample(model, data, domain)
        if not eig > 0:
            continue
        lam = (Fraction(eig) * LAMBDA_MARGIN).limit_denominator(1000)
        if lam <= 0:  # eig below 1/2000: no usable PL constant on this domain
            continue
        radius = _endgame_radius(model, residuals, theta0, lam)
        if radius >= half:
            continue
        try:
            cover = _bisect(domain, lambda leaf, lam=lam: _pd_on(model, residuals, lam, leaf),
                            what="pl cover")
        except CertificateError:
            continue
        chosen = (domain, lam, cover, radius)
        break
    if chosen is None:
        raise CertificateError(f"{ds_name}: no Polyak-Lojasiewicz domain found around theta0")
    domain, lam, cover, radius = chosen
    endgame_id = f"{prefix}endgame"
    obligations: list[dict[str, Any]] = [
        {"id": f"{prefix}start", "type": "start", "dataset": ds_name,
         "box": [[t, t] for t in theta0]},
        {"id": endgame_id, "type": "pl-endgame", "dataset": ds_name, "start": f"{prefix}start",
         "domain": [list(b) for b in domain], "lambda": lam, "cover": cover}]
    env0 = _env(model, [(t, t) for t in theta0])
    levels = []
    for k, q in enumerate(conserved):
        obligations.append({"id": f"{prefix}conserved{k}", "type": "conserved",
                            "endgame": endgame_id, "quantity": q})
        q_ast = expr.parse(q, set(model.parameters))
        levels.append((q_ast, expr.evaluate(q_ast, env0)))
    ball_r = ball if ball is not None else ball_scale * max(Fraction(1),
                                                            max(abs(c) for c in center))

    def done(leaf: Box) -> bool:
        if dist2_to_box(list(theta0), leaf) > radius ** 2:
            return True
        env = _env(model, leaf)
        try:
            if any(not expr.evaluate(r, env).contains_zero() for r in residuals):
                return True
            for q_ast, level in levels:
                v = expr.evaluate(q_ast, env)
                if v.hi < level.lo or v.lo > level.hi:
                    return True
        except Exception:  # undecided on this leaf (e.g. a relu kink): it must be inside
            pass
        return far2_to_box(center, leaf) <= ball_r ** 2

    region = [(t - radius, t + radius) for t in theta0]
    obligations.append({"id": f"{prefix}localize", "type": "localize", "limit": limit_name,
                        "endgame": endgame_id,
                        "conserved": [f"{prefix}conserved{k}" for k in range(len(conserved))],
                        "cover": _bisect(region, done, what="localize cover")})
    return {"dataset": ds_name, "center": center, "radius": ball_r}, obligations


def _certificate(kind: str, model: ModelSpec, datasets: dict[str, DatasetSpec],
                 theta0: list[Fraction], limits: dict[str, Any], claim: dict[str, Any],
                 obligations: list[dict[str, Any]]) -> dict[str, Any]:
    return {**header(kind, "igproof.certificate.produce", model=model.as_json(),
                     datasets={k: v.as_json() for k, v in datasets.items()}, theta0=theta0),
            "statement": statement(kind, {"limits": limits, "claim": claim}),
            "obligations": obligations}


def _q(text: str) -> Fraction:
    return Fraction(text)


# --- the shipped instances -------------------------------------------------------------------

RELU_NEURON = ModelSpec(("a", "w"), ("x",), "a*relu(w*x)")
RELU_DATA = DatasetSpec(((_q("1"),),), (_q("1"),))
RELU_THETA0 = [_q("1"), _q("9/10")]
LINEAR_NEURON = ModelSpec(("a", "w1", "w2"), ("x1", "x2"), "a*(w1*x1 + w2*x2)")


def gf_limit_relu_neuron() -> dict[str, Any]:
    """a relu(w x) on {(1, 1)} from (1, 9/10): the limit is on a w = 1, a^2 - w^2 = 19/100."""
    entry, obs = gf_limit_part(RELU_NEURON, "S", RELU_DATA, RELU_THETA0, ["a^2 - w^2"],
                               limit_name="L", prefix="")
    return _certificate("gf-limit", RELU_NEURON, {"S": RELU_DATA}, RELU_THETA0, {"L": entry},
                        {}, obs)


def not_characterized_by_witness() -> dict[str, Any]:
    """G = a^2 + w^2 on the relu-neuron instance: theta' = (1, 1) fits and has G = 2 < G(limit)."""
    entry, obs = gf_limit_part(RELU_NEURON, "S", RELU_DATA, RELU_THETA0, ["a^2 - w^2"],
                               limit_name="L", prefix="")
    obs.append({"id": "witness", "type": "witness", "limit": "L", "theta": ["1", "1"]})
    return _certificate("not-characterized-by", RELU_NEURON, {"S": RELU_DATA}, RELU_THETA0,
                        {"L": entry}, {"limit": "L", "G": "a^2 + w^2"}, obs)


def not_characterized_by_kkt() -> dict[str, Any]:
    """G = |theta - theta0|^2 on the relu-neuron instance: grad G not normal to M_S at the limit."""
    entry, obs = gf_limit_part(RELU_NEURON, "S", RELU_DATA, RELU_THETA0, ["a^2 - w^2"],
                               limit_name="L", prefix="")
    obs.append({"id": "kkt", "type": "kkt", "limit": "L", "columns": [0, 1]})
    return _certificate("not-characterized-by", RELU_NEURON, {"S": RELU_DATA}, RELU_THETA0,
                        {"L": entry}, {"limit": "L", "G": "(a - 1)^2 + (w - 9/10)^2"}, obs)


def one_point_overlap_linear_neuron() -> dict[str, Any]:
    """a (w . x) from theta0 = (2, 9/20, 1/4): S1 = {(e1, 1)}, S2 = S1 + {(e2, 0)}.

    The limit of S2 lies in M_S1 (S1 is a subset of S2) and has the smaller norm, so no
    nondecreasing function of |theta|_2 characterizes the implicit regularization on {S1, S2}.
    """
    theta0 = [_q("2"), _q("9/20"), _q("1/4")]
    s1 = DatasetSpec(((_q("1"), _q("0")),), (_q("1"),))
    s2 = DatasetSpec(((_q("1"), _q("0")), (_q("0"), _q("1"))), (_q("1"), _q("0")))
    e1, o1 = gf_limit_part(LINEAR_NEURON, "S1", s1, theta0, ["w2", "a^2 - w1^2 - w2^2"],
                           limit_name="L1", prefix="S1.")
    e2, o2 = gf_limit_part(LINEAR_NEURON, "S2", s2, theta0, ["a^2 - w1^2 - w2^2"],
                           limit_name="L2", prefix="S2.")
    extra = [
        {"id": "overlap", "type": "zero-set", "limit": "L2", "dataset": "S1",
         "relation": "subset"},
        {"id": "distinct", "type": "disjoint", "limits": ["L1", "L2"]},
        {"id": "order", "type": "ordering", "class": "norm", "below": "L2", "above": "L1"},
    ]
    return _certificate("one-point-overlap", LINEAR_NEURON, {"S1": s1, "S2": s2}, theta0,
                        {"L1": e1, "L2": e2}, {"shared": "L2", "other": "L1", "class": "norm"},
                        o1 + o2 + extra)


SHIPPED = {
    "gf-limit-relu-neuron.json": gf_limit_relu_neuron,
    "one-point-overlap-linear-neuron.json": one_point_overlap_linear_neuron,
    "not-characterized-by-witness.json": not_characterized_by_witness,
    "not-characterized-by-kkt.json": not_characterized_by_kkt,
}

