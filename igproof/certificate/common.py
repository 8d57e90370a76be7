"""What every certificate writer shares: header, model text, exact square roots, ``recheck``.

A certificate is ``header(kind, producer, model=..., datasets=..., theta0=...)`` followed by a
``statement`` (:func:`statement`) and the ``obligations``. The model's output is written in the
safe expression language by :func:`model_text`; radii are bounded above by :func:`sqrt_up`.
:func:`recheck` runs the independent checker on the certificate's canonical text, as a file
would be read.

This module is the producer package's one door to the checker: no other producer module
imports :mod:`igproof.checker`, and this one imports only its public names (tests/test_layers.py).
It re-exports the checker's own arithmetic (``expr``, ``Interval``, ``krawczyk_ball``, ...) for
producers that choose hints by predicting what the checker will accept; the checker decides.
"""

from __future__ import annotations

import json
import math
import time
from fractions import Fraction
from typing import Any

import sympy

from igproof.certificate.writer import dumps_certificate
from igproof.checker import (  # the checker's public API (igproof/checker/__init__.py)
    FORMAT,
    INTERPOLATION_KIND,
    ISOLATED_CLAIM,
    LOSS_FORMULA,
    MAX_FILE_BYTES,
    MAX_INTERVALS,
    MAX_OBLIGATIONS,
    MAX_SEGMENTS,
    MAX_TAYLOR_ORDER,
    SWITCHES_KIND,
    FieldProgram,
    Interval,
    NotACertificate,
    Rejected,
    Report,
    certainly_positive_definite,
    check_bytes,
    expr,
    joint_field,
    krawczyk_ball,
    smooth_residuals,
    statement_text,
)
from igproof.checker import sqrt_upper as checker_sqrt_upper
from igproof.errors import CertificateError
from igproof.verdict import Outcome, Verdict

substitute, relu_atoms = expr.substitute, expr.relu_atoms

__all__ = [
    "FORMAT",
    "INTERPOLATION_KIND",
    "ISOLATED_CLAIM",
    "LOSS_FORMULA",
    "MAX_FILE_BYTES",
    "MAX_INTERVALS",
    "MAX_OBLIGATIONS",
    "MAX_SEGMENTS",
    "MAX_TAYLOR_ORDER",
    "SWITCHES_KIND",
    "FieldProgram",
    "Interval",
    "NotACertificate",
    "Rejected",
    "Report",
    "certainly_positive_definite",
    "certify",
    "check_limits",
    "checker_sqrt_upper",
    "dist2_to_box",
    "expr",
    "far2_to_box",
    "header",
    "joint_field",
    "krawczyk_ball",
    "model_json",
    "model_text",
    "plain",
    "recheck",
    "rejection",
    "relu_atoms",
    "smooth_residuals",
    "sqrt_up",
    "statement",
    "substitute",
]

# Bits of :func:`sqrt_up`'s default grid: 2^-200 is far below every radius igproof claims, and
# the shipped gf-limit certificates were written with it (their radii depend on it).
SQRT_BITS = 200
# The certificate format version this package writes.
VERSION = 1


def header(kind: str, producer: str, *, model: dict[str, Any] | None = None,
           datasets: dict[str, Any] | None = None,
           theta0: list[Fraction] | None = None) -> dict[str, Any]:
    """{format, version, kind, producer[, model, loss][, datasets][, theta0]}: the fields before
    the statement, in the order every certificate writes them (the square loss goes with the
    model; the minnorm-interpolation kind has neither)."""
    out: dict[str, Any] = {"format": FORMAT, "version": VERSION, "kind": kind,
                           "producer": producer}
    if model is not None:
        out["model"] = model
        out["loss"] = {"name": "square", "formula": LOSS_FORMULA}
    if datasets is not None:
        out["datasets"] = datasets
    if theta0 is not None:
        out["theta0"] = list(theta0)
    return out


