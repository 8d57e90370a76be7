"""``igproof overlap two-point|one-point``: Overlapping from a researcher's two datasets.

Exit codes: 0 PROVED (and the certificate asked for with --certificate written, after the
independent checker accepted exactly those bytes); 1 INCONCLUSIVE (the reason is printed: a
zero-loss relation not decided, a limit not proved, a certificate the checker refused); 2 bad
input (one line on stderr; an existing --certificate file is left as it was).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from igproof.cli.output import emit_json
from igproof.cli.progress import ProverProgress, add_progress_flags
from igproof.errors import DataError, InvalidArgument
from igproof.verdict import Verdict

MODELS = ("relu-neuron", "neuron", "two-layer")
MECHANISMS = ("two-point", "one-point")
REGULARIZERS = ("norm", "l1-norm", "distance-to-theta0", "distance")
# Precision range of the validated prover (bits): below 53 the float seeds lose digits, above
# 1024 a Taylor step costs minutes.
MIN_PREC, MAX_PREC = 53, 1024


def register(subparsers: Any, name: str) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        name, help="prove and certify Two-point / One-point Overlapping of two datasets",
        description="Prove that the gradient-flow limits from THETA0 on S1 and S2 differ and "
        "overlap: two-point (both limits in M_S1 ∩ M_S2: no function G characterizes the "
        "implicit regularization) or one-point (one limit in the other's zero-loss set and "
        "smaller in the --regularizer, a norm or your expression G: no nondecreasing function "
        "of it characterizes it). The "
        "zero-loss relation is decided by exact algebra, both limits by validated enclosures, "
        "and the certificate is re-checked by the independent checker before PROVED. Exit "
        "codes: 0 PROVED (certificate written if asked), 1 INCONCLUSIVE, 2 bad input.")
    parser.add_argument("mechanism", metavar="MECHANISM", help=" or ".join(MECHANISMS))
    parser.add_argument("--model", required=True, metavar="M", help=", ".join(MODELS))
    parser.add_argument("--activation", default="relu", metavar="A",
                        help="activation of neuron/two-layer (default relu)")
    parser.add_argument("--width", type=int, default=1, metavar="M",
                        help="hidden width of two-layer (default 1)")
    parser.add_argument("--bias", action="store_true",
                        help="neuron: a bias b inside sigma; two-layer: a bias b_j in each unit")
    parser.add_argument("--skip", action="store_true",
                        help="two-layer: a free linear skip part u.x + c (docs/models.md)")
    parser.add_argument("--data", action="append", required=True, metavar="FILE",
                        help='give twice: S1 then S2, JSON {"x": [[...], ...], "y": [...]}')
    parser.add_argument("--init", required=True, metavar="THETA0",
                        help="comma-separated exact initial parameters, or a JSON file "
                        '{"init": [...]} (strings or numbers, exact by their text)')
    parser.add_argument("--regularizer", metavar="KIND",
                        help=f"one-point: {', '.join(REGULARIZERS)}, or an expression G in "
                        "the parameter names (safe expression language, e.g. 'a^2 + w1^2'): "
                        "certifies G(theta_s) < G(theta_o) on the limit balls")
    parser.add_argument("--certificate", metavar="FILE",
                        help="write the certificate here (atomically, only when PROVED)")
    parser.add_argument("--prec", type=int, default=64, metavar="BITS",
                        help="working precision of the validated prover (default 64)")
    parser.add_argument("--order", type=int, metavar="N",
                        help="Taylor order of the validated smooth steps (prover default)")
    parser.add_argument("--sensitivity-order", type=int, metavar="N",
                        help="Taylor order of the sensitivity matrices (prover default)")
    parser.add_argument("--loss-target", metavar="Q",
                        help="integrate until sup L < Q, then the end-game (default 2^-1.5prec)")
    parser.add_argument("--t-max", metavar="T", help="give up at flow time T (prover default)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    add_progress_flags(parser)
    return parser


def _options(args: argparse.Namespace) -> Any:
    from igproof.certificate.overlap import ProverOptions
    from igproof.rationals import parse_rational

    if args.mechanism not in MECHANISMS:
        raise InvalidArgument(f"unknown mechanism {args.mechanism!r}; use one of "
                              f"{', '.join(MECHANISMS)}")
    if args.model not in MODELS:
        raise InvalidArgument(f"--model {args.model!r}: use one of {', '.join(MODELS)}")
    if len(args.data) != 2:
        raise InvalidArgument(f"--data: give exactly two datasets (S1 and S2), got "
                              f"{len(args.data)}")
    if args.mechanism == "one-point" and args.regularizer is None:
        raise InvalidArgument(f"one-point needs --regularizer ({', '.join(REGULARIZERS)} or "
                              "an expression in the parameters)")
    if args.mechanism == "two-point" and args.regularizer is not None:
        raise InvalidArgument("--regularizer is for one-point only")
    if not MIN_PREC <= args.prec <= MAX_PREC:
        raise InvalidArgument(f"--prec {args.prec}: use {MIN_PREC} to {MAX_PREC} bits")
    for flag, value in (("--order", args.order), ("--sensitivity-order",
                                                  args.sensitivity_order)):
        if value is not None and not 2 <= value <= 200:
            raise InvalidArgument(f"{flag} {value}: use an integer in [2, 200]")
    loss_target = t_max = None
    if args.loss_target is not None:
        loss_target = parse_rational(args.loss_target, what="--loss-target")
        if loss_target <= 0:
            raise InvalidArgument(f"--loss-target {args.loss_target}: must be positive")
    if args.t_max is not None:
        t_max = parse_rational(args.t_max, what="--t-max")
        if t_max <= 0:
            raise InvalidArgument(f"--t-max {args.t_max}: must be positive")
    if args.certificate:
        folder = Path(args.certificate).resolve().parent
        if not folder.is_dir():
            raise InvalidArgument(f"--certificate {args.certificate}: folder {folder} does "
                                  "not exist")
    return ProverOptions(prec=args.prec, order=args.order,
                         sensitivity_order=args.sensitivity_order, loss_target=loss_target,
                         t_max=t_max)


def _theta0(text: str) -> list[Any]:
    from igproof.rationals import load_json_exact, parse_rational, parse_rational_list

    if text.strip().endswith(".json"):
        raw = load_json_exact(text, what=f"init file {text}")
        values = raw.get("init") if isinstance(raw, dict) else raw
        if not isinstance(values, list) or not values:
            raise DataError(f"init file {text}: expected {{\"init\": [numbers]}} or a list")
        return [parse_rational(v, what=f"{text} init[{k}]") for k, v in enumerate(values)]
    return parse_rational_list(text, what="--init")


def _check_not_on_kink(model: Any, datasets: list[Any], theta0: list[Any]) -> None:
    """A pre-activation exactly 0 at theta0 puts the start on a kink of a relu flow (the flow
    is not defined by one affine piece there): refused as bad input."""
    import sympy

    if model.activation is None or not model.activation.piecewise_linear:
        return
    values = {p: sympy.Rational(t.numerator, t.denominator)
              for p, t in zip(model.parameters, theta0, strict=True)}
    for name, data in zip(("S1", "S2"), datasets, strict=True):
        for i, (x, _) in enumerate(data):
            for j, z in enumerate(model.preactivations(x) or ()):
                if z.xreplace(values) == 0:
                    raise DataError(f"--init lies on a kink: the pre-activation of unit "
                                    f"{j + 1} at point {i} of {name} is exactly 0 at theta0; "
                                    "move theta0 off it")


def _build(args: argparse.Namespace) -> tuple[Any, Any, Any, list[Any]]:
    from igproof.rationals import load_json_exact
    from igproof.symbolic.activations import get_activation
    from igproof.symbolic.dataset import Dataset
    from igproof.symbolic.models import build_model

    s1, s2 = (Dataset.from_json(load_json_exact(path, what=f"data file {path}"))
              for path in args.data)
    if s1.dim != s2.dim:
        raise DataError(f"the datasets have different input dimensions: {args.data[0]} has "
                        f"{s1.dim}, {args.data[1]} has {s2.dim}")
    get_activation(args.activation)
    if args.model == "relu-neuron" and args.activation != "relu":
        raise InvalidArgument(f"--activation {args.activation}: relu-neuron is relu(w.x); use "
                              "--model neuron for other activations")
    if args.bias and args.model == "relu-neuron":
        raise InvalidArgument("--bias: relu-neuron is relu(w.x) without bias; use the neuron "
                              "or two-layer model")
    if args.skip and args.model != "two-layer":
        raise InvalidArgument("--skip: only the two-layer model has a skip part u.x + c")
    model = build_model(args.model, dim=s1.dim, activation=args.activation, width=args.width,
                        bias=args.bias, skip=args.skip)
    theta0 = _theta0(args.init)
    names = [str(p) for p in model.parameters]
    if len(theta0) != len(names):
        raise DataError(f"--init has {len(theta0)} values but {args.model} has {len(names)} "
                        f"parameters ({', '.join(names)})")
    _check_not_on_kink(model, [s1, s2], theta0)
    return model, s1, s2, theta0


def run(args: argparse.Namespace) -> int:
    options = _options(args)
    model, s1, s2, theta0 = _build(args)

    from igproof.certificate.overlap import overlap_pair

    started = time.perf_counter()
    progress = ProverProgress.from_args(args)
    try:
        outcome = overlap_pair(model, s1, s2, theta0, args.mechanism,
                               regularizer=args.regularizer, options=options,
                               progress=progress)
    finally:
        progress.close()
    seconds = time.perf_counter() - started
    payload: dict[str, Any] = {"mechanism": args.mechanism, "model": args.model,
                               "parameters": [str(p) for p in model.parameters],
                               "data": list(args.data), "evidence": outcome.evidence,
                               "seconds": f"{seconds:.2f}"}
    for key in ("zero_loss_relation", "recipes", "limit_seconds", "checker_seconds",
                "obligations", "reason", "shared"):
        if key in outcome.details:
            payload[key] = outcome.details[key]
    verdict = outcome.verdict
    if verdict is Verdict.PROVED and outcome.certificate is not None:
        from igproof.certificate.writer import dumps_certificate, write_certificate

        text = dumps_certificate(outcome.certificate)
        payload["certificate_bytes"] = len(text.encode("utf-8"))
        if args.certificate:
            write_certificate(args.certificate, outcome.certificate)
            if Path(args.certificate).read_text(encoding="utf-8") != text:
                verdict = Verdict.INCONCLUSIVE
                payload["reason"] = "the written file differs from the checked certificate"
            else:
                payload["certificate"] = args.certificate
    code = 0 if verdict is Verdict.PROVED else 1
    if args.json:
        emit_json("overlap", payload, exit_code=code, verdict=verdict)
    else:
        _print(payload, verdict)
    sys.stdout.flush()
    return code


def _print(payload: dict[str, Any], verdict: Verdict) -> None:
    print(f"mechanism  {payload['mechanism']} ({payload['model']}; parameters "
          f"{', '.join(payload['parameters'])})")
    print(f"data       {' | '.join(payload['data'])}")
    if "zero_loss_relation" in payload:
        print(f"zero-loss  {payload['zero_loss_relation']}")
    for key in ("limit_seconds", "checker_seconds", "seconds", "certificate_bytes",
                "certificate"):
        if key in payload:
            print(f"{key.replace('_', ' '):<10} {payload[key]}")
    print(f"verdict    {verdict}: {payload['evidence']}")
