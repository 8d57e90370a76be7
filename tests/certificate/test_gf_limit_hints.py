"""gf-limit certificates the checker accepts (issue 14, producer side): compact Taylor hints,
affine intervals and brackets the checker's range enclosure decides, Picard boxes fitted to the
checker's uncancelled field, a flow that starts inside the end-game, and repeated points."""

import json
import math
import os
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy
from flint import arb
from hypothesis import given, settings
from hypothesis import strategies as st

from igproof.certificate import gf_limit, picard
from igproof.certificate.common import Interval, expr, joint_field, recheck
from igproof.certificate.gf_limit import (
    _shrunk_bracket,
    limit_certificate,
    simplest_between,
)
from igproof.certificate.overlap import ProverOptions, overlap_pair
from igproof.certificate.writer import dumps_certificate
from igproof.proof.limits.endgame import PLEndgame, pl_endgame
from igproof.proof.limits.limit import ProvedLimit, prove_flow_limit
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.flow import gradient_flow
from igproof.symbolic.models import build_model
from igproof.verdict import Verdict

LONG = os.environ.get("IGPROOF_LONG") == "1"
EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "overlap")


def _example(name, dataset):
    with open(os.path.join(EXAMPLES, name, f"{dataset}.json")) as fh:
        raw = json.load(fh)
    return Dataset(raw["x"], raw["y"])


def _init(name):
    with open(os.path.join(EXAMPLES, name, "init.json")) as fh:
        return [Fraction(v) for v in json.load(fh)["init"]]


# -- simplest rationals ----------------------------------------------------------------------

def _brute_simplest(lo, hi):
    """The least q with an integer p in [lo q, hi q] (then the p of least |p|), by search."""
    q = 1
    while True:
        first, last = math.ceil(lo * q), math.floor(hi * q)
        if first <= last:
            p = 0 if first <= 0 <= last else (first if first > 0 else last)
            return Fraction(p, q)
        q += 1


@settings(max_examples=200, deadline=None)
@given(st.fractions(min_value=-50, max_value=50, max_denominator=10 ** 6),
       st.fractions(min_value=0, max_value=Fraction(1, 3), max_denominator=10 ** 6))
def test_simplest_between_is_the_least_denominator(lo, width):
    """simplest_between(lo, hi) lies in [lo, hi] and no rational of smaller denominator does
    (an independent search over denominators)."""
    hi = lo + width
    q = simplest_between(lo, hi)
    assert lo <= q <= hi
    assert q == _brute_simplest(lo, hi)


def test_outward_contains_and_near():
    """Compact Picard ends: [lo', hi'] contains [lo, hi], each end moved by at most 2^-8 of the
    width, and the text is shorter than the dyadic input's."""
    lo = Fraction(2625723045808287, 2251799813685248)
    hi = Fraction(2647906695317663, 2251799813685248)
    a, b = gf_limit._outward(lo, hi)
    d = (hi - lo) / 2 ** gf_limit.PICARD_GRID_BITS
    assert lo - d <= a <= lo and hi <= b <= hi + d
    assert len(str(a)) + len(str(b)) < (len(str(lo)) + len(str(hi))) // 2


# -- item 1: compact hints --------------------------------------------------------------------

def test_vardi_limit_certificate_is_compact_and_accepted():
    """The vardi2021 S1 limit (6 parameters, a Taylor crossing): the checker accepts the compact
    certificate; its Picard ends and A entries are short (before: full-precision dyadic hints of
    ~2^55 denominators, 150 KB flat text; the compact text is under half of it)."""
    model = build_model("two-layer", dim=2, width=2)
    flow = gradient_flow(model, _example("vardi2021-two-layer", "S1"))
    result = prove_flow_limit(flow, _init("vardi2021-two-layer"), prec=53, order=16,
                              sensitivity_order=6, loss_target=Fraction(1, 10 ** 8))
    assert isinstance(result, ProvedLimit)
    cert = limit_certificate(result, flow)
    assert recheck(cert).accepted
    steps = [s for ob in cert["obligations"] for seg in ob.get("segments", ())
             for s in seg.get("steps", ())]
    assert steps
    numbers = [q for s in steps for pair in s["picard"] for q in pair]
    numbers += [q for s in steps for row in s["A"] for q in row]
    assert sum(len(str(q)) for q in numbers) / len(numbers) < 12  # full hints: ~35 characters
    assert len(dumps_certificate(cert)) < 75_000


