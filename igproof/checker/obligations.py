"""The built-in obligation types (see docs/certificates.md for the mathematics of each).

start        theta0 lies in a box (T = 0): gives a start box for pl-endgame.
pl-endgame   Polyak-Lojasiewicz end-game on a domain D: the limit exists, lies in M_S, and lies
             in a ball around the start box's centre.
conserved    a quantity Q with grad Q . grad L_S = 0 identically on D: Q(limit) in Q(start box).
localize     a bisection cover of the end-game ball: every leaf is excluded (outside the ball,
             a residual certainly non-zero, or a conserved quantity certainly off its value) or
             inside the claimed limit ball.
contain      the claimed limit ball contains the end-game ball.
zero-set     an exact argument that a limit of one dataset lies in the zero-loss set of another.
disjoint     two limit balls are disjoint (so the limits differ).
ordering     sup of a norm over one limit ball <= its inf over another (or, for a user's G,
             sup G < inf G).
witness      an exact theta' in M_S with G(theta') < inf of G over the limit ball.
kkt          M_S is a manifold near the limit and grad G is certainly not in the span of the
             residual gradients there (Lagrange condition violated).
"""

from __future__ import annotations

from fractions import Fraction
from itertools import permutations

from igproof.checker import expr as ex
from igproof.checker import intervals as iv
from igproof.checker.context import Context, Dataset, Endgame, box, dist2, integer, number, vector
from igproof.checker.errors import Rejected

# Most leaves a bisection cover may have: bounds the work (each leaf costs a few interval
# evaluations of the model's residuals and gradients).
MAX_LEAVES = 4096
# Largest minor in a kkt obligation (Leibniz expansion has n! terms: 6! = 720).
MAX_MINOR = 6
# Largest gamma numerator/denominator text in scaled-label-zero is bounded by number().

Box = list[tuple[Fraction, Fraction]]


def leaves(cover: object, region: Box, where: str) -> list[Box]:
    """The leaves of a bisection tree over ``region``, written in preorder as tokens:
    ``L`` (a leaf) or an axis index k (bisect at the midpoint of axis k, then the lower half's
    tree, then the upper half's). The leaves cover ``region`` by construction."""
    if not isinstance(cover, str) or len(cover) > 16 * MAX_LEAVES:
        raise Rejected(f"{where}: expected a cover string of at most {16 * MAX_LEAVES} chars")
    tokens = cover.split()
    out: list[Box] = []
    stack = [region]
    pos = 0
    while stack:
        current = stack.pop()
        if pos >= len(tokens):
            raise Rejected(f"{where}: cover ends early")
        token = tokens[pos]
        pos += 1
        if token == "L":
            out.append(current)
            if len(out) > MAX_LEAVES:
                raise Rejected(f"{where}: more than {MAX_LEAVES} leaves")
            continue
        if not token.isdigit() or int(token) >= len(region):
            raise Rejected(f"{where}: bad cover token {token[:10]!r}")
        k = int(token)
        lo, hi = current[k]
        mid = (lo + hi) / 2
        lower = [*current[:k], (lo, mid), *current[k + 1:]]
        upper = [*current[:k], (mid, hi), *current[k + 1:]]
        stack.append(upper)
        stack.append(lower)
    if pos != len(tokens):
        raise Rejected(f"{where}: cover has {len(tokens) - pos} tokens after its last leaf")
    return out


def _live_rows(ds: Dataset, env: dict[str, iv.Interval]) -> list[int]:
    """Indices of points whose residual is not identically 0 on the box (exact [0, 0])."""
    return [i for i, r in enumerate(ds.residuals) if not ex.evaluate(r, env).is_zero()]


def sum_of_squares(residuals: list[tuple], env: dict[str, iv.Interval]) -> iv.Interval:
    """sum_i r_i^2 over the box ``env`` (2n L_S). Guarantee: enclosure."""
    total = iv.ZERO
    for r in residuals:
        total = total + ex.evaluate(r, env).sqr()
    return total


