"""Exact reading of numbers from people and files.

A number is read by its decimal text, never through a binary float: ``0.1`` means 1/10.
Accepted forms: an integer (``"-3"``), a decimal (``"0.25"``, ``"1e-6"``) or a fraction
(``"p/q"``). NaN and infinities are rejected with a message that names the offending text, and
so are numbers too large, too small or too long to be data (:data:`MAX_DECIMAL_EXPONENT`,
:data:`MAX_DIGITS`): they are refused while parsing, before any arithmetic on them.
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
# Largest decimal exponent of a nonzero number read from text: 1e-300 <= |q| <= 1e300. Every such
# value has a finite, normal float64 (range ~2.2e-308 .. 1.8e308), which the float integrators,
# solvers and plots use; beyond it a datum such as 1e999999 made `igproof flow` compute with
# million-digit integers for minutes and `igproof minnorm` overflow a float.
MAX_DECIMAL_EXPONENT = 300
# Most digits in a numerator or denominator read from text: exact arithmetic (sympy, Fractions,
# certificates) slows down with the size of the integers, and data this long are not measurements.
MAX_DIGITS = 1000
# log10(2): turns bit lengths into decimal exponents for the magnitude bound.
_LOG10_2 = 0.30102999566398120

_DECIMAL = re.compile(r"[+-]?(?P<mantissa>\d+(\.\d*)?|\.\d+)([eE](?P<exponent>[+-]?\d+))?")
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
        _check_digits(num, text, what)
        _check_digits(den, text, what)
        if int(den) == 0:
            raise DataError(f"{what}: {text!r} has a zero denominator")
        return _check_magnitude(Fraction(int(num), int(den)), text, what)
    match = _DECIMAL.fullmatch(text)
    if match:
        mantissa = match.group("mantissa")
        _check_digits(mantissa, text, what)
        exponent = match.group("exponent")
        # Refuse a huge exponent before Fraction() builds 10**exponent.
        if exponent is not None and abs(int(exponent)) > MAX_DECIMAL_EXPONENT + len(mantissa):
            raise _out_of_range(text, what)
        return _check_magnitude(Fraction(text), text, what)
    raise DataError(f"{what}: cannot read {text!r} as a number "
                    "(use an integer, a decimal such as 0.25, or a fraction p/q)")


def _check_digits(digits: str, text: str, what: str) -> None:
    count = sum(c.isdigit() for c in digits)
    if count > MAX_DIGITS:
        raise DataError(f"{what}: {_clip(text)} has {count} digits in one integer (at most "
                        f"{MAX_DIGITS})")


def _out_of_range(text: str, what: str) -> DataError:
    return DataError(f"{what}: {_clip(text)} is out of range (a nonzero number must lie between "
                     f"1e-{MAX_DECIMAL_EXPONENT} and 1e{MAX_DECIMAL_EXPONENT} in absolute value)")


def _check_magnitude(q: Fraction, text: str, what: str) -> Fraction:
    """q itself when q = 0 or 10^-MAX_DECIMAL_EXPONENT <= |q| <= 10^MAX_DECIMAL_EXPONENT."""
    if q == 0:
        return q
    if max(q.numerator.bit_length(), q.denominator.bit_length()) * _LOG10_2 > MAX_DIGITS:
        raise DataError(f"{what}: {_clip(text)} has more than {MAX_DIGITS} digits in its "
                        "numerator or denominator")
    bound = Fraction(10) ** MAX_DECIMAL_EXPONENT
    if not 1 / bound <= abs(q) <= bound:
        raise _out_of_range(text, what)
    return q


def _clip(text: str) -> str:
    """The offending text, shortened for a one-line message."""
    return repr(text) if len(text) <= 40 else repr(text[:20] + "..." + text[-12:])


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
        _check_digits(token, token, what)
        return int(_check_magnitude(Fraction(int(token)), token, what))

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
