"""The peers' side of the high-precision benchmarks: the one-datum neuron flows written by hand
for mpmath.odefun (a a' = ... without igproof), x = 1, y = 1, L = (a s(w) - 1)^2 / 2:
a' = -r s(w), w' = -a s'(w) r with r = a s(w) - 1, s = identity (relu on its active piece) or tanh.
"""

from __future__ import annotations

import mpmath


def relu_field(_t, y):
    """(a, w)' for s(w) = w: r = a w - 1."""
    r = y[0] * y[1] - 1
    return [-r * y[1], -r * y[0]]


def tanh_field(_t, y):
    """(a, w)' for s = tanh: r = a tanh(w) - 1, s' = 1 - tanh^2."""
    th = mpmath.tanh(y[1])
    r = y[0] * th - 1
    return [-r * th, -y[0] * (1 - th * th) * r]


ODEFUN_FIELDS = {"relu": relu_field, "tanh": tanh_field}
