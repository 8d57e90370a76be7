"""Proof that a gradient flow converges, and where: lim theta(t) in a ball, with zero loss.

:func:`prove_flow_limit` encloses theta(t) on [0, T] in ball arithmetic (a validated Taylor method
with a Lohner set for smooth pieces, closed-form matrix exponentials with certified switching times
for affine ReLU pieces; a smooth piece that meets a kink ends in a certified crossing step, see
igproof.numeric.ball.lohner), then runs the Polyak-Lojasiewicz end-game of
:mod:`igproof.proof.limits.endgame` on the enclosure of theta(T). The verdict is PROVED only when
every step was certified; otherwise the result is :class:`Inconclusive` with the reason. When the PL
end-game fails, the isolated-minimum end-game of :mod:`igproof.proof.limits.isolated` (Krawczyk plus
a positive-definite Hessian) is tried; it also covers limits with positive loss, for which the
integration stops on a small certified |grad L| instead of a small loss.

When the limit is an isolated zero of the residuals (p residuals with an invertible Jacobian,
the others exact rational combinations of them), the isolated-zero end-game of
:mod:`igproof.proof.limits.isolated_zero` closes as soon as theta(t) is in its basin: it is
attempted at geometric checkpoints of the loss bound while integrating (the integration goes on
when it fails), and after a PL failure at the target. Budgets (t_max, steps, Taylor order) scale
with the precision (:func:`budgets`).

Guarantee: enclosure. For a :class:`ProvedLimit`, the limit exists and lies in the closed
Euclidean ball B(centre, radius); it has zero loss (lies in M_S) when ``endgame`` is a
:class:`PLEndgame` or an :class:`IsolatedZeroEndgame`, and is a strict local minimizer with
loss in ``endgame.loss_limit`` when it is an :class:`IsolatedEndgame`.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy
from flint import arb

from igproof.errors import EnclosureFailure, InvalidArgument
from igproof.numeric.ball.arith import (
    arb_radius_fraction,
    arb_to_fraction,
    max_radius,
    precision,
    to_arb,
)
from igproof.numeric.ball.lohner import DEFAULT_ORDER, SENSITIVITY_ORDER
from igproof.numeric.ball.taylor import FieldProgram
from igproof.numeric.stepper import run
from igproof.numeric.validated import Segment, ValidatedIntegrator
from igproof.numeric.validated import smooth_piece as _piece
from igproof.proof.limits.endgame import EndgameFailure, PLEndgame, pl_endgame
from igproof.proof.limits.isolated import IsolatedEndgame, isolated_endgame
from igproof.proof.limits.isolated_zero import (
    IsolatedZeroEndgame,
    ZeroSystem,
    isolated_zero_endgame,
    zero_system,
)
from igproof.rationals import parse_rational
from igproof.verdict import Verdict

# Default working precision in bits (the "Must show" cases ask for 128+ bits).
DEFAULT_PREC = 128
# Longest flow time integrated before giving up, at DEFAULT_PREC bits: every case in
# docs/validated.md converges to loss 2^-(1.5 prec) well before t = 200. The loss target is
# 2^-(1.5 prec) and L decays like e^{-2 mu t}, so the time needed grows linearly with prec: the
# default budget is DEFAULT_T_MAX * prec / DEFAULT_PREC (see :func:`budgets`).
DEFAULT_T_MAX = Fraction(200)
# Validated Taylor steps allowed at DEFAULT_PREC bits; scaled like the time budget (more time
# and, at a fixed order, shorter steps for the smaller tolerance). A run that reaches t_max or
# this budget before the loss target attempts the end-game on its last enclosure; the budget
# keeps a certificate of a few parameters near 1 MB per limit (about 250 bytes per compact
# step for 3 parameters), well inside the checker's file limit (every shipped certificate
# takes fewer than 700 steps).
DEFAULT_MAX_STEPS = 6000
# Highest Taylor order the prover uses by default: the checker replays at most this order
# (igproof.checker.MAX_TAYLOR_ORDER; proof/ does not import the checker, a test keeps the two
# equal). The default order grows with the precision, from DEFAULT_ORDER at DEFAULT_PREC bits,
# so that steps keep their length as the tolerance 2^-(0.85 prec) shrinks.
MAX_TAYLOR_ORDER = 60
# The integration stops when the loss bound on the enclosure is below 2^-(LOSS_EXPONENT * prec):
# the end-game radius is then ~ 2^-(0.75 prec) / sqrt(mu), far below the trajectory width.
LOSS_EXPONENT = Fraction(3, 2)
# Per-step Taylor tolerance 2^-(TOL_EXPONENT * prec): a little above the rounding level so that
# steps are as long as the precision allows.
TOL_EXPONENT = 0.85
# Longest step of the smooth integrator (beyond ~1 the a priori enclosures get loose).
H_MAX = 1.0
# Gradient stopping rule for limits with positive loss (isolated end-game): stop once
# sup |grad L| < 2^-(GRAD_EXPONENT * prec) (or below the enclosure width), but only while
# inf L > 2^-(LOSS_FLOOR_EXPONENT * prec). Near a zero-loss limit |grad L|^2 >= 2 mu L, so the
# rule could fire there only for mu < 2^-(3 prec / 8): the zero-loss (PL) runs are unchanged;
# 2^-(prec/4) keeps t small, the Krawczyk radius is then ~ |grad L|^2, far below it.
GRAD_EXPONENT = Fraction(1, 4)
LOSS_FLOOR_EXPONENT = Fraction(1, 8)
# Most pieces (segments) of one trajectory: the checker replays at most 16 segments
# (igproof/checker/trajectory.py MAX_SEGMENTS), so a 17th crossing could not be certified.
MAX_SEGMENTS = 16
# Early end-game: while integrating, the isolated-zero end-game (whose ball does not shrink with
# the loss: Krawczyk refines it to rounding level) is attempted at geometric checkpoints of
# sup L: first once sup L < 2^-(CHECKPOINT_START_EXPONENT prec), then each time sup L has fallen
# by a further factor 2^-(CHECKPOINT_STEP_EXPONENT prec) since the last failed attempt.
CHECKPOINT_START_EXPONENT = Fraction(1, 8)
CHECKPOINT_STEP_EXPONENT = Fraction(1, 16)
# A long run (more than EARLY_PL_STEPS validated steps at DEFAULT_PREC bits, scaled like the
# step budget; every shipped certificate takes fewer than 700) also attempts the
# Polyak-Lojasiewicz end-game at those checkpoints and stops as soon as it closes: a larger
# limit ball than the loss target would give, but a shorter trajectory (stiff or slow flows
# otherwise run into the step budget and the checker's file limit).
EARLY_PL_STEPS = 1000
# |value| above this at 30 digits: the field at theta0 is taken as nonzero (_vanishes).
NONZERO_EVIDENCE = sympy.Float("1e-20")


def budgets(prec: int) -> tuple[Fraction, int, int]:
    """(t_max, max_steps, order) defaults at ``prec`` bits: t_max and max_steps scale linearly
    with prec / DEFAULT_PREC (the loss target 2^-(1.5 prec) takes time proportional to prec);
    the Taylor order too, capped at the checker's MAX_TAYLOR_ORDER."""
    scale = Fraction(max(prec, DEFAULT_PREC), DEFAULT_PREC)
    order = min(MAX_TAYLOR_ORDER, max(DEFAULT_ORDER, round(DEFAULT_ORDER * scale)))
    return DEFAULT_T_MAX * scale, int(DEFAULT_MAX_STEPS * scale), order


