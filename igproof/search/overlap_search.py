"""Search for Two-point / One-point Overlapping instances: recipes, float screen, shrink, certify.

An Overlapping instance (SPEC.md section 1) is a pair of datasets (S1, S2) and one theta0 whose
gradient-flow limits theta1 != theta2 both lie in M_S1 ∩ M_S2 (Two-point) or of which one limit,
the one with the smaller N(theta) for a norm N, lies in the other's zero-loss set (One-point).
The overlap must be exact, so the pairs are drawn from the recipes that make it so:

- ``scaled``: S2 = S1 with its label-0 point x' replaced by g x', g > 0 rational (for sigma with
  sigma(z) = 0 exactly on a cone: relu, leaky relu, tanh): M_S1 = M_S2;
- ``repeated``: S2 = S1 plus a copy of one of its points (datasets are multisets): M_S1 = M_S2;
- ``inactive``: S2 = S1 plus a label-0 point x'' (ReLU models): M_S2 ⊆ M_S1 (subset), and theta1
  lies in M_S2 when x'' is strictly inactive on theta1's certified ball (exact range of an affine
  pre-activation over the ball);
- ``superset`` (One-point only): S2 = S1 plus a labelled point: M_S2 ⊆ M_S1 (subset), so the limit
  theta2 lies in M_S1; the instance holds when theta2 has the smaller N.

Families (:data:`FAMILIES`): the relu neuron relu(w . x), the neurons a sigma(w . x) with sigma =
relu, tanh, leaky relu (slope 1/100), one-hidden-layer relu networks sum_j v_j relu(w_j . x)
of width 2 and 3, and the leaky relu network of width 2; on request (:func:`get_family` with
``bias``/``skip``) the nets sum_j v_j sigma(w_j . x + b_j) + u . x + c of boursier2023 (not
homogeneous in x: only ``repeated`` and ``superset``). Not every recipe can be certified for
every family, and the screen says why (each reason counted, see :class:`Found`): a label-0
point of a leaky relu neuron is fitted only on its kink w . x' = 0 (no smooth end-game there); a
repeated point is live at the limit (two equal rows: J J^T singular in the prover's
Polyak-Lojasiewicz end-game), crosses its kink together with its copy, or never acts
(:data:`REPEATED_SKIP`).

Pipeline per example: Hypothesis draws (S1, S2, theta0) (:func:`overlap_candidates`), the float
surrogate integrates both flows (:func:`float_screen`: both converge, the limits are distinct by a
margin, kinks decided at theta0 and at both limits), Hypothesis shrinks a hit to the
smallest rational instance (:func:`find_overlap`), and :func:`certify_candidate` hands it to
:func:`igproof.certificate.overlap.overlap_pair` (the path of ``igproof overlap``): the
zero-loss relations decided by exact algebra (:mod:`igproof.symbolic.zero_loss`), both limits
proved by validated trajectories, the ``two-point-overlap`` / ``one-point-overlap`` certificate
assembled and accepted by the independent checker. :func:`discover` repeats this over model
families within a time budget and counts the certified new instances per family.

Guarantee: the float steps are leads (none); an instance counts only when the checker accepted
its certificate (enclosure + exact algebra).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import hypothesis
import numpy as np
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

from igproof.certificate.overlap import ProverOptions, overlap_pair
from igproof.certificate.writer import write_certificate
from igproof.errors import IgproofError, InvalidArgument
from igproof.search.families import SurrogateModel
from igproof.search.strategies import initializations, rationals
from igproof.search.surrogate import float_limit
from igproof.search.symmetry import class_key
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.models import build_model
from igproof.verdict import Outcome, Verdict

MECHANISMS = ("two-point", "one-point")
RECIPES = ("scaled", "repeated", "inactive", "superset")
# Recipes that certify a Two-point instance (superset certifies only theta2 in M_S1).
TWO_POINT_RECIPES = ("scaled", "repeated", "inactive")
# Skip reason of a candidate whose symmetry class a discovery run has already seen.
KNOWN = "known instance (up to a signed permutation of the inputs, of the hidden units)"
# One-point classes the checker's ``ordering`` obligation knows (certificate/overlap.CLASSES).
ONE_POINT_CLASSES = ("norm", "l1-norm", "distance-to-theta0")
# Scale factors g of the label-0 point, in shrink order (Hypothesis shrinks towards the first).
GAMMAS = tuple(Fraction(g) for g in ("2", "3", "1/2", "5", "1/3", "4", "10"))
# Coordinates and labels of drawn points: small rationals (denominator <= 2) read as an instance.
COORDINATE_RANGE = (-2, 2)
LABEL_RANGE = ("1/2", 2)
MAX_DENOMINATOR = 2
# Initialization scales 10^k, k in [-1, 0]: tiny initializations make the ReLU flows long
# (many certified pieces) without making the overlap any more interesting.
INIT_EXPONENTS = (-1, 0)
# Float screen. Distinct limits: |theta1 - theta2|_2 >= SEPARATION (the certified balls have
# radii ~1e-14 (ReLU) to ~3e-3 (tanh, loss target 2e-7), so 2e-2 leaves room for both).
SEPARATION = 2e-2
# One-point: N(theta_o) - N(theta_s) >= ORDER_MARGIN (same reasoning as SEPARATION).
ORDER_MARGIN = 1e-2
# ReLU kinks decided at a float limit: |w . x_i| >= KINK_MARGIN |x_i| max(1, |w|) (the search's
# promote filter uses the same 1e-3: a certified ball of radius << 1e-3 then decides every sign).
KINK_MARGIN = 1e-3
# The new families (two-layer, leaky relu) use 1e-2: their end-games are wider (balls ~3e-4,
# Taylor pieces of p + p^2 sensitivities), and a two-layer leaky relu hit whose unit sat 2e-3
# from its kink failed ("activation pattern not certified constant on D").
WIDE_KINK_MARGIN = 1e-2
# The float flows must converge well before the prover's t_max (proof/limits/limit.py: 200).
T_SCREEN = 100.0
# Limits larger than this are discarded (long flows, wide enclosures).
MAX_LIMIT_NORM = 20.0
# The leaky relu neuron's branch-switch draws (:func:`_branch_switch`) end on the branch a < 0
# with |a| ~ sqrt(y / slope): their limits may be larger.
BRANCH_LIMIT_NORM = 200.0
# Branch-switch draws: y2 = R y1 (R in shrink order), a0, the scale alpha1 of w0 along x1, and
# the push c = slope y2 |w0 . x2| / (y1 w0 . x1) of the label-0-free geometry (c in (1, 2) when
# S2 repeats x1, in (1/2, 1) when it repeats x2: the sign of da/dt at a ~ 0 then differs).
BRANCH_RATIOS = (50, 25, 100)
BRANCH_A0 = tuple(Fraction(a) for a in ("1/100", "1/50", "1/20"))
BRANCH_SCALES = tuple(Fraction(a) for a in ("1", "1/2", "2"))
BRANCH_PUSH = {0: tuple(Fraction(c) for c in ("3/2", "5/4", "7/4")),
               1: tuple(Fraction(c) for c in ("3/4", "5/8", "7/8"))}
# Surrogate steps per float flow (each example integrates two flows).
SCREEN_MAX_STEPS = 3000
# The prover's end-game needs a Polyak-Lojasiewicz constant: lambda_min(J J^T) over the live
# residual rows at the limit. The new families' screen skips limits where it is below
# PL_FLOOR times the largest eigenvalue (a rank drop; measured: "J J^T is singular at
# theta(T) (lambda_min ~ 0)" on a two-layer hit).
PL_FLOOR = 1e-8
# Hidden widths of the two-layer families (issue 14: width 2-3; each unit adds d + 1 parameters
# and the validated Taylor steps carry p + p^2 sensitivities, so wider nets cost more to certify).
TWO_LAYER_WIDTHS = (2, 3)
# Widths of the two-layer nets with biases / skip part (boursier2023's d = 1 examples; width 1
# is the smallest net with a kink, and each unit adds d + 2 parameters).
AFFINE_WIDTHS = (1, 2, 3)
# Two-layer label-0 points x' = -x1 + t x1^perp (t in shrink order): obtuse to x1, never parallel.
OBTUSE_TILTS = tuple(Fraction(t) for t in ("1", "-1", "2", "-2", "1/2", "-1/2"))
# theta0 is moved off the kinks in steps of 1/10 of a unit's last weight (vardi2021's theta0 has
# denominators 2, 5, 10), at most 5 steps (points with denominator <= 2 block few of them).
KINK_SHIFT = Fraction(1, 10)
KINK_SHIFTS = 5
# An output weight v_j drawn as 0 starts at 1/2 (vardi2021's theta0; v = 0 is a saddle).
ZERO_V_INIT = Fraction(1, 2)
# Hypothesis budget of one search (valid examples).
DEFAULT_MAX_EXAMPLES = 300


@dataclass(frozen=True)
class Family:
    """A model family searched: ``kind`` (relu-neuron, neuron, two-layer), ``activation``,
    input ``dim`` and (two-layer) hidden ``width``, ``bias`` b_j and ``skip`` part u . x + c."""

    kind: str
    activation: str
    dim: int
    width: int = 1
    bias: bool = False
    skip: bool = False

    @property
    def label(self) -> str:
        if self.kind == "relu-neuron":
            return self.kind
        if self.kind == "two-layer":
            return (f"two-layer-{self.width}/{self.activation}" + ("+bias" if self.bias else "")
                    + ("+skip" if self.skip else ""))
        return f"{self.kind}/{self.activation}"

    @property
    def affine(self) -> bool:
        """True for the two-layer nets with biases b_j or a skip part u . x + c (boursier2023):
        not positively homogeneous in x, so ``scaled`` label-0 points do not keep M_S."""
        return self.bias or self.skip

    def point(self, x: Sequence[Any]) -> tuple[Any, ...]:
        """The input of a unit's pre-activation w_j . x + b_j as a dot product: (x, 1) with
        biases (the unit's weights are then (w_j, b_j), :meth:`units`), else x."""
        return (*x, 1) if self.bias else tuple(x)

    @property
    def surrogate(self) -> SurrogateModel:
        return SurrogateModel(self.kind, self.activation, self.dim, width=self.width,
                              bias=self.bias, skip=self.skip)

    @property
    def relu(self) -> bool:
        """True for relu models: sigma = 0 on a half-space (inactive points)."""
        return self.activation == "relu"

    @property
    def new(self) -> bool:
        """The families added for issue 14 item 2 (two-layer, leaky relu): their screen adds the
        checks below that the neurons' seeded searches did not have (kept as they were)."""
        return self.kind == "two-layer" or self.activation == "leaky-relu"

    @property
    def piecewise(self) -> bool:
        """True for relu and leaky relu: kinks at w_j . x_i = 0, decided exactly at theta0."""
        return self.activation in ("relu", "leaky-relu")

    @property
    def recipes(self) -> tuple[str, ...]:
        """The recipes drawn by default: relu neurons all Two-point recipes; tanh and leaky relu
        have no strictly inactive points (their zero set is z = 0, not a half-space); the leaky
        relu neuron draws ``repeated`` in its branch-switch geometry (:func:`_branch_switch`;
        its label-0 points are fitted only on a kink, so ``scaled`` never certifies) and
        ``superset`` (One-point); the two-layer families do not draw ``repeated``, which the
        screen skips for relu (:data:`REPEATED_SKIP`; the neurons keep it so that their seeded
        searches stay as they were)."""
        if self.affine:
            return ("repeated", "superset")
        if self.kind == "two-layer":
            return ("scaled", "inactive") if self.relu else ("scaled",)
        if self.relu:
            return TWO_POINT_RECIPES
        if self.activation == "leaky-relu":
            return ("repeated", "superset")
        return ("scaled", "repeated")

    @property
    def supported_recipes(self) -> tuple[str, ...]:
        """Every recipe the family can draw (``superset`` for all: One-point via subset)."""
        if self.affine:
            return ("repeated", "superset")
        return (*TWO_POINT_RECIPES, "superset") if self.relu else (
            "scaled", "repeated", "superset")

    def recipes_for(self, mechanism: str) -> tuple[str, ...]:
        """The default recipes of a mechanism: ``superset`` never makes a Two-point pair."""
        return tuple(r for r in self.recipes if mechanism == "one-point" or r != "superset")

    def units(self, theta: Sequence[Any]) -> list[Sequence[Any]]:
        """The weight vectors w_j inside the activations, from theta in build_model's order
        ((w_j, b_j) with biases: w_j . x + b_j = (w_j, b_j) . :meth:`point` (x))."""
        if self.kind == "relu-neuron":
            return [theta]
        if self.kind == "neuron":
            return [theta[1:]]
        m, d = self.width, self.dim
        if self.bias:
            return [(*theta[m + j * d:m + (j + 1) * d], theta[m + m * d + j]) for j in range(m)]
        return [theta[m + j * d:m + (j + 1) * d] for j in range(m)]

    def model(self) -> Any:
        if self.kind == "two-layer":
            return build_model(self.kind, dim=self.dim, activation=self.activation,
                               width=self.width, bias=self.bias, skip=self.skip)
        return build_model(self.kind, dim=self.dim, activation=self.activation)


# The families the search covers, by label (``--model``/``--activation``/``--width``).
FAMILIES = {
    "relu-neuron": Family("relu-neuron", "relu", 3),
    "neuron/relu": Family("neuron", "relu", 2),
    "neuron/tanh": Family("neuron", "tanh", 2),
    "neuron/leaky-relu": Family("neuron", "leaky-relu", 2),
    **{f"two-layer-{m}/relu": Family("two-layer", "relu", 2, m) for m in TWO_LAYER_WIDTHS},
    "two-layer-2/leaky-relu": Family("two-layer", "leaky-relu", 2, 2),
}
# Activation spellings accepted on the command line (activations.get_activation's alias).
ACTIVATION_ALIASES = {"leaky_relu": "leaky-relu"}


def get_family(kind: str, activation: str | None = None, dim: int | None = None,
               width: int | None = None, *, bias: bool = False, skip: bool = False) -> Family:
    """The family for ``--model kind --activation A [--dim D] [--width M] [--bias] [--skip]``
    (one-line errors otherwise). ``leaky_relu`` is read as ``leaky-relu``; two-layer has width
    2 by default; with ``--bias``/``--skip`` dimension 1 by default (boursier2023)."""
    act = activation or "relu"
    act = ACTIVATION_ALIASES.get(act, act)
    if bias or skip:
        return _affine_family(kind, act, dim, width, bias, skip)
    if kind == "relu-neuron" and act != "relu":
        raise InvalidArgument(f"--activation: relu-neuron has activation relu, got {act!r}")
    if width is not None and kind != "two-layer":
        raise InvalidArgument(f"--width: only the two-layer model has a hidden width, got "
                              f"--model {kind}")
    if kind == "two-layer":
        m = 2 if width is None else width
        if isinstance(m, bool) or not isinstance(m, int) or m not in TWO_LAYER_WIDTHS:
            raise InvalidArgument(f"--width: the overlap search covers two-layer widths "
                                  f"{', '.join(map(str, TWO_LAYER_WIDTHS))}, got {m!r}")
        key = f"two-layer-{m}/{act}"
    else:
        key = kind if kind == "relu-neuron" else f"{kind}/{act}"
    if key not in FAMILIES:
        known = ", ".join(f"--model {f.kind} --activation {f.activation}"
                          + (f" --width {f.width}" if f.kind == "two-layer" else "")
                          for f in FAMILIES.values())
        raise InvalidArgument(f"--model/--activation: the overlap search covers {known}; got "
                              f"{kind!r} with {act!r}")
    base = FAMILIES[key]
    if dim is None:
        return base
    if isinstance(dim, bool) or not isinstance(dim, int) or not 1 <= dim <= 4:
        raise InvalidArgument(f"--dim: expected an integer in 1..4, got {dim!r}")
    return Family(base.kind, base.activation, dim, base.width)


def _affine_family(kind: str, act: str, dim: int | None, width: int | None, bias: bool,
                   skip: bool) -> Family:
    """The two-layer family with biases and/or a skip part (:func:`get_family`)."""
    if kind != "two-layer":
        raise InvalidArgument(f"--bias/--skip: only the two-layer model has biases and a skip "
                              f"part, got --model {kind}")
    if act not in ("relu", "leaky-relu"):
        raise InvalidArgument(f"--activation: two-layer --bias/--skip covers relu and leaky-relu, "
                              f"got {act!r}")
    m = 2 if width is None else width
    if isinstance(m, bool) or not isinstance(m, int) or m not in AFFINE_WIDTHS:
        raise InvalidArgument(f"--width: two-layer --bias/--skip covers widths "
                              f"{', '.join(map(str, AFFINE_WIDTHS))}, got {m!r}")
    d = 1 if dim is None else dim
    if isinstance(d, bool) or not isinstance(d, int) or not 1 <= d <= 4:
        raise InvalidArgument(f"--dim: expected an integer in 1..4, got {d!r}")
    return Family("two-layer", act, d, m, bias, skip)


@dataclass(frozen=True)
class Candidate:
    """A drawn pair: S1, S2 from one ``recipe``, theta0; ``index`` and ``gamma`` for ``scaled``
    (S2.x[index] = gamma S1.x[index], label 0), ``index`` of the copied point for ``repeated``."""

    family: Family
    recipe: str
    s1: Dataset
    s2: Dataset
    theta0: tuple[Fraction, ...]
    index: int = 0
    gamma: Fraction = Fraction(1)

    def key(self) -> str:
        """A stable identity of the instance (dedup across a discovery run; file names)."""
        text = repr((self.family, self.recipe, self.s1.to_json(), self.s2.to_json(),
                     [str(t) for t in self.theta0]))
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def class_key(self) -> str:
        """The identity of the instance up to the gradient flow's symmetries (signed
        permutations of the input coordinates, of the hidden units, of the points): two
        candidates with the same class key have the same limits up to an orthogonal map
        (:mod:`igproof.search.symmetry`); a discovery run counts each class once."""
        return class_key(self.family, self.recipe, (self.s1, self.s2), self.theta0)

    def describe(self) -> str:
        def pts(ds: Dataset) -> str:
            return "; ".join("(" + ", ".join(map(str, xi)) + f") -> {yi}"
                             for xi, yi in zip(ds.x, ds.y, strict=True))
        return (f"{self.family.label} d={self.family.dim}, recipe {self.recipe}"
                + (f" (g = {self.gamma})" if self.recipe == "scaled" else "")
                + f": S1 = [{pts(self.s1)}], S2 = [{pts(self.s2)}], theta0 = ("
                + ", ".join(map(str, self.theta0)) + ")")

    def to_json(self) -> dict[str, Any]:
        return {"family": self.family.label, "dim": self.family.dim, "recipe": self.recipe,
                "S1": self.s1.to_json(), "S2": self.s2.to_json(),
                "theta0": [str(t) for t in self.theta0], "index": self.index,
                "gamma": str(self.gamma), "class": self.class_key()}


# -- Hypothesis strategies -------------------------------------------------------------------------
def _vectors(dim: int) -> st.SearchStrategy[tuple[Fraction, ...]]:
    lo, hi = COORDINATE_RANGE
    entry = rationals(min_value=lo, max_value=hi, max_denominator=MAX_DENOMINATOR)
    return st.tuples(*[entry] * dim).filter(lambda v: any(c != 0 for c in v))


def _labels() -> st.SearchStrategy[Fraction]:
    return rationals(min_value=LABEL_RANGE[0], max_value=LABEL_RANGE[1],
                     max_denominator=MAX_DENOMINATOR)



def _draw_labelled(draw: Any, recipes: tuple[str, ...], dim: int, max_points: int, p: int
                   ) -> tuple[str, list, list, list[Fraction]]:
    """A recipe, 1..max_points labelled points and a raw theta0, drawn in this order (seeded
    searches replay the same draws)."""
    recipe = draw(st.sampled_from(recipes))
    n = draw(st.integers(1, max_points))
    xs = [draw(_vectors(dim)) for _ in range(n)]
    ys = [draw(_labels()) for _ in range(n)]
    theta0 = draw(initializations(p, min_exponent=INIT_EXPONENTS[0],
                                  max_exponent=INIT_EXPONENTS[1],
                                  max_denominator=MAX_DENOMINATOR))
    return recipe, xs, ys, theta0

def overlap_candidates(family: Family, recipes: Sequence[str] | None = None, *,
                       max_points: int = 2) -> st.SearchStrategy[Candidate]:
    """Pairs (S1, S2) with an exactly shared (or exactly contained) zero-loss set, and theta0.

    S1 has 1..``max_points`` positive-label points (labels in [1/2, 2]) and, for ``scaled``, one
    label-0 point last; ``repeated`` may add a label-0 point too (not for leaky relu, whose
    label-0 points are fitted only on the kink); ``superset`` adds a positive-label point to
    S2. Everything shrinks towards fewer points, denominator 1, g = 2 and theta0 of scale 1.
    """
    chosen = tuple(family.recipes if recipes is None else recipes)
    bad = [r for r in chosen if r not in family.supported_recipes]
    if not chosen or bad:
        raise InvalidArgument(f"recipes: {family.label} supports "
                              f"{', '.join(family.supported_recipes)}; got {list(chosen)}")
    p = family.surrogate.n_params
    if family.affine:
        return _affine_candidates(family, chosen, max_points)
    if family.kind == "neuron" and family.activation == "leaky-relu" and "repeated" in chosen:
        others = tuple(r for r in chosen if r != "repeated")
        switch = _branch_switch(family)
        if not others:
            return switch
        return st.one_of(switch, overlap_candidates(family, others, max_points=max_points))
    if family.kind == "two-layer":
        return _two_layer_candidates(family, chosen, max_points)

    @st.composite
    def draw(draw: Any) -> Candidate:
        recipe, xs, ys, theta0 = _draw_labelled(draw, chosen, family.dim, max_points, p)
        n = len(xs)
        zero = draw(_vectors(family.dim))
        if recipe == "scaled":
            gamma = draw(st.sampled_from(GAMMAS))
            s1 = Dataset([*xs, zero], [*ys, Fraction(0)])
            s2 = Dataset([*xs, tuple(gamma * c for c in zero)], [*ys, Fraction(0)])
            return Candidate(family, recipe, s1, s2, theta0, n, gamma)
        if recipe == "repeated":
            if family.activation != "leaky-relu" and draw(st.booleans()):
                xs, ys = [*xs, zero], [*ys, Fraction(0)]
            j = draw(st.integers(0, len(xs) - 1))
            s1 = Dataset(xs, ys)
            s2 = Dataset([*xs, xs[j]], [*ys, ys[j]])
            return Candidate(family, recipe, s1, s2, theta0, j)
        s1 = Dataset(xs, ys)
        label = Fraction(0) if recipe == "inactive" else draw(_labels())
        s2 = Dataset([*xs, zero], [*ys, label])
        return Candidate(family, recipe, s1, s2, theta0, n)

    return draw()


def _branch_switch(family: Family) -> st.SearchStrategy[Candidate]:
    """``repeated`` pairs of the leaky relu neuron a sigma(w . x) whose two flows end on
    different branches of the zero-loss set (docs/overlap.md, leaky relu neuron).

    Along the flow w - w0 stays in the span of the data and a^2 - |w|^2 is conserved, so both
    limits lie in one finite set fixed by M_S and theta0: a Two-point pair must end on two of
    its points. Here S1 = [(x1, y1); (x2, R y1)] with x2 = x1^perp, w0 = alpha1 x1 + alpha2 x2
    with w0 . x1 > 0 > w0 . x2 and a0 > 0 small; at a ~ 0, n da/dt ~ sum_i m_i y_i sigma(w . x_i)
    = y1 alpha1 |x1|^2 (m1 - c m2) with the push c: repeating x1 (c in (1, 2)) or x2
    (c in (1/2, 1)) flips its sign, so one flow ends with a > 0 (both points on the identity
    side), the other with a < 0 (both on the slope side).
    """
    slope = Fraction(1, 100)

    @st.composite
    def draw(draw: Any) -> Candidate:
        x1 = draw(_vectors(family.dim).filter(lambda v: v[0] != 0 or v[1] != 0))
        x2 = (-x1[1], x1[0], *([Fraction(0)] * (family.dim - 2)))
        y1 = draw(_labels())
        y2 = y1 * draw(st.sampled_from(BRANCH_RATIOS))
        j = draw(st.integers(0, 1))
        push = draw(st.sampled_from(BRANCH_PUSH[j]))
        alpha1 = draw(st.sampled_from(BRANCH_SCALES))
        alpha2 = -push * alpha1 * y1 / (slope * y2)
        w0 = tuple(alpha1 * a + alpha2 * b for a, b in zip(x1, x2, strict=True))
        theta0 = (draw(st.sampled_from(BRANCH_A0)), *w0)
        xs, ys = [x1, x2], [y1, y2]
        s1 = Dataset(xs, ys)
        s2 = Dataset([*xs, xs[j]], [*ys, ys[j]])
        return Candidate(family, "repeated", s1, s2, theta0, j)

    return draw()


def _obtuse_partner(x1: tuple[Fraction, ...], tilt: Fraction) -> tuple[Fraction, ...]:
    """x' = -x1 + tilt * x1^perp (x1^perp = (-x1_2, x1_1, 0, ...)): x' . x1 = -|x1|^2 < 0, and
    x' is parallel to x1 for no tilt != 0 (d >= 2)."""
    perp = (-x1[1], x1[0], *([Fraction(0)] * (len(x1) - 2)))
    return tuple(-a + tilt * b for a, b in zip(x1, perp, strict=True))


def _off_kinks(family: Family, theta0: tuple[Fraction, ...],
               points: Sequence[Sequence[Fraction]]) -> tuple[Fraction, ...]:
    """theta0 with each unit's last weight moved by KINK_SHIFT until w_j . x_i != 0 for every
    point (at most KINK_SHIFTS moves; a theta0 still on a kink is skipped by the screen)."""
    theta = list(theta0)
    m, d = family.width, family.dim
    for j in range(m):
        for step in range(KINK_SHIFTS):
            w = theta[m + j * d:m + (j + 1) * d]
            if all(_dot(w, x) != 0 for x in points):
                break
            theta[m + j * d + (d - 1 - step) % d] += KINK_SHIFT  # last, first, ... coordinate
    return tuple(theta)


def _oriented(family: Family, theta0: tuple[Fraction, ...], xs: Sequence[Sequence[Fraction]],
              zero: Sequence[Fraction]) -> tuple[Fraction, ...]:
    """theta0 with v_j > 0, w_j . x_(j mod n) >= 0 and no zero weight w_jk for every unit
    (|v_j| or ZERO_V_INIT for v_j = 0, w_j -> -w_j where w_j . x_(j mod n) < 0, w_jk = 0 ->
    KINK_SHIFT), and unit 1 turned towards the label-0 point x' (its component along
    x1^perp reflected when that makes w_1 . x' > 0: x' then acts on the flow, so the scale g
    moves the limit). The labels are positive, a unit that starts dead with v_j < 0 mostly
    leaves the flow
    stationary away from M_S, v = 0 starts at a saddle (measured: the first Taylor steps of
    such flows fail the checker's Picard inclusion after outward rounding), and a
    zero weight whose input coordinate is 0 on every active point stays exactly 0 (measured:
    such certificates are rejected, "the replayed enclosure [-7e-26, 7e-26] is not inside the
    claimed box", a producer/checker disagreement reported to the certificate owners)."""
    theta = [(abs(t) or ZERO_V_INIT) if k < family.width else (t or KINK_SHIFT)
             for k, t in enumerate(theta0)]
    m, d = family.width, family.dim
    for j in range(m):
        w = theta[m + j * d:m + (j + 1) * d]
        if _dot(w, xs[j % len(xs)]) < 0:
            theta[m + j * d:m + (j + 1) * d] = [-c for c in w]
    x1 = xs[0]
    perp = (-x1[1], x1[0], *([Fraction(0)] * (d - 2)))
    w = theta[m:m + d]
    along = _dot(w, perp) / _dot(perp, perp)
    turned = [c - 2 * along * q for c, q in zip(w, perp, strict=True)]
    if _dot(w, zero) <= 0 < _dot(turned, zero):
        theta[m:m + d] = turned
    return tuple(theta)


def _two_layer_candidates(family: Family, chosen: tuple[str, ...],
                          max_points: int) -> st.SearchStrategy[Candidate]:
    """The two-layer recipes, drawn so that hits are likely and cheap to certify.

    A hit needs the label-0 point x' to matter (active for some unit on the way) and to be
    strictly inactive for every unit at both limits (the ``zero-on-ball`` relation, no kink in
    the limit balls). Vardi and Shamir's geometry gives both: x' = -x1 + t x1^perp makes an
    obtuse angle with the first labelled point x1, so fitting x1 (w_j grows along x1) switches
    x' off. theta0 starts with v_j >= 0 and every unit on the active side of x1
    (:func:`_oriented`) and is moved off every kink exactly (:func:`_off_kinks`); a
    ``repeated`` pair repeats x' (a repeated labelled point is live at the limit and makes the
    prover's J J^T singular); ``inactive`` adds a second such point.
    """
    p = family.surrogate.n_params

    @st.composite
    def draw(draw: Any) -> Candidate:
        recipe, xs, ys, raw = _draw_labelled(draw, chosen, family.dim, max_points, p)
        n = len(xs)
        zero = _obtuse_partner(xs[0], draw(st.sampled_from(OBTUSE_TILTS)))
        theta0 = _oriented(family, raw, xs, zero)
        if recipe == "scaled":
            gamma = draw(st.sampled_from(GAMMAS))
            s1 = Dataset([*xs, zero], [*ys, Fraction(0)])
            s2 = Dataset([*xs, tuple(gamma * c for c in zero)], [*ys, Fraction(0)])
            theta0 = _off_kinks(family, theta0, [*s1.x, *s2.x])
            return Candidate(family, recipe, s1, s2, theta0, n, gamma)
        if recipe == "repeated":
            s1 = Dataset([*xs, zero], [*ys, Fraction(0)])
            s2 = Dataset([*xs, zero, zero], [*ys, Fraction(0), Fraction(0)])
            return Candidate(family, recipe, s1, s2, _off_kinks(family, theta0, s1.x), n)
        if recipe == "inactive":
            extra = _obtuse_partner(xs[-1], draw(st.sampled_from(OBTUSE_TILTS)))
            s1 = Dataset([*xs, zero], [*ys, Fraction(0)])
            s2 = Dataset([*xs, zero, extra], [*ys, Fraction(0), Fraction(0)])
            return Candidate(family, recipe, s1, s2, _off_kinks(family, theta0, s2.x), n + 1)
        s1 = Dataset(xs, ys)
        s2 = Dataset([*xs, zero], [*ys, draw(_labels())])
        return Candidate(family, recipe, s1, s2, _off_kinks(family, theta0, s2.x), n)

    return draw()


def _affine_candidates(family: Family, chosen: tuple[str, ...],
                       max_points: int) -> st.SearchStrategy[Candidate]:
    """The recipes of the nets with biases / skip part: ``repeated`` (S2 = S1 plus a copy of
    its point j: the same support, M_S1 = M_S2 exactly) and ``superset`` (One-point). No
    label-0 points: with biases a label-0 point is not switched off by scaling. theta0 starts
    with v_j > 0 (v_j = 0 is a saddle) and is moved off every kink exactly
    (:func:`_affine_off_kinks`)."""
    p = family.surrogate.n_params

    @st.composite
    def draw(draw: Any) -> Candidate:
        recipe, xs, ys, raw = _draw_labelled(draw, chosen, family.dim, max_points, p)
        theta0 = tuple((abs(t) or ZERO_V_INIT) if k < family.width else t
                       for k, t in enumerate(raw))
        if recipe == "repeated":
            j = draw(st.integers(0, len(xs) - 1))
            s1 = Dataset(xs, ys)
            s2 = Dataset([*xs, xs[j]], [*ys, ys[j]])
            return Candidate(family, recipe, s1, s2, _affine_off_kinks(family, theta0, s1.x), j)
        zero = draw(_vectors(family.dim))
        s1 = Dataset(xs, ys)
        s2 = Dataset([*xs, zero], [*ys, draw(_labels())])
        return Candidate(family, recipe, s1, s2, _affine_off_kinks(family, theta0, s2.x),
                         len(xs))

    return draw()


def _affine_off_kinks(family: Family, theta0: tuple[Fraction, ...],
                      points: Sequence[Sequence[Fraction]]) -> tuple[Fraction, ...]:
    """theta0 with each unit's bias b_j (or, without biases, its last weight) moved by
    KINK_SHIFT until w_j . x_i + b_j != 0 for every point (at most KINK_SHIFTS moves)."""
    theta = list(theta0)
    m, d = family.width, family.dim
    for j in range(m):
        k = m + m * d + j if family.bias else m + j * d + d - 1
        for _ in range(KINK_SHIFTS):
            if all(_dot(family.units(theta)[j], family.point(x)) != 0 for x in points):
                break
            theta[k] += KINK_SHIFT
    return tuple(theta)


# -- float screen ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Screen:
    """Float leads for a candidate: both limits, their distance, which one is shared (One-point)."""

    theta1: tuple[float, ...]
    theta2: tuple[float, ...]
    separation: float
    shared: int = 1  # One-point: 1 if theta1 has the smaller N (lies in M_S2), else 2


def class_value(cls: str, theta: Sequence[float], theta0: Sequence[float]) -> float:
    """N(theta) of a One-point class: |theta|_2, |theta|_1 or |theta - theta0|_2 (floats)."""
    t = np.asarray(theta, dtype=float)
    if cls == "norm":
        return float(np.linalg.norm(t))
    if cls == "l1-norm":
        return float(np.abs(t).sum())
    if cls == "distance-to-theta0":
        return float(np.linalg.norm(t - np.asarray(theta0, dtype=float)))
    raise InvalidArgument(f"--regularizer: one-point classes are {', '.join(ONE_POINT_CLASSES)}; "
                          f"got {cls!r}")


def _dot(w: Sequence[Any], x: Sequence[Any]) -> Any:
    return sum((a * b for a, b in zip(w, x, strict=True)), 0 * w[0])


def _kinks_decided(family: Family, ds: Dataset, theta: np.ndarray, *, label_zero_off: bool
                   ) -> str | None:
    """None when every pre-activation w_j . x_i at ``theta`` is at least KINK_MARGIN away from
    0 (relative to |x_i| max(1, |w_j|)), with the signs the certificate needs; else the reason.

    Relu neurons: positive for a nonzero label; a label-0 point negative (``label_zero_off``)
    or merely off the kink. Two-layer relu: every unit off every kink, and a label-0 point
    negative for every unit (``label_zero_off``: strictly inactive, the ``zero-on-ball``
    relation). Leaky relu: off every kink (a label-0 point of the leaky neuron never is).
    """
    units = [np.asarray(w, dtype=float) for w in family.units(theta)]
    relative = WIDE_KINK_MARGIN if family.new else KINK_MARGIN
    for xi, yi in zip(ds.x, ds.y, strict=True):
        xv = np.array([float(c) for c in family.point(xi)])
        for w in units:
            z = float(w @ xv)
            margin = relative * float(np.linalg.norm(xv)) * max(1.0, float(np.linalg.norm(w)))
            if abs(z) < margin:
                return "a limit within KINK_MARGIN of a kink"
            if family.relu and yi == 0 and label_zero_off and z > 0:
                return "a label-0 point active at a limit (not strictly inactive)"
            if family.relu and family.kind != "two-layer" and yi != 0 and z < 0:
                return "a labelled point inactive at a limit"
    return None


def _exactly_off_kinks(family: Family, datasets: Sequence[Dataset],
                       theta0: Sequence[Fraction]) -> str | None:
    """None when theta0 is on no kink (w0_j . x_i != 0 exactly for every unit j) and no two
    points of a dataset are parallel (two kinks on one hyperplane would be crossed at the same
    instant; nor two units with equal weights w_j = w_k, whose kinks on a point are crossed
    together when v_j = v_k); else the reason."""
    units = family.units(tuple(theta0))
    if len({tuple(w) for w in units}) < len(units):
        return "two hidden units with equal weights at theta0 (their kinks crossed together)"
    for ds in datasets:
        for xi in ds.x:
            if any(_dot(w0, family.point(xi)) == 0 for w0 in units):
                return "theta0 on a kink (w0 . x_i = 0 exactly)"
        support = sorted({family.point(xi) for xi in ds.x})
        for i, u in enumerate(support):
            for v in support[i + 1:]:
                if _parallel(u, v):
                    return "two parallel points in one dataset (kinks crossed together)"
    return None


# Why a hit with a frozen dyadic parameter is skipped: a parameter that never moves (its input
# coordinate is 0 on every point its unit is active on) and whose theta0 value is exact in
# binary (0, -1, 1/2, ...) gets a trajectory box that the checker rejects (measured: "box[8]:
# the replayed enclosure [-1, -1] is not inside the claimed box"; with 0: "[-7e-26, 7e-26]"),
# a producer/checker disagreement reported to the certificate owners. Two-layer only: the leaky
# relu neuron's one-point instance with a frozen w1 = 1 is accepted.
FROZEN_SKIP = ("a parameter with a dyadic theta0 value never moves (the checker rejects its "
               "trajectory box: producer/checker disagreement)")


def _frozen_dyadic(theta0: Sequence[Fraction], theta: np.ndarray) -> bool:
    """True when some theta_k at the float limit equals theta0_k exactly and theta0_k has a
    power-of-two denominator (a frozen coordinate with an exact binary value)."""
    for t0, t in zip(theta0, theta, strict=True):
        den = Fraction(t0).denominator
        if den & (den - 1) == 0 and float(t) == float(t0):
            return True
    return False


def _pl_constant(family: Family, ds: Dataset, theta: np.ndarray) -> bool:
    """lambda_min(J J^T) >= PL_FLOOR lambda_max over the rows of J = d r / d theta at ``theta``
    that are not identically zero near it (a relu label-0 point inactive for every unit is
    dropped, as the prover drops it). Float, a lead only."""
    # A repeated point's equal rows merged, as the prover's PL end-game merges them.
    x = np.array(sorted({tuple(float(c) for c in xi) for xi in ds.x}))
    rows = family.surrogate.residual_gradients(np.asarray(theta, float)[None], x[None])[0]
    live = [k for k, row in enumerate(rows) if np.any(row != 0.0)]
    if not live:
        return False
    jac = rows[live]
    eig = np.linalg.eigvalsh(jac @ jac.T)
    return bool(eig[0] >= PL_FLOOR * max(eig[-1], 1e-300))


def _parallel(u: Sequence[Fraction], v: Sequence[Fraction]) -> bool:
    return all(u[i] * v[j] == u[j] * v[i] for i in range(len(u)) for j in range(i + 1, len(u)))


# Why a ``repeated`` pair is skipped: the prover of both limits certifies none of the three
# things its repeated point can do (measured: "J J^T is singular at theta(T)", "kink(s) [5]
# without a certain sign on the a priori box").
REPEATED_SKIP = ("repeated point: live at the limit (two equal rows, J J^T singular in the "
                 "prover's PL end-game), or its kink crossed twice at one instant, or never "
                 "active (equal limits)")


def repeated_certifies(family: Family) -> bool:
    """True for the families whose ``repeated`` pairs are screened (not skipped): the tanh
    neuron, the leaky relu neuron (:func:`_branch_switch`), the two-layer leaky relu net and
    the nets with biases / skip part. Their repeated point is live at the limit and the
    prover's PL end-game and the checker's ``pl-endgame`` merge its equal rows (measured,
    ``find_overlap(recipes=("repeated",), seed=0)``: each certifies, 3-12 s). The others keep
    :data:`REPEATED_SKIP`: two-layer relu (seed 0: "kink(s) [4] without a certain sign on the
    a priori box", the repeated point's kink crossed with its copy's at one instant); the relu
    neurons gave no float hit in ~120 repeated examples."""
    return family.affine or family.activation in ("tanh", "leaky-relu")


# Why a leaky relu neuron with a label-0 point is skipped before any flow is integrated:
# a leaky(w . x') = 0 with a != 0 forces w . x' = 0, so its limit lies on the kink.
LEAKY_LABEL_ZERO_SKIP = ("label-0 point of a leaky relu neuron: fitted only on its kink "
                         "w . x' = 0, so the limit lies on a kink (no smooth end-game)")


def screen_candidate(candidate: Candidate, mechanism: str = "two-point",
                     cls: str | None = None) -> Screen | str:
    """The :class:`Screen` of a candidate that passes the float pre-filter, else the reason
    (a one-line text) it was skipped.

    Guarantee: none (a float lead for :func:`certify_candidate`).
    """
    fam = candidate.family
    if mechanism == "two-point" and candidate.recipe == "superset":
        return "superset recipe: theta1 in M_S2 is not decidable (Two-point)"
    if candidate.recipe == "repeated" and not repeated_certifies(fam):
        return REPEATED_SKIP
    if fam.kind == "neuron" and fam.activation == "leaky-relu" and any(
            y == 0 for ds in (candidate.s1, candidate.s2) for y in ds.y):
        return LEAKY_LABEL_ZERO_SKIP
    if fam.piecewise:
        why = _exactly_off_kinks(fam, (candidate.s1, candidate.s2), candidate.theta0)
        if why is not None:
            return why
    model = fam.surrogate
    th0 = [float(t) for t in candidate.theta0]
    limits = []
    for ds in (candidate.s1, candidate.s2):
        x, y = ds.arrays()
        lim = float_limit(model, x, y, th0, max_steps=SCREEN_MAX_STEPS)
        if not lim.converged or lim.t > T_SCREEN or not np.all(np.isfinite(lim.theta)) \
                or float(np.abs(lim.theta).max()) > _limit_norm(fam):
            return ("a float flow did not converge (by t = T_SCREEN, to a limit of size <= "
                    "MAX_LIMIT_NORM)")
        limits.append(lim.theta)
    theta1, theta2 = limits
    if fam.piecewise:
        for ds, th in ((candidate.s1, theta1), (candidate.s2, theta2)):
            why = _kinks_decided(fam, ds, th, label_zero_off=True)
            if why is not None:
                return why
        if candidate.recipe == "inactive" and _kinks_decided(
                fam, candidate.s2, theta1, label_zero_off=True) is not None:
            return "the added label-0 point is not strictly inactive at theta1"
    if fam.new:
        for ds, th in ((candidate.s1, theta1), (candidate.s2, theta2)):
            if not _pl_constant(fam, ds, th):
                return "J J^T singular at a limit (no PL end-game: a rank drop)"
            if fam.kind == "two-layer" and _frozen_dyadic(candidate.theta0, th):
                return FROZEN_SKIP
    separation = float(np.linalg.norm(theta1 - theta2))
    if separation < SEPARATION:
        return "the two limits are closer than SEPARATION"
    shared = 1
    if mechanism == "one-point":
        assert cls is not None
        n1, n2 = class_value(cls, theta1, th0), class_value(cls, theta2, th0)
        if abs(n1 - n2) < ORDER_MARGIN:
            return "N at the two limits closer than ORDER_MARGIN"
        shared = 1 if n1 < n2 else 2
        if shared == 1 and candidate.recipe == "superset":
            return "superset recipe: the limit with the smaller N is theta1 (not decidable)"
    return Screen(tuple(map(float, theta1)), tuple(map(float, theta2)), separation, shared)


def _limit_norm(family: Family) -> float:
    """The largest |theta|_inf a float limit may have (:data:`BRANCH_LIMIT_NORM` for the leaky
    relu neuron, whose a < 0 branch is large, else :data:`MAX_LIMIT_NORM`)."""
    leaky_neuron = family.kind == "neuron" and family.activation == "leaky-relu"
    return BRANCH_LIMIT_NORM if leaky_neuron else MAX_LIMIT_NORM


def float_screen(candidate: Candidate, mechanism: str = "two-point",
                 cls: str | None = None) -> Screen | None:
    """Float pre-filter: both flows converge (t < T_SCREEN) to distinct limits (SEPARATION),
    kinks decided at theta0 (exactly) and at both limits (KINK_MARGIN); One-point: the
    shared limit's N is smaller by ORDER_MARGIN. None when the candidate is discarded
    (:func:`screen_candidate` says why).

    Guarantee: none (a float lead for :func:`certify_candidate`).
    """
    out = screen_candidate(candidate, mechanism, cls)
    return out if isinstance(out, Screen) else None


# -- Hypothesis search -----------------------------------------------------------------------------
@dataclass
class Found:
    """A shrunk float hit, or none: ``candidate``, ``screen``, counts of examples and
    ``skipped`` (reason -> number of examples the screen skipped for it)."""

    candidate: Candidate | None
    screen: Screen | None
    tried: int
    discarded: int
    stop_reason: str
    skipped: dict[str, int] = field(default_factory=dict)


class _Hit(Exception):
    def __init__(self, candidate: Candidate, screen: Screen) -> None:
        super().__init__(candidate.describe())
        self.candidate, self.screen = candidate, screen


def find_overlap(family: Family, *, mechanism: str = "two-point", cls: str | None = None,
                 seed: int = 0, max_examples: int = DEFAULT_MAX_EXAMPLES,
                 recipes: Sequence[str] | None = None, exclude: Callable[[Candidate], bool]
                 | None = None, progress: Callable[[int, int], None] | None = None,
                 max_points: int = 2, deadline: float | None = None) -> Found:
    """Draw candidates until one passes :func:`float_screen`, then shrink it (Hypothesis).

    ``exclude(candidate) -> bool`` rejects known instances (a discovery run's earlier finds).
    ``deadline`` (a ``time.perf_counter()`` value): afterwards no example is screened, so the
    search (or the shrinking of a hit) ends within a few cheap draws.
    Deterministic for a given seed (no example database) when no deadline cuts it short.

    Guarantee: none (the hit is a float lead).
    """
    if mechanism not in MECHANISMS:
        raise InvalidArgument(f"--mechanism: expected one of {', '.join(MECHANISMS)}, got "
                              f"{mechanism!r}")
    if mechanism == "one-point" and cls not in ONE_POINT_CLASSES:
        raise InvalidArgument(f"--regularizer: one-point needs one of "
                              f"{', '.join(ONE_POINT_CLASSES)}, got {cls!r}")
    state = {"tried": 0, "discarded": 0, "late": False}
    skipped: dict[str, int] = {}
    # Screens already run, by candidate: Hypothesis replays examples while it shrinks, and a
    # replayed hit must fail again even after the deadline (else it reports a flaky test).
    screens: dict[str, Screen | None] = {}

    def probe(candidate: Candidate) -> None:
        key = candidate.key()
        if key not in screens:
            if deadline is not None and time.perf_counter() >= deadline:
                state["late"] = True
                return
            state["tried"] += 1
            screen = None
            if exclude is None or not exclude(candidate):
                out = screen_candidate(candidate, mechanism, cls)
                if isinstance(out, Screen):
                    screen = out
                else:
                    skipped[out] = skipped.get(out, 0) + 1
            else:
                skipped[KNOWN] = skipped.get(KNOWN, 0) + 1
            screens[key] = screen
            state["discarded"] += screen is None
            if progress is not None:
                progress(state["tried"], state["discarded"])
        if screens[key] is not None:  # one raise site: Hypothesis tells failures by origin
            raise _Hit(candidate, screens[key])

    chosen = family.recipes_for(mechanism) if recipes is None else recipes
    strategy = overlap_candidates(family, chosen, max_points=max_points)
    probe._hypothesis_internal_add_digest = repr(  # type: ignore[attr-defined]
        ("overlap", family, mechanism, cls, tuple(recipes or ()), max_points)).encode()
    test = hypothesis.seed(seed)(given(strategy)(probe))
    test = settings(max_examples=max_examples, database=None, deadline=None,
                    derandomize=False, report_multiple_bugs=False, print_blob=False,
                    suppress_health_check=list(HealthCheck),
                    phases=(Phase.generate, Phase.shrink))(test)
    try:
        test()
    except _Hit as hit:
        return Found(hit.candidate, hit.screen, state["tried"], state["discarded"], "hit shrunk",
                     skipped)
    except Unsatisfiable:
        pass
    late = " (budget spent)" if state["late"] else ""
    return Found(None, None, state["tried"], state["discarded"],
                 f"no float hit in {state['tried']} examples{late}", skipped)


# -- the rigorous step -----------------------------------------------------------------------------
# Options of the validated trajectories per family (certificate/overlap_instances.py measured
# them for the checker's replay cost): relu-neuron 64 bits (affine pieces); a relu(w.x) 64 bits,
# Taylor order 16 / sensitivity 6; a tanh(w.x) 53 bits, order 16, sensitivity 6, loss target
# 2e-7 (end-game balls ~3e-3, below SEPARATION / 2); a leaky relu neuron and the two-layer relu
# networks those of the vardi2021 two-layer instance: 53 bits, order 16 / 6, sup L < 1e-8 before
# the end-game (balls ~3e-4, certificates ~0.6 MB replayed in ~3-6 s; 64 bits with the default
# loss target gave 1.3 MB and ~18 s of replay, docs/overlap.md).
PROOF_OPTIONS: dict[str, dict[str, Any]] = {
    "relu-neuron": {"prec": 64},
    "neuron/relu": {"prec": 64, "order": 16, "sensitivity_order": 6},
    "neuron/tanh": {"prec": 53, "order": 16, "sensitivity_order": 6,
                    "loss_target": Fraction(1, 5 * 10**6)},
    "neuron/leaky-relu": {"prec": 53, "order": 16, "sensitivity_order": 6,
                          "loss_target": Fraction(1, 10**8)},
    "two-layer/relu": {"prec": 53, "order": 16, "sensitivity_order": 6,
                       "loss_target": Fraction(1, 10**8)},
    "two-layer/leaky-relu": {"prec": 53, "order": 16, "sensitivity_order": 6,
                             "loss_target": Fraction(1, 10**8)},
    "two-layer+affine": {"prec": 64},
}


def proof_options(family: Family) -> ProverOptions:
    """The prover options of a family (:data:`PROOF_OPTIONS`; two-layer by activation)."""
    key = f"two-layer/{family.activation}" if family.kind == "two-layer" else family.label
    if family.affine:
        key = "two-layer+affine"
    return ProverOptions(**PROOF_OPTIONS[key])


def certify_candidate(candidate: Candidate, *, mechanism: str = "two-point",
                      cls: str | None = None) -> Outcome:
    """PROVED with the certificate when both limits are proved, the zero-set relations decided
    by exact algebra (igproof.symbolic.zero_loss) and the independent checker accepts the
    Two-point (or One-point, class ``cls``) certificate; INCONCLUSIVE with the reason otherwise.

    The one adapter to the certificate producers: the general entry point
    :func:`igproof.certificate.overlap.overlap_pair` (the path of ``igproof overlap`` and of the
    catalogue's zhang2023 instances), with the prover options of the family.

    Guarantee: enclosure (the checker decides).
    """
    fam = candidate.family
    started = time.perf_counter()
    try:
        outcome = overlap_pair(fam.model(), candidate.s1, candidate.s2, candidate.theta0,
                               mechanism, regularizer=cls, options=proof_options(fam),
                               evidence="")
    except IgproofError as exc:  # a bad draw (e.g. data the prover refuses): counted, not fatal
        outcome = Outcome(Verdict.INCONCLUSIVE, f"{type(exc).__name__}: {exc}",
                          {"reason": str(exc)})
    outcome.details["prove_seconds"] = f"{time.perf_counter() - started:.2f}"
    return outcome


# -- one search, a discovery run -------------------------------------------------------------------
@dataclass
class Instance:
    """One certified instance: the candidate, the outcome (PROVED, certificate), the file."""

    candidate: Candidate
    outcome: Outcome
    seconds: float
    path: str | None = None

    @property
    def certified(self) -> bool:
        return self.outcome.verdict is Verdict.PROVED


def certificate_name(candidate: Candidate, mechanism: str, cls: str | None) -> str:
    slug = candidate.family.label.replace("/", "-")
    tail = f"-{cls}" if cls else ""
    return f"{mechanism}{tail}-{slug}-{candidate.recipe}-{candidate.key()}.json"


def _write(out_dir: str | None, instance: Instance, mechanism: str, cls: str | None) -> None:
    if out_dir is None or instance.outcome.certificate is None:
        return
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    path = Path(out_dir) / certificate_name(instance.candidate, mechanism, cls)
    write_certificate(str(path), instance.outcome.certificate)
    instance.path = str(path)


@dataclass
class Tally:
    """Counts of one family in a discovery run."""

    searches: int = 0
    float_hits: int = 0
    certified: int = 0
    not_certified: int = 0
    examples: int = 0
    seconds: float = 0.0
    reasons: list[str] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)

    def add_skipped(self, counts: dict[str, int]) -> None:
        for reason, k in counts.items():
            self.skipped[reason] = self.skipped.get(reason, 0) + k

    def to_json(self) -> dict[str, Any]:
        return {"searches": self.searches, "float_hits": self.float_hits,
                "certified": self.certified, "not_certified": self.not_certified,
                "examples": self.examples, "seconds": round(self.seconds, 2),
                "reasons": self.reasons, "skipped": dict(sorted(self.skipped.items()))}


