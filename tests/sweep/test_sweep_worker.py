"""One design point: exact data, limits against the closed form and the mp integrator, and rows
of plain picklable data."""

from __future__ import annotations

import math
import pickle
from fractions import Fraction

import mpmath
import pytest

from igproof.numeric.converge import flow_limit
from igproof.sweep.config import parse_config
from igproof.sweep.design import design_points
from igproof.sweep.worker import evaluate_point, point_problem

PLAIN = (int, float, str, bool, list)


def _row(config, gamma: Fraction, init: Fraction) -> dict:
    point = next(p for p in design_points(config) if p.as_dict() == {"gamma": gamma,
                                                                     "init": init})
    return evaluate_point(config, point)


def test_point_problem_is_exact(small_config):
    _flow, theta0, dataset = point_problem(small_config, {"gamma": Fraction(8),
                                                         "init": Fraction(1, 10**6)})
    assert theta0 == [Fraction(1, 10**6)] * 3
    assert dataset.x[2] == (0, 8, 8) and dataset.y == (16, 18, 0)


@pytest.mark.parametrize("gamma", [Fraction(1, 2), Fraction(8)])
def test_small_init_limit_matches_closed_form_and_mp(small_config, gamma):
    init = Fraction(1, 10**6)
    row = _row(small_config, gamma, init)
    assert row["verdict"] == "SUPPORTED" and row["pattern"] == "1,1,-1"
    w1, w2, w3 = row["limit"]
    # closed form: the limit fits x1, x2 exactly, so (w1, w2) = (5, -1)
    assert abs(w1 - 5) < 1e-9 and abs(w2 + 1) < 1e-9
    # independent route: the Taylor integrator at 25 digits (atol is not the issue there)
    flow, theta0, _ = point_problem(small_config, {"gamma": gamma, "init": init})
    reference = flow_limit(flow, theta0, method="mp", dps=25, t_max=10**4)
    assert reference.pattern == (1, 1, -1)
    assert abs(mpmath.mpf(w3) - reference.limit[2]) < 1e-12
    # w3 moved far from the 1e-6 initialization: the small-init regime was not flattened
    assert abs(w3) > 1e-3
    # the distance to the gamma = 0 limit (x3 = 0: w3 stays at its initial value exactly)
    assert math.isclose(row["distance"], math.dist(row["limit"], [5, -1, 1e-6]), abs_tol=1e-9)


def test_rows_are_plain_and_picklable(small_config):
    row = _row(small_config, Fraction(2), Fraction(1, 100))
    for key, value in row.items():
        assert isinstance(value, PLAIN), (key, type(value))
        if isinstance(value, list):
            assert all(isinstance(v, (float, str)) for v in value), key
    assert pickle.loads(pickle.dumps(row)) == row
    assert 0 <= row["violation"] <= 1 and row["norm"] > 5


def test_undefined_point_is_an_error_row_not_a_crash(small_text):
    config = parse_config(small_text.replace('"0", "gamma", "gamma"', '"0", "1/(gamma - 2)", '
                                             '"gamma"'))
    row = _row(config, Fraction(2), Fraction(1, 100))
    assert row["verdict"] == "ERROR" and "division by 0" in row["error"]
    assert repr(pickle.loads(pickle.dumps(row))) == repr(row)  # NaN fields: compare by repr


def test_prove_records_a_ball_as_text_and_float(small_text):
    text = small_text.replace("[diagnostics]", "[flow]\nprove = true\nprec = 64\n[diagnostics]")
    text = text.replace('init = ["1e-6", "1/100"]', 'init = ["1/1000"]')
    text = text.replace("gamma = { log = [0.5, 8], n = 3 }", "gamma = [2]")
    row = _row(parse_config(text), Fraction(2), Fraction(1, 1000))
    assert row["prove_verdict"] == "PROVED"
    assert 0 < row["radius"] < 1e-10
    centre = [Fraction(c) for c in row["centre"]]
    # the proved ball holds the closed-form coordinates and sits on the float limit
    assert abs(centre[0] - 5) <= Fraction(row["radius"]) * 2
    assert row["centre_gap"] < 1e-8
    assert pickle.loads(pickle.dumps(row)) == row


def test_two_layer_with_bias_and_skip_runs_and_fits_the_data(tmp_path):
    """[model] bias and skip reach build_model: the limit of sum_j v_j relu(w_j x + b_j) + u x + c
    on x = (1, 3), y = (2, 1) interpolates the data (f evaluated by hand at the float limit)."""
    text = "\n".join([
        '[sweep]', 'name = "bias and skip"', 'design = "grid"',
        '[parameters]', 'g = { values = [1] }',
        '[model]', 'kind = "two-layer"', 'dim = 1', 'width = 1', 'bias = true', 'skip = true',
        '[data]', 'x = [["1"], ["3"]]', 'y = ["2", "g"]',
        '[init]', 'direction = ["1", "-1", "2", "1/4", "1/2"]', 'scale = "1"',
        '[flow]', 'method = "float"', 't_max = 10000'])
    config = parse_config(text)
    (point,) = design_points(config)
    row = evaluate_point(config, point)
    assert row["parameters"] == ["v1", "w1_1", "b1", "u1", "c"]
    v, w, b, u, c = row["limit"]

    def f(x: float) -> float:
        return v * max(w * x + b, 0.0) + u * x + c

    assert abs(f(1) - 2) < 1e-8 and abs(f(3) - 1) < 1e-8
