"""``create_app(config)``: the FastAPI application of ``pessimism serve``.

No module-level state: the policies, the reward model and the upstream connection pool are built
once when the app starts (FastAPI lifespan) and kept on ``app.state``; the configuration is frozen.
Each request builds its own small objects (its selection, its meter, its candidate source), so
concurrent requests share nothing mutable. Endpoints: ``POST /v1/chat/completions``,
``POST /v1/completions``, ``GET /v1/models``, ``GET /health``. Error statuses: see :mod:`.errors`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

from .. import __version__
from .._extras import require

require("fastapi", "server", "the OpenAI-compatible server")

from fastapi import FastAPI, Request  # noqa: E402
from fastapi.exceptions import RequestValidationError  # noqa: E402
from fastapi.responses import JSONResponse, Response, StreamingResponse  # noqa: E402

from ..models._http import BackendError, RetryPolicy, request_json  # noqa: E402
from ..models.base import Prompt, SamplingParams  # noqa: E402
from .align_request import RewardFailed, align_one  # noqa: E402
from .backends import Backends, build_backends, start, stop  # noqa: E402
from .config import ServerConfig  # noqa: E402
from .errors import ApiError, from_backend, from_validation, invalid  # noqa: E402
from .guard import ClientGone, guarded  # noqa: E402
from .responses import completion_body, stream_events  # noqa: E402
from .schema import ChatCompletionRequest, CompletionRequest  # noqa: E402
from .selection import Selection, SelectionError, resolve_selection  # noqa: E402
from .upstream import PromptRefused  # noqa: E402

#: fields the embedded backend accepts without acting on them (pure metadata).
EMBEDDED_IGNORABLE = frozenset({"user"})


def create_app(config: ServerConfig, backends: Backends | None = None) -> Any:
    """The FastAPI app serving ``config``. ``backends`` may be built beforehand (the CLI does, so a
    bad ``--upstream`` or ``--reward`` fails before the port opens); otherwise they are built at
    startup."""
    if not isinstance(config, ServerConfig):
        raise ValueError(f"config must be a ServerConfig; got {type(config).__name__}")

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        built = backends if backends is not None else await asyncio.to_thread(build_backends, config)
        app.state.backends = await start(built, config)
        try:
            yield
        finally:
            await stop(app.state.backends)

    app = FastAPI(
        title="pessimism", version=__version__, lifespan=lifespan,
        docs_url=None, redoc_url=None, openapi_url=None,
    )
    app.state.config = config
    if config.api_key is not None:
        from .auth import ApiKeyMiddleware

        app.add_middleware(ApiKeyMiddleware, api_key=config.api_key)

    def error_response(err: ApiError) -> Any:
        return JSONResponse(err.body(), status_code=err.status, headers=err.headers)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Any:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Any:
        return error_response(from_validation(list(exc.errors())))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Any:
        return error_response(ApiError(500, f"internal error: {type(exc).__name__}: {exc}", type="server_error"))

    @app.get("/health")
    async def health(request: Request) -> dict[str, Any]:
        b: Backends = request.app.state.backends
        return {"status": "ok", "backend": b.kind, "model": b.model_id, "upstream": b.upstream}

    @app.get("/v1/models")
    async def models(request: Request) -> Any:
        b: Backends = request.app.state.backends
        if b.kind == "embedded":
            return {"object": "list", "data": [
                {"id": b.model_id, "object": "model", "created": 0, "owned_by": "pessimism (embedded)"}
            ]}
        assert b.shared is not None
        headers = {"Authorization": f"Bearer {b.api_key}"} if b.api_key else {}
        try:
            async with asyncio.timeout(config.timeout):
                return await request_json(
                    b.shared.client, "GET", f"{b.upstream}/models", headers=headers,
                    retry=RetryPolicy(max_attempts=config.retries + 1, backoff_base=0.25, backoff_max=2.0),
                    semaphore=b.shared.semaphore,
                )
        except BackendError as exc:
            raise from_backend(exc) from None
        except TimeoutError:
            raise ApiError(504, f"the upstream did not list its models within --timeout {config.timeout:g} s",
                           type="timeout_error", code="timeout") from None

    async def serve(request: Request, kind: Literal["chat", "text"], body: Any) -> Any:
        b: Backends = request.app.state.backends
        selection = _selection(config, body)
        prompt = _prompt(kind, body)
        extras = _extras(kind, body, b)
        sampling = _sampling(config, body)
        work = align_one(
            b.policy(kind), b.reward, prompt, selection, sampling, extras=extras, selection_seed=body.seed,
            count_prompt_tokens=b.count_tokens.get(kind),
        )
        try:
            aligned = await guarded(request.receive, work, config.timeout)
        except ClientGone:
            return Response(status_code=499)  # nobody is listening; for the access log
        except BackendError as exc:
            raise from_backend(exc) from None
        except PromptRefused as exc:
            raise invalid(f"the model refused the prompt: {exc}", param="messages" if kind == "chat" else "prompt") from None
        except RewardFailed as exc:
            raise ApiError(502 if exc.upstream else 500, str(exc), type="upstream_error" if exc.upstream else "server_error",
                           code="reward_failed") from None
        model = body.model or b.model_id
        if body.stream:
            include_usage = bool(body.stream_options and body.stream_options.include_usage)
            events = stream_events(kind, model, selection, aligned, body.wants_logprobs(), include_usage)
            return StreamingResponse(events, media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
        return completion_body(kind, model, selection, aligned, body.wants_logprobs())

    @app.post("/v1/chat/completions")
    async def chat_completions(body: ChatCompletionRequest, request: Request) -> Any:
        return await serve(request, "chat", body)

    @app.post("/v1/completions")
    async def completions(body: CompletionRequest, request: Request) -> Any:
        return await serve(request, "text", body)

    return app


def _selection(config: ServerConfig, body: Any) -> Selection:
    overrides = body.pessimism.given() if body.pessimism is not None else {}
    try:
        return resolve_selection(config.selection_defaults(), overrides, max_n=config.max_n)
    except SelectionError as exc:
        raise invalid(f"{exc.param}: {exc}", param=exc.param) from None


def _prompt(kind: str, body: Any) -> Prompt:
    if kind == "chat":
        return [m.as_prompt_message() for m in body.messages]
    return body.text()


def _extras(kind: str, body: Any, b: Backends) -> dict[str, Any]:
    """The fields forwarded upstream unchanged; the embedded backend refuses those it cannot honour."""
    extras = body.extras()
    if b.kind == "embedded":
        if body.model is not None and body.model != b.model_id:
            raise ApiError(404, f"model {body.model!r} is not served here; GET /v1/models lists: {b.model_id}",
                           param="model", code="model_not_found")
        if body.wants_logprobs():
            raise invalid("logprobs: the embedded backend does not return per-token log-probabilities; "
                          "leave logprobs unset or serve an --upstream that does", param="logprobs")
        refused = sorted(set(extras) - EMBEDDED_IGNORABLE)
        if refused:
            raise invalid(
                f"{', '.join(refused)}: not supported by the embedded backend, which honours temperature, "
                "top_p, max_tokens, stop and seed; remove the field(s) or serve an --upstream that supports them",
                param=refused[0],
            )
        return {}
    if body.model is not None:
        extras["model"] = body.model
    if kind == "text" and body.logprobs:  # more alternatives than the adapter's own logprobs=1
        extras["logprobs"] = body.logprobs
    return extras


def _sampling(config: ServerConfig, body: Any) -> SamplingParams:
    try:
        return SamplingParams(
            temperature=1.0 if body.temperature is None else body.temperature,
            top_p=1.0 if body.top_p is None else body.top_p,
            max_tokens=body.token_limit() or config.max_tokens,
            seed=body.seed,
            stop=body.stop_tuple(),
        )
    except ValueError as exc:
        raise invalid(str(exc)) from None

