"""Monte Carlo evaluators: within 4 standard errors of exact values, seeded, draws shared fairly."""

from __future__ import annotations

import math

import numpy as np
import pytest
from lab_brute import brute_values

from pessimism.lab import Pool, evaluate, make_pool
from pessimism.lab.montecarlo import alg1_values, draw, rule_values
from pessimism.lab.prepared import prepare
from pessimism.select import ITPAlgorithm1


def _tiny(seed: int = 0) -> Pool:
    rng = np.random.default_rng(seed)
    proxy = np.round(rng.normal(size=(4, 5)), 1)
    truth = rng.random((4, 5))
    answers = rng.choice(np.array(["x", "y", "z", None], dtype=object), size=(4, 5))
    return Pool.from_arrays(proxy, truth, answers=answers)


def _within(mc: float, exact_value: float, se: float) -> bool:
    return abs(mc - exact_value) <= 4 * se


def test_exact_methods_by_monte_carlo_agree_with_exact() -> None:
    pool = make_pool(30, 48, seed=4, ragged=True)
    kwargs = dict(methods=["bon", "topk", "uniform", "oracle", "majority_vote"], n_grid=[2, 5, 16],
                  include_limit=False, reps=300, seed=1)
    exact_table = evaluate(pool, **kwargs)
    mc_table = evaluate(pool, force_monte_carlo=True, **kwargs)
    for e, m in zip(exact_table, mc_table):
        assert e["exact"] and not m["exact"]
        assert m["mc_stderr"] > 0 or m["n"] == 1 or m["method"] == "uniform"
        assert _within(m["mean_true_reward"], e["mean_true_reward"], m["mc_stderr"]), (e, m)


@pytest.mark.parametrize("method,params", [("itp", {"beta": 0.4}), ("soft_bon", {"beta": 0.3}),
                                           ("weighted_majority_vote", {}), ("best_of_majority", {"alpha": 0.4})])
def test_monte_carlo_rules_match_enumeration(method: str, params: dict) -> None:
    pool = _tiny(1)
    n = 3
    exact_mean = float(brute_values(pool, n, method, **params).mean())
    kw = {"betas": [params["beta"]]} if method == "itp" else {"taus": [params["beta"]]} if "beta" in params else {}
    if "alpha" in params:
        kw["alpha"] = params["alpha"]
    row = evaluate(pool, methods=[method], n_grid=[n], include_limit=False, reps=4000, seed=3, **kw)[0]
    assert not row["exact"] and row["reps"] == 4000
    assert _within(row["mean_true_reward"], exact_mean, row["mc_stderr"]), (row, exact_mean)
    # the Monte Carlo error is small but real
    assert 0 < row["mc_stderr"] < 0.01


def test_itp_at_n_equal_one_is_exactly_the_pool_mean() -> None:
    pool = _tiny(2)
    row = evaluate(pool, methods=["itp"], n_grid=[1], include_limit=False, reps=7)[0]
    # one candidate is returned with probability 1, so each replicate's value is one response's truth
    assert row["lift"] == pytest.approx(0.0, abs=4 * row["mc_stderr"] + 1e-12)


def test_alg1_matches_the_streaming_driver() -> None:
    """Phase 1 by Monte Carlo + exact phases 2-3 == running ITPAlgorithm1 on draws from the pool."""
    rng = np.random.default_rng(5)
    proxy = np.array([[0.0, 0.3, 0.3, 1.0, 2.0]])
    truth = np.array([[0.1, 0.5, 0.2, 0.9, 0.0]])
    pool = Pool.from_arrays(proxy, truth)
    beta, n = 0.5, 3
    row = evaluate(pool, methods=["itp_alg1"], betas=[beta], n_grid=[n], include_limit=False, reps=3000, seed=2)[0]
    # simulate the real driver: candidates are pool indices, rewards their proxy
    algo = ITPAlgorithm1(beta, n, r_max=float(proxy.max()))
    values, draws = [], []
    for _ in range(6000):
        def source(k: int) -> list[tuple[int, float]]:
            idx = rng.integers(0, 5, size=k)
            return [(int(i), float(proxy[0, i])) for i in idx]

        result = algo.run(source, rng)
        values.append(truth[0, result.candidate])
        draws.append(result.total_draws)
    sim_mean, sim_se = float(np.mean(values)), float(np.std(values) / math.sqrt(len(values)))
    se = math.hypot(sim_se, row["mc_stderr"])
    assert abs(row["mean_true_reward"] - sim_mean) <= 4 * se
    compute_se = float(np.std(draws) / math.sqrt(len(draws)))
    assert abs(row["compute"] - float(np.mean(draws))) <= 4 * compute_se + 0.02
    assert n + 1 <= row["compute"] <= 2 * n + 1


