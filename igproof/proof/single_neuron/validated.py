"""Validated single-ReLU-neuron trajectories: certified switches and a certified norm sign.

The flow of relu(w.x) is affine inside each activation pattern, w' = -H_A w + b_A, and
:mod:`igproof.numeric.ball.affine` encloses it by ball matrix exponentials with certified
transversal switching times. This module uses those pieces for two questions:

* :func:`certified_switches` -- follow the pieces from theta0 up to a horizon and return every
  certified switch (kink, direction, time enclosure). A kink that goes 1 -> -1 and later
  -1 -> 1 is a certified *reactivation* (:func:`find_reactivation`).
* :func:`certify_norm_monotone` -- d/dt |w|^2/2 = w.F_A(w) >= 0 on every enclosure of the
  trajectory on [0, T] (the affine segments of :func:`igproof.proof.limits.limit.prove_flow_limit`),
  and for t >= T through an exact tail argument (see the function).

Guarantee: enclosure. A question the enclosures cannot decide is reported as undecided with the
reason, never guessed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy
from flint import arb

from igproof.errors import EnclosureFailure, InvalidArgument
from igproof.numeric.ball.affine import AffinePiece, propagate_piece
from igproof.numeric.ball.arith import precision, time_interval, to_arb
from igproof.rationals import parse_rational

__all__ = ["CertifiedSwitch", "NormCertificate", "certified_switches", "certify_norm_monotone",
           "find_reactivation"]

# Working precision (bits) of the ball arithmetic: the affine pieces are well conditioned, and
# 128 bits leave ~30 digits of margin over the 1e-30 enclosure widths the pieces produce.
DEFAULT_PREC = 128
# First time step of a piece (the propagation doubles it up to affine.MAX_DT far from kinks).
DT0 = Fraction(1, 16)
# Sub-interval length used to bound w.F_A(w) over the enclosure of a time interval; halved
# (down to MIN_NORM_DT) where the lower bound is not yet certainly >= 0.
NORM_DT = Fraction(1, 8)
MIN_NORM_DT = Fraction(1, 2 ** 14)
# Taylor terms of exp(sM) u kept explicitly on a sub-interval (h |M| <= 1/2 in the examples, so
# the tail bound (h |M|)^21/21! is below 1e-25, far under the enclosure widths that matter).
TAYLOR_TERMS = 20
# Guard on the number of pieces followed by certified_switches: a certified switch needs a
# transversal crossing, so an endless sequence means chattering near a kink; stop and report.
MAX_PIECES = 200


@dataclass(frozen=True)
class CertifiedSwitch:
    """Kink ``kink`` (0-based, flow.kinks order) changes from ``before`` to ``after`` at a time
    in ``t`` (a ball, global time)."""

    kink: int
    before: int
    after: int
    t: arb

    def describe(self) -> str:
        word = "deactivates" if self.after < 0 else "activates"
        return (f"kink {self.kink + 1} {word} at t in [{float(self.t.lower()):.6g}, "
                f"{float(self.t.upper()):.6g}]")


def _piece_of(flow: Any, pattern: tuple[int, ...]) -> AffinePiece:
    params = list(flow.parameters)
    sub = flow.restricted(pattern)
    return AffinePiece.from_field(params, list(sub.field), list(flow.kinks), pattern)


def certified_switches(flow: Any, theta0: Sequence[Any], *, t_horizon: Fraction | int | str,
                       stop_after_reactivation: bool = True,
                       prec: int = DEFAULT_PREC) -> list[CertifiedSwitch]:
    """Certified switches of the relu-neuron flow from theta0 on [0, t_horizon].

    Parameters
    ----------
    flow : GradientFlow
        A ``relu-neuron`` flow (affine in every pattern, linear kinks w.x_i, no zero input).
    theta0 : sequence of exact numbers
        The initialization; no kink may vanish there.
    t_horizon : rational
        Follow the pieces until this time (or a certified reactivation, see below).
    stop_after_reactivation : bool
        Stop once a kink has deactivated and reactivated, after one certified time interval of
        the piece that follows (which certifies that the trajectory leaves the kink: no sliding).
    prec : int
        Bits of the ball arithmetic.

    Returns
    -------
    list of CertifiedSwitch

    Raises
    ------
    EnclosureFailure
        When a step cannot be certified (a tangential or simultaneous crossing).

    Guarantee: enclosure (every returned switch time encloses the true one).
    """
    _require_relu_neuron(flow)
    theta = [parse_rational(v, what=f"theta0 entry {k + 1}") for k, v in enumerate(theta0)]
    if len(theta) != len(flow.parameters):
        raise InvalidArgument(f"theta0: expected {len(flow.parameters)} numbers, got "
                              f"{len(theta)}")
    horizon = parse_rational(t_horizon, what="t_horizon")
    if horizon <= 0:
        raise InvalidArgument(f"t_horizon: expected a positive time, got {t_horizon!r}")
    if any(sympy.sympify(z).is_number for z in flow.kinks):
        raise InvalidArgument("flow: a data point x_i = 0 (constant kink); drop it first")
    start = flow.pattern(theta)
    if 0 in start:
        raise InvalidArgument(f"theta0: lies on kink {start.index(0) + 1}; the starting "
                              "pattern is not decided")
    pattern = tuple(start)
    switches: list[CertifiedSwitch] = []
    with precision(prec):
        box = [to_arb(q) for q in theta]
        t_now = arb(0)
        just_switched: int | None = None
        for _ in range(MAX_PIECES):
            piece = _piece_of(flow, pattern)
            left = horizon - Fraction(int((t_now.upper() * 2 ** 60).ceil().unique_fmpz()),
                                      2 ** 60)
            reactivated = stop_after_reactivation and find_reactivation(switches) is not None

            def stop(state: list[arb], t: Fraction, left: Fraction = left,
                     reactivated: bool = reactivated) -> bool:
                return t >= left or (reactivated and t > 0)

            run = propagate_piece(piece, box, stop=stop, dt0=DT0, just_switched=just_switched)
            if run.switch is None:
                return switches
            k = run.switch.kink
            switches.append(CertifiedSwitch(kink=k, before=pattern[k],
                                            after=run.switch.new_pattern[k],
                                            t=t_now + run.switch.t))
            t_now = t_now + run.switch.t
            box = run.switch.state
            pattern = tuple(run.switch.new_pattern)
            just_switched = k
    raise EnclosureFailure(f"more than MAX_PIECES={MAX_PIECES} pieces before the horizon",
                           t=float(t_now.mid()), step=None, enclosure=box)


def find_reactivation(switches: Sequence[CertifiedSwitch]) -> tuple[int, int] | None:
    """Indices (i, j), i < j, of a deactivation 1 -> -1 of a kink and its later -1 -> 1."""
    for i, a in enumerate(switches):
        if a.before > 0 and a.after < 0:
            for j in range(i + 1, len(switches)):
                b = switches[j]
                if b.kink == a.kink and b.before < 0 and b.after > 0:
                    return i, j
    return None


@dataclass(frozen=True)
class NormCertificate:
    """Outcome of :func:`certify_norm_monotone`."""

    proved: bool
    reason: str
    n_boxes: int
    min_lower: float | None


def _norm_rate_lower(piece_M: tuple[tuple[Fraction, ...], ...], w: Sequence[arb]) -> arb:
    """w . (M_A w + b_A) over the box w (interval arithmetic)."""
    d = len(w)
    total = arb(0)
    for i in range(d):
        row = piece_M[i]
        f = to_arb(row[d])
        for j in range(d):
            if row[j]:
                f = f + to_arb(row[j]) * w[j]
        total = total + w[i] * f
    return total


def _matrix(M: tuple[tuple[Fraction, ...], ...]) -> Any:
    from flint import arb_mat

    return arb_mat([[to_arb(q) for q in row] for row in M])


def _apply(Phi: Any, u: Sequence[arb]) -> list[arb]:
    n = Phi.nrows()
    return [sum((Phi[i, j] * u[j] for j in range(n)), arb(0)) for i in range(n - 1)]


def _range_over_step(M: Any, M_norm: arb, u_a: list[arb], h: Fraction) -> list[arb]:
    """Enclosure of w(a + s), s in [0, h], from the tight state u_a = (w(a), 1).

    u(a + s) = sum_k s^k/k! M^k u_a. The terms k = 1..TAYLOR_TERMS are enclosed one by one as
    [0, h^k/k!] * (M^k u_a), with M^k u_a computed from the tight u_a (so the width scales with
    |F(w(a))| = |M u_a|, not with |M| |u_a| as exp([0,h] M) u_a would); the tail k > K is bounded
    in the max norm by (h |M|)^(K+1)/(K+1)! e^(h |M|) |u_a|.
    """
    d = len(u_a) - 1
    hb = to_arb(h)
    W = list(u_a[:d])
    v = list(u_a)
    coef = arb(1)
    for k in range(1, TAYLOR_TERMS + 1):
        v = [sum((M[i, j] * v[j] for j in range(d + 1)), arb(0)) for i in range(d + 1)]
        coef = coef * hb / k
        scale = time_interval(coef)  # [0, h^k/k!]
        W = [W[i] + scale * v[i] for i in range(d)]
    size = max((abs(x) for x in u_a), key=lambda x: float(x.upper()))
    x = hb * M_norm
    tail = x ** (TAYLOR_TERMS + 1) * x.exp() * size
    for k in range(2, TAYLOR_TERMS + 2):
        tail = tail / k
    tail = arb(tail.upper())
    return [w + arb(0, tail) for w in W]


def _segment_nonnegative(M_rows: tuple[tuple[Fraction, ...], ...], start: Sequence[arb],
                         t_end: Fraction) -> tuple[bool, int, float, Fraction]:
    """w.F_A(w) >= 0 for w = exp(sM)(start, 1), s in [0, t_end]: (ok, boxes, min lower, where)."""
    M = _matrix(M_rows)
    M_norm = to_arb(max(sum(abs(q) for q in row) for row in M_rows))
    u0 = [*start, arb(1)]
    t = Fraction(0)
    h = NORM_DT
    boxes = 0
    lowest = float("inf")
    while t < t_end:
        h = min(h, t_end - t)
        u_a = [*_apply((M * to_arb(t)).exp(), u0), arb(1)]
        W = _range_over_step(M, M_norm, u_a, h)
        rate = _norm_rate_lower(M_rows, W)
        boxes += 1
        if rate >= 0:  # certainly >= 0 on the whole box
            lowest = min(lowest, float(rate.lower()))
            t += h
            h = min(h * 2, NORM_DT)
            continue
        if h <= MIN_NORM_DT:
            return False, boxes, float(rate.lower()), t
        h /= 2
    return True, boxes, lowest, t_end


def certify_norm_monotone(flow: Any, proved: Any, *, prec: int = DEFAULT_PREC
                          ) -> NormCertificate:
    """|w(t)| nondecreasing for all t >= 0, from a ProvedLimit of a relu-neuron flow.

    On [0, T]: every affine segment of ``proved`` is re-enclosed on short time intervals
    [a, a + h] (:func:`_range_over_step`: Taylor terms of exp(sM) applied to the tight state
    exp(aM)(w_start, 1), plus a tail bound) and w.F_A(w) is certified >= 0 on each box; the
    switch times are covered by running each segment to the upper end of its switching-time
    ball (on [0, t*] the trajectory is that segment's affine solution).

    For t >= T: the end-game of ``proved`` keeps the trajectory in a region where the final
    pattern A is constant, so the residuals r_i = y_i - u_i of the active points solve
    r' = -K r with K = X_A X_A^T / n. If every off-diagonal entry of K is <= 0 (the active
    inputs pairwise make non-acute angles; exact rationals) then exp(-K s) is entrywise
    nonnegative (-K is a Metzler matrix), so r(T) >= 0 (certified on the box at T) gives
    r(t) >= 0 for all t >= T, and d/dt |w|^2/2 = (1/n) sum_A r_i u_i >= 0 there (u_i > 0 on the
    active set). Otherwise the tail is not decided and ``proved`` is False with the reason.

    Guarantee: enclosure (``proved`` True is a proof; False says which step failed).
    """
    _require_relu_neuron(flow)
    if getattr(proved, "segments", None) is None:
        raise InvalidArgument("proved: expected a ProvedLimit from prove_flow_limit, got "
                              f"{type(proved).__name__}")
    params = list(flow.parameters)
    boxes = 0
    lowest = float("inf")
    with precision(prec):
        for idx, seg in enumerate(proved.segments):
            if seg.kind != "affine" or seg.matrix is None:
                return NormCertificate(False, f"segment {idx + 1} is not an affine piece",
                                       boxes, None)
            if seg.switch is not None:
                t_end = Fraction(int((seg.switch.t.upper() * 2 ** 80).ceil().unique_fmpz()),
                                 2 ** 80)
            else:
                t_end = seg.intervals[-1][1] if seg.intervals else Fraction(0)
                span = seg.t_end - seg.t_start
                t_end = max(t_end, Fraction(int((span.upper() * 2 ** 80).ceil()
                                                .unique_fmpz()), 2 ** 80))
            ok, b, low, where = _segment_nonnegative(seg.matrix, seg.start, t_end)
            boxes += b
            lowest = min(lowest, low)
            if not ok:
                return NormCertificate(False, f"segment {idx + 1}: w.F(w) not certified >= 0 "
                                       f"near local time {float(where):.4g} (lower bound "
                                       f"{low:.3g})", boxes, lowest)
        final = proved.segments[-1].pattern
        inputs = [[Fraction(str(sympy.diff(z, p))) for p in params] for z in flow.kinks]
        labels = [_label(flow, k) for k in range(len(flow.kinks))]
        active = [k for k, s in enumerate(final) if s > 0]
        for a in active:
            for b in active:
                if a < b and sum(p * q for p, q in zip(inputs[a], inputs[b],
                                                       strict=True)) > 0:
                    return NormCertificate(False, f"tail not decided: active inputs {a + 1} "
                                           f"and {b + 1} make an acute angle (K has a positive "
                                           "off-diagonal entry)", boxes, lowest)
        for a in active:
            u = sum((to_arb(c) * v for c, v in zip(inputs[a], proved.box_T, strict=True)),
                    arb(0))
            r = to_arb(labels[a]) - u
            if not r > 0:
                return NormCertificate(False, f"tail not decided: the residual y - u of "
                                       f"active point {a + 1} is not certainly > 0 at T",
                                       boxes, lowest)
    return NormCertificate(True, "w.F(w) >= 0 certified on every enclosure box of [0, T]; "
                           "for t >= T the active residuals stay >= 0 (Metzler tail)",
                           boxes, lowest)


def _require_relu_neuron(flow: Any) -> None:
    kind = getattr(getattr(flow, "model", None), "kind", None)
    if kind != "relu-neuron":
        raise InvalidArgument(f"flow: expected the gradient flow of a 'relu-neuron' model "
                              f"(one kink w.x_i per data point), got model kind {kind!r}")


def _label(flow: Any, k: int) -> Fraction:
    """The label y_k of data point k (kink k of a relu-neuron flow is w.x_k)."""
    y = flow.dataset.y[k]
    return Fraction(y)
