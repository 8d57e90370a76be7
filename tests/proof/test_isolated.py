"""The isolated-minimum end-game (Krawczyk + positive-definite Hessian) and its use as the
fallback of prove_flow_limit, checked against independent routes (hand-written gradient solved
by mpmath at 50 digits, scipy least squares, the mpmath Taylor integrator)."""

from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy
from _oracles import TANH_XS, TANH_YS, mpf, tanh_grad_by_hand, tanh_loss_by_hand
from flint import arb
from scipy.optimize import least_squares

from igproof.certificate.gf_limit import limit_certificate
from igproof.errors import InvalidArgument
from igproof.numeric.ball.arith import precision, to_arb
from igproof.numeric.converge import flow_limit
from igproof.proof.limits.endgame import EndgameFailure, PLEndgame
from igproof.proof.limits.isolated import IsolatedEndgame, isolated_endgame
from igproof.proof.limits.limit import Inconclusive, ProvedLimit, prove_flow_limit
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.flow import gradient_flow
from igproof.symbolic.models import build_model
from igproof.verdict import Verdict

# a tanh(w x) on x = 1, 2, 3 with y = 1, 2, 3/2: y is not monotone in x, so no (a, w) fits it
XS, YS = TANH_XS, TANH_YS


def _flow(ys=YS):
    return gradient_flow(build_model("neuron", dim=1, activation="tanh"),
                         Dataset([[x] for x in XS], [str(y) for y in ys]))


@pytest.fixture(scope="module")
def proved():
    return prove_flow_limit(_flow(), ["0.5", "0.3"], prec=128)


@pytest.fixture(scope="module")
def minimizer():
    """The least-squares minimizer near the flow's limit, as a 50-digit root of grad L."""
    xs, ys = np.array(XS, float), np.array([float(y) for y in YS])
    sol = least_squares(lambda t: t[0] * np.tanh(t[1] * xs) - ys, [0.5, 0.3],
                        xtol=1e-15, ftol=1e-15, gtol=1e-15)
    with mpmath.workdps(50):
        root = mpmath.findroot(lambda a, w: tanh_grad_by_hand(a, w), tuple(sol.x))
        return sol.x, (root[0], root[1])


def test_non_interpolable_tanh_limit_is_the_least_squares_minimizer(proved, minimizer):
    """Non-interpolable data: PROVED by the isolated end-game; the limit ball contains the
    50-digit root of the hand-written grad L and scipy's least-squares minimizer."""
    r = proved
    assert isinstance(r, ProvedLimit) and r.verdict is Verdict.PROVED
    assert isinstance(r.endgame, IsolatedEndgame)
    assert r.radius < 1e-25
    sol, root = minimizer
    with mpmath.workdps(50):
        dist = mpmath.sqrt(sum((mpf(c) - e) ** 2 for c, e in zip(r.centre, root, strict=True)))
        assert dist <= mpf(r.radius_upper)
    assert np.hypot(*(sol - [float(c) for c in r.centre])) < 1e-7


def test_limit_loss_is_positive_and_matches_the_minimizer(proved, minimizer):
    """L(theta*) > 0 certainly (no parameter fits the data), and the loss enclosure contains
    L at the independent 50-digit minimizer; the summary does not claim zero loss."""
    eg = proved.endgame
    assert eg.loss_limit > 0
    _, (a, w) = minimizer
    with mpmath.workdps(50):
        loss = tanh_loss_by_hand(a, w)
    lo, hi = mpmath.mpf(eg.loss_limit.lower()), mpmath.mpf(eg.loss_limit.upper())
    assert lo <= loss <= hi
    text = proved.summary()
    assert "critical point" in text and "not necessarily in M_S" in text
    assert "zero loss" not in text


