"""The chi-squared policy (weighted sorted closed form) against bisection, its limits, and the KL tilt."""

from __future__ import annotations

import numpy as np
import pytest
from _strategies import distributions, instances
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from pessimism.select import chi2_lambda, itp
from pessimism.theory import chi2_normalizer, chi2_policy, expected_reward, kl_policy

betas = st.floats(min_value=1e-3, max_value=1e3)


def bisection_lambda(pi: np.ndarray, r: np.ndarray, beta: float) -> float:
    """Independent solve of sum_y pi(y) relu(r(y) - lam) = beta on [min r - beta, max r] (support)."""
    on = pi > 0
    lo, hi = r[on].min() - beta, r[on].max()
    for _ in range(300):
        mid = 0.5 * (lo + hi)
        if pi @ np.maximum(r - mid, 0) > beta:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


@settings(max_examples=300, deadline=None)
@given(instances(k_max=12), betas)
def test_is_a_distribution_matching_bisection(inst, beta) -> None:
    pi, r, _ = inst
    policy = chi2_policy(pi, r, beta)
    assert np.all(policy >= 0)
    assert policy.sum() == pytest.approx(1.0, abs=1e-9)
    assert np.all(policy[pi == 0] == 0)
    scale = max(1.0, float(np.abs(r).max()) + beta)
    lam = chi2_normalizer(pi, r, beta)
    assert abs(lam - bisection_lambda(pi, r, beta)) <= 1e-9 * scale
    reference = pi * np.maximum((r - bisection_lambda(pi, r, beta)) / beta, 0)
    np.testing.assert_allclose(policy, reference, atol=1e-9 * scale / beta)


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, st.integers(1, 30), elements=st.floats(-100, 100)), betas)
def test_uniform_weights_reduce_to_the_select_normalizer(r, beta) -> None:
    pi = np.full(r.shape[0], 1.0 / r.shape[0])
    assert chi2_normalizer(pi, r, beta) == pytest.approx(float(chi2_lambda(r, beta)), abs=1e-9 * (1 + abs(r).max() + beta))


@settings(max_examples=200, deadline=None)
@given(
    arrays(np.int64, st.integers(1, 6), elements=st.integers(0, 5)),
    st.data(),
    betas,
)
def test_pool_of_counts_equals_select_itp_on_the_expanded_pool(counts, data, beta) -> None:
    """ITP's pool form returns response y with probability chi2_policy(c/N, r_hat, beta)[y]: the identity
    the theory lab's pool-form and Algorithm 1 computations rest on."""
    if counts.sum() == 0:
        counts[0] = 1
    k = counts.shape[0]
    r = data.draw(arrays(np.float64, k, elements=st.integers(-3, 3).map(float) | st.floats(-10, 10)))
    n = int(counts.sum())
    pool = np.repeat(r, counts)
    owner = np.repeat(np.arange(k), counts)
    per_response = np.zeros(k)
    np.add.at(per_response, owner, itp(pool, beta))
    np.testing.assert_allclose(chi2_policy(counts / n, r, beta), per_response, atol=1e-9)


@settings(max_examples=200, deadline=None)
@given(instances(k_max=8, ties=True))
def test_small_beta_is_the_best_response_by_r_hat(inst) -> None:
    pi, r, _ = inst
    on = pi > 0
    top = on & (r == r[on].max())
    expected = np.where(top, pi, 0) / pi[top].sum()
    values = np.unique(r[on])
    gap = float(np.min(np.diff(values))) if values.size > 1 else 1.0
    # once beta <= pi_ref(top) * gap only the top group stays active: the limit is reached exactly
    beta = 0.5 * pi[top].sum() * gap
    np.testing.assert_allclose(chi2_policy(pi, r, beta), expected, atol=1e-12)
    np.testing.assert_allclose(chi2_policy(pi, r, beta * 1e-6), expected, atol=1e-12)
    np.testing.assert_allclose(kl_policy(pi, r, gap / 800), expected, atol=1e-12)


@settings(max_examples=200, deadline=None)
@given(instances(k_max=8))
def test_large_beta_is_pi_ref(inst) -> None:
    pi, r, _ = inst
    np.testing.assert_allclose(chi2_policy(pi, r, 1e9), pi, atol=1e-6)
    np.testing.assert_allclose(kl_policy(pi, r, 1e9), pi, atol=1e-6)


@settings(max_examples=100, deadline=None)
@given(distributions(6, allow_zeros=False), arrays(np.float64, 6, elements=st.floats(-5, 5)), st.floats(0.05, 5))
def test_chi2_policy_maximizes_its_objective(pi, r, beta) -> None:
    """E_pi[r] - beta/2 E_ref[(pi/pi_ref - 1)^2] is larger at chi2_policy than at nearby distributions."""
    def objective(q: np.ndarray) -> float:
        return float(q @ r - beta / 2 * pi @ (q / pi - 1) ** 2)

    best = chi2_policy(pi, r, beta)
    rng = np.random.default_rng(0)
    for _ in range(20):
        other = np.abs(best + 0.05 * rng.standard_normal(6))
        other /= other.sum()
        assert objective(other) <= objective(best) + 1e-9


def test_kl_policy_is_the_exponential_tilt_and_never_overflows() -> None:
    pi = np.array([0.2, 0.3, 0.5])
    r = np.array([1000.0, 1001.0, 999.0])
    expected = pi * np.exp(r - 1001.0)
    np.testing.assert_allclose(kl_policy(pi, r, 1.0), expected / expected.sum(), rtol=1e-12)


def test_expected_reward_and_errors() -> None:
    assert expected_reward([0.25, 0.75], [4.0, 0.0]) == 1.0
    with pytest.raises(ValueError, match="beta must be a finite number > 0"):
        chi2_policy([1.0], [0.0], 0.0)
    with pytest.raises(ValueError, match="beta must be a finite number > 0"):
        kl_policy([1.0], [0.0], float("nan"))
    with pytest.raises(ValueError, match="sums to"):
        chi2_policy([0.2, 0.2], [0.0, 1.0], 1.0)
    with pytest.raises(ValueError, match=r"r_hat has shape \(1,\)"):
        chi2_policy([0.5, 0.5], [0.0], 1.0)