def _branch_limit(c0, ys, scale):
    """The point of the leaky relu neuron's finite limit set F with a of sign ``scale`` > 0
    (identity side: w . x_i = y_i / a) or slope s (slope side, a < 0: w . x_i = y_i / (s a)),
    for orthonormal x_i: a^2 - |w|^2 = c0 (conservation) with |w|^2 = K / a^2, K = sum y_i^2 /
    scale^2, so a^2 = (c0 + sqrt(c0^2 + 4 K)) / 2. Closed form, not the prover."""
    scale = Fraction(scale)
    with mpmath.workdps(60):
        s = mpmath.mpf(scale.numerator) / scale.denominator  # mpmath 1.3: no mpf(Fraction)
        k = sum(mpmath.mpf(y) ** 2 for y in ys) / s ** 2
        a = mpmath.sqrt((c0 + mpmath.sqrt(c0 ** 2 + 4 * k)) / 2)
        a = a if scale == 1 else -a
        return (a, *(mpmath.mpf(y) / (s * a) for y in ys))


def test_leaky_relu_neuron_branch_switch_overlap_is_proved():
    """examples/overlap/leaky-relu-neuron: S1 = [(1,0) -> 1; (0,1) -> 50], S2 repeats (1,0),
    theta0 = (1/100, 1, -3). At a ~ 0, n da/dt ~ sum m_i y_i sigma(w . x_i) = 1 - 3/2 < 0 on S1
    and 2 - 3/2 > 0 on S2: the flows end on the two branches of M_S (a < 0, both points on the
    slope side; a > 0, both on the identity side). PROVED and accepted; each ball contains the
    closed-form point of its branch (conservation + zero loss, _branch_limit)."""
    model = build_model("neuron", dim=2, activation="leaky-relu")
    name = "leaky-relu-neuron"
    outcome = overlap_pair(model, _example(name, "S1"), _example(name, "S2"), _init(name),
                           options=ProverOptions(prec=53, order=16, sensitivity_order=4,
                                                 loss_target=Fraction(1, 10 ** 12)))
    assert outcome.verdict is Verdict.PROVED
    assert recheck(outcome.certificate).accepted
    c0 = mpmath.mpf(1) / 10000 - 1 - 9  # a0^2 - |w0|^2
    expected = (_branch_limit(c0, (1, 50), Fraction(1, 100)), _branch_limit(c0, (1, 50), 1))
    limits = outcome.certificate["statement"]["limits"]
    for name, point in zip(("L1", "L2"), expected, strict=True):
        centre = [Fraction(c) for c in limits[name]["center"]]
        r = Fraction(limits[name]["radius"])
        with mpmath.workdps(60):
            dist = mpmath.sqrt(sum((mpmath.mpf(c.numerator) / c.denominator - p) ** 2
                                   for c, p in zip(centre, point, strict=True)))
            assert dist <= mpmath.mpf(r.numerator) / r.denominator


@pytest.mark.skipif(not LONG, reason="~60 s (two 6-parameter Taylor flows); IGPROOF_LONG=1")
def test_leaky_relu_overlap_under_one_megabyte():
    """examples/overlap/leaky-relu: the two-point certificate is accepted and under 1 MB (it was
    1.45 MB with full-precision hints, 2.6 MB before the flat layout)."""
    model = build_model("two-layer", dim=2, width=2, activation="leaky-relu")
    outcome = overlap_pair(model, _example("leaky-relu", "S1"), _example("leaky-relu", "S2"),
                           _init("leaky-relu"),
                           options=ProverOptions(prec=53, order=16, sensitivity_order=6,
                                                 loss_target=Fraction(1, 10 ** 13)))
    assert outcome.verdict is Verdict.PROVED
    assert len(dumps_certificate(outcome.certificate).encode()) < 1_000_000


