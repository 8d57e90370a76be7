"""Taylor coefficients of x' = F(x) in ball arithmetic, on top of ``igproof.numeric.series``.

:class:`FieldProgram` adapts :class:`igproof.numeric.series.TaylorProgram` (automatic
differentiation on a straight-line program compiled exactly from sympy) to the ball layer:
coefficients are returned per variable, ``coeffs[i][k] = x_i^(k)(0) / k!``, and rational
constants enter as balls through the arb backend. With ``arb`` inputs every returned value
encloses the exact value for every point of the input balls.

:func:`variational_exprs` builds the joint system (x, V)' = (F(x), DF(x) V) used for the
mean-value (Lohner) form of a validated step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sympy

from igproof.numeric.series import TaylorProgram


class FieldProgram:
    """The map x -> (F_1(x), ..., F_m(x)) for sympy expressions F_i in ``parameters``."""

    def __init__(self, parameters: Sequence[sympy.Symbol], exprs: Sequence[sympy.Expr]) -> None:
        self.parameters = tuple(parameters)
        self.exprs = tuple(exprs)
        self._program = TaylorProgram.from_exprs(self.parameters, list(self.exprs))

    def evaluate(self, x: Sequence[Any]) -> list[Any]:
        """F(x) in the arithmetic of the entries of x. Guarantee: that of the scalar type."""
        return list(self._program.evaluate(list(x)))

    def ode_taylor(self, x0: Sequence[Any], order: int) -> list[list[Any]]:
        """[[x_i[0], ..., x_i[order]] for each i] for x' = F(x), x(0) = x0.

        Guarantee: that of the scalar type (arb: enclosures for every x0 in the balls).
        """
        rows = self._program.ode_taylor(list(x0), order)
        return [[rows[k][i] for k in range(order + 1)] for i in range(len(self.parameters))]


def variational_exprs(parameters: Sequence[sympy.Symbol], field: Sequence[sympy.Expr]
                      ) -> tuple[tuple[sympy.Symbol, ...], list[sympy.Expr]]:
    """The system (x, V)' = (F(x), DF(x) V) for the d x d sensitivity matrix V (row-major)."""
    d = len(parameters)
    v_syms = sympy.symbols(f"_V0:{d * d}")
    F = sympy.Matrix(list(field))
    J = F.jacobian(list(parameters))
    V = sympy.Matrix(d, d, list(v_syms))
    JV = J * V
    exprs = list(F) + [JV[i, j] for i in range(d) for j in range(d)]
    return (*parameters, *v_syms), exprs
