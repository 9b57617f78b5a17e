"""Reward models served over HTTP: vLLM's pooling / score APIs, or any JSON endpoint you describe.

Request/response shapes (an :class:`HttpApi` each; pass your own for other servers):

- ``"pooling"`` (default) — vLLM's reward-model API, ``POST {base_url}/pooling`` with one chat
  conversation per request: ``{"model": m, "messages": [...prompt, {"role": "assistant",
  "content": response}]}``; the server applies the model's chat template. The answer's
  ``data[0].data`` is the pooled output: a list of per-label values (sequence-classification RMs such
  as Skywork-Reward, served with ``vllm serve <rm> --runner pooling``), or a list of per-token rows
  (token-level reward heads), of which the last row is the sequence's reward. ``head`` picks the
  column (default 0; required when there are several).
- ``"score"`` — vLLM's cross-encoder API, ``POST {base_url}/score`` with ``{"model": m, "text_1":
  question, "text_2": [responses...]}``, one request per distinct prompt; reads ``data[i].score``
  by ``data[i].index``.

``base_url`` is the server root (``http://localhost:8000``), without ``/v1``. Requests run
concurrently (at most ``max_concurrency`` in flight) with ``httpx``; timeouts, connection errors
and HTTP 408/429/5xx are retried with the policies' backoff (:class:`~pessimism.models._http.RetryPolicy`:
exponential with jitter, honouring ``Retry-After``), other HTTP
errors raise a ValueError quoting the server's answer. Needs ``httpx`` (extra ``[openai]``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .._extras import require
from ..models._http import RetryPolicy, retry_after_seconds
from ..models.base import ChatMessage, Prompt, as_messages, prompt_key
from ._common import SyncScoreMixin, _short, check_scores, question_text
from .base import check_pairs



class RewardServerError(ConnectionError):
    """The scoring server could not be reached or kept failing after every retry."""


def _pooled_value(data: Any, head: int | None, where: str) -> float:
    """The reward inside vLLM's ``data[i].data``: a number, a row of labels, or per-token rows."""
    if isinstance(data, (int, float)):
        return float(data)
    if isinstance(data, list) and data and isinstance(data[0], list):
        data = data[-1]  # token-level output: the last token's row scores the whole sequence
    if not isinstance(data, list) or not data or not all(isinstance(v, (int, float)) for v in data):
        raise ValueError(f"{where}: expected a number or a list of numbers in data[].data; got {_short(data)}")
    if head is None:
        if len(data) != 1:
            raise ValueError(f"{where}: the model returns {len(data)} values per input; choose one with head=<index>")
        return float(data[0])
    if not -len(data) <= head < len(data):
        raise ValueError(f"{where}: head={head} is out of range for {len(data)} values")
    return float(data[head])


@dataclass(frozen=True)
class HttpApi:
    """How to talk to one kind of scoring endpoint.

    Attributes:
        path: appended to ``base_url``.
        grouped: one request per distinct prompt carrying all its responses (else one per pair).
        build: ``(model, messages, responses) -> JSON body`` (``responses`` has one element unless grouped).
        parse: ``(json, n_responses, head) -> list of n scores``.
    """

    name: str
    path: str
    grouped: bool
    build: Callable[[str, list[ChatMessage], list[str]], dict[str, Any]]
    parse: Callable[[Any, int, int | None], list[float]]


def _pooling_build(model: str, messages: list[ChatMessage], responses: list[str]) -> dict[str, Any]:
    return {"model": model, "messages": [*messages, {"role": "assistant", "content": responses[0]}]}


def _pooling_parse(payload: Any, n: int, head: int | None) -> list[float]:
    try:
        item = payload["data"][0]["data"]
    except (KeyError, IndexError, TypeError):
        raise ValueError(f"pooling API: expected {{'data': [{{'data': ...}}]}}; got {_short(payload, 200)}") from None
    return [_pooled_value(item, head, "pooling API")]


def _score_build(model: str, messages: list[ChatMessage], responses: list[str]) -> dict[str, Any]:
    return {"model": model, "text_1": question_text(messages), "text_2": list(responses)}


def _score_parse(payload: Any, n: int, head: int | None) -> list[float]:
    try:
        rows = sorted(payload["data"], key=lambda d: d["index"])
        scores = [float(d["score"]) for d in rows]
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"score API: expected {{'data': [{{'index': i, 'score': x}}]}}; got {_short(payload, 200)}") from None
    if len(scores) != n:
        raise ValueError(f"score API returned {len(scores)} scores for {n} responses")
    return scores


APIS: dict[str, HttpApi] = {
    "pooling": HttpApi("pooling", "/pooling", False, _pooling_build, _pooling_parse),
    "score": HttpApi("score", "/score", True, _score_build, _score_parse),
}