def test_repeated_point_overlap_is_proved():
    """examples/overlap/tanh-repeated: S2 repeats (1,1) three times; the pair is PROVED and the
    checker accepts the end-game over the distinct rows."""
    model = build_model("neuron", dim=2, activation="tanh")
    outcome = overlap_pair(model, _example("tanh-repeated", "S1"), _example("tanh-repeated", "S2"),
                           _init("tanh-repeated"),
                           options=ProverOptions(prec=53, order=16, sensitivity_order=6,
                                                 loss_target=Fraction(1, 10 ** 12),
                                                 t_max=1000))
    assert outcome.verdict is Verdict.PROVED
    assert recheck(outcome.certificate).accepted


@pytest.mark.skipif(not LONG, reason="~60 s (two 6-parameter Taylor flows); IGPROOF_LONG=1")
def test_scaled_labelled_point_two_layer_overlap_is_proved():
    """examples/overlap/two-layer-scaled-labelled: S2 has (3,0) -> 3 for S1's (1,0) -> 1; the
    relation is the checker's ``scaled-points`` both ways and the pair is PROVED."""
    model = build_model("two-layer", dim=2, width=2)
    name = "two-layer-scaled-labelled"
    outcome = overlap_pair(model, _example(name, "S1"), _example(name, "S2"), _init(name))
    assert outcome.verdict is Verdict.PROVED
    relations = {ob["relation"] for ob in outcome.certificate["obligations"]
                 if ob["type"] == "zero-set"}
    assert relations == {"scaled-points"}
    assert recheck(outcome.certificate).accepted


# -- item 2: affine intervals the checker's range enclosure decides -----------------------------

RELU3 = Dataset([[0, 1, -1], [0, 0, -4]], [Fraction(1, 2), 0])


def test_relu_neuron_fast_label0_pull_is_certified():
    """relu(w.x) in d = 3, S2 = {((0,1,-1), 1/2), ((0,0,-4), 0)}, theta0 = (0,1,-1): the prover's
    affine intervals (arb's exp(M [0, dt]), ||M|| dt ~ 1) are too long for the checker's range
    enclosure ("relu atom 1 does not keep sign"); the certificate now cuts them and is accepted.
    The atom is truly positive there: z = -4 w3 with w3 from the exact exponential."""
    flow = gradient_flow(build_model("relu-neuron", dim=3), RELU3)
    result = prove_flow_limit(flow, [0, 1, -1])
    assert isinstance(result, ProvedLimit)
    cert = limit_certificate(result, flow)
    assert recheck(cert).accepted
    # independent route: the both-active field is affine, w3(t) from mpmath's expm is < 0
    M = mpmath.matrix([[-0.5, 0.5, 0.25], [0.5, -8.5, -0.25], [0, 0, 0]])
    for t in (0.109375, 0.2, 0.234375):
        w3 = (mpmath.expm(M * t) * mpmath.matrix([1, -1, 1]))[1]
        assert w3 < 0  # z = -4 w3 > 0: the prover's sign claim holds


def test_relu_neuron_overlap_with_short_bracket_is_proved():
    """S1 with the label-0 point scaled by 2 ((0,0,-8)): the switching bracket too needs the
    checker's range enclosure over a shorter time; PROVED (was INCONCLUSIVE: "dz/dt of atom 1
    is not certainly of sign -1 on the bracket")."""
    s1 = Dataset([[0, 1, -1], [0, 0, -8]], [Fraction(1, 2), 0])
    outcome = overlap_pair(build_model("relu-neuron", dim=3), s1, RELU3, [0, 1, -1])
    assert outcome.verdict is Verdict.PROVED