def certainly_positive_definite(a: list[list[iv.Interval]], shift: Fraction = Fraction(0)
                                ) -> bool:
    """Interval Cholesky: every pivot certainly > 0 => every symmetric matrix in
    ``a - shift I`` is PD."""
    n = len(a)
    low = [[iv.ZERO] * n for _ in range(n)]
    for j in range(n):
        pivot = a[j][j] - iv.Interval(shift) if shift else a[j][j]
        for k in range(j):
            pivot = pivot - low[j][k].sqr()
        if pivot.lo <= 0:
            return False
        low[j][j] = iv.sqrt(pivot)
        for i in range(j + 1, n):
            s = a[i][j]
            for k in range(j):
                s = s - low[i][k] * low[j][k]
            low[i][j] = s / low[j][j]
    return True


def _dist2_to_box(point: list[Fraction], b: Box) -> Fraction:
    """min over the box of |theta - point|^2, exactly."""
    total = Fraction(0)
    for c, (lo, hi) in zip(point, b, strict=True):
        d = lo - c if c < lo else c - hi if c > hi else Fraction(0)
        total += d * d
    return total


def _far2_to_box(point: list[Fraction], b: Box) -> Fraction:
    """max over the box of |theta - point|^2, exactly (the farthest corner)."""
    return sum((max(abs(lo - c), abs(hi - c)) ** 2 for c, (lo, hi) in zip(point, b, strict=True)),
               Fraction(0))


def check_start(ctx: Context, ob: dict) -> str:
    """theta(0) = theta0 lies in the box: exact comparisons."""
    ds = ctx.dataset(ob["dataset"], "dataset")
    b = box(ob["box"], ctx.p, "box")
    for k, (t, (lo, hi)) in enumerate(zip(ctx.theta0, b, strict=True)):
        if not lo <= t <= hi:
            raise Rejected(f"box[{k}]: theta0[{k}] = {t} is not in [{lo}, {hi}]")
    ctx.reach[ob["id"]] = (ds.name, b)
    return "theta0 lies in the start box (T = 0)"


def check_pl_endgame(ctx: Context, ob: dict) -> str:
    """On D: |grad L|^2 >= 2 mu L with mu = lambda/n, so the limit is within
    rad(B_T) + sqrt(2 sup_{B_T} L / mu) of B_T's centre, provided that ball lies in D.

    J J^T >= lambda I is required over the distinct live residuals s_j only (a repeated point
    makes J J^T singular). With multiplicities W = diag(m_j) >= I, grad L = J^T W s / n, so
    |grad L|^2 >= lambda |W s|^2 / n^2 >= lambda s^T W s / n^2 = 2 (lambda / n) L."""
    ds, start_box = ctx.start(ob)
    domain = box(ob["domain"], ctx.p, "domain")
    lam = number(ob["lambda"], "lambda")
    if lam <= 0:
        raise Rejected("lambda: must be positive")
    live = _live_rows(ds, ctx.env(domain))
    live = [i for i in live if ds.residuals[i] not in ds.residuals[:i]]
    cover = leaves(ob["cover"], domain, "cover")
    ctx.charge(len(cover), "cover")
    for n_leaf, leaf in enumerate(cover):
        env = ctx.env(leaf)
        try:
            jac = [[ex.evaluate(g, env) for g in ctx.gradient(ds, i)] for i in live]
        except Rejected as exc:
            raise Rejected(f"cover leaf {n_leaf}: {exc}") from None
        gram = [[sum((ra[k] * rb[k] for k in range(ctx.p)), iv.ZERO) for rb in jac]
                for ra in jac]
        if not certainly_positive_definite(gram, lam):
            raise Rejected(f"cover leaf {n_leaf}: J J^T - lambda I not certainly positive "
                           "definite")
    mu = lam / ds.n
    loss_sup = sum_of_squares(ds.residuals, ctx.env(start_box)).hi / (2 * ds.n)
    center = [(lo + hi) / 2 for lo, hi in start_box]
    half2 = sum((((hi - lo) / 2) ** 2 for lo, hi in start_box), Fraction(0))
    radius = iv.sqrt_upper(half2) + iv.sqrt_upper(2 * loss_sup / mu)
    for k, (c, (lo, hi)) in enumerate(zip(center, domain, strict=True)):
        if c - radius < lo or c + radius > hi:
            raise Rejected(f"domain[{k}]: the end-game ball (radius <= {float(radius):.6g}) "
                           "leaves the domain")
    ctx.endgame[ob["id"]] = Endgame(ds.name, center, radius, domain, start_box)
    return (f"PL with mu = {mu} on D ({len(live)} live rows); limit in M_{ds.name} within "
            f"{float(radius):.6g} of the start-box centre")


