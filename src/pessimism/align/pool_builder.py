"""Build a *pool* for the lab: M samples per prompt with proxy rewards and true rewards.

One row per (prompt, sample): ``prompt_id``, ``prompt``, ``sample_index``, ``response``, one column per
reward model (named by the caller), ``proxy_reward`` (a copy of the first reward column, the lab's
default), ``true_reward`` from the task's verifier, the extracted ``answer``, ``num_tokens``,
``logprob`` and ``mean_logprob`` where the backend reports log-probabilities.

Generation and scoring go through the disk cache, so a pool run that dies midway resumes without
regenerating or rescoring anything it had finished.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from ..models.base import Policy, SamplingParams
from ..rewards.base import RewardModel
from ..tasks.base import Task, TaskItem
from .cache import DiskCache
from .candidates import CandidateSource, Usage, reward_prompt


async def abuild_pool(
    items: Sequence[TaskItem],
    policy: Policy,
    rewards: Sequence[tuple[str, RewardModel]],
    task: Task,
    *,
    samples: int,
    params: SamplingParams,
    cache: DiskCache | None = None,
    concurrency: int = 4,
    on_prompt: Callable[[TaskItem, Usage], None] | None = None,
) -> list[dict[str, Any]]:
    """Rows of the pool, in (prompt, sample index) order. See the module docstring."""
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise ValueError(f"samples (M, responses per prompt) must be an integer >= 1; got {samples!r}")
    names = [name for name, _ in rewards]
    reserved = {"prompt_id", "prompt", "sample_index", "response", "true_reward", "answer", "num_tokens",
                "logprob", "mean_logprob"}
    clash = sorted((set(names) & reserved) | {n for n in names if names.count(n) > 1})
    if clash:
        raise ValueError(f"reward column names must be distinct and not one of the pool's own columns: {clash}")
    source = CandidateSource(policy, rewards, params, cache)
    gate = asyncio.Semaphore(concurrency)

    async def one(item: TaskItem) -> list[dict[str, Any]]:
        async with gate:
            usage = Usage()
            completions = await source.completions(item.prompt, 0, samples, usage)
            judged = reward_prompt(item, item.prompt)
            columns = [await source.scores(judged, completions, usage, which=i) for i in range(len(rewards))]
        rows = []
        for j, completion in enumerate(completions):
            answer = task.extract_answer(completion.text)
            row: dict[str, Any] = {
                "prompt_id": item.prompt_id,
                "prompt": item.prompt,
                "sample_index": j,
                "response": completion.text,
            }
            row.update({name: float(col[j]) for name, col in zip(names, columns)})
            row["proxy_reward"] = row.get("proxy_reward", float(columns[0][j]))
            row["true_reward"] = task.true_reward(item, completion.text)
            row["answer"] = None if answer is None else task.answer_key(answer)
            row["num_tokens"] = completion.num_tokens
            row["logprob"] = completion.logprob
            row["mean_logprob"] = completion.mean_logprob
            rows.append(row)
        if on_prompt is not None:
            on_prompt(item, usage)
        return rows

    chunks = await asyncio.gather(*(one(item) for item in items))
    return [row for chunk in chunks for row in chunk]
