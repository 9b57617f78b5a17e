"""Exact evaluators against brute-force enumeration of every N-tuple (tiny pools, ties included)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lab_brute import brute_value, brute_values

from pessimism.lab import Pool, evaluate
from pessimism.lab import exact
from pessimism.lab.exact_vote import compositions, majority_vote_value, n_count_vectors
from pessimism.lab.prepared import prepare, tie_bounds
from pessimism.select import selection_probs


def _ragged_pool(seed: int, prompts: int = 3, max_size: int = 4, levels: int = 3) -> Pool:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, max_size + 1, size=prompts)
    mask = np.arange(max_size)[None, :] < sizes[:, None]
    proxy = rng.integers(0, levels, size=(prompts, max_size)).astype(float)  # many ties
    truth = rng.normal(size=(prompts, max_size))
    answers = rng.choice(np.array(["a", "b", "c", None], dtype=object), size=(prompts, max_size))
    return Pool.from_arrays(proxy, truth, mask=mask, answers=answers)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("replace", [True, False])
def test_bon_topk_uniform_oracle_match_enumeration(seed: int, replace: bool) -> None:
    pool = _ragged_pool(seed)
    prep = prepare(pool)
    top = 4 if replace else int(pool.sizes.min())
    for n in range(1, top + 1):
        np.testing.assert_allclose(exact.bon_value(prep, n, replace), brute_values(pool, n, "bon", replace), atol=1e-12)
        for k in range(1, n + 1):
            np.testing.assert_allclose(
                exact.topk_value(prep, n, k, replace), brute_values(pool, n, "topk", replace, k=k), atol=1e-12
            )
        np.testing.assert_allclose(exact.uniform_value(prep), brute_values(pool, n, "uniform", replace), atol=1e-12)
        oracle = [
            brute_value(pool.truth[p][pool.mask[p]], pool.truth[p][pool.mask[p]], n, "bon", replace)
            for p in range(pool.n_prompts)
        ]
        np.testing.assert_allclose(exact.oracle_value(prep, n, replace), oracle, atol=1e-12)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("replace", [True, False])
def test_majority_vote_matches_enumeration(seed: int, replace: bool) -> None:
    pool = _ragged_pool(seed + 10)
    prep = prepare(pool)
    top = 4 if replace else int(pool.sizes.min())
    for n in range(1, top + 1):
        np.testing.assert_allclose(
            majority_vote_value(prep, n, replace), brute_values(pool, n, "majority_vote", replace), atol=1e-12
        )


def test_best_of_poisson_is_the_poisson_mixture_of_enumerated_bon() -> None:
    pool = _ragged_pool(5, prompts=2, max_size=3)
    prep = prepare(pool)
    mu = 1.3
    mixture = np.zeros(pool.n_prompts)
    for extra in range(0, 8):  # N' = 1 + extra; the Poisson tail beyond 7 is < 1e-4 and bounded below
        weight = math.exp(-mu) * mu**extra / math.factorial(extra)
        mixture += weight * brute_values(pool, 1 + extra, "bon")
    tail = 1 - sum(math.exp(-mu) * mu**j / math.factorial(j) for j in range(8))
    got = exact.poisson_value(prep, mu)
    spread = np.abs(pool.truth).max()
    assert np.all(np.abs(got - mixture) <= tail * spread + 1e-12)
    assert tail < 1e-4
    # mu = 0 is one candidate: the pool mean
    np.testing.assert_allclose(exact.poisson_value(prep, 0.0), prep.pool_mean, atol=1e-12)


def test_oracle_is_pass_at_n_for_binary_truth() -> None:
    rng = np.random.default_rng(0)
    truth = (rng.random((5, 40)) < rng.random((5, 1))).astype(float)
    pool = Pool.from_arrays(rng.normal(size=(5, 40)), truth)
    prep = prepare(pool)
    c = truth.mean(axis=1)
    for n in (1, 2, 7, 64, 1000):
        np.testing.assert_allclose(exact.oracle_value(prep, n), 1 - (1 - c) ** n, atol=1e-12)
    for n in (1, 5, 40):  # without replacement: 1 - C(M - cM, N) / C(M, N)
        expected = [1 - math.comb(40 - int(k), n) / math.comb(40, n) for k in truth.sum(axis=1)]
        np.testing.assert_allclose(exact.oracle_value(prep, n, replace=False), expected, atol=1e-12)


def test_large_n_bon_converges_to_the_pool_limit() -> None:
    pool = _ragged_pool(3, prompts=4, max_size=6)
    prep = prepare(pool)
    limit = evaluate(pool, methods=["bon"], n_grid=[2**14], include_limit=True)
    at_inf = limit.find("bon", math.inf)["mean_true_reward"]
    big = limit.find("bon", 2**14)["mean_true_reward"]
    assert abs(at_inf - big) < 1e-9
    # and the limit is the rule on the whole pool, from the selection core
    probs = selection_probs("bon", pool.proxy, mask=pool.mask)
    assert at_inf == pytest.approx(float((probs * pool.truth).sum(axis=1).mean()), abs=1e-12)
    del prep


def test_itp_and_soft_bon_limits_use_the_pool_law() -> None:
    pool = _ragged_pool(1, prompts=3, max_size=5, levels=5)
    table = evaluate(pool, methods=["itp", "soft_bon"], betas=[0.7], n_grid=[1])
    for method in ("itp", "soft_bon"):
        probs = selection_probs(method, pool.proxy, mask=pool.mask, beta=0.7)
        expected = float((probs * pool.truth).sum(axis=1).mean())
        row = table.find(method, math.inf)
        assert row["exact"] and row["mean_true_reward"] == pytest.approx(expected, abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    proxy=st.lists(st.integers(0, 2), min_size=1, max_size=4),
    truth=st.lists(st.floats(-3, 3, allow_nan=False), min_size=4, max_size=4),
    n=st.integers(1, 3),
    data=st.data(),
)
def test_property_topk_law_matches_enumeration(proxy, truth, n, data) -> None:  # type: ignore[no-untyped-def]
    r = np.array(proxy, dtype=float)
    t = np.array(truth[: len(r)])
    k = data.draw(st.integers(1, n))
    replace = data.draw(st.booleans()) or n > len(r)
    prep = prepare(Pool.from_arrays(r, t))
    got = exact.topk_value(prep, n, k, replace)[0]
    assert got == pytest.approx(brute_value(r, t, n, "topk", replace, k=k), abs=1e-12)


@settings(max_examples=30, deadline=None)
@given(m=st.integers(1, 40), n=st.integers(1, 40), k=st.integers(1, 40), replace=st.booleans())
def test_property_cumulative_law_is_a_cdf(m: int, n: int, k: int, replace: bool) -> None:
    k = min(k, n)
    if not replace and n > m:
        n = m
        k = min(k, n)
    law = exact.topk_law(m, n, k, replace)
    assert law[0] == pytest.approx(0.0, abs=1e-12) and law[-1] == pytest.approx(1.0, abs=1e-9)
    assert np.all(np.diff(law) >= -1e-12)


def test_tie_bounds_and_compositions() -> None:
    lo, hi = tie_bounds(np.array([[1.0, 1.0, 2.0, 3.0, 3.0, 3.0]]), np.array([6]))
    assert lo.tolist() == [[0, 0, 2, 3, 3, 3]] and hi.tolist() == [[2, 2, 3, 6, 6, 6]]
    comps = compositions(5, 3)
    assert len(comps) == n_count_vectors(5, 3) == 21
    assert (comps.sum(axis=1) == 5).all() and len({tuple(c) for c in comps}) == 21