def check_conserved(ctx: Context, ob: dict) -> str:
    """grad Q . grad L_S is the zero polynomial on D (pattern fixed on D): Q(limit) = Q(theta_T)."""
    eg: Endgame = ctx.ref(ob["endgame"], ctx.endgame, "endgame")
    ds = ctx.datasets[eg.dataset]
    q = ctx.parse(ob["quantity"], "quantity")
    env = ctx.env(eg.domain)
    dq = [ex.fix_pattern(g, env) for g in ex.gradient(q, ctx.parameters)]
    total = ex.ZERO
    for i in _live_rows(ds, env):
        r = ex.fix_pattern(ds.residuals[i], env)
        for k, g in enumerate(ctx.gradient(ds, i)):
            total = ex.add(total, ex.mul(ex.mul(dq[k], r), ex.fix_pattern(g, env)))
    if ex.polynomial(total, ctx.parameters):
        raise Rejected("quantity: grad Q . grad L is not identically zero on the domain")
    value = ex.evaluate(q, ctx.env(eg.start_box))
    ctx.conserved[ob["id"]] = (ob["endgame"], q, value)
    return f"Q conserved on D; Q(limit) in [{float(value.lo):.6g}, {float(value.hi):.6g}]"


def check_localize(ctx: Context, ob: dict) -> str:
    """Every leaf of a cover of the end-game ball is excluded or inside the claimed ball."""
    lim = ctx.limit(ob["limit"], "limit")
    eg: Endgame = ctx.ref(ob["endgame"], ctx.endgame, "endgame")
    if eg.dataset != lim.dataset:
        raise Rejected(f"endgame: is for dataset {eg.dataset}, the limit for {lim.dataset}")
    if not isinstance(ob["conserved"], list) or len(ob["conserved"]) > ctx.p:
        raise Rejected("conserved: expected a list of conserved-obligation ids")
    quantities = []
    for k, ref in enumerate(ob["conserved"]):
        eg_id, q, value = ctx.ref(ref, ctx.conserved, f"conserved[{k}]")
        if eg_id != ob["endgame"]:
            raise Rejected(f"conserved[{k}]: belongs to another end-game")
        quantities.append((q, value))
    ds = ctx.datasets[lim.dataset]
    region = [(c - eg.radius, c + eg.radius) for c in eg.center]
    r2 = lim.radius ** 2
    inside = 0
    cover = leaves(ob["cover"], region, "cover")
    ctx.charge(len(cover), "cover")
    for n_leaf, leaf in enumerate(cover):
        if _dist2_to_box(eg.center, leaf) > eg.radius ** 2:
            continue
        env = ctx.env(leaf)
        if _excluded(ds, quantities, env):
            continue
        if _far2_to_box(lim.center, leaf) > r2:
            raise Rejected(f"cover leaf {n_leaf} is neither excluded nor inside the claimed "
                           f"ball of {lim.name}")
        inside += 1
    ctx.proved.add(lim.name)
    return f"limit {lim.name} localized: {inside} leaves remain, all inside the claimed ball"


def _excluded(ds, quantities, env) -> bool:
    try:
        for r in ds.residuals:
            value = ex.evaluate(r, env)
            if not value.contains_zero():
                return True
        for q, target in quantities:
            value = ex.evaluate(q, env)
            if value.hi < target.lo or value.lo > target.hi:
                return True
    except Rejected:
        return False  # undecided on this leaf: it must then lie in the claimed ball
    return False


