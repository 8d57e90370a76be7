"""Fast float surrogate: gradient-flow limits dtheta/dt = -grad L(theta) for a batch of examples.

A Dormand–Prince 5(4) integrator written with numpy arrays over a batch of (dataset, theta0)
examples of the same shape. Each example has its own time, step size and stopping status, so
one example stuck in a slow phase does not hold back the others; the batch is compacted as
examples finish.

This loop is not a user of the integrator contract (igproof.numeric.stepper), unlike the
one-example path (igproof.search.single_flow.SingleFlowIntegrator) that runs the same method:
one numpy step here advances every running example of the batch, while the contract's
``step()`` advances one state, so sharing it would cost B Python round trips per step
(benchmarks/bench_surrogate.py prints the batch vs single factor, measured in the same run).

- Tolerances: ``rtol`` relative, and an absolute tolerance ``atol_scale * |theta0|_inf`` scaled
  with the initialization, so a tiny initialization is resolved instead of being swallowed by
  a fixed atol (DESIGN.md, rigour rules).
- ReLU kinks: the field jumps by (1/n) y_i x_i (times a for the neuron) when w . x_i crosses 0.
  A step over which such a crossing happens is accepted only when the part of the step taken on
  the far side of the kink, times the jump, is below atol; otherwise it is retried with the step
  cut at the crossing located by the secant of w . x_i. Label-0 points cross without a jump and
  need no localization. Sliding along a kink (a Filippov mode) ends as ``max-steps``.
- Stop: ``converged`` when the root-mean-square residual is at most ``residual_tol`` times the
  label scale (the limit lies near M_S), or when the loss has stopped decreasing at the float
  noise floor with a residual at most ``NOISE_RESIDUAL_TOL`` times the label scale;
  ``stationary`` when the gradient vanishes away from M_S (e.g. every ReLU dead); ``stalled``,
  ``t-max``, ``max-steps`` or ``step-underflow`` otherwise. Only ``converged`` flows are
  candidates for the search.

Guarantee: none. The output is a floating-point lead for the rigorous step (validated
enclosures, certificates); it is never evidence beyond SUPPORTED.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from igproof.errors import InvalidArgument
from igproof.search.dopri import (
    A_TABLEAU,
    ATOL_SCALE,
    B5_ARRAY,
    E54_ARRAY,
    FACTOR_MAX,
    FACTOR_MIN,
    H_MIN_REL,
    MAX_STEPS,
    NOISE_RESIDUAL_TOL,
    RESIDUAL_TOL,
    RTOL,
    SAFETY,
    STALL_STEPS,
    STATIONARY_TOL,
    STATUSES,
    T_MAX,
)
from igproof.search.families import SurrogateModel

_RUN, _CONV, _STAT, _TMAX, _MAXS, _UNDER, _STALL = range(7)


@dataclass(frozen=True)
class BatchLimits:
    """Float end states of a batch of gradient flows.

    Attributes: ``theta`` (B, p) the state at stop, ``t`` (B,) the time reached, ``loss`` (B,),
    ``grad_norm`` (B,) |grad L| at stop, ``status`` (B,) indices into :data:`STATUSES`,
    ``steps`` and ``rejected`` (B,) accepted and rejected step counts.
    """

    theta: np.ndarray
    t: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    status: np.ndarray
    steps: np.ndarray
    rejected: np.ndarray

    @property
    def converged(self) -> np.ndarray:
        """Boolean mask of flows that reached M_S (small residual)."""
        return self.status == _CONV

    def status_name(self, k: int) -> str:
        return STATUSES[int(self.status[k])]


@dataclass(frozen=True)
class FloatLimit:
    """Float end state of one gradient flow (see :func:`float_limit`). Guarantee: none."""

    theta: np.ndarray
    t: float
    loss: float
    grad_norm: float
    status: str
    steps: int
    rejected: int

    @property
    def converged(self) -> bool:
        return self.status == "converged"


def _as_batch(model: SurrogateModel, x: Any, y: Any,
              theta0: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    theta0 = np.asarray(theta0, dtype=float)
    if x.ndim != 3 or x.shape[2] != model.dim:
        raise InvalidArgument(f"x: expected shape (B, n, {model.dim}), got {x.shape}")
    if y.shape != x.shape[:2]:
        raise InvalidArgument(f"y: expected shape {x.shape[:2]}, got {y.shape}")
    if theta0.shape != (x.shape[0], model.n_params):
        raise InvalidArgument(f"theta0: expected shape {(x.shape[0], model.n_params)}, "
                              f"got {theta0.shape}")
    if x.shape[1] == 0:
        raise InvalidArgument("x: the datasets are empty; give at least one point")
    for name, arr in (("x", x), ("y", y), ("theta0", theta0)):
        if not np.all(np.isfinite(arr)):
            raise InvalidArgument(f"{name}: contains NaN or infinite entries")
    return x, y, theta0


def _check_options(rtol: float, atol_scale: float, residual_tol: float, max_steps: int) -> None:
    if not (0 < rtol < 1) or not (atol_scale > 0) or not (residual_tol > 0):
        raise InvalidArgument(f"tolerances: need 0 < rtol < 1, atol_scale > 0 and "
                              f"residual_tol > 0, got {rtol!r}, {atol_scale!r}, "
                              f"{residual_tol!r}")
    if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1:
        raise InvalidArgument(f"max_steps: expected a positive integer, got {max_steps!r}")


def integrate_batch(model: SurrogateModel, x: Any, y: Any, theta0: Any, *,
                    rtol: float = RTOL, atol_scale: float = ATOL_SCALE,
                    residual_tol: float = RESIDUAL_TOL, t_max: float = T_MAX,
                    max_steps: int = MAX_STEPS) -> BatchLimits:
    """Integrate dtheta/dt = -grad L_S(theta) for every example of a batch until it stops.

    Parameters
    ----------
    model : SurrogateModel
        The model family (kind, activation, dim).
    x, y, theta0 : array_like
        Shapes (B, n, d), (B, n) and (B, p): B datasets of n points and their initializations.
    rtol, atol_scale : float, keyword-only
        Relative tolerance, and absolute tolerance as a multiple of |theta0|_inf.
    residual_tol : float, keyword-only
        Convergence: rms residual <= residual_tol * rms(y).
    t_max, max_steps : keyword-only
        Time horizon and the cap on accepted plus rejected steps per example.

    Returns
    -------
    BatchLimits

    Guarantee: approximate, no bound (a float lead for the rigorous step).
    """
    x, y, theta0 = _as_batch(model, x, y, theta0)
    _check_options(rtol, atol_scale, residual_tol, max_steps)
    batch = y.shape[0]

    init_scale = np.max(np.abs(theta0), axis=1)
    atol = atol_scale * np.where(init_scale > 0, init_scale, 1.0)
    label_scale = np.sqrt(np.mean(y * y, axis=1))
    data_scale = np.sqrt(np.mean(np.sum(x * x, axis=2), axis=1))
    loss, grad = model.loss_and_gradient(theta0, x, y)
    # All labels 0: measure the residual against the initial outputs instead.
    label_scale = np.where(label_scale > 0, label_scale, np.sqrt(2.0 * loss))
    res_goal = residual_tol * label_scale

    theta = theta0.copy()
    t = np.zeros(batch)
    k_first = -grad
    steps = np.zeros(batch, dtype=np.int64)
    rejected = np.zeros(batch, dtype=np.int64)
    status = np.full(batch, _RUN, dtype=np.int64)
    gnorm = np.linalg.norm(grad, axis=1)

    best_loss = loss.copy()
    no_progress = np.zeros(batch, dtype=np.int64)

    def classify(idx: np.ndarray) -> None:
        rms = np.sqrt(2.0 * loss[idx])
        st = np.full(idx.shape, _RUN)
        stuck = no_progress[idx] >= STALL_STEPS
        st[stuck] = np.where(rms[stuck] <= NOISE_RESIDUAL_TOL * label_scale[idx][stuck],
                             _CONV, _STALL)
        st[gnorm[idx] <= STATIONARY_TOL * rms * data_scale[idx]] = _STAT
        st[rms <= res_goal[idx]] = _CONV
        st[(st == _RUN) & (t[idx] >= t_max)] = _TMAX
        st[(st == _RUN) & (steps[idx] + rejected[idx] >= max_steps)] = _MAXS
        status[idx] = st

    classify(np.arange(batch))
    # Initial step (Hairer–Wanner's first guess): 1% of the distance the field moves theta.
    sc0 = atol[:, None] + rtol * np.abs(theta)
    d0 = np.sqrt(np.mean((theta / sc0) ** 2, axis=1))
    d1 = np.sqrt(np.mean((k_first / sc0) ** 2, axis=1))
    h = np.where((d0 > 1e-5) & (d1 > 1e-5), 0.01 * d0 / np.maximum(d1, 1e-300), 1e-6)

    idx = np.nonzero(status == _RUN)[0]
    xa, ya = x[idx], y[idx]
    stages = np.empty((7, batch, theta.shape[1]))
    while idx.size:
        m = idx.size
        th, hh, k_stack = theta[idx], h[idx], stages[:, :m]
        k_stack[0] = k_first[idx]
        flat = k_stack.reshape(7, -1)
        for s, row in enumerate(A_TABLEAU[1:], start=1):
            stage = th + hh[:, None] * (row @ flat[:s]).reshape(m, -1)
            k_stack[s] = model.field(stage, xa, ya)
        new = th + hh[:, None] * (B5_ARRAY[:6] @ flat[:6]).reshape(m, -1)
        new_loss, new_grad = model.loss_and_gradient(new, xa, ya)
        k_stack[6] = -new_grad
        err_vec = hh[:, None] * (E54_ARRAY @ flat).reshape(m, -1)
        sc = atol[idx][:, None] + rtol * np.maximum(np.abs(th), np.abs(new))
        err = np.sqrt(np.mean((err_vec / sc) ** 2, axis=1))
        accept = err <= 1.0
        factor = np.clip(SAFETY * np.power(np.maximum(err, 1e-12), -0.2),
                         FACTOR_MIN, FACTOR_MAX)
        h_next = hh * np.where(accept, factor, np.minimum(factor, 1.0))
        if model.piecewise:
            z0 = model.pre_activations(th, xa)
            z1 = model.pre_activations(new, xa)
            jumps = model.kink_jumps(th, xa, ya)
            crossing = ((z0 > 0) != (z1 > 0)) & (jumps > 0)
            # On a crossing z0 and z1 lie on different sides of 0, so z0 - z1 != 0.
            frac = np.clip(np.where(crossing, z0 / np.where(crossing, z0 - z1, 1.0), 1.0),
                           0.0, 1.0)
            first = frac.min(axis=1)
            jump = np.where(crossing, jumps, 0.0).max(axis=1)
            late_enough = (1.0 - first) * hh * jump <= atol[idx]
            cut = accept & crossing.any(axis=1) & ~late_enough
            accept &= ~cut
            target = first * hh + 0.5 * atol[idx] / np.maximum(jump, 1e-300)
            h_next = np.where(cut, np.minimum(h_next, target), h_next)
        acc, rej = idx[accept], idx[~accept]
        theta[acc] = new[accept]
        t[acc] += hh[accept]
        k_first[acc] = -new_grad[accept]
        loss[acc] = new_loss[accept]
        improved = loss[acc] < best_loss[acc]
        best_loss[acc] = np.minimum(best_loss[acc], loss[acc])
        no_progress[acc] = np.where(improved, 0, no_progress[acc] + 1)
        gnorm[acc] = np.linalg.norm(new_grad[accept], axis=1)
        steps[acc] += 1
        rejected[rej] += 1
        h[idx] = h_next
        classify(idx)
        under = (status[idx] == _RUN) & (h[idx] < H_MIN_REL * np.maximum(1.0, t[idx]))
        status[idx[under]] = _UNDER
        keep = status[idx] == _RUN
        if not keep.all():
            idx = idx[keep]
            xa, ya = xa[keep], ya[keep]
    return BatchLimits(theta=theta, t=t, loss=loss, grad_norm=gnorm, status=status,
                       steps=steps, rejected=rejected)


def float_limit(model: SurrogateModel, x: Sequence[Sequence[Any]], y: Sequence[Any],
                theta0: Sequence[Any], *, rtol: float = RTOL, atol_scale: float = ATOL_SCALE,
                residual_tol: float = RESIDUAL_TOL, t_max: float = T_MAX,
                max_steps: int = MAX_STEPS) -> FloatLimit:
    """The float end state of one gradient flow theta' = -grad L_S(theta), theta(0) = theta0.

    ``x`` (n rows of d numbers), ``y`` (n numbers) and ``theta0`` (p numbers) may be exact
    rationals; they are rounded to the nearest double. The options are those of
    :func:`integrate_batch`; the same method runs on Python floats
    (:mod:`igproof.search.single_flow`), which is faster than numpy for one small example.

    Guarantee: approximate, no bound.
    """
    from igproof.search.single_flow import single_flow

    try:
        xs = np.array([[float(v) for v in row] for row in x], dtype=float)
        ys = np.array([float(v) for v in y], dtype=float)
        th = np.array([float(v) for v in theta0], dtype=float)
    except (TypeError, ValueError):
        raise InvalidArgument("x, y, theta0: expected rows of numbers, numbers, numbers") from None
    if xs.ndim != 2:
        raise InvalidArgument(f"x: expected n rows of {model.dim} numbers")
    _as_batch(model, xs[None], ys[None], th[None])
    _check_options(rtol, atol_scale, residual_tol, max_steps)
    # The Python-float path covers the neurons and two-layer models without bias or skip part.
    if model.kind == "two-layer" and (model.bias or model.skip):
        out = integrate_batch(model, xs[None], ys[None], th[None], rtol=rtol,
                              atol_scale=atol_scale, residual_tol=residual_tol, t_max=t_max,
                              max_steps=max_steps)
        return FloatLimit(theta=out.theta[0], t=float(out.t[0]), loss=float(out.loss[0]),
                          grad_norm=float(out.grad_norm[0]), status=out.status_name(0),
                          steps=int(out.steps[0]), rejected=int(out.rejected[0]))
    theta, t, loss, gnorm, status, steps, rejected = single_flow(
        model, xs.tolist(), ys.tolist(), th.tolist(), rtol=rtol, atol_scale=atol_scale,
        residual_tol=residual_tol, t_max=t_max, max_steps=max_steps)
    return FloatLimit(theta=np.array(theta), t=t, loss=loss, grad_norm=gnorm,
                      status=STATUSES[status], steps=steps, rejected=rejected)
