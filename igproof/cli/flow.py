"""``igproof flow MODEL``: the gradient-flow limit of a model on a dataset."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from igproof.cli.output import emit_json
from igproof.cli.progress import ProverProgress, add_progress_flags
from igproof.errors import DataError, InvalidArgument
from igproof.verdict import Verdict

MODELS = ("relu-neuron", "neuron", "two-layer")
# --prove works at no fewer bits than the 128-bit cases, and a guard above --dps.
PROVE_MIN_BITS = 128
PROVE_GUARD_BITS = 8
# Activation side of a data point before/after a switch (pattern entries).
_SIDES = {1: "active", 0: "inactive", -1: "inactive"}
# Exit codes: 0 the run did what was asked (an estimate, or with --prove a PROVED limit and its
# certificate when one was requested); EXIT_NOT_PROVED when --prove ended INCONCLUSIVE or a
# requested certificate was not written; 2 bad input (igproof.cli.main).
EXIT_OK = 0
EXIT_NOT_PROVED = 1
# Default --t-max of the estimate (the prover's default budget scales with its precision).
ESTIMATE_T_MAX = 1e4
# Points drawn per integrator step (cubic Hermite): smooth at print size without large files.
DENSE_SAMPLES = 12


def register(subparsers: Any, name: str) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        name, help="integrate the gradient flow of a model on a dataset to its limit",
        description="Integrate the gradient flow of the square loss of MODEL on the data in "
        "FILE from the initialization LIST, until the gradient vanishes to working precision. "
        "The limit is floating-point evidence (verdict SUPPORTED) unless --prove certifies it.",
        epilog=f"exit codes: {EXIT_OK} done (with --prove: PROVED, and the certificate written "
        f"when --certificate was given); {EXIT_NOT_PROVED} --prove ended INCONCLUSIVE or a "
        "requested certificate was not written (nothing is written then); 2 bad input.")
    parser.add_argument("model", metavar="MODEL", help=f"one of {', '.join(MODELS)}")
    parser.add_argument("--data", required=True, metavar="FILE",
                        help='JSON {"x": [[...], ...], "y": [...]}; numbers exact by their text')
    parser.add_argument("--init", required=True, metavar="LIST",
                        help="comma-separated initial parameters (e.g. 1/2,0.3), in the "
                        "model's parameter order (see docs/models.md)")
    parser.add_argument("--activation", default="relu", metavar="NAME",
                        help="activation for neuron/two-layer (default relu)")
    parser.add_argument("--width", type=int, default=1, metavar="M",
                        help="hidden width of two-layer (default 1)")
    parser.add_argument("--bias", action="store_true",
                        help="neuron: a bias b inside sigma; two-layer: a bias b_j inside each "
                        "unit (parameters b1..bm after the rows w_j)")
    parser.add_argument("--skip", action="store_true",
                        help="two-layer: add a free linear skip part u.x + c (parameters "
                        "u1..ud, c last); with --bias the architecture of Boursier & "
                        "Flammarion 2023")
    parser.add_argument("--dps", type=int, default=30, metavar="N",
                        help="decimal digits of the high-precision integrator (default 30)")
    parser.add_argument("--t-max", type=float, default=None, metavar="T",
                        help=f"give up at time T (default {ESTIMATE_T_MAX:g}; with --prove also "
                        "the prover's time budget, whose default is 200 at 128 bits and grows "
                        "with the precision)")
    parser.add_argument("--max-steps", type=int, default=None, metavar="N",
                        help="with --prove: budget of validated steps (default 6000 at 128 "
                        "bits, growing with the precision)")
    parser.add_argument("--method", choices=("mp", "float"), default="mp",
                        help="high precision (mp, default) or float (scipy)")
    parser.add_argument("--prove", action="store_true",
                        help="certify the limit with validated enclosures (ball arithmetic)")
    parser.add_argument("--certificate", metavar="FILE",
                        help="with --prove: write the gf-limit certificate to FILE")
    parser.add_argument("--plot", metavar="FILE",
                        help="draw the trajectory per parameter, the loss (log scale), the phase "
                        "portrait of 2-parameter flows, the switch times and, with --prove, the "
                        "proved ball; the format follows the extension (.png, .pdf, .svg)")
    parser.add_argument("--json", action="store_true", help="print one JSON object "
                        "(docs/cli.md)")
    add_progress_flags(parser)
    return parser


def _check_options(args: argparse.Namespace) -> None:
    if args.model not in MODELS:
        raise InvalidArgument(f"unknown model {args.model!r}; known models: {', '.join(MODELS)}")
    if args.dps < 5 or args.dps > 10000:
        raise InvalidArgument(f"--dps {args.dps}: use between 5 and 10000 digits")
    if args.width < 1:
        raise InvalidArgument(f"--width {args.width}: the width must be at least 1")
    if args.bias and args.model == "relu-neuron":
        raise InvalidArgument("--bias: relu-neuron is relu(w.x) without bias; use the neuron "
                              "or two-layer model")
    if args.skip and args.model != "two-layer":
        raise InvalidArgument("--skip: only the two-layer model has a skip part u.x + c")
    if args.t_max is not None and (not args.t_max > 0 or args.t_max == float("inf")):
        raise InvalidArgument(f"--t-max {args.t_max}: use a positive finite time")
    if args.max_steps is not None and args.max_steps < 1:
        raise InvalidArgument(f"--max-steps {args.max_steps}: use a positive number of steps")
    if args.max_steps is not None and not args.prove:
        raise InvalidArgument("--max-steps needs --prove (it is the prover's step budget)")
    if args.certificate and not args.prove:
        raise InvalidArgument("--certificate needs --prove (only a proved limit is certified)")
    if args.plot:
        from igproof.plots import figure_format

        figure_format(args.plot)  # a bad extension fails before minutes of integration


def build_problem(args: argparse.Namespace) -> tuple[Any, list[Any]]:
    """The gradient flow and the exact initialization described by the command line."""
    from igproof.rationals import load_json_exact, parse_rational_list
    from igproof.symbolic.activations import get_activation
    from igproof.symbolic.dataset import Dataset
    from igproof.symbolic.flow import gradient_flow
    from igproof.symbolic.models import build_model

    dataset = Dataset.from_json(load_json_exact(args.data, what=f"data file {args.data}"))
    get_activation(args.activation)  # unknown names fail here with the list of known ones
    if args.model == "relu-neuron" and args.activation != "relu":
        raise InvalidArgument(f"--activation {args.activation}: relu-neuron is relu(w.x); "
                              "use the neuron model for other activations")
    model = build_model(args.model, dim=dataset.dim, activation=args.activation,
                        width=args.width, bias=args.bias, skip=args.skip)
    theta0 = parse_rational_list(args.init, what="--init")
    names = [str(p) for p in model.parameters]
    if len(theta0) != len(names):
        raise DataError(f"--init has {len(theta0)} values but {args.model} has "
                        f"{len(names)} parameters ({', '.join(names)})")
    return gradient_flow(model, dataset), theta0


def _print_table(payload: dict[str, Any]) -> None:
    print(f"model      {payload['model']}")
    print(f"method     {payload['method']}")
    width = max(len(name) for name in payload["parameters"])
    print("limit")
    for name, value in zip(payload["parameters"], payload["limit"], strict=True):
        print(f"  {name:<{width}} = {value}")
    for key in ("loss", "t", "converged", "pattern", "radius", "certificate"):
        if key in payload:
            print(f"{key:<10} {payload[key]}")
    for switch in payload.get("switches", []):
        print(f"switch     kink {switch['kink']}: {_SIDES.get(switch['before'], '?')} -> "
              f"{_SIDES.get(switch['after'], '?')} at t = {switch['t']}")
    print(f"verdict    {payload['verdict']}: {payload.get('evidence', '')}")
    if "plot" in payload:
        print(f"plot       {payload['plot']}")


def _problem(args: argparse.Namespace) -> tuple[Any, list[Any], dict[str, Any] | None]:
    """(flow, theta0, cache key): the compiled field from the field cache when it holds it.

    A hit runs without sympy (igproof.numeric.cache); a miss derives the flow and the caller
    stores the compiled field after the run. --prove, --plot and --method float need the
    symbolic flow itself and bypass the cache.
    """
    if args.prove or args.plot or args.method != "mp":
        flow, theta0 = build_problem(args)
        return flow, theta0, None
    from igproof.numeric import cache
    from igproof.numeric.pieces import piecewise_field
    from igproof.rationals import load_json_exact, parse_rational_list

    # every option that reaches build_model (a missing one would let a hit return the field
    # of another model)
    options = {"activation": args.activation, "width": args.width, "bias": args.bias,
               "skip": args.skip}
    key = cache.field_key(args.model, options,
                          load_json_exact(args.data, what=f"data file {args.data}"))
    field = None if key is None else cache.load_field(key, lambda: build_problem(args)[0])
    if field is None:
        flow, theta0 = build_problem(args)
        return piecewise_field(flow), theta0, key
    theta0 = parse_rational_list(args.init, what="--init")
    if len(theta0) != len(field.names):
        raise DataError(f"--init has {len(theta0)} values but {args.model} has "
                        f"{len(field.names)} parameters ({', '.join(field.names)})")
    return field, theta0, key


def run(args: argparse.Namespace) -> int:
    _check_options(args)
    flow, theta0, cache_key = _problem(args)

    from igproof.numeric.converge import flow_limit

    t_max = ESTIMATE_T_MAX if args.t_max is None else args.t_max
    result = flow_limit(flow, theta0, method=args.method, dps=args.dps, t_max=t_max)
    if cache_key is not None and (flow.derived or flow.flow is not None):
        from igproof.numeric.cache import store_field

        store_field(cache_key, flow)  # new or grown entry (never fails the command)
    payload = result.to_json()
    if args.prove:
        payload.update(_prove(flow, theta0, args))
    if args.plot:
        _plot(flow, result, payload, args)
        payload["plot"] = args.plot
    # --prove that did not prove, or a requested certificate that could not be written, is a
    # failure of the request
    failed = args.prove and (payload["verdict"] != str(Verdict.PROVED)
                             or payload.get("certificate_written") is False)
    code = EXIT_NOT_PROVED if failed else EXIT_OK
    if args.json:
        emit_json("flow", payload, exit_code=code, verdict=payload["verdict"])
    else:
        _print_table(payload)
    sys.stdout.flush()
    return code


def _plot(flow: Any, result: Any, payload: dict[str, Any], args: argparse.Namespace) -> None:
    """Draw the estimated trajectory with the verdict of ``payload`` in the title."""
    from igproof.plots import flow_figure, save_figure

    traj = result.trajectory
    ts, thetas, losses = _dense_trajectory(flow, traj)
    kinks = getattr(flow, "kinks", ())
    switches = [(float(s.t), f"{kinks[s.kink] if s.kink < len(kinks) else s.kink} = 0, "
                 f"{_SIDES.get(s.before, '?')} -> {_SIDES.get(s.after, '?')}")
                for s in traj.switches]
    ball = None
    if payload["verdict"] == str(Verdict.PROVED) and "centre" in payload:
        from igproof.rationals import parse_rational

        ball = ([float(parse_rational(c)) for c in payload["centre"]], float(payload["radius"]))
    estimate = ", ".join(f"{name} = {float(v):.6g}"
                         for name, v in zip(traj.parameters, traj.theta, strict=True))
    note = (f"{payload['method']} integrator, stopped at t = {float(traj.t):.4g} "
            f"(|grad L| = {float(traj.grad_norm):.2g}); estimate {estimate}")
    fig = flow_figure(parameters=list(traj.parameters), ts=ts, thetas=thetas, losses=losses,
                      switches=switches, verdict=payload["verdict"],
                      subject=f"gradient flow of {payload['model']} on {Path(args.data).name}",
                      note=note, ball=ball)
    save_figure(fig, args.plot)


def _dense_trajectory(flow: Any, traj: Any) -> tuple[list[float], list[list[float]], list[float]]:
    """theta(t) between the integrator's steps by cubic Hermite interpolation, and L on it.

    The steps of a Taylor or DOP853 integrator are long; straight chords between them would draw
    corners that the flow does not have. On each step [t_j, t_j+1] both endpoint values and
    slopes F(theta_j) (the field in the pattern in force on that step) are known, so the cubic
    Hermite interpolant is accurate to fourth order in the step. The loss is evaluated in the
    trajectory's own arithmetic (mpmath for ``mp`` runs: L falls far below double rounding).
    """
    import mpmath
    import sympy

    from igproof.symbolic.activations import MPMATH_FUNCTIONS

    piecewise = bool(getattr(flow, "kinks", ()))
    pattern = list(traj.start_pattern)
    switch_at = {float(s.t): s for s in traj.switches}
    loss = sympy.lambdify(flow.parameters, flow.loss, modules=[MPMATH_FUNCTIONS, "mpmath"])
    ts = [float(t) for t in traj.ts]
    thetas = [[float(v) for v in theta] for theta in traj.thetas]
    out_t: list[float] = []
    out_theta: list[list[float]] = []
    with mpmath.workprec(traj.settings.get("prec", 53)):
        out_loss_exact = [loss(*theta) for theta in traj.thetas]
    for j in range(len(ts) - 1):
        t0, t1 = ts[j], ts[j + 1]
        if t0 in switch_at:  # the pattern changes at a switch point (a step boundary)
            switch = switch_at[t0]
            for k in switch.kinks:
                pattern[k] = switch.after
        h = t1 - t0
        if h <= 0:
            continue
        field = flow.field_in_pattern(tuple(pattern)) if piecewise else flow.lambdify("numpy")
        d0 = [float(v) for v in field(thetas[j])]
        d1 = [float(v) for v in field(thetas[j + 1])]
        for s in (k / DENSE_SAMPLES for k in range(DENSE_SAMPLES)):
            h00, h10 = 2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s
            h01, h11 = -2 * s**3 + 3 * s**2, s**3 - s**2
            out_t.append(t0 + s * h)
            out_theta.append([h00 * a + h10 * h * da + h01 * b + h11 * h * db for a, da, b, db
                              in zip(thetas[j], d0, thetas[j + 1], d1, strict=True)])
    out_t.append(ts[-1])
    out_theta.append(thetas[-1])
    # The loss: computed at the steps in the trajectory's arithmetic, log-linearly interpolated
    # between them (near a limit L decays exponentially, so log L is close to linear in t).
    import numpy as np

    step_log = np.array([float(mpmath.log10(v)) if v > 0 else np.nan for v in out_loss_exact])
    ok = np.isfinite(step_log)
    if ok.sum() >= 2:
        dense_log = np.interp(out_t, np.asarray(ts)[ok], step_log[ok])
        losses = [10.0 ** v for v in dense_log]
    else:
        losses = [float(v) for v in out_loss_exact[:1]] * len(out_t)
    return out_t, out_theta, losses


def _prove(flow: Any, theta0: list[Any], args: argparse.Namespace) -> dict[str, Any]:
    """Run the validated enclosure and end-game; write the certificate when asked.

    Returns the fields that replace the SUPPORTED verdict of the estimate: PROVED with the
    ball, or INCONCLUSIVE with the reason validation failed.
    """
    import math
    from fractions import Fraction

    from igproof.proof.limits.limit import ProvedLimit, prove_flow_limit

    prec = max(PROVE_MIN_BITS, math.ceil(args.dps * math.log2(10)) + PROVE_GUARD_BITS)
    budget: dict[str, Any] = {}
    if args.t_max is not None:  # the user's time budget reaches the prover
        budget["t_max"] = Fraction(args.t_max)
    if args.max_steps is not None:
        budget["max_steps"] = args.max_steps
    progress = ProverProgress.from_args(args)
    try:
        result = prove_flow_limit(flow, theta0, prec=prec, **budget,
                                  progress=lambda k, loss: progress("proof", k, loss))
    finally:
        progress.close()
    if not isinstance(result, ProvedLimit):
        return {"verdict": str(Verdict.INCONCLUSIVE),
                "evidence": f"validation failed: {result.reason}"}
    from igproof.rationals import fraction_to_text

    fields: dict[str, Any] = {
        "verdict": str(Verdict.PROVED),
        "evidence": result.summary().removeprefix("PROVED: "),
        "centre": [fraction_to_text(c) for c in result.centre],
        "radius": f"{float(result.radius_upper):.3e}",
        "radius_exact": fraction_to_text(result.radius_upper),
    }
    if args.certificate:
        from igproof.certificate.gf_limit import limit_certificate
        from igproof.certificate.writer import write_certificate
        from igproof.errors import CertificateError

        progress.stage("certificate: the independent checker replays the proof")
        try:  # limit_certificate returns only what the checker accepted, within its limits
            write_certificate(args.certificate, limit_certificate(result, flow))
            fields["certificate"] = args.certificate
        except CertificateError as exc:
            fields["certificate"] = f"not written: {exc}"
            fields["certificate_written"] = False
        finally:
            progress.close()
    return fields
