"""Self-certainty: the policy's own mean token log-probability of a response, as a reward.

    r(x, y) = (1/|y|) * sum_t log pi_ref(y_t | x, y_<t)

A confident (high-likelihood) answer scores higher. It needs no second model, which makes it the
cheapest proxy reward, and a famously imperfect one (it rewards fluent, generic, repeated answers),
which is exactly what reward-hacking experiments need.

**How the pipeline passes it.** The log-probabilities already exist at generation time
(:attr:`Completion.mean_logprob`), so recomputing them would double the cost. This scorer therefore
has two entry points:

- ``ascore_completions(prompts, completions)`` — the pipeline's path: reads ``mean_logprob`` from
  the completions the policy returned. :func:`pessimism.rewards.dedup.ascore_unique` uses it
  automatically when given ``completions=``.
- ``ascore(prompts, responses)`` — the plain :class:`RewardModel` path for bare strings: recomputes
  the log-probabilities by teacher forcing, which needs a policy implementing
  :class:`ResponseLogprobScorer`; without one it raises a ValueError saying what to do.

A response with zero tokens has no mean; it raises unless ``empty_score`` is given.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from ..models.base import Completion, Prompt
from ._common import SyncScoreMixin, _short, check_scores
from .base import check_pairs


@runtime_checkable
class ResponseLogprobScorer(Protocol):
    """A backend that scores given responses by teacher forcing."""

    async def aresponse_logprobs(
        self, prompts: Sequence[Prompt], responses: Sequence[str]
    ) -> list[tuple[float, int]]:
        """For each pair: (sum of the response tokens' log-probabilities after the prompt, token count)."""
        ...


class SelfCertaintyReward(SyncScoreMixin):
    """Mean token log-probability of the response under the policy (see the module docstring).

    Args:
        policy: optional; needed only to score bare strings (must implement ``aresponse_logprobs``).
        empty_score: score for zero-token responses; ``None`` (default) raises instead.
    """

    def __init__(self, policy: object | None = None, *, empty_score: float | None = None) -> None:
        if empty_score is not None and not math.isfinite(empty_score):
            raise ValueError(f"empty_score must be finite or None; got {empty_score}")
        self.policy = policy
        self.empty_score = empty_score

    @property
    def name(self) -> str:
        if self.policy is None:
            return "self_certainty"
        return f"self_certainty@{getattr(self.policy, 'name', type(self.policy).__name__)}"

    def _mean(self, total: float | None, count: int, i: int, prompt: Prompt, response: str) -> float:
        if count == 0:
            if self.empty_score is None:
                raise ValueError(
                    f"self_certainty: response {i} (prompt {_short(prompt)}) has no tokens, so no mean "
                    "log-probability; set empty_score to score empty responses"
                )
            return self.empty_score
        if total is None:
            raise ValueError(
                f"self_certainty: completion {i} (prompt {_short(prompt)}, response {_short(response)}) "
                "carries no log-probabilities; use a policy backend that returns them (llama_cpp, "
                "openai with logprobs) or another reward model"
            )
        return total / count

    async def ascore_completions(
        self, prompts: Sequence[Prompt], completions: Sequence[Completion]
    ) -> list[float]:
        """Scores from the log-probabilities recorded at generation time."""
        check_pairs(prompts, completions)
        texts = [c.text for c in completions]
        scores = [
            self._mean(c.logprob, c.num_tokens, i, p, c.text) for i, (p, c) in enumerate(zip(prompts, completions))
        ]
        return check_scores(scores, prompts, texts, self.name)

    async def ascore(self, prompts: Sequence[Prompt], responses: Sequence[str]) -> list[float]:
        """Scores of bare strings, by teacher forcing through the policy."""
        check_pairs(prompts, responses)
        if not isinstance(self.policy, ResponseLogprobScorer):
            raise ValueError(
                "self_certainty can only score bare strings with a policy that implements "
                "aresponse_logprobs (teacher forcing); pass the completions instead "
                "(score_unique(model, prompts, responses, completions=...) or ascore_completions)"
            )
        if not responses:
            return []
        got = await self.policy.aresponse_logprobs(list(prompts), list(responses))
        if len(got) != len(responses):
            raise ValueError(
                f"{type(self.policy).__name__}.aresponse_logprobs returned {len(got)} results for "
                f"{len(responses)} responses"
            )
        scores = [
            self._mean(total, count, i, p, r)
            for i, ((total, count), p, r) in enumerate(zip(got, prompts, responses))
        ]
        return check_scores(scores, prompts, responses, self.name)
