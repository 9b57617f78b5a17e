"""The paper's claims hold on the bundled instances, with the numbers the CLI prints."""

from __future__ import annotations

import math

import pytest

from pessimism.theory import Claim, check_claims, rate_point


@pytest.fixture(scope="module")
def claims() -> dict[str, Claim]:
    return {c.key: c for c in check_claims()}


def test_every_claim_holds(claims) -> None:
    failed = {k: c.evidence for k, c in claims.items() if not c.passed}
    assert not failed


def test_bon_hacks_numbers(claims) -> None:
    c = claims["bon_hacks"].numbers
    assert c["best"] > 0.8 and 30 <= c["best_n"] <= 100
    assert c["bon_max_n"] < 1e-50  # BoN has found the hack every time


def test_itp_numbers(claims) -> None:
    m, b = claims["itp_monotone"].numbers, claims["itp_beats_bon"].numbers
    assert m["itp_1"] == pytest.approx(0.302, abs=1e-12)  # N = 1 is pi_ref
    assert m["largest_drop"] <= m["tolerance"]
    assert b["itp"] > 0.8 > 0.1 > b["bon"]
    assert abs(b["itp"] - b["itp_limit"]) < 4 * b["itp_se"] + 1e-3


def test_itp_to_bon_numbers(claims) -> None:
    gaps = claims["itp_to_bon"].numbers
    assert gaps["gap_beta_1"] > 0.1 and gaps["gap_beta_1e-06"] < 1e-9


def test_ratio_within_the_proven_bound(claims) -> None:
    r = claims["ratio_bounded"].numbers
    assert 0 < r["max_ratio_inf"] <= 2.0 and 0 < r["max_ratio_n"] <= 2.0


def test_rate_slopes(claims) -> None:
    r = claims["rates"].numbers
    assert abs(r["bon_slope"] - 2 / 3) < 0.1 and abs(r["itp_slope"] - 1) < 0.1
    assert abs(r["bon_n_slope"] - 2 / 3) < 0.1 and abs(r["itp_n_slope"] - 1) < 0.15
    assert abs(r["per_instance_bon_slope"] - 1) < 0.1  # the gap is a worst case over the class


def test_rate_point_matches_the_back_of_envelope() -> None:
    """BoN's class-optimal N balances ~1/(4N) (gems) against ~0.32 eps sqrt(N) (hacks)."""
    eps = 1e-3
    p = rate_point(eps, finite_n=False)
    predicted_n = (1 / (4 * 0.319 * eps)) ** (2 / 3)
    assert 0.5 < p.bon_n / predicted_n < 2
    assert p.bon_regret > 5 * p.itp_regret
    assert p.itp_n is None and math.isfinite(p.per_instance_bon)
