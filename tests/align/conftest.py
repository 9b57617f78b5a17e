"""The embedded Gemma on plain text (the capitals_fewshot task's format), loaded once for the align tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def plain_gemma() -> Iterator[Any]:
    from pessimism.models.llama_cpp import LlamaCppPolicy

    policy = LlamaCppPolicy(n_ctx=1024, chat_template="none", n_threads=1)
    yield policy
    policy.close()


@pytest.fixture(scope="session")
def fewshot_task() -> Any:
    from pessimism.tasks import load_task

    return load_task("capitals_fewshot")


@pytest.fixture(scope="session")
def fewshot_judge(plain_gemma: Any) -> Any:
    from pessimism.rewards import load_reward

    return load_reward("judge:fewshot", plain_gemma)
