"""Design expansion: grid products, seeded random samples inside their ranges, stable ids."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from igproof.errors import InvalidArgument
from igproof.sweep.config import parse_config, spaced
from igproof.sweep.design import design_points, point_id

BASE = """
[model]
dim = 1
[data]
x = [["g"]]
y = ["h"]
[init]
theta0 = ["1"]
"""


def test_grid_is_the_product_first_parameter_slowest():
    config = parse_config("[parameters]\ng = [1, 2]\nh = [3, 4, 5]\n" + BASE)
    points = design_points(config)
    assert [tuple(p.as_dict().values()) for p in points] == [
        (1, 3), (1, 4), (1, 5), (2, 3), (2, 4), (2, 5)]
    assert [p.index for p in points] == list(range(6))
    assert len({p.point_id for p in points}) == 6


def test_log_spacing_matches_the_geometric_sequence():
    values = spaced("log", Fraction(1, 10), Fraction(100), 7, 6)
    assert values[0] == Fraction(1, 10) and values[-1] == 100
    for k, v in enumerate(values):
        # independent route: 10^(-1 + k/2)
        assert math.isclose(float(v), 10 ** (-1 + k / 2), rel_tol=1e-5)


def test_random_design_is_seeded_and_inside_the_ranges():
    text = ("[sweep]\ndesign = 'random'\npoints = 50\nseed = 7\n[parameters]\n"
            "g = { log = [0.001, 10] }\nh = { linear = [-1, 1] }\n" + BASE)
    first = design_points(parse_config(text))
    again = design_points(parse_config(text))
    other = design_points(parse_config(text.replace("seed = 7", "seed = 8")))
    assert [p.point_id for p in first] == [p.point_id for p in again]
    assert [p.point_id for p in first] != [p.point_id for p in other]
    assert len(first) == 50
    for p in first:
        g, h = p.as_dict()["g"], p.as_dict()["h"]
        assert Fraction(1, 1000) <= g <= 10 and -1 <= h <= 1
    # log-uniform: about half the samples below the geometric mid-point 0.1
    below = sum(1 for p in first if p.as_dict()["g"] < Fraction(1, 10))
    assert 10 <= below <= 40


def test_point_id_depends_on_exact_values_only():
    assert point_id((("g", Fraction(1, 2)),)) == point_id((("g", Fraction(2, 4)),))
    assert point_id((("g", Fraction(1, 2)),)) != point_id((("g", Fraction(1, 3)),))


def test_a_grid_too_large_is_refused():
    config = parse_config("[parameters]\ng = { linear = [0, 1], n = 1000 }\n"
                          "h = { linear = [0, 1], n = 1000 }\n" + BASE)
    with pytest.raises(InvalidArgument, match="more than 200000"):
        design_points(config)
