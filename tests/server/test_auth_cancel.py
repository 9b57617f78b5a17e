"""API key (flag or environment variable; 401 without it; /health open) and cancellation of a
request whose client disconnects (the upstream sees its call cancelled)."""

from __future__ import annotations

import time

import httpx
import openai
import pytest
from fixtures_servers import ScriptedHTTPServer, reply_completion
from watching_upstream import WatchingUpstream

MESSAGES = [{"role": "user", "content": "Capital of France?"}]


def _assert_401(r: httpx.Response, reason: str) -> None:
    assert r.status_code == 401, r.text
    assert r.headers["www-authenticate"] == "Bearer"
    err = r.json()["error"]
    assert err["code"] == "invalid_api_key" and reason in err["message"]


def test_api_key_from_the_environment(start_proxy, client_for) -> None:  # noqa: ANN001
    with ScriptedHTTPServer([reply_completion()]) as up:
        proxy = start_proxy("--upstream", up.base_url, "--model", "scripted", "--n", "2",
                            env={"PESSIMISM_API_KEY": "s3cret-key"})
        assert httpx.get(proxy.url + "/health", timeout=10).status_code == 200  # open
        _assert_401(httpx.post(proxy.url + "/v1/chat/completions", json={"messages": MESSAGES}, timeout=10),
                    "no API key")
        _assert_401(httpx.get(proxy.url + "/v1/models", timeout=10), "no API key")
        # checked before the body is parsed: a malformed body without the key is still a 401
        _assert_401(httpx.post(proxy.url + "/v1/chat/completions", content=b"{oops", timeout=10), "no API key")
        _assert_401(httpx.post(proxy.url + "/v1/chat/completions", json={"messages": MESSAGES}, timeout=10,
                               headers={"Authorization": "Basic s3cret-key"}), "no API key")
        for wrong in ("s3cret-ke", "s3cret-key2", "S3CRET-KEY"):
            with pytest.raises(openai.AuthenticationError) as err:
                client_for(proxy, api_key=wrong).chat.completions.create(model="scripted", messages=MESSAGES)
            assert err.value.status_code == 401 and "not valid" in err.value.body["message"]
        assert up.requests == []  # nothing unauthenticated reached the upstream
        resp = client_for(proxy, api_key="s3cret-key").chat.completions.create(model="scripted", messages=MESSAGES)
        assert resp.model_extra["pessimism"]["candidates"] == 2
        assert [m.id for m in client_for(proxy, api_key="s3cret-key").models.list()] == ["scripted"]


def test_api_key_flag(start_proxy, client_for) -> None:  # noqa: ANN001
    with ScriptedHTTPServer([reply_completion()]) as up:
        proxy = start_proxy("--upstream", up.base_url, "--model", "scripted", "--n", "2", "--api-key", "flag-key")
        with pytest.raises(openai.AuthenticationError):
            client_for(proxy).chat.completions.create(model="scripted", messages=MESSAGES)
        resp = client_for(proxy, api_key="flag-key").chat.completions.create(model="scripted", messages=MESSAGES)
    assert resp.choices[0].message.content.startswith("Paris")


def test_client_disconnect_cancels_the_upstream_call(start_proxy) -> None:  # noqa: ANN001
    """The upstream would take 60 s; the client gives up after 1 s. The proxy must cancel its upstream
    call (the upstream sees the connection drop: ``cancelled``), not let it run for nobody."""
    with WatchingUpstream(delay=60) as up:
        proxy = start_proxy("--upstream", up.base_url, "--model", "watching", "--n", "2",
                            "--reward", "self_certainty", "--timeout", "300")
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(proxy.url + "/v1/chat/completions", json={"messages": MESSAGES}, timeout=1.0)
        deadline = time.monotonic() + 30  # a bounded wait for the cancellation to arrive, not a speed limit
        while time.monotonic() < deadline:
            counts = up.counts.snapshot()
            if counts["started"] and counts["in_flight"] == 0:
                break
            time.sleep(0.1)
        assert counts == {"in_flight": 0, "started": 1, "finished": 0, "cancelled": 1}
        assert httpx.get(proxy.url + "/health", timeout=10).json()["status"] == "ok"
