"""evaluate()'s table, its statistics, argument validation, and the diagnostics."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pessimism.lab import Pool, evaluate, make_pool
from pessimism.lab.diagnostics import coverage, hacking_verdict, rm_error
from pessimism.lab.table import COLUMNS


def test_rows_statistics_and_compute() -> None:
    pool = make_pool(12, 20, seed=0, text=False)
    table = evaluate(pool, methods=["bon", "uniform", "best_of_poisson", "itp_alg1"], n_grid=[1, 4], betas=[1.0],
                     reps=10)
    assert set(COLUMNS) <= set(table.rows[0])
    bon4 = table.find("bon", 4)
    values = table.values_of(bon4)
    assert bon4["mean_true_reward"] == pytest.approx(values.mean())
    assert bon4["stderr"] == pytest.approx(values.std(ddof=1) / math.sqrt(12))
    pool_mean = (pool.truth * pool.mask).sum(1) / pool.sizes
    assert bon4["lift"] == pytest.approx(values.mean() - pool_mean.mean())
    assert bon4["lift_stderr"] == pytest.approx((values - pool_mean).std(ddof=1) / math.sqrt(12))
    assert bon4["compute"] == 4 and bon4["beta"] is None and bon4["exact"]
    assert table.find("uniform", math.inf)["compute"] == math.inf
    assert table.find("best_of_poisson", 4)["compute"] == 4
    alg1 = table.find("itp_alg1", 4)
    assert alg1["beta"] == 1.0 and 5 <= alg1["compute"] <= 9
    tokens = pool.columns["num_tokens"]
    mean_tokens = np.array([np.mean([tokens[p, j] for j in range(20)]) for p in range(12)])
    assert bon4["tokens"] == pytest.approx(4 * mean_tokens.mean())
    # no N = inf row for methods without an exact limit
    assert not [r for r in table if r["method"] in ("best_of_poisson", "itp_alg1") and math.isinf(r["n"])]


def test_bon_reward_hacks_on_the_synthetic_pool_and_itp_does_not() -> None:
    pool = make_pool(60, 512, seed=1, text=False)
    table = evaluate(pool, methods=["bon", "itp"], betas=[0.5], n_grid=[1, 8, 512], reps=20)
    verdict = hacking_verdict(table)
    assert verdict["bon"]["significant"] and verdict["bon"]["peak_n"] == 8
    assert verdict["bon"]["drop"] > 0.3 and "reward hacking: BoN peaks at N=8" in verdict["verdict"]
    itp = next(c for c in verdict["curves"] if c["method"] == "itp")
    assert not itp["significant"]
    assert table.find("itp", 512)["mean_true_reward"] > table.find("bon", 512)["mean_true_reward"] + 0.3


def test_coverage_and_rm_error_numbers() -> None:
    truth = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
    proxy = 3.0 * truth - 1.0 + np.array([[0.0, 0.5, -0.5, 0.0], [0.0, 0.0, 0.5, -0.5], [0.0, 0.0, 0.0, 0.0]])
    pool = Pool.from_arrays(proxy, truth)
    cov = coverage(pool)
    assert cov["share_prompts_with_correct"] == pytest.approx(2 / 3)
    assert cov["correct_fraction_histogram"]["0"] == 1 and cov["correct_fraction_histogram"]["1"] == 1
    assert cov["correct_fraction_histogram"]["(0.2,0.3]"] == 1 and cov["truth_is_binary"]
    exact_linear = Pool.from_arrays(2.0 * truth + 5.0, truth)
    err = rm_error(exact_linear)
    assert err["eps2"] == pytest.approx(0.0, abs=1e-20) and err["affine_fit"]["slope"] == pytest.approx(0.5)
    noisy = rm_error(pool)
    assert noisy["eps2"] > 0 and 0 < noisy["r2"] < 1


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"methods": ["best_of_n"]}, "unknown lab method 'best_of_n'"),
        ({"n_grid": [0]}, "integers >= 1"),
        ({"n_grid": [2.5]}, "integers >= 1"),
        ({"n_grid": [64], "without_replacement": True}, "cannot exceed the smallest pool"),
        ({"betas": [0.0]}, "finite numbers > 0"),
        ({"betas": "tuned"}, "'auto'"),
        ({"topk_m": [1.5], "methods": ["topk"]}, "integers >= 1"),
        ({"normalize": "global"}, "normalize must be one of"),
        ({"reps": 0}, "reps must be"),
        ({"methods": ["best_of_poisson"], "without_replacement": True, "n_grid": [2]}, "only defined with replacement"),
        ({"r_max": 3.0, "normalize": "zscore"}, "r_max"),
        ({"methods": ["itp_alg1"], "r_max": -10.0}, "below the largest proxy reward"),
        ({"calib_frac": 1.5, "betas": "auto"}, "calib_frac"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict, match: str) -> None:
    pool = make_pool(4, 16, seed=0, text=False)
    with pytest.raises(ValueError, match=match):
        evaluate(pool, **{"reps": 2, **kwargs})


def test_voting_needs_answers() -> None:
    pool = Pool.from_arrays(np.zeros((2, 3)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="no 'answer' column"):
        evaluate(pool, methods=["majority_vote"])


def test_without_replacement_at_full_pool_is_exact_and_deterministic() -> None:
    pool = make_pool(5, 16, seed=2, text=False)
    table = evaluate(pool, methods=["bon", "itp"], betas=[0.5], n_grid=[16], without_replacement=True, reps=5,
                     include_limit=True)
    # N = M without replacement sees the whole pool: equal to the N = inf limit, with no MC noise
    assert table.find("bon", 16)["mean_true_reward"] == pytest.approx(table.find("bon", math.inf)["mean_true_reward"])
    itp = table.find("itp", 16)
    assert itp["mc_stderr"] == pytest.approx(0.0, abs=1e-12)
    assert itp["mean_true_reward"] == pytest.approx(table.find("itp", math.inf)["mean_true_reward"])
