"""Picard boxes that fit the checker's own field: Y0 + [0, h] G(T) inside T, G as re-derived.

The prover verifies each Taylor step's a priori (Picard) box T with its own field, simplified by
sympy; the checker re-derives the field from the certificate's expressions without cancelling
(F_u = (r_0 - r_1)/2 keeps c - c when both residuals hold a free constant c), so its interval
image Y0 + [0, h] G(T) can be wider than the prover's and leave T (two-layer --bias --skip on
data of both signs: rejected at the first step). This module builds the field the way the
checker does, with the checker's expression constructors (``common.expr``: the same
substitution of the pattern into the residuals, the same -1/n sum r grad r, the same joint
(theta, V) system), evaluates it in the checker's own interval arithmetic (``common.Interval``,
the operation shapes of its Taylor replay), and enlarges T until the image lies inside it.

The start set Y0 is the prover's hull widened by its largest radius (the checker's Lohner set,
with compact coordinate matrices, is slightly wider than the prover's); the image must fit with
a margin. Hints only: the checker decides.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from flint import arb

from igproof.certificate.common import Interval, expr
from igproof.errors import CertificateError
from igproof.numeric.ball.arith import arb_radius_fraction, arb_to_fraction

# Enlargements tried per step: T <- hull(T, image) widened by FIT_INFLATION times the image's
# radius on each side. It converges in 1-2 rounds when h times the Lipschitz constant of the
# uncancelled field is well below 1 (else gf_limit cuts the step); the prover's own factor 3
# (lohner.APRIORI_INFLATION) made the wide V entries of a bias+skip flow grow faster than T.
FIT_ROUNDS = 6
FIT_INFLATION = Fraction(1)
# The image must fit with this fraction of its radius to spare on each side (the checker's X
# is the Lohner set c + A r, not the prover's hull).
FIT_MARGIN = Fraction(1, 16)


def _substitute(node: tuple, mapping: dict[tuple, tuple]) -> tuple:
    """relu(z) -> mapping[z] (after substituting inside z), rebuilt with the checker's
    constructors (the checker's trajectory.Pattern does the same)."""
    tag = node[0]
    if tag in ("num", "var"):
        return node
    if tag == "neg":
        return expr.neg(_substitute(node[1], mapping))
    if tag == "pow":
        return ("pow", _substitute(node[1], mapping), node[2])
    if tag == "call":
        if node[1] == "relu":
            if node[2] not in mapping:
                raise CertificateError("certificate: a relu argument is not among the atoms")
            return mapping[node[2]]
        return ("call", node[1], _substitute(node[2], mapping))
    a, b = _substitute(node[1], mapping), _substitute(node[2], mapping)
    return {"add": expr.add, "sub": expr.sub, "mul": expr.mul, "div": expr.div}[tag](a, b)


def joint_field(params: list[str], residuals: list[tuple], signs: list[int]) -> list[tuple]:
    """The checker's joint field of pattern ``signs``: F = -(1/n) sum_i r_i grad r_i (p
    components), then (DF V)_ij = sum_k dF_i/dtheta_k V_kj (p^2 components, V_kj named _V{kp+j})."""
    atoms = expr.relu_atoms(residuals)
    mapping = {z: (z if s > 0 else expr.ZERO) for z, s in zip(atoms, signs, strict=True)}
    smooth = [_substitute(r, mapping) for r in residuals]
    n, p = len(residuals), len(params)
    field = []
    for name in params:
        total = expr.ZERO
        for r in smooth:
            total = expr.add(total, expr.mul(r, expr.diff(r, name)))
        field.append(expr.mul(("num", Fraction(-1, n)), total))
    joint = list(field)
    jac = [[expr.diff(f, q) for q in params] for f in field]
    for i in range(p):
        for j in range(p):
            total = expr.ZERO
            for k in range(p):
                total = expr.add(total, expr.mul(jac[i][k], ("var", f"_V{k * p + j}")))
            joint.append(total)
    return joint


class FieldProgram:
    """ASTs as a DAG (structurally equal nodes once) evaluated in the checker's own interval
    arithmetic (``common.Interval``) with its operation shapes (the checker's
    trajectory._Program): division only by constants (times the reciprocal), integer powers as
    repeated products, tanh and exp through ``expr.evaluate``."""

    def __init__(self, names: list[str], exprs: list[tuple]) -> None:
        self.index: dict[tuple, int] = {}
        self.ops: list[tuple] = []
        for k, name in enumerate(names):
            self._add(("var", name), ("var", k))
        self.outputs = [self._compile(e) for e in exprs]
        self.consts = [Interval.point(op[1]) if op[0] == "num" else None for op in self.ops]

    def _add(self, key: tuple, op: tuple) -> int:
        if key not in self.index:
            self.index[key] = len(self.ops)
            self.ops.append(op)
        return self.index[key]

    def _compile(self, node: tuple) -> int:
        if node in self.index:
            return self.index[node]
        tag = node[0]
        if tag == "num":
            return self._add(node, ("num", node[1]))
        if tag == "var":
            raise CertificateError(f"certificate: unknown name {node[1]!r} in the field")
        if tag == "neg":
            return self._add(node, ("neg", self._compile(node[1])))
        if tag in ("add", "sub", "mul"):
            return self._add(node, (tag, self._compile(node[1]), self._compile(node[2])))
        if tag == "div":
            if node[2][0] != "num" or node[2][1] == 0:
                raise CertificateError("certificate: the field divides by a non-constant")
            return self._add(node, ("mul", self._compile(node[1]),
                                    self._compile(("num", 1 / node[2][1]))))
        if tag == "pow":
            base = self._compile(node[1])
            acc = base
            for e in range(2, node[2] + 1):
                acc = self._add(("pow", node[1], e), ("mul", acc, base))
            return acc
        if tag == "call" and node[1] in ("tanh", "exp"):
            return self._add(node, ("call", node[1], self._compile(node[2])))
        raise CertificateError(f"certificate: {tag} is not supported by the Taylor replay")

    def evaluate(self, x: list[Interval]) -> list[Interval]:
        """The outputs over the box ``x`` (one Interval per name)."""
        values: list[Interval] = []
        for k, op in enumerate(self.ops):
            kind = op[0]
            if kind == "var":
                values.append(x[op[1]])
            elif kind == "num":
                values.append(self.consts[k])
            elif kind == "neg":
                values.append(-values[op[1]])
            elif kind == "add":
                values.append(values[op[1]] + values[op[2]])
            elif kind == "sub":
                values.append(values[op[1]] - values[op[2]])
            elif kind == "mul":
                values.append(values[op[1]] * values[op[2]])
            else:
                values.append(expr.evaluate(("call", op[1], ("var", "_")),
                                            {"_": values[op[2]]}))
        return [values[o] for o in self.outputs]


def fit_trial(program: FieldProgram, start: list[arb], trial: list[list[Fraction]], h: Fraction,
              rounding: Any) -> list[list[Fraction]]:
    """A box T (as [lo, hi] pairs, each end through ``rounding``) holding ``trial`` with
    Y0 + [0, h] G(T) inside it, G the checker's joint field in the checker's arithmetic;
    Y0 = (X, I) with X the ball hull ``start`` widened by its largest radius. ``trial`` itself
    when it already fits.

    Raises CertificateError when FIT_ROUNDS enlargements do not give a fitting box.
    """
    p = len(start)
    widest = max(arb_radius_fraction(x) for x in start)
    X = []
    for x in start:
        mid, rad = arb_to_fraction(x), arb_radius_fraction(x) + widest
        X.append(Interval(mid - rad, mid + rad))
    Y0 = X + [Interval.point(1 if i == j else 0) for i in range(p) for j in range(p)]
    T = Interval(Fraction(0), h)
    box = [list(b) for b in trial]
    for _ in range(FIT_ROUNDS):
        G = program.evaluate([Interval(lo, hi) for lo, hi in box])
        image = [y + T * g for y, g in zip(Y0, G, strict=True)]
        fits = True
        grown = []
        for (lo, hi), im in zip(box, image, strict=True):
            rad = (im.hi - im.lo) / 2
            if not (lo < im.lo - rad * FIT_MARGIN and im.hi + rad * FIT_MARGIN < hi):
                fits = False
            grown.append(rounding(min(lo, im.lo - rad * FIT_INFLATION),
                                  max(hi, im.hi + rad * FIT_INFLATION)))
        if fits:
            return box
        box = grown
    raise CertificateError("certificate: no Picard box fits the checker's field "
                           f"after {FIT_ROUNDS} enlargements")
