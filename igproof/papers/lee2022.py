"""Lee, Sim, Ye: support vectors and gradient dynamics of one ReLU neuron (arXiv:2202.05510).

Model: f(x; w) = relu(w.x) in R^d, square loss L(w) = (1/2n) sum_i (relu(w.x_i) - y_i)^2,
relu'(0) = 0, gradient flow w' = -grad L(w). A point is *active* at w when u_i = w.x_i > 0.
igproof's reading of the paper's statements, the instances and what each verdict rests on are in
docs/single_neuron.md; the checks are in :mod:`igproof.papers.checks.single_neuron`.
"""

from __future__ import annotations

from igproof.papers.checks import single_neuron as checks
from igproof.papers.claims import Claim
from igproof.verdict import Verdict

PAPER = "lee2022"
REFERENCE = ("S. Lee, B. Sim, J. C. Ye, Support vectors and gradient dynamics of single-neuron "
             "ReLU networks, arXiv:2202.05510 (2022)")

_GF = ("f = relu(w.x), square loss (1/2n) sum_i (f(x_i) - y_i)^2, gradient flow",
       "relu'(0) = 0 (a point with w.x_i = 0 is inactive)")



CLAIMS = [
    Claim(
        id=f"{PAPER}.support-vectors.span",
        paper=PAPER,
        reference=REFERENCE,
        statement=("The gradient-flow field of relu(w.x) is (1/n) sum over active i of "
                   "(y_i - w.x_i) x_i, so along any trajectory w(t) - w(0) lies in the span of "
                   "the inputs that are active at some time in [0, t] (the 'support vectors')."),
        hypotheses=(*_GF, "finitely many pattern changes on [0, t] (so the integral splits into "
                    "pattern intervals)"),
        structured={"model": "relu-neuron", "field": "(1/n) sum_i s_i (y_i - u_i) x_i",
                    "proof": "chain rule in u = w.x (every d); d = 1, 2, 3 expanded",
                    "example": "3-D, one never-active point"},
        expected=Verdict.PROVED,
        check=checks.check_span,
    ),
    Claim(
        id=f"{PAPER}.norm.identity",
        paper=PAPER,
        reference=REFERENCE,
        statement=("d/dt |w|^2/2 = (1/n) sum over active i of (y_i - u_i) u_i, u_i = w.x_i; in "
                   "particular |w| strictly increases while at least one point is active and "
                   "every active point is under-fit (0 < u_i < y_i)."),
        hypotheses=_GF,
        structured={"identity": "d/dt |w|^2/2 = (1/n) sum_i s_i (y_i - u_i) u_i",
                    "strict_growth": "A nonempty and 0 < u_i < y_i for i in A"},
        expected=Verdict.PROVED,
        check=checks.check_norm_identity,
    ),
    Claim(
        id=f"{PAPER}.norm.monotone-small-init",
        cost=0.4,
        paper=PAPER,
        reference=REFERENCE,
        statement=("Along three concrete flows from small initializations, |w(t)| is "
                   "nondecreasing on the whole trajectory t in [0, oo): S = {((1,0),1), "
                   "((0,1),1), ((1,-2),0)} from w0 = (1/1000, 1/4000) (the label-0 point is "
                   "active at w0 and deactivates); S = {((1,0,0),1), ((0,1,1),2), ((1,-1,0),0), "
                   "((-1,0,1),0)} from w0 = (3,1,2)/1000 (three certified switches); S = "
                   "{((2,1,0),1), ((-1,2,1),2), ((1,-1,1),0)} from w0 = (1,1,1)/1000."),
        hypotheses=(*_GF, "these instances (validated enclosure on [0, T], exact tail "
                    "argument for t >= T)"),
        structured={"instances": [
            {"x": [[1, 0], [0, 1], [1, -2]], "y": [1, 1, 0], "theta0": ["1/1000", "1/4000"]},
            {"x": [[1, 0, 0], [0, 1, 1], [1, -1, 0], [-1, 0, 1]], "y": [1, 2, 0, 0],
             "theta0": ["3/1000", "1/1000", "2/1000"]},
            {"x": [[2, 1, 0], [-1, 2, 1], [1, -1, 1]], "y": [1, 2, 0],
             "theta0": ["1/1000", "1/1000", "1/1000"]}],
            "property": "|w(t)| nondecreasing for all t >= 0"},
        expected=Verdict.PROVED,
        check=checks.check_norm_monotone_small_init,
    ),
    Claim(
        id=f"{PAPER}.norm.large-init-decreases",
        paper=PAPER,
        reference=REFERENCE,
        statement=("The small-initialization hypothesis matters: on the same S from w0 = (3, 3), "
                   "d/dt |w|^2/2 = -4 < 0 at t = 0, so |w| strictly decreases at first."),
        hypotheses=_GF,
        structured={"x": [[1, 0], [0, 1], [1, -2]], "y": [1, 1, 0], "theta0": ["3", "3"],
                    "rate_at_0": "-4"},
        expected=Verdict.PROVED,
        check=checks.check_norm_decreases_large_init,
    ),
    Claim(
        id=f"{PAPER}.convergence.d2",
        cost=1.0,
        paper=PAPER,
        reference=REFERENCE,
        statement=("Global convergence in d = 2 on family D2 (realizable positive labels "
                   "y_i = w*.x_i, inputs pairwise acute and within arccos(1/4) of w*, at least "
                   "two independent, small initialization with one active point): the flow "
                   "converges to w*, the unique zero-loss point."),
        hypotheses=(*_GF, "family D2 as documented in igproof.proof.single_neuron.convergence",
                    "evidence: float integration of Hypothesis examples (not a proof)"),
        structured={"family": "D2", "dim": 2, "n": [2, 4], "init_scale": "1e-3",
                    "tolerance": "|w(T) - w*| <= 1e-6 |w*|",
                    "examples": "30 (300 with IGPROOF_LONG=1)"},
        expected=Verdict.SUPPORTED,
        check=checks.check_global_convergence,
    ),
    Claim(
        id=f"{PAPER}.support-vectors.reactivation",
        cost=1.6,
        paper=PAPER,
        reference=REFERENCE,
        statement=("An input that has become inactive can become active again under gradient "
                   "flow, so 'support vectors' must mean inputs active at some time, not inputs "
                   "active from some time on: certified instances (i) realizable 2-D data "
                   "{((1/2,3/2),0), ((2,3/2),1), ((-1/2,-1),1), ((0,-2),4)} from w0 = (1/2,-1/2), "
                   "point 2 (label 1) switches off and on again; (ii) 2-D data "
                   "{((-1,3/2),2), ((3/2,2),0), ((-2,-1/2),3/2)} from w0 = (0,1/4), point 2 "
                   "(label 0) switches off and on again; (iii) realizable 3-D data "
                   "{((-3/2,1/2,0),0), ((-1,1,1/2),0), ((-3/2,1,1),1/4)} from w0 = (-3/4,0,0), "
                   "point 2 (label 0) switches off and on again."),
        hypotheses=(*_GF, "these instances (found by a float search, certified in ball "
                    "arithmetic: transversal crossings, interval-Newton switching times; each "
                    "re-checked by the independent checker as a gf-switches certificate, "
                    "certificates/lee2022-reactivation-*.json)"),
        structured={"instances": [
            {"x": [["1/2", "3/2"], [2, "3/2"], ["-1/2", -1], [0, -2]], "y": [0, 1, 1, 4],
             "theta0": ["1/2", "-1/2"], "point": 2},
            {"x": [[-1, "3/2"], ["3/2", 2], [-2, "-1/2"]], "y": [2, 0, "3/2"],
             "theta0": [0, "1/4"], "point": 2},
            {"x": [["-3/2", "1/2", 0], [-1, 1, "1/2"], ["-3/2", 1, 1]], "y": [0, 0, "1/4"],
             "theta0": ["-3/4", 0, 0], "point": 2}]},
        expected=Verdict.PROVED,
        check=checks.check_reactivation,
    ),
]
