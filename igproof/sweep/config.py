"""A sweep configuration: a dataset family theta*(p) with symbolic parameters p, read from TOML.

The file (docs/sweep.md is the reference) names the parameters and their ranges, the model, the
data and the initialization as expressions in the parameters, the integrator settings and the
diagnostics. Data and initialization entries are parsed with the safe expression language
(:func:`igproof.symbolic.expression.parse_expression`: never eval or sympify) and evaluated
exactly (Fractions) at each design point. Every mistake is one :class:`InvalidArgument` line
that names the key, the value and what would work.

The parsed :class:`SweepConfig` holds only plain data (str, int, Fraction, tuples): it crosses
process boundaries (pools, Dask) by pickling.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import sympy

from igproof.errors import IgproofError, InvalidArgument, UnsafeExpression
from igproof.rationals import fraction_to_text, parse_rational
from igproof.symbolic.activations import KNOWN_ACTIVATIONS
from igproof.symbolic.expression import parse_expression
from igproof.symbolic.models import KNOWN_KINDS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["MODEL_KEYS", "Parameter", "SweepConfig", "load_config", "parse_config"]

# Model keys that a parameter of the same name may vary (categorical or integer values).
MODEL_KEYS = ("kind", "dim", "activation", "width", "bias", "skip")
DESIGNS = ("grid", "random")
METHODS = ("float", "mp")
# Significant digits kept of a log- or linearly-spaced value: the point is then an exact short
# decimal (a Fraction), the same on every machine, and readable in the table.
DEFAULT_DIGITS = 6
# Largest number of design points: beyond this a sweep is a mistake in the config (the table,
# the plot and the per-point flows are sized for thousands, not millions).
MAX_POINTS = 200_000
# Default points per part file: small enough that an interrupted sweep loses little work, large
# enough that part files (one Parquet file each) stay few.
DEFAULT_CHUNK = 8
# Default horizon of the float integrator (the flows sweeps are made for converge by t ~ 100).
DEFAULT_T_MAX = 1e4
# The diagnostics a config may request (columns of the table).
DIAGNOSTICS = ("norm", "violation", "distance")
# Outputs the phase diagram may colour by, besides limit components and parameter names.
PHASE_VALUES = ("distance", "norm", "violation", "loss", "t", "pattern", "switches",
                "radius")

_TOP_KEYS = {"sweep", "parameters", "model", "data", "init", "flow", "diagnostics", "phase"}
_SWEEP_KEYS = {"name", "design", "points", "seed", "chunk", "digits"}
_PARAM_KEYS = {"values", "log", "linear", "n", "random"}
_MODEL_KEYS = set(MODEL_KEYS)
_DATA_KEYS = {"x", "y"}
_INIT_KEYS = {"theta0", "direction", "scale"}
_FLOW_KEYS = {"method", "dps", "t_max", "tol", "prove", "prec"}
_DIAG_KEYS = {"norm", "candidate", "reference"}
_PHASE_KEYS = {"x", "y", "value", "title", "xlabel", "ylabel"}


@dataclass(frozen=True)
class Parameter:
    """One swept parameter: ``values`` (the grid, exact) or a range for random designs.

    ``kind`` is ``"values"`` (the listed values), ``"log"`` or ``"linear"`` (``n`` points from
    ``low`` to ``high``, log- or linearly spaced, rounded to ``digits`` significant digits).
    """

    name: str
    kind: str
    values: tuple[Any, ...]
    low: Fraction | None = None
    high: Fraction | None = None

    @property
    def numeric(self) -> bool:
        """True when every value is a number (Fraction or int), not a name or a flag."""
        return all(isinstance(v, (Fraction, int)) and not isinstance(v, bool)
                   for v in self.values)


@dataclass(frozen=True)
class SweepConfig:
    """The parsed configuration (plain, picklable data). See docs/sweep.md for each key."""

    text: str
    name: str
    design: str
    n_random: int
    seed: int
    chunk: int
    digits: int
    parameters: tuple[Parameter, ...]
    model: tuple[tuple[str, Any], ...]
    x: tuple[tuple[str, ...], ...]
    y: tuple[str, ...]
    theta0: tuple[str, ...]
    method: str
    dps: int
    t_max: float
    tol: float | None
    prove: bool
    prec: int
    norm: bool
    candidate: str | None
    reference: tuple[tuple[str, Any], ...]
    phase: tuple[tuple[str, str], ...] = field(default=())

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    @property
    def fingerprint(self) -> str:
        """sha256 of the canonical content (not the text): equal for equal sweeps."""
        payload = json.dumps(canonical(self.as_dict()), sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()

    def as_dict(self) -> dict[str, Any]:
        """Every field but the text, as plain data."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "text"}


