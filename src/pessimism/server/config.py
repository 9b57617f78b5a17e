"""The server's configuration: immutable once built, validated when built.

``ServerConfig`` is a frozen dataclass; ``create_app(config)`` reads it once and every request sees
the same values (per-request choices travel in the request's ``pessimism`` object instead). Invalid
settings raise ``ValueError`` naming the command-line flag, so ``pessimism serve`` fails at start,
not on the first request.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .selection import Selection, SelectionError, resolve_selection

EMBEDDED = "embedded"


@dataclass(frozen=True)
class ServerConfig:
    """Everything ``pessimism serve`` is started with.

    Attributes:
        upstream: the OpenAI-compatible API root to sample from, e.g. ``http://127.0.0.1:8080/v1``;
            ``None`` (or ``"embedded"``) serves the embedded Gemma 3 270M in-process.
        model: the upstream model id used when a request names none (default: the upstream's only
            model, asked at start); ignored for the embedded backend.
        reward: reward spec (``pessimism.rewards.load_reward``); ``judge`` runs on the served model.
        method, n, beta, k, alpha, r_max: the default selection (requests may override them).
        host, port: where to listen.
        timeout: seconds one request may take in all (generation + scoring + selection) -> 504.
        max_concurrency: upstream HTTP calls in flight at once, over all requests.
        api_key: if set, every ``/v1`` request needs ``Authorization: Bearer <api_key>``.
        max_tokens: tokens per candidate when a request does not say (``max_tokens``).
        max_n: the largest ``n`` a request may ask for.
        retries: extra attempts of a failed upstream call (5xx, 429, connection errors).
    """

    upstream: str | None = None
    model: str | None = None
    reward: str = "judge"
    method: str = "itp"
    n: int = 16
    beta: float | None = 1.0
    k: int | None = None
    alpha: float | None = None
    r_max: float | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    timeout: float = 120.0
    max_concurrency: int = 8
    api_key: str | None = field(default=None, repr=False)
    max_tokens: int = 256
    max_n: int = 64
    retries: int = 1

    def __post_init__(self) -> None:
        if self.upstream == EMBEDDED:
            object.__setattr__(self, "upstream", None)
        if self.upstream is not None and not self.upstream.startswith(("http://", "https://")):
            raise ValueError(
                f"--upstream must be an http(s) API root such as http://127.0.0.1:8080/v1, or 'embedded'; "
                f"got {self.upstream!r}"
            )
        _positive_int(self.port, "--port", upper=65535)
        _positive_int(self.max_concurrency, "--max-concurrency")
        _positive_int(self.max_tokens, "--max-tokens")
        _positive_int(self.max_n, "--max-n")
        if isinstance(self.retries, bool) or not isinstance(self.retries, int) or self.retries < 0:
            raise ValueError(f"--retries must be an integer >= 0; got {self.retries!r}")
        if not (isinstance(self.timeout, (int, float)) and math.isfinite(self.timeout) and self.timeout > 0):
            raise ValueError(f"--timeout must be a number of seconds > 0; got {self.timeout!r}")
        if self.api_key is not None and not self.api_key.strip():
            raise ValueError("--api-key (or PESSIMISM_API_KEY) is empty; give a key or leave it unset")
        if not isinstance(self.reward, str) or not self.reward.strip():
            raise ValueError("--reward is empty; e.g. --reward judge")
        self.default_selection()  # raises naming the flag

    @property
    def embedded(self) -> bool:
        return self.upstream is None

    def selection_defaults(self) -> dict[str, Any]:
        return {"method": self.method, "n": self.n, "beta": self.beta, "k": self.k, "alpha": self.alpha,
                "r_max": self.r_max}

    def default_selection(self) -> Selection:
        """The selection a request without overrides runs (validated by the selection core)."""
        try:
            return resolve_selection(self.selection_defaults(), {}, prefix="--", max_n=self.max_n)
        except SelectionError as exc:
            raise ValueError(f"{exc.param.replace('_', '-')}: {exc}") from None


def _positive_int(value: Any, flag: str, upper: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1 or (upper is not None and value > upper):
        bound = f" and <= {upper}" if upper else ""
        raise ValueError(f"{flag} must be an integer >= 1{bound}; got {value!r}")
