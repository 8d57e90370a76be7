"""Soundness under tampering: every mutation that makes a shipped certificate's statement false
is rejected.

Hypothesis mutates any number, index, dataset entry, radius, reference or statement field of
each shipped certificate. Whether the mutated statement is false is decided WITHOUT the checker:

- claimed balls (centre, radius) with the data unchanged: against the limits in closed form at
  50 digits (mpmath, see test_checker_kernel.py); a limit outside its mutated ball by more than
  1e-40 makes the statement false;
- data and theta0: the mutated gradient flow is integrated in floating point (scipy, rtol 1e-11)
  to t = 300; a final loss above 1e-6, or a final point farther than 1e-6 from a claimed centre
  (claimed radii are ~1e-10), makes the statement false; closer calls are left undecided (and
  then accepting is allowed);
- statement claims: swapping the shared and other limits, changing the norm class, moving a
  limit to another dataset, or replacing G by a function that the limit minimizes: false by the
  closed-form limits; any change to the words of the statement: false by definition (the text
  must state the structured claim);
- obligation hints (boxes, lambda, covers, quantities, references, witnesses, columns): the
  statement is unchanged, so it stays true and either verdict is allowed; the checker must
  still answer (no exception).

Quick profile by default (a few dozen mutations per kind); IGPROOF_LONG=1 runs 1000 per kind.
"""

from __future__ import annotations

import copy
import functools
import json
import os
from fractions import Fraction
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp
from test_checker_kernel import _linear_neuron_limits, _relu_neuron_limit

from igproof.checker import check_certificate, statement_text
from igproof.symbolic.expression import parse_expression

CERTS = Path(__file__).resolve().parents[2] / "certificates"
LONG = os.environ.get("IGPROOF_LONG") == "1"
# IGPROOF_MUTATIONS=N overrides the number of mutations per kind (e.g. for a partial long run).
EXAMPLES = int(os.environ.get("IGPROOF_MUTATIONS", 1000 if LONG else 25))

ORACLE_LIMITS = {
    "gf-limit-relu-neuron.json": lambda: {"L": _relu_neuron_limit()},
    "not-characterized-by-witness.json": lambda: {"L": _relu_neuron_limit()},
    "not-characterized-by-kkt.json": lambda: {"L": _relu_neuron_limit()},
    "one-point-overlap-linear-neuron.json":
        lambda: dict(zip(("L1", "L2"), _linear_neuron_limits(), strict=True)),
}
# A G that the relu-neuron limit minimizes on M_S (G >= 0 and G(limit) = 0): refutation false.
MINIMIZED_G = "(a^2 - w^2 - 19/100)^2"
# Float-oracle margins (see the module docstring).
FLOAT_MARGIN = 1e-6
# Shipped flows have PL rates mu >= 0.7, so L(t) <= L(0) e^(-2 mu t) is ~1e-60 at t = 100.
T_FINAL = 100.0
# A flow that chatters on a relu kink exhausts this budget: the oracle then abstains.
MAX_EVALUATIONS = 20000


class _Budget(Exception):
    """The float oracle gave up (too many field evaluations)."""


def _load(name: str) -> dict:
    return json.loads((CERTS / name).read_text(encoding="utf-8"))


