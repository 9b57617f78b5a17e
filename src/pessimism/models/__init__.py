"""Policies (the reference model ``pi_ref`` we sample from): protocols, adapters and ``load_policy``.

Adapters are imported lazily: ``from pessimism.models import LlamaCppPolicy`` only imports llama.cpp
when you use it, and a missing backend names the extra to install.
"""

from __future__ import annotations

from typing import Any

from ._http import BackendError, RetryPolicy
from .base import Completion, NextTokenScorer, Policy, Prompt, SamplingParams, as_messages, run_sync
from .factory import SPEC_FORMS, load_policy

_LAZY = {
    "LlamaCppPolicy": ".llama_cpp",
    "OpenAIPolicy": ".openai_compat",
    "HFPolicy": ".transformers_hf",
}

__all__ = [
    "BackendError",
    "Completion",
    "HFPolicy",
    "LlamaCppPolicy",
    "NextTokenScorer",
    "OpenAIPolicy",
    "Policy",
    "Prompt",
    "RetryPolicy",
    "SPEC_FORMS",
    "SamplingParams",
    "as_messages",
    "load_policy",
    "run_sync",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
