"""The checker's own expression language: tokenizer, parser, AST, exact differentiation,
exact and interval evaluation, and polynomial normal form.

Grammar (no other syntax is accepted)::

    expr  := term (("+" | "-") term)*
    term  := unary (("*" | "/") unary)*
    unary := "-" unary | power
    power := atom (("^" | "**") ["-"] INTEGER)?
    atom  := NUMBER | NAME | FUNC "(" expr ")" | "(" expr ")"

NUMBER is a decimal numeral (``12``, ``0.25``), read exactly. NAME must be one of the names the
certificate declares. FUNC is one of ``relu tanh exp log sigmoid softplus sqrt abs``.

AST nodes are tuples: ``("num", Fraction)``, ``("var", name)``, ``("add"|"sub"|"mul"|"div", a,
b)``, ``("neg", a)``, ``("pow", a, int)``, ``("call", func, a)``. Differentiation adds the
internal functions ``step`` (relu' with relu'(0) = 0) and ``sign`` (abs'), which no text can name.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Iterator
from fractions import Fraction
from typing import Any

from igproof.checker import intervals as iv
from igproof.checker.errors import Rejected

# Longest expression text: models in certificates are a few hundred characters.
MAX_EXPR_CHARS = 4000
# Most AST nodes one expression (or its derivative) may have: bounds the work on hostile input.
MAX_NODES = 20000
# Deepest nesting the recursive-descent parser follows (parentheses, unary minus), and the
# greatest AST height (a long sum is a deep left-leaning tree): keeps recursion far below
# Python's limit, also for derivatives.
MAX_DEPTH = 120
# Longest numeral and name accepted.
MAX_TOKEN_CHARS = 200
# Largest |n| in x^n.
MAX_EXPONENT = 64
# Most terms a polynomial normal form may have (identity checks).
MAX_POLY_TERMS = 20000

PUBLIC_FUNCTIONS = ("relu", "tanh", "exp", "log", "sigmoid", "softplus", "sqrt", "abs")

_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d+)?)|([A-Za-z][A-Za-z0-9_]*)|(\*\*|[-+*/^()]))")

ZERO = ("num", Fraction(0))
ONE = ("num", Fraction(1))


def _tokens(text: str) -> list[tuple[str, str]]:
    out = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None:
            bad = text[pos:].lstrip()[:1]
            raise Rejected(f"unexpected character {bad!r} in expression")
        number, name, op = match.groups()
        token = number or name or op
        if len(token) > MAX_TOKEN_CHARS:
            raise Rejected(f"token of {len(token)} characters is too long")
        out.append(("num" if number else "name" if name else "op", token))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, text: str, names: frozenset[str]):
        if not isinstance(text, str):
            raise Rejected("an expression must be a string")
        if len(text) > MAX_EXPR_CHARS:
            raise Rejected(f"expression of {len(text)} characters is too long "
                           f"(at most {MAX_EXPR_CHARS})")
        self.tokens = _tokens(text)
        self.pos = 0
        self.names = names
        self.depth = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise Rejected("expression ends too early")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def expect(self, op: str) -> None:
        _kind, token = self.take()
        if token != op:
            raise Rejected(f"expected {op!r} in expression, found {token!r}")

    def parse(self) -> tuple:
        node = self.expr()
        if self.pos != len(self.tokens):
            raise Rejected(f"unexpected token {self.tokens[self.pos][1]!r} in expression")
        return node

    def expr(self) -> tuple:
        node = self.term()
        while self.peek() in ("+", "-"):
            node = ("add" if self.take()[1] == "+" else "sub", node, self.term())
        return node

    def term(self) -> tuple:
        node = self.unary()
        while self.peek() in ("*", "/"):
            node = ("mul" if self.take()[1] == "*" else "div", node, self.unary())
        return node

    def unary(self) -> tuple:
        if self.peek() == "-":
            self.take()
            return ("neg", self._nested(self.unary))
        return self.power()

    def _nested(self, parse: Callable[[], tuple]) -> tuple:
        """parse() one nesting level deeper (at most MAX_DEPTH levels)."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise Rejected(f"expression nested deeper than {MAX_DEPTH}")
        node = parse()
        self.depth -= 1
        return node

    def power(self) -> tuple:
        node = self.atom()
        if self.peek() in ("^", "**"):
            self.take()
            negative = self.peek() == "-"
            if negative:
                self.take()
            kind, token = self.take()
            if kind != "num" or "." in token:
                raise Rejected(f"exponent must be an integer literal, found {token!r}")
            n = int(token)
            if n > MAX_EXPONENT:
                raise Rejected(f"exponent {token} is too large (at most {MAX_EXPONENT})")
            node = ("pow", node, -n if negative else n)
        return node

    def atom(self) -> tuple:
        kind, token = self.take()
        if kind == "num":
            return ("num", Fraction(token))
        if token == "(":
            node = self._nested(self.expr)
            self.expect(")")
            return node
        if kind == "name":
            if self.peek() == "(":
                if token not in PUBLIC_FUNCTIONS:
                    raise Rejected(f"unknown function {token!r} (allowed: "
                                   f"{', '.join(PUBLIC_FUNCTIONS)})")
                self.take()
                arg = self._nested(self.expr)
                self.expect(")")
                return ("call", token, arg)
            if token not in self.names:
                raise Rejected(f"unknown name {token!r} in expression")
            return ("var", token)
        raise Rejected(f"unexpected token {token!r} in expression")


