"""The well-specified reduction: U = Phi diag(u) G, V = Psi diag(v) G, z = sigma(u*v), and
the reduced gradient flow over theta = (u_1..u_n, v_1..v_n) as an ordinary igproof model.

With inputs x = a_i (the diagonal of A_i in the shared singular basis) and labels y_i,
f(x; u, v) = sum_k x_k sigma(u_k v_k) and igproof's square loss L = (1/2m) sum_i (f(a_i) - y_i)^2.
SPEC's loss (1/2) sum_i only rescales time by m, so limits agree. The ODE (sum loss, r = A^T e,
e = A z - y): u' = -r * sigma'(u v) * v, v' = -r * sigma'(u v) * u; u_k^2 - v_k^2 is conserved.

Why the flow stays aligned (igproof's derivation, docs/spectral.md): for a sign matrix S the
linear isometry g_S(U, V) = (Phi S Phi^T U G^T S G, Psi S Psi^T V G^T S G) preserves the loss,
because g_S maps U V^T to Phi S Phi^T (U V^T) Psi S Psi^T, the spectral activation commutes with
orthogonal multiplications, and Phi S Phi^T A_i Psi S Psi^T = A_i. The gradient flow of an
invariant function commutes with g_S, so the common fixed set {Phi^T U G^T, Psi^T V G^T
diagonal} (the aligned set) is invariant, and on it the flow is the gradient flow of the
restricted loss, which is the reduced model above. :func:`reflection_invariance` checks the two
exact identities this uses on a rational instance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy

from igproof.errors import DataError, InvalidArgument
from igproof.rationals import parse_rational
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.flow import GradientFlow, gradient_flow
from igproof.symbolic.models import Model

# Activations the reduction admits: odd (sigma(-s) = -sigma(s), so sigma(Phi diag(d) Psi^T) =
# Phi diag(sigma(d)) Psi^T for signed d) and writable in the certificate language.
REDUCED_ACTIVATIONS = ("tanh", "linear")
# Largest n and m of a reduced problem (the validated proof is cubic in 2n; the checker reads at
# most 32 parameters and 1000 points).
MAX_DIM = 16
MAX_MEASUREMENTS = 1000


def _sigma(name: str, z: sympy.Expr) -> sympy.Expr:
    return sympy.tanh(z) if name == "tanh" else z


@dataclass(frozen=True)
class ReducedProblem:
    """Measurements a_i (rows of A, m x n), labels y, initialization (u0, v0), activation."""

    A: tuple[tuple[Fraction, ...], ...]
    y: tuple[Fraction, ...]
    u0: tuple[Fraction, ...]
    v0: tuple[Fraction, ...]
    activation: str = "tanh"

    def __post_init__(self) -> None:
        if self.activation not in REDUCED_ACTIVATIONS:
            raise InvalidArgument(f"activation: expected one of {', '.join(REDUCED_ACTIVATIONS)} "
                                  f"(odd activations), got {self.activation!r}")
        m, n = len(self.A), len(self.u0)
        if not 1 <= n <= MAX_DIM:
            raise DataError(f"u0: expected 1 to {MAX_DIM} numbers, got {n}")
        if len(self.v0) != n:
            raise DataError(f"v0: expected {n} numbers (as many as u0), got {len(self.v0)}")
        if not 1 <= m <= MAX_MEASUREMENTS:
            raise DataError(f"A: expected 1 to {MAX_MEASUREMENTS} rows, got {m}")
        for i, row in enumerate(self.A):
            if len(row) != n:
                raise DataError(f"A[{i}]: expected {n} numbers (the diagonal of A_{i + 1}), got "
                                f"{len(row)}")
        if len(self.y) != m:
            raise DataError(f"y: expected {m} labels (one per row of A), got {len(self.y)}")

    @property
    def m(self) -> int:
        return len(self.A)

    @property
    def n(self) -> int:
        return len(self.u0)

    @property
    def theta0(self) -> tuple[Fraction, ...]:
        """(u0, v0)."""
        return (*self.u0, *self.v0)

    @classmethod
    def from_json(cls, obj: Any) -> ReducedProblem:
        """From {"A": [[...]], "y": [...], "u0": [...], "v0": [...], "activation": "tanh"}
        (numbers read exactly by igproof.rationals)."""
        if not isinstance(obj, dict):
            raise DataError(f"problem: expected a JSON object, got {type(obj).__name__}")
        required = {"A", "y", "u0", "v0"}
        missing = required - set(obj)
        if missing:
            raise DataError(f"problem: missing field(s) {', '.join(sorted(missing))}")
        extra = set(obj) - required - {"activation"}
        if extra:
            raise DataError(f"problem: unknown field(s) {', '.join(sorted(extra))}")

        def vec(value: Any, what: str) -> tuple[Fraction, ...]:
            if not isinstance(value, list) or not value:
                raise DataError(f"{what}: expected a non-empty list of numbers")
            return tuple(parse_rational(v, what=f"{what}[{k}]") for k, v in enumerate(value))

        rows = obj["A"]
        if not isinstance(rows, list) or not rows:
            raise DataError("A: expected a non-empty list of rows")
        activation = obj.get("activation", "tanh")
        if not isinstance(activation, str):
            raise DataError(f"activation: expected a name, got {activation!r}")
        return cls(tuple(vec(r, f"A[{i}]") for i, r in enumerate(rows)), vec(obj["y"], "y"),
                   vec(obj["u0"], "u0"), vec(obj["v0"], "v0"), activation)

    @classmethod
    def from_target(cls, A: Sequence[Sequence[Any]], d: Sequence[Any], u0: Sequence[Any],
                    v0: Sequence[Any], activation: str = "tanh") -> ReducedProblem:
        """The problem with labels y = A d (the diagonal d of X* in the shared basis)."""
        a = tuple(tuple(parse_rational(v, what="A") for v in row) for row in A)
        dd = tuple(parse_rational(v, what="d") for v in d)
        y = tuple(sum((ai * di for ai, di in zip(row, dd, strict=True)), Fraction(0))
                  for row in a)
        return cls(a, y, tuple(parse_rational(v, what="u0") for v in u0),
                   tuple(parse_rational(v, what="v0") for v in v0), activation)


def symbols(n: int) -> tuple[tuple[sympy.Symbol, ...], tuple[sympy.Symbol, ...],
                             tuple[sympy.Symbol, ...]]:
    """(u_1..u_n, v_1..v_n, x_1..x_n) as real sympy symbols."""
    u = sympy.symbols(f"u1:{n + 1}", real=True)
    v = sympy.symbols(f"v1:{n + 1}", real=True)
    x = sympy.symbols(f"x1:{n + 1}", real=True)
    return tuple(u), tuple(v), tuple(x)


def reduced_model(n: int, activation: str = "tanh") -> Model:
    """f(x; u, v) = sum_k x_k sigma(u_k v_k), parameters (u_1..u_n, v_1..v_n), inputs x_1..x_n."""
    if activation not in REDUCED_ACTIVATIONS:
        raise InvalidArgument(f"activation: expected one of {', '.join(REDUCED_ACTIVATIONS)}, "
                              f"got {activation!r}")
    u, v, x = symbols(n)
    expr = sum((x[k] * _sigma(activation, u[k] * v[k]) for k in range(n)), sympy.Integer(0))
    return Model.from_expression(expr, (*u, *v), x)


def reduced_flow(problem: ReducedProblem) -> GradientFlow:
    """The gradient flow of the reduced model on the data (a_i, y_i), square loss."""
    return gradient_flow(reduced_model(problem.n, problem.activation),
                         Dataset([list(r) for r in problem.A], list(problem.y)))


def vanishes(expr: sympy.Expr) -> bool:
    """expr == 0 identically, by exact algebra: expanded (a polynomial in the symbols and the
    sigma(u_k v_k) atoms: its expansion is 0 exactly when it vanishes), else simplified."""
    return sympy.expand(expr) == 0 or sympy.simplify(expr) == 0


def spec_ode_matches(n: int, m: int, activation: str = "tanh") -> bool:
    """Exact algebra, symbolic A (m x n) and y: -grad of (1/2) sum_i (a_i . sigma(u v) - y_i)^2
    equals SPEC's field u' = -r sigma'(uv) v, v' = -r sigma'(uv) u, r = A^T (A z - y)."""
    u, v, _ = symbols(n)
    a = sympy.Matrix(m, n, lambda i, k: sympy.Symbol(f"a{i + 1}_{k + 1}", real=True))
    y = sympy.Matrix(m, 1, lambda i, _: sympy.Symbol(f"y{i + 1}", real=True))
    s = sympy.Symbol("s", real=True)
    sig = sympy.Lambda(s, _sigma(activation, s))
    dsig = sympy.Lambda(s, sympy.diff(_sigma(activation, s), s))
    z = sympy.Matrix(n, 1, lambda k, _: sig(u[k] * v[k]))
    e = a * z - y
    loss = (e.T * e)[0, 0] / 2
    r = a.T * e
    for k in range(n):
        spec_u = -r[k] * dsig(u[k] * v[k]) * v[k]
        spec_v = -r[k] * dsig(u[k] * v[k]) * u[k]
        if not vanishes(-sympy.diff(loss, u[k]) - spec_u):
            return False
        if not vanishes(-sympy.diff(loss, v[k]) - spec_v):
            return False
    return True


