"""One status line on stderr while a validated proof runs (``igproof flow --prove``,
``igproof overlap``): which flow, how many validated steps, and the bound on sup L that the
loss target waits for. Proofs of slow flows take minutes; this says they are moving."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TextIO

# Seconds between two rewrites of the status line.
INTERVAL = 0.25


def add_progress_flags(parser: argparse.ArgumentParser,
                       what: str = "show the prover's progress on stderr",
                       never: str = "never show progress") -> None:
    """``--progress`` / ``--no-progress`` (default None: :func:`progress_wanted` decides)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--progress", action="store_true", default=None,
                       help=f"{what} (default: only on a terminal)")
    group.add_argument("--no-progress", dest="progress", action="store_false", help=never)


def progress_wanted(args: argparse.Namespace) -> bool:
    """The flag when given, else whether stderr is a terminal (stdout, --json included, is
    never written to)."""
    return sys.stderr.isatty() if args.progress is None else bool(args.progress)


class ProverProgress:
    """``progress(label, k, sup_loss)`` rewrites one line "label: k validated steps, sup L <=
    ..." at most every INTERVAL seconds; ``stage(text)`` replaces it with a phase that has no
    steps (the checker's replay of the certificate); ``close()`` clears it. Writes nothing
    unless ``enabled``."""

    def __init__(self, enabled: bool, stream: TextIO | None = None) -> None:
        self.enabled = enabled
        self.stream = sys.stderr if stream is None else stream
        self.last = 0.0
        self.width = 0

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ProverProgress:
        return cls(progress_wanted(args))

    def __call__(self, label: str, k: int, sup_loss: float) -> None:
        now = time.monotonic()
        if not self.enabled or now - self.last < INTERVAL:
            return
        self.last = now
        self._show(f"{label}: {k} validated steps, sup L <= {sup_loss:.2e}")

    def stage(self, text: str) -> None:
        if self.enabled:
            self._show(text)

    def close(self) -> None:
        if self.enabled and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0

    def _show(self, text: str) -> None:
        self.stream.write("\r" + text.ljust(self.width))
        self.stream.flush()
        self.width = max(self.width, len(text))
