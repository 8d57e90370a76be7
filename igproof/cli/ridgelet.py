"""``igproof ridgelet K|transform|reconstruct``: admissibility constants, spectra, reconstruction.

``K``            K(sigma, rho) in R^m with value, enclosure, verdict and the second route
``transform``    R[f; rho](a, b) at points (--at) or on a grid (--grid, --plot FILE)
``reconstruct``  S[R[f; rho]](x) against K f(x) at points, by 2-D quadrature (m = 1)
"""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

from igproof.errors import InvalidArgument

ACTIVATION_NAMES = ("gaussian", "tanh", "relu", "sigmoid", "softplus")
DEFAULT_TARGET = "exp(-x^2/2)"
DEFAULT_POINTS = "-1,0,0.5,1.5"


def register(subparsers: Any, name: str) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        name, help="ridgelet transform, admissibility constant K, reconstruction (sonoda2021)",
        description="Ridgelet analysis (Sonoda, Ishikawa, Ikeda 2021; docs/ridgelet.md). "
        "Fourier f^(w) = int f(z) e^{-izw} dz; R[f; rho](a, b) = int f(x) conj(rho(a.x - b)) dx; "
        "K = (2 pi)^(m-1) int sigma^ conj(rho^) |w|^-m dw.")
    commands = parser.add_subparsers(dest="ridgelet_command", metavar="SUBCOMMAND",
                                     parser_class=type(parser))
    k = commands.add_parser("K", help="the admissibility constant K(sigma, rho)",
                            description="K with its verdict: exact or enclosed (PROVED), "
                            "'not admissible' with the reason, and the Fourier-free second route.")
    k.add_argument("--activation", required=True,
                   help=f"one of {', '.join(ACTIVATION_NAMES)}, or 'all'")
    k.add_argument("--ridgelet", required=True,
                   help="gaussian-d0..gaussian-d6, dawson, an expression in z (safe language), "
                   "or 'all' (the built-ins)")
    k.add_argument("--dim", type=int, default=1, choices=(1, 2), help="input dimension m")
    k.add_argument("--no-second", action="store_true", help="skip the second route")
    k.add_argument("--json", action="store_true", help="print JSON")

    t = commands.add_parser("transform", help="evaluate or draw R[f; rho](a, b)",
                            description="R[f; rho] by vectorized quadrature (SUPPORTED); for "
                            "the Gaussian target the closed form is compared.")
    t.add_argument("--target", default=DEFAULT_TARGET,
                   help=f"f in the safe expression language, in x (x1, x2 with --dim 2); "
                   f"default {DEFAULT_TARGET}")
    t.add_argument("--ridgelet", required=True, help="ridgelet name or expression in z")
    t.add_argument("--dim", type=int, default=1, choices=(1, 2), help="input dimension m")
    t.add_argument("--at", action="append", metavar="A,B",
                   help="a point (a, b) (m = 2: a1,a2,b); repeatable")
    t.add_argument("--grid", metavar="A0:A1:NA,B0:B1:NB",
                   help="a grid of NA x NB points (m = 1); write --grid=... when A0 is negative")
    t.add_argument("--support", type=float, default=8.0,
                   help="integrate over |x_i| <= L (default 8)")
    t.add_argument("--plot", metavar="FILE", help="draw the grid (.png, .pdf or .svg)")
    t.add_argument("--json", action="store_true", help="print JSON")

    r = commands.add_parser("reconstruct", help="check S[R[f; rho]] = K f at points (m = 1)",
                            description="2-D quadrature of S[R[f; rho]](x) over (a, b) "
                            "(a = tan theta, b = sqrt(1 + a^2) tan phi), compared with K f(x).")
    r.add_argument("--activation", required=True, help=f"one of {', '.join(ACTIVATION_NAMES)}")
    r.add_argument("--ridgelet", required=True, help="ridgelet name or expression in z")
    r.add_argument("--target", default=DEFAULT_TARGET, help=f"f(x), default {DEFAULT_TARGET}")
    r.add_argument("--at", default=DEFAULT_POINTS, metavar="X1,X2,...",
                   help=f"points x (default {DEFAULT_POINTS})")
    r.add_argument("--nodes", type=int, default=240,
                   help="quadrature nodes per direction (multiple of 16; default 240)")
    r.add_argument("--json", action="store_true", help="print JSON")
    return parser


def numbers(text: str, *, name: str, count: int | None = None) -> list[float]:
    """Finite floats from comma-separated ``text`` (``count`` of them when given)."""
    parts = [p.strip() for p in str(text).split(",")]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise InvalidArgument(f"{name}: expected comma-separated numbers, got {text!r}") from None
    if count is not None and len(values) != count:
        raise InvalidArgument(f"{name}: expected {count} numbers, got {len(values)} in {text!r}")
    if not all(math.isfinite(v) for v in values):
        raise InvalidArgument(f"{name}: numbers must be finite, got {text!r}")
    return values