@pytest.mark.parametrize("split", [1, 4, 16])
def test_shrunk_bracket_is_contiguous_and_holds_the_switch(split):
    a, b = Fraction(25, 64), Fraction(29, 64)
    t1, t2 = Fraction(4506, 10000), Fraction(4507, 10000)
    gap, (a2, b2) = _shrunk_bracket(a, b, t1, t2, split)
    ends = [a] + [hi for _, hi in gap]
    assert all(lo == prev for (lo, _), prev in zip(gap, ends, strict=False))
    assert ends[-1] == a2 and a <= a2 <= t1 <= t2 <= b2 <= b
    if split > 1:
        assert b2 - a2 <= (b - a) / split and t1 - a2 >= (b - a) / (4 * split)


# -- item 3: Picard boxes fitted to the checker's field ----------------------------------------

def test_uncancelled_field_needs_a_fitted_box():
    """F_u = (r0 - r1)/2 with r0 = c - u - 1, r1 = c + u - 2 is -u + 1/2 after cancelling, but
    the checker's interval image keeps c - c: a box fitted to the cancelled field is not a
    Picard box for the checker's (tree evaluation, expr.evaluate), the fitted one is."""
    params = ["u", "c"]
    residuals = [expr.parse("c - u - 1", set(params)), expr.parse("c + u - 2", set(params))]
    joint = joint_field(expr.loss_gradient(residuals, params, Fraction(-1, 2)), params)
    names = params + [f"_V{k}" for k in range(4)]
    h = Fraction(3, 10)
    start = [Fraction(1, 4), Fraction(0)]
    # prover-style box: x + [0, 3h] F(x) for the cancelled F_u = 1/2 - u, F_c = 3/2 - c
    F_u, F_c = Fraction(1, 2) - start[0], Fraction(3, 2) - start[1]
    tight = [[min(x, x + 3 * h * f), max(x, x + 3 * h * f)]
             for x, f in zip(start, (F_u, F_c), strict=True)]
    tight += [[Fraction(1) - 2 * h, Fraction(1)] if i == j else [-h, h]
              for i in range(2) for j in range(2)]

    def picard_ok(box):
        env = {n: Interval(lo, hi) for n, (lo, hi) in zip(names, box, strict=True)}
        y0 = [Interval.point(x) for x in start] + [Interval.point(1 if i == j else 0)
                                                   for i in range(2) for j in range(2)]
        T = Interval(Fraction(0), h)
        return all((y + T * expr.evaluate(g, env)).inside(Interval(lo, hi))
                   for y, g, (lo, hi) in zip(y0, joint, box, strict=True))

    assert not picard_ok(tight)
    fitted = picard.fit_trial(picard.checker_field(params, residuals, []),
                              [arb(x.numerator) / x.denominator for x in start], tight, h,
                              gf_limit._outward)
    assert picard_ok(fitted)


def test_bias_skip_both_signs_certificate_accepted():
    """two-layer --bias --skip, x = (-1, 1), y = (1, 2), theta0 = (1, 1, -1/2, 1/4, 0): the
    checker re-derives F_u1 with c - c uncancelled and rejected step 0 of the prover's boxes;
    the fitted (and, where none fits, cut) steps are accepted."""
    model = build_model("two-layer", dim=1, width=1, bias=True, skip=True)
    flow = gradient_flow(model, Dataset([[-1], [1]], [1, 2]))
    result = prove_flow_limit(flow, [1, 1, Fraction(-1, 2), Fraction(1, 4), 0], prec=64)
    assert isinstance(result, ProvedLimit)
    cert = limit_certificate(result, flow)
    assert recheck(cert).accepted
    steps = [s for ob in cert["obligations"] for seg in ob.get("segments", ())
             for s in seg.get("steps", ())]
    assert len(steps) >= sum(len(seg.steps) for seg in result.segments)


