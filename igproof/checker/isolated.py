"""Obligations ``isolated-endgame`` and ``isolated-contain``: a flow limit that is a strict local
minimizer of L_S (its loss may be positive), replayed from the certificate's own loss.

isolated-endgame  On a box D (rational), with a rational point m in D, a rational matrix Y and a
                  rational lambda > 0, the checker establishes, in outward-rounded rational
                  interval arithmetic with exact derivatives of the certificate's loss
                  L(theta) = (1/(2n)) sum_i r_i(theta)^2:

                  0. every kink (argument of relu, abs) is certainly non-zero on D, so L is one
                     smooth piece there and the flow on D is its gradient flow;
                  1. H(D) - lambda I is positive definite (interval Cholesky), H = Hessian of L:
                     L is lambda-strongly convex on the convex set D;
                  2. K(D) = m - Y grad L(m) + (I - Y H(D)) (D - m) lies strictly inside D, so
                     grad L has exactly one zero theta* in D, and theta* is in K(D) (Krawczyk);
                  3. r0 = sup over B_T x K(D) of |theta - k|_2 < d = the distance from K(D) to the
                     boundary of D, B_T the reached box of the ``start`` obligation.

                  Then |theta(t) - theta*| <= r0 e^{-lambda (t - T)} < d for t >= T: the flow never
                  reaches the boundary of D and converges to theta*, a strict local minimizer
                  (grad L = 0, H positive definite) with L(theta*) in L(K(D)). Nothing says
                  L(theta*) = 0.
                  4. Refinement: X_0 = K(D), X_{j+1} = X_j ∩ K(X_j, m_j) with m_j a short
                     rational near the midpoint of X_j and the same Y (theta* in X_j implies
                     theta* in K(X_j, m_j) by the mean-value form, so theta* stays in every X_j;
                     each pass roughly squares the width). The fact recorded is the ball around
                     the midpoint of the last X_j with radius its half-diagonal (rounded up) if
                     that ball lies inside the ball of K(D), else the ball of K(D) (so a claim
                     that contains the ball of K(D) is always accepted), in ``ctx.isolated``
                     (NOT in ``ctx.endgame``: conserved / localize / contain reason about
                     zero-loss limits).
isolated-zero     The same argument for a limit that is an isolated zero of the residuals
                  (Krawczyk on p chosen residuals, every other one an exact rational
                  combination of them, decided as a polynomial identity): the limit has zero
                  loss and is recorded in ``ctx.endgame`` like a pl-endgame
                  (:func:`check_isolated_zero`).
isolated-contain  The claimed limit ball contains that ball; the limit is then recorded in
                  ``ctx.proved_isolated`` (never in ``ctx.proved``, which means "in M_S").

Standard library only, like the rest of the checker.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from igproof.checker import expr as ex
from igproof.checker import intervals as iv
from igproof.checker import obligations
from igproof.checker.context import Context, Endgame, box, dist2, integer, matrix, number, vector
from igproof.checker.errors import Rejected

# Functions whose argument is a kink: the loss is smooth on D only where each is non-zero.
KINK_FUNCTIONS = ("relu", "abs", "step", "sign")

# Required fields of an isolated-zero obligation (besides id, type).
ISOLATED_ZERO_FIELDS = ("dataset", "start", "domain", "point", "inverse", "lambda", "rows",
                        "relations")
# Most Krawczyk refinement passes after K(D) (condition 4): each roughly squares the width, so
# six take a box of width 1e-2 (or the ~1e-9 one the flow reaches at 128 bits) down to the
# interval precision; the passes stop early once a pass no longer halves the width.
KRAWCZYK_REFINEMENTS = 6
# m_j is rounded to a dyadic with this many bits below the width of X_j (short numbers, and m_j
# stays well inside X_j).
MIDPOINT_EXTRA_BITS = 8


def _check_kinks(node: tuple, env: dict[str, iv.Interval]) -> None:
    """Reject unless every relu / abs argument in ``node`` is certainly non-zero on ``env``."""
    for n in ex.nodes(node):
        if n[0] == "call" and n[1] in KINK_FUNCTIONS:
            z = ex.evaluate(n[2], env)
            if not (z.lo > 0 or z.hi < 0):
                raise Rejected(f"domain: a kink ({n[1]} argument in [{float(z.lo):.6g}, "
                               f"{float(z.hi):.6g}]) is not certainly non-zero on D")


def _sup_distance2(a: list[tuple[Fraction, Fraction]], b: list[iv.Interval]) -> Fraction:
    """max over theta in box a, k in box b of |theta - k|^2, exactly."""
    return sum((max(abs(hi - k.lo), abs(k.hi - lo)) ** 2
                for (lo, hi), k in zip(a, b, strict=True)), Fraction(0))


@dataclass(frozen=True)
class KrawczykBall:
    """What isolated-endgame establishes: theta* in B(center, radius) (which contains the
    Krawczyk image K(D) or its refinement); L(theta*) in ``loss``; r0 < margin."""

    center: list[Fraction]
    radius: Fraction
    loss: iv.Interval
    r0: Fraction
    margin: Fraction


def _smooth_piece(residuals: list[tuple], names: list[str], m: list[Fraction],
                  domain: list[tuple[Fraction, Fraction]]
                  ) -> tuple[dict[str, iv.Interval], dict[str, iv.Interval], list[tuple]]:
    """(env_D, env_m, fixed): m lies in D, D is one smooth piece (every kink decided), and the
    residuals with relu/abs replaced by their branch on D."""
    for k, (c, (lo, hi)) in enumerate(zip(m, domain, strict=True)):
        if not lo <= c <= hi:
            raise Rejected(f"point[{k}]: {c} is not in domain[{k}] = [{lo}, {hi}]")
    env_D = {v: iv.Interval(lo, hi) for v, (lo, hi) in zip(names, domain, strict=True)}
    env_m = {v: iv.Interval.point(c) for v, c in zip(names, m, strict=True)}
    fixed = []
    for r in residuals:
        _check_kinks(r, env_D)
        fixed.append(ex.fix_pattern(r, env_D))
    return env_D, env_m, fixed


def _strongly_convex(H_D: list[list[iv.Interval]], lam: Fraction) -> None:
    """H(D) - lambda I certainly positive definite, else Rejected."""
    if not obligations.certainly_positive_definite(H_D, lam):
        raise Rejected(f"lambda: H(D) - {lam} I is not certainly positive definite")


def _enclosed_zero(names: list[str], f: list[tuple], jac: list[list[tuple]], m: list[Fraction],
                   Y: list[list[Fraction]], f_m: list[iv.Interval],
                   J_D: list[list[iv.Interval]], domain: list[tuple[Fraction, Fraction]],
                   start_box: list[tuple[Fraction, Fraction]]
                   ) -> tuple[list[Fraction], Fraction, list[iv.Interval], Fraction, Fraction]:
    """(center, radius, X, r0, margin): K(D) strictly inside D (so f has exactly one zero in D,
    in K(D)), the flow from B_T cannot leave D (r0 < margin), and the zero's refined ball."""
    K = _krawczyk(m, Y, f_m, J_D, [iv.Interval(lo, hi) for lo, hi in domain])
    margin = _inside_margin(K, domain)
    r0 = iv.sqrt_upper(_sup_distance2(start_box, K))
    if not r0 < margin:
        raise Rejected(f"start: sup |theta_T - theta*| <= {float(r0):.6g} is not below the "
                       f"distance {float(margin):.6g} from K(D) to the boundary of D")
    center, radius = _ball(K)
    # theta* in X implies theta* in X ∩ K(X, m') (it is the only zero of f in D)
    center, radius, X = _refined_ball(names, f, jac, K, Y, center, radius)
    return center, radius, X, r0, margin