def parse_grid(text: str) -> tuple[tuple[float, float, int], tuple[float, float, int]]:
    """'A0:A1:NA,B0:B1:NB' -> ((A0, A1, NA), (B0, B1, NB)), with NA, NB in 2..2000."""
    axes = str(text).split(",")
    if len(axes) != 2:
        raise InvalidArgument(f"--grid: expected A0:A1:NA,B0:B1:NB, got {text!r}")
    out = []
    for axis, label in zip(axes, ("a", "b"), strict=True):
        fields = axis.split(":")
        if len(fields) != 3:
            raise InvalidArgument(f"--grid: expected lo:hi:count for {label}, got {axis!r}")
        lo, hi = numbers(f"{fields[0]},{fields[1]}", name=f"--grid ({label} range)", count=2)
        try:
            n = int(fields[2])
        except ValueError:
            raise InvalidArgument(f"--grid: count of {label} must be an integer, got "
                                  f"{fields[2]!r}") from None
        if not 2 <= n <= 2000 or not lo < hi:
            raise InvalidArgument(f"--grid: need lo < hi and 2 <= count <= 2000 for {label}, "
                                  f"got {axis!r}")
        out.append((lo, hi, n))
    return out[0], out[1]


def run(args: argparse.Namespace) -> int:
    command = getattr(args, "ridgelet_command", None)
    if command == "K":
        return _run_k(args)
    if command == "transform":
        return _run_transform(args)
    if command == "reconstruct":
        return _run_reconstruct(args)
    raise InvalidArgument("ridgelet: expected a subcommand: K, transform or reconstruct")


def _run_k(args: argparse.Namespace) -> int:
    from igproof.proof.ridgelet.admissibility import admissibility_constant
    from igproof.proof.ridgelet.functions import ACTIVATIONS, RIDGELETS, get_activation

    activations = list(ACTIVATIONS) if args.activation == "all" else [args.activation]
    ridgelets = list(RIDGELETS) if args.ridgelet == "all" else [args.ridgelet]
    for name in activations:
        get_activation(name)  # a clear error before any work
    results = [admissibility_constant(a, r, dim=args.dim, second=not args.no_second)
               for a in activations for r in ridgelets]
    if args.json:
        print(json.dumps([res.to_json() for res in results], indent=1))
        return 0
    for res in results:
        print(_k_line(res))
    return 0


def _k_line(res: Any) -> str:
    head = f"K({res.activation}, {res.ridgelet}; m={res.dim})"
    if res.admissible is False:
        text = f"{head}: not admissible [{res.verdict}] {res.reason}"
    elif res.enclosure is not None and res.admissible:
        exact = f" = {res.exact} (exact)," if res.exact else ""
        text = (f"{head}{exact} ~ {res.value:.15g} in [{res.enclosure[0]} +/- "
                f"{res.enclosure[1]}] [{res.verdict}] ({res.method})")
    else:
        value = "" if res.value is None else f" ~ {res.value:.12g}"
        text = f"{head}{value} [{res.verdict}] {res.reason}"
    if res.second_value is not None:
        agree = {True: "consistent", False: "INCONSISTENT", None: "n/a"}[res.second_consistent]
        text += (f"; second route {res.second_value:.12g} +/- {res.second_error:.1g} "
                 f"({agree})")
    return text + f"; {res.seconds:.2f}s"


