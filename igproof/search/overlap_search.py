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
  pre-activation over the ball).

Pipeline per example: Hypothesis draws (S1, S2, theta0) (:func:`overlap_candidates`), the float
surrogate integrates both flows (:func:`float_screen`: both converge, the limits are distinct by a
margin, ReLU kinks decided at theta0 and at both limits), Hypothesis shrinks a hit to the
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
from igproof.errors import InvalidArgument
from igproof.search.families import SurrogateModel
from igproof.search.strategies import initializations, rationals
from igproof.search.surrogate import float_limit
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.models import build_model
from igproof.verdict import Outcome, Verdict

MECHANISMS = ("two-point", "one-point")
RECIPES = ("scaled", "repeated", "inactive")
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
# The float flows must converge well before the prover's t_max (proof/limits/limit.py: 200).
T_SCREEN = 100.0
# Limits larger than this are discarded (long flows, wide enclosures).
MAX_LIMIT_NORM = 20.0
# Surrogate steps per float flow (each example integrates two flows).
SCREEN_MAX_STEPS = 3000
# Hypothesis budget of one search (valid examples).
DEFAULT_MAX_EXAMPLES = 300


@dataclass(frozen=True)
class Family:
    """A model family searched: ``kind`` (relu-neuron, neuron), ``activation``, input ``dim``."""

    kind: str
    activation: str
    dim: int

    @property
    def label(self) -> str:
        return self.kind if self.kind == "relu-neuron" else f"{self.kind}/{self.activation}"

    @property
    def surrogate(self) -> SurrogateModel:
        return SurrogateModel(self.kind, self.activation, self.dim)

    @property
    def relu(self) -> bool:
        return self.activation == "relu"

    @property
    def recipes(self) -> tuple[str, ...]:
        """tanh has no strictly inactive points (its zero set is z = 0, not a half-space)."""
        return RECIPES if self.relu else ("scaled", "repeated")

    def model(self) -> Any:
        return build_model(self.kind, dim=self.dim, activation=self.activation)


# The families the search covers (the surrogate integrates relu and tanh neurons; leaky relu and
# two-layer networks have no float surrogate yet, see docs/search.md).
FAMILIES = {
    "relu-neuron": Family("relu-neuron", "relu", 3),
    "neuron/relu": Family("neuron", "relu", 2),
    "neuron/tanh": Family("neuron", "tanh", 2),
}


def get_family(kind: str, activation: str | None = None, dim: int | None = None) -> Family:
    """The family for ``--model kind --activation A [--dim D]`` (one-line errors otherwise)."""
    act = activation or "relu"
    key = kind if kind == "relu-neuron" else f"{kind}/{act}"
    if kind == "relu-neuron" and act != "relu":
        raise InvalidArgument(f"--activation: relu-neuron has activation relu, got {act!r}")
    if key not in FAMILIES:
        known = ", ".join(f"--model {f.kind} --activation {f.activation}"
                          for f in FAMILIES.values())
        raise InvalidArgument(f"--model/--activation: the overlap search covers {known}; got "
                              f"{kind!r} with {act!r}")
    base = FAMILIES[key]
    if dim is None:
        return base
    if isinstance(dim, bool) or not isinstance(dim, int) or not 1 <= dim <= 4:
        raise InvalidArgument(f"--dim: expected an integer in 1..4, got {dim!r}")
    return Family(base.kind, base.activation, dim)


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
                "gamma": str(self.gamma)}


# -- Hypothesis strategies -------------------------------------------------------------------------
def _vectors(dim: int) -> st.SearchStrategy[tuple[Fraction, ...]]:
    lo, hi = COORDINATE_RANGE
    entry = rationals(min_value=lo, max_value=hi, max_denominator=MAX_DENOMINATOR)
    return st.tuples(*[entry] * dim).filter(lambda v: any(c != 0 for c in v))


def _labels() -> st.SearchStrategy[Fraction]:
    return rationals(min_value=LABEL_RANGE[0], max_value=LABEL_RANGE[1],
                     max_denominator=MAX_DENOMINATOR)


