"""The ``trajectory`` obligation: replay a validated enclosure of theta(T) (standard library).

Mathematics (docs/validated.md). The flow d theta/dt = -grad L_S is re-derived here from the
certificate's own model and dataset. With the relu atoms of the residuals enumerated in a fixed
order (residual by residual, each residual's relu calls in preorder, repeated arguments once),
a pattern is one sign (+1 active, -1 inactive) per atom; substituting relu(z) -> z or 0 gives the
smooth residuals and field F_P of the pattern. Where every atom argument has the certain sign of
P, the true field equals F_P (relu'(0) = 0 makes z = 0 inactive; a set of times of measure
zero does not change the solution).

Segment method ``affine`` (F_P(theta) = -H theta + b, checked exactly by polynomial normal
form): with u = (theta, 1) and M = [[-H, b], [0, 0]], u(t) = exp(t M) u(0). The checker encloses
exp(t M) by a Taylor sum with an explicit remainder bound and scaling and squaring, all in
outward-rounded rational intervals, and for every listed time interval [ta, tb] (contiguous
from 0) checks that every atom has its pattern sign on the enclosure
exp(ta M) exp([0, tb - ta] M) u(0). A segment ends either at a stop time (its end box is
exp(t M) u(0)) or at a certified switch of one atom k in a bracket [ta, tb]:
  * the other atoms keep their signs on the bracket enclosure W;
  * dz_k/dt = grad z_k . F_P has the certain sign -s on W (strictly monotone crossing);
  * z_k has sign s at time t1 and -s at time t2 (ta <= t1 <= t2 <= tb), so every trajectory
    crosses z_k = 0 exactly once, at a time in [t1, t2];
  * the switch box exp(t1 M) exp([0, t2 - t1] M) u(0) contains theta at the crossing.
The next segment must use the pattern with atom k flipped and declare ``"just_switched": k``:
on its first time intervals atom k may be undecided provided dz_k/dt has the certain sign -s
under the new field (every trajectory leaves z_k = 0 to the correct side).

Segment method ``taylor`` (validated Taylor steps with a Lohner set c + A r; each step
replays the Picard inclusion of its stated box, 4 refinements giving the a priori box E, the
Taylor part with Lagrange remainder and the mean-value/QR update). Every atom must have its
pattern sign on every E; the atom named by ``just_switched`` (the one the previous segment
switched to sign s') may instead have dz/dt = grad z . F_P of the certain sign s' on E (every
trajectory leaves z = 0 to the side s' and cannot come back during the step). The segment ends
at a stop (``end`` absent, as in older certificates, or ``{"kind": "stop"}``) or in a crossing
of atom k, ``"end": {"kind": "switch", "atom": k}``: its LAST step is then a crossing step, on
whose a priori box E (of the smooth flow of P over [0, h])
  * every other atom keeps its sign (or leaves z = 0 as above);
  * dz_k/dt = grad z_k . F_P has the certain sign -s;
  * z_k has sign s on the step's start set (the hull of c + A r) and -s on its end enclosure;
so every trajectory crosses z_k = 0 exactly once inside the step, the true flow equals the
P-flow up to that crossing, and the state at the crossing lies in E: E is the start box of the
next segment, which must use the flipped pattern and declare ``"just_switched": k`` (it may be
affine or Taylor; an affine switch may equally be followed by a Taylor segment).

After an accepted replay, ``ctx.patterns[id]`` (when the context has that dict) receives the
certified pattern sequence, one tuple of atom signs per segment in time order.

The obligation establishes ``reach``: theta(T) lies in the claimed box for some T >= 0, which
``pl-endgame`` then uses as its start box. Replay only: nothing is searched.
"""

from __future__ import annotations

import functools
import json
import math
from fractions import Fraction
from typing import Any

from igproof.checker import expr as ex
from igproof.checker import intervals as iv
from igproof.checker.context import (
    MAX_PARAMETERS,
    MAX_POINTS,
    Context,
    box,
    integer,
    matrix,
    number,
    obj,
    vector,
)
from igproof.checker.errors import Rejected

# Replays accepted in this process, by everything a replay depends on (the parameter names, the
# residuals of the dataset, the start box and the segments, canonically): a certificate that
# lists a trajectory another certificate already listed verbatim (the two tanh zhang2023
# certificates share theirs) is not integrated twice. Replay is a pure function of that key;
# failures are never stored. At most MAX_REPLAYED entries (then the memo starts afresh).
MAX_REPLAYED = 64
_REPLAYED: dict[str, Vector] = {}


def clear_memo() -> None:
    """Forget every replay and enclosed constant kept in this process (the next check is cold).

    Results never depend on these caches; benchmarks clear them between repeats so that they
    time the checker, not the memo.
    """
    _REPLAYED.clear()
    _expm.cache_clear()
    _point_matrix.cache_clear()
    _reciprocal.cache_clear()

# Most segments and time intervals one obligation may list (bounds the replay work).
MAX_SEGMENTS = 16
MAX_INTERVALS = 2000
# Taylor terms of exp(A) after scaling A to norm <= 2^-EXP_SCALE_BITS: 2^-(8k)/k! is far below
# the interval precision for k = EXP_TERMS.
EXP_SCALE_BITS = 8
EXP_TERMS = 16
# Largest ||t M||_inf accepted (2^20 squarings would be absurd for an honest certificate).
MAX_EXP_NORM = Fraction(2) ** 20

# Range enclosures over [0, dt]: largest ||M|| dt, most Taylor terms, and the tail bound at which
# the sum stops (relative to ||v||; far below any width a sign test needs).
RANGE_MAX_NORM = Fraction(4)
RANGE_MAX_TERMS = 120
RANGE_TAIL = Fraction(1, 2 ** 60)
# Weight of the constant coordinate of u = (theta, 1) in the range norm (see flow_range).
RANGE_WEIGHT = Fraction(1, 2 ** 16)

# Highest Taylor order accepted, and the Picard refinements the replay applies to a verified
# a priori box (the same deterministic map as the producer: each image stays an enclosure).
MAX_TAYLOR_ORDER = 60
PICARD_REFINEMENTS = 4
# Matrix exponentials kept between calls (each costs ~30 interval matrix products).
EXPM_CACHE_SIZE = 256
# Longest claimed sign sequence of a gf-switches statement: a trajectory obligation has at most
# 16 segments, so no honest claim is longer; the bound keeps the canonical text short.
MAX_SEQUENCE = 16
SIGN_WORDS = {1: "active", -1: "inactive"}

