"""The square loss L_S(theta) = (1/2n) sum_i (f(x_i; theta) - y_i)^2 and its residuals."""

from __future__ import annotations

import sympy

from igproof.symbolic.dataset import Dataset
from igproof.symbolic.models import Model

__all__ = ["residuals", "square_loss"]


def residuals(model: Model, dataset: Dataset) -> tuple[sympy.Expr, ...]:
    """r_i(theta) = f(x_i; theta) - y_i, one sympy expression per data point (with repeats).

    Guarantee: exact.
    """
    dataset.check_dim(model.dim)
    return tuple(model.output(x) - sympy.Rational(y.numerator, y.denominator)
                 for x, y in dataset)


def loss_from_residuals(res: tuple[sympy.Expr, ...]) -> sympy.Expr:
    """(1/2n) sum_i r_i^2."""
    n = len(res)
    return sympy.Rational(1, 2 * n) * sympy.Add(*[r**2 for r in res])


def square_loss(model: Model, dataset: Dataset) -> sympy.Expr:
    """L_S(theta) = (1/2n) sum_i (f(x_i; theta) - y_i)^2, a sympy expression.

    Guarantee: exact.
    """
    return loss_from_residuals(residuals(model, dataset))
