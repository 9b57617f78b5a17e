"""The policy protocol: batch-first, async-first text generation with sync wrappers.

A *policy* is the reference model ``pi_ref`` we sample candidates from. Every backend adapter implements
:class:`Policy`: ``agenerate(prompts, n, params)`` returns, for each prompt, ``n`` completions with
their text, token count and (where the backend gives them) log-probabilities. ``generate`` is the
sync wrapper. Backends that can score the next token (needed by the LLM judge) also implement
:class:`NextTokenScorer`.

A prompt is either a plain user message (``str``) or a list of chat messages
(``[{"role": "user", "content": ...}, ...]``); adapters apply the model's chat template.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Coroutine, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, TypeVar, Union, runtime_checkable

ChatMessage = dict[str, str]
Prompt = Union[str, list[ChatMessage]]
T = TypeVar("T")


def as_messages(prompt: Prompt) -> list[ChatMessage]:
    """Normalize a prompt to chat messages (a bare string is one user message)."""
    if isinstance(prompt, str):
        return [{"role": "user", "content": prompt}]
    if isinstance(prompt, list) and all(isinstance(m, dict) and "role" in m and "content" in m for m in prompt):
        return prompt
    raise ValueError(
        f"a prompt must be a string or a list of {{'role': ..., 'content': ...}} messages; got {prompt!r:.200}"
    )


def prompt_key(prompt: Prompt) -> str:
    """A stable text key for a prompt (cache keys, deduplication)."""
    return prompt if isinstance(prompt, str) else json.dumps(prompt, sort_keys=True, ensure_ascii=False)


@dataclass(frozen=True)
class SamplingParams:
    """How candidates are sampled. ``seed`` makes a backend reproducible where it supports seeding;
    sample ``j`` of a request uses ``seed + j`` so the n samples differ but are each reproducible."""

    temperature: float = 1.0
    top_p: float = 1.0
    max_tokens: int = 64
    seed: int | None = 0
    stop: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not (self.temperature >= 0):
            raise ValueError(f"temperature must be >= 0; got {self.temperature}")
        if not (0 < self.top_p <= 1):
            raise ValueError(f"top_p must be in (0, 1]; got {self.top_p}")
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1; got {self.max_tokens}")

    def key(self) -> str:
        """Stable digest of the parameters, part of every cache key."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Completion:
    """One sampled response.

    Attributes:
        text: the generated text (without the prompt).
        num_tokens: generated tokens.
        logprob: sum of the sampled tokens' log-probabilities under the policy, if known.
        token_logprobs: per-token log-probabilities, if known.
        finish_reason: ``"stop"``, ``"length"``... as the backend reports it.
    """

    text: str
    num_tokens: int
    logprob: float | None = None
    token_logprobs: tuple[float, ...] | None = field(default=None, repr=False)
    finish_reason: str | None = None

    @property
    def mean_logprob(self) -> float | None:
        """Average token log-probability (the policy's self-certainty), if known."""
        if self.logprob is None or self.num_tokens == 0:
            return None
        return self.logprob / self.num_tokens


@runtime_checkable
class Policy(Protocol):
    """A reference policy we can sample from, batch-first and async-first."""

    @property
    def name(self) -> str:
        """Identifies the model (e.g. a model id or a file hash): part of every cache key."""
        ...

    async def agenerate(
        self, prompts: Sequence[Prompt], n: int, params: SamplingParams
    ) -> list[list[Completion]]:
        """``n`` completions for each prompt, in prompt order."""
        ...

    def generate(self, prompts: Sequence[Prompt], n: int, params: SamplingParams) -> list[list[Completion]]:
        """Sync wrapper of :meth:`agenerate`."""
        ...


@runtime_checkable
class NextTokenScorer(Protocol):
    """A backend that returns log-probabilities of chosen next tokens after a prompt (for judges)."""

    async def anext_token_logprobs(
        self, prompts: Sequence[Prompt], tokens: Sequence[str]
    ) -> list[dict[str, float]]:
        """For each prompt (chat template applied, generation prompt added), the log-probability
        of each string in ``tokens`` being the first generated token (``-inf`` if impossible)."""
        ...


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from sync code; refuses (clearly) when called inside a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    coro.close()
    raise RuntimeError(
        "a sync pessimism method was called inside a running event loop; await the async variant "
        "(agenerate / ascore) instead"
    )


def check_n(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n (samples per prompt) must be an integer >= 1; got {n!r}")
    return n
