"""The validated route on the GAP instance (proof ~5 s): the limit is proved, the minimality gap
agrees with the float study, the certificate is accepted, and the rate bounds bracket the
measured rate."""

from __future__ import annotations

import json

import numpy as np
import pytest

from igproof.certificate.spectral import nuclear_certificate
from igproof.proof.spectral import instances
from igproof.proof.spectral.rate import _lower_bound, _psd, measured_rate, rate_bounds
from igproof.proof.spectral.reduced import prove_reduced_limit
from igproof.proof.spectral.study import float_limit
from igproof.verdict import Verdict


@pytest.fixture(scope="module")
def proved():
    flow, result = prove_reduced_limit(instances.GAP)
    assert result.verdict is Verdict.PROVED
    return flow, result


def test_limit_ball_contains_the_float_limit(proved):
    """The float limit (DOP853, independent integrator) lies within 1e-7 of the ball's centre."""
    _, result = proved
    a = np.array([[float(v) for v in r] for r in instances.GAP.A])
    y = np.array([float(v) for v in instances.GAP.y])
    z, loss = float_limit(a, y, np.full(3, 0.5), np.full(3, 0.25))
    c = [float(v) for v in result.centre]
    assert loss < 1e-20
    assert np.allclose(np.tanh(np.array(c[:3]) * np.array(c[3:])), z, atol=1e-7)


def test_certificate_refutes_minimality_and_is_accepted(proved):
    flow, result = proved
    made = nuclear_certificate(instances.GAP, result, flow)
    assert made.decision.verdict is Verdict.REFUTED
    assert made.report.accepted
    # the float gap of the study, an independent route: |z|_1 - 3/4 = 0.10493 (5 digits)
    assert abs(float(made.decision.gap_lower) - 0.10493) < 1e-4
    cert = json.loads(made.text)
    assert cert["kind"] == "nuclear-gap" and cert["statement"]["claim"] == "not-minimal"


def test_rate_bounds_bracket_the_measured_rate(proved):
    _, result = proved
    b = rate_bounds(result, instances.GAP)
    assert 0 < b.kappa_lo < b.kappa_hi
    kappa, ts, losses = measured_rate(instances.GAP, float(b.T))
    assert float(b.kappa_lo) <= kappa <= float(b.kappa_hi)
    l0 = float(b.loss0.mid())
    for t, loss in zip(ts, losses, strict=True):
        assert l0 * np.exp(-float(b.kappa_hi) * t) * (1 - 1e-9) <= loss
        assert loss <= l0 * np.exp(-float(b.kappa_lo) * t) * (1 + 1e-9) + 1e-30


def test_exact_psd_test_and_eigenvalue_bound():
    from fractions import Fraction as F

    m = [[F(2), F(1)], [F(1), F(2)]]  # eigenvalues 1 and 3
    assert _psd(m) and not _psd([[F(1), F(2)], [F(2), F(1)]])
    mu = _lower_bound(m)
    assert mu <= 1 and float(mu) > 1 - 1e-6