def contain_endgame_ball(ctx: Context, ob: dict, endgames: dict, proved: set) -> str:
    """B(c, r) contains the end-game ball B(m, rho): r >= rho and |c - m|^2 <= (r - rho)^2.

    ``endgames`` is where the referenced end-game was recorded; the limit's name is added to
    ``proved`` and returned.
    """
    lim = ctx.limit(ob["limit"], "limit")
    eg: Endgame = ctx.ref(ob["endgame"], endgames, "endgame")
    if eg.dataset != lim.dataset:
        raise Rejected(f"endgame: is for dataset {eg.dataset}, the limit for {lim.dataset}")
    gap = lim.radius - eg.radius
    if gap < 0 or dist2(lim.center, eg.center) > gap * gap:
        raise Rejected(f"limit {lim.name}: claimed ball does not contain the end-game ball")
    proved.add(lim.name)
    return lim.name


def check_contain(ctx: Context, ob: dict) -> str:
    """The claimed ball contains the PL end-game ball (the limit lies in M_S)."""
    name = contain_endgame_ball(ctx, ob, ctx.endgame, ctx.proved)
    return f"claimed ball of {name} contains the end-game ball"


def input_degree(node: tuple, inputs: set[str]) -> int | None:
    """k with node(gamma x) = gamma^k node(x) for every gamma > 0, every theta and every x
    where node is defined, by STRUCTURE (None: not recognized).

    Rules: input-free -> 0; an input -> 1; a sum/difference of two nodes of the SAME degree k
    -> k; a product -> the sum of the degrees; -a -> deg a; a / b with b input-free -> deg a;
    a^n with n >= 0 -> n deg a; relu(a), abs(a) -> deg a (both positively homogeneous of
    degree 1 and gamma^k > 0). Everything else with an input in it (tanh, exp, sigmoid,
    softplus, log, sqrt of x; a division by x; a negative power of x) is not recognized.
    Where an accepted node is defined does not depend on x (only input-free subterms can be
    undefined), so the identity holds wherever either side is defined.
    """
    if not ex.free_names(node) & inputs:
        return 0
    tag = node[0]
    if tag == "var":
        return 1
    if tag in ("add", "sub"):
        a, b = input_degree(node[1], inputs), input_degree(node[2], inputs)
        return a if a is not None and a == b else None
    if tag == "mul":
        a, b = input_degree(node[1], inputs), input_degree(node[2], inputs)
        return None if a is None or b is None else a + b
    if tag == "neg":
        return input_degree(node[1], inputs)
    if tag == "div":
        return input_degree(node[1], inputs) if not ex.free_names(node[2]) & inputs else None
    if tag == "pow":
        a = input_degree(node[1], inputs)
        return None if a is None or node[2] < 0 else a * node[2]
    if tag == "call" and node[1] in ("relu", "abs"):
        return input_degree(node[2], inputs)
    return None


def zero_set_scale_invariant(node: tuple, inputs: set[str]) -> bool:
    """{theta : node(gamma x; theta) = 0} = {theta : node(x; theta) = 0} for every gamma > 0
    and every x, by STRUCTURE: node is

    - input-free, or positively homogeneous in x of some degree k (:func:`input_degree`:
      node(gamma x) = gamma^k node(x), gamma^k > 0), e.g. a sum of relu(l(x)) and l(x) terms
      such as the leaky relu s l + (1 - s) relu(l);
    - a product a b, a^n (n > 0), -a or a / c (c input-free) of such nodes (the zero set of a
      product is the union of its factors' zero sets);
    - tanh(a) or abs(a) with a such a node (tanh u = 0 and |u| = 0 exactly when u = 0);
    - exp(a), sigmoid(a), softplus(a) with a such a node (never zero; a is defined for gamma x
      exactly when it is for x).

    Nothing else is recognized (a sum of terms of different degrees such as relu(z) + tanh(z),
    a bias inside an activation, log or sqrt of an input): the caller rejects.
    """
    if input_degree(node, inputs) is not None:
        return True
    tag = node[0]
    if tag == "mul":
        return (zero_set_scale_invariant(node[1], inputs)
                and zero_set_scale_invariant(node[2], inputs))
    if tag == "neg":
        return zero_set_scale_invariant(node[1], inputs)
    if tag == "pow":
        return node[2] > 0 and zero_set_scale_invariant(node[1], inputs)
    if tag == "div":
        return (zero_set_scale_invariant(node[1], inputs)
                and not ex.free_names(node[2]) & inputs)
    if tag == "call" and node[1] in ("tanh", "abs", "exp", "sigmoid", "softplus"):
        return zero_set_scale_invariant(node[2], inputs)
    return False


