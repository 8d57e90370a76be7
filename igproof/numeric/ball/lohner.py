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
integrated. A kink that is undecided on E is never resolved by a comparison: the step fails.

Guarantee: enclosure. Every returned set contains theta(t) for every initial point in the
starting set, or :class:`igproof.errors.EnclosureFailure` is raised with t, step and set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import sympy
from flint import arb, arb_mat

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


@dataclass
class SmoothFlow:
    """A smooth field F on the region where the kink signs equal ``pattern`` (if any)."""

    parameters: tuple[sympy.Symbol, ...]
    field: tuple[sympy.Expr, ...]
    kinks: tuple[sympy.Expr, ...] = ()
    pattern: tuple[int, ...] | None = None
    order: int = DEFAULT_ORDER
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

    def eval_field(self, x: Sequence[arb]) -> list[arb]:
        return self._programs["x"].evaluate(x)

    def pattern_holds(self, box: Sequence[arb]) -> bool:
        """True when every kink has, on the whole box, the certain sign of the pattern."""
        if not self.kinks:
            return True
        values = self._programs["kinks"].evaluate(box)
        for z, s in zip(values, self.pattern or (), strict=True):
            if s > 0 and not z > 0:
                return False
            if s <= 0 and not z < 0:
                return False
        return True


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


def lohner_step(flow: SmoothFlow, S: LohnerSet, h: arb
                ) -> tuple[LohnerSet, list[arb], float, list[arb]] | None:
    """One validated step of size h: (new set, a priori box E, local error, Picard box) or None.

    The Picard box is the verified trial box of the joint (x, V) system (x part first, then V
    row-major); the certificate states it so that the checker can replay the inclusion test.

    The local error is the largest radius of the enclosure of phi_h(c_k) (Taylor remainder
    plus rounding); it drives the step-size control, not the rigour.
    """
    d = len(S.c)
    X = S.hull()
    ap = _apriori(flow, X, h)
    if ap is None:
        return None
    E, W, trial = ap
    if not flow.pattern_holds(E):
        return None
    N = flow.order
    M = SENSITIVITY_ORDER
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
        return None
    A_new = arb_mat([[arb(float(Q[i, j])) for j in range(d)] for i in range(d)])
    try:
        Ainv = A_new.inv()
    except ZeroDivisionError:
        return None
    C = Ainv * B
    zc = Ainv * arb_mat([[v] for v in z])
    r_new = []
    for i in range(d):
        s = zc[i, 0]
        for j in range(d):
            s = s + C[i, j] * S.r[j]
        r_new.append(s)
    err = max(float(arb(v.rad()).mid()) for v in y)
    return LohnerSet(c_new, A_new, r_new), E, err, trial


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
    """The result of :func:`integrate_smooth`: final set, time and the step records."""

    final: LohnerSet
    t: arb
    steps: list[StepRecord]


def integrate_smooth(flow: SmoothFlow, start: LohnerSet, *, t0: arb, stop,
                     tol: float, h_max: float = 1.0, max_steps: int = 5000,
                     record: bool = True) -> SmoothRun:
    """Validated steps from ``start`` at time t0 until ``stop(set, t)`` is True.

    Step sizes are exact dyadic numbers (so the certificate states them exactly).
    Raises EnclosureFailure (with t, step and set) when a step cannot be validated even after
    MAX_HALVINGS halvings, or after ``max_steps`` steps.
    """
    S, t = start, t0
    steps: list[StepRecord] = []
    h_next = min(h_max, _suggest_h(flow, S, tol, h_max))
    for k in range(max_steps):
        if stop(S, t):
            return SmoothRun(S, t, steps)
        h_try = min(h_next, _suggest_h(flow, S, tol, h_max))
        for _ in range(MAX_HALVINGS + 1):
            h_exact = Fraction(h_try).limit_denominator(2 ** 20)
            h_exact = Fraction(int(h_exact * 2 ** 20), 2 ** 20)
            if h_exact <= 0:
                break
            out = lohner_step(flow, S, to_arb(h_exact))
            if out is not None and out[2] <= tol * LOCAL_ERROR_FACTOR:
                break
            h_try /= 2
        else:
            out = None
        if out is None or out[2] > tol * LOCAL_ERROR_FACTOR:
            raise EnclosureFailure("validated step failed (a priori enclosure or constant "
                                   "activation pattern could not be certified) after "
                                   f"{MAX_HALVINGS} halvings of the step size", t=t, step=k,
                                   enclosure=S.hull())
        S_new, E, _, trial = out
        if record:
            steps.append(StepRecord(t=t, h=h_exact, apriori=E, trial=trial,
                                    hull_after=S_new.hull(),
                                    c=S_new.c,
                                    A=[[arb_to_fraction(S_new.A[i, j])
                                        for j in range(len(S.c))] for i in range(len(S.c))],
                                    r=S_new.r, pattern=flow.pattern))
        S, t = S_new, t + to_arb(h_exact)
        h_next = min(h_max, float(h_exact) * STEP_GROWTH)
    raise EnclosureFailure(f"no stop after max_steps={max_steps} validated steps", t=t,
                           step=max_steps, enclosure=S.hull())
