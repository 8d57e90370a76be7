"""The checks of the single-neuron catalogue entries (lee2022, vardi2021), as Outcomes.

Each function returns an :class:`igproof.verdict.Outcome`; the verdict rules are those of
DESIGN.md: PROVED from exact algebra or certified enclosures only, SUPPORTED for floating-point
evidence (with tolerances and counts), INCONCLUSIVE when the argument could not be completed.
The instances are documented in docs/single_neuron.md.
"""

from __future__ import annotations

import itertools
from fractions import Fraction
from typing import Any

from igproof.certificate.switches import reactivation_outcome
from igproof.errors import EnclosureFailure
from igproof.numeric.float_flow import integrate_float
from igproof.proof.limits.limit import ProvedLimit, prove_flow_limit
from igproof.proof.single_neuron.convergence import (
    CONVERGENCE_TOL,
    FLOAT_METHOD,
    check_global_convergence_d2,
)
from igproof.proof.single_neuron.exact import (
    balancedness_chain_rule_identity,
    balancedness_conserved,
    chain_rule_identity,
    field_in_span_of_active,
    norm_rate,
    norm_rate_identity,
    norm_rate_positive_when_underfit,
    pattern_fields_in_span,
)
from igproof.proof.single_neuron.instances import (
    LARGE_INIT,
    NORM_DATA,
    NORM_FLOAT_TOL,
    NORM_INSTANCES,
    NORM_LOSS_TARGET,
    REACTIVATION_FLOAT_T,
    REACTIVATION_INSTANCES,
    REACTIVATION_LABEL0,
    REACTIVATION_LABEL0_REALIZABLE,
    REACTIVATION_REALIZABLE,
    SMALL_INIT,
    SPAN_EXAMPLE,
    SPAN_FLOAT_TOL,
    relu_neuron_flow,
)
from igproof.proof.single_neuron.validated import (
    certified_switches,
    certify_norm_monotone,
    find_reactivation,
)
from igproof.verdict import Outcome, Verdict

__all__ = [
    "LARGE_INIT",
    "NORM_DATA",
    "NORM_INSTANCES",
    "REACTIVATION_INSTANCES",
    "REACTIVATION_LABEL0",
    "REACTIVATION_LABEL0_REALIZABLE",
    "REACTIVATION_REALIZABLE",
    "SMALL_INIT",
    "SPAN_EXAMPLE",
    "check_balancedness",
    "check_global_convergence",
    "check_norm_decreases_large_init",
    "check_norm_identity",
    "check_norm_monotone_small_init",
    "check_reactivation",
    "check_span",
]

def span_float_deviation() -> float:
    """max_t |(w(t) - w0).n| / |n| along the float flow of SPAN_EXAMPLE. Approximate."""

    flow = relu_neuron_flow(SPAN_EXAMPLE)
    traj = integrate_float(flow, SPAN_EXAMPLE["theta0"], t_max=60.0)
    w0 = [float(Fraction(v)) for v in SPAN_EXAMPLE["theta0"]]
    n = SPAN_EXAMPLE["normal"]
    norm = sum(c * c for c in n) ** 0.5
    return max(abs(sum(c * (w - a) for c, w, a in zip(n, th, w0, strict=True))) / norm
               for th in traj.thetas)


def check_span() -> Outcome:
    """PROVED: the per-datum field is s (y - u) x, so w(t) - w(0) is in span{ever-active x_i}."""

    general = chain_rule_identity() and field_in_span_of_active()
    example = pattern_fields_in_span(relu_neuron_flow(SPAN_EXAMPLE))
    deviation = span_float_deviation()
    details = {"per_datum_identity": general, "example_patterns_in_span": example,
               "example": SPAN_EXAMPLE, "example_float_deviation": f"{deviation:.3g}",
               "float_tolerance": str(SPAN_FLOAT_TOL)}
    if not (general and example):
        return Outcome(Verdict.INCONCLUSIVE, f"exact identity failed: per datum {general}, "
                       f"example patterns {example}", details)
    if deviation > SPAN_FLOAT_TOL:
        return Outcome(Verdict.INCONCLUSIVE, f"the float example leaves the span by "
                       f"{deviation:.3g} > {SPAN_FLOAT_TOL}", details)
    return Outcome(Verdict.PROVED,
                   "exact: -grad of (relu(w.x) - y)^2/2 is s (y - w.x) x in both states (every "
                   "d by the chain rule in u = w.x; d = 1, 2, 3 expanded), so in each pattern "
                   "A, w' is in span{x_i : i in A} and w(t) - w(0) in span{x_i ever active}; "
                   "example: all 8 patterns exact, float path off the span "
                   f"by {deviation:.1g} <= {SPAN_FLOAT_TOL}", details)


