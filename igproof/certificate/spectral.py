"""Certificates for spectral networks / matrix sensing: the ``nuclear-gap`` certificate.

:func:`nuclear_certificate` writes the gf-limit certificate of a proved reduced limit (the
existing writer, :func:`igproof.certificate.gf_limit.limit_certificate`), decides minimality
on the certificate's own (enlarged) ball with :func:`igproof.proof.spectral.nuclear.
decide_minimality`, embeds both in a ``nuclear-gap`` certificate (igproof/checker/nuclear.py),
and re-checks the JSON text through the producer's door to the checker
(:func:`igproof.certificate.common.recheck`) before returning it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from igproof.certificate.common import Report, recheck, rejection
from igproof.certificate.gf_limit import limit_certificate
from igproof.certificate.writer import dumps_certificate
from igproof.errors import CertificateError
from igproof.proof.spectral.nuclear import MinimalityDecision, decide_minimality, l1_minimum
from igproof.proof.spectral.reduced import ReducedProblem
from igproof.verdict import Verdict

PRODUCER = "igproof.certificate.spectral (gf-limit + exact l1 duality)"
# The certificate kind checked by igproof/checker/nuclear.py.
KIND = "nuclear-gap"


def statement_text(n: int, m: int, activation: str, claim: str, minimum: Fraction) -> str:
    """The canonical words of a nuclear-gap statement (the checker rebuilds and compares them)."""
    verb = "is" if claim == "minimal" else "is not"
    q = str(minimum.numerator) if minimum.denominator == 1 else \
        f"{minimum.numerator}/{minimum.denominator}"
    return (f"The gradient-flow limit X_inf = Phi diag({activation}(u v)) Psi^T of the "
            f"well-specified matrix-sensing problem (n = {n}, m = {m}) {verb} a "
            f"minimal-nuclear-norm solution of the measurements (minimum {q}).")


@dataclass(frozen=True)
class NuclearCertificate:
    """The certificate object, the decision made on its ball, and the checker's report."""

    certificate: dict[str, Any]
    decision: MinimalityDecision
    report: Report
    text: str


def nuclear_certificate(problem: ReducedProblem, result: Any, flow: Any) -> NuclearCertificate:
    """The nuclear-gap certificate for a PROVED reduced limit ``result`` of ``flow``.

    Raises CertificateError when the decision on the certificate's ball is INCONCLUSIVE or the
    checker rejects the certificate (nothing is claimed then).
    """
    limit = limit_certificate(result, flow)
    (ball,) = limit["statement"]["limits"].values()
    centre = [Fraction(c) for c in ball["center"]]
    radius = Fraction(ball["radius"])
    solution = l1_minimum(problem.A, problem.y)
    decision = decide_minimality(problem.A, problem.y, centre, radius, problem.activation,
                                 solution)
    if decision.verdict not in (Verdict.PROVED, Verdict.REFUTED):
        raise CertificateError(f"certificate: minimality undecided on the certificate's ball "
                               f"({decision.evidence})")
    claim = "minimal" if decision.verdict is Verdict.PROVED else "not-minimal"
    evidence: dict[str, Any] = {"mode": decision.mode, "d_star": list(solution.d),
                                "lambda": list(solution.lam), "minimum": solution.value}
    if decision.mode == "gap":
        assert decision.gap_lower is not None
        evidence["gap"] = _round_down(decision.gap_lower)
    if decision.mode == "kkt":
        assert decision.signs is not None and decision.lam is not None
        evidence["signs"] = list(decision.signs)
        evidence["lambda_kkt"] = list(decision.lam)
    cert = {"format": "igproof-certificate", "version": 1, "kind": KIND, "producer": PRODUCER,
            "problem": {"A": [list(r) for r in problem.A], "y": list(problem.y),
                        "activation": problem.activation},
            "limit": limit,
            "statement": {"text": statement_text(problem.n, problem.m, problem.activation, claim,
                                                 solution.value),
                          "claim": claim},
            "evidence": evidence}
    text = dumps_certificate(cert)
    report = recheck(json.loads(text))
    if not report.accepted:
        raise CertificateError(f"certificate: the checker rejects the nuclear-gap certificate: "
                               f"{rejection(report)}")
    return NuclearCertificate(cert, decision, report, text)


def _round_down(q: Fraction) -> Fraction:
    """A short rational in (0, q] (q > 0): the gap the certificate claims."""
    for digits in (6, 12, 24):
        r = Fraction(int(q * 10 ** digits), 10 ** digits)
        if r > 0:
            return r
    return q


def prove_and_certify(problem: ReducedProblem) -> NuclearCertificate:
    """Prove the reduced limit of ``problem`` and build its nuclear-gap certificate.

    Raises CertificateError when the limit is not PROVED or the certificate is not accepted.
    """
    from igproof.proof.spectral.reduced import prove_reduced_limit

    flow, result = prove_reduced_limit(problem)
    if result.verdict is not Verdict.PROVED:
        raise CertificateError(f"certificate: the limit is not proved ({result.reason})")
    return nuclear_certificate(problem, result, flow)


def shipped() -> dict[str, ReducedProblem]:
    """File name -> instance of the certificates shipped under certificates/."""
    from igproof.proof.spectral import instances

    return {"chu2024-not-minimal.json": instances.GAP,
            "chu2024-kkt-minimal.json": instances.KKT}


def write_shipped(directory: str) -> list[str]:
    """Write the shipped chu2024 certificates (deterministic: same bytes on every run)."""
    from pathlib import Path

    from igproof.atomic import write_text_atomic

    written = []
    for name, problem in shipped().items():
        path = Path(directory) / name
        write_text_atomic(path, prove_and_certify(problem).text)
        written.append(str(path))
    return written


if __name__ == "__main__":  # python -m igproof.certificate.spectral certificates
    import sys

    for p in write_shipped(sys.argv[1] if len(sys.argv) > 1 else "certificates"):
        print(p)