Vector = list[iv.Interval]
Matrix = list[list[iv.Interval]]
_Z = iv.ZERO
_I1 = iv.ONE
_TWO = iv.Interval.point(2)


# --- patterns and fields ----------------------------------------------------------------------

def smooth_residuals(residuals: list[tuple], atoms: list[tuple], signs: list[int]
                     ) -> list[tuple]:
    """The residuals of one activation pattern: relu(z_k) -> z_k where s_k = 1, 0 where
    s_k = -1."""
    mapping = {z: (z if s > 0 else ex.ZERO) for z, s in zip(atoms, signs, strict=True)}

    def branch(call: tuple, _arg: tuple) -> tuple | None:  # relu(z) -> mapping[z]
        if call[1] != "relu":
            return None
        if call[2] not in mapping:
            raise Rejected("pattern: a relu argument is not among the atoms")
        return mapping[call[2]]

    return [ex.rebuild(r, branch) for r in residuals]


class Pattern:
    """The smooth residuals and field of one activation pattern."""

    def __init__(self, ctx: Context, residuals: list[tuple], atoms: list[tuple],
                 signs: list[int]) -> None:
        self.signs = signs
        self.atoms = atoms
        self.residuals = smooth_residuals(residuals, atoms, signs)
        self.field = ex.loss_gradient(self.residuals, ctx.parameters, Fraction(-1, len(residuals)))
        self.atom_grads = [ex.gradient(z, ctx.parameters) for z in atoms]


def _signs(value: object, where: str, count: int, most: int | None = None) -> list[int]:
    """A list of ``count`` (to ``most``) signs 1 or -1."""
    most = count if most is None else most
    if not isinstance(value, list) or not count <= len(value) <= most:
        raise Rejected(f"{where}: expected {count if most == count else f'{count} to {most}'} "
                       "signs")
    for k, s in enumerate(value):
        if isinstance(s, bool) or s not in (1, -1):
            raise Rejected(f"{where}[{k}]: expected 1 or -1")
    return list(value)


# --- interval linear algebra: the fused dot product --------------------------------------------

def _product(x: iv.Interval, y: iv.Interval) -> tuple[int, int, int]:
    """The exact product interval [lo, hi] * 2^e of x and y (mantissas not cut)."""
    lo, hi = iv.corners(x.lo_m, x.hi_m, y.lo_m, y.hi_m)
    return lo, hi, x.e + y.e


# Largest spread (bits) between the exponents of the exact products that dot() sums exactly;
# beyond it the products far below the largest are first rounded outward (bounds integer sizes
# on hostile exponents; the sum is cut to PREC bits anyway).
DOT_SPREAD = 2 * iv.PREC + iv.ALIGN_GUARD


def dot(xs: list[iv.Interval], ys: list[iv.Interval]) -> iv.Interval:
    """sum_k xs[k] * ys[k], rounded outward once at the end.

    One pass: each exact product (:func:`_corners`, one to four integer products) is added to
    exact running sums of the lower and upper ends kept at the smallest exponent seen so far
    (earlier sums are shifted left, exactly, when a smaller exponent appears). The only
    rounding is the final outward cut to PREC bits. When the exponents spread over more than
    DOT_SPREAD bits the sum is redone by :func:`_dot_spread`, which first rounds the products
    far below the largest outward. Guarantee: enclosure.
    """
    lo_sum = hi_sum = 0
    exp = top = None
    for x, y in zip(xs, ys, strict=True):
        a, b, c, d = x.lo_m, x.hi_m, y.lo_m, y.hi_m
        # inline copy of _corners (the hot loop of the Taylor replay)
        if a >= 0:
            if c >= 0:
                lo, hi = a * c, b * d
            elif d <= 0:
                lo, hi = b * c, a * d
            else:
                lo, hi = b * c, b * d
        elif b <= 0:
            if c >= 0:
                lo, hi = a * d, b * c
            elif d <= 0:
                lo, hi = b * d, a * c
            else:
                lo, hi = a * d, a * c
        elif c >= 0:
            lo, hi = a * d, b * d
        elif d <= 0:
            lo, hi = b * c, a * c
        else:
            lo, hi = a * d, b * c
            if hi < lo:
                lo = hi
            hi, p = a * c, b * d
            if p > hi:
                hi = p
        if not (lo or hi):  # a zero operand: its exponent must not steer the alignment
            continue
        e = x.e + y.e
        if e == exp:
            lo_sum += lo
            hi_sum += hi
        elif exp is None:
            lo_sum, hi_sum, exp, top = lo, hi, e, e
        elif e > exp:
            if e > top:
                top = e
                if top - exp > DOT_SPREAD:
                    return _dot_spread(xs, ys)
            lo_sum += lo << (e - exp)
            hi_sum += hi << (e - exp)
        else:
            if top - e > DOT_SPREAD:
                return _dot_spread(xs, ys)
            lo_sum = (lo_sum << (exp - e)) + lo
            hi_sum = (hi_sum << (exp - e)) + hi
            exp = e
    if exp is None:
        return iv.ZERO
    return iv.cut(lo_sum, hi_sum, exp)


def _dot_spread(xs: list[iv.Interval], ys: list[iv.Interval]) -> iv.Interval:
    """dot() for products whose exponents spread over more than DOT_SPREAD bits.

    The sum is kept at the exponent 2 PREC + ALIGN_GUARD bits below the top of the largest
    product; products below it are rounded outward (floor of the lower end, ceiling of the
    upper end) before summing. Guarantee: enclosure.
    """
    terms = [_product(x, y) for x, y in zip(xs, ys, strict=True)
             if (x.lo_m or x.hi_m) and (y.lo_m or y.hi_m)]
    if not terms:
        return iv.ZERO
    exp = min(t[2] for t in terms)
    top = max(max(-lo, hi).bit_length() + e for lo, hi, e in terms)
    exp = max(exp, top - DOT_SPREAD)
    lo_sum = hi_sum = 0
    for lo, hi, e in terms:
        if e >= exp:
            lo_sum += lo << (e - exp)
            hi_sum += hi << (e - exp)
        else:
            lo_sum += lo >> (exp - e)
            hi_sum -= (-hi) >> (exp - e)
    return iv.cut(lo_sum, hi_sum, exp)


