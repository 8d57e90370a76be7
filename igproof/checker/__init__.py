"""The independent checker: Python standard library only (see docs/certificates.md).

It re-reads a certificate, re-derives residuals and gradients from the certificate's own
expressions, and decides every obligation by exact rational arithmetic or outward-rounded
interval arithmetic (:class:`Interval`). It imports nothing from igproof outside
``igproof.checker``. Kinds and obligation types are the literal tables :data:`KINDS` and
:data:`OBLIGATIONS` of :mod:`igproof.checker.kernel`.

The public API is ``__all__`` below; producers import only these names. ``expr`` (the
expression language: parse, sub, evaluate, evaluate_exact, gradient, substitute, relu_atoms),
``Interval``, ``sqrt_upper``, ``certainly_positive_definite`` and ``krawczyk_ball`` are the
checker's own arithmetic, for producers that must predict acceptance exactly. The MAX_*
names are the checker's published limits (file size, obligations, segments and steps per
trajectory obligation, Taylor order, expression size): producers respect them before writing.
``clear_memo`` empties the per-process replay memo and constant caches (benchmarks time cold
checks with it).
"""

from igproof.checker import expr
from igproof.checker.context import (
    FORMAT,
    INTERPOLATION_KIND,
    ISOLATED_CLAIM,
    LOSS_FORMULA,
    SWITCHES_KIND,
    VERSIONS,
)
from igproof.checker.errors import NotACertificate, Rejected
from igproof.checker.expr import MAX_EXPR_CHARS, MAX_NODES
from igproof.checker.intervals import Interval, sqrt_upper
from igproof.checker.isolated import krawczyk_ball
from igproof.checker.kernel import (
    KINDS,
    MAX_FILE_BYTES,
    MAX_OBLIGATIONS,
    OBLIGATIONS,
    Report,
    check_bytes,
    check_certificate,
    check_file,
    load_text,
    statement_text,
)
from igproof.checker.obligations import certainly_positive_definite
from igproof.checker.trajectory import (
    MAX_INTERVALS,
    MAX_SEGMENTS,
    MAX_TAYLOR_ORDER,
    FieldProgram,
    clear_memo,
    joint_field,
    smooth_residuals,
)

__all__ = [
    "FORMAT",
    "INTERPOLATION_KIND",
    "ISOLATED_CLAIM",
    "KINDS",
    "LOSS_FORMULA",
    "MAX_EXPR_CHARS",
    "MAX_FILE_BYTES",
    "MAX_INTERVALS",
    "MAX_NODES",
    "MAX_OBLIGATIONS",
    "MAX_SEGMENTS",
    "MAX_TAYLOR_ORDER",
    "OBLIGATIONS",
    "SWITCHES_KIND",
    "VERSIONS",
    "FieldProgram",
    "Interval",
    "NotACertificate",
    "Rejected",
    "Report",
    "certainly_positive_definite",
    "check_bytes",
    "check_certificate",
    "check_file",
    "clear_memo",
    "expr",
    "joint_field",
    "krawczyk_ball",
    "load_text",
    "smooth_residuals",
    "sqrt_upper",
    "statement_text",
]
