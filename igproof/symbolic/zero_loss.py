"""Exact relations between zero-loss sets M_S = {theta : f(x_i; theta) = y_i for all i}.

Only exact arguments are used (sympy algebra and rational arithmetic, never a small float):

- same support: M_S only depends on the SET of pairs (x_i, y_i), so datasets that differ only by
  repetitions (multisets with different multiplicities) have the same zero-loss set;
- label-0 scaling: when f(gamma x; theta) = 0 <=> f(x; theta) = 0 for every gamma > 0 and theta
  (derived symbolically for the model, see :func:`label_zero_scaling_argument`), a label-0 point
  x' may be replaced by gamma x' without changing M_S;
- strictly inactive points: a label-0 point x' whose relu pre-activations are <= 0 (strictly < 0
  when reported strict) on a whole parameter box or ball B adds no constraint inside B; the
  pre-activations are affine in theta, so their range over B is computed exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import sympy

from igproof.errors import InvalidArgument
from igproof.rationals import fraction_to_text, parse_rational
from igproof.symbolic.activations import relu
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.exactness import certainly_nonzero
from igproof.symbolic.models import Model
from igproof.verdict import Outcome, Verdict

__all__ = ["ParameterBall", "ParameterBox", "ZeroLossRelation", "contained_zero_loss_set",
           "in_zero_loss_set", "label_zero_scaling_argument", "same_zero_loss_set"]

RELATIONS = ("equal", "contained", "different", "undecided")

Point = tuple[tuple[Fraction, ...], Fraction]


@dataclass(frozen=True)
class ZeroLossRelation:
    """The outcome of comparing zero-loss sets: a relation, the recipes used and the argument.

    ``relation`` is ``"equal"`` (M_S1 = M_S2), ``"contained"`` (M_S1 ∩ B ⊆ M_S2), ``"different"``
    (an exact parameter lies in one set and not the other) or ``"undecided"`` (no recipe applied;
    ``argument`` says why). Every decided relation is proved by exact algebra.
    """

    relation: str
    recipes: tuple[str, ...]
    argument: str
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.relation not in RELATIONS:
            raise InvalidArgument(f"relation: expected one of {RELATIONS}, got {self.relation!r}")

    @property
    def decided(self) -> bool:
        """True when the relation was proved (exactly)."""
        return self.relation != "undecided"

    @property
    def verdict(self) -> Verdict:
        """PROVED for a decided relation (exact algebra), INCONCLUSIVE otherwise."""
        return Verdict.PROVED if self.decided else Verdict.INCONCLUSIVE

    def to_outcome(self) -> Outcome:
        """This relation as an :class:`igproof.verdict.Outcome`."""
        return Outcome(self.verdict, f"{self.relation}: {self.argument}",
                       {"relation": self.relation, "recipes": list(self.recipes), **self.details})


# -- label-0 scaling -----------------------------------------------------------------------------
def _pull_positive_factor(expr: sympy.Expr, gamma: sympy.Symbol) -> sympy.Expr:
    """relu(gamma u) -> gamma relu(u): relu is positively homogeneous and gamma > 0."""

    def is_scaled(e: sympy.Expr) -> bool:
        if not isinstance(e, relu):
            return False
        inner = sympy.cancel(e.args[0] / gamma)
        return not inner.has(gamma)

    return expr.replace(is_scaled, lambda e: gamma * relu(sympy.cancel(e.args[0] / gamma)))


def _is_scale_cone(zeros: sympy.Set) -> bool:
    """Z ⊆ R is invariant under z -> gamma z for all gamma > 0 (a union of (-oo,0), {0}, (0,oo))."""
    positive = sympy.Interval.open(0, sympy.oo)
    negative = sympy.Interval.open(-sympy.oo, 0)
    for half in (positive, negative):
        part = zeros.intersect(half)
        if part not in (sympy.S.EmptySet, half):
            return False
    return True


def _zero_set_of(model: Model) -> sympy.Set | None:
    """{z real : sigma(z) = 0}, solved exactly by sympy; None when sympy cannot give it."""
    act = model.activation
    if act is None:
        return None
    s = sympy.Symbol("s", real=True)
    expr = act.sigma(s).rewrite(sympy.Piecewise)
    try:
        zeros = sympy.solveset(expr, s, sympy.S.Reals)
    except (NotImplementedError, ValueError, TypeError):
        return None
    if isinstance(zeros, (sympy.ConditionSet, sympy.ImageSet)) or zeros.has(sympy.ConditionSet):
        return None
    return zeros


def label_zero_scaling_argument(model: Model) -> str | None:
    """Why f(gamma x; theta) = 0 <=> f(x; theta) = 0 for every gamma > 0, or None if not shown.

    Two exact routes: (1) positive homogeneity in x, f(gamma x; theta) = gamma f(x; theta),
    checked by sympy with gamma a positive symbol (relu(gamma u) = gamma relu(u)); (2) one unit
    f = c(theta) sigma(z(x; theta)) with z linear in x, so f(gamma x) = c sigma(gamma z), and
    the real zero set Z of sigma, solved by sympy, is a cone (Z ∩ (0,oo) and Z ∩ (-oo,0) are
    empty or everything), so gamma z ∈ Z <=> z ∈ Z. Route (2) covers tanh (Z = {0}),
    relu (Z = (-oo, 0]) and sigmoid/softplus/gaussian (Z empty: the constraint is c = 0).
    """
    gamma = sympy.Symbol("gamma", positive=True)
    scaled_inputs = {x: gamma * x for x in model.inputs}
    f = model.expression
    f_scaled = _pull_positive_factor(f.xreplace(scaled_inputs), gamma)
    if sympy.expand(f_scaled - gamma * f) == 0:
        return ("f(gamma x; theta) = gamma f(x; theta) for all gamma > 0 (positive homogeneity "
                "in x, derived symbolically), so f(gamma x'; theta) = 0 exactly when "
                "f(x'; theta) = 0")
    units = model.units
    if units is None or len(units) != 1:
        return None
    coefficient, z = units[0]
    if coefficient.has(*model.inputs) or model.activation is None:
        return None
    # The unit description must be the model itself: f - c sigma(z) is identically 0.
    if sympy.expand(f - coefficient * model.activation.sigma(z)) != 0:
        return None
    if sympy.expand(z.xreplace(scaled_inputs) - gamma * z) != 0:
        return None
    zeros = _zero_set_of(model)
    if zeros is None or not _is_scale_cone(zeros):
        return None
    return (f"f = c(theta) sigma(z) with c = {coefficient} and z = {z} linear in x, so "
            f"f(gamma x') = c sigma(gamma z); the real zero set of sigma is {zeros} (solved "
            "exactly), a cone, so sigma(gamma z) = 0 exactly when sigma(z) = 0, for every "
            "gamma > 0")


def _ray_key(x: tuple[Fraction, ...]) -> tuple[Fraction, ...]:
    """The representative of the open ray {gamma x : gamma > 0}: x / |first nonzero coordinate|."""
    for v in x:
        if v != 0:
            scale = abs(v)
            return tuple(c / scale for c in x)
    return x


def _canonical(support: frozenset[Point], scaling: bool) -> dict[Point, list[Point]]:
    out: dict[Point, list[Point]] = {}
    for x, y in sorted(support):
        key = (_ray_key(x), y) if scaling and y == 0 else (x, y)
        out.setdefault(key, []).append((x, y))
    return out


def _point_text(point: Point) -> str:
    x, y = point
    return f"(({', '.join(fraction_to_text(v) for v in x)}), {fraction_to_text(y)})"


def _check_inputs(model: Model, datasets: Sequence[tuple[str, Any]]) -> None:
    if not isinstance(model, Model):
        raise InvalidArgument(f"model: expected a Model, got {type(model).__name__}")
    for name, data in datasets:
        if not isinstance(data, Dataset):
            raise InvalidArgument(f"{name}: expected a Dataset, got {type(data).__name__}")
        data.check_dim(model.dim)


def in_zero_loss_set(model: Model, dataset: Dataset, theta: Sequence[Any]) -> bool:
    """theta ∈ M_S, i.e. f(x_i; theta) = y_i for every i, decided exactly at a rational theta."""
    _check_inputs(model, [("dataset", dataset)])
    values = _exact_theta(model, theta)
    for x, y in sorted(dataset.support()):
        r = model.output(x).xreplace(values) - sympy.Rational(y.numerator, y.denominator)
        if r == 0:
            continue
        if certainly_nonzero(r):
            return False
        if sympy.simplify(r) != 0:
            raise InvalidArgument(f"theta: cannot decide exactly whether the residual at "
                                  f"x = {_point_text((x, y))} vanishes ({r})")
    return True


def _exact_theta(model: Model, theta: Sequence[Any]) -> dict[sympy.Symbol, sympy.Expr]:
    if isinstance(theta, (str, bytes)) or not isinstance(theta, Sequence):
        raise InvalidArgument(f"theta: expected {len(model.parameters)} rationals, got {theta!r}")
    if len(theta) != len(model.parameters):
        raise InvalidArgument(f"theta: expected {len(model.parameters)} rationals (parameters "
                              f"{', '.join(map(str, model.parameters))}), got {len(theta)}")
    out = {}
    for k, (p, v) in enumerate(zip(model.parameters, theta, strict=True)):
        if isinstance(v, sympy.Rational):
            out[p] = v
        else:
            q = parse_rational(v, what=f"theta[{k}]")
            out[p] = sympy.Rational(q.numerator, q.denominator)
    return out


def _witness(model: Model, s1: Dataset, s2: Dataset,
             candidates: Sequence[Sequence[Any]]) -> ZeroLossRelation | None:
    for theta in candidates:
        in1 = in_zero_loss_set(model, s1, theta)
        in2 = in_zero_loss_set(model, s2, theta)
        if in1 != in2:
            text = "(" + ", ".join(fraction_to_text(Fraction(int(v.p), int(v.q)))
                                   for v in _exact_theta(model, theta).values()) + ")"
            where, other = ("M_S1", "M_S2") if in1 else ("M_S2", "M_S1")
            return ZeroLossRelation(
                "different", ("witness",),
                f"theta = {text} lies in {where} and not in {other} (exact evaluation of every "
                "residual)", {"witness": text, "in_S1": in1, "in_S2": in2})
    return None


def same_zero_loss_set(model: Model, s1: Dataset, s2: Dataset, *,
                       candidates: Sequence[Sequence[Any]] = ()) -> ZeroLossRelation:
    """Decide M_S1 = M_S2 exactly by the same-support and label-0-scaling recipes.

    Parameters
    ----------
    model : Model
    s1, s2 : Dataset
        Datasets are multisets: repeated points change the flow, not M_S.
    candidates : sequence of rational parameter vectors
        Optional exact points tried as witnesses when no recipe shows equality: one that lies in
        one zero-loss set and not the other proves the sets "different".

    Returns
    -------
    ZeroLossRelation
        "equal" with the recipes used and the argument, "different" with a witness, or
        "undecided" with the constraints that no recipe matched.

    Guarantee: exact (a decided relation is proved by algebra on rationals).
    """
    _check_inputs(model, [("s1", s1), ("s2", s2)])
    sup1, sup2 = s1.support(), s2.support()
    repeated = s1.n != len(sup1) or s2.n != len(sup2)
    multiset_note = ("the datasets are multisets and M_S depends only on the set of distinct "
                     "pairs (x_i, y_i)")
    if sup1 == sup2:
        return ZeroLossRelation(
            "equal", ("same-support",),
            f"both datasets have the same support of {len(sup1)} distinct points; "
            f"{multiset_note}, so M_S1 = M_S2 (repetitions re-weight the loss, not its zeros)",
            {"support_size": len(sup1)})
    has_label_zero = any(y == 0 for _, y in sup1 | sup2)
    scaling_argument = label_zero_scaling_argument(model) if has_label_zero else None
    canon1 = _canonical(sup1, scaling_argument is not None)
    canon2 = _canonical(sup2, scaling_argument is not None)
    if set(canon1) == set(canon2):
        pairs = []
        for key in canon1:
            a, b = canon1[key], canon2[key]
            if sorted(a) != sorted(b):
                pairs.append(f"{', '.join(map(_point_text, a))} ~ {', '.join(map(_point_text, b))}")
        recipes = (("same-support",) if repeated else ()) + ("label-0-scaling",)
        return ZeroLossRelation(
            "equal", recipes,
            "every label-0 point of one dataset is a positive multiple of a label-0 point of the "
            f"other and all other points coincide; {scaling_argument}; {multiset_note}",
            {"scaled_pairs": pairs})
    if candidates:
        found = _witness(model, s1, s2, candidates)
        if found is not None:
            return found
    only1 = [p for key in set(canon1) - set(canon2) for p in canon1[key]]
    only2 = [p for key in set(canon2) - set(canon1) for p in canon2[key]]
    reason = ("no recipe matched the constraints " +
              "; ".join(f"{_point_text(p)} (only in S1)" for p in sorted(only1)) +
              ("; " if only1 and only2 else "") +
              "; ".join(f"{_point_text(p)} (only in S2)" for p in sorted(only2)))
    if has_label_zero and scaling_argument is None:
        reason += ("; label-0 scaling was not shown for this model (neither positively "
                   "homogeneous in x nor one unit sigma(linear form in x) with a cone zero set)")
    return ZeroLossRelation("undecided", (), reason,
                            {"only_in_S1": [_point_text(p) for p in sorted(only1)],
                             "only_in_S2": [_point_text(p) for p in sorted(only2)]})


# -- parameter regions and strictly inactive points ----------------------------------------------
@dataclass(frozen=True)
class ParameterBox:
    """B = prod_k [lo_k, hi_k] with exact rational bounds, one interval per model parameter."""

    bounds: tuple[tuple[Fraction, Fraction], ...]

    @classmethod
    def from_bounds(cls, model: Model, bounds: Sequence[Any] | Mapping[Any, Any]) -> ParameterBox:
        """From ``[(lo, hi), ...]`` in parameter order or ``{name or symbol: (lo, hi)}``."""
        names = [str(p) for p in model.parameters]
        if isinstance(bounds, Mapping):
            keyed = {str(k): v for k, v in bounds.items()}
            unknown = sorted(set(keyed) - set(names))
            missing = [n for n in names if n not in keyed]
            if unknown or missing:
                raise InvalidArgument(f"box: needs exactly the parameters {names}; unknown "
                                      f"{unknown}, missing {missing}")
            items = [keyed[n] for n in names]
        else:
            items = list(bounds)
            if len(items) != len(names):
                raise InvalidArgument(f"box: expected {len(names)} intervals (parameters "
                                      f"{', '.join(names)}), got {len(items)}")
        out = []
        for name, item in zip(names, items, strict=True):
            if isinstance(item, (str, bytes)) or not isinstance(item, Sequence) or len(item) != 2:
                raise InvalidArgument(f"box[{name}]: expected a pair (lo, hi), got {item!r}")
            lo = parse_rational(item[0], what=f"box[{name}] lower bound")
            hi = parse_rational(item[1], what=f"box[{name}] upper bound")
            if lo > hi:
                raise InvalidArgument(f"box[{name}]: lower bound {lo} exceeds upper bound {hi}")
            out.append((lo, hi))
        return cls(tuple(out))

    def max_affine(self, constant: Fraction, coefficients: Sequence[Fraction]) -> Fraction:
        """max over B of c0 + sum_k c_k theta_k (exact: attained at a vertex)."""
        total = constant
        for c, (lo, hi) in zip(coefficients, self.bounds, strict=True):
            total += c * hi if c > 0 else c * lo
        return total

    def describe(self) -> str:
        return " x ".join(f"[{fraction_to_text(lo)}, {fraction_to_text(hi)}]"
                          for lo, hi in self.bounds)


@dataclass(frozen=True)
class ParameterBall:
    """B = {theta : |theta - center|_2 <= radius}, exact rational center and radius."""

    center: tuple[Fraction, ...]
    radius: Fraction

    @classmethod
    def from_center(cls, model: Model, center: Sequence[Any], radius: Any) -> ParameterBall:
        if isinstance(center, (str, bytes)) or len(center) != len(model.parameters):
            raise InvalidArgument(f"center: expected {len(model.parameters)} rationals, got "
                                  f"{center!r}")
        c = tuple(parse_rational(v, what=f"center[{k}]") for k, v in enumerate(center))
        r = parse_rational(radius, what="radius")
        if r < 0:
            raise InvalidArgument(f"radius: expected a rational >= 0, got {radius!r}")
        return cls(c, r)

    def sign_of_max_affine(self, constant: Fraction, coefficients: Sequence[Fraction]) -> int:
        """sign of max over B of c0 + c.theta = c0 + c.center + radius |c|, decided exactly."""
        m = constant + sum((ck * xk for ck, xk in zip(coefficients, self.center, strict=True)),
                           Fraction(0))
        spread_sq = self.radius**2 * sum((ck * ck for ck in coefficients), Fraction(0))
        if spread_sq == 0:
            return (m > 0) - (m < 0)
        if m >= 0:
            return 1
        # m < 0: max = m + sqrt(spread_sq) compares with 0 like spread_sq with m^2.
        return (spread_sq > m * m) - (spread_sq < m * m)

    def describe(self) -> str:
        center = ", ".join(fraction_to_text(v) for v in self.center)
        return f"ball(center=({center}), radius={fraction_to_text(self.radius)})"


def _affine_coefficients(z: sympy.Expr,
                         parameters: Sequence[sympy.Symbol]) -> tuple[Fraction,
                                                                      list[Fraction]] | None:
    try:
        poly = sympy.Poly(sympy.expand(z), *parameters)
    except sympy.PolynomialError:
        return None
    if poly.total_degree() > 1 or not all(c.is_Rational for c in poly.coeffs()):
        return None

    def frac(c: sympy.Expr) -> Fraction:
        return Fraction(int(c.p), int(c.q))

    constant = frac(poly.coeff_monomial(1))
    coefficients = [frac(poly.coeff_monomial(p)) for p in parameters]
    return constant, coefficients


def _inactive_on_region(model: Model, x: tuple[Fraction, ...],
                        region: ParameterBox | ParameterBall) -> tuple[bool, bool, str]:
    """(f(x; theta) = 0 on region, strictly, why) from relu pre-activations <= 0 on the region."""
    out = model.output(x)
    if sympy.expand(out) == 0:
        return True, False, "f(x'; theta) = 0 identically"
    atoms = sorted(out.atoms(relu), key=sympy.default_sort_key)
    if not atoms or sympy.expand(out.xreplace({a: sympy.S.Zero for a in atoms})) != 0:
        return False, False, "f(x'; theta) is not a combination of relu terms"
    strict = True
    for atom in atoms:
        affine = _affine_coefficients(atom.args[0], model.parameters)
        if affine is None:
            return False, False, f"pre-activation {atom.args[0]} is not affine in theta"
        constant, coefficients = affine
        if isinstance(region, ParameterBox):
            top = region.max_affine(constant, coefficients)
            sign = (top > 0) - (top < 0)
        else:
            sign = region.sign_of_max_affine(constant, coefficients)
        if sign > 0:
            return False, False, f"pre-activation {atom.args[0]} is positive somewhere in B"
        strict = strict and sign < 0
    kind = "< 0" if strict else "<= 0"
    return True, strict, (f"every relu pre-activation at x' is {kind} on B (exact range of an "
                          "affine function), so f(x'; theta) = 0 on B")


def contained_zero_loss_set(model: Model, s1: Dataset, s2: Dataset, *,
                            box: Sequence[Any] | Mapping[Any, Any] | None = None,
                            ball: tuple[Sequence[Any], Any] | None = None) -> ZeroLossRelation:
    """Decide M_S1 ∩ B ⊆ M_S2 exactly, B a rational box or Euclidean ball of parameters.

    Each distinct point of S2 must be (a) a point of S1, (b) a label-0 point on the ray of a
    label-0 point of S1 when label-0 scaling holds for the model, or (c) a label-0 point x'
    that is inactive on B: every relu pre-activation at x' is affine in theta with maximum
    <= 0 over B (exact: vertex of the box / center plus radius times the gradient norm, compared
    by squares), so f(x'; theta) = 0 there. The details record whether (c) was strict (< 0).
    When also every point of S1 is matched in S2, M_S1 ∩ B = M_S2 ∩ B (recorded as
    ``details["equal_on_B"]``).

    Parameters
    ----------
    box : ``[(lo, hi), ...]`` in parameter order, or ``{name: (lo, hi)}``
    ball : ``(center, radius)``
        Exactly one of box and ball.

    Guarantee: exact.
    """
    _check_inputs(model, [("s1", s1), ("s2", s2)])
    if (box is None) == (ball is None):
        raise InvalidArgument("box/ball: give exactly one parameter region B")
    region: ParameterBox | ParameterBall
    if box is not None:
        region = ParameterBox.from_bounds(model, box)
    else:
        if not isinstance(ball, Sequence) or len(ball) != 2:
            raise InvalidArgument(f"ball: expected (center, radius), got {ball!r}")
        region = ParameterBall.from_center(model, ball[0], ball[1])
    sup1, sup2 = s1.support(), s2.support()
    label_zero = any(y == 0 for _, y in sup2 - sup1)
    scaling_argument = label_zero_scaling_argument(model) if label_zero else None
    rays1 = {_ray_key(x) for x, y in sup1 if y == 0}
    recipes: list[str] = []
    lines: list[str] = []
    all_strict = True
    for point in sorted(sup2 - sup1):
        x, y = point
        if y == 0 and scaling_argument is not None and _ray_key(x) in rays1:
            if "label-0-scaling" not in recipes:
                recipes.append("label-0-scaling")
            lines.append(f"{_point_text(point)}: positive multiple of a label-0 point of S1")
            continue
        if y != 0:
            return ZeroLossRelation(
                "undecided", (), f"{_point_text(point)} of S2 has a nonzero label and is not in "
                "S1: no recipe shows M_S1 ∩ B ⊆ M_S2", {"region": region.describe()})
        ok, strict, why = _inactive_on_region(model, x, region)
        if not ok:
            return ZeroLossRelation("undecided", (), f"{_point_text(point)}: {why}",
                                    {"region": region.describe()})
        all_strict = all_strict and strict
        if "strictly-inactive" not in recipes:
            recipes.append("strictly-inactive")
        lines.append(f"{_point_text(point)}: {why}")
    if s1.n != len(sup1) or s2.n != len(sup2):
        recipes.insert(0, "same-support")
    rays2 = {_ray_key(x) for x, y in sup2 if y == 0}
    equal = all(p in sup2 or (p[1] == 0 and scaling_argument is not None and
                              _ray_key(p[0]) in rays2) for p in sup1)
    if scaling_argument is not None and "label-0-scaling" in recipes:
        lines.append(f"label-0 scaling: {scaling_argument}")
    argument = (f"on B = {region.describe()}, every constraint of S2 holds on M_S1 ∩ B: " +
                "; ".join(lines) if lines else
                "every point of S2 is a point of S1 (M_S depends only on the support)")
    return ZeroLossRelation("contained", tuple(recipes), argument,
                            {"region": region.describe(), "strict": all_strict,
                             "equal_on_B": equal})
