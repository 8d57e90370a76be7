"""Budgets of the validated prover: they scale with the precision, the user's t_max and step
budget reach it, and its Taylor order never exceeds what the checker replays."""

from fractions import Fraction

import mpmath
import pytest

from igproof.checker import MAX_TAYLOR_ORDER as CHECKER_MAX_TAYLOR_ORDER
from igproof.errors import InvalidArgument
from igproof.numeric.ball.lohner import DEFAULT_ORDER
from igproof.proof.limits import limit
from igproof.proof.limits.endgame import PLEndgame
from igproof.proof.limits.limit import Inconclusive, ProvedLimit, budgets, prove_flow_limit
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.flow import gradient_flow
from igproof.symbolic.models import build_model


def _one_datum():
    return gradient_flow(build_model("neuron", dim=1, activation="relu"), Dataset([[1]], ["1"]))


def test_prover_order_cap_is_the_checkers():
    assert limit.MAX_TAYLOR_ORDER == CHECKER_MAX_TAYLOR_ORDER


def test_budgets_at_the_default_precision_are_unchanged():
    assert budgets(128) == (Fraction(200), 6000, DEFAULT_ORDER)
    assert budgets(64) == budgets(128)  # never below the 128-bit budgets


@pytest.mark.parametrize("prec", [200, 407, 1000, 4000])
def test_budgets_scale_with_precision(prec):
    t_max, steps, order = budgets(prec)
    assert t_max == Fraction(200 * prec, 128)
    assert steps == int(Fraction(6000 * prec, 128))
    assert DEFAULT_ORDER <= order <= CHECKER_MAX_TAYLOR_ORDER
    assert order == min(CHECKER_MAX_TAYLOR_ORDER, round(DEFAULT_ORDER * prec / 128))


def test_t_max_reaches_the_prover():
    """A budget far below the convergence time: INCONCLUSIVE naming t_max (not the default)."""
    out = prove_flow_limit(_one_datum(), ["1/2", "3/10"], t_max=Fraction(1, 2))
    assert isinstance(out, Inconclusive)
    assert "t_max=0.5" in out.reason


def test_max_steps_reaches_the_prover():
    out = prove_flow_limit(_one_datum(), ["1/2", "3/10"], max_steps=3)
    assert isinstance(out, Inconclusive)
    assert "max_steps=3" in out.reason


# -- the end-game when the budget ends first, and early on long runs --------------------------
def _slow():
    """a relu(w x) on x = 1, y = 1/20 from (1/5, 1/10): the loss target 2^-192 needs T ~ 608."""
    return gradient_flow(build_model("neuron", dim=1, activation="relu"),
                         Dataset([[1]], ["1/20"]))


def _closed_form_limit():
    """The limit by conservation, not by the prover: a^2 - w^2 = a0^2 - w0^2 = 3/100 and
    a w = y = 1/20 on the limit (w relu(w) = w^2 > 0), so a^2 = (c0 + sqrt(c0^2 + 4 y^2)) / 2."""
    with mpmath.workdps(60):
        c0, y = mpmath.mpf(3) / 100, mpmath.mpf(1) / 20
        a = mpmath.sqrt((c0 + mpmath.sqrt(c0 ** 2 + 4 * y ** 2)) / 2)
        return a, y / a


def _inside(out, point):
    with mpmath.workdps(60):
        d = mpmath.sqrt(sum((mpmath.mpf(c.numerator) / c.denominator - p) ** 2
                            for c, p in zip(out.centre, point, strict=True)))
        r = out.radius_upper
        return d <= mpmath.mpf(r.numerator) / r.denominator


def test_budget_end_closes_the_endgame_on_the_last_enclosure():
    """t_max = 60, far before the loss target: the PL end-game on the enclosure at t ~ 60 closes
    (PROVED, a wider ball than the target would give); the closed-form limit lies in it."""
    out = prove_flow_limit(_slow(), ["1/5", "1/10"], t_max=60)
    assert isinstance(out, ProvedLimit) and isinstance(out.endgame, PLEndgame)
    assert 60 <= float(out.T.mid()) < 62
    assert _inside(out, _closed_form_limit())
    assert 1e-8 < out.radius_upper < 1e-2


def test_budget_end_without_endgame_stays_inconclusive():
    """t_max = 20: the enclosure is still far from M_S, the end-game does not close either."""
    out = prove_flow_limit(_slow(), ["1/5", "1/10"], t_max=20)
    assert isinstance(out, Inconclusive)
    assert "t_max=20" in out.reason and "end-game" in out.reason


def test_long_runs_try_the_endgame_at_checkpoints(monkeypatch):
    """With EARLY_PL_STEPS lowered to 10 the run stops at the first checkpoint of sup L where
    the PL end-game closes, long before the loss target (T ~ 608): PROVED, closed form inside."""
    monkeypatch.setattr(limit, "EARLY_PL_STEPS", 10)
    out = prove_flow_limit(_slow(), ["1/5", "1/10"], t_max=1000)
    assert isinstance(out, ProvedLimit) and isinstance(out.endgame, PLEndgame)
    assert float(out.T.mid()) < 400
    assert _inside(out, _closed_form_limit())


def test_bad_precision_is_refused():
    with pytest.raises(InvalidArgument):
        prove_flow_limit(_one_datum(), ["1/2", "3/10"], prec=10)


@pytest.mark.slow
def test_one_datum_neuron_at_120_digits_is_proved():
    """igproof flow neuron --dps 120 --prove: 407 bits (was INCONCLUSIVE: 20000 steps)."""
    out = prove_flow_limit(_one_datum(), ["1/2", "3/10"], prec=407)
    assert isinstance(out, ProvedLimit) and out.in_zero_loss_set
    assert out.radius < 1e-90
