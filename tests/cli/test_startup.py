"""The start-up of `igproof flow` (issue #15): what a run imports, and how it ends.

Import-based guards (never timing: speed is measured by benchmarks/bench_startup.py): a run of
one command builds only that command's parser; a warm field cache runs without sympy, numpy,
scipy, flint, the symbolic layer or OpenSSL's hashlib, and a cold one without numpy; the program
(`python -m igproof`) ends without teardown after `flow`, yet with the same output, the same exit
codes and the exit handlers run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import igproof
from igproof.cli.main import COMMANDS, _command_named, build_parser, main

ROOT = Path(igproof.__file__).resolve().parents[1]
FLOW = ["flow", "neuron", "--init", "1/2,3/10", "--dps", "15", "--t-max", "5"]
# Modules a warm `igproof flow` must not load: the heavy libraries (seconds between them), the
# symbolic layer (sympy behind it), hashlib (it loads OpenSSL; the field cache digests with
# CPython's own SHA-256), and shutil and tempfile (argparse's help formatters ask shutil for the
# terminal width only when text is shown; only a cache miss writes a file).
NOT_ON_A_WARM_RUN = ("sympy", "numpy", "scipy", "flint", "igproof.symbolic", "hashlib",
                     "shutil", "tempfile")


@pytest.fixture
def env(tmp_path):
    return dict(os.environ, PYTHONPATH=str(ROOT), IGPROOF_CACHE_DIR=str(tmp_path / "cache"))


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "one.json"
    path.write_text('{"x": [[1]], "y": [1]}')
    return str(path)


def _python(code: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    # cwd outside the checkout: `python -m` puts the current folder first on sys.path
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def _loaded_by_flow(argv: list[str], env: dict[str, str], cwd: Path) -> list[str]:
    """The modules of NOT_ON_A_WARM_RUN and of igproof.cli that `main(argv)` loaded."""
    code = ("import sys\nfrom igproof.cli.main import main\n"
            f"assert main({argv!r}) == 0\n"
            f"watch = {NOT_ON_A_WARM_RUN!r}\n"
            "print('LOADED=' + ','.join(sorted(m for m in sys.modules if m.startswith("
            "'igproof.cli.') or m in watch or m.startswith('igproof.symbolic.'))))\n")
    result = _python(code, env, cwd)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1].removeprefix("LOADED=").split(",")


def test_a_run_of_one_command_builds_only_its_parser():
    assert _command_named(["flow", "neuron"]) == "flow"
    assert _command_named(["--help", "flow"]) is None  # --help lists every command
    assert _command_named(["nope"]) is None and _command_named([]) is None
    full, only = build_parser(), build_parser("flow")
    choices = {action.dest: action.choices for action in full._actions
               if action.dest == "command"}["command"]
    assert set(choices) == set(COMMANDS)
    [only_choices] = [action.choices for action in only._actions if action.dest == "command"]
    assert set(only_choices) == {"flow"}
    # the command's own parser is the same either way: same usage, options and help text
    assert only_choices["flow"].format_help() == choices["flow"].format_help()


@pytest.mark.parametrize("columns", [50, 200])
def test_help_is_formatted_at_the_terminal_width(monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", str(columns))
    [subparsers] = [action for action in build_parser()._actions if action.dest == "command"]
    flow = subparsers.choices["flow"]  # wrapped text (the top level's epilog is raw)
    for text in (flow.format_help(), flow.format_usage()):
        width = max(len(line) for line in text.splitlines())
        assert width <= columns and (columns == 200 or width > columns - 10)
    assert flow.prog == "igproof flow"


def test_flow_imports_no_other_command_and_a_warm_run_nothing_heavy(env, data, tmp_path):
    argv = [*FLOW[:2], "--data", data, *FLOW[2:]]
    cold = _loaded_by_flow(argv, env, tmp_path)
    warm = _loaded_by_flow(argv, env, tmp_path)  # the field cache the cold run wrote
    for loaded in (cold, warm):
        # progress: the --progress flags and status line shared with overlap (stdlib only)
        assert {m for m in loaded if m.startswith("igproof.cli.")} == {
            "igproof.cli.main", "igproof.cli.flow", "igproof.cli.output",
            "igproof.cli.progress"}
    assert "sympy" in cold and "numpy" not in cold  # deriving needs sympy, never numpy
    assert not [m for m in warm if m in NOT_ON_A_WARM_RUN or m.startswith("igproof.symbolic.")]


def test_python_m_igproof_flow_prints_what_main_prints_and_runs_exit_handlers(env, data,
                                                                             tmp_path):
    argv = [*FLOW[:2], "--data", data, *FLOW[2:]]
    in_process = _python("import sys\nfrom igproof.cli.main import main\n"
                         f"sys.exit(main({argv!r}))\n", env, tmp_path)
    program = _python("import atexit, sys\natexit.register(print, 'exit handlers ran')\n"
                      f"sys.argv[1:] = {argv!r}\n"
                      "from igproof.cli.main import console_main\nconsole_main()\n",
                      env, tmp_path)
    assert in_process.returncode == program.returncode == 0
    assert program.stdout == in_process.stdout + "exit handlers ran\n"
    assert "limit" in program.stdout and program.stderr == ""
    module = subprocess.run([sys.executable, "-m", "igproof", *argv], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert (module.returncode, module.stdout) == (0, in_process.stdout)


@pytest.mark.parametrize(("options", "message"), [
    (["--dps", "3"], "igproof: error: --dps 3: use between 5 and 10000 digits"),  # run() fails
    (["--dps", "many"], "igproof: error: argument --dps: invalid int value: 'many'"),  # argparse
])
def test_python_m_igproof_flow_bad_input_is_one_line_and_exit_2(env, data, tmp_path, options,
                                                                 message):
    argv = ["flow", "neuron", "--data", data, "--init", "1/2,3/10", *options]
    done = subprocess.run([sys.executable, "-m", "igproof", *argv], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == message


def test_main_without_argv_reads_the_command_line(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["igproof", "list"])
    assert main() == 0
    assert capsys.readouterr().out
