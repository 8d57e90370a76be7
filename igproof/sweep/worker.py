"""One design point: build S(p) and theta0(p) exactly, integrate the flow, measure the limit.

:func:`evaluate_chunk` is what a pool process or a Dask worker runs. It returns plain dicts of
floats, ints, strings and lists of those (picklable, and the columns of the Parquet table):
never flint balls, sympy objects or numpy scalars. A point whose own data is unusable (a
``DataError`` from the dataset, a failed integration) becomes a row with ``error`` set, not a
crashed sweep.
"""

from __future__ import annotations

import functools
import json
import math
import time
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from igproof.errors import IgproofError, InvalidArgument
from igproof.numeric.converge import flow_limit
from igproof.rationals import fraction_to_text
from igproof.search.families import ACTIVATIONS, MODEL_KINDS, SurrogateModel
from igproof.search.regularizers import get_regularizer
from igproof.search.violation import violation_at_limit
from igproof.sweep.config import MODEL_KEYS, SweepConfig, canonical
from igproof.sweep.design import Point
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.expression import parse_expression
from igproof.symbolic.flow import GradientFlow, gradient_flow
from igproof.symbolic.models import Model, build_model

__all__ = ["evaluate_chunk", "evaluate_point", "point_problem"]

# Largest cache of reference limits per process: one per distinct reference assignment (a
# sweep over (gamma, init) with reference gamma = 0 needs one per init value).
REFERENCE_CACHE = 4096


@functools.lru_cache(maxsize=64)
def _model(model: tuple[tuple[str, Any], ...]) -> Model:
    options = dict(model)
    kind = options.pop("kind", "relu-neuron")
    if kind != "two-layer":
        options.pop("width", None)
        options.pop("skip", None)
    if kind == "relu-neuron":
        options.pop("bias", None)
    if kind == "relu-neuron":
        options.pop("activation", None)
    return build_model(kind, **options)


@functools.lru_cache(maxsize=4096)
def _expression(text: str, names: tuple[str, ...]) -> sympy.Expr:
    return parse_expression(text, {n: sympy.Symbol(n) for n in names})


