"""A limit proved by a Polyak-Lojasiewicz end-game started at theta0 (T = 0).

On a box D around theta0 where J J^T - lambda I is certainly positive definite (J the Jacobian
of the residuals), |grad L|^2 >= 2 mu L with mu = lambda/n, so the flow never leaves the ball
B(theta0, sqrt(2 L(theta0)/mu)) (if it lies in D) and converges to a point of M_S in it. The
limit is then localized by a bisection cover of that ball: every leaf either certainly misses
M_S (a residual is certainly non-zero), misses a level set of a conserved quantity
(Q(limit) = Q(theta0)), or lies in the claimed small ball.

This is an adapter around :func:`igproof.certificate.produce.gf_limit_part`, which evaluates the
initial loss exactly and so accepts only models whose outputs at rational points are rational
(relu, polynomials); here the initial loss is bounded by the checker's interval arithmetic, so
smooth activations such as tanh work too, and the claimed ball's radius is a parameter.
The producer searches; the checker replays (see igproof/checker/obligations.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from igproof.certificate import produce as _produce
from igproof.certificate.produce import DatasetSpec, ModelSpec
from igproof.checker import expr as cex
from igproof.checker import intervals as civ
from igproof.checker.obligations import _dist2_to_box, _far2_to_box
from igproof.errors import CertificateError

# Radius of the claimed limit ball, relative to max(1, |centre|_inf): 1e-4 keeps the localize
# cover to a few dozen leaves (each costs interval tanh evaluations in the checker) and is far
# below the separations (>= 1e-2) the shipped instances need.
BALL_RADIUS = Fraction(1, 10**4)

Box = list[tuple[Fraction, Fraction]]


def _initial_loss_upper(model: ModelSpec, residuals: list[tuple],
                        theta0: Sequence[Fraction]) -> Fraction:
    """An exact rational >= L_S(theta0) (interval evaluation: tanh(1/5) is not rational)."""
    env = _produce._env(model, [(t, t) for t in theta0])
    total = civ.Interval.point(Fraction(0))
    for r in residuals:
        total = total + cex.evaluate(r, env).sqr()
    return total.hi / (2 * len(residuals))


def pl_limit_part(model: ModelSpec, ds_name: str, data: DatasetSpec, theta0: list[Fraction],
                  conserved: list[str], *, limit_name: str, prefix: str,
                  ball: Fraction | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The limit entry and the obligations start, pl-endgame, conserved..., localize.

    Parameters
    ----------
    model, data : the model and dataset in certificate form
    theta0 : exact initialization
    conserved : expressions Q(theta) conserved by the flow on D (e.g. ``"a^2 - w1^2 - w2^2"``);
        residuals plus these must isolate the limit (as many equations as parameters)
    ball : radius of the claimed ball (default BALL_RADIUS times max(1, |centre|_inf))

    Raises
    ------
    CertificateError
        No PL domain was found, or a cover did not terminate.

    Guarantee: approximate search; the checker's replay decides.
    """
    residuals = _produce._residual_asts(model, data)
    loss0 = _initial_loss_upper(model, residuals, theta0)
    centre = [_produce._to_fraction(c)
              for c in _produce.limit_estimate(model, data, theta0, conserved)]
    guess = Fraction(math.sqrt(2 * float(loss0))).limit_denominator(10**6)
    chosen = None
    for factor in _produce.DOMAIN_FACTORS:
        half = guess * factor + Fraction(1, 100)
        domain = [(t - half, t + half) for t in theta0]
        eig = _produce._min_eig_sample(model, data, domain)
        if not eig > 0:
            continue
        lam = (Fraction(eig) * _produce.LAMBDA_MARGIN).limit_denominator(1000)
        if lam <= 0:  # eig below 1/2000: no usable PL constant on this domain
            continue
        radius = _produce._endgame_radius(model, residuals, theta0, lam)
        if radius >= half:
            continue
        try:
            cover = _produce._bisect(
                domain, lambda leaf, lam=lam: _produce._pd_on(model, residuals, lam, leaf),
                what="pl cover")
        except CertificateError:
            continue
        chosen = (domain, lam, cover, radius)
        break
    if chosen is None:
        raise CertificateError(f"{ds_name}: no Polyak-Lojasiewicz domain found around theta0")
    domain, lam, cover, radius = chosen
    endgame = f"{prefix}endgame"
    obligations: list[dict[str, Any]] = [
        {"id": f"{prefix}start", "type": "start", "dataset": ds_name,
         "box": [[t, t] for t in theta0]},
        {"id": endgame, "type": "pl-endgame", "dataset": ds_name, "start": f"{prefix}start",
         "domain": [list(b) for b in domain], "lambda": lam, "cover": cover}]
    env0 = _produce._env(model, [(t, t) for t in theta0])
    levels = []
    for k, q in enumerate(conserved):
        obligations.append({"id": f"{prefix}conserved{k}", "type": "conserved",
                            "endgame": endgame, "quantity": q})
        q_ast = cex.parse(q, set(model.parameters))
        levels.append((q_ast, cex.evaluate(q_ast, env0)))
    ball_r = ball if ball is not None else BALL_RADIUS * max(Fraction(1),
                                                             max(abs(c) for c in centre))

    def done(leaf: Box) -> bool:
        if _dist2_to_box(list(theta0), leaf) > radius ** 2:
            return True
        env = _produce._env(model, leaf)
        try:
            if any(not cex.evaluate(r, env).contains_zero() for r in residuals):
                return True
            for q_ast, level in levels:
                v = cex.evaluate(q_ast, env)
                if v.hi < level.lo or v.lo > level.hi:
                    return True
        except Exception:  # undecided on this leaf (e.g. a relu kink): it must be inside
            pass
        return _far2_to_box(centre, leaf) <= ball_r ** 2

    region = [(t - radius, t + radius) for t in theta0]
    obligations.append({"id": f"{prefix}localize", "type": "localize", "limit": limit_name,
                        "endgame": endgame,
                        "conserved": [f"{prefix}conserved{k}" for k in range(len(conserved))],
                        "cover": _produce._bisect(region, done, what="localize cover")})
    return {"dataset": ds_name, "center": centre, "radius": ball_r}, obligations