def krawczyk_ball(residuals: list[tuple], names: list[str], domain: list[tuple[Fraction, Fraction]],
                  m: list[Fraction], Y: list[list[Fraction]], lam: Fraction,
                  start_box: list[tuple[Fraction, Fraction]]) -> KrawczykBall:
    """Conditions 0-3 of the module docstring for L = (1/(2n)) sum r_i^2; raises Rejected.

    Guarantee: exact decisions on rational data and outward-rounded interval enclosures.
    """
    if lam <= 0:
        raise Rejected("lambda: must be positive")
    # 0. one smooth piece on D; exact derivatives of the certificate's own loss
    env_D, env_m, fixed = _smooth_piece(residuals, names, m, domain)
    grad = ex.loss_gradient(fixed, names, Fraction(1, len(fixed)))
    hess = [ex.gradient(g, names) for g in grad]
    H_D = [[ex.evaluate(h, env_D) for h in row] for row in hess]
    # 1. H - lambda I positive definite on D
    _strongly_convex(H_D, lam)
    # 2-4. Krawczyk on grad L: K(D) inside D, the flow stays in D, the refined ball
    center, radius, X, r0, margin = _enclosed_zero(
        names, grad, hess, m, Y, [ex.evaluate(g, env_m) for g in grad], H_D, domain, start_box)
    env_X = dict(zip(names, X, strict=True))
    loss = obligations.sum_of_squares(fixed, env_X) * iv.Interval(Fraction(1, 2 * len(fixed)))
    return KrawczykBall(center, radius, loss, r0, margin)


