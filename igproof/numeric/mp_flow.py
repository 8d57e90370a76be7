"""High-precision integration of d theta/dt = -grad L(theta): a Taylor-series method (mpmath).

Each step computes the normalized Taylor coefficients theta_[0..N] of the solution through the
current point by automatic differentiation of the symbolic field
(:class:`~igproof.numeric.series.TaylorProgram`) and sums the series at the step size h.

Arithmetic. The series is computed in fixed point
(:func:`~igproof.numeric.series.ode_taylor_fixed`): for a trial step H the scaled coefficients
Y_k = theta_[k] H^k are Python integers in one unit 2^-(p + FIXED_GUARD_BITS) (relative to
max(1, |theta|)), so every product of the recurrences is an exact integer product and every
dot product one integer sum shifted once. With H near the step, all Y_k lie between the size of
theta and the truncation target, which is what makes one shared exponent enough; mpf numbers
(an exponent, normalization and rounding per operation) cost several times more. The orders
whose coefficients are all below ~2^-53 of the state run in doubles (the series' float tier,
rounding ~2^-14 eps). The state, t and h stay mpf (the step's scalar work is done on their
mpmath.libmp tuples). When a divisor of the series (1/a, sqrt, log, a^q at their constant term)
is below 2^-FIXED_DIVISOR_BITS the step is redone in mpf (the float step). H follows the
allowed steps (STEP_GROWTH), and the step h = rho H (rho <= 1) follows from the tail as below.

Order and step (Jorba-Zou-type control). With working precision p bits and target
eps = 2^-(p - GUARD_BITS) (so about ``dps`` correct digits per step), the order is
N = max(MIN_ORDER, ceil(ORDER_PER_DIGIT * dps + ORDER_OFFSET)) (about -ln(eps)/2 plus the
orders the per-step overhead is worth) and the step is the largest
h with |theta_[j]| h^j <= 2^-TAIL_MARGIN_BITS eps * max(1, |theta|) for the last two orders
j = N - 1, N. For a series with geometric coefficient decay this makes the truncated tail below
eps relative to the state. This is an error *estimate*: the result carries no rigorous bound
(use the ball integrators for that), and trajectories are SUPPORTED evidence, never PROVED.

ReLU flows are piecewise: within a step, every kink's Taylor polynomial z_k(theta(t0 + s)) is
checked at SWITCH_SAMPLES points of [0, h]; the first point on the wrong side brackets a root,
which is refined by safeguarded Newton iteration on that polynomial to full working precision;
the step is cut there and the pattern switches (several kinks with the same expression switch
together). A crossing and re-crossing between two sample points of one step would be missed;
the step size (about 0.15 times the radius of convergence) makes this unlikely.

The global mpmath precision is never changed: the work runs inside ``mpmath.mp.workprec``.
One Taylor step is the step of :class:`MpTaylorIntegrator`, a method of the integrator contract
:mod:`igproof.numeric.stepper`, which owns the loop, the switches and the stop reasons.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from operator import mul
from typing import Any

import mpmath
from mpmath.libmp import (
    fone,
    from_float,
    from_man_exp,
    mpf_abs,
    mpf_add,
    mpf_cmp,
    mpf_div,
    mpf_mul,
    mpf_sub,
    round_nearest,
    to_fixed,
)

from igproof.errors import InvalidArgument
from igproof.numeric.pieces import (
    PiecewiseField,
    euclidean_norm,
    exact_theta0,
    piecewise_field,
)
from igproof.numeric.result import Switch, Trajectory
from igproof.numeric.series import (
    FixedPointLoss,
    MpfBackend,
    ode_taylor_fixed,
)
from igproof.numeric.stepper import PiecewiseIntegrator, StepOutcome, check_options, run

__all__ = ["MpTaylorIntegrator", "integrate_mp", "order_for", "working_prec"]

# Extra bits carried beyond the requested digits: absorb rounding in ~1e4 steps (14 bits) plus
# the Taylor sums.
GUARD_BITS = 20

# Order per decimal digit, plus a constant. The Jorba-Zou optimum counts products only,
# N ~ -ln(eps)/2 = 1.15 * dps; the per-step work that does not grow with N^2 (the scalars, the
# conversions, the kink check, the float tier's switch: ~15-20% of a step at 30 digits) moves
# the measured optimum up by a roughly constant number of orders (benchmarks/bench_hiprec.py:
# 1.2 dps + 12 is 20% faster than 1.4 dps at 15 digits, the same at 30 and 50).
ORDER_PER_DIGIT = 1.2
ORDER_OFFSET = 12

# Below this order the per-step overhead dominates; 12 is cheap and accurate at dps <= 10.
MIN_ORDER = 12

# Margin of the step's tail estimate, for coefficient sequences that are not exactly geometric:
# the last two terms are held to 2^-TAIL_MARGIN_BITS eps, i.e. the step from eps is multiplied by
# 2^(-TAIL_MARGIN_BITS / N). (Jorba and Zou's factor exp(-0.7 / (N - 1)) is a margin of 1 bit;
# the 0.9 used before was 0.9^N, 6-11 bits at 30-50 digits: 2-3 digits more than asked for, at
# 10% more steps. With 3 bits the final errors on bench_hiprec.py's flows stay 1.5-30x below
# mpmath.odefun's at the same dps.)
TAIL_MARGIN_BITS = 3

# Sample points per step at which each kink polynomial's sign is checked.
SWITCH_SAMPLES = 8

# Newton iterations for a switching time (quadratic convergence: 60 covers 10^4 digits after
# bisection brought the bracket to ~1e-3 of the step).
MAX_NEWTON = 60

# Fixed-point series (module docstring): bits carried below the working precision's unit, so
# the floor roundings of ~order * nodes operations per step stay below the eps target.
FIXED_GUARD_BITS = 12

# The series is computed for a trial step H >= the step taken (rho <= 1). The next H is
# STEP_GROWTH times the step h_opt the tail allowed, times the growth of h_opt over the last
# step (within [1, 2^LOG2_MAX_GROWTH]): along a converging flow the allowed steps grow smoothly,
# and an H close to the step keeps the coefficients small (Y_k grows like (H/h)^k), so more of
# them are in the series' float tier (1.25 h_opt, the rule before, cost 5-7% more time at 30-50
# digits); an H below the allowed step caps the step at H. The first step tries H = 1, or at
# orders above 3 PROBE_ORDER, the H that the coefficients of orders PROBE_ORDER/2..PROBE_ORDER at
# H = 1, extrapolated geometrically to the order, would give (at most 1): the probe costs a fifth
# of a series, a series at H = 1 about 1.5 series in large integers (relu neuron, 30 digits).
# H never exceeds the time left.
STEP_GROWTH = 1.05
LOG2_MAX_GROWTH = 0.5
PROBE_ORDER = 10

# The fixed-point |F| check for grad_tol needs grad_tol to be this many units of the fixed
# point at least (else |F| is evaluated in floating point).
GRAD_CHECK_MIN_UNITS = 1 << 16

DEFAULT_MAX_STEPS = 100_000
DEFAULT_MAX_SWITCHES = 1000


def working_prec(dps: int) -> int:
    """Working precision in bits for ``dps`` requested digits: ceil(dps log2 10) + GUARD_BITS."""
    return math.ceil(dps * math.log2(10)) + GUARD_BITS


def order_for(dps: int) -> int:
    """Taylor order at ``dps`` digits: max(MIN_ORDER, ceil(ORDER_PER_DIGIT dps + ORDER_OFFSET))."""
    return max(MIN_ORDER, math.ceil(ORDER_PER_DIGIT * dps + ORDER_OFFSET))


def _dyadic(log2_x: float) -> tuple:
    """2^log2_x as an mpf tuple with a 53-bit mantissa (no float overflow or underflow)."""
    floor = math.floor(log2_x)
    return from_man_exp(int(math.ldexp(2.0 ** (log2_x - floor), 52)), floor - 52)


def _fixed_powers(r: int, order: int, frac: int) -> list[int]:
    """[rho^0, ..., rho^order] in fixed point (unit 2^-frac), rho = r 2^-frac."""
    powers = [1 << frac]
    for _ in range(order):
        powers.append((powers[-1] * r) >> frac)
    return powers


def _log2(x: Any) -> float:
    """log2(x) for a positive finite mpf, as a float (x.exp + log2 of the integer mantissa)."""
    return x.exp + math.log2(x.man)


def _horner(coeffs: Sequence[Any], s: Any) -> Any:
    value = coeffs[-1]
    for c in reversed(coeffs[:-1]):
        value = value * s + c
    return value


def _horner_with_derivative(coeffs: Sequence[Any], s: Any) -> tuple[Any, Any]:
    value = coeffs[-1]
    deriv = 0 * value
    for c in reversed(coeffs[:-1]):
        deriv = deriv * s + value
        value = value * s + c
    return value, deriv


def _root_in(coeffs: Sequence[Any], lo: Any, hi: Any, sign_lo: int, tol: Any) -> Any:
    """A root of the polynomial in [lo, hi], where sign(p(lo)) = sign_lo != sign(p(hi)).

    Newton steps that leave the bracket are replaced by bisection; stops when the step is
    below ``tol``.
    """
    s = (lo + hi) / 2
    for _ in range(MAX_NEWTON + 200):
        value, deriv = _horner_with_derivative(coeffs, s)
        if value == 0:
            return s
        if (value > 0) == (sign_lo > 0):
            lo = s
        else:
            hi = s
        candidate = s - value / deriv if deriv != 0 else None
        if candidate is None or not lo < candidate < hi:
            candidate = (lo + hi) / 2
        if abs(candidate - s) <= tol:
            return candidate
        s = candidate
    return s


def _check_int(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise InvalidArgument(f"{name}: expected an integer >= {low}, got {value!r}")
    return value


def integrate_mp(flow: Any, theta0: Sequence[Any], *, dps: int = 30, t_max: Any,
                 order: int | None = None, grad_tol: Any = None,
                 max_steps: int = DEFAULT_MAX_STEPS,
                 max_switches: int = DEFAULT_MAX_SWITCHES) -> Trajectory:
    """theta(t) for d theta/dt = -grad L(theta) by a Taylor method at ``dps`` digits.

    Parameters
    ----------
    flow : igproof.symbolic.flow.GradientFlow or igproof.numeric.pieces.PiecewiseField
        The flow (smooth, or piecewise with kinks), or its compiled field.
    theta0 : sequence of numbers
        Exact initial parameters (ints, Fractions, decimal text, floats by their repr, mpf).
    dps : int
        Decimal digits of the per-step error target (the working precision is
        :func:`working_prec`).
    t_max : number
        Final time (> 0); an int, Fraction or decimal text is read exactly.
    order : int, optional
        Taylor order; default :func:`order_for` (dps).
    grad_tol : number, optional
        Stop at the first step point with |F(theta)| <= grad_tol (status ``"grad_tol"``).
    max_steps, max_switches : int
        Stop (with that status) after this many steps / pattern changes.

    Returns
    -------
    Trajectory
        States are ``mpmath.mpf`` carrying the working precision; every step point is
        recorded. ``settings`` holds dps, prec (bits), order and eps.

    Notes
    -----
    The loop is :func:`igproof.numeric.stepper.run` over a :class:`MpTaylorIntegrator`, inside
    ``mpmath.mp.workprec``.

    Guarantee: approximate: each step's truncation error is estimated (tail of the series)
    to about eps relative to max(1, |theta|); there is no rigorous bound.
    """
    integrator = MpTaylorIntegrator(flow, theta0, dps=dps, t_max=t_max, order=order,
                                    grad_tol=grad_tol, max_steps=max_steps,
                                    max_switches=max_switches)
    with mpmath.mp.workprec(integrator.prec):
        return run(integrator)


class _OneParameter:
    """Stand-in flow with one parameter, to read t_max with the theta0 reader."""

    parameters = ("t_max",)


class _Named:
    """Stand-in flow with the parameters' names, for the theta0 reader."""

    def __init__(self, names: Sequence[str]) -> None:
        self.parameters = names