def _scaled_copy(x: list[Fraction], y: Fraction, x1: list[Fraction], y1: Fraction,
                 k: int) -> bool:
    """(x, y) = (gamma x1, gamma^k y1) for some gamma > 0 (x1 != 0). Then, f being homogeneous
    of degree k in x, r(theta) = f(gamma x1) - gamma^k y1 = gamma^k r_1(theta): same zeros."""
    j = next((j for j, v in enumerate(x1) if v != 0), None)
    if j is None or len(x) != len(x1):
        return False
    gamma = x[j] / x1[j]
    return gamma > 0 and x == [gamma * v for v in x1] and y == gamma ** k * y1


def check_zero_set(ctx: Context, ob: dict) -> str:
    """theta*_limit lies in M_target, by an exact argument named in ``relation``."""
    lim = ctx.limit(ob["limit"], "limit")
    source = ctx.datasets[lim.dataset]
    target = ctx.dataset(ob["dataset"], "dataset")
    relation = ob["relation"]
    extra = {k for k in ("index", "gamma") if k in ob}
    if relation != "scaled-label-zero" and extra:
        raise Rejected(f"relation {relation}: unexpected fields {sorted(extra)}")
    if relation == "same-support":
        if source.points() != target.points():
            raise Rejected(f"relation: {source.name} and {target.name} have different points")
        why = "same set of distinct points, so M equal"
    elif relation == "subset":
        missing = target.points() - source.points()
        if missing:
            raise Rejected(f"relation: a point of {target.name} is not in {source.name}")
        why = (f"every point of {target.name} is in {source.name}, so M_{source.name} is "
               f"contained in M_{target.name}")
    elif relation == "zero-on-ball":
        env = ctx.env(lim.bounding_box())
        own = source.points()
        for i, (xi, yi) in enumerate(zip(target.x, target.y, strict=True)):
            if (tuple(xi), yi) in own:
                continue
            if yi != 0:
                raise Rejected(f"relation: point {i} of {target.name} is new and has label {yi}")
            out = ex.evaluate(target.residuals[i], env)
            if not out.is_zero():
                raise Rejected(f"relation: model output at point {i} of {target.name} is not "
                               f"certainly 0 on the ball of {lim.name}")
        why = f"new points of {target.name} have label 0 and output exactly 0 on the ball"
    elif relation == "scaled-points":
        k = input_degree(ctx.output, set(ctx.inputs))
        if k is None:
            raise Rejected("relation: the model output is not certified positively homogeneous "
                           "in x")
        own = source.points()
        for i, (xi, yi) in enumerate(zip(target.x, target.y, strict=True)):
            if not any(_scaled_copy(list(xi), yi, list(x1), y1, k) for x1, y1 in own):
                raise Rejected(f"relation: point {i} of {target.name} is not (gamma x, "
                               f"gamma^{k} y) of a point of {source.name} with gamma > 0")
        why = (f"every point of {target.name} is (gamma x, gamma^{k} y) of a point of "
               f"{source.name}, gamma > 0, f homogeneous of degree {k} in x, so "
               f"M_{source.name} is contained in M_{target.name}")
    elif relation == "scaled-label-zero":
        if "index" not in ob or "gamma" not in ob:
            raise Rejected("relation scaled-label-zero: needs 'index' and 'gamma'")
        i = integer(ob["index"], "index", 0, source.n - 1)
        gamma = number(ob["gamma"], "gamma")
        if gamma <= 0:
            raise Rejected("gamma: must be positive")
        if target.n != source.n:
            raise Rejected("relation: datasets differ in size")
        for k in range(source.n):
            if k != i and (source.x[k] != target.x[k] or source.y[k] != target.y[k]):
                raise Rejected(f"relation: point {k} differs between the datasets")
        if source.y[i] != 0 or target.y[i] != 0:
            raise Rejected(f"relation: point {i} must have label 0 in both datasets")
        if target.x[i] != [gamma * v for v in source.x[i]]:
            raise Rejected(f"relation: x[{i}] of {target.name} is not gamma times that of "
                           f"{source.name}")
        if not zero_set_scale_invariant(ctx.output, set(ctx.inputs)):
            raise Rejected("relation: the model's zero set is not certified scale-invariant")
        why = "a label-0 point scaled by gamma > 0: M equal"
    else:
        raise Rejected(f"relation: unknown relation {str(relation)[:40]!r}")
    ctx.in_zero_set.add((lim.name, target.name))
    return f"{lim.name} in M_{target.name}: {why}"


