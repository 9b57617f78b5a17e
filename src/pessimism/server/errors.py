"""Errors as OpenAI-style JSON: ``{"error": {"message", "type", "param", "code"}}``.

Status codes:

* 400 -- malformed JSON, a field of the wrong type or range, a bad ``pessimism`` override (the
  message and ``param`` name the field; override values are checked by the selection core, so its
  messages are the ones shown), a prompt the backend refuses (too long for the context...);
* 401 -- missing or wrong API key; 404 -- a model this server does not serve;
* 4xx from the upstream that is the request's fault (a bad pass-through field, an unknown model) --
  relayed with the upstream's status and message;
* 502 -- the upstream is unreachable, answered 5xx, or answered something that is not an OpenAI
  response; the upstream's own message is included;
* 504 -- the request took longer than ``--timeout`` seconds (its upstream work is cancelled);
* 500 -- the reward model failed (e.g. returned a non-finite score).
"""

from __future__ import annotations

import re
from typing import Any

from ..models._http import BackendError

#: upstream statuses that are this server's configuration problem, not the client's.
_UPSTREAM_OWN_FAULT = frozenset({401, 403, 407, 408, 429})


class ApiError(Exception):
    """An error response: HTTP ``status`` and the OpenAI error fields."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = headers

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


def invalid(message: str, param: str | None = None, code: str | None = None) -> ApiError:
    return ApiError(400, message, param=param, code=code)


def from_backend(exc: BackendError) -> ApiError:
    """Map an upstream failure to 502 (or relay a 4xx that the request caused)."""
    status = exc.status
    detail = exc.server_message or str(exc)
    if status is not None and 400 <= status < 500 and status not in _UPSTREAM_OWN_FAULT:
        return ApiError(status, f"the upstream rejected the request: {detail}", code="upstream_rejected")
    return ApiError(502, f"upstream failure: {exc}", type="upstream_error", code="bad_gateway")


_TYPE_TAG = re.compile(r"^(str|int|float|bool|none|[A-Z]\w*|.*\[.*\])$")


def _loc_name(loc: tuple[Any, ...]) -> str | None:
    """``("body", "messages", 0, "content", "str")`` -> ``messages[0].content`` (pydantic's union
    member tags such as ``str`` or ``list[TextPart]`` are dropped)."""
    parts = [p for p in loc[1:] if isinstance(p, int) or not _TYPE_TAG.match(str(p))] if loc[:1] == ("body",) else list(loc)
    if not parts:
        return None
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def from_validation(errors: list[dict[str, Any]]) -> ApiError:
    """A FastAPI/pydantic validation failure as one 400 naming the field(s)."""
    for err in errors:
        if err.get("type") == "json_invalid":
            why = (err.get("ctx") or {}).get("error", "")
            return invalid(f"the request body is not valid JSON ({why})", code="invalid_json")
    parts: list[str] = []
    first: str | None = None
    for err in errors:
        name = _loc_name(tuple(err.get("loc", ())))
        if first is None:
            first = name
        msg = str(err.get("msg", "invalid value"))
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        part = f"{name or 'body'}: {msg}"
        if part not in parts:
            parts.append(part)
    return invalid("invalid request: " + "; ".join(parts), param=first)
