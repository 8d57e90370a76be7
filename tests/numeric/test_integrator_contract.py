"""The integrator contract, run over every method on problems with a closed-form solution.

relu-neuron, one datum x = 1, label y (SPEC section 1): L = (1/2)(relu(w) - y)^2, so while
w > 0 the flow is w' = -(w - y), w(t) = y + (w0 - y) e^-t, and for w <= 0 it is w' = 0
(relu'(0) = 0). With y = -1 and w0 = 1/2 the kink w = 0 is reached at t* = ln(3/2) and the
flow stops there for good (pattern inactive). Each method is checked against these formulas
(an independent route: no integrator), and all methods share the loop of
igproof.numeric.stepper: the same stop reasons, counters and kink switching.
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import pytest
from flint import arb

from igproof.errors import InvalidArgument
from igproof.numeric.ball.arith import precision, to_arb
from igproof.numeric.integrators import METHODS
from igproof.numeric.stepper import PiecewiseIntegrator, StepOutcome, run
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.flow import gradient_flow
from igproof.symbolic.models import build_model

# float, mp Taylor, arb Taylor, closed-form affine
KINDS = ["float", "mp-taylor", "arb-taylor", "affine"]
PREC = 128
T_STAR = math.log(1.5)


def _flow(y):
    return gradient_flow(build_model("relu-neuron", dim=1), Dataset([[1]], [y]))


def _make(kind, flow, w0, *, grad_tol=None, **options):
    """An integrator of the kind; grad_tol as an option (float, mp) or as a stop rule."""
    if kind == "float":
        return METHODS["float"](flow, [w0], t_max=options.pop("t_max", 3), rtol=1e-12,
                                grad_tol=grad_tol, **options)
    if kind == "mp-taylor":
        return METHODS["mp-taylor"](flow, [w0], t_max=options.pop("t_max", 3), dps=30,
                                    grad_tol=grad_tol, **options)

    def stop_rule(field, _res):
        if grad_tol is None:
            return lambda box: False

        def small(box, field=field):
            from igproof.numeric.ball.taylor import FieldProgram
            return bool(abs(FieldProgram(flow.parameters, field).evaluate(box)[0])
                        < to_arb(Fraction(grad_tol)))
        return small

    pattern = tuple(flow.pattern([Fraction(w0)]))
    return METHODS["validated"](flow, [to_arb(Fraction(w0))], pattern, stop_rule=stop_rule,
                                t_max=Fraction(options.pop("t_max", 3)), tol=2.0 ** -100,
                                h_max=1.0, order=20, sensitivity_order=6, max_steps=2000,
                                method="taylor" if kind == "arb-taylor" else "affine",
                                **options)


def _run(kind, *args, **kwargs):
    if kind == "mp-taylor":
        with mpmath.mp.workprec(200):
            integ = _make(kind, *args, **kwargs)
            with mpmath.mp.workprec(integ.prec):
                run(integ)
        return integ
    with precision(PREC):
        integ = _make(kind, *args, **kwargs)
        run(integ)
        return integ


def _close(kind, value, exact):
    """value (float, mpf or ball) agrees with the exact real ``exact`` (an mpf at 40 digits)."""
    if kind == "float":
        return abs(value - float(exact)) < 1e-9
    if kind == "mp-taylor":
        return abs(value - exact) < mpmath.mpf("1e-25")
    with precision(PREC):
        return (value - arb(mpmath.nstr(exact, 40))).contains(0) or bool(
            abs(value - arb(mpmath.nstr(exact, 40))) < arb("1e-35"))


def _exact_w(y, w0, t):
    with mpmath.workdps(40):
        return y + (mpmath.mpf(w0) - y) * mpmath.exp(-mpmath.mpf(t))


def _time(kind, t):
    return float(t.mid()) if kind in ("arb-taylor", "affine") else float(t)


@pytest.mark.parametrize("kind", KINDS)
def test_every_method_is_a_piecewise_integrator(kind):
    integ = _make(kind, _flow(1), "1/2")
    assert isinstance(integ, PiecewiseIntegrator)
    assert (integ.status, integ.n_steps, integ.n_rejected, integ.n_switches) == ("running", 0,
                                                                                 0, 0)


@pytest.mark.parametrize("kind", KINDS)
def test_smooth_piece_follows_the_closed_form_and_stops_on_the_gradient(kind):
    """y = 1, w0 = 1/2: w(t) = 1 - e^-t / 2; |F| = |w - 1| <= 1/10 first at t = ln 5."""
    integ = _run(kind, _flow(1), "1/2", grad_tol=Fraction(1, 10))
    assert integ.status == ("target" if kind in ("arb-taylor", "affine") else "grad_tol")
    assert integ.message and integ.n_switches == 0 and integ.n_steps >= 1
    assert len(integ.ts) == len(integ.states) >= 2
    for t, state in zip(integ.ts, integ.states, strict=True):
        if kind in ("arb-taylor", "affine"):
            with precision(PREC):  # the box at the ball of times contains the exact solution
                exact = 1 - arb(1) / 2 * (-t).exp()
                assert (state[0] - exact).contains(0) or bool(abs(state[0] - exact)
                                                             < arb("1e-30"))
        else:
            assert _close(kind, state[0], _exact_w(1, "0.5", t))
    # the stop lies at or after ln 5 (float/mp: exactly there, up to the step for mp)
    assert _time(kind, integ.t) >= math.log(5) - 1e-6


@pytest.mark.parametrize("kind", KINDS)
def test_the_kink_stops_the_run_when_no_switch_is_allowed(kind):
    """y = -1, w0 = 1/2, max_switches = 0: stop "max_switches" at t* = ln(3/2) with w = 0."""
    integ = _run(kind, _flow(-1), "1/2", max_switches=0)
    assert integ.status == "max_switches"
    assert integ.n_switches == 0 and integ.pattern == (1,)
    assert abs(_time(kind, integ.t) - T_STAR) < 1e-9
    assert _close(kind, integ.state[0], mpmath.mpf(0))


@pytest.mark.parametrize("kind", KINDS)
def test_the_kink_switches_the_pattern_once(kind):
    """y = -1, w0 = 1/2: kink 0 is reached at t* = ln(3/2), active -> inactive, then w = 0.

    On the inactive side dz/dt = 0 exactly. float, mp and affine switch (and then run on to
    t_max, or stop on the zero field: a validated run has nothing left to enclose); the arb
    Taylor method certifies a crossing only when dz/dt has a certain sign on the new side, so
    it stops there as "sliding" without switching (docs/validated.md).
    """
    integ = _run(kind, _flow(-1), "1/2")
    assert abs(_time(kind, integ.t) - T_STAR) < 1e-9 or integ.status == "t_max"
    assert _close(kind, integ.state[0], mpmath.mpf(0))
    if kind == "arb-taylor":
        assert (integ.status, integ.n_switches, integ.pattern) == ("sliding", 0, (1,))
        assert "not certainly of sign -1" in integ.message
        return
    assert integ.n_switches == 1 and integ.pattern == (-1,)
    assert integ.status == ("zero_field" if kind == "affine" else "t_max")
    record = integ.switches[0]
    if kind == "affine":
        assert record.switch_kink == 0 and record.pattern == (1,)
        with precision(PREC):
            assert abs(float(record.t_end.mid()) - T_STAR) < 1e-12
            assert bool(abs(record.t_end - arb("1.5").log()) < arb("1e-30"))
    else:
        assert (record.kink, record.before, record.after) == (0, 1, -1)
        assert abs(float(record.t) - T_STAR) < 1e-9


@pytest.mark.parametrize("kind", KINDS)
def test_step_after_the_stop_is_an_error(kind):
    integ = _run(kind, _flow(-1), "1/2", max_switches=0)
    with pytest.raises(InvalidArgument, match="stopped"):
        integ.step()


@pytest.mark.parametrize("kind", KINDS)
def test_unknown_keyword_argument_is_invalid_argument_naming_it(kind):
    with pytest.raises(InvalidArgument, match="rtoll"):
        _make(kind, _flow(1), "1/2", rtoll=1e-3)


def test_a_method_reports_only_its_declared_stop_reasons():
    class Bad(PiecewiseIntegrator):
        name = "bad"

        def _step_impl(self):
            return StepOutcome(stop="no such reason")

    with pytest.raises(InvalidArgument, match="no such reason"):
        Bad(0.0, (1.0,), ()).step()


def test_the_registry_names_the_three_numeric_methods():
    assert set(METHODS) == {"float", "mp-taylor", "validated"}