def parse(text: str, names: frozenset[str] | set[str]) -> tuple:
    """The AST of ``text``; every NAME must be in ``names``."""
    node = _Parser(text, frozenset(names)).parse()
    if depth(node) > MAX_DEPTH:
        raise Rejected(f"expression tree deeper than {MAX_DEPTH}")
    return node


def depth(node: tuple) -> int:
    """Height of the AST, computed without recursion (safe on hostile input)."""
    best = 0
    stack = [(node, 1)]
    while stack:
        n, d = stack.pop()
        best = max(best, d)
        stack.extend((c, d + 1) for c in children(n))
    return best


def children(node: tuple) -> tuple:
    """The sub-expressions of a node, left to right."""
    tag = node[0]
    if tag in ("num", "var"):
        return ()
    if tag in ("neg", "pow"):
        return (node[1],)
    if tag == "call":
        return (node[2],)
    return (node[1], node[2])


def nodes(node: tuple) -> Iterator[tuple]:
    """Every node of the AST in preorder (left first), without recursion."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(children(n)))


def size(node: tuple) -> int:
    """Number of AST nodes."""
    return sum(1 for _ in nodes(node))


def free_names(node: tuple) -> set[str]:
    return {n[1] for n in nodes(node) if n[0] == "var"}


# --- construction with light simplification ----------------------------------------------

def _is_num(node: tuple, value: int | None = None) -> bool:
    return node[0] == "num" and (value is None or node[1] == value)


def add(a: tuple, b: tuple) -> tuple:
    if _is_num(a, 0):
        return b
    if _is_num(b, 0):
        return a
    if _is_num(a) and _is_num(b):
        return ("num", a[1] + b[1])
    return ("add", a, b)


def sub(a: tuple, b: tuple) -> tuple:
    if _is_num(b, 0):
        return a
    if _is_num(a) and _is_num(b):
        return ("num", a[1] - b[1])
    return ("sub", a, b)


def mul(a: tuple, b: tuple) -> tuple:
    if _is_num(a, 0) or _is_num(b, 0):
        return ZERO
    if _is_num(a, 1):
        return b
    if _is_num(b, 1):
        return a
    if _is_num(a) and _is_num(b):
        return ("num", a[1] * b[1])
    return ("mul", a, b)


def div(a: tuple, b: tuple) -> tuple:
    if _is_num(a, 0):
        return ZERO
    if _is_num(b, 1):
        return a
    return ("div", a, b)


def neg(a: tuple) -> tuple:
    if _is_num(a):
        return ("num", -a[1])
    return ("neg", a)


def call(name: str, a: tuple) -> tuple:
    return ("call", name, a)


# --- exact differentiation -----------------------------------------------------------------

def diff(node: tuple, var: str) -> tuple:
    """d node / d var, exactly, on the AST (relu'(0) = 0 via ``step``)."""
    tag = node[0]
    if tag == "num":
        return ZERO
    if tag == "var":
        return ONE if node[1] == var else ZERO
    if tag == "add":
        return add(diff(node[1], var), diff(node[2], var))
    if tag == "sub":
        return sub(diff(node[1], var), diff(node[2], var))
    if tag == "neg":
        return neg(diff(node[1], var))
    if tag == "mul":
        a, b = node[1], node[2]
        return add(mul(diff(a, var), b), mul(a, diff(b, var)))
    if tag == "div":
        a, b = node[1], node[2]
        da, db = diff(a, var), diff(b, var)
        return div(sub(mul(da, b), mul(a, db)), ("pow", b, 2)) if not _is_num(db, 0) \
            else div(da, b)
    if tag == "pow":
        base, n = node[1], node[2]
        if n == 0:
            return ZERO
        inner = ONE if n == 1 else ("pow", base, n - 1)
        return mul(mul(("num", Fraction(n)), inner), diff(base, var))
    if tag == "call":
        name, arg = node[1], node[2]
        darg = diff(arg, var)
        if _is_num(darg, 0):
            return ZERO
        if name == "relu":
            outer = call("step", arg)
        elif name == "abs":
            outer = call("sign", arg)
        elif name == "exp":
            outer = node
        elif name == "log":
            outer = div(ONE, arg)
        elif name == "sqrt":
            outer = div(ONE, mul(("num", Fraction(2)), node))
        elif name == "tanh":
            outer = sub(ONE, ("pow", node, 2))
        elif name == "sigmoid":
            outer = mul(node, sub(ONE, node))
        elif name == "softplus":
            outer = call("sigmoid", arg)
        elif name in ("step", "sign"):
            raise Rejected(f"second derivative through {name}: not supported")
        else:  # pragma: no cover - parser admits no other function
            raise Rejected(f"unknown function {name!r}")
        return mul(outer, darg)
    raise Rejected(f"unknown AST node {tag!r}")  # pragma: no cover


def substitute(node: tuple, env: dict[str, Fraction]) -> tuple:
    """node with the names in ``env`` replaced by their rational values."""
    tag = node[0]
    if tag == "num":
        return node
    if tag == "var":
        return ("num", env[node[1]]) if node[1] in env else node
    if tag in ("neg", "pow"):
        inner = substitute(node[1], env)
        return neg(inner) if tag == "neg" else ("pow", inner, node[2])
    if tag == "call":
        return ("call", node[1], substitute(node[2], env))
    return (tag, substitute(node[1], env), substitute(node[2], env))


def relu_atoms(residuals: list[tuple]) -> list[tuple]:
    """Arguments of the relu calls, residual by residual, preorder, each residual's repeats once
    (the atom order of trajectory patterns and of gf-switches claims)."""
    atoms: list[tuple] = []
    for r in residuals:
        seen: list[tuple] = []
        for n in nodes(r):
            if n[0] == "call" and n[1] == "relu" and n[2] not in seen:
                seen.append(n[2])
        atoms.extend(seen)
    return atoms


def gradient(node: tuple, names: list[str]) -> list[tuple]:
    grads = [diff(node, name) for name in names]
    if sum(size(g) for g in grads) > MAX_NODES:
        raise Rejected(f"gradient has more than {MAX_NODES} nodes")
    return grads


def loss_gradient(residuals: list[tuple], names: list[str], scale: Fraction) -> list[tuple]:
    """scale * sum_i r_i grad r_i, exactly: grad L_S for scale = 1/n (L_S = (1/(2n)) sum_i
    r_i^2), the gradient-flow field -grad L_S for scale = -1/n."""
    grad = [ZERO] * len(names)
    for r in residuals:
        grad = [add(g, mul(r, d)) for g, d in zip(grad, gradient(r, names), strict=True)]
    return [mul(("num", scale), g) for g in grad]


# --- evaluation: one walk, three arithmetics ------------------------------------------------

def fold(node: tuple, env: dict[str, Any], const: Callable[[Fraction], Any],
         call: Callable[[str, Any], Any]) -> Any:
    """The value of node with the names read from ``env``, numbers made by ``const`` and functions
    applied by ``call``; + - * / neg and integer powers are the values' own operators. The
    arithmetic decides what a value is: an :class:`Interval` (:func:`evaluate`), an exact
    ``Fraction`` (:func:`evaluate_exact`) or a :class:`Polynomial` (:func:`polynomial`).
    """
    tag = node[0]
    if tag == "num":
        return const(node[1])
    if tag == "var":
        return env[node[1]]
    if tag == "neg":
        return -fold(node[1], env, const, call)
    if tag == "pow":
        return fold(node[1], env, const, call) ** node[2]
    if tag == "call":
        return call(node[1], fold(node[2], env, const, call))
    a = fold(node[1], env, const, call)
    try:
        b = fold(node[2], env, const, call)
    except Rejected:
        # 0 * relu'(z) or 0 * abs'(z) is 0 even where the bounded factor is undecided
        if (tag == "mul" and node[2][0] == "call" and node[2][1] in ("step", "sign")
                and isinstance(a, iv.Interval) and a.is_zero()):
            return a
        raise
    return _OPERATORS[tag](a, b)


_OPERATORS = {"add": operator.add, "sub": operator.sub, "mul": operator.mul,
              "div": operator.truediv}


def evaluate(node: tuple, env: dict[str, iv.Interval]) -> iv.Interval:
    """Interval enclosure of node over the box ``env``. Guarantee: enclosure."""
    return fold(node, env, iv.Interval, _interval_call)


def _interval_call(name: str, z: iv.Interval) -> iv.Interval:
    return iv.FUNCTIONS[name](z)


def evaluate_exact(node: tuple, env: dict[str, Fraction]) -> Fraction:
    """The exact rational value of node at a rational point (relu, abs exact; exp(0) = 1,
    log(1) = 0, tanh(0) = 0, sigmoid(0) = 1/2, sqrt of a rational square). Other
    transcendental values are not rational: rejected."""
    try:
        return fold(node, env, Fraction, _exact_call)
    except ZeroDivisionError:
        raise Rejected("division by zero in exact evaluation") from None


# The transcendental functions at the one rational argument where their value is rational.
_EXACT_AT = {"exp": (0, Fraction(1)), "tanh": (0, Fraction(0)), "sigmoid": (0, Fraction(1, 2)),
             "log": (1, Fraction(0))}


def _exact_call(name: str, z: Fraction) -> Fraction:
    if name == "relu":
        return max(z, Fraction(0))
    if name == "abs":
        return abs(z)
    if name == "step":
        return Fraction(1 if z > 0 else 0)
    if name == "sign":
        return Fraction((z > 0) - (z < 0))
    if name == "sqrt" and z >= 0:
        root = iv.sqrt(iv.Interval(z))
        if root.lo == root.hi:
            return root.lo
    if name in _EXACT_AT and z == _EXACT_AT[name][0]:
        return _EXACT_AT[name][1]
    raise Rejected(f"{name}({z}) is not an exact rational")


# --- pattern substitution and polynomial normal form --------------------------------------

_BUILD = {"add": add, "sub": sub, "mul": mul, "div": div}


def rebuild(node: tuple, replace: Callable[[tuple, tuple], tuple | None]) -> tuple:
    """node rebuilt bottom-up (sums, products, quotients and negations simplified by add, sub,
    mul, div, neg), each call f(a) replaced by ``replace(f(a), a')``, a' the rebuilt argument,
    or kept as f(a') where that is None."""
    tag = node[0]
    if tag in ("num", "var"):
        return node
    if tag == "neg":
        return neg(rebuild(node[1], replace))
    if tag == "pow":
        return ("pow", rebuild(node[1], replace), node[2])
    if tag == "call":
        arg = rebuild(node[2], replace)
        new = replace(node, arg)
        return ("call", node[1], arg) if new is None else new
    return _BUILD[tag](rebuild(node[1], replace), rebuild(node[2], replace))


def fix_pattern(node: tuple, env: dict[str, iv.Interval]) -> tuple:
    """Replace relu/abs/step/sign by their branch, decided on the box ``env``.

    relu(z) -> z where z >= 0 on the box, -> 0 where z <= 0 (both exact); abs likewise;
    step(z), sign(z) need z certainly non-zero. Anything undecided is rejected.
    """
    def branch(call_node: tuple, arg: tuple) -> tuple | None:
        name = call_node[1]
        if name not in ("relu", "abs", "step", "sign"):
            return None
        z = evaluate(arg, env)
        if name in ("step", "sign"):
            return ("num", iv.FUNCTIONS[name](z).lo)  # raises when undecided
        if z.lo >= 0:
            return arg
        if z.hi <= 0:
            return ZERO if name == "relu" else neg(arg)
        raise Rejected(f"undecided: sign of the argument of {name} on the box")

    return rebuild(node, branch)


class Polynomial(dict):
    """An expanded polynomial {exponents: non-zero rational coefficient} in ``width`` variables,
    the sum of the given (exponents, coefficient) terms, exact; closed under + - *,
    non-negative integer powers and division by a constant."""

    def __init__(self, terms: Iterable[tuple[tuple[int, ...], Fraction]], width: int) -> None:
        super().__init__()
        self.width = width
        for mono, c in terms:
            total = self.pop(mono, 0) + c
            if total != 0:
                self[mono] = total
        if len(self) > MAX_POLY_TERMS:
            raise Rejected(f"polynomial identity has more than {MAX_POLY_TERMS} terms")

    def __add__(self, other: Polynomial) -> Polynomial:
        return Polynomial([*self.items(), *other.items()], self.width)

    def __neg__(self) -> Polynomial:
        return Polynomial(((mono, -c) for mono, c in self.items()), self.width)

    def __sub__(self, other: Polynomial) -> Polynomial:
        return self + (-other)

    def __mul__(self, other: Polynomial) -> Polynomial:
        return Polynomial(((tuple(map(operator.add, m1, m2)), c1 * c2)
                           for m1, c1 in self.items() for m2, c2 in other.items()), self.width)

    def __truediv__(self, other: Polynomial) -> Polynomial:
        if len(other) != 1 or any(next(iter(other))):
            raise Rejected("identity check: division by a non-constant")
        c = next(iter(other.values()))
        return Polynomial(((mono, v / c) for mono, v in self.items()), self.width)

    def __pow__(self, n: int) -> Polynomial:
        if n < 0:
            raise Rejected("identity check: negative power")
        out = Polynomial([((0,) * self.width, Fraction(1))], self.width)
        for _ in range(n):
            out = out * self
        return out


def polynomial(node: tuple, names: list[str]) -> Polynomial:
    """The expanded polynomial {exponents: coefficient} of node in ``names``.

    Only + - *, non-negative integer powers and division by a non-zero constant are admitted;
    anything else (a transcendental function, division by a variable) is rejected.
    """
    unknown = free_names(node) - set(names)
    if unknown:
        raise Rejected(f"name {min(unknown)!r} is not a variable of the identity")
    width = len(names)
    env = {name: Polynomial([(tuple(int(j == k) for j in range(width)), Fraction(1))], width)
           for k, name in enumerate(names)}

    def const(c: Fraction) -> Polynomial:
        return Polynomial([((0,) * width, c)], width)

    def call(name: str, _arg: Polynomial) -> Polynomial:
        raise Rejected(f"identity check: function {name!r} is not polynomial")

    return fold(node, env, const, call)
