"""Shared test helpers for real servers on loopback (imported by ``tests/conftest.py``).

* :func:`free_port` — a currently free TCP port on 127.0.0.1.
* :class:`ServerProcess` — start a server subprocess, wait until ``GET <ready_path>`` answers 200
  (bounded), stop it (terminate, then kill) on exit; its output goes to a log file that is shown when it
  fails to start.
* :func:`start_llama_server` — llama-cpp-python's OpenAI-compatible server (``python -m llama_cpp.server``)
  serving a GGUF; the session fixture ``llama_server`` in ``tests/conftest.py`` serves the embedded Gemma.
* :class:`ScriptedHTTPServer` — a tiny real HTTP server (stdlib, in a thread) that answers each request
  with the next scripted reply: an error status, a delay, or a canned OpenAI-style completion. It is
  how tests cause faults a real model server will not produce on demand (HTTP 500 / 429 / 503, hangs).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def free_port() -> int:
    """A TCP port nobody listens on right now (bind to port 0, read it, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def embedded_gguf_path() -> Path:
    """The embedded Gemma 3 270M GGUF (assembled from the PyPI package on first use)."""
    from pessimism.models.embedded import embedded_model_path

    return embedded_model_path()


class ServerProcess:
    """A server subprocess that is ready (its ``ready_path`` answers 200) once constructed."""

    def __init__(
        self,
        cmd: list[str],
        port: int,
        *,
        ready_path: str = "/v1/models",
        startup_timeout: float = 60.0,
        env: dict[str, str] | None = None,
    ) -> None:
        self.cmd = cmd
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._log = tempfile.NamedTemporaryFile(prefix="server-", suffix=".log", delete=False)  # noqa: SIM115
        self.proc = subprocess.Popen(  # noqa: S603 - a fixed test command
            cmd, stdout=self._log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
        try:
            self._wait_ready(ready_path, startup_timeout)
        except BaseException:
            self.stop()
            raise

    def log_text(self) -> str:
        self._log.flush()
        return Path(self._log.name).read_text(errors="replace")[-4000:]

    def _wait_ready(self, path: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with code {self.proc.returncode}:\n{self.log_text()}")
            try:
                with urllib.request.urlopen(self.url + path, timeout=2) as resp:  # noqa: S310
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server not ready after {timeout:.0f}s:\n{self.log_text()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()
        Path(self._log.name).unlink(missing_ok=True)

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class LlamaServer:
    """A running ``llama_cpp.server``: ``base_url`` ends in ``/v1``; ``model`` is its model id."""

    process: ServerProcess
    base_url: str
    model: str
    gguf: Path


def start_llama_server(
    gguf: Path,
    *,
    n_ctx: int = 512,
    n_threads: int = 1,
    chat_format: str = "gemma",
    startup_timeout: float = 90.0,
    port: int | None = None,
) -> LlamaServer:
    """Start llama-cpp-python's OpenAI-compatible server on a free loopback port serving ``gguf``.

    ``chat_format="gemma"``: the embedded GGUF has no chat template and the server would otherwise use
    Llama-2's. The server keeps logits for every position (its default, needed for logprobs): memory
    is ``n_ctx x vocab`` floats (512 MB at n_ctx=512 for Gemma's 262k vocabulary), and each request
    costs time proportional to ``n_ctx`` (about 0.6 s at 256, 2.5 s at 1024 on 2 busy cores), so keep
    ``n_ctx`` as small as the test prompts allow. One thread by default: on a small shared machine
    llama.cpp's spinning worker threads slow everything down. ``port``: reuse a port (restart after a
    crash).
    """
    port = free_port() if port is None else port
    cmd = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(gguf), "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", str(n_ctx), "--n_threads", str(n_threads), "--chat_format", chat_format,
        "--verbose", "false",
    ]
    proc = ServerProcess(cmd, port, startup_timeout=startup_timeout)
    with urllib.request.urlopen(proc.url + "/v1/models", timeout=5) as resp:  # noqa: S310
        model = json.loads(resp.read())["data"][0]["id"]
    return LlamaServer(process=proc, base_url=proc.url + "/v1", model=model, gguf=gguf)


# ------------------------------------------------------------------------ scripted HTTP server
Reply = Callable[[dict[str, Any]], tuple[int, dict[str, str], Any]]


def reply_error(status: int, message: str = "scripted failure", headers: dict[str, str] | None = None) -> Reply:
    """Answer ``status`` with an OpenAI-style error body."""
    return lambda body: (status, dict(headers or {}), {"error": {"message": message, "type": "scripted"}})


def reply_sleep(seconds: float, then: Reply | None = None) -> Reply:
    """Wait ``seconds`` before answering (with ``then``, default a valid completion) — a hung server."""
    def reply(body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        time.sleep(seconds)
        return (then or reply_completion())(body)

    return reply


def reply_drop() -> Reply:
    """Close the connection without answering — a server that crashes while handling the request."""
    def reply(body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        raise ConnectionAbortedError("scripted crash")

    return reply


def reply_completion(max_choices: int | None = None, logprobs: bool = True, text: str = "Paris") -> Reply:
    """A valid chat or text completion echoing the request: ``min(n, max_choices)`` choices (``None``:
    honour ``n``); each choice's text is ``f"{text} {i}"`` made of two tokens with log-probabilities
    -0.5 and -1.5 when ``logprobs`` (else no logprobs at all, only a summed ``usage``)."""
    def reply(body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        n = int(body.get("n") or 1)
        k = n if max_choices is None else min(n, max_choices)
        chat = "messages" in body
        choices = []
        for i in range(k):
            t = f"{text} {i}"
            c: dict[str, Any] = {"index": i, "finish_reason": "stop"}
            if chat:
                c["message"] = {"role": "assistant", "content": t}
                if logprobs and body.get("logprobs"):
                    top = body.get("top_logprobs") or 0
                    alts = [{"token": "Paris", "logprob": -0.5}, {"token": " Paris", "logprob": -2.0}][:top]
                    c["logprobs"] = {"content": [
                        {"token": text, "logprob": -0.5, "top_logprobs": alts},
                        {"token": f" {i}", "logprob": -1.5, "top_logprobs": []},
                    ]}
            else:
                c["text"] = t
                if logprobs and body.get("logprobs") is not None:
                    c["logprobs"] = {"tokens": [text, f" {i}"], "token_logprobs": [-0.5, -1.5],
                                     "top_logprobs": [{"Paris": -0.5, " Paris": -2.0}, {f" {i}": -1.5}]}
            choices.append(c)
        usage = {"prompt_tokens": 5, "completion_tokens": 2 * k, "total_tokens": 5 + 2 * k}
        return 200, {}, {"object": "chat.completion" if chat else "text_completion", "choices": choices,
                         "usage": usage}

    return reply


@dataclass
class ScriptedHTTPServer:
    """A loopback HTTP server answering request ``i`` with ``script[i]`` (the last reply repeats).

    ``requests`` records ``(path, json body, headers)`` of every POST received; ``max_in_flight`` is the
    most POSTs being answered at the same time. ``GET /v1/models`` always lists one model, ``scripted``.
    """

    script: list[Reply]
    requests: list[tuple[str, dict[str, Any], dict[str, str]]] = field(default_factory=list)
    max_in_flight: int = 0

    def __post_init__(self) -> None:
        outer = self
        lock = threading.Lock()
        in_flight = [0]

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _send(self, status: int, headers: dict[str, str], body: Any) -> None:
                raw = json.dumps(body).encode() if not isinstance(body, bytes) else body
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(raw)))
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def do_GET(self) -> None:  # noqa: N802
                self._send(200, {}, {"object": "list", "data": [{"id": "scripted", "object": "model"}]})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with lock:
                    i = len(outer.requests)
                    outer.requests.append((self.path, body, dict(self.headers.items())))
                    in_flight[0] += 1
                    outer.max_in_flight = max(outer.max_in_flight, in_flight[0])
                try:
                    reply = outer.script[min(i, len(outer.script) - 1)]
                    self._send(*reply(body))
                except ConnectionAbortedError:
                    self.close_connection = True  # no response at all: the client sees a dropped connection
                finally:
                    with lock:
                        in_flight[0] -= 1

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> ScriptedHTTPServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
