"""The generation API shared by the in-process backends (llama.cpp, transformers).

A subclass provides ``_prepare(prompts, max_tokens) -> token id lists`` (validating each prompt) and
``_generate_one(tokens, n, params) -> [(generated ids, Completion)]``; this mixin turns them into the
:class:`~pessimism.models.base.Policy` methods, running the blocking model calls in a worker thread so
``agenerate`` never blocks the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from .base import Completion, Prompt, SamplingParams, check_n, run_sync


class LocalGeneration:
    def _prepare(self, prompts: Sequence[Prompt], max_tokens: int) -> list[list[int]]:
        raise NotImplementedError

    def _generate_one(self, tokens: list[int], n: int, params: SamplingParams) -> list[tuple[tuple[int, ...], Completion]]:
        raise NotImplementedError

    async def agenerate(self, prompts: Sequence[Prompt], n: int, params: SamplingParams) -> list[list[Completion]]:
        """``n`` completions per prompt (sample ``j`` seeded ``seed + j``); each prompt is evaluated once."""
        check_n(n)
        token_lists = await asyncio.to_thread(self._prepare, prompts, params.max_tokens)
        out: list[list[Completion]] = []
        for tokens in token_lists:
            pairs = await asyncio.to_thread(self._generate_one, tokens, n, params)
            out.append([c for _, c in pairs])
        return out

    def generate(self, prompts: Sequence[Prompt], n: int, params: SamplingParams) -> list[list[Completion]]:
        """Sync wrapper of :meth:`agenerate`."""
        return run_sync(self.agenerate(prompts, n, params))

    def generate_ids(self, prompt: Prompt, n: int, params: SamplingParams) -> list[tuple[tuple[int, ...], Any]]:
        """Like :meth:`generate` for one prompt, also returning each sample's generated token ids
        (including a final end-of-sequence token), for analysis and tests."""
        check_n(n)
        (tokens,) = self._prepare([prompt], params.max_tokens)
        return self._generate_one(tokens, n, params)