@dataclass(frozen=True)
class Inconclusive:
    """The flow limit could not be certified; ``reason`` says why (and where)."""

    reason: str
    t: float | None = None
    verdict: Verdict = Verdict.INCONCLUSIVE


@dataclass
class ProvedLimit:
    """lim theta(t) exists and lies in the closed ball B(centre, radius). PROVED.

    With ``endgame`` a :class:`PLEndgame` or an :class:`IsolatedZeroEndgame` the limit has zero
    loss (lies in M_S); with an
    :class:`IsolatedEndgame` it is a strict local minimizer whose loss lies in
    ``endgame.loss_limit`` (possibly positive, not necessarily in M_S).
    """

    parameters: tuple[sympy.Symbol, ...]
    theta0: tuple[Fraction, ...]
    centre: tuple[Fraction, ...]
    radius: arb
    endgame: PLEndgame | IsolatedEndgame | IsolatedZeroEndgame
    T: arb
    box_T: list[arb]
    segments: list[Segment]
    prec: int
    seconds: float
    verdict: Verdict = Verdict.PROVED

    @property
    def in_zero_loss_set(self) -> bool:
        """True when the end-game proved the limit has zero loss (lies in M_S): the PL end-game
        or the isolated-zero end-game (Krawczyk on the residuals)."""
        return isinstance(self.endgame, (PLEndgame, IsolatedZeroEndgame))

    @property
    def radius_upper(self) -> Fraction:
        """An exact rational >= the radius of the limit ball."""
        return arb_to_fraction(self.radius) + arb_radius_fraction(self.radius)

    def contains(self, point: Sequence[Any]) -> bool:
        """True when the point (exact rationals or balls) certainly lies in the limit ball."""
        with precision(self.prec):
            s = arb(0)
            for c, p in zip(self.centre, point, strict=True):
                d = to_arb(p) - to_arb(c)
                s = s + d * d  # not d ** 2: flint's pow gives nan for a ball around 0
            return bool(s < self.radius ** 2)

    def summary(self) -> str:
        if isinstance(self.endgame, IsolatedEndgame):
            centre = ", ".join(f"{float(c):.12g}" for c in self.centre)
            loss = self.endgame.loss_limit
            return (f"PROVED: lim theta(t) exists and is a critical point of L (a strict local "
                    f"minimizer, positive definite Hessian) with loss in "
                    f"[{float(loss.lower()):.6g}, {float(loss.upper()):.6g}], not necessarily "
                    f"in M_S; it lies in the ball of radius {float(self.radius.upper()):.3g} "
                    f"around ({centre}); T = {float(self.T.mid()):.4g}, isolated end-game "
                    f"(Krawczyk), lambda = {float(self.endgame.lam):.4g}, {self.prec} bits")
        centre = ", ".join(f"{float(c):.12g}" for c in self.centre)
        if isinstance(self.endgame, IsolatedZeroEndgame):
            return (f"PROVED: lim theta(t) exists, has zero loss (an isolated zero of the "
                    f"residuals: Krawczyk on {len(self.endgame.rows)} residuals, the others "
                    f"exact rational combinations of them) and lies in the ball of radius "
                    f"{float(self.radius.upper()):.3g} around ({centre}); T = "
                    f"{float(self.T.mid()):.4g}, isolated-zero end-game, lambda = "
                    f"{float(self.endgame.lam):.4g}, {self.prec} bits")
        return (f"PROVED: lim theta(t) exists, has zero loss and lies in the ball of radius "
                f"{float(self.radius.upper()):.3g} around ({centre}); T = "
                f"{float(self.T.mid()):.4g}, mu = {float(self.endgame.mu):.4g}, "
                f"{self.prec} bits")


