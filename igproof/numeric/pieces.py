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
import sys
import weakref
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import Any

from igproof.errors import DataError, InvalidArgument
from igproof.numeric.result import Switch
from igproof.numeric.series import TaylorProgram
from igproof.rationals import parse_rational

__all__ = ["PiecewiseField", "exact_theta0", "piecewise_field"]


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
    # A sympy value exists only if sympy was imported: never import it here (fast start).
    sympy = sys.modules.get("sympy")
    out = []
    for name, v in zip(names, values, strict=True):
        what = f"theta0[{name}]"
        if sympy is not None and isinstance(v, sympy.Rational):
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
        elif sympy is not None and isinstance(v, sympy.Basic):
            raise DataError(f"{what}: expected an exact rational, got the sympy object {v}")
        else:
            out.append(parse_rational(v, what=what))
    return out


class PiecewiseField:
    """The compiled pieces of a gradient flow (smooth flows have one piece, pattern ``()``).

    Built from a GradientFlow (``PiecewiseField(flow)``; :func:`piecewise_field` memoizes one per
    flow), or from the plain data of :meth:`to_data` (:meth:`from_data`, the field cache of
    :mod:`igproof.numeric.cache`): then ``flow`` is None until a pattern that the data lacks is
    needed, when ``derive()`` builds the GradientFlow (and imports sympy) to compile it.

    Attributes
    ----------
    flow
        The igproof.symbolic GradientFlow (None for a field loaded from data, until derived).
    parameters : tuple
        The flow's parameters (sympy Symbols; their names for a field loaded from data).
    names : tuple of str
    label : str
        "kind/activation" of the model (the ``model`` field of ``igproof flow``).
    kinks : tuple of sympy.Expr
        (flow-backed fields only; ``n_kinks`` is their number in both cases).
    groups : tuple of tuple of int
        Indices of equal non-constant kinks (they switch together); constant kinks are omitted.
    kink_program : TaylorProgram or None
        The non-constant kinks, one output per group (in ``groups`` order).
    """

    def __init__(self, flow: Any) -> None:
        self.flow = flow
        self._derive = None
        self.parameters = tuple(flow.parameters)
        self.names = tuple(str(p) for p in self.parameters)
        self.label = _model_label(flow)
        self.kinks = tuple(getattr(flow, "kinks", ()) or ())
        self.n_kinks = len(self.kinks)
        groups: dict[Any, list[int]] = {}
        self.constant_signs: dict[int, int] = {}
        for k, z in enumerate(self.kinks):
            if z.free_symbols:
                groups.setdefault(z, []).append(k)
            else:
                self.constant_signs[k] = 1 if z > 0 else (-1 if z < 0 else 0)
        self.groups = tuple(tuple(v) for v in groups.values())
        self._group_kinks = list(groups)
        self.kink_program = (TaylorProgram.from_exprs(self.parameters, self._group_kinks)
                             if groups else None)
        self._programs: dict[tuple[int, ...], TaylorProgram] = {}
        self._stepping: dict[tuple[int, ...], TaylorProgram] = {}
        self._losses: dict[tuple[int, ...], TaylorProgram] = {}
        self.derived = False  # a program was compiled from sympy (new data for the cache)

    @classmethod
    def from_data(cls, data: Mapping[str, Any], derive: Callable[[], Any]) -> PiecewiseField:
        """The field of :meth:`to_data` (validated by the caller); ``derive()`` -> GradientFlow."""
        self = cls.__new__(cls)
        self.flow = None
        self._derive = derive
        self.names = tuple(data["names"])
        self.parameters = self.names
        self.label = data["label"]
        self.kinks = ()
        self.n_kinks = data["n_kinks"]
        self.constant_signs = dict(data["constant_signs"])
        self.groups = tuple(tuple(g) for g in data["groups"])
        self._group_kinks = []
        self.kink_program = data["kink_program"]
        self._programs = {}
        self._stepping = dict(data["stepping"])
        self._losses = dict(data["losses"])
        self.derived = False
        return self

    def to_data(self) -> dict[str, Any]:
        """The plain data :meth:`from_data` reads (programs as TaylorProgram objects)."""
        return {"names": list(self.names), "label": self.label, "n_kinks": self.n_kinks,
                "constant_signs": dict(self.constant_signs),
                "groups": [list(g) for g in self.groups], "kink_program": self.kink_program,
                "stepping": dict(self._stepping), "losses": dict(self._losses)}

    def _flow(self) -> Any:
        """The GradientFlow (derived on first need for a field loaded from data)."""
        if self.flow is None:
            assert self._derive is not None
            self.flow = self._derive()
            self.parameters = tuple(self.flow.parameters)
            self.kinks = tuple(getattr(self.flow, "kinks", ()) or ())
            groups: dict[Any, list[int]] = {}
            for k, z in enumerate(self.kinks):
                if z.free_symbols:
                    groups.setdefault(z, []).append(k)
            self._group_kinks = list(groups)
            if [tuple(v) for v in groups.values()] != list(self.groups):
                raise InvalidArgument("cached field: the kink groups differ from the flow's")
        return self.flow

    @property
    def piecewise(self) -> bool:
        return bool(self.n_kinks)

    def program(self, pattern: tuple[int, ...]) -> TaylorProgram:
        """The compiled smooth field of one pattern (cached; signs 0 and -1 share a program).

        The same nodes as :meth:`stepping_program`, with only the field's outputs.
        """
        key = tuple(1 if s == 1 else -1 for s in pattern)
        prog = self._programs.get(key)
        if prog is None:
            stepping = self.stepping_program(pattern)
            prog = TaylorProgram(stepping.nodes, stepping.outputs[: stepping.n_vars],
                                 stepping.n_vars)
            self._programs[key] = prog
        return prog

    def loss_program(self, pattern: tuple[int, ...]) -> TaylorProgram:
        """L_S in one pattern (sigma'(0) = 0 convention): one output."""
        key = tuple(1 if s == 1 else -1 for s in pattern)
        prog = self._losses.get(key)
        if prog is None:
            flow = self._flow()
            source = flow.restricted(pattern) if self.n_kinks else flow
            prog = TaylorProgram.from_exprs(self.parameters, [source.loss])
            self._losses[key] = prog
            self.derived = True
        return prog

    def stepping_program(self, pattern: tuple[int, ...]) -> TaylorProgram:
        """F of one pattern followed by the kink groups: outputs F_1..F_n, z_g1, z_g2, ...

        One program (shared nodes) gives the series of theta and of the kinks in one pass.
        """
        key = tuple(1 if s == 1 else -1 for s in pattern)
        prog = self._stepping.get(key)
        if prog is None:
            flow = self._flow()
            field = flow.restricted(pattern).field if self.n_kinks else flow.field
            prog = TaylorProgram.from_exprs(self.parameters, list(field) + self._group_kinks)
            self._stepping[key] = prog
            self.derived = True
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

    def _exact_pattern(self, theta0: Sequence[Fraction]) -> list[int]:
        """sign z_k(theta0) for every kink, exactly (theta0 rational)."""
        if self.flow is not None:
            return list(self.flow.pattern(list(theta0)))
        signs = [0] * self.n_kinks
        for k, s in self.constant_signs.items():
            signs[k] = s
        if self.kink_program is not None:
            try:
                values = self.kink_program.evaluate(list(theta0), backend=_FractionBackend())
            except InvalidArgument:
                return list(self._flow().pattern(list(theta0)))
            for g, ks in enumerate(self.groups):
                sign = 1 if values[g] > 0 else (-1 if values[g] < 0 else 0)
                for k in ks:
                    signs[k] = sign
        return signs

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
        if not self.n_kinks:
            return ()
        signs = self._exact_pattern(theta0)
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


