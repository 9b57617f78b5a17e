"""A slow OpenAI-style upstream on loopback that notices when its caller hangs up.

``tests/fixtures_servers.ScriptedHTTPServer`` (stdlib, blocking threads) cannot see a client that
disconnects while its handler sleeps; this one is a raw ASGI app run by uvicorn in a thread: each POST
waits ``delay`` seconds *or* until ASGI delivers ``http.disconnect``, whichever comes first, and
counts what happened. It exists for one fault a real model server will not produce on demand: a
generation slow enough that the client gives up mid-request.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fixtures_servers import free_port


@dataclass
class Counts:
    in_flight: int = 0
    started: int = 0
    finished: int = 0
    cancelled: int = 0  # the caller disconnected before the answer was ready
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def snapshot(self) -> dict[str, int]:
        with self.lock:
            return {"in_flight": self.in_flight, "started": self.started, "finished": self.finished,
                    "cancelled": self.cancelled}


class WatchingUpstream:
    """``with WatchingUpstream(delay=30) as up: ... up.counts.snapshot()``; ``up.base_url`` ends in /v1."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.counts = Counts()
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        config = uvicorn.Config(self._app, host="127.0.0.1", port=self.port, log_level="error", lifespan="off",
                                interface="asgi3")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    async def _app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        if scope["method"] != "POST":
            await _json(send, 200, {"object": "list", "data": [{"id": "watching", "object": "model"}]})
            return
        c = self.counts
        with c.lock:
            c.in_flight += 1
            c.started += 1

        async def hang_up() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        watcher = asyncio.ensure_future(hang_up())
        try:
            done, _ = await asyncio.wait({watcher}, timeout=self.delay)
            if watcher in done:
                with c.lock:
                    c.cancelled += 1
                return
            n = int(json.loads(body or b"{}").get("n") or 1)
            choices = [{"index": i, "message": {"role": "assistant", "content": f"slow {i}"}, "finish_reason": "stop"}
                       for i in range(n)]
            await _json(send, 200, {"object": "chat.completion", "choices": choices,
                                    "usage": {"prompt_tokens": 1, "completion_tokens": n, "total_tokens": 1 + n}})
            with c.lock:
                c.finished += 1
        finally:
            watcher.cancel()
            with c.lock:
                c.in_flight -= 1

    def __enter__(self) -> WatchingUpstream:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the watching upstream did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


async def _json(send: Any, status: int, data: Any) -> None:
    raw = json.dumps(data).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]})
    await send({"type": "http.response.body", "body": raw})
