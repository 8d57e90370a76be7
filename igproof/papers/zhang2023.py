"""Zhang, Xu, Luo, Zhang: data-dependence of implicit regularization (arXiv:2201.12198).

Definitions: docs/implicit_regularization.md (igproof's formalization of the Two-point and
One-point Overlapping mechanisms, strong and weak forms). The overlap instances are built,
proved and certified in :mod:`igproof.certificate.overlap_instances`; a claim is PROVED
only when the independent checker accepts its certificate.
"""

from __future__ import annotations

from igproof.certificate import overlap_instances
from igproof.papers.claims import Claim
from igproof.proof.overlap.characterization import conserved_level_set_characterizes
from igproof.verdict import Verdict

PAPER = "zhang2023"
REFERENCE = ("L. Zhang, Z.-Q. J. Xu, T. Luo, Y. Zhang, Limitation of characterizing implicit "
             "regularization by data-independent functions, arXiv:2201.12198 (TMLR 2023)")



_GF = ("square loss, gradient flow from the stated theta0", "relu with relu'(0) = 0",
       "theta* = the limit, which exists and lies in M_S (proved, not assumed)")


def _positive_control():
    return conserved_level_set_characterizes("relu")


CLAIMS = [
    Claim(
        id=f"{PAPER}.positive-control.relu-one-datum",
        paper=PAPER,
        reference=REFERENCE,
        statement=("For a*relu(w x) on one 1-D datum (x, y), x != 0, y != 0, the data-independent "
                   "G = (a^2 - w^2 - c)^2, c = a0^2 - w0^2, characterizes the gradient-flow limit "
                   "in the strong form: the limit is the unique minimizer of G on M_S."),
        hypotheses=("square loss, gradient flow", "relu with relu'(0) = 0",
                    "the limit exists and lies in M_S (definition of theta*)"),
        structured={"model": "neuron", "activation": "relu", "family": "one datum, x != 0, "
                    "y != 0", "G": "(a^2 - w^2 - c)^2", "form": "strong"},
        expected=Verdict.PROVED,
        check=_positive_control,
    ),
    Claim(
        id=f"{PAPER}.two-point.relu-neuron",
        cost=0.4,
        paper=PAPER,
        reference=REFERENCE + "; instance of Vardi & Shamir, arXiv:2012.05156",
        statement=("For the single neuron relu(w . x) in R^3 on S_g = {((3,-1,0),16), "
                   "((4,2,0),18), ((0,g,g),0)} from theta0 = 1e-6 (1,1,1), the limits for "
                   "g = 1 and g = 5 differ and both lie in M_S1 = M_S5, so no function G "
                   "characterizes the implicit regularization in the strong form (Two-point "
                   "Overlapping)."),
        hypotheses=(*_GF, "M_S does not depend on g > 0: relu(g w.x3) = 0 iff w.x3 <= 0"),
        structured={"mechanism": "two-point", "model": "relu-neuron", "dim": 3,
                    "recipe": "scaled-label-zero", "gammas": ["1", "5"],
                    "excludes": "every G (strong form)",
                    "certificate": "certificates/zhang2023-two-point-relu-neuron.json"},
        expected=Verdict.PROVED,
        check=overlap_instances.two_point_relu_neuron,
    ),
    Claim(
        id=f"{PAPER}.one-point.norm.relu",
        paper=PAPER,
        reference=REFERENCE,
        statement=("For a*relu(w . x) in R^2 from theta0 = (1, 9/10, 1/2), S_o = {((1,0),1)} and "
                   "S_s = S_o + {((0,1),2/5)}: the limit of S_s lies in M_So, differs from the "
                   "limit of S_o and has a smaller |theta|_2, so no nondecreasing function of "
                   "|theta|_2 characterizes the implicit regularization in the strong form."),
        hypotheses=(*_GF, "every point of S_o is a point of S_s, so M_Ss is inside M_So"),
        structured={"mechanism": "one-point", "model": "neuron", "activation": "relu", "dim": 2,
                    "recipe": "subset", "excludes": "nondecreasing functions of |theta|_2",
                    "certificate": "certificates/zhang2023-one-point-norm-relu.json"},
        expected=Verdict.PROVED,
        check=overlap_instances.one_point_norm_relu,
    ),
    Claim(
        id=f"{PAPER}.one-point.distance.relu",
        paper=PAPER,
        reference=REFERENCE + "; instance of Vardi & Shamir, arXiv:2012.05156",
        statement=("For relu(w . x) in R^3 from theta0 = 1e-6 (1,1,1), S_s = {((3,-1,0),16), "
                   "((4,2,0),18)} and S_o = S_s + {((0,1,1),0)}: the limit of S_s leaves (0,1,1) "
                   "strictly inactive, so it lies in M_So; it differs from the limit of S_o and "
                   "is closer to theta0, so no nondecreasing function of |theta - theta0|_2 "
                   "characterizes the implicit regularization in the strong form."),
        hypotheses=(*_GF, "a label-0 point with w.x' < 0 on the whole limit ball is fit there"),
        structured={"mechanism": "one-point", "model": "relu-neuron", "dim": 3,
                    "recipe": "zero-on-ball",
                    "excludes": "nondecreasing functions of |theta - theta0|_2",
                    "certificate": "certificates/zhang2023-one-point-distance-relu.json"},
        expected=Verdict.PROVED,
        check=overlap_instances.one_point_distance_relu,
    ),
    Claim(
        id=f"{PAPER}.one-point.norm.tanh",
        paper=PAPER,
        reference=REFERENCE,
        statement=("For tanh(w . x) in R^2 from theta0 = (1/2, 1/2), S_o = {((1,0),1/2)} and "
                   "S_s = S_o + {((0,1),2/5)}: the limit of S_s lies in M_So, differs from the "
                   "limit of S_o and has a smaller |theta|_2, so no nondecreasing function of "
                   "|theta|_2 characterizes the implicit regularization in the strong form."),
        hypotheses=("square loss, gradient flow from the stated theta0",
                    "theta* = the limit, which exists and lies in M_S (proved, not assumed)",
                    "every point of S_o is a point of S_s, so M_Ss is inside M_So"),
        structured={"mechanism": "one-point", "model": "unit", "activation": "tanh", "dim": 2,
                    "recipe": "subset", "excludes": "nondecreasing functions of |theta|_2",
                    "certificate": "certificates/zhang2023-one-point-norm-tanh.json"},
        expected=Verdict.PROVED,
        check=overlap_instances.one_point_norm_tanh,
    ),
    *[Claim(
        id=f"{PAPER}.one-point.l1-norm.{act}",
        paper=PAPER,
        reference=REFERENCE,
        statement=(f"The One-point instance of {PAPER}.one-point.norm.{act} also has "
                   "|theta_s|_1 < |theta_o|_1, so no nondecreasing function of |theta|_1 "
                   "characterizes the implicit regularization in the strong form."),
        hypotheses=(f"the datasets and limits of {PAPER}.one-point.norm.{act}",
                    "the certificate's l1-norm ordering: |c_s|_1 + sqrt(p) (r_s + r_o) <= "
                    "|c_o|_1, decided by the checker"),
        structured={"mechanism": "one-point", "activation": act, "recipe": "subset",
                    "excludes": "nondecreasing functions of |theta|_1",
                    "certificate": f"certificates/zhang2023-one-point-l1-norm-{act}.json"},
        expected=Verdict.PROVED,
        check=getattr(overlap_instances, f"one_point_l1_{act}"),
    ) for act in ("relu", "tanh")],
]