def _model_label(flow: Any) -> str:
    model = getattr(flow, "model", None)
    kind = getattr(model, "kind", None) or "flow"
    name = getattr(getattr(model, "activation", None), "name", None)
    return f"{kind}/{name}" if name else str(kind)


class _FractionBackend:
    """Exact rational arithmetic for rational programs (kinks); other functions refuse."""

    name = "fraction"

    @staticmethod
    def const(q: Fraction) -> Fraction:
        return q

    def _refuse(self, *args: Any) -> Any:
        raise InvalidArgument("the kinks are not rational functions of theta")

    exp = log = tanh = sqrt = power = _refuse


# One PiecewiseField per GradientFlow object (compiled programs reused across integrations).
_FIELDS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def piecewise_field(flow: Any) -> PiecewiseField:
    """The PiecewiseField of ``flow`` (itself if it is one; memoized per flow object)."""
    if isinstance(flow, PiecewiseField):
        return flow
    try:
        field = _FIELDS.get(flow)
    except TypeError:  # not weak-referenceable / hashable: compile afresh
        return PiecewiseField(flow)
    if field is None:
        field = PiecewiseField(flow)
        _FIELDS[flow] = field
    return field


def euclidean_norm(values: Sequence[Any]) -> Any:
    """sqrt(sum v_i^2) in the arithmetic of the values (float via math.hypot)."""
    if values and isinstance(values[0], float):
        return math.hypot(*values)
    total = values[0] * values[0]
    for v in values[1:]:
        total = total + v * v
    return total.sqrt() if hasattr(total, "sqrt") else type(total).context.sqrt(total)
