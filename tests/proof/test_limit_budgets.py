"""Budgets of the validated prover: they scale with the precision, the user's t_max and step
budget reach it, and its Taylor order never exceeds what the checker replays."""

from fractions import Fraction

import pytest

from igproof.checker import MAX_TAYLOR_ORDER as CHECKER_MAX_TAYLOR_ORDER
from igproof.errors import InvalidArgument
from igproof.numeric.ball.lohner import DEFAULT_ORDER
from igproof.proof.limits import limit
from igproof.proof.limits.limit import Inconclusive, ProvedLimit, budgets, prove_flow_limit
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.flow import gradient_flow
from igproof.symbolic.models import build_model


def _one_datum():
    return gradient_flow(build_model("neuron", dim=1, activation="relu"), Dataset([[1]], ["1"]))


def test_prover_order_cap_is_the_checkers():
    assert limit.MAX_TAYLOR_ORDER == CHECKER_MAX_TAYLOR_ORDER


def test_budgets_at_the_default_precision_are_unchanged():
    assert budgets(128) == (Fraction(200), 20000, DEFAULT_ORDER)
    assert budgets(64) == budgets(128)  # never below the 128-bit budgets


@pytest.mark.parametrize("prec", [200, 407, 1000, 4000])
def test_budgets_scale_with_precision(prec):
    t_max, steps, order = budgets(prec)
    assert t_max == Fraction(200 * prec, 128)
    assert steps == int(Fraction(20000 * prec, 128))
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
    assert "3" in out.reason


def test_bad_precision_is_refused():
    with pytest.raises(InvalidArgument):
        prove_flow_limit(_one_datum(), ["1/2", "3/10"], prec=10)


@pytest.mark.slow
def test_one_datum_neuron_at_120_digits_is_proved():
    """igproof flow neuron --dps 120 --prove: 407 bits (was INCONCLUSIVE: 20000 steps)."""
    out = prove_flow_limit(_one_datum(), ["1/2", "3/10"], prec=407)
    assert isinstance(out, ProvedLimit) and out.in_zero_loss_set
    assert out.radius < 1e-90
