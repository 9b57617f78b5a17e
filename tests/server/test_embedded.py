"""``pessimism serve`` with no upstream: the embedded Gemma 3 270M generates and judges in-process."""

from __future__ import annotations

import httpx
import numpy as np
import openai
import pytest
from serve_helpers import start_proxy_process

from pessimism.select import chi2_lambda

pytestmark = pytest.mark.slow

MESSAGES = [{"role": "user", "content": "What is the capital of Italy?"}]


@pytest.fixture(scope="module")
def embedded_proxy(embedded_gguf, clean_env):  # noqa: ANN001, ANN201
    proc = start_proxy_process("--n", "3", "--max-tokens", "4", "--beta", "0.5")
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def model_id(embedded_proxy) -> str:  # noqa: ANN001
    return httpx.get(embedded_proxy.url + "/health", timeout=10).json()["model"]


def test_health_and_models_name_the_embedded_model(embedded_proxy, model_id, client_for) -> None:  # noqa: ANN001
    health = httpx.get(embedded_proxy.url + "/health", timeout=10).json()
    assert health["status"] == "ok" and health["backend"] == "embedded" and health["upstream"] is None
    assert [m.id for m in client_for(embedded_proxy).models.list()] == [model_id]
    assert "gemma" in model_id


def test_chat_with_defaults_and_with_overrides(embedded_proxy, model_id, client_for) -> None:  # noqa: ANN001
    client = client_for(embedded_proxy)
    resp = client.chat.completions.create(model=model_id, messages=MESSAGES, seed=3)
    info = resp.model_extra["pessimism"]
    assert (info["method"], info["n"], info["beta"], info["candidates"]) == ("itp", 3, 0.5, 3)
    assert info["lam_hat"] == pytest.approx(float(chi2_lambda(np.array(info["scores"]), 0.5)))
    assert 3 <= resp.usage.completion_tokens <= 3 * 4  # --max-tokens 4 for each of the 3 candidates
    assert info["upstream_requests"] == 1  # one generation call: the prompt is evaluated once for all n
    assert resp.usage.prompt_tokens > 0

    again = client.chat.completions.create(model=model_id, messages=MESSAGES, seed=3)
    assert again.choices[0].message.content == resp.choices[0].message.content  # seeded end to end

    top = client.chat.completions.create(
        model=model_id, messages=MESSAGES, max_tokens=2, temperature=0.7,
        extra_body={"pessimism": {"method": "topk", "k": 2, "n": 4}},
    )
    info = top.model_extra["pessimism"]
    assert (info["method"], info["n"], info["params"], info["beta"]) == ("topk", 4, {"k": 2}, None)
    ranked = sorted(info["scores"], reverse=True)
    assert info["scores"][info["chosen_index"]] >= ranked[1]  # one of the 2 best
    assert top.usage.completion_tokens <= 4 * 2


def test_text_completion_feeds_the_prompt_verbatim(embedded_proxy, model_id, client_for) -> None:  # noqa: ANN001
    resp = client_for(embedded_proxy).completions.create(
        model=model_id, prompt="The capital of Italy is", max_tokens=3, seed=1,
        extra_body={"pessimism": {"n": 2}},
    )
    assert resp.object == "text_completion" and len(resp.choices) == 1
    # verbatim: the prompt's tokens are <bos> + the text, far fewer than the chat template would add
    chat = client_for(embedded_proxy).chat.completions.create(
        model=model_id, messages=[{"role": "user", "content": "The capital of Italy is"}], max_tokens=3, seed=1,
        extra_body={"pessimism": {"n": 2}},
    )
    assert resp.usage.prompt_tokens < chat.usage.prompt_tokens


def test_embedded_refuses_what_it_cannot_honour(embedded_proxy, model_id, client_for) -> None:  # noqa: ANN001
    client = client_for(embedded_proxy)
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(model=model_id, messages=MESSAGES, presence_penalty=0.5)
    assert err.value.body["param"] == "presence_penalty" and "embedded" in err.value.body["message"]
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(model=model_id, messages=MESSAGES, logprobs=True)
    assert err.value.body["param"] == "logprobs"
    with pytest.raises(openai.NotFoundError) as nf:
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert nf.value.body["code"] == "model_not_found" and model_id in nf.value.body["message"]
    # a chat the Gemma template cannot render (two user turns in a row) is the client's to fix
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(model=model_id, messages=MESSAGES + MESSAGES, max_tokens=2)
    assert err.value.body["param"] == "messages" and "alternating" in err.value.body["message"]
