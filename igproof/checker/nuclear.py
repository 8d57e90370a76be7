"""Certificate kind ``nuclear-gap``: is a proved gradient-flow limit of the well-specified
matrix-sensing reduction a minimal-nuclear-norm solution of the measurements?

Standard library only. The certificate embeds a complete ``gf-limit`` certificate of the reduced
model f(x; u, v) = sum_k x_k sigma(u_k v_k) (sigma tanh or linear) on the data (a_i, y_i), which
this module re-checks with the kernel, and restates the problem:

    {"format", "version", "kind": "nuclear-gap", "producer" (optional),
     "problem": {"A": [[Q...]...], "y": [Q...], "activation": "tanh"},
     "limit": <gf-limit certificate>,
     "statement": {"text", "claim": "minimal" | "not-minimal"},
     "evidence": {"mode": "unique" | "kkt" | "gap", "d_star": [Q...], "lambda": [Q...],
                  "minimum": Q, "gap": Q (mode gap), "signs": [1|-1...] and
                  "lambda_kkt": [Q...] (mode kkt)}}

Checked, all exactly or by outward-rounded intervals:
- the embedded gf-limit certificate is accepted and claims zero loss (the limit lies in M_S);
  its model is exactly the reduced model (parameters u1..un, v1..vn, inputs x1..xn, output the
  sum above, in any order of terms and factors) and its one dataset is exactly (A, y);
- minimum: A d* = y, |A^T lambda|_inf <= 1 and lambda . y = |d*|_1 = minimum (weak duality:
  minimum = min{|d|_1 : A d = y} = the minimal nuclear norm);
- "not-minimal" (mode gap): gap > 0 and sum_k |sigma(u_k v_k)| >= minimum + gap on the box
  around the limit ball;
- "minimal", mode unique: rank A = n (so A z = y forces z = d*) and each sigma(u_k v_k) on the
  box contains d*_k; mode kkt: each sigma(u_k v_k) has the certain sign s_k on the box and
  A^T lambda_kkt = s exactly, so |z|_1 = s . z = lambda_kkt . y <= minimum.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

from igproof.checker import expr as ex
from igproof.checker import intervals as iv
from igproof.checker.context import header, number, obj, string, vector
from igproof.checker.errors import Rejected

KIND = "nuclear-gap"
ACTIVATIONS = ("tanh", "linear")
CLAIMS = ("minimal", "not-minimal")
# Largest problem read (the embedded gf-limit certificate allows at most 32 parameters).
MAX_DIM = 16
MAX_MEASUREMENTS = 1000


def statement_text(n: int, m: int, activation: str, claim: str, minimum: Fraction) -> str:
    """The canonical words of a nuclear-gap statement."""
    verb = "is" if claim == "minimal" else "is not"
    return (f"The gradient-flow limit X_inf = Phi diag({activation}(u v)) Psi^T of the "
            f"well-specified matrix-sensing problem (n = {n}, m = {m}) {verb} a "
            f"minimal-nuclear-norm solution of the measurements (minimum {_q(minimum)}).")


def _q(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else \
        f"{value.numerator}/{value.denominator}"


def _flatten(node: tuple, tag: str) -> list[tuple]:
    if node[0] == tag:
        return _flatten(node[1], tag) + _flatten(node[2], tag)
    return [node]


def _check_model(limit: dict, n: int, activation: str) -> None:
    """The embedded model is exactly sum_k x_k sigma(u_k v_k) (terms and factors in any order)."""
    model = limit["model"]
    params = [f"u{k}" for k in range(1, n + 1)] + [f"v{k}" for k in range(1, n + 1)]
    inputs = [f"x{k}" for k in range(1, n + 1)]
    if model.get("parameters") != params or model.get("inputs") != inputs:
        raise Rejected(f"limit.model: expected parameters {params} and inputs {inputs}")
    tree = ex.parse(string(model.get("output"), "limit.model.output", ex.MAX_EXPR_CHARS),
                    set(params + inputs))
    seen: set[int] = set()
    for term in _flatten(tree, "add"):
        factors = _flatten(term, "mul")
        names = sorted(f[1] for f in factors if f[0] == "var")
        calls = [f for f in factors if f[0] == "call"]
        if activation == "tanh":
            if len(factors) != 2 or len(names) != 1 or len(calls) != 1 or calls[0][1] != "tanh":
                raise Rejected("limit.model.output: a term is not x_k*tanh(u_k*v_k)")
            inner = _flatten(calls[0][2], "mul")
            if any(f[0] != "var" for f in inner):
                raise Rejected("limit.model.output: tanh's argument is not u_k*v_k")
            names = sorted(names + [f[1] for f in inner])
        elif calls or len(names) != 3 or len(factors) != 3:
            raise Rejected("limit.model.output: a term is not x_k*u_k*v_k")
        k = names[0][1:]
        if names != [f"u{k}", f"v{k}", f"x{k}"] or int(k) in seen:
            raise Rejected(f"limit.model.output: unexpected term with names {names}")
        seen.add(int(k))
    if seen != set(range(1, n + 1)):
        raise Rejected("limit.model.output: not one term per coordinate")


def _rank(a: list[list[Fraction]]) -> int:
    rows = [list(r) for r in a]
    rank, cols = 0, len(rows[0])
    for col in range(cols):
        piv = next((i for i in range(rank, len(rows)) if rows[i][col] != 0), None)
        if piv is None:
            continue
        rows[rank], rows[piv] = rows[piv], rows[rank]
        for i in range(len(rows)):
            if i != rank and rows[i][col] != 0:
                f = rows[i][col] / rows[rank][col]
                rows[i] = [x - f * z for x, z in zip(rows[i], rows[rank], strict=True)]
        rank += 1
    return rank


def _dot(a: list[Fraction], b: list[Fraction]) -> Fraction:
    return sum((x * z for x, z in zip(a, b, strict=True)), Fraction(0))


def check_nuclear_gap(cert: dict, check_limit: Callable[[dict], Any]
                      ) -> tuple[list[dict], str]:
    """Check a ``nuclear-gap`` certificate (see the module docstring): the accepted obligation
    entries and the conclusion, or Rejected. ``check_limit`` is the kernel's
    ``check_certificate``, which replays the embedded gf-limit certificate."""
    header(cert, ("format", "version", "kind", "problem", "limit", "statement", "evidence"))
    problem = obj(cert["problem"], "problem", ("A", "y", "activation"))
    activation = problem["activation"]
    if activation not in ACTIVATIONS:
        raise Rejected(f"problem.activation: expected one of {list(ACTIVATIONS)}")
    rows = problem["A"]
    if not isinstance(rows, list) or not 1 <= len(rows) <= MAX_MEASUREMENTS:
        raise Rejected(f"problem.A: expected 1 to {MAX_MEASUREMENTS} rows")
    a = [vector(r, 1, f"problem.A[{i}]", MAX_DIM) for i, r in enumerate(rows)]
    n, m = len(a[0]), len(a)
    if any(len(r) != n for r in a):
        raise Rejected("problem.A: rows of different lengths")
    y = vector(problem["y"], m, "problem.y")
    statement = obj(cert["statement"], "statement", ("text", "claim"))
    claim = statement["claim"]
    if claim not in CLAIMS:
        raise Rejected(f"statement.claim: expected one of {list(CLAIMS)}")
    ev = obj(cert["evidence"], "evidence", ("mode", "d_star", "lambda", "minimum"),
             ("gap", "signs", "lambda_kkt"))
    minimum = number(ev["minimum"], "evidence.minimum")
    if string(statement["text"], "statement.text", 4000) != \
            statement_text(n, m, activation, claim, minimum):
        raise Rejected("statement.text: does not match the structured statement (expected "
                       f"{statement_text(n, m, activation, claim, minimum)!r})")
    obligations = []

    # 1. the embedded limit certificate: its form (the replay comes last: it is the costly part)
    limit = cert["limit"]
    if not isinstance(limit, dict) or limit.get("kind") != "gf-limit":
        raise Rejected("limit: expected an embedded gf-limit certificate")
    if not isinstance(limit.get("statement"), dict) or not isinstance(
            limit.get("datasets"), dict) or not isinstance(limit.get("model"), dict) or \
            not isinstance(limit["statement"].get("limits"), dict) or \
            len(limit["statement"]["limits"]) != 1:
        raise Rejected("limit: malformed gf-limit certificate")
    if limit["statement"].get("claim") != {}:
        raise Rejected("limit.statement.claim: the limit must be claimed in M_S (zero loss)")
    _check_model(limit, n, activation)
    datasets = limit["datasets"]
    if len(datasets) != 1:
        raise Rejected("limit.datasets: expected exactly one dataset")
    data = next(iter(datasets.values()))
    if [[number(v, "limit x") for v in r] for r in data["x"]] != a or \
            [number(v, "limit y") for v in data["y"]] != y:
        raise Rejected("limit.datasets: the data are not (A, y) of the problem")
    (ball,) = limit["statement"]["limits"].values()
    if not isinstance(ball, dict) or not isinstance(ball.get("center"), list) or \
            len(ball["center"]) != 2 * n:
        raise Rejected("limit.statement.limits: expected one ball in 2n coordinates")
    centre = [number(v, "limit centre") for v in ball["center"]]
    radius = number(ball["radius"], "limit radius")

    # 2. the minimum, by a feasible d* and a dual lambda
    d_star = vector(ev["d_star"], n, "evidence.d_star")
    lam = vector(ev["lambda"], m, "evidence.lambda")
    if any(_dot(r, d_star) != yi for r, yi in zip(a, y, strict=True)):
        raise Rejected("evidence.d_star: A d* != y")
    if sum((abs(v) for v in d_star), Fraction(0)) != minimum:
        raise Rejected("evidence.minimum: differs from |d*|_1")
    at_lam = [_dot([r[k] for r in a], lam) for k in range(n)]
    if any(abs(v) > 1 for v in at_lam):
        raise Rejected("evidence.lambda: |A^T lambda|_inf > 1 (not dual feasible)")
    if _dot(lam, y) != minimum:
        raise Rejected("evidence.lambda: lambda . y differs from the minimum")
    obligations.append({"id": "minimum", "type": "l1-duality", "status": "accepted",
                        "reason": f"min |X|_* = min |d|_1 = {_q(minimum)} (vertex d*, dual "
                                  "lambda)"})

    # 3. the decision on the box around the limit ball
    box = [iv.Interval(c - radius, c + radius) for c in centre]
    zs = []
    for k in range(n):
        s = box[k] * box[n + k]
        zs.append(iv.tanh(s) if activation == "tanh" else s)
    mode = ev["mode"]
    if claim == "not-minimal":
        if mode != "gap" or "gap" not in ev:
            raise Rejected("evidence: a not-minimal claim needs mode 'gap' and a gap")
        gap = number(ev["gap"], "evidence.gap")
        if gap <= 0:
            raise Rejected("evidence.gap: must be positive")
        norm = iv.Interval.point(Fraction(0))
        for z in zs:
            norm = norm + iv.absolute(z)
        if not norm.lo >= minimum + gap:
            raise Rejected(f"evidence.gap: sum |sigma(u_k v_k)| on the limit box is only >= "
                           f"{float(norm.lo):.17g}, not >= minimum + gap")
        reason = (f"|X_inf|_* >= {float(norm.lo):.12g} >= min + {float(gap):.6g} on the limit "
                  "box")
        conclusion = ("the gradient-flow limit is not a minimal-nuclear-norm solution: "
                      f"|X_inf|_* - min >= {_q(gap)}")
    elif mode == "unique":
        if _rank(a) != n:
            raise Rejected("evidence.mode: 'unique' needs rank A = n")
        for k, (z, dk) in enumerate(zip(zs, d_star, strict=True)):
            if not z.lo <= dk <= z.hi:
                raise Rejected(f"evidence.d_star: sigma(u_{k + 1} v_{k + 1}) on the limit box "
                               "excludes d*_k (inconsistent with zero loss)")
        reason = "rank A = n: A z = y forces z = d*, which attains the minimum"
        conclusion = ("the gradient-flow limit is the minimal-nuclear-norm solution (unique "
                      f"feasible diagonal), |X_inf|_* = {_q(minimum)}")
    elif mode == "kkt":
        if "signs" not in ev or "lambda_kkt" not in ev:
            raise Rejected("evidence: mode 'kkt' needs signs and lambda_kkt")
        signs = ev["signs"]
        if not isinstance(signs, list) or len(signs) != n or any(
                s not in (1, -1) or isinstance(s, bool) for s in signs):
            raise Rejected(f"evidence.signs: expected {n} entries 1 or -1")
        lam_kkt = vector(ev["lambda_kkt"], m, "evidence.lambda_kkt")
        for k, (z, s) in enumerate(zip(zs, signs, strict=True)):
            if not (z.lo > 0 if s == 1 else z.hi < 0):
                raise Rejected(f"evidence.signs: sigma(u_{k + 1} v_{k + 1}) has no certain sign "
                               f"{s} on the limit box")
        if any(_dot([r[k] for r in a], lam_kkt) != signs[k] for k in range(n)):
            raise Rejected("evidence.lambda_kkt: A^T lambda_kkt != signs")
        if _dot(lam_kkt, y) != minimum:
            raise Rejected("evidence.lambda_kkt: lambda_kkt . y differs from the minimum")
        reason = "KKT: certain signs s on the box and A^T lambda = s, so |z|_1 = lambda . y"
        conclusion = ("the gradient-flow limit is a minimal-nuclear-norm solution (KKT on the "
                      f"limit ball), |X_inf|_* = {_q(minimum)}")
    else:
        raise Rejected("evidence.mode: a minimal claim needs mode 'unique' or 'kkt'")
    obligations.append({"id": "decision", "type": mode, "status": "accepted", "reason": reason})

    # 4. the replay of the embedded gf-limit certificate (zero loss, the ball)
    sub = check_limit(limit)
    if not sub.accepted:
        raise Rejected("limit: the embedded gf-limit certificate is rejected "
                       f"({sub.error or sub.conclusion})")
    obligations.insert(0, {"id": "limit", "type": "gf-limit", "status": "accepted",
                           "reason": sub.conclusion})
    return obligations, conclusion
