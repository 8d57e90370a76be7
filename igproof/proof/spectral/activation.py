"""The spectral activation sigma(Q) = P diag(sigma(s)) R^T and its dependence on the SVD.

For Q = P diag(s) R^T (an SVD, s >= 0) the spectral activation applies sigma to the singular
values. Write Q^T Q = R diag(s^2) R^T; for every distinct positive singular value s_b the
Lagrange polynomial p_b (p_b(s_c^2) = [b = c] on the distinct values, including 0) gives
Q p_b(Q^T Q) = P diag(s 1[s = s_b]) R^T, a function of Q alone. Hence

    P diag(sigma(s)) R^T = sum_b (sigma(s_b) / s_b) Q p_b(Q^T Q) + sigma(0) P_0 R_0^T,

where P_0, R_0 are the singular vectors of the zero singular values (any orthonormal bases of
the two null spaces). The first sum does not depend on the SVD; the last term does, unless
sigma(0) = 0 (every odd sigma: tanh, linear). :func:`svd_independence_identity` checks the
diagonal identity by exact algebra; :func:`sigmoid_dependence_instance` gives an exact rational
matrix with two exact SVDs whose sigmoid outputs differ.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from igproof.errors import InvalidArgument

# Float activations of the numeric layer (name -> (sigma, sigma')); sigmoid is kept for the
# counterexample only: the SNN and the reduction need an odd sigma.
NUMPY_ACTIVATIONS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "tanh": (np.tanh, lambda s: 1.0 - np.tanh(s) ** 2),
    "linear": (lambda s: s, lambda s: np.ones_like(s)),
    "sigmoid": (lambda s: 1.0 / (1.0 + np.exp(-s)),
                lambda s: np.exp(-s) / (1.0 + np.exp(-s)) ** 2),
}
# Exact (sympy) activations for the symbolic identities.
SYMPY_ACTIVATIONS: dict[str, Callable[[sympy.Expr], sympy.Expr]] = {
    "tanh": sympy.tanh,
    "linear": lambda s: s,
    "sigmoid": lambda s: 1 / (1 + sympy.exp(-s)),
}


def numpy_activation(name: str) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """(sigma, sigma') as numpy ufunc-like callables for ``name`` in NUMPY_ACTIVATIONS."""
    if name not in NUMPY_ACTIVATIONS:
        raise InvalidArgument(f"activation: unknown activation {name!r}; expected one of "
                              f"{', '.join(NUMPY_ACTIVATIONS)}")
    return NUMPY_ACTIVATIONS[name]


def spectral_activation(q: np.ndarray, activation: str = "tanh", *,
                        svd: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
                        ) -> np.ndarray:
    """sigma(Q) = P diag(sigma(s)) R^T for the SVD Q = P diag(s) R^T (numpy's, or ``svd``).

    ``svd`` = (P, s, R^T) as returned by ``numpy.linalg.svd``. Guarantee: approximate (float).
    """
    sigma, _ = numpy_activation(activation)
    q = np.asarray(q, dtype=float)
    if q.ndim < 2:
        raise InvalidArgument(f"Q: expected a matrix (or a stack of matrices), got shape {q.shape}")
    p, s, rt = np.linalg.svd(q) if svd is None else svd
    return (p * sigma(s)[..., None, :]) @ rt


def svd_independence_identity(activation: str, distinct: int = 3) -> bool:
    """Exact algebra: sum_b sigma(s_b)/s_b * s_k * p_b(s_k^2) = sigma(s_k) on every positive s_k
    and = 0 on s_k = 0, for symbolic distinct s_1..s_r > 0 and the Lagrange polynomials p_b on
    the nodes {s_1^2, ..., s_r^2, 0}; the spectral activation is then a function of Q alone iff
    sigma(0) = 0 (the remaining term sigma(0) P_0 R_0^T).

    Returns True when the identity holds exactly and sigma(0) = 0 (simplifies to 0 exactly).
    """
    if activation not in SYMPY_ACTIVATIONS:
        raise InvalidArgument(f"activation: unknown activation {activation!r}")
    sig = SYMPY_ACTIVATIONS[activation]
    s = sympy.symbols(f"s1:{distinct + 1}", positive=True)
    nodes = [si ** 2 for si in s] + [sympy.Integer(0)]
    t = sympy.Symbol("t")

    def lagrange(b: int) -> sympy.Expr:
        out = sympy.Integer(1)
        for c, node in enumerate(nodes):
            if c != b:
                out *= (t - node) / (nodes[b] - node)
        return out

    # the Q-only formula applied to each singular value s_k (and to the zero singular value)
    for k, value in enumerate([*s, sympy.Integer(0)]):
        formula = sum((sig(s[b]) / s[b] * value * lagrange(b).subs(t, value ** 2)
                       for b in range(distinct)), sympy.Integer(0))
        target = sig(value) if k < distinct else sympy.Integer(0)
        if sympy.simplify(formula - target) != 0:
            return False
    return sympy.simplify(sig(sympy.Integer(0))) == 0


@dataclass(frozen=True)
class DependenceInstance:
    """An exact matrix Q with two exact SVDs (P, s, R) and (P2, s, R2) and both outputs."""

    q: sympy.Matrix
    svd1: tuple[sympy.Matrix, sympy.Matrix, sympy.Matrix]
    svd2: tuple[sympy.Matrix, sympy.Matrix, sympy.Matrix]
    output1: sympy.Matrix
    output2: sympy.Matrix

    @property
    def differ(self) -> bool:
        """True when output1 - output2 simplifies to a nonzero matrix (exact)."""
        return any(sympy.simplify(e) != 0 for e in (self.output1 - self.output2))


def _rotation(c: sympy.Rational, s: sympy.Rational) -> sympy.Matrix:
    return sympy.Matrix([[c, -s], [s, c]])


def dependence_instance(activation: str = "sigmoid") -> DependenceInstance:
    """Q = P0 diag(2, 0) R0^T with rational rotations P0, R0 (angles with cos 3/5 and 5/13), and
    the two SVDs (P0, (2, 0), R0) and (P0, (2, 0), R0 diag(1, -1)): the outputs differ by
    2 sigma(0) p_2 r_2^T, nonzero iff sigma(0) != 0. Exact (sympy)."""
    if activation not in SYMPY_ACTIVATIONS:
        raise InvalidArgument(f"activation: unknown activation {activation!r}")
    sig = SYMPY_ACTIVATIONS[activation]
    p0 = _rotation(sympy.Rational(3, 5), sympy.Rational(4, 5))
    r0 = _rotation(sympy.Rational(5, 13), sympy.Rational(12, 13))
    s = sympy.diag(2, 0)
    flip = sympy.diag(1, -1)
    q = p0 * s * r0.T
    r2 = r0 * flip
    for p, r in ((p0, r0), (p0, r2)):  # both are SVDs of Q, exactly
        assert p.T * p == sympy.eye(2) and r.T * r == sympy.eye(2) and p * s * r.T == q
    sig_s = sympy.diag(*[sig(s[k, k]) for k in range(2)])
    return DependenceInstance(q, (p0, s, r0), (p0, s, r2), p0 * sig_s * r0.T, p0 * sig_s * r2.T)