def check_disjoint(ctx: Context, ob: dict) -> str:
    """|c1 - c2|^2 > (r1 + r2)^2, exactly."""
    pair = ob["limits"]
    if not isinstance(pair, list) or len(pair) != 2:
        raise Rejected("limits: expected two limit names")
    a, b = (ctx.limit(v, f"limits[{k}]") for k, v in enumerate(pair))
    if a.name == b.name:
        raise Rejected("limits: a ball is not disjoint from itself")
    if not dist2(a.center, b.center) > (a.radius + b.radius) ** 2:
        raise Rejected(f"limits: balls of {a.name} and {b.name} intersect")
    ctx.disjoint.add(frozenset((a.name, b.name)))
    return f"balls of {a.name} and {b.name} are disjoint"


# The classes of the ``ordering`` obligation: the three norms, and "expression" (a user's G,
# written in the obligation's field "G" and in the statement's claim).
ORDERING_CLASSES = ("norm", "distance-to-theta0", "l1-norm", "expression")


def ordering_key(cls: str, g_text: object) -> str:
    """The fact key of an ordering: the class, or for ``expression`` the class and G's text
    (so a statement about one G cannot use an ordering certified for another)."""
    return f"expression {g_text}" if cls == "expression" else cls


def check_ordering(ctx: Context, ob: dict) -> str:
    """sup_{ball(below)} N <= inf_{ball(above)} N, exactly on the balls' rational data; for a
    user's G (class ``expression``) sup G < inf G, strictly, by interval arithmetic.

    N = |theta - o|_2, o = 0 or theta0: sqrt_up(|c_b - o|^2) + r_b <= sqrt_low(|c_a - o|^2) - r_a.
    N = |theta|_1: on B(c, r) in R^p, | |theta|_1 - |c|_1 | <= sqrt(p) r, so it suffices that
    |c_b|_1 + sqrt_up(p) (r_b + r_a) <= |c_a|_1.
    G (field ``G``, an expression in the parameters, parsed by the checker's own parser): the
    enclosure of G over the bounding box of ball(below) lies strictly below its enclosure over
    the bounding box of ball(above) (each box contains its ball, so G(theta_b) < G(theta_a)).
    """
    cls = ob["class"]
    if cls not in ORDERING_CLASSES:
        raise Rejected(f"class: unknown class {str(cls)[:40]!r}")
    if (cls == "expression") != ("G" in ob):
        raise Rejected("G: required with class 'expression' and only with it")
    below = ctx.limit(ob["below"], "below")
    above = ctx.limit(ob["above"], "above")
    if cls == "expression":
        g = ctx.parse(ob["G"], "G")
        g_below = ex.evaluate(g, ctx.env(below.bounding_box()))
        g_above = ex.evaluate(g, ctx.env(above.bounding_box()))
        if not g_below.hi < g_above.lo:
            raise Rejected(f"G: sup over ball {below.name} <= {float(g_below.hi):.6g} is not "
                           f"certainly below inf over ball {above.name} >= "
                           f"{float(g_above.lo):.6g}")
        ctx.ordering.add((ordering_key(cls, ob["G"]), below.name, above.name))
        return (f"G = {ob['G']}: sup over {below.name} <= {float(g_below.hi):.6g} < "
                f"{float(g_above.lo):.6g} <= inf over {above.name}")
    if cls == "l1-norm":
        lb = sum((abs(c) for c in below.center), Fraction(0))
        la = sum((abs(c) for c in above.center), Fraction(0))
        holds = lb + iv.sqrt_upper(Fraction(ctx.p)) * (below.radius + above.radius) <= la
    else:
        origin = [Fraction(0)] * ctx.p if cls == "norm" else ctx.theta0
        holds = (iv.sqrt_upper(dist2(below.center, origin)) + below.radius
                 <= iv.sqrt_lower(dist2(above.center, origin)) - above.radius)
    if not holds:
        raise Rejected(f"class {cls}: sup over ball {below.name} not <= inf over ball "
                       f"{above.name}")
    ctx.ordering.add((cls, below.name, above.name))
    return f"{cls}: sup over {below.name} <= inf over {above.name}"


