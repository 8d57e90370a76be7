"""The certificate's objects and the readers of its fields (the bottom of the kernel).

Data model (format ``igproof-certificate``, version 1; see docs/certificates.md)::

    {"format": "igproof-certificate", "version": 1, "kind": KIND,
     "model": {"parameters": [NAME...], "inputs": [NAME...], "output": EXPR,
               "relu_derivative_at_zero": "0"},
     "loss": {"name": "square", "formula": LOSS_FORMULA},
     "datasets": {NAME: {"x": [[Q...]...], "y": [Q...]}},
     "theta0": [Q...],
     "statement": {"text": TEXT, "limits": {NAME: {"dataset": NAME, "center": [Q...],
                   "radius": Q}}, "claim": {...}},
     "obligations": [{"id": ID, "type": TYPE, ...}...],
     "producer": STRING (optional, not trusted)}

Kind ``gf-switches`` has no limits: its statement is {"text", "dataset": NAME, "theta0": [Q...]
(= the certificate's theta0), "claim": {"atom": INT, "point": INT, "sequence": [1 | -1...]}}.
Kind ``minnorm-interpolation`` has its own data model (:mod:`igproof.checker.minnorm`).
Q is a string "p/q" or "p". Everything not listed is rejected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from igproof.checker import expr as ex
from igproof.checker import intervals as iv
from igproof.checker.errors import Rejected

FORMAT = "igproof-certificate"
VERSIONS = (1,)
# The kind whose statement is about 1-D data alone (no model, loss or theta0).
INTERPOLATION_KIND = "minnorm-interpolation"
# The gf-limit statement variant {"in_zero_loss_set": "false"}: the limit is a strict local
# minimizer of L_S (isolated end-game), not claimed to lie in M_S.
ISOLATED_CLAIM = "in_zero_loss_set"
LOSS_FORMULA = "L_S(theta) = (1/(2n)) sum_i (f(x_i; theta) - y_i)^2"
# The kind whose statement is a switch sequence of one relu atom along the flow (no limits):
# statement {"text", "dataset", "theta0", "claim": {"atom", "point", "sequence"}}.
SWITCHES_KIND = "gf-switches"

# Longest "p/q" text: 1000 digits is far beyond any honest enclosure endpoint.
MAX_NUMBER_CHARS = 1000
# Structural limits that bound the work on hostile input.
MAX_PARAMETERS = 32
MAX_INPUTS = 32
MAX_POINTS = 1000
MAX_DATASETS = 16
MAX_NAME_CHARS = 64
# Total cover leaves (over all obligations) one certificate may ask the checker to visit: a
# leaf costs up to a few milliseconds, so this caps a check at about a minute.
MAX_TOTAL_LEAVES = 20000

_NUMBER = re.compile(r"-?\d+(/\d+)?")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


# --- reading fields -------------------------------------------------------------------------

def number(value: Any, where: str) -> Fraction:
    """The rational written as the string ``value`` ("p/q" or "p")."""
    if not isinstance(value, str):
        raise Rejected(f"{where}: expected a string like '3/4', got {type(value).__name__}")
    if len(value) > MAX_NUMBER_CHARS:
        raise Rejected(f"{where}: number of {len(value)} characters is too long "
                       f"(at most {MAX_NUMBER_CHARS})")
    if not _NUMBER.fullmatch(value):
        raise Rejected(f"{where}: {value[:40]!r} is not a rational 'p/q'")
    if "/" in value:
        p, q = value.split("/")
        if int(q) == 0:
            raise Rejected(f"{where}: zero denominator in {value!r}")
        return Fraction(int(p), int(q))
    return Fraction(int(value))


def vector(value: Any, length: int, where: str, most: int | None = None) -> list[Fraction]:
    """A list of ``length`` numbers (of ``length`` to ``most`` numbers when ``most`` is given)."""
    most = length if most is None else most
    if not isinstance(value, list) or not length <= len(value) <= most:
        size = length if most == length else f"{length} to {most}"
        raise Rejected(f"{where}: expected a list of {size} numbers")
    return [number(v, f"{where}[{k}]") for k, v in enumerate(value)]


def matrix(value: Any, n: int, where: str) -> list[list[Fraction]]:
    """An n x n matrix of numbers (a list of n rows)."""
    if not isinstance(value, list) or len(value) != n:
        raise Rejected(f"{where}: expected a {n} x {n} matrix (a list of {n} rows)")
    return [vector(row, n, f"{where}[{i}]") for i, row in enumerate(value)]


def dist2(u: list[Fraction], v: list[Fraction]) -> Fraction:
    """|u - v|_2^2, exactly."""
    return sum(((a - b) ** 2 for a, b in zip(u, v, strict=True)), Fraction(0))


def box(value: Any, length: int, where: str) -> list[tuple[Fraction, Fraction]]:
    """A box: a list of ``length`` pairs [lo, hi] with lo <= hi."""
    if not isinstance(value, list) or len(value) != length:
        raise Rejected(f"{where}: expected a box of {length} [lo, hi] pairs")
    out = []
    for k, pair in enumerate(value):
        if not isinstance(pair, list) or len(pair) != 2:
            raise Rejected(f"{where}[{k}]: expected a pair [lo, hi]")
        lo, hi = number(pair[0], f"{where}[{k}][0]"), number(pair[1], f"{where}[{k}][1]")
        if lo > hi:
            raise Rejected(f"{where}[{k}]: lower end {lo} above upper end {hi}")
        out.append((lo, hi))
    return out


def obj(value: Any, where: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
        ) -> dict:
    if not isinstance(value, dict):
        raise Rejected(f"{where}: expected an object")
    for key in value:
        if key not in required and key not in optional:
            raise Rejected(f"{where}: unknown field {str(key)[:40]!r}")
    for key in required:
        if key not in value:
            raise Rejected(f"{where}: missing field {key!r}")
    return value


def name(value: Any, where: str) -> str:
    if not isinstance(value, str) or len(value) > MAX_NAME_CHARS or not _NAME.fullmatch(value):
        raise Rejected(f"{where}: {str(value)[:40]!r} is not a valid name")
    if value in ex.PUBLIC_FUNCTIONS:
        raise Rejected(f"{where}: {value!r} is a function name")
    return value


def string(value: Any, where: str, max_chars: int = 2000) -> str:
    if not isinstance(value, str) or len(value) > max_chars:
        raise Rejected(f"{where}: expected a string of at most {max_chars} characters")
    return value


def integer(value: Any, where: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise Rejected(f"{where}: expected an integer in [{lo}, {hi}]")
    return value


def header(cert: dict, fields: tuple[str, ...]) -> None:
    """The certificate's top-level ``fields`` (and an optional free-text ``producer``, not
    trusted), with a version this checker reads."""
    obj(cert, "certificate", fields, ("producer",))
    if cert["version"] not in VERSIONS or isinstance(cert["version"], bool):
        raise Rejected(f"version: unsupported version {str(cert['version'])[:20]!r} "
                       f"(this checker reads {list(VERSIONS)})")
    if "producer" in cert:
        string(cert["producer"], "producer")


# --- the certificate's objects ---------------------------------------------------------------

@dataclass
class Dataset:
    name: str
    x: list[list[Fraction]]
    y: list[Fraction]
    residuals: list[tuple]  # r_i(theta) = f(x_i; theta) - y_i as ASTs in the parameters
    _grads: dict[int, list[tuple]] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.y)

    def points(self) -> set[tuple[tuple[Fraction, ...], Fraction]]:
        return {(tuple(xi), yi) for xi, yi in zip(self.x, self.y, strict=True)}


@dataclass
class Limit:
    name: str
    dataset: str
    center: list[Fraction]
    radius: Fraction

    def bounding_box(self, factor: int = 1) -> list[tuple[Fraction, Fraction]]:
        return [(c - factor * self.radius, c + factor * self.radius) for c in self.center]


@dataclass
class Endgame:
    dataset: str
    center: list[Fraction]
    radius: Fraction
    domain: list[tuple[Fraction, Fraction]]
    start_box: list[tuple[Fraction, Fraction]]


class Context:
    """What obligations see: the parsed certificate and the facts established so far.

    Facts (each set only by an accepted obligation):
    ``reach[id] = (dataset, box)``: the flow from theta0 on dataset is in box at some T >= 0;
    ``endgame[id]``: an :class:`Endgame`; ``conserved[id] = (endgame_id, Q, enclosure)``;
    ``proved``: limits whose ball is established; ``in_zero_set``: (limit, dataset) pairs with
    theta*_limit in M_dataset; ``disjoint``: frozensets of two limits; ``ordering``:
    (class, below, above) with sup N on ball(below) <= inf N on ball(above);
    ``not_minimizer``: limits at which G is certainly not minimal on M_S;
    ``isolated[id]``: an :class:`Endgame` ball holding a strict local minimizer of L_S that the
    flow converges to (its loss may be positive; see igproof/checker/isolated.py);
    ``proved_isolated``: limits whose claimed ball holds such a minimizer (not in ``proved``,
    which means "the limit ball is established and the limit is in M_S");
    ``patterns[id]``: the sign pattern (one sign per relu atom) of each segment of the replayed
    trajectory ``id``, in time order; ``accepted[id]``: the accepted obligation as written.
    """

    def __init__(self, cert: dict, statement: tuple[str, ...] = ("text", "limits", "claim")
                 ) -> None:
        self.kind: str = cert["kind"]
        model = obj(cert["model"], "model",
                    ("parameters", "inputs", "output", "relu_derivative_at_zero"))
        if model["relu_derivative_at_zero"] != "0":
            raise Rejected("model.relu_derivative_at_zero: only the convention '0' is supported")
        params = model["parameters"]
        inputs = model["inputs"]
        if not isinstance(params, list) or not 1 <= len(params) <= MAX_PARAMETERS:
            raise Rejected(f"model.parameters: expected 1 to {MAX_PARAMETERS} names")
        if not isinstance(inputs, list) or not 1 <= len(inputs) <= MAX_INPUTS:
            raise Rejected(f"model.inputs: expected 1 to {MAX_INPUTS} names")
        self.parameters = [name(p, f"model.parameters[{k}]") for k, p in enumerate(params)]
        self.inputs = [name(p, f"model.inputs[{k}]") for k, p in enumerate(inputs)]
        if len(set(self.parameters + self.inputs)) != len(self.parameters) + len(self.inputs):
            raise Rejected("model: parameter and input names must be distinct")
        text = string(model["output"], "model.output", ex.MAX_EXPR_CHARS)
        try:
            self.output = ex.parse(text, set(self.parameters + self.inputs))
        except Rejected as exc:
            raise Rejected(f"model.output: {exc}") from None
        loss = obj(cert["loss"], "loss", ("name", "formula"))
        if loss["name"] != "square" or loss["formula"] != LOSS_FORMULA:
            raise Rejected(f"loss: only the square loss {LOSS_FORMULA!r} is supported")
        self.p = len(self.parameters)
        self.theta0 = vector(cert["theta0"], self.p, "theta0")
        raw = cert["datasets"]
        if not isinstance(raw, dict) or not 1 <= len(raw) <= MAX_DATASETS:
            raise Rejected(f"datasets: expected an object of 1 to {MAX_DATASETS} datasets")
        self.datasets = {name(k, "datasets"): self._dataset(k, v) for k, v in raw.items()}
        self.statement = obj(cert["statement"], "statement", statement)
        self.limits: dict[str, Limit] = {}
        if "limits" in statement:
            limits = self.statement["limits"]
            if not isinstance(limits, dict) or not 1 <= len(limits) <= 2:
                raise Rejected("statement.limits: expected 1 or 2 limits")
            self.limits = {name(k, "statement.limits"): self._limit(k, v)
                           for k, v in limits.items()}
        self.results: dict[str, tuple[str, str]] = {}  # id -> (type, summary)
        self.reach: dict[str, tuple[str, list]] = {}
        self.endgame: dict[str, Endgame] = {}
        self.conserved: dict[str, tuple[str, tuple, iv.Interval]] = {}
        self.proved: set[str] = set()
        self.in_zero_set: set[tuple[str, str]] = set()
        self.disjoint: set[frozenset] = set()
        self.ordering: set[tuple[str, str, str]] = set()
        self.not_minimizer: set[str] = set()
        self.isolated: dict[str, Endgame] = {}
        self.proved_isolated: set[str] = set()
        # trajectory id -> the sign pattern of each of its segments, in time order (recorded by
        # the trajectory obligation after a successful replay)
        self.patterns: dict[str, list[tuple[int, ...]]] = {}
        self.accepted: dict[str, dict] = {}  # id -> the accepted obligation as written
        self.work = 0

    def charge(self, leaves: int, where: str) -> None:
        """Count cover leaves against MAX_TOTAL_LEAVES (bounded work on hostile input)."""
        self.work += leaves
        if self.work > MAX_TOTAL_LEAVES:
            raise Rejected(f"{where}: the certificate asks for more than {MAX_TOTAL_LEAVES} "
                           "cover leaves in total")

    def _dataset(self, key: str, value: Any) -> Dataset:
        where = f"datasets.{key}"
        d = obj(value, where, ("x", "y"))
        if not isinstance(d["y"], list) or not 1 <= len(d["y"]) <= MAX_POINTS:
            raise Rejected(f"{where}.y: expected 1 to {MAX_POINTS} labels")
        if not isinstance(d["x"], list) or len(d["x"]) != len(d["y"]):
            raise Rejected(f"{where}.x: expected one input per label")
        y = [number(v, f"{where}.y[{i}]") for i, v in enumerate(d["y"])]
        x = [vector(v, len(self.inputs), f"{where}.x[{i}]") for i, v in enumerate(d["x"])]
        residuals = []
        for xi, yi in zip(x, y, strict=True):
            env = dict(zip(self.inputs, xi, strict=True))
            residuals.append(ex.sub(ex.substitute(self.output, env), ("num", yi)))
        return Dataset(key, x, y, residuals)

    def _limit(self, key: str, value: Any) -> Limit:
        where = f"statement.limits.{key}"
        d = obj(value, where, ("dataset", "center", "radius"))
        if d["dataset"] not in self.datasets:
            raise Rejected(f"{where}.dataset: unknown dataset {str(d['dataset'])[:40]!r}")
        radius = number(d["radius"], f"{where}.radius")
        if radius <= 0:
            raise Rejected(f"{where}.radius: must be positive")
        return Limit(key, d["dataset"], vector(d["center"], self.p, f"{where}.center"), radius)

    # --- helpers for obligation modules ---------------------------------------------------
    def dataset(self, value: Any, where: str) -> Dataset:
        return self.ref(value, self.datasets, where, "unknown dataset")

    def limit(self, value: Any, where: str) -> Limit:
        return self.ref(value, self.limits, where, "unknown limit")

    def ref(self, value: Any, table: dict, where: str, unknown: str = "") -> Any:
        """``table[value]``: a dataset, a limit, or an earlier accepted obligation's fact (e.g.
        from ``ctx.endgame``)."""
        if not isinstance(value, str) or value not in table:
            raise Rejected(f"{where}: {unknown} {str(value)[:40]!r}" if unknown else
                           f"{where}: {str(value)[:40]!r} is not an earlier accepted obligation "
                           "of the right type")
        return table[value]

    def start(self, ob: dict) -> tuple[Dataset, list[tuple[Fraction, Fraction]]]:
        """The obligation's dataset and the box its ``start`` obligation reached on it."""
        ds = self.dataset(ob["dataset"], "dataset")
        start_ds, start_box = self.ref(ob["start"], self.reach, "start")
        if start_ds != ds.name:
            raise Rejected(f"start: start box is for dataset {start_ds}, not {ds.name}")
        return ds, start_box

    def env(self, b: list[tuple[Fraction, Fraction]]) -> dict[str, iv.Interval]:
        return {p: iv.Interval(lo, hi)
                for p, (lo, hi) in zip(self.parameters, b, strict=True)}

    def gradient(self, ds: Dataset, i: int) -> list[tuple]:
        if i not in ds._grads:
            ds._grads[i] = ex.gradient(ds.residuals[i], self.parameters)
        return ds._grads[i]

    def parse(self, text: Any, where: str) -> tuple:
        """An expression in the parameters."""
        text = string(text, where, ex.MAX_EXPR_CHARS)
        try:
            return ex.parse(text, set(self.parameters))
        except Rejected as exc:
            raise Rejected(f"{where}: {exc}") from None
