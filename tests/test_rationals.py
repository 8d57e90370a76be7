"""Numbers are read exactly by their text; malformed numbers are clear errors."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from igproof.atomic import write_text_atomic
from igproof.errors import DataError
from igproof.rationals import (
    fraction_to_text,
    loads_exact,
    parse_rational,
    parse_rational_list,
)


def test_decimal_text_is_exact():
    assert parse_rational("0.1") == Fraction(1, 10)
    assert loads_exact('{"x": [0.1, 1e-6, 3]}') == {"x": [Fraction(1, 10), Fraction(1, 10**6), 3]}


@given(st.fractions())
def test_fraction_text_round_trips(q):
    assert parse_rational(fraction_to_text(q)) == q


@pytest.mark.parametrize("bad", ["nan", "inf", "1/0", "", "0x10", "1..2", "__import__('os')",
                                 "1" + "0" * 5000])
def test_malformed_numbers_are_rejected(bad):
    with pytest.raises(DataError):
        parse_rational(bad)


@pytest.mark.parametrize("text", ['{"x": NaN}', '{"x": Infinity}', "[" * 100000, "{",
                                  "1" + "0" * 10000])
def test_malformed_json_is_rejected(text):
    with pytest.raises(DataError):
        loads_exact(text)


def test_lists_name_the_bad_entry():
    assert parse_rational_list("1/2, 0.3") == [Fraction(1, 2), Fraction(3, 10)]
    with pytest.raises(DataError, match="entry 2"):
        parse_rational_list("1,abc")
    with pytest.raises(DataError):
        parse_rational_list("1,,2")


def test_atomic_write_replaces_whole_file(tmp_path):
    target = tmp_path / "sub" / "out.json"
    write_text_atomic(target, "old")
    write_text_atomic(target, "new")
    assert target.read_text() == "new"
    assert [p.name for p in target.parent.iterdir()] == ["out.json"]


@pytest.mark.parametrize("text", ["1e999999", "-1e999999", "1e-999999", "0e999999", "1e301",
                                  "12e299", "0.5e-300", "9" * 301, "1/" + "9" * 301,
                                  "1" * 1001 + "/" + "1" * 1001])
def test_numbers_out_of_range_are_refused_at_parse_time(text):
    """A datum like 1e999999 made `igproof flow` run for minutes: refused before any arithmetic
    (the exponent is bounded before Fraction builds 10**exponent)."""
    import time

    start = time.perf_counter()
    with pytest.raises(DataError, match=r"out of range|digits"):
        parse_rational(text)
    if "/" not in text:  # a JSON number token (fractions are strings in JSON)
        with pytest.raises(DataError):
            loads_exact('{"x": [' + text + "]}")
    assert time.perf_counter() - start < 1


def test_the_range_bounds_are_inclusive_and_exact():
    from igproof.rationals import MAX_DECIMAL_EXPONENT

    top = Fraction(10) ** MAX_DECIMAL_EXPONENT
    assert parse_rational(f"1e{MAX_DECIMAL_EXPONENT}") == top
    assert parse_rational(f"-1e-{MAX_DECIMAL_EXPONENT}") == -1 / top
    assert parse_rational("0") == 0 and parse_rational("0.000") == 0
    assert loads_exact("[" + "9" * 300 + "]") == [10 ** 300 - 1]
