"""Independent oracles shared by several test modules (written by hand, not from igproof).

Imported as ``from _oracles import ...``: pytest puts tests/ on sys.path because tests/conftest.py
lives there (rootdir-relative "prepend" import mode, no __init__.py in tests/).

The isolated end-game example: a tanh(w x) on x = 1, 2, 3 with labels y = 1, 2, 3/2 (not
monotone in x, so no (a, w) fits the data and the limit of the flow has positive loss).
"""

from __future__ import annotations

from fractions import Fraction

import mpmath

TANH_XS = (1, 2, 3)
TANH_YS = (Fraction(1), Fraction(2), Fraction(3, 2))


def mpf(q: Fraction | int | str) -> mpmath.mpf:
    """The rational q as an mpmath number at the current working precision."""
    q = Fraction(q)
    return mpmath.mpf(q.numerator) / q.denominator


def tanh_grad_by_hand(a: mpmath.mpf, w: mpmath.mpf, xs: tuple = TANH_XS,
                      ys: tuple = TANH_YS) -> tuple[mpmath.mpf, mpmath.mpf]:
    """grad of L = (1/(2n)) sum_i (a tanh(w x_i) - y_i)^2, differentiated by hand:
    dL/da = (1/n) sum r_i tanh(w x_i), dL/dw = (1/n) sum r_i a (1 - tanh^2(w x_i)) x_i."""
    n = len(xs)
    ga = gw = 0
    for x, y in zip(xs, ys, strict=True):
        t = mpmath.tanh(w * x)
        r = a * t - mpf(y)
        ga += r * t / n
        gw += r * a * (1 - t * t) * x / n
    return ga, gw


def tanh_loss_by_hand(a: mpmath.mpf, w: mpmath.mpf, xs: tuple = TANH_XS,
                      ys: tuple = TANH_YS) -> mpmath.mpf:
    """L = (1/(2n)) sum_i (a tanh(w x_i) - y_i)^2."""
    return sum((a * mpmath.tanh(w * x) - mpf(y)) ** 2
               for x, y in zip(xs, ys, strict=True)) / (2 * len(xs))
