"""Entry point of the ``igproof`` command.

Each subcommand is a module of this package with two functions: ``register(subparsers)`` adds its
parser (and imports nothing heavy), ``run(args) -> int`` does the work and returns the exit code.
Errors raised on purpose (:class:`igproof.errors.IgproofError`) become one line on stderr and exit
code 2; ``igproof --help`` imports neither sympy nor flint.
"""

from __future__ import annotations

import argparse
import atexit
import importlib
import os
import sys
from collections.abc import Sequence

from igproof.errors import IgproofError

# Subcommand name -> module under igproof.cli. Order is the order shown by --help.
COMMANDS: dict[str, str] = {
    "verify": "verify",
    "list": "catalogue",
    "flow": "flow",
    "overlap": "overlap",
    "check": "check",
    "search": "search",
    "sweep": "sweep",
    "minnorm": "minnorm",
    "ridgelet": "ridgelet",
    "spectral": "spectral",
}

# Commands whose run leaves nothing behind but the exit code: every file they write is written
# atomically and closed before ``run`` returns, and they start no threads. ``console_main`` ends
# them without the interpreter's teardown (see there).
FAST_EXIT_COMMANDS = frozenset({"flow"})

# Width of the help formatters that argparse builds only to check a metavar or compose a
# subcommand's prog "igproof NAME" (nothing they format is shown or wraps).
CHECK_WIDTH = 80

# Exit code for misuse and unreadable input (argparse uses the same).
EXIT_USAGE = 2

# The exit-code contract of every command (shown by `igproof --help`; README and docs/cli.md).
EXIT_CODES_EPILOG = """exit codes (every command):
  0    success: every claim reached its expected verdict (verify); every certificate accepted
       (check); listed (list); a result computed, and with --prove PROVED with any requested
       certificate written (flow, spectral flow); the cost bracket PROVED (minnorm); a
       certificate produced or nothing found (search); every sweep row ran (sweep)
  1    the command ran but the outcome asked for was not reached: a claim missed its expected
       verdict; a certificate was rejected; --prove ended INCONCLUSIVE or a requested
       certificate was not written; the minnorm bracket is not PROVED; a search hit could not
       be certified; a sweep row failed
  2    bad input: unknown option, claim or paper; unreadable, malformed or out-of-range data
       (numbers beyond 1e+-300); a non-regular file given to check; a --claims source that
       cannot be loaded. One line on stderr, never a traceback
  130  interrupted (Ctrl-C)      141  stdout closed by the reader (e.g. `| head`)
"""


class _Parser(argparse.ArgumentParser):
    """argparse, but errors are one line (no usage dump) and exit with code 2.

    argparse makes a help formatter for every ``add_argument``, only to check the metavar, and
    each one asks ``shutil`` for the terminal width: importing shutil (with bz2 and lzma) is 2 ms
    of a warm ``igproof flow``. Those formatters get a fixed width; the text that is shown
    (``format_help``, ``format_usage``) is formatted at the terminal's width as before.
    """

    _showing = False  # True while formatting text that is printed

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"igproof: error: {message}\n")

    def _get_formatter(self) -> argparse.HelpFormatter:
        if self._showing:
            return super()._get_formatter()
        return self.formatter_class(prog=self.prog, width=CHECK_WIDTH)

    def format_help(self) -> str:
        self._showing = True
        try:
            return super().format_help()
        finally:
            self._showing = False

    def format_usage(self) -> str:
        self._showing = True
        try:
            return super().format_usage()
        finally:
            self._showing = False


def _command_modules(only: str | None = None) -> dict[str, object]:
    names = COMMANDS if only is None else (only,)
    return {name: importlib.import_module(f"igproof.cli.{COMMANDS[name]}") for name in names}


def _command_named(argv: Sequence[str]) -> str | None:
    """The subcommand ``argv`` runs when its first word names one (else None: a top-level
    option such as --help, which lists every command, comes first)."""
    return argv[0] if argv and argv[0] in COMMANDS else None


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The ``igproof`` parser with every subcommand, or with the subcommand ``only``.

    A run of one command needs only its parser: registering the others would import every
    command module and build every subparser (about 8 ms of CPU, a tenth of a warm 15-digit
    ``igproof flow``). ``--help`` and an unknown command get the full parser.
    """
    from igproof import __version__

    parser = _Parser(prog="igproof", description="Check theorems about the implicit "
                     "regularization of neural networks, and re-check certificates.",
                     epilog=EXIT_CODES_EPILOG,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"igproof {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND",
                                       parser_class=_Parser)
    for name, module in _command_modules(only).items():
        sub = module.register(subparsers, name)  # type: ignore[attr-defined]
        sub.set_defaults(_run=module.run)  # type: ignore[attr-defined]
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(_command_named(argv))
    args = parser.parse_args(argv)
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args._run(args))
    except IgproofError as exc:
        print(f"igproof: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("igproof: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader (e.g. `| head`) has gone: stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except OSError as exc:
        # A file the user asked for cannot be written (or read): say which and why, in one line.
        where = f": {exc.filename}" if exc.filename else ""
        print(f"igproof: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_USAGE


def console_main() -> None:
    """The ``igproof`` program: ``sys.exit(main())``, without teardown after a fast command.

    Once a command of :data:`FAST_EXIT_COMMANDS` has returned, its exit handlers (atexit) have run
    and the standard streams are flushed, nothing observable is left but the exit code; yet the
    interpreter's teardown would still finalize every module object (mpmath's thousands), about
    10 ms of CPU, an eighth of a warm 15-digit ``igproof flow``. So the process ends there with
    ``os._exit``. Other commands, a run with other threads alive or under a profiler or tracer
    (cProfile, coverage), a stream that cannot be flushed, and SystemExit (--help, usage
    errors) take the ordinary exit.
    """
    argv = sys.argv[1:]
    code = main(argv)
    threading = sys.modules.get("threading")
    if (_command_named(argv) not in FAST_EXIT_COMMANDS
            or (threading is not None and threading.active_count() > 1)
            or sys.getprofile() is not None or sys.gettrace() is not None):
        sys.exit(code)  # a profiler or coverage tracer reports after the program returns
    atexit._run_exitfuncs()  # what the ordinary exit would run first (multiprocessing, logging)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:
        sys.exit(code)  # the ordinary exit reports it
    os._exit(code)


if __name__ == "__main__":
    console_main()
