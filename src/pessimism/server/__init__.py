"""An OpenAI-compatible server that aligns every request: ``pessimism serve``.

Put it in front of a model server (or run the embedded model): each chat/completions request samples
N candidates, scores them with the reward model and returns the one the selection rule (ITP by
default) chooses, as a standard OpenAI response with a ``pessimism`` object describing the selection.
Needs ``pip install 'pessimism[server]'`` (FastAPI, uvicorn, httpx, pydantic); imported lazily.
"""

from .config import ServerConfig

__all__ = ["ServerConfig", "create_app"]


def __getattr__(name: str):  # noqa: ANN202 - lazy: FastAPI is imported only when the app is built
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(name)