def balance_conserved(n: int, m: int, activation: str = "tanh") -> bool:
    """Exact algebra, symbolic A and y: grad(u_k^2 - v_k^2) . (-grad L) = 0 for every k."""
    u, v, _ = symbols(n)
    a = sympy.Matrix(m, n, lambda i, k: sympy.Symbol(f"a{i + 1}_{k + 1}", real=True))
    y = sympy.Matrix(m, 1, lambda i, _: sympy.Symbol(f"y{i + 1}", real=True))
    z = sympy.Matrix(n, 1, lambda k, _: _sigma(activation, u[k] * v[k]))
    e = a * z - y
    loss = (e.T * e)[0, 0] / (2 * m)
    for k in range(n):
        q = u[k] ** 2 - v[k] ** 2
        rate = sum((sympy.diff(q, p) * -sympy.diff(loss, p) for p in (*u, *v)), sympy.Integer(0))
        if not vanishes(rate):
            return False
    return True


def _cayley(params: Sequence[int]) -> sympy.Matrix:
    """(I - K)(I + K)^-1 for the skew K with upper entries ``params``: exactly orthogonal."""
    k = sympy.zeros(3, 3)
    k[0, 1], k[0, 2], k[1, 2] = (sympy.Rational(p) for p in params)
    k = k - k.T
    return (sympy.eye(3) - k) * (sympy.eye(3) + k).inv()