CLAIMS += [
    Claim(
        id=f"{PAPER}.two-point.relu",
        cost=0.9,
        paper=PAPER,
        reference=REFERENCE,
        statement=("For a*relu(w . x) in R^2 on S_g = {((1,0),1), ((-g,g),0)} from theta0 = "
                   "(1/2, 1/10, 3/10), the limits for g = 1 and g = 2 differ and both lie in "
                   "M_S1 = M_S2, so no function G characterizes the implicit regularization in "
                   "the strong form (Two-point Overlapping)."),
        hypotheses=(*_GF,
                    "M_S does not depend on g > 0: a relu(g (w2 - w1)) = 0 iff a = 0 or "
                    "w2 <= w1",
                    "the label-0 point is active at theta0 and switched off once during the "
                    "flow (a certified kink crossing inside a smooth piece)"),
        structured={"mechanism": "two-point", "model": "neuron", "activation": "relu",
                    "dim": 2, "recipe": "scaled-label-zero", "gammas": ["1", "2"],
                    "excludes": "every G (strong form)",
                    "certificate": "certificates/zhang2023-two-point-relu.json"},
        expected=Verdict.PROVED,
        check=overlap_instances.two_point_relu,
    ),
    Claim(
        id=f"{PAPER}.two-point.tanh",
        cost=2.5,
        paper=PAPER,
        reference=REFERENCE,
        statement=("For a*tanh(w . x) in R^2 on S_g = {((1,0),1/2), ((0,g),0)} from theta0 = "
                   "(1/2, 1/2, 1/2), the limits for g = 1 and g = 2 differ and both lie in "
                   "M_S1 = M_S2, so no function G characterizes the implicit regularization in "
                   "the strong form (Two-point Overlapping)."),
        hypotheses=("square loss, gradient flow from the stated theta0",
                    "theta* = the limit, which exists and lies in M_S (proved, not assumed)",
                    "M_S does not depend on g > 0: a tanh(g w2) = 0 iff a = 0 or w2 = 0"),
        structured={"mechanism": "two-point", "model": "neuron", "activation": "tanh",
                    "dim": 2, "recipe": "scaled-label-zero", "gammas": ["1", "2"],
                    "excludes": "every G (strong form)",
                    "certificate": "certificates/zhang2023-two-point-tanh.json"},
        expected=Verdict.PROVED,
        check=overlap_instances.two_point_tanh,
    ),
    Claim(
        id=f"{PAPER}.one-point.distance.tanh",
        paper=PAPER,
        reference=REFERENCE,
        statement=("In the instance of zhang2023.two-point.tanh, the limit for g = 1 lies in "
                   "M_S2, differs from the limit for g = 2 and is closer to theta0, so no "
                   "nondecreasing function of |theta - theta0|_2 characterizes the implicit "
                   "regularization in the strong form."),
        hypotheses=("square loss, gradient flow from the stated theta0",
                    "theta* = the limit, which exists and lies in M_S (proved, not assumed)",
                    "M_S does not depend on g > 0: a tanh(g w2) = 0 iff a = 0 or w2 = 0"),
        structured={"mechanism": "one-point", "model": "neuron", "activation": "tanh",
                    "dim": 2, "recipe": "scaled-label-zero",
                    "excludes": "nondecreasing functions of |theta - theta0|_2",
                    "certificate": "certificates/zhang2023-one-point-distance-tanh.json"},
        expected=Verdict.PROVED,
        check=overlap_instances.one_point_distance_tanh,
    ),
]