class MpTaylorIntegrator(PiecewiseIntegrator):
    """One step = one Taylor step theta(t + h) = sum_k theta_[k] h^k in mpmath.

    The step is cut at the first kink root of the Taylor polynomial of z_g (module docstring).
    Options as :func:`integrate_mp`; ``step()`` and :func:`run` must be called inside
    ``mpmath.mp.workprec(self.prec)`` (as :func:`integrate_mp` does).

    Guarantee: approximate (tail estimate of each step, no bound).
    """

    name = "mp-taylor"
    OPTIONS = ("dps", "t_max", "order", "grad_tol", "max_steps", "max_switches")

    def __init__(self, flow: Any, theta0: Sequence[Any], **options: Any) -> None:
        check_options("integrate_mp", options, self.OPTIONS)
        if "t_max" not in options:
            raise InvalidArgument("t_max: required (the final time, > 0)")
        t_max = options["t_max"]
        dps = self.dps = _check_int("dps", options.get("dps", 30), 5)
        order = options.get("order")
        self.order = order_for(dps) if order is None else _check_int("order", order, 4)
        max_steps = _check_int("max_steps", options.get("max_steps", DEFAULT_MAX_STEPS), 1)
        max_switches = _check_int("max_switches",
                                  options.get("max_switches", DEFAULT_MAX_SWITCHES), 0)
        try:
            t_end_q = exact_theta0(_OneParameter, [t_max])[0]
        except InvalidArgument:
            raise InvalidArgument(f"t_max: expected a positive number, got {t_max!r}") from None
        if t_end_q <= 0:
            raise InvalidArgument(f"t_max: expected a positive number, got {t_max!r}")
        self.pieces = pieces = piecewise_field(flow)
        exact0 = exact_theta0(_Named(pieces.names), theta0)  # the names, not sympy's printing
        prec = self.prec = working_prec(dps)
        grad_tol = options.get("grad_tol")
        with mpmath.mp.workprec(prec):
            mp = mpmath.mp
            self.backend = MpfBackend(mp)

            def to_mpf(q: Fraction) -> Any:
                return mp.mpf(q.numerator) / q.denominator

            theta = [to_mpf(v) for v in exact0]
            t_end = to_mpf(t_end_q)
            self.tol_bits = prec - GUARD_BITS
            self.eps = mp.ldexp(1, -self.tol_bits)
            self.noise = mp.ldexp(1, -(prec - 8))
            if grad_tol is not None:
                # a Fraction exactly as p/q (mpmath before 1.4 does not take a Fraction)
                grad_tol = (to_mpf(grad_tol) if isinstance(grad_tol, Fraction)
                            else mp.mpf(grad_tol))
                if not grad_tol > 0:
                    raise InvalidArgument(f"grad_tol: expected a positive number, "
                                          f"got {grad_tol}")
            start_noise = self.noise * max(1, max(abs(v) for v in theta))
            self.start_pattern = pieces.initial_pattern(exact0, to_mpf, start_noise)
            super().__init__(mp.zero, tuple(theta), self.start_pattern, t_end=t_end,
                             max_steps=max_steps, max_switches=max_switches)
        self.grad_tol = grad_tol
        self.last_h: Any = None
        self.scale: Any = None
        self.big_h: Any = None  # the trial step H (mpf); the first step probes for it
        self._log2_h_opt: float | None = None

    def _finite(self, state: Any) -> bool:
        # an mpf is finite unless it is inf or nan: (sign, 0, exp != 0, bc); zero is (0, 0, 0, 0)
        return all(v._mpf_[1] or not v._mpf_[2] for v in state)

    def _step_impl(self) -> StepOutcome:
        try:
            return self._fixed_step()
        except FixedPointLoss:
            return self._float_step()

    def _fixed_step(self) -> StepOutcome:
        """One Taylor step with the series in fixed point (module docstring).

        theta(t + H s) = sum_k Y_k s^k with Y_k = theta_[k] H^k as integers in one unit
        2^-frac_bits (frac_bits = prec + FIXED_GUARD_BITS - log2 max(1, |theta|)), H the trial
        step; the step is h = rho H with rho <= 1 chosen from the tail as in the float step.
        The scalars (t, H, rho) are mpf tuples under mpmath.libmp's functions at the working
        precision: the same roundings as mpf arithmetic, without its object overhead.
        """
        pieces, order, prec = self.pieces, self.order, self.prec
        make_mpf = mpmath.mp.make_mpf
        mpfs = [v._mpf_ for v in self.state]
        t, t_end = self.t._mpf_, self.t_end._mpf_
        scale = fone  # max(1, |theta|)
        for v in mpfs:
            if v[1] and mpf_cmp(mpf_abs(v), scale) > 0:
                scale = mpf_abs(v)
        self.scale = make_mpf(scale)
        frac = prec + FIXED_GUARD_BITS - (scale[2] + scale[3])
        x0 = [to_fixed(v, frac) for v in mpfs]
        if self.big_h is None:
            self.big_h = make_mpf(self._first_trial_step(x0, frac, scale))
        big_h = self.big_h._mpf_
        rest = mpf_sub(t_end, t, prec, round_nearest)
        if mpf_cmp(rest, big_h) < 0:  # never try beyond t_end: at a smaller H the
            big_h = rest  # coefficients decay faster, more of them are in the float tier
        ys, zs = ode_taylor_fixed(pieces.stepping_program(self.pattern), x0, order, frac,
                                  to_fixed(big_h, frac))
        if self.grad_tol is not None:
            # |F(theta)| = |Y_1| / H
            limit = to_fixed((self.grad_tol * make_mpf(big_h))._mpf_, frac)
            if limit >= GRAD_CHECK_MIN_UNITS << max(0, big_h[2] + big_h[3]):
                if sum(y[1] * y[1] for y in ys) <= limit * limit:
                    return StepOutcome(stop="grad_tol", steps=0)
            elif euclidean_norm(pieces.program(self.pattern).evaluate(
                    list(self.state), backend=self.backend)) <= self.grad_tol:
                return StepOutcome(stop="grad_tol", steps=0)
        # rho from the tail: max_i |Y_j,i| rho^j <= eps * scale for j = N - 1, N, in log2
        # (the step only has to be about right)
        target = frac - self.tol_bits + math.log2(scale[1]) + scale[2]
        log2_rho = None
        for j in (order - 1, order):
            size = max(abs(y[j]) for y in ys)
            if size > 0:
                cand = (target - math.log2(size)) / j
                log2_rho = cand if log2_rho is None else min(log2_rho, cand)
        if log2_rho is None:  # the tail is below one unit (a polynomial solution, or a short
            log2_rho = 0.0  # last step): the whole trial step H (then H grows as below)
        else:
            log2_rho -= TAIL_MARGIN_BITS / order
        # rho = 2^log2_rho (<= 1) as a 53-bit dyadic; the next trial step STEP_GROWTH h_opt
        # times the growth of h_opt = H 2^log2_rho (only about right: from floats)
        log2_h_opt = math.log2(big_h[1]) + big_h[2] + log2_rho
        growth = STEP_GROWTH
        if self._log2_h_opt is not None:
            growth *= 2.0 ** min(max(log2_h_opt - self._log2_h_opt, 0.0), LOG2_MAX_GROWTH)
        self._log2_h_opt = log2_h_opt
        self.big_h = make_mpf(_dyadic(log2_h_opt + math.log2(growth)))
        rho = fone if log2_rho >= 0 else _dyadic(log2_rho)
        last_step = mpf_cmp(mpf_mul(big_h, rho, prec, round_nearest), rest) >= 0
        if last_step:
            rho = mpf_div(rest, big_h, prec, round_nearest)
        powers = _fixed_powers(to_fixed(rho, frac), order, frac)
        switch_group = None
        if pieces.kink_program is not None:
            cut, switch_group = self._fixed_switch(zs, frac, rho, powers)
            if switch_group is not None:
                rho = cut
                powers = _fixed_powers(to_fixed(rho, frac), order, frac)
        # theta(t + h) = sum_k Y_k rho^k: one integer dot product per coordinate
        new_theta = tuple(make_mpf(from_man_exp(sum(map(mul, y, powers)) >> frac, -frac, prec,
                                                round_nearest)) for y in ys)
        h = mpf_mul(big_h, rho, prec, round_nearest)
        self.last_h = make_mpf(h)
        t_new = (self.t_end if last_step and switch_group is None
                 else make_mpf(mpf_add(t, h, prec, round_nearest)))
        return StepOutcome(points=[(t_new, new_theta)], event=switch_group)

    def _first_trial_step(self, x0: list[int], frac: int, scale: tuple) -> tuple:
        """H for the first step (an mpf tuple, at most 1): see STEP_GROWTH."""
        order = self.order
        if order <= 3 * PROBE_ORDER:
            return fone
        try:
            ys, _ = ode_taylor_fixed(self.pieces.stepping_program(self.pattern), x0,
                                     PROBE_ORDER, frac, 1 << frac)
        except FixedPointLoss:
            return fone
        lo, hi = PROBE_ORDER // 2, PROBE_ORDER
        size_lo, size_hi = (max(abs(y[k]) for y in ys) for k in (lo, hi))
        if not size_lo or not size_hi:
            return fone
        slope = (math.log2(size_hi) - math.log2(size_lo)) / (hi - lo)  # log2 |Y_k| per order
        log2_size = math.log2(size_hi) + slope * (order - hi)  # extrapolated to the order
        target = frac - self.tol_bits + math.log2(scale[1]) + scale[2]
        log2_h = (target - TAIL_MARGIN_BITS - log2_size) / order + math.log2(STEP_GROWTH)
        if log2_h >= 0:
            return fone
        return from_float(2.0 ** max(log2_h, -1000.0))

    def _fixed_switch(self, zs: list[list[int]], frac: int, rho: tuple,
                      powers: list[int]) -> tuple[tuple, int | None]:
        """Cut rho (an mpf tuple) at the first kink crossing in (0, rho]; ``zs[g]`` is the
        series of z_g, ``powers[k]`` = rho^k in fixed point."""
        pieces = self.pieces
        # noise * scale = scale 2^-(prec - 8), exactly, in units 2^-frac
        noise_units = to_fixed(self.scale._mpf_, frac - self.prec + 8) + 1
        # No root on [0, rho] when |z_0| > sum_j |z_j| rho^j + noise with z_0 on its side
        # (almost every step): decided in integers, the polynomial only converted otherwise.
        doubtful = []
        for g in range(len(pieces.groups)):
            side = 1 if pieces.group_sign(self.pattern, g) == 1 else -1
            z = zs[g]
            z0 = abs(z[0])
            bound = (sum(map(mul, map(abs, z), powers)) >> frac) - z0 + 1
            if not (side * z[0] > 0 and z0 > bound + noise_units):
                doubtful.append(g)
        if not doubtful:
            return rho, None
        mp = mpmath.mp
        kseries = [[mp.make_mpf(from_man_exp(z[k], -frac, self.prec, round_nearest))
                    for z in zs] for k in range(len(zs[0]))]
        cut, group = _first_switch(pieces, self.pattern, kseries, mp.make_mpf(rho),
                                   self.noise * self.scale, groups=doubtful)
        return cut._mpf_, group

    def _float_step(self) -> StepOutcome:
        """One Taylor step in mpf arithmetic (a divisor too small for the fixed point)."""
        mp, backend, pieces, order = mpmath.mp, self.backend, self.pieces, self.order
        theta, t, t_end = self.state, self.t, self.t_end
        coeffs = pieces.program(self.pattern).ode_taylor(list(theta), order, backend=backend)
        if self.grad_tol is not None and euclidean_norm(coeffs[1]) <= self.grad_tol:
            return StepOutcome(stop="grad_tol", steps=0)
        scale = self.scale = max(mp.one, max(abs(v) for v in theta))
        # The step only has to be about right, so it is computed from base-2 logarithms in
        # floats (exact exponent + log2 of the mantissa: no underflow at any size).
        log2_h = None
        for j in (order - 1, order):
            size = max(abs(v) for v in coeffs[j])
            if size > 0:
                cand = (_log2(self.eps) + _log2(scale) - _log2(size)) / j
                log2_h = cand if log2_h is None else min(log2_h, cand)
        if log2_h is None:  # the series terminates: a polynomial solution; grow the step gently
            h = 2 * self.last_h if self.last_h is not None else mp.one
        else:
            log2_h -= TAIL_MARGIN_BITS / order
            h = mp.ldexp(mp.mpf(2.0 ** (log2_h - math.floor(log2_h))), math.floor(log2_h))
        last_step = h >= t_end - t
        if last_step:
            h = t_end - t
        switch_group = None
        if pieces.kink_program is not None:
            kseries = pieces.kink_program.compose(coeffs, backend=backend)
            h, switch_group = _first_switch(pieces, self.pattern, kseries, h,
                                            self.noise * scale)
        # theta(t + h) = sum_k theta_[k] h^k: one power table, then a once-rounded dot per
        # coordinate (cheaper and more accurate than Horner's 2N roundings)
        powers = [mp.one, h]
        for _ in range(order - 1):
            powers.append(powers[-1] * h)
        new_theta = tuple(backend.dot([coeffs[k][i] for k in range(order + 1)], powers)
                          for i in range(len(theta)))
        self.last_h = h
        t_new = t_end if last_step and switch_group is None else t + h
        return StepOutcome(points=[(t_new, new_theta)], event=switch_group)

    def _switch(self, group: int) -> tuple[tuple[int, ...] | None, list[Switch], str]:
        new_pattern, flips, message = self.pieces.switch(
            self.state, self.pattern, group, self.noise * self.scale, backend=self.backend)
        if new_pattern is None:
            return None, [], f"{message} (t={mpmath.nstr(self.t, 8)})"
        return new_pattern, self.pieces.switch_records(self.t, self.state, flips), ""

    def result(self) -> Trajectory:
        theta = self.state
        grad = euclidean_norm(self.pieces.program(self.pattern).evaluate(list(theta),
                                                                         backend=self.backend))
        return Trajectory(
            method="mp", parameters=self.pieces.names, t=self.t, theta=tuple(theta),
            pattern=self.pattern, grad_norm=grad, start_pattern=self.start_pattern,
            ts=self.ts, thetas=self.states, switches=self.switches, status=self.status,
            message=self.message,
            settings={"dps": self.dps, "prec": self.prec, "order": self.order,
                      "eps": f"2^-{self.tol_bits}",
                      "grad_tol": None if self.grad_tol is None
                      else mpmath.nstr(self.grad_tol, 5)},
        )


