"""The safe expression language, parsed to sympy (for producers; the checker has its own).

Same grammar as the checker's (docs/certificates.md): decimal numerals read exactly, declared
names, ``+ - * /``, integer powers ``^`` or ``**``, and the functions relu, tanh, exp, log,
sigmoid, softplus, sqrt, abs. The text is never passed to eval, exec or sympify: it is split
into tokens by a regular expression and turned into sympy objects by a shunting-yard loop.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

import sympy

from igproof.errors import UnsafeExpression

# Longest expression text accepted (same bound as the checker's).
MAX_CHARS = 4000
# Deepest parenthesis nesting accepted (same bound as the checker's).
MAX_DEPTH = 120
# Largest |exponent| in x^n.
MAX_EXPONENT = 64

FUNCTIONS = {
    "relu": lambda z: sympy.Max(z, 0),
    "tanh": sympy.tanh,
    "exp": sympy.exp,
    "log": sympy.log,
    "sigmoid": lambda z: 1 / (1 + sympy.exp(-z)),
    "softplus": lambda z: sympy.log(1 + sympy.exp(z)),
    "sqrt": sympy.sqrt,
    "abs": sympy.Abs,
}

_LEXER = re.compile(r"(?P<num>\d+(?:\.\d+)?)|(?P<name>[A-Za-z][A-Za-z0-9_]*)"
                    r"|(?P<op>\*\*|[-+*/^()])|(?P<space>\s+)")
_BINARY = {"+": (1, "left"), "-": (1, "left"), "*": (2, "left"), "/": (2, "left"),
           "^": (4, "right")}


def parse_expression(text: str, symbols: dict[str, sympy.Symbol]) -> sympy.Expr:
    """The sympy expression written as ``text``; names must be keys of ``symbols``.

    >>> a, w = sympy.symbols("a w")
    >>> parse_expression("a*relu(w) - 1/2", {"a": a, "w": w})
    a*Max(0, w) - 1/2
    """
    if not isinstance(text, str) or len(text) > MAX_CHARS:
        raise UnsafeExpression(f"expression: expected a string of at most {MAX_CHARS} chars")
    tokens = _lex(text)
    depth = 0
    for _, tok in tokens:
        depth += (tok == "(") - (tok == ")")
        if depth > MAX_DEPTH:
            raise UnsafeExpression(f"expression: nested deeper than {MAX_DEPTH}")
    out: list[sympy.Expr] = []
    ops: list[str] = []
    expect_operand = True
    k = 0
    while k < len(tokens):
        kind, tok = tokens[k]
        if expect_operand:
            if kind == "num":
                out.append(sympy.Rational(Fraction(tok).numerator, Fraction(tok).denominator))
                expect_operand = False
            elif kind == "name" and k + 1 < len(tokens) and tokens[k + 1][1] == "(":
                if tok not in FUNCTIONS:
                    raise UnsafeExpression(f"expression: unknown function {tok!r}")
                ops.append("f:" + tok)
                ops.append("(")
                k += 1
            elif kind == "name":
                if tok not in symbols:
                    raise UnsafeExpression(f"expression: unknown name {tok!r}")
                out.append(symbols[tok])
                expect_operand = False
            elif tok == "(":
                ops.append("(")
            elif tok == "-":
                ops.append("neg")
            else:
                raise UnsafeExpression(f"expression: unexpected {tok!r}")
        else:
            if tok == ")":
                while ops and ops[-1] != "(":
                    _apply(ops.pop(), out)
                if not ops:
                    raise UnsafeExpression("expression: unbalanced ')'")
                ops.pop()
                if ops and ops[-1].startswith("f:"):
                    _apply(ops.pop(), out)
            elif tok in _BINARY or tok == "**":
                tok = "^" if tok == "**" else tok
                if tok == "^":
                    k = _power(tokens, k, out, ops)
                    continue
                prec = _BINARY[tok][0]
                while ops and ops[-1] not in ("(",) and not ops[-1].startswith("f:") and (
                        (ops[-1] == "neg" and prec <= 3) or
                        (ops[-1] in _BINARY and _BINARY[ops[-1]][0] >= prec)):
                    _apply(ops.pop(), out)
                ops.append(tok)
                expect_operand = True
            else:
                raise UnsafeExpression(f"expression: unexpected {tok!r}")
        k += 1
    if expect_operand:
        raise UnsafeExpression("expression: ends too early")
    while ops:
        op = ops.pop()
        if op == "(" or op.startswith("f:"):
            raise UnsafeExpression("expression: unbalanced '('")
        _apply(op, out)
    if len(out) != 1:  # pragma: no cover - guarded by the loop
        raise UnsafeExpression("expression: malformed")
    return out[0]


def _power(tokens, k, out, ops) -> int:
    """Apply ``^ [-]INTEGER`` to the operand on top of ``out``; return the next position."""
    k += 1
    negative = k < len(tokens) and tokens[k][1] == "-"
    k += negative
    if k >= len(tokens) or tokens[k][0] != "num" or "." in tokens[k][1]:
        raise UnsafeExpression("expression: exponent must be an integer literal")
    n = int(tokens[k][1])
    if n > MAX_EXPONENT:
        raise UnsafeExpression(f"expression: exponent {n} is too large")
    out.append(out.pop() ** (-n if negative else n))
    return k + 1


def _lex(text: str) -> list[tuple[str, str]]:
    tokens = []
    pos = 0
    while pos < len(text):
        match = _LEXER.match(text, pos)
        if match is None:
            raise UnsafeExpression(f"expression: unexpected character {text[pos]!r}")
        if match.lastgroup != "space":
            tokens.append((match.lastgroup, match.group()))
        pos = match.end()
    return tokens


def _apply(op: str, out: list) -> None:
    if op == "neg":
        out.append(-out.pop())
        return
    if op.startswith("f:"):
        out.append(FUNCTIONS[op[2:]](out.pop()))
        return
    if len(out) < 2:
        raise UnsafeExpression(f"expression: operator {op!r} lacks an operand")
    b, a = out.pop(), out.pop()
    out.append({"+": a + b, "-": a - b, "*": a * b}.get(op) if op in "+-*" else a / b)


def to_expression_text(expr: sympy.Expr) -> str:
    """The safe-language text of a sympy expression (inverse of :func:`parse_expression`).

    Handles rationals, symbols, sums, products, integer powers, sqrt (power 1/2), Max(0, z) as
    relu, and tanh, exp, log, Abs. Anything else raises :class:`UnsafeExpression`.

    >>> a, w = sympy.symbols("a w")
    >>> to_expression_text(a * sympy.Max(0, w) - sympy.Rational(1, 2))
    '((-1/2) + a*relu(w))'
    """
    if isinstance(expr, sympy.Rational):
        text = str(expr.p) if expr.q == 1 else f"{expr.p}/{expr.q}"
        return f"({text})" if expr < 0 or expr.q != 1 else text
    if isinstance(expr, sympy.Symbol):
        return expr.name
    if isinstance(expr, sympy.Add):
        return "(" + " + ".join(to_expression_text(a) for a in expr.args) + ")"
    if isinstance(expr, sympy.Mul):
        return "*".join(to_expression_text(a) for a in expr.args)
    if isinstance(expr, sympy.Pow):
        base, exp = expr.args
        if exp == sympy.Rational(1, 2):
            return f"sqrt({to_expression_text(base)})"
        if exp == -sympy.Rational(1, 2):
            return f"(1/sqrt({to_expression_text(base)}))"
        if isinstance(exp, sympy.Integer) and abs(int(exp)) <= MAX_EXPONENT:
            inner = to_expression_text(base)
            if not isinstance(base, (sympy.Symbol, sympy.Add)) and not inner.startswith("("):
                inner = f"({inner})"
            return f"{inner}^{int(exp)}" if exp > 0 else f"{inner}^-{-int(exp)}"
    if isinstance(expr, sympy.Max) and len(expr.args) == 2 and 0 in expr.args:
        (z,) = [a for a in expr.args if a != 0]
        return f"relu({to_expression_text(z)})"
    if getattr(expr.func, "__name__", "") == "relu" and len(expr.args) == 1:
        return f"relu({to_expression_text(expr.args[0])})"  # igproof.symbolic's relu
    names = {sympy.tanh: "tanh", sympy.exp: "exp", sympy.log: "log", sympy.Abs: "abs"}
    if expr.func in names and len(expr.args) == 1:
        return f"{names[expr.func]}({to_expression_text(expr.args[0])})"
    raise UnsafeExpression(f"expression: cannot write {type(expr).__name__} in the safe "
                           "language")


def model_as_json(model: Any) -> dict[str, Any]:
    """The certificate's ``model`` object for an :class:`igproof.symbolic.models.Model`.

    Uses ``model.parameters``, ``model.inputs`` (sympy symbols) and ``model.expression``; the
    text is checked to parse back to the same expression.
    """
    params = [str(p) for p in model.parameters]
    inputs = [str(v) for v in model.inputs]
    text = to_expression_text(model.expression)
    symbols = {str(s): s for s in (*model.parameters, *model.inputs)}
    back = parse_expression(text, symbols)
    if sympy.simplify(back - model.expression.replace(
            lambda e: getattr(e.func, "__name__", "") == "relu" and len(e.args) == 1,
            lambda e: sympy.Max(e.args[0], 0))) != 0:
        raise UnsafeExpression(f"model: {text!r} does not read back to the model's expression")
    return {"parameters": params, "inputs": inputs, "output": text,
            "relu_derivative_at_zero": "0"}


def dataset_as_json(dataset: Any) -> dict[str, Any]:
    """The certificate's dataset object {"x": [[...]], "y": [...]} with "p/q" strings."""
    from igproof.rationals import fraction_to_text

    return {"x": [[fraction_to_text(v) for v in row] for row in dataset.x],
            "y": [fraction_to_text(v) for v in dataset.y]}