@dataclass
class Discovery:
    """Result of :func:`discover`: per-family tallies, the instances, the wall time."""

    mechanism: str
    cls: str | None
    seed: int
    budget: float | None
    tallies: dict[str, Tally]
    instances: list[Instance]
    seconds: float

    @property
    def certified(self) -> int:
        return sum(t.certified for t in self.tallies.values())

    @property
    def per_minute(self) -> float:
        return 60.0 * self.certified / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"mechanism": self.mechanism, "class": self.cls, "seed": self.seed,
                "budget_seconds": self.budget, "seconds": round(self.seconds, 2),
                "certified": self.certified,
                "certified_per_minute": round(self.per_minute, 3),
                "families": {k: v.to_json() for k, v in self.tallies.items()},
                "instances": [{**i.candidate.to_json(), "verdict": str(i.outcome.verdict),
                               "certificate_file": i.path, "seconds": round(i.seconds, 2),
                               "evidence": i.outcome.evidence} for i in self.instances]}


# Round k of family f searches with seed ``seed + ROUND_SEED_STRIDE k + f`` (distinct seeds).
ROUND_SEED_STRIDE = 1000
# A family is dropped from a discovery run after this many searches in a row without a float
# hit (its recipes are exhausted at this budget of examples).
EMPTY_SEARCHES = 3