def check_norm_identity() -> Outcome:
    """PROVED: d/dt |w|^2/2 = (1/n) sum_active (y_i - u_i) u_i, > 0 while all active under-fit."""

    identity = chain_rule_identity() and norm_rate_identity()
    positive = norm_rate_positive_when_underfit()
    details = {"identity": identity, "underfit_term_positive": positive}
    if identity and positive:
        return Outcome(Verdict.PROVED,
                       "exact: w.(-grad_w l_i) = s_i (y_i - u_i) u_i in both states (every d by "
                       "the chain rule; d = 1, 2, 3 expanded); "
                       "0 < u_i < y_i gives a positive term, so |w| strictly grows while the "
                       "active set is nonempty and every active point is under-fit", details)
    return Outcome(Verdict.INCONCLUSIVE, f"identity {identity}, positivity {positive}", details)


def _float_norm_nondecreasing(flow: Any, theta0: list[str]) -> tuple[bool, float]:

    traj = integrate_float(flow, theta0, t_max=80.0)
    norms = [sum(v * v for v in th) for th in traj.thetas]
    worst = min((b - a for a, b in itertools.pairwise(norms)), default=0.0)
    return worst >= -NORM_FLOAT_TOL * max(norms), worst


def _norm_monotone_one(data: dict[str, Any], theta0: list[str]) -> tuple[bool, str,
                                                                       dict[str, Any]]:
    """(certified, summary or reason, details) for one flow of the norm entry."""

    flow = relu_neuron_flow(data)
    details: dict[str, Any] = {"data": data, "theta0": theta0}
    proved = prove_flow_limit(flow, theta0, loss_target=NORM_LOSS_TARGET)
    if not isinstance(proved, ProvedLimit):
        return False, proved.reason, details
    cert = certify_norm_monotone(flow, proved)
    switches = sum(1 for s in proved.segments if s.switch is not None)
    details.update({"boxes": cert.n_boxes, "min_lower_bound": f"{cert.min_lower or 0:.3g}",
                    "T": f"{float(proved.T.mid()):.4g}", "reason": cert.reason,
                    "switches": switches})
    if not cert.proved:
        return False, cert.reason, details
    return True, (f"{len(data['x'])} points in R^{len(theta0)}: {cert.n_boxes} boxes on [0, T], "
                  f"T ~ {float(proved.T.mid()):.3g}, {switches} certified switch(es)"), details


def check_norm_monotone_small_init() -> Outcome:
    """|w(t)| nondecreasing for all t >= 0 on each NORM_INSTANCES flow (validated)."""
    details: dict[str, Any] = {}
    summaries, failures = [], []
    for name, (data, theta0) in NORM_INSTANCES.items():
        ok, text, info = _norm_monotone_one(data, theta0)
        details[name] = info
        (summaries if ok else failures).append(f"{name}: {text}")
    if not failures:
        return Outcome(Verdict.PROVED,
                       "enclosure: w.F(w) >= 0 certified on every box covering [0, T] and, for "
                       "t >= T, the end-game pattern keeps the active residuals >= 0 (active "
                       "inputs pairwise non-acute); " + "; ".join(summaries), details)
    worst_all = 0.0
    ok_all = True
    for data, theta0 in NORM_INSTANCES.values():
        ok, worst = _float_norm_nondecreasing(relu_neuron_flow(data), theta0)
        ok_all, worst_all = ok_all and ok, min(worst_all, worst)
    details["float_worst_increment"] = f"{worst_all:.3g}"
    verdict = Verdict.SUPPORTED if ok_all else Verdict.INCONCLUSIVE
    return Outcome(verdict, f"not validated ({'; '.join(failures)}); float: |w|^2 increments "
                   f">= {worst_all:.3g} (tolerance -{NORM_FLOAT_TOL} max |w|^2, DOP853 rtol 1e-10)",
                   details)


def check_norm_decreases_large_init() -> Outcome:
    """PROVED: from LARGE_INIT, d/dt |w|^2/2 < 0 at t = 0 (exact rational evaluation)."""

    rate = norm_rate(NORM_DATA["x"], NORM_DATA["y"], [Fraction(v) for v in LARGE_INIT])
    details = {"data": NORM_DATA, "theta0": LARGE_INIT, "rate_at_0": str(rate)}
    if rate < 0 and norm_rate_identity(dims=(2,)):
        return Outcome(Verdict.PROVED, f"exact: d/dt |w|^2/2 = {rate} < 0 at theta0 = (3, 3) "
                       "(both label-1 points over-fit), so |w| strictly decreases on some "
                       "[0, eps]: the small-initialization hypothesis matters", details)
    return Outcome(Verdict.INCONCLUSIVE, f"rate at theta0 is {rate}", details)