# --- interval linear algebra --------------------------------------------------------------------

def _matmul(a: Matrix, b: Matrix) -> Matrix:
    n, m, p = len(a), len(b), len(b[0])
    out = []
    for i in range(n):
        out.append([dot(a[i], [b[k][j] for k in range(m)]) for j in range(p)])
    return out


def _matvec(a: Matrix, v: Vector) -> Vector:
    return [dot(row, v) for row in a]


def expm(M: list[list[Fraction]], t: iv.Interval) -> Matrix:
    """Cached :func:`_expm` (the same time steps recur along a trajectory)."""
    return _expm(tuple(map(tuple, M)), t.lo_m, t.hi_m, t.e)


@functools.lru_cache(maxsize=EXPM_CACHE_SIZE)
def _expm(M: tuple[tuple[Fraction, ...], ...], lo_m: int, hi_m: int, e: int) -> Matrix:
    """An interval matrix containing exp(s M) for every s in t = [lo_m, hi_m] 2^e.

    A = t M scaled by 2^-j to ||A||_inf <= 2^-EXP_SCALE_BITS; sum_{k<K} A^k/k! plus the tail
    bound ||A||^K / K! / (1 - ||A||/(K+1)) on every entry; then j squarings.
    """
    n = len(M)
    t = iv.raw(lo_m, hi_m, e)
    A = [[iv.Interval(q) * t for q in row] for row in M]
    norm = max(sum((x.magnitude() for x in row), Fraction(0)) for row in A)
    if norm > MAX_EXP_NORM:
        raise Rejected(f"exp(tM): ||tM|| = {float(norm):.3g} is too large")
    j = 0
    target = Fraction(1, 2 ** EXP_SCALE_BITS)
    while norm > target:
        norm /= 2
        j += 1
    scale = iv.Interval.point(Fraction(1, 2 ** j))
    B = [[x * scale for x in row] for row in A]
    ident = [[_I1 if i == k else _Z for k in range(n)] for i in range(n)]
    total = [row[:] for row in ident]
    term = ident
    for k in range(1, EXP_TERMS):
        term = _matmul(term, B)
        term = [[x * _reciprocal(k) for x in row] for row in term]
        total = [[x + y for x, y in zip(r1, r2, strict=True)]
                 for r1, r2 in zip(total, term, strict=True)]
    fact = Fraction(1)
    for k in range(2, EXP_TERMS + 1):
        fact *= k
    tail = norm ** EXP_TERMS / fact / (1 - norm / (EXP_TERMS + 1))
    slack = iv.Interval(-tail, tail)
    total = [[x + slack for x in row] for row in total]
    for _ in range(j):
        total = _matmul(total, total)
    return total


@functools.lru_cache(maxsize=EXPM_CACHE_SIZE)
def _point_matrix(M: tuple[tuple[Fraction, ...], ...]) -> Matrix:
    """M with every entry enclosed as a dyadic interval (kept between calls, bounded cache)."""
    return [[iv.Interval(q) for q in row] for row in M]


def flow_range(M: list[list[Fraction]], v: Vector, dt: Fraction
               ) -> Vector:
    """An interval vector containing exp(s M) v for every s in [0, dt].

    exp(s M) v = sum_k (s^k / k!) M^k v. The terms k < K are enclosed with s^k/k! in
    [0, dt^k/k!]; the rest is bounded in the weighted norm |x|_w = max_i |x_i| / w_i with
    w = (1, ..., 1, RANGE_WEIGHT) (the last coordinate of u = (theta, 1) is the constant 1, so
    this weight keeps the offset b from inflating the norm): |tail|_w <= a^K / K! /
    (1 - a / (K+1)) |v|_w, a = dt ||M||_w, and |x_i| <= w_i |x|_w on each coordinate.
    Intervals with a > RANGE_MAX_NORM are split into equal pieces (deterministically).
    """
    n = len(M)
    w = [Fraction(1)] * (n - 1) + [RANGE_WEIGHT]
    norm_m = max(sum((abs(q) * w[j] for j, q in enumerate(row)), Fraction(0)) / w[i]
                 for i, row in enumerate(M))
    a = norm_m * dt
    if a > RANGE_MAX_NORM:
        pieces = math.ceil(a / RANGE_MAX_NORM)
        if pieces > MAX_INTERVALS:
            raise Rejected(f"time interval of length {float(dt):.3g} too long for ||M|| = "
                           f"{float(norm_m):.3g}")
        piece = dt / pieces
        step = expm(M, iv.Interval.point(piece))
        out: Vector | None = None
        current = list(v)
        for _ in range(pieces):
            part = flow_range(M, current, piece)
            out = part if out is None else [x.hull(y) for x, y in zip(out, part, strict=True)]
            current = _matvec(step, current)
        assert out is not None
        return out
    vnorm = max(x.magnitude() / wi for x, wi in zip(v, w, strict=True))
    Mi = _point_matrix(tuple(map(tuple, M)))
    dt_d, a_d = iv.Interval.point(dt), iv.Interval.point(a)
    threshold = iv.Interval.point(RANGE_TAIL * max(vnorm, Fraction(1)))
    out = list(v)
    term = list(v)
    coef = iv.ONE  # encloses dt^k / k!
    bound = iv.Interval.point(vnorm)  # encloses a^k / k! |v|_w
    k = 0
    while k < RANGE_MAX_TERMS:
        k += 1
        term = _matvec(Mi, term)
        inv_k = _reciprocal(k)
        coef = coef * dt_d * inv_k
        scale = iv.raw(0, coef.hi_m, coef.e)  # s^k/k! over s in [0, dt], coef.hi_m > 0
        out = [o + x * scale for o, x in zip(out, term, strict=True)]
        bound = bound * a_d * inv_k
        if bound.certainly_less(threshold):
            break
    tail = bound.hi * a / (k + 1) / (1 - a / (k + 2))
    return [o + iv.Interval(-(tail * wi), tail * wi) for o, wi in zip(out, w, strict=True)]


