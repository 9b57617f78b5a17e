"""A policy served by any OpenAI-compatible server: vLLM, SGLang, llama.cpp's server, Ollama, OpenAI.

``pip install 'pessimism[openai]'`` (httpx). Both endpoints are supported:

* ``endpoint="chat"`` — ``POST {base_url}/chat/completions``; the server applies the model's chat
  template; a prompt may be a string (one user message) or a list of chat messages;
* ``endpoint="completions"`` — ``POST {base_url}/completions``; prompts must be plain strings and are
  sent verbatim (base models, few-shot prompts).

Configuration: ``base_url`` (e.g. ``http://127.0.0.1:8000/v1``) falls back to the environment variable
``OPENAI_BASE_URL``, ``api_key`` to ``OPENAI_API_KEY`` (sent as ``Authorization: Bearer ...``; local
servers usually need none); ``model=None`` asks ``GET {base_url}/models`` and uses the server's only
model. ``extra_body`` is merged into every request (e.g. ``{"top_k": -1, "min_p": 0}`` on vLLM or
llama.cpp, whose default top-k / min-p truncation would otherwise change ``pi_ref``).

**n samples per prompt.** Servers differ: vLLM honours ``n``; llama-cpp-python's server silently
returns one choice; some servers reject ``n > 1``. The first request with ``n > 1`` asks for ``n`` in one
call and checks the answer: exactly ``n`` choices with per-choice token counts → the server is
trusted with ``n`` (and every later answer is still counted); fewer choices, an error naming ``n``, or
choices without per-choice token counts (no logprobs, only a summed ``usage``) → this instance switches
to one request per sample, remembered in :attr:`OpenAIPolicy.n_mode`. Either way exactly ``n`` completions
come back. With one request per sample, sample ``j`` is sent ``seed + j``; with native ``n``, the one
request is sent ``seed`` and the server derives the rest.

**Log-probabilities** of sampled tokens are requested (chat: ``logprobs=true, top_logprobs=0``;
completions: ``logprobs=1``) and returned when the server gives them. A server that rejects the
``logprobs`` parameter is detected and asked again without it (remembered per instance); completions
then carry ``logprob=None``. Each request is bounded by ``max_concurrency`` in flight and retried per
:class:`~pessimism.models._http.RetryPolicy` (429 / 5xx / timeouts / connection errors).
"""

from __future__ import annotations

import asyncio
import math
import os
import re
from collections.abc import Awaitable, Sequence
from typing import Any, Literal, TypeVar

from .._extras import require
from ._http import BackendError, RetryPolicy, request_json
from .base import Completion, Prompt, SamplingParams, as_messages, check_n, run_sync

T = TypeVar("T")
Endpoint = Literal["chat", "completions"]


async def gather_all(aws: Sequence[Awaitable[T]]) -> list[T]:
    """``asyncio.gather`` that cancels the remaining tasks as soon as one fails (no orphan requests)."""
    tasks = [asyncio.ensure_future(a) for a in aws]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def _mentions(msg: str | None, word: str) -> bool:
    """Does the server's message name ``word`` as a whole word (``'n'`` must not match "not")?"""
    return bool(msg) and re.search(rf"(?<![A-Za-z0-9_]){re.escape(word)}(?![A-Za-z0-9_])", msg.lower()) is not None  # type: ignore[union-attr]


