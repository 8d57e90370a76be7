"""The limit of a gradient flow, estimated by integrating until |grad L| is negligible.

:func:`flow_limit` runs the float or the high-precision integrator until |grad L(theta)| falls
below a tolerance tied to the working precision (or until t_max) and returns a
:class:`FlowLimit`. Its verdict is SUPPORTED when that happened (floating-point evidence, with
the tolerances stated; never PROVED: no enclosure and no end-game bound) and INCONCLUSIVE
otherwise, with the reason. The limit is not "polished" by Newton or optimization steps (that
would move it along the manifold of minima, which is what implicit regularization is about).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import mpmath

from igproof.errors import InvalidArgument
from igproof.numeric.float_flow import float_code, integrate_float
from igproof.numeric.mp_flow import integrate_mp
from igproof.numeric.pieces import PiecewiseField, piecewise_field
from igproof.numeric.result import Trajectory
from igproof.numeric.series import TaylorProgram
from igproof.verdict import Outcome, Verdict

__all__ = ["FLOAT_GRAD_TOL", "FLOAT_RTOL", "FlowLimit", "default_tol", "flow_limit"]

METHODS = ("mp", "float")

# Default horizon: the flows igproof studies converge linearly with rates >= ~0.1, so |grad L|
# reaches 1e-30 well before t = 1000; slower flows are reported INCONCLUSIVE, not guessed.
DEFAULT_T_MAX = 1000

# Float runs: rtol 1e-13 keeps the integration error ~1e-12 relative; |grad L| <= 1e-10 is
# then reachable (its floor is ~ Lipschitz constant * integration error) and puts the limit
# within ~1e-10 / (smallest nonzero curvature) of the estimate.
FLOAT_RTOL = 1e-13
FLOAT_GRAD_TOL = 1e-10

# mp runs: |grad L| <= 10^-(dps - MP_TOL_DIGITS_SLACK); the per-step error target is about
# 10^-dps, so the gradient can fall that low, leaving the limit ~10^-(dps - 3) away.
MP_TOL_DIGITS_SLACK = 3

# Digits of decimal output for float runs (a double has 15-17 significant digits).
FLOAT_DIGITS = 15


def default_tol(method: str, dps: int) -> float | str:
    """The default |grad L| tolerance: FLOAT_GRAD_TOL for floats, 10^-(dps-3) for mp."""
    if method == "float":
        return FLOAT_GRAD_TOL
    return f"1e-{dps - MP_TOL_DIGITS_SLACK}"


def _decimal(value: Any, digits: int) -> str:
    if isinstance(value, float):
        return format(value, f".{digits}g")
    return mpmath.nstr(value, digits)


@dataclass
class FlowLimit:
    """An approximate limit lim_{t -> oo} theta(t) of gradient flow, with its evidence.

    Attributes
    ----------
    model : str
        The model kind (and activation), e.g. ``"neuron/relu"``.
    parameters : tuple of str
    limit : tuple
        The estimate theta(t) at the stopping time (floats or mpmath mpf).
    loss
        L_S at the estimate (computed in the integrator's arithmetic).
    t
        The stopping time.
    grad_norm
        |grad L| at the estimate.
    pattern : tuple of int
        The final activation pattern (1 active, -1/0 inactive); empty for smooth models.
    switches : list of igproof.numeric.result.Switch
    converged : bool
        True when |grad L| <= tol was reached before t_max.
    method : str
        ``"mp"`` or ``"float"``.
    dps : int
        Digits: requested precision (mp) or FLOAT_DIGITS (float).
    tol
        The |grad L| tolerance.
    verdict : Verdict
        SUPPORTED (converged) or INCONCLUSIVE; never PROVED.
    evidence : str
        One line with the tolerances used or the reason for INCONCLUSIVE.
    trajectory : Trajectory
        The full integrator result.

    Guarantee: approximate (no rigorous bound on |limit - estimate|).
    """

    model: str
    parameters: tuple[str, ...]
    limit: tuple[Any, ...]
    loss: Any
    t: Any
    grad_norm: Any
    pattern: tuple[int, ...]
    switches: list[Any]
    converged: bool
    method: str
    dps: int
    tol: Any
    verdict: Verdict
    evidence: str
    trajectory: Trajectory = field(repr=False)

    def to_json(self) -> dict[str, Any]:
        """The JSON fields of ``igproof flow``: numbers as decimal strings with ``dps`` digits."""
        d = self.dps
        return {
            "model": self.model,
            "parameters": list(self.parameters),
            "limit": [_decimal(v, d) for v in self.limit],
            "loss": _decimal(self.loss, d),
            "t": _decimal(self.t, d),
            "grad_norm": _decimal(self.grad_norm, 6),
            "pattern": list(self.pattern),
            "switches": [{"t": _decimal(s.t, d), "kink": s.kink, "before": s.before,
                          "after": s.after} for s in self.switches],
            "converged": self.converged,
            "verdict": str(self.verdict),
            "evidence": self.evidence,
            "method": self.method,
            "dps": d,
        }

    def to_outcome(self) -> Outcome:
        """The verdict as an :class:`igproof.verdict.Outcome` (details = :meth:`to_json`)."""
        return Outcome(self.verdict, self.evidence, details=self.to_json())


def _model_label(flow: Any) -> str:
    if isinstance(flow, PiecewiseField):  # a compiled field (e.g. from the field cache)
        return flow.label
    model = getattr(flow, "model", None)
    kind = getattr(model, "kind", None) or "flow"
    activation = getattr(model, "activation", None)
    name = getattr(activation, "name", None)
    return f"{kind}/{name}" if name else str(kind)


def flow_limit(flow: Any, theta0: Any, *, method: str = "mp", dps: int = 30,
               t_max: Any = DEFAULT_T_MAX, tol: Any = None,
               rtol: float = FLOAT_RTOL) -> FlowLimit:
    """lim_{t->oo} theta(t) for d theta/dt = -grad L_S(theta), theta(0) = theta0, estimated.

    Integrates (``method="mp"``: Taylor method at ``dps`` digits; ``"float"``: scipy LSODA with
    the compiled Jacobian, tolerances from ``rtol`` with atol scaled to theta0, see
    :data:`igproof.numeric.float_flow.DEFAULT_METHOD`) until |grad L| <= tol or t = t_max.

    Parameters
    ----------
    flow : igproof.symbolic.flow.GradientFlow
    theta0 : sequence of numbers
        Exact initial parameters (ints, Fractions, decimal text; floats by their repr).
    method : {"mp", "float"}
    dps : int
        Working digits for ``"mp"`` (also the digits of the JSON output); ignored by
        ``"float"`` apart from validation.
    t_max : number
        Give up (INCONCLUSIVE) at this time.
    tol : number, optional
        |grad L| tolerance; default :func:`default_tol` (1e-10 float, 10^-(dps-3) mp).
    rtol : float
        Relative tolerance of the float solver.

    Returns
    -------
    FlowLimit
        Verdict SUPPORTED if converged (evidence states method, dps or rtol/atol, tol, t),
        INCONCLUSIVE otherwise (with the integrator's stop reason).

    Guarantee: approximate (floating-point evidence; no rigorous bound).
    """
    if method not in METHODS:
        raise InvalidArgument(f"method: expected 'mp' or 'float', got {method!r}")
    if isinstance(dps, bool) or not isinstance(dps, int) or dps < 5:
        raise InvalidArgument(f"dps: expected an integer >= 5, got {dps!r}")
    if tol is None:
        tol = default_tol(method, dps)
    if method == "float":
        try:
            tol_value: Any = float(tol)
        except (TypeError, ValueError):
            raise InvalidArgument(f"tol: expected a positive number, got {tol!r}") from None
        if not tol_value > 0:
            raise InvalidArgument(f"tol: expected a positive number, got {tol!r}")
        try:
            t_max_f = float(t_max)
        except (TypeError, ValueError):
            raise InvalidArgument(f"t_max: expected a positive number, got {t_max!r}") from None
        traj = integrate_float(flow, theta0, t_max=t_max_f, rtol=rtol, grad_tol=tol_value)
        digits = FLOAT_DIGITS
        setting = (f"float {traj.settings['solver']} rtol={traj.settings['rtol']:.1e} "
                   f"atol={traj.settings['atol']:.1e}")
    else:
        try:
            with mpmath.workdps(dps):
                tol_value = mpmath.mpf(tol)
        except (TypeError, ValueError):
            raise InvalidArgument(f"tol: expected a positive number, got {tol!r}") from None
        if not tol_value > 0:
            raise InvalidArgument(f"tol: expected a positive number, got {tol!r}")
        traj = integrate_mp(flow, theta0, dps=dps, t_max=t_max, grad_tol=tol_value)
        digits = dps
        setting = (f"mp Taylor dps={dps} (prec {traj.settings['prec']} bits, order "
                   f"{traj.settings['order']}, per-step error target "
                   f"{traj.settings['eps']} relative)")
    loss = _loss_at(flow, traj, method)
    converged = traj.status == "grad_tol"
    tol_text = _decimal(tol_value, 3)
    if converged:
        verdict = Verdict.SUPPORTED
        evidence = (f"{setting}: |grad L| = {_decimal(traj.grad_norm, 3)} <= {tol_text} at "
                    f"t = {_decimal(traj.t, 8)} after {traj.n_steps} steps and "
                    f"{len(traj.switches)} pattern switches; loss {_decimal(loss, 3)}; "
                    "floating-point evidence, no rigorous bound")
        if loss > tol_value:
            # |grad L| is tiny but L is not: the flow sits at (or creeps towards) a critical
            # point outside M_S, which the caller must not read as an interpolating limit.
            evidence += "; the loss does not vanish: a critical point outside M_S"
    else:
        verdict = Verdict.INCONCLUSIVE
        evidence = (f"{setting}: stopped at t = {_decimal(traj.t, 8)} ({traj.message}) with "
                    f"|grad L| = {_decimal(traj.grad_norm, 3)} > tol {tol_text}")
    return FlowLimit(model=_model_label(flow), parameters=traj.parameters, limit=traj.theta,
                     loss=loss, t=traj.t, grad_norm=traj.grad_norm, pattern=traj.pattern,
                     switches=list(traj.switches), converged=converged, method=method,
                     dps=digits, tol=tol_value, verdict=verdict, evidence=evidence,
                     trajectory=traj)


def _loss_at(flow: Any, traj: Trajectory, method: str) -> Any:
    """L_S at the final state, in the pattern in force (sigma'(0) = 0 convention)."""
    if method == "float":
        # (1/2n) sum r_i^2 from the residuals as float code (no series program needed)
        source = flow.restricted(traj.pattern) if getattr(flow, "kinks", ()) else flow
        try:
            residuals = float_code(source, "residuals").field
        except InvalidArgument:
            residuals = TaylorProgram.from_exprs(flow.parameters, list(source.residuals)).evaluate
        values = residuals(list(traj.theta))
        return math.fsum(r * r for r in values) / (2 * len(values))
    program = piecewise_field(flow).loss_program(traj.pattern)
    with mpmath.mp.workprec(traj.settings["prec"]):
        return program.evaluate(list(traj.theta))[0]
