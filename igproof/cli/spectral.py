"""``igproof spectral flow|train``: spectral networks for matrix sensing (docs/spectral.md)."""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path
from typing import Any

from igproof.cli.output import emit_json
from igproof.errors import InvalidArgument

PLOT_FORMATS = (".png", ".pdf", ".svg")
# Float horizon of the unproved reduced flow (SUPPORTED): the instances of docs/spectral.md reach
# loss 1e-25 well before t = 400.
FLOAT_T = 400.0
# A float limit is read as minimal when |z|_1 - min <= this (SUPPORTED, tolerance reported).
FLOAT_TOL = 1e-8
# Exit code when --prove ended INCONCLUSIVE or a requested certificate was not written.
EXIT_NOT_PROVED = 1


def register(subparsers: Any, name: str) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        name, help="spectral neural networks and matrix sensing (chu2024)",
        description="The well-specified matrix-sensing reduction of a spectral network "
        "(flow: prove its limit and decide whether it is the minimal-nuclear-norm solution) and "
        "gradient descent on the full matrix network (train).")
    sub = parser.add_subparsers(dest="spectral_command", metavar="ACTION")
    flow = sub.add_parser("flow", help="the reduced gradient flow, its limit and minimality",
                          description="Integrate (or, with --prove, certify) the reduced flow "
                          "u' = -r sigma'(uv) v, v' = -r sigma'(uv) u of the problem in FILE and "
                          "decide whether its limit X = Phi diag(sigma(uv)) Psi^T has minimal "
                          "nuclear norm among the matrices fitting the measurements.")
    flow.add_argument("--problem", required=True, metavar="FILE",
                      help='JSON {"A": [[diagonal of A_i]...], "y": [...], "u0": [...], '
                      '"v0": [...], "activation": "tanh"}; numbers exact by their text')
    flow.add_argument("--prove", action="store_true",
                      help="certify the limit (validated enclosure + PL end-game)")
    flow.add_argument("--certificate", metavar="FILE",
                      help="with --prove: write the nuclear-gap certificate to FILE")
    flow.add_argument("--json", action="store_true", help="print one JSON object")
    flow.add_argument("--plot", metavar="FILE", help="loss along the flow (.png, .pdf, .svg)")
    train = sub.add_parser("train", help="gradient descent on the full matrix SNN",
                           description="Full-batch gradient descent on a spectral network from "
                           "the aligned initialization, on a generated well-specified problem "
                           "(X* = W W^T scaled to nuclear norm 1, a_i = sort(10 N(0, I))).")
    train.add_argument("--n", type=int, default=10, help="matrix size (default 10)")
    train.add_argument("--rank", type=int, default=6, help="rank of X* (default 6)")
    train.add_argument("--m", type=int, default=75, help="measurements (default 75)")
    train.add_argument("--widths", default="2,2,2,2",
                       help="channel widths, comma-separated (default 2,2,2,2; then width 1)")
    train.add_argument("--iterations", type=int, default=500, help="GD steps (default 500)")
    train.add_argument("--lr", type=float, default=3e-3, help="learning rate (default 3e-3)")
    train.add_argument("--init-scale", type=float, default=0.5,
                       help="scale of the aligned initialization (default 0.5)")
    train.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    train.add_argument("--json", action="store_true", help="print one JSON object")
    train.add_argument("--plot", metavar="FILE", help="metrics over iterations (.png/.pdf/.svg)")
    return parser


def _plot_format(path: str | None) -> str | None:
    if path is None:
        return None
    suffix = Path(path).suffix.lower()
    if suffix not in PLOT_FORMATS:
        raise InvalidArgument(f"--plot {path!r}: expected a file ending in "
                              f"{', '.join(PLOT_FORMATS)}")
    return suffix[1:]


def _save(fig: Any, path: str, fmt: str) -> None:
    from igproof.atomic import write_bytes_atomic

    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=100)
    write_bytes_atomic(path, buffer.getvalue())


def run(args: argparse.Namespace) -> int:
    if args.spectral_command == "flow":
        return _run_flow(args)
    if args.spectral_command == "train":
        return _run_train(args)
    raise InvalidArgument("spectral: expected an action, flow or train "
                          "(see igproof spectral --help)")


def _q(value: Any) -> str:
    from igproof.rationals import fraction_to_text

    return fraction_to_text(value)