def _g(ctx: Context) -> tuple:
    claim = ctx.statement["claim"]
    if ctx.kind != "not-characterized-by" or not isinstance(claim, dict) or "G" not in claim:
        raise Rejected("this obligation needs a not-characterized-by statement with G")
    return ctx.parse(claim["G"], "statement.claim.G")


def check_witness(ctx: Context, ob: dict) -> str:
    """theta' in M_S exactly and G(theta') < inf_{limit ball} G (interval arithmetic)."""
    g = _g(ctx)
    lim = ctx.limit(ob["limit"], "limit")
    theta = vector(ob["theta"], ctx.p, "theta")
    point = dict(zip(ctx.parameters, theta, strict=True))
    ds = ctx.datasets[lim.dataset]
    for i, r in enumerate(ds.residuals):
        if ex.evaluate_exact(r, point) != 0:
            raise Rejected(f"theta: residual {i} of {ds.name} is not exactly 0")
    g_witness = ex.evaluate(g, ctx.env([(t, t) for t in theta]))
    g_ball = ex.evaluate(g, ctx.env(lim.bounding_box()))
    if not g_witness.hi < g_ball.lo:
        raise Rejected(f"theta: G(theta') <= {float(g_witness.hi):.6g} is not certainly below "
                       f"inf G on the ball >= {float(g_ball.lo):.6g}")
    ctx.not_minimizer.add(lim.name)
    return f"theta' in M_{ds.name} exactly with G(theta') < G on the ball of {lim.name}"


def _determinant(m: list[list[iv.Interval]]) -> iv.Interval:
    """Leibniz formula, in interval arithmetic."""
    n = len(m)
    total = iv.Interval.point(Fraction(0))
    for perm in permutations(range(n)):
        inversions = sum(1 for a in range(n) for b in range(a + 1, n) if perm[a] > perm[b])
        term = iv.Interval.point(Fraction(-1 if inversions % 2 else 1))
        for row, col in enumerate(perm):
            term = term * m[row][col]
        total = total + term
    return total


def check_kkt(ctx: Context, ob: dict) -> str:
    """On the box of half-width 2r around c (a neighbourhood of the limit ball): the live
    residual gradients and grad G, restricted to ``columns``, form a square matrix with
    determinant certainly != 0. Then M_S is a manifold there and grad G is not in the span of
    the residual gradients, so the limit is not a local minimizer of G on M_S."""
    g = _g(ctx)
    lim = ctx.limit(ob["limit"], "limit")
    ds = ctx.datasets[lim.dataset]
    cols = ob["columns"]
    if (not isinstance(cols, list) or not 1 <= len(cols) <= MAX_MINOR
            or len(set(map(repr, cols))) != len(cols)):
        raise Rejected(f"columns: expected 1 to {MAX_MINOR} distinct parameter indices")
    cols = [integer(c, f"columns[{k}]", 0, ctx.p - 1) for k, c in enumerate(cols)]
    env = ctx.env(lim.bounding_box(2))
    live = _live_rows(ds, env)
    if len(live) + 1 != len(cols):
        raise Rejected(f"columns: {len(live)} live residuals + grad G need {len(live) + 1} "
                       f"columns, got {len(cols)}")
    rows = [ctx.gradient(ds, i) for i in live] + [ex.gradient(g, ctx.parameters)]
    matrix = [[ex.evaluate(row[c], env) for c in cols] for row in rows]
    det = _determinant(matrix)
    if det.contains_zero():
        raise Rejected(f"columns: minor determinant in [{float(det.lo):.6g}, "
                       f"{float(det.hi):.6g}] is not certainly non-zero")
    ctx.not_minimizer.add(lim.name)
    return f"Lagrange condition fails on a neighbourhood of the ball of {lim.name}"