def _paths(node, prefix=()):
    """Every (path, leaf) of the JSON tree."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for k, value in enumerate(node):
            yield from _paths(value, (*prefix, k))
    else:
        yield prefix, node


def _set(cert, path, value):
    node = cert
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def _is_number(text) -> bool:
    try:
        Fraction(text)
    except (TypeError, ValueError, ZeroDivisionError):
        return False
    return isinstance(text, str)


def _text(q: Fraction) -> str:
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


number_change = st.one_of(
    st.just(("neg", None)),
    st.tuples(st.just("add"), st.fractions(min_value=-2, max_value=2, max_denominator=10)),
    st.tuples(st.just("tiny"), st.integers(min_value=1, max_value=30)),
    st.tuples(st.just("scale"), st.fractions(min_value=Fraction(1, 4), max_value=4,
                                             max_denominator=8)),
    st.just(("zero", None)),
)


@st.composite
def mutations(draw, cert: dict):
    """(description, mutated certificate, category)."""
    mutated = copy.deepcopy(cert)
    kind = draw(st.sampled_from(["number", "number", "number", "index", "dataset", "statement",
                                 "reference"]))
    leaves = list(_paths(cert))
    if kind == "number":
        numbers = [(p, v) for p, v in leaves if (_is_number(v) and p[0] != "statement")
                   or (p[:2] == ("statement", "limits") and _is_number(v))]
        # pick the region first (data, claimed balls, hints) so that each is well sampled
        region = draw(st.sampled_from(sorted({_category(p) for p, _ in numbers})))
        path, value = draw(st.sampled_from([(p, v) for p, v in numbers
                                            if _category(p) == region]))
        how, arg = draw(number_change)
        q = Fraction(value)
        new = {"neg": lambda: -q, "add": lambda: q + arg,
               "tiny": lambda: q + Fraction(1, 10**arg), "scale": lambda: q * arg,
               "zero": lambda: Fraction(0)}[how]()
        _set(mutated, path, _text(new))
        return f"{path} {value} -> {_text(new)}", mutated, _category(path)
    if kind == "index":
        ints = [(p, v) for p, v in leaves if isinstance(v, int) and not isinstance(v, bool)
                and p[0] == "obligations"]
        if not ints:
            return "no index", mutated, "hint"
        path, value = draw(st.sampled_from(ints))
        new = draw(st.integers(min_value=-1, max_value=5).filter(lambda v: v != value))
        _set(mutated, path, new)
        return f"{path} {value} -> {new}", mutated, "hint"
    if kind == "dataset":
        name = draw(st.sampled_from(sorted(cert["datasets"])))
        data = mutated["datasets"][name]
        n = len(data["y"])
        op = draw(st.sampled_from(["drop", "duplicate", "append", "swap-label"]))
        if op == "drop" and n > 1:
            k = draw(st.integers(0, n - 1))
            del data["x"][k]
            del data["y"][k]
        elif op == "duplicate":
            k = draw(st.integers(0, n - 1))
            data["x"].append(list(data["x"][k]))
            data["y"].append(data["y"][k])
        elif op == "append":
            dim = len(data["x"][0])
            data["x"].append([_text(draw(st.fractions(-2, 2, max_denominator=4)))
                              for _ in range(dim)])
            data["y"].append(_text(draw(st.fractions(-2, 2, max_denominator=4))))
        else:
            k = draw(st.integers(0, n - 1))
            data["y"][k] = _text(Fraction(data["y"][k]) + 1)
        return f"dataset {name} {op}", mutated, "data"
    if kind == "statement":
        return _statement_mutation(draw, mutated)
    ids = [ob["id"] for ob in cert["obligations"]]
    refs = [(p, v) for p, v in leaves if p[0] == "obligations" and v in ids
            and p[-1] != "id"]
    if not refs:
        return "no reference", mutated, "hint"
    path, value = draw(st.sampled_from(refs))
    new = draw(st.sampled_from(ids))
    _set(mutated, path, new)
    return f"{path} {value} -> {new}", mutated, "hint"


def _statement_mutation(draw, cert):
    statement = cert["statement"]
    options = ["text"]
    if cert["kind"] == "one-point-overlap":
        options += ["swap", "class", "dataset"]
    if cert["kind"] == "not-characterized-by":
        options += ["G"]
    op = draw(st.sampled_from(options))
    if op == "text":
        text = statement["text"]
        k = draw(st.integers(0, len(text) - 1))
        statement["text"] = text[:k] + ("X" if text[k] != "X" else "Y") + text[k + 1:]
        return f"text[{k}]", cert, "false"
    claim = statement["claim"]
    if op == "swap":
        claim["shared"], claim["other"] = claim["other"], claim["shared"]
    elif op == "class":
        claim["class"] = "distance-to-theta0"
    elif op == "dataset":
        statement["limits"]["L1"]["dataset"] = "S2"
    else:
        claim["G"] = MINIMIZED_G
    statement["text"] = statement_text(cert["kind"], statement)
    return f"claim {op}", cert, "false"


def _category(path) -> str:
    if path[0] in ("datasets", "theta0"):
        return "data"
    if path[:2] == ("statement", "limits"):
        return "ball"
    return "hint"


# --- the independent oracles ---------------------------------------------------------------

@functools.lru_cache(maxsize=256)
def _flow(output: str, parameters: tuple, inputs: tuple, data_json: str):
    """-grad L_S as a numpy function, and L_S (sympy -> numpy)."""
    data = json.loads(data_json)
    symbols = [sympy.Symbol(p, real=True) for p in parameters]
    xs = {v: sympy.Symbol(v, real=True) for v in inputs}
    f = parse_expression(output, {**dict(zip(parameters, symbols, strict=True)), **xs})
    n = len(data["y"])
    loss = sum((f.subs({xs[v]: sympy.Rational(c) for v, c in zip(inputs, xi, strict=True)})
                - sympy.Rational(yi)) ** 2 for xi, yi in zip(data["x"], data["y"], strict=True)
               ) / (2 * n)
    grad = [sympy.diff(loss, s) for s in symbols]
    return (sympy.lambdify(symbols, [-g for g in grad], modules="numpy"),
            sympy.lambdify(symbols, loss, modules="numpy"))


def _float_limit(cert: dict, dataset: str) -> tuple[np.ndarray, float]:
    model = cert["model"]
    field, loss = _flow(model["output"], tuple(model["parameters"]), tuple(model["inputs"]),
                        json.dumps(cert["datasets"][dataset], sort_keys=True))
    theta0 = [float(Fraction(t)) for t in cert["theta0"]]
    calls = [0]

    def rhs(t, y):
        calls[0] += 1
        if calls[0] > MAX_EVALUATIONS:
            raise _Budget
        return np.asarray(field(*y), dtype=float)

    sol = solve_ivp(rhs, (0.0, T_FINAL), theta0, rtol=1e-11, atol=1e-13, method="RK45")
    end = sol.y[:, -1]
    if not sol.success or not np.all(np.isfinite(end)):
        return end, float("inf")
    return end, float(loss(*end))


def _data_mutation_falsifies(cert: dict) -> bool | None:
    """True when the float oracle shows a limit outside its ball or not in M_S."""
    try:
        for entry in cert["statement"]["limits"].values():
            end, final_loss = _float_limit(cert, entry["dataset"])
            centre = np.array([float(Fraction(c)) for c in entry["center"]])
            if final_loss > FLOAT_MARGIN or np.linalg.norm(end - centre) > FLOAT_MARGIN:
                return True
    except (ValueError, KeyError, TypeError, ZeroDivisionError, IndexError, _Budget):
        return None  # the mutation broke the certificate's shape: no oracle verdict
    return None


def _balanced(c):
    """The positive root a of a^2 - 1/a^2 = c: a^2 = (c + sqrt(c^2 + 4))/2."""
    return mpmath.sqrt((c + mpmath.sqrt(c * c + 4)) / 2)


def _closed_form_limits(name: str, theta0: list) -> dict:
    """Limits for a nearby theta0, 50 digits: relu neuron a w = 1 with a^2 - w^2 conserved;
    linear neuron S1: w2 and a^2 - w1^2 conserved, S2: a^2 - |w|^2 conserved and w2 -> 0."""
    with mpmath.workdps(50):
        t = [mpmath.mpf(q.numerator) / q.denominator for q in theta0]
        if name.startswith("one-point"):
            a1 = _balanced(t[0] ** 2 - t[1] ** 2)
            a2 = _balanced(t[0] ** 2 - t[1] ** 2 - t[2] ** 2)
            return {"L1": [a1, 1 / a1, t[2]], "L2": [a2, 1 / a2, mpmath.mpf(0)]}
        a = _balanced(t[0] ** 2 - t[1] ** 2)
        return {"L": [a, 1 / a]}


def _theta0_mutation_falsifies(name: str, cert: dict) -> bool | None:
    """For a theta0 moved by less than 1/100 (the flow keeps its pattern and conservation
    laws), the closed-form limits decide at 50 digits whether a ball still contains its limit."""
    original = _load(name)
    if cert["datasets"] != original["datasets"] or cert["model"] != original["model"]:
        return None
    try:
        theta0 = [Fraction(t) for t in cert["theta0"]]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    old = [Fraction(t) for t in original["theta0"]]
    if len(theta0) != len(old):
        return None
    if max(abs(x - y) for x, y in zip(theta0, old, strict=True)) >= Fraction(1, 100):
        return None
    return _ball_mutation_falsifies(name, cert, truth=_closed_form_limits(name, theta0))


def _ball_mutation_falsifies(name: str, cert: dict, *, truth: dict | None = None
                             ) -> bool | None:
    truth = ORACLE_LIMITS[name]() if truth is None else truth
    with mpmath.workdps(60):
        for lim, entry in cert["statement"]["limits"].items():
            if lim not in truth:
                return None
            centre = [mpmath.mpf(Fraction(c).numerator) / Fraction(c).denominator
                      for c in entry["center"]]
            radius = Fraction(entry["radius"])
            r = mpmath.mpf(radius.numerator) / radius.denominator
            dist = mpmath.sqrt(sum((x - c) ** 2 for x, c in zip(truth[lim], centre,
                                                                strict=True)))
            if dist > r + mpmath.mpf("1e-40"):
                return True
            if abs(dist - r) <= mpmath.mpf("1e-40"):
                return None
    return None


@pytest.mark.parametrize("name", sorted(ORACLE_LIMITS))
@settings(max_examples=EXAMPLES, deadline=None, derandomize=not LONG,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_mutations_that_falsify_the_statement_are_rejected(name, data):
    cert = _load(name)
    description, mutated, category = data.draw(mutations(cert))
    report = check_certificate(mutated)  # must answer, never raise
    if category == "false":
        falsified = True
    elif category == "ball":
        falsified = _ball_mutation_falsifies(name, mutated)
    elif category == "data":
        falsified = (_theta0_mutation_falsifies(name, mutated)
                     or _data_mutation_falsifies(mutated))
    else:
        falsified = None  # hints only: the statement is unchanged and true
    event(f"{category}: statement {'false' if falsified else 'true or undecided'}, "
          f"{'accepted' if report.accepted else 'rejected'}")
    if falsified:
        assert not report.accepted, f"accepted a false statement after {description}"


def test_oracle_sees_the_shipped_statements_as_true():
    """The oracles themselves: no shipped certificate is judged false (they are true)."""
    for name in ORACLE_LIMITS:
        cert = _load(name)
        assert not _ball_mutation_falsifies(name, cert)
        assert not _data_mutation_falsifies(cert)


def test_closed_form_oracle_matches_the_float_oracle_near_theta0():
    """Two routes agree: for theta0 moved by 1/1000 the closed-form limit (50 digits) and the
    scipy-integrated flow agree to 1e-8."""
    for name in ORACLE_LIMITS:
        cert = _load(name)
        cert["theta0"][0] = _text(Fraction(cert["theta0"][0]) + Fraction(1, 1000))
        limits = _closed_form_limits(name, [Fraction(t) for t in cert["theta0"]])
        for lim, entry in cert["statement"]["limits"].items():
            end, _ = _float_limit(cert, entry["dataset"])
            assert np.allclose(end, [float(x) for x in limits[lim]], atol=1e-8)


def test_oracle_detects_a_moved_label():
    """Changing y = 1 to y = 2 in the relu-neuron data moves the limit to a w = 2: the float
    oracle sees the limit leave the claimed ball."""
    cert = _load("gf-limit-relu-neuron.json")
    cert["datasets"]["S"]["y"][0] = "2"
    assert _data_mutation_falsifies(cert) is True
