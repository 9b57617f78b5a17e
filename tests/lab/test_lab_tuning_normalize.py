"""Normalization (per prompt; `none` untouched) and tuning that never sees the held-out prompts."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from pessimism.lab import Pool, evaluate, make_pool
from pessimism.lab.normalize import normalize_rewards
from pessimism.lab.tuning import split_prompts
from pessimism.select import selection_probs


def test_none_returns_the_same_array_object() -> None:
    pool = make_pool(3, 9, seed=0, text=False)
    assert normalize_rewards(pool.proxy, pool.mask, "none") is pool.proxy


def test_zscore_and_rank_are_per_prompt() -> None:
    r = np.array([[1.0, 2.0, 3.0, 0.0], [10.0, 10.0, 40.0, 0.0]])
    mask = np.array([[True, True, True, False], [True, True, True, False]])
    z = normalize_rewards(r, mask, "zscore")
    np.testing.assert_allclose(z[0, :3], [-math.sqrt(1.5), 0, math.sqrt(1.5)])
    np.testing.assert_allclose(z[mask].reshape(2, 3).mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(z[mask].reshape(2, 3).std(axis=1), 1)
    rank = normalize_rewards(r, mask, "rank")
    np.testing.assert_allclose(rank[0, :3], [1 / 3, 2 / 3, 1.0])
    np.testing.assert_allclose(rank[1, :3], [0.5, 0.5, 1.0])  # ties share the mid-rank
    flat = normalize_rewards(np.ones((1, 3)), np.ones((1, 3), bool), "zscore")
    assert (flat == 0).all()
    with pytest.raises(ValueError, match="normalize must be one of"):
        normalize_rewards(r, mask, "global")


def test_zscore_itp_equals_itp_with_a_per_prompt_beta() -> None:
    pool = make_pool(6, 16, seed=3, text=False)
    beta = 0.8
    table = evaluate(pool, methods=["itp", "bon"], betas=[beta], n_grid=[16], normalize="zscore", include_limit=True)
    plain = evaluate(pool, methods=["bon"], n_grid=[16])
    # BoN is invariant to the increasing per-prompt transform
    assert table.find("bon", 16)["mean_true_reward"] == pytest.approx(plain.find("bon", 16)["mean_true_reward"])
    # the N = inf limit of zscored ITP = ITP on raw rewards with beta * sd_p
    sd = pool.proxy.std(axis=1)
    probs = selection_probs("itp", pool.proxy, beta=beta * sd)
    expected = float((probs * pool.truth).sum(axis=1).mean())
    assert table.find("itp", math.inf)["mean_true_reward"] == pytest.approx(expected, abs=1e-12)


def _perturb_prompts(pool: Pool, prompts: np.ndarray, seed: int) -> Pool:
    rng = np.random.default_rng(seed)
    proxy, truth = pool.proxy.copy(), pool.truth.copy()
    proxy[prompts] = rng.normal(0, 5, size=proxy[prompts].shape)
    truth[prompts] = rng.random(truth[prompts].shape)
    return replace(pool, proxy=proxy, truth=truth)


def test_tuning_is_blind_to_held_out_prompts() -> None:
    pool = make_pool(24, 32, seed=5, text=False)
    kwargs = dict(methods=["itp", "soft_bon", "topk"], betas="auto", taus="auto", topk_m="auto", bon_n="auto",
                  n_grid=[2, 8, 32], reps=30, seed=11, calib_frac=0.5)
    base = evaluate(pool, **kwargs)
    cal, held = split_prompts(pool.n_prompts, 0.5, 11)
    assert set(base.calibration_prompts) == {pool.prompt_ids[i] for i in cal}
    assert set(base.prompt_ids) == {pool.prompt_ids[i] for i in held}
    assert all(r["split"] == "heldout" and r["n_prompts"] == len(held) for r in base)

    held_changed = evaluate(_perturb_prompts(pool, held, 1), **kwargs)
    assert held_changed.tuning == base.tuning
    # ... while the reported numbers did change (they are computed on the held-out prompts)
    assert held_changed.find("itp", 8)["mean_true_reward"] != base.find("itp", 8)["mean_true_reward"]

    cal_changed = evaluate(_perturb_prompts(pool, cal, 2), **kwargs)
    assert cal_changed.tuning != base.tuning  # the choice does depend on the calibration prompts


def test_tuned_rows_carry_the_chosen_value_and_beat_or_match_fixed_on_calibration() -> None:
    pool = make_pool(20, 64, seed=1, text=False)
    table = evaluate(pool, methods=["itp"], betas="auto", n_grid=[4, 64], reps=20, include_limit=False)
    record = table.tuning["itp"]
    assert record["parameter"] == "beta" and len(record["candidates"]) == 10
    for n in (4, 64):
        row = table.find("itp", n, "beta=auto")
        assert row["tuned"] and row["beta"] == record["chosen"][str(n)]
        assert row["beta"] in record["candidates"]


def test_split_errors() -> None:
    with pytest.raises(ValueError, match="calib_frac"):
        split_prompts(10, 1.0, 0)
    with pytest.raises(ValueError, match="at least 2 prompts"):
        split_prompts(1, 0.5, 0)
    cal, held = split_prompts(10, 0.3, 4)
    assert len(cal) == 3 and len(held) == 7 and not set(cal) & set(held)