# --- the obligation ---------------------------------------------------------------------------

def _time_pair(value: object, where: str) -> tuple[Fraction, Fraction]:
    if not isinstance(value, list) or len(value) != 2:
        raise Rejected(f"{where}: expected a pair [t1, t2]")
    a, b = number(value[0], f"{where}[0]"), number(value[1], f"{where}[1]")
    if not a <= b:
        raise Rejected(f"{where}: {a} > {b}")
    return a, b


def _affine_matrix(ctx: Context, pat: Pattern, where: str) -> list[list[Fraction]]:
    p = ctx.p
    rows = []
    for k, f in enumerate(pat.field):
        poly = ex.polynomial(f, ctx.parameters)
        row = [Fraction(0)] * (p + 1)
        for mono, c in poly.items():
            deg = sum(mono)
            if deg == 0:
                row[p] = c
            elif deg == 1:
                row[mono.index(1)] = c
            else:
                raise Rejected(f"{where}: field component {k} is not affine on this pattern")
        rows.append(row)
    rows.append([Fraction(0)] * (p + 1))
    return rows


def _env(ctx: Context, theta: Vector) -> dict[str, iv.Interval]:
    """The box theta as rational intervals (exact conversion) for :func:`expr.evaluate`."""
    return {name: x for name, x in zip(ctx.parameters, theta, strict=True)}


def _atom_value(ctx: Context, pat: Pattern, k: int, theta: Vector) -> iv.Interval:
    return ex.evaluate(pat.atoms[k], _env(ctx, theta))


def _atom_rate(ctx: Context, pat: Pattern, k: int, theta: Vector) -> iv.Interval:
    env = _env(ctx, theta)
    s = iv.Interval.point(Fraction(0))
    for g, f in zip(pat.atom_grads[k], pat.field, strict=True):
        gv = ex.evaluate(g, env)
        if not gv.is_zero():
            s = s + gv * ex.evaluate(f, env)
    return s


def _end(end: object, where: str, switch_fields: tuple[str, ...], atoms: int) -> int | None:
    """The atom a segment's ``end`` switches ({"kind": "switch", "atom": k, ...}), or None for
    {"kind": "stop"}."""
    if not isinstance(end, dict) or end.get("kind") not in ("stop", "switch"):
        raise Rejected(f"{where}.end: expected {{'kind': 'stop'}} or a switch")
    if end["kind"] == "stop":
        obj(end, f"{where}.end", ("kind",))
        return None
    obj(end, f"{where}.end", ("kind",), switch_fields)
    return integer(end.get("atom"), f"{where}.end.atom", 0, atoms - 1)


def _has_sign(x: iv.Interval, s: int) -> bool:
    return x.certainly_positive() if s > 0 else x.certainly_negative()


def _replay_affine(ctx: Context, seg: dict, where: str, start: Vector,
                   pat: Pattern, leaving: int | None
                   ) -> tuple[Vector, int | None, list[int] | None]:
    """Replay one affine segment; returns (end box, switched atom or None, new signs)."""
    M = _affine_matrix(ctx, pat, where)
    p = ctx.p
    u0 = [*start, _I1]
    intervals = seg.get("intervals")
    if not isinstance(intervals, list) or len(intervals) > MAX_INTERVALS:
        raise Rejected(f"{where}.intervals: expected a list of at most {MAX_INTERVALS} pairs")
    phi = [[_I1 if i == k else _Z for k in range(p + 1)] for i in range(p + 1)]
    t = Fraction(0)
    for m, pair in enumerate(intervals):
        ta, tb = _time_pair(pair, f"{where}.intervals[{m}]")
        if ta != t or tb <= ta:
            raise Rejected(f"{where}.intervals[{m}]: not contiguous from time 0")
        P_dt = expm(M, iv.Interval(tb - ta))
        W = flow_range(M, _matvec(phi, u0), tb - ta)[:p]
        for k, s in enumerate(pat.signs):
            if _has_sign(_atom_value(ctx, pat, k, W), s):
                if k == leaving:
                    leaving = None
                continue
            if k == leaving and _has_sign(_atom_rate(ctx, pat, k, W), s):
                continue
            raise Rejected(f"{where}.intervals[{m}]: relu atom {k} does not keep sign {s} on "
                           f"the enclosure over [{float(ta):.6g}, {float(tb):.6g}]")
        phi = _matmul(phi, P_dt)
        t = tb
    end = seg.get("end")
    k = _end(end, where, ("atom", "bracket", "time"), len(pat.signs))
    if k is None:
        return _matvec(phi, u0)[:p], None, None
    ta, tb = _time_pair(end.get("bracket"), f"{where}.end.bracket")
    t1, t2 = _time_pair(end.get("time"), f"{where}.end.time")
    if ta != t or not ta <= t1 <= t2 <= tb or tb <= ta:
        raise Rejected(f"{where}.end: bracket must start at the last interval's end and "
                       "contain the switching time")
    s = pat.signs[k]
    W = flow_range(M, _matvec(phi, u0), tb - ta)[:p]
    for j, sj in enumerate(pat.signs):
        if j != k and not _has_sign(_atom_value(ctx, pat, j, W), sj):
            raise Rejected(f"{where}.end: atom {j} changes sign in the switching bracket")
    if not _has_sign(_atom_rate(ctx, pat, k, W), -s):
        raise Rejected(f"{where}.end: dz/dt of atom {k} is not certainly of sign {-s} on the "
                       "bracket (no certified transversal crossing)")

    def at(time: Fraction) -> Vector:
        return _matvec(_matmul(phi, expm(M, iv.Interval.point(time - ta))), u0)

    u1 = at(t1)
    if not _has_sign(_atom_value(ctx, pat, k, u1[:p]), s):
        raise Rejected(f"{where}.end.time: atom {k} is not certainly of sign {s} at t1")
    if not _has_sign(_atom_value(ctx, pat, k, at(t2)[:p]), -s):
        raise Rejected(f"{where}.end.time: atom {k} is not certainly of sign {-s} at t2")
    switch_box = flow_range(M, u1, t2 - t1)[:p]
    new = list(pat.signs)
    new[k] = -s
    return switch_box, k, new