def test_limit_matches_mp_integrator(proved):
    """The 40-digit mpmath Taylor integrator's limit agrees with the ball up to its own stopping
    tolerance (it stops at |grad L| < tol, so its error is about tol / lambda_min)."""
    est = flow_limit(_flow(), ["0.5", "0.3"], method="mp", dps=40)
    assert est.converged
    with mpmath.workdps(50):
        err = mpmath.sqrt(sum((mpf(c) - v) ** 2 for c, v in zip(proved.centre, est.limit,
                                                                 strict=True)))
        bound = (mpf(proved.radius_upper)
                 + 10 * mpmath.mpf(est.grad_norm) / mpf(proved.endgame.lam))
        assert err <= bound


def test_isolated_limit_certificate_states_a_strict_local_minimizer(proved):
    """The isolated end-game's certificate claims a strict local minimizer (not M_S), through
    the isolated-endgame obligation; the checker's acceptance is tested in
    tests/checker/test_checker_isolated.py."""
    cert = limit_certificate(proved, _flow())
    assert cert["statement"]["claim"] == {"in_zero_loss_set": "false"}
    assert [o["type"] for o in cert["obligations"]][-2:] == ["isolated-endgame",
                                                           "isolated-contain"]


def test_zero_loss_case_still_uses_pl():
    """a relu(w x), x = y = 1 (interpolable): the PL end-game is still the one used."""
    flow = gradient_flow(build_model("neuron", dim=1, activation="relu"), Dataset([[1]], [1]))
    r = prove_flow_limit(flow, ["0.5", "0.3"], prec=128)
    assert isinstance(r, ProvedLimit) and isinstance(r.endgame, PLEndgame)
    assert "zero loss" in r.summary()


def test_degenerate_minimum_fails_with_reason():
    """a tanh(w) with x = y = 1: zero-loss curve a tanh w = 1, Hessian of rank 1 (not PD) at
    a = 2, w = atanh(1/2) = log(3)/2: the isolated end-game must fail and say why."""
    a, w = sympy.symbols("a w")
    loss = (a * sympy.tanh(w) - 1) ** 2 / 2
    with precision(128):
        w0 = arb(3).log() / 2
        box = [to_arb(2) + arb(0, 1e-20), w0 + arb(0, 1e-20)]
        out = isolated_endgame((a, w), loss, box, prec=128)
    assert isinstance(out, EndgameFailure)
    assert "Hessian" in out.reason or "Newton" in out.reason


def test_saddle_fails_with_reason():
    """L = (x^2 - y^2)/2 has a saddle at 0 (Hessian diag(1, -1)): not an isolated minimum."""
    x, y = sympy.symbols("x y")
    with precision(64):
        box = [arb(0, 1e-10), arb(0, 1e-10)]
        out = isolated_endgame((x, y), (x ** 2 - y ** 2) / 2, box, prec=64)
    assert isinstance(out, EndgameFailure) and "positive definite" in out.reason


def test_strictly_convex_quadratic_minimum_is_enclosed():
    """L = (x - 1/3)^2 + (x - 1/3)(y + 1/5) + (y + 1/5)^2 (Hessian [[2,1],[1,2]] > 0): the ball
    contains the exact minimizer (1/3, -1/5) and the loss enclosure contains 0."""
    x, y = sympy.symbols("x y")
    u, v = x - sympy.Rational(1, 3), y + sympy.Rational(1, 5)
    with precision(128):
        box = [to_arb(Fraction(1, 3)) + arb(0, 1e-6), to_arb(Fraction(-1, 5)) + arb(0, 1e-6)]
        out = isolated_endgame((x, y), u * u + u * v + v * v, box, prec=128)
        assert isinstance(out, IsolatedEndgame)
        diff = [to_arb(c) - to_arb(e)
                for c, e in zip(out.centre, (Fraction(1, 3), Fraction(-1, 5)), strict=True)]
        assert diff[0] * diff[0] + diff[1] * diff[1] <= out.radius * out.radius
        assert out.loss_limit.contains(0)
    # lambda_min of [[2,1],[1,2]] is exactly 1: the certified lambda must not exceed it
    assert 0 < out.lam <= 1


