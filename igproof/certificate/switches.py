"""A ``gf-switches`` certificate: relu atom k runs through a sign sequence along the flow.

For a relu-neuron flow (affine in every activation pattern, linear kinks z_k = w.x_k) the
pieces of :mod:`igproof.numeric.ball.affine` are followed from theta0, in ball arithmetic, until
the signs of kink ``atom`` (consecutive repeats merged) contain the claimed ``sequence`` -- e.g.
1, -1, 1: the point is active, switches off, and switches on again (a *reactivation*, issue #7)
-- and then for one more certified time interval of the last piece, until z_atom has certainly
left 0 (no sliding). The run is written as the checker's obligations

    start       theta(0) = theta0 (a point box)
    trajectory  one affine segment per piece: its time intervals, its certified transversal
                switch (bracket and switching-time enclosure), or, for the last piece, a stop
                time; the claimed end box holds the replayed enclosure of theta there

and the statement {"dataset", "theta0", "claim": {"atom", "point", "sequence"}} in the checker's
canonical words. The independent checker replays every segment in its own arithmetic and
decides the sign sequence from the replayed patterns (docs/certificates.md, "The gf-switches
kind").

Shipped files: ``certificates/lee2022-reactivation-*.json`` for the instances of
:data:`igproof.proof.single_neuron.instances.REACTIVATION_INSTANCES` (deterministic: exact data,
fixed precision and step rules), written by ``python -m igproof.certificate.shipped`` after the
checker has accepted each (:func:`reactivation_outcome`).

Guarantee: enclosure (a certificate is written only from certified pieces; whether it proves
anything is decided by the checker's replay).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from flint import arb

from igproof.certificate import gf_limit as lc
from igproof.certificate.common import SWITCHES_KIND, certify, statement
from igproof.errors import CertificateError, EnclosureFailure, InvalidArgument
from igproof.numeric.ball.affine import Switch, propagate_piece
from igproof.numeric.ball.arith import (
    arb_radius_fraction,
    arb_to_fraction,
    certain_sign,
    precision,
    to_arb,
)
from igproof.proof.single_neuron import validated as snv
from igproof.proof.single_neuron.instances import relu_neuron_flow
from igproof.rationals import fraction_to_text, parse_rational
from igproof.verdict import Outcome, Verdict

__all__ = ["SwitchPiece", "SwitchRun", "follow_switches", "reactivation_certificate",
           "reactivation_outcome", "switches_certificate"]

# Bits of the ball arithmetic (as single_neuron_validated: the affine pieces are well
# conditioned; 128 bits leave ~30 digits over the enclosure widths that matter).
DEFAULT_PREC = 128
# Each side of the claimed end box is widened by this much beyond the arb enclosure: the checker
# replays with its own interval exponentials (a few thousand times coarser than arb at 128 bits
# after three pieces); the end box is not used by the gf-switches conclusion, so a generous
# slack costs nothing.
END_BOX_SLACK = Fraction(1, 2 ** 40)
# Widening of the k-th switching time (k from 0): TIME_SLACK * 2^(SLACK_STEP_BITS k) on each
# side. The checker's box at a switch is its enclosure over [t1, t2], so the next piece starts
# from a box about |F| (t2 - t1) wide, and its sign test at the next t1 needs |z(t1)| ~
# |dz/dt| (slack) above that width times the growth of exp(tM): each switch needs a larger
# slack than the one before. 4 bits already suffice for the shipped instances; 16 is margin
# (three switches still end at a slack of 2^-68).
SLACK_STEP_BITS = 16
# Guard on the number of pieces: a trajectory obligation holds at most 16 segments.
MAX_PIECES = 16
# The claimed sequence of a reactivation: active, inactive, active again.
REACTIVATION = (1, -1, 1)
# File name under certificates/ of each reactivation instance (single_neuron_checks names).
SHIPPED = {"realizable": "lee2022-reactivation-realizable.json",
           "label0": "lee2022-reactivation-label0.json",
           "label0_realizable": "lee2022-reactivation-label0-realizable.json"}


@dataclass(frozen=True)
class SwitchPiece:
    """One certified affine piece: its pattern, local time intervals, and how it ends."""

    pattern: tuple[int, ...]
    intervals: tuple[tuple[Fraction, Fraction], ...]
    switch: Switch | None        # None for the last piece (it stops)
    just_switched: int | None    # kink switched by the previous piece


@dataclass(frozen=True)
class SwitchRun:
    """The pieces of the flow from theta0 and the enclosure of theta at the stop time."""

    theta0: tuple[Fraction, ...]
    pieces: tuple[SwitchPiece, ...]
    end_state: tuple[arb, ...]
    prec: int

    def runs(self, atom: int) -> list[int]:
        """Signs of kink ``atom`` over the pieces, consecutive repeats merged."""
        return _runs([p.pattern[atom] for p in self.pieces])


def _runs(signs: Sequence[int]) -> list[int]:
    out: list[int] = []
    for s in signs:
        if not out or out[-1] != s:
            out.append(s)
    return out


def _contains(runs: list[int], seq: Sequence[int]) -> bool:
    seq = list(seq)
    return any(runs[k:k + len(seq)] == seq for k in range(len(runs) - len(seq) + 1))


def _check_sequence(sequence: Sequence[int]) -> tuple[int, ...]:
    seq = tuple(sequence)
    if len(seq) < 2 or any(isinstance(s, bool) or s not in (1, -1) for s in seq) or any(
            a == b for a, b in itertools.pairwise(seq)):
        raise InvalidArgument(f"sequence: expected at least two alternating signs 1/-1, got "
                              f"{list(sequence)!r} (e.g. [1, -1, 1] for a reactivation)")
    return seq


def follow_switches(flow: Any, theta0: Sequence[Any], *, atom: int, sequence: Sequence[int],
                    t_horizon: Fraction | int | str, prec: int = DEFAULT_PREC) -> SwitchRun:
    """Certified pieces of the relu-neuron flow from theta0 until kink ``atom``'s merged signs
    contain ``sequence``, then one certified interval more (z_atom certainly of its last sign).

    Parameters
    ----------
    flow : GradientFlow
        A ``relu-neuron`` flow (one linear kink w.x_i per data point, no zero input).
    theta0 : sequence of exact numbers
        The initialization; no kink may vanish there.
    atom : int
        Index (from 0) into ``flow.kinks``.
    sequence : sequence of int
        Alternating signs, e.g. (1, -1, 1).
    t_horizon : rational
        Give up (InvalidArgument) if the sequence has not occurred by this time.
    prec : int
        Bits of the ball arithmetic.

    Returns
    -------
    SwitchRun

    Raises
    ------
    EnclosureFailure
        When a piece cannot be certified (tangential or simultaneous crossing).
    InvalidArgument
        Bad arguments, or no such sign sequence before the horizon.

    Guarantee: enclosure (every switching time and state encloses the true one).
    """
    snv._require_relu_neuron(flow)
    seq = _check_sequence(sequence)
    theta = tuple(parse_rational(v, what=f"theta0 entry {k + 1}") for k, v in enumerate(theta0))
    if len(theta) != len(flow.parameters):
        raise InvalidArgument(f"theta0: expected {len(flow.parameters)} numbers, got "
                              f"{len(theta)}")
    if isinstance(atom, bool) or not isinstance(atom, int) or not 0 <= atom < len(flow.kinks):
        raise InvalidArgument(f"atom: expected a kink index in [0, {len(flow.kinks) - 1}], got "
                              f"{atom!r}")
    horizon = parse_rational(t_horizon, what="t_horizon")
    if horizon <= 0:
        raise InvalidArgument(f"t_horizon: expected a positive time, got {t_horizon!r}")
    pattern = tuple(flow.pattern(theta))
    if 0 in pattern:
        raise InvalidArgument(f"theta0: lies on kink {pattern.index(0) + 1}; the starting "
                              "pattern is not decided")
    pieces: list[SwitchPiece] = []
    with precision(prec):
        box = [to_arb(q) for q in theta]
        t_now = Fraction(0)  # upper bound of the global time at the current piece's start
        just: int | None = None
        for _ in range(MAX_PIECES):
            piece = snv._piece_of(flow, pattern)
            done = _contains(_runs([*(p.pattern[atom] for p in pieces), pattern[atom]]), seq)
            row = piece.kinks[atom]
            want = pattern[atom]

            def stop(state: list[arb], t: Fraction, done: bool = done, row: tuple = row,
                     want: int = want, left: Fraction = horizon - t_now) -> bool:
                if done:
                    z = sum((to_arb(q) * v for q, v in zip(row, state, strict=True)), arb(0))
                    return t > 0 and certain_sign(z) == want
                return t >= left

            run = propagate_piece(piece, box, stop=stop, dt0=snv.DT0, just_switched=just)
            pieces.append(SwitchPiece(pattern, tuple(run.intervals), run.switch, just))
            if run.switch is None:
                if not done:
                    seen = _runs([p.pattern[atom] for p in pieces])
                    raise InvalidArgument(f"t_horizon: kink {atom + 1} does not run through "
                                          f"{list(seq)} before t = {horizon} (its merged signs: "
                                          f"{seen})")
                return SwitchRun(theta, tuple(pieces), tuple(run.state), prec)
            # a switch before the stop: follow the next piece too (done stays true)
            t_sw = run.switch.t
            t_now += arb_to_fraction(t_sw) + arb_radius_fraction(t_sw)
            box = list(run.switch.state)
            pattern = tuple(run.switch.new_pattern)
            just = run.switch.kink
    raise EnclosureFailure(f"more than MAX_PIECES={MAX_PIECES} pieces before the sequence",
                           t=float(t_now), step=None, enclosure=box)


def _segments(run: SwitchRun, step_bits: int) -> list[dict[str, Any]]:
    """The trajectory obligation's segments; the k-th switching time is widened by
    TIME_SLACK * 2^(step_bits k) on each side (see SLACK_STEP_BITS)."""
    out = []
    n_switch = 0
    for piece in run.pieces:
        entry: dict[str, Any] = {"method": "affine", "pattern": list(piece.pattern),
                                 "intervals": [[a, b] for a, b in piece.intervals]}
        if piece.just_switched is not None:
            entry["just_switched"] = piece.just_switched
        sw = piece.switch
        if sw is None:
            entry["end"] = {"kind": "stop"}
        else:
            mid, rad = arb_to_fraction(sw.t), arb_radius_fraction(sw.t)
            a, b = sw.bracket
            slack = lc.TIME_SLACK * 2 ** (step_bits * n_switch)
            n_switch += 1
            t1 = max(mid - rad - slack, a)
            t2 = min(mid + rad + slack, b)
            entry["end"] = {"kind": "switch", "atom": sw.kink, "bracket": [a, b],
                            "time": [t1, t2]}
        out.append(entry)
    return out


def switches_certificate(flow: Any, run: SwitchRun, *, atom: int, sequence: Sequence[int],
                         dataset_name: str = "S") -> dict[str, Any]:
    """The ``gf-switches`` certificate object (JSON-ready, numbers as Fractions) for ``run``.

    Statement: along the flow of ``flow`` from ``run.theta0``, kink ``atom`` (= the checker's
    relu atom ``atom``, the argument at data point ``atom + 1``) runs through ``sequence``.

    Raises
    ------
    CertificateError
        The model cannot be written in the safe expression language, or the checker's relu
        atoms do not match the flow's kinks.
    InvalidArgument
        ``run`` does not show ``sequence`` for ``atom``.
    """
    seq = _check_sequence(sequence)
    if not _contains(run.runs(atom), seq):
        raise InvalidArgument(f"run: kink {atom + 1} has merged signs {run.runs(atom)}, which "
                              f"do not contain {list(seq)}")
    form = lc.checker_form(flow)
    with precision(run.prec):
        end_box = lc._box(list(run.end_state), END_BOX_SLACK)
    claim = {"dataset": dataset_name, "theta0": [fraction_to_text(q) for q in run.theta0],
             "claim": {"atom": atom, "point": atom + 1, "sequence": list(seq)}}
    header = form.header(kind=SWITCHES_KIND,
                         producer="igproof.proof.switch_certificate (validated arb enclosure)",
                         dataset_name=dataset_name, theta0=list(run.theta0))
    return {
        **header,
        "statement": statement(SWITCHES_KIND, claim),
        "obligations": [
            {"id": "start", "type": "start", "dataset": dataset_name,
             "box": [[q, q] for q in run.theta0]},
            {"id": "trajectory", "type": "trajectory", "dataset": dataset_name,
             "start": "start", "segments": _segments(run, SLACK_STEP_BITS), "box": end_box},
        ],
    }


def reactivation_certificate(data: dict[str, Any], *, prec: int = DEFAULT_PREC
                             ) -> tuple[dict[str, Any], SwitchRun, int]:
    """(certificate, run, atom) for a reactivation instance of single_neuron_checks.

    ``data`` has "x", "y", "theta0", "horizon" (as REACTIVATION_INSTANCES). The atom is the
    first kink that certifiably switches off and on again (find_reactivation).
    """

    flow = relu_neuron_flow(data)
    switches = snv.certified_switches(flow, data["theta0"], t_horizon=data["horizon"],
                                      prec=prec)
    pair = snv.find_reactivation(switches)
    if pair is None:
        raise InvalidArgument("data: no certified reactivation before the horizon "
                              f"({'; '.join(s.describe() for s in switches) or 'no switch'})")
    atom = switches[pair[0]].kink
    run = follow_switches(flow, data["theta0"], atom=atom, sequence=REACTIVATION,
                          t_horizon=data["horizon"], prec=prec)
    return switches_certificate(flow, run, atom=atom, sequence=REACTIVATION), run, atom


def reactivation_outcome(name: str, data: dict[str, Any]) -> Outcome:
    """The gf-switches certificate of one reactivation instance, re-checked by the independent
    checker: PROVED with the certificate when accepted (:func:`igproof.certificate.common.
    certify`), INCONCLUSIVE with the reason otherwise."""
    try:
        cert, _, _ = reactivation_certificate(data)
    except (CertificateError, EnclosureFailure, InvalidArgument) as exc:
        return Outcome(Verdict.INCONCLUSIVE, f"no certificate ({exc})")
    return certify(cert, evidence=f"{name}: certificate {SHIPPED.get(name, name)}",
                   details={"certificate_file": f"certificates/{SHIPPED.get(name, name)}"})