def overlap_candidates(family: Family, recipes: Sequence[str] | None = None, *,
                       max_points: int = 2) -> st.SearchStrategy[Candidate]:
    """Pairs (S1, S2) with an exactly shared (or exactly contained) zero-loss set, and theta0.

    S1 has 1..``max_points`` positive-label points (labels in [1/2, 2]) and, for ``scaled``, one
    label-0 point last; ``repeated`` may add a label-0 point too. Everything shrinks towards
    fewer points, denominator 1, g = 2 and theta0 of scale 1.
    """
    chosen = tuple(family.recipes if recipes is None else recipes)
    bad = [r for r in chosen if r not in family.recipes]
    if not chosen or bad:
        raise InvalidArgument(f"recipes: {family.label} supports {', '.join(family.recipes)}; "
                              f"got {list(chosen)}")
    p = family.surrogate.n_params

    @st.composite
    def draw(draw: Any) -> Candidate:
        recipe = draw(st.sampled_from(chosen))
        n = draw(st.integers(1, max_points))
        xs = [draw(_vectors(family.dim)) for _ in range(n)]
        ys = [draw(_labels()) for _ in range(n)]
        theta0 = draw(initializations(p, min_exponent=INIT_EXPONENTS[0],
                                      max_exponent=INIT_EXPONENTS[1],
                                      max_denominator=MAX_DENOMINATOR))
        zero = draw(_vectors(family.dim))
        if recipe == "scaled":
            gamma = draw(st.sampled_from(GAMMAS))
            s1 = Dataset([*xs, zero], [*ys, Fraction(0)])
            s2 = Dataset([*xs, tuple(gamma * c for c in zero)], [*ys, Fraction(0)])
            return Candidate(family, recipe, s1, s2, theta0, n, gamma)
        if recipe == "repeated":
            if draw(st.booleans()):
                xs, ys = [*xs, zero], [*ys, Fraction(0)]
            j = draw(st.integers(0, len(xs) - 1))
            s1 = Dataset(xs, ys)
            s2 = Dataset([*xs, xs[j]], [*ys, ys[j]])
            return Candidate(family, recipe, s1, s2, theta0, j)
        s1 = Dataset(xs, ys)
        s2 = Dataset([*xs, zero], [*ys, Fraction(0)])
        return Candidate(family, recipe, s1, s2, theta0, n)

    return draw()


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


def _kinks_decided(family: Family, ds: Dataset, theta: np.ndarray, *, label_zero_off: bool
                   ) -> bool:
    """Every pre-activation w . x_i at ``theta`` is at least KINK_MARGIN away from 0, positive
    for a nonzero label and (``label_zero_off``) negative for a label-0 point."""
    w = theta[1:] if family.kind == "neuron" else theta
    scale = max(1.0, float(np.linalg.norm(w)))
    for xi, yi in zip(ds.x, ds.y, strict=True):
        xv = np.array([float(c) for c in xi])
        z = float(w @ xv)
        margin = KINK_MARGIN * float(np.linalg.norm(xv)) * scale
        if yi != 0 and z < margin:
            return False
        if yi == 0 and (z > -margin if label_zero_off else abs(z) < margin):
            return False
    return True


def _exactly_off_kinks(family: Family, datasets: Sequence[Dataset],
                       theta0: Sequence[Fraction]) -> bool:
    """theta0 on no kink (w0 . x_i != 0 exactly) and no two points of a dataset parallel (two
    kinks on one hyperplane would be crossed at the same instant)."""
    w0 = theta0[1:] if family.kind == "neuron" else theta0
    for ds in datasets:
        for xi in ds.x:
            if sum((a * b for a, b in zip(w0, xi, strict=True)), Fraction(0)) == 0:
                return False
        support = sorted({tuple(xi) for xi in ds.x})
        for i, u in enumerate(support):
            for v in support[i + 1:]:
                if _parallel(u, v):
                    return False
    return True


def _parallel(u: Sequence[Fraction], v: Sequence[Fraction]) -> bool:
    return all(u[i] * v[j] == u[j] * v[i] for i in range(len(u)) for j in range(i + 1, len(u)))


