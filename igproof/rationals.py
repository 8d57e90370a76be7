"""Exact reading of numbers from people and files.

A number is read by its decimal text, never through a binary float: ``0.1`` means 1/10.
Accepted forms: an integer (``"-3"``), a decimal (``"0.25"``, ``"1e-6"``) or a fraction
(``"p/q"``). NaN and infinities are rejected with a message that names the offending text.
"""

from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

from igproof.errors import DataError

# Longest number text accepted: a million-digit numeral is an attack, not a dataset.
MAX_NUMBER_CHARS = 4000

_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,6})?")
_FRACTION = re.compile(r"[+-]?\d+/\d+")


def parse_rational(value: Any, *, what: str = "number") -> Fraction:
    """Return the exact rational written as ``value``.

    >>> parse_rational("0.1") == Fraction(1, 10)
    True
    >>> parse_rational("-3/4")
    Fraction(-3, 4)
    """
    if isinstance(value, bool):
        raise DataError(f"{what}: expected a number, got the boolean {value!r}")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        # A float reaching here came from Python code, not from text: take its shortest repr,
        # which is the decimal a person wrote.
        if value != value or value in (float("inf"), float("-inf")):
            raise DataError(f"{what}: {value!r} is not a finite number")
        return Fraction(repr(float(value)))
    if not isinstance(value, str):
        raise DataError(f"{what}: expected a number or a string like '3/4', got {value!r}")
    text = value.strip()
    if len(text) > MAX_NUMBER_CHARS:
        raise DataError(f"{what}: number text of {len(text)} characters is too long "
                        f"(at most {MAX_NUMBER_CHARS})")
    if _FRACTION.fullmatch(text):
        num, den = text.split("/")
        if int(den) == 0:
            raise DataError(f"{what}: {text!r} has a zero denominator")
        return Fraction(int(num), int(den))
    if _DECIMAL.fullmatch(text):
        return Fraction(text)
    raise DataError(f"{what}: cannot read {text!r} as a number "
                    "(use an integer, a decimal such as 0.25, or a fraction p/q)")


def parse_rational_list(text: str, *, what: str = "list") -> list[Fraction]:
    """Read a comma-separated list such as ``"1/2, 0.3, -1e-6"`` exactly."""
    items = [item for item in text.split(",")]
    if not text.strip() or any(not item.strip() for item in items):
        raise DataError(f"{what}: expected comma-separated numbers, got {text!r}")
    return [parse_rational(item, what=f"{what} entry {k + 1}") for k, item in enumerate(items)]


def _reject_constant(name: str) -> None:
    raise DataError(f"{name} is not a finite number")


def loads_exact(text: str, *, what: str = "JSON") -> Any:
    """Parse JSON text with every number as an exact :class:`~fractions.Fraction`.

    Integers stay ``int``; decimals become fractions by their text; ``NaN`` and ``Infinity``
    are rejected.
    """

    def parse_int(token: str) -> int:
        if len(token) > MAX_NUMBER_CHARS:
            raise DataError(f"{what}: integer of {len(token)} digits is too long")
        return int(token)

    def parse_float(token: str) -> Fraction:
        return parse_rational(token, what=what)

    try:
        return json.loads(text, parse_int=parse_int, parse_float=parse_float,
                          parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise DataError(f"{what}: not valid JSON ({exc.msg} at line {exc.lineno} "
                        f"column {exc.colno})") from None
    except RecursionError:
        raise DataError(f"{what}: JSON nested too deeply") from None


def load_json_exact(path: str | Path, *, what: str | None = None) -> Any:
    """Read a JSON file with exact numbers (see :func:`loads_exact`)."""
    label = what or str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{label}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{label}: cannot read file ({exc.__class__.__name__})") from None
    return loads_exact(text, what=label)


def fraction_to_text(q: Fraction) -> str:
    """The ``"p/q"`` (or ``"p"``) text used in certificates and JSON output."""
    q = Fraction(q)
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"
