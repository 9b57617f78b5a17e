"""Any Python callable as a reward model.

Four shapes are accepted, chosen by ``batched`` and detected async-ness:

- per-pair sync:   ``fn(prompt, response) -> float``
- per-pair async:  ``async fn(prompt, response) -> float`` (run concurrently, at most
  ``max_concurrency`` at a time)
- batch sync:      ``fn(prompts, responses) -> list[float]``  (``batched=True``)
- batch async:     ``async fn(prompts, responses) -> list[float]``  (``batched=True``)

Sync callables run in a worker thread so a slow scorer does not block the event loop. ``prompt``
is passed as given (a string, or a list of chat messages).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Sequence
from typing import Any

from ..models.base import Prompt
from ._common import SyncScoreMixin, check_scores
from .base import check_pairs


def _is_async(fn: Callable[..., Any]) -> bool:
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(getattr(fn, "__call__", None))


def callable_name(fn: Callable[..., Any]) -> str:
    """``python:module:qualname`` of a function (its identity in score caches)."""
    module = getattr(fn, "__module__", None) or type(fn).__module__
    qualname = getattr(fn, "__qualname__", None) or type(fn).__qualname__
    return f"python:{module}:{qualname}"


class CallableReward(SyncScoreMixin):
    """Wrap a function as a :class:`~pessimism.rewards.base.RewardModel`.

    Args:
        fn: the scoring function (see the module docstring for the accepted shapes).
        batched: ``True`` if ``fn`` takes the whole batch ``(prompts, responses)``.
        name: cache identity; defaults to ``python:<module>:<qualname>``. Give an explicit name for
            lambdas and closures whose behaviour depends on captured state.
        max_concurrency: for a per-pair async ``fn``, how many calls may run at once.
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        batched: bool = False,
        name: str | None = None,
        max_concurrency: int = 16,
    ) -> None:
        if not callable(fn):
            raise ValueError(f"fn must be callable; got {type(fn).__name__}")
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be >= 1; got {max_concurrency}")
        self.fn = fn
        self.batched = batched
        self.is_async = _is_async(fn)
        self.max_concurrency = max_concurrency
        self._name = name or callable_name(fn)

    @property
    def name(self) -> str:
        return self._name

    async def ascore(self, prompts: Sequence[Prompt], responses: Sequence[str]) -> list[float]:
        check_pairs(prompts, responses)
        prompts, responses = list(prompts), list(responses)
        if not responses:
            return []
        if self.batched:
            if self.is_async:
                raw = await self.fn(prompts, responses)
            else:
                raw = await asyncio.to_thread(self.fn, prompts, responses)
        elif self.is_async:
            gate = asyncio.Semaphore(self.max_concurrency)

            async def one(p: Prompt, r: str) -> Any:
                async with gate:
                    return await self.fn(p, r)

            raw = await asyncio.gather(*(one(p, r) for p, r in zip(prompts, responses)))
        else:
            raw = await asyncio.to_thread(lambda: [self.fn(p, r) for p, r in zip(prompts, responses)])
        if not isinstance(raw, (str, bytes, dict)) and hasattr(raw, "__iter__"):
            raw = list(raw)  # numpy arrays, tuples, generators
        return check_scores(raw, prompts, responses, self.name)