class HttpReward(SyncScoreMixin):
    """A reward model behind an HTTP endpoint (module docstring).

    Args:
        base_url: server root, e.g. ``http://localhost:8000``.
        model: the served model's name (sent as ``"model"``).
        api: ``"pooling"`` (default), ``"score"``, or an :class:`HttpApi`.
        head: which output column is the reward (pooling API).
        max_concurrency: requests in flight at once.
        timeout: seconds per request.
        max_retries: retries after the first attempt on timeouts, connection errors, 408/429/5xx.
        backoff: base retry delay in seconds, doubled each retry (with equal jitter), capped at ``max_backoff``.
        api_key: sent as ``Authorization: Bearer ...`` when given.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api: str | HttpApi = "pooling",
        head: int | None = None,
        max_concurrency: int = 16,
        timeout: float = 60.0,
        max_retries: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        api_key: str | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://; got {base_url!r}")
        if not model:
            raise ValueError("model (the served model's name) must be non-empty")
        if isinstance(api, str):
            if api not in APIS:
                raise ValueError(f"api must be one of {sorted(APIS)} or an HttpApi; got {api!r}")
            api = APIS[api]
        if max_concurrency < 1 or max_retries < 0 or timeout <= 0 or backoff < 0:
            raise ValueError("need max_concurrency >= 1, max_retries >= 0, timeout > 0 and backoff >= 0")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api = api
        self.head = head
        self.max_concurrency = max_concurrency
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._retry = RetryPolicy(max_attempts=max_retries + 1, backoff_base=backoff, backoff_max=max_backoff)
        self.api_key = api_key

    @property
    def name(self) -> str:
        suffix = "" if self.api.name == "pooling" else f"#{self.api.name}"
        head = "" if self.head is None else f"[{self.head}]"
        return f"http:{self.base_url}@{self.model}{head}{suffix}"

    async def _post(self, client: Any, gate: asyncio.Semaphore, body: dict[str, Any]) -> Any:
        httpx = require("httpx", "openai", "HTTP reward models")
        url = self.base_url + self.api.path
        last = "no attempt made"
        for attempt in range(self.max_retries + 1):
            retry_after = None
            async with gate:
                try:
                    resp = await client.post(url, json=body)
                except (httpx.TimeoutException, httpx.TransportError) as exc:
                    last = f"{type(exc).__name__}: {exc}"
                else:
                    if resp.status_code == 200:
                        try:
                            return resp.json()
                        except ValueError:
                            raise ValueError(f"{url} answered 200 with non-JSON: {_short(resp.text, 200)}") from None
                    if resp.status_code not in self._retry.retry_statuses:
                        raise ValueError(
                            f"{url} answered HTTP {resp.status_code}: {_short(resp.text, 300)}; check base_url "
                            f"(the server root, without /v1), the model name {self.model!r} and api={self.api.name!r}"
                        )
                    last = f"HTTP {resp.status_code}: {_short(resp.text, 200)}"
                    retry_after = retry_after_seconds(resp)
            if attempt < self.max_retries:
                await asyncio.sleep(self._retry.delay(attempt, retry_after))
        raise RewardServerError(f"{url} failed after {self.max_retries + 1} attempts; last error: {last}")

    async def ascore(self, prompts: Sequence[Prompt], responses: Sequence[str]) -> list[float]:
        check_pairs(prompts, responses)
        if not responses:
            return []
        httpx = require("httpx", "openai", "HTTP reward models")
        prompts, responses = list(prompts), list(responses)
        groups: dict[str, list[int]] = {}
        if self.api.grouped:
            for i, p in enumerate(prompts):
                groups.setdefault(prompt_key(p), []).append(i)
        else:
            groups = {str(i): [i] for i in range(len(prompts))}
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        gate = asyncio.Semaphore(self.max_concurrency)
        limits = httpx.Limits(max_connections=self.max_concurrency)
        async with httpx.AsyncClient(timeout=self.timeout, headers=headers, limits=limits) as client:

            async def run(idx: list[int]) -> list[float]:
                body = self.api.build(self.model, as_messages(prompts[idx[0]]), [responses[i] for i in idx])
                payload = await self._post(client, gate, body)
                return self.api.parse(payload, len(idx), self.head)

            index_groups = list(groups.values())
            tasks = [asyncio.ensure_future(run(idx)) for idx in index_groups]
            try:
                results = await asyncio.gather(*tasks)
            except BaseException:
                for task in tasks:  # fail fast: stop the other requests before the client closes
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                raise
        scores: list[float] = [0.0] * len(responses)
        for idx, values in zip(index_groups, results):
            if len(values) != len(idx):
                raise ValueError(f"{self.api.name} API parser returned {len(values)} scores for {len(idx)} responses")
            for i, v in zip(idx, values):
                scores[i] = v
        return check_scores(scores, prompts, responses, self.name)