def float_screen(candidate: Candidate, mechanism: str = "two-point",
                 cls: str | None = None) -> Screen | None:
    """Float pre-filter: both flows converge (t < T_SCREEN) to distinct limits (SEPARATION),
    ReLU kinks decided at theta0 (exactly) and at both limits (KINK_MARGIN); One-point: the
    shared limit's N is smaller by ORDER_MARGIN. None when the candidate is discarded.

    Guarantee: none (a float lead for :func:`certify_candidate`).
    """
    fam = candidate.family
    if fam.relu and not _exactly_off_kinks(fam, (candidate.s1, candidate.s2), candidate.theta0):
        return None
    model = fam.surrogate
    th0 = [float(t) for t in candidate.theta0]
    limits = []
    for ds in (candidate.s1, candidate.s2):
        x, y = ds.arrays()
        lim = float_limit(model, x, y, th0, max_steps=SCREEN_MAX_STEPS)
        if not lim.converged or lim.t > T_SCREEN or not np.all(np.isfinite(lim.theta)) \
                or float(np.abs(lim.theta).max()) > MAX_LIMIT_NORM:
            return None
        limits.append(lim.theta)
    theta1, theta2 = limits
    if fam.relu:
        for ds, th in ((candidate.s1, theta1), (candidate.s2, theta2)):
            if not _kinks_decided(fam, ds, th, label_zero_off=True):
                return None
        if candidate.recipe == "inactive" and not _kinks_decided(
                fam, candidate.s2, theta1, label_zero_off=True):
            return None  # the added label-0 point must be strictly inactive at theta1
    separation = float(np.linalg.norm(theta1 - theta2))
    if separation < SEPARATION:
        return None
    shared = 1
    if mechanism == "one-point":
        assert cls is not None
        n1, n2 = class_value(cls, theta1, th0), class_value(cls, theta2, th0)
        if abs(n1 - n2) < ORDER_MARGIN:
            return None
        shared = 1 if n1 < n2 else 2
    return Screen(tuple(map(float, theta1)), tuple(map(float, theta2)), separation, shared)


# -- Hypothesis search -----------------------------------------------------------------------------
@dataclass
class Found:
    """A shrunk float hit, or none: ``candidate``, ``screen``, counts of examples."""

    candidate: Candidate | None
    screen: Screen | None
    tried: int
    discarded: int
    stop_reason: str


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
                screen = float_screen(candidate, mechanism, cls)
            screens[key] = screen
            state["discarded"] += screen is None
            if progress is not None:
                progress(state["tried"], state["discarded"])
        if screens[key] is not None:  # one raise site: Hypothesis tells failures by origin
            raise _Hit(candidate, screens[key])

    strategy = overlap_candidates(family, recipes, max_points=max_points)
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
        return Found(hit.candidate, hit.screen, state["tried"], state["discarded"], "hit shrunk")
    except Unsatisfiable:
        pass
    late = " (budget spent)" if state["late"] else ""
    return Found(None, None, state["tried"], state["discarded"],
                 f"no float hit in {state['tried']} examples{late}")


# -- the rigorous step -----------------------------------------------------------------------------
# Options of the validated trajectories per family (certificate/overlap_instances.py measured
# them for the checker's replay cost): relu-neuron 64 bits (affine pieces); a relu(w.x) 64 bits,
# Taylor order 16 / sensitivity 6; a tanh(w.x) 53 bits, order 16, sensitivity 6, loss target
# 2e-7 (end-game balls ~3e-3, below SEPARATION / 2).
PROOF_OPTIONS: dict[str, dict[str, Any]] = {
    "relu-neuron": {"prec": 64},
    "neuron/relu": {"prec": 64, "order": 16, "sensitivity_order": 6},
    "neuron/tanh": {"prec": 53, "order": 16, "sensitivity_order": 6,
                    "loss_target": Fraction(1, 5 * 10**6)},
}


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
    outcome = overlap_pair(fam.model(), candidate.s1, candidate.s2, candidate.theta0,
                           mechanism, regularizer=cls,
                           options=ProverOptions(**PROOF_OPTIONS[fam.label]),
                           evidence="")
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

    def to_json(self) -> dict[str, Any]:
        return {"searches": self.searches, "float_hits": self.float_hits,
                "certified": self.certified, "not_certified": self.not_certified,
                "examples": self.examples, "seconds": round(self.seconds, 2),
                "reasons": self.reasons}


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
    at most about a minute for the tanh neuron). A family is dropped after EMPTY_SEARCHES
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
                                 exclude=lambda c: c.key() in seen, progress=examples,
                                 deadline=deadline)
            tally.examples += found.tried
            if found.candidate is None or found.screen is None:
                empty[fam.label] += 1
                tally.seconds += time.perf_counter() - t0
                continue
            empty[fam.label] = 0
            tally.float_hits += 1
            cand = found.candidate
            seen.add(cand.key())
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
