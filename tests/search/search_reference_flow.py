"""An independent reference integrator for the tests: scipy solve_ivp with kink events.

The gradient field is written out again here from SPEC.md (not imported from igproof), and the
flow is restarted at every zero of w . x_k so that no step spans a ReLU kink.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp


def grad_loss(kind: str, activation: str, x: np.ndarray, y: np.ndarray,
              theta: np.ndarray) -> np.ndarray:
    """grad of (1/2n) sum (f(x_i) - y_i)^2 for f = relu(w.x) or a sigma(w.x), relu'(0) = 0;
    leaky-relu: sigma(z) = z (z > 0), z / 100 (z <= 0)."""
    n = len(y)
    if kind == "relu-neuron":
        w = theta
        z = x @ w
        act = z > 0
        return ((np.where(act, z, 0.0) - y) * act) @ x / n
    a, w = theta[0], theta[1:]
    z = x @ w
    if activation == "relu":
        s, ds = np.where(z > 0, z, 0.0), (z > 0).astype(float)
    elif activation == "leaky-relu":
        s, ds = np.where(z > 0, z, z / 100), np.where(z > 0, 1.0, 1 / 100)
    else:
        s, ds = np.tanh(z), 1.0 / np.cosh(z) ** 2
    r = a * s - y
    return np.concatenate([[r @ s / n], a * (r * ds) @ x / n])


def reference_limit(kind: str, activation: str, x, y, theta0, *, t_end: float = 400.0,
                    rtol: float = 1e-12, atol: float = 1e-14) -> np.ndarray:
    """theta(t_end) by DOP853 with restarts at kinks (t_end chosen so the flow has settled)."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    theta = np.asarray(theta0, float)
    t = 0.0

    def rhs(_t, th):
        return -grad_loss(kind, activation, x, y, th)

    events = []
    if activation in ("relu", "leaky-relu"):
        for k in range(len(y)):
            def event(_t, th, k=k):
                w = th if kind == "relu-neuron" else th[1:]
                return float(w @ x[k])
            event.terminal = True
            events.append(event)
    for _ in range(200):
        sol = solve_ivp(rhs, (t, t_end), theta, method="DOP853", rtol=rtol, atol=atol,
                        events=events or None)
        theta, t = sol.y[:, -1], sol.t[-1]
        if sol.status == 0:
            return theta
        # Step just past the kink so the event does not fire again at once.
        nudge = min(1e-9, t_end - t)
        theta = theta + nudge * rhs(t, theta)
        t += nudge
    raise RuntimeError("too many kink crossings")