# --- validated Taylor (Lohner) segments ----------------------------------------------------

def joint_field(field: list[tuple], names: list[str]) -> list[tuple]:
    """The flow with its variational equation: (F, DF V), (DF V)_ij = sum_k dF_i/dtheta_k V_kj
    (p + p^2 components; V_kj named _V{k p + j})."""
    p = len(names)
    jac = [[ex.diff(f, q) for q in names] for f in field]
    joint = list(field)
    for i in range(p):
        for j in range(p):
            total = ex.ZERO
            for k in range(p):
                total = ex.add(total, ex.mul(jac[i][k], ("var", f"_V{k * p + j}")))
            joint.append(total)
    return joint


class FieldProgram:
    """The ASTs F_1..F_m as a DAG in topological order (structurally equal nodes shared)."""

    def __init__(self, names: list[str], exprs: list[tuple]) -> None:
        self.index: dict[tuple, int] = {}
        self.nodes: list[tuple] = []
        self.names = names
        for k, name in enumerate(names):
            self._add(("var", name), ("var", k))
        self.outputs = [self._compile(e) for e in exprs]
        # constants enclosed once (outward) instead of at every evaluation
        self.consts = [iv.Interval.point(op[1]) if op[0] == "num" else None for op in self.nodes]

    def _add(self, key: tuple, op: tuple) -> int:
        if key not in self.index:
            if len(self.nodes) >= ex.MAX_NODES:
                raise Rejected("field program too large")
            self.index[key] = len(self.nodes)
            self.nodes.append(op)
        return self.index[key]

    def _compile(self, node: tuple) -> int:
        if node in self.index:
            return self.index[node]
        tag = node[0]
        if tag == "num":
            return self._add(node, ("num", node[1]))
        if tag == "var":
            raise Rejected(f"field: unknown name {node[1]!r}")
        if tag == "neg":
            return self._add(node, ("neg", self._compile(node[1])))
        if tag == "mul" and node[1][0] == "num":  # constant factor: one product per order
            return self._add(node, ("cmul", self._compile(node[1]), self._compile(node[2])))
        if tag == "mul" and node[2][0] == "num":
            return self._add(node, ("cmul", self._compile(node[2]), self._compile(node[1])))
        if tag in ("add", "sub", "mul"):
            return self._add(node, (tag, self._compile(node[1]), self._compile(node[2])))
        if tag == "div":
            if node[2][0] != "num" or node[2][1] == 0:
                raise Rejected("field: Taylor replay divides only by non-zero constants")
            return self._add(node, ("mul", self._compile(node[1]),
                                    self._compile(("num", 1 / node[2][1]))))
        if tag == "pow":
            if node[2] < 1:
                raise Rejected("field: Taylor replay needs positive integer powers")
            base = self._compile(node[1])
            acc = base
            for e in range(2, node[2] + 1):
                acc = self._add(("pow", node[1], e), ("mul", acc, base))
            return acc
        if tag == "call" and node[1] in ("tanh", "exp"):
            return self._add(node, (node[1], self._compile(node[2])))
        raise Rejected(f"field: {node[0]} {node[1] if tag == 'call' else ''} is not supported "
                       "by the Taylor replay (+ - * /const ^n tanh exp are)")

    def taylor(self, x0: Vector, order: int) -> list[Vector]:
        """Normalized Taylor coefficients [x_i[0..order]] of x' = F(x), x(0) = x0 (intervals)."""
        c: list[Vector] = [[x] for x in x0] + [[] for _ in self.nodes[len(x0):]]
        aux: dict[int, Vector] = {}
        scaled: dict[int, Vector] = {}
        for m in range(order):
            self._coefficients(c, m, aux, scaled)
            for k, o in enumerate(self.outputs):
                c[k].append(c[o][m] * _reciprocal(m + 1))
        return [c[k][: order + 1] for k in range(len(x0))]

    def evaluate(self, x: Vector) -> Vector:
        """F(x), the outputs' coefficients of order 0. Guarantee: enclosure."""
        c: list[Vector] = [[v] for v in x] + [[] for _ in self.nodes[len(x):]]
        self._coefficients(c, 0, {}, {})
        return [c[o][0] for o in self.outputs]

    def _coefficients(self, c: list[Vector], m: int, aux: dict[int, Vector],
                      scaled: dict[int, Vector]) -> None:
        """Append the normalized Taylor coefficient of order m of every node to ``c``, given the
        coefficients 0..m of the variables and 0..m-1 of every node (``aux``, ``scaled``:
        the series kept by tanh and exp nodes)."""
        consts = self.consts
        for idx, op in enumerate(self.nodes):
            kind = op[0]
            if kind == "var":
                continue
            if kind == "cmul":
                c[idx].append(consts[op[1]] * c[op[2]][m])
            elif kind == "num":
                c[idx].append(consts[idx] if m == 0 else _Z)
            elif kind == "neg":
                c[idx].append(-c[op[1]][m])
            elif kind == "add":
                c[idx].append(c[op[1]][m] + c[op[2]][m])
            elif kind == "sub":
                c[idx].append(c[op[1]][m] - c[op[2]][m])
            elif kind == "mul":
                u, v = c[op[1]], c[op[2]]
                c[idx].append(dot(u[: m + 1], v[m::-1]) if m else u[0] * v[0])
            elif kind == "exp":  # w' = u' w: m w_m = sum_{j=1..m} j u_j w_{m-j}
                u, w = c[op[1]], c[idx]
                if m == 0:
                    w.append(iv.exp(u[0]))
                else:
                    du = _scaled(scaled, op[1], u, m)
                    w.append(dot(du[1:m + 1], w[m - 1::-1]) * _reciprocal(m))
            else:  # tanh: w' = s u' with s = 1 - w^2: m w_m = sum_{j=1..m} j u_j s_{m-j}
                # (s_0 = 1 - w_0^2 enclosed as one factor: writing m u_m (1 - w_0^2) as
                # m u_m - m u_m w_0^2 would double the width of every order's leading term)
                u, w = c[op[1]], c[idx]
                s = aux.setdefault(idx, [])
                if m == 0:
                    w.append(iv.tanh(u[0]))
                    s.append(_I1 - w[0].sqr())
                else:
                    du = _scaled(scaled, op[1], u, m)
                    w.append(dot(du[1:m + 1], s[m - 1::-1]) * _reciprocal(m))
                    s.append(-_square_coefficient(w, m))


