"""The gradient-flow vector field F(theta) = -grad L_S(theta) of the square loss, exactly.

For models with ReLU or leaky ReLU the field is piecewise: it depends on the signs of the kinks
z_k(theta) (the pre-activations inside a relu). With the convention relu'(0) = 0 (SPEC.md), a
kink with sign 0 behaves as an inactive one, so on the closed region where every kink has a given
sign the field equals the smooth field of :meth:`GradientFlow.restricted`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from fractions import Fraction
from functools import cached_property
from typing import Any

import sympy

from igproof.errors import InvalidArgument
from igproof.symbolic.activations import MPMATH_FUNCTIONS, NUMPY_FUNCTIONS, relu, relu_step
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.exactness import certainly_nonzero
from igproof.symbolic.loss import loss_from_residuals, residuals
from igproof.symbolic.models import Model

__all__ = ["GradientFlow", "gradient_flow"]

BACKENDS = ("numpy", "mpmath")

# lambdify(): up to this many residual-Jacobian entries (n * p) the field itself is compiled with
# shared subexpressions (fastest calls); beyond, r and J are compiled and F = -(1/n) J^T r is
# formed at call time, because compiling the expanded field grows like n^2 p.
COMPILE_FIELD_LIMIT = 2000

# conservation(): enumerate all 2^K activation patterns up to this many distinct kinks (1024
# restricted fields, a few seconds for small models); beyond, use the equivalent multilinear
# identity, whose cost does not grow like 2^K.
MAX_ENUMERATED_KINKS = 10


# Numerators of the rational test points theta_k = N_k / (97 + k) used to refute an identity
# quickly (generic-looking values with no structure that could make a nonzero expression vanish);
# a nonzero value there, evaluated with certified digits, proves the expression is not 0.
_WITNESS_POINTS = ((31, -17, 53, 23, -41, 67, 11), (-29, 43, 19, -61, 37, 13, -7))

def _is_exact(value: Any) -> bool:
    return (isinstance(value, (int, Fraction, sympy.Rational))
            and not isinstance(value, bool))


def _exact(value: Any) -> sympy.Rational:
    if isinstance(value, sympy.Rational):
        return value
    q = Fraction(value)
    return sympy.Rational(q.numerator, q.denominator)


def _derivative(expr: sympy.Expr, p: sympy.Symbol) -> sympy.Expr:
    """d expr / dp by the sum, product, power and chain rules (relu' = relu_step, relu_step' = 0).

    The same exact result as sympy.diff for these node types, without sympy's Derivative
    machinery (which dominates the cost of large flows); other nodes fall back to sympy.diff.
    """
    if not expr.has(p):
        return sympy.S.Zero
    if expr == p:
        return sympy.S.One
    if expr.is_Add:
        return sympy.Add(*[_derivative(a, p) for a in expr.args])
    if expr.is_Mul:
        args = expr.args
        terms = []
        for i, a in enumerate(args):
            if a.has(p):
                terms.append(sympy.Mul(*args[:i], _derivative(a, p), *args[i + 1:]))
        return sympy.Add(*terms)
    if isinstance(expr, relu):
        return relu_step(expr.args[0]) * _derivative(expr.args[0], p)
    if isinstance(expr, relu_step):
        return sympy.S.Zero
    if expr.is_Pow and not expr.exp.has(p):
        base, exp = expr.args
        return exp * base ** (exp - 1) * _derivative(base, p)
    return sympy.diff(expr, p)


def _eval_affine(c0: Fraction, terms: list[tuple[int, Fraction]], theta: Sequence[Any]) -> Any:
    """c0 + sum c_k theta_k in the arithmetic of theta: rationals enter as (integer)/(integer)
    operations on theta's own type, so an arb ball stays a rigorous enclosure."""
    zero = theta[0] * 0
    total = (zero + c0.numerator) / c0.denominator
    for k, c in terms:
        total = total + theta[k] * c.numerator / c.denominator
    return total


def _relu_atoms_in_order(expr: sympy.Expr) -> list[sympy.Expr]:
    """The arguments of the relu atoms of expr, in preorder, without repeats."""
    seen: list[sympy.Expr] = []
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, relu) and node.args[0] not in seen:
            seen.append(node.args[0])
    return seen


