"""The checks of the sonoda2021 catalogue entries (ridgelet spectrum), as Outcomes.

PROVED only from exact algebra (sympy) or outward-rounded enclosures (python-flint); quadrature
and simulation evidence is SUPPORTED with its tolerances, or INCONCLUSIVE with the numbers.
The mathematics and its conventions: docs/ridgelet.md.
"""

from __future__ import annotations

from igproof.proof.ridgelet import lazy, trained
from igproof.proof.ridgelet.admissibility import KResult, admissibility_constant
from igproof.proof.ridgelet.functions import dawson_fourier_pair, get_activation, get_ridgelet
from igproof.proof.ridgelet.transform import reconstruct, target
from igproof.verdict import Outcome, Verdict

__all__ = ["DAWSON_PAIR_WORK", "ENCLOSED_PAIRS", "check_dawson_fourier_pair",
           "check_gaussian_dawson", "check_gaussian_not_self_admissible", "check_lazy_identity",
           "check_pair", "check_reconstruction", "check_trained", "check_width_limit"]

# Pairs whose K is PROVED by an acb.integral enclosure (no closed form from sympy) and matched
# by the Fourier-free second route.
ENCLOSED_PAIRS = (("tanh", "gaussian-d3"), ("sigmoid", "gaussian-d5"),
                  ("softplus", "gaussian-d4"), ("softplus", "dawson"))
# Sharing key of the two claims that use the (cached) sympy proof of the dawson Fourier pair.
DAWSON_PAIR_WORK = "sonoda2021/dawson-fourier-pair"
# Points and the reconstruction pairs of the catalogue.
RECONSTRUCTION_POINTS = (-1.5, -0.5, 0.0, 0.7, 2.0)


def _k_details(res: KResult) -> dict:
    return res.to_json()


def _k_outcome(res: KResult, *, need_enclosure_only: bool = False) -> Outcome:
    if res.verdict is not Verdict.PROVED or not res.admissible:
        return Outcome(Verdict.INCONCLUSIVE, f"K not proved admissible: {res.reason}",
                       _k_details(res))
    if res.second_consistent is not True:
        return Outcome(Verdict.INCONCLUSIVE, f"enclosure [{res.lower!r}, {res.upper!r}] and "
                       f"second route {res.second_value!r} +/- {res.second_error!r} disagree",
                       _k_details(res))
    if need_enclosure_only and res.exact is not None:
        return Outcome(Verdict.INCONCLUSIVE, "expected an enclosure, sympy found a closed form "
                       f"{res.exact} (the claim's pair list needs updating)", _k_details(res))
    how = f"exact {res.exact}" if res.exact else f"enclosure {res.enclosure[0]} +/- " \
        f"{res.enclosure[1]}"
    return Outcome(Verdict.PROVED, f"K({res.activation}, {res.ridgelet}) = {res.value:.15g} "
                   f"({how}; {res.method}); second route {res.second_value:.12g} +/- "
                   f"{res.second_error:.1g} (no Fourier transform) agrees", _k_details(res))


def check_dawson_fourier_pair() -> Outcome:
    holds, difference = dawson_fourier_pair()
    if not holds:
        return Outcome(Verdict.INCONCLUSIVE, f"sympy left the difference {difference}")
    return Outcome(Verdict.PROVED, "(sqrt 2/pi^2) int_0^oo w^3 e^{-w^2/2} cos(w z) dw - psi(z) "
                   "expands to 0 (sympy): psi^(w) = (sqrt 2/pi)|w|^3 exp(-w^2/2)")


def check_gaussian_dawson() -> Outcome:
    pair = check_dawson_fourier_pair()
    res = admissibility_constant("gaussian", "dawson", dim=1)
    out = _k_outcome(res)
    if out.verdict is not Verdict.PROVED or res.exact != "1" or pair.verdict is not Verdict.PROVED:
        return Outcome(Verdict.INCONCLUSIVE, f"K = {res.exact or res.value} (expected exactly 1)"
                       f"; {out.evidence}; Fourier pair: {pair.evidence}", out.details)
    return Outcome(Verdict.PROVED, f"K = 1 exactly (sympy, with the proved Fourier pair of psi); "
                   f"{out.evidence}", out.details)


def check_pair(activation: str, ridgelet: str) -> Outcome:
    return _k_outcome(admissibility_constant(activation, ridgelet, dim=1),
                      need_enclosure_only=True)


def check_gaussian_not_self_admissible() -> Outcome:
    res = admissibility_constant("gaussian", "gaussian-d0", dim=1, second=False)
    if res.verdict is Verdict.PROVED and res.admissible is False and "diverg" in res.reason:
        return Outcome(Verdict.PROVED, f"not admissible: {res.reason}", _k_details(res))
    return Outcome(Verdict.INCONCLUSIVE, f"unexpected: {res.reason}", _k_details(res))


def check_reconstruction(activation: str, ridgelet: str) -> Outcome:
    res = admissibility_constant(activation, ridgelet, dim=1, second=False)
    if not res.admissible:
        return Outcome(Verdict.INCONCLUSIVE, f"pair not admissible: {res.reason}")
    rec = reconstruct(target("exp(-x^2/2)"), get_ridgelet(ridgelet), get_activation(activation),
                      RECONSTRUCTION_POINTS, k_value=res.value)
    return Outcome(rec.verdict, f"f = exp(-x^2/2), sigma = {activation}, rho = {ridgelet}, "
                   f"K = {res.value:.12g}: {rec.evidence}",
                   {"x": list(RECONSTRUCTION_POINTS), "S": [float(v) for v in rec.s_values],
                    "K_f": [float(v) for v in rec.k_f], **rec.details})


def check_lazy_identity() -> Outcome:
    symbolic, instance = lazy.identity_symbolic(), lazy.identity_instance()
    verdict = (Verdict.PROVED if symbolic.verdict is Verdict.PROVED
               and instance.verdict is Verdict.PROVED else Verdict.INCONCLUSIVE)
    return Outcome(verdict, f"{symbolic.evidence}; {instance.evidence}",
                   {"symbolic": symbolic.details, "instance": instance.details})


def check_width_limit() -> Outcome:
    result = lazy.width_limit()
    return Outcome(result.verdict, result.evidence,
                   {"widths": result.widths, "mmd": result.distances, "slope": result.slope,
                    "alpha_errors": result.alpha_errors, **result.details})


def check_trained(hidden_step: str) -> Outcome:
    result = trained.compare_trained(hidden_step=hidden_step)
    return Outcome(result.verdict, result.evidence,
                   {"widths": result.widths, "mmd": result.distances, "slope": result.slope,
                    "displacements": result.displacements, "hidden_step": hidden_step})
