"""One integrator contract: x(t_{k+1}) = step(x(t_k)) in one pattern, kinks switch the pattern.

Every gradient-flow integrator of igproof is a piecewise loop: advance the state in the smooth
field of the current activation pattern, stop at the first kink z_g(theta) = 0, switch the
pattern (or stop: sliding), repeat until a stop reason holds. :class:`PiecewiseIntegrator` owns
that loop, as ``scipy.integrate.OdeSolver`` owns ``step()``: the state checks, the counters
(accepted and rejected steps, switch records), the stop reasons and the record of step points.
A *method* subclasses it and implements only the private one-step ``_step_impl`` and the switch
``_switch``; :func:`run` is the thin driver loop.

The methods (each in the module of its arithmetic):

====================  ===================================================  ====================
name                  one step                                             guarantee
====================  ===================================================  ====================
``float``             igproof.numeric.float_flow: one scipy solver run to  approximate
                      the next kink event (LSODA/DOP853, dense-output roots)
``mp-taylor``         igproof.numeric.mp_flow: one Taylor step in mpmath   approximate
                      (kink roots of the Taylor polynomial, Newton)
``arb-taylor``        igproof.numeric.validated: one validated        enclosure
                      Lohner piece, ending in a certified crossing
``affine``            igproof.numeric.validated: one closed-form      enclosure
                      exp(tM) piece, certified switching time
``dopri-single``      igproof.search.single_flow: one Dormand-Prince 5(4)  approximate
                      attempt on Python floats (kinks cut the step)
====================  ===================================================  ====================

``igproof.numeric.integrators.METHODS`` is the registry of the numeric ones; the batched
surrogate ``igproof.search.surrogate.integrate_batch`` keeps its own vectorized loop (one numpy
step for B examples at once: a per-example ``step()`` would cost B Python round trips per step;
benchmarks/bench_surrogate.py measures the batch at several times the per-example loop).

Rules for subclasses
--------------------
- ``__init__`` validates its own options (InvalidArgument naming the argument; unknown keyword
  arguments are errors, see :func:`check_options`), then calls
  ``PiecewiseIntegrator.__init__`` with the start time, state and pattern.
- ``_step_impl()`` advances from ``(self.t, self.state)`` in ``self.pattern`` and returns a
  :class:`StepOutcome`; it never assigns ``t``, ``state``, ``pattern``, ``status`` or a counter.
  It stops at the first kink reached (``event``: an opaque token handed back to ``_switch``) or
  reports a stop reason it found (``stop``, a key of the class's ``STOP_REASONS``).
- ``_switch(event)`` returns ``(new_pattern, records, message)``: ``new_pattern`` None means
  sliding (``message`` says why); ``records`` are appended to ``switches``.
- ``_stop_reason()`` (optional) is the check before every step; the default stops at
  ``t_end`` (``"t_max"``), at ``max_steps`` attempts and on a non-finite state, in that order.
- ``result()`` builds the method's result from the recorded run.

Guarantee: the loop adds no arithmetic: each method's guarantee is that of its step.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from igproof.errors import InvalidArgument
from igproof.numeric.result import STOP_REASONS

__all__ = ["PiecewiseIntegrator", "StepOutcome", "check_options", "run"]


@dataclass(slots=True)
class StepOutcome:
    """What one private step did.

    ``points``: the new step points (t, state) to record, in time order; ``at``: the position
    reached when it is not the last recorded point (default: the last point; None and no points:
    the step did not move); ``event``: the kink reached at ``at`` (None: none); ``stop``: a stop
    reason found by the step (with ``message``); ``accepted``: False for a rejected attempt;
    ``steps``: how many accepted solver steps it took (a solve_ivp run takes many).
    """

    points: Sequence[tuple[Any, Any]] = ()
    at: tuple[Any, Any] | None = None
    event: Any = None
    stop: str | None = None
    message: str = ""
    accepted: bool = True
    steps: int = 1


def check_options(name: str, options: Mapping[str, Any], allowed: Sequence[str]) -> None:
    """Raise InvalidArgument for the first keyword of ``options`` not in ``allowed``."""
    for key in options:
        if key not in allowed:
            raise InvalidArgument(f"{name}: unknown keyword argument {key!r}; expected one of "
                                  f"{', '.join(sorted(allowed))}")


class PiecewiseIntegrator:
    """The piecewise loop of d theta/dt = F_pattern(theta): steps, kink switches, stop reasons.

    Attributes
    ----------
    t, state, pattern
        The current time, state and activation pattern.
    status : str
        ``"running"`` or a key of ``STOP_REASONS``; ``message`` explains it.
    n_steps, n_rejected : int
        Accepted steps (solver steps) and rejected attempts.
    switches : list
        The switch records in time order (``n_switches`` is their number).
    ts, states : lists
        Every recorded step point, starting with (t0, state0).
    """

    name: ClassVar[str] = "base"
    STOP_REASONS: ClassVar[Mapping[str, str]] = STOP_REASONS

    def __init__(self, t0: Any, state0: Any, pattern: Any, *, t_end: Any = None,
                 max_steps: int | None = None, max_switches: int | None = None) -> None:
        self.t, self.state, self.pattern = t0, state0, pattern
        self.t_end, self.max_steps, self.max_switches = t_end, max_steps, max_switches
        self.status, self.message = "running", ""
        self.n_steps = self.n_rejected = 0
        self.switches: list[Any] = []
        self.ts: list[Any] = [t0]
        self.states: list[Any] = [state0]

    @property
    def n_switches(self) -> int:
        return len(self.switches)

    def step(self) -> str:
        """Take one step (or stop); return the status. InvalidArgument once stopped."""
        if self.status != "running":
            raise InvalidArgument(f"step: the {self.name} integrator has stopped "
                                  f"(status {self.status!r}); start a new one")
        reason = self._stop_reason()
        if reason is not None:
            return self._stop(*reason) if isinstance(reason, tuple) else self._stop(reason)
        out = self._step_impl()
        if out.accepted:
            self.n_steps += out.steps
        else:
            self.n_rejected += 1
        if out.points:
            self.ts.extend(t for t, _ in out.points)
            self.states.extend(x for _, x in out.points)
            self.t, self.state = out.points[-1]
        if out.at is not None:
            self.t, self.state = out.at
        if out.stop is not None:
            return self._stop(out.stop, out.message)
        if out.event is not None:
            if self.max_switches is not None and self.n_switches >= self.max_switches:
                return self._stop("max_switches")
            new_pattern, records, message = self._switch(out.event)
            if new_pattern is None:
                return self._stop("sliding", message)
            self.switches.extend(records)
            self.pattern = new_pattern
        return self.status

    def _stop(self, reason: str, message: str = "") -> str:
        if reason not in self.STOP_REASONS:
            raise InvalidArgument(f"stop reason {reason!r} of the {self.name} integrator: "
                                  f"expected one of {', '.join(self.STOP_REASONS)}")
        self.status, self.message = reason, message or self.STOP_REASONS[reason]
        return reason

    def _stop_reason(self) -> str | tuple[str, str] | None:
        """The check before a step: t_end reached, max_steps attempts, non-finite state."""
        if self.t_end is not None and not self.t < self.t_end:
            return "t_max"
        if self.max_steps is not None and self.n_steps + self.n_rejected >= self.max_steps:
            return "max_steps"
        if not self._finite(self.state):
            return "non_finite"
        return None

    def _finite(self, state: Any) -> bool:
        return all(math.isfinite(v) for v in state)

    def _step_impl(self) -> StepOutcome:
        raise NotImplementedError

    def _switch(self, event: Any) -> tuple[Any, list[Any], str]:
        raise NotImplementedError(f"the {self.name} integrator reported a kink event but "
                                  "implements no switch")

    def result(self) -> Any:
        raise NotImplementedError


def run(integrator: PiecewiseIntegrator) -> Any:
    """Step until a stop reason holds; return ``integrator.result()``."""
    step = integrator.step
    while integrator.status == "running":
        step()
    return integrator.result()
