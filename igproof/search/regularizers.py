"""Candidate regularizers G(theta; theta0) and their float gradients, for the search.

Built-in names (``|.|`` the Euclidean norm):

- ``l2``       G = |theta|^2
- ``l2-init``  G = |theta - theta0|^2
- ``l1``       G = sum_k |theta_k|            (gradient sign(theta), a subgradient at 0)
- ``linf``     G = max_k |theta_k|            (gradient at the first maximizing entry)
- ``lp:P``     G = sum_k |theta_k|^P, P >= 1 a rational such as ``3`` or ``3/2``

Any other text is read with the safe expression language (``igproof.symbolic.expression``,
never eval or sympify) in the model's parameter names ``a, w1, ..., wd`` and the initialization
names ``a0, w1_0, ..., wd_0`` (for d = 1 also ``w`` and ``w0``): :func:`regularizer_from_text`.
Other candidates enter through :meth:`Regularizer.from_sympy` (a sympy expression,
differentiated exactly) or
:meth:`Regularizer.from_callable` (a Python function; its gradient is the one supplied or, if
none, a central finite difference). No text is ever evaluated here.

Guarantee: approximate (float values and gradients), for the search surrogate only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from igproof.errors import InvalidArgument
from igproof.rationals import fraction_to_text, parse_rational

BUILTIN_NAMES = ("l2", "l2-init", "l1", "linf", "lp:P")
# Central differences: step eps^(1/3) * (1 + |theta_k|) balances truncation O(h^2) against
# rounding O(eps/h); relative gradient error about 1e-10 for smooth G of unit scale.
FD_STEP = float(np.finfo(float).eps) ** (1.0 / 3.0)

Value = Callable[[np.ndarray, np.ndarray], float]
Gradient = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Regularizer:
    """A candidate G(theta; theta0) with a float value and gradient.

    ``name`` is the text a certificate or the command line uses for it; ``spec`` is a
    machine-readable description (``{"builtin": "l2"}``, ``{"lp": "3/2"}``,
    ``{"sympy": "<srepr>"}`` or ``{"callable": "<qualname>"}``) for the lead's promotion step;
    ``gradient_method`` is ``"exact"`` or ``"central-difference"``.
    """

    name: str
    value: Value
    gradient: Gradient
    spec: dict[str, str]
    gradient_method: str = "exact"

    def __call__(self, theta: Any, theta0: Any) -> float:
        return float(self.value(np.asarray(theta, float), np.asarray(theta0, float)))

    def grad(self, theta: Any, theta0: Any) -> np.ndarray:
        """grad_theta G(theta; theta0) as a float array."""
        return np.asarray(self.gradient(np.asarray(theta, float), np.asarray(theta0, float)),
                          dtype=float)

    @classmethod
    def from_callable(cls, function: Callable[[np.ndarray, np.ndarray], float], *,
                      gradient: Gradient | None = None, name: str | None = None) -> Regularizer:
        """G from a Python function ``function(theta, theta0) -> float``.

        Without ``gradient`` the gradient is the central difference
        (G(theta + h e_k) - G(theta - h e_k)) / 2h with h = FD_STEP * (1 + |theta_k|).
        """
        if not callable(function):
            raise InvalidArgument(f"regularizer: expected a callable G(theta, theta0), "
                                  f"got {function!r}")
        label = name or getattr(function, "__qualname__", "callable")
        if gradient is not None:
            return cls(label, function, gradient, {"callable": label}, "exact")

        def central(theta: np.ndarray, theta0: np.ndarray) -> np.ndarray:
            out = np.empty(theta.shape)
            for k in range(theta.size):
                h = FD_STEP * (1.0 + abs(theta[k]))
                up, down = theta.copy(), theta.copy()
                up[k] += h
                down[k] -= h
                out[k] = (function(up, theta0) - function(down, theta0)) / (2.0 * h)
            return out

        return cls(label, function, central, {"callable": label}, "central-difference")

    @classmethod
    def from_sympy(cls, expr: Any, parameters: Sequence[Any], initial: Sequence[Any], *,
                   name: str | None = None) -> Regularizer:
        """G from a sympy expression in ``parameters`` (theta) and ``initial`` (theta0).

        The gradient is the exact symbolic derivative, compiled with ``sympy.lambdify`` (the
        expression is a sympy object built by a parser, never text evaluated here).
        """
        import sympy

        theta_syms = list(parameters)
        init_syms = list(initial)
        if len(theta_syms) != len(init_syms):
            raise InvalidArgument(f"initial: expected {len(theta_syms)} symbols matching "
                                  f"parameters, got {len(init_syms)}")
        if not isinstance(expr, sympy.Basic):
            raise InvalidArgument(f"expr: expected a sympy expression (text is never parsed "
                                  f"here; use the safe expression language), got {expr!r}")
        allowed = set(theta_syms) | set(init_syms)
        stray = sorted(str(s) for s in expr.free_symbols - allowed)
        if stray:
            raise InvalidArgument(f"regularizer: unknown symbols {', '.join(stray)}; "
                                  f"G may use {', '.join(str(s) for s in theta_syms + init_syms)}")
        grads = [sympy.diff(expr, s) for s in theta_syms]
        args = theta_syms + init_syms
        f_value = sympy.lambdify(args, expr, modules="numpy")
        f_grad = sympy.lambdify(args, grads, modules="numpy")

        def value(theta: np.ndarray, theta0: np.ndarray) -> float:
            return float(f_value(*theta, *theta0))

        def gradient(theta: np.ndarray, theta0: np.ndarray) -> np.ndarray:
            return np.array(f_grad(*theta, *theta0), dtype=float)

        return cls(name or str(expr), value, gradient, {"sympy": sympy.srepr(expr)}, "exact")


def _l2(theta: np.ndarray, theta0: np.ndarray) -> float:
    return float(theta @ theta)


def _l2_init(theta: np.ndarray, theta0: np.ndarray) -> float:
    d = theta - theta0
    return float(d @ d)


def _linf_grad(theta: np.ndarray, theta0: np.ndarray) -> np.ndarray:
    out = np.zeros(theta.shape)
    k = int(np.argmax(np.abs(theta)))
    out[k] = np.sign(theta[k])
    return out


def _lp(power: Fraction) -> Regularizer:
    p = float(power)

    def value(theta: np.ndarray, theta0: np.ndarray) -> float:
        return float(np.sum(np.abs(theta) ** p))

    def gradient(theta: np.ndarray, theta0: np.ndarray) -> np.ndarray:
        return p * np.sign(theta) * np.abs(theta) ** (p - 1.0)

    text = fraction_to_text(power)
    return Regularizer(f"lp:{text}", value, gradient, {"lp": text})


_BUILTINS: dict[str, Regularizer] = {
    "l2": Regularizer("l2", _l2, lambda th, th0: 2.0 * th, {"builtin": "l2"}),
    "l2-init": Regularizer("l2-init", _l2_init, lambda th, th0: 2.0 * (th - th0),
                           {"builtin": "l2-init"}),
    "l1": Regularizer("l1", lambda th, th0: float(np.sum(np.abs(th))),
                      lambda th, th0: np.sign(th), {"builtin": "l1"}),
    "linf": Regularizer("linf", lambda th, th0: float(np.max(np.abs(th))), _linf_grad,
                        {"builtin": "linf"}),
}


def expression_names(parameter_names: Sequence[str]) -> dict[str, tuple[str, bool]]:
    """Names usable in a G expression: name -> (parameter name, is the initialization value).

    >>> sorted(expression_names(("a", "w1")))
    ['a', 'a0', 'w', 'w0', 'w1', 'w1_0']
    """
    names: dict[str, tuple[str, bool]] = {}
    for p in parameter_names:
        names[p] = (p, False)
        names[f"{p}0" if p == "a" else f"{p}_0"] = (p, True)
    if tuple(parameter_names[-1:]) == ("w1",) and "w2" not in parameter_names:
        names["w"] = ("w1", False)
        names["w0"] = ("w1", True)
    return names


def regularizer_from_text(text: str, parameter_names: Sequence[str]) -> Regularizer:
    """G written in the safe expression language over ``parameter_names`` and their ``*0``.

    >>> g = regularizer_from_text("(a^2 - w^2 - (a0^2 - w0^2))^2", ("a", "w1"))
    >>> g(np.array([1.0, 0.5]), np.array([0.5, 0.0]))
    0.25
    """
    import sympy

    from igproof.symbolic.expression import parse_expression

    names = expression_names(parameter_names)
    theta = {p: sympy.Symbol(p, real=True) for p in parameter_names}
    init = {p: sympy.Symbol(f"{p}__init", real=True) for p in parameter_names}
    table = {name: (init[p] if is_init else theta[p]) for name, (p, is_init) in names.items()}
    expr = parse_expression(text, table)
    reg = Regularizer.from_sympy(expr, [theta[p] for p in parameter_names],
                                 [init[p] for p in parameter_names], name=text.strip())
    return Regularizer(reg.name, reg.value, reg.gradient, {"expression": text.strip()},
                       reg.gradient_method)


def get_regularizer(spec: str | Regularizer | Callable[..., float], *,
                    parameter_names: Sequence[str] | None = None) -> Regularizer:
    """The :class:`Regularizer` named by ``spec``: a built-in name, ``lp:P``, an expression in
    the safe language (needs ``parameter_names``), or a callable.

    >>> get_regularizer("l2")(np.array([3.0, 4.0]), np.zeros(2))
    25.0
    """
    if isinstance(spec, Regularizer):
        return spec
    if isinstance(spec, str):
        text = spec.strip()
        if text in _BUILTINS:
            return _BUILTINS[text]
        if text.startswith("lp:"):
            try:
                power = parse_rational(text[3:], what="regularizer lp:P exponent")
            except InvalidArgument as exc:
                raise InvalidArgument(f"regularizer: {exc}") from None
            if power < 1:
                raise InvalidArgument(f"regularizer: lp:P needs P >= 1 (a norm power with a "
                                      f"gradient away from 0), got {text!r}")
            return _lp(power)
        bare_name = re.fullmatch(r"[A-Za-z][A-Za-z0-9_:-]*", text) is not None
        if parameter_names is not None and not (
                bare_name and text not in expression_names(parameter_names)):
            return regularizer_from_text(text, parameter_names)
        raise InvalidArgument(f"regularizer: unknown name {text!r}; use one of "
                              f"{', '.join(BUILTIN_NAMES)} (e.g. lp:3), a Python callable, "
                              "or an expression together with parameter_names")
    if callable(spec):
        return Regularizer.from_callable(spec)
    raise InvalidArgument(f"regularizer: expected a name such as 'l2' or a callable, got {spec!r}")