def test_fitted_steps_are_chunked_by_what_is_written(monkeypatch):
    """The same flow with the checker's step limit patched to 100: fitting cuts some of the
    first 100 prover steps in two (107 written steps), so chunks are cut by the written steps
    (100, then the rest from the claimed box): accepted; before, the producer gave up ("107
    steps after fitting")."""
    model = build_model("two-layer", dim=1, width=1, bias=True, skip=True)
    flow = gradient_flow(model, Dataset([[-1], [1]], [1, 2]))
    result = prove_flow_limit(flow, [1, 1, Fraction(-1, 2), Fraction(1, 4), 0], prec=64)
    assert isinstance(result, ProvedLimit)
    monkeypatch.setattr(gf_limit, "MAX_INTERVALS", 100)
    cert = limit_certificate(result, flow)
    chain = [[len(seg["steps"]) for seg in ob["segments"]] for ob in cert["obligations"]
             if ob["type"] == "trajectory"]
    assert len(chain) == 2 and all(n <= 100 for segs in chain for n in segs)
    assert sum(n for segs in chain for n in segs) > sum(len(s.steps) for s in result.segments)
    assert recheck(cert).accepted


def test_chunks_are_the_fewest_within_the_limit():
    assert gf_limit._chunks([1] * 5, 2) == [(0, 2), (2, 4), (4, 5)]
    assert gf_limit._chunks([2, 2, 1, 4], 4) == [(0, 2), (2, 3), (3, 4)]
    assert gf_limit._chunks([], 3) == [(0, 0)]


# -- a flow that starts where the end-game already holds; item 4: repeated points -------------

def _near_zero_theta0():
    """A rational point within ~1e-30 of a zero of a tanh(w.x) on {((1,0),1/2), ((1,1),1/4)}:
    a = 3/4, tanh(w1) = 2/3, tanh(w1 + w2) = 1/3."""
    with mpmath.workdps(40):
        w1 = mpmath.atanh(mpmath.mpf(2) / 3)
        w2 = mpmath.atanh(mpmath.mpf(1) / 3) - w1
        return [Fraction(3, 4), Fraction(mpmath.nstr(w1, 35)), Fraction(mpmath.nstr(w2, 35))]


TANH = build_model("neuron", dim=2, activation="tanh")


def _ball(q):
    return arb(q.numerator) / q.denominator + arb(0, 2.0 ** -60)

ONCE = Dataset([[1, 0], [1, 1]], [Fraction(1, 2), Fraction(1, 4)])
REPEATED = Dataset([[1, 0], [1, 1], [1, 1], [1, 1]],
                   [Fraction(1, 2), Fraction(1, 4), Fraction(1, 4), Fraction(1, 4)])


def test_flow_starting_inside_the_endgame_is_certified():
    """theta0 already below the loss target: no Taylor step; the certificate has no trajectory
    obligation (it had one with an empty step list, which the checker rejects)."""
    flow = gradient_flow(TANH, ONCE)
    result = prove_flow_limit(flow, _near_zero_theta0())
    assert isinstance(result, ProvedLimit)
    cert = limit_certificate(result, flow)
    assert recheck(cert).accepted
    assert [o["type"] for o in cert["obligations"]] == ["start", "pl-endgame", "contain"]


def _mpf(q):
    """A Fraction as an mpf at the working precision (mpmath 1.3 takes no Fraction)."""
    return mpmath.mpf(q.numerator) / q.denominator


