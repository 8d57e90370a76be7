"""Float integration of d theta/dt = -grad L(theta) with scipy, piecewise for ReLU models.

Within one activation pattern the restricted smooth field is integrated by
``scipy.integrate.solve_ivp``; each non-constant kink z_k(theta) is a terminal event (direction:
leaving the pattern's side), so a switch is located by the solver's root finder on its dense
output, never by sampling past the kink; the integration restarts there in the new pattern.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from igproof.errors import DataError, InvalidArgument
from igproof.numeric.pieces import PiecewiseField, euclidean_norm, exact_theta0
from igproof.numeric.result import STOP_REASONS, Switch, Trajectory

__all__ = ["DEFAULT_METHOD", "DEFAULT_RTOL", "integrate_float"]

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
    the kink (sliding), integration stops with status ``"sliding"``.

    Guarantee: approximate (solver error estimate only, no bound).
    """
    import numpy
    from scipy.integrate import solve_ivp

    t_max = _check_positive("t_max", t_max)
    rtol = _check_positive("rtol", rtol)
    if method not in METHODS:
        raise InvalidArgument(f"method: expected one of {', '.join(METHODS)}, got {method!r}")
    if isinstance(max_switches, bool) or not isinstance(max_switches, int) or max_switches < 0:
        raise InvalidArgument(f"max_switches: expected a non-negative integer, "
                              f"got {max_switches!r}")
    exact0 = exact_theta0(flow, theta0)
    theta = [float(v) for v in exact0]
    if not all(math.isfinite(v) for v in theta):
        raise DataError(f"theta0: {exact0} overflows a float")
    if atol is None:
        nonzero = [abs(v) for v in theta if v != 0.0]
        atol = rtol * (min(nonzero) if nonzero else FALLBACK_SCALE)
    atol = _check_positive("atol", atol)
    if grad_tol is not None:
        grad_tol = _check_positive("grad_tol", grad_tol)

    pieces = PiecewiseField(flow)
    noise = RATE_NOISE * max(1.0, max(abs(v) for v in theta))
    pattern = start_pattern = pieces.initial_pattern(exact0, float, noise)
    t = 0.0
    ts: list[float] = [t]
    thetas: list[tuple[float, ...]] = [tuple(theta)]
    switches: list[Switch] = []
    status = "t_max"
    message = ""

    kink_fns = []
    if pieces.kink_program is not None:
        from igproof.numeric.series import TaylorProgram

        for g in range(len(pieces.groups)):
            z = pieces.kinks[pieces.groups[g][0]]
            kink_fns.append(TaylorProgram.from_exprs(pieces.parameters, [z]))

    while True:
        program = pieces.program(pattern)

        def fun(_t: float, y: Any, program: Any = program) -> list[float]:
            return program.evaluate(y.tolist())

        events = []
        for g, prog in enumerate(kink_fns):
            # An exact 0 counts as being on the pattern's side: solve_ivp would report a
            # crossing for g = 0 at both ends of a step (a kink resting at 0, sign 0).
            side = _TINY if pieces.group_sign(pattern, g) == 1 else -_TINY

            def event(_t: float, y: Any, prog: Any = prog, side: float = side) -> float:
                z = prog.evaluate(y.tolist())[0]
                return z if z != 0 else side
            event.terminal = True
            event.direction = -1 if side > 0 else 1
            events.append(event)
        if grad_tol is not None:
            def grad_event(_t: float, y: Any, program: Any = program) -> float:
                return math.hypot(*program.evaluate(y.tolist())) - grad_tol
            grad_event.terminal = True
            grad_event.direction = -1
            events.append(grad_event)
            if math.hypot(*program.evaluate(theta)) <= grad_tol:
                status = "grad_tol"
                break
        sol = solve_ivp(fun, (t, t_max), numpy.array(theta), method=method, rtol=rtol,
                        atol=atol, events=events or None)
        if sol.status == -1:
            status, message = "solver", f"solve_ivp: {sol.message}"
            break
        for tj, yj in zip(sol.t[1:], sol.y.T[1:], strict=True):
            ts.append(float(tj))
            thetas.append(tuple(float(v) for v in yj))
        t = float(sol.t[-1])
        theta = [float(v) for v in sol.y[:, -1]]
        if sol.status == 0:
            status = "t_max"
            break
        fired = [k for k, te in enumerate(sol.t_events) if len(te)]
        group = min(fired, key=lambda k: float(sol.t_events[k][0]))
        if group >= len(kink_fns):
            status = "grad_tol"
            break
        t = float(sol.t_events[group][0])
        theta = [float(v) for v in sol.y_events[group][0]]
        if ts[-1] != t:
            ts.append(t)
            thetas.append(tuple(theta))
        if len(switches) >= max_switches:
            status = "max_switches"
            break
        noise = RATE_NOISE * max(1.0, max(abs(v) for v in theta))
        new_pattern, flips, message = pieces.switch(theta, pattern, group, noise)
        if new_pattern is None:
            status = "sliding"
            message = f"{message} (t={t:.6g})"
            break
        switches.extend(pieces.switch_records(t, theta, flips))
        pattern = new_pattern
        if t >= t_max:
            status = "t_max"
            break

    grad = euclidean_norm(pieces.program(pattern).evaluate(theta))
    return Trajectory(
        method="float", parameters=pieces.names, t=t, theta=tuple(theta), pattern=pattern,
        grad_norm=grad, start_pattern=start_pattern, ts=ts, thetas=thetas,
        switches=switches, status=status,
        message=message or STOP_REASONS[status],
        settings={"solver": method, "rtol": rtol, "atol": atol, "grad_tol": grad_tol},
    )
