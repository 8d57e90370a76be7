"""The kernel: reads a certificate, replays its obligations, and decides its conclusion.

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
Q is a string "p/q" or "p". Everything not listed is rejected. The certificate is accepted when
every obligation is accepted and the established facts entail the kind's conclusion.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from igproof.checker import expr as ex
from igproof.checker import intervals as iv
from igproof.checker.errors import NotACertificate, Rejected
from igproof.checker.registry import OBLIGATIONS

FORMAT = "igproof-certificate"
VERSIONS = (1,)
KINDS = ("gf-limit", "two-point-overlap", "one-point-overlap", "not-characterized-by",
         "minnorm-interpolation", "gf-switches")
# Kinds checked whole by their own module: kind -> check(cert) -> Report (nuclear-gap: nuclear.py).
STANDALONE_KINDS: dict[str, Any] = {}
# The kind whose statement is about 1-D data alone (no model, loss or theta0), the obligation
# types it admits, and its two weights (biases penalised / free).
INTERPOLATION_KIND = "minnorm-interpolation"
INTERPOLATION_OBLIGATIONS = ("minnorm-dual",)
INTERPOLATION_WEIGHTS = ("sqrt(1+x^2)", "1")
# The gf-limit statement variant {"in_zero_loss_set": "false"}: the limit is a strict local
# minimizer of L_S (isolated end-game), not claimed to lie in M_S.
ISOLATED_CLAIM = "in_zero_loss_set"
LOSS_FORMULA = "L_S(theta) = (1/(2n)) sum_i (f(x_i; theta) - y_i)^2"
# The kind whose statement is a switch sequence of one relu atom along the flow (no limits):
# statement {"text", "dataset", "theta0", "claim": {"atom", "point", "sequence"}}.
SWITCHES_KIND = "gf-switches"
SIGN_WORDS = {1: "active", -1: "inactive"}
# Longest claimed sign sequence: a trajectory obligation has at most 16 segments, so no honest
# claim is longer; the bound keeps the canonical text short.
MAX_SEQUENCE = 16

# Largest certificate file read (bytes): shipped certificates are a few kilobytes.
MAX_FILE_BYTES = 4_000_000
# Longest "p/q" text: 1000 digits is far beyond any honest enclosure endpoint.
MAX_NUMBER_CHARS = 1000
# Structural limits that bound the work on hostile input.
MAX_PARAMETERS = 32
MAX_INPUTS = 32
MAX_POINTS = 1000
MAX_DATASETS = 16
MAX_OBLIGATIONS = 500
MAX_NAME_CHARS = 64
# Most data points of a minnorm-interpolation certificate (the minnorm-dual work is O(n)).
MAX_INTERPOLATION_POINTS = 20000
# Total cover leaves (over all obligations) one certificate may ask the checker to visit: a
# leaf costs up to a few milliseconds, so this caps a check at about a minute.
MAX_TOTAL_LEAVES = 20000

_NUMBER = re.compile(r"-?\d+(/\d+)?")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


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


def vector(value: Any, length: int, where: str) -> list[Fraction]:
    if not isinstance(value, list) or len(value) != length:
        raise Rejected(f"{where}: expected a list of {length} numbers")
    return [number(v, f"{where}[{k}]") for k, v in enumerate(value)]


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

    def __init__(self, cert: dict):
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
        if self.kind == SWITCHES_KIND:
            self.statement = obj(cert["statement"], "statement",
                                 ("text", "dataset", "theta0", "claim"))
            self.dataset(self.statement["dataset"], "statement.dataset")
            if vector(self.statement["theta0"], self.p, "statement.theta0") != self.theta0:
                raise Rejected("statement.theta0: differs from the certificate's theta0 (where "
                               "the trajectories start)")
            self.limits: dict[str, Limit] = {}
        else:
            self.statement = obj(cert["statement"], "statement", ("text", "limits", "claim"))
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
            residuals.append(ex.sub(substitute(self.output, env), ("num", yi)))
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
        if not isinstance(value, str) or value not in self.datasets:
            raise Rejected(f"{where}: unknown dataset {str(value)[:40]!r}")
        return self.datasets[value]

    def limit(self, value: Any, where: str) -> Limit:
        if not isinstance(value, str) or value not in self.limits:
            raise Rejected(f"{where}: unknown limit {str(value)[:40]!r}")
        return self.limits[value]

    def ref(self, value: Any, table: dict, where: str) -> Any:
        """An earlier accepted obligation's fact from ``table`` (e.g. ``ctx.endgame``)."""
        if not isinstance(value, str) or value not in table:
            raise Rejected(f"{where}: {str(value)[:40]!r} is not an earlier accepted "
                           "obligation of the right type")
        return table[value]

    def env(self, b: list[tuple[Fraction, Fraction]]) -> dict[str, iv.Interval]:
        return {p: iv.Interval(lo, hi, exact=True)
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


def substitute(node: tuple, env: dict[str, Fraction]) -> tuple:
    """node with the names in ``env`` replaced by their rational values."""
    tag = node[0]
    if tag == "num":
        return node
    if tag == "var":
        return ("num", env[node[1]]) if node[1] in env else node
    if tag in ("neg", "pow"):
        inner = substitute(node[1], env)
        return ex.neg(inner) if tag == "neg" else ("pow", inner, node[2])
    if tag == "call":
        return ("call", node[1], substitute(node[2], env))
    return (tag, substitute(node[1], env), substitute(node[2], env))


# --- statements --------------------------------------------------------------------------------

NORM_CLASSES = {"norm": "|theta|_2", "distance-to-theta0": "|theta - theta0|_2",
                "l1-norm": "|theta|_1"}


def statement_text(kind: str, statement: dict) -> str:
    """The canonical words of a structured statement; a certificate must carry exactly these."""
    limits = statement.get("limits", {})
    claim = statement.get("claim", {})

    def ds(lim: str) -> str:
        entry = limits.get(lim, {})
        return entry.get("dataset", "?") if isinstance(entry, dict) else "?"

    if kind == "gf-limit":
        (lim,) = list(limits) if len(limits) == 1 else ("?",)
        if isinstance(claim, dict) and claim.get(ISOLATED_CLAIM) == "false":
            return (f"The gradient flow of the square loss from theta0 on dataset {ds(lim)} "
                    f"converges to a limit {lim} that is a strict local minimizer of "
                    f"L_{ds(lim)} (its loss may be positive) with |{lim} - center|_2 <= radius.")
        return (f"The gradient flow of the square loss from theta0 on dataset {ds(lim)} "
                f"converges to a limit {lim} with L_{ds(lim)}({lim}) = 0 and "
                f"|{lim} - center|_2 <= radius.")
    if kind == "two-point-overlap":
        a, b = ([*list(claim.get("limits", [])), "?", "?"])[:2]
        return (f"No function G of the parameters characterizes in the strong form the implicit "
                f"regularization of gradient flow from theta0 on the datasets {ds(a)}, {ds(b)}: "
                f"their limits {a} != {b} both lie in M_{ds(a)} and in M_{ds(b)} "
                "(two-point overlap).")
    if kind == "one-point-overlap":
        shared, other = claim.get("shared", "?"), claim.get("other", "?")
        norm = NORM_CLASSES.get(claim.get("class"), "?")
        return (f"No nondecreasing function of {norm} characterizes in the strong form the "
                f"implicit regularization of gradient flow from theta0 on the datasets "
                f"{ds(other)}, {ds(shared)}: the limit {shared} of {ds(shared)} lies in "
                f"M_{ds(other)}, differs from the limit {other} of {ds(other)}, and "
                f"{norm} at {shared} <= {norm} at {other} (one-point overlap).")
    if kind == "not-characterized-by":
        lim, g = claim.get("limit", "?"), claim.get("G", "?")
        return (f"G = {g} does not characterize, not even in the weak form, the implicit "
                f"regularization of gradient flow from theta0 on dataset {ds(lim)}: its limit "
                f"{lim} is not a minimizer of G on M_{ds(lim)}.")
    if kind == SWITCHES_KIND:
        theta0 = statement.get("theta0")
        start = (", ".join(v if isinstance(v, str) else "?" for v in theta0)
                 if isinstance(theta0, list) else "?")
        atom, point, seq = claim.get("atom", "?"), claim.get("point", "?"), claim.get("sequence")
        seq = seq if isinstance(seq, list) else []
        words = ", then ".join(SIGN_WORDS.get(v, "?") if not isinstance(v, bool) else "?"
                               for v in seq)
        signs = ", ".join(str(v) for v in seq)
        return (f"Along the gradient flow of the square loss from theta0 = ({start}) on dataset "
                f"{statement.get('dataset', '?')}, the relu atom {atom} (checker order, from 0; "
                f"a relu argument at data point {point} of the dataset, from 1) is {words}: its "
                f"signs over consecutive certified time intervals, with certified transversal "
                f"switches in between, run through {signs} (1 active, -1 inactive).")
    if kind == INTERPOLATION_KIND:
        w = statement.get("weight", "?")
        return (f"The minimal representational cost of interpolating the data (x, y) with "
                f"weight {w}, min of int {w} d|f''| over the functions f with f(x_j) = y_j for "
                f"every j, lies in [{statement.get('lower', '?')}, "
                f"{statement.get('upper', '?')}].")
    raise Rejected(f"kind: unknown kind {str(kind)[:40]!r}")


def switches_claim(claim: Any) -> tuple[int, int, list[int]]:
    """(atom, point, sequence) of a ``gf-switches`` claim, validated.

    ``atom`` indexes the relu atoms in the checker's order (from 0), ``point`` names the data
    point whose residual contains it (from 1), ``sequence`` is 2 to MAX_SEQUENCE signs (1 or -1),
    consecutive ones different (each run of equal signs is written once).
    """
    obj(claim, "statement.claim", ("atom", "point", "sequence"))
    atom = integer(claim["atom"], "statement.claim.atom", 0, MAX_PARAMETERS * MAX_POINTS)
    point = integer(claim["point"], "statement.claim.point", 1, MAX_POINTS)
    seq = claim["sequence"]
    if not isinstance(seq, list) or not 2 <= len(seq) <= MAX_SEQUENCE:
        raise Rejected(f"statement.claim.sequence: expected 2 to {MAX_SEQUENCE} signs")
    for k, v in enumerate(seq):
        if isinstance(v, bool) or v not in (1, -1):
            raise Rejected(f"statement.claim.sequence[{k}]: expected 1 or -1")
        if k and v == seq[k - 1]:
            raise Rejected(f"statement.claim.sequence[{k}]: equal to the sign before it (write "
                           "each run of equal signs once)")
    return atom, point, list(seq)


def _duration_positive(seg: dict) -> bool:
    """False for an affine segment that stops at local time 0 (no certified time interval):
    its pattern is asserted at no positive time, so it does not count as a run."""
    end = seg.get("end")
    return not (seg.get("method") == "affine" and isinstance(end, dict)
                and end.get("kind") == "stop" and not seg.get("intervals"))


def _switch_times(segments: list, atom: int) -> list[tuple[Fraction, Fraction]]:
    """Global time brackets of the certified switches of ``atom`` in a replayed trajectory.

    Each segment starts (local time 0) at the previous one's crossing. An affine segment ends at
    a switching time in ``end.time`` = [t1, t2] or stops at its last interval's end; a Taylor
    segment lasts the sum of its steps h and, ending in a crossing, crosses during its last
    step. The brackets are sums of these (replay has validated every field).
    """
    lo = hi = Fraction(0)
    out = []
    for seg in segments:
        end = seg.get("end", {"kind": "stop"})
        if seg.get("method") == "taylor":
            hs = [number(st["h"], "steps.h") for st in seg["steps"]]
            a, b = sum(hs[:-1], Fraction(0)), sum(hs, Fraction(0))
            a = a if end.get("kind") == "switch" else b
        elif end.get("kind") == "switch":
            a, b = (number(v, "end.time") for v in end["time"])
        else:
            intervals = seg.get("intervals") or [["0", "0"]]
            a = b = number(intervals[-1][1], "intervals")
        if end.get("kind") == "switch" and end.get("atom") == atom:
            out.append((lo + a, hi + b))
        lo, hi = lo + a, hi + b
    return out


def _contains_run(runs: list[int], seq: list[int]) -> bool:
    return any(runs[k:k + len(seq)] == seq for k in range(len(runs) - len(seq) + 1))


def _switches_conclusion(ctx: Context) -> str:
    """gf-switches: some accepted trajectory from theta0 on the statement's dataset has a
    segment-sign sequence whose signs of the claimed atom, consecutive repeats merged, contain the
    claimed sequence as a contiguous run."""
    from igproof.checker.trajectory import relu_atoms  # the atom order the replay uses

    atom, point, seq = switches_claim(ctx.statement["claim"])
    ds = ctx.datasets[ctx.statement["dataset"]]
    if point > ds.n:
        raise Rejected(f"statement.claim.point: dataset {ds.name} has {ds.n} points")
    first = sum(len(relu_atoms([r])) for r in ds.residuals[:point - 1])
    count = len(relu_atoms([ds.residuals[point - 1]]))
    if not first <= atom < first + count:
        raise Rejected(f"statement.claim.atom: atom {atom} is not a relu argument at data point "
                       f"{point} (its atoms are {list(range(first, first + count))})")
    for ident, patterns in ctx.patterns.items():
        ob = ctx.accepted.get(ident)
        if ob is None or ob.get("type") != "trajectory" \
                or ctx.reach.get(ident, ("",))[0] != ds.name:
            continue
        segments = ob["segments"]
        if len(segments) != len(patterns):
            continue
        runs: list[int] = []
        for seg, pattern in zip(segments, patterns, strict=True):
            if _duration_positive(seg) and (not runs or runs[-1] != pattern[atom]):
                runs.append(pattern[atom])
        if _contains_run(runs, seq):
            times = ", ".join(f"[{float(a):.6g}, {float(b):.6g}]"
                              for a, b in _switch_times(segments, atom))
            words = ", then ".join(SIGN_WORDS[v] for v in seq)
            return (f"relu atom {atom} (data point {point} of {ds.name}) is {words} along the "
                    f"gradient flow from theta0 (obligation {ident}: its switches at t in "
                    f"{times})")
    raise Rejected(f"conclusion: no accepted trajectory obligation from theta0 on dataset "
                   f"{ds.name} establishes the signs {seq} of relu atom {atom} over consecutive "
                   "certified pieces")


def _conclusion(ctx: Context) -> str:
    """Check that the established facts entail the statement; return the conclusion."""
    kind, claim, limits = ctx.kind, ctx.statement["claim"], ctx.limits

    def need(condition: bool, what: str) -> None:
        if not condition:
            raise Rejected(f"conclusion: no accepted obligation establishes {what}")

    def proved(lim: str) -> None:
        need(lim in ctx.proved, f"the limit ball of {lim}")

    if kind == SWITCHES_KIND:
        return _switches_conclusion(ctx)
    if kind == "gf-limit":
        obj(claim, "statement.claim", (), (ISOLATED_CLAIM,))
        need(len(limits) == 1, "a single limit (gf-limit has one)")
        lim = next(iter(limits))
        if ISOLATED_CLAIM in claim:
            if claim[ISOLATED_CLAIM] != "false":
                raise Rejected(f"statement.claim.{ISOLATED_CLAIM}: the only value is 'false' "
                               "(omit the field to claim the limit is in M_S)")
            need(lim in ctx.proved_isolated, f"that {lim} is a strict local minimizer in its ball")
            return "the gradient-flow limit is a strict local minimizer of L_S in the claimed ball"
        proved(lim)
        return "the gradient-flow limit lies in M_S and in the claimed ball"
    if kind == "two-point-overlap":
        obj(claim, "statement.claim", ("limits",))
        pair = claim["limits"]
        if not isinstance(pair, list) or len(pair) != 2 or set(pair) != set(limits):
            raise Rejected("statement.claim.limits: must name the two limits of the statement")
        a, b = pair
        sa, sb = limits[a].dataset, limits[b].dataset
        need(sa != sb, "two different datasets")
        proved(a)
        proved(b)
        need((a, sb) in ctx.in_zero_set, f"{a} in M_{sb}")
        need((b, sa) in ctx.in_zero_set, f"{b} in M_{sa}")
        need(frozenset((a, b)) in ctx.disjoint, f"{a} != {b} (disjoint balls)")
        return "no G characterizes the implicit regularization in the strong form"
    if kind == "one-point-overlap":
        obj(claim, "statement.claim", ("shared", "other", "class"))
        shared, other, cls = claim["shared"], claim["other"], claim["class"]
        if cls not in NORM_CLASSES:
            raise Rejected(f"statement.claim.class: expected one of {sorted(NORM_CLASSES)}")
        if {shared, other} != set(limits) or shared == other:
            raise Rejected("statement.claim: shared and other must be the two limits")
        s_other = limits[other].dataset
        need(limits[shared].dataset != s_other, "two different datasets")
        proved(shared)
        proved(other)
        need((shared, s_other) in ctx.in_zero_set, f"{shared} in M_{s_other}")
        need(frozenset((shared, other)) in ctx.disjoint, f"{shared} != {other}")
        need((cls, shared, other) in ctx.ordering,
             f"{NORM_CLASSES[cls]} on {shared} <= on {other}")
        return f"no nondecreasing function of {NORM_CLASSES[cls]} characterizes (strong form)"
    if kind == "not-characterized-by":
        obj(claim, "statement.claim", ("limit", "G"))
        lim = claim["limit"]
        ctx.limit(lim, "statement.claim.limit")
        need(len(limits) == 1, "a single limit")
        proved(lim)
        need(lim in ctx.not_minimizer, f"that {lim} is not a minimizer of G on M_S")
        return "G does not characterize the implicit regularization (weak form, hence strong)"
    raise Rejected(f"kind: unknown kind {kind!r}")  # pragma: no cover


# --- entry points ------------------------------------------------------------------------------

@dataclass
class Report:
    """Per-obligation verdicts and the conclusion of one certificate."""

    accepted: bool
    kind: str | None
    obligations: list[dict] = field(default_factory=list)
    conclusion: str = ""
    error: str | None = None
    not_a_certificate: bool = False

    def as_dict(self) -> dict:
        return {"accepted": self.accepted, "kind": self.kind, "obligations": self.obligations,
                "conclusion": self.conclusion, "error": self.error,
                "not_a_certificate": self.not_a_certificate}


def _check_statement_text(ctx: Any) -> None:
    """statement.text must be exactly the canonical words of the structured statement."""
    text = string(ctx.statement["text"], "statement.text", 4000)
    expected = statement_text(ctx.kind, ctx.statement)
    if text != expected:
        raise Rejected("statement.text: does not match the structured statement "
                       f"(expected {expected!r})")


def check_certificate(cert: Any) -> Report:
    """Replay every obligation of ``cert`` (a parsed JSON object) and decide its conclusion."""
    try:
        return _check(cert)
    except NotACertificate as exc:
        return Report(False, None, error=str(exc), not_a_certificate=True)
    except Rejected as exc:
        kind = cert.get("kind") if isinstance(cert, dict) else None
        return Report(False, kind if isinstance(kind, str) else None, error=str(exc))
    except (RecursionError, MemoryError):
        return Report(False, None, error="input too large or too deeply nested")
    except Exception as exc:  # a defect in the checker must reject, never accept
        return Report(False, None, error=f"rejected by an internal check "
                      f"({exc.__class__.__name__}: {str(exc)[:80]})")


def _check(cert: Any) -> Report:
    if not isinstance(cert, dict) or cert.get("format") != FORMAT:
        raise NotACertificate(f"not an igproof certificate (field 'format' must be {FORMAT!r})")
    if cert.get("kind") == INTERPOLATION_KIND:
        return _check_interpolation(cert)
    if isinstance(cert.get("kind"), str) and cert["kind"] in STANDALONE_KINDS:
        return STANDALONE_KINDS[cert["kind"]](cert)
    obj(cert, "certificate", ("format", "version", "kind", "model", "loss", "datasets",
                              "theta0", "statement", "obligations"), ("producer",))
    if cert["version"] not in VERSIONS or isinstance(cert["version"], bool):
        raise Rejected(f"version: unsupported version {str(cert['version'])[:20]!r} "
                       f"(this checker reads {list(VERSIONS)})")
    if cert["kind"] not in KINDS:
        raise Rejected(f"kind: unknown kind {str(cert['kind'])[:40]!r} (known: {list(KINDS)})")
    if "producer" in cert:
        string(cert["producer"], "producer")
    ctx = Context(cert)
    claim = ctx.statement["claim"]
    if ctx.kind == SWITCHES_KIND:
        switches_claim(claim)
    elif not isinstance(claim, dict) or not all(
            isinstance(v, str) or (isinstance(v, list) and all(isinstance(u, str) for u in v))
            for v in claim.values()):
        raise Rejected("statement.claim: expected an object of names and expressions")
    _check_statement_text(ctx)
    report = _replay(ctx, cert["obligations"], None)
    if not report.accepted:
        return report
    try:
        report.conclusion = _conclusion(ctx)
    except Rejected as exc:
        report.accepted = False
        report.conclusion = str(exc)
    return report


def _replay(ctx: Any, obligations: Any, allowed: tuple[str, ...] | None) -> Report:
    """Check every obligation in order (types restricted to ``allowed`` unless None)."""
    if not isinstance(obligations, list) or not 1 <= len(obligations) <= MAX_OBLIGATIONS:
        raise Rejected(f"obligations: expected a list of 1 to {MAX_OBLIGATIONS} obligations")
    report = Report(True, ctx.kind)
    for k, ob in enumerate(obligations):
        where = f"obligations[{k}]"
        if not isinstance(ob, dict):
            raise Rejected(f"{where}: expected an object")
        ident, kind = ob.get("id"), ob.get("type")
        if not isinstance(ident, str) or len(ident) > MAX_NAME_CHARS or not _ID.fullmatch(ident):
            raise Rejected(f"{where}.id: expected a short identifier")
        if ident in ctx.results:
            raise Rejected(f"{where}.id: duplicate id {ident!r}")
        entry = OBLIGATIONS.get(kind) if isinstance(kind, str) else None
        if entry is not None and allowed is not None and kind not in allowed:
            raise Rejected(f"{where}.type: {kind!r} does not apply to a {ctx.kind} certificate "
                           f"(allowed: {list(allowed)})")
        if entry is None:
            raise Rejected(f"{where}.type: unknown obligation type {str(kind)[:40]!r} "
                           f"(known: {sorted(OBLIGATIONS)})")
        try:
            obj(ob, f"obligation {ident}", ("id", "type", *entry.required),
                (*entry.optional, "comment"))
            summary = entry.check(ctx, ob)
            report.obligations.append({"id": ident, "type": kind, "status": "accepted",
                                       "reason": summary})
            ctx.results[ident] = (kind, summary)
            ctx.accepted[ident] = ob
        except Rejected as exc:
            report.obligations.append({"id": ident, "type": kind, "status": "rejected",
                                       "reason": str(exc)})
            report.accepted = False
    if not report.accepted:
        report.conclusion = "not established: an obligation was rejected"
    return report


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
        self.x = self._numbers(data["x"], "data.x")
        self.y = self._numbers(data["y"], "data.y")
        if len(self.y) != len(self.x):
            raise Rejected(f"data.y: expected {len(self.x)} numbers (as many as data.x)")
        self.statement = obj(cert["statement"], "statement", ("text", "weight", "lower", "upper"))
        self.weight = self.statement["weight"]
        if self.weight not in INTERPOLATION_WEIGHTS:
            raise Rejected(f"statement.weight: expected one of {list(INTERPOLATION_WEIGHTS)}")
        self.lower = number(self.statement["lower"], "statement.lower")
        self.upper = number(self.statement["upper"], "statement.upper")
        self.results: dict[str, tuple[str, str]] = {}
        self.accepted: dict[str, dict] = {}
        self.minnorm_brackets: list[tuple] = []

    @staticmethod
    def _numbers(value: Any, where: str) -> tuple[Fraction, ...]:
        if not isinstance(value, list) or not 2 <= len(value) <= MAX_INTERPOLATION_POINTS:
            raise Rejected(f"{where}: expected a list of 2 to {MAX_INTERPOLATION_POINTS} numbers")
        return tuple(number(v, f"{where}[{k}]") for k, v in enumerate(value))


def _check_interpolation(cert: dict) -> Report:
    """Check a ``minnorm-interpolation`` certificate: some accepted ``minnorm-dual`` obligation
    on the same data and weight established a bracket inside [lower, upper]."""
    obj(cert, "certificate", ("format", "version", "kind", "data", "statement", "obligations"),
        ("producer",))
    if cert["version"] not in VERSIONS or isinstance(cert["version"], bool):
        raise Rejected(f"version: unsupported version {str(cert['version'])[:20]!r} "
                       f"(this checker reads {list(VERSIONS)})")
    if "producer" in cert:
        string(cert["producer"], "producer")
    ctx = InterpolationContext(cert)
    _check_statement_text(ctx)
    report = _replay(ctx, cert["obligations"], INTERPOLATION_OBLIGATIONS)
    if not report.accepted:
        return report
    for x, y, weight, lower, upper in ctx.minnorm_brackets:
        if (x, y, weight) == (ctx.x, ctx.y, ctx.weight) and \
                ctx.lower <= lower and upper <= ctx.upper:
            report.conclusion = (f"the minimal cost with weight {ctx.weight} lies in "
                                 f"[{float(ctx.lower):.17g}, {float(ctx.upper):.17g}]")
            return report
    report.accepted = False
    report.conclusion = ("conclusion: no accepted minnorm-dual obligation on the same data and "
                         "weight establishes a bracket inside [lower, upper]")
    return report


def _reject_float(token: str) -> Any:
    raise Rejected(f"JSON number {token[:20]!r}: numbers must be strings like '3/4'")


def _int(token: str) -> int:
    if len(token) > 20:
        raise Rejected(f"JSON integer of {len(token)} digits is too long "
                       "(write large numbers as strings)")
    return int(token)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise Rejected(f"JSON object has the key {key[:40]!r} twice")
        out[key] = value
    return out


def _constant(token: str) -> Any:
    raise Rejected(f"JSON constant {token!r} is not allowed")


def load_text(data: bytes) -> Any:
    """Parse certificate bytes as JSON with the checker's limits."""
    if len(data) > MAX_FILE_BYTES:
        raise NotACertificate(f"file of {len(data)} bytes is larger than {MAX_FILE_BYTES}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise NotACertificate("file is not UTF-8 text") from None
    try:
        return json.loads(text, parse_float=_reject_float, parse_int=_int,
                          parse_constant=_constant, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise NotACertificate(f"not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
                              ) from None
    except RecursionError:
        raise NotACertificate("JSON nested too deeply") from None
    except Rejected as exc:
        raise NotACertificate(str(exc)) from None


def check_bytes(data: bytes) -> Report:
    """Check certificate bytes (the content of a file)."""
    try:
        cert = load_text(data)
    except NotACertificate as exc:
        return Report(False, None, error=str(exc), not_a_certificate=True)
    return check_certificate(cert)


def check_file(path: str) -> Report:
    """Check the certificate file at ``path``."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return Report(False, None, error=f"cannot read file ({exc.__class__.__name__})",
                      not_a_certificate=True)
    return check_bytes(data)
