"""Faults and server quirks for the OpenAI-compatible policy.

The "server" here is a real HTTP server on loopback (stdlib, ``ScriptedHTTPServer``) whose replies are
scripted: it is how we produce HTTP 500 / 429 / 503, hangs, servers that honour or reject ``n``, on
demand. Connection-refused uses a free port with nothing listening.
"""

from __future__ import annotations

import asyncio

import pytest
from fixtures_servers import (
    ScriptedHTTPServer,
    free_port,
    reply_completion,
    reply_drop,
    reply_error,
    reply_sleep,
)

from pessimism.models import BackendError, SamplingParams, load_policy
from pessimism.models.openai_compat import OpenAIPolicy

FAST = {"max_attempts": 3, "backoff_base": 0.01, "backoff_max": 0.05}
P = SamplingParams(max_tokens=4, seed=10)


def make(server: ScriptedHTTPServer, **kw) -> OpenAIPolicy:
    return OpenAIPolicy(server.base_url, "m", **{**FAST, **kw})


def test_server_down_fails_after_bounded_retries_with_a_clear_error() -> None:
    p = OpenAIPolicy(f"http://127.0.0.1:{free_port()}/v1", "m", **FAST)
    with pytest.raises(BackendError, match="failed after 3 attempts.*connection failed") as info:
        p.generate(["hi"], 1, P)
    assert info.value.attempts == 3 and info.value.status is None


def test_http_500_is_retried_then_reported_with_the_server_message() -> None:
    with ScriptedHTTPServer([reply_error(500, "CUDA out of memory")]) as s:
        with pytest.raises(BackendError, match="HTTP 500: CUDA out of memory") as info:
            make(s).generate(["hi"], 1, P)
        assert len(s.requests) == 3
        assert info.value.status == 500 and info.value.server_message == "CUDA out of memory"


def test_recovers_after_transient_429_503_and_502() -> None:
    script = [reply_error(429, "slow down", {"Retry-After": "0"}), reply_error(503), reply_error(502),
              reply_completion()]
    with ScriptedHTTPServer(script) as s:
        out = make(s, max_attempts=4).generate(["hi"], 1, P)
        assert out[0][0].text == "Paris 0"
        assert len(s.requests) == 4


def test_a_client_error_is_not_retried() -> None:
    with ScriptedHTTPServer([reply_error(401, "invalid api key")]) as s:
        with pytest.raises(BackendError, match="rejected with HTTP 401: invalid api key"):
            make(s).generate(["hi"], 1, P)
        assert len(s.requests) == 1


def test_timeouts_are_retried_and_then_reported() -> None:
    with ScriptedHTTPServer([reply_sleep(1.5)]) as s:
        with pytest.raises(BackendError, match="timed out"):
            make(s, timeout=0.2, max_attempts=2).generate(["hi"], 1, P)
        assert len(s.requests) == 2


def test_recovers_after_a_timeout() -> None:
    with ScriptedHTTPServer([reply_sleep(1.5), reply_completion()]) as s:
        out = make(s, timeout=0.3).generate(["hi"], 1, P)
        assert out[0][0].text == "Paris 0"


def test_a_server_that_honours_n_gets_one_request() -> None:
    with ScriptedHTTPServer([reply_completion()]) as s:
        p = make(s)
        out = p.generate(["hi"], 4, P)[0]
        assert [c.text for c in out] == ["Paris 0", "Paris 1", "Paris 2", "Paris 3"]
        assert [c.num_tokens for c in out] == [2, 2, 2, 2]
        assert out[0].logprob == pytest.approx(-2.0)
        assert len(s.requests) == 1 and s.requests[0][1]["n"] == 4 and s.requests[0][1]["seed"] == 10
        assert p.n_mode == "native"


def test_a_server_that_returns_fewer_choices_is_topped_up_and_remembered() -> None:
    with ScriptedHTTPServer([reply_completion(max_choices=1)]) as s:
        p = make(s)
        out = p.generate(["hi"], 4, P)[0]
        assert len(out) == 4
        assert p.n_mode == "separate" and "returned 1 choice" in p.n_mode_reason
        bodies = [b for _, b, _ in s.requests]
        assert bodies[0]["n"] == 4
        assert sorted(b["seed"] for b in bodies[1:]) == [11, 12, 13]  # seed + j for the missing samples
        assert all("n" not in b for b in bodies[1:])
        s.requests.clear()
        p.generate(["again"], 3, P)
        assert len(s.requests) == 3 and all("n" not in b for _, b, _ in s.requests)


