"""``load_policy(spec)``: the spec grammar, its errors, and that each form builds the right adapter."""

from __future__ import annotations

import pytest
from fixtures_servers import ScriptedHTTPServer, reply_completion

from pessimism.models import SPEC_FORMS, load_policy
from pessimism.models.factory import _split_openai


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("", (None, None)),
        ("@my-model", (None, "my-model")),
        ("http://127.0.0.1:8000/v1", ("http://127.0.0.1:8000/v1", None)),
        ("http://127.0.0.1:8000/v1@qwen", ("http://127.0.0.1:8000/v1", "qwen")),
        ("http://h:8000/v1@org/model-7b", ("http://h:8000/v1", "org/model-7b")),
        ("https://user:pw@h.example/v1", ("https://user:pw@h.example/v1", None)),
        ("https://user:pw@h.example/v1@m", ("https://user:pw@h.example/v1", "m")),
    ],
)
def test_openai_targets_split_into_url_and_model(target: str, expected: tuple) -> None:
    assert _split_openai(target, "spec") == expected


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ("", "non-empty"),
        ("gpt4", "unknown backend 'gpt4'"),
        ("vllm:http://h/v1", "unknown backend"),
        ("embedded:/x.gguf", "takes no path"),
        ("llama_cpp", "give the GGUF path"),
        ("hf:", "model directory"),
        ("embedded?n_ctx=big", "n_ctx='big' is invalid"),
        ("embedded?temperature=0.5", "unknown option 'temperature'"),
        ("embedded?n_ctx=1&n_ctx=2", "given twice"),
        ("embedded?n_ctx", "key=value"),
        ("openai:localhost:8000/v1", "http"),
        ("openai:http://localhost:8000@m", "API path"),
        ("openai:http://h/v1@m?model=n", "given twice"),
        ("openai:http://h/v1@m?logprobs=maybe", "true/false"),
    ],
)
def test_bad_specs_raise_value_errors_naming_the_problem(spec: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        load_policy(spec)


def test_the_error_for_an_unknown_backend_lists_the_valid_forms() -> None:
    with pytest.raises(ValueError) as info:
        load_policy("ollama:llama3")
    assert SPEC_FORMS in str(info.value)
    for form in ("embedded", "llama_cpp:PATH", "openai[:BASE_URL][@MODEL]", "hf:DIR"):
        assert form in str(info.value)


def test_openai_spec_builds_a_configured_policy() -> None:
    with ScriptedHTTPServer([reply_completion()]) as s:
        p = load_policy(f"openai:{s.base_url}?endpoint=completions&max_concurrency=3&timeout=5&logprobs=false")
        assert p.model == "scripted"  # asked from /models
        assert (p.endpoint, p.max_concurrency, p.timeout, p.want_logprobs) == ("completions", 3, 5.0, False)
        assert p.name == f"openai:{s.base_url}@scripted/completions"


@pytest.mark.slow
def test_embedded_is_the_default_and_options_reach_the_adapter(embedded_gguf) -> None:
    pytest.importorskip("llama_cpp")
    p = load_policy()
    assert p.name.startswith("llama_cpp:gemma-3-270m") and p.name.endswith("/gemma")
    raw = load_policy("embedded?chat_template=none&n_ctx=256")
    assert raw.n_ctx == 256 and raw.name.endswith("/none")
    same_file = load_policy(f"llama_cpp:{embedded_gguf}?n_ctx=128")
    assert same_file.name == p.name  # identity is the content hash, not how it was named
