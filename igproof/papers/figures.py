"""Dedicated figures of catalogue claims, drawn from a claim's Outcome (details, certificate).

``igproof verify --report`` draws a claim with :func:`claim_figure` when a rule below matches its
id or its certificate, and falls back to the generic evidence figure of :mod:`igproof.plots`
otherwise. The figures read only what the check returned (no recomputation):

- width limits (``sonoda2021.lazy.width-limit``, ``sonoda2021.trained.*``): the distance of the
  finite-width measure from the spectrum against the width p, log-log, with the fitted rate and
  the Monte Carlo rate p^(-1/2) for reference;
- gap against the initialization scale (``chu2024.minimal-nuclear.small-init``), log-log;
- proved limits: every claim whose certificate states limit balls (the zhang2023 and vardi2021
  overlaps, gf-limit and nuclear-gap certificates): the centres per parameter with the radius of
  each ball, so that disjoint balls are seen to be disjoint.

matplotlib is imported inside the functions (listing the catalogue stays light).
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

from igproof.verdict import Outcome

__all__ = ["claim_figure"]


def _figure(width: float = 6.4, height: float = 3.6) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _title(claim_id: str, outcome: Outcome, expected: str, seconds: float) -> str:
    status = "as expected" if str(outcome.verdict) == expected else f"expected {expected}"
    return f"{claim_id}: {outcome.verdict} ({status}, {seconds:.1f} s)"


def _width_rate(claim_id: str, outcome: Outcome, expected: str, seconds: float) -> Any | None:
    """distance(mu_p, gamma lambda) against p, log-log, with the fitted and the p^-1/2 rates."""
    widths, mmd = outcome.details.get("widths"), outcome.details.get("mmd")
    if not widths or not mmd or len(widths) != len(mmd):
        return None
    fig = _figure()
    ax = fig.add_subplot()
    ax.loglog(widths, mmd, "o-", color="tab:blue", label="kernel MMD to the spectrum")
    slope = outcome.details.get("slope")
    if isinstance(slope, (int, float)):
        fit = [mmd[0] * (p / widths[0]) ** slope for p in widths]
        ax.loglog(widths, fit, "--", color="tab:blue", alpha=0.6,
                  label=f"fitted rate p^{slope:.2f}")
    ref = [mmd[0] * (p / widths[0]) ** -0.5 for p in widths]
    ax.loglog(widths, ref, ":", color="grey", label="Monte Carlo rate p^-0.5")
    ax.set_xlabel("width p (number of hidden units)")
    ax.set_ylabel("MMD(finite-width measure, spectrum)")
    ax.legend(fontsize=8)
    ax.set_title(_title(claim_id, outcome, expected, seconds), fontsize=9)
    return fig


def _gap_scale(claim_id: str, outcome: Outcome, expected: str, seconds: float) -> Any | None:
    """Nuclear-norm gap of the limit against the initialization scale, log-log."""
    rows = outcome.details.get("rows")
    if not rows:
        return None
    scales = [r["scale"] for r in rows if r.get("gap", 0) > 0]
    gaps = [r["gap"] for r in rows if r.get("gap", 0) > 0]
    if not scales:
        return None
    fig = _figure()
    ax = fig.add_subplot()
    ax.loglog(scales, gaps, "o-", color="tab:orange", label="|X_inf|_* - min |X|_* (float)")
    ax.set_xlabel("initialization scale s (u0 = s, v0 = s/2)")
    ax.set_ylabel("nuclear-norm gap of the limit")
    ax.legend(fontsize=8)
    ax.set_title(_title(claim_id, outcome, expected, seconds), fontsize=9)
    return fig


def _number(text: Any) -> float:
    return float(Fraction(text)) if isinstance(text, str) else float(text)


def _limit_balls(claim_id: str, outcome: Outcome, expected: str, seconds: float) -> Any | None:
    """The proved limit balls of the claim's certificate: centre per parameter, radius."""
    cert = outcome.certificate or {}
    if cert.get("kind") == "nuclear-gap":
        cert = cert.get("limit") or {}
    limits = (cert.get("statement") or {}).get("limits")
    params = (cert.get("model") or {}).get("parameters")
    if not isinstance(limits, dict) or not limits or not params:
        return None
    fig = _figure(width=max(6.4, 0.5 * len(params) + 3))
    ax = fig.add_subplot()
    k = len(limits)
    for j, (name, ball) in enumerate(sorted(limits.items())):
        centre = [_number(c) for c in ball["center"]]
        radius = _number(ball["radius"])
        xs = [i + (j - (k - 1) / 2) * 0.15 for i in range(len(centre))]
        ax.errorbar(xs, centre, yerr=[radius] * len(centre), fmt="o", capsize=3,
                    label=f"{name} on {ball.get('dataset', '?')}: radius {radius:.2g}")
    ax.set_xticks(range(len(params)), [f"${p}$" if len(p) <= 3 else p for p in params])
    ax.set_xlabel("parameter")
    ax.set_ylabel("limit (ball centre; bars: radius)")
    ax.axhline(0, color="black", linewidth=0.5)
    ax.legend(fontsize=8)
    ax.set_title(_title(claim_id, outcome, expected, seconds), fontsize=9)
    return fig


# (claim-id prefix, figure): the first rule whose prefix matches and that returns a figure.
RULES: tuple[tuple[str, Callable[..., Any]], ...] = (
    ("sonoda2021.lazy.width-limit", _width_rate),
    ("sonoda2021.trained.", _width_rate),
    ("chu2024.minimal-nuclear.small-init", _gap_scale),
    ("", _limit_balls),
)


def claim_figure(claim_id: str, outcome: Outcome, *, expected: str, seconds: float
                 ) -> Any | None:
    """The dedicated figure of a claim's outcome, or None when no rule draws it."""
    for prefix, draw in RULES:
        if claim_id.startswith(prefix):
            try:
                fig = draw(claim_id, outcome, expected, seconds)
            except (KeyError, TypeError, ValueError, ZeroDivisionError, ArithmeticError):
                fig = None  # details not of the expected shape: the generic figure is drawn
            if fig is not None:
                return fig
    return None


