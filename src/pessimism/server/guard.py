"""Run one request's work under the server's time limit, cancelling it if the client goes away.

``guarded(request, coro, timeout)`` runs ``coro`` as a task next to a watcher of the ASGI connection.
Whichever comes first decides: the result; ``--timeout`` seconds (the work is cancelled, then
:class:`~.errors.ApiError` 504); or the client's disconnect (the work is cancelled, then
:class:`ClientGone`). Cancelling the task cancels its in-flight upstream HTTP requests, which closes
their connections: the upstream sees the disconnect too, and nothing keeps running for nobody.
(The embedded backend runs llama.cpp in a worker thread, which cannot be interrupted mid-call:
its current generation call finishes, but no further call is made.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from .errors import ApiError

T = TypeVar("T")


class ClientGone(Exception):
    """The client disconnected before its answer was ready; its work was cancelled."""


async def _disconnected(receive: Any) -> None:
    while True:
        message = await receive()
        if message.get("type") == "http.disconnect":
            return


async def _cancel(task: asyncio.Task[Any]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def guarded(receive: Any, work: Coroutine[Any, Any, T], timeout: float) -> T:
    """Await ``work`` unless ``timeout`` passes or the client disconnects (module docstring).
    ``receive`` is the request's ASGI receive channel (its body already read)."""
    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(_disconnected(receive))
    try:
        done, _ = await asyncio.wait({task, watcher}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:
        await _cancel(task)
        await _cancel(watcher)
        raise
    if task in done:
        await _cancel(watcher)
        return task.result()
    await _cancel(task)
    if watcher in done:
        raise ClientGone()
    await _cancel(watcher)
    raise ApiError(
        504,
        f"the request took longer than this server's --timeout of {timeout:g} s; its upstream work was "
        "cancelled (ask for fewer candidates with pessimism.n, fewer max_tokens, or raise --timeout)",
        type="timeout_error",
        code="timeout",
    )
