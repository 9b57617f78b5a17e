"""``load_policy(spec)``: build a policy from one string (what ``--policy`` takes on the command line).

Grammar::

    embedded[?OPTIONS]                     the embedded Gemma 3 270M run by llama.cpp (the default)
    llama_cpp:PATH[?OPTIONS]               any GGUF file
    openai[:BASE_URL][@MODEL][?OPTIONS]    an OpenAI-compatible server; BASE_URL includes its API path
                                           (http://host:8000/v1); default $OPENAI_BASE_URL; MODEL
                                           defaults to the server's only model
    hf:DIR[?OPTIONS]                       a local Hugging Face causal-LM directory

OPTIONS are ``key=value`` pairs joined by ``&`` and passed to the adapter's constructor, e.g.
``embedded?chat_template=none&n_ctx=4096`` or ``openai:http://127.0.0.1:8000/v1@qwen?endpoint=completions``.
Unknown backends, unknown or repeated keys and badly typed values raise ``ValueError`` listing the valid
forms.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from .base import Policy

SPEC_FORMS = (
    "embedded[?OPTIONS] | llama_cpp:PATH.gguf[?OPTIONS] | "
    "openai[:BASE_URL][@MODEL][?OPTIONS] (BASE_URL like http://127.0.0.1:8000/v1) | hf:DIR[?OPTIONS]; "
    "OPTIONS = key=value pairs joined by '&', e.g. embedded?chat_template=none"
)


def _bool(text: str) -> bool:
    low = text.lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true/false, got {text!r}")


_LLAMA_OPTS: dict[str, Callable[[str], Any]] = {
    "n_ctx": int, "n_threads": int, "seed": int, "chat_template": str, "n_batch": int,
}
_OPTIONS: dict[str, dict[str, Callable[[str], Any]]] = {
    "embedded": _LLAMA_OPTS,
    "llama_cpp": _LLAMA_OPTS,
    "openai": {
        "model": str, "endpoint": str, "max_concurrency": int, "timeout": float, "max_attempts": int,
        "backoff_base": float, "backoff_max": float, "logprobs": _bool, "top_logprobs": int,
    },
    "hf": {"device": str, "dtype": str, "chat_template": str, "seed": int},
}


def _options(backend: str, query: str, spec: str) -> dict[str, Any]:
    allowed = _OPTIONS[backend]
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True) if query else []
    except ValueError as exc:
        raise ValueError(f"policy spec {spec!r}: options must look like key=value&key=value ({exc})") from None
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key not in allowed:
            raise ValueError(
                f"policy spec {spec!r}: unknown option {key!r} for {backend}; valid: {', '.join(sorted(allowed))}"
            )
        if key in out:
            raise ValueError(f"policy spec {spec!r}: option {key!r} given twice")
        try:
            out[key] = allowed[key](value)
        except ValueError as exc:
            raise ValueError(f"policy spec {spec!r}: option {key}={value!r} is invalid ({exc})") from None
    return out


def _split_openai(target: str, spec: str) -> tuple[str | None, str | None]:
    """``BASE_URL[@MODEL]`` -> (base_url or None, model or None); the model follows the last ``@`` that
    comes after the start of the URL's path (so ``user:pass@host`` in the URL is not mistaken for it)."""
    if not target:
        return None, None
    if target.startswith("@"):
        return None, target[1:] or None
    scheme_end = target.find("://")
    if scheme_end < 0:
        raise ValueError(f"policy spec {spec!r}: the base URL must start with http:// or https://; valid forms: {SPEC_FORMS}")
    path_start = target.find("/", scheme_end + 3)
    at = target.rfind("@")
    if path_start < 0:
        raise ValueError(
            f"policy spec {spec!r}: write the base URL with its API path, e.g. http://127.0.0.1:8000/v1"
        )
    if at > path_start:
        return target[:at], target[at + 1 :] or None
    return target, None


def load_policy(spec: str = "embedded") -> Policy:
    """Build the policy described by ``spec`` (see the module docstring for the grammar)."""
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"policy spec must be a non-empty string; valid forms: {SPEC_FORMS}")
    spec = spec.strip()
    head, _, query = spec.partition("?")
    backend, sep, target = head.partition(":")
    if backend not in _OPTIONS:
        raise ValueError(f"policy spec {spec!r}: unknown backend {backend!r}; valid forms: {SPEC_FORMS}")
    opts = _options(backend, query, spec)
    if backend == "embedded":
        if sep:
            raise ValueError(f"policy spec {spec!r}: 'embedded' takes no path; use llama_cpp:PATH for another GGUF")
        from .llama_cpp import LlamaCppPolicy

        return LlamaCppPolicy(None, **opts)
    if backend == "llama_cpp":
        if not target:
            raise ValueError(f"policy spec {spec!r}: give the GGUF path, e.g. llama_cpp:/models/model.gguf")
        from .llama_cpp import LlamaCppPolicy

        return LlamaCppPolicy(target, **opts)
    if backend == "hf":
        if not target:
            raise ValueError(f"policy spec {spec!r}: give the model directory, e.g. hf:/models/my-model")
        from .transformers_hf import HFPolicy

        return HFPolicy(target, **opts)
    url, model = _split_openai(target, spec)
    if model is not None and "model" in opts:
        raise ValueError(f"policy spec {spec!r}: the model is given twice (@MODEL and model=)")
    from .openai_compat import OpenAIPolicy

    return OpenAIPolicy(url, opts.pop("model", model), **opts)
