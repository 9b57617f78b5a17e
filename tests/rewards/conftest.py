"""The embedded Gemma 3 270M, loaded once per session for the reward tests that run the real model."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


def _load(chat_template: str) -> Iterator[Any]:
    llama_cpp_mod = pytest.importorskip("pessimism.models.llama_cpp")
    policy = llama_cpp_mod.LlamaCppPolicy(n_ctx=512, chat_template=chat_template)
    yield policy
    policy.close()


@pytest.fixture(scope="session")
def gemma() -> Iterator[Any]:
    """The embedded model with its Gemma turn format (chat prompts)."""
    yield from _load("auto")


@pytest.fixture(scope="session")
def gemma_plain() -> Iterator[Any]:
    """The embedded model on plain text (few-shot prompts), how a base model works best."""
    yield from _load("none")
