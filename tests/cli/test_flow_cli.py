"""`igproof flow`: the limit of SPEC.md section 1 from the command line, and bad input.

The closed form (independent route): for a*relu(w x) on the single datum x = 1, y = 1, the flow
conserves c = a^2 - w^2, and the limit is the point of M_S = {a w = 1, w > 0} on that hyperbola:
a = sqrt((c + sqrt(c^2 + 4)) / 2), w = 1/a.
"""

from __future__ import annotations

import json
import os
import re
from fractions import Fraction
from pathlib import Path

import mpmath
import pytest

from igproof.cli.main import main


def _data(tmp_path, text: str) -> str:
    path = tmp_path / "data.json"
    path.write_text(text)
    return str(path)


def test_flow_json_limit_matches_closed_form(tmp_path, capsys):
    data = _data(tmp_path, '{"x": [[1]], "y": [1]}')
    assert main(["flow", "neuron", "--data", data, "--init", "1/2,0.3", "--dps", "30",
                 "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["parameters"] == ["a", "w1"]
    assert payload["verdict"] == "SUPPORTED" and payload["converged"] is True
    assert payload["model"].startswith("neuron") and payload["method"]
    with mpmath.workdps(50):
        c = mpmath.mpf(16) / 100
        a = mpmath.sqrt((c + mpmath.sqrt(c * c + 4)) / 2)
        limit = [mpmath.mpf(v) for v in payload["limit"]]
        assert abs(limit[0] - a) < mpmath.mpf(10) ** -25
        assert abs(limit[1] - 1 / a) < mpmath.mpf(10) ** -25
    for key in ("loss", "t"):
        float(payload[key])


def test_flow_table_says_supported_not_proved(tmp_path, capsys):
    data = _data(tmp_path, '{"x": [[1]], "y": [1]}')
    assert main(["flow", "neuron", "--data", data, "--init", "0.5,0.3", "--method",
                 "float"]) == 0
    out = capsys.readouterr().out
    assert "SUPPORTED" in out and "PROVED" not in out


BAD_DATA = {
    "ragged": '{"x": [[1, 2], [3]], "y": [1, 2]}',
    "empty": '{"x": [], "y": []}',
    "mismatch": '{"x": [[1], [2]], "y": [1]}',
    "nan": '{"x": [[NaN]], "y": [1]}',
    "nan-string": '{"x": [["nan"]], "y": [1]}',
    "not-json": '{"x": [[1]], "y": [1]',
    "no-y": '{"x": [[1]]}',
}


@pytest.mark.parametrize("name", sorted(BAD_DATA))
def test_bad_data_is_one_line_and_exit_2(name, tmp_path, capsys):
    data = _data(tmp_path, BAD_DATA[name])
    assert main(["flow", "neuron", "--data", data, "--init", "1,1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("igproof: error:"), err


@pytest.mark.parametrize("argv", [
    ["flow", "perceptron", "--init", "1,1"],
    ["flow", "neuron", "--activation", "swish", "--init", "1,1"],
    ["flow", "neuron", "--init", "1,2,3"],
    ["flow", "neuron", "--init", "1,nan"],
    ["flow", "neuron", "--init", "1,"],
    ["flow", "neuron", "--init", "1,1", "--dps", "0"],
    ["flow", "relu-neuron", "--activation", "tanh", "--init", "1"],
    ["flow", "neuron", "--init", "1,1", "--certificate", "out.json"],
])
def test_bad_arguments_are_one_line_and_exit_2(argv, tmp_path, capsys):
    data = _data(tmp_path, '{"x": [[1]], "y": [1]}')
    assert main([*argv, "--data", data]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("igproof: error:"), err


def test_unreadable_file_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["flow", "neuron", "--data", str(tmp_path / "missing.json"),
                 "--init", "1,1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no such file" in err[0]


def test_prove_gives_a_ball_containing_the_closed_form(tmp_path, capsys):
    """--prove: PROVED, and the certified ball contains the closed-form limit (60 digits)."""
    data = _data(tmp_path, '{"x": [[1]], "y": [1]}')
    cert = tmp_path / "limit.json"
    assert main(["flow", "neuron", "--data", data, "--init", "1/2,3/10", "--prove",
                 "--certificate", str(cert), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["verdict"] == "PROVED"
    with mpmath.workdps(60):
        c = mpmath.mpf(16) / 100
        a = mpmath.sqrt((c + mpmath.sqrt(c * c + 4)) / 2)
        centre = [mpmath.mpf(Fraction(v).numerator) / Fraction(v).denominator
                  for v in payload["centre"]]
        radius = mpmath.mpf(Fraction(payload["radius_exact"]).numerator) / \
            Fraction(payload["radius_exact"]).denominator
        assert radius < mpmath.mpf(10) ** -20
        assert mpmath.sqrt((centre[0] - a) ** 2 + (centre[1] - 1 / a) ** 2) <= radius
    written = json.loads(cert.read_text())
    assert written["kind"] == "gf-limit"


def test_prove_at_a_saddle_is_inconclusive_not_proved(tmp_path, capsys):
    """theta0 = (0, 0) is a critical point with L > 0: the flow never reaches M_S; --prove
    that ends INCONCLUSIVE exits 1 (issue 14: exit codes scripts can trust)."""
    data = _data(tmp_path, '{"x": [[1]], "y": [1]}')
    # a decision was asked and not reached: exit 1 (issue #14, exit codes scripts can trust)
    assert main(["flow", "neuron", "--activation", "tanh", "--data", data, "--init", "0,0",
                 "--prove", "--json"]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["verdict"] == "INCONCLUSIVE" and payload["exit_code"] == 1


def test_isolated_limit_is_proved_but_has_no_certificate_yet(tmp_path, capsys):
    """Data no a*tanh(w x) fits: the limit is an isolated minimizer with positive loss (the
    Krawczyk end-game), PROVED; the certificate is written (isolated-endgame obligation, the
    strict-local-minimizer statement) and `igproof check` accepts it with exit code 0."""
    data = _data(tmp_path, '{"x": [[1], [2], [3]], "y": [1, 2, "3/2"]}')
    cert = tmp_path / "iso.json"
    assert main(["flow", "neuron", "--activation", "tanh", "--data", data, "--init", "1/2,3/10",
                 "--prove", "--certificate", str(cert), "--json", "--dps", "20"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["verdict"] == "PROVED" and "not necessarily in M_S" in payload["evidence"]
    assert payload["certificate"] == str(cert)
    written = json.loads(cert.read_text())
    assert written["statement"]["claim"] == {"in_zero_loss_set": "false"}
    assert "isolated-endgame" in [o["type"] for o in written["obligations"]]
    assert main(["check", str(cert)]) == 0


# ---- two-layer with biases and a free skip part (issue 14 item 4, boursier2023) ----------------
def test_two_layer_bias_skip_flow_fits_the_data_and_keeps_its_balance(tmp_path, capsys):
    """f = v relu(w x + b) + u x + c on two points: the float limit interpolates them (checked
    by evaluating f at the printed limit) and keeps w^2 + b^2 - v^2 at its initial value 1/4
    (the conservation law, an independent prediction)."""
    data = _data(tmp_path, '{"x": [[-1], [1]], "y": [1, 2]}')
    assert main(["flow", "two-layer", "--bias", "--skip", "--data", data, "--init",
                 "1,1,-1/2,1/4,0", "--method", "float", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["parameters"] == ["v1", "w1_1", "b1", "u1", "c"]
    assert payload["verdict"] == "SUPPORTED" and payload["converged"] is True
    v, w, b, u, c = (float(t) for t in payload["limit"])
    for x, y in ((-1.0, 1.0), (1.0, 2.0)):
        assert abs(v * max(w * x + b, 0.0) + u * x + c - y) < 1e-8
    assert abs(w * w + b * b - v * v - 0.25) < 1e-8


@pytest.mark.parametrize(("argv", "flag"), [
    (["flow", "neuron", "--skip", "--init", "1,1"], "--skip"),
    (["flow", "relu-neuron", "--bias", "--init", "1"], "--bias"),
    (["flow", "two-layer", "--bias", "--skip", "--init", "1,1,1"], "v1, w1_1, b1, u1, c"),
])
def test_bias_and_skip_misuse_is_one_line_and_exit_2(argv, flag, tmp_path, capsys):
    data = _data(tmp_path, '{"x": [[1]], "y": [1]}')
    assert main([*argv, "--data", data]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("igproof: error:") and flag in err[0], err


def test_two_layer_bias_skip_prove_writes_a_certificate_the_checker_accepts(tmp_path, capsys):
    """--prove on v relu(w x + b) + u x + c, x = 1, 3, y = 2, 1: PROVED, the certified centre
    interpolates the data and keeps w^2 + b^2 - v^2 = 4 (its value at theta0: the conservation
    law predicts it exactly), and `igproof check` accepts the written certificate."""
    data = _data(tmp_path, '{"x": [[1], [3]], "y": [2, 1]}')
    cert = tmp_path / "boursier.json"
    assert main(["flow", "two-layer", "--bias", "--skip", "--data", data, "--init",
                 "1,-1,2,1/4,1/2", "--prove", "--certificate", str(cert), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["verdict"] == "PROVED" and payload["certificate"] == str(cert)
    v, w, b, u, c = (Fraction(t) for t in payload["centre"])
    radius = Fraction(payload["radius_exact"])
    assert radius < Fraction(1, 10**20)
    tol = 100 * radius
    assert abs(v * max(w + b, 0) + u + c - 2) < tol
    assert abs(v * max(3 * w + b, 0) + 3 * u + c - 1) < tol
    assert abs(w * w + b * b - v * v - 4) < tol
    assert main(["check", str(cert)]) == 0


def test_t_max_reaches_the_prover_and_inconclusive_exits_1(tmp_path, capsys):
    """A slow flow (a relu(w x) on x = 1, y = 1/20 from (1/5, 1/10): the loss target needs
    T ~ 608 at 128 bits): with --t-max 20 neither the target nor the end-game on the last
    enclosure is reached (INCONCLUSIVE naming t_max, exit 1, no certificate written); by the
    default budget t = 200 the end-game closes on the enclosure there (PROVED, T ~ 200, a wider
    ball than the target gives); with --t-max 1000 the target is reached (a smaller ball)."""
    from igproof.checker import check_file

    data = _data(tmp_path, '{"x": [[1]], "y": ["1/20"]}')
    cert = tmp_path / "slow.json"
    assert main(["flow", "neuron", "--data", data, "--init", "1/5,1/10", "--prove",
                 "--t-max", "20", "--certificate", str(cert), "--json"]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["verdict"] == "INCONCLUSIVE" and "t_max=20" in payload["evidence"]
    assert not cert.exists()
    radii = {}
    for t_max in (None, "1000"):
        extra = [] if t_max is None else ["--t-max", t_max]
        assert main(["flow", "neuron", "--data", data, "--init", "1/5,1/10", "--prove", *extra,
                     "--certificate", str(cert), "--json"]) == 0
        payload = json.loads(capsys.readouterr().out)
        assert payload["verdict"] == "PROVED" and payload["certificate"] == str(cert)
        assert check_file(str(cert)).accepted
        radii[t_max] = float(re.search(r"radius ([0-9.e+-]+)", payload["evidence"]).group(1))
    assert radii["1000"] < radii[None]


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.skipif(os.environ.get("IGPROOF_LONG") != "1",
                    reason="~5 min (3044 Taylor steps and their replay); IGPROOF_LONG=1")
def test_slow_3d_tanh_flow_is_proved_with_t_max(tmp_path, capsys):
    """The issue's 3-D tanh neuron with a scaled label-0 point (examples/flows/
    tanh-slow-3d.json): INCONCLUSIVE on the default budget (exit 1, nothing written), PROVED
    with --t-max 2000 (docs/validated.md, section 3d), and the certificate accepted."""
    data = str(EXAMPLES / "flows" / "tanh-slow-3d.json")
    cert = tmp_path / "slow3d.json"
    args = ["flow", "neuron", "--activation", "tanh", "--data", data, "--init",
            "1/2,1/2,-1/4,1/5", "--prove", "--certificate", str(cert), "--json"]
    assert main(args) == 1 and not cert.exists()
    assert json.loads(capsys.readouterr().out)["verdict"] == "INCONCLUSIVE"
    assert main([*args, "--t-max", "2000"]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == "PROVED"
    assert main(["check", str(cert)]) == 0


def test_max_steps_needs_prove(tmp_path, capsys):
    data = _data(tmp_path, '{"x": [[1]], "y": [1]}')
    assert main(["flow", "neuron", "--data", data, "--init", "1/2,3/10",
                 "--max-steps", "10"]) == 2
    assert "--max-steps needs --prove" in capsys.readouterr().err


def test_help_states_the_provers_default_budgets(capsys):
    """The parser cannot import the prover (start-up cost), so its help text states the budgets
    as numbers: they must be the prover's constants at its default precision."""
    from igproof.proof.limits.limit import DEFAULT_MAX_STEPS, DEFAULT_T_MAX

    with pytest.raises(SystemExit):
        main(["flow", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert f"budget of validated steps (default {DEFAULT_MAX_STEPS} at 128 bits" in text
    assert f"whose default is {DEFAULT_T_MAX} at 128 bits" in text
