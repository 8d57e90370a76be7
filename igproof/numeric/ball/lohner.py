"""Validated Taylor integration of x' = F(x) with a Lohner (QR) set representation.

The set moved along the flow is a parallelepiped X_k = {c_k + A_k r : r in R_k} with c_k a point,
A_k a (float-exact) near-orthogonal matrix and R_k a box of balls around 0. One step of size h:

1. A priori enclosure (Picard inclusion test). For the joint system (x, V)' = (F(x), DF(x) V),
   find boxes E (for x) and W (for V) with
       hull(X_k) + [0,h] F(E) in int(E)   and   I + [0,h] DF(E) W in int(W);
   then every solution from X_k exists on [0,h] and stays in E, and its sensitivity matrix stays
   in W (Schauder / Picard-Lindelof).
2. Taylor part with Lagrange remainder:
       phi_h(c_k) in sum_{j<N} x_[j](c_k) h^j + h^N x_[N](E),
       D phi_h(X_k) in sum_{j<M} (x,V)_[j](hull X_k, I)_V h^j + h^M (x,V)_[M](E, W)_V.
3. Mean-value form and QR: phi_h(X_k) is inside y + (V_h A_k) R_k with y the enclosure of
   phi_h(c_k); with B = V_h A_k, c_{k+1} = mid(y), A_{k+1} = Q from the QR factorization of
   mid(B) (columns sorted by length, Lohner's choice against wrapping along the valley of
   minima), R_{k+1} = (A_{k+1}^{-1} B) R_k + A_{k+1}^{-1} (y - c_{k+1}), with A_{k+1}^{-1}
   enclosed in ball arithmetic.

For piecewise models (ReLU) the pattern is certified constant on E at every step: every kink
z_k(theta) must have a certain sign on E, equal to the sign of the pattern whose smooth field is
integrated. A kink that is undecided on E is never resolved by a comparison: the step fails,
except in two certified situations (the same mathematics as the affine switch, affine.py):

* Crossing step (``crossing=k``, the last step of a run that ends in a switch of kink k with
  sign s). On the a priori box E of the smooth flow of the current pattern P over [0, delta]:
  every other kink keeps its sign; dz_k/dt = grad z_k . F_P has the certain sign -s; z_k has
  sign s on the step's start set and -s on its end enclosure. Then every P-trajectory crosses
  z_k = 0 exactly once inside the step, the true flow equals the P-flow up to that crossing, and
  the state at the crossing lies in E, which is the start box of the next piece. The crossing
  time is located from the Taylor polynomial of the centre (Newton on z_k along it); ordinary
  steps first approach it to within eps = CROSS_EPS_FACTOR (width of z_k(X) + tol) / |dz_k/dt|.
* Leaving kink (``leaving=k``, the kink just switched into the current pattern with sign s').
  On any step, z_k may be undecided on E provided dz_k/dt under the current field has the
  certain sign s' on E: every trajectory leaves z_k = 0 to the side s' and cannot come back
  during the step.

Guarantee: enclosure. Every returned set contains theta(t) for every initial point in the
starting set, or :class:`igproof.errors.EnclosureFailure` is raised with t, step and set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import sympy
from flint import arb, arb_mat, ctx

from igproof.errors import EnclosureFailure, InvalidArgument
from igproof.numeric.ball.arith import (
    arb_to_fraction,
    contains_interior,
    time_interval,
    to_arb,
)
from igproof.numeric.ball.taylor import FieldProgram, variational_exprs

# Taylor order of the point series: high enough that with steps of ~1/10 of the radius of
# convergence the remainder is below 2^-100 (a 1e-20 limit ball needs per-step errors ~1e-24).
DEFAULT_ORDER = 28
# Taylor order of the sensitivity series: V only multiplies the tiny box R_k, so its width may be
# ~1e-6 without visible growth of R_k; 10 keeps the (d + d^2)-dimensional series cheap.
SENSITIVITY_ORDER = 10
# Picard inflation: the trial a priori box is the first-order image inflated by this factor,
# plus an absolute margin; 3 leaves room for the curvature of the path over [0, h].
APRIORI_INFLATION = 3
# Relative margin 2^-bits added to every trial a priori box, so that a point (or a fixed
# point of the flow) still has a box with a nonempty interior.
APRIORI_MARGIN_BITS = 60
# Refinements of a verified a priori box by the Picard map (each keeps it valid and shrinks it
# towards the true range of the path; the Taylor remainder over it shrinks accordingly).
PICARD_REFINEMENTS = 4
# Step-size halvings allowed before a step is declared impossible.
MAX_HALVINGS = 12
# A step is accepted when its local error is at most this multiple of the tolerance (the
# remainder over the a priori box exceeds the point estimate used to choose h; beyond ~100x
# the enclosure width, not the convergence, would limit the final ball).
LOCAL_ERROR_FACTOR = 100
# Growth factor of the step size after a successful step (classical safety value).
STEP_GROWTH = 1.5
# Ordinary step sizes are multiples of 2^-STEP_BITS (short exact numbers in the certificate);
# steps that approach or cross a kink need ~prec bits and use 2^-(prec + KINK_EXTRA_BITS).
STEP_BITS = 20
KINK_EXTRA_BITS = 16
# Half-length eps of the crossing step, in units of (width of z_k on the start set + tol) /
# |dz_k/dt|: 8 leaves z_k a margin of several widths on both ends of the step, so both sign
# tests are decided, while the next start box stays only ~ 16 |F| / |dz_k/dt| times wider.
CROSS_EPS_FACTOR = 8
# A crossing step is taken once the predicted crossing is within this many eps of the set.
CROSS_TRIGGER = 2
# Crossing steps tried (each doubles delta) before the crossing is declared uncertifiable.
CROSS_TRIES = 4
# Approach steps end at distance max(eps, f tau) before the predicted crossing tau, trying these
# f in turn (largest step first): the a priori box of a long step wraps by ~h^2, so the last
# approach steps need a remaining distance ~ tau^2, which these fractions reach in a few steps.
APPROACH_FRACTIONS = (0, 2 ** -32, 2 ** -16, 2 ** -8, 2 ** -4, 2 ** -2, 2 ** -1)
# Sampling points on [0, h] of the centre Taylor polynomial for a sign change of a kink, and
# Newton/bisection iterations locating it (each Newton step doubles the correct bits).
ROOT_GRID = 16
ROOT_ITERATIONS = 80
# After a step that a kink shortened (its a priori box met the kink at the longer sizes), the
# next root search looks this many first-order hitting times |z_k| / |dz_k/dt| ahead, not only
# over the controller's step: else the steps shrink with the distance to the kink, the root
# stays beyond every step and the crossing step is never triggered, until the set itself
# straddles the kink (a transversal crossing, dz/dt ~ -0.07, was refused this way).
ROOT_HORIZON_HITS = 2


@dataclass
class LohnerSet:
    """The parallelepiped {c + A r : r in R} (c points, A point matrix, R balls around 0)."""

    c: list[arb]
    A: arb_mat
    r: list[arb]

    @classmethod
    def from_box(cls, box: Sequence[arb]) -> LohnerSet:
        d = len(box)
        c = [arb(b.mid()) for b in box]
        r = [b - cc for b, cc in zip(box, c, strict=True)]
        A = arb_mat([[1 if i == j else 0 for j in range(d)] for i in range(d)])
        return cls(c, A, r)

    def hull(self) -> list[arb]:
        """A box (list of balls) containing the parallelepiped."""
        d = len(self.c)
        out = []
        for i in range(d):
            s = self.c[i]
            for j in range(d):
                s = s + self.A[i, j] * self.r[j]
            out.append(s)
        return out


@dataclass
class StepRecord:
    """What a checker needs to replay one step (all exact rationals or balls)."""

    t: arb
    h: Fraction
    apriori: list[arb]
    trial: list[arb]
    hull_after: list[arb]
    c: list[arb]
    A: list[list[Fraction]]
    r: list[arb]
    pattern: tuple[int, ...] | None
    crossing: int | None = None


@dataclass
class Crossing:
    """A certified crossing of ``kink`` inside the step [t1, t1 + delta] (see module doc).

    ``box`` (the step's a priori box E) contains the state at the crossing of every trajectory
    from the run's start set; it is the start box of the next piece, where the kink has sign
    ``new_sign``.
    """

    kink: int
    new_sign: int
    t1: arb
    delta: Fraction
    box: list[arb]

    @property
    def t_interval(self) -> arb:
        """A ball containing [t1, t1 + delta] (every crossing time)."""
        return self.t1.union(self.t1 + to_arb(self.delta))


@dataclass
class SmoothFlow:
    """A smooth field F on the region where the kink signs equal ``pattern`` (if any)."""

    parameters: tuple[sympy.Symbol, ...]
    field: tuple[sympy.Expr, ...]
    kinks: tuple[sympy.Expr, ...] = ()
    pattern: tuple[int, ...] | None = None
    order: int = DEFAULT_ORDER
    sensitivity_order: int = SENSITIVITY_ORDER
    _programs: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if len(self.field) != len(self.parameters):
            raise InvalidArgument("field: expected one component per parameter, got "
                                  f"{len(self.field)} for {len(self.parameters)} parameters")
        if self.kinks and (self.pattern is None or len(self.pattern) != len(self.kinks)):
            raise InvalidArgument(f"pattern: expected {len(self.kinks)} signs, got "
                                  f"{self.pattern!r}")
        self._programs["x"] = FieldProgram(self.parameters, self.field)
        syms, exprs = variational_exprs(self.parameters, self.field)
        self._programs["xv"] = FieldProgram(syms, exprs)
        if self.kinks:
            self._programs["kinks"] = FieldProgram(self.parameters, self.kinks)
            rates = [sum((sympy.diff(z, p) * f for p, f in zip(self.parameters, self.field,
                                                                 strict=True)),
                         sympy.Integer(0)) for z in self.kinks]
            self._programs["rates"] = FieldProgram(self.parameters, rates)

    def eval_field(self, x: Sequence[arb]) -> list[arb]:
        return self._programs["x"].evaluate(x)

    def kink_values(self, box: Sequence[arb]) -> list[arb]:
        """z_k on the box (enclosures)."""
        return self._programs["kinks"].evaluate(list(box))

    def kink_rates(self, box: Sequence[arb]) -> list[arb]:
        """dz_k/dt = grad z_k . F on the box (enclosures)."""
        return self._programs["rates"].evaluate(list(box))

    def undecided(self, box: Sequence[arb], *, leaving: int | None = None,
                  skip: int | None = None) -> list[int]:
        """Kinks without the certain sign of the pattern on the box.

        Kink ``leaving`` also passes when dz/dt has the certain pattern sign on the box (it is
        leaving z = 0 to the pattern side); kink ``skip`` is not tested.
        """
        if not self.kinks:
            return []
        values = self.kink_values(box)
        rates = self.kink_rates(box) if leaving is not None else None
        bad = []
        for k, (z, s) in enumerate(zip(values, self.pattern or (), strict=True)):
            if k == skip or _sign_is(z, s):
                continue
            if k == leaving and rates is not None and _sign_is(rates[k], s):
                continue
            bad.append(k)
        return bad

    def pattern_holds(self, box: Sequence[arb], *, leaving: int | None = None) -> bool:
        """True when every kink has, on the whole box, the certain sign of the pattern (kink
        ``leaving`` may instead move certainly towards its pattern side)."""
        return not self.undecided(box, leaving=leaving)


def _sign_is(x: arb, s: int) -> bool:
    """x certainly has the sign s (+1: > 0; -1 or 0: < 0)."""
    return bool(x > 0) if s > 0 else bool(x < 0)


def _series_sum(coeffs: Sequence[arb], h: arb, upto: int) -> arb:
    """sum_{j<upto} coeffs[j] h^j by Horner's rule."""
    s = coeffs[upto - 1]
    for j in range(upto - 2, -1, -1):
        s = s * h + coeffs[j]
    return s


def _apriori(flow: SmoothFlow, X: list[arb], h: arb
             ) -> tuple[list[arb], list[arb], list[arb]] | None:
    """Boxes (E, W) from the Picard inclusion test on [0, h], and the verified trial box."""
    d = len(X)
    T = time_interval(h)
    ident = [arb(1) if i == j else arb(0) for i in range(d) for j in range(d)]
    prog = flow._programs["xv"]
    Y0 = X + ident
    G0 = prog.evaluate(Y0)
    trial = []
    for y, g in zip(Y0, G0, strict=True):
        step = T * g
        margin = (arb(abs(step).upper()) * APRIORI_INFLATION
                  + (arb(abs(y).upper()) + 1) * arb(2) ** -APRIORI_MARGIN_BITS)
        trial.append(y + arb(0, margin.upper()) + step)
    for _ in range(3):
        G = prog.evaluate(trial)
        image = [y + T * g for y, g in zip(Y0, G, strict=True)]
        if contains_interior(trial, image):
            # Solutions from Y0 stay in `trial`, hence in Y0 + [0,h] G(trial) = image; the
            # same argument applies again to each refined image (Picard refinement).
            box = image
            for _ in range(PICARD_REFINEMENTS):
                G = prog.evaluate(box)
                box = [y + T * g for y, g in zip(Y0, G, strict=True)]
            return box[:d], box[d:], trial
        trial = [t.union(im) + arb(0, (arb(im.rad()) * APRIORI_INFLATION).upper())
                 for t, im in zip(trial, image, strict=True)]
    return None


def lohner_step(flow: SmoothFlow, S: LohnerSet, h: arb, *, leaving: int | None = None,
                crossing: int | None = None
                ) -> tuple[LohnerSet, list[arb], float, list[arb]] | None:
    """One validated step of size h: (new set, a priori box E, local error, Picard box) or None.

    The Picard box is the verified trial box of the joint (x, V) system (x part first, then V
    row-major); the certificate states it so that the checker can replay the inclusion test.

    The local error is the largest radius of the enclosure of phi_h(c_k) (Taylor remainder
    plus rounding); it drives the step-size control, not the rigour.

    ``leaving``: the kink just switched into the pattern (may be undecided on E when it moves
    certainly to its pattern side). ``crossing=k``: a crossing step of kink k (module doc); it
    returns None unless every crossing condition is certified (:func:`crossing_failure` says
    which one fails).
    """
    out = _step(flow, S, h, leaving=leaving, crossing=crossing)
    return None if isinstance(out, str) else out


def crossing_failure(flow: SmoothFlow, S: LohnerSet, h: arb, k: int, *,
                     leaving: int | None = None) -> str | None:
    """Why a crossing step of kink k with size h is not certified (None when it is)."""
    out = _step(flow, S, h, leaving=leaving, crossing=k)
    return out if isinstance(out, str) else None


def _step(flow: SmoothFlow, S: LohnerSet, h: arb, *, leaving: int | None,
          crossing: int | None) -> tuple[LohnerSet, list[arb], float, list[arb]] | str:
    d = len(S.c)
    X = S.hull()
    ap = _apriori(flow, X, h)
    if ap is None:
        return "no a priori enclosure (Picard inclusion failed)"
    E, W, trial = ap
    bad = flow.undecided(E, leaving=leaving, skip=crossing)
    if bad:
        return f"kink(s) {bad} without a certain sign on the a priori box"
    if crossing is not None:
        s = (flow.pattern or ())[crossing]
        if not _sign_is(flow.kink_values(X)[crossing], s):
            return f"kink {crossing} is not certainly of sign {s} on the start set"
        if not _sign_is(flow.kink_rates(E)[crossing], -s):
            return (f"dz/dt of kink {crossing} is not certainly of sign {-s} on the a priori "
                    "box (tangential touch or no transversal crossing)")
    N = flow.order
    M = flow.sensitivity_order
    px, pv = flow._programs["x"], flow._programs["xv"]
    cx = px.ode_taylor(S.c, N - 1)
    rx = px.ode_taylor(E, N)
    hN = h ** N
    y = [_series_sum(cx[i], h, N) + hN * rx[i][N] for i in range(d)]
    ident = [arb(1) if i == j else arb(0) for i in range(d) for j in range(d)]
    cv = pv.ode_taylor(X + ident, M - 1)
    rv = pv.ode_taylor(E + W, M)
    hM = h ** M
    Vh = arb_mat(d, d)
    for i in range(d):
        for j in range(d):
            k = d + i * d + j
            Vh[i, j] = _series_sum(cv[k], h, M) + hM * rv[k][M]
    B = Vh * S.A
    c_new = [arb(v.mid()) for v in y]
    z = [v - cn for v, cn in zip(y, c_new, strict=True)]
    Bmid = np.array([[float(B[i, j].mid()) for j in range(d)] for i in range(d)])
    norms = np.linalg.norm(Bmid, axis=0)
    perm = np.argsort(-norms)
    Q, _ = np.linalg.qr(Bmid[:, perm])
    if not np.all(np.isfinite(Q)):
        return "QR factorization failed"
    A_new = arb_mat([[arb(float(Q[i, j])) for j in range(d)] for i in range(d)])
    try:
        Ainv = A_new.inv()
    except ZeroDivisionError:
        return "the coordinate matrix is not invertible"
    C = Ainv * B
    zc = Ainv * arb_mat([[v] for v in z])
    r_new = []
    for i in range(d):
        s = zc[i, 0]
        for j in range(d):
            s = s + C[i, j] * S.r[j]
        r_new.append(s)
    err = max(float(arb(v.rad()).mid()) for v in y)
    S_new = LohnerSet(c_new, A_new, r_new)
    if crossing is not None:
        s = (flow.pattern or ())[crossing]
        if not _sign_is(flow.kink_values(S_new.hull())[crossing], -s):
            return (f"kink {crossing} is not certainly of sign {-s} at the end of the crossing "
                    "step")
    return S_new, E, err, trial


def _suggest_h(flow: SmoothFlow, S: LohnerSet, tol: float, h_max: float) -> float:
    N = flow.order
    coeffs = flow._programs["x"].ode_taylor(S.c, N)
    best = h_max
    for k in (N - 1, N):
        mag = max(abs(float(coeffs[i][k].mid())) for i in range(len(S.c)))
        if mag > 0:
            best = min(best, 0.8 * (tol / mag) ** (1.0 / k))
    return best


@dataclass
class SmoothRun:
    """The result of :func:`integrate_smooth`: final set, time and the step records.

    When the run ends in a certified kink crossing, ``switch`` describes it (its last step is
    the crossing step) and ``final``/``t`` are the smooth flow's set and time after that step
    (not the true state: the next piece starts from ``switch.box``).
    """

    final: LohnerSet
    t: arb
    steps: list[StepRecord]
    switch: Crossing | None = None


def _mid(x: arb) -> arb:
    return arb(x.mid())


def _dyadic(x: arb, bits: int, *, up: bool) -> Fraction:
    """A multiple of 2^-bits next to the midpoint of x (rounded up or down)."""
    q = arb_to_fraction(x) * 2 ** bits
    n = -((-q.numerator) // q.denominator) if up else q.numerator // q.denominator
    return Fraction(n, 2 ** bits)


def _kink_root(flow: SmoothFlow, S: LohnerSet, h: float) -> tuple[int, arb, arb] | None:
    """(k, tau, dz_k/dt) for the earliest predicted sign change on (0, h] of a kink along the
    Taylor polynomial of the centre trajectory, or None. Approximate (steers the steps only).

    Kinks that are undecided on the set (a kink just switched) are skipped.
    """
    d = len(S.c)
    N = flow.order
    coeffs = flow._programs["x"].ode_taylor([_mid(v) for v in S.c], N)
    mids = [[_mid(v) for v in row] for row in coeffs]

    def at(tau: arb) -> list[arb]:
        return [_series_sum(mids[i], tau, N + 1) for i in range(d)]

    pattern = flow.pattern or ()
    z_set = flow.kink_values(S.hull())
    candidates = [k for k, s in enumerate(pattern) if _sign_is(z_set[k], s)]
    if not candidates or not h > 0:
        return None
    H = arb(float(h))
    lo = arb(0)
    for m in range(1, ROOT_GRID + 1):
        hi = H * m / ROOT_GRID
        z = flow.kink_values(at(hi))
        found = []
        for k in candidates:
            if float(_mid(z[k]) * pattern[k]) < 0:
                found.append(_refine_root(flow, at, k, pattern[k], lo, hi))
        if found:
            k, tau = min(found, key=lambda kt: float(kt[1]))
            return k, tau, _mid(flow.kink_rates(at(tau))[k])
        lo = hi
    return None


def _first_hit(flow: SmoothFlow, S: LohnerSet) -> float:
    """min |z_k| / |dz_k/dt| at the centre over the kinks of certain pattern sign on the set
    that move towards z = 0 (0.0 when none does): the first-order time to the nearest kink.
    Approximate (it only widens the root search)."""
    centre = [_mid(v) for v in S.c]
    values, rates = flow.kink_values(centre), flow.kink_rates(centre)
    z_set = flow.kink_values(S.hull())
    times = [float(abs(z.mid()) / abs(r.mid()))
             for z, r, zs, s in zip(values, rates, z_set, flow.pattern or (), strict=True)
             if _sign_is(zs, s) and float(r.mid()) * s < 0]
    return min(times, default=0.0)


def _refine_root(flow: SmoothFlow, at, k: int, s: int, lo: arb, hi: arb) -> tuple[int, arb]:
    """Newton (safeguarded by bisection) on tau -> z_k(P(tau)) in the bracket [lo, hi]."""
    t = (lo + hi) / 2
    for _ in range(ROOT_ITERATIONS):
        x = at(t)
        g = _mid(flow.kink_values(x)[k])
        if float(g) == 0:
            return k, t
        if float(g) * s > 0:
            lo = t
        else:
            hi = t
        rate = _mid(flow.kink_rates(x)[k])
        t_new = _mid(t - g / rate) if float(rate) != 0 else (lo + hi) / 2
        if not (t_new > lo and t_new < hi):
            t_new = _mid((lo + hi) / 2)
        if abs(float(t_new - t)) <= float(abs(t) + 1) * 2.0 ** -1000 or t_new == t:
            return k, t_new
        close = abs(t_new - t) < (abs(t) + 1) * arb(2) ** (-ctx.prec - 2)
        t = t_new
        if close:
            break
    return k, t


def integrate_smooth(flow: SmoothFlow, start: LohnerSet, *, t0: arb, stop,
                     tol: float, h_max: float = 1.0, max_steps: int = 5000,
                     record: bool = True, leaving: int | None = None,
                     crossing: bool = False) -> SmoothRun:
    """Validated steps from ``start`` at time t0 until ``stop(set, t)`` is True.

    Step sizes are exact dyadic numbers (so the certificate states them exactly).
    Raises EnclosureFailure (with t, step and set) when a step cannot be validated even after
    MAX_HALVINGS halvings, or after ``max_steps`` steps.

    With ``crossing=True`` a kink that the centre trajectory is about to cross is approached by
    ordinary steps and crossed by a certified crossing step (module doc); the run then ends
    there with ``switch`` set. ``leaving`` is the kink just switched into the pattern (it may
    be undecided on the a priori boxes while it moves certainly to its pattern side). A
    crossing that cannot be certified (tangential touch, wrong or undecided dz/dt) raises
    EnclosureFailure saying so.
    """
    S, t = start, t0
    steps: list[StepRecord] = []
    bits = ctx.prec + KINK_EXTRA_BITS
    h_next = min(h_max, _suggest_h(flow, S, tol, h_max))

    def keep(S_new: LohnerSet, E: list[arb], trial: list[arb], h: Fraction,
             kink: int | None = None) -> None:
        if record:
            d = len(S.c)
            steps.append(StepRecord(t=t, h=h, apriori=E, trial=trial, hull_after=S_new.hull(),
                                    c=S_new.c,
                                    A=[[arb_to_fraction(S_new.A[i, j]) for j in range(d)]
                                       for i in range(d)],
                                    r=S_new.r, pattern=flow.pattern, crossing=kink))

    kink_limited = False  # the last step was shortened because a kink met its a priori box
    for k in range(max_steps):
        if stop(S, t):
            return SmoothRun(S, t, steps)
        h_try = min(h_next, _suggest_h(flow, S, tol, h_max))
        out: tuple[LohnerSet, list[arb], float, list[arb]] | str | None = None
        h_exact = Fraction(0)
        root = None
        if crossing and flow.kinks:
            horizon = h_try
            if kink_limited:  # the Taylor polynomial is trusted no further than h_max
                horizon = min(h_max, max(h_try, _first_hit(flow, S) * ROOT_HORIZON_HITS))
            root = _kink_root(flow, S, horizon)
        if root is not None:
            kk, tau, rate = root
            if float(rate) == 0:
                raise EnclosureFailure(f"kink {kk} is reached tangentially (dz/dt ~ 0): no "
                                       "certified crossing", t=t, step=k, enclosure=S.hull())
            width = arb(flow.kink_values(S.hull())[kk].rad())
            eps = _mid(CROSS_EPS_FACTOR * (width + arb(tol)) / abs(rate))
            if tau <= CROSS_TRIGGER * eps:
                switch = _cross(flow, S, t, kk, tau, eps, bits, leaving, k)
                S_new, E, _, trial = switch[0]
                keep(S_new, E, trial, switch[1].delta, kk)
                return SmoothRun(S_new, t + to_arb(switch[1].delta), steps, switch[1])
            for f in APPROACH_FRACTIONS:
                h_exact = _dyadic(tau - (eps if f * tau < eps else f * tau), bits, up=False)
                if h_exact <= 0:
                    continue
                out = _step(flow, S, to_arb(h_exact), leaving=leaving, crossing=None)
                if not isinstance(out, str) and out[2] <= tol * LOCAL_ERROR_FACTOR:
                    break
                out = None
            if out is None:
                h_try = min(h_try, float(tau) / 4)
        why = "no step tried"
        kink_limited = False
        if out is None:
            for _ in range(MAX_HALVINGS + 1):
                h_exact = Fraction(h_try).limit_denominator(2 ** STEP_BITS)
                h_exact = Fraction(int(h_exact * 2 ** STEP_BITS), 2 ** STEP_BITS)
                if h_exact <= 0:
                    h_exact = _dyadic(arb(h_try), bits, up=False)
                if h_exact <= 0:
                    break
                out = _step(flow, S, to_arb(h_exact), leaving=leaving, crossing=None)
                if not isinstance(out, str) and out[2] <= tol * LOCAL_ERROR_FACTOR:
                    break
                why = out if isinstance(out, str) else "local error above tolerance"
                kink_limited = kink_limited or why.startswith("kink")
                out = None
                h_try /= 2
        if out is None or isinstance(out, str):
            if crossing and why.startswith("kink"):
                why += (" (the trajectory meets the kink without a certified transversal "
                        "crossing: a tangential touch, sliding, or a crossing too close to "
                        "another kink)")
            raise EnclosureFailure("validated step failed (a priori enclosure or constant "
                                   "activation pattern could not be certified) after "
                                   f"{MAX_HALVINGS} halvings of the step size; last attempt: "
                                   f"{why}", t=t, step=k, enclosure=S.hull())
        S_new, E, _, trial = out
        keep(S_new, E, trial, h_exact)
        S, t = S_new, t + to_arb(h_exact)
        h_next = min(h_max, float(h_exact) * STEP_GROWTH)
    raise EnclosureFailure(f"no stop after max_steps={max_steps} validated steps", t=t,
                           step=max_steps, enclosure=S.hull())


def _cross(flow: SmoothFlow, S: LohnerSet, t: arb, k: int, tau: arb, eps: arb, bits: int,
           leaving: int | None, step: int
           ) -> tuple[tuple[LohnerSet, list[arb], float, list[arb]], Crossing]:
    """The crossing step of kink k (delta = tau + eps, doubled up to CROSS_TRIES times)."""
    why = ""
    for j in range(CROSS_TRIES):
        delta = _dyadic((tau + eps) * 2 ** j, bits, up=True)
        out = _step(flow, S, to_arb(delta), leaving=leaving, crossing=k)
        if not isinstance(out, str):
            s = (flow.pattern or ())[k]
            return out, Crossing(kink=k, new_sign=-s, t1=t, delta=delta, box=out[1])
        why = out
    t_hat = float(t.mid() + tau.mid())
    raise EnclosureFailure(f"kink {k}: the crossing predicted at t ~ {t_hat:.6g} could not be "
                           f"certified: {why}", t=t, step=step,
                           enclosure=S.hull())