def statement(kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    """{"text": the checker's canonical words for ``fields``, **fields} (the words name each
    limit's dataset only, never its ball)."""
    return {"text": statement_text(kind, fields), **fields}


def model_text(e: sympy.Expr) -> str:
    """sympy -> the safe expression language (names, rationals, + *, integer powers, relu,
    tanh, exp), every sum, product and power parenthesized.

    Raises CertificateError for anything else.

    >>> a, w = sympy.symbols("a w")
    >>> model_text(a * w - sympy.Rational(1, 2))
    '((-1/2) + (a*w))'
    """
    if e.is_Symbol:
        return str(e)
    if e.is_Integer:
        return f"({int(e)})" if e < 0 else str(int(e))
    if e.is_Rational:
        return f"({int(e.p)}/{int(e.q)})"
    if e.is_Add:
        return "(" + " + ".join(model_text(a) for a in e.args) + ")"
    if e.is_Mul:
        return "(" + "*".join(model_text(a) for a in e.args) + ")"
    if e.is_Pow and e.args[1].is_Integer:
        return f"({model_text(e.args[0])})^{int(e.args[1])}"
    name = type(e).__name__
    if name in ("relu", "tanh", "exp") and len(e.args) == 1:
        return f"{name}({model_text(e.args[0])})"
    raise CertificateError(f"certificate: cannot write {e} in the safe expression language")


def model_json(parameters: list[str], inputs: list[str], output: str) -> dict[str, Any]:
    """The certificate's ``model`` object (relu'(0) = 0, the convention of igproof's flows)."""
    return {"parameters": list(parameters), "inputs": list(inputs), "output": output,
            "relu_derivative_at_zero": "0"}


def sqrt_up(q: Fraction, bits: int = SQRT_BITS) -> Fraction:
    """ceil(sqrt(q) 2^bits) / 2^bits: an exact rational >= sqrt(q) (0 for q <= 0)."""
    if q <= 0:
        return Fraction(0)
    scale = 2 ** bits
    return Fraction(math.isqrt(q.numerator * scale * scale // q.denominator) + 1, scale)


def plain(cert: dict[str, Any]) -> Any:
    """The certificate as a file holds it: its canonical JSON text, read back."""
    return json.loads(dumps_certificate(cert))


def recheck(cert: dict[str, Any]) -> Report:
    """The independent checker's report on ``cert``'s canonical text (as ``igproof check``
    would read the file)."""
    return check_bytes(dumps_certificate(cert).encode("utf-8"))


def rejection(report: Report) -> str:
    """Why a report is not an acceptance: "<id>: <reason>" of the first rejected obligation,
    else the certificate-level error or conclusion."""
    failed = [o for o in report.obligations if o["status"] != "accepted"]
    if failed:
        return f"{failed[0]['id']}: {failed[0]['reason']}"
    return report.error or report.conclusion or "rejected"


def check_limits(cert: dict[str, Any]) -> str:
    """The certificate's canonical text, after checking the checker's published limits: file
    size (MAX_FILE_BYTES), obligations (MAX_OBLIGATIONS), and per trajectory obligation the
    segments (MAX_SEGMENTS), steps or time intervals per segment (MAX_INTERVALS) and Taylor
    orders (MAX_TAYLOR_ORDER). Raises CertificateError naming the limit, before anything is
    written: a producer never writes a file the checker refuses for its size."""
    obligations = cert.get("obligations", [])
    if len(obligations) > MAX_OBLIGATIONS:
        raise CertificateError(f"certificate: {len(obligations)} obligations, the checker "
                               f"accepts at most {MAX_OBLIGATIONS}")
    for ob in obligations:
        if ob.get("type") != "trajectory":
            continue
        segments = ob.get("segments", [])
        if len(segments) > MAX_SEGMENTS:
            raise CertificateError(f"certificate: obligation {ob.get('id')} has "
                                   f"{len(segments)} segments, the checker accepts at most "
                                   f"{MAX_SEGMENTS}")
        for k, seg in enumerate(segments):
            count = len(seg.get("steps", seg.get("intervals", ())))
            if count > MAX_INTERVALS:
                raise CertificateError(f"certificate: obligation {ob.get('id')} segment {k} has "
                                       f"{count} steps, the checker accepts at most "
                                       f"{MAX_INTERVALS} per segment")
            for key in ("order", "sensitivity_order"):
                if key in seg and seg[key] > MAX_TAYLOR_ORDER:
                    raise CertificateError(f"certificate: obligation {ob.get('id')} segment "
                                           f"{k} has Taylor {key} {seg[key]}, the checker "
                                           f"accepts at most {MAX_TAYLOR_ORDER}")
    text = dumps_certificate(cert)
    size = len(text.encode("utf-8"))
    if size > MAX_FILE_BYTES:
        raise CertificateError(f"certificate: {size} bytes, the checker reads at most "
                               f"{MAX_FILE_BYTES}")
    return text


def certify(cert: dict[str, Any], *, evidence: str,
            details: dict[str, Any] | None = None) -> Outcome:
    """PROVED with the certificate as a file holds it (numbers as "p/q" strings) when the
    independent checker accepts ``cert`` (:func:`recheck`); INCONCLUSIVE with the checker's
    reason otherwise (never a stronger verdict than the checker's)."""
    started = time.perf_counter()
    report = recheck(cert)
    info = dict(details or {})
    info["checker_seconds"] = f"{time.perf_counter() - started:.2f}"
    info["obligations"] = [f"{o['id']}: {o['status']}" for o in report.obligations]
    if report.accepted:
        return Outcome(Verdict.PROVED, f"{evidence}; checker: {report.conclusion}", info,
                       certificate=plain(cert))
    reason = rejection(report)
    info["checker_reason"] = reason
    return Outcome(Verdict.INCONCLUSIVE, f"certificate not accepted by the checker: {reason}",
                   info)

Box = list[tuple[Fraction, Fraction]]


def dist2_to_box(point: list[Fraction], b: Box) -> Fraction:
    """min over the box of |theta - point|^2, exactly (the nearest point of the box)."""
    total = Fraction(0)
    for c, (lo, hi) in zip(point, b, strict=True):
        d = lo - c if c < lo else c - hi if c > hi else Fraction(0)
        total += d * d
    return total


def far2_to_box(point: list[Fraction], b: Box) -> Fraction:
    """max over the box of |theta - point|^2, exactly (the farthest corner)."""
    return sum((max(abs(lo - c), abs(hi - c)) ** 2 for c, (lo, hi) in zip(point, b, strict=True)),
               Fraction(0))