def _run_flow(args: argparse.Namespace) -> int:
    if args.certificate and not args.prove:
        raise InvalidArgument("--certificate needs --prove (only a proved limit is certified)")
    fmt = _plot_format(args.plot)
    import numpy as np

    from igproof.proof.spectral.nuclear import decide_minimality, l1_minimum
    from igproof.proof.spectral.rate import measured_rate
    from igproof.proof.spectral.reduced import ReducedProblem
    from igproof.rationals import load_json_exact
    from igproof.verdict import Verdict

    problem = ReducedProblem.from_json(load_json_exact(args.problem, what="--problem"))
    solution = l1_minimum(problem.A, problem.y)
    out: dict[str, Any] = {"n": problem.n, "m": problem.m, "activation": problem.activation,
                           "minimal_nuclear_norm": _q(solution.value),
                           "d_star": [_q(v) for v in solution.d],
                           "dual": [_q(v) for v in solution.lam]}
    status = 0
    bounds = None
    if not args.prove:
        kappa, ts, losses = measured_rate(problem, FLOAT_T, points=400)
        z = _float_limit(problem)
        norm = float(np.abs(z).sum())
        gap = norm - float(solution.value)
        verdict = Verdict.SUPPORTED if abs(gap) <= FLOAT_TOL or gap > FLOAT_TOL else \
            Verdict.INCONCLUSIVE
        minimal = abs(gap) <= FLOAT_TOL
        out.update({"limit_z": [float(v) for v in z], "loss": losses[-1],
                    "nuclear_norm": norm, "gap": gap, "minimal": minimal,
                    "verdict": str(verdict),
                    "evidence": f"float DOP853 to t = {FLOAT_T} (rtol 1e-12, atol 1e-14); gap "
                                f"tolerance {FLOAT_TOL}"})
        title = f"SUPPORTED (float): {'minimal' if minimal else 'not minimal'}"
    else:
        from igproof.proof.spectral.rate import rate_bounds
        from igproof.proof.spectral.reduced import prove_reduced_limit

        flow, result = prove_reduced_limit(problem)
        if result.verdict is not Verdict.PROVED:
            out.update({"verdict": "INCONCLUSIVE", "evidence": result.reason})
            status = EXIT_NOT_PROVED
            title = "INCONCLUSIVE"
            ts, losses = [], []
        else:
            decision = decide_minimality(problem.A, problem.y, result.centre,
                                         result.radius_upper, problem.activation, solution)
            n = problem.n
            z = [float(result.centre[k] * result.centre[n + k])
                 for k in range(n)]
            z = list(np.tanh(z)) if problem.activation == "tanh" else z
            bounds = rate_bounds(result, problem)
            kappa, ts, losses = measured_rate(problem, float(bounds.T), points=200)
            out.update({
                "limit_theta_centre": [_q(c) for c in result.centre],
                "limit_radius": float(result.radius_upper),
                "limit_z": [float(v) for v in z], "loss": 0,
                "loss_evidence": "PL end-game: the limit has zero loss",
                "nuclear_norm": [float(decision.norm.lower()), float(decision.norm.upper())],
                "minimal": decision.verdict is Verdict.PROVED,
                "verdict": str(decision.verdict), "mode": decision.mode,
                "evidence": decision.evidence,
                "gap_lower": None if decision.gap_lower is None else float(decision.gap_lower),
                "proof_seconds": round(result.seconds, 3),
                "rate": {"kappa_lo": float(bounds.kappa_lo), "kappa_hi": float(bounds.kappa_hi),
                         "T": float(bounds.T), "measured": kappa,
                         "statement": "L(0) exp(-kappa_hi t) <= L(t) <= L(0) exp(-kappa_lo t) "
                                      "on [0, T] (certified)"}})
            title = f"{decision.verdict}: {'minimal' if out['minimal'] else 'not minimal'}"
            if decision.verdict not in (Verdict.PROVED, Verdict.REFUTED):
                status = EXIT_NOT_PROVED
            if args.certificate:
                status = max(status, _write_certificate(problem, result, flow, args.certificate,
                                                        out))
    if args.plot and fmt is not None:
        if not ts:
            _, ts, losses = measured_rate(problem, FLOAT_T, points=400)
        _plot_flow(ts, losses, bounds, title, args.plot, fmt)
    if args.json:
        emit_json("spectral", {"subcommand": "flow", **out}, exit_code=status,
                  verdict=out["verdict"])
    else:
        print(f"{out['verdict']}: {out['evidence']}")
        print(f"  minimal nuclear norm {float(solution.value):.12g}; limit nuclear norm "
              f"{out.get('nuclear_norm')}")
        if bounds is not None:
            print(f"  certified rate on [0, {float(bounds.T):.4g}]: kappa in "
                  f"[{float(bounds.kappa_lo):.4g}, {float(bounds.kappa_hi):.4g}], measured "
                  f"{out['rate']['measured']:.4g}")
        if args.certificate and "certificate" in out:
            print(f"  certificate {args.certificate}: {out['certificate']}")
    return status


