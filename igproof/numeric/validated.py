"""Validated piecewise integration: theta(t) in a box for every t, piece by piece across kinks.

:class:`ValidatedIntegrator` is the method of the integrator contract
(:mod:`igproof.numeric.stepper`) whose one step is one smooth *piece* of the trajectory
enclosure, in one of two arithmetics:

- ``affine``: the closed form theta(t) = exp(tM) theta_aug of an affine piece
  (:func:`igproof.numeric.ball.affine.propagate_piece`), ending at a certified switching time;
- ``taylor`` (arb Taylor): validated Taylor steps with a Lohner set
  (:func:`igproof.numeric.ball.lohner.integrate_smooth`), ending in a certified crossing step.

With ``method="auto"`` (what :func:`igproof.proof.limits.limit.prove_flow_limit` uses) a piece
whose field and kinks are affine takes the closed form, any other the Taylor method. A piece
ends when the caller's stop rule holds on the enclosure (status ``"target"``) or at a kink
crossing; a crossing into a side whose field certainly pushes away from the kink switches the
pattern, any other is ``"sliding"`` (no certified crossing). ``t_max`` and the step budget raise
:class:`igproof.errors.EnclosureFailure` with t, step and set, as the two step methods do.

Guarantee: enclosure. Every recorded box contains theta(t) for the exact initial point.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from fractions import Fraction
from typing import Any, ClassVar

import sympy
from flint import arb

from igproof.errors import EnclosureFailure, InvalidArgument
from igproof.numeric.ball.affine import AffinePiece, is_affine, propagate_piece
from igproof.numeric.ball.arith import arb_to_fraction, to_arb
from igproof.numeric.ball.lohner import LohnerSet, SmoothFlow, StepRecord, integrate_smooth
from igproof.numeric.ball.taylor import FieldProgram
from igproof.numeric.result import STOP_REASONS
from igproof.numeric.stepper import PiecewiseIntegrator, StepOutcome, check_options

__all__ = ["PIECE_METHODS", "Segment", "ValidatedIntegrator", "ValidatedRun", "full_pattern",
           "smooth_piece"]

# How a piece is enclosed: "auto" picks the closed form for affine pieces.
PIECE_METHODS = ("auto", "taylor", "affine")


@dataclass
class Segment:
    """One piece of the trajectory enclosure (for the certificate and the report)."""

    kind: str                     # "taylor" or "affine"
    pattern: tuple[int, ...] | None  # sign (+1 / -1) of every kink of the flow, None if smooth
    start: list[arb]
    end: list[arb]
    t_start: arb
    t_end: arb
    steps: list[StepRecord] = dc_field(default_factory=list)
    intervals: list[tuple[Fraction, Fraction]] = dc_field(default_factory=list)
    switch: Any = None               # affine: the Switch; taylor: the lohner.Crossing
    switch_kink: int | None = None   # index into flow.kinks of the switching kink
    matrix: tuple[tuple[Fraction, ...], ...] | None = None
    order: int | None = None          # Taylor order of the validated steps ("taylor")
    sensitivity_order: int | None = None  # Taylor order of their sensitivity matrices


@dataclass
class ValidatedRun:
    """The enclosure of theta on [0, t]: ``box`` contains theta(t); ``segments`` the pieces.

    ``status`` is ``"target"`` when the stop rule held, otherwise why the run stopped
    (``message``). Guarantee: enclosure.
    """

    status: str
    message: str
    t: arb
    box: list[arb]
    pattern: tuple[int, ...] | None
    segments: list[Segment]
    n_steps: int
    n_switches: int


def full_pattern(pattern: tuple[int, ...] | None) -> tuple[int, ...] | None:
    """+1 for an active kink, -1 for an inactive one (sign 0 is inactive: relu'(0) = 0)."""
    return None if pattern is None else tuple(1 if s > 0 else -1 for s in pattern)


def smooth_piece(flow: Any, pattern: tuple[int, ...] | None) -> tuple[list, list, list, list]:
    """(field, residuals, varying kinks, their signs) of the smooth piece for the pattern."""
    if pattern is None:
        return list(flow.field), list(flow.residuals), [], []
    sub = flow.restricted(pattern)
    kinks, signs = [], []
    for z, s in zip(flow.kinks, pattern, strict=True):
        if sympy.sympify(z).is_number:
            continue  # a constant kink: its sign is exact and never changes
        kinks.append(z)
        signs.append(1 if s > 0 else -1)
    return list(sub.field), list(sub.residuals), kinks, signs


def _t_max_failure(t_max: Fraction, t: Any, enclosure: Any) -> EnclosureFailure:
    return EnclosureFailure(f"loss not below target (nor |grad L| small at positive loss) by "
                            f"t_max={float(t_max)}", t=t, step=None, enclosure=enclosure)


class ValidatedIntegrator(PiecewiseIntegrator):
    """One step = one validated piece (closed-form affine or arb Taylor) up to a kink or the stop.

    Parameters
    ----------
    flow : igproof.symbolic.flow.GradientFlow
    box : list of arb
        Enclosure of theta0 (exact points are balls of radius 0).
    pattern : tuple of int or None
        The activation pattern at the start (None for a smooth flow); it must be decided.
    stop_rule : callable
        ``stop_rule(field, residuals)`` returns the predicate ``stop(box) -> bool`` of a piece;
        a piece ends (status ``"target"``) where it holds.
    t_max : Fraction
        EnclosureFailure when the stop rule has not held by this time.
    tol, h_max, order, sensitivity_order
        Per-step tolerance, longest step and Taylor orders of the Taylor method.
    max_steps : int
        Budget of Taylor steps over the whole run (EnclosureFailure beyond).
    max_switches : int
        Stop (``"max_switches"``) before a crossing beyond this many.
    budget_stop : bool
        With True, reaching ``t_max`` or ``max_steps`` ends the run normally (status
        ``"budget"``, the enclosure up to there kept) instead of raising EnclosureFailure.
    method : str
        One of :data:`PIECE_METHODS`.

    Guarantee: enclosure.
    """

    name = "validated"
    STOP_REASONS: ClassVar[Mapping[str, str]] = {
                    **STOP_REASONS,
                    "target": "the stop rule holds on the enclosure",
                    "budget": "t_max or max_steps reached before the stop rule held",
                    "zero_field": "the field vanishes identically on the activation pattern"}
    OPTIONS = ("stop_rule", "t_max", "tol", "h_max", "order", "sensitivity_order",
               "max_steps", "max_switches", "method", "budget_stop")

    def __init__(self, flow: Any, box: Sequence[arb], pattern: tuple[int, ...] | None,
                 **options: Any) -> None:
        check_options("ValidatedIntegrator", options, self.OPTIONS)
        missing = [k for k in self.OPTIONS[:7] if k not in options]
        if missing:
            raise InvalidArgument(f"ValidatedIntegrator: missing keyword argument "
                                  f"{missing[0]!r}")
        method = options.get("method", "auto")
        if method not in PIECE_METHODS:
            raise InvalidArgument(f"method: expected one of {', '.join(PIECE_METHODS)}, "
                                  f"got {method!r}")
        self.flow, self.method = flow, method
        self.params = tuple(flow.parameters)
        self.stop_rule: Callable[[list, list], Callable[[Sequence[arb]], bool]] = \
            options["stop_rule"]
        self.t_max: Fraction = options["t_max"]
        self.tol, self.h_max = options["tol"], options["h_max"]
        self.order, self.sensitivity_order = options["order"], options["sensitivity_order"]
        self.taylor_budget: int = options["max_steps"]
        self.taylor_steps = 0
        self.budget_stop: bool = bool(options.get("budget_stop", False))
        self.just_switched: int | None = None
        self.segments: list[Segment] = []
        self.kink_ids = [k for k, z in enumerate(getattr(flow, "kinks", ()) or ())
                         if not sympy.sympify(z).is_number]
        super().__init__(arb(0), list(box), pattern,
                         max_switches=options.get("max_switches"))

    def _finite(self, state: Any) -> bool:
        return True  # a ball step fails with EnclosureFailure instead of going non-finite

    def _step_impl(self) -> StepOutcome:
        field, res, kinks, signs = smooth_piece(self.flow, self.pattern)
        if all(sympy.expand(f) == 0 for f in field):
            return StepOutcome(stop="zero_field", steps=0, message=(
                "the field is identically zero on the activation pattern at theta0: theta(t) = "
                "theta0 for all t, a critical point with nonzero loss"
                if any(sympy.expand(r) != 0 for r in res)
                else "the field vanishes identically"))
        stop = self.stop_rule(field, res)
        affine = (not kinks or is_affine(self.params, kinks)) and is_affine(self.params, field)
        if self.method == "affine" and not affine:
            raise InvalidArgument(f"method='affine': the field of pattern {self.pattern} is "
                                  "not affine; use method='auto' or 'taylor'")
        if affine and self.method != "taylor":
            return self._affine_piece(field, kinks, signs, stop)
        return self._taylor_piece(field, kinks, signs, stop)

    def _affine_piece(self, field: list, kinks: list, signs: list,
                      loss_small: Callable[[Sequence[arb]], bool]) -> StepOutcome:
        t_now, box, t_max = self.t, self.state, self.t_max
        piece = AffinePiece.from_field(self.params, field, kinks, signs)
        norm = max(sum(abs(q) for q in row) for row in piece.M) or Fraction(1)
        dt0 = Fraction(1, 2 ** max(0, (4 * norm).numerator.bit_length()
                                   - (4 * norm).denominator.bit_length() + 1))
        t_left = t_max - arb_to_fraction(arb(t_now.upper()))

        budget: list[str] = []

        def stop(state: list[arb], t: Fraction) -> bool:
            if t > t_left:
                if not self.budget_stop:
                    raise _t_max_failure(t_max, float(t), state)
                budget.append(str(_t_max_failure(t_max, float(t), state)))
                return True
            return loss_small(state)

        run = propagate_piece(piece, box, stop=stop, dt0=dt0, just_switched=self.just_switched)
        seg = Segment("affine", full_pattern(self.pattern), box, run.state, t_now, t_now,
                      intervals=run.intervals, matrix=piece.M)
        self.segments.append(seg)
        if run.switch is None:
            seg.t_end = t_now + to_arb(run.t_end)
            return StepOutcome(points=[(seg.t_end, run.state)],
                               stop="budget" if budget else "target",
                               message=budget[0] if budget else "", steps=len(run.intervals))
        seg.switch = run.switch
        seg.t_end = t_now + run.switch.t
        return StepOutcome(points=[(seg.t_end, run.switch.state)], event=seg,
                           steps=len(run.intervals))

    def _taylor_piece(self, field: list, kinks: list, signs: list,
                      loss_small: Callable[[Sequence[arb]], bool]) -> StepOutcome:
        t_now, box, t_max = self.t, self.state, self.t_max
        sflow = SmoothFlow(self.params, tuple(field), tuple(kinks),
                           tuple(signs) if kinks else None, order=self.order,
                           sensitivity_order=self.sensitivity_order)
        t_limit = to_arb(t_max)
        steps_left = self.taylor_budget - self.taylor_steps
        budget: list[str] = []  # why the budget ended the piece (budget_stop only)
        calls = [0]  # stop is asked once before every step

        def stop(S: LohnerSet, t: arb) -> bool:
            calls[0] += 1
            over_time = bool(t > t_limit)
            if over_time and not self.budget_stop:
                raise _t_max_failure(t_max, t, S.hull())
            if loss_small(S.hull()):
                return True
            if over_time or calls[0] > steps_left:  # budget_stop: end the piece here
                budget.append(str(_t_max_failure(t_max, t, S.hull())) if over_time else
                              f"no stop after max_steps={self.taylor_budget} validated steps")
                return True
            return False

        srun = integrate_smooth(sflow, LohnerSet.from_box(box), t0=t_now, stop=stop,
                                tol=self.tol, h_max=self.h_max,
                                max_steps=steps_left + 1 if self.budget_stop else steps_left,
                                leaving=self.just_switched, crossing=bool(kinks))
        self.taylor_steps += len(srun.steps)
        seg = Segment("taylor", full_pattern(self.pattern), box, srun.final.hull(), t_now,
                      srun.t, steps=srun.steps, order=self.order,
                      sensitivity_order=self.sensitivity_order)
        self.segments.append(seg)
        if srun.switch is None:
            return StepOutcome(points=[(srun.t, srun.final.hull())],
                               stop="budget" if budget else "target",
                               message=budget[0] if budget else "", steps=len(srun.steps))
        cross = srun.switch
        seg.switch, seg.end, seg.t_end = cross, cross.box, cross.t_interval
        return StepOutcome(points=[(seg.t_end, cross.box)], event=seg, steps=len(srun.steps))

    def _switch(self, seg: Segment) -> tuple[tuple[int, ...] | None, list[Segment], str]:
        """Flip the crossed kink; a Taylor crossing must also leave certainly (no sliding)."""
        new = list(self.pattern)
        k_flow = self.kink_ids[seg.switch.kink]
        seg.switch_kink = k_flow
        if seg.kind == "affine":
            new[k_flow] = 1 if seg.switch.new_pattern[seg.switch.kink] > 0 else -1
            self.just_switched = seg.switch.kink
            return tuple(new), [seg], ""
        cross = seg.switch
        new[k_flow] = cross.new_sign
        self.just_switched = cross.kink
        # no sliding: under the new field the kink must move certainly to its new side
        field_n, _, kinks_n, _ = smooth_piece(self.flow, tuple(new))
        rate = FieldProgram(self.params, [sum((sympy.diff(kinks_n[cross.kink], q) * f
                                               for q, f in zip(self.params, field_n,
                                                               strict=True)),
                                              sympy.Integer(0))]).evaluate(self.state)[0]
        if not (rate > 0 if cross.new_sign > 0 else rate < 0):
            return None, [], (f"kink {k_flow + 1} ({self.flow.kinks[k_flow]} = 0) is reached at "
                              f"t ~ {float(self.t.mid()):.6g}, but on the other side dz/dt is "
                              f"not certainly of sign {cross.new_sign} (the flow slides along "
                              "the kink or turns back): no certified crossing")
        return tuple(new), [seg], ""

    def result(self) -> ValidatedRun:
        return ValidatedRun(status=self.status, message=self.message, t=self.t,
                            box=self.state, pattern=self.pattern, segments=self.segments,
                            n_steps=self.n_steps, n_switches=self.n_switches)
