"""The checker's one error class."""

from __future__ import annotations


class Rejected(Exception):
    """A certificate (or one obligation of it) is rejected; the message names the offending
    field or token and says why, in one line."""


class NotACertificate(Rejected):
    """The input is unreadable, not JSON, or not an igproof certificate at all."""
