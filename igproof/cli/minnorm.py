"""``igproof minnorm --data FILE``: minimal-norm 1-D interpolation, biases penalised or free.

Uniqueness of the minimiser is reported when it is decided exactly: with free biases by the
solver's sign rule, with penalised biases by the exact certificate of
:func:`igproof.proof.minnorm.claims.certify_unique_minimizer` (the dual phi read off the kinks'
tangents; optimality and a full-rank hat identity on its contact set). Otherwise "not decided",
with the reason. Exit code 0 when the cost bracket is PROVED, 1 when it is not, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from igproof.cli.output import emit_csv, emit_json
from igproof.errors import DataError, InvalidArgument
from igproof.verdict import Verdict

# The plot extends this fraction of the data's span beyond the outermost points on each side,
# where the interpolant is affine (its free skip connection).
PLOT_MARGIN = 0.1

EXIT_PROVED = 0
EXIT_NOT_PROVED = 1


def register(subparsers: Any, name: str) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        name, help="minimal-norm ReLU interpolation of 1-D data, with a certified cost bracket",
        description="Compute the minimal-norm interpolator of the 1-D data in FILE by a "
        "one-hidden-layer ReLU network with a free skip connection (Boursier & Flammarion "
        "2023): cost int sqrt(1+x^2) d|f''| (biases penalised, default) or int d|f''| "
        "(--free-bias). The cost is bracketed by an exact primal cost and an exact dual bound "
        "(verdict PROVED when the gap is below --gap-tol). Uniqueness of the minimiser is "
        "reported when decided exactly.",
        epilog="exit codes: 0 the cost bracket is PROVED; 1 it is not (gap above --gap-tol); "
        "2 bad input (unreadable data, numbers out of range, a bad option).")
    parser.add_argument("--data", required=True, metavar="FILE",
                        help='JSON {"x": [...], "y": [...]}; x a list of numbers or of '
                        "one-element lists; numbers read exactly by their text")
    parser.add_argument("--free-bias", action="store_true",
                        help="do not penalise the biases (weight 1 instead of sqrt(1+x^2))")
    parser.add_argument("--gap-tol", default="1e-10", metavar="TOL",
                        help="certified gap below which the bracket is PROVED (default 1e-10)")
    parser.add_argument("--json", action="store_true", help="print one JSON object "
                        "(docs/cli.md)")
    parser.add_argument("--csv", action="store_true",
                        help="print the kinks as CSV (at, slope jump; decimal and exact)")
    parser.add_argument("--plot", metavar="FILE",
                        help="draw data, interpolant and kinks; the format follows the "
                        "extension (.png, .pdf, .svg)")
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


def _uniqueness(result: Any) -> tuple[bool | None, str]:
    """(True, reason) when the minimiser is proved unique, (None, reason) when not decided.

    Free biases: the solver decides exactly (its ``unique``). Penalised biases: the exact
    certificate of certify_unique_minimizer with the tangent dual of the computed kinks.
    """
    from igproof.proof.minnorm.claims import certify_unique_minimizer, tangent_dual

    if not result.penalised_bias:
        if result.unique is None:
            return None, "not decided by the free-bias sign rule"
        return result.unique, ("exact sign rule of the free-bias solution (no two adjacent "
                               "curvatures of the same strict sign)" if result.unique else
                               "two adjacent curvatures of the same strict sign (exact)")
    phi = tangent_dual(result.x, result.kinks)
    if phi is None:
        return None, ("no exact dual from the kinks' tangents (an irrational weight "
                      "sqrt(1 + t^2) at a kink, or two determinations disagree)")
    cert = certify_unique_minimizer(result.x, result.y, result.kinks, phi)
    return (True if cert.unique else None), cert.reason


def _plot(result: Any, path: str) -> None:
    """Data, the interpolant (evaluated exactly at the grid points) and its kinks."""
    from igproof.plots import interpolant_figure, save_figure

    xs = [float(v) for v in result.x]
    span = xs[-1] - xs[0]
    lo, hi = xs[0] - PLOT_MARGIN * span, xs[-1] + PLOT_MARGIN * span
    # f is piecewise linear: its values at the kinks, the data and the two ends draw it exactly.
    grid = sorted({lo, hi, *xs, *(float(k.at) for k in result.kinks)})
    kind = "penalised biases" if result.penalised_bias else "free biases"
    cost = (r"$\int \sqrt{1+x^2}\,d|f''|$" if result.penalised_bias
            else r"$\int d|f''|$")
    fig = interpolant_figure(
        x=xs, y=[float(v) for v in result.y], grid=grid,
        values=[float(result.evaluate(t)) for t in grid],
        kinks=[(float(k.at), float(result.evaluate(k.at))) for k in result.kinks],
        verdict=str(result.verdict), subject=f"minimal-norm interpolation, {kind}",
        note=f"cost {cost} in [{float(result.lower_bound):.10g}, "
             f"{float(result.upper_bound):.10g}] (gap {float(result.gap):.2g})")
    save_figure(fig, path)


def run(args: argparse.Namespace) -> int:
    from igproof.atomic import write_text_atomic
    from igproof.certificate.minnorm import minnorm_obligation
    from igproof.proof.minnorm.interpolator import minimal_norm_interpolator

    if args.plot:
        from igproof.plots import figure_format

        figure_format(args.plot)
    if args.json and args.csv:
        raise InvalidArgument("--json and --csv: choose one output format")
    x, y = _read_data(args.data)
    result = minimal_norm_interpolator(x, y, penalised_bias=not args.free_bias,
                                       gap_tol=args.gap_tol)
    unique, unique_reason = _uniqueness(result)
    code = EXIT_PROVED if result.verdict is Verdict.PROVED else EXIT_NOT_PROVED
    if args.plot:
        _plot(result, args.plot)
    if args.certificate:
        _, certificate = minnorm_obligation(result)
        write_text_atomic(args.certificate, json.dumps(certificate, indent=1) + "\n")
    if args.json:
        payload = result.to_json()
        payload["unique"] = unique
        payload["unique_reason"] = unique_reason
        if args.plot:
            payload["plot"] = args.plot
        if args.certificate:
            payload["certificate"] = args.certificate
        emit_json("minnorm", payload, exit_code=code, verdict=result.verdict)
        return code
    if args.csv:
        from igproof.rationals import fraction_to_text

        emit_csv(["at", "slope_jump", "at_exact", "slope_jump_exact"],
                 ([_short(k.at), _short(k.jump), fraction_to_text(k.at), fraction_to_text(k.jump)]
                  for k in result.kinks))
        return code
    kind = "penalised (weight sqrt(1+x^2))" if result.penalised_bias else "free (weight 1)"
    print(f"minimal-norm interpolation of {len(result.x)} points, biases {kind}")
    print(f"  cost in [{_short(result.lower_bound)}, {_short(result.upper_bound)}]  "
          f"gap {float(result.gap):.3g}  verdict {result.verdict}")
    verdict_word = {None: "not decided", True: "PROVED", False: "no (exact)"}[unique]
    print(f"  kinks: {result.n_kinks}   unique minimiser: {verdict_word} ({unique_reason})")
    if result.kinks:
        print(f"  {'at':>24}  {'slope jump':>24}")
        for k in result.kinks:
            print(f"  {_short(k.at):>24}  {_short(k.jump):>24}")
    for note in result.notes:
        print(f"  note: {note}")
    return code


def _short(q: Any) -> str:
    from igproof.proof.minnorm.interpolator import _decimal

    return _decimal(q, 16)