def canonical(value: Any) -> Any:
    """``value`` with Fractions as "p/q" text and tuples as lists (JSON-ready, exact)."""
    if isinstance(value, Fraction):
        return fraction_to_text(value)
    if isinstance(value, Parameter):
        return canonical(value.__dict__)
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    return value


def load_config(path: str) -> SweepConfig:
    """Read and validate the TOML file at ``path`` (one-line errors)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise InvalidArgument(f"config {path}: cannot read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidArgument(f"config {path}: not UTF-8 text") from None
    return parse_config(text, where=f"config {path}")


def parse_config(text: str, *, where: str = "config") -> SweepConfig:
    """The :class:`SweepConfig` of the TOML ``text``; ``where`` prefixes error messages."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidArgument(f"{where}: not valid TOML ({exc})") from None
    try:
        return _parse(doc, text)
    except IgproofError as exc:
        raise InvalidArgument(f"{where}: {exc}") from None


def _table(doc: Mapping[str, Any], key: str, allowed: set[str], *,
           required: bool = True) -> dict[str, Any]:
    if key not in doc:
        if required:
            raise InvalidArgument(f"missing table [{key}]")
        return {}
    value = doc[key]
    if not isinstance(value, dict):
        raise InvalidArgument(f"[{key}]: expected a table, got {value!r}")
    unknown = sorted(set(value) - allowed)
    if unknown and allowed:
        raise InvalidArgument(f"[{key}]: unknown key {unknown[0]!r}; known keys: "
                              f"{', '.join(sorted(allowed))}")
    return value