def _run_transform(args: argparse.Namespace) -> int:
    import numpy as np

    from igproof.proof.ridgelet.functions import get_ridgelet
    from igproof.proof.ridgelet.transform import (
        closed_form_gaussian,
        ridgelet_transform,
        ridgelet_transform_2d,
        target,
    )
    from igproof.verdict import Verdict

    if not args.at and not args.grid:
        raise InvalidArgument("transform: give --at A,B (repeatable) or --grid A0:A1:NA,B0:B1:NB")
    if args.plot and not args.grid:
        raise InvalidArgument("transform: --plot needs --grid")
    if args.dim == 2 and args.grid:
        raise InvalidArgument("transform: --grid is for m = 1; use --at a1,a2,b with --dim 2")
    if not (math.isfinite(args.support) and args.support > 0):
        raise InvalidArgument(f"--support: expected a positive number, got {args.support!r}")
    if args.plot:
        from igproof.proof.ridgelet.plots import FORMATS

        if not any(args.plot.lower().endswith(ext) for ext in FORMATS):
            raise InvalidArgument(f"--plot: {args.plot!r} must end in one of "
                                  f"{', '.join(FORMATS)}")
    rho = get_ridgelet(args.ridgelet)
    f = target(args.target, dim=args.dim)
    edge = [args.support] * args.dim
    truncation = float(np.max(np.abs([f(*[np.array(s * v) for v in edge]) for s in (-1, 1)])))
    report: dict[str, Any] = {"target": args.target, "ridgelet": rho.name, "dim": args.dim,
                              "support": args.support, "truncation_indicator": truncation}
    closed = f.gaussian and rho.builtin
    points_out = []
    if args.at:
        for text in args.at:
            if args.dim == 1:
                a, b = numbers(text, name="--at", count=2)
                value = float(ridgelet_transform(f, rho, [a], [b], support=args.support)[0, 0])
                exact = float(closed_form_gaussian(rho, a, b)) if closed else None
                points_out.append({"a": a, "b": b, "value": value, "closed_form": exact})
            else:
                a1, a2, b = numbers(text, name="--at", count=3)
                value = float(ridgelet_transform_2d(f, rho, [[a1, a2, b]],
                                                    support=args.support)[0])
                exact = (float(closed_form_gaussian(rho, math.hypot(a1, a2), b, dim=2))
                         if closed else None)
                points_out.append({"a": [a1, a2], "b": b, "value": value, "closed_form": exact})
        report["points"] = points_out
    grid_diff = None
    if args.grid:
        (a0, a1, na), (b0, b1, nb) = parse_grid(args.grid)
        a, b = np.linspace(a0, a1, na), np.linspace(b0, b1, nb)
        values = ridgelet_transform(f, rho, a, b, support=args.support)
        report["grid"] = {"a": [a0, a1, na], "b": [b0, b1, nb],
                          "max_abs": float(np.max(np.abs(values)))}
        if closed:
            grid_diff = float(np.max(np.abs(values - closed_form_gaussian(
                rho, a[:, None], b[None, :]))))
            report["grid"]["max_diff_closed_form"] = grid_diff
    diffs = [abs(p["value"] - p["closed_form"]) for p in points_out
             if p["closed_form"] is not None] + ([grid_diff] if grid_diff is not None else [])
    verdict = Verdict.SUPPORTED
    evidence = (f"vectorized quadrature over |x| <= {args.support:g} (|f| at the edge "
                f"{truncation:.1e})")
    if diffs:
        evidence += f"; max difference to the closed form {max(diffs):.1e}"
    report["verdict"], report["evidence"] = str(verdict), evidence
    if args.plot:
        from igproof.proof.ridgelet.plots import plot_spectrum

        plot_spectrum(a, b, values, args.plot,
                      title=f"R[f; {rho.name}](a, b), f = {args.target}\n[{verdict}] {evidence}",
                      label=f"R[f; {rho.name}](a, b)")
        report["plot"] = args.plot
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    print(f"ridgelet transform of f = {args.target} with rho = {rho.name} (m = {args.dim})")
    for p in points_out:
        extra = "" if p["closed_form"] is None else f"   closed form {p['closed_form']:.15g}"
        print(f"  R(a={p['a']}, b={p['b']}) = {p['value']:.15g}{extra}")
    if args.grid:
        print(f"  grid {na} x {nb}: max |R| = {report['grid']['max_abs']:.6g}")
    if args.plot:
        print(f"  plot written to {args.plot}")
    print(f"  verdict {verdict}: {evidence}")
    return 0


def _run_reconstruct(args: argparse.Namespace) -> int:
    from igproof.proof.ridgelet.admissibility import admissibility_constant
    from igproof.proof.ridgelet.functions import get_activation, get_ridgelet
    from igproof.proof.ridgelet.transform import reconstruct, target

    if args.nodes < 32 or args.nodes > 2000 or args.nodes % 16:
        raise InvalidArgument(f"--nodes: expected a multiple of 16 in 32..2000, got {args.nodes}")
    sigma, rho = get_activation(args.activation), get_ridgelet(args.ridgelet)
    xs = numbers(args.at, name="--at")
    f = target(args.target)
    k = admissibility_constant(sigma, rho, dim=1, second=False)
    if not k.admissible:
        message = f"K({sigma.name}, {rho.name}): not admissible or undecided: {k.reason}"
        if args.json:
            print(json.dumps({"admissible": k.admissible, "reason": k.reason}, indent=1))
        else:
            print(message)
        return 1
    result = reconstruct(f, rho, sigma, xs, k_value=k.value, nodes=(args.nodes, args.nodes))
    if args.json:
        print(json.dumps({"activation": sigma.name, "ridgelet": rho.name, "target": args.target,
                          "K": k.value, "K_verdict": str(k.verdict), "x": list(xs),
                          "S": [float(v) for v in result.s_values],
                          "K_f": [float(v) for v in result.k_f], "error": result.error,
                          "resolution_change": result.resolution_change,
                          "verdict": str(result.verdict), "evidence": result.evidence},
                         indent=1))
        return 0
    print(f"reconstruction S[R[f; {rho.name}]] = K f, sigma = {sigma.name}, f = {args.target}, "
          f"K = {k.value:.15g} [{k.verdict}]")
    print(f"  {'x':>8}  {'S[R f](x)':>22}  {'K f(x)':>22}  {'error':>9}")
    for x, s, kf in zip(xs, result.s_values, result.k_f, strict=True):
        print(f"  {x:>8g}  {s:>22.15g}  {kf:>22.15g}  {abs(s - kf):>9.2e}")
    print(f"  verdict {result.verdict}: {result.evidence}")
    return 0
