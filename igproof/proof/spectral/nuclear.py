"""The minimal nuclear norm of the well-specified measurements, exactly, and the minimality
decision on a proved limit ball.

min{|X|_* : <A_i, X> = y_i} = min{|d|_1 : A d = y} (|X|_* >= sum_k |(Phi^T X Psi)_kk|, with
equality on Phi diag(d) Psi^T). Weak duality: for every lambda with |A^T lambda|_inf <= 1 and
every feasible d, |d|_1 >= (A^T lambda) . d = lambda . y. :func:`l1_minimum` returns an exact
rational vertex d* (A d* = y exactly) and an exact dual lambda with |A^T lambda|_inf <= 1 and
lambda . y = |d*|_1, which proves min = |d*|_1.

The limit X_inf = Phi diag(z) Psi^T, z_k = sigma(u_k v_k), is feasible when the limit has zero
loss (the PL end-game proves it). :func:`decide_minimality` decides on the ball B(c, r) holding
(u, v):

- ``unique``: rank A = n, so A z = y has the single solution d*: z = d*, minimal. PROVED.
- ``kkt``: every z_k has a certain sign s_k on the ball and A^T lambda = s is solvable exactly:
  |z|_1 = s . z = lambda . A z = lambda . y <= min. PROVED.
- ``gap``: inf over the ball of sum_k |sigma(u_k v_k)| > |d*|_1: the limit is not minimal, by at
  least the gap. REFUTED.
- otherwise INCONCLUSIVE (e.g. a coordinate whose sign the ball does not decide).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from flint import arb

from igproof.errors import InvalidArgument
from igproof.linalg import solve, solve_consistent
from igproof.numeric.ball.arith import arb_to_fraction, precision, to_arb
from igproof.verdict import Verdict

# A float LP coordinate below this (relative to max |d|) is read as zero when guessing the
# support of the vertex; the exact solve and the exact dual check decide, the guess only guides.
SUPPORT_TOL = 1e-9
# Most sign patterns tried for degenerate basic coordinates before giving up.
MAX_SIGN_TRIALS = 256
# Working precision (bits) of the ball enclosure of |z|_1 on the limit ball.
DECISION_PREC = 128

Matrix = list[list[Fraction]]


@dataclass(frozen=True)
class L1Solution:
    """min |d|_1 s.t. A d = y is ``value`` = |d|_1, attained at ``d``; ``lam`` (one entry per
    measurement) has |A^T lam|_inf <= 1 and lam . y = value. ``unique``: rank A = n."""

    d: tuple[Fraction, ...]
    lam: tuple[Fraction, ...]
    value: Fraction
    rank: int
    unique: bool


def _row_reduce(a: Matrix, y: list[Fraction]) -> tuple[list[int], int]:
    """Indices of a maximal set of independent rows of A (exact), after checking that A d = y
    is consistent; returns (rows, rank). Raises InvalidArgument if inconsistent."""
    rows: list[int] = []
    basis: list[tuple[list[Fraction], Fraction, int]] = []  # (reduced row, rhs, pivot)
    for i, (row, yi) in enumerate(zip(a, y, strict=True)):
        r, c = list(row), yi
        for b, bc, piv in basis:
            if r[piv] != 0:
                f = r[piv] / b[piv]
                r = [x - f * z for x, z in zip(r, b, strict=True)]
                c -= f * bc
        pivot = next((k for k, x in enumerate(r) if x != 0), None)
        if pivot is None:
            if c != 0:
                raise InvalidArgument(f"A, y: the measurements are inconsistent (row {i + 1} is a "
                                      "combination of earlier rows with a different label)")
            continue
        basis.append((r, c, pivot))
        rows.append(i)
    return rows, len(rows)






def _transpose(a: Matrix) -> Matrix:
    return [list(c) for c in zip(*a, strict=True)]


def _dual_ok(a: Matrix, y: Sequence[Fraction], lam: Sequence[Fraction], value: Fraction) -> bool:
    at_lam = [sum((a[i][k] * lam[i] for i in range(len(a))), Fraction(0))
              for k in range(len(a[0]))]
    return all(abs(v) <= 1 for v in at_lam) and \
        sum((li * yi for li, yi in zip(lam, y, strict=True)), Fraction(0)) == value


def l1_minimum(A: Sequence[Sequence[Fraction]], y: Sequence[Fraction]) -> L1Solution:
    """min{|d|_1 : A d = y} exactly: a rational vertex d* and a rational dual lambda.

    The float LP (HiGHS) only guesses the support; the vertex is solved exactly and the dual is
    checked exactly. Raises InvalidArgument for inconsistent measurements or when no exact dual
    certificate is found (never returns an unverified value).
    """
    a = [[Fraction(v) for v in row] for row in A]
    yy = [Fraction(v) for v in y]
    m, n = len(a), len(a[0])
    rows, rank = _row_reduce(a, yy)
    ar = [a[i] for i in rows]
    yr = [yy[i] for i in rows]

    def full_lambda(lam_r: list[Fraction]) -> tuple[Fraction, ...]:
        out = [Fraction(0)] * m
        for i, v in zip(rows, lam_r, strict=True):
            out[i] = v
        return tuple(out)

    if rank == n:
        d = solve(ar, yr)
        assert d is not None
        value = sum((abs(v) for v in d), Fraction(0))
        sign = [Fraction((v > 0) - (v < 0)) for v in d]
        lam_r = solve(_transpose(ar), sign)
        assert lam_r is not None
        lam = full_lambda(lam_r)
        if not _dual_ok(a, yy, lam, value):  # pragma: no cover - exact algebra
            raise InvalidArgument("l1 program: internal dual check failed")
        return L1Solution(tuple(d), lam, value, rank, True)
    import numpy as np
    from scipy.optimize import linprog

    af = np.array([[float(v) for v in r] for r in ar])
    yf = np.array([float(v) for v in yr])
    res = linprog(np.ones(2 * n), A_eq=np.hstack([af, -af]), b_eq=yf, bounds=(0, None),
                  method="highs")
    if res.status != 0:
        raise InvalidArgument(f"l1 program: the float LP failed ({res.message})")
    d_f = res.x[:n] - res.x[n:]
    lam_f = np.asarray(res.eqlin.marginals, float)
    scale = max(1.0, float(np.abs(d_f).max()))
    support = [k for k in range(n) if abs(d_f[k]) > SUPPORT_TOL * scale]
    basis = list(support)
    for k in sorted(range(n), key=lambda k: -abs(d_f[k])):  # extend to r independent columns
        if len(basis) == rank:
            break
        if k in basis:
            continue
        trial = [*basis, k]
        sub = [[ar[i][c] for c in trial] for i in range(rank)]
        if _row_reduce(_transpose(sub), [Fraction(0)] * len(trial))[1] == len(trial):
            basis = trial
    if len(basis) != rank:
        raise InvalidArgument("l1 program: could not complete the LP basis")
    sub = [[ar[i][c] for c in basis] for i in range(rank)]
    d_b = solve(sub, yr)
    if d_b is None:
        raise InvalidArgument("l1 program: the guessed vertex basis is singular")
    d = [Fraction(0)] * n
    for c, v in zip(basis, d_b, strict=True):
        d[c] = v
    value = sum((abs(v) for v in d), Fraction(0))
    at_lam_f = af.T @ lam_f
    degenerate = [j for j, c in enumerate(basis) if d[c] == 0]
    fixed = [Fraction((d[c] > 0) - (d[c] < 0)) for c in basis]
    choices = []
    for j in degenerate:  # the float dual's value first, then the vertex signs
        guess = Fraction(float(np.clip(at_lam_f[basis[j]], -1, 1))).limit_denominator(10 ** 6)
        choices.append([guess, Fraction(1), Fraction(-1), Fraction(0)])
    for trial_no, pick in enumerate(itertools.product(*choices)):
        if trial_no >= MAX_SIGN_TRIALS:
            break
        target = list(fixed)
        for j, v in zip(degenerate, pick, strict=True):
            target[j] = v
        lam_r = solve(_transpose(sub), target)
        if lam_r is None:
            continue
        lam = full_lambda(lam_r)
        if _dual_ok(a, yy, lam, value):
            return L1Solution(tuple(d), lam, value, rank, False)
    raise InvalidArgument("l1 program: no exact dual certificate found for the LP vertex "
                          "(degenerate program)")


@dataclass(frozen=True)
class MinimalityDecision:
    """Whether the limit z = sigma(u v) on the ball is the minimal-|.|_1 solution.

    ``mode``: "unique", "kkt", "gap" or "undecided"; ``norm`` an enclosure of |z|_1 over the
    ball; ``gap_lower`` (mode "gap") an exact rational <= |z|_1 - min; ``lam`` the dual used
    (mode "kkt": A^T lam = the certified signs s).
    """

    verdict: Verdict
    mode: str
    norm: arb
    minimum: Fraction
    gap_lower: Fraction | None
    lam: tuple[Fraction, ...] | None
    signs: tuple[int, ...] | None
    evidence: str


def z_enclosure(centre: Sequence[Fraction], radius: Fraction, activation: str) -> list[arb]:
    """Balls containing sigma(u_k v_k) for every (u, v) in the box around B(centre, radius)."""
    n = len(centre) // 2
    out = []
    for k in range(n):
        u = to_arb(centre[k]).union(to_arb(centre[k] - radius)).union(to_arb(centre[k] + radius))
        v = to_arb(centre[n + k]).union(to_arb(centre[n + k] - radius)).union(
            to_arb(centre[n + k] + radius))
        s = u * v
        out.append(s.tanh() if activation == "tanh" else s)
    return out


def decide_minimality(A: Sequence[Sequence[Fraction]], y: Sequence[Fraction],
                      centre: Sequence[Fraction], radius: Fraction, activation: str,
                      solution: L1Solution | None = None) -> MinimalityDecision:
    """Decide whether X_inf = Phi diag(sigma(u v)) Psi^T, (u, v) in B(centre, radius) a limit of
    zero loss, is the minimal-nuclear-norm solution (see the module docstring).

    Guarantee: PROVED / REFUTED from exact rationals and ball arithmetic only.
    """
    n = len(A[0])
    if len(centre) != 2 * n or radius <= 0:
        raise InvalidArgument(f"centre, radius: expected {2 * n} coordinates and a positive radius")
    sol = solution if solution is not None else l1_minimum(A, y)
    with precision(DECISION_PREC):
        zs = z_enclosure(centre, Fraction(radius), activation)
        norm = arb(0)
        for z in zs:
            norm = norm + abs(z)
        lo = arb_to_fraction(arb(norm.lower()))
        if sol.unique:
            inside = all(bool(z.contains(to_arb(dk))) for z, dk in zip(zs, sol.d, strict=True))
            if not inside:
                return MinimalityDecision(Verdict.INCONCLUSIVE, "undecided", norm, sol.value,
                                          None, None, None,
                                          "rank A = n but the ball's z does not contain d*: the "
                                          "limit ball is inconsistent with zero loss")
            return MinimalityDecision(
                Verdict.PROVED, "unique", norm, sol.value, None, sol.lam, None,
                f"rank A = n = {n}: A z = y has the single solution d*, so the zero-loss limit is "
                f"d* and |X_inf|_* = |d*|_1 = {float(sol.value):.12g} is minimal")
        if bool(norm > to_arb(sol.value)):
            gap = lo - sol.value
            return MinimalityDecision(
                Verdict.REFUTED, "gap", norm, sol.value, gap, sol.lam, None,
                f"|X_inf|_* >= {float(lo):.12g} > {float(sol.value):.12g} = min |X|_* on the whole "
                f"limit ball (gap >= {float(gap):.4g})")
        signs = []
        for z in zs:
            signs.append(1 if z > 0 else -1 if z < 0 else 0)
        if all(signs):
            lam = solve_consistent(_transpose([list(map(Fraction, r)) for r in A]),
                                   [Fraction(s) for s in signs])
            if lam is not None:
                return MinimalityDecision(
                    Verdict.PROVED, "kkt", norm, sol.value, None, tuple(lam), tuple(signs),
                    f"every z_k has a certified sign on the ball and A^T lambda = sign(z) is "
                    f"solvable: |X_inf|_* = lambda . y = min = {float(sol.value):.12g}")
    return MinimalityDecision(Verdict.INCONCLUSIVE, "undecided", norm, sol.value, None, None,
                              None, f"|z|_1 on the ball is in [{float(norm.lower()):.12g}, "
                              f"{float(norm.upper()):.12g}], min = {float(sol.value):.12g}: "
                              "neither a strict gap nor certified KKT signs")
