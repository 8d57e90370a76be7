"""Entry point of the ``igproof`` command.

Each subcommand is a module of this package with two functions: ``register(subparsers)`` adds its
parser (and imports nothing heavy), ``run(args) -> int`` does the work and returns the exit code.
Errors raised on purpose (:class:`igproof.errors.IgproofError`) become one line on stderr and exit
code 2; ``igproof --help`` imports neither sympy nor flint.
"""

from __future__ import annotations

import argparse
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

# Exit code for misuse and unreadable input (argparse uses the same).
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but errors are one line (no usage dump) and exit with code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"igproof: error: {message}\n")


def _command_modules() -> dict[str, object]:
    return {name: importlib.import_module(f"igproof.cli.{module}")
            for name, module in COMMANDS.items()}


def build_parser() -> argparse.ArgumentParser:
    from igproof import __version__

    parser = _Parser(prog="igproof", description="Check theorems about the implicit "
                     "regularization of neural networks, and re-check certificates.")
    parser.add_argument("--version", action="version", version=f"igproof {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND",
                                       parser_class=_Parser)
    for name, module in _command_modules().items():
        sub = module.register(subparsers, name)  # type: ignore[attr-defined]
        sub.set_defaults(_run=module.run)  # type: ignore[attr-defined]
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
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


if __name__ == "__main__":
    sys.exit(main())
