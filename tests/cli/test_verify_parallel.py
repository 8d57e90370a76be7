"""`igproof verify --jobs N`: a process pool gives the same verdicts, in catalogue order, as the
sequential run; claims that share cached work run in one worker; bad --jobs is one line, exit 2.

The catalogue is replaced by small demo claims (the command is tested, not the mathematics).
"""

from __future__ import annotations

import json
import os
import time

import pytest

from igproof.cli import verify
from igproof.cli.main import main
from igproof.errors import InvalidArgument
from igproof.papers import claims as claims_module
from igproof.papers.claims import Claim
from igproof.verdict import Outcome, Verdict


def _slow_first() -> Outcome:
    time.sleep(0.5)  # finishes after the others: the output must still list it first
    return Outcome(Verdict.PROVED, "slow", {"pid": os.getpid(), "value": 1})


def _pid(verdict: Verdict = Verdict.PROVED) -> Outcome:
    return Outcome(verdict, "fast", {"pid": os.getpid()}, certificate={"kind": "demo"})


def _demo() -> list[Claim]:
    return [
        Claim(id="demo.slow", paper="demo", reference="r", statement="s",
              expected=Verdict.PROVED, check=_slow_first),
        Claim(id="demo.shared-a", paper="demo", reference="r", statement="s",
              expected=Verdict.PROVED, check=_pid, shares="demo/limits"),
        Claim(id="demo.fast", paper="demo", reference="r", statement="s",
              expected=Verdict.SUPPORTED, check=lambda: _pid(Verdict.SUPPORTED)),
        Claim(id="demo.shared-b", paper="demo", reference="r", statement="s",
              expected=Verdict.PROVED, check=_pid, shares="demo/limits"),
    ]


@pytest.fixture
def demo(monkeypatch):
    monkeypatch.setattr(claims_module, "PAPER_MODULES", {"demo": "demo"})
    monkeypatch.setattr(claims_module, "_load_paper", lambda key: _demo())


def _verify_json(capsys, *extra: str) -> dict:
    assert main(["verify", "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_pool_and_sequential_agree_in_catalogue_order(demo, capsys):
    pooled = _verify_json(capsys, "--jobs", "2")
    sequential = _verify_json(capsys, "--jobs", "1")
    ids = [c.id for c in _demo()]
    assert [c["id"] for c in pooled["claims"]] == ids == [c["id"] for c in sequential["claims"]]
    for a, b in zip(pooled["claims"], sequential["claims"], strict=True):
        assert (a["verdict"], a["expected"], a["evidence"]) == (b["verdict"], b["expected"],
                                                                 b["evidence"])
        assert a["details"].keys() == b["details"].keys()
    assert pooled["counts"] == sequential["counts"]
    # the pool ran elsewhere; the sequential run in this process
    assert {c["details"]["pid"] for c in sequential["claims"]} == {os.getpid()}
    assert os.getpid() not in {c["details"]["pid"] for c in pooled["claims"]}


def test_claims_that_share_work_run_in_one_worker(demo, capsys):
    report = _verify_json(capsys, "--jobs", "2")
    pid = {c["id"]: c["details"]["pid"] for c in report["claims"]}
    assert pid["demo.shared-a"] == pid["demo.shared-b"]
    assert verify.work_units(_demo()) == [[0], [1, 3], [2]]


def test_pool_writes_certificates_and_the_same_table(demo, capsys, tmp_path):
    assert main(["verify", "--jobs", "2", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr()
    lines = [line.split()[0] for line in out.out.splitlines()[1:5]]
    assert lines == [c.id for c in _demo()]
    assert "4 claims: 3 PROVED, 0 REFUTED, 1 SUPPORTED" in out.out
    assert "[1/4] demo.slow: PROVED" in out.err
    assert json.loads((tmp_path / "demo.fast.json").read_text()) == {"kind": "demo"}


def test_a_crash_in_a_worker_is_reported_not_raised(monkeypatch, capsys):
    def boom() -> Outcome:
        raise ZeroDivisionError("division by zero")

    listed = [Claim(id="demo.boom", paper="demo", reference="", statement="",
                    expected=Verdict.PROVED, check=boom), *_demo()[2:3]]
    monkeypatch.setattr(claims_module, "PAPER_MODULES", {"demo": "demo"})
    monkeypatch.setattr(claims_module, "_load_paper", lambda key: listed)
    assert main(["verify", "--jobs", "2"]) == 1
    assert "check failed: ZeroDivisionError" in capsys.readouterr().out


def test_a_worker_that_dies_is_reported_not_raised(monkeypatch, capsys):
    def die() -> Outcome:
        os._exit(3)  # a crash below Python (as a segfault in a C library would be)

    listed = [Claim(id="demo.die", paper="demo", reference="", statement="",
                    expected=Verdict.PROVED, check=die), *_demo()[2:3]]
    monkeypatch.setattr(claims_module, "PAPER_MODULES", {"demo": "demo"})
    monkeypatch.setattr(claims_module, "_load_paper", lambda key: listed)
    assert main(["verify", "--jobs", "2", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["claims"][0]["verdict"] == "INCONCLUSIVE"
    assert "worker process died" in report["claims"][0]["evidence"]


@pytest.mark.parametrize("jobs", ["0", "-1", "1000"])
def test_bad_jobs_is_one_line_exit_2(demo, capsys, jobs):
    assert main(["verify", "--jobs", jobs]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--jobs" in err[0]


def test_blas_threads_are_limited_unless_the_user_set_them(monkeypatch):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    verify.limit_blas_threads()
    assert os.environ["OPENBLAS_NUM_THREADS"] == "3" and os.environ["OMP_NUM_THREADS"] == "1"


def test_units_are_handed_out_longest_first():
    """LPT order: the unit of the two shared claims (cost 2 + 2) first, then cost 3, then the
    cheap one; equal costs keep catalogue order."""
    def claim(name: str, cost: float, shares: str = "") -> Claim:
        return Claim(id=f"demo.{name}", paper="demo", reference="r", statement="s",
                     expected=Verdict.PROVED, check=_pid, shares=shares, cost=cost)

    listed = [claim("cheap", 0), claim("a", 2, "demo/x"), claim("long", 3), claim("b", 2, "demo/x"),
              claim("cheap2", 0)]
    units = verify.work_units(listed)
    assert units == [[0], [1, 3], [2], [4]]
    assert verify.longest_first(listed, units) == [[1, 3], [2], [0], [4]]


@pytest.mark.parametrize("cost", [-1.0, "2", float("nan")])
def test_a_claim_cost_must_be_seconds(cost):
    with pytest.raises(InvalidArgument, match="cost"):
        Claim(id="demo.x", paper="demo", reference="r", statement="s", expected=Verdict.PROVED,
              check=_pid, cost=cost)
