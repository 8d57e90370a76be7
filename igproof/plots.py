"""Figures for people: gradient-flow trajectories, interpolants, and a claim's verdict.

Every function takes plain numbers (floats, lists, strings) and returns a matplotlib ``Figure``;
:func:`save_figure` writes it in the format its file name asks for (``.png``, ``.pdf`` or
``.svg``), atomically and with the user's umask. The module sits below every layer (it imports
only :mod:`igproof.errors` and :mod:`igproof.atomic`), so the command line and the paper modules
can both draw with it. matplotlib and numpy are imported inside the functions: ``igproof --help``
stays fast and the checker never sees them.

Figures are evidence for the eye, never a proof: the title carries the verdict of the computation
they illustrate, and a proved ball is drawn only when the caller proved it.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from igproof.atomic import write_bytes_atomic
from igproof.errors import InvalidArgument

__all__ = ["FIGURE_FORMATS", "figure_format", "flow_figure", "interpolant_figure",
           "outcome_figure", "save_figure"]

# File extension -> matplotlib format. Others are refused rather than guessed (a .jpg holding
# PNG bytes is the failure this table exists to prevent).
FIGURE_FORMATS: dict[str, str] = {".png": "png", ".pdf": "pdf", ".svg": "svg"}

# Raster resolution: 150 dpi keeps 9 pt text legible on paper and in a browser at 100 % zoom.
DPI = 150

# When the run spans more than this ratio of time scales (last time / first positive step time),
# the time axis is logarithmic: flows from small initializations switch patterns at t ~ 1e-3 and
# converge at t ~ 1e2, and a linear axis hides the switch. (A symlog axis would put a false corner
# into every curve at its linear/log threshold.)
LOG_TIME_RATIO = 100.0

# Loss values at or below this are drawn at this floor on the log axis (exact zeros and mp
# values that underflow a double have no logarithm).
LOSS_FLOOR = 1e-300

# A proved ball whose radius is below this fraction of the phase-portrait's span is invisible
# as a circle; it is then drawn as a marker and its radius stated in the legend.
VISIBLE_RADIUS_FRACTION = 1e-3


def figure_format(path: str | Path) -> str:
    """The matplotlib format for ``path``'s extension (png, pdf or svg); else InvalidArgument."""
    suffix = Path(path).suffix.lower()
    if suffix not in FIGURE_FORMATS:
        raise InvalidArgument(f"plot file {str(path)!r}: use one of the extensions "
                              f"{', '.join(FIGURE_FORMATS)} (the format follows the extension)")
    return FIGURE_FORMATS[suffix]


def save_figure(fig: Any, path: str | Path) -> None:
    """Write ``fig`` to ``path`` in the format of its extension (atomic, user's umask)."""
    fmt = figure_format(path)
    buffer = io.BytesIO()
    # No creation date: the same figure gives the same PDF/SVG bytes (matplotlib stamps the time).
    metadata = {"png": {"Software": "igproof"}, "pdf": {"CreationDate": None},
                "svg": {"Date": None}}[fmt]
    fig.savefig(buffer, format=fmt, dpi=DPI, bbox_inches="tight", metadata=metadata)
    write_bytes_atomic(path, buffer.getvalue())


def _new_figure(**kwargs: Any) -> Any:
    """A matplotlib Figure outside pyplot: no backend, no window, no global figure list."""
    from matplotlib.figure import Figure

    return Figure(layout="constrained", **kwargs)


def _title(subject: str, verdict: str, note: str = "") -> str:
    return f"{subject}: {verdict}" + (f"\n{note}" if note else "")