def check_global_convergence() -> Outcome:
    """SUPPORTED: Hypothesis property over family D2 (single_neuron_convergence)."""

    report = check_global_convergence_d2()
    details = {"examples": report.examples, "failures": report.failures,
               "tolerance_relative": str(CONVERGENCE_TOL),
               "worst_relative_distance": f"{report.worst_relative_distance:.3g}",
               "longest_horizon": f"{report.longest_horizon:.4g}",
               "float_method": FLOAT_METHOD}
    if report.failures:
        return Outcome(Verdict.INCONCLUSIVE, f"{len(report.failures)} of {report.examples} "
                       "family-D2 examples did not converge to w* (see details)", details)
    return Outcome(Verdict.SUPPORTED,
                   f"float flow reached |w - w*| <= {CONVERGENCE_TOL} |w*| in all "
                   f"{report.examples} Hypothesis examples of family D2 (worst "
                   f"{report.worst_relative_distance:.2g}; {FLOAT_METHOD} rtol 1e-10)", details)


def _reactivation(data: dict[str, Any]) -> tuple[Any, list[Any]]:

    switches = certified_switches(relu_neuron_flow(data), data["theta0"], t_horizon=data["horizon"])
    return find_reactivation(switches), switches


def check_reactivation() -> Outcome:
    """PROVED when, for every instance, a gf-switches certificate that an input is active, then
    inactive, then active again is accepted by the independent checker."""

    details: dict[str, Any] = {}
    found, missing = [], []
    first_certificate = None
    for name, data in REACTIVATION_INSTANCES:
        try:
            pair, switches = _reactivation(data)
        except EnclosureFailure as exc:
            missing.append(f"{name}: enclosure failed ({exc})")
            continue
        details[name] = {"data": data, "switches": [s.describe() for s in switches]}
        if pair is None:
            missing.append(f"{name}: no reactivation among the certified switches")
            continue
        i, j = pair
        k = switches[i].kink
        details[name]["point"] = k + 1
        details[name]["label"] = str(data["y"][k])
        checked = reactivation_outcome(name, data)
        details[name]["checker"] = checked.evidence
        details[name].update(checked.details)
        if checked.verdict is not Verdict.PROVED:
            missing.append(f"{name}: {checked.evidence}")
            continue
        first_certificate = first_certificate or checked.certificate
        found.append(f"{name}: point {k + 1} (label {data['y'][k]}) off at "
                     f"t ~ {float(switches[i].t.mid()):.4g}, on again at "
                     f"t ~ {float(switches[j].t.mid()):.4g}")
    flow = relu_neuron_flow(REACTIVATION_REALIZABLE)
    traj = integrate_float(flow, REACTIVATION_REALIZABLE["theta0"], t_max=REACTIVATION_FLOAT_T)
    residuals = _residuals(REACTIVATION_REALIZABLE, traj.theta)
    loss = sum(r * r for r in residuals) / (2 * len(residuals))
    details["realizable_float_loss_at_T"] = f"{loss:.3g}"
    if not missing:
        return Outcome(Verdict.PROVED,
                       "enclosure, re-checked: gf-switches certificates (certified transversal "
                       "switches, interval Newton) accepted by the independent checker -- "
                       + "; ".join(found) + f"; the realizable flow still reaches loss "
                       f"{loss:.1g} by t = {REACTIVATION_FLOAT_T:g} (float)", details,
                       certificate=first_certificate)
    return Outcome(Verdict.INCONCLUSIVE, "not certified: " + "; ".join(missing), details)


def _residuals(data: dict[str, Any], theta: Any) -> list[float]:
    out = []
    for x, y in zip(data["x"], data["y"], strict=True):
        u = sum(float(Fraction(a)) * float(b) for a, b in zip(x, theta, strict=True))
        out.append(max(u, 0.0) - float(Fraction(y)))
    return out


def check_balancedness() -> Outcome:
    """PROVED: d/dt (|w_j|^2 - v_j^2) = 0 for sum_j v_j relu(w_j.x), every pattern."""

    shapes = [(1, 1), (2, 2), (3, 2)]
    results = {f"dim={d},width={m}": balancedness_conserved(dim=d, width=m) for d, m in shapes}
    results["every dim and width (chain rule)"] = balancedness_chain_rule_identity()
    if all(results.values()):
        return Outcome(Verdict.PROVED, "exact: z dL/dz = v dL/dv for L = (v relu(z) + c - y)^2/2 "
                       "in both states (every d and width: other units are the constant c); "
                       "cross-check: the Lie derivative of |w_j|^2 - v_j^2 expands to 0 for a "
                       "symbolic datum with relu(z_j) = s_j z_j, relu_step(z_j) = s_j, free s_j, "
                       "for shapes " + ", ".join(k for k in results if k.startswith("dim")),
                       results)
    return Outcome(Verdict.INCONCLUSIVE, f"not conserved for {results}", results)