def test_neither_endgame_nor_stop_is_inconclusive():
    """Non-interpolable data with t_max = 5: neither the loss nor |grad L| gets small:
    INCONCLUSIVE naming t_max, never PROVED."""
    r = prove_flow_limit(_flow(), ["0.5", "0.3"], prec=64, t_max=5)
    assert isinstance(r, Inconclusive) and r.verdict is Verdict.INCONCLUSIVE
    assert "t_max" in r.reason and "grad L" in r.reason


def test_bad_arguments_name_the_argument():
    a, w = sympy.symbols("a w")
    with precision(64):
        with pytest.raises(InvalidArgument, match="box_T"):
            isolated_endgame((a, w), a * a + w * w, [arb(0)], prec=64)
        with pytest.raises(InvalidArgument, match="pattern"):
            isolated_endgame((a, w), a * a + w * w, [arb(0), arb(0)], prec=64, kinks=[w],
                             pattern=())


def test_kink_sign_must_be_certain_on_D():
    """L = (x - 1)^2 + y^2 has its minimizer (1, 0) on the kink y = 0: refused; with the kink
    y + 1 (certainly positive near (1, 0)) the minimizer is enclosed."""
    x, y = sympy.symbols("x y")
    loss = (x - 1) ** 2 + y ** 2
    with precision(64):
        box = [to_arb(1) + arb(0, 1e-8), arb(0, 1e-8)]
        out = isolated_endgame((x, y), loss, box, prec=64, kinks=[y], pattern=[1])
        assert isinstance(out, EndgameFailure) and "activation pattern" in out.reason
        out = isolated_endgame((x, y), loss, box, prec=64, kinks=[y + 1], pattern=[1])
        assert isinstance(out, IsolatedEndgame)
        d0, d1 = to_arb(out.centre[0]) - 1, to_arb(out.centre[1])
        assert d0 * d0 + d1 * d1 <= out.radius * out.radius


@pytest.fixture(scope="module")
def proved64():
    return prove_flow_limit(_flow(), ["0.5", "0.3"], prec=64)


def test_64_bit_isolated_limit_is_certified_over_the_whole_trajectory(proved64):
    """At 64 bits the checker replays every validated step of the proof (its tanh Taylor
    remainders are as tight as arb's) and accepts the proof's own end-game: the written
    certificate lists all steps, its claimed ball holds the 50-digit root of the hand-written
    grad L, and the checker accepts it."""
    from igproof.certificate.writer import dumps_certificate
    from igproof.checker import check_certificate
    from igproof.checker.kernel import load_text

    low = proved64
    assert isinstance(low, ProvedLimit) and isinstance(low.endgame, IsolatedEndgame)
    cert = limit_certificate(low, _flow())
    written = cert["obligations"][1]["segments"]
    assert [len(s["steps"]) for s in written] == [len(s.steps) for s in low.segments]
    lim = cert["statement"]["limits"]["L"]
    with mpmath.workdps(50):
        root = mpmath.findroot(lambda a, w: tanh_grad_by_hand(a, w),
                               tuple(mpf(c) for c in lim["center"]))
        dist = mpmath.sqrt(sum((mpf(c) - r) ** 2 for c, r in zip(lim["center"], root,
                                                                 strict=True)))
        assert dist <= mpf(lim["radius"])
    assert check_certificate(load_text(dumps_certificate(cert).encode("utf-8"))).accepted


def test_refusal_is_also_a_certificate_error(proved64, monkeypatch):
    """When the independent checker refuses every candidate (here made to: its highest
    accepted Taylor order is lowered below the proof's), the refusal is a CertificateError
    (and InvalidArgument) with the reason, so callers that handle CertificateError (search
    promotion) get a reason, not a crash."""
    from igproof.checker import trajectory
    from igproof.errors import CertificateError

    monkeypatch.setattr(trajectory, "MAX_TAYLOR_ORDER", 8)
    monkeypatch.setattr(trajectory, "_REPLAYED", {})  # no accepted replay from another test
    with pytest.raises(CertificateError, match="independent checker") as info:
        limit_certificate(proved64, _flow())
    assert isinstance(info.value, InvalidArgument)
