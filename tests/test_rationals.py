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
