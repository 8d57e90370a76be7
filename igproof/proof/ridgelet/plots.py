"""Figures of the ridgelet subpackage: the spectrum R[f; rho](a, b) (the notebook draws the rest).

Every figure has axis labels, a legend (or a labelled colour bar with a legend entry) and a title
that carries the verdict; files are written atomically in the format named by the extension
(.png, .pdf, .svg).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np

from igproof.errors import InvalidArgument

__all__ = ["FORMATS", "plot_spectrum", "save_figure"]

FORMATS = {".png": "png", ".pdf": "pdf", ".svg": "svg"}
# Resolution of PNG output: readable labels at the default 10 x 4.5 inch size.
DPI = 120


def _format(path: str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise InvalidArgument(f"plot: {path!r} must end in one of {', '.join(FORMATS)}")
    return FORMATS[suffix]


def save_figure(fig: Any, path: str) -> None:
    """Write ``fig`` to ``path`` atomically, in the format of the extension."""
    from igproof.atomic import write_bytes_atomic

    fmt = _format(path)
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=DPI, bbox_inches="tight")
    write_bytes_atomic(path, buffer.getvalue())


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_spectrum(a: np.ndarray, b: np.ndarray, values: np.ndarray, path: str, *,
                  title: str, label: str = "R[f; rho](a, b)") -> None:
    """Heat map of values[i, j] at (a_i, b_j) with a colour bar and zero contour."""
    _format(path)
    plt = _pyplot()
    from matplotlib.lines import Line2D

    fig, ax = plt.subplots(figsize=(6.4, 5))
    limit = float(np.max(np.abs(values))) or 1.0
    mesh = ax.pcolormesh(a, b, values.T, cmap="RdBu_r", vmin=-limit, vmax=limit,
                         shading="auto")
    fig.colorbar(mesh, ax=ax, label=label)
    ax.contour(a, b, values.T, levels=[0.0], colors="k", linewidths=0.6)
    ax.set_xlabel("a (weight)")
    ax.set_ylabel("b (bias)")
    ax.set_title(title, fontsize=10)
    ax.legend(handles=[Line2D([], [], color="k", lw=0.6, label="zero level"),
                       Line2D([], [], color="C3", marker="s", lw=0, label=label + " (colour)")],
              loc="upper right", fontsize=8)
    save_figure(fig, path)
    plt.close(fig)
