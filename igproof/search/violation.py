"""First-order (KKT) violation of min G on M_S at a float limit theta*: the search target.

At a local minimizer theta* of G on M_S, when first-order conditions are necessary there,
-grad G(theta*) lies in the cone

    K = { sum_{i in E} lambda_i grad h_i + sum_{j in C} mu_j grad g_j : lambda free, mu >= 0 }

with h_i(theta) = f(x_i; theta) - y_i the equality constraints and g_j <= 0 the one-sided
constraints active at theta*. The measure is

    violation = dist(-grad G(theta*), K) / reference,

computed as: project out the row space of the equality rows (SVD, rank cut ``rank_rtol``), then
a non-negative least-squares fit with the projected one-sided rows (scipy ``nnls``).

Which constraints enter (z_i = w . x_i at theta*, "near 0" meaning |z_i| <= z_tol |x_i| |w|):

- smooth models (tanh): every point, equality a tanh(z_i) = y_i;
- a point with label y_i != 0 (ReLU models): equality f(x_i; theta) = y_i (it is active);
- a label-0 point with z_i near 0 (ReLU models; "near" is relative to max(|w|, |theta0|_inf),
  the scale to which the float limit is accurate): the one-sided constraint w . x_i <= 0, which
  is active: it enters the cone with a sign (mu >= 0);
- a label-0 point with z_i clearly negative: strictly inactive, so it does not enter the KKT
  conditions at all (its multiplier is 0);
- a label-0 point with z_i clearly positive (only possible with a = 0 for the neuron): the
  equality a relu(z_i) = 0 with its gradient.

A point whose side is in doubt is treated as active-one-sided: that can only shrink the
violation, so a doubtful classification never manufactures a hit.

First-order conditions are necessary when the constraints are linear (the ReLU neuron: M_S is a
polyhedron) or when the active constraint gradients are linearly independent (LICQ);
``kkt_necessary`` reports which. Without it a nonzero violation proves nothing even in exact
arithmetic, and the driver discards the example.

The ``reference`` is max(|grad G(theta*)|, REFERENCE_FRACTION * mean of |grad G| at
theta* +- delta e_k) with delta = PROBE_REL * max(1, |theta*|_inf): a G whose gradient vanishes
on M_S (a squared constraint such as (a^2 - w^2 - c)^2) then gives 0 instead of a 0/0 ratio of
rounding errors.

Guarantee: approximate, no bound (float linear algebra); a lead for the rigorous certificate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import nnls

from igproof.search.families import SurrogateModel, implicit_bias_family
from igproof.search.regularizers import Regularizer
from igproof.symbolic.models import Model

# A label-0 point is "on its kink" when |w . x| <= Z_TOL |x| |w|: 1e-6 is 100x the accuracy of
# the surrogate's limits (rtol 1e-9, residual 1e-8), so a point at the kink is never dropped.
Z_TOL = 1e-6
# Singular values below RANK_RTOL * largest count as zero when forming the row space: float
# limits carry errors ~1e-8, so a genuinely rank-deficient Jacobian shows singular values of that
# order; 1e-7 keeps them out.
RANK_RTOL = 1e-7
# Relative size of the probe used for the reference gradient scale (see module docstring).
PROBE_REL = 1e-2
# The probes count only when |grad G(theta*)| is below this fraction of their mean size, so
# that an ordinary G (gradient of about the same size nearby) is normalized by exactly
# |grad G(theta*)| and the measure is the plain |P_perp grad G| / |grad G|.
REFERENCE_FRACTION = 0.5


@dataclass(frozen=True)
class Violation:
    """The KKT violation at a float limit (see module docstring). Guarantee: approximate.

    ``value`` normalized violation in [0, 1]; ``distance`` unnormalized; ``grad_norm``
    |grad G(theta*)|; ``reference`` the normalization; ``equality``, ``one_sided``,
    ``inactive`` indices of the points in each role; ``rank`` of the equality rows;
    ``kkt_necessary`` whether first-order conditions are necessary at theta*.
    """

    value: float
    distance: float
    grad_norm: float
    reference: float
    equality: tuple[int, ...]
    one_sided: tuple[int, ...]
    inactive: tuple[int, ...]
    rank: int
    kkt_necessary: bool


_Rows = tuple[list[np.ndarray], list[np.ndarray], list[int], list[int], list[int], bool]


def _rows(model: SurrogateModel, x: np.ndarray, y: np.ndarray, theta: np.ndarray,
          z_tol: float, scale: float) -> _Rows:
    grads = model.residual_gradients(theta[None], x[None])[0]
    w = theta[1:] if model.kind == "neuron" else theta
    z = x @ w
    near = z_tol * np.linalg.norm(x, axis=1) * max(float(np.linalg.norm(w)), scale, 1e-300)
    eq_rows: list[np.ndarray] = []
    cone_rows: list[np.ndarray] = []
    eq: list[int] = []
    one: list[int] = []
    off: list[int] = []
    degenerate = False
    for i in range(len(y)):
        if not model.piecewise or y[i] != 0 or z[i] > near[i]:
            eq.append(i)
            eq_rows.append(grads[i])
        elif z[i] < -near[i]:
            off.append(i)
        else:
            one.append(i)
            row = np.zeros(model.n_params)
            row[-model.dim:] = x[i]
            cone_rows.append(row)
            if model.kind == "neuron" and abs(theta[0]) <= z_tol * max(1.0, abs(theta).max()):
                degenerate = True  # a = 0 and w . x = 0: M_S is a union of pieces here
    return eq_rows, cone_rows, eq, one, off, degenerate


def kkt_violation(model: Model | SurrogateModel, x: Any, y: Any, theta: Any, grad_g: Any, *,
                  reference: float | None = None, scale: float = 0.0, z_tol: float = Z_TOL,
                  rank_rtol: float = RANK_RTOL) -> Violation:
    """dist(-grad G(theta*), K) / reference for one example (x (n, d), y (n,), theta (p,)).

    ``reference`` defaults to |grad G(theta*)|. ``scale`` is the parameter scale along the
    flow (e.g. |theta0|_inf): a point is on its kink when |w . x_i| <= z_tol |x_i|
    max(|w|, scale), because the float limit is only accurate relative to that scale (a flow
    that tends to w = 0 ends at a tiny w of either sign). Guarantee: approximate, no bound.
    """
    model = implicit_bias_family(model)
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    theta = np.asarray(theta, float)
    g = np.asarray(grad_g, float)
    eq_rows, cone_rows, eq, one, off, degenerate = _rows(model, x, y, theta, z_tol, scale)
    p = model.n_params
    rank = 0
    g_perp = g.copy()
    basis = np.zeros((0, p))
    if eq_rows:
        e = np.array(eq_rows)
        _, s, vt = np.linalg.svd(e, full_matrices=False)
        if s.size and s[0] > 0:
            rank = int(np.sum(s > rank_rtol * s[0]))
        basis = vt[:rank]
        g_perp = g - basis.T @ (basis @ g)
    if cone_rows:
        c = np.array(cone_rows)
        c_perp = c - (c @ basis.T) @ basis
        _, dist = nnls(c_perp.T, -g_perp)
        distance = float(dist)
    else:
        distance = float(np.linalg.norm(g_perp))
    if model.kind == "relu-neuron":
        kkt_necessary = True  # linear constraints: KKT holds at every local minimizer
    else:
        stacked = np.array(eq_rows + cone_rows) if (eq_rows or cone_rows) else np.zeros((0, p))
        if stacked.shape[0] == 0:
            kkt_necessary = True
        else:
            s_all = np.linalg.svd(stacked, compute_uv=False)
            full = stacked.shape[0] <= p and s_all[-1] > rank_rtol * s_all[0]
            kkt_necessary = bool(full and not degenerate)
    grad_norm = float(np.linalg.norm(g))
    ref = grad_norm if reference is None else max(float(reference), grad_norm)
    value = distance / ref if ref > 0 else 0.0
    return Violation(value=min(value, 1.0), distance=distance, grad_norm=grad_norm,
                     reference=ref, equality=tuple(eq), one_sided=tuple(one),
                     inactive=tuple(off), rank=rank, kkt_necessary=kkt_necessary)


def gradient_reference(regularizer: Regularizer, theta: Any, theta0: Any, *,
                       probe_rel: float = PROBE_REL) -> float:
    """max(|grad G(theta)|, c mean_k |grad G(theta +- delta e_k)|), c = REFERENCE_FRACTION.

    delta = probe_rel max(1, |theta|_inf).

    Guarantee: approximate.
    """
    theta = np.asarray(theta, float)
    theta0 = np.asarray(theta0, float)
    delta = probe_rel * max(1.0, float(np.max(np.abs(theta))))
    sizes = []
    for k in range(theta.size):
        for sign in (1.0, -1.0):
            probe = theta.copy()
            probe[k] += sign * delta
            sizes.append(float(np.linalg.norm(regularizer.grad(probe, theta0))))
    return max(float(np.linalg.norm(regularizer.grad(theta, theta0))),
               REFERENCE_FRACTION * float(np.mean(sizes)))


def violation_at_limit(model: Model | SurrogateModel, x: Any, y: Any, theta: Any, theta0: Any,
                       regularizer: Regularizer, **options: Any) -> Violation:
    """The normalized KKT violation of ``regularizer`` at the float limit ``theta``.

    Guarantee: approximate, no bound.
    """
    grad_g = regularizer.grad(theta, theta0)
    ref = gradient_reference(regularizer, theta, theta0)
    scale = float(np.max(np.abs(np.asarray(theta0, float)), initial=0.0))
    return kkt_violation(model, x, y, theta, grad_g, reference=ref, scale=scale, **options)
