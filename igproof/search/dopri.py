"""Dormand–Prince 5(4) for the search's float surrogate: the tableau and the step control.

Shared by the batched loop (:mod:`igproof.search.surrogate`) and the one-example path
(:mod:`igproof.search.single_flow`), which run the same method with the same tolerances and
stop rules. The tableau is exact (rationals) and converted to float once.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

# Default relative tolerance: 1e-9 keeps float limits ~1e-8 accurate, far below the violation
# threshold used by the search (1e-3), while costing about 2x the steps of rtol = 1e-6.
RTOL = 1e-9
# Absolute tolerance as a fraction of |theta0|_inf: resolves initializations down to 1e-6.
ATOL_SCALE = 1e-9
# Converged when rms residual <= RESIDUAL_TOL * label scale: the remaining arc length is then of
# the order of RESIDUAL_TOL times the conditioning of the residual Jacobian.
RESIDUAL_TOL = 1e-8
# Stationary (converging to a critical point off M_S) when |grad L| <= STATIONARY_TOL * rms
# residual * rms |x|: the gradient has become negligible against the residual it comes from.
# Near the saddle at an initialization of scale 1e-6 the ratio is about 1e-6 |x|, so 1e-8 does
# not stop a flow that is about to escape.
STATIONARY_TOL = 1e-8
# Float noise floor: when the loss has not decreased for STALL_STEPS accepted steps in a row,
# the flow sits at the rounding/tolerance floor; it counts as converged if the rms residual is
# below NOISE_RESIDUAL_TOL * label scale (large initializations: atol ~ 1e-9 |theta0| limits the
# residual to about that), and as stalled otherwise.
STALL_STEPS = 12
NOISE_RESIDUAL_TOL = 1e-6
# Time horizon: escaping the saddle at a 1e-6 initialization takes t ~ log(1e6)/rate; 1e7 leaves
# room for rates down to 1e-6 while max_steps bounds the work.
T_MAX = 1e7
# Steps per flow: well-conditioned single-neuron flows need 100-600 steps at RTOL.
MAX_STEPS = 4000
# Step-size controller: the usual safety factor and growth limits for a 5th-order pair.
SAFETY = 0.9
FACTOR_MIN = 0.2
FACTOR_MAX = 10.0
# A step shorter than this fraction of max(1, t) is numerical noise: stop as step-underflow.
H_MIN_REL = 1e-14

STATUSES = ("running", "converged", "stationary", "t-max", "max-steps", "step-underflow",
            "stalled")

_F = Fraction
# Dormand–Prince 5(4): exact rational tableau, converted to float once.
_A = [
    [],
    [_F(1, 5)],
    [_F(3, 40), _F(9, 40)],
    [_F(44, 45), _F(-56, 15), _F(32, 9)],
    [_F(19372, 6561), _F(-25360, 2187), _F(64448, 6561), _F(-212, 729)],
    [_F(9017, 3168), _F(-355, 33), _F(46732, 5247), _F(49, 176), _F(-5103, 18656)],
]
_B5 = [_F(35, 384), _F(0), _F(500, 1113), _F(125, 192), _F(-2187, 6784), _F(11, 84), _F(0)]
_B4 = [_F(5179, 57600), _F(0), _F(7571, 16695), _F(393, 640), _F(-92097, 339200),
       _F(187, 2100), _F(1, 40)]
A_TABLEAU = [[float(v) for v in row] for row in _A]
B5 = [float(v) for v in _B5]
E54 = [float(b5 - b4) for b5, b4 in zip(_B5, _B4, strict=True)]
A_TABLEAU = [np.array(row) for row in A_TABLEAU]
B5_ARRAY = np.array(B5)
E54_ARRAY = np.array(E54)