def _exact(text: str, values: dict[str, Fraction], what: str) -> Fraction:
    """The value of the expression ``text`` at the parameters ``values``, exactly."""
    expr = _expression(text, tuple(sorted(values)))
    value = expr.subs({sympy.Symbol(n): sympy.Rational(v.numerator, v.denominator)
                       for n, v in values.items()})
    if not isinstance(value, sympy.Rational):
        if value in (sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            raise InvalidArgument(f"{what} = {text!r}: undefined at this point (division by 0)")
        raise InvalidArgument(f"{what} = {text!r}: not a rational number at this point "
                              f"({value}); datasets and initializations are exact rationals")
    return Fraction(int(value.p), int(value.q))


def point_problem(config: SweepConfig, values: dict[str, Any]
                  ) -> tuple[GradientFlow, list[Fraction], Dataset]:
    """The gradient flow on S(p) and theta0(p) of the design point ``values`` (exact)."""
    numeric = {k: Fraction(v) for k, v in values.items() if k not in MODEL_KEYS}
    model_key = dict(config.model)
    model_key.update({k: v for k, v in values.items() if k in MODEL_KEYS})
    model_key.setdefault("dim", len(config.x[0]))
    x = [[_exact(e, numeric, f"[data] x[{i}][{j}]") for j, e in enumerate(row)]
         for i, row in enumerate(config.x)]
    y = [_exact(e, numeric, f"[data] y[{i}]") for i, e in enumerate(config.y)]
    theta0 = [_exact(e, numeric, f"[init] theta0[{k}]") for k, e in enumerate(config.theta0)]
    dataset = Dataset(x, y)
    if int(model_key["dim"]) != dataset.dim:
        raise InvalidArgument(f"[model] dim = {model_key['dim']} but the inputs x have "
                              f"{dataset.dim} coordinates")
    model = _model(tuple(sorted(model_key.items())))
    if len(theta0) != len(model.parameters):
        names = ", ".join(str(p) for p in model.parameters)
        raise InvalidArgument(f"[init] theta0 has {len(theta0)} entries but the model has "
                              f"{len(model.parameters)} parameters ({names})")
    return gradient_flow(model, dataset), theta0, dataset


def _limit(config: SweepConfig, flow: GradientFlow, theta0: list[Fraction]) -> Any:
    return flow_limit(flow, theta0, method=config.method, dps=config.dps, t_max=config.t_max,
                      tol=config.tol)


@functools.lru_cache(maxsize=REFERENCE_CACHE)
def _reference_limit(config: SweepConfig, values: tuple[tuple[str, Any], ...]
                     ) -> tuple[float, ...]:
    flow, theta0, _ = point_problem(config, dict(values))
    return tuple(float(v) for v in _limit(config, flow, theta0).limit)


def _violation(config: SweepConfig, values: dict[str, Any], dataset: Dataset,
               limit: list[float], theta0: list[Fraction], names: list[str]) -> float:
    """The normalized KKT violation of the candidate G at the limit (NaN where undefined)."""
    model = dict(config.model)
    model.update({k: v for k, v in values.items() if k in MODEL_KEYS})
    kind = model.get("kind", "relu-neuron")
    activation = "relu" if kind == "relu-neuron" else model.get("activation", "relu")
    if (kind not in MODEL_KINDS or activation not in ACTIVATIONS or model.get("bias")
            or model.get("skip")):
        return math.nan
    surrogate = SurrogateModel(kind, activation, dataset.dim)
    regularizer = get_regularizer(config.candidate, parameter_names=names)
    x = np.array([[float(v) for v in row] for row in dataset.x])
    y = np.array([float(v) for v in dataset.y])
    return float(violation_at_limit(surrogate, x, y, np.array(limit),
                                    np.array([float(v) for v in theta0]), regularizer).value)


def _prove(config: SweepConfig, flow: GradientFlow, theta0: list[Fraction],
           limit: list[float]) -> dict[str, Any]:
    # Imported here: the validated enclosures load python-flint (arb), which only a sweep
    # with prove = true needs.
    from igproof.proof.limits.limit import ProvedLimit, prove_flow_limit

    result = prove_flow_limit(flow, theta0, prec=config.prec)
    if not isinstance(result, ProvedLimit):
        return {"prove_verdict": "INCONCLUSIVE", "prove_evidence": result.reason[:500],
                "radius": math.nan, "centre": [], "centre_gap": math.nan}
    centre = [float(c) for c in result.centre]
    return {"prove_verdict": "PROVED", "prove_evidence": result.summary()[:500],
            "radius": float(result.radius_upper),
            "centre": [fraction_to_text(c) for c in result.centre],
            "centre_gap": math.dist(centre, limit)}


def evaluate_point(config: SweepConfig, point: Point) -> dict[str, Any]:
    """The row of one design point: parameters, limit, loss, pattern, time, diagnostics.

    Guarantee: approximate (float or mp integration, verdict SUPPORTED) unless the config
    asks ``prove``, whose ``prove_verdict`` PROVED means the limit lies within ``radius`` of
    ``centre`` (exact rationals as text).
    """
    values = point.as_dict()
    row: dict[str, Any] = {"index": point.index, "point_id": point.point_id,
                           "exact": json.dumps(canonical(values), sort_keys=True)}
    for name, value in point.values:
        row[name] = float(value) if isinstance(value, Fraction) else value
    start = time.perf_counter()
    try:
        flow, theta0, dataset = point_problem(config, values)
        result = _limit(config, flow, theta0)
        limit = [float(v) for v in result.limit]
        names = [str(p) for p in result.parameters]
        row.update({
            "parameters": names,
            "limit": limit,
            "loss": float(result.loss),
            "t": float(result.t),
            "grad_norm": float(result.grad_norm),
            "pattern": ",".join(str(s) for s in result.pattern),
            "switches": len(result.switches),
            "converged": bool(result.converged),
            "verdict": str(result.verdict),
            "evidence": result.evidence,
            "norm": math.sqrt(sum(v * v for v in limit)) if config.norm else math.nan,
            "violation": math.nan,
            "distance": math.nan,
            "error": "",
        })
        if config.candidate:
            row["violation"] = _violation(config, values, dataset, limit, theta0, names)
        if config.reference:
            ref_values = dict(values)
            ref_values.update(dict(config.reference))
            reference = _reference_limit(config, tuple(ref_values.items()))
            row["distance"] = math.dist(limit, reference)
        if config.prove:
            row.update(_prove(config, flow, theta0, limit))
    except IgproofError as exc:
        row.update(_failed(config, f"{type(exc).__name__}: {exc}"))
    row["seconds"] = time.perf_counter() - start
    return row


def _failed(config: SweepConfig, message: str) -> dict[str, Any]:
    row: dict[str, Any] = {"parameters": [], "limit": [], "loss": math.nan, "t": math.nan,
                           "grad_norm": math.nan, "pattern": "", "switches": -1,
                           "converged": False, "verdict": "ERROR", "evidence": "",
                           "norm": math.nan, "violation": math.nan, "distance": math.nan,
                           "error": message[:500]}
    if config.prove:
        row.update({"prove_verdict": "ERROR", "prove_evidence": "", "radius": math.nan,
                    "centre": [], "centre_gap": math.nan})
    return row


def evaluate_chunk(config: SweepConfig, points: list[Point]) -> list[dict[str, Any]]:
    """:func:`evaluate_point` on each point, in order (the unit of work of pools and Dask)."""
    return [evaluate_point(config, p) for p in points]