def _theta0(flow: Any, theta0: Sequence[Any]) -> tuple[Fraction, ...]:
    if isinstance(theta0, (str, bytes)) or not hasattr(theta0, "__len__"):
        raise InvalidArgument(f"theta0: expected {len(flow.parameters)} numbers, got {theta0!r}")
    if len(theta0) != len(flow.parameters):
        raise InvalidArgument(f"theta0: expected {len(flow.parameters)} numbers (parameters "
                              f"{', '.join(map(str, flow.parameters))}), got {len(theta0)}")
    return tuple(parse_rational(v, what=f"theta0 entry {k + 1}") for k, v in enumerate(theta0))


def prove_flow_limit(flow: Any, theta0: Sequence[Any], *, prec: int = DEFAULT_PREC,
                     t_max: Fraction | int | str | None = None,
                     loss_target: Fraction | str | None = None, order: int | None = None,
                     sensitivity_order: int = SENSITIVITY_ORDER,
                     max_steps: int | None = None,
                     progress: Callable[[int, float], None] | None = None
                     ) -> ProvedLimit | Inconclusive:
    """Certify lim_{t->oo} theta(t) in B(c, r) and L(lim) = 0 for d theta/dt = -grad L.

    Parameters
    ----------
    flow : igproof.symbolic.flow.GradientFlow
        The gradient flow (smooth, or piecewise with ReLU kinks).
    theta0 : sequence of exact numbers
        The initialization (ints, Fractions or decimal strings; floats by their repr).
    prec : int
        Working precision in bits (>= 53).
    t_max : rational, optional
        Give up (INCONCLUSIVE) if no end-game has closed by this time; default
        DEFAULT_T_MAX * prec / DEFAULT_PREC (:func:`budgets`).
    loss_target : rational, optional
        Stop integrating when sup L on the enclosure is below this; default 2^-(1.5 prec).
    order : int, optional
        Taylor order of the smooth validated steps; default grows with prec (:func:`budgets`).
    sensitivity_order : int
        Taylor order of their sensitivity matrices (they only multiply the tiny box R_k of the
        Lohner set, so a low order costs little width; the checker's replay cost grows with
        p^2 times its square).
    max_steps : int, optional
        Largest number of validated steps; default DEFAULT_MAX_STEPS * prec / DEFAULT_PREC.
    progress : callable, optional
        Called before every validated step (or affine piece) as ``progress(k, sup_loss)``:
        the k-th stop test and an upper bound of sup L on the enclosure there (a float).

    Returns
    -------
    ProvedLimit or Inconclusive

    Guarantee: enclosure (PROVED only when every inclusion was certified in ball arithmetic).
    """
    theta = _theta0(flow, theta0)
    if not isinstance(prec, int) or isinstance(prec, bool) or prec < 53:
        raise InvalidArgument(f"prec: expected an integer number of bits >= 53, got {prec!r}")
    t_default, steps_default, order_default = budgets(prec)
    t_max = t_default if t_max is None else t_max
    max_steps = steps_default if max_steps is None else max_steps
    order = order_default if order is None else order
    t_max_q = parse_rational(t_max, what="t_max")
    if t_max_q <= 0:
        raise InvalidArgument(f"t_max: expected a positive time, got {t_max!r}")
    if not isinstance(order, int) or isinstance(order, bool) or not 4 <= order <= 200:
        raise InvalidArgument(f"order: expected an integer in [4, 200], got {order!r}")
    if (not isinstance(sensitivity_order, int) or isinstance(sensitivity_order, bool)
            or not 2 <= sensitivity_order <= 200):
        raise InvalidArgument("sensitivity_order: expected an integer in [2, 200], got "
                              f"{sensitivity_order!r}")
    if not isinstance(max_steps, int) or isinstance(max_steps, bool) or max_steps < 1:
        raise InvalidArgument(f"max_steps: expected a positive integer, got {max_steps!r}")
    started = time.perf_counter()
    with precision(prec):
        target = (to_arb(parse_rational(loss_target, what="loss_target"))
                  if loss_target is not None
                  else arb(2) ** (-int(LOSS_EXPONENT * prec)))
        if not target > 0:
            raise InvalidArgument(f"loss_target: expected a positive number, got {loss_target!r}")
        try:
            out = _prove(flow, theta, prec=prec, t_max=t_max_q, target=target, order=order,
                         sensitivity_order=sensitivity_order, max_steps=max_steps,
                         progress=progress)
        except EnclosureFailure as exc:
            t = float(exc.t.mid()) if isinstance(exc.t, arb) else exc.t
            return Inconclusive(f"enclosure failed at t ~ {t}: {exc}", t=t)
        if isinstance(out, Inconclusive):
            return out
        out.seconds = time.perf_counter() - started
        return out


