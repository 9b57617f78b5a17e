"""The OpenAI-compatible policy against a real server: llama-cpp-python's server subprocess serving the
embedded GGUF on loopback (the ``llama_server`` session fixture)."""

from __future__ import annotations

import math
import threading

import pytest

from pessimism.models import BackendError, SamplingParams, load_policy
from pessimism.models.openai_compat import OpenAIPolicy

pytestmark = pytest.mark.slow


@pytest.fixture
def policy(llama_server) -> OpenAIPolicy:
    return OpenAIPolicy(llama_server.base_url, llama_server.model, timeout=60)


def test_model_is_resolved_from_the_server_when_not_given(llama_server) -> None:
    p = OpenAIPolicy(llama_server.base_url)
    assert p.model == llama_server.model
    assert p.name == f"openai:{llama_server.base_url}@{llama_server.model}/chat"


def test_chat_returns_exactly_n_with_logprobs_and_detects_ignored_n(policy: OpenAIPolicy) -> None:
    assert policy.n_mode is None
    out = policy.generate(["Name a colour."], 2, SamplingParams(max_tokens=3, seed=4))
    assert [len(cs) for cs in out] == [2]
    # llama-cpp-python's server drops `n` and answers one choice: detected, not trusted
    assert policy.n_mode == "separate"
    assert "returned 1 choice" in (policy.n_mode_reason or "")
    for c in out[0]:
        assert c.token_logprobs is not None and len(c.token_logprobs) == c.num_tokens >= 1
        assert c.num_tokens <= 3
        assert c.logprob == pytest.approx(sum(c.token_logprobs))
        assert all(lp <= 0 for lp in c.token_logprobs)
    assert len({c.text for c in out[0]}) > 1  # seeds seed+j differ
    again = policy.generate(["Name a colour."], 1, SamplingParams(max_tokens=3, seed=5))
    assert again[0][0].text == out[0][1].text  # sample j is seeded seed + j: reproducible


def test_completions_endpoint_with_a_plain_prompt(llama_server) -> None:
    p = load_policy(f"openai:{llama_server.base_url}@{llama_server.model}?endpoint=completions")
    prompt = "Q: What is the capital of Italy?\nA: Rome\nQ: What is the capital of France?\nA:"
    out = p.generate([prompt], 2, SamplingParams(max_tokens=6, seed=0, stop=("\n",)))[0]
    assert len(out) == 2
    for c in out:
        assert "\n" not in c.text
        assert c.token_logprobs is not None and len(c.token_logprobs) == c.num_tokens
    assert any("Paris" in c.text for c in out)
    with pytest.raises(ValueError, match="plain-text"):
        p.generate([[{"role": "user", "content": "hi"}]], 1, SamplingParams(max_tokens=2))


def test_next_token_logprobs_match_the_in_process_model(policy: OpenAIPolicy, gemma) -> None:
    """Same GGUF, same Gemma turn format: where the server returns a token in its top-k, its
    log-probability equals the exact in-process one; a token outside the top-k gets an upper bound."""
    prompt = "Is Paris the capital of France? Answer yes or no."
    # "Is", "The" and "Yes" are in the server's top 20 for this prompt; "No" is not (it is ~-6.3)
    server = policy.next_token_logprobs([prompt], ["Is", "The", "Yes", "No"])[0]
    local = gemma.next_token_logprobs([prompt], ["Is", "The", "Yes", "No"])[0]
    for tok in ("Is", "The", "Yes"):
        assert server[tok] == pytest.approx(local[tok], abs=1e-3)
    assert local["No"] <= server["No"] <= min(server["Is"], server["The"], server["Yes"])
    assert math.isfinite(server["No"])


def test_server_side_validation_error_is_reported_with_its_message(llama_server) -> None:
    p = OpenAIPolicy(llama_server.base_url, llama_server.model, max_attempts=2, backoff_base=0.01)
    # llama-cpp-python's server rejects an over-long request with its own message
    with pytest.raises(BackendError) as info:
        p.generate(["word " * 1500], 1, SamplingParams(max_tokens=4))
    assert info.value.server_message
    assert "context" in str(info.value).lower() or "token" in str(info.value).lower()


def test_a_server_crash_mid_run_fails_clearly_or_is_bridged_when_it_comes_back(embedded_gguf) -> None:
    """A real server killed (SIGKILL) between requests: an impatient client gets a clear error; a
    patient one keeps retrying while the server restarts on the same port, and gets its answer."""
    from fixtures_servers import start_llama_server

    params = SamplingParams(max_tokens=3, seed=0)
    servers = [start_llama_server(embedded_gguf, n_ctx=256)]
    try:
        first = servers[0]
        patient = OpenAIPolicy(first.base_url, first.model, max_attempts=30, backoff_base=0.5, backoff_max=2.0)
        before = patient.generate(["Name a colour."], 1, params)[0][0]
        first.process.proc.kill()
        first.process.proc.wait(timeout=10)

        impatient = OpenAIPolicy(first.base_url, first.model, max_attempts=2, backoff_base=0.01)
        with pytest.raises(BackendError, match="failed after 2 attempts.*connection failed"):
            impatient.generate(["Name a colour."], 1, params)

        restart = threading.Thread(
            target=lambda: servers.append(start_llama_server(embedded_gguf, n_ctx=256, port=first.process.port))
        )
        restart.start()
        after = patient.generate(["Name a colour."], 1, params)[0][0]
        restart.join(timeout=120)
        assert len(servers) == 2
        assert after.text == before.text  # same seed, same sample from the restarted server
    finally:
        for s in servers:
            s.process.stop()
