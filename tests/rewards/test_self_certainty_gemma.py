"""Self-certainty on the embedded Gemma: log-probabilities recorded at generation flow through dedup."""

from __future__ import annotations

import math

import pytest

from pessimism.models.base import SamplingParams
from pessimism.rewards import load_reward, score_unique, unique_pairs
from pessimism.tasks import load_task


@pytest.mark.slow
def test_self_certainty_from_real_completions(gemma_plain) -> None:  # noqa: ANN001
    item = {it.prompt_id: it for it in load_task("capitals_fewshot").items()}["FRA"]
    completions = gemma_plain.generate(
        [item.prompt], 6, SamplingParams(temperature=1.0, max_tokens=6, seed=1, stop=("\n",))
    )[0]
    texts = [c.text for c in completions]
    reward = load_reward("self_certainty", policy=gemma_plain)
    assert reward.name.startswith("self_certainty@llama_cpp:")
    scores = score_unique(reward, [item.prompt] * 6, texts, completions=completions)
    assert all(math.isfinite(s) and s <= 0 for s in scores)  # a mean log-probability
    for c, s in zip(completions, scores):
        assert s == pytest.approx(c.logprob / c.num_tokens)
    # identical texts share one score
    first, _ = unique_pairs([item.prompt] * 6, texts)
    assert len({round(s, 12) for s in scores}) <= len(first)
