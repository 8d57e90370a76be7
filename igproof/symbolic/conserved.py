"""Standard conserved quantities of gradient flow for positively homogeneous activations.

For sigma with sigma(z) = z sigma'(z) (relu with relu'(0) = 0, leaky relu, linear) the flow
conserves a^2 - |w|^2 for one neuron and |w_j|^2 - v_j^2 for each unit of a two-layer network
(SPEC.md section 1), |w_j|^2 + b_j^2 - v_j^2 with biases (b_j is the weight of a constant
input 1); a free skip part u.x + c adds no law. :meth:`GradientFlow.conservation` decides
whether it holds for a given flow.
"""

from __future__ import annotations

import sympy

from igproof.errors import InvalidArgument
from igproof.symbolic.models import Model

__all__ = ["balancedness", "norm_difference"]


def norm_difference(model: Model) -> sympy.Expr:
    """Q = a^2 - |w|^2 (minus b^2 with a bias: b is the weight of a constant input 1).

    Only for ``neuron`` models. Guarantee: exact.
    """
    if not isinstance(model, Model) or model.kind != "neuron":
        kind = getattr(model, "kind", type(model).__name__)
        raise InvalidArgument(f"model: norm_difference is defined for the 'neuron' model "
                              f"a*sigma(w.x [+ b]), got {kind!r}")
    a, *rest = model.parameters
    return a**2 - sympy.Add(*[p**2 for p in rest])


def balancedness(model: Model) -> list[sympy.Expr]:
    """Q_j = |w_j|^2 [+ b_j^2] - v_j^2 for each unit j of a ``two-layer`` model (the bias term
    with ``bias=True``; the skip parameters u, c do not enter). Guarantee: exact."""
    if not isinstance(model, Model) or model.kind != "two-layer":
        kind = getattr(model, "kind", type(model).__name__)
        raise InvalidArgument(f"model: balancedness is defined for the 'two-layer' model "
                              f"sum_j v_j sigma(w_j.x), got {kind!r}")
    m, d = model.width, model.dim
    v = model.parameters[:m]
    w = model.parameters[m:m + m * d]
    b = model.parameters[m + m * d:2 * m + m * d] if model.bias else (sympy.S.Zero,) * m
    return [sympy.Add(*[p**2 for p in w[j * d:(j + 1) * d]]) + b[j]**2 - v[j]**2
            for j in range(m)]
