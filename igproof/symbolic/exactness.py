"""Exact decisions about sympy numbers: a nonzero test that never trusts a small float."""

from __future__ import annotations

import sympy

__all__ = ["certainly_nonzero"]

# Digits requested from sympy's evalf (strict: raises instead of returning unreliable digits).
_WITNESS_DIGITS = 30


def certainly_nonzero(value: sympy.Expr) -> bool:
    """True only if value is a number that is provably not 0 (exact, or certified digits)."""
    if value.is_Rational:
        return value != 0
    if not value.is_number:
        return False
    try:
        approx = value.evalf(_WITNESS_DIGITS, strict=True)
    except Exception:  # PrecisionExhausted or unsupported evaluation: no witness
        return False
    return bool(approx.is_number and approx.is_comparable and abs(approx) > sympy.Float("1e-20"))
