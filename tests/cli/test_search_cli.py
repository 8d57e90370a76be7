"""`igproof search`: the issue's "Must show" items, exit codes and bad input.

Each certificate is accepted by the independent checker, and what it states is checked by a
second route: the limit by scipy DOP853 (with restarts at ReLU kinks, tests/search/
search_reference_flow.py), the witness by exact rational arithmetic against G at that limit.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import math
import os
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import igproof.checker.trajectory  # noqa: F401 - registers the "trajectory" obligation
from igproof.checker import check_file
from igproof.cli.main import main

LONG = os.environ.get("IGPROOF_LONG") == "1"
# Positive control budget: the 2000 examples with IGPROOF_LONG=1 (about 3 minutes).
CONTROL_EXAMPLES = 2000 if LONG else 60

_spec = importlib.util.spec_from_file_location(
    "search_reference_flow", Path(__file__).resolve().parents[1] / "search"
    / "search_reference_flow.py")
reference = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(reference)


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(["search", *argv])
        except SystemExit as exc:
            code = int(exc.code)
    return code, out.getvalue(), err.getvalue()


def _load(path: Path) -> dict:
    return json.loads(path.read_text("utf-8"))


@pytest.fixture(scope="module")
def relu_runs(tmp_path_factory):
    """relu-neuron 3-D, seed 0: l2 (twice, for reproducibility) and l2-init."""
    tmp = tmp_path_factory.mktemp("search")
    runs = {}
    for name, g in (("l2", "l2"), ("l2-again", "l2"), ("l2-init", "l2-init")):
        path = tmp / f"{name}.json"
        runs[name] = (*run_cli("--model", "relu-neuron", "--regularizer", g, "--seed", "0",
                               "--out", str(path)), path)
    return runs


def _relu_witness_checks(cert: dict, g: str) -> None:
    """Reference limit (scipy) in the claimed ball; witness exactly in M_S with G smaller."""
    data = cert["datasets"]["S"]
    x = [[Fraction(v) for v in xi] for xi in data["x"]]
    y = [Fraction(v) for v in data["y"]]
    theta0 = [Fraction(v) for v in cert["theta0"]]
    ref = reference.reference_limit("relu-neuron", "relu", np.array(x, float),
                                    np.array(y, float), np.array(theta0, float), t_end=2000.0)
    (limit,) = cert["statement"]["limits"].values()
    centre = np.array([float(Fraction(c)) for c in limit["center"]])
    assert np.linalg.norm(ref - centre) < 1e-6
    (witness,) = [o for o in cert["obligations"] if o["type"] in ("witness", "kkt")]
    if witness["type"] != "witness":
        return
    theta = [Fraction(t) for t in witness["theta"]]
    for xi, yi in zip(x, y, strict=True):
        assert max(Fraction(0), sum(a * t for a, t in zip(xi, theta, strict=True))) == yi
    origin = [0.0] * 3 if g == "l2" else [float(t) for t in theta0]
    g_ref = float(np.sum((ref - np.array(origin)) ** 2))
    g_wit = sum((float(t) - o) ** 2 for t, o in zip(theta, origin, strict=True))
    assert g_wit < g_ref - 1e-6


@pytest.mark.parametrize("g", ["l2", "l2-init"])
def test_relu_neuron_3d_counterexample_certified(relu_runs, g):
    """Must show: relu neuron in 3-D, G = l2 and l2-init, 200 examples (ci profile): a hit
    shrunk to <= 3 points whose certificate the checker accepts; its claims hold by scipy."""
    code, out, err, path = relu_runs[g]
    assert code == 0, out + err
    assert "REFUTED" in out
    assert "examples tried" in err  # progress on stderr
    assert check_file(path).accepted
    cert = _load(path)
    assert cert["kind"] == "not-characterized-by"
    assert len(cert["datasets"]["S"]["y"]) <= 3
    _relu_witness_checks(cert, g)


def test_same_seed_same_certificate_bytes(relu_runs):
    """Reproducibility: two runs with --seed 0 write byte-identical certificates."""
    assert relu_runs["l2"][3].read_bytes() == relu_runs["l2-again"][3].read_bytes()


def test_tanh_neuron_l2_counterexample_certified(tmp_path):
    """Must show: a tanh(w x), G = l2: certified; the scipy limit lies in the claimed ball and
    its Lagrange determinant tanh(w x) 2w - a x sech^2(w x) 2a is non-zero (single point)."""
    path = tmp_path / "tanh.json"
    code, out, err = run_cli("--model", "neuron", "--activation", "tanh", "--regularizer",
                             "l2", "--out", str(path), "--json")
    assert code == 0, out + err
    report = json.loads(out)
    assert report["verdict"] == "REFUTED" and report["outcome"] == "certified"
    assert check_file(path).accepted
    cert = _load(path)
    assert report["certificate"] == cert
    data = cert["datasets"]["S"]
    if len(data["y"]) != 1:
        pytest.skip("the independent determinant below is written for one data point")
    x, y = float(Fraction(data["x"][0][0])), float(Fraction(data["y"][0]))
    theta0 = [float(Fraction(t)) for t in cert["theta0"]]

    def rhs(_t, th):
        a, w = th
        r = a * math.tanh(w * x) - y
        return [-r * math.tanh(w * x), -r * a * x / math.cosh(w * x) ** 2]

    from scipy.integrate import solve_ivp

    sol = solve_ivp(rhs, (0.0, 500.0), theta0, method="DOP853", rtol=1e-12, atol=1e-14)
    a, w = sol.y[:, -1]
    (limit,) = cert["statement"]["limits"].values()
    centre = np.array([float(Fraction(c)) for c in limit["center"]])
    assert np.linalg.norm(np.array([a, w]) - centre) <= float(Fraction(limit["radius"]))
    det = math.tanh(w * x) * 2 * w - a * x / math.cosh(w * x) ** 2 * 2 * a
    assert abs(det) > 1e-3


def test_positive_control_finds_nothing_and_says_so():
    """Must show: relu neuron a relu(w x), one 1-D datum, G = (a^2 - w^2 - c)^2 with
    c = a0^2 - w0^2 (conserved by the flow, so G = 0 at every limit): no counterexample."""
    code, out, err = run_cli("--model", "neuron", "--activation", "relu", "--dim", "1",
                             "--max-points", "1", "--regularizer",
                             "(a^2 - w^2 - (a0^2 - w0^2))^2",
                             "--max-examples", str(CONTROL_EXAMPLES))
    assert code == 0, out + err
    assert "no counterexample found in" in out
    tried = int(out.split("no counterexample found in ")[1].split()[0])
    assert tried >= CONTROL_EXAMPLES


def test_uncertifiable_hit_exits_1_with_reason():
    """G = linf (max |w_k|) has no form in the checker's language: the float hit is reported
    as SUPPORTED with "not certified: <reason>", exit 1, and no certificate."""
    code, out, err = run_cli("--model", "relu-neuron", "--regularizer", "linf", "--json")
    assert code == 1, out + err
    report = json.loads(out)
    assert report["verdict"] == "SUPPORTED" and "not certified" in report["message"]
    assert "certificate" not in report


@pytest.mark.parametrize("argv, needle", [
    (["--model", "two-layer", "--regularizer", "l2"], "--model"),
    (["--model", "neuron", "--activation", "gelu", "--regularizer", "l2"], "activation"),
    (["--model", "relu-neuron", "--regularizer", "l7"], "regularizer"),
    (["--model", "relu-neuron", "--regularizer", "w1 +* 2"], "expression"),
    (["--model", "relu-neuron", "--regularizer", "__import__('os').system('true')"], ""),
    (["--model", "relu-neuron", "--regularizer", "w1.real"], ""),
    (["--model", "relu-neuron", "--regularizer", "l2", "--max-examples", "0"],
     "--max-examples"),
    (["--model", "relu-neuron"], "--regularizer"),
])
def test_bad_input_exits_2_with_one_line(argv, needle):
    """Unknown model/activation/regularizer, malformed or Python-reaching expressions, bad
    budgets: exit 2 and exactly one line on stderr, no traceback."""
    code, _, err = run_cli(*argv)
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    assert needle in err


def test_database_makes_the_search_resumable(tmp_path):
    """With --database DIR the shrunk hit is saved: a rerun replays it first and needs no more
    examples than the first run, and certifies the same counterexample."""
    argv = ("--model", "relu-neuron", "--regularizer", "l2", "--seed", "3", "--json",
            "--database", str(tmp_path / "db"))
    first = json.loads(run_cli(*argv)[1])
    second = json.loads(run_cli(*argv)[1])
    assert first["verdict"] == second["verdict"] == "REFUTED"
    assert second["search"]["examples_tried"] <= first["search"]["examples_tried"]
    assert second["search"]["hit"]["dataset"] == first["search"]["hit"]["dataset"]


def _forced_failures(monkeypatch, count: int) -> list:
    """Make the first ``count`` promotions fail (as a hard-to-enclose limit would)."""
    import igproof.search.promote as promote

    real = promote.promote_hit
    seen: list = []

    def fake(model, regularizer, dataset, theta0):
        seen.append((dataset, theta0))
        if len(seen) <= count:
            return promote.Promotion(False, f"forced failure {len(seen)}")
        return real(model, regularizer, dataset, theta0)

    monkeypatch.setattr(promote, "promote_hit", fake)
    return seen


def test_uncertified_hit_is_excluded_and_the_next_one_certified(monkeypatch):
    """A hit that fails to certify is excluded and the seeded search rerun: the next (different)
    hit is certified, and the failure is reported."""
    seen = _forced_failures(monkeypatch, 1)
    code, out, err = run_cli("--model", "relu-neuron", "--regularizer", "l2", "--json")
    assert code == 0, out + err
    report = json.loads(out)
    assert report["verdict"] == "REFUTED"
    assert report["uncertified_other_hits"] == ["forced failure 1"]
    assert len(seen) == 2 and seen[0] != seen[1]


def test_every_round_uncertified_exits_1(monkeypatch):
    """When every promotion fails, the last float hit is reported as SUPPORTED, exit 1."""
    _forced_failures(monkeypatch, 99)
    code, out, err = run_cli("--model", "relu-neuron", "--regularizer", "l2", "--json")
    assert code == 1, out + err
    report = json.loads(out)
    assert report["verdict"] == "SUPPORTED"
    assert "forced failure 3" in report["message"]
    assert report["uncertified_other_hits"] == ["forced failure 1", "forced failure 2"]


# -- --mechanism two-point / one-point (issue 14 item 2) ------------------------------------------
def _overlap_checks(out_dir: Path, report: dict, kind: str, activation: str) -> None:
    """Every counted instance: a file the checker accepts, S1 and S2 with M_S1 = M_S2 by exact
    algebra (symbolic.zero_loss), each certified ball holding the scipy reference limit."""
    from igproof.symbolic.dataset import Dataset
    from igproof.symbolic.models import build_model
    from igproof.symbolic.zero_loss import same_zero_loss_set

    files = sorted(out_dir.iterdir())
    assert len(files) == report["certified"] == len(report["instances"])
    for entry in report["instances"]:
        path = Path(entry["certificate_file"])
        assert path in files and path.stat().st_size == entry["certificate_bytes"]
        assert check_file(path).accepted
        cert = _load(path)
        assert cert["kind"] == "two-point-overlap"
        data = cert["datasets"]
        model = build_model(kind, dim=len(data["S1"]["x"][0]), activation=activation)
        s1, s2 = Dataset.from_json(data["S1"]), Dataset.from_json(data["S2"])
        if entry["recipe"] != "inactive":
            assert same_zero_loss_set(model, s1, s2).relation == "equal"
        theta0 = [float(Fraction(t)) for t in cert["theta0"]]
        for lim in cert["statement"]["limits"].values():
            d = data[lim["dataset"]]
            x = [[float(Fraction(v)) for v in row] for row in d["x"]]
            y = [float(Fraction(v)) for v in d["y"]]
            ref = reference.reference_limit(kind, activation, x, y, theta0, t_end=2000.0)
            centre = np.array([float(Fraction(c)) for c in lim["center"]])
            assert np.linalg.norm(ref - centre) <= float(Fraction(lim["radius"])) + 1e-7


@pytest.mark.parametrize(("model", "seed"), [
    (("--model", "relu-neuron"), "0"),
    (("--model", "neuron", "--activation", "tanh"), "5"),
])
def test_two_point_search_finds_and_certifies(tmp_path, model, seed):
    """Must show: `igproof search --mechanism two-point --seed S` finds and certifies an
    instance for relu-neuron (seed 0, ~20 s) and for the tanh neuron (seed 5, ~30 s)."""
    code, out, err = run_cli("--mechanism", "two-point", *model, "--seed", seed,
                             "--out", str(tmp_path), "--json", "--no-progress")
    assert code == 0, out + err
    report = json.loads(out)
    assert report["verdict"] == "PROVED" and report["certified"] == 1
    kind = model[1]
    activation = model[3] if len(model) > 2 else "relu"
    _overlap_checks(tmp_path, report, kind, activation)


def test_discovery_run_prints_counts_per_family(tmp_path):
    """A short discovery run (--budget): the table of counts per family and the throughput;
    every counted certificate is a file the checker accepts."""
    code, out, err = run_cli("--mechanism", "two-point", "--model", "relu-neuron", "--seed",
                             "1", "--budget", "15", "--out", str(tmp_path), "--no-progress")
    assert code in (0, 1), out + err
    assert "searches" in out and "certified" in out and "per minute" in out
    row = next(line for line in out.splitlines() if line.startswith("relu-neuron"))
    searches, _examples, hits, certified, failed = map(int, row.split()[1:6])
    assert searches >= 1 and certified + failed == hits
    assert certified == len(list(tmp_path.iterdir()))
    for path in tmp_path.iterdir():
        assert check_file(path).accepted


@pytest.mark.parametrize(("argv", "needle"), [
    (["--mechanism", "two-point", "--regularizer", "l2"], "--regularizer"),
    (["--mechanism", "one-point", "--regularizer", "l2"], "--regularizer"),
    (["--mechanism", "one-point"], "--regularizer"),
    (["--mechanism", "two-point", "--model", "neuron", "--activation", "gelu"], "--model"),
    (["--mechanism", "two-point", "--model", "relu-neuron", "--activation", "tanh"],
     "--activation"),
    (["--mechanism", "two-point", "--budget", "-3"], "--budget"),
    (["--mechanism", "two-point", "--activation", "tanh"], "--activation"),
    (["--mechanism", "three-point"], "--mechanism"),
    (["--model", "relu-neuron", "--regularizer", "l2", "--budget", "5"], "--budget"),
    (["--mechanism", "two-point", "--model", "neuron", "--width", "2"], "--width"),
    (["--mechanism", "two-point", "--model", "two-layer", "--width", "5"], "--width"),
    (["--mechanism", "two-point", "--width", "2"], "--width"),
    (["--model", "relu-neuron", "--regularizer", "l2", "--width", "2"], "--width"),
])
def test_overlap_bad_input_exits_2_with_one_line(argv, needle):
    code, _, err = run_cli(*argv)
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err and needle in err


@pytest.mark.parametrize(("argv", "needle"), [
    (["--mechanism", "two-point", "--model", "neuron", "--bias"], "--bias"),
    (["--mechanism", "two-point", "--model", "relu-neuron", "--skip"], "--bias"),
    (["--mechanism", "two-point", "--bias"], "--bias"),
    (["--model", "two-layer", "--regularizer", "l2", "--bias"], "--bias"),
    (["--mechanism", "two-point", "--model", "two-layer", "--skip", "--width", "5"], "--width"),
    (["--mechanism", "one-point", "--regularizer", "norm", "--model", "two-layer", "--bias",
      "--activation", "tanh"], "--activation"),
])
def test_overlap_bias_skip_bad_input_exits_2_with_one_line(argv, needle):
    """--bias/--skip only with --mechanism two-point/one-point --model two-layer: exit 2 and
    one line on stderr, no traceback."""
    code, _, err = run_cli(*argv)
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err and needle in err
