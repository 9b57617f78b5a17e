"""``pessimism serve`` in front of a real model server: llama-cpp-python's OpenAI-compatible server on
the embedded Gemma GGUF, called with the official ``openai`` client over loopback HTTP.

llama-cpp-python's server answers ``n > 1`` with one choice, so the adapter falls back to one request
per candidate: ``upstream_requests == n`` here (the one-request path is tested against an upstream
that honours ``n`` in ``test_passthrough_concurrency.py``).
"""

from __future__ import annotations

import httpx
import numpy as np
import pytest
from serve_helpers import start_proxy_process

from pessimism.select import chi2_lambda, selection_probs

pytestmark = pytest.mark.slow

MESSAGES = [{"role": "user", "content": "What is the capital of France?"}]


@pytest.fixture(scope="module")
def llama_proxy(llama_server, clean_env):  # noqa: ANN001, ANN201
    """One proxy for the whole file, judging with the upstream model itself (``--reward judge``)."""
    proc = start_proxy_process(
        "--upstream", llama_server.base_url, "--model", llama_server.model,
        "--n", "2", "--max-tokens", "4", "--beta", "0.5", "--timeout", "120",
    )
    yield proc
    proc.stop()


def _direct_prompt_tokens(llama_server, body: dict) -> int:  # noqa: ANN001
    r = httpx.post(f"{llama_server.base_url}/chat/completions", json={**body, "max_tokens": 1}, timeout=60)
    r.raise_for_status()
    return int(r.json()["usage"]["prompt_tokens"])


def test_chat_is_aligned_with_itp_and_counts_every_token(llama_proxy, llama_server, client_for) -> None:  # noqa: ANN001
    client = client_for(llama_proxy)
    resp = client.chat.completions.create(
        model=llama_server.model, messages=MESSAGES, max_tokens=4, seed=7,
        extra_body={"pessimism": {"n": 3, "beta": 0.25}},
    )
    assert resp.object == "chat.completion"
    assert len(resp.choices) == 1 and resp.choices[0].index == 0
    info = resp.model_extra["pessimism"]
    assert (info["method"], info["n"], info["beta"], info["candidates"]) == ("itp", 3, 0.25, 3)
    scores = np.array(info["scores"])
    assert scores.shape == (3,)
    # lam_hat and the chosen candidate's probability are the selection core's, on the reported scores
    assert info["lam_hat"] == pytest.approx(float(chi2_lambda(scores, 0.25)))
    probs = selection_probs("itp", scores, beta=0.25)
    assert 0 <= info["chosen_index"] < 3 and probs[info["chosen_index"]] > 0
    assert info["probability"] == pytest.approx(float(probs[info["chosen_index"]]))
    # usage: all candidates' tokens; the prompt once per upstream request (one per candidate here)
    assert info["upstream_requests"] == 3
    assert 3 <= resp.usage.completion_tokens <= 3 * 4
    per_request = _direct_prompt_tokens(llama_server, {"messages": MESSAGES})
    assert resp.usage.prompt_tokens == 3 * per_request
    assert resp.usage.total_tokens == resp.usage.prompt_tokens + resp.usage.completion_tokens
    assert resp.choices[0].finish_reason in ("stop", "length")


def test_completions_relay_the_chosen_candidates_logprobs(llama_proxy, llama_server, client_for) -> None:  # noqa: ANN001
    client = client_for(llama_proxy)
    resp = client.completions.create(
        model=llama_server.model, prompt="The capital of France is", max_tokens=3, logprobs=2,
        extra_body={"pessimism": {"n": 2, "method": "bon"}},
    )
    assert resp.object == "text_completion"
    choice = resp.choices[0]
    info = resp.model_extra["pessimism"]
    assert info["method"] == "bon" and info["lam_hat"] is None and info["params"] == {}
    scores = info["scores"]
    assert scores[info["chosen_index"]] == max(scores)
    # the upstream's own logprobs of the chosen candidate: its tokens spell its text
    assert "".join(choice.logprobs.tokens) == choice.text
    # top-2 as asked; llama-cpp-python's server also adds the sampled token when it is not among them
    assert all(2 <= len(top) <= 3 for top in choice.logprobs.top_logprobs)
    assert all(tok in top for tok, top in zip(choice.logprobs.tokens, choice.logprobs.top_logprobs))


def test_streaming_sends_the_same_answer_as_a_plain_request(llama_proxy, llama_server, client_for) -> None:  # noqa: ANN001
    """With a seed, sampling (seed + j per candidate), judging (greedy) and the choice (seeded) are all
    reproducible, so the streamed answer must equal the non-streamed one."""
    client = client_for(llama_proxy)
    kw = {"model": llama_server.model, "messages": MESSAGES, "max_tokens": 3, "seed": 11,
          "extra_body": {"pessimism": {"n": 2}}}
    plain = client.chat.completions.create(**kw)
    chunks = list(client.chat.completions.create(**kw, stream=True, stream_options={"include_usage": True}))
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == plain.choices[0].message.content
    final = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert len(final) == 1 and final[0].choices[0].finish_reason == plain.choices[0].finish_reason
    info = final[0].model_extra["pessimism"]
    assert info["scores"] == plain.model_extra["pessimism"]["scores"]
    assert info["chosen_index"] == plain.model_extra["pessimism"]["chosen_index"]
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens == plain.usage.total_tokens


def test_models_lists_the_upstream_model(llama_proxy, llama_server, client_for) -> None:  # noqa: ANN001
    ids = [m.id for m in client_for(llama_proxy).models.list()]
    assert ids == [llama_server.model]