def reflection_invariance() -> bool:
    """Exact algebra on a rational instance (n = 3, Phi, Psi, G by Cayley transforms, symbolic
    diagonal a): (1) Phi S Phi^T A Psi S Psi^T = A for A = Phi diag(a) Psi^T and every sign
    matrix S; (2) the common fixed set of the maps U -> Phi S Phi^T U G^T S G is the aligned
    set: Phi^T U G^T commutes with every S, i.e. is diagonal (checked on a symbolic U)."""
    phi, psi, g = _cayley((1, 2, 3)), _cayley((-2, 1, 1)), _cayley((3, -1, 2))
    for o in (phi, psi, g):
        if o.T * o != sympy.eye(3):
            return False
    a = sympy.symbols("a1:4", real=True)
    big_a = phi * sympy.diag(*a) * psi.T
    signs = [sympy.diag(*s) for s in ((-1, 1, 1), (1, -1, 1), (1, 1, -1))]
    for s in signs:
        if sympy.simplify(phi * s * phi.T * big_a * psi * s * psi.T - big_a) != sympy.zeros(3, 3):
            return False
    c = sympy.Matrix(3, 3, sympy.symbols("c1:10", real=True))  # c = Phi^T U G^T
    equations = [e for s in signs for e in (s * c * s - c)]
    solution = sympy.solve(equations, list(c), dict=True)
    if len(solution) != 1:
        return False
    fixed = c.subs(solution[0])
    return all(fixed[i, j] == 0 for i in range(3) for j in range(3) if i != j) and \
        all(fixed[i, i] == c[i, i] for i in range(3))


# Validated proof of the reduced limit. 64 bits and the loss target 1e-16 give a limit ball of
# radius ~1e-8 (far below the minimality gaps decided on it) in ~1-3 s for n = 3; at the
# default 128 bits / 2^-192 the same instances need ~200 s and a 3 MB certificate.
PROOF_PREC = 64
PROOF_LOSS_TARGET = Fraction(1, 10 ** 16)
# Taylor order of the validated steps. The steps of these flows are limited by the stiffness
# of the field (h ~ 0.02-0.13 whatever the order), so a high order buys no length: order 16
# proves the three catalogue instances with the same number of steps as 24 at two thirds of the
# proof time, and the checker's replay (quadratic in the order) takes about half as long.
PROOF_ORDER = 16
# Taylor order of the sensitivity matrices (they multiply only the tiny Lohner box R_k): 4
# widens the limit balls by a few per cent against 10 and halves the checker's replay, whose
# joint (theta, V) program has 2n + (2n)^2 outputs; 2 is too coarse (GAP stalls, KKT fails).
PROOF_SENSITIVITY_ORDER = 4
PROOF_T_MAX = Fraction(400)


def prove_reduced_limit(problem: ReducedProblem, *, prec: int = PROOF_PREC,
                        loss_target: Fraction = PROOF_LOSS_TARGET, order: int = PROOF_ORDER,
                        sensitivity_order: int = PROOF_SENSITIVITY_ORDER,
                        t_max: Fraction = PROOF_T_MAX) -> Any:
    """lim (u, v)(t) in a ball with zero loss, by igproof's validated machinery
    (:func:`igproof.proof.limits.limit.prove_flow_limit`: Lohner enclosure + PL end-game).

    Returns (flow, ProvedLimit | Inconclusive). Guarantee: enclosure.
    """
    from igproof.proof.limits.limit import prove_flow_limit

    flow = reduced_flow(problem)
    return flow, prove_flow_limit(flow, problem.theta0, prec=prec, loss_target=loss_target,
                                  order=order, sensitivity_order=sensitivity_order, t_max=t_max)
