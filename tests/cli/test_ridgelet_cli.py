"""`igproof ridgelet K|transform|reconstruct`: answers, files, and one-line errors on bad input."""

from __future__ import annotations

import json
import math

import pytest

from igproof.cli.main import main


def test_k_gaussian_dawson_is_exactly_one(capsys):
    assert main(["ridgelet", "K", "--activation", "gaussian", "--ridgelet", "dawson"]) == 0
    out = capsys.readouterr().out
    assert "= 1 (exact)" in out and "[PROVED]" in out and "(consistent)" in out


def test_k_json_enclosure_contains_the_second_route(capsys):
    assert main(["ridgelet", "K", "--activation", "tanh", "--ridgelet", "gaussian-d3",
                 "--json"]) == 0
    (res,) = json.loads(capsys.readouterr().out)
    mid, rad = float(res["enclosure"]["mid"]), float(res["enclosure"]["rad"])
    second = float(res["second_route"]["value"])
    err = float(res["second_route"]["error_estimate"])
    assert res["verdict"] == "PROVED" and res["second_route"]["consistent"] is True
    assert abs(second - mid) <= rad + err


def test_k_not_admissible_pairs_say_why(capsys):
    assert main(["ridgelet", "K", "--activation", "gaussian", "--ridgelet", "gaussian-d0",
                 "--no-second"]) == 0
    assert "not admissible" in capsys.readouterr().out
    assert main(["ridgelet", "K", "--activation", "tanh", "--ridgelet", "dawson", "--dim", "2",
                 "--no-second"]) == 0
    assert "K = 0" in capsys.readouterr().out


def test_transform_at_points_matches_the_closed_form(capsys):
    assert main(["ridgelet", "transform", "--ridgelet", "dawson", "--at", "1,0.5", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    (point,) = payload["points"]
    s = 2.0  # 1 + a^2; closed form sqrt(2 pi) s^-2 psi(b / sqrt s), psi from its definition
    from scipy.special import dawsn
    t = 0.5 / math.sqrt(s)
    psi = (2 * t * (t * t - 3) * dawsn(t / math.sqrt(2)) - math.sqrt(2) * (t * t - 2)) / math.pi**2
    assert point["value"] == pytest.approx(math.sqrt(2 * math.pi) / s**2 * psi, abs=1e-13)


@pytest.mark.parametrize("ext,magic", [(".png", b"\x89PNG"), (".svg", b"<?xml"),
                                       (".pdf", b"%PDF")])
def test_transform_plot_honours_the_extension(tmp_path, capsys, ext, magic):
    path = tmp_path / f"spectrum{ext}"
    assert main(["ridgelet", "transform", "--ridgelet", "gaussian-d2",
                 "--grid=-3:3:30,-4:4:25", "--plot", str(path)]) == 0
    assert path.read_bytes().startswith(magic)


def test_reconstruct_prints_the_error_and_verdict(capsys):
    assert main(["ridgelet", "reconstruct", "--activation", "gaussian", "--ridgelet", "dawson",
                 "--at", "0,1", "--nodes", "96", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["verdict"] == "SUPPORTED" and payload["error"] < 1e-3
    assert payload["K_f"][1] == pytest.approx(math.exp(-0.5))


def test_reconstruct_of_a_non_admissible_pair_exits_one(capsys):
    assert main(["ridgelet", "reconstruct", "--activation", "relu", "--ridgelet",
                 "gaussian-d2"]) == 1
    assert "not admissible" in capsys.readouterr().out


@pytest.mark.parametrize("argv,fragment", [
    (["K", "--activation", "swish", "--ridgelet", "dawson"], "unknown 'swish'"),
    (["K", "--activation", "relu", "--ridgelet", "open(z)"], "neither a built-in"),
    (["transform", "--ridgelet", "dawson", "--at", "1,nan"], "finite"),
    (["transform", "--ridgelet", "dawson", "--at", "1"], "expected 2 numbers"),
    (["transform", "--ridgelet", "dawson", "--at", "a,b"], "comma-separated numbers"),
    (["transform", "--ridgelet", "dawson", "--grid", "0:1:5"], "--grid"),
    (["transform", "--ridgelet", "dawson", "--grid", "1:0:5,0:1:5"], "lo < hi"),
    (["transform", "--ridgelet", "dawson", "--grid", "0:1:5,0:1:x"], "integer"),
    (["transform", "--ridgelet", "dawson", "--grid", "0:1:5,0:1:5", "--plot", "out.gif"],
     "must end in"),
    (["transform", "--ridgelet", "dawson"], "give --at"),
    (["transform", "--ridgelet", "dawson", "--target", "exp(-y^2)", "--at", "1,1"], "target"),
    (["reconstruct", "--activation", "gaussian", "--ridgelet", "dawson", "--nodes", "50"],
     "--nodes"),
    ([], "subcommand"),
])
def test_bad_input_is_one_line_and_exit_two(capsys, argv, fragment):
    assert main(["ridgelet", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("igproof: error:") and fragment in err
    assert len(err.strip().splitlines()) == 1
