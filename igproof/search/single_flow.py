"""The surrogate for ONE example, in plain Python floats: Hypothesis' calling pattern.

For a single example with a few points and parameters, numpy's per-call overhead dominates the
arithmetic, so this path runs the same method as :func:`igproof.search.surrogate.integrate_batch`
(Dormand–Prince 5(4), the same step-size controller, the same kink rule and the same stopping
rules, with the constants of that module) on Python floats. The two paths agree to rounding
error (a test compares them). One attempt of the method is the step of
:class:`SingleFlowIntegrator`, a method of the integrator contract :mod:`igproof.numeric.stepper`
(which owns the loop, the counters and the stop record); the batched path keeps its own
vectorized loop (see :mod:`igproof.search.surrogate`).

Guarantee: none (IEEE double arithmetic); a float lead for the rigorous step.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from igproof.errors import InvalidArgument
from igproof.numeric.stepper import PiecewiseIntegrator, StepOutcome, check_options, run
from igproof.search import dopri as _s
from igproof.search.families import LEAKY_SLOPE, SurrogateModel

_A = [[float(c) for c in row] for row in _s.A_TABLEAU]
_B5 = [float(c) for c in _s.B5]
_E = [float(c) for c in _s.E54]
# A rejected attempt carries nothing: one shared outcome (a step costs ~10 field evaluations,
# but the single path is the Hypothesis hot loop).
_REJECTED = StepOutcome(accepted=False)


def _loss_grad(neuron: bool, relu: bool, xs: Sequence[Sequence[float]], ys: Sequence[float],
               th: Sequence[float], slope: float = 0.0) -> tuple[float, list[float]]:
    """L = (1/2n) sum r_i^2 and grad L for relu(w.x) or a sigma(w.x) (relu'(0) = 0); with
    ``relu`` and ``slope`` s > 0 the leaky relu (s z and s for z <= 0)."""
    n = len(ys)
    grad = [0.0] * len(th)
    total = 0.0
    off = 1 if neuron else 0
    a = th[0] if neuron else 1.0
    for xi, yi in zip(xs, ys, strict=True):
        z = 0.0
        for k, xk in enumerate(xi):
            z += th[off + k] * xk
        if relu:
            s, ds = (z, 1.0) if z > 0.0 else (slope * z, slope)
        else:
            s = math.tanh(z)
            ds = 1.0 - s * s
        r = a * s - yi
        total += r * r
        if neuron:
            grad[0] += r * s
        c = a * r * ds
        if c != 0.0:
            for k, xk in enumerate(xi):
                grad[off + k] += c * xk
    return 0.5 * total / n, [g / n for g in grad]


def _two_layer_loss_grad(m: int, d: int, activation: str, xs: Sequence[Sequence[float]],
                         ys: Sequence[float], th: Sequence[float]
                         ) -> tuple[float, list[float], list[float]]:
    """L = (1/2n) sum r_i^2, grad L and the residuals r_i for f = sum_j v_j sigma(w_j . x)
    (no bias, no skip part; theta = (v_1..v_m, w_1, ..., w_m); relu'(0) = 0)."""
    n = len(ys)
    grad = [0.0] * len(th)
    res = []
    total = 0.0
    slope = LEAKY_SLOPE if activation == "leaky-relu" else 0.0
    for xi, yi in zip(xs, ys, strict=True):
        f = 0.0
        parts = []
        for j in range(m):
            base = m + j * d
            z = 0.0
            for k in range(d):
                z += th[base + k] * xi[k]
            if activation == "tanh":
                s = math.tanh(z)
                ds = 1.0 - s * s
            else:
                s, ds = (z, 1.0) if z > 0.0 else (slope * z, slope)
            f += th[j] * s
            parts.append((s, ds))
        r = f - yi
        res.append(r)
        total += r * r
        for j, (s, ds) in enumerate(parts):
            grad[j] += r * s
            c = r * th[j] * ds
            if c != 0.0:
                base = m + j * d
                for k in range(d):
                    grad[base + k] += c * xi[k]
    return 0.5 * total / n, [g / n for g in grad], res


def single_flow(model: SurrogateModel, xs: Sequence[Sequence[float]], ys: Sequence[float],
                theta0: Sequence[float], *, rtol: float, atol_scale: float,
                residual_tol: float, t_max: float, max_steps: int
                ) -> tuple[list[float], float, float, float, int, int, int]:
    """One flow: returns (theta, t, loss, |grad L|, status index, steps, rejected).

    Arguments are validated by the caller (:func:`igproof.search.surrogate.float_limit`).
    The loop is :func:`igproof.numeric.stepper.run` over a :class:`SingleFlowIntegrator`.
    """
    return run(SingleFlowIntegrator(model, xs, ys, theta0, rtol=rtol, atol_scale=atol_scale,
                                    residual_tol=residual_tol, t_max=t_max,
                                    max_steps=max_steps))


class SingleFlowIntegrator(PiecewiseIntegrator):
    """One step = one Dormand–Prince 5(4) attempt (accepted or rejected) on Python floats.

    There are no pattern switches: a step across a kink whose jump matters is rejected and cut
    at the secant estimate of the crossing (the surrogate's kink rule), so ``_switch`` is never
    called. The check before each step is the surrogate's classification (converged,
    stationary, stalled, t-max, max-steps on accepted plus rejected attempts, then
    step-underflow once a step has been tried). No step points are recorded (the surrogate
    wants the end state only).

    Guarantee: none (IEEE double arithmetic).
    """

    name = "dopri-single"
    STOP_REASONS: ClassVar[Mapping[str, str]] = {
        "converged": "the rms residual is small against the labels (the limit is near M_S)",
        "stationary": "|grad L| vanishes away from M_S",
        "t-max": "reached t_max",
        "max-steps": "too many steps (accepted plus rejected)",
        "step-underflow": "the step fell below the float noise of t",
        "stalled": "the loss stopped decreasing above the noise floor",
    }
    OPTIONS = ("rtol", "atol_scale", "residual_tol", "t_max", "max_steps")

    def __init__(self, model: SurrogateModel, xs: Sequence[Sequence[float]],
                 ys: Sequence[float], theta0: Sequence[float], **options: Any) -> None:
        check_options("single_flow", options, self.OPTIONS)
        missing = [k for k in self.OPTIONS if k not in options]
        if missing:
            raise InvalidArgument(f"single_flow: missing keyword argument {missing[0]!r}")
        rtol, self.t_max = options["rtol"], options["t_max"]
        self.max_steps_total = options["max_steps"]
        if model.kind == "two-layer" and (model.bias or model.skip):
            raise InvalidArgument("single_flow: two-layer models with bias or skip part run on "
                                  "the batched surrogate (igproof.search.surrogate)")
        self.neuron = model.kind == "neuron"
        self.relu = model.piecewise
        self.slope = LEAKY_SLOPE if model.activation == "leaky-relu" else 0.0
        self.two_layer = (model.width, model.dim, model.activation) \
            if model.kind == "two-layer" else None
        self.xs = xs = [list(map(float, row)) for row in xs]
        self.ys = ys = [float(v) for v in ys]
        th = [float(v) for v in theta0]
        n, p = len(ys), len(th)
        init_scale = max(abs(v) for v in th)
        atol = options["atol_scale"] * (init_scale if init_scale > 0 else 1.0)
        self.rtol, self.atol = rtol, atol
        label_scale = math.sqrt(sum(v * v for v in ys) / n)
        self.data_scale = math.sqrt(sum(c * c for row in xs for c in row) / n)
        self.norms = [math.sqrt(sum(c * c for c in row)) for row in xs]
        loss, grad = self._loss_grad(th)
        if label_scale == 0:
            label_scale = math.sqrt(2.0 * loss)
        self.label_scale = label_scale
        self.res_goal = options["residual_tol"] * label_scale
        self.k1 = [-g for g in grad]
        self.loss, self.best, self.no_progress = loss, loss, 0
        self.gnorm = math.sqrt(sum(g * g for g in grad))
        super().__init__(0.0, th, ())
        sc0 = [atol + rtol * abs(v) for v in th]
        d0 = math.sqrt(sum((v / s) ** 2 for v, s in zip(th, sc0, strict=True)) / p)
        d1 = math.sqrt(sum((v / s) ** 2 for v, s in zip(self.k1, sc0, strict=True)) / p)
        self.h = 0.01 * d0 / max(d1, 1e-300) if (d0 > 1e-5 and d1 > 1e-5) else 1e-6
        self._accepted = StepOutcome()

    def _loss_grad(self, th: Sequence[float]) -> tuple[float, list[float]]:
        if self.two_layer is not None:
            m, d, act = self.two_layer
            return _two_layer_loss_grad(m, d, act, self.xs, self.ys, th)[:2]
        return _loss_grad(self.neuron, self.relu, self.xs, self.ys, th, self.slope)

    def _stop_reason(self) -> str | None:
        rms = math.sqrt(2.0 * self.loss)
        st = None
        if self.no_progress >= _s.STALL_STEPS:
            st = ("converged" if rms <= _s.NOISE_RESIDUAL_TOL * self.label_scale
                  else "stalled")
        if self.gnorm <= _s.STATIONARY_TOL * rms * self.data_scale:
            st = "stationary"
        if rms <= self.res_goal:
            st = "converged"
        if st is None and self.t >= self.t_max:
            st = "t-max"
        attempts = self.n_steps + self.n_rejected
        if st is None and attempts >= self.max_steps_total:
            st = "max-steps"
        if st is None and attempts and self.h < _s.H_MIN_REL * max(1.0, self.t):
            st = "step-underflow"
        return st

    def _step_impl(self) -> StepOutcome:
        neuron, relu, xs, ys = self.neuron, self.relu, self.xs, self.ys
        rtol, atol, h, th = self.rtol, self.atol, self.h, self.state
        p = len(th)
        prange = range(p)
        ks = [self.k1]
        for row in _A[1:]:
            stage = th[:]
            for c, k in zip(row, ks, strict=False):
                hc = h * c
                for j in prange:
                    stage[j] += hc * k[j]
            ks.append([-g for g in self._loss_grad(stage)[1]])
        new = th[:]
        for c, k in zip(_B5, ks, strict=False):
            if c:
                hc = h * c
                for j in prange:
                    new[j] += hc * k[j]
        new_loss, new_grad = self._loss_grad(new)
        ks.append([-g for g in new_grad])
        errs = [0.0] * p
        for c, k in zip(_E, ks, strict=True):
            if c:
                hc = h * c
                for j in prange:
                    errs[j] += hc * k[j]
        acc_err = 0.0
        for j in prange:
            acc_err += (errs[j] / (atol + rtol * max(abs(th[j]), abs(new[j])))) ** 2
        err = math.sqrt(acc_err / p)
        accept = err <= 1.0
        factor = min(max(_s.SAFETY * max(err, 1e-12) ** -0.2, _s.FACTOR_MIN), _s.FACTOR_MAX)
        h_next = h * (factor if accept else min(factor, 1.0))
        if relu and accept and self.two_layer is not None:
            first, jump = self._two_layer_crossing(th, new)
            if jump > 0.0 and (1.0 - first) * h * jump > atol:
                accept = False
                h_next = min(h_next, first * h + 0.5 * atol / jump)
        elif relu and accept:
            n = len(ys)
            off = 1 if neuron else 0
            first, jump, norms = 1.0, 0.0, self.norms
            a_abs = abs(th[0]) if neuron else 1.0
            for i in range(n):
                size = abs(ys[i]) * norms[i] / n * a_abs * (1.0 - self.slope)
                if size <= 0.0:
                    continue
                z0 = sum(th[off + k] * c for k, c in enumerate(xs[i]))
                z1 = sum(new[off + k] * c for k, c in enumerate(xs[i]))
                if (z0 > 0.0) != (z1 > 0.0):
                    first = min(first, min(max(z0 / (z0 - z1), 0.0), 1.0))
                    jump = max(jump, size)
            if jump > 0.0 and (1.0 - first) * h * jump > atol:
                accept = False
                h_next = min(h_next, first * h + 0.5 * atol / jump)
        self.h = h_next
        if not accept:
            return _REJECTED
        self.k1, self.loss = ks[6], new_loss
        self.gnorm = math.sqrt(sum(g * g for g in new_grad))
        if new_loss < self.best:
            self.best, self.no_progress = new_loss, 0
        else:
            self.no_progress += 1
        accepted = self._accepted  # reused: one allocation per flow, not per step
        accepted.at = (self.t + h, new)
        return accepted

    def _two_layer_crossing(self, th: Sequence[float],
                            new: Sequence[float]) -> tuple[float, float]:
        """(fraction of the step to the first crossing, largest jump) over the kinks z_ij that
        change sign between ``th`` and ``new``; the jump of unit j at point i is
        (1 - slope) |r_i| |x_i| |v_j| / n with r_i the residual at ``th`` (the batched rule,
        :meth:`SurrogateModel.kink_jumps`)."""
        m, d, act = self.two_layer  # type: ignore[misc]
        res = _two_layer_loss_grad(m, d, act, self.xs, self.ys, th)[2]
        n = len(self.ys)
        first, jump = 1.0, 0.0
        for i, xi in enumerate(self.xs):
            scale = (1.0 - self.slope) * abs(res[i]) * self.norms[i] / n
            for j in range(m):
                size = scale * abs(th[j])
                if size <= 0.0:
                    continue
                base = m + j * d
                z0 = sum(th[base + k] * xi[k] for k in range(d))
                z1 = sum(new[base + k] * xi[k] for k in range(d))
                if (z0 > 0.0) != (z1 > 0.0):
                    first = min(first, min(max(z0 / (z0 - z1), 0.0), 1.0))
                    jump = max(jump, size)
        return first, jump

    def result(self) -> tuple[list[float], float, float, float, int, int, int]:
        return (self.state, self.t, self.loss, self.gnorm, _s.STATUSES.index(self.status),
                self.n_steps, self.n_rejected)
