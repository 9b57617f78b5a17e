"""What the server samples from and scores with, built once at startup and read-only afterwards.

* **embedded** (no ``--upstream``): Gemma 3 270M run in-process by llama.cpp. Two policies share the
  memory-mapped weights: one applies the chat template (``/v1/chat/completions``, and the judge runs
  on it), one feeds text verbatim (``/v1/completions``, as the OpenAI endpoint means).
* **upstream**: any OpenAI-compatible server, through :class:`~.upstream.ProxyPolicy` (one for each
  endpoint, one connection pool and one in-flight bound for both); ``--reward judge`` judges with the
  upstream model itself (its next-token log-probabilities).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from .._extras import require
from ..models.base import Prompt
from .config import ServerConfig
from .upstream import ProxyPolicy, SharedHttp


@dataclass(frozen=True)
class Backends:
    """The policies and the reward model of a running server.

    ``count_tokens`` (embedded only) counts a prompt's tokens as its policy templates them.
    """

    kind: Literal["embedded", "upstream"]
    chat: Any
    text: Any
    reward: Any
    model_id: str
    count_tokens: dict[str, Callable[[Prompt], int]] = field(default_factory=dict)
    shared: SharedHttp | None = None
    upstream: str | None = None
    api_key: str | None = field(default=None, repr=False)

    def policy(self, kind: Literal["chat", "text"]) -> Any:
        return self.chat if kind == "chat" else self.text


def build_backends(config: ServerConfig) -> Backends:
    """Load the models (blocking: call it in a worker thread). HTTP state is bound later, in the
    event loop, by :func:`start`."""
    from ..rewards import load_reward

    if config.embedded:
        from ..models.llama_cpp import LlamaCppPolicy

        chat = LlamaCppPolicy()
        text = LlamaCppPolicy(chat_template="none")
        return Backends(
            kind="embedded", chat=chat, text=text, reward=load_reward(config.reward, chat),
            model_id=chat.model_path.stem,
            count_tokens={"chat": lambda p: len(chat.tokenize_prompt(p)), "text": lambda p: len(text.tokenize_prompt(p))},
        )
    common: dict[str, Any] = {
        "max_concurrency": config.max_concurrency,
        "timeout": config.timeout,
        "max_attempts": config.retries + 1,
        "backoff_base": 0.25,
        "backoff_max": 2.0,
    }
    chat = ProxyPolicy(config.upstream, config.model, endpoint="chat", **common)
    text = ProxyPolicy(config.upstream, chat.model, endpoint="completions", **common)
    return Backends(
        kind="upstream", chat=chat, text=text, reward=load_reward(config.reward, chat), model_id=chat.model,
        upstream=chat.base_url, api_key=chat.api_key,
    )


async def start(backends: Backends, config: ServerConfig) -> Backends:
    """Build the shared connection pool and semaphore in the running loop and bind the policies."""
    if backends.kind == "embedded":
        return backends
    httpx = require("httpx", "server", "the server's upstream connection")
    shared = SharedHttp(
        client=httpx.AsyncClient(
            timeout=config.timeout,
            limits=httpx.Limits(max_connections=config.max_concurrency, max_keepalive_connections=config.max_concurrency),
        ),
        semaphore=asyncio.Semaphore(config.max_concurrency),
    )
    for policy in (backends.chat, backends.text):
        policy.bind(shared)
    return Backends(**{**backends.__dict__, "shared": shared})


async def stop(backends: Backends) -> None:
    if backends.shared is not None:
        await backends.shared.client.aclose()
    for policy in (backends.chat, backends.text):
        close = getattr(policy, "close", None)
        if backends.kind == "embedded" and close is not None:
            await asyncio.to_thread(close)
