"""When a data-independent G DOES characterize the limit: the conserved-level-set control.

For f(x; a, w) = a * sigma(w x) with a positively homogeneous sigma, the gradient flow of the
square loss conserves Q = a^2 - w^2 for every dataset, so every limit in M_S lies on
{Q = c}, c = a0^2 - w0^2. On a single 1-D datum (x, y) with x != 0, y != 0 the set
M_S ∩ {Q = c} is a single point, hence G = (a^2 - w^2 - c)^2 (G >= 0, G = 0 exactly on {Q = c})
has that point as its unique minimizer on M_S: G characterizes the implicit regularization in
the strong form on this family. This is the positive control of the catalogue: it shows that
igproof does not "refute" everything.

Both steps are exact algebra (sympy), so the verdict is PROVED.
"""

from __future__ import annotations

import sympy

from igproof.errors import InvalidArgument
from igproof.symbolic.activations import relu, relu_step
from igproof.symbolic.exactness import certainly_nonzero
from igproof.symbolic.models import build_model
from igproof.verdict import Outcome, Verdict


def _pieces(expr: sympy.Expr) -> list[sympy.Expr]:
    """The smooth pieces of ``expr``: relu(z) -> z, relu_step -> 1 (active) or both -> 0."""
    if not expr.has(relu, relu_step):
        return [expr]
    active = expr.replace(relu, lambda z: z).replace(relu_step, lambda z: sympy.Integer(1))
    inactive = expr.replace(relu, lambda z: sympy.Integer(0)).replace(
        relu_step, lambda z: sympy.Integer(0))
    return [active, inactive]


def conserved_for_every_datum(activation: str) -> bool:
    """d/dt (a^2 - w^2) = 0 along the flow of a*sigma(w x) on a symbolic datum (x, y).

    The field of a dataset is the mean of the per-datum fields, so conservation for one
    symbolic datum (in every activation pattern) is conservation for every dataset.

    Guarantee: exact (sympy simplification to 0).
    """
    model = build_model("neuron", dim=1, activation=activation)
    y = sympy.Symbol("y", real=True)
    loss = (model.expression - y) ** 2 / 2
    a, w = model.parameters
    q = a**2 - w**2
    lie = sum(sympy.diff(q, p) * -sympy.diff(loss, p) for p in model.parameters)
    return all(_vanishes_identically(piece) for piece in _pieces(sympy.expand(lie)))


# A rational point at which a nonzero Lie derivative is expected to be visibly nonzero; any
# point works for the logic (a nonzero value there is a certified witness of non-conservation).
WITNESS_VALUE = sympy.Rational(3, 7)


def _vanishes_identically(expr: sympy.Expr) -> bool:
    """expr == 0 as a function: exact expansion first, a certified nonzero value, simplify last."""
    expanded = sympy.expand(expr)
    if expanded == 0:
        return True
    point = {s: WITNESS_VALUE * (k + 1) for k, s in enumerate(sorted(expanded.free_symbols,
                                                                     key=str))}
    if certainly_nonzero(expanded.xreplace(point)):
        return False
    return sympy.simplify(expanded) == 0


def level_set_meets_zero_loss_set_once() -> bool:
    """For relu, x != 0, y != 0 and any real c, M_S ∩ {a^2 - w^2 = c} is exactly one point.

    a relu(w x) = y with y != 0 forces w x > 0 and a = y / (w x). On {a^2 - w^2 = c} this gives
    W = w^2 > 0 with W^2 + c W - k = 0, k = (y/x)^2 > 0. The two roots multiply to -k < 0, so
    exactly one is positive; the sign of w is that of x, and a = y/(w x): one point.

    Guarantee: exact (the root-product identity is checked by sympy, not assumed).
    """
    c = sympy.Symbol("c", real=True)
    k = sympy.Symbol("k", positive=True)
    big_w = sympy.Symbol("W")
    w = sympy.Symbol("w", real=True)
    x, y = sympy.symbols("x y", real=True, nonzero=True)
    # Substituting a = y/(w x) into a^2 - w^2 = c and clearing the denominator w^2:
    quadratic = sympy.expand(((y / (w * x)) ** 2 - w**2 - c) * (-w**2))
    poly = sympy.Poly(quadratic.subs(w**2, big_w).subs((y / x) ** 2, k), big_w)
    if poly.degree() != 2 or poly.LC() != 1:
        return False
    roots = sympy.solve(poly.as_expr(), big_w)
    if len(roots) != 2:
        return False
    product = sympy.simplify(roots[0] * roots[1])
    return bool(sympy.simplify(product + k) == 0 and (-k).is_negative)


def conserved_level_set_characterizes(activation: str = "relu") -> Outcome:
    """PROVED when G = (a^2 - w^2 - c)^2 characterizes GF limits of a*sigma(w x), one datum."""
    if activation != "relu":
        raise InvalidArgument(f"activation {activation!r}: the positive control is stated for "
                              "relu (its zero-loss set M_S = {a w x = y, w x > 0})")
    conserved = conserved_for_every_datum(activation)
    unique = level_set_meets_zero_loss_set_once()
    details = {"conserved": conserved, "unique_intersection": unique,
               "G": "(a^2 - w^2 - c)^2", "c": "a0^2 - w0^2"}
    if conserved and unique:
        return Outcome(Verdict.PROVED,
                       "exact: d/dt(a^2 - w^2) = 0 in both relu patterns, and "
                       "M_S ∩ {a^2 - w^2 = c} is one point (root product -(y/x)^2 < 0)",
                       details)
    return Outcome(Verdict.INCONCLUSIVE, "the exact argument failed: "
                   f"conserved={conserved}, unique intersection={unique}", details)
