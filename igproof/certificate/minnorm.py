"""The ``minnorm-interpolation`` certificate of a minimal-norm bracket (docs/minnorm.md).

The certificate states "the minimal cost of interpolating (x, y) with the weight lies in
[lower_bound, upper_bound]" and carries one ``minnorm-dual`` obligation: the dual function phi
(lower bound by weak duality) and the explicit interpolant's kinks (upper bound); ``igproof
check`` re-verifies both in exact rationals.
"""

from __future__ import annotations

from typing import Any

from igproof.certificate.common import INTERPOLATION_KIND, header, statement
from igproof.proof.minnorm.interpolator import MinNormResult
from igproof.rationals import fraction_to_text

__all__ = ["minnorm_obligation"]

# The ``producer`` field of the certificate.
PRODUCER = "igproof minnorm (exact primal cost and dual bound)"


def minnorm_obligation(result: MinNormResult) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the ``minnorm-dual`` obligation, the ``minnorm-interpolation`` certificate) of ``result``.

    ``obligation`` is the bare ``minnorm-dual`` object (with its own ``x``, ``y``);
    ``certificate`` the JSON object whose ``data`` holds ``{"x": [...], "y": [...]}`` and whose
    statement bounds the minimal cost by [lower_bound, upper_bound].
    """
    data = {"x": [fraction_to_text(v) for v in result.x],
            "y": [fraction_to_text(v) for v in result.y]}
    weight = "sqrt(1+x^2)" if result.penalised_bias else "1"
    obligation = {
        "type": "minnorm-dual",
        "x": data["x"],
        "y": data["y"],
        "weight": weight,
        "phi": [fraction_to_text(v) for v in result.dual_phi],
        "lower_bound": fraction_to_text(result.lower_bound),
        "kinks": [{"at": fraction_to_text(k.at), "jump": fraction_to_text(k.jump)}
                  for k in result.kinks],
        "upper_bound": fraction_to_text(result.upper_bound),
    }
    bounds = {"weight": weight, "lower": obligation["lower_bound"],
              "upper": obligation["upper_bound"]}
    certificate = {
        **header(INTERPOLATION_KIND, PRODUCER),
        "data": data, "statement": statement(INTERPOLATION_KIND, bounds),
        "obligations": [{"id": "dual", **obligation}],
    }
    return obligation, certificate
