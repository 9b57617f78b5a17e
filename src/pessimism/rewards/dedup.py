"""Score each distinct (prompt, response) pair once and fan the scores back out.

Small policies repeat themselves: with N = 32 samples of "What is the capital of France?" most
candidates are the literal string "Paris". Reward calls are the expensive half of inference-time
alignment, so the pipeline scores the unique pairs only. A pair's identity is
``(prompt_key(prompt), response)``: exact text, no normalization (two responses that differ by a
space may legitimately score differently).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..models.base import Completion, Prompt, prompt_key, run_sync
from ._common import check_scores
from .base import RewardModel, check_pairs


def unique_pairs(
    prompts: Sequence[Prompt], responses: Sequence[str]
) -> tuple[list[int], list[int]]:
    """Deduplicate pairs.

    Returns ``(first, inverse)``: ``first[u]`` is the index of the first occurrence of unique pair
    ``u`` (in order of first appearance) and ``inverse[i]`` the unique pair that pair ``i`` maps to,
    so ``scores[i] == unique_scores[inverse[i]]``. ``len(first)`` is the number of reward calls.
    """
    check_pairs(prompts, responses)
    seen: dict[tuple[str, str], int] = {}
    first: list[int] = []
    inverse: list[int] = []
    for i, (prompt, response) in enumerate(zip(prompts, responses)):
        if not isinstance(response, str):
            raise ValueError(f"response {i} must be a string; got {type(response).__name__}")
        key = (prompt_key(prompt), response)
        u = seen.get(key)
        if u is None:
            u = seen[key] = len(first)
            first.append(i)
        inverse.append(u)
    return first, inverse


async def ascore_unique(
    model: RewardModel,
    prompts: Sequence[Prompt],
    responses: Sequence[str],
    completions: Sequence[Completion] | None = None,
) -> list[float]:
    """Score the distinct pairs once with ``model`` and return one score per input pair.

    If ``completions`` (parallel to ``responses``) are given and the model can use them (it has
    ``ascore_completions``, e.g. :class:`~pessimism.rewards.self_certainty.SelfCertaintyReward`),
    the first completion of each unique pair is passed instead of its text.
    Every score is checked to be finite; a bad one raises ValueError naming the pair.
    """
    first, inverse = unique_pairs(prompts, responses)
    u_prompts = [prompts[i] for i in first]
    u_responses = [responses[i] for i in first]
    name = getattr(model, "name", type(model).__name__)
    if completions is not None and hasattr(model, "ascore_completions"):
        if len(completions) != len(responses):
            raise ValueError(
                f"completions must be parallel to responses: got {len(completions)} completions for "
                f"{len(responses)} responses"
            )
        raw = await model.ascore_completions(u_prompts, [completions[i] for i in first])  # type: ignore[attr-defined]
    else:
        raw = await model.ascore(u_prompts, u_responses)
    unique_scores = check_scores(raw, u_prompts, u_responses, name)
    return [unique_scores[u] for u in inverse]


def score_unique(
    model: RewardModel,
    prompts: Sequence[Prompt],
    responses: Sequence[str],
    completions: Sequence[Completion] | None = None,
) -> list[float]:
    """Sync wrapper of :func:`ascore_unique`."""
    return run_sync(ascore_unique(model, prompts, responses, completions))
