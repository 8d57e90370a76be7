"""A gradient flow as a piecewise-smooth system: compiled fields per activation pattern.

For a ReLU flow the field is smooth on each region where every kink z_k(theta) keeps its sign;
``flow.restricted(pattern)`` (igproof.symbolic) gives that smooth field. :class:`PiecewiseField`
compiles each piece once (as a :class:`~igproof.numeric.series.TaylorProgram`), the kinks, and
decides the starting pattern, shared by the float and the high-precision integrators.

Pattern convention (sigma'(0) = 0): sign 1 = active, sign -1 or 0 = inactive. A kink that is
exactly 0 at theta0 (decided exactly, from the rational theta0) is inactive at that point; the
side it leaves to is decided by the field: with the kink inactive, if dz_k/dt > 0 it becomes
active (sign 1), if dz_k/dt < 0 it becomes inactive (-1), and if dz_k/dt = 0 (within the
working precision) it stays at sign 0 (inactive) until the field moves it.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import sympy

from igproof.errors import DataError, InvalidArgument
from igproof.numeric.result import Switch
from igproof.numeric.series import TaylorProgram
from igproof.rationals import parse_rational

__all__ = ["PiecewiseField", "exact_theta0"]


def exact_theta0(flow: Any, theta0: Any) -> list[Fraction]:
    """theta0 as exact rationals, checked against the flow's parameters.

    Accepts ints, Fractions, sympy Rationals, finite floats (read by their shortest decimal
    repr, as :func:`igproof.rationals.parse_rational` does), decimal or ``"p/q"`` text, and mpmath
    mpf (its exact binary value). Raises InvalidArgument for a wrong count, DataError for a
    non-finite or unreadable value.
    """
    names = [str(p) for p in flow.parameters]
    if isinstance(theta0, str | bytes) or not hasattr(theta0, "__len__"):
        raise InvalidArgument(f"theta0: expected {len(names)} numbers ({', '.join(names)}), "
                              f"got {theta0!r}")
    values = list(theta0)
    if len(values) != len(names):
        raise InvalidArgument(f"theta0: expected {len(names)} values ({', '.join(names)}), "
                              f"got {len(values)}")
    out = []
    for name, v in zip(names, values, strict=True):
        what = f"theta0[{name}]"
        if isinstance(v, sympy.Rational):
            out.append(Fraction(int(v.p), int(v.q)))
        elif hasattr(v, "man") and hasattr(v, "exp") and hasattr(v, "context"):
            # An mpmath mpf is (-1)^sign * man * 2^exp exactly (its _mpf_ tuple; mpf's own
            # as_integer_ratio exists only from mpmath 1.4).
            if not v.context.isfinite(v):
                raise DataError(f"{what}: {v} is not a finite number")
            sign, man, exp, _ = v._mpf_
            out.append((-1) ** sign * Fraction(int(man)) * Fraction(2) ** int(exp))
        elif isinstance(v, numbers.Integral) and not isinstance(v, bool | int):
            out.append(Fraction(int(v)))  # numpy integers
        elif isinstance(v, sympy.Basic):
            raise DataError(f"{what}: expected an exact rational, got the sympy object {v}")
        else:
            out.append(parse_rational(v, what=what))
    return out


class PiecewiseField:
    """The compiled pieces of a gradient flow (smooth flows have one piece, pattern ``()``).

    Attributes
    ----------
    flow
        The igproof.symbolic GradientFlow.
    kinks : tuple of sympy.Expr
    groups : tuple of tuple of int
        Indices of equal non-constant kinks (they switch together); constant kinks are omitted.
    kink_program : TaylorProgram or None
        The non-constant kinks, one output per group (in ``groups`` order).
    """

    def __init__(self, flow: Any) -> None:
        self.flow = flow
        self.parameters = tuple(flow.parameters)
        self.names = tuple(str(p) for p in self.parameters)
        self.kinks = tuple(getattr(flow, "kinks", ()) or ())
        groups: dict[sympy.Expr, list[int]] = {}
        for k, z in enumerate(self.kinks):
            if z.free_symbols:
                groups.setdefault(z, []).append(k)
        self.groups = tuple(tuple(v) for v in groups.values())
        self.kink_program = (TaylorProgram.from_exprs(self.parameters, list(groups))
                             if groups else None)
        self._programs: dict[tuple[int, ...], TaylorProgram] = {}

    @property
    def piecewise(self) -> bool:
        return bool(self.kinks)

    def program(self, pattern: tuple[int, ...]) -> TaylorProgram:
        """The compiled smooth field of one pattern (cached; signs 0 and -1 share a program)."""
        key = tuple(1 if s == 1 else -1 for s in pattern)
        prog = self._programs.get(key)
        if prog is None:
            field = self.flow.restricted(pattern).field if self.kinks else self.flow.field
            prog = TaylorProgram.from_exprs(self.parameters, list(field))
            self._programs[key] = prog
        return prog

    def flip(self, pattern: tuple[int, ...], group: int) -> tuple[int, ...]:
        """The pattern with every kink of ``group`` switched (active <-> inactive)."""
        new = list(pattern)
        old = pattern[self.groups[group][0]]
        for k in self.groups[group]:
            new[k] = -1 if old == 1 else 1
        return tuple(new)

    def group_sign(self, pattern: tuple[int, ...], group: int) -> int:
        return pattern[self.groups[group][0]]

    def kink_rates(self, theta: Sequence[Any], pattern: tuple[int, ...]) -> list[Any]:
        """dz_g/dt = grad z_g . F(theta) for each kink group, with the field of ``pattern``."""
        if self.kink_program is None:
            return []
        velocity = self.program(pattern).evaluate(theta)
        series = self.kink_program.compose([list(theta), velocity])
        return series[1]

    def switch(self, theta: Sequence[Any], pattern: tuple[int, ...], group: int, noise: Any,
               backend: Any = None) -> tuple[tuple[int, ...] | None, list[tuple], str]:
        """The pattern after kink ``group`` reached 0 at ``theta``.

        Every other kink group that is at the same point on the wrong side of its sign (by more
        than ``noise``), or within ``noise`` of 0 and pushed to the wrong side by the new field,
        switches too (simultaneous crossings, e.g. under symmetry). Returns
        ``(new_pattern, flips, message)``: ``flips`` lists ``(group, before, after, z_value)``;
        ``new_pattern`` is None when the field on the new side pushes a switched kink straight
        back (sliding), and ``message`` then says which.
        """
        assert self.kink_program is not None
        values = self.kink_program.evaluate(theta, backend=backend)
        new = self.flip(pattern, group)
        flipped = [group]
        for _ in range(len(self.groups)):
            rates = self.kink_rates(theta, new)
            extra = []
            for g in range(len(self.groups)):
                if g in flipped:
                    continue
                side = 1 if self.group_sign(new, g) == 1 else -1
                z = values[g]
                if side * z < -noise or (abs(z) <= noise and side * rates[g] < -noise):
                    extra.append(g)
            if not extra:
                break
            for g in extra:
                new = self.flip(new, g)
                flipped.append(g)
        rates = self.kink_rates(theta, new)
        for g in flipped:
            now_active = self.group_sign(new, g) == 1
            if (rates[g] < -noise) if now_active else (rates[g] > noise):
                return None, [], (f"sliding motion: kink {self.groups[g][0]} reached 0 and "
                                  f"the field on its new side has dz/dt={float(rates[g]):.3g} "
                                  "back into the kink")
        flips = [(g, self.group_sign(pattern, g), self.group_sign(new, g), values[g])
                 for g in flipped]
        return new, flips, ""

    def switch_records(self, t: Any, theta: Sequence[Any], flips: list[tuple]) -> list[Switch]:
        """The :class:`Switch` records of the ``flips`` returned by :meth:`switch`."""
        return [Switch(t=t, kink=self.groups[g][0], kinks=self.groups[g], before=before,
                       after=after, value=value, theta=tuple(theta))
                for g, before, after, value in flips]

    def initial_pattern(self, theta0: Sequence[Fraction], to_scalar: Any,
                        noise: float) -> tuple[int, ...]:
        """The pattern to start in (see the module docstring for kinks exactly at 0).

        ``to_scalar`` converts a Fraction to the working scalar type; ``noise`` is the size
        below which a rate counts as 0.
        """
        if not self.kinks:
            return ()
        signs = list(self.flow.pattern(list(theta0)))  # exact on rationals
        zero_groups = [g for g, ks in enumerate(self.groups) if signs[ks[0]] == 0]
        if not zero_groups:
            return tuple(signs)
        theta = [to_scalar(v) for v in theta0]
        rates = self.kink_rates(theta, tuple(signs))
        for g in zero_groups:
            rate = rates[g]
            new = 1 if rate > noise else (-1 if rate < -noise else 0)
            for k in self.groups[g]:
                signs[k] = new
        return tuple(signs)


def euclidean_norm(values: Sequence[Any]) -> Any:
    """sqrt(sum v_i^2) in the arithmetic of the values (float via math.hypot)."""
    if values and isinstance(values[0], float):
        return math.hypot(*values)
    total = values[0] * values[0]
    for v in values[1:]:
        total = total + v * v
    return total.sqrt() if hasattr(total, "sqrt") else type(total).context.sqrt(total)