def test_pl_endgame_over_distinct_rows_of_a_repeated_point():
    """S with (1,1) three times: J J^T over all rows is singular (the end-game failed); over the
    distinct rows it is the Gram matrix of the dataset with the point once, so lambda is the
    same, and |grad L|^2 >= 2 mu L holds at sampled points of D with mu = lambda / 4 (floats,
    from the loss itself: an independent route)."""
    box_T = [_ball(q) for q in _near_zero_theta0()]
    params = list(TANH.parameters)
    res_r = [TANH.expression.subs(dict(zip(TANH.inputs, x, strict=True))) - y
             for x, y in REPEATED]
    res_1 = [TANH.expression.subs(dict(zip(TANH.inputs, x, strict=True))) - y for x, y in ONCE]
    eg_r = pl_endgame(params, res_r, 4, box_T)
    eg_1 = pl_endgame(params, res_1, 2, box_T)
    assert isinstance(eg_r, PLEndgame) and isinstance(eg_1, PLEndgame)
    assert eg_r.lam == eg_1.lam and eg_r.mu == eg_r.lam / 4
    loss = sum((r ** 2 for r in res_r), sympy.Integer(0)) / 8
    f_loss = sympy.lambdify(params, loss, "mpmath")
    f_grad = sympy.lambdify(params, [sympy.diff(loss, p) for p in params], "mpmath")
    rng = np.random.default_rng(0)
    with mpmath.workdps(50):
        for _ in range(20):
            point = [_mpf(lo) + (_mpf(hi) - _mpf(lo)) * float(u)
                     for (lo, hi), u in zip(eg_r.box_D, rng.random(3), strict=True)]
            g2 = sum(g ** 2 for g in f_grad(*point))
            assert g2 >= 2 * mpmath.mpf(eg_r.mu.numerator) / eg_r.mu.denominator \
                * f_loss(*point) * (1 - mpmath.mpf(10) ** -20)


def _repeated_certificate():
    flow = gradient_flow(TANH, REPEATED)
    result = prove_flow_limit(flow, _near_zero_theta0())
    assert isinstance(result, ProvedLimit)
    return limit_certificate(result, flow)


def _pl_obligation(cert):
    return next(o for o in cert["obligations"] if o["type"] == "pl-endgame")


def _pl_rejection(report):
    """The checker's reason for rejecting the pl-endgame obligation ('' when it was accepted)."""
    entry = next(o for o in report.obligations if o["type"] == "pl-endgame")
    return "" if entry["status"] == "accepted" else entry["reason"]


def test_repeated_point_certificate_accepted():
    """The PL end-game on the repeated dataset (lambda over distinct rows, mu = lambda / n) is
    certified and the checker, which merges identical residuals too, accepts it."""
    assert recheck(_repeated_certificate()).accepted


def test_repeated_point_lambda_too_large_rejected():
    """The checker's bound is not vacuous on merged rows: 4 lambda is refused."""
    cert = _repeated_certificate()
    ob = _pl_obligation(cert)
    ob["lambda"] = str(Fraction(ob["lambda"]) * 4)
    report = recheck(cert)
    assert not report.accepted and "positive definite" in _pl_rejection(report)


def test_same_input_different_labels_keeps_both_rows():
    """(1,1) with labels 1/4 and 1/3: the two residuals differ (by a constant), so both rows stay,
    J J^T has two equal rows and is singular: the checker refuses the producer's lambda."""
    cert = _repeated_certificate()
    cert["datasets"]["S"]["y"][2] = Fraction(1, 3)
    report = recheck(cert)
    assert not report.accepted and "positive definite" in _pl_rejection(report)


def test_repeated_point_endgame_failed_before():
    """The singular Gram matrix over all rows (what the end-game computed before): the smallest
    eigenvalue of J J^T over the 4 rows is ~0, so no PL constant can come from it."""
    theta = [float(q) for q in _near_zero_theta0()]
    params = list(TANH.parameters)
    rows = [TANH.expression.subs(dict(zip(TANH.inputs, x, strict=True))) - y
            for x, y in REPEATED]
    J = sympy.Matrix(rows).jacobian(params)
    values = J.subs(dict(zip(params, theta, strict=True)))
    Jf = np.array([[float(values[i, j]) for j in range(3)] for i in range(4)])
    assert abs(np.linalg.eigvalsh(Jf @ Jf.T)[0]) < 1e-12
    assert isinstance(pl_endgame(params, rows, 4, [_ball(q) for q in _near_zero_theta0()]),
                      PLEndgame)