def _square_coefficient(w: Vector, m: int) -> iv.Interval:
    """(w^2)_m = sum_{j=0..m} w_j w_{m-j}, as 2 sum_{j<m/2} w_j w_{m-j} (+ w_{m/2}^2): the
    same set as the full sum term by term, and the middle square is enclosed as a square."""
    half = (m + 1) // 2
    total = dot(w[:half], w[m:m - half:-1]) * _TWO if half else _Z
    if m % 2 == 0:
        total = total + w[m // 2].sqr()
    return total


def _scaled(cache: dict[int, Vector], idx: int, u: Vector, m: int) -> Vector:
    """[j u_j for j = 0..m] (exact integer scalings), extended as the order grows."""
    du = cache.setdefault(idx, [])
    while len(du) <= m:
        j = len(du)
        du.append(iv.raw(j, j, 0) * u[j])
    return du


@functools.cache
def _reciprocal(k: int) -> iv.Interval:
    """The enclosure of 1/k (k >= 1), kept between calls."""
    return iv.Interval(Fraction(1, k))


def _horner(coeffs: Vector, h: iv.Interval) -> iv.Interval:
    total = coeffs[-1]
    for cf in reversed(coeffs[:-1]):
        total = total * h + cf
    return total


def _inverse_enclosure(A: list[list[Fraction]], where: str) -> Matrix:
    """An interval matrix containing A^{-1}: R = A^T, D = I - R A (exact), ||D||_inf < 1, then
    A^{-1} = (I - D)^{-1} R lies within ||D|| ||R|| / (1 - ||D||) of R, entrywise."""
    n = len(A)
    R = [[A[j][i] for j in range(n)] for i in range(n)]
    D = [[(1 if i == j else 0) - sum(R[i][k] * A[k][j] for k in range(n)) for j in range(n)]
         for i in range(n)]
    dn = max(sum(abs(x) for x in row) for row in D)
    if not dn < Fraction(1, 2):
        raise Rejected(f"{where}: the coordinate matrix is not close to orthogonal")
    rn = max(sum(abs(x) for x in row) for row in R)
    err = iv.Interval(dn * rn / (1 - dn)).hi
    return [[iv.Interval(x - err, x + err) for x in row] for row in R]


def _replay_taylor(ctx: Context, seg: dict, where: str, start: Vector,
                   pat: Pattern, leaving: int | None
                   ) -> tuple[Vector, int | None, list[int] | None]:
    """Replay one Taylor segment; returns (end box, switched atom or None, new signs).

    ``leaving``: the atom switched by the previous segment (undecided allowed where its dz/dt
    under this pattern's field has the certain pattern sign). With ``end = {"kind": "switch",
    "atom": k}`` the last step is a crossing step and the end box is its a priori box E.
    """
    p = ctx.p
    order = integer(seg.get("order"), f"{where}.order", 1, MAX_TAYLOR_ORDER)
    sens = integer(seg.get("sensitivity_order"), f"{where}.sensitivity_order", 1,
                   MAX_TAYLOR_ORDER)
    steps = seg.get("steps")
    if not isinstance(steps, list) or not 1 <= len(steps) <= MAX_INTERVALS:
        raise Rejected(f"{where}.steps: expected 1 to {MAX_INTERVALS} steps")
    crossing = _end(seg.get("end", {"kind": "stop"}), where, ("atom",), len(pat.signs))
    names = list(ctx.parameters)
    vnames = [f"_V{k}" for k in range(p * p)]
    prog_x = FieldProgram(names, list(pat.field))
    prog_xv = FieldProgram(names + vnames, joint_field(pat.field, names))
    atoms = [FieldProgram(names, [z]) for z in pat.atoms]
    ident = [_I1 if i == j else _Z for i in range(p) for j in range(p)]
    # the set {c + A r}
    c = [iv.Interval.point(x.midpoint()) for x in start]
    A = [[Fraction(1 if i == j else 0) for j in range(p)] for i in range(p)]
    r = [x - cc for x, cc in zip(start, c, strict=True)]
    for m, st in enumerate(steps):
        try:
            w = f"{where}.steps[{m}]"
            if not isinstance(st, dict) or set(st) != {"h", "picard", "A"}:
                raise Rejected(f"{w}: expected fields h, picard, A")
            h = number(st["h"], f"{w}.h")
            if h <= 0:
                raise Rejected(f"{w}.h: must be positive")
            trial = [iv.Interval(lo, hi)
                     for lo, hi in box(st["picard"], p + p * p, f"{w}.picard")]
            A_new = matrix(st["A"], p, f"{w}.A")
            Ai = [[iv.Interval.point(q) for q in row] for row in A]
            X = [c[i] + dot(Ai[i], r) for i in range(p)]
            T = iv.Interval(Fraction(0), h)
            Y0 = X + ident
            G = prog_xv.evaluate(trial)
            image = [y + T * g for y, g in zip(Y0, G, strict=True)]
            if not all(im.inside(tr) for im, tr in zip(image, trial, strict=True)):
                raise Rejected(f"{w}.picard: Y0 + [0,h] G(box) is not inside the box")
            box_ = image
            for _ in range(PICARD_REFINEMENTS):
                G = prog_xv.evaluate(box_)
                box_ = [y + T * g for y, g in zip(Y0, G, strict=True)]
            E, Wv = box_[:p], box_[p:]
            cross = crossing if m == len(steps) - 1 else None
            for k, (prog_z, s) in enumerate(zip(atoms, pat.signs, strict=True)):
                if k == cross or _has_sign(prog_z.evaluate(E)[0], s):
                    continue
                if k == leaving and _has_sign(_atom_rate(ctx, pat, k, E), s):
                    continue  # leaving z_k = 0 towards sign s, cannot come back in the step
                raise Rejected(f"{w}: relu atom {k} does not keep sign {s} on the a priori box")
            if cross is not None:
                s = pat.signs[cross]
                if not _has_sign(atoms[cross].evaluate(X)[0], s):
                    raise Rejected(f"{w}: crossing atom {cross} is not certainly of sign {s} "
                                   "on the start set of the crossing step")
                if not _has_sign(_atom_rate(ctx, pat, cross, E), -s):
                    raise Rejected(f"{w}: dz/dt of crossing atom {cross} is not certainly of sign "
                                   f"{-s} on the a priori box (no certified transversal crossing)")
            hi_ = iv.Interval.point(h)
            cx = prog_x.taylor(c, order - 1)
            rx = prog_x.taylor(E, order)
            hN = hi_.power(order)
            y = [_horner(cx[i], hi_) + hN * rx[i][order] for i in range(p)]
            cv = prog_xv.taylor(X + ident, sens - 1)
            rv = prog_xv.taylor(E + Wv, sens)
            hM = hi_.power(sens)
            V = [[_horner(cv[p + i * p + j], hi_) + hM * rv[p + i * p + j][sens] for j in range(p)]
                 for i in range(p)]
            B = _matmul(V, Ai)
            Ainv = _inverse_enclosure(A_new, f"{w}.A")
            c_new = [iv.Interval.point(v.midpoint()) for v in y]
            z = [v - cn for v, cn in zip(y, c_new, strict=True)]
            C = _matmul(Ainv, B)
            zc = _matvec(Ainv, z)
            r = [zc[i] + dot(C[i], r) for i in range(p)]
            c, A = c_new, A_new
        except Rejected as exc:
            exc.step = m if exc.step is None else exc.step
            raise
    Ai = [[iv.Interval.point(q) for q in row] for row in A]
    final = [c[i] + dot(Ai[i], r) for i in range(p)]
    if crossing is None:
        return final, None, None
    s = pat.signs[crossing]
    if not _has_sign(atoms[crossing].evaluate(final)[0], -s):
        raise Rejected(f"{where}.steps[{len(steps) - 1}]: crossing atom {crossing} is not "
                       f"certainly of sign {-s} at the end of the crossing step",
                       step=len(steps) - 1)
    new = list(pat.signs)
    new[crossing] = -s
    return E, crossing, new


def _replay_key(ctx: Context, residuals: list[tuple], start_box: list, segments: list) -> str:
    """Everything the replay of a trajectory depends on, as one canonical string."""
    start = [[str(lo), str(hi)] for lo, hi in start_box]
    return json.dumps([ctx.parameters, repr(residuals), start, segments], sort_keys=True,
                      separators=(",", ":"))


def _replay(ctx: Context, residuals: list[tuple], start_box: list, segments: list) -> Vector:
    """The enclosure of theta at the end of the listed segments (raises Rejected on failure)."""
    atoms = ex.relu_atoms(residuals)
    current = [iv.Interval(lo, hi) for lo, hi in start_box]
    expected: list[int] | None = None
    switched: int | None = None
    for m, seg in enumerate(segments):
        try:
            where = f"segments[{m}]"
            if not isinstance(seg, dict):
                raise Rejected(f"{where}: expected an object")
            for key in seg:
                if key not in ("method", "pattern", "intervals", "end", "just_switched", "order",
                               "sensitivity_order", "steps"):
                    raise Rejected(f"{where}: unknown field {str(key)[:40]!r}")
            signs = _signs(seg.get("pattern"), f"{where}.pattern", len(atoms))
            if expected is not None and signs != expected:
                raise Rejected(f"{where}.pattern: must be the previous pattern with the switched "
                               "atom flipped")
            declared = seg.get("just_switched")
            if declared != switched and not (declared is None and switched is None):
                raise Rejected(f"{where}.just_switched: must name the atom switched by the "
                               "previous segment")
            pat = Pattern(ctx, residuals, atoms, signs)
            method = seg.get("method")
            if method == "affine":
                current, switched, expected = _replay_affine(ctx, seg, where, current, pat,
                                                             switched)
            elif method == "taylor":
                current, switched, expected = _replay_taylor(ctx, seg, where, current, pat,
                                                             switched)
            else:
                raise Rejected(f"{where}.method: expected 'affine' or 'taylor'")
            if switched is None and m != len(segments) - 1:
                raise Rejected(f"{where}: a segment that stops must be the last one")
        except Rejected as exc:
            exc.segment = m if exc.segment is None else exc.segment
            raise
    if switched is not None:
        raise Rejected("segments: the last segment ends in a switch, not at a stop time")
    return current


def check_trajectory(ctx: Context, ob: dict) -> str:
    """Replay the enclosure of theta on [0, T] from a start box; theta(T) lies in ``box``."""
    ds, start_box = ctx.start(ob)
    claimed = box(ob["box"], ctx.p, "box")
    segments = ob["segments"]
    if not isinstance(segments, list) or not 1 <= len(segments) <= MAX_SEGMENTS:
        raise Rejected(f"segments: expected 1 to {MAX_SEGMENTS} segments")
    key = _replay_key(ctx, ds.residuals, start_box, segments)
    current = _REPLAYED.get(key)
    if current is None:
        current = _replay(ctx, ds.residuals, start_box, segments)
        if len(_REPLAYED) >= MAX_REPLAYED:
            _REPLAYED.clear()
        _REPLAYED[key] = current
    for k, (x, (lo, hi)) in enumerate(zip(current, claimed, strict=True)):
        if not (lo <= x.lo and x.hi <= hi):
            raise Rejected(f"box[{k}]: the replayed enclosure [{float(x.lo):.17g}, "
                           f"{float(x.hi):.17g}] is not inside the claimed box")
    ctx.reach[ob["id"]] = (ds.name, claimed)
    patterns = getattr(ctx, "patterns", None)
    if isinstance(patterns, dict):
        patterns[ob["id"]] = [tuple(seg["pattern"]) for seg in segments]
    widths = max(hi - lo for lo, hi in claimed)
    return (f"trajectory replayed over {len(segments)} segment(s); theta(T) in the claimed box "
            f"(width <= {float(widths):.3g})")


# --- the gf-switches kind ----------------------------------------------------------------------

def switches_text(statement: dict) -> str:
    """The canonical words of a ``gf-switches`` statement."""
    claim = statement.get("claim", {})
    theta0 = statement.get("theta0")
    start = (", ".join(v if isinstance(v, str) else "?" for v in theta0)
             if isinstance(theta0, list) else "?")
    atom, point, seq = claim.get("atom", "?"), claim.get("point", "?"), claim.get("sequence")
    seq = seq if isinstance(seq, list) else []
    words = ", then ".join(SIGN_WORDS.get(v, "?") if not isinstance(v, bool) else "?"
                           for v in seq)
    signs = ", ".join(str(v) for v in seq)
    return (f"Along the gradient flow of the square loss from theta0 = ({start}) on dataset "
            f"{statement.get('dataset', '?')}, the relu atom {atom} (checker order, from 0; "
            f"a relu argument at data point {point} of the dataset, from 1) is {words}: its "
            f"signs over consecutive certified time intervals, with certified transversal "
            f"switches in between, run through {signs} (1 active, -1 inactive).")


def switches_claim(claim: Any) -> tuple[int, int, list[int]]:
    """(atom, point, sequence) of a ``gf-switches`` claim, validated.

    ``atom`` indexes the relu atoms in the checker's order (from 0), ``point`` names the data
    point whose residual contains it (from 1), ``sequence`` is 2 to MAX_SEQUENCE signs (1 or -1),
    consecutive ones different (each run of equal signs is written once).
    """
    obj(claim, "statement.claim", ("atom", "point", "sequence"))
    atom = integer(claim["atom"], "statement.claim.atom", 0, MAX_PARAMETERS * MAX_POINTS)
    point = integer(claim["point"], "statement.claim.point", 1, MAX_POINTS)
    seq = _signs(claim["sequence"], "statement.claim.sequence", 2, MAX_SEQUENCE)
    for k in range(1, len(seq)):
        if seq[k] == seq[k - 1]:
            raise Rejected(f"statement.claim.sequence[{k}]: equal to the sign before it (write "
                           "each run of equal signs once)")
    return atom, point, seq


def _duration_positive(seg: dict) -> bool:
    """False for an affine segment that stops at local time 0 (no certified time interval):
    its pattern is asserted at no positive time, so it does not count as a run."""
    end = seg.get("end")
    return not (seg.get("method") == "affine" and isinstance(end, dict)
                and end.get("kind") == "stop" and not seg.get("intervals"))


def _switch_times(segments: list, atom: int) -> list[tuple[Fraction, Fraction]]:
    """Global time brackets of the certified switches of ``atom`` in a replayed trajectory.

    Each segment starts (local time 0) at the previous one's crossing. An affine segment ends at
    a switching time in ``end.time`` = [t1, t2] or stops at its last interval's end; a Taylor
    segment lasts the sum of its steps h and, ending in a crossing, crosses during its last
    step. The brackets are sums of these (replay has validated every field).
    """
    lo = hi = Fraction(0)
    out = []
    for seg in segments:
        end = seg.get("end", {"kind": "stop"})
        if seg.get("method") == "taylor":
            hs = [number(st["h"], "steps.h") for st in seg["steps"]]
            a, b = sum(hs[:-1], Fraction(0)), sum(hs, Fraction(0))
            a = a if end.get("kind") == "switch" else b
        elif end.get("kind") == "switch":
            a, b = (number(v, "end.time") for v in end["time"])
        else:
            intervals = seg.get("intervals") or [["0", "0"]]
            a = b = number(intervals[-1][1], "intervals")
        if end.get("kind") == "switch" and end.get("atom") == atom:
            out.append((lo + a, hi + b))
        lo, hi = lo + a, hi + b
    return out


def _contains_run(runs: list[int], seq: list[int]) -> bool:
    return any(runs[k:k + len(seq)] == seq for k in range(len(runs) - len(seq) + 1))


def switches_conclusion(ctx: Context) -> str:
    """gf-switches: some accepted trajectory from theta0 on the statement's dataset has a
    segment-sign sequence whose signs of the claimed atom, consecutive repeats merged, contain the
    claimed sequence as a contiguous run."""
    atom, point, seq = switches_claim(ctx.statement["claim"])
    ds = ctx.datasets[ctx.statement["dataset"]]
    if point > ds.n:
        raise Rejected(f"statement.claim.point: dataset {ds.name} has {ds.n} points")
    first = sum(len(ex.relu_atoms([r])) for r in ds.residuals[:point - 1])
    count = len(ex.relu_atoms([ds.residuals[point - 1]]))
    if not first <= atom < first + count:
        raise Rejected(f"statement.claim.atom: atom {atom} is not a relu argument at data point "
                       f"{point} (its atoms are {list(range(first, first + count))})")
    for ident, patterns in ctx.patterns.items():
        ob = ctx.accepted.get(ident)
        if ob is None or ob.get("type") != "trajectory" \
                or ctx.reach.get(ident, ("",))[0] != ds.name:
            continue
        segments = ob["segments"]
        if len(segments) != len(patterns):
            continue
        runs: list[int] = []
        for seg, pattern in zip(segments, patterns, strict=True):
            if _duration_positive(seg) and (not runs or runs[-1] != pattern[atom]):
                runs.append(pattern[atom])
        if _contains_run(runs, seq):
            times = ", ".join(f"[{float(a):.6g}, {float(b):.6g}]"
                              for a, b in _switch_times(segments, atom))
            words = ", then ".join(SIGN_WORDS[v] for v in seq)
            return (f"relu atom {atom} (data point {point} of {ds.name}) is {words} along the "
                    f"gradient flow from theta0 (obligation {ident}: its switches at t in "
                    f"{times})")
    raise Rejected(f"conclusion: no accepted trajectory obligation from theta0 on dataset "
                   f"{ds.name} establishes the signs {seq} of relu atom {atom} over consecutive "
                   "certified pieces")


def switches_context(cert: dict) -> Context:
    """The context of a ``gf-switches`` certificate, its claim validated."""
    ctx = Context(cert, ("text", "dataset", "theta0", "claim"))
    ctx.dataset(ctx.statement["dataset"], "statement.dataset")
    if vector(ctx.statement["theta0"], ctx.p, "statement.theta0") != ctx.theta0:
        raise Rejected("statement.theta0: differs from the certificate's theta0 (where the "
                       "trajectories start)")
    switches_claim(ctx.statement["claim"])
    return ctx
