"""Small sweep configs shared by the sweep tests: the Vardi-Shamir family on a few points.

The family (SPEC.md section 2): relu(w . x) in R^3 on x1 = (3, -1, 0), y1 = 16; x2 = (4, 2, 0),
y2 = 18; x3 = (0, g, g), y3 = 0, from theta0 = s (1, 1, 1). The limit fits x1 and x2 exactly,
so its first two coordinates solve 3 w1 - w2 = 16, 4 w1 + 2 w2 = 18: w1 = 5, w2 = -1 (the
closed-form oracle); w3 depends on g and s (the high-precision integrator is the oracle).
"""

from __future__ import annotations

import pytest

SMALL = """
[sweep]
name = "small gamma family"
chunk = 2

[parameters]
gamma = { log = [0.5, 8], n = 3 }
init = ["1e-6", "1/100"]

[model]
kind = "relu-neuron"
dim = 3

[data]
x = [["3", "-1", "0"], ["4", "2", "0"], ["0", "gamma", "gamma"]]
y = ["16", "18", "0"]

[init]
direction = ["1", "1", "1"]
scale = "init"

[diagnostics]
candidate = "l2"
reference = { gamma = 0 }

[phase]
x = "gamma"
y = "init"
value = "distance"
"""


@pytest.fixture
def small_text() -> str:
    return SMALL


@pytest.fixture
def small_config():
    from igproof.sweep.config import parse_config

    return parse_config(SMALL)
