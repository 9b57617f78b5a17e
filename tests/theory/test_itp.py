"""ITP at finite N: exact enumeration against Monte Carlo, and Algorithm 1's exact law against the
streaming driver pessimism.select.ITPAlgorithm1."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from pessimism.select import ITPAlgorithm1
from pessimism.theory import (
    algorithm1_law,
    bon_distribution,
    chi2_normalizer,
    chi2_policy,
    enumerate_counts,
    hacking,
    itp_pool_law,
    multiset_count,
)
from pessimism.theory.pools import multinomial_probs

INST = hacking()


@pytest.mark.parametrize(("n", "k"), [(1, 1), (5, 1), (1, 4), (6, 3), (10, 5), (3, 7)])
def test_enumeration_lists_every_multiset_once(n: int, k: int) -> None:
    counts = enumerate_counts(n, k)
    assert counts.shape == (multiset_count(n, k), k)
    assert np.all(counts.sum(axis=1) == n) and np.all(counts >= 0)
    assert len({tuple(c) for c in counts}) == counts.shape[0]


def test_multinomial_weights_match_scipy() -> None:
    p = np.array([0.5, 0.3, 0.15, 0.05])
    counts = enumerate_counts(7, 4)
    np.testing.assert_allclose(multinomial_probs(counts, p), stats.multinomial.pmf(counts, 7, p), rtol=1e-10)


@pytest.mark.parametrize("law", [itp_pool_law, algorithm1_law])
@pytest.mark.parametrize(("beta", "n"), [(INST.beta_star, 8), (0.1, 12), (0.02, 3)])
def test_exact_enumeration_agrees_with_monte_carlo(law, beta: float, n: int) -> None:
    exact = law(INST.pi_ref, INST.r_hat, beta, n, r_star=INST.r_star)
    mc = law(INST.pi_ref, INST.r_hat, beta, n, r_star=INST.r_star, max_multisets=1, replicates=20_000, rng=7)
    assert exact.exact and not mc.exact and mc.pools == 20_000
    assert exact.value_stderr == 0 and mc.value_stderr > 0
    assert abs(exact.value - mc.value) <= 4 * mc.value_stderr
    assert np.all(np.abs(exact.probs - mc.probs) <= 4 * mc.probs_stderr + 1e-12)
    assert exact.probs.sum() == pytest.approx(1.0, abs=1e-12)
    if law is algorithm1_law:
        assert abs(exact.expected_draws - mc.expected_draws) <= 4 * mc.expected_draws_stderr + 1e-12


def test_limit_switches_to_monte_carlo_and_is_reproducible() -> None:
    a = itp_pool_law(INST.pi_ref, INST.r_hat, 0.05, 64, r_star=INST.r_star, rng=3)
    b = itp_pool_law(INST.pi_ref, INST.r_hat, 0.05, 64, r_star=INST.r_star, rng=np.random.default_rng(3))
    assert multiset_count(64, 5) > 200_000 and not a.exact and a.method == "Monte Carlo"
    assert a.value == b.value and a.value_stderr == b.value_stderr


def test_pool_form_limits() -> None:
    """N = 1 is pi_ref; large N approaches the chi2 policy; tiny beta is Best-of-N exactly."""
    one = itp_pool_law(INST.pi_ref, INST.r_hat, 0.05, 1)
    np.testing.assert_allclose(one.probs, INST.pi_ref, atol=1e-15)
    # At beta = 0.05 the "okay" response sits at the kink (population lam = 0.3996, r_hat = 0.4), so the
    # pool form converges like N^(-1/2) there (relu of a fluctuating lam_hat): check the distance shrinks.
    limit = chi2_policy(INST.pi_ref, INST.r_hat, 0.05)
    tv = [0.5 * np.abs(itp_pool_law(INST.pi_ref, INST.r_hat, 0.05, n, replicates=4000).probs - limit).sum()
          for n in (2**6, 2**10, 2**14)]
    assert tv[0] > tv[1] > tv[2] and tv[2] < 6e-3  # measured: 0.092, 0.021, 0.0041
    small = itp_pool_law(INST.pi_ref, INST.r_hat, 1e-5, 10)
    np.testing.assert_allclose(small.probs, bon_distribution(INST.pi_ref, INST.r_hat, 10), atol=1e-12)


def _driver_runs(beta: float, n: int, runs: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Run the streaming driver `runs` times on i.i.d. draws from pi_ref; return returned responses and
    total draws per run."""
    rng = np.random.default_rng(seed)
    stream = rng.choice(INST.k, size=runs * (2 * n + 1), p=INST.pi_ref)
    pairs = iter([(int(i), float(INST.r_hat[i])) for i in stream])
    driver = ITPAlgorithm1(beta, n, INST.r_max)
    returned = np.empty(runs, dtype=np.int64)
    draws = np.empty(runs)
    for j in range(runs):
        result = driver.run(pairs, rng)
        returned[j] = result.candidate
        draws[j] = result.total_draws
    return returned, draws


@pytest.mark.parametrize(("beta", "n"), [(0.05, 4), (INST.beta_star, 6)])
def test_algorithm1_exact_law_matches_the_streaming_driver(beta: float, n: int) -> None:
    runs = 12_000
    law = algorithm1_law(INST.pi_ref, INST.r_hat, beta, n, r_star=INST.r_star)
    assert law.exact
    returned, draws = _driver_runs(beta, n, runs, seed=11)
    observed = np.bincount(returned, minlength=INST.k)
    expected = law.probs * runs
    # pool responses expected fewer than 5 times into one cell so the chi-square approximation holds
    small = expected < 5
    obs = np.append(observed[~small], observed[small].sum())
    exp = np.append(expected[~small], expected[small].sum())
    if exp[-1] == 0:
        obs, exp = obs[:-1], exp[:-1]
    assert stats.chisquare(obs, exp).pvalue > 1e-3
    # expected samples consumed: N (phase 1) + phase-2 draws + fallback
    assert abs(draws.mean() - law.expected_draws) <= 4 * draws.std(ddof=1) / math.sqrt(runs)
    assert n + 1 <= law.expected_draws <= 2 * n + 1


def test_algorithm1_consumes_about_n_plus_m_when_m_is_small() -> None:
    """At large N, lam_hat is near the population lam and phase 2 stops after ~M = (R_max - lam)/beta draws."""
    beta = INST.beta_star
    n = 2**14
    est = algorithm1_law(INST.pi_ref, INST.r_hat, beta, n, r_star=INST.r_star, replicates=2000)
    envelope = (INST.r_max - chi2_normalizer(INST.pi_ref, INST.r_hat, beta)) / beta  # about 38
    assert n + 0.5 * envelope < est.expected_draws < n + 2 * envelope


def test_r_max_is_validated() -> None:
    with pytest.raises(ValueError, match="r_max=0.5 must be finite and >= the largest r_hat"):
        algorithm1_law(INST.pi_ref, INST.r_hat, 0.1, 2, r_max=0.5)
    looser = algorithm1_law(INST.pi_ref, INST.r_hat, 0.1, 4, r_max=2.0)
    tight = algorithm1_law(INST.pi_ref, INST.r_hat, 0.1, 4)
    assert looser.expected_draws > tight.expected_draws  # a looser bound rejects more


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"replicates": 1}, "replicates must be an integer >= 2"),
        ({"max_multisets": 0}, "max_multisets must be an integer >= 1"),
        ({"rng": "seed"}, "rng must be a numpy.random.Generator"),
    ],
)
def test_bad_options_are_named(kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        itp_pool_law(INST.pi_ref, INST.r_hat, 0.1, 64, **kwargs)