def flow_figure(*, parameters: Sequence[str], ts: Sequence[float],
                thetas: Sequence[Sequence[float]], losses: Sequence[float],
                switches: Sequence[tuple[float, str]] = (), verdict: str, subject: str,
                note: str = "", ball: tuple[Sequence[float], float] | None = None) -> Any:
    """theta_k(t) per parameter, L(theta(t)) on a log scale, and for p = 2 the phase portrait.

    Parameters
    ----------
    parameters : parameter names, the order of each theta.
    ts, thetas, losses : the trajectory's step points t_j, theta(t_j) and L(theta(t_j)).
    switches : (t, label) of each activation-pattern switch (kink crossing), drawn as dashed
        vertical lines and, in the phase portrait, as crosses.
    verdict, subject, note : the title reads "subject: verdict", then the note.
    ball : (centre, radius) of a PROVED limit ball, drawn in the phase portrait (and its radius
        stated in the legend); None when the limit was not proved.
    """
    import numpy as np

    t = np.asarray(ts, dtype=float)
    theta = np.asarray(thetas, dtype=float).reshape(len(t), len(parameters))
    loss = np.asarray(losses, dtype=float)
    positive = loss[loss > 0]
    loss = np.maximum(loss, positive.min() if positive.size else LOSS_FLOOR)
    phase = len(parameters) == 2
    fig = _new_figure(figsize=(13.5 if phase else 10, 4.2))
    axes = fig.subplots(1, 3 if phase else 2)
    ax_theta, ax_loss = axes[0], axes[1]
    for k, name in enumerate(parameters):
        ax_theta.plot(t, theta[:, k], lw=1.6, label=f"${_math(name)}(t)$")
    ax_loss.plot(t, loss, color="k", lw=1.6, label=r"$L_S(\theta(t))$")
    for j, (t_switch, label) in enumerate(switches):
        for ax in (ax_theta, ax_loss):
            ax.axvline(t_switch, color="C3", ls="--", lw=1,
                       label=f"switch: {label} (t = {t_switch:.4g})" if j < 4 and ax is ax_theta
                       else None)
    positive = t[t > 0]
    log_time = positive.size > 1 and t[-1] / positive[0] > LOG_TIME_RATIO
    for ax in (ax_theta, ax_loss):
        if log_time:
            ax.set_xscale("log")
            ax.set_xlim(positive[0], t[-1] * 1.05)
        ax.set_xlabel("gradient-flow time $t$ (log scale, from the first step)" if log_time
                      else "gradient-flow time $t$")
        ax.grid(alpha=0.3)
    ax_theta.set_ylabel(r"parameter value $\theta_k(t)$")
    ax_theta.set_title("trajectory per parameter")
    ax_theta.legend(fontsize=8)
    ax_loss.set_yscale("log")
    ax_loss.set_ylabel(r"training loss $L_S(\theta(t))$ (log scale)")
    ax_loss.set_title("loss")
    ax_loss.legend(fontsize=8)
    if phase:
        _phase_portrait(axes[2], parameters, theta, t, switches, ball)
    fig.suptitle(_title(subject, verdict, note), fontsize=11)
    return fig


def _math(name: str) -> str:
    """A parameter name as TeX: w1 -> w_{1}, a -> a."""
    head = name.rstrip("0123456789_")
    tail = name[len(head):].strip("_")
    return f"{head}_{{{tail}}}" if tail else head


def _phase_portrait(ax: Any, parameters: Sequence[str], theta: Any, t: Any,
                    switches: Sequence[tuple[float, str]],
                    ball: tuple[Sequence[float], float] | None) -> None:
    import numpy as np
    from matplotlib.patches import Circle

    x, y = theta[:, 0], theta[:, 1]
    ax.plot(x, y, color="C0", lw=1.6, label="trajectory")
    ax.plot(x[0], y[0], "ks", ms=6, label=r"$\theta_0$")
    ax.plot(x[-1], y[-1], "o", color="C0", mec="k", ms=6, label="estimate at the last step")
    for j, (t_switch, _label) in enumerate(switches):
        at = [float(np.interp(t_switch, t, theta[:, k])) for k in range(2)]
        ax.plot(*at, "x", color="C3", ms=10, mew=2, label="switch (kink crossing)" if j == 0
                else None)
    if ball is not None:
        centre, radius = ball
        span = max(float(np.ptp(x)), float(np.ptp(y)), 1e-300)
        if radius >= VISIBLE_RADIUS_FRACTION * span:
            ax.add_patch(Circle((centre[0], centre[1]), radius, fill=False, color="C2", lw=2,
                                label=f"proved ball, radius {radius:.3g}"))
        else:
            ax.plot(centre[0], centre[1], "*", color="C2", mec="k", ms=14,
                    label=f"proved ball (radius {radius:.2g}, drawn as *)")
    ax.set_xlabel(f"${_math(parameters[0])}$")
    ax.set_ylabel(f"${_math(parameters[1])}$")
    ax.set_title("phase portrait")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)


