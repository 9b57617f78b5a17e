"""Response bodies: standard OpenAI objects with one choice, ``usage`` and a ``pessimism`` object.

``usage`` counts every token the request spent on its candidates:

* ``completion_tokens`` -- the generated tokens of *all* N candidates (not only the chosen one);
* ``prompt_tokens`` -- the prompt's tokens once per upstream generation request, as the upstream
  reports them (one request when the upstream honours ``n``; N when it is asked one sample at a
  time); for the embedded backend, the templated prompt's tokens once per generation call (it
  evaluates the prompt once for all N samples).

Tokens the reward model spends (judge prompts) are not in ``usage``; ``pessimism.reward_calls``
counts the distinct responses scored.

The ``pessimism`` object: ``method``, ``n``, ``beta`` (``null`` for rules without it), ``params``
(every rule parameter used), ``lam_hat`` (ITP's normalizer), ``candidates`` (generated),
``chosen_index``, ``scores`` (each candidate's proxy reward, in order), ``probability`` (the rule's
probability of the chosen candidate), ``reward_calls``, ``upstream_requests``.

Streaming (``stream: true``) sends the chosen answer as server-sent events *after* selection (a
candidate cannot be streamed before all N are scored): a role chunk, one content chunk, a final chunk
with ``finish_reason`` and the ``pessimism`` object, a usage chunk if
``stream_options.include_usage``, then ``data: [DONE]``.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from .align_request import Aligned
from .selection import Selection

Kind = Literal["chat", "text"]


def usage(aligned: Aligned) -> dict[str, int]:
    return {
        "prompt_tokens": aligned.prompt_tokens,
        "completion_tokens": aligned.completion_tokens,
        "total_tokens": aligned.prompt_tokens + aligned.completion_tokens,
    }


def pessimism_info(selection: Selection, aligned: Aligned) -> dict[str, Any]:
    return {
        "method": selection.method,
        "n": selection.n,
        "beta": selection.get("beta"),
        "params": selection.kwargs,
        "lam_hat": aligned.lam_hat,
        "candidates": aligned.candidates,
        "chosen_index": aligned.chosen_index,
        "scores": list(aligned.scores),
        "probability": aligned.probability,
        "reward_calls": aligned.reward_calls,
        "upstream_requests": aligned.upstream_requests,
        **aligned.extra,
    }


def _choice(kind: Kind, aligned: Aligned, logprobs: bool) -> dict[str, Any]:
    raw = aligned.raw_choice or {}
    finish = raw.get("finish_reason", aligned.chosen.finish_reason)
    lp = raw.get("logprobs") if logprobs else None
    if kind == "chat":
        message = raw.get("message") or {"role": "assistant", "content": aligned.chosen.text}
        return {"index": 0, "message": message, "finish_reason": finish, "logprobs": lp}
    return {"index": 0, "text": raw.get("text", aligned.chosen.text), "finish_reason": finish, "logprobs": lp}


def _head(kind: Kind, model: str, chunk: bool = False) -> dict[str, Any]:
    prefix = "chatcmpl" if kind == "chat" else "cmpl"
    obj = "chat.completion" if kind == "chat" else "text_completion"
    if chunk and kind == "chat":
        obj += ".chunk"
    return {"id": f"{prefix}-{uuid.uuid4().hex}", "object": obj, "created": int(time.time()), "model": model}


def completion_body(kind: Kind, model: str, selection: Selection, aligned: Aligned, logprobs: bool) -> dict[str, Any]:
    """The non-streaming response: ``chat.completion`` or ``text_completion``."""
    return {
        **_head(kind, model),
        "choices": [_choice(kind, aligned, logprobs)],
        "usage": usage(aligned),
        "pessimism": pessimism_info(selection, aligned),
    }


def _sse(data: Any) -> str:
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


def stream_events(
    kind: Kind, model: str, selection: Selection, aligned: Aligned, logprobs: bool, include_usage: bool
) -> Iterator[str]:
    """The streaming response as server-sent events (module docstring)."""
    head = _head(kind, model, chunk=True)
    full = _choice(kind, aligned, logprobs)
    extra = {"usage": None} if include_usage else {}
    if kind == "chat":
        message = dict(full["message"])
        content = message.pop("content", None)
        yield _sse({**head, "choices": [{"index": 0, "delta": {"role": message.pop("role", "assistant"), "content": ""},
                                         "finish_reason": None, "logprobs": None}], **extra})
        if content or message:
            yield _sse({**head, "choices": [{"index": 0, "delta": {**message, "content": content},
                                             "finish_reason": None, "logprobs": full["logprobs"]}], **extra})
        last = {"index": 0, "delta": {}, "finish_reason": full["finish_reason"], "logprobs": None}
    else:
        yield _sse({**head, "choices": [{"index": 0, "text": full["text"], "finish_reason": None,
                                         "logprobs": full["logprobs"]}], **extra})
        last = {"index": 0, "text": "", "finish_reason": full["finish_reason"], "logprobs": None}
    yield _sse({**head, "choices": [last], "pessimism": pessimism_info(selection, aligned), **extra})
    if include_usage:
        yield _sse({**head, "choices": [], "usage": usage(aligned)})
    yield "data: [DONE]\n\n"