def _first_switch(pieces: PiecewiseField, pattern: tuple[int, ...],
                  kseries: list[list[Any]], h: Any, noise: Any,
                  groups: Sequence[int] | None = None) -> tuple[Any, int | None]:
    """Cut the step at the first kink crossing in (0, h]; return (step, group or None).

    ``groups``: the kink groups to examine (default all).
    """
    best_s, best_g = None, None
    for g in range(len(pieces.groups)) if groups is None else groups:
        side = 1 if pieces.group_sign(pattern, g) == 1 else -1
        poly = [kseries[k][g] for k in range(len(kseries))]
        limit = h if best_s is None else best_s
        # No root on [0, limit] when the constant term dominates: |z_0| > sum_j |z_j| limit^j
        # (with a margin of `noise`), which saves the sampling on almost every step.
        if side * poly[0] > 0 and abs(poly[0]) > _horner([abs(c) for c in poly[1:]],
                                                         limit) * limit + noise:
            continue
        prev = 0 * h
        for m in range(1, SWITCH_SAMPLES + 1):
            s = limit * m / SWITCH_SAMPLES
            if side * _horner(poly, s) < -noise:
                root = _root_in(poly, prev, s, side, limit * mpmath.mp.eps)
                if best_s is None or root < best_s:
                    best_s, best_g = root, g
                break
            prev = s
    if best_s is None:
        return h, None
    return best_s, best_g