def interpolant_figure(*, x: Sequence[float], y: Sequence[float], grid: Sequence[float],
                       values: Sequence[float], kinks: Sequence[tuple[float, float]],
                       verdict: str, subject: str, note: str = "",
                       curve_label: str = "minimal-norm interpolant") -> Any:
    """The data points, an interpolant f on a grid, and its kinks (x_k, f(x_k))."""
    fig = _new_figure(figsize=(6.5, 4.2))
    ax = fig.subplots()
    ax.plot(grid, values, "-", color="C0", lw=1.6, label=curve_label)
    ax.plot(x, y, "o", color="k", label=f"data ({len(x)} points)")
    if kinks:
        ax.plot([k[0] for k in kinks], [k[1] for k in kinks], "x", color="C3", ms=9, mew=2,
                label=f"kinks ({len(kinks)})")
    ax.set_xlabel("input $x$")
    ax.set_ylabel("output $f(x)$")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(_title(subject, verdict, note), fontsize=10)
    return fig


def outcome_figure(*, claim_id: str, verdict: str, expected: str, seconds: float,
                   numbers: dict[str, float] | None = None,
                   facts: dict[str, bool] | None = None) -> Any:
    """A claim without a natural picture: its verdict and the numbers of its evidence.

    ``numbers`` (name -> value) are drawn as a horizontal bar chart of log10 |value| (margins,
    gaps, radii span many orders of magnitude); without numbers, the yes/no ``facts`` the check
    established are listed; without either the panel shows the verdict only.
    """
    numbers = {k: v for k, v in (numbers or {}).items() if math.isfinite(v)}
    facts = dict(facts or {})
    height = (1.6 + 0.32 * len(numbers) if numbers else 0.8 + 0.2 * (len(facts) + 1) if facts
              else 1.2)
    fig = _new_figure(figsize=(6.5, height))
    ax = fig.subplots()
    status = "as expected" if verdict == expected else f"expected {expected}"
    if numbers:
        names = list(numbers)[::-1]  # barh counts from the bottom: keep the details' order
        values = list(numbers.values())[::-1]
        logs = [math.log10(abs(v)) if v != 0 else float("nan") for v in values]
        colours = ["C0" if v > 0 else "C3" if v < 0 else "0.6" for v in values]
        ax.barh(range(len(names)), [0 if math.isnan(v) else v for v in logs], color=colours)
        ax.set_yticks(range(len(names)), names, fontsize=8)
        for k, value in enumerate(values):
            ax.annotate(f"{value:.3g}", (0, k), xytext=(3, 0), textcoords="offset points",
                        va="center", fontsize=8)
        ax.set_xlabel(r"$\log_{10}|$value$|$ (blue: positive, red: negative, grey: zero)")
        ax.axvline(0, color="k", lw=0.8)
        ax.grid(axis="x", alpha=0.3)
    elif facts:
        ax.axis("off")
        lines = [f"{'yes' if value else 'NO '}   {name}" for name, value in facts.items()]
        ax.text(0.02, 0.5, "facts established by the check:\n" + "\n".join(lines),
                ha="left", va="center", fontsize=9, family="monospace", transform=ax.transAxes)
    else:
        ax.axis("off")
        ax.text(0.5, 0.5, "no numerical evidence to draw (see the evidence text)",
                ha="center", va="center", fontsize=9, transform=ax.transAxes)
    ax.set_title(f"{claim_id}: {verdict} ({status}, {seconds:.1f} s)", fontsize=10)
    return fig