def _refined_ball(names: list[str], f: list[tuple], jac: list[list[tuple]], K: list[iv.Interval],
                  Y: list[list[Fraction]], center: list[Fraction], radius: Fraction
                  ) -> tuple[list[Fraction], Fraction, list[iv.Interval]]:
    """Refine the box K holding the unique zero of f in D: X_{j+1} = X_j ∩ K(X_j, m_j)
    (mean-value form: the zero stays in every X_j); the ball of the last X_j replaces
    B(center, radius) only when it lies inside it. Returns (center, radius, last X)."""
    X = K
    for _ in range(KRAWCZYK_REFINEMENTS):
        bits = _bits_below(X)
        m_x = [_short_point(x, bits) for x in X]
        env = dict(zip(names, X, strict=True))
        env_mx = {v: iv.Interval.point(c) for v, c in zip(names, m_x, strict=True)}
        # any Y is sound; Y ~ J(m_x)^-1 to about the width of X makes the pass contract
        # quadratically (the certificate's Y only gives a linear rate)
        Y_x = _short_inverse([[ex.evaluate(h, env_mx) for h in row] for row in jac], bits) or Y
        K_x = _krawczyk(m_x, Y_x, [ex.evaluate(g, env_mx) for g in f],
                        [[ex.evaluate(h, env) for h in row] for row in jac], X)
        new = [iv.Interval(max(a.lo, b.lo), min(a.hi, b.hi))
               for a, b in zip(X, K_x, strict=True)]
        if any(x.lo > x.hi for x in new):  # cannot happen for a zero in X: keep what is proved
            break
        shrunk = max(x.hi - x.lo for x in new) * 2 <= max(x.hi - x.lo for x in X)
        X = new
        if not shrunk:
            break
    c_x, r_x = _ball(X)
    if r_x <= radius and dist2(c_x, center) <= (radius - r_x) ** 2:
        return c_x, r_x, X
    return center, radius, X


def _krawczyk(m: list[Fraction], Y: list[list[Fraction]], g_m: list[iv.Interval],
              H_X: list[list[iv.Interval]], X: list[iv.Interval]) -> list[iv.Interval]:
    """K(X, m) = m - Y g(m) + (I - Y H(X)) (X - m), componentwise in interval arithmetic."""
    p = len(m)
    dev = [iv.Interval(x.lo - c, x.hi - c) for x, c in zip(X, m, strict=True)]
    K = []
    for i in range(p):
        acc = iv.Interval.point(m[i])
        for j in range(p):
            acc = acc - iv.Interval.point(Y[i][j]) * g_m[j]
            coef = iv.Interval.point(Fraction(1 if i == j else 0))
            for k in range(p):
                coef = coef - iv.Interval.point(Y[i][k]) * H_X[k][j]
            acc = acc + coef * dev[j]
        K.append(acc)
    return K


def _ball(X: list[iv.Interval]) -> tuple[list[Fraction], Fraction]:
    """The midpoint of the box X and its half-diagonal (rounded up)."""
    center = [(x.lo + x.hi) / 2 for x in X]
    return center, iv.sqrt_upper(sum((((x.hi - x.lo) / 2) ** 2 for x in X), Fraction(0)))


def _bits_below(X: list[iv.Interval]) -> int:
    """Binary digits that resolve the smallest positive width of X, plus MIDPOINT_EXTRA_BITS."""
    widths = [x.hi - x.lo for x in X if x.hi > x.lo]
    if not widths:
        return MIDPOINT_EXTRA_BITS
    w = min(widths)
    return max(0, w.denominator.bit_length() - w.numerator.bit_length()) + MIDPOINT_EXTRA_BITS


