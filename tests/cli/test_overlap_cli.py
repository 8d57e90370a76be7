"""`igproof overlap`: Two-point / One-point Overlapping from data files, and bad input.

Independent routes: the limits in the certificate are compared with a scipy (float) flow, and
the certificate is re-read by `igproof check` (the standard-library checker) in a fresh call.
"""

from __future__ import annotations

import json
import os
from fractions import Fraction
from pathlib import Path

import pytest

from igproof.cli.main import main
from igproof.numeric.converge import flow_limit
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.flow import gradient_flow
from igproof.symbolic.models import build_model

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "overlap"
LONG = os.environ.get("IGPROOF_LONG") == "1"
CROSSING = EXAMPLES / "relu-neuron-crossing"


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def _crossing_args(cert: str) -> list[str]:
    return ["overlap", "two-point", "--model", "relu-neuron",
            "--data", str(CROSSING / "S1.json"), "--data", str(CROSSING / "S3.json"),
            "--init", str(CROSSING / "init.json"), "--order", "16",
            "--sensitivity-order", "6", "--certificate", cert]


@pytest.fixture(scope="module")
def crossing(tmp_path_factory):
    """relu(w.x) in R^2, S_g = {((1,0),1), ((-g,g),0)}, g = 1 and 3, theta0 = (1/10, 3/10)."""
    folder = tmp_path_factory.mktemp("crossing")
    cert = str(folder / "cert.json")
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main([*_crossing_args(cert), "--json"])
    return code, json.loads(out.getvalue()), cert


def test_crossing_pair_proved_certified_and_checked(crossing, capsys):
    code, payload, cert = crossing
    assert code == 0 and payload["exit_code"] == 0 and payload["verdict"] == "PROVED"
    assert payload["certificate"] == cert and Path(cert).stat().st_size < 10**6
    assert all(o.endswith(": accepted") for o in payload["obligations"])
    assert payload["recipes"] == ["label-0-scaling"]
    assert main(["check", cert]) == 0  # the file as written, re-read by the checker
    capsys.readouterr()


def test_crossing_limits_match_scipy_and_fit_the_data(crossing):
    """Independent route: scipy's flow; both limits fit (1,0) -> 1 and switch (-g,g) off."""
    _, _, cert = crossing
    doc = json.loads(Path(cert).read_text())
    model = build_model("relu-neuron", dim=2)
    for name, g in (("L1", 1), ("L2", 3)):
        ball = doc["statement"]["limits"][name]
        centre = [float(Fraction(c)) for c in ball["center"]]
        est = flow_limit(gradient_flow(model, Dataset([[1, 0], [-g, g]], [1, 0])),
                         [Fraction(1, 10), Fraction(3, 10)], method="float").trajectory.theta
        assert max(abs(float(a) - b) for a, b in zip(est, centre, strict=True)) < 1e-6
        assert abs(centre[0] - 1) < 1e-9 and centre[1] < centre[0]
    c1 = [float(Fraction(c)) for c in doc["statement"]["limits"]["L1"]["center"]]
    c2 = [float(Fraction(c)) for c in doc["statement"]["limits"]["L2"]["center"]]
    assert abs(c1[1] - c2[1]) > 0.03  # the label-0 point pulls w2 down ~g^2 while active


@pytest.mark.parametrize("edit", ["label", "gamma", "limit"])
def test_tampered_crossing_certificate_is_rejected(crossing, tmp_path, capsys, edit):
    _, _, cert = crossing
    doc = json.loads(Path(cert).read_text())
    if edit == "label":
        doc["datasets"]["S2"]["y"][0] = "2"
    elif edit == "gamma":
        doc["datasets"]["S2"]["x"][1] = ["-3", "4"]
    else:
        doc["statement"]["limits"]["L2"]["center"] = doc["statement"]["limits"]["L1"]["center"]
    bad = _write(tmp_path, "bad.json", json.dumps(doc))
    assert main(["check", bad]) != 0
    capsys.readouterr()


