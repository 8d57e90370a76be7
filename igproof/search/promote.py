"""Promote a float hit to a rigorous ``not-characterized-by`` certificate.

A float hit (S, theta0) of :mod:`igproof.search.driver` says that the floating-point gradient-flow
limit theta* violates the first-order conditions of min G on M_S. This module is the search's
side of the promotion: it decides which hits are worth promoting (:func:`float_certifiable`, a
float heuristic), writes G in the checker's expression language (:func:`g_expression_text`), and
hands the hit to :func:`igproof.certificate.witness.refute`, which proves the limit ball (an
end-game from theta0 or a validated trajectory), refutes the minimality (``witness`` or ``kkt``)
and has the independent checker re-check the certificate; only an accepted certificate is
returned as certified.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from fractions import Fraction

import numpy as np
import sympy

from igproof.certificate.witness import Hit, Promotion, best_minor, checker_model, refute
from igproof.errors import CertificateError, UnsafeExpression
from igproof.search.families import SurrogateModel, implicit_bias_family
from igproof.search.regularizers import Regularizer, expression_names
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.expression import parse_expression, to_expression_text
from igproof.symbolic.models import Model

__all__ = ["KINK_MARGIN", "SMOOTH_RHO_LIMIT", "Promotion", "float_certifiable",
           "g_expression_text", "model_text", "promote_hit"]

# A float hit of a ReLU model is sent to promotion only when every kink w . x_i is at least
# this far from 0 at the float limit, relative to |x_i| max(|w|, 1): a limit on a kink is
# reached only asymptotically and no constant-pattern end-game can enclose it.
KINK_MARGIN = 1e-3
# Smooth models: the end-game-from-theta0 route is tried only when the float estimate of its
# radius rho is below this fraction of the distance over which the float PL constant and the
# KKT minor keep their size (checked at sample points of the box theta0 +- 4 rho).
SMOOTH_RHO_LIMIT = 0.25


# ---------------------------------------------------------------------------------------------
# Model and G in the checker's expression language


def model_text(model: SurrogateModel) -> tuple[list[str], list[str], str]:
    """(parameters, inputs, output) of the model in the safe expression language.

    Names follow :mod:`igproof.symbolic.models`: theta = (w1..wd) or (a, w1..wd), inputs x1..xd.
    """
    return checker_model(model.kind, model.dim, model.activation)


def _q(value: Fraction) -> str:
    return f"({value.numerator}/{value.denominator})" if value.denominator != 1 else (
        f"({value.numerator})" if value < 0 else str(value.numerator))


def g_expression_text(regularizer: Regularizer, parameters: Sequence[str],
                      theta0: Sequence[Fraction]) -> str:
    """G(theta; theta0) with theta0 substituted exactly, in the checker's expression language.

    Raises CertificateError when G cannot be written there (``linf``, ``lp:P`` with P not an
    integer, a Python callable).
    """
    spec = regularizer.spec
    if spec.get("builtin") == "l2":
        return " + ".join(f"{p}^2" for p in parameters)
    if spec.get("builtin") == "l2-init":
        return " + ".join(f"({p} - {_q(t)})^2" for p, t in zip(parameters, theta0, strict=True))
    if spec.get("builtin") == "l1":
        return " + ".join(f"abs({p})" for p in parameters)
    if "lp" in spec:
        power = Fraction(spec["lp"])
        if power.denominator != 1:
            raise CertificateError(f"G = lp:{spec['lp']}: a non-integer power cannot be written "
                                   "in the checker's expression language")
        return " + ".join(f"abs({p})^{power.numerator}" for p in parameters)
    if "expression" in spec:
        names = expression_names(tuple(parameters))
        symbols = {p: sympy.Symbol(p, real=True) for p in parameters}
        values = dict(zip(parameters, theta0, strict=True))
        table = {name: (sympy.Rational(values[p].numerator, values[p].denominator) if is_init
                        else symbols[p]) for name, (p, is_init) in names.items()}
        try:
            return to_expression_text(parse_expression(spec["expression"], table))
        except UnsafeExpression as exc:
            raise CertificateError(f"G: {exc}") from None
    raise CertificateError(f"G = {regularizer.name}: cannot be written in the checker's "
                           "expression language (linf and Python callables have no exact form)")


# ---------------------------------------------------------------------------------------------
# Float pre-filter: which hits are worth promoting


def float_certifiable(model: Model | SurrogateModel, regularizer: Regularizer, dataset: Dataset,
                      theta0: Sequence[Fraction], theta_limit: Sequence[float]) -> bool:
    """A float guess whether a hit can be certified (used as the search's hit filter).

    ReLU models: every kink is decided at the float limit with relative margin KINK_MARGIN (and
    a != 0 for the neuron). Smooth models: the end-game from theta0 is likely to close (float
    PL constant and KKT minor keep their size on theta0 +- 4 rho, rho the end-game radius).

    Guarantee: none (a heuristic; the checker decides).
    """
    model = implicit_bias_family(model)
    x, y = dataset.arrays()
    theta = np.asarray(theta_limit, dtype=float)
    if model.piecewise:
        offset = 1 if model.kind == "neuron" else 0
        if any(sum((a * t for a, t in zip(xi, theta0[offset:], strict=True)), Fraction(0)) == 0
               for xi in dataset.x):
            return False  # theta0 on a kink: the validated flow refuses an undecided start
        if _parallel_pair(dataset.x):
            return False  # two kinks on one hyperplane cross at once: no certified switch
        w = theta[offset:]
        scale = max(float(np.linalg.norm(w)), 1.0)
        z = x @ w
        if np.any(np.abs(z) < KINK_MARGIN * np.linalg.norm(x, axis=1) * scale):
            return False
        return not (model.kind == "neuron" and abs(theta[0]) < KINK_MARGIN * scale)
    th0 = np.array([float(q) for q in theta0])
    n = len(y)
    loss, _ = model.loss_and_gradient(th0[None], x[None], y[None])
    jac = model.residual_gradients(th0[None], x[None])[0]
    lam0 = float(np.linalg.eigvalsh(jac @ jac.T).min())
    if lam0 <= 0 or n + 1 > model.n_params:
        return False
    rho = math.sqrt(2.0 * n * float(loss[0]) / lam0)
    if not np.isfinite(rho) or np.linalg.norm(theta - th0) > rho:
        return False
    corners = np.array(list(itertools.product((-1.0, 1.0), repeat=model.n_params)))
    points = th0 + 4.0 * rho * corners
    jacs = model.residual_gradients(points, np.broadcast_to(x, (len(points), *x.shape)))
    lams = [float(np.linalg.eigvalsh(j @ j.T).min()) for j in jacs]
    if min(lams) < 0.5 * lam0 or rho > SMOOTH_RHO_LIMIT * max(1.0, float(np.abs(th0).max())):
        return False
    dets = []
    for p_k, j in zip(points, jacs, strict=True):
        mat = np.vstack([j, regularizer.grad(p_k, th0)])
        dets.append(best_minor(mat)[1])
    centre = best_minor(np.vstack([jac, regularizer.grad(th0, th0)]))
    return centre[1] > 0 and min(dets) > 0.25 * centre[1]


def _parallel_pair(points: Sequence[Sequence[Fraction]]) -> bool:
    """True when two of the points are parallel (then w . x_i = 0 is one hyperplane)."""
    for u, v in itertools.combinations(points, 2):
        if all(u[j] * v[k] == u[k] * v[j] for j in range(len(u)) for k in range(j + 1, len(u))):
            return True
    return False


def promote_hit(model: Model | SurrogateModel, regularizer: Regularizer, dataset: Dataset,
                theta0: Sequence[Fraction]) -> Promotion:
    """Certify that the GF limit from theta0 on S is not a minimizer of G on M_S
    (:func:`igproof.certificate.witness.refute` on the hit in exact terms).

    Returns a :class:`Promotion`; ``certified`` is True only when the independent checker
    accepted the certificate.

    Guarantee: exact (the checker's replay), or no claim (``certified`` False, with reason).
    """
    model = implicit_bias_family(model)
    theta = tuple(Fraction(t) for t in theta0)
    try:
        params, _, _ = model_text(model)
        g_text = g_expression_text(regularizer, params, theta)
    except CertificateError as exc:
        return Promotion(False, str(exc), other_hits_may_work=False)
    builtin = regularizer.spec.get("builtin")
    hit = Hit(model.kind, model.dim, model.activation,
              tuple(tuple(xi) for xi in dataset.x), tuple(dataset.y), theta, g_text,
              builtin if builtin in ("l2", "l2-init") else None, regularizer.grad)
    return refute(hit)
