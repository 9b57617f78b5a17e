"""JSON over HTTP with bounded retries: exponential backoff with jitter, Retry-After, clear errors.

Used by the OpenAI-compatible policy (and any adapter that talks to a model server). A request is
retried on connection errors, timeouts and the statuses in :attr:`RetryPolicy.retry_statuses`
(429 and 5xx overload/crash codes); attempt ``a`` (0-based) waits
``d_a = min(backoff_max, backoff_base * 2**a)`` scaled by a uniform factor in ``[0.5, 1]``
("equal jitter", so many clients retrying at once spread out), or the server's ``Retry-After`` if that
is longer (still capped at ``backoff_max``). After ``max_attempts`` attempts, or at once on any other
4xx, :class:`BackendError` is raised with the URL, the status and the server's own error message.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from typing import Any

from .._extras import require


class BackendError(RuntimeError):
    """A model backend failed: unreachable, timed out, or answered with an error.

    Attributes:
        url: the endpoint.
        status: the HTTP status of the last answer (``None`` if there was none).
        server_message: the server's own error text, if it sent one.
        attempts: how many attempts were made.
    """

    def __init__(
        self,
        message: str,
        *,
        url: str,
        status: int | None = None,
        server_message: str | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(message)
        self.url = url
        self.status = status
        self.server_message = server_message
        self.attempts = attempts


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: ``max_attempts`` in all (first try included), backoff in seconds."""

    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 20.0
    retry_statuses: frozenset[int] = field(default_factory=lambda: frozenset({408, 429, 500, 502, 503, 504}))

    def __post_init__(self) -> None:
        if isinstance(self.max_attempts, bool) or not isinstance(self.max_attempts, int) or self.max_attempts < 1:
            raise ValueError(f"max_attempts must be an integer >= 1; got {self.max_attempts!r}")
        if not (self.backoff_base >= 0 and self.backoff_max >= 0):
            raise ValueError(
                f"backoff_base and backoff_max must be >= 0; got {self.backoff_base}, {self.backoff_max}"
            )

    def delay(self, attempt: int, retry_after: float | None = None, rng: random.Random | None = None) -> float:
        """Seconds to wait after failed attempt ``attempt`` (0-based); see the module docstring."""
        cap = min(self.backoff_max, self.backoff_base * (2.0**attempt))
        d = cap * (0.5 + 0.5 * (rng or random).random())
        if retry_after is not None and retry_after > d:
            d = min(retry_after, self.backoff_max)
        return d


def server_message(resp: Any) -> str:
    """The error text a server put in its response (OpenAI ``{"error": {"message"}}``, FastAPI
    ``{"detail"}``, or the raw body), truncated to 500 characters."""
    try:
        body = resp.json()
    except ValueError:
        body = None
    msg: Any = None
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict):
            msg = err.get("message") or err
        elif err is not None:
            msg = err
        else:
            msg = body.get("detail") or body.get("message") or body
    if msg is None:
        msg = resp.text
    text = msg if isinstance(msg, str) else str(msg)
    text = " ".join(text.split())
    return text[:500] + ("..." if len(text) > 500 else "")


def retry_after_seconds(resp: Any) -> float | None:
    """A response's ``Retry-After`` in seconds, or ``None`` (absent, or an HTTP date)."""
    value = resp.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: ignore, our own backoff applies


async def request_json(
    client: Any,
    method: str,
    url: str,
    *,
    payload: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    retry: RetryPolicy,
    semaphore: asyncio.Semaphore | None = None,
) -> dict[str, Any]:
    """Send one JSON request with retries (module docstring) and return the decoded JSON object.

    ``semaphore`` bounds concurrent requests; it is held only while a request is in flight, never
    during a backoff sleep.
    """
    httpx = require("httpx", "openai", "talking to an OpenAI-compatible server")
    last: str = ""
    last_status: int | None = None
    last_msg: str | None = None
    for attempt in range(retry.max_attempts):
        wait_hint: float | None = None
        try:
            if semaphore is not None:
                async with semaphore:
                    resp = await client.request(method, url, json=payload, headers=headers)
            else:
                resp = await client.request(method, url, json=payload, headers=headers)
        except httpx.TimeoutException as exc:
            last, last_status, last_msg = f"timed out ({type(exc).__name__})", None, None
        except httpx.TransportError as exc:
            last, last_status, last_msg = f"connection failed ({type(exc).__name__}: {exc})", None, None
        else:
            if resp.status_code < 400:
                try:
                    data = resp.json()
                except ValueError as exc:
                    raise BackendError(
                        f"{method} {url} answered {resp.status_code} with a body that is not JSON: "
                        f"{resp.text[:200]!r}",
                        url=url,
                        status=resp.status_code,
                        attempts=attempt + 1,
                    ) from exc
                if not isinstance(data, dict):
                    raise BackendError(
                        f"{method} {url} answered with JSON that is not an object: {str(data)[:200]}",
                        url=url,
                        status=resp.status_code,
                        attempts=attempt + 1,
                    )
                return data
            last_status, last_msg = resp.status_code, server_message(resp)
            last = f"HTTP {resp.status_code}: {last_msg}"
            if resp.status_code not in retry.retry_statuses:
                raise BackendError(
                    f"{method} {url} was rejected with HTTP {resp.status_code}: {last_msg}",
                    url=url,
                    status=resp.status_code,
                    server_message=last_msg,
                    attempts=attempt + 1,
                )
            wait_hint = retry_after_seconds(resp)
        if attempt + 1 < retry.max_attempts:
            await asyncio.sleep(retry.delay(attempt, wait_hint))
    raise BackendError(
        f"{method} {url} failed after {retry.max_attempts} attempts; last error: {last}. "
        "Is the server running and reachable at this address?",
        url=url,
        status=last_status,
        server_message=last_msg,
        attempts=retry.max_attempts,
    )
