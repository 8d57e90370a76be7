"""Float integration of d theta/dt = -grad L(theta) with scipy, piecewise for ReLU models.

Within one activation pattern the restricted smooth field, compiled to straight-line float code
with its exact Jacobian (:func:`compile_float_field`, cached with the flow by
:func:`float_code`), is integrated by a ``scipy.integrate`` OdeSolver (``method="auto"``: LSODA,
Adams while non-stiff and BDF with the Jacobian where stiff; see DEFAULT_METHOD); each
non-constant kink z_k(theta) is a terminal event (direction: leaving the pattern's side), so a
switch is located by Brent's method on the solver's dense output, never by sampling past the
kink; the integration restarts there in the new pattern. One such solver run is one step of
:class:`FloatIntegrator`, a method of the integrator contract :mod:`igproof.numeric.stepper`.
"""

from __future__ import annotations

import ast
import math
import types
import weakref
from collections.abc import Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from igproof.errors import DataError, InvalidArgument
from igproof.numeric.pieces import PiecewiseField, euclidean_norm, exact_theta0
from igproof.numeric.result import Switch, Trajectory
from igproof.numeric.stepper import PiecewiseIntegrator, StepOutcome, check_options, run

if TYPE_CHECKING:  # sympy is imported where a field is compiled, not at import: a run from
    import sympy  # the field cache (numeric.cache) never loads it

__all__ = ["DEFAULT_METHOD", "DEFAULT_RTOL", "FloatField", "FloatIntegrator",
           "compile_float_field", "field_exprs", "float_code", "integrate_float"]

# "auto": LSODA with the compiled exact Jacobian, at AUTO_TOL_SCALE times the requested
# tolerances. LSODA runs Adams (orders 1-12, no Jacobian) while the flow is non-stiff and
# switches to BDF (orders 1-5, Newton with dF/dtheta) where its step-size test finds stiffness:
# near a limit on a manifold of minima the Hessian has tiny nonzero eigenvalues next to large
# ones (saturated tanh), where DOP853 is stability-bound to thousands of steps.
# benchmarks/bench_float_families.py (50 datasets per family, one run): on the relu one-datum,
# relu-neuron 4-point and tanh 2-point families this ran 2.3-17.6x faster (warm; 2.6-8.9x cold)
# than DOP853 and LSODA loops over solve_ivp, with as many or more flows converged, and
# 1.2-3x faster than DOP853 on the same compiled field (scipy's DOP853 step is ~12 numpy
# stage updates in Python; LSODA's step is Fortran).
DEFAULT_METHOD = "auto"
METHODS = ("auto", "DOP853", "RK45", "RK23", "LSODA", "Radau", "BDF")
# Methods that use the Jacobian dF/dtheta (passed from the compiled field, not differenced).
IMPLICIT_METHODS = ("LSODA", "Radau", "BDF")

# LSODA's global error at tolerance tol is 10-100x DOP853's at the same tol on these flows
# (limits against a rtol-1e-14 reference, bench_float_families.py); "auto" asks LSODA for
# tol * AUTO_TOL_SCALE so its limits are as accurate as DOP853's at tol (costs ~1.3x steps).
AUTO_TOL_SCALE = 1e-2

# scipy raises smaller relative tolerances to 100 machine epsilons (with a warning).
MIN_RTOL = 100 * 2.0 ** -52

# Relative tolerance: 1e-10 keeps float limits within ~1e-9 of the high-precision ones.
DEFAULT_RTOL = 1e-10

# atol = rtol * (smallest nonzero |theta0_i|): the initialization scale. scipy's default
# atol = 1e-6 is larger than a 1e-6 initialization and destroys the small-init regime.
FALLBACK_SCALE = 1.0

# A pattern switch costs a solver restart; more than this means chattering.
DEFAULT_MAX_SWITCHES = 1000

# A rate |dz/dt| below this (relative to |theta|) counts as 0 when deciding a kink's side.
RATE_NOISE = 1e-13

# Machine epsilon of a double: the root tolerance of event location (as solve_ivp's).
_EPS = 2.0 ** -52