def test_a_server_that_rejects_n_falls_back_to_separate_requests() -> None:
    script = [reply_error(400, "n must be 1 for this model"), reply_completion()]
    with ScriptedHTTPServer(script) as s:
        p = make(s)
        out = p.generate(["hi"], 3, P)[0]
        assert len(out) == 3 and p.n_mode == "separate"
        assert "rejected n=3" in p.n_mode_reason
        assert sorted(b["seed"] for _, b, _ in s.requests[1:]) == [10, 11, 12]


def test_n_choices_without_token_counts_are_redone_one_per_request() -> None:
    with ScriptedHTTPServer([reply_completion(logprobs=False)]) as s:
        p = make(s)
        out = p.generate(["hi"], 2, P)[0]
        assert [c.num_tokens for c in out] == [2, 2]  # from each single-choice usage
        assert all(c.logprob is None for c in out)
        assert p.n_mode == "separate" and "token counts" in p.n_mode_reason
        assert len(s.requests) == 3


def test_a_server_that_rejects_logprobs_is_asked_again_without_them() -> None:
    script = [reply_error(400, "logprobs is not supported by this server"), reply_completion()]
    with ScriptedHTTPServer(script) as s:
        p = make(s)
        out = p.generate(["hi"], 1, P)[0]
        assert out[0].logprob is None and out[0].num_tokens == 2
        assert "logprobs" in s.requests[0][1] and "logprobs" not in s.requests[1][1]
        p.generate(["again"], 1, P)
        assert "logprobs" not in s.requests[2][1]  # remembered


def test_concurrency_is_bounded() -> None:
    with ScriptedHTTPServer([reply_sleep(0.15)]) as s:
        out = make(s, max_concurrency=2).generate([f"q{i}" for i in range(6)], 1, P)
        assert len(out) == 6
        assert s.max_in_flight == 2


def test_base_url_and_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    with ScriptedHTTPServer([reply_completion()]) as s:
        monkeypatch.setenv("OPENAI_BASE_URL", s.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        p = load_policy("openai")
        assert p.model == "scripted"
        p.generate(["hi"], 1, P)
        assert s.requests[0][2].get("Authorization") == "Bearer sk-test"
        assert s.requests[0][0] == "/v1/chat/completions"


def test_next_token_logprobs_are_top_k_with_a_documented_floor() -> None:
    with ScriptedHTTPServer([reply_completion()]) as s:
        p = make(s, top_logprobs=2)
        (d,) = p.next_token_logprobs(["Capital of France?"], ["Paris", " Paris", "Rome"])
        assert d["Paris"] == -0.5 and d[" Paris"] == -2.0
        assert d["Rome"] == -2.0  # min(l_k, log(1 - sum p)) = min(-2.0, log(0.258)) = -2.0
        body = s.requests[0][1]
        assert body["max_tokens"] == 1 and body["top_logprobs"] == 2
        (d2,) = asyncio.run(p.anext_token_logprobs(["x"], ["Rome"], missing=float("-inf")))
        assert d2["Rome"] == float("-inf")


def test_configuration_errors_are_value_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(ValueError, match="OPENAI_BASE_URL"):
        OpenAIPolicy(model="m")
    with pytest.raises(ValueError, match="http"):
        OpenAIPolicy("localhost:8000/v1", "m")
    with pytest.raises(ValueError, match="endpoint"):
        OpenAIPolicy("http://127.0.0.1:1/v1", "m", endpoint="embeddings")
    with pytest.raises(ValueError, match="max_concurrency"):
        OpenAIPolicy("http://127.0.0.1:1/v1", "m", max_concurrency=0)


def test_dropped_connections_are_retried_and_recovered() -> None:
    with ScriptedHTTPServer([reply_drop(), reply_drop(), reply_completion()]) as s:
        out = make(s).generate(["hi"], 1, P)
        assert out[0][0].text == "Paris 0" and len(s.requests) == 3
    with ScriptedHTTPServer([reply_drop()]) as s:
        with pytest.raises(BackendError, match="failed after 3 attempts.*connection failed"):
            make(s).generate(["hi"], 1, P)
