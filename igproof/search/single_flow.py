"""The surrogate for ONE example, in plain Python floats: Hypothesis' calling pattern.

For a single example with a few points and parameters, numpy's per-call overhead dominates the
arithmetic, so this path runs the same method as :func:`igproof.search.surrogate.integrate_batch`
(Dormand–Prince 5(4), the same step-size controller, the same kink rule and the same stopping
rules, with the constants of that module) on Python floats. The two paths agree to rounding
error (a test compares them).

Guarantee: none (IEEE double arithmetic); a float lead for the rigorous step.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from igproof.search import surrogate as _s
from igproof.search.families import SurrogateModel

_A = [[float(c) for c in row] for row in _s.A_TABLEAU]
_B5 = [float(c) for c in _s.B5]
_E = [float(c) for c in _s.E54]


def _loss_grad(neuron: bool, relu: bool, xs: Sequence[Sequence[float]], ys: Sequence[float],
               th: Sequence[float]) -> tuple[float, list[float]]:
    """L = (1/2n) sum r_i^2 and grad L for relu(w.x) or a sigma(w.x) (relu'(0) = 0)."""
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
            s, ds = (z, 1.0) if z > 0.0 else (0.0, 0.0)
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


def single_flow(model: SurrogateModel, xs: Sequence[Sequence[float]], ys: Sequence[float],
                theta0: Sequence[float], *, rtol: float, atol_scale: float,
                residual_tol: float, t_max: float, max_steps: int
                ) -> tuple[list[float], float, float, float, int, int, int]:
    """One flow: returns (theta, t, loss, |grad L|, status index, steps, rejected).

    Arguments are validated by the caller (:func:`igproof.search.surrogate.float_limit`).
    """
    neuron = model.kind == "neuron"
    relu = model.piecewise
    off = 1 if neuron else 0
    n, p = len(ys), len(theta0)
    xs = [list(map(float, row)) for row in xs]
    ys = [float(v) for v in ys]
    th = [float(v) for v in theta0]
    init_scale = max(abs(v) for v in th)
    atol = atol_scale * (init_scale if init_scale > 0 else 1.0)
    label_scale = math.sqrt(sum(v * v for v in ys) / n)
    data_scale = math.sqrt(sum(c * c for row in xs for c in row) / n)
    norms = [math.sqrt(sum(c * c for c in row)) for row in xs]
    loss, grad = _loss_grad(neuron, relu, xs, ys, th)
    if label_scale == 0:
        label_scale = math.sqrt(2.0 * loss)
    res_goal = residual_tol * label_scale
    k1 = [-g for g in grad]
    gnorm = math.sqrt(sum(g * g for g in grad))
    t, steps, rejected, no_progress, best = 0.0, 0, 0, 0, loss

    def classify() -> int:
        rms = math.sqrt(2.0 * loss)
        st = _s._RUN
        if no_progress >= _s.STALL_STEPS:
            st = _s._CONV if rms <= _s.NOISE_RESIDUAL_TOL * label_scale else _s._STALL
        if gnorm <= _s.STATIONARY_TOL * rms * data_scale:
            st = _s._STAT
        if rms <= res_goal:
            st = _s._CONV
        if st == _s._RUN and t >= t_max:
            st = _s._TMAX
        if st == _s._RUN and steps + rejected >= max_steps:
            st = _s._MAXS
        return st

    status = classify()
    sc0 = [atol + rtol * abs(v) for v in th]
    d0 = math.sqrt(sum((v / s) ** 2 for v, s in zip(th, sc0, strict=True)) / p)
    d1 = math.sqrt(sum((v / s) ** 2 for v, s in zip(k1, sc0, strict=True)) / p)
    h = 0.01 * d0 / max(d1, 1e-300) if (d0 > 1e-5 and d1 > 1e-5) else 1e-6

    prange = range(p)
    while status == _s._RUN:
        ks = [k1]
        for row in _A[1:]:
            stage = th[:]
            for c, k in zip(row, ks, strict=False):
                hc = h * c
                for j in prange:
                    stage[j] += hc * k[j]
            ks.append([-g for g in _loss_grad(neuron, relu, xs, ys, stage)[1]])
        new = th[:]
        for c, k in zip(_B5, ks, strict=False):
            if c:
                hc = h * c
                for j in prange:
                    new[j] += hc * k[j]
        new_loss, new_grad = _loss_grad(neuron, relu, xs, ys, new)
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
        if relu and accept:
            first, jump = 1.0, 0.0
            a_abs = abs(th[0]) if neuron else 1.0
            for i in range(n):
                size = abs(ys[i]) * norms[i] / n * a_abs
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
        if accept:
            th, t, k1 = new, t + h, ks[6]
            loss = new_loss
            gnorm = math.sqrt(sum(g * g for g in new_grad))
            steps += 1
            if loss < best:
                best, no_progress = loss, 0
            else:
                no_progress += 1
        else:
            rejected += 1
        h = h_next
        status = classify()
        if status == _s._RUN and h < _s.H_MIN_REL * max(1.0, t):
            status = _s._UNDER
    return th, t, loss, gnorm, status, steps, rejected
