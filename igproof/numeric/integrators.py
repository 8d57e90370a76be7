"""The registry of integrator methods: name -> a subclass of PiecewiseIntegrator.

Every method implements one step of d theta/dt = F_pattern(theta) and inherits the piecewise
loop (kink events, switching, counters, stop reasons) from
:class:`igproof.numeric.stepper.PiecewiseIntegrator`; :func:`igproof.numeric.stepper.run` drives
any of them. ``validated`` takes a piece method (:data:`PIECE_METHODS`: the closed-form
``affine`` one, the ``taylor`` one in arb, or ``auto``). The search layer's one-example
Dormand-Prince loop (igproof.search.single_flow) is a method of the same contract but lives in
its layer (above numeric).

Guarantee: as the method: ``float`` and ``mp-taylor`` approximate, ``validated`` enclosure.
"""

from __future__ import annotations

from collections.abc import Mapping

from igproof.numeric.float_flow import FloatIntegrator
from igproof.numeric.mp_flow import MpTaylorIntegrator
from igproof.numeric.stepper import PiecewiseIntegrator
from igproof.numeric.validated import PIECE_METHODS, ValidatedIntegrator

__all__ = ["METHODS", "PIECE_METHODS"]

METHODS: Mapping[str, type[PiecewiseIntegrator]] = {
    "float": FloatIntegrator,
    "mp-taylor": MpTaylorIntegrator,
    "validated": ValidatedIntegrator,
}