def discover(families: Sequence[Family], *, mechanism: str = "two-point",
             cls: str | None = None, seed: int = 0, budget: float | None = None,
             out_dir: str | None = None, max_examples: int = DEFAULT_MAX_EXAMPLES,
             recipes: Sequence[str] | None = None,
             on_event: Callable[[str, dict[str, Any]], None] | None = None) -> Discovery:
    """Search and certify Overlapping instances per family: without ``budget`` one search per
    family; with ``budget`` seconds, round-robin searches (round k of family f uses seed
    ``seed + ROUND_SEED_STRIDE k + f``) that exclude every instance already seen, until the
    budget is spent (no example is screened after it; a proof already started runs to its end,
    about a minute for the tanh neuron, up to a few for
    the two-layer families). A family is dropped after EMPTY_SEARCHES
    searches in a row without a float hit. Each certified instance is written to ``out_dir``
    (atomic) after the checker accepted it, and only then counted.

    ``on_event(kind, info)``: "search" (family, round), "examples" (family, tried, discarded),
    "hit" (candidate), "instance" (Instance).

    Deterministic for a given seed: the k-th search of each family is the same in every run
    (the budget decides only how many rounds run).
    """
    if budget is not None and not budget > 0:
        raise InvalidArgument(f"--budget: expected a positive number of seconds, got {budget!r}")
    started = time.perf_counter()
    tallies = {f.label: Tally() for f in families}
    instances: list[Instance] = []
    seen: set[str] = set()
    empty = {f.label: 0 for f in families}
    deadline = None if budget is None else started + budget
    emit = on_event or (lambda kind, info: None)

    def out_of_time() -> bool:
        return budget is not None and time.perf_counter() - started >= budget

    round_ = 0
    while True:
        active = [(k, f) for k, f in enumerate(families) if empty[f.label] < EMPTY_SEARCHES]
        if not active or (budget is None and round_ >= 1):
            break
        for k, fam in active:
            if out_of_time():
                break
            tally = tallies[fam.label]
            tally.searches += 1
            emit("search", {"family": fam.label, "round": round_})
            t0 = time.perf_counter()

            def examples(tried: int, discarded: int, fam: Family = fam) -> None:
                emit("examples", {"family": fam.label, "tried": tried, "discarded": discarded})

            found = find_overlap(fam, mechanism=mechanism, cls=cls,
                                 seed=seed + ROUND_SEED_STRIDE * round_ + k,
                                 max_examples=max_examples, recipes=recipes,
                                 exclude=lambda c: c.class_key() in seen, progress=examples,
                                 deadline=deadline)
            tally.examples += found.tried
            tally.add_skipped(found.skipped)
            if found.candidate is None or found.screen is None:
                empty[fam.label] += 1
                tally.seconds += time.perf_counter() - t0
                continue
            empty[fam.label] = 0
            tally.float_hits += 1
            cand = found.candidate
            seen.add(cand.class_key())
            emit("hit", {"family": fam.label, "candidate": cand})
            outcome = certify_candidate(cand, mechanism=mechanism, cls=cls)
            inst = Instance(cand, outcome, time.perf_counter() - t0)
            if inst.certified:
                _write(out_dir, inst, mechanism, cls)
                tally.certified += 1
                instances.append(inst)
            else:
                tally.not_certified += 1
                tally.reasons.append(f"{outcome.evidence} [{cand.describe()}]")
            tally.seconds += time.perf_counter() - t0
            emit("instance", {"family": fam.label, "instance": inst})
        if out_of_time():
            break
        round_ += 1
    return Discovery(mechanism, cls, seed, budget, tallies, instances,
                     time.perf_counter() - started)