def test_zhang2023_relu_neuron_from_its_data_files(tmp_path, capsys):
    """The catalogue's Vardi-Shamir instance, rebuilt from examples/overlap/ on the CLI."""
    folder = EXAMPLES / "zhang2023-relu-neuron"
    cert = str(tmp_path / "vs.json")
    code = main(["overlap", "two-point", "--model", "relu-neuron",
                 "--data", str(folder / "S1.json"), "--data", str(folder / "S5.json"),
                 "--init", str(folder / "init.json"), "--certificate", cert, "--json"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 0 and payload["verdict"] == "PROVED"
    doc = json.loads(Path(cert).read_text())
    centres = [[float(Fraction(c)) for c in doc["statement"]["limits"][k]["center"]]
               for k in ("L1", "L2")]
    # Independent route (SPEC: both limits fit x1, x2 exactly: w1 = 5, w2 = -1).
    for c in centres:
        assert abs(c[0] - 5) < 1e-12 and abs(c[1] + 1) < 1e-12
    assert abs(centres[0][2] - centres[1][2]) > 0.1


@pytest.mark.skipif(not LONG, reason="~20 s: set IGPROOF_LONG=1")
def test_zhang2023_relu_from_cli_is_byte_identical_to_the_catalogue(tmp_path, capsys):
    """One code path: the CLI on examples/overlap/zhang2023-relu writes the catalogue's bytes."""
    from igproof.certificate.overlap_instances import two_point_relu
    from igproof.certificate.writer import dumps_certificate

    folder = EXAMPLES / "zhang2023-relu"
    cert = tmp_path / "relu.json"
    assert main(["overlap", "two-point", "--model", "neuron",
                 "--data", str(folder / "S1.json"), "--data", str(folder / "S2.json"),
                 "--init", str(folder / "init.json"), "--order", "16",
                 "--sensitivity-order", "6", "--certificate", str(cert)]) == 0
    capsys.readouterr()
    assert cert.read_text() == dumps_certificate(two_point_relu().certificate)


# -- bad input: one line, a non-zero exit, an existing certificate file untouched --------------
def _bad(tmp_path, capsys, argv, code):
    cert = tmp_path / "existing.json"
    cert.write_text("precious\n")
    assert main([*argv, "--certificate", str(cert)]) == code
    err = capsys.readouterr().err.strip()
    assert cert.read_text() == "precious\n"
    return err


def test_datasets_of_different_dimension(tmp_path, capsys):
    s2 = _write(tmp_path, "s2.json", '{"x": [[1, 0, 0], [-1, 1, 0]], "y": [1, 0]}')
    err = _bad(tmp_path, capsys, ["overlap", "two-point", "--model", "relu-neuron",
                                  "--data", str(CROSSING / "S1.json"), "--data", s2,
                                  "--init", "1/10,3/10"], 2)
    assert err.count("\n") == 0 and "different input dimensions" in err


def test_init_on_a_kink(tmp_path, capsys):
    err = _bad(tmp_path, capsys, ["overlap", "two-point", "--model", "relu-neuron",
                                  "--data", str(CROSSING / "S1.json"),
                                  "--data", str(CROSSING / "S3.json"), "--init", "1/5,1/5"], 2)
    assert err.count("\n") == 0 and "kink" in err


def test_undecidable_zero_loss_relation_is_inconclusive(tmp_path, capsys):
    """S2 adds a labelled point: no recipe decides theta1 in M_S2 (exit 1, nothing proved)."""
    s2 = _write(tmp_path, "s2.json", '{"x": [[1, 0], [-1, 1], [0, 1]], "y": [1, 0, "1/2"]}')
    cert = tmp_path / "existing.json"
    cert.write_text("precious\n")
    code = main(["overlap", "two-point", "--model", "relu-neuron",
                 "--data", str(CROSSING / "S1.json"), "--data", s2, "--init", "1/10,3/10",
                 "--certificate", str(cert)])
    out = capsys.readouterr().out
    assert code == 1 and cert.read_text() == "precious\n"
    verdict = [line for line in out.splitlines() if line.startswith("verdict")]
    assert len(verdict) == 1 and "INCONCLUSIVE" in verdict[0] and "not decided" in verdict[0]


@pytest.mark.parametrize("argv, needle", [
    (["--data", "S1"], "exactly two datasets"),
    (["--regularizer", "norm"], "one-point only"),
    (["--prec", "20"], "--prec"),
])
def test_bad_options(tmp_path, capsys, argv, needle):
    base = ["overlap", "two-point", "--model", "relu-neuron",
            "--data", str(CROSSING / "S1.json"), "--init", "1/10,3/10"]
    if argv[0] != "--data":
        base += ["--data", str(CROSSING / "S3.json")]
    else:
        argv = []
    err = _bad(tmp_path, capsys, [*base, *argv], 2)
    assert err.count("\n") == 0 and needle in err


def test_one_point_needs_a_regularizer(tmp_path, capsys):
    err = _bad(tmp_path, capsys, ["overlap", "one-point", "--model", "relu-neuron",
                                  "--data", str(CROSSING / "S1.json"),
                                  "--data", str(CROSSING / "S3.json"), "--init", "1/10,3/10"], 2)
    assert "--regularizer" in err and err.count("\n") == 0


# -- One-point with a user's regularizer G (class "expression") -----------------------------------
ZHANG_RELU = EXAMPLES / "zhang2023-relu"
USER_G = "a^4 + w1^2 + w2^2"


def _user_g_args(cert: str, g: str = USER_G) -> list[str]:
    return ["overlap", "one-point", "--model", "neuron",
            "--data", str(ZHANG_RELU / "S1.json"), "--data", str(ZHANG_RELU / "S2.json"),
            "--init", str(ZHANG_RELU / "init.json"), "--order", "16",
            "--sensitivity-order", "6", "--regularizer", g, "--certificate", cert]


@pytest.fixture(scope="module")
def user_g(tmp_path_factory):
    folder = tmp_path_factory.mktemp("user_g")
    cert = str(folder / "cert.json")
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main([*_user_g_args(cert), "--json"])
    return code, json.loads(out.getvalue()), cert


def test_user_g_one_point_proved_and_checked(user_g, capsys):
    """G = a^4 + w1^2 + w2^2 on a relu(w.x), S_g = {((1,0),1), ((-g,g),0)}, g = 1, 2: the limit
    of S2 lies in M_S1 and has the smaller G; certified, and `igproof check` accepts the file."""
    code, payload, cert = user_g
    assert code == 0 and payload["verdict"] == "PROVED" and payload["shared"] == "S2"
    doc = json.loads(Path(cert).read_text())
    claim = doc["statement"]["claim"]
    assert claim["class"] == "expression" and claim["G"] == "(a^4 + w1^2 + w2^2)"
    assert "G = (a^4 + w1^2 + w2^2)" in doc["statement"]["text"]
    order = next(o for o in doc["obligations"] if o["type"] == "ordering")
    assert order["G"] == claim["G"] and order["below"] == "L2" and order["above"] == "L1"
    assert main(["check", cert]) == 0
    capsys.readouterr()
    # Independent route: G at scipy's float limits orders the same way, by a clear margin.
    model = build_model("neuron", dim=2)
    g_values = []
    for g in (1, 2):
        theta = flow_limit(gradient_flow(model, Dataset([[1, 0], [-g, g]], [1, 0])),
                           [Fraction(1, 2), Fraction(1, 10), Fraction(3, 10)],
                           method="float").trajectory.theta
        a, w1, w2 = (float(v) for v in theta)
        g_values.append(a**4 + w1**2 + w2**2)
    assert g_values[1] < g_values[0] - 1e-3


def _check_doc(doc: dict) -> bool:
    from igproof.checker import check_certificate

    return check_certificate(doc).accepted


def test_user_g_tampered_is_rejected(user_g):
    """Another G in the claim (text no longer canonical, or claim/obligation mismatch), a G
    with the order reversed, or a class without G: rejected."""
    _, _, cert = user_g
    doc = json.loads(Path(cert).read_text())
    from igproof.checker import statement_text

    def restated(d: dict) -> dict:
        d["statement"]["text"] = statement_text(d["kind"], d["statement"])
        return d

    # 1. The claim names another G than the ordering obligation certified.
    bad = json.loads(json.dumps(doc))
    bad["statement"]["claim"]["G"] = "(a^2 + w1^2 + w2^2)"
    assert not _check_doc(restated(bad))
    # 2. Both name a G whose order is the other way round (-G): the ordering is rejected.
    bad = json.loads(json.dumps(doc))
    bad["statement"]["claim"]["G"] = "(-(a^4 + w1^2 + w2^2))"
    next(o for o in bad["obligations"] if o["type"] == "ordering")["G"] = \
        bad["statement"]["claim"]["G"]
    assert not _check_doc(restated(bad))
    # 3. G changed in the text only (not canonical).
    bad = json.loads(json.dumps(doc))
    bad["statement"]["text"] = bad["statement"]["text"].replace("a^4", "a^2")
    assert not _check_doc(bad)
    # 4. class expression without G, and a norm class with a G.
    bad = json.loads(json.dumps(doc))
    del next(o for o in bad["obligations"] if o["type"] == "ordering")["G"]
    assert not _check_doc(bad)
    bad = json.loads(json.dumps(doc))
    bad["statement"]["claim"]["class"] = "norm"
    assert not _check_doc(restated(bad))
    # 5. A G with a name that is not a parameter.
    bad = json.loads(json.dumps(doc))
    bad["statement"]["claim"]["G"] = "(x1^2)"
    next(o for o in bad["obligations"] if o["type"] == "ordering")["G"] = "(x1^2)"
    assert not _check_doc(restated(bad))
    assert _check_doc(doc)


@pytest.mark.parametrize("g", ["a^2 + b^2", "__import__('os')", "a^2 +", "7"])
def test_user_g_bad_expression_is_one_line_exit_2(g, tmp_path, capsys):
    """Unknown names, unsafe or malformed text, a constant: one line on stderr, exit 2, no file."""
    cert = tmp_path / "cert.json"
    assert main(_user_g_args(str(cert), g)) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("igproof: error: regularizer") and "\n" not in err
    assert not cert.exists()


LEAKY = EXAMPLES / "leaky-relu"


@pytest.mark.skipif(not LONG, reason="~100 s (two validated Taylor flows); IGPROOF_LONG=1")
def test_leaky_relu_two_layer_two_point_certified(tmp_path, capsys):
    """v1 leaky(w1.x) + v2 leaky(w2.x) (slope 1/100), S_g = {((0,1),1), ((-g,g),0)}, g = 1, 1/2:
    scaled-label-zero both ways (a sum of degree-1 terms), certificate accepted."""
    cert = tmp_path / "cert.json"
    args = ["overlap", "two-point", "--model", "two-layer", "--width", "2", "--activation",
            "leaky-relu", "--data", str(LEAKY / "S1.json"), "--data", str(LEAKY / "S2.json"),
            "--init", str(LEAKY / "init.json"), "--prec", "53", "--order", "16",
            "--sensitivity-order", "6", "--loss-target", "1/10000000000000",
            "--certificate", str(cert)]
    assert main(args) == 0
    doc = json.loads(cert.read_text())
    relations = [o for o in doc["obligations"] if o["type"] == "zero-set"]
    assert {o["relation"] for o in relations} == {"scaled-label-zero"}
    capsys.readouterr()
    assert main(["check", str(cert)]) == 0


def test_bias_and_skip_reach_the_model(capsys):
    """--bias/--skip build the boursier2023 two-layer model (its parameter names in the --init
    error), and are refused in one line on models that have no such part."""
    data = ["--data", str(CROSSING / "S1.json"), "--data", str(CROSSING / "S1.json")]
    code = main(["overlap", "two-point", "--model", "two-layer", "--bias", "--skip", *data,
                 "--init", "1,1"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert all(name in err for name in ("b1", "u1", "c"))
    for argv, needle in ((["--model", "relu-neuron", "--bias"], "--bias"),
                         (["--model", "neuron", "--skip"], "--skip")):
        assert main(["overlap", "two-point", *argv, *data, "--init", "1,1"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and needle in err
