"""The phase diagram of a sweep: one output coloured over two parameters (matplotlib, Agg).

A grid design is drawn as a heat map (cells centred on the grid values, log axes for log-spaced
parameters); a random design as a scatter plot. Where the design has more parameters than the
two axes, each cell shows the mean over the others (said in the title). ``pattern`` (the final
activation pattern) is categorical: one colour per pattern, named in the legend. The file's
extension picks the format (.png, .pdf, .svg).
"""

from __future__ import annotations

import io
import itertools
import math
import textwrap
from pathlib import Path
from typing import Any

from igproof.atomic import write_bytes_atomic
from igproof.errors import InvalidArgument
from igproof.sweep.config import MODEL_KEYS, SweepConfig

__all__ = ["FORMATS", "phase_diagram"]

FORMATS = (".png", ".pdf", ".svg")
# Raster resolution: 150 dpi makes a 7-inch figure ~1000 px wide, sharp on screens and paper.
DPI = 150
# Characters per title line: what fits above the 7-inch axes at 12 pt.
TITLE_WIDTH = 70
# Colour a positive output on a log scale when it spans more than this ratio.
LOG_COLOUR_RATIO = 100.0

_LABELS = {"distance": "distance |θ* − θ*_ref|₂", "norm": "norm |θ*|₂",
           "violation": "KKT violation of G (normalized)", "loss": "loss L_S(θ*)",
           "t": "convergence time t", "switches": "pattern switches",
           "radius": "proved radius", "pattern": "final activation pattern"}


def _values(table: Any, value: str) -> tuple[list[Any], str]:
    rows = table.to_pylist()
    if value.startswith("limit:"):
        name = value[6:].strip()
        out = []
        for r in rows:
            names = r["parameters"] or []
            out.append(r["limit"][names.index(name)] if name in names else math.nan)
        return out, f"limit {name}*"
    if value not in table.column_names:
        raise InvalidArgument(f"[phase] value {value!r}: no such column")
    return [r[value] for r in rows], _LABELS.get(value, value)


def _edges(centres: list[float], log: bool) -> list[float]:
    """Cell boundaries half-way (geometrically for log axes) between sorted centres."""
    if len(centres) == 1:
        c = centres[0]
        return [c / 2, c * 2] if log else [c - 0.5, c + 0.5]
    f = (lambda v: math.log(v)) if log else (lambda v: v)
    g = (lambda v: math.exp(v)) if log else (lambda v: v)
    s = [f(c) for c in centres]
    mids = [(a + b) / 2 for a, b in itertools.pairwise(s)]
    return [g(2 * s[0] - mids[0]), *map(g, mids), g(2 * s[-1] - mids[-1])]


def phase_diagram(table: Any, config: SweepConfig, path: str | Path) -> Path:
    """Draw ``[phase] value`` over ``[phase] x`` and ``y`` into ``path``; returns the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.colors import BoundaryNorm, ListedColormap, LogNorm

    target = Path(path)
    if target.suffix.lower() not in FORMATS:
        raise InvalidArgument(f"--plot {target}: use a .png, .pdf or .svg file name")
    phase = dict(config.phase)
    xname, yname, value = phase["x"], phase["y"], phase["value"]
    params = {p.name: p for p in config.parameters}
    if not xname or xname in MODEL_KEYS:
        raise InvalidArgument("[phase] x: name a numeric parameter")
    values, label = _values(table, value)
    xs = table.column(xname).to_pylist()
    ys = table.column(yname).to_pylist() if yname else [0.0] * len(xs)
    xlog = params[xname].kind == "log"
    ylog = bool(yname) and params[yname].kind == "log"
    categorical = value == "pattern" or any(isinstance(v, str) for v in values)
    if categorical:
        names = sorted({str(v) for v in values if v not in (None, "")})
        codes = {n: k for k, n in enumerate(names)}
        numbers = [codes.get(str(v), math.nan) for v in values]
    else:
        numbers = [math.nan if v is None else float(v) for v in values]
    others = [p for p in config.parameter_names if p not in (xname, yname)]

    fig, ax = plt.subplots(figsize=(7.0, 5.2), constrained_layout=True)
    finite = [v for v in numbers if math.isfinite(v)]
    norm = None
    cmap: Any = "viridis"
    if categorical:
        cmap = ListedColormap(plt.get_cmap("tab10").colors[:max(1, len(codes))])
        norm = BoundaryNorm([k - 0.5 for k in range(len(codes) + 1)], cmap.N)
    elif finite and min(finite) > 0 and max(finite) / min(finite) > LOG_COLOUR_RATIO:
        norm = LogNorm(vmin=min(finite), vmax=max(finite))
    if config.design == "grid" and yname:
        gx = sorted({x for x in xs})
        gy = sorted({y for y in ys})
        total = np.zeros((len(gy), len(gx)))
        count = np.zeros((len(gy), len(gx)))
        for x, y, v in zip(xs, ys, numbers, strict=True):
            if math.isfinite(v):
                total[gy.index(y), gx.index(x)] += v
                count[gy.index(y), gx.index(x)] += 1
        with np.errstate(invalid="ignore"):
            grid = np.where(count > 0, total / np.maximum(count, 1), np.nan)
        if categorical:
            grid = np.round(grid)
        mesh = ax.pcolormesh(_edges(gx, xlog), _edges(gy, ylog), np.ma.masked_invalid(grid),
                             cmap=cmap, norm=norm, shading="flat")
    else:
        mesh = ax.scatter(xs, ys, c=numbers, cmap=cmap, norm=norm, s=28, edgecolors="none")
    if xlog:
        ax.set_xscale("log")
    if ylog:
        ax.set_yscale("log")
    ax.set_xlabel(phase.get("xlabel") or xname, fontsize=12)
    ax.set_ylabel(phase.get("ylabel") or yname or "", fontsize=12)
    if categorical:
        bar = fig.colorbar(mesh, ax=ax, ticks=list(range(len(codes))))
        bar.ax.set_yticklabels(list(codes))
    else:
        bar = fig.colorbar(mesh, ax=ax)
    if value == "distance":
        ref = ", ".join(f"{k} = {v}" for k, v in config.reference)
        label = f"distance |θ* − θ*({ref})|₂"
    bar.set_label(label, fontsize=11)
    title = phase.get("title") or f"{config.name}: {label.split(' |')[0]} of the flow limit"
    if others:
        title += f" (mean over {', '.join(others)})"
    ax.set_title("\n".join(textwrap.wrap(title, TITLE_WIDTH)), fontsize=12)
    ax.tick_params(labelsize=10)
    buffer = io.BytesIO()
    fig.savefig(buffer, format=target.suffix.lower()[1:], dpi=DPI)
    plt.close(fig)
    write_bytes_atomic(target, buffer.getvalue())
    return target
