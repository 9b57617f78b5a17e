"""ITP Algorithm 1 driver: its empirical output law matches the exact law, and it reports its compute."""

from __future__ import annotations

import asyncio
import itertools

import numpy as np
import pytest
from scipy import stats

from pessimism import chi2_lambda
from pessimism.select import ITPAlgorithm1, itp_algorithm1

PI_REF = np.array([0.5, 0.3, 0.15, 0.05])
REWARDS = np.array([0.0, 0.4, 0.7, 1.0])
R_MAX = 1.2


def exact_law(beta: float, n: int) -> tuple[np.ndarray, float]:
    """Output distribution and expected phase-2 draws, by enumerating every phase-1 sequence."""
    law = np.zeros(len(PI_REF))
    phase2 = 0.0
    for seq in itertools.product(range(len(PI_REF)), repeat=n):
        weight = float(np.prod(PI_REF[list(seq)]))
        lam = chi2_lambda(REWARDS[list(seq)], beta)
        accept = np.minimum(1.0, np.maximum((REWARDS - lam) / beta, 0) / ((R_MAX - lam) / beta))
        a_total = float(PI_REF @ accept)
        reach = (1 - a_total) ** np.arange(n)  # probability phase 2 reaches step t (0-based)
        law += weight * (PI_REF * accept * reach.sum() + (1 - a_total) ** n * PI_REF)
        phase2 += weight * reach.sum()
    return law, phase2


def make_source(rng: np.random.Generator):
    def draw(k: int) -> list[tuple[int, float]]:
        idx = rng.choice(len(PI_REF), size=k, p=PI_REF)
        return [(int(i), float(REWARDS[i])) for i in idx]

    return draw


@pytest.mark.parametrize("beta,n", [(0.1, 3), (0.5, 4)])
def test_empirical_law_matches_exact_law(beta: float, n: int) -> None:
    law, expected_phase2 = exact_law(beta, n)
    assert law.sum() == pytest.approx(1.0)
    rng = np.random.default_rng(12345)
    algo = ITPAlgorithm1(beta=beta, n=n, r_max=R_MAX)
    source = make_source(rng)
    trials = 20_000
    counts = np.zeros(len(PI_REF))
    phase2 = np.empty(trials)
    for t in range(trials):
        res = algo.run(source, rng)
        counts[res.candidate] += 1
        phase2[t] = res.phase2_draws
        assert res.phase1_draws == n
        assert res.total_draws == n + res.phase2_draws + res.fallback_draws
        assert len(res.drawn) == res.total_draws
    p_value = stats.chisquare(counts, law * trials).pvalue
    assert p_value > 1e-3, (counts / trials, law)
    # the expected number of phase-2 draws, within 4 standard errors
    assert abs(phase2.mean() - expected_phase2) < 4 * phase2.std() / np.sqrt(trials)
    # pessimism shifts mass towards high rewards relative to pi_ref
    assert law @ REWARDS > PI_REF @ REWARDS


def test_stops_generating_at_first_acceptance() -> None:
    # a candidate at the reward bound has w = M: always accepted at phase-2 step 1
    stream = iter([("a", 0.0), ("b", 0.5), ("top", 1.0), ("c", 0.2)])
    res = itp_algorithm1(stream, beta=0.3, n=2, r_max=1.0, rng=np.random.default_rng(0))
    assert (res.candidate, res.source, res.accepted_at, res.phase2_draws) == ("top", "phase2", 1, 1)
    assert res.total_draws == 3


def test_fallback_when_nothing_is_accepted() -> None:
    # phase-2 candidates at the bottom reward have weight 0: never accepted, so one fallback draw follows
    stream = iter([("a", 1.0), ("b", 0.0), ("c", 0.0), ("d", 0.0), ("fresh", 0.3)])
    res = itp_algorithm1(stream, beta=0.1, n=2, r_max=1.0, rng=np.random.default_rng(0))
    assert (res.candidate, res.source, res.fallback_draws, res.phase2_draws) == ("fresh", "fallback", 1, 2)
    assert [c for c, _ in res.drawn] == ["a", "b", "c", "d", "fresh"]


def test_async_driver_matches_sync_driver() -> None:
    pairs = [(i, float(r)) for i, r in enumerate(np.random.default_rng(3).uniform(0, 1, 40))]

    async def source():
        for p in pairs:
            yield p

    algo = ITPAlgorithm1(beta=0.2, n=8, r_max=1.0)
    sync = algo.run(iter(pairs), np.random.default_rng(7))
    asyn = asyncio.run(algo.arun(source(), np.random.default_rng(7)))
    assert (sync.candidate, sync.phase2_draws, sync.lam_hat) == (asyn.candidate, asyn.phase2_draws, asyn.lam_hat)


def test_bad_streams_are_reported() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="phase-1 draw 2 has reward 3.0 above r_max=1.0"):
        itp_algorithm1(iter([("a", 0.0), ("b", 3.0)]), beta=1.0, n=2, r_max=1.0, rng=rng)
    with pytest.raises(ValueError, match="ran out during phase 2"):
        itp_algorithm1(iter([("a", 0.0), ("b", 0.5)]), beta=1.0, n=2, r_max=1.0, rng=rng)
    with pytest.raises(ValueError, match="not a \\(candidate, reward\\) pair"):
        itp_algorithm1(iter(["oops", ("b", 0.5)]), beta=1.0, n=2, r_max=1.0, rng=rng)
    with pytest.raises(ValueError, match="non-finite reward"):
        itp_algorithm1(iter([("a", float("nan"))]), beta=1.0, n=1, r_max=1.0, rng=rng)
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        ITPAlgorithm1(beta=1.0, n=0, r_max=1.0)
    with pytest.raises(ValueError, match="beta must be a finite number > 0"):
        ITPAlgorithm1(beta=0.0, n=1, r_max=1.0)
