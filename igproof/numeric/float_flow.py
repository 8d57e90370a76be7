"""Float integration of d theta/dt = -grad L(theta) with scipy, piecewise for ReLU models.

Within one activation pattern the restricted smooth field is integrated by
``scipy.integrate.solve_ivp``; each non-constant kink z_k(theta) is a terminal event (direction:
leaving the pattern's side), so a switch is located by the solver's root finder on its dense
output, never by sampling past the kink; the integration restarts there in the new pattern.
One such solve_ivp run is one step of :class:`FloatIntegrator`, a method of the integrator
contract :mod:`igproof.numeric.stepper`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from igproof.errors import DataError, InvalidArgument
from igproof.numeric.pieces import PiecewiseField, euclidean_norm, exact_theta0
from igproof.numeric.result import Switch, Trajectory
from igproof.numeric.series import TaylorProgram
from igproof.numeric.stepper import PiecewiseIntegrator, StepOutcome, check_options, run

__all__ = ["DEFAULT_METHOD", "DEFAULT_RTOL", "FloatIntegrator", "integrate_float"]

# DOP853 (explicit, 8th order, 7th-order dense output for event location): at rtol 1e-12 on the
# neuron and relu-neuron flows LSODA took 0.6-1.13x its time and RK45 2.6-4.7x
# (benchmarks/bench_integrators.py, part c, on a loaded machine). DOP853 is kept for its
# high-order dense output (kink events) and because it never switches methods mid-run; these
# flows are not stiff at the sizes igproof uses. Pass method="LSODA" to trade.
DEFAULT_METHOD = "DOP853"
METHODS = ("DOP853", "RK45", "RK23", "LSODA", "Radau", "BDF")

# Relative tolerance: 1e-10 keeps float limits within ~1e-9 of the high-precision ones.
DEFAULT_RTOL = 1e-10

# atol = rtol * (smallest nonzero |theta0_i|): the initialization scale. scipy's default
# atol = 1e-6 is larger than a 1e-6 initialization and destroys the small-init regime.
FALLBACK_SCALE = 1.0

# A pattern switch costs a solver restart; more than this means chattering.
DEFAULT_MAX_SWITCHES = 1000

# A rate |dz/dt| below this (relative to |theta|) counts as 0 when deciding a kink's side.
RATE_NOISE = 1e-13

# The smallest positive float: stands in for an exact 0 of a kink on the pattern's side.
_TINY = 5e-324


def _check_positive(name: str, value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidArgument(f"{name}: expected a positive number, got {value!r}") from None
    if not math.isfinite(v) or v <= 0:
        raise InvalidArgument(f"{name}: expected a positive finite number, got {value!r}")
    return v


def integrate_float(flow: Any, theta0: Sequence[Any], *, t_max: float,
                    rtol: float = DEFAULT_RTOL, atol: float | None = None,
                    method: str = DEFAULT_METHOD, max_switches: int = DEFAULT_MAX_SWITCHES,
                    grad_tol: float | None = None) -> Trajectory:
    """theta(t) for d theta/dt = F(theta) = -grad L(theta), theta(0) = theta0, in floats.

    Parameters
    ----------
    flow : igproof.symbolic.flow.GradientFlow
        The flow (smooth, or piecewise with kinks).
    theta0 : sequence of numbers
        Initial parameters (ints, Fractions, decimal text or floats), one per parameter.
    t_max : float
        Final time (> 0).
    rtol : float
        Relative tolerance of the solver.
    atol : float, optional
        Absolute tolerance; default rtol times the smallest nonzero |theta0_i| (the
        initialization scale), so small initializations are resolved.
    method : str
        A ``solve_ivp`` method; DOP853 by default (see DEFAULT_METHOD).
    max_switches : int
        Stop (status ``"max_switches"``) after this many pattern changes.
    grad_tol : float, optional
        Stop as soon as |F(theta)| <= grad_tol (terminal event), status ``"grad_tol"``.

    Returns
    -------
    Trajectory
        With the solver's accepted steps, the switches (time, kink, value of z_k there) and
        the stop reason.

    Notes
    -----
    A kink exactly at 0 at the start follows the convention of
    :mod:`igproof.numeric.pieces`. If at a switch the field on the new side pushes back into
    the kink (sliding), integration stops with status ``"sliding"``. The loop is
    :func:`igproof.numeric.stepper.run` over a :class:`FloatIntegrator`.

    Guarantee: approximate (solver error estimate only, no bound).
    """
    return run(FloatIntegrator(flow, theta0, t_max=t_max, rtol=rtol, atol=atol, method=method,
                               max_switches=max_switches, grad_tol=grad_tol))


class FloatIntegrator(PiecewiseIntegrator):
    """One step = one ``solve_ivp`` run in the current pattern, to the next kink event or t_max.

    Each non-constant kink group is a terminal event (direction: leaving the pattern's side);
    ``grad_tol`` adds a terminal event |F| = grad_tol. Options as :func:`integrate_float`.

    Guarantee: approximate (solver error estimate only, no bound).
    """

    name = "float"
    OPTIONS = ("t_max", "rtol", "atol", "method", "max_switches", "grad_tol")

    def __init__(self, flow: Any, theta0: Sequence[Any], **options: Any) -> None:
        check_options("integrate_float", options, self.OPTIONS)
        if "t_max" not in options:
            raise InvalidArgument("t_max: required (the final time, > 0)")
        t_max = _check_positive("t_max", options["t_max"])
        rtol = _check_positive("rtol", options.get("rtol", DEFAULT_RTOL))
        method = options.get("method", DEFAULT_METHOD)
        if method not in METHODS:
            raise InvalidArgument(f"method: expected one of {', '.join(METHODS)}, "
                                  f"got {method!r}")
        max_switches = options.get("max_switches", DEFAULT_MAX_SWITCHES)
        if (isinstance(max_switches, bool) or not isinstance(max_switches, int)
                or max_switches < 0):
            raise InvalidArgument(f"max_switches: expected a non-negative integer, "
                                  f"got {max_switches!r}")
        exact0 = exact_theta0(flow, theta0)
        theta = [float(v) for v in exact0]
        if not all(math.isfinite(v) for v in theta):
            raise DataError(f"theta0: {exact0} overflows a float")
        atol = options.get("atol")
        if atol is None:
            nonzero = [abs(v) for v in theta if v != 0.0]
            atol = rtol * (min(nonzero) if nonzero else FALLBACK_SCALE)
        atol = _check_positive("atol", atol)
        grad_tol = options.get("grad_tol")
        if grad_tol is not None:
            grad_tol = _check_positive("grad_tol", grad_tol)
        self.rtol, self.atol, self.method, self.grad_tol = rtol, atol, method, grad_tol
        self.pieces = pieces = PiecewiseField(flow)
        noise = RATE_NOISE * max(1.0, max(abs(v) for v in theta))
        self.start_pattern = pieces.initial_pattern(exact0, float, noise)
        super().__init__(0.0, tuple(theta), self.start_pattern, t_end=t_max,
                         max_switches=max_switches)
        self.kink_fns = []
        if pieces.kink_program is not None:
            for g in range(len(pieces.groups)):
                z = pieces.kinks[pieces.groups[g][0]]
                self.kink_fns.append(TaylorProgram.from_exprs(pieces.parameters, [z]))

    def _step_impl(self) -> StepOutcome:
        import numpy
        from scipy.integrate import solve_ivp

        pieces, grad_tol = self.pieces, self.grad_tol
        program = pieces.program(self.pattern)
        theta = list(self.state)

        def fun(_t: float, y: Any) -> list[float]:
            return program.evaluate(y.tolist())

        events = []
        for g, prog in enumerate(self.kink_fns):
            # An exact 0 counts as being on the pattern's side: solve_ivp would report a
            # crossing for g = 0 at both ends of a step (a kink resting at 0, sign 0).
            side = _TINY if pieces.group_sign(self.pattern, g) == 1 else -_TINY

            def event(_t: float, y: Any, prog: Any = prog, side: float = side) -> float:
                z = prog.evaluate(y.tolist())[0]
                return z if z != 0 else side
            event.terminal = True
            event.direction = -1 if side > 0 else 1
            events.append(event)
        if grad_tol is not None:
            def grad_event(_t: float, y: Any) -> float:
                return math.hypot(*program.evaluate(y.tolist())) - grad_tol
            grad_event.terminal = True
            grad_event.direction = -1
            events.append(grad_event)
            if math.hypot(*program.evaluate(theta)) <= grad_tol:
                return StepOutcome(stop="grad_tol", steps=0)
        sol = solve_ivp(fun, (self.t, self.t_end), numpy.array(theta), method=self.method,
                        rtol=self.rtol, atol=self.atol, events=events or None)
        if sol.status == -1:
            return StepOutcome(stop="solver", message=f"solve_ivp: {sol.message}", steps=0)
        points = [(float(tj), tuple(float(v) for v in yj))
                  for tj, yj in zip(sol.t[1:], sol.y.T[1:], strict=True)]
        last = (float(sol.t[-1]), tuple(float(v) for v in sol.y[:, -1]))
        if sol.status == 0:  # t_end reached: the next step() stops with "t_max"
            return StepOutcome(points=points, at=last, steps=len(points))
        fired = [k for k, te in enumerate(sol.t_events) if len(te)]
        group = min(fired, key=lambda k: float(sol.t_events[k][0]))
        if group >= len(self.kink_fns):
            return StepOutcome(points=points, at=last, stop="grad_tol", steps=len(points))
        t = float(sol.t_events[group][0])
        theta_event = tuple(float(v) for v in sol.y_events[group][0])
        n_solver = len(points)
        if (points[-1][0] if points else self.t) != t:
            points.append((t, theta_event))
        return StepOutcome(points=points, at=(t, theta_event), event=group, steps=n_solver)

    def _switch(self, group: int) -> tuple[tuple[int, ...] | None, list[Switch], str]:
        theta = self.state
        noise = RATE_NOISE * max(1.0, max(abs(v) for v in theta))
        new_pattern, flips, message = self.pieces.switch(theta, self.pattern, group, noise)
        if new_pattern is None:
            return None, [], f"{message} (t={self.t:.6g})"
        return new_pattern, self.pieces.switch_records(self.t, theta, flips), ""

    def result(self) -> Trajectory:
        pieces = self.pieces
        theta = list(self.state)
        grad = euclidean_norm(pieces.program(self.pattern).evaluate(theta))
        return Trajectory(
            method="float", parameters=pieces.names, t=self.t, theta=tuple(theta),
            pattern=self.pattern, grad_norm=grad, start_pattern=self.start_pattern,
            ts=self.ts, thetas=self.states, switches=self.switches, status=self.status,
            message=self.message,
            settings={"solver": self.method, "rtol": self.rtol, "atol": self.atol,
                      "grad_tol": self.grad_tol},
        )