# The smallest positive float: stands in for an exact 0 of a kink on the pattern's side.
_TINY = 5e-324


def _check_positive(name: str, value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidArgument(f"{name}: expected a positive number, got {value!r}") from None
    if not math.isfinite(v) or v <= 0:
        raise InvalidArgument(f"{name}: expected a positive finite number, got {value!r}")
    return v


def integrate_float(flow: Any, theta0: Sequence[Any], *, t_max: float,
                    rtol: float = DEFAULT_RTOL, atol: float | None = None,
                    method: str = DEFAULT_METHOD, max_switches: int = DEFAULT_MAX_SWITCHES,
                    grad_tol: float | None = None) -> Trajectory:
    """theta(t) for d theta/dt = F(theta) = -grad L(theta), theta(0) = theta0, in floats.

    Parameters
    ----------
    flow : igproof.symbolic.flow.GradientFlow
        The flow (smooth, or piecewise with kinks).
    theta0 : sequence of numbers
        Initial parameters (ints, Fractions, decimal text or floats), one per parameter.
    t_max : float
        Final time (> 0).
    rtol : float
        Relative tolerance of the solver.
    atol : float, optional
        Absolute tolerance; default rtol times the smallest nonzero |theta0_i| (the
        initialization scale), so small initializations are resolved.
    method : str
        ``"auto"`` (default: LSODA with the compiled Jacobian at tolerances x AUTO_TOL_SCALE,
        see DEFAULT_METHOD) or a ``solve_ivp`` method name (DOP853, RK45, RK23, LSODA, Radau,
        BDF; the implicit ones get the compiled Jacobian) run at the tolerances as given.
    max_switches : int
        Stop (status ``"max_switches"``) after this many pattern changes.
    grad_tol : float, optional
        Stop as soon as |F(theta)| <= grad_tol (terminal event), status ``"grad_tol"``.

    Returns
    -------
    Trajectory
        With the solver's accepted steps, the switches (time, kink, value of z_k there) and
        the stop reason.

    Notes
    -----
    A kink exactly at 0 at the start follows the convention of
    :mod:`igproof.numeric.pieces`. If at a switch the field on the new side pushes back into
    the kink (sliding), integration stops with status ``"sliding"``. The loop is
    :func:`igproof.numeric.stepper.run` over a :class:`FloatIntegrator`.

    Guarantee: approximate (solver error estimate only, no bound).
    """
    return run(FloatIntegrator(flow, theta0, t_max=t_max, rtol=rtol, atol=atol, method=method,
                               max_switches=max_switches, grad_tol=grad_tol))


class FloatIntegrator(PiecewiseIntegrator):
    """One step = one scipy OdeSolver run in the current pattern, to the next kink event or t_max.

    Each non-constant kink group is a terminal event (direction: leaving the pattern's side);
    ``grad_tol`` adds a terminal event |F| = grad_tol. Options as :func:`integrate_float`.

    Guarantee: approximate (solver error estimate only, no bound).
    """

    name = "float"
    OPTIONS = ("t_max", "rtol", "atol", "method", "max_switches", "grad_tol")

    def __init__(self, flow: Any, theta0: Sequence[Any], **options: Any) -> None:
        check_options("integrate_float", options, self.OPTIONS)
        if "t_max" not in options:
            raise InvalidArgument("t_max: required (the final time, > 0)")
        t_max = _check_positive("t_max", options["t_max"])
        rtol = _check_positive("rtol", options.get("rtol", DEFAULT_RTOL))
        method = options.get("method", DEFAULT_METHOD)
        if method not in METHODS:
            raise InvalidArgument(f"method: expected one of {', '.join(METHODS)}, "
                                  f"got {method!r}")
        max_switches = options.get("max_switches", DEFAULT_MAX_SWITCHES)
        if (isinstance(max_switches, bool) or not isinstance(max_switches, int)
                or max_switches < 0):
            raise InvalidArgument(f"max_switches: expected a non-negative integer, "
                                  f"got {max_switches!r}")
        exact0 = exact_theta0(flow, theta0)
        theta = [float(v) for v in exact0]
        if not all(math.isfinite(v) for v in theta):
            raise DataError(f"theta0: {exact0} overflows a float")
        atol = options.get("atol")
        if atol is None:
            nonzero = [abs(v) for v in theta if v != 0.0]
            atol = rtol * (min(nonzero) if nonzero else FALLBACK_SCALE)
        atol = _check_positive("atol", atol)
        grad_tol = options.get("grad_tol")
        if grad_tol is not None:
            grad_tol = _check_positive("grad_tol", grad_tol)
        self.rtol, self.atol, self.method, self.grad_tol = rtol, atol, method, grad_tol
        # The solver that runs and the tolerances it is given ("auto": see AUTO_TOL_SCALE).
        if method == "auto":
            self.solver = "LSODA"
            self.solver_rtol = max(rtol * AUTO_TOL_SCALE, MIN_RTOL)
            self.solver_atol = atol * AUTO_TOL_SCALE
        else:
            self.solver, self.solver_rtol, self.solver_atol = method, rtol, atol
        self.n_jacobian = 0  # Jacobian evaluations: > 0 when an implicit (stiff) path ran
        self.pieces = pieces = PiecewiseField(flow)
        noise = RATE_NOISE * max(1.0, max(abs(v) for v in theta))
        self.start_pattern = pieces.initial_pattern(exact0, float, noise)
        super().__init__(0.0, tuple(theta), self.start_pattern, t_end=t_max,
                         max_switches=max_switches)
        self._pieces: dict[tuple[int, ...], tuple[Any, Any]] = {}
        self._kinks: Any = None
        # Kink groups (one terminal event each); none for smooth flows.
        self.n_groups = len(pieces.groups) if pieces.kink_program is not None else 0

    def _piece(self, pattern: tuple[int, ...]) -> tuple[Any, Any]:
        """(field, jacobian) of one pattern as float code; jacobian None when not compiled."""
        key = tuple(1 if s == 1 else -1 for s in pattern)
        piece = self._pieces.get(key)
        if piece is None:
            flow = self.pieces.flow
            smooth = flow.restricted(pattern) if self.pieces.kinks else flow
            try:
                compiled = float_code(smooth, "field")
                piece = (compiled.field, compiled.jacobian)
            except InvalidArgument:  # a node the code generator lacks: the interpreter
                piece = (self.pieces.program(pattern).evaluate, None)
            self._pieces[key] = piece
        return piece

    def _kink_values(self) -> Any:
        if self._kinks is None:
            try:
                self._kinks = float_code(self.pieces.flow, "kinks").field
            except InvalidArgument:
                self._kinks = self.pieces.kink_program.evaluate
        return self._kinks

    def _step_impl(self) -> StepOutcome:
        import numpy
        import scipy.integrate

        pieces, grad_tol = self.pieces, self.grad_tol
        field, jacobian = self._piece(self.pattern)
        theta = list(self.state)
        # The events are evaluated at the new step point, where explicit solvers (FSAL) have
        # just evaluated the field: one remembered (state, value) pair saves that call.
        last: list[Any] = [None, None]

        def fun(_t: float, y: Any) -> list[float]:
            x = y.tolist()
            value = field(x)
            last[0], last[1] = x, value
            return value

        def field_at(y: Any) -> list[float]:
            x = y.tolist()
            return last[1] if x == last[0] else field(x)

        events = []
        if self.n_groups:
            kink_values = self._kink_values()
            seen: list[Any] = [None, None]

            def kinks_at(y: Any) -> list[float]:
                x = y.tolist()
                if x != seen[0]:
                    seen[0], seen[1] = x, kink_values(x)
                return seen[1]
        for g in range(self.n_groups):
            # An exact 0 counts as being on the pattern's side: solve_ivp would report a
            # crossing for g = 0 at both ends of a step (a kink resting at 0, sign 0).
            side = _TINY if pieces.group_sign(self.pattern, g) == 1 else -_TINY

            def event(y: Any, g: int = g, side: float = side) -> float:
                z = kinks_at(y)[g]
                return z if z != 0 else side
            events.append((event, -1 if side > 0 else 1))
        if grad_tol is not None:
            def grad_event(y: Any) -> float:
                return math.hypot(*field_at(y)) - grad_tol
            events.append((grad_event, -1))
            if math.hypot(*field(theta)) <= grad_tol:
                return StepOutcome(stop="grad_tol", steps=0)
        options: dict[str, Any] = {}
        if self.solver in IMPLICIT_METHODS and jacobian is not None:
            def jac(_t: float, y: Any) -> list[list[float]]:
                self.n_jacobian += 1
                return jacobian(y.tolist())
            options["jac"] = jac
        solver = getattr(scipy.integrate, self.solver)  # the OdeSolver class of solve_ivp
        return _advance(solver(fun, self.t, numpy.array(theta), self.t_end,
                               rtol=self.solver_rtol, atol=self.solver_atol, **options),
                        events, self.n_groups)

    def _switch(self, group: int) -> tuple[tuple[int, ...] | None, list[Switch], str]:
        theta = self.state
        noise = RATE_NOISE * max(1.0, max(abs(v) for v in theta))
        new_pattern, flips, message = self.pieces.switch(theta, self.pattern, group, noise)
        if new_pattern is None:
            return None, [], f"{message} (t={self.t:.6g})"
        return new_pattern, self.pieces.switch_records(self.t, theta, flips), ""

    def result(self) -> Trajectory:
        pieces = self.pieces
        theta = list(self.state)
        grad = euclidean_norm(self._piece(self.pattern)[0](theta))
        return Trajectory(
            method="float", parameters=pieces.names, t=self.t, theta=tuple(theta),
            pattern=self.pattern, grad_norm=grad, start_pattern=self.start_pattern,
            ts=self.ts, thetas=self.states, switches=self.switches, status=self.status,
            message=self.message,
            settings={"solver": self.solver, "method": self.method, "rtol": self.rtol,
                      "atol": self.atol, "solver_rtol": self.solver_rtol,
                      "solver_atol": self.solver_atol, "grad_tol": self.grad_tol,
                      "jacobian_evaluations": self.n_jacobian},
        )


def _crosses(g_old: float, g_new: float, direction: int) -> bool:
    """A zero of g between two step points, in the event's direction (as solve_ivp decides)."""
    if direction < 0:
        return g_old >= 0 >= g_new
    return g_old <= 0 <= g_new


def _advance(solver: Any, events: list[tuple[Any, int]], n_kinks: int) -> StepOutcome:
    """Run one scipy OdeSolver to its end or to the first terminal event (all are terminal).

    The loop of ``solve_ivp`` without its per-step bookkeeping: after each accepted step the
    events (kink groups 0..n_kinks-1, then |F| - grad_tol) are compared with their values at
    the previous point; a sign change in the event's direction is located by Brent's method on
    the solver's dense output of that step (tolerance 4 machine epsilons, as solve_ivp), and
    the earliest root ends the run.
    """
    from scipy.optimize import brentq

    points: list[tuple[float, tuple[float, ...]]] = []
    values = [g(solver.y) for g, _ in events]
    while solver.status == "running":
        message = solver.step()
        if solver.status == "failed":
            return StepOutcome(points=points, stop="solver", message=f"solve_ivp: {message}",
                               steps=len(points))
        t_old, t, y = solver.t_old, solver.t, solver.y
        new = [g(y) for g, _ in events]
        active = [k for k, (_, direction) in enumerate(events)
                  if _crosses(values[k], new[k], direction)]
        if active:
            dense = solver.dense_output()
            roots = []
            for k in active:
                g = events[k][0]
                roots.append((brentq(lambda s, g=g, dense=dense: g(dense(s)), t_old, t,
                                     xtol=4 * _EPS, rtol=4 * _EPS), k))
            t_event, k = min(roots)
            n_solver = len(points) + 1
            points.append((float(t_event), tuple(dense(t_event).tolist())))
            if k >= n_kinks:
                return StepOutcome(points=points, stop="grad_tol", steps=n_solver)
            return StepOutcome(points=points, event=k, steps=n_solver)
        points.append((float(t), tuple(y.tolist())))
        values = new
    return StepOutcome(points=points, steps=len(points))  # t_end: the next step() stops


# --------------------------------------------------------------------------------------------
# Straight-line float code for F and dF/dtheta


# Python functions the generated code may call (the only names it can reach: no builtins).
_FLOAT_FUNCTIONS: dict[str, Any] = {"tanh": math.tanh, "exp": math.exp, "log": math.log,
                                    "sinh": math.sinh, "cosh": math.cosh, "sqrt": math.sqrt}
# sympy function classes (by name) compiled to the functions above.
_SYMPY_FUNCTIONS = ("tanh", "exp", "log", "sinh", "cosh")


# Every generated node sits at line 1, column 0 (set at construction: ast.fix_missing_locations
# would walk the whole tree again, several times the cost of building it).
_AT = {"lineno": 1, "col_offset": 0, "end_lineno": 1, "end_col_offset": 0}


def _load(name: str) -> ast.expr:
    return ast.Name(id=name, ctx=ast.Load(), **_AT)


def _store(name: str) -> ast.expr:
    return ast.Name(id=name, ctx=ast.Store(), **_AT)


def _const(value: Any) -> ast.expr:
    return ast.Constant(value=float(value), **_AT)


def _op(left: ast.expr, op: ast.operator, right: ast.expr) -> ast.expr:
    return ast.BinOp(left=left, op=op, right=right, **_AT)


def _call(name: str, arg: ast.expr) -> ast.expr:
    return ast.Call(func=_load(name), args=[arg], keywords=[], **_AT)


def _list(items: Sequence[ast.expr]) -> ast.expr:
    return ast.List(elts=list(items), ctx=ast.Load(), **_AT)


def _power(base: ast.expr, q: Fraction) -> ast.expr:
    if q == Fraction(1, 2):
        return _call("sqrt", base)
    exponent = ast.Constant(value=int(q), **_AT) if q.denominator == 1 else _const(q)
    return _op(base, ast.Pow(), exponent)


class _Emitter:
    """One assignment per distinct sympy subexpression (values), and with ``tangents`` one per
    nonzero partial derivative d node / d theta_j (forward mode, sparse)."""

    def __init__(self, parameters: Sequence[sympy.Symbol], tangents: bool) -> None:
        self.body: list[ast.stmt] = []
        self.values: dict[sympy.Basic, ast.expr] = {}
        self.tangents: dict[sympy.Basic, dict[int, ast.expr]] = {}
        self.with_tangents = tangents
        for j, p in enumerate(parameters):
            self.values[p] = _load(f"x{j}")
            self.tangents[p] = {j: _const(1)}

    def _assign(self, value: ast.expr) -> ast.expr:
        name = f"v{len(self.body)}"
        self.body.append(ast.Assign(targets=[_store(name)], value=value, **_AT))
        return _load(name)

    def visit(self, expr: sympy.Basic) -> ast.expr:
        found = self.values.get(expr)
        if found is not None:
            return found
        if expr.is_Rational:
            self.values[expr], self.tangents[expr] = _const(Fraction(int(expr.p), int(expr.q))), {}
            return self.values[expr]
        if expr.is_Atom:
            raise InvalidArgument(f"exprs: cannot compile the atom {expr} to float code")
        args = [self.visit(a) for a in expr.args]
        d_args = [self.tangents[a] for a in expr.args]
        kind = type(expr)
        if expr.is_Add:
            value = args[0]
            for a in args[1:]:
                value = _op(value, ast.Add(), a)
        elif expr.is_Mul:
            value = args[0]
            for a in args[1:]:
                value = _op(value, ast.Mult(), a)
        elif expr.is_Pow and expr.exp.is_Rational:
            value = _power(args[0], Fraction(int(expr.exp.p), int(expr.exp.q)))
        elif kind.__name__ in _SYMPY_FUNCTIONS and len(args) == 1:
            value = _call(kind.__name__, args[0])
        else:
            raise InvalidArgument(f"exprs: cannot compile {kind.__name__} node {expr} to "
                                  "float code")
        node = self._assign(value)
        self.values[expr] = node
        tangent: dict[int, ast.expr] = {}
        if self.with_tangents:
            for j, d in self._chain(expr, node, args, d_args).items():
                tangent[j] = self._assign(d)
        self.tangents[expr] = tangent
        return node

    @staticmethod
    def _chain(expr: sympy.Basic, node: ast.expr, args: list[ast.expr],
               d_args: list[dict[int, ast.expr]]) -> dict[int, ast.expr]:
        """d node / d theta_j from the arguments' partials (sum, product, power, chain rules)."""
        out: dict[int, ast.expr] = {}

        def add(j: int, term: ast.expr) -> None:
            out[j] = _op(out[j], ast.Add(), term) if j in out else term

        if expr.is_Add:
            for d in d_args:
                for j, v in d.items():
                    add(j, v)
            return out
        if expr.is_Mul:
            for i, d in enumerate(d_args):
                for j, v in d.items():
                    term = v
                    for other in args[:i] + args[i + 1:]:
                        term = _op(term, ast.Mult(), other)
                    add(j, term)
            return out
        if not d_args[0]:
            return out
        u = args[0]
        if expr.is_Pow:
            q = Fraction(int(expr.exp.p), int(expr.exp.q))
            slope = (_op(_const(2), ast.Mult(), u) if q == 2
                     else _op(_const(q), ast.Mult(), _power(u, q - 1)))
        elif type(expr).__name__ == "tanh":
            slope = _op(_const(1), ast.Sub(), _op(node, ast.Mult(), node))
        elif type(expr).__name__ == "exp":
            slope = node
        elif type(expr).__name__ == "log":
            slope = _op(_const(1), ast.Div(), u)
        elif type(expr).__name__ == "sinh":
            slope = _call("cosh", u)
        else:  # cosh
            slope = _call("sinh", u)
        for j, v in d_args[0].items():
            add(j, _op(slope, ast.Mult(), v))
        return out


def _function(name: str, n_vars: int, body: list[ast.stmt], result: ast.expr) -> Any:
    """def name(theta): x0, ..., x_{n-1} = theta; body; return result  (compiled from the AST).

    The tree is built only from integer-indexed names, float constants and the names of
    _FLOAT_FUNCTIONS: no text is parsed and nothing is exec'd (the function is made from the
    compiled code object), and it runs without builtins.
    """
    unpack = ast.Assign(targets=[ast.Tuple(elts=[_store(f"x{j}") for j in range(n_vars)],
                                           ctx=ast.Store(), **_AT)],
                        value=_load("theta"), **_AT)
    arguments = ast.arguments(posonlyargs=[], args=[ast.arg(arg="theta", **_AT)],
                              kwonlyargs=[], kw_defaults=[], defaults=[])
    function = ast.FunctionDef(name=name, args=arguments,
                               body=[unpack, *body, ast.Return(value=result, **_AT)],
                               decorator_list=[], returns=None, type_params=[], **_AT)
    code = compile(ast.Module(body=[function], type_ignores=[]), f"<igproof float {name}>",
                   "exec")
    body_code = next(c for c in code.co_consts if isinstance(c, types.CodeType))
    return types.FunctionType(body_code, {"__builtins__": {}, **_FLOAT_FUNCTIONS}, name)


# flow -> {"field" | "residuals" | "kinks": FloatField}; see float_code().
_FLOAT_CODE: weakref.WeakKeyDictionary[Any, dict[str, FloatField]] = weakref.WeakKeyDictionary()


class FloatField:
    """F(theta) and dF/dtheta of one smooth piece as straight-line float code.

    ``field(theta)`` returns the list F_1..F_m; ``jacobian(theta)`` the m x p list of lists
    dF_i/dtheta_j (forward-mode chain rule on the same shared subexpressions: the Jacobian of
    the exact field, not a difference quotient), compiled on its first call (explicit methods
    never need it); theta is a list of p floats.

    Guarantee: approximate (IEEE double arithmetic, no bound).
    """

    def __init__(self, parameters: Sequence[sympy.Symbol], exprs: Sequence[sympy.Basic]) -> None:
        self.parameters, self.exprs = tuple(parameters), tuple(exprs)
        values = _Emitter(parameters, tangents=False)
        outs = [values.visit(e) for e in self.exprs]
        self.field = _function("field", len(parameters), values.body, _list(outs))
        self._jacobian: Any = None

    def jacobian(self, theta: Sequence[float]) -> list[list[float]]:
        """dF_i/dtheta_j at theta (m x p)."""
        if self._jacobian is None:
            p = len(self.parameters)
            both = _Emitter(self.parameters, tangents=True)
            for e in self.exprs:
                both.visit(e)
            rows = [_list([both.tangents[e].get(j, _const(0)) for j in range(p)])
                    for e in self.exprs]
            self._jacobian = _function("jacobian", p, both.body, _list(rows))
        return self._jacobian(theta)


def float_code(flow: Any, what: str) -> FloatField:
    """Float code for a flow: ``"field"`` F with its Jacobian or ``"residuals"`` (smooth flows),
    ``"kinks"`` (the distinct non-constant kinks z_k in order of first appearance: the kink
    groups of :class:`igproof.numeric.pieces.PiecewiseField`).

    Cached with the flow object (weakly: it goes when the flow goes), as the flow caches its
    sympy objects and its numpy lambdify: the next integration of the same flow or pattern
    (restricted flows are cached by their parent) skips code generation. Raises
    InvalidArgument when a node has no float code (callers fall back to the interpreter).
    """
    codes = _FLOAT_CODE.get(flow)
    if codes is None:
        codes = _FLOAT_CODE[flow] = {}
    code = codes.get(what)
    if code is None:
        if what == "field":
            exprs = field_exprs(flow)
        elif what == "residuals":
            exprs = list(flow.residuals)
        else:
            exprs = list(dict.fromkeys(z for z in flow.kinks if z.free_symbols))
        code = codes[what] = compile_float_field(flow.parameters, exprs)
    return code


def field_exprs(flow: Any) -> list[sympy.Basic]:
    """F_k = -(1/n) sum_i J_ik r_i of a smooth flow as unevaluated sympy trees.

    The same exact field as ``flow.field``, built from the residuals r_i and the residual
    Jacobian J (shared subtrees) without sympy's Mul/Add evaluation (its assumption queries
    cost milliseconds per flow): input for :func:`compile_float_field` only.
    """
    import sympy  # heavy: only here, when a field is compiled (see the imports above)

    residuals, jac = flow.residuals, flow.residual_jacobian()
    scale = sympy.Rational(-1, len(residuals))
    out = []
    for k in range(len(flow.parameters)):
        terms = [sympy.Mul(jac[i, k], r, evaluate=False) for i, r in enumerate(residuals)
                 if jac[i, k] != 0]
        if not terms:
            out.append(sympy.S.Zero)
            continue
        total = terms[0] if len(terms) == 1 else sympy.Add(*terms, evaluate=False)
        out.append(sympy.Mul(scale, total, evaluate=False))
    return out


def compile_float_field(parameters: Sequence[sympy.Symbol],
                        exprs: Sequence[sympy.Basic]) -> FloatField:
    """F = exprs(theta) and its Jacobian compiled to Python float code, shared subexpressions.

    Supported nodes: the parameters, rational constants, +, *, rational powers, exp, log, tanh,
    sinh, cosh (the smooth fields igproof builds; restrict relu flows to a pattern first).
    Raises InvalidArgument on anything else. Compiling takes about a millisecond for a field of
    a hundred nodes (no sympy printing, no sympy cse): cheap enough to run per activation
    pattern; a call costs well under a microsecond per node (the TaylorProgram interpreter,
    which also builds series, costs about 1 us per node and call).
    """
    return FloatField(parameters, exprs)