class OpenAIPolicy:
    """A policy behind an OpenAI-compatible HTTP API; implements ``Policy`` and ``NextTokenScorer``.

    Args:
        base_url: API root including its path, e.g. ``http://127.0.0.1:8000/v1``
            (default: ``$OPENAI_BASE_URL``).
        model: model name sent with each request (default: the server's only model).
        api_key: bearer token (default: ``$OPENAI_API_KEY``; none if unset).
        endpoint: ``"chat"`` or ``"completions"``.
        max_concurrency: requests in flight at once (per event loop).
        timeout: seconds per request before it counts as a timeout (and is retried).
        max_attempts, backoff_base, backoff_max: the retry policy (see ``_http``).
        logprobs: ask for sampled-token log-probabilities.
        top_logprobs: alternatives requested by :meth:`anext_token_logprobs` (servers cap it, often 20;
            OpenAI's legacy completions endpoint caps it at 5).
        extra_body: extra JSON fields merged into every request.
    """

    def __init__(
        self,
        base_url: str | None = None,
        model: str | None = None,
        *,
        api_key: str | None = None,
        endpoint: Endpoint = "chat",
        max_concurrency: int = 8,
        timeout: float = 120.0,
        max_attempts: int = 5,
        backoff_base: float = 0.5,
        backoff_max: float = 20.0,
        logprobs: bool = True,
        top_logprobs: int = 20,
        extra_body: dict[str, Any] | None = None,
    ) -> None:
        self._httpx = require("httpx", "openai", "the OpenAI-compatible policy")
        url = base_url if base_url is not None else os.environ.get("OPENAI_BASE_URL")
        if not url:
            raise ValueError(
                "no server address: pass base_url (e.g. 'http://127.0.0.1:8000/v1') or set OPENAI_BASE_URL"
            )
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://; got {url!r}")
        if endpoint not in ("chat", "completions"):
            raise ValueError(f"endpoint must be 'chat' or 'completions'; got {endpoint!r}")
        if isinstance(max_concurrency, bool) or not isinstance(max_concurrency, int) or max_concurrency < 1:
            raise ValueError(f"max_concurrency must be an integer >= 1; got {max_concurrency!r}")
        if not (timeout > 0):
            raise ValueError(f"timeout must be > 0 seconds; got {timeout!r}")
        if isinstance(top_logprobs, bool) or not isinstance(top_logprobs, int) or not 1 <= top_logprobs <= 100:
            raise ValueError(f"top_logprobs must be an integer in [1, 100]; got {top_logprobs!r}")
        self.base_url = url.rstrip("/")
        self.endpoint: Endpoint = endpoint
        self.api_key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
        self.max_concurrency = max_concurrency
        self.timeout = float(timeout)
        self.retry = RetryPolicy(max_attempts=max_attempts, backoff_base=backoff_base, backoff_max=backoff_max)
        self.want_logprobs = bool(logprobs)
        self.top_logprobs = top_logprobs
        self.extra_body = dict(extra_body or {})
        #: ``None`` until a request with n > 1 shows how the server treats ``n``; then ``"native"``
        #: or ``"separate"`` (one request per sample).
        self.n_mode: Literal["native", "separate"] | None = None
        #: why ``n_mode`` became ``"separate"`` (for logs and reports).
        self.n_mode_reason: str | None = None
        self._logprobs_ok = True
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: Any = None
        self._sem: asyncio.Semaphore | None = None
        self.model = model if model is not None else self._only_model()

    # ----------------------------------------------------------------------------------- plumbing
    @property
    def name(self) -> str:
        """``openai:<base_url>@<model>/<endpoint>`` (the endpoint decides whether a template is applied)."""
        return f"openai:{self.base_url}@{self.model}/{self.endpoint}"

    def __repr__(self) -> str:
        return f"OpenAIPolicy({self.name!r}, n_mode={self.n_mode!r})"

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    def _only_model(self) -> str:
        async def ask() -> dict[str, Any]:
            async with self._httpx.AsyncClient(timeout=self.timeout) as client:
                return await request_json(
                    client, "GET", f"{self.base_url}/models", headers=self._headers(), retry=self.retry
                )

        data = run_sync(ask()) if not _in_loop() else _run_in_thread(ask)
        ids = [m.get("id") for m in data.get("data", []) if isinstance(m, dict) and m.get("id")]
        if len(ids) != 1:
            raise ValueError(
                f"{self.base_url}/models lists {len(ids)} models {ids[:10]}; pass model= to choose one"
            )
        return str(ids[0])

    def _state(self) -> tuple[Any, asyncio.Semaphore]:
        """The HTTP client and semaphore of the running event loop (both are bound to one loop)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._client is None or self._sem is None:
            self._client = self._httpx.AsyncClient(
                timeout=self.timeout,
                limits=self._httpx.Limits(max_connections=self.max_concurrency),
            )
            self._sem = asyncio.Semaphore(self.max_concurrency)
            self._loop = loop
        return self._client, self._sem

    async def aclose(self) -> None:
        """Close the HTTP client of the running loop (the sync wrappers do this themselves)."""
        if self._client is not None and self._loop is asyncio.get_running_loop():
            await self._client.aclose()
        self._client, self._sem, self._loop = None, None, None

    async def _post(self, payload: dict[str, Any]) -> dict[str, Any]:
        client, sem = self._state()
        path = "/chat/completions" if self.endpoint == "chat" else "/completions"
        body = {**payload, **self.extra_body}
        return await request_json(
            client, "POST", self.base_url + path, payload=body, headers=self._headers(),
            retry=self.retry, semaphore=sem,
        )

    # ---------------------------------------------------------------------------------- requests
    def _check_prompt(self, index: int, prompt: Prompt) -> None:
        if self.endpoint == "completions":
            if not isinstance(prompt, str):
                raise ValueError(
                    f"prompt {index}: the completions endpoint takes plain-text prompts; "
                    "use endpoint='chat' for chat messages"
                )
        else:
            as_messages(prompt)

    def _payload(self, prompt: Prompt, params: SamplingParams, n: int, seed: int | None) -> dict[str, Any]:
        p: dict[str, Any] = {
            "model": self.model,
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
            "top_p": params.top_p,
        }
        if self.endpoint == "chat":
            p["messages"] = as_messages(prompt)
        else:
            p["prompt"] = prompt
        if n > 1:
            p["n"] = n
        if seed is not None:
            p["seed"] = seed
        if params.stop:
            p["stop"] = list(params.stop)
        if self.want_logprobs and self._logprobs_ok:
            if self.endpoint == "chat":
                p["logprobs"] = True
                p["top_logprobs"] = 0
            else:
                p["logprobs"] = 1
        return p

    async def _post_tolerant(self, payload: dict[str, Any]) -> dict[str, Any]:
        """POST; if the server refuses the ``logprobs`` field, remember that and resend without it."""
        try:
            return await self._post(payload)
        except BackendError as exc:
            if "logprobs" in payload and exc.status is not None and _mentions(exc.server_message, "logprobs"):
                self._logprobs_ok = False
                payload = {k: v for k, v in payload.items() if k not in ("logprobs", "top_logprobs")}
                return await self._post(payload)
            raise

    def _parse_choice(self, choice: dict[str, Any], usage_tokens: int | None) -> Completion | None:
        """A ``Completion`` from one choice; ``None`` if its token count cannot be known."""
        if self.endpoint == "chat":
            text = (choice.get("message") or {}).get("content") or ""
            content = (choice.get("logprobs") or {}).get("content")
            lps = [float(e["logprob"]) for e in content] if isinstance(content, list) else None
        else:
            text = choice.get("text") or ""
            tl = (choice.get("logprobs") or {}).get("token_logprobs")
            lps = [float(x) for x in tl if x is not None] if isinstance(tl, list) else None
        if lps is not None:
            return Completion(
                text=text, num_tokens=len(lps), logprob=float(sum(lps)), token_logprobs=tuple(lps),
                finish_reason=choice.get("finish_reason"),
            )
        if usage_tokens is None:
            return None
        return Completion(text=text, num_tokens=int(usage_tokens), finish_reason=choice.get("finish_reason"))

    async def _request(self, prompt: Prompt, params: SamplingParams, n: int, seed: int | None) -> list[Completion | None]:
        data = await self._post_tolerant(self._payload(prompt, params, n, seed))
        choices = data.get("choices")
        if not isinstance(choices, list):
            raise BackendError(
                f"{self.base_url}: the answer has no 'choices' list: {str(data)[:300]}", url=self.base_url
            )
        choices = sorted(choices, key=lambda c: c.get("index", 0))
        usage = (data.get("usage") or {}).get("completion_tokens")
        one = usage if len(choices) == 1 else None
        return [self._parse_choice(c, one) for c in choices]

    async def _separate(self, prompt: Prompt, params: SamplingParams, seeds: list[int | None]) -> list[Completion]:
        async def one(seed: int | None) -> Completion:
            got = await self._request(prompt, params, 1, seed)
            if not got or got[0] is None:
                raise BackendError(
                    f"{self.base_url}: a request for one completion returned {len(got)} choices",
                    url=self.base_url,
                )
            return got[0]

        return await gather_all([one(s) for s in seeds])

    def _seeds(self, params: SamplingParams, n: int) -> list[int | None]:
        return [None if params.seed is None else params.seed + j for j in range(n)]

    def _go_separate(self, reason: str) -> None:
        self.n_mode, self.n_mode_reason = "separate", reason

    async def _one_prompt(self, prompt: Prompt, n: int, params: SamplingParams) -> list[Completion]:
        seeds = self._seeds(params, n)
        if n == 1 or self.n_mode == "separate":
            return await self._separate(prompt, params, seeds)
        try:
            got = await self._request(prompt, params, n, params.seed)
        except BackendError as exc:
            if exc.status is not None and 400 <= exc.status < 500 and _mentions(exc.server_message, "n"):
                self._go_separate(f"the server rejected n={n}: {exc.server_message}")
                return await self._separate(prompt, params, seeds)
            raise
        kept = [c for c in got[:n] if c is not None]
        if len(got) >= n and len(kept) == n:
            if self.n_mode is None:
                self.n_mode = "native"
            return kept
        if len(got) < n:
            self._go_separate(f"asked for n={n}, the server returned {len(got)} choice(s)")
        else:
            self._go_separate("the server returns no per-choice token counts (no logprobs) for n > 1")
            kept = []
        rest = await self._separate(prompt, params, seeds[len(kept):])
        return kept + rest

    # ------------------------------------------------------------------------------- public API
    async def agenerate(
        self, prompts: Sequence[Prompt], n: int, params: SamplingParams
    ) -> list[list[Completion]]:
        """``n`` completions per prompt, requests issued concurrently (bounded by ``max_concurrency``)."""
        check_n(n)
        if isinstance(prompts, (str, bytes)):
            raise ValueError("prompts must be a sequence of prompts; wrap a single prompt in a list")
        for i, p in enumerate(prompts):
            self._check_prompt(i, p)
        return await gather_all([self._one_prompt(p, n, params) for p in prompts])

    def generate(self, prompts: Sequence[Prompt], n: int, params: SamplingParams) -> list[list[Completion]]:
        """Sync wrapper of :meth:`agenerate`."""
        return run_sync(self._closing(self.agenerate(prompts, n, params)))

    async def _closing(self, aw: Awaitable[T]) -> T:
        try:
            return await aw
        finally:
            await self.aclose()

    async def _next_token_one(self, prompt: Prompt, tokens: Sequence[str], missing: float | None) -> dict[str, float]:
        p = self._payload(prompt, SamplingParams(temperature=0.0, max_tokens=1, seed=None), 1, None)
        if self.endpoint == "chat":
            p["logprobs"], p["top_logprobs"] = True, self.top_logprobs
        else:
            p["logprobs"] = self.top_logprobs
        data = await self._post(p)
        try:
            choice = data["choices"][0]
            if self.endpoint == "chat":
                first = choice["logprobs"]["content"][0]
                pairs = [(first["token"], first["logprob"])]
                pairs += [(e["token"], e["logprob"]) for e in first.get("top_logprobs") or []]
            else:
                lp = choice["logprobs"]
                pairs = list((lp["top_logprobs"][0] or {}).items())
                pairs.append((lp["tokens"][0], lp["token_logprobs"][0]))
        except (KeyError, IndexError, TypeError) as exc:
            raise BackendError(
                f"{self.base_url} returned no next-token log-probabilities ({exc!r}); the server must "
                "support logprobs/top_logprobs to be used as a judge",
                url=self.base_url,
            ) from exc
        seen: dict[str, float] = {}
        for tok, lp in pairs:
            if lp is None:
                continue
            seen[tok] = float(lp)  # repeated entries of one token string carry the same value
        if not seen:
            raise BackendError(f"{self.base_url} returned an empty top_logprobs list", url=self.base_url)
        floor = missing
        if floor is None:
            rest = 1.0 - sum(math.exp(v) for v in seen.values())
            floor = min(min(seen.values(), default=0.0), math.log(rest) if rest > 1e-300 else -690.0)
        return {t: seen.get(t, floor) for t in tokens}

    async def anext_token_logprobs(
        self, prompts: Sequence[Prompt], tokens: Sequence[str], missing: float | None = None
    ) -> list[dict[str, float]]:
        """Log-probability of each string in ``tokens`` being the first generated token, from one
        ``max_tokens=1`` request per prompt asking for the ``top_logprobs`` most likely tokens.

        Top-k limited: a string must equal a returned token exactly (``"yes"`` and ``" yes"`` are
        different tokens — pass the variants you care about). A string not among the returned top-k gets
        ``missing``, or by default the upper bound ``min(l_k, log(1 - sum_i exp(l_i)))`` over the
        returned log-probabilities ``l_i`` (it cannot be more likely than the k-th token, nor than all
        unreturned mass together).
        """
        if isinstance(tokens, str) or not tokens:
            raise ValueError("tokens must be a non-empty list of strings, e.g. ['yes', 'no']")
        for i, p in enumerate(prompts):
            self._check_prompt(i, p)
        return await gather_all([self._next_token_one(p, tokens, missing) for p in prompts])

    def next_token_logprobs(self, prompts: Sequence[Prompt], tokens: Sequence[str]) -> list[dict[str, float]]:
        """Sync wrapper of :meth:`anext_token_logprobs`."""
        return run_sync(self._closing(self.anext_token_logprobs(prompts, tokens)))


def _in_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _run_in_thread(factory: Any) -> Any:
    """Run ``asyncio.run(factory())`` in a helper thread (construction inside a running loop)."""
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as ex:
        return ex.submit(lambda: asyncio.run(factory())).result()
