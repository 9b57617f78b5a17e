"""Candidates for one prompt: generated and scored through the disk cache.

:class:`CandidateSource` is the only place the pipeline touches a policy or a reward model. Sample
``j`` of a prompt is always drawn with seed ``seed + j`` and cached under that index, so any later
request (a larger N, a resumed run, phase 2 of Algorithm 1) reuses what exists and generates only
what is missing. Identical responses of a prompt are scored once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..models.base import Completion, Policy, Prompt, SamplingParams
from ..rewards.base import RewardModel
from ..rewards.dedup import ascore_unique
from .cache import DiskCache, generation_key, score_key


@dataclass
class Usage:
    """Work done for one prompt: what the method consumed, and how much of it was fresh."""

    candidates: int = 0
    tokens: int = 0
    generated: int = 0  # candidates actually generated now (the rest came from the cache)
    reward_calls: int = 0  # distinct (prompt, response) pairs scored now
    cached_scores: int = 0

    def add(self, completions: Sequence[Completion], generated: int) -> None:
        self.candidates += len(completions)
        self.tokens += sum(c.num_tokens for c in completions)
        self.generated += generated


class CandidateSource:
    """Generates and scores candidates with caching. One instance serves a whole run."""

    def __init__(
        self,
        policy: Policy,
        rewards: Sequence[tuple[str, RewardModel]],
        params: SamplingParams,
        cache: DiskCache | None = None,
    ) -> None:
        if not rewards:
            raise ValueError("at least one reward model is needed to score candidates")
        self.policy = policy
        self.rewards = list(rewards)
        self.params = params
        self.cache = cache

    async def completions(self, prompt: Prompt, start: int, stop: int, usage: Usage) -> list[Completion]:
        """Samples ``start .. stop-1`` of ``prompt`` (cached ones reused, missing runs generated)."""
        indices = list(range(start, stop))
        keys = [generation_key(self.policy.name, prompt, self.params, j) for j in indices]
        found = self.cache.get_generations(keys) if self.cache else {}
        result: dict[int, Completion] = {j: found[k] for j, k in zip(indices, keys) if k in found}
        generated = 0
        for run_start, run_stop in _missing_runs(indices, result):
            seed = None if self.params.seed is None else self.params.seed + run_start
            params = replace(self.params, seed=seed)
            (batch,) = await self.policy.agenerate([prompt], run_stop - run_start, params)
            if len(batch) != run_stop - run_start:
                raise RuntimeError(
                    f"policy {self.policy.name} returned {len(batch)} completions, asked for {run_stop - run_start}"
                )
            new = list(zip(range(run_start, run_stop), batch))
            if self.cache:
                self.cache.put_generations(
                    (generation_key(self.policy.name, prompt, self.params, j), c) for j, c in new
                )
            result.update(new)
            generated += len(new)
        ordered = [result[j] for j in indices]
        usage.add(ordered, generated)
        return ordered

    async def scores(
        self, prompt: Prompt, completions: Sequence[Completion], usage: Usage, which: int = 0
    ) -> list[float]:
        """Reward ``which`` (index into ``rewards``) of each completion; distinct texts scored once.

        ``prompt`` is what the reward model sees; it may differ from what the policy saw (a task's
        plain question rather than its few-shot scaffold, see :func:`reward_prompt`).
        """
        _, model = self.rewards[which]
        texts = [c.text for c in completions]
        keys = [score_key(model.name, prompt, t) for t in texts]
        found = self.cache.get_scores(keys) if self.cache else {}
        missing = [i for i, k in enumerate(keys) if k not in found]
        if missing:
            fresh = await ascore_unique(
                model, [prompt] * len(missing), [texts[i] for i in missing], [completions[i] for i in missing]
            )
            new = {keys[i]: s for i, s in zip(missing, fresh)}
            if self.cache:
                self.cache.put_scores(new.items())
            usage.reward_calls += len(new)
            found = {**found, **new}
        usage.cached_scores += len(set(keys) - {keys[i] for i in missing})
        return [float(found[k]) for k in keys]


def _missing_runs(indices: list[int], have: dict[int, Completion]) -> list[tuple[int, int]]:
    """Contiguous ``[start, stop)`` runs of indices not in ``have``."""
    runs: list[tuple[int, int]] = []
    for j in indices:
        if j in have:
            continue
        if runs and runs[-1][1] == j:
            runs[-1] = (runs[-1][0], j + 1)
        else:
            runs.append((j, j + 1))
    return runs


def reward_prompt(item: object, policy_prompt: Prompt) -> Prompt:
    """What reward models see for a task item: its plain question (``meta["question"]``) when the
    policy's prompt wraps it in few-shot scaffolding, else the policy's prompt itself."""
    meta = getattr(item, "meta", None) or {}
    question = meta.get("question") if hasattr(meta, "get") else None
    return question if isinstance(question, str) and question else policy_prompt
