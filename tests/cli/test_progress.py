"""The prover's progress: the callback of prove_flow_limit reports every stop test with a bound
on sup L (checked against the exact loss at theta0), and the CLI's status line appears only when
asked for (or on a terminal), never in --json output on stdout."""

from __future__ import annotations

import io
import json
from fractions import Fraction

from igproof.cli import progress as progress_module
from igproof.cli.main import main
from igproof.cli.progress import ProverProgress
from igproof.proof.limits.limit import ProvedLimit, prove_flow_limit
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.flow import gradient_flow
from igproof.symbolic.models import build_model


def test_prover_reports_each_stop_test_with_a_bound_on_sup_loss():
    """a relu(w x) on x = 1, y = 1/20 from (1/5, 1/10): L(theta0) = (1/50 - 1/20)^2 / 2 =
    9/20000 exactly; the first report bounds it from above (tightly: the enclosure is a
    point), the counter runs 1, 2, 3, ... and the bound ends far below where it started."""
    flow = gradient_flow(build_model("neuron", dim=1, activation="relu"),
                         Dataset([[1]], ["1/20"]))
    seen: list[tuple[int, float]] = []
    result = prove_flow_limit(flow, ["1/5", "1/10"], progress=lambda k, s: seen.append((k, s)))
    assert isinstance(result, ProvedLimit)
    assert [k for k, _ in seen] == list(range(1, len(seen) + 1))
    first = Fraction(seen[0][1])
    assert Fraction(9, 20000) <= first <= Fraction(9, 20000) * (1 + Fraction(1, 10 ** 9))
    assert seen[-1][1] < 1e-20


def test_status_line_is_written_only_when_enabled(monkeypatch):
    monkeypatch.setattr(progress_module, "INTERVAL", 0.0)
    quiet = io.StringIO()
    off = ProverProgress(False, quiet)
    off("S1", 3, 0.5)
    off.stage("certificate")
    off.close()
    assert quiet.getvalue() == ""
    out = io.StringIO()
    on = ProverProgress(True, out)
    on("S1", 3, 0.5)
    on.stage("S1: the independent checker replays the proof")
    on.close()
    text = out.getvalue()
    assert "S1: 3 validated steps, sup L <= 5.00e-01" in text
    assert "replays the proof" in text and text.endswith("\r")


def test_flow_prove_progress_flag(tmp_path, capsys):
    data = tmp_path / "one.json"
    data.write_text('{"x": [[1]], "y": [1]}')
    args = ["flow", "neuron", "--data", str(data), "--init", "1/2,3/10", "--prove", "--json"]
    assert main([*args, "--progress"]) == 0
    captured = capsys.readouterr()
    assert "validated steps, sup L <=" in captured.err
    assert json.loads(captured.out)["verdict"] == "PROVED"
    assert main([*args, "--no-progress"]) == 0
    assert "validated steps" not in capsys.readouterr().err
