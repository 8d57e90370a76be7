"""``igproof flow MODEL``: the gradient-flow limit of a model on a dataset."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from igproof.errors import DataError, InvalidArgument

MODELS = ("relu-neuron", "neuron", "two-layer")
# --prove works at no fewer bits than the 128-bit cases, and a guard above --dps.
PROVE_MIN_BITS = 128
PROVE_GUARD_BITS = 8


def register(subparsers: Any, name: str) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        name, help="integrate the gradient flow of a model on a dataset to its limit",
        description="Integrate the gradient flow of the square loss of MODEL on the data in "
        "FILE from the initialization LIST, until the gradient vanishes to working precision. "
        "The limit is floating-point evidence (verdict SUPPORTED) unless --prove certifies it.")
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
    parser.add_argument("--bias", action="store_true", help="neuron: a bias inside sigma")
    parser.add_argument("--dps", type=int, default=30, metavar="N",
                        help="decimal digits of the high-precision integrator (default 30)")
    parser.add_argument("--t-max", type=float, default=1e4, metavar="T",
                        help="give up at time T (default 1e4)")
    parser.add_argument("--method", choices=("mp", "float"), default="mp",
                        help="high precision (mp, default) or float (scipy)")
    parser.add_argument("--prove", action="store_true",
                        help="certify the limit with validated enclosures (ball arithmetic)")
    parser.add_argument("--certificate", metavar="FILE",
                        help="with --prove: write the gf-limit certificate to FILE")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def _check_options(args: argparse.Namespace) -> None:
    if args.model not in MODELS:
        raise InvalidArgument(f"unknown model {args.model!r}; known models: {', '.join(MODELS)}")
    if args.dps < 5 or args.dps > 10000:
        raise InvalidArgument(f"--dps {args.dps}: use between 5 and 10000 digits")
    if args.width < 1:
        raise InvalidArgument(f"--width {args.width}: the width must be at least 1")
    if not args.t_max > 0 or args.t_max == float("inf"):
        raise InvalidArgument(f"--t-max {args.t_max}: use a positive finite time")
    if args.certificate and not args.prove:
        raise InvalidArgument("--certificate needs --prove (only a proved limit is certified)")


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
                        width=args.width, bias=args.bias)
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
        sides = {1: "active", 0: "inactive", -1: "inactive"}
        print(f"switch     kink {switch['kink']}: {sides.get(switch['before'], '?')} -> "
              f"{sides.get(switch['after'], '?')} at t = {switch['t']}")
    print(f"verdict    {payload['verdict']}: {payload.get('evidence', '')}")


def run(args: argparse.Namespace) -> int:
    _check_options(args)
    flow, theta0 = build_problem(args)

    from igproof.numeric.converge import flow_limit

    result = flow_limit(flow, theta0, method=args.method, dps=args.dps, t_max=args.t_max)
    payload = result.to_json()
    if args.prove:
        payload.update(_prove(flow, theta0, args))
    if args.json:
        print(json.dumps(payload, indent=1, default=str))
    else:
        _print_table(payload)
    sys.stdout.flush()
    # A requested certificate that could not be written is a failure of the request.
    return 1 if payload.get("certificate_written") is False else 0


def _prove(flow: Any, theta0: list[Any], args: argparse.Namespace) -> dict[str, Any]:
    """Run the validated enclosure and end-game; write the certificate when asked.

    Returns the fields that replace the SUPPORTED verdict of the estimate: PROVED with the
    ball, or INCONCLUSIVE with the reason validation failed.
    """
    import math

    from igproof.proof.limits.limit import ProvedLimit, prove_flow_limit

    prec = max(PROVE_MIN_BITS, math.ceil(args.dps * math.log2(10)) + PROVE_GUARD_BITS)
    result = prove_flow_limit(flow, theta0, prec=prec)
    if not isinstance(result, ProvedLimit):
        return {"verdict": "INCONCLUSIVE", "evidence": f"validation failed: {result.reason}"}
    from igproof.rationals import fraction_to_text

    fields: dict[str, Any] = {
        "verdict": "PROVED",
        "evidence": result.summary().removeprefix("PROVED: "),
        "centre": [fraction_to_text(c) for c in result.centre],
        "radius": f"{float(result.radius_upper):.3e}",
        "radius_exact": fraction_to_text(result.radius_upper),
    }
    if args.certificate:
        from igproof.certificate.gf_limit import (
            IsolatedLimitNotCertifiable,
            limit_certificate,
        )
        from igproof.certificate.writer import write_certificate

        try:
            write_certificate(args.certificate, limit_certificate(result, flow))
            fields["certificate"] = args.certificate
        except IsolatedLimitNotCertifiable as exc:
            fields["certificate"] = f"not written: {exc}"
            fields["certificate_written"] = False
    return fields
