"""igproof: check theorems about the implicit regularization of neural networks.

The flat public API (``docs/architecture.md``, "Public API"): one dataset type and one model type,
the gradient flow and its limits, the overlap and search certificate producers, the independent
checker, the Hypothesis strategies, verdicts and errors::

    import igproof
    model = igproof.build_model("relu-neuron", dim=2)
    data = igproof.Dataset([[1, 0], [0, 1]], [1, "1/2"])
    flow = igproof.gradient_flow(model, data)
    estimate = igproof.flow_limit(flow, ["1/10", "1/10"])        # SUPPORTED at most
    proved = igproof.prove_flow_limit(flow, ["1/10", "1/10"])     # validated enclosure
    report = igproof.check(igproof.limit_certificate(proved, flow))

Every certificate a public function returns is JSON-ready (numbers as ``"p/q"`` strings, no
``Fraction`` inside): ``json.dumps(certificate)`` works as it is.

The package is layered (``symbolic < numeric < proof < certificate < search < papers < cli``,
with the standard-library-only ``checker`` beside them). Importing ``igproof`` loads only the
verdicts and the errors; every other name is imported on first use (PEP 562 module
``__getattr__``), so that ``igproof --help`` and the checker start without sympy, numpy, mpmath
or flint.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from igproof.errors import (
    CertificateError,
    DataError,
    EnclosureFailure,
    IgproofError,
    InvalidArgument,
    PrecisionError,
    UnsafeExpression,
)
from igproof.verdict import Outcome, Verdict

if TYPE_CHECKING:
    from igproof.checker import Report

from igproof.version import __version__  # a leaf module: any layer may read the version

# Public name -> the module that defines it, imported on first access (these modules pull in
# sympy, numpy, mpmath or flint, which ``import igproof`` must not).
_LAZY: dict[str, str] = {
    "Dataset": "igproof.symbolic.dataset",
    "Model": "igproof.symbolic.models",
    "build_model": "igproof.symbolic.models",
    "gradient_flow": "igproof.symbolic.flow",
    "flow_limit": "igproof.numeric.converge",
    "prove_flow_limit": "igproof.proof.limits.limit",
    "limit_certificate": "igproof.certificate.gf_limit",
    "trajectory_limit": "igproof.certificate.overlap",
    "pl_limit": "igproof.certificate.overlap",
    "two_point_certificate": "igproof.certificate.overlap",
    "one_point_certificate": "igproof.certificate.overlap",
    "certify": "igproof.certificate.common",
    "switches_certificate": "igproof.certificate.switches",
    "search_counterexample": "igproof.search.driver",
    "promote_hit": "igproof.search.promote",
}
# Public submodules, imported on first access.
_SUBMODULES = ("strategies",)
# Producers whose module-level function returns the certificate with ``Fraction`` numbers (the
# form the other producers and the command line compute with): the public name returns it
# JSON-ready, after the writer's canonical round trip (``"p/q"`` strings).
_JSON_READY = ("limit_certificate", "two_point_certificate", "one_point_certificate",
               "switches_certificate", "promote_hit")


def check(certificate: dict[str, Any] | str | bytes) -> Report:
    """Replay a certificate with the independent checker: a parsed dict, or the file's text.

    ``igproof.check(cert).accepted`` is True only when every obligation was replayed and
    accepted; ``.conclusion`` states what was established, ``.error`` why not. Text and bytes
    are read as the checker reads a file (size limits, exact numbers).

    Guarantee: exact (the checker's rational and outward-rounded interval arithmetic).
    """
    # The checker (standard library only, but ~0.2 s to load) is imported on first use so that
    # ``import igproof`` stays light.
    from igproof.checker import check_bytes, check_certificate

    if isinstance(certificate, str):
        return check_bytes(certificate.encode("utf-8"))
    if isinstance(certificate, (bytes, bytearray)):
        return check_bytes(bytes(certificate))
    return check_certificate(certificate)


def json_ready(certificate: dict[str, Any]) -> dict[str, Any]:
    """The certificate as plain JSON data: ``Fraction`` -> ``"p/q"``, tuples -> lists.

    The canonical round trip of :func:`igproof.certificate.writer.dumps_certificate`, so that
    ``json.dumps(json_ready(c))`` is the text a certificate file holds.

    >>> from fractions import Fraction
    >>> json_ready({"theta0": (Fraction(1, 2), Fraction(3))})
    {'theta0': ['1/2', '3']}
    """
    from igproof.certificate.writer import dumps_certificate

    return json.loads(dumps_certificate(certificate))


def _returning_json(producer: Callable[..., Any]) -> Callable[..., Any]:
    """``producer`` with its certificate (the result, or ``result.certificate``) JSON-ready."""

    @functools.wraps(producer)
    def public(*args: Any, **kwargs: Any) -> Any:
        result = producer(*args, **kwargs)
        if isinstance(result, dict):
            return json_ready(result)
        if getattr(result, "certificate", None) is not None:
            return dataclasses.replace(result, certificate=json_ready(result.certificate))
        return result

    return public


def __getattr__(name: str) -> Any:
    """PEP 562: import a heavy public name (or submodule) on first access."""
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        if name in _JSON_READY:
            value = _returning_json(value)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"igproof.{name}")
    else:
        raise AttributeError(f"module 'igproof' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "CertificateError",
    "DataError",
    "Dataset",
    "EnclosureFailure",
    "IgproofError",
    "InvalidArgument",
    "Model",
    "Outcome",
    "PrecisionError",
    "UnsafeExpression",
    "Verdict",
    "__version__",
    "build_model",
    "certify",
    "check",
    "flow_limit",
    "gradient_flow",
    "json_ready",
    "limit_certificate",
    "one_point_certificate",
    "pl_limit",
    "promote_hit",
    "prove_flow_limit",
    "search_counterexample",
    "strategies",
    "switches_certificate",
    "trajectory_limit",
    "two_point_certificate",
]
