"""Pass-through of OpenAI fields, the one ``n=`` request, token accounting and bounded concurrency,
against ``ScriptedHTTPServer`` (tests/fixtures_servers.py): a real loopback HTTP server whose canned
completions honour ``n`` and record every request body, so the test can read exactly what the proxy
sent upstream and how many calls were in flight at once."""

from __future__ import annotations

import asyncio

import openai
from fixtures_servers import ScriptedHTTPServer, reply_completion, reply_sleep

MESSAGES = [{"role": "user", "content": "Capital of France?"}]


def _generation_bodies(up: ScriptedHTTPServer) -> list[dict]:
    return [body for _, body, _ in up.requests if body.get("max_tokens") != 1]


def _judge_bodies(up: ScriptedHTTPServer) -> list[dict]:
    return [body for _, body, _ in up.requests if body.get("max_tokens") == 1]


def test_unknown_fields_pass_through_and_n_is_one_request(start_proxy, client_for) -> None:  # noqa: ANN001
    with ScriptedHTTPServer([reply_completion()]) as up:
        proxy = start_proxy("--upstream", up.base_url, "--model", "scripted", "--n", "4")
        resp = client_for(proxy).chat.completions.create(
            model="scripted", messages=MESSAGES, max_tokens=5, temperature=0.3, top_p=0.9, stop=["\n"], seed=5,
            presence_penalty=0.25, logit_bias={"42": -100}, user="u1",
            extra_body={"top_k": 7, "pessimism": {"n": 3, "method": "bon"}},
        )
        (gen,) = _generation_bodies(up)  # ONE upstream request for all 3 candidates
        judges = _judge_bodies(up)
    assert gen["n"] == 3 and gen["messages"] == MESSAGES and gen["model"] == "scripted"
    for field, value in {"presence_penalty": 0.25, "logit_bias": {"42": -100}, "user": "u1", "top_k": 7,
                         "temperature": 0.3, "top_p": 0.9, "stop": ["\n"], "seed": 5}.items():
        assert gen[field] == value, field
    assert "pessimism" not in gen and "stream" not in gen
    # the judge's calls are the server's own: none of the client's pass-through fields leak into them
    assert len(judges) == 3  # "Paris 0", "Paris 1", "Paris 2": three distinct responses, each scored once
    assert all(not {"presence_penalty", "logit_bias", "top_k", "user"} & set(b) for b in judges)

    info = resp.model_extra["pessimism"]
    assert info["upstream_requests"] == 1 and info["candidates"] == 3 and info["reward_calls"] == 3
    assert resp.choices[0].message.content == f"Paris {info['chosen_index']}"
    # usage as the scripted upstream reports it: 5 prompt tokens per request, 2 tokens per candidate
    assert (resp.usage.prompt_tokens, resp.usage.completion_tokens, resp.usage.total_tokens) == (5, 6, 11)
    assert resp.choices[0].logprobs is None  # not asked for


def test_logprobs_of_the_chosen_candidate_are_relayed(start_proxy, client_for) -> None:  # noqa: ANN001
    with ScriptedHTTPServer([reply_completion()]) as up:
        proxy = start_proxy("--upstream", up.base_url, "--model", "scripted", "--n", "2", "--reward", "self_certainty")
        resp = client_for(proxy).chat.completions.create(
            model="scripted", messages=MESSAGES, logprobs=True, top_logprobs=2,
        )
        (gen,) = _generation_bodies(up)
    assert gen["top_logprobs"] == 2 and gen["logprobs"] is True
    i = resp.model_extra["pessimism"]["chosen_index"]
    tokens = [t.token for t in resp.choices[0].logprobs.content]
    assert tokens == ["Paris", f" {i}"]
    # self_certainty: the mean token log-probability, (-0.5 - 1.5) / 2 for every scripted candidate
    assert resp.model_extra["pessimism"]["scores"] == [-1.0, -1.0]


def test_concurrent_requests_share_a_bounded_upstream(start_proxy) -> None:  # noqa: ANN001
    """8 requests at once (4 chat, 4 text completions) through --max-concurrency 2: all succeed, and the
    upstream never has more than 2 calls in flight -- generation and judge calls of both endpoints
    together share one bound."""
    with ScriptedHTTPServer([reply_sleep(0.2, reply_completion())]) as up:
        proxy = start_proxy("--upstream", up.base_url, "--model", "scripted", "--n", "2", "--max-concurrency", "2")

        async def burst() -> list:
            client = openai.AsyncOpenAI(base_url=proxy.url + "/v1", api_key="none", max_retries=0, timeout=120)
            try:
                chats = [client.chat.completions.create(model="scripted", messages=[{"role": "user", "content": f"q{i}"}])
                         for i in range(4)]
                texts = [client.completions.create(model="scripted", prompt=f"q{i}") for i in range(4, 8)]
                return await asyncio.gather(*chats, *texts)
            finally:
                await client.close()

        results = asyncio.run(burst())
        assert len(up.requests) == 8 * (1 + 2)  # per request: one n=2 generation, two judge calls
        assert up.max_in_flight == 2
    assert all(r.model_extra["pessimism"]["candidates"] == 2 for r in results)
    assert [r.object for r in results] == ["chat.completion"] * 4 + ["text_completion"] * 4
    gens = [body for _, body, _ in up.requests if body.get("n") == 2]
    prompts = sorted(body["messages"][0]["content"] if "messages" in body else body["prompt"] for body in gens)
    assert prompts == sorted(f"q{i}" for i in range(8))


def test_itp_algorithm1_reports_every_draw(start_proxy, client_for) -> None:  # noqa: ANN001
    """Algorithm 1 draws phase 1 in one n= request, then one candidate per request: the response
    accounts for every draw, and the chosen one is the last drawn."""
    with ScriptedHTTPServer([reply_completion()]) as up:
        proxy = start_proxy("--upstream", up.base_url, "--model", "scripted", "--reward", "self_certainty")
        resp = client_for(proxy).chat.completions.create(
            model="scripted", messages=MESSAGES, seed=4,
            extra_body={"pessimism": {"method": "itp_algorithm1", "n": 3, "beta": 0.5, "r_max": 0.0}},
        )
        gens = _generation_bodies(up)
    info = resp.model_extra["pessimism"]
    drawn = 3 + info["phase2_draws"] + info["fallback_draws"]
    assert info["candidates"] == drawn == len(info["scores"]) == info["chosen_index"] + 1
    assert info["upstream_requests"] == len(gens) == 1 + drawn - 3
    assert gens[0]["n"] == 3 and all("n" not in g for g in gens[1:])
    assert info["source"] in ("phase2", "fallback") and info["params"] == {"beta": 0.5, "r_max": 0.0}
    assert resp.usage.completion_tokens == 2 * drawn
