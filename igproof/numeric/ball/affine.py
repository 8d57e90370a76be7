"""Validated flow of an affine piece theta' = -H theta + b, with switching times for ReLU kinks.

Inside a fixed activation pattern of a single ReLU neuron the field is affine. With the augmented
state u = (theta, 1) and M = [[-H, b], [0, 0]], u(t) = exp(t M) u(0) exactly, so an enclosure at
any time is one ball matrix exponential times the starting box (no accumulated wrapping). Over a
time interval [t, t + dt] the enclosure is exp(t M) exp([0, dt] M) u(0).

Kinks z_k(theta) = x_k . theta are linear. On each time interval every kink must have a certain
sign equal to the pattern. A kink that becomes undecided is handled only when it is a certified
transversal crossing on [ta, tb]:
  * dz_k/dt has a certain sign on the enclosure over [ta, tb] (so z_k is strictly monotone for
    every initial point), opposite to the current sign;
  * z_k(ta) has the current sign and z_k(tb) the opposite one (certainly);
then every trajectory has exactly one root in [ta, tb], refined by interval Newton
N(T) = m - z(m) / z'(T), intersected with T. In the new pattern dz_k/dt must have the same
certain sign at the switching state (the trajectory leaves the kink; no sliding), which also
certifies the sign of z_k just after the switch.

Guarantee: enclosure, or :class:`igproof.errors.EnclosureFailure` with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import sympy
from flint import arb, arb_mat

from igproof.errors import EnclosureFailure, InvalidArgument
from igproof.numeric.ball.arith import certain_sign, time_interval, to_arb

# Largest number of time intervals per piece (a guard against a kink that is approached
# tangentially, where the intervals would shrink forever).
MAX_INTERVALS = 4000
# Smallest time interval tried before an undecided kink is declared a failure.
MIN_DT = Fraction(1, 2 ** 40)
# Longest time interval: intervals double while every kink stays decided (the far tail of the
# flow needs few of them); 4 keeps the ball exponential over [0, dt] from blowing up.
MAX_DT = Fraction(4)
# Interval Newton iterations for a switching time (each at least halves the width or stops).
MAX_NEWTON = 200


@dataclass(frozen=True)
class AffinePiece:
    """theta' = -H theta + b on the pattern; ``M`` is the augmented (d+1)x(d+1) matrix."""

    M: tuple[tuple[Fraction, ...], ...]
    kinks: tuple[tuple[Fraction, ...], ...]
    pattern: tuple[int, ...]

    @classmethod
    def from_field(cls, parameters: Sequence[sympy.Symbol], field: Sequence[sympy.Expr],
                   kinks: Sequence[sympy.Expr], pattern: Sequence[int]) -> AffinePiece:
        params = list(parameters)
        d = len(params)
        rows = []
        for f in field:
            f = sympy.expand(f)
            poly = sympy.Poly(f, *params)
            if poly.total_degree() > 1:
                raise InvalidArgument(f"field: {f} is not affine in the parameters")
            row = [_frac(poly.coeff_monomial(p)) for p in params]
            row.append(_frac(poly.coeff_monomial(1)))
            rows.append(tuple(row))
        rows.append(tuple([Fraction(0)] * (d + 1)))
        krows = []
        for z in kinks:
            poly = sympy.Poly(sympy.expand(z), *params)
            if poly.total_degree() > 1 or poly.coeff_monomial(1) != 0:
                raise InvalidArgument(f"kinks: {z} is not linear in the parameters")
            krows.append(tuple(_frac(poly.coeff_monomial(p)) for p in params))
        return cls(tuple(rows), tuple(krows), tuple(pattern))

    def matrix(self) -> arb_mat:
        return arb_mat([[to_arb(q) for q in row] for row in self.M])


def is_affine(parameters: Sequence[sympy.Symbol], field: Sequence[sympy.Expr]) -> bool:
    """True when every component of the field is a polynomial of degree <= 1."""
    for f in field:
        f = sympy.expand(f)
        if not f.is_polynomial(*parameters):
            return False
        if sympy.Poly(f, *parameters).total_degree() > 1:
            return False
    return True


def _frac(c: sympy.Expr) -> Fraction:
    c = sympy.nsimplify(c) if not c.is_Rational else c
    if not c.is_Rational:
        raise InvalidArgument(f"field coefficient {c} is not rational")
    return Fraction(int(c.p), int(c.q))


@dataclass
class Switch:
    """A certified switching event: kink ``kink`` crosses zero at a time in ``t``."""

    kink: int
    t: arb                # enclosure of the (local) switching time, for every initial point
    state: list[arb]      # enclosure of theta at the switch
    new_pattern: tuple[int, ...]
    bracket: tuple[Fraction, Fraction]


@dataclass
class PieceRun:
    """Outcome of :func:`propagate_piece`: either a switch or the state at the stop time."""

    switch: Switch | None
    t_end: Fraction | None
    state: list[arb]
    intervals: list[tuple[Fraction, Fraction]]


def _apply(Phi: arb_mat, u: Sequence[arb]) -> list[arb]:
    d1 = Phi.nrows()
    out = []
    for i in range(d1 - 1):
        s = arb(0)
        for j in range(d1):
            s = s + Phi[i, j] * u[j]
        out.append(s)
    return out


def _dot(row: Sequence[Fraction], x: Sequence[arb]) -> arb:
    s = arb(0)
    for q, v in zip(row, x, strict=True):
        if q:
            s = s + to_arb(q) * v
    return s


def _field(piece: AffinePiece, x: Sequence[arb]) -> list[arb]:
    d = len(x)
    return [_dot(piece.M[i][:d], x) + to_arb(piece.M[i][d]) for i in range(d)]