def test_alg1_acceptance_is_the_drivers_rule() -> None:
    pool = _tiny(3)
    prep = prepare(pool)
    d = draw(prep, 4, 2, np.random.default_rng(0))
    beta = 0.6
    values, compute = alg1_values(d, beta, 4, prep.r_max)
    from pessimism.select import chi2_lambda

    lam = chi2_lambda(d.rewards, beta)
    for r in range(2):
        for p in range(prep.n_prompts):
            algo = ITPAlgorithm1(beta, 4, float(prep.r_max[p]))
            envelope = (prep.r_max[p] - lam[r, p]) / beta
            acc = np.array([algo.acceptance(float(x), float(lam[r, p]), float(envelope)) for x in prep.proxy[p]])
            a = acc.mean()
            miss = (1 - a) ** 4
            expect = (acc * prep.truth[p]).mean() / a * (1 - miss) + miss * prep.pool_mean[p]
            assert values[r, p] == pytest.approx(expect, abs=1e-12)
            assert compute[r, p] == pytest.approx(4 + (1 - miss) / a + miss, abs=1e-12)


def test_seeded_and_independent_of_the_rest_of_the_grid() -> None:
    pool = make_pool(10, 32, seed=0)
    a = evaluate(pool, methods=["itp"], n_grid=[4, 8], reps=20, seed=9)
    b = evaluate(pool, methods=["itp", "soft_bon"], n_grid=[8], reps=20, seed=9)
    c = evaluate(pool, methods=["itp"], n_grid=[8], reps=20, seed=10)
    assert a.find("itp", 8)["mean_true_reward"] == b.find("itp", 8)["mean_true_reward"]
    assert a.find("itp", 8)["mean_true_reward"] != c.find("itp", 8)["mean_true_reward"]


def test_without_replacement_draws_are_distinct_and_sorted() -> None:
    pool = make_pool(3, 10, seed=1, ragged=True, text=False)
    prep = prepare(pool)
    d = draw(prep, 4, 50, np.random.default_rng(0), replace=False)
    local = d.flat - (np.arange(3) * prep.proxy.shape[1])[None, :, None]
    assert (np.diff(local, axis=-1) > 0).all()  # distinct and ascending
    assert (local < prep.sizes[None, :, None]).all()
    with pytest.raises(ValueError, match="smallest pool"):
        draw(prep, int(prep.sizes.min()) + 1, 2, np.random.default_rng(0), replace=False)


@pytest.mark.parametrize("beta", [0.05, 0.3, 1.0, 5.0])
def test_fast_paths_equal_the_core_on_every_subsample(beta: float) -> None:
    pool = make_pool(20, 200, seed=8, ragged=True, text=False)
    prep = prepare(pool)
    d = draw(prep, 128, 6, np.random.default_rng(1))
    for method in ("itp", "soft_bon"):
        fast = rule_values(d, method, beta=beta)
        slow = rule_values(d, method, fast=False, beta=beta)
        np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-14)


def test_fast_paths_fall_back_where_their_shortcut_is_unproven() -> None:
    pool = make_pool(10, 128, seed=2, text=False)
    prep = prepare(pool)
    d = draw(prep, 128, 4, np.random.default_rng(3))
    prep.cache[("itp_active_share", 0.5)] = 0.0  # a wrong guess: keep far too few candidates
    np.testing.assert_allclose(rule_values(d, "itp", beta=0.5), rule_values(d, "itp", fast=False, beta=0.5),
                               rtol=1e-12)
    # a temperature so small that the pool-level softmax underflows for most candidates
    wide = Pool.from_arrays(np.linspace(0, 1000, 64)[None, :].repeat(3, 0), np.random.default_rng(0).random((3, 64)))
    wprep = prepare(wide)
    wd = draw(wprep, 8, 50, np.random.default_rng(4))
    assert (np.take(wprep.pool_probs("soft_bon", 0.5).ravel(), wd.flat)[..., -1] < 1e-280).any()
    np.testing.assert_allclose(rule_values(wd, "soft_bon", beta=0.5), rule_values(wd, "soft_bon", fast=False, beta=0.5),
                               rtol=1e-12)
