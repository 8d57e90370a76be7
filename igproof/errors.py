"""The exception hierarchy: one root, one class per kind of failure.

Expected mathematical outcomes (a claim that could not be proved, a certificate that is rejected)
are verdicts, not exceptions. Exceptions are for misuse and for failures of the machinery; the
command line turns each into one line on stderr and a non-zero exit code.
"""

from __future__ import annotations

from typing import Any


class IgproofError(Exception):
    """Root of every error raised on purpose by igproof."""


class InvalidArgument(IgproofError, ValueError):
    """A function or command was called with an argument it cannot accept.

    The message names the argument, the value received and what would work.
    """


class DataError(InvalidArgument):
    """A dataset, initialization or input file is malformed (ragged, empty, NaN, unreadable)."""


class PrecisionError(IgproofError):
    """The working precision was not enough for the requested accuracy: retry with more bits."""


class EnclosureFailure(IgproofError):
    """A validated step could not be certified.

    Carries the state at failure so that the caller can report where validation broke down.
    """

    def __init__(self, message: str, *, t: Any = None, step: int | None = None,
                 enclosure: Any = None) -> None:
        super().__init__(message)
        self.t = t
        self.step = step
        self.enclosure = enclosure


class CertificateError(IgproofError):
    """A certificate file is not a well-formed certificate of a known schema version."""


class UnsafeExpression(CertificateError):
    """An expression uses syntax or names outside igproof's safe expression language."""
