"""The reward-model protocol: batch-first ``score(prompts, responses) -> list[float]``.

A reward model is the *proxy* reward ``r_hat``; a verifier (ground truth) implements the same
protocol and gives the *true* reward ``r_star``. ``ascore`` is the async form; ``score`` the sync wrapper.
Prompts and responses are parallel sequences (one score per pair).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from ..models.base import Prompt


@runtime_checkable
class RewardModel(Protocol):
    @property
    def name(self) -> str:
        """Identifies the scorer (part of every score cache key)."""
        ...

    async def ascore(self, prompts: Sequence[Prompt], responses: Sequence[str]) -> list[float]:
        """One finite float per (prompt, response) pair, in order."""
        ...

    def score(self, prompts: Sequence[Prompt], responses: Sequence[str]) -> list[float]:
        """Sync wrapper of :meth:`ascore`."""
        ...


def check_pairs(prompts: Sequence[object], responses: Sequence[object]) -> None:
    """Raise if prompts and responses are not parallel sequences."""
    if len(prompts) != len(responses):
        raise ValueError(
            f"score() takes parallel sequences: got {len(prompts)} prompts and {len(responses)} responses; "
            "repeat each prompt once per response"
        )