def propagate_piece(piece: AffinePiece, start: Sequence[arb], *,
                    stop: Callable[[list[arb], Fraction], bool], dt0: Fraction,
                    just_switched: int | None = None) -> PieceRun:
    """Follow the piece from ``start`` (local time 0) until ``stop(state, t)`` or a switch."""
    M = piece.matrix()
    u0 = [*start, arb(1)]
    t = Fraction(0)
    dt = dt0
    intervals: list[tuple[Fraction, Fraction]] = []
    leaving = just_switched
    for _ in range(MAX_INTERVALS):
        Phi_t = (M * to_arb(t)).exp()
        state = _apply(Phi_t, u0)
        if stop(state, t):
            return PieceRun(None, t, state, intervals)
        while True:
            W = _apply(Phi_t * (M * time_interval(to_arb(dt))).exp(), u0)
            undecided = []
            for k, (row, s) in enumerate(zip(piece.kinks, piece.pattern, strict=True)):
                z = certain_sign(_dot(row, W))
                want = 1 if s > 0 else -1
                if z == want:
                    if k == leaving:
                        leaving = None
                    continue
                if k == leaving and certain_sign(_dot(row, _field(piece, W))) == want:
                    # every trajectory starts on z_k = 0 and moves strictly to the right side
                    continue
                undecided.append(k)
            if not undecided:
                break
            # a certified transversal crossing of a single kink on [t, t + dt]?
            if len(undecided) == 1:
                k = undecided[0]
                sw = None
                for tb in _bracket_ends(piece, M, u0, k, t, dt, Phi_t):
                    Wb = W if tb == t + dt else _apply(
                        Phi_t * (M * time_interval(to_arb(tb - t))).exp(), u0)
                    sw = _try_switch(piece, M, u0, k, t, tb, Wb)
                    if sw is not None:
                        break
                if sw is not None:
                    # the bracket [t, tb] is recorded in sw.bracket, not in intervals
                    return PieceRun(sw, None, sw.state, intervals)
            if dt <= MIN_DT:
                raise EnclosureFailure(
                    f"kink {[k + 1 for k in undecided]} undecided on [t, t+dt] with "
                    f"dt={float(dt):.3g} and not a certified transversal crossing (tangency, "
                    "a trajectory on the kink, or a crossing of several kinks at once)",
                    t=float(t), step=len(intervals), enclosure=W)
            dt /= 2
        intervals.append((t, t + dt))
        t += dt
        dt = min(dt * 2, MAX_DT)
    raise EnclosureFailure(f"more than MAX_INTERVALS={MAX_INTERVALS} time intervals in one "
                           "piece", t=float(t), step=MAX_INTERVALS, enclosure=None)


def _bracket_ends(piece: AffinePiece, M: arb_mat, u0: list[arb], k: int, t: Fraction,
                  dt: Fraction, Phi_t: arb_mat) -> list[Fraction]:
    """Candidate right ends tb of a bracket [t, tb] of the root of z_k (heuristic; each
    candidate is then certified or rejected by :func:`_try_switch`)."""
    out = [t + dt]
    state = _apply(Phi_t, u0)
    z = float(_dot(piece.kinks[k], state).mid())
    dz = float(_dot(piece.kinks[k], _field(piece, state)).mid())
    if dz != 0 and z / dz < 0:
        guess = -z / dz
        for factor in (Fraction(5, 4), Fraction(2), Fraction(4)):
            tb = Fraction(guess * float(factor)).limit_denominator(2 ** 40)
            tb = t + Fraction(int(tb * 2 ** 40) + 1, 2 ** 40)
            if tb > t:
                out.append(tb)
    return out


def _over(M: arb_mat, u0: list[arb], T: arb) -> list[arb]:
    """Enclosure of theta(t) for all t in the ball T: exp(lo M) exp([0, hi - lo] M) u0."""
    lo = arb(T.lower())
    width = arb(T.upper()) - lo
    return _apply((M * lo).exp() * (M * time_interval(width)).exp(), u0)


def _try_switch(piece: AffinePiece, M: arb_mat, u0: list[arb], k: int, ta: Fraction,
                tb: Fraction, W: list[arb]) -> Switch | None:
    row = piece.kinks[k]
    s = 1 if piece.pattern[k] > 0 else -1
    dz = certain_sign(_dot(row, _field(piece, W)))
    if dz != -s:
        return None
    za = certain_sign(_dot(row, _apply((M * to_arb(ta)).exp(), u0)))
    zb = certain_sign(_dot(row, _apply((M * to_arb(tb)).exp(), u0)))
    if za != s or zb != -s:
        return None
    T = to_arb(ta).union(to_arb(tb))
    for _ in range(MAX_NEWTON):
        m = arb(T.mid())
        zm = _dot(row, _apply((M * m).exp(), u0))
        dzT = _dot(row, _field(piece, _over(M, u0, T)))
        N = m - zm / dzT
        if not N.is_finite():
            break
        try:
            T_new = N.intersection(T)
        except ValueError:
            raise EnclosureFailure("interval Newton found no switching time in a certified "
                                   "bracket (inconsistent enclosure)", t=float(ta), step=None,
                                   enclosure=W) from None
        shrunk = T_new.rad() < T.rad() * arb("0.75")
        T = T_new
        if not shrunk:
            break
    state = _over(M, u0, T)
    new_pattern = list(piece.pattern)
    new_pattern[k] = -s
    return Switch(kink=k, t=T, state=state, new_pattern=tuple(new_pattern),
                  bracket=(ta, tb))
