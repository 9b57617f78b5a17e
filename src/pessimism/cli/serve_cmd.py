"""``pessimism serve``: the OpenAI-compatible alignment server (FastAPI + uvicorn)."""

from __future__ import annotations

from typing import Optional

import typer

from ._errors import friendly_errors


def register(app: typer.Typer) -> None:
    @app.command("serve")
    @friendly_errors
    def serve(
        upstream: Optional[str] = typer.Option(
            None, help="OpenAI-compatible API root to sample from (e.g. http://127.0.0.1:8080/v1), or "
            "'embedded'. Default: the embedded Gemma 3 270M, judged by itself."),
        model: Optional[str] = typer.Option(None, help="Upstream model id for requests that name none "
                                            "(default: the upstream's only model)."),
        reward: str = typer.Option("judge", help="Reward model spec (judge, judge:strict, self_certainty, "
                                   "hf:..., http:..., python:...); judge runs on the served model."),
        method: str = typer.Option("itp", help="Default selection rule (requests override it with "
                                   "pessimism.method)."),
        n: int = typer.Option(16, help="Default candidates per request (pessimism.n)."),
        beta: Optional[float] = typer.Option(1.0, help="Default beta of itp / soft_bon / itp_algorithm1 "
                                             "(reward units)."),
        k: Optional[int] = typer.Option(None, help="Default k of topk."),
        alpha: Optional[float] = typer.Option(None, help="Default alpha of best_of_majority."),
        r_max: Optional[float] = typer.Option(None, help="Default upper bound on rewards (itp_algorithm1)."),
        host: str = typer.Option("127.0.0.1", help="Address to listen on."),
        port: int = typer.Option(8000, help="Port to listen on."),
        timeout: float = typer.Option(120.0, help="Seconds a request may take in all before a 504."),
        max_concurrency: int = typer.Option(8, help="Upstream calls in flight at once, over all requests."),
        api_key: Optional[str] = typer.Option(
            None, envvar="PESSIMISM_API_KEY", show_default=False,
            help="Require 'Authorization: Bearer <key>' on /v1 (env: PESSIMISM_API_KEY)."),
        max_tokens: int = typer.Option(256, help="Tokens per candidate when a request gives no max_tokens."),
        max_n: int = typer.Option(64, help="Largest n a request may ask for."),
        retries: int = typer.Option(1, help="Extra attempts of a failed upstream call (5xx, 429, connection)."),
        log_level: str = typer.Option("warning", help="uvicorn log level (info shows every request)."),
    ) -> None:
        """Serve POST /v1/chat/completions and /v1/completions, aligning every request: sample n
        candidates, score them, return the one the rule chooses (with a `pessimism` object)."""
        from .._extras import require

        require("fastapi", "server", "pessimism serve")
        uvicorn = require("uvicorn", "server", "pessimism serve")
        from ..server import ServerConfig
        from ..server.app import create_app
        from ..server.backends import build_backends

        config = ServerConfig(
            upstream=upstream, model=model, reward=reward, method=method, n=n, beta=beta, k=k, alpha=alpha,
            r_max=r_max, host=host, port=port, timeout=timeout, max_concurrency=max_concurrency,
            api_key=api_key, max_tokens=max_tokens, max_n=max_n, retries=retries,
        )
        try:
            backends = build_backends(config)  # fail here, clearly, before the port opens
        except RuntimeError as exc:  # BackendError: the upstream could not be asked for its model
            raise ValueError(f"{exc} (start the upstream first, or pass --model)") from None
        source = config.upstream or "embedded model"
        typer.echo(
            f"pessimism serve: {backends.model_id} via {source}; method={config.method} n={config.n} "
            f"reward={config.reward}; http://{host}:{port}/v1" + (" (API key required)" if api_key else ""),
            err=True,
        )
        uvicorn.run(create_app(config, backends), host=host, port=port, log_level=log_level)
