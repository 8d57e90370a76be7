"""lee2022 catalogue entries: `igproof verify lee2022` reaches every expected verdict.

The mathematics of each check is tested against independent routes in
tests/proof/test_single_neuron*.py; here the catalogue wiring, the verdict policy and the
evidence contents are checked on one run of the command.
"""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from igproof.cli.main import main
from igproof.papers import claims
from igproof.papers.lee2022 import CLAIMS
from igproof.proof.single_neuron.convergence import default_examples
from igproof.verdict import Verdict


@pytest.fixture(scope="module")
def verify_json():
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(claims.PAPER_MODULES, "lee2022", "lee2022")
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            code = main(["verify", "lee2022", "--json"])
    return code, json.loads(out.getvalue())


def test_verify_lee2022_reaches_expected_verdicts(verify_json):
    """Exit 0 and every claim at its expected verdict (must-show of issue 7)."""
    code, report = verify_json
    assert code == 0 and report["all_expected"]
    got = {c["id"]: c["verdict"] for c in report["claims"]}
    assert got == {c.id: str(c.expected) for c in CLAIMS}


def test_expected_verdicts_follow_the_evidence_policy():
    """Exact or validated entries expect PROVED; the Hypothesis property expects SUPPORTED."""
    by_id = {c.id: c.expected for c in CLAIMS}
    assert by_id["lee2022.convergence.d2"] is Verdict.SUPPORTED
    assert all(v is Verdict.PROVED for k, v in by_id.items() if k != "lee2022.convergence.d2")


def test_supported_evidence_states_count_and_tolerance(verify_json):
    _, report = verify_json
    entry = next(c for c in report["claims"] if c["id"] == "lee2022.convergence.d2")
    count = default_examples()
    assert entry["details"]["examples"] == count
    assert f"{count} Hypothesis examples" in entry["evidence"]
    assert "1e-06" in entry["evidence"] and "rtol" in entry["evidence"]


def test_reactivation_evidence_names_both_instances(verify_json):
    _, report = verify_json
    entry = next(c for c in report["claims"] if c["id"] == "lee2022.support-vectors.reactivation")
    assert entry["details"]["realizable"]["label"] == "1"
    assert entry["details"]["label0"]["label"] == "0"
    assert entry["details"]["label0_realizable"]["label"] == "0"


def test_claim_ids_are_unique_and_prefixed():
    ids = [c.id for c in CLAIMS]
    assert len(ids) == len(set(ids))
    assert all(i.startswith("lee2022.") and i.count(".") == 2 for i in ids)


@pytest.mark.parametrize(("teacher", "xs", "w0"), [
    (("1", "1/2"), [("1", "0"), ("1", "1")], ("1/1000", "0")),
    (("3/2", "-1/4"), [("2", "0"), ("1", "-1/4"), ("7/4", "1/2")], ("0", "-7/1000")),
    (("1/2", "1/2"), [("1", "1/4"), ("1/4", "1")], ("-3/1000", "5/1000")),
])
def test_d2_float_method_agrees_with_dop853(teacher, xs, w0):
    """The d2 claim's float flow (LSODA) and the former DOP853 run reach w* on the same members
    of family D2, both far inside the tolerance (an independent integrator as the check)."""
    from fractions import Fraction

    from igproof.proof.single_neuron.convergence import CONVERGENCE_TOL, FLOAT_METHOD, run_example

    t = tuple(Fraction(v) for v in teacher)
    points = [tuple(Fraction(v) for v in x) for x in xs]
    w = tuple(Fraction(v) for v in w0)
    fast, horizon = run_example(t, points, w)
    reference, same_horizon = run_example(t, points, w, method="DOP853")
    assert FLOAT_METHOD == "LSODA" and horizon == same_horizon
    assert fast <= CONVERGENCE_TOL / 100 and reference <= CONVERGENCE_TOL / 100
