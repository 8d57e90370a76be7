"""Obligation ``minnorm-dual``: a certified bracket of the minimal-norm interpolation cost.

Standard library only. Data x_1 < ... < x_n, y_j; weight w(t) = sqrt(1 + t^2) (biases
penalised) or 1 (free biases). The minimal cost is min over interpolants f of int w d|f''|.

Lower bound (weak duality). phi is given by its values phi_j at the x_j, with phi_1 = phi_n = 0,
linear in between and 0 outside [x_1, x_n]; then phi(t) = sum_j lambda_j (x_j - t)_+ with
lambda_j the slope jumps of phi, and for every interpolant f = affine + int (x - t)_+ df''(t):
    sum_j phi_j (delta_j - delta_{j-1}) = sum_j lambda_j y_j = int phi df'' <= int w d|f''|
provided |phi| <= w on [x_1, x_n]. On a segment where phi(t) = alpha + beta t the ratio
phi^2 / w^2 is largest at an end or (penalised weight) at t = beta/alpha, where it equals
alpha^2 + beta^2; all of this is exact rational arithmetic.

Upper bound. The kinks (at_k, jump_k), strictly increasing in at_k, define
f = affine + sum_k jump_k (t - at_k)_+; the checker fixes the affine part from the first two data
points, verifies f(x_j) = y_j exactly for every j, and bounds sum_k |jump_k| w(at_k) from above
with integer square roots.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from igproof.checker.context import number, obj, vector
from igproof.checker.errors import Rejected
from igproof.checker.intervals import sqrt_upper

# Largest number of data points an obligation may carry (work is O(n) Fraction operations).
MAX_POINTS = 20000
WEIGHTS = ("sqrt(1+x^2)", "1")


def _numbers(value: Any, where: str) -> list[Fraction]:
    return vector(value, 2, where, MAX_POINTS)


def _segment_ratio_sq(a: Fraction, b: Fraction, alpha: Fraction, beta: Fraction,
                      penalised: bool) -> Fraction:
    """max over t in [a, b] of (alpha + beta t)^2 / w(t)^2."""
    def at(t: Fraction) -> Fraction:
        value = (alpha + beta * t) ** 2
        return value / (1 + t * t) if penalised else value

    best = max(at(a), at(b))
    if penalised and alpha != 0:
        critical = beta / alpha
        if a < critical < b:
            best = max(best, alpha * alpha + beta * beta)
    return best


def check_minnorm_dual(obligation: dict, data: dict) -> str:
    """Re-verify a ``minnorm-dual`` obligation against data {"x": [...], "y": [...]}.

    Raises :class:`Rejected` (one line naming the field) on rejection; returns a summary.
    """
    if not isinstance(obligation, dict) or not isinstance(data, dict):
        raise Rejected("minnorm-dual: obligation and data must be objects")
    x = _numbers(data.get("x"), "x")
    y = _numbers(data.get("y"), "y")
    n = len(x)
    if len(y) != n:
        raise Rejected(f"y: expected {n} numbers (as many as x), got {len(y)}")
    if any(x[j] >= x[j + 1] for j in range(n - 1)):
        raise Rejected("x: must be strictly increasing")
    weight = obligation.get("weight")
    if weight not in WEIGHTS:
        raise Rejected(f"weight: expected one of {list(WEIGHTS)}, got {str(weight)[:30]!r}")
    penalised = weight == WEIGHTS[0]
    phi = _numbers(obligation.get("phi"), "phi")
    if len(phi) != n:
        raise Rejected(f"phi: expected {n} values (one per data point), got {len(phi)}")
    if phi[0] != 0 or phi[-1] != 0:
        raise Rejected("phi: must vanish at the first and last data points")
    lower = number(obligation.get("lower_bound"), "lower_bound")
    upper = number(obligation.get("upper_bound"), "upper_bound")
    # Dual feasibility, segment by segment.
    for j in range(n - 1):
        beta = (phi[j + 1] - phi[j]) / (x[j + 1] - x[j])
        alpha = phi[j] - beta * x[j]
        if _segment_ratio_sq(x[j], x[j + 1], alpha, beta, penalised) > 1:
            raise Rejected(f"phi: |phi| exceeds the weight {weight} on [x[{j}], x[{j + 1}]]")
    delta = [(y[j + 1] - y[j]) / (x[j + 1] - x[j]) for j in range(n - 1)]
    value = sum((phi[j] * (delta[j] - delta[j - 1]) for j in range(1, n - 1)), Fraction(0))
    if value < lower:
        raise Rejected(f"lower_bound: the dual value {float(value):.17g} is below the claimed "
                       f"{float(lower):.17g}")
    # Primal: the kinks interpolate and cost at most the claimed upper bound.
    kinks = obligation.get("kinks")
    if not isinstance(kinks, list) or len(kinks) > 4 * MAX_POINTS:
        raise Rejected("kinks: expected a list of {\"at\", \"jump\"} objects")
    at: list[Fraction] = []
    jump: list[Fraction] = []
    for k, item in enumerate(kinks):
        if not isinstance(item, dict) or set(item) != {"at", "jump"}:
            raise Rejected(f"kinks[{k}]: expected an object with keys 'at' and 'jump'")
        at.append(number(item["at"], f"kinks[{k}].at"))
        jump.append(number(item["jump"], f"kinks[{k}].jump"))
        if k and at[k] <= at[k - 1]:
            raise Rejected(f"kinks[{k}].at: positions must be strictly increasing")

    # g(t) = sum_k jump_k (t - at_k)_+ at every data point, by one sweep.
    g_values: list[Fraction] = []
    slope = Fraction(0)
    val = Fraction(0)
    k = 0
    while k < len(at) and at[k] <= x[0]:
        val += jump[k] * (x[0] - at[k])
        slope += jump[k]
        k += 1
    pos = x[0]
    for xj in x:
        while k < len(at) and at[k] < xj:
            val += slope * (at[k] - pos)
            pos = at[k]
            slope += jump[k]
            k += 1
        val += slope * (xj - pos)
        pos = xj
        g_values.append(val)
    c1 = (y[1] - y[0] - (g_values[1] - g_values[0])) / (x[1] - x[0])
    c0 = y[0] - g_values[0] - c1 * x[0]
    for j in range(n):
        if c0 + c1 * x[j] + g_values[j] != y[j]:
            raise Rejected(f"kinks: the interpolant misses the data point {j} "
                           f"(x = {x[j]}, y = {y[j]})")
    cost = sum((abs(jv) * (sqrt_upper(1 + a * a) if penalised else 1)
                for a, jv in zip(at, jump, strict=True)), Fraction(0))
    if cost > upper:
        raise Rejected(f"upper_bound: the kinks cost up to {float(cost):.17g}, above the "
                       f"claimed {float(upper):.17g}")
    if lower > upper:
        raise Rejected("lower_bound: exceeds upper_bound")
    return (f"minimal cost (weight {weight}) in [{float(lower):.17g}, {float(upper):.17g}] "
            f"({n} points, {len(at)} kinks)")


def check_minnorm_obligation(ctx: Any, ob: dict) -> str:
    """The ``minnorm-dual`` obligation: it carries its own data (x, y); the bracket it
    establishes is recorded for the conclusion of a ``minnorm-interpolation`` certificate."""
    summary = check_minnorm_dual(ob, {"x": ob["x"], "y": ob["y"]})
    brackets = getattr(ctx, "minnorm_brackets", None)  # set by minnorm-interpolation certs
    if brackets is not None:
        brackets.append((tuple(number(v, "x") for v in ob["x"]),
                         tuple(number(v, "y") for v in ob["y"]), ob["weight"],
                         number(ob["lower_bound"], "lower_bound"),
                         number(ob["upper_bound"], "upper_bound")))
    return summary


# --- the minnorm-interpolation kind ------------------------------------------------------------

class InterpolationContext:
    """Data, weight and claimed bracket of a ``minnorm-interpolation`` certificate.

    Format: {"format", "version", "kind": "minnorm-interpolation", "producer" (optional),
    "data": {"x": [Q...], "y": [Q...]}, "statement": {"text", "weight", "lower", "upper"},
    "obligations": [...]}. A ``minnorm-dual`` obligation records the bracket it established in
    ``minnorm_brackets`` as (x, y, weight, lower_bound, upper_bound).
    """

    def __init__(self, cert: dict) -> None:
        self.kind: str = cert["kind"]
        data = obj(cert["data"], "data", ("x", "y"))
        self.x = tuple(_numbers(data["x"], "data.x"))
        self.y = tuple(_numbers(data["y"], "data.y"))
        if len(self.y) != len(self.x):
            raise Rejected(f"data.y: expected {len(self.x)} numbers (as many as data.x)")
        self.statement = obj(cert["statement"], "statement", ("text", "weight", "lower", "upper"))
        self.weight = self.statement["weight"]
        if self.weight not in WEIGHTS:
            raise Rejected(f"statement.weight: expected one of {list(WEIGHTS)}")
        self.lower = number(self.statement["lower"], "statement.lower")
        self.upper = number(self.statement["upper"], "statement.upper")
        self.results: dict[str, tuple[str, str]] = {}
        self.accepted: dict[str, dict] = {}
        self.minnorm_brackets: list[tuple] = []


def interpolation_text(statement: dict) -> str:
    """The canonical words of a ``minnorm-interpolation`` statement."""
    w = statement.get("weight", "?")
    return (f"The minimal representational cost of interpolating the data (x, y) with "
            f"weight {w}, min of int {w} d|f''| over the functions f with f(x_j) = y_j for "
            f"every j, lies in [{statement.get('lower', '?')}, "
            f"{statement.get('upper', '?')}].")


def interpolation_conclusion(ctx: InterpolationContext) -> str:
    """Some accepted ``minnorm-dual`` obligation on the same data and weight established a
    bracket inside [lower, upper]."""
    for x, y, weight, lower, upper in ctx.minnorm_brackets:
        if (x, y, weight) == (ctx.x, ctx.y, ctx.weight) and \
                ctx.lower <= lower and upper <= ctx.upper:
            return (f"the minimal cost with weight {ctx.weight} lies in "
                    f"[{float(ctx.lower):.17g}, {float(ctx.upper):.17g}]")
    raise Rejected("conclusion: no accepted minnorm-dual obligation on the same data and "
                   "weight establishes a bracket inside [lower, upper]")
