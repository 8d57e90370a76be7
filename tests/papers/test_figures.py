"""Dedicated claim figures: the right rule draws from the Outcome, the rest falls back (None)."""

from __future__ import annotations

from igproof.papers.figures import claim_figure
from igproof.verdict import Outcome, Verdict


def _texts(fig) -> str:
    ax = fig.axes[0]
    return " ".join([ax.get_xlabel(), ax.get_ylabel(), ax.get_title(),
                     *(t.get_text() for t in ax.get_legend().get_texts())])


def test_width_limit_is_drawn_log_log_with_its_rates():
    outcome = Outcome(Verdict.SUPPORTED, "e", {"widths": [100, 1000], "mmd": [0.1, 0.03],
                                                "slope": -0.52})
    fig = claim_figure("sonoda2021.lazy.width-limit", outcome, expected="SUPPORTED", seconds=1)
    ax = fig.axes[0]
    assert ax.get_xscale() == ax.get_yscale() == "log"
    text = _texts(fig)
    assert "width p" in text and "p^-0.52" in text and "p^-0.5" in text and "SUPPORTED" in text


def test_limit_balls_of_a_certificate_are_drawn_per_parameter():
    cert = {"kind": "two-point-overlap", "model": {"parameters": ["a", "w"]},
            "statement": {"limits": {"L1": {"center": ["1", "1/2"], "radius": "1/1000",
                                            "dataset": "S1"},
                                     "L2": {"center": ["2", "-1"], "radius": "1/1000",
                                            "dataset": "S2"}}}}
    outcome = Outcome(Verdict.PROVED, "e", {}, certificate=cert)
    fig = claim_figure("zhang2023.two-point.x", outcome, expected="PROVED", seconds=1)
    text = _texts(fig)
    assert "L1 on S1" in text and "L2 on S2" in text and "radius" in text
    lines = fig.axes[0].containers
    assert len(lines) == 2  # one errorbar container per ball


def test_no_rule_and_malformed_details_fall_back_to_none():
    plain = Outcome(Verdict.PROVED, "e", {"x": 1})
    assert claim_figure("lee2022.norm.identity", plain, expected="PROVED", seconds=0) is None
    broken = Outcome(Verdict.SUPPORTED, "e", {"widths": [1, 2], "mmd": ["?", None]})
    assert claim_figure("sonoda2021.trained.comparison", broken, expected="SUPPORTED",
                        seconds=0) is None
