"""The HTTP reward model against a real FastAPI/uvicorn server on loopback (tests/rewards/score_server.py,
started as a subprocess): vLLM's /pooling and /score shapes, bounded concurrency, retries on real
503s and real timeouts, a refused connection, and 4xx errors."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pessimism.rewards import HttpReward, RewardServerError, load_reward

sys.path.insert(0, str(Path(__file__).parent))
from score_server import rule  # noqa: E402

SERVER = Path(__file__).with_name("score_server.py")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, str(SERVER), str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(url + "/health", timeout=1).raise_for_status()
            break
        except httpx.HTTPError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"score server did not start: {proc.stdout.read().decode() if proc.stdout else ''}")
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def _stats(url: str) -> dict:
    return httpx.get(url + "/stats").json()


@pytest.fixture()
def fresh(server: str) -> str:
    httpx.post(server + "/reset")
    return server


def _expected(prompt: str, response: str) -> float:
    return rule([{"role": "user", "content": prompt}, {"role": "assistant", "content": response}])


def test_pooling_api_scores_by_the_servers_rule(fresh: str) -> None:
    rm = HttpReward(fresh, "toy-rm")
    prompts = ["What is the capital of France?"] * 3 + [[{"role": "user", "content": "Name a city."}]]
    responses = ["Paris", "Lyon", "It is Paris, of course", "Rome"]
    scores = rm.score(prompts, responses)
    expected = [_expected(p if isinstance(p, str) else p[0]["content"], r) for p, r in zip(prompts, responses)]
    assert scores == pytest.approx(expected)
    assert rm.name == f"http:{fresh}@toy-rm"
    assert _stats(fresh)["requests"] == 4


def test_token_level_and_multi_head_outputs(fresh: str) -> None:
    assert HttpReward(fresh, "token-rm").score(["q"], ["Paris"]) == pytest.approx([_expected("q", "Paris")])
    with pytest.raises(ValueError, match="returns 2 values per input; choose one with head"):
        HttpReward(fresh, "multi-rm").score(["q"], ["Paris"])
    assert HttpReward(fresh, "multi-rm", head=1).score(["q"], ["Paris"]) == pytest.approx([-_expected("q", "Paris")])


def test_score_api_groups_responses_by_prompt(fresh: str) -> None:
    rm = HttpReward(fresh, "toy-rm", api="score")
    prompts = ["q1", "q2", "q1", "q1"]
    responses = ["a", "bb", "ccc", "Paris"]
    assert rm.score(prompts, responses) == pytest.approx([_expected(p, r) for p, r in zip(prompts, responses)])
    assert _stats(fresh)["requests"] == 2  # one request per distinct prompt
    assert rm.name.endswith("#score")


def test_concurrency_is_bounded(fresh: str) -> None:
    rm = HttpReward(fresh, "toy-rm", max_concurrency=3)
    rm.score(["q"] * 12, [f"r{i}" for i in range(12)])
    assert _stats(fresh)["peak"] == 3
    httpx.post(fresh + "/reset")
    HttpReward(fresh, "toy-rm", max_concurrency=8).score(["q"] * 12, [f"r{i}" for i in range(12)])
    assert _stats(fresh)["peak"] > 3


def test_retries_on_503_then_succeeds(fresh: str) -> None:
    rm = HttpReward(fresh, "toy-rm", backoff=0.01)
    scores = rm.score(["q", "q"], ["FAIL503x2 a", "fine"])
    assert scores == pytest.approx([_expected("q", "FAIL503x2 a"), _expected("q", "fine")])
    assert _stats(fresh)["seen"]["FAIL503x2 a"] == 3  # two 503s, then the answer


def test_gives_up_after_max_retries(fresh: str) -> None:
    rm = HttpReward(fresh, "toy-rm", backoff=0.01, max_retries=1)
    with pytest.raises(RewardServerError, match="failed after 2 attempts; last error: HTTP 503"):
        rm.score(["q"], ["FAIL503x5 b"])


def test_retries_after_timeout(fresh: str) -> None:
    rm = HttpReward(fresh, "toy-rm", timeout=0.5, backoff=0.01)
    assert rm.score(["q"], ["SLOW c"]) == pytest.approx([_expected("q", "SLOW c")])
    assert _stats(fresh)["seen"]["SLOW c"] == 2


def test_client_errors_are_not_retried(fresh: str) -> None:
    with pytest.raises(ValueError, match="HTTP 400: .*BAD400"):
        HttpReward(fresh, "toy-rm", backoff=0.01).score(["q"], ["BAD400"])
    assert _stats(fresh)["seen"]["BAD400"] == 1
    with pytest.raises(ValueError, match=r"HTTP 404: .*not found.*model name 'nope'"):
        HttpReward(fresh, "nope").score(["q"], ["x"])


def test_server_down() -> None:
    rm = HttpReward(f"http://127.0.0.1:{_free_port()}", "toy-rm", backoff=0.01, max_retries=2)
    with pytest.raises(RewardServerError, match="failed after 3 attempts; last error: ConnectError"):
        rm.score(["q"], ["x"])


def test_load_reward_spec(fresh: str) -> None:
    rm = load_reward(f"http:{fresh}@toy-rm")
    assert rm.score(["q"], ["Paris"]) == pytest.approx([_expected("q", "Paris")])
    assert load_reward(f"http:{fresh}@org/model-name#score").name == f"http:{fresh}@org/model-name#score"
    with pytest.raises(ValueError, match="unknown API 'classify'"):
        load_reward(f"http:{fresh}@m#classify")
    with pytest.raises(ValueError, match="http:<base url>@<model>"):
        load_reward(f"http:{fresh}")