def _strip_relu(expr: sympy.Expr, mapping: dict[sympy.Expr, sympy.Expr]) -> sympy.Expr:
    """Apply relu(z) -> mapping value until no mapped relu atom is left (handles nesting)."""
    for _ in range(100):
        new = expr.xreplace(mapping)
        if new == expr:
            return new
        expr = new
    raise InvalidArgument("restricted: relu nesting is deeper than 100 levels")


class GradientFlow:
    """d theta/dt = F(theta) = -grad L_S(theta), L_S = (1/2n) sum_i r_i^2, r_i = f(x_i) - y_i.

    Build with :func:`gradient_flow`. Attributes are sympy objects in ``parameters``; everything
    is exact. ``restricted(pattern)`` gives the smooth flow of one activation pattern.

    Attributes
    ----------
    model, dataset, parameters
        The model, the data, theta (a tuple of sympy Symbols in the model's order).
    residuals : tuple of sympy.Expr
        r_i(theta), with repeats for repeated points.
    kinks : tuple of sympy.Expr
        The pre-activations z_k(theta) inside a relu (also inside leaky relu). Order: for built-in
        models, point-major: k = i * m + j for data point i and unit j (m = width), constant
        kinks (x_i = 0) included; for expression models, per point i in order, the relu arguments
        of r_i in sympy preorder, without repeats within one point. Empty for smooth models.
    pattern_signs : tuple of int or None
        For a restricted flow: the pattern it was restricted to.
    """

    def __init__(self, model: Model, dataset: Dataset, *,
                 residual_exprs: Sequence[sympy.Expr] | None = None,
                 kinks: Sequence[sympy.Expr] = (),
                 pattern_signs: tuple[int, ...] | None = None,
                 parent: GradientFlow | None = None) -> None:
        self.model = model
        self.dataset = dataset
        self.parameters: tuple[sympy.Symbol, ...] = model.parameters
        self.residuals: tuple[sympy.Expr, ...] = (tuple(residual_exprs)
                                                  if residual_exprs is not None
                                                  else residuals(model, dataset))
        self.kinks: tuple[sympy.Expr, ...] = tuple(kinks)
        self.pattern_signs = pattern_signs
        self._parent = parent
        self._compiled: dict[str, Callable[[Sequence[Any]], Any]] = {}
        self._restricted_cache: dict[tuple[int, ...], GradientFlow] = {}
        self._kink_fn: Callable[..., Any] | None = None

    def __repr__(self) -> str:
        extra = f", pattern={self.pattern_signs}" if self.pattern_signs is not None else ""
        return (f"GradientFlow(model={self.model!r}, n={self.dataset.n}, "
                f"kinks={len(self.kinks)}{extra})")

    # -- exact objects -----------------------------------------------------------------------
    @property
    def is_piecewise(self) -> bool:
        """True when the field depends on the signs of kinks (relu, leaky relu models)."""
        return len(self.kinks) > 0

    @cached_property
    def loss(self) -> sympy.Expr:
        """L_S(theta) = (1/2n) sum_i r_i(theta)^2 (exact)."""
        return loss_from_residuals(self.residuals)

    def residual_jacobian(self) -> sympy.Matrix:
        """The n x p matrix J_ik = d r_i / d theta_k (relu'(0) = 0 at kinks). Guarantee: exact."""
        return self._residual_jacobian

    @cached_property
    def _residual_jacobian(self) -> sympy.Matrix:
        # Differentiate term by term, each term only in the parameters it contains: the same
        # exact result as Matrix.jacobian, without differentiating every term in every parameter.
        index = {p: k for k, p in enumerate(self.parameters)}
        rows = []
        for r in self.residuals:
            parts: list[list[sympy.Expr]] = [[] for _ in self.parameters]
            for term in sympy.Add.make_args(r):
                for p in term.free_symbols:
                    k = index.get(p)
                    if k is not None:
                        parts[k].append(_derivative(term, p))
            rows.append([sympy.Add(*terms) for terms in parts])
        return sympy.Matrix(len(rows), len(self.parameters), lambda i, k: rows[i][k])

    @cached_property
    def field(self) -> sympy.Matrix:
        """F(theta) = -grad L_S = -(1/n) J^T r, a p x 1 sympy Matrix. Guarantee: exact."""
        n = len(self.residuals)
        jac = self._residual_jacobian
        scale = -sympy.Rational(1, n)
        entries = []
        for k in range(len(self.parameters)):
            terms = [jac[i, k] * r for i, r in enumerate(self.residuals) if jac[i, k] != 0]
            entries.append(scale * sympy.Add(*terms))
        return sympy.Matrix(entries)

    def jacobian(self) -> sympy.Matrix:
        """dF/dtheta = -Hess L_S (p x p), for smooth flows (use restricted(pattern) for relu).

        Guarantee: exact.
        """
        if self.is_piecewise:
            raise InvalidArgument("jacobian: this flow is piecewise (relu kinks); take the "
                                  "Jacobian of a smooth piece, flow.restricted(pattern).jacobian()")
        return self._jacobian

    @cached_property
    def _jacobian(self) -> sympy.Matrix:
        return self.field.jacobian(sympy.Matrix(self.parameters))

    # -- patterns ----------------------------------------------------------------------------
    def _check_theta(self, theta: Sequence[Any]) -> None:
        if isinstance(theta, (str, bytes)) or not hasattr(theta, "__len__"):
            raise InvalidArgument(f"theta: expected {len(self.parameters)} numbers, got {theta!r}")
        if len(theta) != len(self.parameters):
            raise InvalidArgument(f"theta: expected {len(self.parameters)} numbers (parameters "
                                  f"{', '.join(map(str, self.parameters))}), got {len(theta)}")

    def pattern(self, theta: Sequence[Any]) -> tuple[int, ...]:
        """sign(z_k(theta)) in {1, 0, -1} for every kink.

        Guarantee: exact when every entry of theta is an int, Fraction or sympy Rational;
        otherwise the sign of the value computed in the arithmetic of theta (floats or mpmath
        numbers, approximate near a kink). With balls (python-flint arb) a sign is returned only
        when certain; a ball containing 0 raises InvalidArgument.
        """
        self._check_theta(theta)
        if not self.kinks:
            return ()
        if all(_is_exact(v) for v in theta):
            values = {p: _exact(v) for p, v in zip(self.parameters, theta, strict=True)}
            signs = []
            for z in self.kinks:
                value = z.xreplace(values)
                signs.append(int(sympy.sign(value)))
            return tuple(signs)
        affine = self._affine_kinks
        if affine is not None:
            values = [_eval_affine(c0, coefficients, theta) for c0, coefficients in affine]
        else:
            if self._kink_fn is None:
                self._kink_fn = sympy.lambdify(self.parameters, list(self.kinks),
                                               modules=[MPMATH_FUNCTIONS, "mpmath"])
            values = self._kink_fn(*theta)
        signs = []
        for k, v in enumerate(values):
            if v > 0:
                signs.append(1)
            elif v < 0:
                signs.append(-1)
            elif v == 0:
                signs.append(0)
            else:  # e.g. an arb ball that contains 0: never branch on it
                raise InvalidArgument(f"theta: the sign of kink {k} ({self.kinks[k]}) is "
                                      "undecided at this point (its enclosure contains 0)")
        return tuple(signs)

    @cached_property
    def _affine_kinks(self) -> list[tuple[Fraction, list[tuple[int, Fraction]]]] | None:
        """Each kink as c0 + sum_k c_k theta_k with rational c (None if one is not affine)."""
        out = []
        for z in self.kinks:
            try:
                poly = sympy.Poly(z, *self.parameters)
            except sympy.PolynomialError:
                return None
            if poly.total_degree() > 1 or not all(c.is_Rational for c in poly.coeffs()):
                return None
            c0 = poly.coeff_monomial(1)
            terms = []
            for k, p in enumerate(self.parameters):
                c = poly.coeff_monomial(p)
                if c != 0:
                    terms.append((k, Fraction(int(c.p), int(c.q))))
            out.append((Fraction(int(c0.p), int(c0.q)), terms))
        return out

    def _normalize_pattern(self, pattern: Sequence[int]) -> tuple[int, ...]:
        if isinstance(pattern, (str, bytes)) or not isinstance(pattern, Sequence):
            raise InvalidArgument(f"pattern: expected a sequence of signs 1/0/-1, got {pattern!r}")
        if len(pattern) != len(self.kinks):
            raise InvalidArgument(f"pattern: expected {len(self.kinks)} signs (one per kink), "
                                  f"got {len(pattern)}")
        out = []
        for k, s in enumerate(pattern):
            if isinstance(s, bool) or s not in (1, 0, -1):
                raise InvalidArgument(f"pattern[{k}]: expected 1, 0 or -1, got {s!r}")
            out.append(int(s))
        return tuple(out)

    def restricted(self, pattern: Sequence[int]) -> GradientFlow:
        """The smooth flow valid where each kink z_k has the sign pattern[k].

        relu(z_k) -> z_k for sign 1 and -> 0 for sign 0 or -1 (relu'(0) = 0), so leaky relu
        s z + (1 - s) relu(z) becomes z or s z. Raises InvalidArgument if two equal kinks get
        different activity.
        """
        if not self.is_piecewise:
            raise InvalidArgument("restricted: this flow has no kinks (it is already smooth)")
        signs = self._normalize_pattern(pattern)
        key = signs
        cached = self._restricted_cache.get(key)
        if cached is not None:
            return cached
        mapping: dict[sympy.Expr, sympy.Expr] = {}
        for k, (z, s) in enumerate(zip(self.kinks, signs, strict=True)):
            atom = relu(z)
            value = z if s == 1 else sympy.S.Zero
            if not isinstance(atom, relu):
                continue  # a constant kink: relu already evaluated
            if atom in mapping and mapping[atom] != value:
                raise InvalidArgument(f"pattern[{k}]: kink {z} appears twice with different "
                                      "activity in this pattern")
            mapping[atom] = value
        res = tuple(_strip_relu(r, mapping) for r in self.residuals)
        left = [a for r in res for a in r.atoms(relu)]
        if left:
            raise InvalidArgument(f"restricted: relu({left[0].args[0]}) is not a kink of this flow")
        flow = GradientFlow(self.model, self.dataset, residual_exprs=res, kinks=(),
                            pattern_signs=signs, parent=self)
        self._restricted_cache[key] = flow
        return flow

    # -- conservation laws -------------------------------------------------------------------
    def _gradient_dot(self, q: sympy.Expr, field: sympy.Matrix) -> sympy.Expr:
        grad = [sympy.diff(q, p) for p in self.parameters]
        return sympy.Add(*[g * f for g, f in zip(grad, field, strict=True)])

    def _is_zero(self, expr: sympy.Expr) -> bool:
        """Exact zero test: a nonzero value at a rational point refutes; else simplify."""
        expr = sympy.expand(expr)
        if expr == 0:
            return True
        for point in _WITNESS_POINTS:
            values = {p: sympy.Rational(point[k % len(point)], 97 + k)
                      for k, p in enumerate(self.parameters)}
            if certainly_nonzero(expr.xreplace(values)):
                return False
        expr = sympy.cancel(expr)
        if expr == 0:
            return True
        return sympy.simplify(expr) == 0

    def conservation(self, q: sympy.Expr, *, method: str = "auto") -> bool:
        """Whether dQ/dt = grad Q . F(theta) is identically 0 (in every pattern for relu models).

        Parameters
        ----------
        q : sympy.Expr
            Q(theta), an expression in the parameters.
        method : {"auto", "patterns", "multilinear"}
            For piecewise flows: "patterns" enumerates all 2^K activity patterns of the K
            distinct non-constant kinks; "multilinear" writes relu(z_k) = s_k z_k and
            relu_step(z_k) = s_k with free s_k, reduces s_k^2 = s_k, and checks that every
            coefficient of the resulting multilinear polynomial in s is 0 -- a polynomial
            identity that holds on {0, 1}^K exactly when it holds in every pattern. "auto" uses
            patterns up to MAX_ENUMERATED_KINKS kinks.

        Returns
        -------
        bool
            True: proved exactly (exact algebra). False: the expression did not simplify to 0
            (for the standard cases it is not identically 0; sympy's simplification is not a
            decision procedure for transcendental expressions).
        """
        if not isinstance(q, sympy.Expr):
            raise InvalidArgument(f"q: expected a sympy expression in the parameters, got {q!r}")
        extra = q.free_symbols - set(self.parameters)
        if extra:
            raise InvalidArgument(f"q: symbols {sorted(map(str, extra))} are not parameters of "
                                  "this flow")
        if method not in ("auto", "patterns", "multilinear"):
            raise InvalidArgument(f"method: expected 'auto', 'patterns' or 'multilinear', "
                                  f"got {method!r}")
        if not self.is_piecewise:
            return self._is_zero(self._gradient_dot(q, self.field))
        distinct = self._distinct_kinks()
        nested = any(a.args[0].has(relu) for r in self.residuals for a in r.atoms(relu))
        if method == "auto":
            method = ("patterns" if len(distinct) <= MAX_ENUMERATED_KINKS or nested
                      else "multilinear")
        if method == "multilinear" and nested:
            raise InvalidArgument("method: 'multilinear' needs a model without nested relu; "
                                  "use method='patterns'")
        if method == "multilinear":
            return self._conservation_multilinear(q, distinct)
        index = {z: k for k, z in enumerate(distinct)}
        for bits in itertools.product((1, -1), repeat=len(distinct)):
            pattern = tuple(bits[index[z]] if z in index else 0 for z in self.kinks)
            flow = self.restricted(pattern)
            if not self._is_zero(self._gradient_dot(q, flow.field)):
                return False
        return True

    def _distinct_kinks(self) -> list[sympy.Expr]:
        out: list[sympy.Expr] = []
        for z in self.kinks:
            if isinstance(relu(z), relu) and z not in out:
                out.append(z)
        return out

    def _conservation_multilinear(self, q: sympy.Expr, distinct: list[sympy.Expr]) -> bool:
        s = sympy.symbols(f"s0:{len(distinct)}", cls=sympy.Dummy)
        mapping: dict[sympy.Expr, sympy.Expr] = {}
        for sk, z in zip(s, distinct, strict=True):
            mapping[relu(z)] = sk * z
            mapping[relu_step(z)] = sk
        expr = self._gradient_dot(q, self.field).xreplace(mapping)
        if expr.has(relu) or expr.has(relu_step):
            raise InvalidArgument("method: 'multilinear' could not replace every relu atom")
        poly = sympy.Poly(sympy.expand(expr), *s)
        reduced: dict[tuple[int, ...], sympy.Expr] = {}
        for monom, coeff in poly.terms():
            key = tuple(min(e, 1) for e in monom)
            reduced[key] = reduced.get(key, sympy.S.Zero) + coeff
        return all(self._is_zero(c) for c in reduced.values())

    # -- numeric callables -------------------------------------------------------------------
    def field_at(self, theta: Sequence[Any]) -> sympy.Matrix:
        """F(theta) at an exact rational point (relu'(0) = 0 at kinks). Guarantee: exact."""
        self._check_theta(theta)
        if not all(_is_exact(v) for v in theta):
            raise InvalidArgument("theta: field_at needs exact numbers (int, Fraction, Rational); "
                                  "use lambdify(backend) for floats")
        values = {p: _exact(v) for p, v in zip(self.parameters, theta, strict=True)}
        return self.field.xreplace(values)

    def lambdify(self, backend: str = "numpy") -> Callable[[Sequence[Any]], Any]:
        """theta -> F(theta) compiled once: "numpy" returns a float array, "mpmath" a list of mpf.

        For piecewise flows the compiled field applies relu'(0) = 0 pointwise in the backend's
        arithmetic (a float sign decides the pattern: approximate near kinks); integrators that
        need a fixed pattern use :meth:`field_in_pattern`. The mpmath callable works at the
        current mpmath working precision. Guarantee: approximate (floating point).
        """
        if backend not in BACKENDS:
            raise InvalidArgument(f"backend: expected one of {', '.join(BACKENDS)}, got "
                                  f"{backend!r}")
        compiled = self._compiled.get(backend)
        if compiled is not None:
            return compiled
        jac = self._residual_jacobian
        n, p = jac.shape
        if n * p <= COMPILE_FIELD_LIMIT:
            compiled = self._compile_field(backend)
        else:
            compiled = self._compile_residuals(backend, jac)
        self._compiled[backend] = compiled
        return compiled

    def _compile_field(self, backend: str) -> Callable[[Sequence[Any]], Any]:
        """Compile the entries of F with common subexpressions shared (fast calls)."""
        exprs = list(self.field)
        if backend == "numpy":
            import numpy

            raw = sympy.lambdify(self.parameters, exprs, modules=[NUMPY_FUNCTIONS, "numpy"],
                                 cse=True)

            def compiled(theta: Sequence[Any]) -> Any:
                return numpy.array(raw(*theta), dtype=float)
        else:
            import mpmath

            raw = sympy.lambdify(self.parameters, exprs, modules=[MPMATH_FUNCTIONS, "mpmath"],
                                 cse=True)

            def compiled(theta: Sequence[Any]) -> Any:
                return [mpmath.mpf(v) for v in raw(*theta)]
        return compiled

    def _compile_residuals(self, backend: str,
                           jac: sympy.Matrix) -> Callable[[Sequence[Any]], Any]:
        """Compile r_i and the nonzero J_ik and form F = -(1/n) J^T r in the backend."""
        n, p = jac.shape
        nonzero = [(i, k) for i in range(n) for k in range(p) if jac[i, k] != 0]
        exprs = [list(self.residuals), [jac[i, k] for i, k in nonzero]]
        rows = [i for i, _ in nonzero]
        cols = [k for _, k in nonzero]
        if backend == "numpy":
            import numpy

            raw = sympy.lambdify(self.parameters, exprs, modules=[NUMPY_FUNCTIONS, "numpy"],
                                 cse=True)
            rows_a, cols_a = numpy.array(rows, dtype=int), numpy.array(cols, dtype=int)

            def compiled(theta: Sequence[Any]) -> Any:
                r, values = raw(*theta)
                r = numpy.asarray(r, dtype=float)
                out = numpy.zeros(p)
                numpy.add.at(out, cols_a, numpy.asarray(values, dtype=float) * r[rows_a])
                return -out / n
        else:
            import mpmath

            raw = sympy.lambdify(self.parameters, exprs, modules=[MPMATH_FUNCTIONS, "mpmath"],
                                 cse=True)

            def compiled(theta: Sequence[Any]) -> Any:
                r, values = raw(*theta)
                out = [mpmath.mpf(0)] * p
                for i, k, v in zip(rows, cols, values, strict=True):
                    out[k] += v * r[i]
                return [-v / n for v in out]
        return compiled

    def field_in_pattern(self, pattern: Sequence[int],
                         backend: str = "numpy") -> Callable[[Sequence[Any]], Any]:
        """The compiled smooth field of restricted(pattern) (cached per pattern and backend)."""
        return self.restricted(pattern).lambdify(backend)


def gradient_flow(model: Model, dataset: Dataset) -> GradientFlow:
    """The gradient flow d theta/dt = -grad L_S(theta) of the square loss of model on dataset.

    Raises DataError if the data dimension does not match the model.

    Examples
    --------
    >>> from igproof.symbolic.models import build_model
    >>> flow = gradient_flow(build_model("relu-neuron", dim=1), Dataset([[1]], [1]))
    >>> flow.field_at([2])
    Matrix([[-1]])
    """
    if not isinstance(model, Model):
        raise InvalidArgument(f"model: expected a Model (build_model or Model.from_expression), "
                              f"got {type(model).__name__}")
    if not isinstance(dataset, Dataset):
        raise InvalidArgument(f"dataset: expected a Dataset, got {type(dataset).__name__}")
    dataset.check_dim(model.dim)
    res = residuals(model, dataset)
    kinks: list[sympy.Expr] = []
    act = model.activation
    if model.units is not None and act is not None and act.piecewise_linear:
        for x in dataset.x:
            kinks.extend(model.preactivations(x) or ())
    elif model.units is None:
        for r in res:
            kinks.extend(_relu_atoms_in_order(r))
    return GradientFlow(model, dataset, residual_exprs=res, kinks=kinks)