def _number(value: Any, what: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise InvalidArgument(f"{what}: expected a number, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidArgument(f"{what}: expected a finite number, got {value!r}")
    try:
        return parse_rational(value, what=what)
    except IgproofError:
        raise InvalidArgument(f"{what}: expected a finite number, got {value!r}") from None


def _int(value: Any, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidArgument(f"{what}: expected an integer from {low} to {high}, got {value!r}")
    return value


def round_significant(value: float, digits: int) -> Fraction:
    """The decimal with ``digits`` significant digits nearest ``value``, exactly.

    >>> round_significant(0.31622776601683794, 3)
    Fraction(79, 250)
    """
    return Fraction(format(value, f".{digits - 1}e"))


def spaced(kind: str, low: Fraction, high: Fraction, n: int, digits: int) -> tuple[Fraction, ...]:
    """n points from low to high: low * (high/low)^(k/(n-1)) ("log") or evenly ("linear").

    The end points are kept exactly; interior points are rounded to ``digits`` digits.
    """
    if n == 1:
        return (low,)
    out: list[Fraction] = [low]
    for k in range(1, n - 1):
        s = k / (n - 1)
        if kind == "log":
            v = math.exp(math.log(low) + s * (math.log(high) - math.log(low)))
        else:
            v = float(low) + s * (float(high) - float(low))
        out.append(round_significant(v, digits) if v != 0 else Fraction(0))
    out.append(high)
    return tuple(out)


def _parameter(name: str, spec: Any, design: str, digits: int) -> Parameter:
    what = f"[parameters] {name}"
    if not name.isidentifier() or name.startswith("_"):
        raise InvalidArgument(f"{what}: not a usable parameter name (letters, digits, _)")
    if isinstance(spec, list):
        spec = {"values": spec}
    if not isinstance(spec, dict):
        raise InvalidArgument(f"{what}: expected a list of values or a table such as "
                              "{ log = [0.1, 100], n = 20 }")
    unknown = sorted(set(spec) - _PARAM_KEYS)
    if unknown:
        raise InvalidArgument(f"{what}: unknown key {unknown[0]!r}; known keys: "
                              f"{', '.join(sorted(_PARAM_KEYS))}")
    if "values" in spec:
        values = spec["values"]
        if not isinstance(values, list) or not values:
            raise InvalidArgument(f"{what}: values must be a non-empty list")
        parsed: list[Any] = []
        for v in values:
            if name in MODEL_KEYS:
                parsed.append(v)
            else:
                parsed.append(_number(v, f"{what} value"))
        if len(set(map(repr, parsed))) != len(parsed):
            raise InvalidArgument(f"{what}: values repeat")
        return Parameter(name, "values", tuple(parsed))
    kinds = [k for k in ("log", "linear") if k in spec]
    if len(kinds) != 1:
        raise InvalidArgument(f"{what}: give exactly one of values, log = [low, high], "
                              "linear = [low, high]")
    if name in MODEL_KEYS:
        raise InvalidArgument(f"{what}: the model key {name!r} takes a list of values")
    kind = kinds[0]
    bounds = spec[kind]
    if not isinstance(bounds, list) or len(bounds) != 2:
        raise InvalidArgument(f"{what}: {kind} must be [low, high], got {bounds!r}")
    low, high = (_number(b, f"{what} {kind} bound") for b in bounds)
    if not low < high:
        raise InvalidArgument(f"{what}: {kind} = [{bounds[0]}, {bounds[1]}] needs low < high")
    if kind == "log" and low <= 0:
        raise InvalidArgument(f"{what}: log = [{bounds[0]}, {bounds[1]}] needs 0 < low")
    if design == "grid":
        if "n" not in spec:
            raise InvalidArgument(f"{what}: a grid needs n (the number of points)")
        n = _int(spec["n"], f"{what} n", 1, MAX_POINTS)
        return Parameter(name, kind, spaced(kind, low, high, n, digits), low, high)
    return Parameter(name, kind, (), low, high)


def _expressions(rows: Any, what: str, depth: int) -> Any:
    if depth == 0:
        if isinstance(rows, bool) or not isinstance(rows, (int, float, str)):
            raise InvalidArgument(f"{what}: expected a number or an expression, got {rows!r}")
        if isinstance(rows, float):
            if not math.isfinite(rows):
                raise InvalidArgument(f"{what}: expected a finite number, got {rows!r}")
            return fraction_to_text(parse_rational(rows, what=what))
        return str(rows).strip()
    if not isinstance(rows, list) or not rows:
        raise InvalidArgument(f"{what}: expected a non-empty list, got {rows!r}")
    return tuple(_expressions(r, what, depth - 1) for r in rows)


def _parse(doc: dict[str, Any], text: str) -> SweepConfig:
    unknown = sorted(set(doc) - _TOP_KEYS)
    if unknown:
        raise InvalidArgument(f"unknown table [{unknown[0]}]; known tables: "
                              f"{', '.join(sorted(_TOP_KEYS))}")
    sweep = _table(doc, "sweep", _SWEEP_KEYS, required=False)
    design = sweep.get("design", "grid")
    if design not in DESIGNS:
        raise InvalidArgument(f"[sweep] design: expected 'grid' or 'random', got {design!r}")
    digits = _int(sweep.get("digits", DEFAULT_DIGITS), "[sweep] digits", 1, 17)
    n_random = 0
    if design == "random":
        if "points" not in sweep:
            raise InvalidArgument("[sweep] points: a random design needs the number of points")
        n_random = _int(sweep["points"], "[sweep] points", 1, MAX_POINTS)
    seed = _int(sweep.get("seed", 0), "[sweep] seed", 0, 2**63 - 1)
    chunk = _int(sweep.get("chunk", DEFAULT_CHUNK), "[sweep] chunk", 1, 10_000)
    name = sweep.get("name", "sweep")
    if not isinstance(name, str):
        raise InvalidArgument(f"[sweep] name: expected a string, got {name!r}")

    params_doc = _table(doc, "parameters", set())
    if not params_doc:
        raise InvalidArgument("[parameters]: declare at least one parameter")
    parameters = tuple(_parameter(k, v, design, digits) for k, v in params_doc.items())
    names = {p.name for p in parameters}

    model_doc = _table(doc, "model", _MODEL_KEYS)
    for key in MODEL_KEYS:
        if key in model_doc and key in names:
            raise InvalidArgument(f"[model] {key}: also a parameter; set it in one place")
    model: dict[str, Any] = {"kind": "relu-neuron", "activation": "relu", "width": 1,
                             "bias": False, "skip": False}
    model.update(model_doc)
    if "dim" not in model and "dim" not in names:
        raise InvalidArgument("[model] dim: missing (the input dimension d)")
    for p in parameters:
        if p.name in MODEL_KEYS:
            for v in p.values:
                _check_model_value(p.name, v, f"[parameters] {p.name}")
    for key in MODEL_KEYS:
        if key in model and key not in names:
            _check_model_value(key, model[key], f"[model] {key}")
    model_tuple = tuple((k, model[k]) for k in MODEL_KEYS if k in model and k not in names)

    data = _table(doc, "data", _DATA_KEYS)
    for key in ("x", "y"):
        if key not in data:
            raise InvalidArgument(f"[data] {key}: missing")
    x = _expressions(data["x"], "[data] x", 2)
    y = _expressions(data["y"], "[data] y", 1)
    if len(x) != len(y):
        raise InvalidArgument(f"[data]: {len(x)} inputs x but {len(y)} labels y")
    if len({len(row) for row in x}) != 1:
        raise InvalidArgument("[data] x: rows of different lengths")

    init = _table(doc, "init", _INIT_KEYS)
    if "theta0" in init:
        if "direction" in init or "scale" in init:
            raise InvalidArgument("[init]: give theta0, or direction and scale, not both")
        theta0 = _expressions(init["theta0"], "[init] theta0", 1)
    elif "direction" in init:
        direction = _expressions(init["direction"], "[init] direction", 1)
        scale = _expressions(init.get("scale", "1"), "[init] scale", 0)
        theta0 = tuple(f"({scale})*({d})" for d in direction)
    else:
        raise InvalidArgument("[init]: missing theta0 (or direction and scale)")

    flow = _table(doc, "flow", _FLOW_KEYS, required=False)
    method = flow.get("method", "float")
    if method not in METHODS:
        raise InvalidArgument(f"[flow] method: expected 'float' or 'mp', got {method!r}")
    dps = _int(flow.get("dps", 30), "[flow] dps", 5, 1000)
    t_max = float(_number(flow.get("t_max", DEFAULT_T_MAX), "[flow] t_max"))
    if not t_max > 0:
        raise InvalidArgument(f"[flow] t_max: expected a positive time, got {flow['t_max']!r}")
    tol = None
    if "tol" in flow:
        tol = float(_number(flow["tol"], "[flow] tol"))
        if not tol > 0:
            raise InvalidArgument(f"[flow] tol: expected a positive number, got {flow['tol']!r}")
    prove = flow.get("prove", False)
    if not isinstance(prove, bool):
        raise InvalidArgument(f"[flow] prove: expected true or false, got {prove!r}")
    prec = _int(flow.get("prec", 128), "[flow] prec", 53, 100_000)

    diag = _table(doc, "diagnostics", _DIAG_KEYS, required=False)
    norm = diag.get("norm", True)
    if not isinstance(norm, bool):
        raise InvalidArgument(f"[diagnostics] norm: expected true or false, got {norm!r}")
    candidate = diag.get("candidate")
    if candidate is not None and (not isinstance(candidate, str) or not candidate.strip()):
        raise InvalidArgument(f"[diagnostics] candidate: expected a G such as 'l2' or an "
                              f"expression, got {candidate!r}")
    reference_doc = diag.get("reference", {})
    if not isinstance(reference_doc, dict):
        raise InvalidArgument("[diagnostics] reference: expected a table such as "
                              "{ gamma = 0 }")
    reference: list[tuple[str, Any]] = []
    for key, value in reference_doc.items():
        if key not in names:
            raise InvalidArgument(f"[diagnostics] reference: unknown parameter {key!r}; "
                                  f"parameters: {', '.join(sorted(names))}")
        reference.append((key, value if key in MODEL_KEYS
                          else _number(value, f"[diagnostics] reference {key}")))

    config = SweepConfig(
        text=text, name=name, design=design, n_random=n_random, seed=seed, chunk=chunk,
        digits=digits, parameters=parameters, model=model_tuple, x=x, y=y, theta0=theta0,
        method=method, dps=dps, t_max=t_max, tol=tol, prove=prove, prec=prec, norm=norm,
        candidate=candidate.strip() if candidate else None, reference=tuple(reference))
    _check_expressions(config)
    phase = _table(doc, "phase", _PHASE_KEYS, required=False)
    return SweepConfig(**{**{k: getattr(config, k) for k in config.__dataclass_fields__},
                          "phase": _check_phase(phase, config)})


def _check_model_value(key: str, value: Any, what: str) -> None:
    if key == "kind" and value not in KNOWN_KINDS:
        raise InvalidArgument(f"{what}: unknown model kind {value!r}; known: "
                              f"{', '.join(KNOWN_KINDS)}")
    if key == "activation" and value not in KNOWN_ACTIVATIONS:
        raise InvalidArgument(f"{what}: unknown activation {value!r}; known: "
                              f"{', '.join(KNOWN_ACTIVATIONS)}")
    if key in ("dim", "width"):
        _int(value, what, 1, 1000)
    if key in ("bias", "skip") and not isinstance(value, bool):
        raise InvalidArgument(f"{what}: expected true or false, got {value!r}")


def _check_expressions(config: SweepConfig) -> None:
    """Every data and init entry parses and uses only numeric parameters."""
    numeric = {p.name: sympy.Symbol(p.name) for p in config.parameters
               if p.name not in MODEL_KEYS}
    entries = [("[data] x", e) for row in config.x for e in row]
    entries += [("[data] y", e) for e in config.y]
    entries += [("[init] theta0", e) for e in config.theta0]
    for what, text in entries:
        try:
            parse_expression(text, numeric)
        except UnsafeExpression as exc:
            reason = str(exc).removeprefix("expression: ")
            raise InvalidArgument(f"{what}: bad expression {text!r} ({reason}); names must "
                                  f"be parameters ({', '.join(sorted(numeric)) or 'none'})"
                                  ) from None


def _check_phase(phase: dict[str, Any], config: SweepConfig) -> tuple[tuple[str, str], ...]:
    numeric = [p.name for p in config.parameters if p.name not in MODEL_KEYS]
    out = {"x": phase.get("x", numeric[0] if numeric else ""),
           "y": phase.get("y", numeric[1] if len(numeric) > 1 else ""),
           "value": phase.get("value", "distance" if config.reference else "norm"),
           "title": phase.get("title", ""), "xlabel": phase.get("xlabel", ""),
           "ylabel": phase.get("ylabel", "")}
    for key in ("x", "y"):
        if out[key] and out[key] not in config.parameter_names:
            raise InvalidArgument(f"[phase] {key}: unknown parameter {out[key]!r}; "
                                  f"parameters: {', '.join(config.parameter_names)}")
    value = out["value"]
    limit_name = isinstance(value, str) and value.startswith("limit:") and value[6:].strip()
    if not isinstance(value, str) or not (value in PHASE_VALUES or limit_name
                                          or value in config.parameter_names):
        raise InvalidArgument(f"[phase] value: expected one of {', '.join(PHASE_VALUES)} or "
                              f"limit:NAME (a parameter of the model), got {value!r}")
    if value == "distance" and not config.reference:
        raise InvalidArgument("[phase] value = 'distance' needs [diagnostics] reference")
    for key in ("title", "xlabel", "ylabel"):
        if not isinstance(out[key], str):
            raise InvalidArgument(f"[phase] {key}: expected a string, got {out[key]!r}")
    return tuple(out.items())