def _short_point(x: iv.Interval, bits: int) -> Fraction:
    """A dyadic rational with ``bits`` binary digits in x, near its midpoint."""
    mid = (x.lo + x.hi) / 2
    q = Fraction(round(mid * (1 << bits)), 1 << bits)
    return q if x.lo <= q <= x.hi else mid


def _short_inverse(H: list[list[iv.Interval]], bits: int) -> list[list[Fraction]] | None:
    """The inverse of the midpoint matrix of H (Gauss-Jordan in exact rationals), entries
    rounded to ``bits`` binary digits; None if the midpoint matrix is singular."""
    p = len(H)
    a = [[(h.lo + h.hi) / 2 for h in row] + [Fraction(1 if i == j else 0) for j in range(p)]
         for i, row in enumerate(H)]
    for col in range(p):
        pivot = next((r for r in range(col, p) if a[r][col] != 0), None)
        if pivot is None:
            return None
        a[col], a[pivot] = a[pivot], a[col]
        lead = a[col][col]
        a[col] = [v / lead for v in a[col]]
        for r in range(p):
            if r != col and a[r][col] != 0:
                f = a[r][col]
                a[r] = [v - f * w for v, w in zip(a[r], a[col], strict=True)]
    return [[Fraction(round(v * (1 << bits)), 1 << bits) for v in row[p:]] for row in a]


def _hints(ctx: Context, ob: dict) -> tuple[list, list[Fraction], list[list[Fraction]], Fraction]:
    """The Krawczyk hints of an obligation: the domain D, the point m, the matrix Y, lambda > 0."""
    lam = number(ob["lambda"], "lambda")
    if lam <= 0:
        raise Rejected("lambda: must be positive")
    p = ctx.p
    return (box(ob["domain"], p, "domain"), vector(ob["point"], p, "point"),
            matrix(ob["inverse"], p, "inverse"), lam)


def check_isolated_endgame(ctx: Context, ob: dict) -> str:
    """Strong convexity + Krawczyk on D: the flow from B_T converges to the unique critical
    point theta* of L in D, a strict local minimizer lying in K(D)."""
    ds, start_box = ctx.start(ob)
    domain, m, Y, lam = _hints(ctx, ob)
    ctx.charge(1 + ctx.p ** 2, "isolated-endgame")
    ball = krawczyk_ball(ds.residuals, ctx.parameters, domain, m, Y, lam, start_box)
    ctx.isolated[ob["id"]] = Endgame(ds.name, ball.center, ball.radius, domain, start_box)
    return (f"strict local minimizer of L_{ds.name} (H >= {float(lam):.6g} I on D, Krawczyk "
            f"image inside D, r0 {float(ball.r0):.3g} < margin {float(ball.margin):.3g}); limit "
            f"within {float(ball.radius):.3g} of the image's centre, loss in "
            f"[{float(ball.loss.lo):.12g}, {float(ball.loss.hi):.12g}]")


def check_isolated_contain(ctx: Context, ob: dict) -> str:
    """The claimed ball contains the isolated end-game ball (a strict local minimizer)."""
    name = obligations.contain_endgame_ball(ctx, ob, ctx.isolated, ctx.proved_isolated)
    return f"claimed ball of {name} contains the strict local minimizer's ball"


def _inside_margin(K: list[iv.Interval], domain: list[tuple[Fraction, Fraction]]) -> Fraction:
    """The distance from the box K to the boundary of D; rejects unless K is strictly inside."""
    margin = None
    for k, (kk, (lo, hi)) in enumerate(zip(K, domain, strict=True)):
        if not (lo < kk.lo and kk.hi < hi):
            raise Rejected(f"domain[{k}]: the Krawczyk image [{float(kk.lo):.6g}, "
                           f"{float(kk.hi):.6g}] is not strictly inside D")
        gap = min(kk.lo - lo, hi - kk.hi)
        margin = gap if margin is None or gap < margin else margin
    assert margin is not None
    return margin


