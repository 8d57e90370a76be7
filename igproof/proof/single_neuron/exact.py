"""Exact facts about the gradient flow of one ReLU neuron relu(w.x) (Lee, Sim, Ye 2022).

For the square loss L(w) = (1/2n) sum_i (relu(w.x_i) - y_i)^2 with relu'(0) = 0 the field is

    F(w) = -grad L(w) = (1/n) sum_i s_i (y_i - u_i) x_i,   u_i = w.x_i,  s_i = [u_i > 0].

Everything here is exact sympy algebra on a symbolic datum (x, y) in R^d; the field of a dataset
is the mean of the per-datum fields, so an identity for one symbolic datum in both activation
states is an identity for every dataset. Every d is covered by :func:`chain_rule_identity` (the
loss depends on w only through the scalar u = w.x); d = 1, 2, 3 are also expanded explicitly.

* :func:`field_in_span_of_active` -- the per-datum field is c(w) x with c = s (y - u): inside an
  activation pattern A, dw/dt lies in span{x_i : i in A}. Integrating over the finitely many
  pattern intervals of [0, t] gives w(t) - w(0) in span{x_i : i active at some time in [0, t]}
  (each interval contributes (int c_i) x_i with i active there; a sum of such vectors stays in
  the span of the union).
* :func:`norm_rate_identity` -- d/dt |w|^2/2 = w.F(w) = (1/n) sum_i s_i (y_i - u_i) u_i.
* :func:`norm_rate_positive_when_underfit` -- each active term (y_i - u_i) u_i is > 0 when
  0 < u_i < y_i, so |w| strictly grows while the active set is nonempty and every active point is
  under-fit.
* :func:`balancedness_conserved` -- for sum_j v_j relu(w_j.x), d/dt (|w_j|^2 - v_j^2) = 0.

Guarantee: exact (sympy expansion to 0 of rational-coefficient polynomials in symbols).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import sympy

from igproof.errors import InvalidArgument
from igproof.symbolic.activations import relu, relu_step
from igproof.symbolic.conserved import balancedness
from igproof.symbolic.models import build_model

__all__ = [
    "balancedness_chain_rule_identity",
    "balancedness_conserved",
    "chain_rule_identity",
    "field_in_span_of_active",
    "norm_rate",
    "norm_rate_identity",
    "norm_rate_positive_when_underfit",
    "pattern_fields_in_span",
]

# Input dimensions for which the symbolic identities are checked. The per-datum computation is
# coordinate-wise, so d = 1, 2, 3 exercise every case of the algebra (a scalar, a cross term
# between coordinates, three coordinates) at negligible cost.
SYMBOLIC_DIMS = (1, 2, 3)


def _datum(d: int) -> tuple[list[sympy.Symbol], sympy.Symbol]:
    xs = list(sympy.symbols(f"x1:{d + 1}", real=True))
    return xs, sympy.Symbol("y", real=True)


# The two activation states of a datum: relu'(0) = 0 puts u = 0 in the inactive state 0.
STATES = (sympy.Integer(0), sympy.Integer(1))


def _states(expr: sympy.Expr, s: sympy.Expr) -> sympy.Expr:
    """relu(z) -> s z and relu_step(z) -> s: s = 1 is the active state, s = 0 the inactive one."""
    return expr.replace(relu, lambda z: s * z).replace(relu_step, lambda z: s)


def _per_datum_field(d: int) -> tuple[list[sympy.Symbol], list[sympy.Symbol], sympy.Symbol,
                                      list[sympy.Expr]]:
    """(w, x, y, F) with F = -grad_w (relu(w.x) - y)^2 / 2 for one symbolic datum."""
    model = build_model("relu-neuron", dim=d)
    w = list(model.parameters)
    x, y = _datum(d)
    f = relu(sum(wi * xi for wi, xi in zip(w, x, strict=True)))
    loss = (f - y) ** 2 / 2
    return w, x, y, [-sympy.diff(loss, wi) for wi in w]


def chain_rule_identity() -> bool:
    """-g'(u) = s (y - u) for g(u) = (relu(u) - y)^2 / 2, in both states s in {0, 1}.

    This is the whole computation for every dimension d: u = w.x is linear in w with
    du/dw_k = x_k, so by the chain rule -d/dw_k g(w.x) = -g'(u) x_k = s (y - u) x_k and
    w.(-grad_w g) = -g'(u) u = s (y - u) u. The explicit checks in d = 1, 2, 3
    (:data:`SYMBOLIC_DIMS`) cross-check the chain-rule step on the library's differentiation.

    Guarantee: exact.
    """
    u = sympy.Symbol("u", real=True)
    y = sympy.Symbol("y", real=True)
    g_prime = sympy.diff((relu(u) - y) ** 2 / 2, u)
    return all(sympy.expand(_states(-g_prime, s) - s * (y - u)) == 0 for s in STATES)


def field_in_span_of_active(dims: Sequence[int] = SYMBOLIC_DIMS) -> bool:
    """-grad_w (relu(w.x) - y)^2/2 = s (y - w.x) x in both states s in {0, 1}.

    Returns True when, for every d in ``dims`` and s = 0 (inactive), s = 1 (active), the
    per-datum field minus s (y - w.x) x expands to the zero vector.

    Guarantee: exact.
    """
    for d in dims:
        w, x, y, field = _per_datum_field(d)
        u = sum(wi * xi for wi, xi in zip(w, x, strict=True))
        for s in STATES:
            for fk, xk in zip(field, x, strict=True):
                if sympy.expand(_states(fk, s) - s * (y - u) * xk) != 0:
                    return False
    return True


def norm_rate_identity(dims: Sequence[int] = SYMBOLIC_DIMS) -> bool:
    """w . (-grad_w (relu(w.x) - y)^2/2) = s (y - u) u, u = w.x, in both states s.

    Summing over the data and dividing by n gives d/dt |w|^2/2 = (1/n) sum_i s_i (y_i - u_i) u_i.

    Guarantee: exact.
    """
    for d in dims:
        w, x, y, field = _per_datum_field(d)
        u = sum(wi * xi for wi, xi in zip(w, x, strict=True))
        for s in STATES:
            rate = sum(wi * _states(fk, s) for wi, fk in zip(w, field, strict=True))
            if sympy.expand(rate - s * (y - u) * u) != 0:
                return False
    return True


def norm_rate_positive_when_underfit() -> bool:
    """(y - u) u > 0 whenever 0 < u < y (an active, under-fit point).

    With u > 0 and g = y - u > 0 as positive symbols, sympy decides (y - u) u = g u > 0 from the
    assumptions alone. Guarantee: exact.
    """
    u, g = sympy.symbols("u g", positive=True)
    term = ((u + g) - u) * u  # y = u + g
    return bool(sympy.expand(term).is_positive)


def balancedness_chain_rule_identity() -> bool:
    """z dL/dz = v dL/dv for L = (v relu(z) + c - y)^2 / 2, in both states.

    This covers every input dimension and width: unit j enters f = sum_k v_k relu(w_k.x) only
    through v_j relu(z_j), z_j = w_j.x, the other units are the constant c, and
    w_j.grad_{w_j} L = z_j dL/dz_j (dz_j/dw_j = x). So d/dt (|w_j|^2 - v_j^2) =
    -2 (z_j dL/dz_j - v_j dL/dv_j) = 0 per datum, hence for every dataset.

    Guarantee: exact.
    """
    v, z, c, y = sympy.symbols("v z c y", real=True)
    loss = (v * relu(z) + c - y) ** 2 / 2
    lie = z * sympy.diff(loss, z) - v * sympy.diff(loss, v)
    return all(sympy.expand(_states(lie, s)) == 0 for s in STATES)


def balancedness_conserved(*, dim: int = 2, width: int = 2) -> bool:
    """d/dt (|w_j|^2 - v_j^2) = 0 for sum_j v_j relu(w_j.x) on a symbolic datum, every pattern.

    Each relu(w_j.x) becomes s_j (w_j.x) with a free symbol s_j (relu_step -> s_j); the Lie
    derivative expands to 0 as a polynomial in the s_j (without using s_j^2 = s_j), hence in
    all 2^width patterns.

    Guarantee: exact.
    """
    model = build_model("two-layer", dim=dim, width=width)
    x, y = _datum(dim)
    f = model.expression.xreplace(dict(zip(model.inputs, x, strict=True)))
    loss = (f - y) ** 2 / 2
    params = list(model.parameters)
    field = [-sympy.diff(loss, p) for p in params]
    signs = sympy.symbols(f"s1:{width + 1}")
    args: list[sympy.Expr] = []
    for atom in sympy.preorder_traversal(f):
        if isinstance(atom, relu) and atom.args[0] not in args:
            args.append(atom.args[0])
    if len(args) != width:
        return False
    mapping_relu = {relu(z): sj * z for z, sj in zip(args, signs, strict=True)}
    mapping_step = {relu_step(z): sj for z, sj in zip(args, signs, strict=True)}
    for q in balancedness(model):
        lie = sum(sympy.diff(q, p) * fp for p, fp in zip(params, field, strict=True))
        lie = lie.xreplace(mapping_step).xreplace(mapping_relu)
        if lie.has(relu, relu_step) or sympy.expand(lie) != 0:
            return False
    return True


def norm_rate(xs: Sequence[Sequence[Any]], ys: Sequence[Any], w: Sequence[Any]) -> Fraction:
    """(1/n) sum_i [u_i > 0] (y_i - u_i) u_i at a rational w: d/dt |w|^2/2 there. Exact."""
    if len(xs) != len(ys) or not xs:
        raise InvalidArgument(f"xs, ys: expected the same positive number of points, got "
                              f"{len(xs)} and {len(ys)}")
    total = Fraction(0)
    for x, y in zip(xs, ys, strict=True):
        u = sum((Fraction(a) * Fraction(b) for a, b in zip(x, w, strict=True)), Fraction(0))
        if u > 0:
            total += (Fraction(y) - u) * u
    return total / len(xs)


def pattern_fields_in_span(flow: Any) -> bool:
    """For a concrete relu-neuron flow: in every pattern, the field is in span{x_i : active}.

    The restricted field of each of the 2^n patterns is projected exactly onto the orthogonal
    complement of the span of its active inputs (sympy rational matrices); every projection must
    be the zero vector. Guarantee: exact.
    """
    import itertools

    kinks = list(flow.kinks)
    params = list(flow.parameters)
    if len(kinks) > 10:
        raise InvalidArgument(f"flow: {len(kinks)} kinks; patterns are enumerated for at "
                              "most 10 kinks (2^10 restricted fields)")
    inputs = [[sympy.diff(z, p) for p in params] for z in kinks]
    for bits in itertools.product((1, -1), repeat=len(kinks)):
        field = sympy.Matrix(flow.restricted(bits).field)
        active = [inputs[k] for k, b in enumerate(bits) if b > 0]
        if not active:
            if any(sympy.expand(f) != 0 for f in field):
                return False
            continue
        basis = sympy.Matrix(active).T  # columns: the active inputs
        complement = basis.T.nullspace()  # vectors orthogonal to every active input
        for v in complement:
            if sympy.expand((v.T * field)[0]) != 0:
                return False
    return True
