"""Optional API key: every ``/v1/...`` request must send ``Authorization: Bearer <key>``.

A pure ASGI middleware, so the check runs before the body is read or parsed (a request without the
key gets 401 even if its body is malformed). The key is compared with :func:`hmac.compare_digest`
(constant time in the length of the input: no timing side channel on how many characters matched).
``GET /health`` stays open for load balancers and readiness probes.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

OPEN_PATHS = frozenset({"/health"})


def _bearer(scope: dict[str, Any]) -> bytes | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = value.partition(b" ")
            return token.strip() if scheme.lower() == b"bearer" else None
    return None


class ApiKeyMiddleware:
    """Reject requests without the right bearer token with an OpenAI-style 401."""

    def __init__(self, app: Any, api_key: str) -> None:
        self.app = app
        self._key = api_key.encode("utf-8")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("path") in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        token = _bearer(scope)
        if token is not None and hmac.compare_digest(token, self._key):
            await self.app(scope, receive, send)
            return
        reason = "no API key was sent" if token is None else "the API key is not valid"
        body = json.dumps({"error": {
            "message": f"{reason}: send 'Authorization: Bearer <key>' (the key this server was started "
                       "with, --api-key or PESSIMISM_API_KEY)",
            "type": "invalid_request_error", "param": None, "code": "invalid_api_key",
        }}).encode()
        await send({"type": "http.response.start", "status": 401, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"www-authenticate", b"Bearer"),
        ]})
        await send({"type": "http.response.body", "body": body})