def _relations(value: object, rows: list[int], n: int, p: int) -> dict[int, list[Fraction]]:
    """{row j: (c_1, ..., c_p)} for every residual j not among ``rows``, validated."""
    if not isinstance(value, list):
        raise Rejected("relations: expected a list of {row, combination}")
    out: dict[int, list[Fraction]] = {}
    for k, entry in enumerate(value):
        if not isinstance(entry, dict) or set(entry) != {"row", "combination"}:
            raise Rejected(f"relations[{k}]: expected fields row, combination")
        j = integer(entry["row"], f"relations[{k}].row", 0, n - 1)
        if j in rows or j in out:
            raise Rejected(f"relations[{k}].row: residual {j} is already a chosen row or "
                           "already related")
        out[j] = vector(entry["combination"], p, f"relations[{k}].combination")
    missing = [j for j in range(n) if j not in rows and j not in out]
    if missing:
        raise Rejected(f"relations: residual {missing[0]} is neither a chosen row nor related "
                       "to them (zero loss needs every residual to vanish)")
    return out


def check_isolated_zero(ctx: Context, ob: dict) -> str:
    """An isolated zero of the residuals: the flow from B_T converges to theta* in K(D) with
    r(theta*) = 0, so the limit has zero loss (in M_S).

    On D (rational box), with m in D, rational Y (p x p), lambda > 0, p distinct chosen rows R
    and, for every other residual j, rational c_j with r_j = sum_k c_jk r_{R_k}:
      0. every kink is certainly non-zero on D (one smooth piece: r has its pattern form there);
      1. H(D) - lambda I positive definite (H the Hessian of L): L strongly convex on D;
      2. K(D) = m - Y r_R(m) + (I - Y J_R(D)) (D - m) strictly inside D: r_R has exactly one
         zero theta* in D, theta* in K(D) (Krawczyk);
      3. each relation is an identity of polynomials on the piece (exact rational arithmetic;
         a non-polynomial residual cannot be related): r(theta*) = 0, so L(theta*) = 0 and
         grad L(theta*) = 0;
      4. r0 = sup |B_T - K(D)| < the distance from K(D) to the boundary of D.
    Then |theta(t) - theta*| <= r0 e^{-lambda (t - T)} (the isolated-endgame argument with the
    critical point theta*): the limit is theta*. The fact is recorded in ``ctx.endgame`` (a
    zero-loss limit, like pl-endgame), with the refined Krawczyk ball.
    """
    ds, start_box = ctx.start(ob)
    p, n, names = ctx.p, len(ds.residuals), list(ctx.parameters)
    domain, m, Y, lam = _hints(ctx, ob)
    raw_rows = ob["rows"]
    if not isinstance(raw_rows, list) or len(raw_rows) != p:
        raise Rejected(f"rows: expected {p} residual indices (one per parameter)")
    rows = [integer(j, f"rows[{k}]", 0, n - 1) for k, j in enumerate(raw_rows)]
    if len(set(rows)) != p:
        raise Rejected("rows: the chosen residuals must be distinct")
    relations = _relations(ob["relations"], rows, n, p)
    ctx.charge(1 + p * p + len(relations), "isolated-zero")
    # 0. one smooth piece on D
    env_D, env_m, fixed = _smooth_piece(ds.residuals, names, m, domain)
    # 3 (first: exact and cheap). every other residual is an exact combination of the rows
    for j, comb in relations.items():
        total = fixed[j]
        for c, i in zip(comb, rows, strict=True):
            if c != 0:
                total = ex.sub(total, ex.mul(("num", c), fixed[i]))
        if ex.polynomial(total, names):
            raise Rejected(f"relations: residual {j} is not identically the stated combination "
                           "of the chosen rows on this piece")
    # 1. L strongly convex on D
    grad = ex.loss_gradient(fixed, names, Fraction(1, n))
    hess = [ex.gradient(g, names) for g in grad]
    _strongly_convex([[ex.evaluate(h, env_D) for h in row] for row in hess], lam)
    # 2 and 4. Krawczyk on the chosen residuals; the flow from B_T cannot leave D
    f = [fixed[i] for i in rows]
    jac = [ex.gradient(r, names) for r in f]
    center, radius, _, r0, margin = _enclosed_zero(
        names, f, jac, m, Y, [ex.evaluate(r, env_m) for r in f],
        [[ex.evaluate(d, env_D) for d in row] for row in jac], domain, start_box)
    ctx.endgame[ob["id"]] = Endgame(ds.name, center, radius, domain, start_box)
    return (f"isolated zero of the residuals of {ds.name} (Krawczyk on rows {rows}, "
            f"{len(relations)} exact relations, H >= {float(lam):.6g} I on D, r0 "
            f"{float(r0):.3g} < margin {float(margin):.3g}); zero-loss limit within "
            f"{float(radius):.3g} of the image's centre")
