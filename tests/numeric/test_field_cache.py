"""The field cache (igproof.numeric.cache): hits are identical, other data/versions miss, bad
files are rebuilt, and a hit runs `igproof flow` without importing sympy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

import igproof
import igproof.version
from igproof.cli.main import main
from igproof.numeric import cache
from igproof.numeric.cache import field_key, load_field, program_from_json, store_field
from igproof.numeric.mp_flow import integrate_mp
from igproof.numeric.pieces import piecewise_field
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.flow import gradient_flow
from igproof.symbolic.models import build_model

ROOT = Path(igproof.__file__).resolve().parents[1]
DATA = {"x": [[1]], "y": [1]}


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("IGPROOF_CACHE_DIR", str(folder))
    return folder


def _flow(y=1, activation="relu"):
    return gradient_flow(build_model("neuron", dim=1, activation=activation),
                         Dataset([[1]], [y]))


def _key(data=DATA, activation="relu", **options):
    return field_key("neuron", {"activation": activation, "width": 1, "bias": False,
                                "skip": False, **options}, data)


def _never():
    raise AssertionError("the cached field should not need the symbolic flow")


def _stored(flow, theta0, key):
    """Integrate with the flow's field (compiling the patterns met) and store it."""
    field = piecewise_field(flow)
    integrate_mp(field, theta0, dps=20, t_max=4)
    field.loss_program(field.initial_pattern([Fraction(v) for v in theta0], float, 0.0))
    assert store_field(key, field)
    return field


def test_hit_gives_the_identical_trajectory(cache_dir):
    for activation in ("relu", "tanh"):
        flow = _flow(activation=activation)
        key = _key(activation=activation)
        _stored(flow, ["1/2", "3/10"], key)
        hit = load_field(key, _never)
        assert hit is not None and hit.flow is None
        fresh = integrate_mp(_flow(activation=activation), ["1/2", "3/10"], dps=20, t_max=4)
        cached = integrate_mp(hit, ["1/2", "3/10"], dps=20, t_max=4)
        assert cached.ts == fresh.ts and cached.thetas == fresh.thetas
        assert cached.pattern == fresh.pattern and cached.status == fresh.status


def test_other_data_misses(cache_dir):
    _stored(_flow(), ["1/2", "3/10"], _key())
    other = {"x": [[1]], "y": [2]}
    assert _key(other) != _key()
    assert load_field(_key(other), _never) is None
    assert load_field(_key({"x": [["1.0"]], "y": ["1"]}), _never) is not None  # same values
    assert load_field(_key(activation="tanh"), _never) is None
    assert load_field(_key(bias=True), _never) is None
    assert load_field(_key(skip=True), _never) is None


def test_every_model_option_of_the_cli_is_in_the_key(cache_dir, tmp_path, capsys):
    """two-layer with and without --skip on the same data: different fields, no false hit."""
    data = tmp_path / "two.json"
    data.write_text(json.dumps({"x": [[1], [2]], "y": [1, 3]}))
    base = ["flow", "two-layer", "--data", str(data), "--dps", "15", "--t-max", "2", "--json"]
    assert main([*base, "--init", "1/2,1/3"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert main([*base, "--skip", "--init", "1/2,1/3,1/5,1/7"]) == 0
    skipped = json.loads(capsys.readouterr().out)
    assert len(skipped["parameters"]) == 4 and len(plain["parameters"]) == 2
    assert len(list((cache_dir / "fields").iterdir())) == 2


def test_version_change_misses(cache_dir, monkeypatch):
    _stored(_flow(), ["1/2", "3/10"], _key())
    monkeypatch.setattr(igproof.version, "__version__", igproof.__version__ + ".post1")
    assert load_field(_key(), _never) is None


def test_corrupt_or_foreign_file_is_ignored_and_rebuilt(cache_dir, tmp_path, capsys):
    data = tmp_path / "one.json"
    data.write_text(json.dumps(DATA))
    argv = ["flow", "neuron", "--data", str(data), "--init", "1/2,3/10", "--dps", "15",
            "--json"]
    assert main(argv) == 0
    first = json.loads(capsys.readouterr().out)
    (path,) = (cache_dir / "fields").iterdir()
    good = json.loads(path.read_text())
    bad_programs = json.loads(path.read_text())
    bad_programs["stepping"][0]["program"]["nodes"][3] = [4, 7, 0]  # refers to a later node
    for text in ("{not json", "[]", json.dumps({**good, "key": {**good["key"], "y": ["2"]}}),
                 json.dumps(bad_programs)):
        path.write_text(text)
        assert load_field(_key(), _never) is None
        assert main(argv) == 0
        assert json.loads(capsys.readouterr().out) == first
        assert load_field(_key(), _never) is not None  # rewritten


def test_program_check_rejects_unknown_operations():
    for nodes in ([[0, 0], [99, 0]], [[0, 0], [4, 0, 1]], [[1, "1"]], [[0, 0], [1, "x/2"]]):
        with pytest.raises(ValueError):
            program_from_json({"n_vars": 1, "outputs": [0], "nodes": nodes})


def test_new_pattern_on_a_hit_is_derived_and_added(cache_dir):
    flow = _flow(y=-1)
    key = _key({"x": [[1]], "y": [-1]})
    _stored(flow, ["1", "1"], key)  # w > 0: only the active piece is compiled
    derived = []

    def derive():
        derived.append(1)
        return _flow(y=-1)

    hit = load_field(key, derive)
    patterns = set(hit.to_data()["stepping"])
    traj = integrate_mp(hit, ["1", "-1"], dps=20, t_max=2)  # w < 0: the inactive piece
    fresh = integrate_mp(_flow(y=-1), ["1", "-1"], dps=20, t_max=2)
    assert traj.thetas == fresh.thetas and derived and hit.derived
    assert set(hit.to_data()["stepping"]) > patterns


def test_disabled_cache_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("IGPROOF_CACHE_DIR", str(tmp_path / "c"))
    monkeypatch.setenv("IGPROOF_NO_CACHE", "1")
    assert cache.cache_dir() is None
    assert not store_field(_key(), piecewise_field(_flow()))
    assert not (tmp_path / "c").exists()


def test_a_hit_does_not_import_sympy(cache_dir, tmp_path):
    data = tmp_path / "one.json"
    data.write_text(json.dumps(DATA))
    script = ("import sys\nfrom igproof.cli.main import main\n"
              f"code = main(['flow', 'neuron', '--data', {str(data)!r}, '--init', '1/2,3/10', "
              "'--dps', '15', '--json'])\n"
              "print(code, 'sympy' in sys.modules, 'numpy' in sys.modules, file=sys.stderr)\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    runs = [subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                           text=True, check=True) for _ in range(2)]
    assert runs[0].stderr.split()[-3:] == ["0", "True", "False"]  # miss: sympy, never numpy
    assert runs[1].stderr.split()[-3:] == ["0", "False", "False"]  # hit: no sympy, no numpy
    assert json.loads(runs[0].stdout) == json.loads(runs[1].stdout)


def test_a_hit_still_checks_the_initialization(cache_dir, tmp_path, capsys):
    data = tmp_path / "one.json"
    data.write_text(json.dumps(DATA))
    base = ["flow", "neuron", "--data", str(data), "--dps", "15"]
    assert main([*base, "--init", "1/2,3/10"]) == 0
    capsys.readouterr()
    assert load_field(_key(), _never) is not None
    assert main([*base, "--init", "1/2,3/10,1"]) != 0  # the hit path: one line, no traceback
    err = capsys.readouterr().err
    assert "--init has 3 values but neuron has 2 parameters (a, w1)" in err
    assert "Traceback" not in err
