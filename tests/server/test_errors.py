"""Every failure path of ``pessimism serve`` over real HTTP: 400s naming the field (the ``pessimism``
override messages are the selection core's), upstream down / 5xx -> 502 with the upstream's message,
upstream 4xx relayed, a slow upstream -> 504.

The failing upstreams are ``ScriptedHTTPServer`` (tests/fixtures_servers.py), a real loopback HTTP
server scripted to answer 500 / 400 / slowly: faults a real model server does not produce on demand.
"""

from __future__ import annotations

import httpx
import openai
import pytest
from fixtures_servers import ScriptedHTTPServer, free_port, reply_completion, reply_error, reply_sleep

MESSAGES = [{"role": "user", "content": "Capital of France?"}]


@pytest.fixture
def scripted_proxy(start_proxy):  # noqa: ANN001, ANN201
    with ScriptedHTTPServer([reply_completion()]) as up:
        yield up, start_proxy("--upstream", up.base_url, "--model", "scripted", "--n", "4", "--max-n", "32")


BAD_CHAT = [
    # (body changes, param, words the message must contain)
    ({"messages": None}, "messages", ["messages"]),
    ({"messages": [{"role": "user", "content": 5}]}, "messages[0].content", ["messages[0].content"]),
    ({"temperature": "hot"}, "temperature", ["temperature", "number"]),
    ({"temperature": 3}, "temperature", ["temperature", "2"]),
    ({"max_tokens": 0}, "max_tokens", ["max_tokens"]),
    ({"n": 2}, "n", ["pessimism.n"]),
    ({"max_tokens": 3, "max_completion_tokens": 3}, None, ["max_tokens and max_completion_tokens"]),
    ({"pessimism": {"method": "best_of_everything"}}, "pessimism.method", ["unknown selection method", "itp"]),
    ({"pessimism": {"method": "topk", "k": 9}}, "pessimism.k", ["k=9 is outside [1, 4]"]),
    ({"pessimism": {"method": "topk"}}, "pessimism.k", ["needs parameter(s) k"]),
    ({"pessimism": {"beta": -1.0}}, "pessimism.beta", ["beta must be a finite number > 0"]),
    ({"pessimism": {"method": "bon", "beta": 2.0}}, "pessimism.beta", ["does not take parameter(s) beta"]),
    ({"pessimism": {"method": "best_of_majority", "alpha": 1.5}}, "pessimism.alpha", ["alpha must be a frequency"]),
    ({"pessimism": {"method": "itp_algorithm1"}}, "pessimism.r_max", ["r_max"]),
    ({"pessimism": {"n": 100}}, "pessimism.n", ["--max-n", "32"]),
    ({"pessimism": {"n": 0}}, "pessimism.n", ["pessimism.n"]),
    ({"pessimism": {"n": "4"}}, "pessimism.n", ["pessimism.n", "integer"]),
    ({"pessimism": {"bta": 1.0}}, "pessimism.bta", ["pessimism.bta", "not permitted"]),
    ({"pessimism": "itp"}, "pessimism", ["pessimism"]),
]


@pytest.mark.parametrize(("change", "param", "words"), BAD_CHAT, ids=[str(c[0])[:40] for c in BAD_CHAT])
def test_invalid_chat_requests_are_400_naming_the_field(scripted_proxy, change, param, words) -> None:  # noqa: ANN001
    up, proxy = scripted_proxy
    body = {"model": "scripted", "messages": MESSAGES, **change}
    body = {k: v for k, v in body.items() if v is not None}
    r = httpx.post(proxy.url + "/v1/chat/completions", json=body, timeout=30)
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["param"] == param and err["type"] == "invalid_request_error"
    for word in words:
        assert word in err["message"]
    assert up.requests == []  # rejected before any upstream call


