"""The counterexample search: Hypothesis hunts for (S, theta0) whose float GF limit violates KKT.

For a model and a candidate G, each Hypothesis example is an exact dataset S and an exact
initialization theta0. The float surrogate integrates the gradient flow; a flow that does not
reach M_S is discarded (``hypothesis.reject``); otherwise the KKT violation of min G on M_S at
the float limit (:mod:`igproof.search.violation`) is fed to ``hypothesis.target`` and, when it
exceeds ``min_violation`` where first-order conditions are necessary, the example is a *float
hit*. Hypothesis then shrinks the hit (fewer points, smaller numbers, initialization scale
towards 1) and the driver returns the shrunk hit.

A float hit is a lead, not a result: the caller promotes it to a certificate with validated
enclosures (or an exact rational witness), and reports nothing stronger than SUPPORTED before
that. Same seed and same database contents give the same result; with a database
(:class:`hypothesis.database.DirectoryBasedExampleDatabase` or a directory path) a search
resumes from the hits saved by earlier runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import hypothesis
import numpy as np
from hypothesis import HealthCheck, Phase, given, reject, settings, target
from hypothesis.database import DirectoryBasedExampleDatabase, ExampleDatabase
from hypothesis.errors import Unsatisfiable

from igproof.errors import InvalidArgument
from igproof.search.families import (
    SurrogateModel,
    as_surrogate,
    implicit_bias_family,
    model_family,
)
from igproof.search.regularizers import Regularizer, get_regularizer
from igproof.search.strategies import MAX_POINTS, flow_examples
from igproof.search.surrogate import FloatLimit, float_limit
from igproof.search.violation import Violation, violation_at_limit
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.models import Model
from igproof.verdict import Verdict

# A float hit needs a normalized KKT violation above 1e-3: five orders of magnitude above the
# surrogate's accuracy (~1e-8), so the rigorous step has a wide margin to certify.
HIT_THRESHOLD = 1e-3
# Step budget per flow during a search: flows that need more (stiff, large imbalanced
# initializations) are discarded rather than allowed to dominate the search time.
SEARCH_MAX_STEPS = 1500
# The Hypothesis label under which the violation is targeted.
TARGET_LABEL = "kkt-violation"

Progress = Callable[[int, int, float], None]
HitFilter = Callable[["SearchHit"], bool]
# A float hit that the hit filter turns down is targeted with its violation times this factor,
# so that Hypothesis' targeting phase prefers hits the filter accepts.
FILTERED_TARGET_FACTOR = 0.1


@dataclass(frozen=True)
class SearchHit:
    """A shrunk float counterexample: S, theta0 (exact), the float limit and its violation."""

    dataset: Dataset
    theta0: tuple[Fraction, ...]
    limit: FloatLimit
    violation: Violation
    g_value: float

    @property
    def theta_limit(self) -> tuple[float, ...]:
        return tuple(float(v) for v in self.limit.theta)


@dataclass(frozen=True)
class SearchResult:
    """Outcome of :func:`search_counterexample`.

    ``found`` says whether a float hit was returned (``hit``); ``examples_tried`` counts every
    example run (generation, targeting and shrinking), ``examples_discarded`` those whose flow
    did not reach M_S or where first-order conditions are not necessary; ``stop_reason`` says
    why the search ended.
    """

    found: bool
    model: Model
    regularizer: str
    regularizer_spec: dict[str, str]
    seed: int
    max_examples: int
    examples_tried: int
    examples_discarded: int
    best_violation: float
    stop_reason: str
    hit: SearchHit | None = None
    options: dict[str, Any] = field(default_factory=dict)
    hits_filtered: int = 0

    @property
    def verdict(self) -> Verdict:
        """SUPPORTED for a float hit (a lead until promoted to a certificate), else
        INCONCLUSIVE."""
        return Verdict.SUPPORTED if self.found else Verdict.INCONCLUSIVE

    @property
    def message(self) -> str:
        head = (f"{self.model.kind} ({self.model.activation.name}, d={self.model.dim}), "
                f"G = {self.regularizer}, seed {self.seed}")
        if not self.found:
            return (f"no counterexample found: {head}; {self.examples_tried} examples tried "
                    f"({self.examples_discarded} discarded), largest KKT violation "
                    f"{self.best_violation:.3g} ({self.stop_reason})")
        assert self.hit is not None
        return (f"float counterexample ({self.verdict}, not yet certified): {head}; "
                f"{self.hit.dataset.n} point(s), KKT violation "
                f"{self.hit.violation.value:.3g}, after {self.examples_tried} examples")

    def to_json(self) -> dict[str, Any]:
        """JSON-ready summary (exact data as "p/q" strings, float limit as decimals)."""
        out: dict[str, Any] = {
            "found": self.found, "model": self.model.kind,
            "activation": self.model.activation.name, "dim": self.model.dim,
            "regularizer": self.regularizer, "regularizer_spec": dict(self.regularizer_spec),
            "seed": self.seed, "max_examples": self.max_examples,
            "examples_tried": self.examples_tried,
            "examples_discarded": self.examples_discarded,
            "hits_filtered": self.hits_filtered,
            "best_violation": repr(self.best_violation), "stop_reason": self.stop_reason,
            "verdict": str(self.verdict),
        }
        if self.hit is not None:
            hit = self.hit
            out["hit"] = {
                "dataset": hit.dataset.to_json(),
                "theta0": [str(q) for q in hit.theta0],
                "theta_limit": [repr(v) for v in hit.theta_limit],
                "flow_time": repr(hit.limit.t), "loss": repr(hit.limit.loss),
                "violation": repr(hit.violation.value),
                "equality_points": list(hit.violation.equality),
                "one_sided_points": list(hit.violation.one_sided),
                "inactive_points": list(hit.violation.inactive),
                "g_value": repr(hit.g_value),
            }
        return out


class _Hit(Exception):
    """Raised inside the Hypothesis test to mark a float counterexample."""

    def __init__(self, hit: SearchHit) -> None:
        super().__init__(f"KKT violation {hit.violation.value:.3g}")
        self.hit = hit


def _database(database: Any) -> ExampleDatabase | None:
    if database is None or isinstance(database, ExampleDatabase):
        return database
    if isinstance(database, (str, Path)):
        return DirectoryBasedExampleDatabase(str(database))
    raise InvalidArgument(f"database: expected None, a directory path or a Hypothesis "
                          f"ExampleDatabase, got {database!r}")


def evaluate_example(model: Model | SurrogateModel, regularizer: Regularizer, dataset: Dataset,
                     theta0: tuple[Fraction, ...], **surrogate_options: Any
                     ) -> tuple[FloatLimit, Violation | None]:
    """The float limit theta* of theta' = -grad L_S(theta) from theta0 and, if the flow reached
    M_S, the KKT violation of min G on M_S at theta*.

    Guarantee: approximate, no bound.
    """
    model = as_surrogate(model)
    x, y = dataset.arrays()
    limit = float_limit(model, x, y, [float(q) for q in theta0], **surrogate_options)
    if not limit.converged:
        return limit, None
    th0 = np.array([float(q) for q in theta0])
    return limit, violation_at_limit(model, x, y, limit.theta, th0, regularizer)


def initial_loss(model: Model | SurrogateModel, dataset: Dataset,
                 theta0: tuple[Fraction, ...]) -> float:
    """L_S(theta0) in floats (exactly 0 when every residual is exactly 0, e.g. dead ReLUs)."""
    model = as_surrogate(model)
    x, y = dataset.arrays()
    th0 = np.array([[float(q) for q in theta0]])
    return float(model.loss_and_gradient(th0, x[None], y[None])[0][0])


def search_counterexample(model_kind: str, activation: str, regularizer: Any, *,
                          max_examples: int, seed: int, database: Any = None,
                          progress: Progress | None = None, dim: int = 3,
                          min_points: int = 1, max_points: int = MAX_POINTS,
                          dataset_options: dict[str, Any] | None = None,
                          min_violation: float = HIT_THRESHOLD,
                          require_training: bool = True,
                          surrogate_options: dict[str, Any] | None = None,
                          hit_filter: HitFilter | None = None) -> SearchResult:
    """Search (S, theta0) whose GF limit theta* is not a KKT point of min G on M_S.

    Parameters
    ----------
    model_kind, activation : str
        ``"relu-neuron"`` (activation ``"relu"``) or ``"neuron"`` (``"relu"`` / ``"tanh"``).
    regularizer : str, Regularizer or callable
        Candidate G: a built-in name (:func:`igproof.search.regularizers.get_regularizer`),
        an expression in the safe language over ``a, w1..wd`` and ``a0, w1_0..wd_0`` (d = 1:
        ``w``, ``w0``), a :class:`Regularizer`, or a callable G(theta, theta0).
    max_examples : int
        Hypothesis' budget of valid examples.
    seed : int
        Random seed; the same seed gives the same result (with the same database contents).
    database : None, path or ExampleDatabase
        Hypothesis example database; a path makes the search resumable across runs.
    progress : callable(tried, discarded, best_violation), optional
        Called after every example.
    dim, min_points, max_points, dataset_options
        Shape of the datasets; ``dataset_options`` go to :func:`igproof.strategies.datasets`
        (and ``min_exponent``/``max_exponent`` to the initializations).
    min_violation : float
        Normalized KKT violation that makes a float hit.
    require_training : bool
        Discard examples with L_S(theta0) = 0: there theta* = theta0 and the "counterexample"
        only says that G is not minimal at an arbitrary interpolating initialization.
    surrogate_options : dict
        Options of :func:`igproof.search.surrogate.integrate_batch` (default
        ``max_steps=SEARCH_MAX_STEPS``).
    hit_filter : callable(SearchHit) -> bool, optional
        Only float hits it accepts count (e.g. hits whose ReLU kinks are decided at the limit,
        :func:`igproof.search.promote.float_certifiable`); the others are counted in
        ``hits_filtered`` and the search goes on.

    Returns
    -------
    SearchResult
        The shrunk float hit, or "none found" with the number of examples tried.

    Guarantee: approximate (a float lead for the certificate step; SUPPORTED at most).
    """
    symbolic_model = model_family(model_kind, activation, dim)
    model = implicit_bias_family(symbolic_model)
    g = get_regularizer(regularizer, parameter_names=model.parameter_names)
    if isinstance(max_examples, bool) or not isinstance(max_examples, int) or max_examples < 1:
        raise InvalidArgument(f"max_examples: expected a positive integer, got {max_examples!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InvalidArgument(f"seed: expected an integer, got {seed!r}")
    if not (isinstance(min_violation, (int, float)) and 0 < min_violation < 1):
        raise InvalidArgument(f"min_violation: expected a number in (0, 1), got "
                              f"{min_violation!r}")
    db = _database(database)
    options = dict(dataset_options or {})
    options.setdefault("min_size", min_points)
    options.setdefault("max_size", max_points)
    strategy = flow_examples(symbolic_model, **options)
    surrogate = dict(surrogate_options or {})
    surrogate.setdefault("max_steps", SEARCH_MAX_STEPS)
    state = {"tried": 0, "discarded": 0, "best": 0.0, "filtered": 0}

    def probe(example: tuple[Dataset, tuple[Fraction, ...]]) -> None:
        dataset, theta0 = example
        state["tried"] += 1
        if require_training and initial_loss(model, dataset, theta0) == 0:
            violation = None
        else:
            limit, violation = evaluate_example(model, g, dataset, theta0, **surrogate)
        if violation is None or not violation.kkt_necessary:
            state["discarded"] += 1
            if progress is not None:
                progress(state["tried"], state["discarded"], state["best"])
            reject()
        assert violation is not None
        state["best"] = max(state["best"], violation.value)
        if progress is not None:
            progress(state["tried"], state["discarded"], state["best"])
        if violation.value > min_violation:
            theta_star = limit.theta
            hit = SearchHit(dataset, tuple(theta0), limit, violation,
                            g(theta_star, np.array([float(q) for q in theta0])))
            if hit_filter is None or hit_filter(hit):
                target(violation.value, label=TARGET_LABEL)
                raise _Hit(hit)
            state["filtered"] += 1
            target(violation.value * FILTERED_TARGET_FACTOR, label=TARGET_LABEL)
            return
        target(violation.value, label=TARGET_LABEL)

    # Distinct searches get distinct database keys.
    key = repr((model.kind, model.activation, model.dim, g.spec, sorted(options.items()),
                min_violation, require_training, sorted(surrogate.items()),
                getattr(hit_filter, "__qualname__", None))).encode()
    probe._hypothesis_internal_add_digest = key  # type: ignore[attr-defined]
    # hypothesis.seed() switches the database off, so the settings (with the database) are
    # applied after it: seeded generation and a resumable database together.
    test = hypothesis.seed(seed)(given(strategy)(probe))
    test = settings(max_examples=max_examples, database=db, deadline=None,
                    derandomize=False, report_multiple_bugs=False, print_blob=False,
                    suppress_health_check=list(HealthCheck),
                    phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target,
                            Phase.shrink))(test)
    common = {"model": symbolic_model, "regularizer": g.name, "regularizer_spec": g.spec,
              "seed": seed, "max_examples": max_examples, "options": options}

    def counts() -> dict[str, Any]:
        return {"examples_tried": state["tried"], "examples_discarded": state["discarded"],
                "hits_filtered": state["filtered"]}

    try:
        test()
    except _Hit as found:
        return SearchResult(found=True, **counts(),
                            best_violation=max(state["best"], found.hit.violation.value),
                            stop_reason="hit shrunk", hit=found.hit, **common)
    except Unsatisfiable:
        return SearchResult(found=False, **counts(), best_violation=state["best"],
                            stop_reason="too few flows reached M_S", **common)
    return SearchResult(found=False, **counts(), best_violation=state["best"],
                        stop_reason=f"max_examples={max_examples} valid examples exhausted",
                        **common)
