"""Figures of the ridgelet subpackage: the spectrum R[f; rho](a, b), trained parameters vs spectrum.

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

__all__ = ["FORMATS", "plot_spectrum", "plot_trained", "plot_width_limit", "save_figure"]

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


def plot_trained(theta: np.ndarray, c: np.ndarray, spectrum: Any, path: str, *,
                 title: str, extent: float = 4.5) -> None:
    """Side by side: the spectrum gamma_beta(a, b) (heat map), trained (a_j, b_j) coloured by c_j.

    ``spectrum(a, b)`` evaluates gamma_beta on arrays.
    """
    _format(path)
    plt = _pyplot()
    grid = np.linspace(-extent, extent, 201)
    A, B = np.meshgrid(grid, grid, indexing="ij")
    G = spectrum(A, B)
    limit = float(max(np.max(np.abs(G)), np.percentile(np.abs(c), 99)))
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.8), sharex=True, sharey=True)
    mesh = axes[0].pcolormesh(grid, grid, G.T, cmap="RdBu_r", vmin=-limit, vmax=limit,
                              shading="auto")
    axes[0].contour(grid, grid, (np.exp(-(A**2 + B**2) / (2 * 1.5**2))).T, levels=3,
                    colors="0.4", linewidths=0.6)
    axes[0].set_title("spectrum gamma_beta(a, b); grey: density of lambda", fontsize=10)
    axes[0].plot([], [], color="0.4", lw=0.6, label="lambda contours")
    axes[0].legend(loc="upper right", fontsize=8)
    order = np.argsort(np.abs(c))
    axes[1].scatter(theta[order, 0], theta[order, 1], c=c[order], cmap="RdBu_r", vmin=-limit,
                    vmax=limit, s=6, label=f"trained (a_j, b_j), colour c_j (p = {len(c)})")
    axes[1].set_title("trained parameters, coloured by c_j", fontsize=10)
    axes[1].legend(loc="upper right", fontsize=8)
    for ax in axes:
        ax.set_xlabel("a (weight)")
        ax.set_xlim(-extent, extent)
        ax.set_ylim(-extent, extent)
    axes[0].set_ylabel("b (bias)")
    fig.colorbar(mesh, ax=axes, label="gamma_beta(a, b) and c_j")
    fig.suptitle(title, fontsize=10)
    save_figure(fig, path)
    plt.close(fig)


def plot_width_limit(curves: dict[str, tuple[list[int], list[float]]], path: str, *,
                     title: str) -> None:
    """log-log distance against width for each named curve, with the p^-1/2 reference."""
    _format(path)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.5))
    for name, (widths, distances) in curves.items():
        ax.loglog(widths, distances, "o-", label=name)
    first = next(iter(curves.values()))
    p = np.array(first[0], dtype=float)
    ax.loglog(p, first[1][0] * (p / p[0])**-0.5, "k--", lw=0.8, label="p^-1/2 reference")
    ax.set_xlabel("width p")
    ax.set_ylabel("kernel MMD to gamma_beta lambda")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    save_figure(fig, path)
    plt.close(fig)
