"""Config validation: every mistake is one line naming the key (igproof.errors.InvalidArgument)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from igproof.errors import InvalidArgument
from igproof.sweep.config import load_config, parse_config


def _bad(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new)


@pytest.mark.parametrize(("old", "new", "message"), [
    ('"0", "gamma", "gamma"', '"0", "beta", "gamma"', "unknown name 'beta'"),
    ('"0", "gamma", "gamma"', '"0", "gamma +", "gamma"', "bad expression"),
    ('"0", "gamma", "gamma"', '"0", "__import__(gamma)", "gamma"', "bad expression"),
    ('"0", "gamma", "gamma"', '"0", "eval(gamma)", "gamma"', "unknown function 'eval'"),
    ('y = ["16", "18", "0"]', "", "[data] y: missing"),
    ("[init]\ndirection", "[initial]\ndirection", "unknown table [initial]"),
    ('init = ["1e-6", "1/100"]', 'init = ["1e-6", nan]', "finite number"),
    ('init = ["1e-6", "1/100"]', 'init = { log = [nan, 1], n = 3 }', "finite number"),
    ('init = ["1e-6", "1/100"]', 'init = { log = [0, 1], n = 3 }', "needs 0 < low"),
    ('init = ["1e-6", "1/100"]', 'init = { log = [1, 2] }', "a grid needs n"),
    ('init = ["1e-6", "1/100"]', 'init = { cubic = [1, 2] }', "unknown key 'cubic'"),
    ("dim = 3", 'dim = 3\nactivation = "swish"', "unknown activation 'swish'"),
    ("dim = 3", "", "[model] dim: missing"),
    ('value = "distance"', 'value = "colour"', "[phase] value"),
    ('value = "distance"', 'value = "limit"', "[phase] value"),
    ('x = "gamma"\ny', 'x = "delta"\ny', "[phase] x: unknown parameter 'delta'"),
    ("reference = { gamma = 0 }", "reference = { beta = 0 }", "unknown parameter 'beta'"),
    ('name = "small gamma family"', 'design = "sobol"', "design: expected 'grid' or 'random'"),
    ('name = "small gamma family"', 'design = "random"', "random design needs the number"),
    ("chunk = 2", "chunk = 0", "[sweep] chunk"),
    ("[diagnostics]", "[diagnostics]\nwhatever = 1", "unknown key 'whatever'"),
])
def test_config_errors_are_one_line(small_text, old, new, message):
    with pytest.raises(InvalidArgument) as info:
        parse_config(_bad(small_text, old, new))
    text = str(info.value)
    assert message in text, text
    assert "\n" not in text


def test_not_toml_is_one_line():
    with pytest.raises(InvalidArgument, match="not valid TOML") as info:
        parse_config("[sweep\nname = 1")
    assert "\n" not in str(info.value)


def test_unreadable_file_is_one_line(tmp_path):
    with pytest.raises(InvalidArgument, match="cannot read"):
        load_config(str(tmp_path / "missing.toml"))


def test_values_are_exact_decimals(small_config):
    gamma, init = small_config.parameters
    # log-spaced from 1/2 to 8 in 3 points: 1/2, 2, 8 (ends exact, middle rounded to 6 digits)
    assert gamma.values == (Fraction(1, 2), Fraction(2), Fraction(8))
    assert init.values == (Fraction(1, 10**6), Fraction(1, 100))
    assert small_config.theta0 == ("(init)*(1)",) * 3


def test_fingerprint_ignores_comments_not_content(small_text):
    a = parse_config(small_text)
    b = parse_config("# a comment\n" + small_text)
    c = parse_config(small_text.replace('"16", "18"', '"16", "19"'))
    assert a.fingerprint == b.fingerprint != c.fingerprint


def test_config_is_picklable(small_config):
    import pickle

    assert pickle.loads(pickle.dumps(small_config)) == small_config
