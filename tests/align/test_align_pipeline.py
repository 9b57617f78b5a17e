"""align() end to end on the real embedded model: selection, accounting, resume, Algorithm 1."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from pessimism.align import AlignError, DiskCache, align
from pessimism.models.base import SamplingParams
from pessimism.rewards import CallableReward

# short seeded samples that stop at the end of the answer line (the capitals_fewshot format)
FEWSHOT_PARAMS = SamplingParams(temperature=1.0, max_tokens=8, seed=0, stop=("\n",))


def run(plain_gemma: Any, judge: Any, task: Any, items: list, cache: DiskCache | None, **kw: Any) -> list:
    return align(items, plain_gemma, judge, task=task, params=FEWSHOT_PARAMS, cache=cache, **kw)


def test_pool_rules_report_candidates_tokens_and_truth(plain_gemma, fewshot_judge, fewshot_task, tmp_path) -> None:
    items = fewshot_task.items()[:3]
    with DiskCache(tmp_path / "c.sqlite") as cache:
        bon = run(plain_gemma, fewshot_judge, fewshot_task, items, cache, method="bon", n=6)
        itp = run(plain_gemma, fewshot_judge, fewshot_task, items, cache, method="itp", n=6, beta=0.5)
        # the same 6 samples per prompt serve both rules: the second run generated and scored nothing
        assert all(r.generated == 0 and r.reward_calls == 0 for r in itp)
        samples = plain_gemma.generate([it.prompt for it in items], 6, FEWSHOT_PARAMS)
    for b, i, item, own in zip(bon, itp, items, samples):
        texts = [c.text for c in own]
        assert b.prompt_id == i.prompt_id == item.prompt_id
        assert b.candidates == i.candidates == 6
        assert b.tokens == sum(c.num_tokens for c in own)  # every candidate's tokens are counted
        assert b.response in texts and i.response in texts
        assert b.reward_calls == len(set(texts))  # identical responses scored once
        scores = fewshot_judge.score([item.meta["question"]] * 6, texts)
        assert b.reward == pytest.approx(max(scores))  # Best-of-N takes the top judge score
        assert i.lam_hat is not None and i.probability > 0
        assert b.true_reward == fewshot_task.true_reward(item, b.response)


def test_voting_uses_task_answers(plain_gemma, fewshot_judge, fewshot_task) -> None:
    items = fewshot_task.items()[:2]
    res = run(plain_gemma, fewshot_judge, fewshot_task, items, None, method="majority_vote", n=6)
    samples = plain_gemma.generate([it.prompt for it in items], 6, FEWSHOT_PARAMS)
    for r, own in zip(res, samples):
        keys = [fewshot_task.extract_answer(c.text) for c in own]
        keys = [fewshot_task.answer_key(k) for k in keys if k is not None]
        counts = {k: keys.count(k) for k in keys}
        assert counts[r.answer] == max(counts.values())  # the returned answer is a most frequent one


def test_algorithm1_streams_and_reuses_the_pool(plain_gemma, fewshot_judge, fewshot_task, tmp_path) -> None:
    items = fewshot_task.items()[:2]
    with DiskCache(tmp_path / "c.sqlite") as cache:
        pool = run(plain_gemma, fewshot_judge, fewshot_task, items, cache, method="itp", n=4, beta=0.5)
        alg = run(plain_gemma, fewshot_judge, fewshot_task, items, cache, method="itp_algorithm1", n=4,
                  beta=0.5, r_max=20.0)
    for p, a in zip(pool, alg):
        assert 4 < a.candidates <= 9  # N phase-1 draws, 1..N phase-2 draws, at most one fallback
        assert a.candidates == 4 + a.extra["phase2_draws"] + a.extra["fallback_draws"]
        assert a.generated == a.candidates - 4  # phase 1 is the cached pool of the first run
        assert a.lam_hat == pytest.approx(p.lam_hat)  # same phase-1 samples, same normalizer


def test_interrupted_run_resumes_without_regenerating(plain_gemma, fewshot_judge, fewshot_task, tmp_path) -> None:
    """A reward model that dies on the third prompt (a fault injected through a real callable);
    the rerun regenerates nothing that was generated and rescores nothing that was scored."""
    items = fewshot_task.items()[:4]
    calls = {"n": 0}

    def flaky(prompt: str, response: str) -> float:
        calls["n"] += 1
        if "Albania" in prompt:
            raise RuntimeError("reward server died")
        return float(len(response))

    flaky_reward = CallableReward(flaky, name="length")
    with DiskCache(tmp_path / "c.sqlite") as cache:
        with pytest.raises(AlignError, match="1 of 4 prompts failed.*reward server died") as failed:
            run(plain_gemma, flaky_reward, fewshot_task, items, cache, method="bon", n=5)
        assert len(failed.value.results) == 3  # the other prompts finished
        generated_before, scored_before = cache.counts()
        assert generated_before == 20  # all four prompts' generations were saved as they finished
        assert scored_before > 0
        steady = CallableReward(lambda p, r: float(len(r)), name="length")
        res = run(plain_gemma, steady, fewshot_task, items, cache, method="bon", n=5)
    assert sum(r.generated for r in res) == 0
    albania = [r for r in res if "Albania" in r.prompt]
    assert albania and albania[0].reward_calls > 0  # only the prompt that failed is scored now
    assert sum(r.reward_calls for r in res if "Albania" not in r.prompt) == 0


def test_bad_parameters_are_named(plain_gemma, fewshot_judge, fewshot_task) -> None:
    items = fewshot_task.items()[:1]
    with pytest.raises(ValueError, match="unknown selection method 'best'"):
        run(plain_gemma, fewshot_judge, fewshot_task, items, None, method="best")
    with pytest.raises(ValueError, match="needs parameter\\(s\\) k"):
        run(plain_gemma, fewshot_judge, fewshot_task, items, None, method="topk")
    with pytest.raises(ValueError, match="needs r_max"):
        run(plain_gemma, fewshot_judge, fewshot_task, items, None, method="itp_algorithm1", beta=1.0)
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        run(plain_gemma, fewshot_judge, fewshot_task, items, None, n=0)


def test_seeded_runs_repeat(plain_gemma, fewshot_judge, fewshot_task) -> None:
    items = fewshot_task.items()[:2]
    a = run(plain_gemma, fewshot_judge, fewshot_task, items, None, method="itp", n=4, beta=0.5, seed=5)
    b = run(plain_gemma, fewshot_judge, fewshot_task, items, None, method="itp", n=4, beta=0.5, seed=5)
    assert [r.response for r in a] == [r.response for r in b]
    assert np.allclose([r.reward for r in a], [r.reward for r in b])