def _write_certificate(problem: Any, result: Any, flow: Any, path: str, out: dict) -> int:
    from igproof.atomic import write_text_atomic
    from igproof.certificate.spectral import nuclear_certificate
    from igproof.errors import CertificateError

    try:
        made = nuclear_certificate(problem, result, flow)
    except CertificateError as exc:
        print(f"igproof: no certificate written: {exc}", file=sys.stderr)
        out["certificate"] = f"not written ({exc})"
        return EXIT_NOT_PROVED
    write_text_atomic(path, made.text)
    out["certificate"] = f"written, re-checked: {made.report.conclusion}"
    return 0


def _float_limit(problem: Any) -> Any:
    import numpy as np
    from scipy.integrate import solve_ivp

    a = np.array([[float(v) for v in r] for r in problem.A])
    y = np.array([float(v) for v in problem.y])
    n, m = problem.n, problem.m
    tanh = problem.activation == "tanh"

    def field(_t: float, th: Any) -> Any:
        u, v = th[:n], th[n:]
        z = np.tanh(u * v) if tanh else u * v
        dz = 1 - z * z if tanh else np.ones(n)
        r = a.T @ (a @ z - y) / m
        return np.concatenate([-r * dz * v, -r * dz * u])

    th0 = np.array([float(v) for v in problem.theta0])
    sol = solve_ivp(field, (0, FLOAT_T), th0, rtol=1e-12, atol=1e-14, method="DOP853")
    th = sol.y[:, -1]
    return np.tanh(th[:n] * th[n:]) if tanh else th[:n] * th[n:]


def _plot_flow(ts: list, losses: list, bounds: Any, title: str, path: str, fmt: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.semilogy(ts, losses, "-", color="C0", label="L(t) (float, DOP853)")
    if bounds is not None:
        t = np.asarray(ts)
        l0 = float(bounds.loss0.mid())
        ax.semilogy(t, l0 * np.exp(-float(bounds.kappa_lo) * t), "--", color="C3",
                    label=f"certified upper L(0) exp(-{float(bounds.kappa_lo):.3g} t)")
        ax.semilogy(t, l0 * np.exp(-float(bounds.kappa_hi) * t), ":", color="C2",
                    label=f"certified lower L(0) exp(-{float(bounds.kappa_hi):.3g} t)")
    ax.set_xlabel("t (gradient-flow time)")
    ax.set_ylabel("loss L(t)")
    ax.set_title(f"reduced spectral flow: {title}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    _save(fig, path, fmt)
    plt.close(fig)


def _run_train(args: argparse.Namespace) -> int:
    fmt = _plot_format(args.plot)
    try:
        widths = [int(w) for w in args.widths.split(",")]
    except ValueError:
        raise InvalidArgument(f"--widths {args.widths!r}: expected integers like 2,2,2,2") from None
    if args.n < 1 or not 1 <= args.rank <= args.n or args.m < 1 or args.iterations < 0 or \
            not args.lr > 0 or not args.init_scale > 0 or any(w < 1 for w in widths):
        raise InvalidArgument("train: expected n >= 1, 1 <= rank <= n, m >= 1, iterations >= 0, "
                              "lr > 0, init-scale > 0 and positive widths")
    from igproof.proof.spectral.sensing import paper_problem, train

    problem = paper_problem(args.n, args.rank, args.m, seed=args.seed)
    every = max(1, args.iterations // 200)
    hist = train(problem, widths=widths, iterations=args.iterations, lr=args.lr,
                 init_scale=args.init_scale, record_every=every, seed=args.seed)
    out = {"n": args.n, "rank": args.rank, "m": args.m, "widths": widths, "lr": args.lr,
           "verdict": "SUPPORTED", "evidence": "float gradient descent (numpy)",
           "final": {k: v[-1] for k, v in hist.items()}, "history": hist}
    if args.plot and fmt is not None:
        _plot_train(hist, args.plot, fmt)
    if args.json:
        emit_json("spectral", {"subcommand": "train", **out}, exit_code=0, verdict=out["verdict"])
    else:
        f = out["final"]
        print(f"SUPPORTED (float GD, {args.iterations} steps): loss {f['loss']:.4g}, relative "
              f"error {f['relative_error']:.4g}, nuclear norm {f['nuclear_norm']:.6g}, effective "
              f"rank {f['effective_rank']:.4g}, alignment defect {f['alignment_defect']:.2g}")
    return 0


def _plot_train(hist: dict, path: str, fmt: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(9, 6))
    it = hist["iteration"]
    for ax, key, log in zip(axes.flat, ("loss", "relative_error", "nuclear_norm",
                                        "effective_rank"), (True, True, False, False),
                            strict=True):
        (ax.semilogy if log else ax.plot)(it, hist[key], color="C0", label=key.replace("_", " "))
        ax.set_xlabel("iteration")
        ax.set_ylabel(key.replace("_", " "))
        ax.legend(fontsize=8)
    fig.suptitle("SNN gradient descent (SUPPORTED: float)")
    fig.tight_layout()
    _save(fig, path, fmt)
    plt.close(fig)
