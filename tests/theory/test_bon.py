"""Exact Best-of-N: brute force on tiny cases, monotonicity with an exact reward model, and numerics at
N = 10^6 with tiny masses."""

from __future__ import annotations

import itertools
from decimal import Decimal, getcontext

import numpy as np
import pytest
from _strategies import instances
from hypothesis import given, settings
from hypothesis import strategies as st

from pessimism.theory import bon_curve, bon_distribution, bon_value


def brute_force_law(pi: np.ndarray, r_hat: np.ndarray, n: int) -> np.ndarray:
    """Enumerate all K^n draw sequences; BoN picks uniformly among the positions holding the max."""
    law = np.zeros(len(pi))
    for seq in itertools.product(range(len(pi)), repeat=n):
        weight = float(np.prod(pi[list(seq)]))
        if weight == 0:
            continue
        rewards = r_hat[list(seq)]
        winners = [y for y, r in zip(seq, rewards) if r == rewards.max()]
        for y in winners:
            law[y] += weight / len(winners)
    return law


@settings(max_examples=150, deadline=None)
@given(instances(k_max=4, ties=True), st.integers(1, 5))
def test_matches_brute_force_with_ties(inst, n) -> None:
    pi, r_hat, r_star = inst
    expected = brute_force_law(pi, r_hat, n)
    np.testing.assert_allclose(bon_distribution(pi, r_hat, n), expected, atol=1e-12)
    assert bon_value(pi, r_hat, r_star, n) == pytest.approx(float(expected @ r_star), abs=1e-12)


@settings(max_examples=150, deadline=None)
@given(instances(k_max=10), st.integers(1, 10**6))
def test_distribution_is_a_distribution_on_the_support(inst, n) -> None:
    pi, r_hat, _ = inst
    law = bon_distribution(pi, r_hat, n)
    assert np.all(law >= 0)
    assert law.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.all(law[pi == 0] == 0)


@settings(max_examples=150, deadline=None)
@given(instances(k_max=10), st.lists(st.integers(1, 10**6), min_size=2, max_size=12))
def test_monotone_when_the_reward_model_is_exact(inst, ns) -> None:
    pi, r, _ = inst
    values = bon_curve(pi, r, r, sorted(ns))
    assert np.all(np.diff(values) >= -1e-12 * max(1.0, float(np.abs(r).max())))


@settings(max_examples=100, deadline=None)
@given(instances(k_max=10))
def test_n_equal_one_is_pi_ref(inst) -> None:
    pi, r_hat, r_star = inst
    np.testing.assert_allclose(bon_distribution(pi, r_hat, 1), pi, atol=1e-15)


@pytest.mark.parametrize("p", [1e-12, 1e-9, 3e-7, 1e-3])
def test_million_samples_tiny_mass_matches_high_precision(p: float) -> None:
    """P(BoN returns the top response) = 1 - (1 - p)^N, checked against 50-digit decimal arithmetic.
    Plain floating point keeps only ~4 digits of it at p = 1e-12."""
    getcontext().prec = 50
    n = 10**6
    exact = 1 - (1 - Decimal(p)) ** n
    got = bon_value([1 - p, p], [0.0, 1.0], [0.0, 1.0], n)
    assert got == pytest.approx(float(exact), rel=1e-13)
    got_float_n = bon_value([1 - p, p], [0.0, 1.0], [0.0, 1.0], 1e6)  # an integral float is accepted
    assert got_float_n == got


def test_three_groups_with_a_tiny_middle_mass() -> None:
    """P(middle) = (1 - q_top)^N - q_low^N with q_low = 1 - q_mid - q_top, against decimal arithmetic."""
    getcontext().prec = 60
    q_mid, q_top, n = 2e-11, 5e-8, 10**6
    pi = np.array([1 - q_mid - q_top, q_mid, q_top])
    law = bon_distribution(pi, [0.0, 1.0, 2.0], n)
    d_top, d_mid = Decimal(q_top), Decimal(q_mid)
    d_low = Decimal(pi[0])
    expected_mid = (d_low + d_mid) ** n - d_low**n
    assert law[1] == pytest.approx(float(expected_mid), rel=1e-9)
    assert law[2] == pytest.approx(float(1 - (1 - d_top) ** n), rel=1e-12)


def test_hacking_instance_rises_then_falls() -> None:
    pi = [0.5, 0.35, 0.12, 0.028, 0.002]
    r_hat = [0.1, 0.4, 0.7, 0.85, 1.0]
    r_star = [0.1, 0.4, 0.7, 1.0, 0.0]
    values = bon_curve(pi, r_hat, r_star, [1, 64, 2**16])
    assert values[1] > values[0] + 0.4 and values[2] < 1e-50


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (([0.5, 0.6], [0, 1], [0, 1], 2), "sums to 1.1"),
        (([0.5, -0.5, 1.0], [0, 1, 2], [0, 1, 2], 2), r"pi_ref\[1\] = -0.5 is negative"),
        (([0.5, 0.5], [0, np.nan], [0, 1], 2), r"r_hat\[1\] is nan"),
        (([0.5, 0.5], [0, 1], [0, np.inf], 2), r"r_star\[1\] is inf"),
        (([0.5, 0.5], [0, 1, 2], [0, 1], 2), r"r_hat has shape \(3,\)"),
        (([0.5, 0.5], [0, 1], [0, 1], 0), "must be >= 1"),
        (([0.5, 0.5], [0, 1], [0, 1], 2.5), "integer >= 1"),
        (([0.5, 0.5], [0, 1], [0, 1], True), "integer >= 1"),
        (([[0.5, 0.5]], [0, 1], [0, 1], 2), "1-D array"),
    ],
)
def test_bad_input_is_named(args, match) -> None:
    with pytest.raises(ValueError, match=match):
        bon_value(*args)
