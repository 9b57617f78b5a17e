"""Turn the library's errors into a clean one-line CLI message instead of a traceback.

Exit code 2: the input was wrong (``ValueError``) or an optional extra is missing; the message says
what to change. Exit code 1: the run failed (a backend that stays down, prompts that failed after
retries); completed work is in the cache, so re-running resumes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import typer

F = TypeVar("F", bound=Callable[..., Any])


def _runtime_errors() -> tuple[type[BaseException], ...]:
    from ..align.pipeline import AlignError
    from ..models._http import BackendError

    return (AlignError, BackendError)


def friendly_errors(func: F) -> F:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from .._extras import MissingExtraError

        try:
            return func(*args, **kwargs)
        except (ValueError, MissingExtraError) as exc:
            typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
            raise typer.Exit(2) from None
        except _runtime_errors() as exc:
            typer.secho(f"failed: {exc}", err=True, fg=typer.colors.RED)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]