def test_malformed_json_and_bad_completion_prompts(scripted_proxy) -> None:  # noqa: ANN001
    up, proxy = scripted_proxy
    r = httpx.post(proxy.url + "/v1/chat/completions", content=b'{"messages": [', timeout=30,
                   headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_json"
    r = httpx.post(proxy.url + "/v1/completions", json={"prompt": ["a", "b"]}, timeout=30)
    assert r.status_code == 400 and r.json()["error"]["param"] == "prompt"
    assert "one prompt per request" in r.json()["error"]["message"]
    r = httpx.post(proxy.url + "/v1/completions", json={"prompt": [1, 2, 3]}, timeout=30)
    assert r.status_code == 400 and r.json()["error"]["param"].startswith("prompt")
    assert up.requests == []


def test_the_openai_client_sees_the_core_message(scripted_proxy, client_for) -> None:  # noqa: ANN001
    _, proxy = scripted_proxy
    with pytest.raises(openai.BadRequestError) as err:
        client_for(proxy).chat.completions.create(
            model="scripted", messages=MESSAGES, extra_body={"pessimism": {"method": "soft_bon", "beta": 0}},
        )
    assert err.value.status_code == 400
    assert "beta must be a finite number > 0" in err.value.message


def test_upstream_down_is_502(start_proxy, client_for) -> None:  # noqa: ANN001
    dead = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    proxy = start_proxy("--upstream", dead, "--model", "m", "--retries", "0")
    with pytest.raises(openai.InternalServerError) as err:
        client_for(proxy).chat.completions.create(model="m", messages=MESSAGES)
    assert err.value.status_code == 502
    body = err.value.body
    assert body["code"] == "bad_gateway" and "connection failed" in body["message"] and dead in body["message"]
    with pytest.raises(openai.InternalServerError) as err:
        client_for(proxy).models.list()
    assert err.value.status_code == 502


def test_upstream_500_is_502_with_its_message_after_the_retries(start_proxy, client_for) -> None:  # noqa: ANN001
    with ScriptedHTTPServer([reply_error(500, "fake upstream exploded")]) as up:
        proxy = start_proxy("--upstream", up.base_url, "--model", "scripted", "--retries", "1")
        with pytest.raises(openai.InternalServerError) as err:
            client_for(proxy).chat.completions.create(model="scripted", messages=MESSAGES)
        assert len(up.requests) == 2  # the first try and one retry
    assert err.value.status_code == 502 and "fake upstream exploded" in err.value.body["message"]


def test_upstream_4xx_is_relayed(start_proxy, client_for) -> None:  # noqa: ANN001
    with ScriptedHTTPServer([reply_error(400, "unknown parameter: frobnicate")]) as up:
        proxy = start_proxy("--upstream", up.base_url, "--model", "scripted")
        with pytest.raises(openai.BadRequestError) as err:
            client_for(proxy).chat.completions.create(model="scripted", messages=MESSAGES,
                                                      extra_body={"frobnicate": True})
        assert up.requests[0][1]["frobnicate"] is True
    assert err.value.body["code"] == "upstream_rejected"
    assert "unknown parameter: frobnicate" in err.value.body["message"]


def test_failing_judge_is_502_reward_failed(start_proxy, client_for) -> None:  # noqa: ANN001
    # the generation call succeeds, then every judge call fails
    with ScriptedHTTPServer([reply_completion(), reply_error(503, "judge overloaded")]) as up:
        proxy = start_proxy("--upstream", up.base_url, "--model", "scripted", "--n", "2", "--retries", "0")
        with pytest.raises(openai.InternalServerError) as err:
            client_for(proxy).chat.completions.create(model="scripted", messages=MESSAGES)
    assert err.value.status_code == 502 and err.value.body["code"] == "reward_failed"
    assert "judge overloaded" in err.value.body["message"]


def test_slow_upstream_is_504(start_proxy, client_for) -> None:  # noqa: ANN001
    with ScriptedHTTPServer([reply_sleep(4.0)]) as up:
        proxy = start_proxy("--upstream", up.base_url, "--model", "scripted", "--timeout", "1")
        with pytest.raises(openai.APIStatusError) as err:
            client_for(proxy).chat.completions.create(model="scripted", messages=MESSAGES)
    assert err.value.status_code == 504
    assert err.value.body["code"] == "timeout" and "--timeout of 1 s" in err.value.body["message"]
