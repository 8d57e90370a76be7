"""Models f(x; theta) as exact sympy expressions with a fixed parameter order.

Kinds (parameter order in brackets):

- ``relu-neuron``: f = relu(w.x)                      [w1, ..., wd]
- ``neuron``:      f = a sigma(w.x [+ b])              [a, w1, ..., wd, (b)]
- ``two-layer``:   f = sum_j v_j sigma(w_j.x [+ b_j]) [+ u.x + c]
                                                    [v1..vm, w1_1..w1_d, w2_1, ..., wm_d,
                                                     (b1..bm), (u1..ud, c)]

The two-layer options add, after today's parameters, the biases b_j inside sigma (``bias``) and
then a free linear skip part u.x + c outside the hidden layer (``skip``): with both it is the
architecture of Boursier & Flammarion 2023 (SPEC.md section 3).

A model built with :meth:`Model.from_expression` can be any sympy expression in its parameters and
inputs (a Python API taking sympy objects: igproof never parses text into sympy here).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import sympy

from igproof.errors import DataError, InvalidArgument
from igproof.rationals import parse_rational
from igproof.symbolic.activations import Activation, get_activation, relu

__all__ = ["KNOWN_KINDS", "Model", "build_model"]

KNOWN_KINDS = ("relu-neuron", "neuron", "two-layer")

# Largest input dimension / width accepted: beyond this the symbolic layer is the wrong tool.
MAX_DIM = 1000
MAX_WIDTH = 1000


def to_rational(value: Any, *, what: str) -> sympy.Rational:
    """An exact sympy Rational from an int, Fraction, sympy Rational or number text."""
    if isinstance(value, sympy.Rational):
        return value
    if isinstance(value, sympy.Basic):
        raise DataError(f"{what}: expected an exact rational, got the sympy object {value}")
    q = parse_rational(value, what=what)
    return sympy.Rational(q.numerator, q.denominator)


class Model:
    """A model f(x; theta): a sympy expression with ordered parameters and inputs.

    Attributes
    ----------
    kind : str
        ``"relu-neuron"``, ``"neuron"``, ``"two-layer"`` or ``"expression"``.
    parameters : tuple of sympy.Symbol
        theta, in the documented order.
    inputs : tuple of sympy.Symbol
        x_1..x_d.
    expression : sympy.Expr
        f(x; theta).
    activation : Activation or None
        None for a model given by an arbitrary expression.
    width, bias, skip, dim
        Structure of the built-in kinds (width 1 for neurons; ``skip`` only for two-layer).
    """

    def __init__(self, *, kind: str, parameters: Sequence[sympy.Symbol],
                 inputs: Sequence[sympy.Symbol], expression: sympy.Expr,
                 activation: Activation | None, width: int = 1, bias: bool = False,
                 skip: bool = False,
                 units: Sequence[tuple[sympy.Expr, sympy.Expr]] | None = None,
                 linear_part: sympy.Expr = sympy.S.Zero) -> None:
        self.kind = kind
        self.parameters = tuple(parameters)
        self.inputs = tuple(inputs)
        self.expression = expression
        self.activation = activation
        self.width = width
        self.bias = bias
        self.skip = skip
        self.dim = len(self.inputs)
        # Each unit j as (outer coefficient c_j(theta), pre-activation z_j(x, theta)), so that
        # f = sum_j c_j sigma(z_j) + linear_part. None for expression models.
        self._units = tuple(units) if units is not None else None
        self._linear_part = linear_part

    def __repr__(self) -> str:
        act = self.activation.describe() if self.activation is not None else "-"
        return (f"Model(kind={self.kind!r}, activation={act}, dim={self.dim}, "
                f"parameters={[str(p) for p in self.parameters]})")

    @property
    def units(self) -> tuple[tuple[sympy.Expr, sympy.Expr], ...] | None:
        """The units (c_j(theta), z_j(x, theta)) with f = sum_j c_j sigma(z_j) + linear_part;
        None if unknown."""
        return self._units

    @property
    def linear_part(self) -> sympy.Expr:
        """The part of f outside the units: u.x + c for a two-layer model with a skip part,
        else 0 (then f = sum_j c_j sigma(z_j))."""
        return self._linear_part

    @classmethod
    def from_expression(cls, expr: sympy.Expr, parameters: Sequence[sympy.Symbol],
                        inputs: Sequence[sympy.Symbol]) -> Model:
        """A user model f(x; theta) = ``expr`` with the given parameter and input symbols.

        ReLU must be written with :class:`igproof.symbolic.activations.relu` so that the flow
        knows its kinks. Raises InvalidArgument for symbols that are not declared, repeated or
        not plain symbols.
        """
        if not isinstance(expr, sympy.Expr):
            raise InvalidArgument(f"expr: expected a sympy expression, got {type(expr).__name__}"
                                  " (build it from sympy symbols; text is not parsed here)")
        params = tuple(parameters)
        ins = tuple(inputs)
        for label, group in (("parameters", params), ("inputs", ins)):
            for s in group:
                if not isinstance(s, sympy.Symbol):
                    raise InvalidArgument(f"{label}: expected sympy Symbols, got {s!r}")
        if not params:
            raise InvalidArgument("parameters: expected at least one parameter symbol, got ()")
        if not ins:
            raise InvalidArgument("inputs: expected at least one input symbol, got ()")
        all_symbols = params + ins
        if len(set(all_symbols)) != len(all_symbols):
            raise InvalidArgument(f"parameters/inputs: symbols must be distinct, got "
                                  f"{[str(s) for s in all_symbols]}")
        extra = expr.free_symbols - set(all_symbols)
        if extra:
            raise InvalidArgument(f"expr: symbols {sorted(str(s) for s in extra)} are neither "
                                  "parameters nor inputs")
        return cls(kind="expression", parameters=params, inputs=ins, expression=expr,
                   activation=None)

    def output(self, x: Sequence[Any]) -> sympy.Expr:
        """f(x; theta) at an exact input x, a sympy expression in the parameters.

        Guarantee: exact (x is read as rationals).
        """
        if isinstance(x, (str, bytes)) or not isinstance(x, Sequence):
            raise DataError(f"x: expected a sequence of {self.dim} numbers, got {x!r}")
        if len(x) != self.dim:
            raise DataError(f"x: expected {self.dim} coordinates for this model, got {len(x)}")
        values = {s: to_rational(v, what=f"x[{k}]") for k, (s, v) in enumerate(zip(self.inputs, x,
                                                                                   strict=True))}
        return self.expression.xreplace(values)

    def preactivations(self, x: Sequence[Any]) -> tuple[sympy.Expr, ...] | None:
        """The pre-activations z_j(x; theta), one per unit, at an exact input; None if unknown."""
        if self._units is None:
            return None
        values = {s: to_rational(v, what=f"x[{k}]") for k, (s, v) in enumerate(zip(self.inputs, x,
                                                                                   strict=True))}
        return tuple(z.xreplace(values) for _, z in self._units)


def _check_int(value: Any, name: str, limit: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limit:
        raise InvalidArgument(f"{name}: expected an integer between 1 and {limit}, got {value!r}")
    return value


def _real(name: str) -> sympy.Symbol:
    return sympy.Symbol(name, real=True)


def build_model(kind: str, *, dim: int, activation: str | Activation = "relu", width: int = 1,
                bias: bool = False, skip: bool = False, **activation_options: Any) -> Model:
    """f = relu(w.x) (relu-neuron), a sigma(w.x [+ b]) (neuron),
    sum_j v_j sigma(w_j.x [+ b_j]) [+ u.x + c] (two-layer).

    Parameters
    ----------
    kind : str
        ``"relu-neuron"``, ``"neuron"`` or ``"two-layer"``.
    dim : int
        Input dimension d.
    activation : str or Activation
        Name for :func:`get_activation` (default relu); ``relu-neuron`` accepts only relu.
    width : int
        Number of hidden units m (two-layer only; neurons have width 1).
    bias : bool
        ``neuron``: a bias b inside sigma, the last parameter. ``two-layer``: a bias b_j inside
        each unit, parameters b1..bm after the rows w_j.
    skip : bool
        ``two-layer`` only: a free linear skip part u.x + c added to the output, parameters
        u1..ud, c last (Boursier & Flammarion 2023 with ``bias=True``).
    **activation_options
        Passed to :func:`get_activation` (e.g. ``slope`` for leaky-relu).

    Examples
    --------
    >>> build_model("neuron", dim=2).parameters
    (a, w1, w2)
    >>> build_model("two-layer", dim=1, width=2, bias=True, skip=True).parameters
    (v1, v2, w1_1, w2_1, b1, b2, u1, c)
    """
    if kind not in KNOWN_KINDS:
        raise InvalidArgument(f"kind: unknown model kind {kind!r}; known: {', '.join(KNOWN_KINDS)}")
    dim = _check_int(dim, "dim", MAX_DIM)
    width = _check_int(width, "width", MAX_WIDTH)
    for name, flag in (("bias", bias), ("skip", skip)):
        if not isinstance(flag, bool):
            raise InvalidArgument(f"{name}: expected True or False, got {flag!r}")
    act = get_activation(activation, **activation_options)
    if kind == "relu-neuron" and act.name != "relu":
        raise InvalidArgument(f"activation: the relu-neuron model is relu(w.x); got "
                              f"{act.describe()!r} (use kind 'neuron' for other activations)")
    if kind != "two-layer" and width != 1:
        raise InvalidArgument(f"width: the {kind} model has width 1, got {width}")
    if kind == "relu-neuron" and bias:
        raise InvalidArgument("bias: the relu-neuron model relu(w.x) takes no bias (use kind "
                              "'neuron' or 'two-layer')")
    if kind != "two-layer" and skip:
        raise InvalidArgument(f"skip: only the 'two-layer' model takes a skip part u.x + c, "
                              f"not {kind!r}")
    xs = tuple(_real(f"x{k + 1}") for k in range(dim))
    if kind in ("relu-neuron", "neuron"):
        w = tuple(_real(f"w{k + 1}") for k in range(dim))
        z = sympy.Add(*[wk * xk for wk, xk in zip(w, xs, strict=True)])
        if kind == "relu-neuron":
            return Model(kind=kind, parameters=w, inputs=xs, expression=relu(z), activation=act,
                         units=[(sympy.S.One, z)])
        a = _real("a")
        params = (a, *w)
        if bias:
            b = _real("b")
            z = z + b
            params = (*params, b)
        return Model(kind=kind, parameters=params, inputs=xs, expression=a * act.sigma(z),
                     activation=act, bias=bias, units=[(a, z)])
    v = tuple(_real(f"v{j + 1}") for j in range(width))
    rows = tuple(tuple(_real(f"w{j + 1}_{k + 1}") for k in range(dim)) for j in range(width))
    biases = tuple(_real(f"b{j + 1}") for j in range(width)) if bias else ()
    units = []
    for j in range(width):
        z = sympy.Add(*[wjk * xk for wjk, xk in zip(rows[j], xs, strict=True)])
        if bias:
            z = z + biases[j]
        units.append((v[j], z))
    params = v + tuple(p for row in rows for p in row) + biases
    linear_part = sympy.S.Zero
    if skip:
        u = tuple(_real(f"u{k + 1}") for k in range(dim))
        c = _real("c")
        linear_part = sympy.Add(*[uk * xk for uk, xk in zip(u, xs, strict=True)]) + c
        params = params + u + (c,)
    expr = sympy.Add(*[cj * act.sigma(z) for cj, z in units]) + linear_part
    return Model(kind=kind, parameters=params, inputs=xs, expression=expr, activation=act,
                 width=width, bias=bias, skip=skip, units=units, linear_part=linear_part)


def as_fraction(value: sympy.Rational) -> Fraction:
    """A sympy Rational as a Fraction."""
    return Fraction(int(value.p), int(value.q))
