"""Fixtures of the server tests: ``pessimism serve`` started as a real process on loopback.

The shared helpers of ``tests/fixtures_servers.py`` are reused: ``ServerProcess`` (start, wait until
ready, stop), ``free_port``, ``ScriptedHTTPServer`` (a stdlib upstream whose replies the test scripts:
errors, delays, canned completions) and the session-wide ``llama_server`` fixture (llama-cpp-python's
OpenAI-compatible server on the embedded GGUF, from ``tests/conftest.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fixtures_servers import ServerProcess
from serve_helpers import start_proxy_process

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
pytest.importorskip("openai")

StartProxy = Callable[..., ServerProcess]
KEY_VARS = ("PESSIMISM_API_KEY", "OPENAI_API_KEY", "OPENAI_BASE_URL")


@pytest.fixture(scope="module")
def clean_env() -> Iterator[None]:
    """Keys in the caller's shell must not leak into the proxies (module-scoped monkeypatch)."""
    mp = pytest.MonkeyPatch()
    for name in KEY_VARS:
        mp.delenv(name, raising=False)
    yield
    mp.undo()


@pytest.fixture
def start_proxy(clean_env: None) -> Iterator[StartProxy]:
    """``start_proxy("--upstream", url, "--n", "2", env={...})`` -> a ready ``pessimism serve`` process
    (``.url``); every proxy started is stopped at the end of the test."""
    started: list[ServerProcess] = []

    def start(*args: str, env: dict[str, str] | None = None) -> ServerProcess:
        proc = start_proxy_process(*args, env=env)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.stop()


@pytest.fixture(scope="session")
def client_for() -> Callable[..., object]:
    """``client_for(proxy, api_key="none")`` -> an ``openai.OpenAI`` client of that proxy (no retries)."""
    import openai

    def make(proxy: ServerProcess, api_key: str = "none", **kw: object) -> object:
        return openai.OpenAI(base_url=proxy.url + "/v1", api_key=api_key, max_retries=0, timeout=120, **kw)

    return make
