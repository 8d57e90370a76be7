"""Approximate trajectories of a gradient flow: what an integrator returns.

Both approximate integrators (:func:`igproof.numeric.float_flow.integrate_float`,
:func:`igproof.numeric.mp_flow.integrate_mp`, methods of :mod:`igproof.numeric.stepper`) return a
:class:`Trajectory`; :data:`STOP_REASONS` is the stop-reason table of that contract. Its numbers are
approximations without a rigorous bound (floats, or mpmath ``mpf`` at the working precision);
validated enclosures are a different class in :mod:`igproof.numeric.ball`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["STOP_REASONS", "Switch", "Trajectory"]

# Why an integration stopped.
STOP_REASONS = {
    "t_max": "reached t_max",
    "grad_tol": "|grad L| fell below the requested tolerance",
    "sliding": "a kink was reached where the fields on both sides push into it "
               "(sliding motion along the kink is not integrated)",
    "max_switches": "too many activation-pattern switches",
    "max_steps": "too many steps",
    "solver": "the float solver failed",
    "non_finite": "the state overflowed or became NaN (the flow diverges)",
}


@dataclass(frozen=True)
class Switch:
    """One change of activation pattern: kink z_k(theta(t)) reached 0 at time t.

    ``kinks`` lists every kink index with the same expression (they switch together); ``kink``
    is the first of them. ``before``/``after`` are the signs used in the pattern (1 active,
    -1 or 0 inactive); ``value`` is z_k at the located switch point (close to 0, a measure of
    how well the event was located).
    """

    t: Any
    kink: int
    kinks: tuple[int, ...]
    before: int
    after: int
    value: Any
    theta: tuple[Any, ...]


@dataclass
class Trajectory:
    """An approximate solution theta(t) of d theta/dt = -grad L(theta) on [0, t].

    Attributes
    ----------
    method : str
        ``"float"`` or ``"mp"``.
    parameters : tuple of str
        Parameter names, the order of every theta vector.
    t, theta
        Final time and state.
    pattern : tuple of int
        Activation pattern in force at the end (empty for smooth flows).
    start_pattern : tuple of int
        The pattern chosen at theta0 (kinks exactly at 0 resolved by the field).
    grad_norm
        |grad L(theta)| = |F(theta)| at the end (Euclidean), in the pattern in force.
    ts, thetas : lists
        The accepted step points (t_j, theta(t_j)), including both ends and switch points.
    switches : list of Switch
        Pattern changes in time order.
    status : str
        A key of :data:`STOP_REASONS`.
    message : str
        Human-readable stop reason.
    settings : dict
        The tolerances, order, precision actually used (for evidence text).

    Guarantee: approximate (no rigorous error bound).
    """

    method: str
    parameters: tuple[str, ...]
    t: Any
    theta: tuple[Any, ...]
    pattern: tuple[int, ...]
    grad_norm: Any
    start_pattern: tuple[int, ...] = ()
    ts: list[Any] = field(default_factory=list)
    thetas: list[tuple[Any, ...]] = field(default_factory=list)
    switches: list[Switch] = field(default_factory=list)
    status: str = "t_max"
    message: str = ""
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def n_steps(self) -> int:
        """Number of accepted steps."""
        return max(len(self.ts) - 1, 0)
