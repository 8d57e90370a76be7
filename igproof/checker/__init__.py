"""The independent checker: Python standard library only (see docs/certificates.md).

It re-reads a certificate, re-derives residuals and gradients from the certificate's own
expressions, and decides every obligation by exact rational arithmetic or outward-rounded
rational interval arithmetic. It imports nothing from igproof outside ``igproof.checker``.

Obligation types live in a registry (:mod:`igproof.checker.registry`); the built-in ones are
in :mod:`igproof.checker.obligations`, imported below. Modules adding types are imported here too.
"""

from igproof.checker import isolated as _isolated  # registers "isolated-endgame", "-contain"
from igproof.checker import minnorm as _minnorm  # registers "minnorm-dual"
from igproof.checker import nuclear as _nuclear  # registers the kind "nuclear-gap"
from igproof.checker import obligations as _obligations  # registers the built-in types
from igproof.checker import trajectory as _trajectory  # registers "trajectory"
from igproof.checker.errors import NotACertificate, Rejected
from igproof.checker.kernel import (
    FORMAT,
    KINDS,
    LOSS_FORMULA,
    VERSIONS,
    Report,
    check_bytes,
    check_certificate,
    check_file,
    statement_text,
)
from igproof.checker.registry import OBLIGATIONS, register

__all__ = [
    "FORMAT",
    "KINDS",
    "LOSS_FORMULA",
    "OBLIGATIONS",
    "VERSIONS",
    "NotACertificate",
    "Rejected",
    "Report",
    "check_bytes",
    "check_certificate",
    "check_file",
    "register",
    "statement_text",
]

del _isolated, _minnorm, _nuclear, _obligations, _trajectory
