"""The checker's ``minnorm-dual`` obligation: accepts honest brackets, rejects tampered ones."""

from __future__ import annotations

import ast
import copy
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from igproof.certificate.minnorm import minnorm_obligation
from igproof.checker import OBLIGATIONS, Rejected
from igproof.checker.minnorm import check_minnorm_dual
from igproof.proof.minnorm.interpolator import minimal_norm_interpolator

SOURCE = Path(__file__).resolve().parents[2] / "igproof" / "checker" / "minnorm.py"


def _obligation(x, y, **kwargs):
    ob, _ = minnorm_obligation(minimal_norm_interpolator(x, y, **kwargs))
    return ob, {"x": ob["x"], "y": ob["y"]}


@pytest.fixture(scope="module")
def spec_example():
    return _obligation([-3, -1, 1, 3], [3, 1, 1, 3])


@pytest.fixture(scope="module")
def irrational_example():
    """Optimum 6/sqrt(10) (tests/proof/test_minnorm.py derives it): bounds are not exact."""
    return _obligation([-3, 3, 4, 5, 7], [0, 0, 1, 1, 4])


def test_accepts_honest_obligations(spec_example, irrational_example):
    """A bracket of igproof.proof.minnorm.interpolator is re-verified with Fractions only."""
    for ob, data in (spec_example, irrational_example,
                     _obligation([-3, -1, 1, 3], [3, 1, 1, 3], penalised_bias=False)):
        summary = check_minnorm_dual(ob, data)
        assert "minimal cost" in summary


def test_registered_with_the_checker_registry(spec_example):
    """The type is in the checker's registry and its entry checks the obligation's own data."""
    entry = OBLIGATIONS["minnorm-dual"]
    ob, _ = spec_example
    assert set(entry.required) <= set(ob)
    assert "minimal cost" in entry.check(None, ob)


def _shift(ob, key, amount):
    ob[key] = str(Fraction(ob[key]) + amount)


def _tampered(pair, mutate):
    ob, data = copy.deepcopy(pair)
    mutate(ob, data)
    return ob, data


@pytest.mark.parametrize("mutate, match", [
    # dual: raise phi above the weight: at t = 0, w = 1 but phi = 3/2
    (lambda ob, d: ob["phi"].__setitem__(1, "3/2") or ob["phi"].__setitem__(2, "3/2"), "exceeds"),
    # claim a higher lower bound than the dual value
    (lambda ob, d: _shift(ob, "lower_bound", Fraction(1, 10**12)), "lower_bound"),
    # claim a lower upper bound than the kinks cost
    (lambda ob, d: _shift(ob, "upper_bound", -Fraction(1, 10**12)), "upper_bound"),
    # change a kink: the interpolant misses the data
    (lambda ob, d: ob["kinks"][0].__setitem__("jump", "19/10"), "misses"),
    # change a datum
    (lambda ob, d: d["y"].__setitem__(0, "4"), "misses"),
    # phi not vanishing at the ends
    (lambda ob, d: ob["phi"].__setitem__(0, "1/100"), "vanish"),
    # unknown weight
    (lambda ob, d: ob.__setitem__("weight", "x^2"), "weight"),
    # floats are not exact numbers
    (lambda ob, d: ob["phi"].__setitem__(1, 0.5), "string"),
    # unsorted data
    (lambda ob, d: d["x"].reverse(), "increasing"),
])
def test_rejects_tampering(spec_example, mutate, match):
    ob, data = _tampered(spec_example, mutate)
    with pytest.raises(Rejected, match=match):
        check_minnorm_dual(ob, data)


def test_rejects_irrational_bracket_tampering(irrational_example):
    """Lowering the upper bound by 1e-20 below the kinks' cost (irrational) is detected."""
    ob, data = irrational_example
    check_minnorm_dual(ob, data)
    ob2 = copy.deepcopy(ob)
    ob2["upper_bound"] = str(Fraction(ob["lower_bound"]) - Fraction(1, 10**20))
    with pytest.raises(Rejected):
        check_minnorm_dual(ob2, data)


def test_free_weight_rejects_penalised_dual():
    """A dual for weight 1 with |phi| = 1 is fine; claiming it for a smaller weight is not
    possible (weight 1 <= sqrt(1+x^2)), but a phi of 2 exceeds weight 1."""
    ob, data = _obligation([-3, -1, 1, 3], [3, 1, 1, 3], penalised_bias=False)
    ob = copy.deepcopy(ob)
    ob["phi"] = ["0", "2", "1", "0"]
    with pytest.raises(Rejected, match="exceeds"):
        check_minnorm_dual(ob, data)


def test_checker_module_imports_only_stdlib_and_checker():
    """The checker is independent: stdlib and igproof.checker.* only."""
    tree = ast.parse(SOURCE.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names.append(node.module or "")
    for name in names:
        top = name.split(".")[0]
        assert name.startswith("igproof.checker") or (
            top != "igproof" and top in sys.stdlib_module_names) or top == "__future__", name


def test_accepts_the_1000_point_benchmark_bracket():
    """The benchmark data (x_j = -3 + 6j/999, y_j = sin(2 x_j) to 6 decimals): the solver
    certifies a gap below 1e-10, and the independent stdlib checker re-verifies the dual bound
    and the primal cost of that bracket exactly."""
    import math

    xs = [Fraction(6 * j, 999) - 3 for j in range(1000)]
    ys = [Fraction(round(10**6 * math.sin(2 * float(v))), 10**6) for v in xs]
    result = minimal_norm_interpolator(xs, ys)
    assert result.gap < Fraction(1, 10**10)
    ob, _ = minnorm_obligation(result)
    assert "1000 points" in check_minnorm_dual(ob, {"x": ob["x"], "y": ob["y"]})
