"""A ``gf-limit`` certificate from a :class:`~igproof.proof.limit.ProvedLimit`.

Obligations (replayed by the independent checker, see docs/validated.md):

    start       theta(0) = theta0
    trajectory  the validated enclosure of theta on [0, T] (igproof/checker/trajectory.py)
    pl-endgame  PL constant lambda on the box D around theta(T)'s box
    contain     the claimed ball contains the end-game ball

The certificate restates the model in the safe expression language, the dataset exactly, and
the hints (time intervals, switching brackets, D, lambda). The claimed ball is the proved ball
enlarged to absorb the checker's own (independent, coarser) rounding; its radius is reported.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import sympy
from flint import arb

from igproof.checker import expr as cex
from igproof.checker.kernel import LOSS_FORMULA, statement_text, substitute
from igproof.errors import CertificateError, InvalidArgument
from igproof.numeric.ball.arith import arb_radius_fraction, arb_to_fraction, precision, to_arb
from igproof.numeric.ball.lohner import SENSITIVITY_ORDER
from igproof.numeric.ball.taylor import FieldProgram
from igproof.proof.isolated import IsolatedEndgame
from igproof.proof.limit import ProvedLimit, _piece

# Each side of the claimed box theta(T) is widened by this much beyond the ball enclosure: the
# checker recomputes the enclosure with its own 160-bit interval exponentials, whose rounding
# is far below 2^-90 for the cases igproof ships.
BOX_SLACK = Fraction(1, 2 ** 90)
# Switching times are widened by this much on each side so that the checker's independent
# sign tests at t1 and t2 are decided (|z| there is ~ this times |dz/dt|).
TIME_SLACK = Fraction(1, 2 ** 100)


def _text(e: sympy.Expr) -> str:
    """sympy -> the safe expression language (names, rationals, + *, integer powers, calls)."""
    if e.is_Symbol:
        return str(e)
    if e.is_Integer:
        return f"({int(e)})" if e < 0 else str(int(e))
    if e.is_Rational:
        return f"({int(e.p)}/{int(e.q)})"
    if e.is_Add:
        return "(" + " + ".join(_text(a) for a in e.args) + ")"
    if e.is_Mul:
        return "(" + "*".join(_text(a) for a in e.args) + ")"
    if e.is_Pow and e.args[1].is_Integer:
        return f"({_text(e.args[0])})^{int(e.args[1])}"
    name = type(e).__name__
    if name in ("relu", "tanh", "exp") and len(e.args) == 1:
        return f"{name}({_text(e.args[0])})"
    raise CertificateError(f"certificate: cannot write {e} in the safe expression language")


def _to_sympy(node: tuple, symbols: dict[str, sympy.Symbol]) -> sympy.Expr:
    tag = node[0]
    if tag == "num":
        return sympy.Rational(node[1].numerator, node[1].denominator)
    if tag == "var":
        return symbols[node[1]]
    if tag == "neg":
        return -_to_sympy(node[1], symbols)
    if tag == "pow":
        return _to_sympy(node[1], symbols) ** node[2]
    if tag in ("add", "sub", "mul", "div"):
        a, b = _to_sympy(node[1], symbols), _to_sympy(node[2], symbols)
        return {"add": a + b, "sub": a - b, "mul": a * b, "div": a / b}[tag]
    raise CertificateError(f"certificate: relu atom {node} is not polynomial")


def _box(values: list[Any], slack: Fraction) -> list[list[Fraction]]:
    out = []
    for v in values:
        mid, rad = arb_to_fraction(v), arb_radius_fraction(v)
        out.append([mid - rad - slack, mid + rad + slack])
    return out


class IsolatedLimitNotCertifiable(InvalidArgument, CertificateError):
    """A limit proved by the isolated end-game: no checker obligation exists for it yet.

    Both an InvalidArgument (the argument cannot be certified) and a CertificateError, so that
    callers that already handle CertificateError (igproof.search.promote) report it as a reason.
    """


def limit_certificate(result: ProvedLimit, flow: Any, *, dataset_name: str = "S",
                      limit_name: str = "L") -> dict[str, Any]:
    """The gf-limit certificate object (JSON-ready, numbers as Fractions) for ``result``.

    Raises CertificateError when the model cannot be written in the safe expression language
    or its relu atoms do not match the flow's kinks one to one.
    """
    if not isinstance(result, ProvedLimit):
        raise CertificateError("certificate: only a PROVED limit has a certificate")
    if isinstance(result.endgame, IsolatedEndgame):
        raise IsolatedLimitNotCertifiable(
            "result: this limit was proved by the isolated-minimum end-game (Krawczyk + "
            "positive-definite Hessian), which the independent checker cannot re-check yet; "
            "only PL end-game limits (zero loss) have a certificate")
    model, data = flow.model, flow.dataset
    params = [str(p) for p in flow.parameters]
    inputs = [str(s) for s in model.inputs]
    output = _text(model.expression)
    ast = cex.parse(output, set(params) | set(inputs))
    xs = [list(xi) for xi in data.x]
    ys = list(data.y)
    residuals = [cex.sub(substitute(ast, dict(zip(inputs, xi, strict=True))), ("num", yi))
                 for xi, yi in zip(xs, ys, strict=True)]
    from igproof.checker.trajectory import relu_atoms

    atoms = relu_atoms(residuals)
    symbols = {p: s for p, s in zip(params, flow.parameters, strict=True)}
    if len(atoms) != len(flow.kinks) or any(
            sympy.expand(_to_sympy(a, symbols) - k) != 0
            for a, k in zip(atoms, flow.kinks, strict=True)):
        raise CertificateError("certificate: the checker's relu atoms do not match the flow's "
                               "kinks one to one (only width-1 models are supported)")
    segments = []
    for m, seg in enumerate(result.segments):
        if seg.kind == "taylor":
            segments.append({
                "method": "taylor", "pattern": list(seg.pattern or ()), "order": seg.order,
                "sensitivity_order": SENSITIVITY_ORDER,
                "steps": [{"h": st.h, "picard": _box(st.trial, Fraction(0)), "A": st.A}
                          for st in seg.steps]})
            continue
        entry: dict[str, Any] = {"method": "affine", "pattern": list(seg.pattern or ()),
                                 "intervals": [[a, b] for a, b in seg.intervals]}
        if m > 0 and result.segments[m - 1].switch_kink is not None:
            entry["just_switched"] = result.segments[m - 1].switch_kink
        if seg.switch is None:
            entry["end"] = {"kind": "stop"}
        else:
            t = seg.switch.t
            t1 = arb_to_fraction(t) - arb_radius_fraction(t) - TIME_SLACK
            t2 = arb_to_fraction(t) + arb_radius_fraction(t) + TIME_SLACK
            a, b = seg.switch.bracket
            t1, t2 = max(t1, a), min(t2, b)
            entry["end"] = {"kind": "switch", "atom": seg.switch_kink,
                            "bracket": [a, b], "time": [t1, t2]}
        segments.append(entry)
    eg = result.endgame
    box_T = _box(result.box_T, BOX_SLACK)
    half2 = sum(((hi - lo) / 2) ** 2 for lo, hi in box_T)
    centre_T = [(lo + hi) / 2 for lo, hi in box_T]
    shift2 = sum((c - e) ** 2 for c, e in zip(centre_T, eg.centre, strict=True))
    # the checker's end-game ball: radius half-diagonal + sqrt(2 sup L / mu) over the claimed
    # box, around centre_T; sup L is recomputed here over that box in ball arithmetic
    with precision(result.prec):
        env = [to_arb(lo).union(to_arb(hi)) for lo, hi in box_T]
        _, res, _, _ = _piece(flow, _full_pattern(result))
        loss = arb(0)
        for v in FieldProgram(flow.parameters, res).evaluate(env):
            loss = loss + v * v
        arc_arb = (arb((loss / len(res)).upper()) / to_arb(eg.mu)).sqrt()
        arc = arb_to_fraction(arb(arc_arb.upper())) + arb_radius_fraction(arb(arc_arb.upper()))
    bound = _sqrt_up(half2) + arc + _sqrt_up(shift2)
    radius = max(bound, result.radius_upper) * 2
    limits = {limit_name: {"dataset": dataset_name, "center": list(eg.centre),
                           "radius": radius}}
    text = statement_text("gf-limit", {"limits": {limit_name: {"dataset": dataset_name}},
                                       "claim": {}})
    obligations = [
        {"id": "start", "type": "start", "dataset": dataset_name,
         "box": [[q, q] for q in result.theta0]},
        {"id": "trajectory", "type": "trajectory", "dataset": dataset_name, "start": "start",
         "segments": segments, "box": box_T},
        {"id": "endgame", "type": "pl-endgame", "dataset": dataset_name, "start": "trajectory",
         "domain": [list(b) for b in eg.box_D], "lambda": eg.lam, "cover": "L"},
        {"id": "contain", "type": "contain", "limit": limit_name, "endgame": "endgame"},
    ]
    return {
        "format": "igproof-certificate", "version": 1, "kind": "gf-limit",
        "producer": "igproof.proof.limit_certificate (validated arb enclosure)",
        "model": {"parameters": params, "inputs": inputs, "output": output,
                  "relu_derivative_at_zero": "0"},
        "loss": {"name": "square", "formula": LOSS_FORMULA},
        "datasets": {dataset_name: {"x": xs, "y": ys}},
        "theta0": list(result.theta0),
        "statement": {"text": text, "limits": limits, "claim": {}},
        "obligations": obligations,
    }


def _full_pattern(result: ProvedLimit) -> tuple[int, ...] | None:
    return result.segments[-1].pattern


def _sqrt_up(q: Fraction) -> Fraction:
    """An exact rational >= sqrt(q) (q >= 0)."""
    if q <= 0:
        return Fraction(0)
    scale = 2 ** 200
    r = math.isqrt(q.numerator * scale * scale // q.denominator) + 1
    return Fraction(r, scale)