def _vanishes(value: sympy.Expr) -> bool:
    """value == 0 exactly, for a closed-form number (the field at theta0).

    A 30-digit evaluation that is clearly away from 0 settles it without ``sympy.simplify``
    (~0.4 s on a tanh field); only near-zeros are simplified. The answer only chooses the
    message for a start at a critical point: a wrong "nonzero" would start the validated
    integration, which proves nothing it cannot enclose.
    """
    if value.is_Rational:  # polynomial fields (relu pieces) at a rational point
        return value == 0
    approx = value.evalf(30)
    if approx.is_comparable and abs(approx) > NONZERO_EVIDENCE:
        return False
    return sympy.simplify(value) == 0


def _prove(flow: Any, theta: tuple[Fraction, ...], *, prec: int, t_max: Fraction, target: arb,
           order: int, sensitivity_order: int, max_steps: int,
           progress: Callable[[int, float], None] | None = None
           ) -> ProvedLimit | Inconclusive:
    params = tuple(flow.parameters)
    piecewise = bool(flow.kinks)
    pattern: tuple[int, ...] | None = None
    if piecewise:
        pattern = tuple(flow.pattern(list(theta)))
        for k, (z, s) in enumerate(zip(flow.kinks, pattern, strict=True)):
            if s == 0 and not sympy.sympify(z).is_number:
                return Inconclusive(f"theta0 lies on kink {k + 1} ({z} = 0): the activation "
                                    "pattern at the start is not decided", t=0.0)
    n = len(flow.residuals)
    field0, res0, _, _ = _piece(flow, pattern)
    point = {p: sympy.Rational(q.numerator, q.denominator) for p, q in zip(params, theta,
                                                                           strict=True)}
    if all(_vanishes(f.xreplace(point)) for f in field0):
        loss0 = sum(sympy.simplify(r.xreplace(point)) ** 2 for r in res0) / (2 * n)
        if loss0 != 0:
            return Inconclusive(f"theta0 is a critical point of L (grad L = 0) with L = {loss0}"
                                " > 0: the flow stays at theta0 and never reaches M_S (a "
                                "saddle or a spurious critical point)", t=0.0)
        return Inconclusive("theta0 already has zero loss: the flow stays there; nothing to "
                            "enclose", t=0.0)
    loss_floor = arb(2) ** (-int(LOSS_FLOOR_EXPONENT * prec))
    grad_target = arb(2) ** (-int(GRAD_EXPONENT * prec))
    checkpoint_step = arb(2) ** (-int(CHECKPOINT_STEP_EXPONENT * prec))
    # early isolated-zero end-game: the next checkpoint level of sup L, the (rows, relations)
    # system per activation pattern (None: not an isolated zero there), and the success
    start_level = arb(2) ** (-int(CHECKPOINT_START_EXPONENT * prec))
    early_steps = EARLY_PL_STEPS * max(prec, DEFAULT_PREC) // DEFAULT_PREC
    early: dict[str, Any] = {"level": start_level, "pl_level": start_level, "steps": 0,
                             "systems": {}, "result": None}
    integrator: ValidatedIntegrator | None = None
    stop_tests = itertools.count(1)  # numbers the progress reports

    def try_isolated_zero(x: Sequence[arb], loss_up: arb) -> bool:
        """Attempt the isolated-zero end-game on the box x at a checkpoint of sup L."""
        if not loss_up < early["level"]:
            return False
        early["level"] = loss_up * checkpoint_step
        assert integrator is not None
        pat = integrator.pattern
        _, res_p, kinks_p, signs_p = _piece(flow, pat)
        if len(res_p) < len(params):
            return False
        system = early["systems"].get(pat, False)
        if system is False:
            found = zero_system(params, res_p, [float(b.mid()) for b in x])
            system = found if isinstance(found, ZeroSystem) else None
            early["systems"][pat] = system
        if system is None:
            return False
        eg = isolated_zero_endgame(params, res_p, list(x), prec=prec, kinks=kinks_p,
                                   pattern=signs_p, system=system)
        if isinstance(eg, EndgameFailure):
            return False
        early["result"] = eg
        return True

    def try_early_pl(x: Sequence[arb], loss_up: arb) -> bool:
        """Attempt the PL end-game on the box x at a checkpoint of sup L (long runs only)."""
        early["steps"] += 1
        if early["steps"] <= early_steps or not loss_up < early["pl_level"]:
            return False
        early["pl_level"] = loss_up * checkpoint_step
        assert integrator is not None
        _, res_p, kinks_p, signs_p = _piece(flow, integrator.pattern)
        eg = pl_endgame(params, res_p, n, list(x), kinks=kinks_p, pattern=signs_p)
        if isinstance(eg, EndgameFailure):
            return False
        early["result"] = eg
        return True

    def stop_rule(field: list, res: list) -> Any:
        loss_prog = FieldProgram(params, res)
        grad_prog = FieldProgram(params, field)

        def loss_small(x: Sequence[arb]) -> bool:
            # stop at the loss target, or once sup L is below the squared width of the
            # enclosure: the end-game radius sqrt(2 L / mu) is then no bigger than the width
            # itself and further integration cannot shrink the limit ball
            s = arb(0)
            for v in loss_prog.evaluate(list(x)):
                s = s + v * v
            if progress is not None:
                # nearest double, then one ulp up: still an upper bound of sup L
                progress(next(stop_tests),
                         math.nextafter(float((s / (2 * n)).upper()), math.inf))
            width = max_radius(x)
            if bool(s / (2 * n) < target) or bool(s / (2 * n) < width * width):
                return True
            # an isolated zero of the residuals: the end-game closes long before the target
            if try_isolated_zero(x, arb((s / (2 * n)).upper())):
                return True
            if try_early_pl(x, arb((s / (2 * n)).upper())):
                return True
            # positive loss: stop once |grad L| is tiny (isolated end-game, GRAD_EXPONENT)
            if not s / (2 * n) > loss_floor:
                return False
            g2 = arb(0)
            for v in grad_prog.evaluate(list(x)):
                g2 = g2 + v * v
            return bool(g2 < grad_target ** 2) or bool(g2 < width * width)

        return loss_small

    integrator = ValidatedIntegrator(
        flow, [to_arb(q) for q in theta], pattern, stop_rule=stop_rule, t_max=t_max,
        tol=2.0 ** (-TOL_EXPONENT * prec), h_max=H_MAX, order=order,
        sensitivity_order=sensitivity_order, max_steps=max_steps,
        max_switches=MAX_SEGMENTS - 1, budget_stop=True)
    enclosure = run(integrator)
    t_now, box, pattern = enclosure.t, enclosure.box, enclosure.pattern
    if enclosure.status == "max_switches":
        return Inconclusive(f"more than {MAX_SEGMENTS - 1} kink crossings by t ~ "
                            f"{float(t_now.mid()):.6g}", t=float(t_now.mid()))
    if early["result"] is not None:
        eg = early["result"]
        return ProvedLimit(parameters=params, theta0=theta, centre=eg.centre, radius=eg.radius,
                           endgame=eg, T=t_now, box_T=box, segments=enclosure.segments,
                           prec=prec, seconds=0.0)
    if enclosure.status == "budget":
        # the budget ended before the loss target: the end-game may still close on the last
        # enclosure (a larger limit ball than the target would give, but a proved one)
        closed = _endgame(params, flow, n, box, pattern, prec, t_now)
        if isinstance(closed, str):
            return Inconclusive(f"budget ended at t ~ {float(t_now.mid()):.6g}: "
                                f"{enclosure.message}; the end-game on the enclosure there did "
                                f"not close either: {closed}", t=float(t_now.mid()))
        eg = closed
    elif enclosure.status != "target":  # zero_field, sliding, a failed step
        return Inconclusive(enclosure.message, t=float(t_now.mid()))
    else:
        closed = _endgame(params, flow, n, box, pattern, prec, t_now)
        if isinstance(closed, str):
            return Inconclusive(closed, t=float(t_now.mid()))
        eg = closed
    return ProvedLimit(parameters=params, theta0=theta, centre=eg.centre, radius=eg.radius,
                       endgame=eg, T=t_now, box_T=box, segments=enclosure.segments, prec=prec,
                       seconds=0.0)


