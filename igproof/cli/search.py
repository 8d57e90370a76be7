"""``igproof search``: hunt for a counterexample to "G characterizes the implicit regularization",
or (``--mechanism two-point|one-point``) for certified Overlapping instances.

Hypothesis draws datasets S and initializations theta0, the float surrogate integrates the
gradient flow, and a float hit (the limit violates the KKT conditions of min G on M_S) is shrunk
and promoted to a ``not-characterized-by`` certificate that the independent checker accepts
(:mod:`igproof.search.promote`). Progress goes to stderr, the result to stdout.

A hit that cannot be certified is excluded and the (seeded, hence identical) search rerun, up
to PROMOTION_ROUNDS hits in all.

With ``--mechanism two-point`` (or ``one-point --regularizer KIND``) the search draws pairs of
datasets with an exactly shared zero-loss set from the recipes (:mod:`igproof.search.
overlap_search`), shrinks a float hit, proves both limits and certifies the pair; ``--budget S``
makes it a discovery run that counts certified new instances per model family.

Exit codes: 0 a certificate was produced (verdict REFUTED) or no counterexample was found
(verdict INCONCLUSIVE, with the number of examples tried); 1 a float hit was found but could not
be certified (verdict SUPPORTED, with the reason); 2 bad input (one line on stderr). Overlap
mechanisms: 0 at least one instance certified, or no float hit at all (INCONCLUSIVE); 1 float hits
were found and none could be certified; 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from igproof.cli.output import emit_json
from igproof.cli.progress import add_progress_flags, progress_wanted
from igproof.errors import InvalidArgument
from igproof.verdict import Verdict

EXIT_OK = 0
EXIT_UNCERTIFIED = 1
MODELS = ("relu-neuron", "neuron")
# ``witness``: the counterexample search for one G (the default); the others search Overlapping
# instances (igproof.search.overlap_search.MECHANISMS).
MECHANISMS = ("witness", "two-point", "one-point")
# Default budget: the ``igproof-ci`` Hypothesis profile's 200 examples.
DEFAULT_MAX_EXAMPLES = 200
# Default input dimension per model (SPEC section 1: the 3-D ReLU neuron; the 1-D neuron).
DEFAULT_DIM = {"relu-neuron": 3, "neuron": 1}
# A float hit that fails to certify is excluded and the search rerun (same seed) this many
# times in all, so that a hit whose limit happens to be hard to enclose does not end the run.
PROMOTION_ROUNDS = 3
# Progress lines on stderr every this many examples (and at every new best violation).
PROGRESS_EVERY = 50


def register(subparsers: Any, name: str) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        name, help="search for a certified counterexample to a candidate regularizer G",
        description="Search datasets and initializations on which the gradient-flow limit is "
        "not a minimizer of G on the zero-loss set; shrink the hit and certify it "
        "(not-characterized-by certificate, re-checked by the independent checker).")
    parser.add_argument("--mechanism", default="witness", choices=MECHANISMS,
                        help="witness (default): a counterexample to one G; two-point / "
                        "one-point: certified Overlapping instances (docs/search.md)")
    parser.add_argument("--model", metavar="M",
                        help=f"one of {', '.join(MODELS)} (required for witness); "
                        "two-point/one-point also two-layer (default: every family)")
    parser.add_argument("--activation", default=None, metavar="A",
                        help="relu (default) or tanh; two-point/one-point also leaky-relu "
                        "(or leaky_relu); relu-neuron is always relu")
    parser.add_argument("--dim", type=int, default=None, metavar="D",
                        help="input dimension (default 3 for relu-neuron, 1 for neuron)")
    parser.add_argument("--width", type=int, default=None, metavar="M",
                        help="two-point/one-point with --model two-layer: hidden width, 2 "
                        "(default) or 3")
    parser.add_argument("--bias", action="store_true",
                        help="two-point/one-point with --model two-layer: hidden biases b_j "
                        "(dimension 1 by default)")
    parser.add_argument("--skip", action="store_true",
                        help="two-point/one-point with --model two-layer: a free linear skip "
                        "part u . x + c (boursier2023 with --bias)")
    parser.add_argument("--regularizer", metavar="EXPR",
                        help="witness: l2, l2-init, l1, linf, lp:P, or an expression in the safe "
                        "language over a, w1..wd and a0, w1_0..wd_0 (d = 1: w, w0); one-point: "
                        "the class KIND, norm, l1-norm or distance-to-theta0")
    parser.add_argument("--max-examples", type=int, default=None, metavar="N",
                        help=f"Hypothesis budget of valid examples (default "
                        f"{DEFAULT_MAX_EXAMPLES}; 300 per search for two-point/one-point)")
    parser.add_argument("--budget", type=float, default=None, metavar="SECONDS",
                        help="two-point/one-point: a discovery run of this many seconds "
                        "(round-robin searches over the families; default: one search each)")
    parser.add_argument("--seed", type=int, default=0, metavar="S",
                        help="random seed (default 0); the same seed gives the same certificate")
    parser.add_argument("--min-points", type=int, default=1, metavar="K",
                        help="fewest data points (default 1)")
    parser.add_argument("--max-points", type=int, default=4, metavar="K",
                        help="most data points (default 4)")
    parser.add_argument("--database", metavar="DIR",
                        help="Hypothesis example database directory: makes the search resumable")
    parser.add_argument("--out", metavar="FILE|DIR",
                        help="write the certificate to FILE (atomic); two-point/one-point: "
                        "every certified instance into the directory DIR")
    parser.add_argument("--json", action="store_true", help="print one JSON object "
                        "(docs/cli.md)")
    add_progress_flags(parser, "two-point/one-point: show progress on stderr")
    return parser


def _validate(args: argparse.Namespace) -> tuple[Any, Any]:
    from igproof.errors import UnsafeExpression
    from igproof.search.families import SurrogateModel
    from igproof.search.regularizers import expression_names, get_regularizer

    if args.model is None:
        raise InvalidArgument("--model: required for the witness search (one of "
                              f"{', '.join(MODELS)})")
    if args.regularizer is None:
        raise InvalidArgument("--regularizer: required for the witness search (l2, l2-init, "
                              "l1, linf, lp:P or an expression)")
    if args.budget is not None:
        raise InvalidArgument("--budget: only for --mechanism two-point / one-point")
    if args.width is not None:
        raise InvalidArgument("--width: only for --mechanism two-point / one-point with "
                              "--model two-layer")
    if args.bias or args.skip:
        raise InvalidArgument("--bias/--skip: only for --mechanism two-point / one-point with "
                              "--model two-layer")
    if args.activation is None:
        args.activation = "relu"
    if args.max_examples is None:
        args.max_examples = DEFAULT_MAX_EXAMPLES
    if args.model not in MODELS:
        raise InvalidArgument(f"--model: unknown model {args.model!r}; use one of "
                              f"{', '.join(MODELS)}")
    dim = DEFAULT_DIM[args.model] if args.dim is None else args.dim
    if dim < 1 or dim > 8:
        raise InvalidArgument(f"--dim: expected an integer in 1..8, got {dim}")
    for flag, value in (("--max-examples", args.max_examples), ("--min-points", args.min_points),
                        ("--max-points", args.max_points)):
        if value < 1:
            raise InvalidArgument(f"{flag}: expected a positive integer, got {value}")
    if args.min_points > args.max_points:
        raise InvalidArgument(f"--min-points: {args.min_points} exceeds --max-points "
                              f"{args.max_points}")
    model = SurrogateModel(args.model, args.activation, dim)
    try:
        regularizer = get_regularizer(args.regularizer, parameter_names=model.parameter_names)
    except UnsafeExpression as exc:
        names = ", ".join(expression_names(model.parameter_names))
        raise InvalidArgument(f"--regularizer: {exc} (G may use {names})") from None
    return model, regularizer


def _progress(quiet: bool) -> Any:
    state = {"best": -1.0}

    def report(tried: int, discarded: int, best: float) -> None:
        if quiet:
            return
        if tried % PROGRESS_EVERY == 0 or best > state["best"] + 1e-12:
            state["best"] = max(best, state["best"])
            print(f"igproof search: {tried} examples tried ({discarded} discarded), best KKT "
                  f"violation {best:.3g}", file=sys.stderr, flush=True)

    return report


def _fmt(values: Any) -> str:
    return "(" + ", ".join(str(v) for v in values) + ")"


def run(args: argparse.Namespace) -> int:
    if args.mechanism != "witness":
        return run_overlap(args)
    model, regularizer = _validate(args)
    from igproof.certificate.writer import dumps_certificate, write_certificate
    from igproof.search.driver import search_counterexample
    from igproof.search.promote import float_certifiable, promote_hit

    failed: set[tuple[Any, Any]] = set()

    def certifiable(hit: Any) -> bool:
        if (hit.dataset, hit.theta0) in failed:
            return False
        return float_certifiable(model, regularizer, hit.dataset, hit.theta0, hit.theta_limit)

    progress = _progress(args.json)
    rejected: list[str] = []
    previous: tuple[Any, Any] | None = None  # the last uncertified (result, promotion)
    promotion = None
    for _ in range(PROMOTION_ROUNDS):
        result = search_counterexample(
            model.kind, model.activation, regularizer, max_examples=args.max_examples,
            seed=args.seed, database=args.database, progress=progress, dim=model.dim,
            min_points=args.min_points, max_points=args.max_points, hit_filter=certifiable)
        if not result.found:
            if previous is not None:  # no further hit: report the uncertified one honestly
                result, promotion = previous
                rejected.pop()
            break
        assert result.hit is not None
        promotion = promote_hit(model, regularizer, result.hit.dataset, result.hit.theta0)
        if promotion.certified or not promotion.other_hits_may_work:
            break
        previous = (result, promotion)
        failed.add((result.hit.dataset, result.hit.theta0))
        rejected.append(promotion.reason)
        if not args.json:
            print(f"igproof search: float hit not certified ({promotion.reason}); searching "
                  "for another", file=sys.stderr, flush=True)
    else:
        rejected.pop()  # the last round's hit is the one reported below
    out: dict[str, Any] = {"search": result.to_json(), "uncertified_other_hits": rejected}
    lines = [f"model       {model.kind} ({model.activation}, d={model.dim})",
             f"G           {regularizer.name}",
             f"seed        {args.seed}",
             f"examples    {result.examples_tried} tried, {result.examples_discarded} "
             f"discarded, {result.hits_filtered} float hits not certifiable-looking"]
    if not result.found:
        valid = result.examples_tried - result.examples_discarded
        message = (f"no counterexample found in {result.examples_tried} examples ({valid} "
                   f"valid, {result.examples_discarded} discarded; largest KKT "
                   f"violation {result.best_violation:.3g}; {result.stop_reason})")
        out.update(verdict=str(Verdict.INCONCLUSIVE), outcome="none-found", message=message)
        lines += [f"verdict     {Verdict.INCONCLUSIVE}: {message}"]
        _emit(args, out, lines, EXIT_OK)
        return EXIT_OK
    hit = result.hit
    assert hit is not None and promotion is not None
    lines += [f"dataset     x = {[_fmt(xi) for xi in hit.dataset.x]}, "
              f"y = {_fmt(hit.dataset.y)}",
              f"theta0      {_fmt(hit.theta0)}",
              f"float limit {_fmt(f'{v:.10g}' for v in hit.theta_limit)}  (KKT violation "
              f"{hit.violation.value:.3g})"]
    out.update(route=promotion.route, g_certificate=promotion.g_text,
               attempts=list(promotion.attempts))
    if not promotion.certified:
        out.update(verdict=str(Verdict.SUPPORTED), outcome="uncertified-hit",
                   message=f"float counterexample, not certified: {promotion.reason}")
        lines += [f"verdict     {Verdict.SUPPORTED} (float counterexample only); not certified: "
                  f"{promotion.reason}"]
        _emit(args, out, lines, EXIT_UNCERTIFIED)
        return EXIT_UNCERTIFIED
    assert promotion.certificate is not None
    text = dumps_certificate(promotion.certificate)
    if args.out:
        write_certificate(args.out, promotion.certificate)
        out["certificate_file"] = args.out
    out.update(verdict=str(Verdict.REFUTED), outcome="certified",
               message=f"G = {regularizer.name} does not characterize the implicit "
                       f"regularization: certificate accepted by the independent checker",
               certificate=json.loads(text))
    limit = next(iter(promotion.certificate["statement"]["limits"].values()))
    lines += [f"limit ball  centre {_fmt(f'{float(c):.10g}' for c in limit['center'])}, "
              f"radius <= {float(limit['radius']):.3g}",
              f"G (exact)   {promotion.g_text}",
              f"route       {promotion.route}",
              f"verdict     {Verdict.REFUTED}: {promotion.reason} (checker accepted)"]
    if args.out:
        lines.append(f"certificate {args.out}")
    else:
        lines.append("certificate (use --out FILE to save it)")
    _emit(args, out, lines, EXIT_OK)
    return EXIT_OK


def _emit(args: argparse.Namespace, out: dict[str, Any], lines: list[str], code: int) -> None:
    if args.json:
        emit_json("search", out, exit_code=code, verdict=out["verdict"])
    else:
        print("\n".join(lines))


# -- --mechanism two-point / one-point ----------------------------------------------------------
def _overlap_options(args: argparse.Namespace) -> tuple[list[Any], str | None]:
    """The families searched and the One-point class, validated (one-line errors)."""
    from igproof.search.overlap_search import FAMILIES, ONE_POINT_CLASSES, get_family

    if args.mechanism == "one-point":
        if args.regularizer not in ONE_POINT_CLASSES:
            raise InvalidArgument(f"--regularizer: one-point needs the class KIND, one of "
                                  f"{', '.join(ONE_POINT_CLASSES)}; got {args.regularizer!r}")
    elif args.regularizer is not None:
        raise InvalidArgument("--regularizer: two-point excludes every G at once; give a class "
                              "only with --mechanism one-point")
    if args.max_examples is not None and args.max_examples < 1:
        raise InvalidArgument(f"--max-examples: expected a positive integer, got "
                              f"{args.max_examples}")
    if args.budget is not None and not (args.budget > 0 and args.budget < 1e7):
        raise InvalidArgument(f"--budget: expected a positive number of seconds, got "
                              f"{args.budget}")
    if args.database is not None:
        raise InvalidArgument("--database: the overlap search is seeded and keeps no database")
    if args.model is None:
        if args.activation is not None or args.dim is not None or args.width is not None \
                or args.bias or args.skip:
            raise InvalidArgument("--activation/--dim/--width/--bias/--skip: give them with "
                                  "--model")
        families = list(FAMILIES.values())
    else:
        families = [get_family(args.model, args.activation, args.dim, args.width,
                               bias=args.bias, skip=args.skip)]
    return families, args.regularizer if args.mechanism == "one-point" else None


class _OverlapProgress:
    """Progress of a discovery run on stderr (rich): one line per family with examples tried,
    float hits and certified instances, and the budget spent."""

    def __init__(self, families: list[Any], budget: float | None, enabled: bool) -> None:
        self.enabled = enabled
        self.live: Any = None
        if not enabled:
            return
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                 TextColumn("{task.fields[info]}"), TimeElapsedColumn(),
                                 console=Console(stderr=True), transient=False)
        self.tasks = {f.label: self.progress.add_task(f"{f.label:<22}", total=None, info="")
                      for f in families}
        self.counts = {f.label: {"tried": 0, "hits": 0, "certified": 0} for f in families}
        self.base = {f.label: 0 for f in families}
        self.budget = budget

    def __enter__(self) -> _OverlapProgress:
        if self.enabled:
            self.progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.enabled:
            self.progress.stop()

    def __call__(self, kind: str, info: dict[str, Any]) -> None:
        if not self.enabled:
            return
        fam = info["family"]
        c = self.counts[fam]
        status = ""
        if kind == "search":
            self.base[fam] = c["tried"]
            status = f"search {info['round'] + 1}"
        elif kind == "examples":
            c["tried"] = self.base[fam] + info["tried"]
            status = "searching"
        elif kind == "hit":
            c["hits"] += 1
            status = "proving both limits"
        elif kind == "instance":
            c["certified"] += int(info["instance"].certified)
            status = "certified" if info["instance"].certified else "not certified"
        self.progress.update(self.tasks[fam], info=(
            f"{c['tried']} examples, {c['hits']} float hits, {c['certified']} certified "
            f"[{status}]"))


def _size(instance: Any) -> int:
    from igproof.certificate.writer import dumps_certificate

    return len(dumps_certificate(instance.outcome.certificate).encode("utf-8"))


def run_overlap(args: argparse.Namespace) -> int:
    """``igproof search --mechanism two-point|one-point``: search, shrink, certify, count."""
    from igproof.search.overlap_search import discover

    families, cls = _overlap_options(args)
    enabled = progress_wanted(args)
    options: dict[str, Any] = {}
    if args.max_examples is not None:
        options["max_examples"] = args.max_examples
    with _OverlapProgress(families, args.budget, enabled) as progress:
        result = discover(families, mechanism=args.mechanism, cls=cls, seed=args.seed,
                          budget=args.budget, out_dir=args.out, on_event=progress, **options)
    hits = sum(t.float_hits for t in result.tallies.values())
    code = EXIT_UNCERTIFIED if hits and not result.certified else EXIT_OK
    single = args.budget is None and len(families) == 1
    if result.certified:
        verdict = Verdict.PROVED
    elif hits:
        verdict = Verdict.SUPPORTED
    else:
        verdict = Verdict.INCONCLUSIVE
    out = result.to_json()
    for entry, inst in zip(out["instances"], result.instances, strict=True):
        entry["certificate_bytes"] = _size(inst)
        if single and not args.out:
            entry["certificate"] = inst.outcome.certificate
    what = f"{args.mechanism}" + (f" ({cls})" if cls else "")
    lines = [f"mechanism   {what} Overlapping, seed {args.seed}"
             + (f", budget {args.budget:g} s" if args.budget is not None else ""),
             f"{'family':<23}{'searches':>9}{'examples':>10}{'float hits':>12}"
             f"{'certified':>11}{'not cert.':>11}{'seconds':>9}"]
    for label, t in result.tallies.items():
        lines.append(f"{label:<23}{t.searches:>9}{t.examples:>10}{t.float_hits:>12}"
                     f"{t.certified:>11}{t.not_certified:>11}{t.seconds:>9.1f}")
    lines.append(f"total       {result.certified} certified new instances in "
                 f"{result.seconds:.1f} s ({result.per_minute:.2f} per minute)")
    for inst in result.instances:
        lines += [f"instance    {inst.candidate.describe()}",
                  f"            {inst.outcome.evidence}",
                  f"            certificate {inst.path or '(use --out DIR to save it)'}, "
                  f"{_size(inst)} bytes, {inst.seconds:.1f} s"]
    for label, t in result.tallies.items():
        for reason in t.reasons:
            lines.append(f"not certified ({label}): {reason}")
    for label, t in result.tallies.items():
        for reason, count in sorted(t.skipped.items(), key=lambda kv: -kv[1]):
            lines.append(f"skipped     ({label}) {count:>5} x {reason}")
    if single or args.budget is None:
        message = {Verdict.PROVED: "certificate accepted by the independent checker",
                   Verdict.SUPPORTED: "float hits only: none could be certified",
                   Verdict.INCONCLUSIVE: "no float hit found"}[verdict]
        lines.append(f"verdict     {verdict}: {message}")
    if args.json:
        emit_json("search", out, exit_code=code, verdict=verdict if single else None)
    else:
        print("\n".join(lines))
    return code
