"""The pytest plugin registers the igproof-ci / igproof-search profiles and the fixtures."""

import subprocess
import sys
import textwrap
from importlib.metadata import entry_points

from hypothesis import settings

from igproof.search import pytest_plugin


def test_profiles_are_registered_with_prefixed_names():
    ci_name, search_name = pytest_plugin.register_profiles()
    assert (ci_name, search_name) == ("igproof-ci", "igproof-search")
    ci = settings.get_profile("igproof-ci")
    assert ci.derandomize and ci.database is None and ci.deadline is None
    assert ci.max_examples == pytest_plugin.IGPROOF_CI_EXAMPLES
    search = settings.get_profile("igproof-search")
    assert search.max_examples >= 10_000 and search.deadline is None


def test_plugin_loads_in_a_downstream_suite(tmp_path):
    """A suite run with ``-p igproof.search.pytest_plugin`` and ``--hypothesis-profile=igproof-ci``
    gets the profile and the ``igproof_strategies`` fixture."""
    (tmp_path / "test_downstream.py").write_text(textwrap.dedent("""
        from hypothesis import given, settings

        def test_profile_and_fixture(igproof_strategies, igproof_profiles):
            assert settings.default.max_examples == 200 and settings.default.derandomize
            assert igproof_profiles == ("igproof-ci", "igproof-search")

            @given(igproof_strategies.datasets(dim=2, max_size=2))
            def inner(ds):
                assert ds.dim == 2
            inner()
    """))
    installed = any(ep.value == "igproof.search.pytest_plugin"
                    for ep in entry_points(group="pytest11"))
    load = [] if installed else ["-p", "igproof.search.pytest_plugin"]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *load,
         "--hypothesis-profile=igproof-ci", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed" in proc.stdout
