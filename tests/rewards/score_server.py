"""A small, real HTTP scoring server for the tests: vLLM's /pooling and /score shapes, scoring by a
deterministic rule, with faults the client must survive. Run: ``python score_server.py PORT``.

Faults, keyed by the response text (so each test controls its own):
- a response containing ``FAIL503x<k>`` gets HTTP 503 (with ``Retry-After: 0``) its first k times;
- a response containing ``SLOW`` sleeps 3 s on its first request (the client times out and retries);
- a response containing ``BAD400`` gets HTTP 400.
Every request sleeps 50 ms so concurrent requests overlap; /stats reports the peak in flight.
"""

from __future__ import annotations

import asyncio
import sys
from collections import Counter

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

app = FastAPI()
STATE: dict[str, object] = {"in_flight": 0, "peak": 0, "requests": 0}
SEEN: Counter[str] = Counter()


def rule(messages: list[dict[str, str]]) -> float:
    """The reward: the assistant reply's length, +0.5 if it says Paris; minus a hundredth of the question length."""
    response = messages[-1]["content"]
    question = " ".join(m["content"] for m in messages[:-1])
    return len(response) + (0.5 if "paris" in response.lower() else 0.0) - len(question) / 100


async def faults(text: str) -> JSONResponse | None:
    SEEN[text] += 1
    if "FAIL503x" in text:
        k = int(text.split("FAIL503x")[1][:1])
        if SEEN[text] <= k:
            return JSONResponse({"error": "overloaded"}, status_code=503, headers={"Retry-After": "0"})
    if "SLOW" in text and SEEN[text] == 1:
        await asyncio.sleep(3)
    if "BAD400" in text:
        return JSONResponse({"error": "bad input: BAD400"}, status_code=400)
    return None


@app.middleware("http")
async def count(request: Request, call_next):  # noqa: ANN001, ANN201
    if request.url.path in ("/health", "/stats", "/reset"):
        return await call_next(request)
    STATE["requests"] = int(STATE["requests"]) + 1
    STATE["in_flight"] = int(STATE["in_flight"]) + 1
    STATE["peak"] = max(int(STATE["peak"]), int(STATE["in_flight"]))
    try:
        await asyncio.sleep(0.05)
        return await call_next(request)
    finally:
        STATE["in_flight"] = int(STATE["in_flight"]) - 1


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/stats")
async def stats() -> dict[str, object]:
    return {**STATE, "seen": dict(SEEN)}


@app.post("/reset")
async def reset() -> dict[str, str]:
    STATE.update(in_flight=0, peak=0, requests=0)
    SEEN.clear()
    return {"status": "ok"}


@app.post("/pooling")
async def pooling(body: dict) -> JSONResponse:  # type: ignore[type-arg]
    model, messages = body.get("model"), body.get("messages")
    if model not in {"toy-rm", "token-rm", "multi-rm"}:
        return JSONResponse({"error": f"model {model!r} not found"}, status_code=404)
    fault = await faults(messages[-1]["content"])
    if fault is not None:
        return fault
    r = rule(messages)
    data: object = [r]
    if model == "token-rm":
        data = [[0.0], [-1.0], [r]]  # per-token rewards; the last token's is the sequence's
    elif model == "multi-rm":
        data = [r, -r]
    return JSONResponse({"id": "pool-1", "object": "list", "model": model,
                         "data": [{"index": 0, "object": "pooling", "data": data}],
                         "usage": {"prompt_tokens": 1, "total_tokens": 1}})


@app.post("/score")
async def score(body: dict) -> JSONResponse:  # type: ignore[type-arg]
    text_1, text_2 = body["text_1"], body["text_2"]
    texts = text_2 if isinstance(text_2, list) else [text_2]
    for t in texts:
        fault = await faults(t)
        if fault is not None:
            return fault
    rows = [{"index": i, "object": "score", "score": rule([{"content": text_1}, {"content": t}])}
            for i, t in enumerate(texts)]
    return JSONResponse({"id": "score-1", "object": "list", "model": body["model"], "data": rows[::-1]})


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
