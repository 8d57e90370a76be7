"""Taylor coefficients of x' = F(x) by automatic differentiation: x_[k+1] = F(x)_[k] / (k + 1).

A :class:`TaylorProgram` is a straight-line program compiled once from sympy expressions
F_1..F_m in the parameters x_1..x_n (common subexpressions are shared). It evaluates F at a point
(:meth:`TaylorProgram.evaluate`), pushes a truncated power series through F
(:meth:`TaylorProgram.compose`) and computes the normalized Taylor coefficients
x_[k] = x^(k)(0) / k! of the solution of x' = F(x), x(0) = x0 (:meth:`TaylorProgram.ode_taylor`)
with the classical recurrences for products, quotients, powers, exp, log and tanh.

The program is generic over the scalar type. On values it uses only ``+``, ``-``, ``*``, ``/``
(also with Python ``int``); everything else -- rational constants, exp/log/tanh/sqrt/power at the
constant term, dot products -- comes from a *backend* object chosen from the type of the first
input value by :func:`backend_for`:

=================  ======================================================================
scalar type        backend
=================  ======================================================================
``float``          :class:`FloatBackend` (``math``; constants by correctly rounded
                   ``float(Fraction)``)
mpmath ``mpf``     :class:`MpfBackend` for the value's own context (``x.context``): the
                   working precision is that context's, constants are ``mpf(p) / q``
flint ``arb``      :class:`ArbBackend` (constants ``arb(p) / q``, so enclosures stay
                   enclosures; precision is ``flint.ctx.prec``)
=================  ======================================================================

The backend interface (stable; the ball-arithmetic layer relies on it): ``const(q: Fraction)``,
``exp(x)``, ``log(x)``, ``tanh(x)``, ``sqrt(x)``, ``power(x, q: Fraction)`` (x > 0) and
``dot(xs, ys)`` (sum of products of two equally long lists). Any object with these methods may
be passed as ``backend=`` to override the choice.

Supported sympy nodes: symbols among the parameters, rational constants (``Integer``,
``Rational`` and constant subexpressions built from them, e.g. ``sqrt(2)``), ``Add``, ``Mul``,
``Pow`` with a rational exponent (integer powers by repeated products, ``1/2`` by the square-root
recurrence), ``exp``, ``log``, ``tanh``, ``sinh``, ``cosh``, ``sech`` (the last three through
exp). Anything else (floats, ``Max``, ``Piecewise``, ``Heaviside``, ``Abs``, symbolic exponents,
other functions) is rejected with :class:`~igproof.errors.InvalidArgument`: ReLU flows must be
restricted to an activation pattern before compiling.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from itertools import islice
from math import ldexp
from operator import mul
from typing import TYPE_CHECKING, Any

from mpmath.libmp import (
    from_man_exp,
    mpf_exp,
    mpf_log,
    mpf_pow,
    mpf_sqrt,
    mpf_tanh,
    round_nearest,
    to_fixed,
)

from igproof.errors import InvalidArgument

if TYPE_CHECKING:  # sympy is imported only to compile (TaylorProgram.from_exprs): a program
    import sympy  # loaded from the field cache runs without it (fast start of `igproof flow`)

__all__ = [
    "ArbBackend",
    "FixedPointLoss",
    "FloatBackend",
    "MpfBackend",
    "TaylorProgram",
    "backend_for",
]

# Largest |integer exponent| expanded into products; bigger ones would make programs huge
# and are not produced by any model igproof builds (degree <= 4 in practice).
MAX_INTEGER_POWER = 64

# MpfBackend.dot sums exactly in integers while the terms' exponents span at most this many
# bits (Taylor coefficients decaying like rho^-k span a few hundred; 2^16 bits are 8 KB integers,
# still cheap); only wider spreads fall back to mpmath's fdot, which is not correctly rounded in
# mpmath 1.3.
DOT_MAX_SPREAD_BITS = 1 << 16

# Fixed point: a divisor (a_0 of 1/a, sqrt, log, a^q) smaller than 2^-FIXED_DIVISOR_BITS loses
# more than that many bits of relative precision at a fixed absolute resolution; the caller then
# falls back to floating point (FixedPointLoss). 16 bits are inside the integrator's guard bits.
FIXED_DIVISOR_BITS = 16

# Float tier of ode_taylor_fixed: once every node's coefficient is below 2^FLOAT_TIER_BITS units
# (2^-frac_bits), the series goes on in doubles, whose multiply-add costs a quarter to a third of
# an integer one of 70-130 bits. Their rounding, 2^-53 of a term, then costs below
# 2^(FLOAT_TIER_BITS - 60) units per coefficient (measured): 2^18 units, 2^-14 of the mp
# integrator's per-step eps (2^32 units). At 80 bits its final errors on the benchmark flows are
# still those of the integer series; at 88 the rounding shows (bench_hiprec.py: 100x larger).
FLOAT_TIER_BITS = 78
# Above this many fraction bits the tier is off (the doubles, in value scale x 2^-frac_bits,
# would come near the end of their exponent range).
FLOAT_TIER_MAX_FRAC = 900

# ode_taylor_fixed keeps its coefficient lists and kernels per (frac_bits, order) with the
# program; a handful covers an integration (frac_bits changes with the size of theta only).
MAX_FIXED_WORKSPACES = 8

# Opcodes of the straight-line program.
_VAR, _CONST, _ADD, _SCALE, _MUL, _RECIP, _SQRT, _POWQ, _EXP, _LOG, _TANH = range(11)


# --------------------------------------------------------------------------------------------
# Backends


class FloatBackend:
    """Python ``float`` arithmetic (IEEE double). Guarantee: approximate, no bound."""

    name = "float"

    def const(self, q: Fraction) -> float:
        return float(q)

    exp = staticmethod(math.exp)
    log = staticmethod(math.log)
    tanh = staticmethod(math.tanh)
    sqrt = staticmethod(math.sqrt)

    def power(self, x: float, q: Fraction) -> float:
        return x ** (q.numerator / q.denominator)

    @staticmethod
    def dot(xs: Sequence[float], ys: Sequence[float]) -> float:
        return math.fsum([a * b for a, b in zip(xs, ys, strict=True)])


class MpfBackend:
    """mpmath ``mpf`` arithmetic in one context (its precision is the working precision).

    Guarantee: approximate (each operation correctly rounded at the context precision).
    """

    name = "mpf"

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        self.exp = ctx.exp
        self.log = ctx.log
        self.tanh = ctx.tanh
        self.sqrt = ctx.sqrt

    def const(self, q: Fraction) -> Any:
        # mpf(p) is exact for |p| < 2**prec; the division rounds once.
        return self.ctx.mpf(q.numerator) / q.denominator

    def power(self, x: Any, q: Fraction) -> Any:
        return self.ctx.power(x, self.const(q))

    def dot(self, xs: Sequence[Any], ys: Sequence[Any]) -> Any:
        """sum x_i y_i rounded once: the exact integer sum of the exact products.

        Exponents are aligned to the smallest one as the terms come; when the terms span more
        than DOT_MAX_SPREAD_BITS (or a factor is inf/nan) this falls back to ``ctx.fdot``.
        """
        total = 0
        low = None
        for a, b in zip(xs, ys, strict=True):
            sa, ma, ea, _ = a._mpf_
            sb, mb, eb, _ = b._mpf_
            if ma and mb:
                man = ma * mb
                if sa ^ sb:
                    man = -man
                e = ea + eb
                if low is None:
                    total, low = man, e
                elif e >= low:
                    if e - low > DOT_MAX_SPREAD_BITS:
                        return self.ctx.fdot(xs, ys)
                    total += man << (e - low)
                else:
                    if low - e > DOT_MAX_SPREAD_BITS:
                        return self.ctx.fdot(xs, ys)
                    total = (total << (low - e)) + man
                    low = e
            elif (not ma and ea) or (not mb and eb):  # inf or nan (zero is (0, 0, 0, 0))
                return self.ctx.fdot(xs, ys)
        if low is None:
            return self.ctx.zero
        return self.ctx.make_mpf(from_man_exp(total, low, self.ctx.prec, round_nearest))


class ArbBackend:
    """python-flint ``arb`` balls at ``flint.ctx.prec``. Guarantee: enclosure."""

    name = "arb"

    def __init__(self) -> None:
        import flint

        self._arb = flint.arb

    def const(self, q: Fraction) -> Any:
        return self._arb(q.numerator) / q.denominator

    def exp(self, x: Any) -> Any:
        return x.exp()

    def log(self, x: Any) -> Any:
        return x.log()

    def tanh(self, x: Any) -> Any:
        return x.tanh()

    def sqrt(self, x: Any) -> Any:
        return x.sqrt()

    def power(self, x: Any, q: Fraction) -> Any:
        return x ** (self._arb(q.numerator) / q.denominator)

    def dot(self, xs: Sequence[Any], ys: Sequence[Any]) -> Any:
        total = xs[0] * ys[0]
        for a, b in zip(xs[1:], ys[1:], strict=True):
            total += a * b
        return total


_FLOAT_BACKEND = FloatBackend()


def backend_for(value: Any) -> Any:
    """The backend for the scalar type of ``value`` (float/int, mpmath mpf, flint arb)."""
    if isinstance(value, float | int) and not isinstance(value, bool):
        return _FLOAT_BACKEND
    context = getattr(type(value), "context", None)
    if context is not None and hasattr(context, "fdot"):
        return MpfBackend(context)
    if type(value).__name__ == "arb" and type(value).__module__.startswith("flint"):
        return ArbBackend()
    raise InvalidArgument(f"x0: no Taylor backend for values of type {type(value).__name__!r} "
                          "(use float, an mpmath mpf, or a flint arb)")


# --------------------------------------------------------------------------------------------
# Compilation


class _Compiler:
    """Turns sympy expressions into a node list, sharing equal subexpressions."""

    def __init__(self, parameters: Sequence[sympy.Symbol]) -> None:
        self.nodes: list[tuple] = []
        self.index: dict[tuple, int] = {}
        self.memo: dict[sympy.Basic, int] = {}
        self.symbols = {p: i for i, p in enumerate(parameters)}
        for i in range(len(parameters)):
            self._node((_VAR, i))

    def _node(self, key: tuple) -> int:
        found = self.index.get(key)
        if found is None:
            found = len(self.nodes)
            self.nodes.append(key)
            self.index[key] = found
        return found

    def const(self, q: Fraction) -> int:
        return self._node((_CONST, Fraction(q)))

    def compile(self, expr: sympy.Basic) -> int:
        found = self.memo.get(expr)
        if found is None:
            found = self._compile(expr)
            self.memo[expr] = found
        return found

    def _compile(self, expr: sympy.Basic) -> int:
        import sympy  # only compiling needs sympy (see the TYPE_CHECKING import)

        if expr.is_Symbol:
            if expr not in self.symbols:
                raise InvalidArgument(f"exprs: symbol {expr} is not among the parameters "
                                      f"{tuple(self.symbols)}")
            return self.symbols[expr]
        if expr.is_Rational:
            return self.const(Fraction(int(expr.p), int(expr.q)))
        if expr.is_Number or expr.is_NumberSymbol or expr is sympy.nan:
            raise InvalidArgument(f"exprs: the constant {expr} is not an exact rational "
                                  "(floats and transcendental constants are not compiled)")
        if expr.is_Add:
            args = sorted(self.compile(a) for a in expr.args)
            return self._node((_ADD, tuple(args)))
        if expr.is_Mul:
            coeff, rest = expr.as_coeff_Mul()
            if coeff != 1 and coeff.is_Rational:
                inner = self.compile(rest)
                return self._node((_SCALE, inner, Fraction(int(coeff.p), int(coeff.q))))
            args = sorted(self.compile(a) for a in expr.args)
            node = args[0]
            for other in args[1:]:
                node = self._mul(node, other)
            return node
        if expr.is_Pow:
            base, exponent = expr.args
            if not exponent.is_Rational:
                raise InvalidArgument(f"exprs: power {expr} has a non-rational exponent "
                                      f"{exponent}")
            return self._pow(self.compile(base), Fraction(int(exponent.p), int(exponent.q)),
                             expr)
        if isinstance(expr, sympy.exp):
            return self._node((_EXP, self.compile(expr.args[0])))
        if isinstance(expr, sympy.log):
            if len(expr.args) != 1:
                raise InvalidArgument(f"exprs: logarithm with a base is not supported: {expr}")
            return self._node((_LOG, self.compile(expr.args[0])))
        if isinstance(expr, sympy.tanh):
            return self._node((_TANH, self.compile(expr.args[0])))
        if isinstance(expr, sympy.sinh | sympy.cosh | sympy.sech):
            u = self.compile(expr.args[0])
            e_plus = self._node((_EXP, u))
            e_minus = self._node((_RECIP, e_plus))
            if isinstance(expr, sympy.sinh):
                diff = self._node((_ADD, (e_plus, self._node((_SCALE, e_minus,
                                                                   Fraction(-1))))))
                return self._node((_SCALE, diff, Fraction(1, 2)))
            cosh = self._node((_SCALE, self._node((_ADD, tuple(sorted((e_plus, e_minus))))),
                               Fraction(1, 2)))
            return cosh if isinstance(expr, sympy.cosh) else self._node((_RECIP, cosh))
        raise InvalidArgument(f"exprs: cannot compile {type(expr).__name__} node {expr} "
                              "(supported: + * rational powers, exp, log, tanh, sinh, cosh, "
                              "sech; restrict piecewise (ReLU) flows to a pattern first)")

    def _mul(self, a: int, b: int) -> int:
        return self._node((_MUL, min(a, b), max(a, b)))

    def _pow(self, base: int, q: Fraction, expr: sympy.Basic) -> int:
        if q.denominator == 1:
            n = abs(q.numerator)
            if n > MAX_INTEGER_POWER:
                raise InvalidArgument(f"exprs: integer power {q} in {expr} exceeds "
                                      f"MAX_INTEGER_POWER={MAX_INTEGER_POWER}")
            if n == 0:
                return self.const(Fraction(1))
            result, square = None, base
            while n:
                if n & 1:
                    result = square if result is None else self._mul(result, square)
                n >>= 1
                if n:
                    square = self._mul(square, square)
            return self._node((_RECIP, result)) if q < 0 else result
        if q == Fraction(1, 2):
            return self._node((_SQRT, base))
        if q == Fraction(-1, 2):
            return self._node((_RECIP, self._node((_SQRT, base))))
        return self._node((_POWQ, base, q))


# --------------------------------------------------------------------------------------------
# The program


class TaylorProgram:
    """A straight-line program for F = (F_1, ..., F_m) in the variables x_1, ..., x_n.

    Build with :meth:`from_exprs`. Nodes are listed in dependency order; each is one of
    var, rational const, n-ary add, rational scale, product, reciprocal, sqrt, rational power,
    exp, log, tanh.
    """

    def __init__(self, nodes: Sequence[tuple], outputs: Sequence[int], n_vars: int) -> None:
        self.nodes = tuple(nodes)
        self.outputs = tuple(outputs)
        self.n_vars = n_vars
        self.n_outputs = len(self.outputs)
        self._fixed_consts: dict[int, dict[int, int]] = {}
        self._fixed_plan: _FixedPlan | None = None
        self._fixed_work: dict[tuple[int, int], _FixedSeries] = {}

    @classmethod
    def from_exprs(cls, parameters: Sequence[sympy.Symbol],
                   exprs: Sequence[sympy.Basic]) -> TaylorProgram:
        """Compile F = exprs in the variables ``parameters`` (order matters) to a program.

        Raises :class:`~igproof.errors.InvalidArgument` naming the first unsupported node.
        """
        import sympy  # only compiling needs sympy (see the TYPE_CHECKING import)

        parameters = tuple(parameters)
        if not parameters or not all(isinstance(p, sympy.Symbol) for p in parameters):
            raise InvalidArgument(f"parameters: expected a non-empty sequence of sympy "
                                  f"Symbols, got {parameters!r}")
        if len(set(parameters)) != len(parameters):
            raise InvalidArgument(f"parameters: repeated symbols in {parameters!r}")
        compiler = _Compiler(parameters)
        outputs = [compiler.compile(_as_sympy(e, k)) for k, e in enumerate(exprs)]
        return cls(compiler.nodes, outputs, len(parameters))

    def __repr__(self) -> str:
        return (f"TaylorProgram(n_vars={self.n_vars}, n_outputs={self.n_outputs}, "
                f"nodes={len(self.nodes)})")

    # -- helpers ---------------------------------------------------------------------------

    def _check_point(self, x: Sequence[Any], what: str) -> list[Any]:
        x = list(x)
        if len(x) != self.n_vars:
            raise InvalidArgument(f"{what}: expected {self.n_vars} values, got {len(x)}")
        return x

    def _constants(self, backend: Any) -> dict[int, Any]:
        consts = {}
        for idx, node in enumerate(self.nodes):
            if node[0] == _CONST:
                consts[idx] = backend.const(node[1])
            elif node[0] == _SCALE:
                consts[idx] = backend.const(node[2])
        return consts

    # -- evaluation ------------------------------------------------------------------------

    def evaluate(self, x: Sequence[Any], *, backend: Any = None) -> list[Any]:
        """F(x): the outputs at one point, in the scalar type of ``x``.

        Guarantee: that of the scalar type (float/mpf approximate, arb an enclosure).
        """
        x = self._check_point(x, "x")
        backend = backend or backend_for(x[0])
        consts = self._constants(backend)
        val: list[Any] = [None] * len(self.nodes)
        for idx, node in enumerate(self.nodes):
            op = node[0]
            if op == _VAR:
                v = x[node[1]]
            elif op == _CONST:
                v = consts[idx]
            elif op == _ADD:
                args = node[1]
                v = val[args[0]]
                for a in args[1:]:
                    v = v + val[a]
            elif op == _SCALE:
                v = consts[idx] * val[node[1]]
            elif op == _MUL:
                v = val[node[1]] * val[node[2]]
            elif op == _RECIP:
                v = 1 / val[node[1]]
            elif op == _SQRT:
                v = backend.sqrt(val[node[1]])
            elif op == _POWQ:
                v = backend.power(val[node[1]], node[2])
            elif op == _EXP:
                v = backend.exp(val[node[1]])
            elif op == _LOG:
                v = backend.log(val[node[1]])
            else:  # _TANH
                v = backend.tanh(val[node[1]])
            val[idx] = v
        return [val[o] for o in self.outputs]

    # -- power series ----------------------------------------------------------------------

    def _start(self, x0: list[Any], backend: Any) -> tuple[list[list[Any]], dict, dict]:
        """Order-0 coefficients of every node; aux holds tanh's 1 - tanh^2 series.

        ``consts`` maps node index -> constant, and -1 -> the zero of the scalar type.
        """
        consts = self._constants(backend)
        consts[-1] = backend.const(Fraction(0))
        c: list[list[Any]] = []
        aux: dict[int, list[Any]] = {}
        for idx, node in enumerate(self.nodes):
            op = node[0]
            if op == _VAR:
                v = x0[node[1]]
            elif op == _CONST:
                v = consts[idx]
            elif op == _ADD:
                args = node[1]
                v = c[args[0]][0]
                for a in args[1:]:
                    v = v + c[a][0]
            elif op == _SCALE:
                v = consts[idx] * c[node[1]][0]
            elif op == _MUL:
                v = c[node[1]][0] * c[node[2]][0]
            elif op == _RECIP:
                v = 1 / c[node[1]][0]
            elif op == _SQRT:
                v = backend.sqrt(c[node[1]][0])
            elif op == _POWQ:
                v = backend.power(c[node[1]][0], node[2])
            elif op == _EXP:
                v = backend.exp(c[node[1]][0])
            elif op == _LOG:
                v = backend.log(c[node[1]][0])
            else:  # _TANH
                v = backend.tanh(c[node[1]][0])
                aux[idx] = [1 - v * v]
            c.append([v])
        return c, aux, consts

    def _advance(self, c: list[list[Any]], aux: dict, consts: dict, k: int,
                 var_coeffs: Sequence[Any], backend: Any) -> None:
        """Append the order-k coefficient (k >= 1) of every node."""
        dot = backend.dot
        for idx, node in enumerate(self.nodes):
            op = node[0]
            if op == _VAR:
                v = var_coeffs[node[1]]
            elif op == _CONST:
                v = consts[-1]
            elif op == _ADD:
                args = node[1]
                v = c[args[0]][k]
                for a in args[1:]:
                    v = v + c[a][k]
            elif op == _SCALE:
                # negation and integer factors are exact; other rationals use the constant
                q = node[2]
                if q == -1:
                    v = -c[node[1]][k]
                elif q.denominator == 1:
                    v = c[node[1]][k] * q.numerator
                else:
                    v = consts[idx] * c[node[1]][k]
            elif op == _MUL:
                a, b = c[node[1]], c[node[2]]
                v = dot(a[: k + 1], b[k::-1])
            elif op == _RECIP:
                # r * a = 1  =>  r_k = -(sum_{j=1..k} a_j r_{k-j}) / a_0
                a, r = c[node[1]], c[idx]
                v = -dot(a[1 : k + 1], r[k - 1 :: -1]) * r[0]
            elif op == _SQRT:
                # s^2 = a  =>  s_k = (a_k - sum_{j=1..k-1} s_j s_{k-j}) / (2 s_0)
                a, s = c[node[1]], c[idx]
                v = a[k] - dot(s[1:k], s[k - 1 : 0 : -1]) if k > 1 else a[k]
                v = v / (2 * s[0])
            elif op == _POWQ:
                # p = a^q, a p' = q a' p  =>
                # p_k = sum_{j=1..k} ((q+1) j - k) a_j p_{k-j} / (k a_0)
                a, p = c[node[1]], c[idx]
                q = node[2]
                num, den = q.numerator, q.denominator
                weights = [((num + den) * j - k * den) * a[j] for j in range(1, k + 1)]
                v = dot(weights, p[k - 1 :: -1]) / (k * den) / a[0]
            elif op == _EXP:
                # e' = a' e  =>  e_k = (1/k) sum_{j=1..k} j a_j e_{k-j}
                a, e = c[node[1]], c[idx]
                weights = [j * a[j] for j in range(1, k + 1)]
                v = dot(weights, e[k - 1 :: -1]) / k
            elif op == _LOG:
                # a l' = a'  =>  l_k = (a_k - (1/k) sum_{j=1..k-1} j l_j a_{k-j}) / a_0
                a, ell = c[node[1]], c[idx]
                if k > 1:
                    weights = [j * ell[j] for j in range(1, k)]
                    v = (a[k] - dot(weights, a[k - 1 : 0 : -1]) / k) / a[0]
                else:
                    v = a[1] / a[0]
            else:  # _TANH: th' = (1 - th^2) a'
                a, th, s = c[node[1]], c[idx], aux[idx]
                weights = [j * a[j] for j in range(1, k + 1)]
                v = dot(weights, s[k - 1 :: -1]) / k
                th.append(v)
                s.append(-dot(th[: k + 1], th[k::-1]))
                continue
            c[idx].append(v)

    def ode_taylor(self, x0: Sequence[Any], order: int, *,
                   backend: Any = None) -> list[list[Any]]:
        """Normalized Taylor coefficients x_[k] = x^(k)(0)/k!, k = 0..order, of x' = F(x).

        Requires ``n_outputs == n_vars`` (F maps the state to its velocity). The recurrence is
        x_[k+1] = F(x)_[k] / (k + 1), with F(x)_[k] (the k-th coefficient of F along the
        series) computed by automatic differentiation of the straight-line program.

        Parameters
        ----------
        x0 : sequence of scalars (float, mpf or arb; one type)
            The initial value x(0).
        order : int
            The highest coefficient returned (>= 0).
        backend : optional
            Overrides :func:`backend_for`.

        Returns
        -------
        list of lists
            ``coeffs[k][i]`` is x_[k] of the i-th variable.

        Guarantee: that of the scalar type (arb: each coefficient is enclosed).

        >>> import sympy
        >>> x = sympy.Symbol("x")
        >>> TaylorProgram.from_exprs([x], [-x**2]).ode_taylor([1.0], 3)  # 1/(1+t)
        [[1.0], [-1.0], [1.0], [-1.0]]
        """
        if self.n_outputs != self.n_vars:
            raise InvalidArgument(f"ode_taylor: the program has {self.n_outputs} outputs "
                                  f"but {self.n_vars} variables; F must map R^n to R^n")
        order = _check_order(order)
        x0 = self._check_point(x0, "x0")
        backend = backend or backend_for(x0[0])
        c, aux, consts = self._start(x0, backend)
        xs = [list(x0)]
        outputs = self.outputs
        for k in range(order):
            if k:
                self._advance(c, aux, consts, k, xs[k], backend)
            xs.append([c[o][k] / (k + 1) for o in outputs])
        return xs

    def compose(self, x_series: Sequence[Sequence[Any]], *,
                backend: Any = None) -> list[list[Any]]:
        """Coefficients of F(x(t)) given those of x(t): ``out[k][j]`` = F_j(x)_[k].

        ``x_series[k][i]`` is x_[k] of the i-th variable, k = 0..K; K + 1 coefficients of each
        output are returned (truncated power-series composition).

        Guarantee: that of the scalar type (float/mpf approximate, arb an enclosure).
        """
        if not x_series:
            raise InvalidArgument("x_series: expected at least the constant coefficients")
        x0 = self._check_point(x_series[0], "x_series[0]")
        backend = backend or backend_for(x0[0])
        c, aux, consts = self._start(x0, backend)
        for k in range(1, len(x_series)):
            row = x_series[k]
            if len(row) != self.n_vars:
                raise InvalidArgument(f"x_series[{k}]: expected {self.n_vars} values, "
                                      f"got {len(row)}")
            self._advance(c, aux, consts, k, row, backend)
        return [[c[o][k] for o in self.outputs] for k in range(len(x_series))]


class FixedPointLoss(ArithmeticError):
    """A fixed-point series would divide by a value below 2^-FIXED_DIVISOR_BITS: use floats."""


def fixed_of(q: Fraction, frac_bits: int) -> int:
    """round(q 2^frac_bits) (ties away from zero): the fixed-point integer of a rational."""
    num = q.numerator << (frac_bits + 1)
    return (num // q.denominator + 1) >> 1


def _fixed_fn(fn: Any, value: int, frac_bits: int) -> int:
    """fn(value 2^-frac_bits) 2^frac_bits rounded, for an mpmath libmp function fn."""
    wp = frac_bits + value.bit_length() + 20
    return to_fixed(fn(from_man_exp(value, -frac_bits), wp, round_nearest), frac_bits)


def _check_divisor(value: int, frac_bits: int) -> None:
    if abs(value) >> (frac_bits - FIXED_DIVISOR_BITS) == 0:
        raise FixedPointLoss(f"divisor {value} * 2^-{frac_bits} too small for fixed point")


def _mpf_of(q: Fraction, prec: int) -> tuple:
    """q as an mpf tuple rounded to prec bits."""
    shift = prec + q.denominator.bit_length()
    return from_man_exp((q.numerator << shift) // q.denominator, -shift, prec, round_nearest)


def _fusable_products(program: TaylorProgram) -> frozenset[int]:
    """Indices of nodes -(a b) whose product node a b is used by nothing else (not an output)."""
    uses = [0] * len(program.nodes)
    for node in program.nodes:
        op = node[0]
        if op == _ADD:
            for a in node[1]:
                uses[a] += 1
        elif op == _MUL:
            uses[node[1]] += 1
            uses[node[2]] += 1
        elif op in (_SCALE, _RECIP, _SQRT, _POWQ, _EXP, _LOG, _TANH):
            uses[node[1]] += 1
    for o in program.outputs:
        uses[o] += 1
    return frozenset(idx for idx, node in enumerate(program.nodes)
                     if node[0] == _SCALE and node[2] == -1
                     and program.nodes[node[1]][0] == _MUL and uses[node[1]] == 1)


class _FixedPlan:
    """How the fixed-point series computes the products of a program (built once per program).

    ``products[m] = (a, b, target, sign)``: the product node m = a b appends its order-k
    coefficient to ``target`` with ``sign``: to m itself (+1), or to the node -(a b) when that
    is m's only use (``fused``; -1, one kernel for both). ``tanh_squares[t] = (target, sign)``:
    the product tanh_t * tanh_t, which the tanh kernel computes anyway (its 1 - tanh^2 series).
    """

    def __init__(self, program: TaylorProgram) -> None:
        nodes = program.nodes
        self.fused = _fusable_products(program)
        negated = {nodes[f][1]: f for f in self.fused}
        self.tanh_squares: dict[int, tuple[int, int]] = {}
        self.products: dict[int, tuple[int, int, int, int]] = {}
        for idx, node in enumerate(nodes):
            if node[0] != _MUL:
                continue
            target, sign = (negated[idx], -1) if idx in negated else (idx, 1)
            a, b = node[1], node[2]
            if a == b and nodes[a][0] == _TANH and a not in self.tanh_squares:
                self.tanh_squares[a] = (target, sign)
            else:
                self.products[idx] = (a, b, target, sign)


def _square_dot(a: list[Any], k: int) -> Any:
    """sum_(j=0..k) a_j a_(k-j) for len(a) == k + 1: the symmetric terms once, doubled."""
    half = (k + 1) >> 1
    total = sum(map(mul, islice(a, half), reversed(a)))
    total += total
    if not k & 1:
        total += a[half] * a[half]
    return total


class _FixedSeries:
    """The fixed-point series of one program at one (frac_bits, length), built once.

    ``c[idx]`` is the coefficient list of node idx (constants padded with zeros to ``length``;
    the caller extends the variables' lists) and ``aux[t]`` the series 1 - tanh^2 of tanh node
    t. :meth:`start` clears the lists and writes order 0 at a point; then calling ``kernel(k)``
    for every kernel in ``kernels``, in order, appends the order-k coefficient (k >= 1) of the
    nodes, once the variables' order-k coefficients are in place: the recurrences of
    :meth:`TaylorProgram._advance` in integers. Each kernel is a closure over its nodes' lists,
    so the per-coefficient work is one call and one exact integer dot product (``sum(map(mul,
    ...))``), shifted once (floor) back to the unit 2^-frac_bits. Products go by
    :class:`_FixedPlan` (-(a b) in one kernel, tanh^2 from the tanh kernel, a square as half a
    dot): the same integers as one kernel per node. The lists and closures are kept with the
    program (``TaylorProgram._fixed_work``) and reused: building them cost ~5% of a series.
    ``floats`` holds the same for the float tier (:meth:`float_state`).
    """

    def __init__(self, program: TaylorProgram, frac_bits: int, length: int) -> None:
        consts = program._fixed_consts.get(frac_bits)
        if consts is None:
            consts = {idx: fixed_of(node[1], frac_bits)
                      for idx, node in enumerate(program.nodes) if node[0] == _CONST}
            program._fixed_consts[frac_bits] = consts
        plan = program._fixed_plan
        if plan is None:
            plan = program._fixed_plan = _FixedPlan(program)
        self.program, self.plan, self.p = program, plan, frac_bits
        self.floats: tuple | None = None
        p = frac_bits
        c: list[list[int]] = [[] for _ in program.nodes]
        self.c = c
        self.aux: dict[int, list[int]] = {}
        self.resets: list[list[int]] = []  # the lists start() clears
        kernels: list[Any] = []
        self.kernels = kernels
        for idx, node in enumerate(program.nodes):
            op = node[0]
            out = c[idx]
            push = out.append
            if op == _CONST:
                out.append(consts[idx])
                out.extend([0] * (length - 1))
                continue
            self.resets.append(out)
            if op == _VAR or idx in plan.fused:  # -(a b): the product's kernel appends here
                continue
            if op == _ADD:
                args = [c[i] for i in node[1]]
                if len(args) == 2:
                    a, b = args
                    kernels.append(lambda k, a=a, b=b, push=push: push(a[k] + b[k]))
                else:
                    kernels.append(lambda k, args=args, push=push:
                                   push(sum([arg[k] for arg in args])))
            elif op == _SCALE:
                a = c[node[1]]
                num, den = node[2].numerator, node[2].denominator
                if num == -1 and den == 1:
                    kernels.append(lambda k, a=a, push=push: push(-a[k]))
                elif den == 1:
                    kernels.append(lambda k, a=a, num=num, push=push: push(a[k] * num))
                else:
                    kernels.append(lambda k, a=a, num=num, den=den, push=push:
                                   push(a[k] * num // den))
            elif op == _MUL:
                product = plan.products.get(idx)
                if product is not None:
                    a, b, target, sign = c[product[0]], c[product[1]], product[2], product[3]
                    tpush = c[target].append
                    if a is b:
                        kernels.append(lambda k, a=a, tpush=tpush, sign=sign:
                                       tpush(sign * (_square_dot(a, k) >> p)))
                    elif sign > 0:
                        kernels.append(lambda k, a=a, b=b, tpush=tpush:
                                       tpush(sum(map(mul, a, reversed(b))) >> p))
                    else:
                        kernels.append(lambda k, a=a, b=b, tpush=tpush:
                                       tpush(-(sum(map(mul, a, reversed(b))) >> p)))
            elif op == _RECIP:
                # r a = 1  =>  r_k = -(sum_{j=1..k} a_j r_{k-j}) r_0
                kernels.append(lambda k, a=c[node[1]], r=out, push=push:
                               push(-(((sum(map(mul, islice(a, 1, None), reversed(r))) >> p)
                                       * r[0]) >> p)))
            elif op == _SQRT:
                # s^2 = a  =>  s_k = (a_k - sum_{j=1..k-1} s_j s_{k-j}) / (2 s_0)
                def kernel(k: int, a: list[int] = c[node[1]], s: list[int] = out,
                           push: Any = push) -> None:
                    v = (a[k] - (sum(map(mul, s[1:k], s[k - 1 : 0 : -1])) >> p) if k > 1
                         else a[k])
                    push((v << p) // (2 * s[0]))
                kernels.append(kernel)
            elif op == _POWQ:
                # p = a^q  =>  p_k = sum_{j=1..k} ((q+1) j - k) a_j p_{k-j} / (k a_0)
                def kernel(k: int, a: list[int] = c[node[1]], pw: list[int] = out,
                           push: Any = push, num: int = node[2].numerator,
                           den: int = node[2].denominator) -> None:
                    ws = [((num + den) * j - k * den) * a[j] for j in range(1, k + 1)]
                    v = (sum(map(mul, ws, pw[k - 1 :: -1])) >> p) // (k * den)
                    push((v << p) // a[0])
                kernels.append(kernel)
            elif op == _EXP:
                # e' = a' e  =>  e_k = (1/k) sum_{j=1..k} j a_j e_{k-j}
                ws: list[int] = []  # [j a_j for j = 1..k]
                self.resets.append(ws)

                def kernel(k: int, a: list[int] = c[node[1]], e: list[int] = out,
                           push: Any = push, ws: list[int] = ws) -> None:
                    ws.append(k * a[k])
                    push((sum(map(mul, ws, reversed(e))) >> p) // k)
                kernels.append(kernel)
            elif op == _LOG:
                # a l' = a'  =>  l_k = (a_k - (1/k) sum_{j=1..k-1} j l_j a_{k-j}) / a_0
                def kernel(k: int, a: list[int] = c[node[1]], ell: list[int] = out,
                           push: Any = push) -> None:
                    if k > 1:
                        ws = [j * ell[j] for j in range(1, k)]
                        v = a[k] - (sum(map(mul, ws, a[k - 1 : 0 : -1])) >> p) // k
                    else:
                        v = a[1]
                    push((v << p) // a[0])
                kernels.append(kernel)
            else:  # _TANH: th' = (1 - th^2) a', with the series s = 1 - th^2 alongside
                s: list[int] = []
                ws = []
                self.aux[idx] = s
                self.resets += [s, ws]
                square = plan.tanh_squares.get(idx)  # th^2 is also a product node of the program
                sq_push, sq_sign = (c[square[0]].append, square[1]) if square else (None, 1)

                def kernel(k: int, a: list[int] = c[node[1]], th: list[int] = out,
                           push: Any = push, s: list[int] = s, sq_push: Any = sq_push,
                           sq_sign: int = sq_sign, ws: list[int] = ws) -> None:
                    ws.append(k * a[k])  # ws = [j a_j for j = 1..k]
                    push((sum(map(mul, ws, reversed(s))) >> p) // k)
                    square = _square_dot(th, k) >> p
                    s.append(-square)
                    if sq_push is not None:
                        sq_push(sq_sign * square)
                kernels.append(kernel)

    def start(self, x0: Sequence[int]) -> None:
        """Clear the lists and append every node's order-0 coefficient at x0 (in units)."""
        for lst in self.resets:
            lst.clear()
        c, p, fused = self.c, self.p, self.plan.fused
        for idx, node in enumerate(self.program.nodes):
            op = node[0]
            if op == _CONST:
                continue
            if idx in fused:
                c[idx].append(-c[node[1]][0])
                continue
            if op == _VAR:
                v = x0[node[1]]
            elif op == _ADD:
                v = sum(c[i][0] for i in node[1])
            elif op == _SCALE:
                v = c[node[1]][0] * node[2].numerator // node[2].denominator
            elif op == _MUL:
                v = (c[node[1]][0] * c[node[2]][0]) >> p
            else:
                a0 = c[node[1]][0]
                if op == _RECIP:
                    _check_divisor(a0, p)
                    v = (1 << (2 * p)) // a0
                elif op == _SQRT:
                    v = _fixed_fn(mpf_sqrt, a0, p)
                    _check_divisor(v, p)
                elif op == _POWQ:
                    _check_divisor(a0, p)
                    v = to_fixed(mpf_pow(from_man_exp(a0, -p), _mpf_of(node[2], p + 20),
                                         p + a0.bit_length() + 20, round_nearest), p)
                elif op == _EXP:
                    v = _fixed_fn(mpf_exp, a0, p)
                elif op == _LOG:
                    _check_divisor(a0, p)
                    v = _fixed_fn(mpf_log, a0, p)
                else:  # _TANH
                    v = _fixed_fn(mpf_tanh, a0, p)
                    self.aux[idx].append((1 << p) - ((v * v) >> p))
            c[idx].append(v)

    def float_state(self) -> tuple[list[list[float]], dict[int, list[float]], list[Any], list]:
        """(f, faux, kernels, ws_pairs) of the float tier, built on first use: value-scale
        lists per node, the tanh aux series, the float kernels over them, and the (ws, a) lists
        of the exp/tanh kernels (ws = [j a_j for j < k0] to fill at the switch)."""
        if self.floats is None:
            f: list[list[float]] = [[] for _ in self.program.nodes]
            faux: dict[int, list[float]] = {idx: [] for idx in self.aux}
            ws_pairs: list[tuple[list[float], list[float]]] = []
            self.floats = (f, faux, _float_kernels(self.program, f, faux, ws_pairs), ws_pairs)
        return self.floats


def _float_kernels(program: TaylorProgram, f: list[list[float]], faux: dict[int, list[float]],
                   ws_pairs: list[tuple[list[float], list[float]]]) -> list[Any]:
    """The kernels of :class:`_FixedSeries` in IEEE doubles on the value-scale lists ``f``
    (``faux`` the tanh aux series; the float tier of ode_taylor_fixed). The exp and tanh
    kernels' lists [j a_j for j < k] are appended to ``ws_pairs`` as (ws, a), to fill when the
    tier starts."""
    plan = program._fixed_plan
    kernels: list[Any] = []
    for idx, node in enumerate(program.nodes):
        op = node[0]
        if op in (_VAR, _CONST) or idx in plan.fused:
            continue
        out = f[idx]
        push = out.append
        if op == _ADD:
            args = [f[i] for i in node[1]]
            if len(args) == 2:
                a, b = args
                kernels.append(lambda k, a=a, b=b, push=push: push(a[k] + b[k]))
            else:
                kernels.append(lambda k, args=args, push=push:
                               push(sum([arg[k] for arg in args])))
        elif op == _SCALE:
            a, q = f[node[1]], float(node[2])
            kernels.append(lambda k, a=a, q=q, push=push: push(a[k] * q))
        elif op == _MUL:
            product = plan.products.get(idx)
            if product is not None:
                a, b, target, sign = f[product[0]], f[product[1]], product[2], product[3]
                tpush = f[target].append
                if a is b:
                    kernels.append(lambda k, a=a, tpush=tpush, sign=sign:
                                   tpush(sign * _square_dot(a, k)))
                else:
                    kernels.append(lambda k, a=a, b=b, tpush=tpush, sign=sign:
                                   tpush(sign * sum(map(mul, a, reversed(b)))))
        elif op == _RECIP:
            kernels.append(lambda k, a=f[node[1]], r=out, push=push:
                           push(-sum(map(mul, islice(a, 1, None), reversed(r))) * r[0]))
        elif op == _SQRT:
            def kernel(k: int, a: list[float] = f[node[1]], s: list[float] = out,
                       push: Any = push) -> None:
                v = a[k] - sum(map(mul, s[1:k], s[k - 1 : 0 : -1])) if k > 1 else a[k]
                push(v / (2 * s[0]))
            kernels.append(kernel)
        elif op == _POWQ:
            def kernel(k: int, a: list[float] = f[node[1]], pw: list[float] = out,
                       push: Any = push, num: int = node[2].numerator,
                       den: int = node[2].denominator) -> None:
                ws = [((num + den) * j - k * den) * a[j] for j in range(1, k + 1)]
                push(sum(map(mul, ws, pw[k - 1 :: -1])) / (k * den) / a[0])
            kernels.append(kernel)
        elif op == _EXP:
            a = f[node[1]]
            ws: list[float] = []  # j a_j for j < k0 (filled at the switch), then one per order
            ws_pairs.append((ws, a))

            def kernel(k: int, a: list[float] = a, e: list[float] = out, push: Any = push,
                       ws: list[float] = ws) -> None:
                ws.append(k * a[k])
                push(sum(map(mul, ws, reversed(e))) / k)
            kernels.append(kernel)
        elif op == _LOG:
            def kernel(k: int, a: list[float] = f[node[1]], ell: list[float] = out,
                       push: Any = push) -> None:
                ws = [j * ell[j] for j in range(1, k)]
                push((a[k] - sum(map(mul, ws, a[k - 1 : 0 : -1])) / k) / a[0])
            kernels.append(kernel)
        else:  # _TANH
            a = f[node[1]]
            ws = []
            ws_pairs.append((ws, a))
            square = plan.tanh_squares.get(idx)
            sq_push, sq_sign = (f[square[0]].append, square[1]) if square else (None, 1)

            def kernel(k: int, a: list[float] = a, th: list[float] = out, push: Any = push,
                       s: list[float] = faux[idx], sq_push: Any = sq_push,
                       sq_sign: int = sq_sign, ws: list[float] = ws) -> None:
                ws.append(k * a[k])
                push(sum(map(mul, ws, reversed(s))) / k)
                square = _square_dot(th, k)
                s.append(-square)
                if sq_push is not None:
                    sq_push(sq_sign * square)
            kernels.append(kernel)
    return kernels


def ode_taylor_fixed(program: TaylorProgram, x0: Sequence[int], order: int, frac_bits: int,
                     h: int) -> tuple[list[list[int]], list[list[int]]]:
    """Scaled Taylor coefficients Y_k = x_[k] h^k 2^frac_bits in integers (h = h 2^-frac_bits).

    The series of y(s) = x(t0 + h s), y' = h F(y), y(0) = x0 2^-frac_bits, in fixed point:
    every value is an integer times one unit 2^-frac_bits; products are exact integer dot
    products rounded once (floor) back to that unit. With h near the step all coefficients
    have the size of the state down to the truncation target, so one shared exponent suits
    them all. Recurrence: Y_(k+1) = h F(y)_[k] / (k + 1), F = the first n_vars outputs.

    Float tier: from the first order k at which every node's coefficient is below
    2^FLOAT_TIER_BITS units, the recurrences run in IEEE doubles (value scale, x 2^-frac_bits):
    a double's rounding, 2^-53 of a term, is then a few thousand units (below 2^-17 of the
    integrator's eps), and a double multiply-add costs about a third of an integer one.
    Those coefficients are returned as integers again (within a few thousand units).

    Returns ``(ys, zs)``: ``ys[i][k]`` is Y_k of variable i and ``zs[g][k]`` the order-k
    coefficient of output n_vars + g along y(s) (extra outputs, e.g. the kinks), k = 0..order.

    Raises :class:`FixedPointLoss` when a divisor falls below 2^-FIXED_DIVISOR_BITS.

    Guarantee: approximate (each integer operation within a unit of 2^-frac_bits, each float
    one within 2^-53 of a term below 2^FLOAT_TIER_BITS units; no bound).
    """
    n = program.n_vars
    if program.n_outputs < n:
        raise InvalidArgument(f"ode_taylor_fixed: the program has {program.n_outputs} "
                              f"outputs, fewer than its {n} variables")
    key = (frac_bits, order + 1)
    # taken out while in use (a concurrent call builds its own), put back after
    work = program._fixed_work.pop(key, None) or _FixedSeries(program, frac_bits, order + 1)
    try:
        work.start(x0)
        c = work.c
        ys = c[:n]  # the variables' coefficient lists: node i is variable i
        pairs = [(y.append, c[o]) for y, o in zip(ys, program.outputs[:n], strict=True)]
        extra_idx = program.outputs[n:]
        p = frac_bits
        nodes = [lst for node, lst in zip(program.nodes, c, strict=True) if node[0] != _CONST]
        tier = FLOAT_TIER_BITS if p <= FLOAT_TIER_MAX_FRAC else -1
        y0 = ys[0]
        kernels = work.kernels
        for k in range(order):
            if k:
                if y0[k].bit_length() <= tier and all(
                        y[k].bit_length() <= tier for y in ys) and all(
                        lst[k - 1].bit_length() <= tier for lst in nodes if len(lst) >= k):
                    try:
                        _float_tier(work, k, order, h)
                        break
                    except (OverflowError, ValueError, ZeroDivisionError):
                        tier = -1  # beyond the doubles' range (c is unchanged): integers
                for kernel in kernels:
                    kernel(k)
            for push, f in pairs:
                push(((f[k] * h) >> p) // (k + 1))
        else:
            if extra_idx and order:
                for kernel in kernels:
                    kernel(order)
        return [y[:] for y in ys], [c[o][: order + 1] for o in extra_idx]
    finally:
        if len(program._fixed_work) >= MAX_FIXED_WORKSPACES:
            program._fixed_work.clear()
        program._fixed_work[key] = work


def _float_tier(work: _FixedSeries, k0: int, order: int, h: int) -> None:
    """Orders k0.. of ode_taylor_fixed in doubles; the variables' and extra outputs' lists in
    ``work.c`` are extended with the results as integers."""
    program, c, p = work.program, work.c, work.p
    f, faux, kernels, ws_pairs = work.float_state()
    scale, unscale = ldexp(1.0, -p), ldexp(1.0, p)
    # value scale (float(v) rounds correctly); a constant's zeros and the order-0-only product
    # lists of the fused -(a b) nodes need no conversion
    for node, lst, fl in zip(program.nodes, c, f, strict=True):
        if node[0] == _CONST:
            fl[:] = [lst[0] * scale] + [0.0] * (len(lst) - 1)
        elif len(lst) >= k0:
            fl[:] = [v * scale for v in lst]
        else:
            fl.clear()
    for idx, s in work.aux.items():
        faux[idx][:] = [v * scale for v in s]
    for ws, a in ws_pairs:
        ws[:] = [j * a[j] for j in range(1, k0)]
    n = program.n_vars
    hf = h * scale
    pairs = [(f[i].append, f[o]) for i, o in enumerate(program.outputs[:n])]
    extra = program.outputs[n:]
    returned = dict.fromkeys((*range(n), *extra))
    y0 = f[0]
    for k in range(k0, order):
        for kernel in kernels:
            kernel(k)
        for push, fo in pairs:
            push(fo[k] * hf / (k + 1))
        if -scale < y0[k + 1] < scale and -scale < y0[k] < scale and all(
                -scale < f[i][j] < scale for i in range(n) for j in (k, k + 1)):
            # two orders of every variable below one unit (a step far inside the radius of
            # convergence, e.g. a short last step): the rest of the series is zeros
            for idx in returned:
                f[idx].extend([0.0] * (order + 1 - len(f[idx])))
            break
    else:
        if extra and order:
            for kernel in kernels:
                kernel(order)
    tails = [[int(v * unscale) for v in f[idx][len(c[idx]) : order + 1]] for idx in returned]
    for idx, tail in zip(returned, tails, strict=True):  # after all conversions (int(inf) raises)
        c[idx].extend(tail)


def _as_sympy(expr: Any, k: int) -> sympy.Basic:
    import sympy  # only compiling needs sympy (see the TYPE_CHECKING import)

    if isinstance(expr, sympy.Basic):
        return expr
    if isinstance(expr, int | Fraction) and not isinstance(expr, bool):
        return sympy.Rational(expr.numerator, expr.denominator)
    raise InvalidArgument(f"exprs[{k}]: expected a sympy expression or an exact rational, "
                          f"got {type(expr).__name__} {expr!r}")


def _check_order(order: Any) -> int:
    if isinstance(order, bool) or not isinstance(order, int) or order < 0:
        raise InvalidArgument(f"order: expected a non-negative integer, got {order!r}")
    return order
