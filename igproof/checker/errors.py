"""The checker's one error class, with machine-readable location data."""

from __future__ import annotations


class Rejected(Exception):
    """A certificate (or one obligation of it) is rejected; the message names the offending
    field or token and says why, in one line.

    Location, for callers that must not parse the message: ``obligation`` (the id of the
    rejected obligation), and for a trajectory replay ``segment`` and ``step`` (indices, from 0,
    of the segment and of its Taylor step where the replay failed); None when not applicable.
    """

    def __init__(self, message: str, *, obligation: str | None = None,
                 segment: int | None = None, step: int | None = None) -> None:
        super().__init__(message)
        self.obligation, self.segment, self.step = obligation, segment, step


class NotACertificate(Rejected):
    """The input is unreadable, not JSON, or not an igproof certificate at all."""
