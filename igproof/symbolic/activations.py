"""Activation functions sigma as exact sympy objects, with the ReLU convention sigma'(0) = 0.

ReLU is the sympy function :class:`relu`, relu(z) = max(z, 0); its derivative is the sympy
function :class:`relu_step`, relu_step(z) = 1 if z > 0 else 0. In particular relu'(0) = 0: the
convention used throughout igproof (SPEC.md), applied exactly because differentiating ``relu``
produces ``relu_step`` and ``relu_step(0)`` evaluates to 0.

Leaky ReLU with slope s is written through ReLU, sigma(z) = s z + (1 - s) relu(z), so that its
derivative s + (1 - s) relu_step(z) follows the same convention: sigma'(0) = s (the inactive side).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import sympy

from igproof.errors import InvalidArgument
from igproof.rationals import fraction_to_text, parse_rational

__all__ = ["KNOWN_ACTIVATIONS", "Activation", "get_activation", "relu", "relu_step"]

# Default slope of leaky ReLU: the common 1/100, exact.
DEFAULT_LEAKY_SLOPE = Fraction(1, 100)

ZERO_SET_TYPES = ("z<=0", "z=0", "none", "other")


def _sign_of_number(value: sympy.Expr) -> int | None:
    """Sign of a real number expression when sympy can decide it exactly, else None."""
    if value.is_zero:
        return 0
    if value.is_positive:
        return 1
    if value.is_negative:
        return -1
    return None


class relu(sympy.Function):
    """relu(z) = max(z, 0); derivative :class:`relu_step` (so relu'(0) = 0)."""

    nargs = 1

    @classmethod
    def eval(cls, z: sympy.Expr) -> sympy.Expr | None:
        if z.is_number and z.is_extended_real:
            sign = _sign_of_number(z)
            if sign is not None:
                return z if sign > 0 else sympy.S.Zero
        # Only a bare symbol's declared sign is used: asking sympy for the sign of a compound
        # expression costs assumption queries at every construction (slow for large flows).
        if z.is_Symbol:
            if z.is_nonnegative:
                return z
            if z.is_nonpositive:
                return sympy.S.Zero
        return None

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return relu_step(self.args[0])

    def _eval_is_real(self) -> bool | None:
        return self.args[0].is_real

    def _eval_is_nonnegative(self) -> bool | None:
        return True if self.args[0].is_real else None

    def _eval_evalf(self, prec: int) -> sympy.Expr | None:
        value = self.args[0]._eval_evalf(prec)
        if value is None or not value.is_number:
            return None
        return value if value > 0 else sympy.Float(0, precision=prec)

    def _eval_rewrite_as_Piecewise(self, z: sympy.Expr, **kwargs: Any) -> sympy.Expr:
        return sympy.Piecewise((z, z > 0), (0, True))

    def _eval_rewrite_as_Max(self, z: sympy.Expr, **kwargs: Any) -> sympy.Expr:
        return sympy.Max(z, 0)


class relu_step(sympy.Function):
    """relu_step(z) = 1 if z > 0 else 0 (so relu_step(0) = 0); its derivative is taken as 0.

    The derivative 0 holds off the kink z = 0; at the kink the flow is only defined through the
    convention, and Jacobians are taken on restricted (smooth) flows.
    """

    nargs = 1

    @classmethod
    def eval(cls, z: sympy.Expr) -> sympy.Expr | None:
        if z.is_number and z.is_extended_real:
            sign = _sign_of_number(z)
            if sign is not None:
                return sympy.S.One if sign > 0 else sympy.S.Zero
        if z.is_Symbol:
            if z.is_positive:
                return sympy.S.One
            if z.is_nonpositive:
                return sympy.S.Zero
        return None

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return sympy.S.Zero

    def _eval_is_real(self) -> bool:
        return True

    def _eval_evalf(self, prec: int) -> sympy.Expr | None:
        value = self.args[0]._eval_evalf(prec)
        if value is None or not value.is_number:
            return None
        return sympy.Float(1 if value > 0 else 0, precision=prec)

    def _eval_rewrite_as_Piecewise(self, z: sympy.Expr, **kwargs: Any) -> sympy.Expr:
        return sympy.Piecewise((1, z > 0), (0, True))


def _np_relu(z: Any) -> Any:
    import numpy

    return numpy.maximum(z, 0.0)


def _np_relu_step(z: Any) -> Any:
    import numpy

    return numpy.where(numpy.asarray(z) > 0, 1.0, 0.0)


def _mp_relu(z: Any) -> Any:
    return z if z > 0 else z * 0


def _mp_relu_step(z: Any) -> Any:
    return z * 0 + 1 if z > 0 else z * 0


# Name -> numeric implementation, for sympy.lambdify(modules=[...]); the convention
# relu_step(0) = 0 is kept in every backend.
NUMPY_FUNCTIONS: dict[str, Callable[[Any], Any]] = {"relu": _np_relu, "relu_step": _np_relu_step}
MPMATH_FUNCTIONS: dict[str, Callable[[Any], Any]] = {"relu": _mp_relu, "relu_step": _mp_relu_step}


@dataclass(frozen=True)
class Activation:
    """An activation sigma: its exact formula, derivative and the structural facts igproof uses.

    Attributes
    ----------
    name : str
        The registry name (``"relu"``, ``"tanh"``, ...).
    formula : callable
        z -> sigma(z) as a sympy expression.
    positively_homogeneous : bool
        sigma(c z) = c sigma(z) for every c > 0 (relu, leaky relu, linear, c1 z).
    zero_set : str
        ``"z<=0"`` (sigma(z) = 0 exactly when z <= 0), ``"z=0"`` (exactly when z = 0),
        ``"none"`` (never) or ``"other"``.
    piecewise_linear : bool
        True for relu and leaky relu: gradient flows are piecewise systems with kinks at z = 0.
    options : dict
        The options it was built with (exact rationals), e.g. ``{"slope": Fraction(1, 100)}``.
    """

    name: str
    formula: Callable[[sympy.Expr], sympy.Expr] = field(repr=False)
    positively_homogeneous: bool
    zero_set: str
    piecewise_linear: bool
    options: dict[str, Any] = field(default_factory=dict)

    def sigma(self, z: sympy.Expr) -> sympy.Expr:
        """sigma(z), a sympy expression (exact)."""
        return self.formula(sympy.sympify(z))

    def derivative(self, z: sympy.Expr) -> sympy.Expr:
        """sigma'(z), a sympy expression; for relu-type activations sigma'(0) is the inactive side.

        Guarantee: exact.
        """
        s = sympy.Dummy("s", real=True)
        return sympy.diff(self.formula(s), s).xreplace({s: sympy.sympify(z)})

    def describe(self) -> str:
        """A one-line human description including options, e.g. ``leaky-relu(slope=1/100)``."""
        if not self.options:
            return self.name
        parts = []
        for key, value in self.options.items():
            if isinstance(value, (list, tuple)):
                text = "[" + ", ".join(fraction_to_text(v) for v in value) + "]"
            else:
                text = fraction_to_text(value)
            parts.append(f"{key}={text}")
        return f"{self.name}({', '.join(parts)})"


def _no_options(name: str, options: dict[str, Any]) -> None:
    if options:
        raise InvalidArgument(f"activation {name!r} takes no options, got "
                              f"{sorted(options)!r}")


def _relu(options: dict[str, Any]) -> Activation:
    _no_options("relu", options)
    return Activation("relu", relu, True, "z<=0", True)


def _leaky_relu(options: dict[str, Any]) -> Activation:
    unknown = set(options) - {"slope"}
    if unknown:
        raise InvalidArgument(f"activation 'leaky-relu' accepts only the option 'slope', got "
                              f"{sorted(unknown)!r}")
    slope = parse_rational(options.get("slope", DEFAULT_LEAKY_SLOPE), what="slope")
    s = sympy.Rational(slope.numerator, slope.denominator)
    zero_set = "z<=0" if slope == 0 else "z=0"
    return Activation("leaky-relu", lambda z: s * z + (1 - s) * relu(z), True, zero_set, True,
                      {"slope": slope})


def _linear(options: dict[str, Any]) -> Activation:
    _no_options("linear", options)
    return Activation("linear", lambda z: z, True, "z=0", False)


def _tanh(options: dict[str, Any]) -> Activation:
    _no_options("tanh", options)
    return Activation("tanh", sympy.tanh, False, "z=0", False)


def _sigmoid(options: dict[str, Any]) -> Activation:
    _no_options("sigmoid", options)
    return Activation("sigmoid", lambda z: 1 / (1 + sympy.exp(-z)), False, "none", False)


def _softplus(options: dict[str, Any]) -> Activation:
    _no_options("softplus", options)
    return Activation("softplus", lambda z: sympy.log(1 + sympy.exp(z)), False, "none", False)


def _gaussian(options: dict[str, Any]) -> Activation:
    _no_options("gaussian", options)
    return Activation("gaussian", lambda z: sympy.exp(-z**2 / 2), False, "none", False)


def _polynomial_zero_set(coefficients: Sequence[Fraction]) -> str:
    """Zero-set type of sum_j c_j z^j, decided exactly from its real roots."""
    z = sympy.Symbol("z", real=True)
    poly = sympy.Poly([sympy.Rational(c.numerator, c.denominator)
                       for c in reversed(coefficients)], z, domain="QQ")
    if poly.is_zero:
        return "other"
    roots = set(sympy.real_roots(poly))
    if not roots:
        return "none"
    if roots == {0}:
        return "z=0"
    return "other"


def _polynomial(options: dict[str, Any]) -> Activation:
    unknown = set(options) - {"coefficients"}
    if unknown or "coefficients" not in options:
        raise InvalidArgument("activation 'polynomial' needs exactly the option 'coefficients' "
                              "(rationals c0, c1, ..., ck with sigma(z) = sum c_j z^j), got "
                              f"{sorted(options)!r}")
    raw = options["coefficients"]
    if isinstance(raw, (str, bytes)) or not isinstance(raw, Sequence) or len(raw) == 0:
        raise InvalidArgument(f"coefficients: expected a non-empty list of rationals c0..ck, "
                              f"got {raw!r}")
    coefficients = tuple(parse_rational(c, what=f"coefficients[{j}]") for j, c in enumerate(raw))
    while len(coefficients) > 1 and coefficients[-1] == 0:
        coefficients = coefficients[:-1]
    exact = [sympy.Rational(c.numerator, c.denominator) for c in coefficients]
    homogeneous = all(c == 0 for j, c in enumerate(coefficients) if j != 1)

    def formula(z: sympy.Expr) -> sympy.Expr:
        return sympy.Add(*[c * z**j for j, c in enumerate(exact)])

    return Activation("polynomial", formula, homogeneous, _polynomial_zero_set(coefficients),
                      False, {"coefficients": coefficients})


_REGISTRY: dict[str, Callable[[dict[str, Any]], Activation]] = {
    "relu": _relu,
    "leaky-relu": _leaky_relu,
    "linear": _linear,
    "tanh": _tanh,
    "sigmoid": _sigmoid,
    "softplus": _softplus,
    "gaussian": _gaussian,
    "polynomial": _polynomial,
}

KNOWN_ACTIVATIONS: tuple[str, ...] = tuple(_REGISTRY)


def get_activation(name: str | Activation, **options: Any) -> Activation:
    """The activation sigma called ``name``: relu (sigma'(0) = 0), leaky-relu, linear, tanh, ...

    Parameters
    ----------
    name : str
        One of ``relu, leaky-relu, linear, tanh, sigmoid, softplus, gaussian, polynomial``
        (``leaky_relu`` is accepted for ``leaky-relu``). An :class:`Activation` is returned as is.
    **options
        ``slope`` for leaky-relu (a rational, default 1/100); ``coefficients`` for polynomial
        (rationals c0..ck, sigma(z) = sum_j c_j z^j).

    Raises
    ------
    InvalidArgument
        Unknown name (the message lists the known ones) or bad options.

    Examples
    --------
    >>> get_activation("relu").derivative(0)
    0
    >>> get_activation("leaky-relu", slope="1/10").sigma(-2)
    -1/5
    """
    if isinstance(name, Activation):
        if options:
            raise InvalidArgument("options cannot be given together with an Activation object")
        return name
    if not isinstance(name, str):
        raise InvalidArgument(f"activation: expected a name, got {name!r}; known: "
                              f"{', '.join(KNOWN_ACTIVATIONS)}")
    key = name.strip().lower().replace("_", "-")
    if key not in _REGISTRY:
        raise InvalidArgument(f"activation: unknown name {name!r}; known: "
                              f"{', '.join(KNOWN_ACTIVATIONS)}")
    return _REGISTRY[key](dict(options))
