"""The upstream policy of the server: the OpenAI-compatible adapter, shared by all requests.

``ProxyPolicy`` is :class:`~pessimism.models.openai_compat.OpenAIPolicy` (which detects whether the
upstream honours ``n`` and otherwise sends one request per sample) with three server needs:

* **one connection pool and one semaphore for every upstream call** of every request and both
  endpoints (generation *and* judge calls), built at startup: ``--max-concurrency`` bounds the
  upstream's in-flight requests globally;
* **per-request pass-through fields**: the fields of a client's request that the server does not
  interpret are merged into that request's generation calls, and only those (judge calls stay clean);
* **per-request metering**: the ``usage`` each upstream answer reports, and the raw choice behind each
  completion (so the chosen one is relayed as the upstream wrote it: ``logprobs``, ``finish_reason``).

The per-request part lives in a :class:`contextvars.ContextVar` set by :class:`RequestView` around a
generation call; asyncio tasks copy their context when created, so concurrent requests never see each
other's fields or meters, and nothing mutable is shared between requests.

This subclass overrides three internal hooks of ``OpenAIPolicy`` (``_state``, ``_post``,
``_parse_choice``); ``tests/server`` fails if their contract changes. (The adapter's own n-support
and logprobs detection, remembered on the instance, is the one thing requests do share: it is a
property of the upstream, learnt once.)
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..models.base import Completion, Prompt, SamplingParams
from ..models.openai_compat import OpenAIPolicy


@dataclass
class Meter:
    """What one client request cost upstream (owned by that request only)."""

    generation_calls: int = 0  # Policy.agenerate calls (one per candidate batch)
    upstream_requests: int = 0  # HTTP generation requests that answered
    prompt_tokens: int = 0  # summed over those answers, as the upstream reports them
    raw_choices: dict[int, dict[str, Any]] = field(default_factory=dict)  # id(Completion) -> choice
    completions: list[Completion] = field(default_factory=list)  # every candidate, in drawing order


@dataclass(frozen=True)
class _Call:
    extras: dict[str, Any]
    meter: Meter


_CALL: contextvars.ContextVar[_Call | None] = contextvars.ContextVar("pessimism_server_call", default=None)


@dataclass(frozen=True)
class SharedHttp:
    """The connection pool and the in-flight bound of all upstream calls (built in the event loop)."""

    client: Any
    semaphore: asyncio.Semaphore


class ProxyPolicy(OpenAIPolicy):
    """``OpenAIPolicy`` on a shared client/semaphore, with per-request fields and metering."""

    _shared: SharedHttp | None = None

    def bind(self, shared: SharedHttp) -> None:
        """Use ``shared`` for every call (done once at startup, before serving)."""
        self._shared = shared

    def _state(self) -> tuple[Any, asyncio.Semaphore]:
        if self._shared is None:
            raise RuntimeError("ProxyPolicy.bind(...) must be called at startup before any request")
        return self._shared.client, self._shared.semaphore

    async def aclose(self) -> None:  # the shared client is closed by the app at shutdown
        return None

    async def _post(self, payload: dict[str, Any]) -> dict[str, Any]:
        call = _CALL.get()
        if call is None:  # a judge call, or a call outside any request
            return await super()._post(payload)
        data = await super()._post({**payload, **call.extras})
        call.meter.upstream_requests += 1
        usage = data.get("usage") if isinstance(data, dict) else None
        if isinstance(usage, dict) and isinstance(usage.get("prompt_tokens"), int):
            call.meter.prompt_tokens += usage["prompt_tokens"]
        return data

    def _parse_choice(self, choice: dict[str, Any], usage_tokens: int | None) -> Completion | None:
        completion = super()._parse_choice(choice, usage_tokens)
        call = _CALL.get()
        if call is not None and completion is not None:
            call.meter.raw_choices[id(completion)] = choice
        return completion


class PromptRefused(Exception):
    """The policy refused the request's input (a ``ValueError`` while generating: a prompt too long
    for the context, chat roles the template cannot render...): the client's to fix, a 400."""


class RequestView:
    """One request's view of a shared policy: a ``Policy`` whose generation calls carry the
    request's pass-through ``extras`` and are counted in its :class:`Meter`.

    For the embedded backend (no HTTP), ``count_prompt_tokens`` gives the prompt's token count: the
    embedded policy evaluates a prompt once per call, so it is counted once per call.
    """

    def __init__(self, inner: Any, extras: dict[str, Any], meter: Meter, count_prompt_tokens: Any = None) -> None:
        self.inner = inner
        self.extras = extras
        self.meter = meter
        self._count_prompt_tokens = count_prompt_tokens

    @property
    def name(self) -> str:
        return str(self.inner.name)

    async def agenerate(self, prompts: Sequence[Prompt], n: int, params: SamplingParams) -> list[list[Completion]]:
        token = _CALL.set(_Call(self.extras, self.meter))
        try:
            out = await self.inner.agenerate(prompts, n, params)
        except ValueError as exc:
            raise PromptRefused(str(exc)) from exc
        finally:
            _CALL.reset(token)
        self.meter.generation_calls += 1
        if self._count_prompt_tokens is not None:
            for prompt in prompts:
                self.meter.prompt_tokens += await asyncio.to_thread(self._count_prompt_tokens, prompt)
        for batch in out:
            self.meter.completions.extend(batch)
        return out

    def generate(self, prompts: Sequence[Prompt], n: int, params: SamplingParams) -> list[list[Completion]]:
        raise RuntimeError("RequestView is async-only (the server runs in an event loop)")
