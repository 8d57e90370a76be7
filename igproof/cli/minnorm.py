"""``igproof minnorm --data FILE``: minimal-norm 1-D interpolation, biases penalised or free."""

from __future__ import annotations

import argparse
import json
from typing import Any

from igproof.errors import DataError


def register(subparsers: Any, name: str) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        name, help="minimal-norm ReLU interpolation of 1-D data, with a certified cost bracket",
        description="Compute the minimal-norm interpolator of the 1-D data in FILE by a "
        "one-hidden-layer ReLU network with a free skip connection (Boursier & Flammarion "
        "2023): cost int sqrt(1+x^2) d|f''| (biases penalised, default) or int d|f''| "
        "(--free-bias). The cost is bracketed by an exact primal cost and an exact dual bound "
        "(verdict PROVED when the gap is below --gap-tol).")
    parser.add_argument("--data", required=True, metavar="FILE",
                        help='JSON {"x": [...], "y": [...]}; x a list of numbers or of '
                        "one-element lists; numbers read exactly by their text")
    parser.add_argument("--free-bias", action="store_true",
                        help="do not penalise the biases (weight 1 instead of sqrt(1+x^2))")
    parser.add_argument("--gap-tol", default="1e-10", metavar="TOL",
                        help="certified gap below which the bracket is PROVED (default 1e-10)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--plot", metavar="FILE", help="write a PNG of data, interpolant, kinks")
    parser.add_argument("--certificate", metavar="FILE",
                        help="write a minnorm-interpolation certificate (re-check it with "
                        "`igproof check FILE`)")
    return parser


def _read_data(path: str) -> tuple[list[Any], list[Any]]:
    from igproof.rationals import load_json_exact

    obj = load_json_exact(path)
    if not isinstance(obj, dict) or "x" not in obj or "y" not in obj:
        raise DataError(f'{path}: expected a JSON object {{"x": [...], "y": [...]}}')
    return obj["x"], obj["y"]


def _plot(result: Any, path: str) -> None:
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from igproof.atomic import write_bytes_atomic

    xs = [float(v) for v in result.x]
    ys = [float(v) for v in result.y]
    span = xs[-1] - xs[0]
    knots = sorted({xs[0] - 0.1 * span, xs[-1] + 0.1 * span, *xs,
                    *(float(k.at) for k in result.kinks)})
    import numpy as np

    at = np.array([float(k.at) for k in result.kinks])
    jump = np.array([float(k.jump) for k in result.kinks])
    s_left = float(result.left_slope())

    def f(t: float) -> float:
        return float(ys[0] + s_left * (t - xs[0]) + np.sum(
            jump * (np.maximum(t - at, 0.0) - np.maximum(xs[0] - at, 0.0))))

    values = [f(t) for t in knots]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(knots, values, "-", color="C0", label="minimal-norm interpolant")
    ax.plot(xs, ys, "o", color="k", label="data")
    kx = [float(k.at) for k in result.kinks]
    ax.plot(kx, [f(t) for t in kx], "x", color="C3",
            markersize=9, label=f"kinks ({result.n_kinks})")
    kind = "penalised" if result.penalised_bias else "free"
    ax.set_title(f"{kind} biases: cost {float(result.upper_bound):.10g}")
    ax.legend()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    write_bytes_atomic(path, buffer.getvalue())


def run(args: argparse.Namespace) -> int:
    from igproof.atomic import write_text_atomic
    from igproof.certificate.minnorm import minnorm_obligation
    from igproof.proof.minnorm.interpolator import minimal_norm_interpolator

    x, y = _read_data(args.data)
    result = minimal_norm_interpolator(x, y, penalised_bias=not args.free_bias,
                                       gap_tol=args.gap_tol)
    if args.plot:
        _plot(result, args.plot)
    if args.certificate:
        _, certificate = minnorm_obligation(result)
        write_text_atomic(args.certificate, json.dumps(certificate, indent=1) + "\n")
    if args.json:
        print(json.dumps(result.to_json(), indent=1))
        return 0
    kind = "penalised (weight sqrt(1+x^2))" if result.penalised_bias else "free (weight 1)"
    print(f"minimal-norm interpolation of {len(result.x)} points, biases {kind}")
    print(f"  cost in [{_short(result.lower_bound)}, {_short(result.upper_bound)}]  "
          f"gap {float(result.gap):.3g}  verdict {result.verdict}")
    unique = {None: "not decided", True: "yes", False: "no"}[result.unique]
    print(f"  kinks: {result.n_kinks}   unique minimiser: {unique}")
    if result.kinks:
        print(f"  {'at':>24}  {'slope jump':>24}")
        for k in result.kinks:
            print(f"  {_short(k.at):>24}  {_short(k.jump):>24}")
    for note in result.notes:
        print(f"  note: {note}")
    return 0


def _short(q: Any) -> str:
    from igproof.proof.minnorm.interpolator import _decimal

    return _decimal(q, 16)