def _endgame(params: tuple, flow: Any, n: int, box: list, pattern: tuple[int, ...] | None,
             prec: int, t_now: arb) -> PLEndgame | IsolatedEndgame | IsolatedZeroEndgame | str:
    """The end-games on the enclosure ``box`` of theta(T), in order: Polyak-Lojasiewicz, an
    isolated zero of the residuals (zero loss), an isolated minimizer (possibly positive loss);
    the first that closes, or why none did."""
    _, res, kinks, signs = _piece(flow, pattern)
    eg = pl_endgame(params, res, n, box, kinks=kinks, pattern=signs)
    if not isinstance(eg, EndgameFailure):
        return eg
    eg_zero = isolated_zero_endgame(params, res, box, prec=prec, kinks=kinks, pattern=signs)
    if not isinstance(eg_zero, EndgameFailure):
        return eg_zero
    loss_expr = sum((r ** 2 for r in res), sympy.Integer(0)) / (2 * n)
    eg_iso = isolated_endgame(params, loss_expr, box, prec=prec, kinks=kinks, pattern=signs)
    if not isinstance(eg_iso, EndgameFailure):
        return eg_iso
    return (f"end-game at t ~ {float(t_now.mid()):.4g}: {eg.reason}; {eg_zero.reason}; "
            f"{eg_iso.reason}")
