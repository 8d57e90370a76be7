"""The single-neuron instances of the catalogue (lee2022, vardi2021): exact data, as records.

Shared by the catalogue checks (:mod:`igproof.papers.checks.single_neuron`) and the
``gf-switches`` certificate producer (:mod:`igproof.certificate.switches`); docs/single_neuron.md
describes each instance.
"""

from __future__ import annotations

from typing import Any

from igproof.symbolic.dataset import Dataset
from igproof.symbolic.flow import GradientFlow, gradient_flow
from igproof.symbolic.models import build_model

# 3-D example of the span claim: x3 is never active from w0, so w(t) - w0 must stay in
# span{x1, x2}, i.e. orthogonal to x1 x x2 = (1, -1, -1).
SPAN_EXAMPLE = {"x": [[1, 1, 0], [1, 0, 1], [0, -1, -1]], "y": [1, 1, 0],
                "theta0": ["1/100", "1/100", "1/100"], "normal": [1, -1, -1]}
# Tolerance of the float check of the span example: DOP853 at rtol 1e-10 on an O(1) trajectory.
SPAN_FLOAT_TOL = 1e-9
# Norm example: two orthogonal label-1 inputs and a label-0 input that is active at the small
# initialization and deactivates.
NORM_DATA = {"x": [[1, 0], [0, 1], [1, -2]], "y": [1, 1, 0]}
SMALL_INIT = ["1/1000", "1/4000"]
LARGE_INIT = ["3", "3"]
# The flows of the norm entry (small initializations; each has label-0 points that switch).
NORM_INSTANCES = {
    "2d": (NORM_DATA, SMALL_INIT),
    "3d-four-points": ({"x": [[1, 0, 0], [0, 1, 1], [1, -1, 0], [-1, 0, 1]], "y": [1, 2, 0, 0]},
                       ["3/1000", "1/1000", "2/1000"]),
    "3d-three-points": ({"x": [[2, 1, 0], [-1, 2, 1], [1, -1, 1]], "y": [1, 2, 0]},
                        ["1/1000", "1/1000", "1/1000"]),
}
# Float fallback of the norm check: near the limit |w|^2 is constant up to the solver error, so
# increments between accepted DOP853 steps (rtol 1e-10) can be ~ -1e-10 |w|^2 (measured: -9e-11
# on a 3-D flow); tolerated: NORM_FLOAT_TOL * max |w|^2, ten times the solver's rtol.
NORM_FLOAT_TOL = 1e-9
# Loss at which the validated enclosure hands over to the end-game in the norm check: large
# enough that the residual signs at T are certain, small enough for the PL end-game to close.
NORM_LOSS_TARGET = "1e-16"
# Reactivation instances found by a float search over small 2-D and 3-D datasets
# (docs/single_neuron.md) and certified here.
# Realizable (teacher w* = (2, -2)); point 2 has label 1.
REACTIVATION_REALIZABLE = {"x": [["1/2", "3/2"], [2, "3/2"], ["-1/2", -1], [0, -2]],
                           "y": [0, 1, 1, 4], "theta0": ["1/2", "-1/2"], "horizon": 40,
                           "teacher": [2, -2]}
# Not realizable; point 2 has label 0.
REACTIVATION_LABEL0 = {"x": [[-1, "3/2"], ["3/2", 2], [-2, "-1/2"]], "y": [2, 0, "3/2"],
                       "theta0": [0, "1/4"], "horizon": 20}
# Realizable in R^3 (teacher w* = (0, -1/2, 3/4) fits all three points); point 2 has label 0.
REACTIVATION_LABEL0_REALIZABLE = {"x": [["-3/2", "1/2", 0], [-1, 1, "1/2"], ["-3/2", 1, 1]],
                                  "y": [0, 0, "1/4"], "theta0": ["-3/4", 0, 0], "horizon": 10,
                                  "teacher": [0, "-1/2", "3/4"]}
REACTIVATION_INSTANCES = (("realizable", REACTIVATION_REALIZABLE),
                          ("label0", REACTIVATION_LABEL0),
                          ("label0_realizable", REACTIVATION_LABEL0_REALIZABLE))
# Horizon of the float run that reports the limit loss of the realizable reactivation instance.
REACTIVATION_FLOAT_T = 400.0


def relu_neuron_flow(data: dict[str, Any]) -> GradientFlow:
    """The gradient flow of relu(w.x) on the instance's data ``{"x": ..., "y": ...}``."""
    return gradient_flow(build_model("relu-neuron", dim=len(data["x"][0])),
                         Dataset(data["x"], data["y"]))
